// The pon plugin (the real .so) in a real engine on the sim HAL, under both roots. The
// expected values are computed here from the bytes of the sim's SFF-8472 pages.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "harness/plugin_harness.hpp"
#include "plugins_wan/sim_state_dir.hpp"

namespace {

namespace fs = std::filesystem;
using cwmpd::sdk::Source;
using cwmpd::testing::PluginHarness;
using Bytes = std::vector<unsigned char>;

Bytes readPage(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

// Atomic replacement, as a module's EEPROM changes under a reader: never a torn page.
void writePage(const fs::path& p, const Bytes& page) {
  const fs::path tmp = p.string() + ".tmp";
  std::ofstream(tmp, std::ios::binary)
      .write(reinterpret_cast<const char*>(page.data()), static_cast<std::streamsize>(page.size()));
  fs::rename(tmp, p);
}

unsigned u16(const Bytes& page, std::size_t at) { return page.at(at) << 8 | page.at(at + 1); }
int s16(const Bytes& page, std::size_t at) { return static_cast<std::int16_t>(u16(page, at)); }

void put16(Bytes& page, std::size_t at, unsigned v) {
  page.at(at) = static_cast<unsigned char>(v >> 8);
  page.at(at + 1) = static_cast<unsigned char>(v & 0xFF);
}

// SFF-8472 power (0.1 uW units, internally calibrated) in TR-181 Dbm1000: thousandths of a dBm
// in steps of 2.
long dbm1000(unsigned tenthsOfMicroWatt) {
  const double dbm = 10.0 * std::log10(tenthsOfMicroWatt / 10.0 / 1000.0);
  return std::lround(dbm * 500.0) * 2;
}

long toStep500(long dbm1000Value) { return std::lround(dbm1000Value / 500.0) * 500; }

// A2h byte offsets (SFF-8472 tables 9-5 and 9-11).
constexpr std::size_t kTxPowerHighAlarm = 24, kTxPowerLowAlarm = 26;
constexpr std::size_t kRxPowerHighAlarm = 32, kRxPowerLowAlarm = 34;
constexpr std::size_t kTemperature = 96, kVcc = 98, kBias = 100, kTxPower = 102, kRxPower = 104;
constexpr std::size_t kStatusControl = 110;

fs::path optics(const PluginHarness& h) { return fs::path(h.dir) / "sim" / "optics" / "pon0"; }

// Collects the names of the committed changes the engine reports. The plugin polls on a
// Host timer: waitFor() turns the harness's main loop until the change shows up.
struct ChangeLog {
  PluginHarness* harness = nullptr;
  std::vector<std::string> names;
  std::vector<std::string> values;  // values[i] is the value of names[i]
  void attach(PluginHarness& h) {
    harness = &h;
    h.engine->addChangeListener(
        [this](const std::vector<cwmpd::core::CommittedChange>& cs, Source) {
          for (const auto& c : cs) {
            names.push_back(c.name);
            values.push_back(c.value);
          }
        });
  }
  void clear() {
    names.clear();
    values.clear();
  }
  bool waitFor(const std::string& name, std::chrono::seconds deadline) {
    return harness->runUntil(
        [&] { return std::find(names.begin(), names.end(), name) != names.end(); }, deadline);
  }
  // Waits until `name` changed `count` times in all.
  bool waitForCount(const std::string& name, std::size_t count, std::chrono::seconds deadline) {
    return harness->runUntil([&] { return this->count(name) >= count; }, deadline);
  }
  [[nodiscard]] std::size_t count(const std::string& name) const {
    return static_cast<std::size_t>(std::count(names.begin(), names.end(), name));
  }
  // The values `name` took, in order.
  [[nodiscard]] std::vector<std::string> valuesOf(const std::string& name) const {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == name) out.push_back(values[i]);
    return out;
  }
};

// ------------------------------------------------------------------ TR-181

constexpr const char* kGponOfWan =
    "InternetGatewayDevice.WANDevice.1.X_CT-COM_GponInterfaceConfig.";

constexpr const char* kOi = "Device.Optical.Interface.1.";

TEST(PonPluginDevice, OpticalLevelsAreTheDecodedA2hPowers) {
  PluginHarness h("Device", {"pon"}, "[pon]\npoll_interval = 0\n");
  const Bytes a2h = readPage(optics(h) / "a2h.bin");
  const std::string oi = kOi;
  EXPECT_EQ(h.value("Device.Optical.InterfaceNumberOfEntries"), "1");
  EXPECT_EQ(h.value(oi + "Name"), "pon0");
  EXPECT_EQ(h.value(oi + "Status"), "Up");
  EXPECT_EQ(h.value(oi + "Upstream"), "true");
  EXPECT_EQ(h.value(oi + "OpticalSignalLevel"), std::to_string(dbm1000(u16(a2h, kRxPower))));
  EXPECT_EQ(h.value(oi + "TransmitOpticalLevel"), std::to_string(dbm1000(u16(a2h, kTxPower))));
  // The demo module by hand: Rx 145 x 0.1 uW = 14.5 uW = -18.386 dBm; Tx 1621.8 uW = +2.100 dBm.
  EXPECT_EQ(h.value(oi + "OpticalSignalLevel"), "-18386");
  EXPECT_EQ(h.value(oi + "TransmitOpticalLevel"), "2100");
  EXPECT_EQ(h.value(oi + "LowerOpticalThreshold"),
            std::to_string(toStep500(dbm1000(u16(a2h, kRxPowerLowAlarm)))));
  EXPECT_EQ(h.value(oi + "UpperOpticalThreshold"),
            std::to_string(toStep500(dbm1000(u16(a2h, kRxPowerHighAlarm)))));
  EXPECT_EQ(h.value(oi + "LowerTransmitPowerThreshold"),
            std::to_string(toStep500(dbm1000(u16(a2h, kTxPowerLowAlarm)))));
  EXPECT_EQ(h.value(oi + "UpperTransmitPowerThreshold"),
            std::to_string(toStep500(dbm1000(u16(a2h, kTxPowerHighAlarm)))));
  EXPECT_EQ(h.value(oi + "LowerOpticalThreshold"), "-29000");  // 1.3 uW = -28.86 dBm
  EXPECT_EQ(h.value(oi + "UpperTransmitPowerThreshold"), "6000");
}

TEST(PonPluginDevice, VendorParametersUseTheDocumentedUnits) {
  PluginHarness h("Device", {"pon"}, "[pon]\npoll_interval = 0\n");
  const Bytes a2h = readPage(optics(h) / "a2h.bin");
  const std::string oi = kOi;
  // 1/256 degC -> 0.001 degC; 100 uV -> uV; 2 uA -> uA.
  EXPECT_EQ(h.value(oi + "X_CWMPD_Temperature"),
            std::to_string(std::lround(s16(a2h, kTemperature) * 1000.0 / 256)));
  EXPECT_EQ(h.value(oi + "X_CWMPD_SupplyVoltage"), std::to_string(u16(a2h, kVcc) * 100));
  EXPECT_EQ(h.value(oi + "X_CWMPD_BiasCurrent"), std::to_string(u16(a2h, kBias) * 2));
  EXPECT_EQ(h.value(oi + "X_CWMPD_Temperature"), "42500");
  EXPECT_EQ(h.value(oi + "X_CWMPD_VendorName"), "SIMPHOTONICS");
  EXPECT_EQ(h.value(oi + "X_CWMPD_VendorPartNumber"), "SPG-3410-B+");
  EXPECT_EQ(h.value(oi + "X_CWMPD_VendorSerialNumber"), "SIM24110600042");
  EXPECT_EQ(h.value(oi + "X_CWMPD_Wavelength"), "1310");
}

TEST(PonPluginDevice, ValuesFollowTheModuleAndItsInterface) {
  PluginHarness h("Device", {"pon"}, "[pon]\npoll_interval = 0\n");
  const std::string oi = kOi;
  Bytes a2h = readPage(optics(h) / "a2h.bin");
  put16(a2h, kRxPower, 1000);  // 100 uW = -10 dBm
  writePage(optics(h) / "a2h.bin", a2h);
  EXPECT_EQ(h.value(oi + "OpticalSignalLevel"), "-10000");
  const fs::path stats = fs::path(h.dir) / "sim" / "net" / "eth0" / "statistics";
  std::ofstream(stats / "rx_bytes") << "987654321\n";
  EXPECT_EQ(h.value(oi + "Stats.BytesReceived"), "987654321");
  // Loss of signal takes the interface down; an empty cage is NotPresent.
  a2h.at(kStatusControl) |= 0x02;
  writePage(optics(h) / "a2h.bin", a2h);
  EXPECT_EQ(h.value(oi + "Status"), "Down");
  fs::remove(optics(h) / "a0h.bin");
  EXPECT_EQ(h.value(oi + "Status"), "NotPresent");
  EXPECT_EQ(h.value(oi + "OpticalSignalLevel"), "-65536");
  EXPECT_EQ(h.value(oi + "X_CWMPD_VendorName"), "");
}

TEST(PonPluginDevice, EthernetInterfaceOfTheModuleNamesItAsLowerLayer) {
  PluginHarness h("Device", {"wan", "pon"}, "[pon]\npoll_interval = 0\n");
  EXPECT_EQ(h.value("Device.Optical.InterfaceNumberOfEntries"), "1");
  EXPECT_EQ(h.value(std::string(kOi) + "Name"), "pon0");
  // pon0 feeds eth0 (sim/optics/pon0/netdev), the first Ethernet interface.
  EXPECT_EQ(h.value("Device.Ethernet.Interface.1.Name"), "eth0");
  EXPECT_EQ(h.value("Device.Ethernet.Interface.1.LowerLayers"), "Device.Optical.Interface.1");
  EXPECT_EQ(h.value("Device.Ethernet.Interface.2.LowerLayers"), "");
}

TEST(PonPluginDevice, EnableCannotBeTurnedOff) {
  PluginHarness h("Device", {"pon"}, "[pon]\npoll_interval = 0\n");
  EXPECT_EQ(h.value(std::string(kOi) + "Enable"), "true");
  try {
    h.engine->setValues({{std::string(kOi) + "Enable", "false"}}, Source::Acs);
    FAIL() << "Enable=false was accepted";
  } catch (const cwmpd::core::SetFault& f) {
    EXPECT_EQ(f.code(), 9007);
  }
  EXPECT_EQ(h.value(std::string(kOi) + "Enable"), "true");
}

TEST(PonPluginDevice, CrossingTheRxThresholdRaisesAValueChange) {
  ChangeLog log;
  PluginHarness h("Device", {"pon"}, "[pon]\npoll_interval = 0.05\n");
  log.attach(h);
  const Bytes original = readPage(optics(h) / "a2h.bin");
  Bytes a2h = original;
  ASSERT_GT(u16(a2h, kRxPowerLowAlarm), 5u);
  put16(a2h, kRxPower, 5);  // 0.5 uW: below the low Rx power alarm
  writePage(optics(h) / "a2h.bin", a2h);
  EXPECT_TRUE(log.waitFor(std::string(kOi) + "OpticalSignalLevel", std::chrono::seconds(20)));
  EXPECT_TRUE(log.waitFor(std::string(kOi) + "Status", std::chrono::seconds(20)));
  // Leaving the alarm band is a change too.
  log.clear();
  writePage(optics(h) / "a2h.bin", original);
  EXPECT_TRUE(log.waitFor(std::string(kOi) + "OpticalSignalLevel", std::chrono::seconds(20)));
}

TEST(PonPluginDevice, EnteringTheTxAlarmBandRaisesAValueChange) {
  ChangeLog log;
  const std::string hot = "[pon]\npoll_interval = 0.05\n";
  PluginHarness h("Device", {"pon"}, hot);
  log.attach(h);
  Bytes a2h = readPage(optics(h) / "a2h.bin");
  put16(a2h, kTxPower, u16(a2h, kTxPowerHighAlarm) + 100);  // above the high Tx alarm
  writePage(optics(h) / "a2h.bin", a2h);
  EXPECT_TRUE(log.waitFor(std::string(kOi) + "TransmitOpticalLevel", std::chrono::seconds(20)));
}

TEST(PonPluginDevice, NoPollingWhenTheIntervalIsZero) {
  ChangeLog log;
  PluginHarness h("Device", {"pon"}, "[pon]\npoll_interval = 0\n");
  log.attach(h);
  Bytes a2h = readPage(optics(h) / "a2h.bin");
  put16(a2h, kRxPower, 5);
  writePage(optics(h) / "a2h.bin", a2h);
  EXPECT_FALSE(log.waitFor(std::string(kOi) + "OpticalSignalLevel", std::chrono::seconds(1)));
  // Reading still shows the live value.
  EXPECT_EQ(h.value(std::string(kOi) + "Status"), "Down");
}

TEST(PonPluginDevice, InstanceNumbersSurviveARestart) {
  const cwmpd::testing::SimStateDir state;
  const fs::path& dir = state.path;
  fs::copy(dir / "sim/optics/pon0", dir / "sim/optics/pon1");
  std::string pon1Row;
  {
    PluginHarness h("Device", {"pon"}, "[pon]\npoll_interval = 0\n", dir.string());
    EXPECT_EQ(h.value("Device.Optical.InterfaceNumberOfEntries"), "2");
    pon1Row = h.value("Device.Optical.Interface.2.Name") == "pon1" ? "2" : "1";
  }
  fs::remove_all(dir / "sim/optics/pon0");
  {
    PluginHarness h("Device", {"pon"}, "[pon]\npoll_interval = 0\n", dir.string());
    EXPECT_EQ(h.value("Device.Optical.InterfaceNumberOfEntries"), "1");
    EXPECT_EQ(h.value("Device.Optical.Interface." + pon1Row + ".Name"), "pon1");
  }
}

TEST(PonPluginDevice, WorksWithoutTransceivers) {
  const cwmpd::testing::SimStateDir state;
  const fs::path& dir = state.path;
  fs::remove_all(dir / "sim/optics");
  fs::create_directories(dir / "sim/optics");
  {
    PluginHarness h("Device", {"pon"}, "", dir.string());
    EXPECT_EQ(h.value("Device.Optical.InterfaceNumberOfEntries"), "0");
  }
  {
    PluginHarness h("InternetGatewayDevice", {"wan", "pon"}, "", dir.string());
    EXPECT_EQ(h.value(std::string(kGponOfWan) + "Status"), "Error");
    EXPECT_EQ(h.value(std::string(kGponOfWan) + "RXPower"), "0");
  }
}

// Issue 13 item 15: "X CT-COM BIND" is the pon plugin's, under both roots, so that
// `cwmpctl inform "X CT-COM BIND"` works out of the box.
TEST(PonPluginDevice, DeclaresTheCtComBindVendorEventUnderBothRoots) {
  for (const char* root : {"Device", "InternetGatewayDevice"}) {
    PluginHarness h(root, {"wan", "pon"}, "[pon]\npoll_interval = 0\n");
    EXPECT_TRUE(h.engine->vendorEvents().count("X CT-COM BIND")) << root;
  }
}

// ------------------------------------------------------------------ TR-098

constexpr const char* kGpon = kGponOfWan;

TEST(PonPluginIgd, GponObjectSitsOnTheWanDeviceInRawUnits) {
  PluginHarness h("InternetGatewayDevice", {"wan", "pon"}, "[pon]\npoll_interval = 0\n");
  const Bytes a2h = readPage(optics(h) / "a2h.bin");
  const std::string g = kGpon;
  EXPECT_EQ(h.value("InternetGatewayDevice.WANDeviceNumberOfEntries"), "1");
  EXPECT_EQ(
      h.value("InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.Name"),
      "eth0");
  EXPECT_EQ(h.value(g + "Status"), "Up");
  EXPECT_EQ(h.value(g + "RXPower"), std::to_string(u16(a2h, kRxPower)));
  EXPECT_EQ(h.value(g + "TXPower"), std::to_string(u16(a2h, kTxPower)));
  EXPECT_EQ(h.value(g + "SupplyVoltage"), std::to_string(u16(a2h, kVcc)));
  EXPECT_EQ(h.value(g + "Temperature"), std::to_string(s16(a2h, kTemperature)));
  EXPECT_EQ(h.value(g + "BiasCurrent"), std::to_string(u16(a2h, kBias)));
  Bytes los = a2h;
  los.at(kStatusControl) |= 0x02;
  writePage(optics(h) / "a2h.bin", los);
  EXPECT_EQ(h.value(g + "Status"), "NoSignal");
}

TEST(PonPluginIgd, RxAlarmRaisesAValueChangeOnRxPower) {
  ChangeLog log;
  PluginHarness h("InternetGatewayDevice", {"wan", "pon"}, "[pon]\npoll_interval = 0.05\n");
  log.attach(h);
  Bytes a2h = readPage(optics(h) / "a2h.bin");
  put16(a2h, kRxPower, 5);
  writePage(optics(h) / "a2h.bin", a2h);
  EXPECT_TRUE(log.waitFor(std::string(kGpon) + "RXPower", std::chrono::seconds(20)));
}

// ------------------------------------------------------------------ the ONU (issue 16)

fs::path onuIni(const fs::path& sim) { return sim / "pon" / "onu.ini"; }

// Rewrites keys of the sim's onu.ini (atomically, as the HAL reads it at any time).
void setOnu(const fs::path& sim, const std::map<std::string, std::string>& kv) {
  std::ifstream in(onuIni(sim));
  std::ostringstream out;
  std::map<std::string, std::string> left = kv;
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find(" = ");
    const std::string key = eq == std::string::npos ? "" : line.substr(0, eq);
    if (!key.empty() && left.count(key)) {
      out << key << " = " << left[key] << "\n";
      left.erase(key);
    } else {
      out << line << "\n";
    }
  }
  for (const auto& [k, v] : left) out << k << " = " << v << "\n";
  const fs::path tmp = onuIni(sim).string() + ".tmp";
  std::ofstream(tmp) << out.str();
  fs::rename(tmp, onuIni(sim));
}

fs::path simOf(const PluginHarness& h) { return fs::path(h.dir) / "sim"; }

constexpr const char* kOnu = "Device.XPON.ONU.1.";
constexpr const char* kAni = "Device.XPON.ONU.1.ANI.1.";
constexpr const char* kState = "Device.XPON.ONU.1.ANI.1.TC.ONUActivation.ONUState";
constexpr const char* kAlarms = "Device.XPON.ONU.1.ANI.1.TC.Alarms.";
constexpr const char* kUserInfo181 = "Device.X_CT-COM_UserInfo.";
constexpr const char* kUserInfo098 = "InternetGatewayDevice.X_CT-COM_UserInfo.";
constexpr const char* kBind = "X CT-COM BIND";

// The harness's directory holds the store and the plugins' own directories (BIND state).
std::string fast(const fs::path&) { return "[pon]\npoll_interval = 0.05\n"; }

TEST(PonOnuDevice, TheXponTreeShowsTheHalsOnu) {
  PluginHarness h("Device", {"pon"}, "[pon]\npoll_interval = 0\n");
  const std::string onu = kOnu, ani = kAni;
  EXPECT_EQ(h.value("Device.XPON.ONUNumberOfEntries"), "1");
  EXPECT_EQ(h.value(onu + "Enable"), "true");
  EXPECT_EQ(h.value(onu + "Version"), "1.0");
  EXPECT_EQ(h.value(onu + "EquipmentID"), "SIM-ONT-4000");
  EXPECT_EQ(h.value(onu + "ANINumberOfEntries"), "1");
  EXPECT_EQ(h.value(ani + "Status"), "Up");
  EXPECT_EQ(h.value(ani + "PONMode"), "G-PON");
  EXPECT_EQ(h.value(kState), "O5");
  EXPECT_EQ(h.value(ani + "TC.ONUActivation.VendorID"), "SIMC");
  EXPECT_EQ(h.value(ani + "TC.ONUActivation.SerialNumber"), "SIMC00000001");
  EXPECT_EQ(h.value(ani + "TC.ONUActivation.ONUID"), "1");
  EXPECT_EQ(h.value(ani + "TC.PM.PHY.CorrectedFECBytes"), "1024");
  EXPECT_EQ(h.value(ani + "TC.PM.PHY.TotalFECCodewords"), "1000000");
  EXPECT_EQ(h.value(ani + "TC.PM.GEM.FramesReceived"), "7000");
  EXPECT_EQ(h.value(ani + "TC.PM.PLOAM.RangingTime"), "6400");
  EXPECT_EQ(h.value(ani + "TC.PM.OMCI.BaselineMessagesReceived"), "210");
  EXPECT_EQ(h.value(ani + "TC.PerformanceThresholds.SignalFail"), "5");
  EXPECT_EQ(h.value(ani + "TC.PerformanceThresholds.SignalDegrade"), "9");
  EXPECT_EQ(h.value(std::string(kAlarms) + "LOS"), "false");
  EXPECT_EQ(h.value(std::string(kAlarms) + "SF"), "false");
  // GEM ports and user ports are rows, keyed by port ID and interface name.
  EXPECT_EQ(h.value(ani + "TC.GEM.PortNumberOfEntries"), "2");
  EXPECT_EQ(h.value(ani + "TC.GEM.Port.1.PortID"), "1025");
  EXPECT_EQ(h.value(ani + "TC.GEM.Port.1.Direction"), "bidirectional");
  EXPECT_EQ(h.value(ani + "TC.GEM.Port.2.PortType"), "multicast");
  EXPECT_EQ(h.value(ani + "TC.GEM.Port.2.PM.FramesReceived"), "1000");
  EXPECT_EQ(h.value(onu + "EthernetUNINumberOfEntries"), "3");
  EXPECT_EQ(h.value(onu + "EthernetUNI.1.Name"), "eth1");
  EXPECT_EQ(h.value(onu + "EthernetUNI.3.Name"), "eth3");
  EXPECT_EQ(h.value(onu + "EthernetUNI.1.ANIs"), "Device.XPON.ONU.1.ANI.1");
  std::ofstream(simOf(h) / "net" / "eth2" / "statistics" / "rx_bytes") << "4242\n";
  EXPECT_EQ(h.value(onu + "EthernetUNI.2.Stats.BytesReceived"), "4242");
  // The ANI's module, from the SFF-8472 pages: Rx -18.386 dBm is -184 in 0.1 dBm.
  EXPECT_EQ(h.value(ani + "TransceiverNumberOfEntries"), "1");
  EXPECT_EQ(h.value(ani + "Transceiver.1.VendorName"), "SIMPHOTONICS");
  EXPECT_EQ(h.value(ani + "Transceiver.1.RxPower"), "-184");
  EXPECT_EQ(h.value(ani + "Transceiver.1.TxPower"), "21");
  EXPECT_EQ(h.value(ani + "Transceiver.1.Temperature"), "43");  // 42.5 degC rounded
  // SoftwareImage from the HAL's firmware banks (the sim box has one, active).
  EXPECT_EQ(h.value(onu + "SoftwareImageNumberOfEntries"), "1");
  EXPECT_EQ(h.value(onu + "SoftwareImage.1.ID"), "0");
  EXPECT_EQ(h.value(onu + "SoftwareImage.1.Version"), "0.1.0-sim");
  EXPECT_EQ(h.value(onu + "SoftwareImage.1.IsActive"), "true");
  EXPECT_EQ(h.value(onu + "SoftwareImage.1.IsValid"), "true");
  // No LOID yet: registration not started.
  EXPECT_EQ(h.value(std::string(kUserInfo181) + "Status"), "6");
  EXPECT_EQ(h.value(std::string(kUserInfo181) + "Result"), "0");
  EXPECT_EQ(h.value(std::string(kUserInfo181) + "Progress"), "80");
}

TEST(PonOnuDevice, WithoutAnOnuThereIsNoXponRow) {
  const cwmpd::testing::SimStateDir state;
  fs::remove_all(state.sim() / "pon");
  PluginHarness h("Device", {"pon"}, "[pon]\npoll_interval = 0\n", state.path.string());
  EXPECT_EQ(h.value("Device.XPON.ONUNumberOfEntries"), "0");
  EXPECT_EQ(h.value(std::string(kUserInfo181) + "Status"), "6");
}

TEST(PonOnuDevice, ABrokenOnuFileNeverFaultsAReadOrStopsThePoll) {
  ChangeLog log;
  const cwmpd::testing::SimStateDir state;
  PluginHarness h("Device", {"pon"}, fast(state.path), state.path.string());
  log.attach(h);
  std::ofstream(onuIni(state.sim())) << "state = O42\n";
  EXPECT_NO_THROW((void)h.value(kState));
  std::ofstream(onuIni(state.sim())) << "state = O3\n";
  EXPECT_TRUE(log.waitFor(kState, std::chrono::seconds(20)));
}

TEST(PonOnuDevice, PasswordsGoToTheOnuAndReadBackEmpty) {
  PluginHarness h("Device", {"pon"}, "[pon]\npoll_interval = 0\n");
  const std::string auth = std::string(kAni) + "TC.Authentication.";
  ASSERT_EQ(h.setFaultCode(auth + "Password", "ploam-secret"), 0);
  EXPECT_EQ(h.value(auth + "Password"), "");
  ASSERT_EQ(h.setFaultCode(std::string(kUserInfo181) + "UserName", "LOID-0001"), 0);
  ASSERT_EQ(h.setFaultCode(std::string(kUserInfo181) + "Password", "loid-secret"), 0);
  EXPECT_EQ(h.value(std::string(kUserInfo181) + "UserName"), "LOID-0001");
  EXPECT_EQ(h.value(std::string(kUserInfo181) + "Password"), "");
  std::ifstream in(simOf(h) / "pon" / "credentials.ini");
  std::stringstream creds;
  creds << in.rdbuf();
  EXPECT_NE(creds.str().find("loid = LOID-0001\n"), std::string::npos) << creds.str();
  EXPECT_NE(creds.str().find("loid_password = loid-secret\n"), std::string::npos);
  EXPECT_NE(creds.str().find("password = ploam-secret\n"), std::string::npos);
  // The ONU authenticates anew: in progress, no result yet.
  EXPECT_EQ(h.value(std::string(kUserInfo181) + "Status"), "1");
  EXPECT_EQ(h.value(std::string(kUserInfo181) + "Result"), "0");
}

TEST(PonOnuDevice, EachActivationStepIsOneValueChange) {
  ChangeLog log;
  const cwmpd::testing::SimStateDir state;
  setOnu(state.sim(), {{"state", "O1"}, {"onu_id", ""}});
  PluginHarness h("Device", {"pon"}, fast(state.path), state.path.string());
  log.attach(h);
  EXPECT_EQ(h.value(std::string(kAni) + "Status"), "Down");
  std::size_t n = 0;
  for (const char* s : {"O2", "O3", "O4", "O5"}) {
    setOnu(state.sim(), {{"state", s}});
    ASSERT_TRUE(log.waitForCount(kState, ++n, std::chrono::seconds(20))) << s;
  }
  EXPECT_EQ(log.valuesOf(kState), (std::vector<std::string>{"O2", "O3", "O4", "O5"}));
  EXPECT_EQ(log.valuesOf(std::string(kAni) + "Status"),
            (std::vector<std::string>{"Dormant", "Up"}));
}

TEST(PonOnuDevice, BindOnceAfterALoidChangeNotAfterARestart) {
  const cwmpd::testing::SimStateDir state;
  setOnu(state.sim(), {{"state", "O1"}});
  const std::string ui = kUserInfo181;
  {
    ChangeLog log;
    PluginHarness h("Device", {"pon"}, fast(state.path), state.path.string());
    log.attach(h);
    ASSERT_EQ(h.setFaultCode(ui + "UserName", "LOID-0001"), 0);
    EXPECT_EQ(h.value(ui + "Status"), "1");
    setOnu(state.sim(), {{"state", "O5"}, {"loid_auth", "success"}});
    ASSERT_TRUE(h.runUntil([&] { return !h.events.empty(); }, std::chrono::seconds(20)));
    EXPECT_EQ(h.events, (std::vector<std::string>{kBind}));
    EXPECT_EQ(log.valuesOf(ui + "Status"), (std::vector<std::string>{"0"}));
    EXPECT_EQ(log.valuesOf(ui + "Result"), (std::vector<std::string>{"1"}));
    EXPECT_EQ(h.value(ui + "Progress"), "100");
    // Still registered on later polls: no second BIND (a LOS toggle marks later polls).
    setOnu(state.sim(), {{"alarms", "lof"}});
    ASSERT_TRUE(log.waitFor(std::string(kAlarms) + "LOF", std::chrono::seconds(20)));
    EXPECT_EQ(h.events.size(), 1u);
  }
  {
    // An ordinary restart, the ONU registered all along: no BIND.
    ChangeLog log;
    PluginHarness h("Device", {"pon"}, fast(state.path), state.path.string());
    log.attach(h);
    setOnu(state.sim(), {{"alarms", ""}});
    ASSERT_TRUE(log.waitFor(std::string(kAlarms) + "LOF", std::chrono::seconds(20)));
    EXPECT_TRUE(h.events.empty());
    // A new LOID: the ONU authenticates again, and its success is a new BIND.
    ASSERT_EQ(h.setFaultCode(ui + "UserName", "LOID-0002"), 0);
    EXPECT_EQ(h.value(ui + "Status"), "1");
    setOnu(state.sim(), {{"loid_auth", "success"}});
    ASSERT_TRUE(h.runUntil([&] { return !h.events.empty(); }, std::chrono::seconds(20)));
    EXPECT_EQ(h.events, (std::vector<std::string>{kBind}));
  }
}

// Issue 16: the first registration after a factory reset is a BIND, even with the LOID
// the ACS had set before (it provisions the same one again): the reset wipes the store and,
// with it, the plugin's directory that remembers the last BIND.
TEST(PonOnuDevice, AFactoryResetMakesTheSameLoidBindAgain) {
  const cwmpd::testing::SimStateDir state;
  setOnu(state.sim(), {{"state", "O1"}});
  const std::string ui = kUserInfo181;
  auto registerWith = [&](PluginHarness& h, const std::string& loid) {
    setOnu(state.sim(), {{"state", "O1"}, {"loid_auth", "none"}});
    ASSERT_EQ(h.setFaultCode(ui + "UserName", loid), 0);
    setOnu(state.sim(), {{"state", "O5"}, {"loid_auth", "success"}});
    ASSERT_TRUE(h.runUntil([&] { return !h.events.empty(); }, std::chrono::seconds(20)));
  };
  {
    PluginHarness h("Device", {"pon"}, fast(state.path), state.path.string());
    registerWith(h, "LOID-0001");
    EXPECT_EQ(h.events, (std::vector<std::string>{kBind}));
    EXPECT_TRUE(fs::exists(state.path / "plugins" / "pon"));
    h.store->wipe();  // the FactoryReset RPC's wipe, then the reboot
  }
  EXPECT_FALSE(fs::exists(state.path / "plugins" / "pon"));
  // Unregistered through the reboot: the BIND to come is that of the LOID set again.
  setOnu(state.sim(), {{"state", "O1"}, {"loid_auth", "none"}});
  {
    PluginHarness h("Device", {"pon"}, fast(state.path), state.path.string());
    registerWith(h, "LOID-0001");
    EXPECT_EQ(h.events, (std::vector<std::string>{kBind}));
  }
}

TEST(PonOnuDevice, AFailedRegistrationSaysWhy) {
  PluginHarness h("Device", {"pon"}, "[pon]\npoll_interval = 0\n");
  const std::string ui = kUserInfo181;
  ASSERT_EQ(h.setFaultCode(ui + "UserName", "LOID-0001"), 0);
  for (const auto& [auth, status] :
       std::vector<std::pair<std::string, std::string>>{{"loid_unknown", "2"},
                                                        {"password_wrong", "3"},
                                                        {"loid_conflict", "4"},
                                                        {"timeout", "5"}}) {
    setOnu(simOf(h), {{"loid_auth", auth}});
    EXPECT_EQ(h.value(ui + "Status"), status) << auth;
    EXPECT_EQ(h.value(ui + "Result"), "2") << auth;
  }
  EXPECT_TRUE(h.events.empty());
}

TEST(PonOnuDevice, LosRaisedAndClearedAreOneValueChangeEach) {
  ChangeLog log;
  const cwmpd::testing::SimStateDir state;
  PluginHarness h("Device", {"pon"}, fast(state.path), state.path.string());
  log.attach(h);
  const std::string los = std::string(kAlarms) + "LOS", lof = std::string(kAlarms) + "LOF";
  setOnu(state.sim(), {{"alarms", "los"}});
  ASSERT_TRUE(log.waitForCount(los, 1, std::chrono::seconds(20)));
  // Polls go on (LOF marks a later one); LOS stays raised without another change.
  setOnu(state.sim(), {{"alarms", "los,lof"}});
  ASSERT_TRUE(log.waitForCount(lof, 1, std::chrono::seconds(20)));
  setOnu(state.sim(), {{"alarms", "lof"}});
  ASSERT_TRUE(log.waitForCount(los, 2, std::chrono::seconds(20)));
  setOnu(state.sim(), {{"alarms", ""}});
  ASSERT_TRUE(log.waitForCount(lof, 2, std::chrono::seconds(20)));
  EXPECT_EQ(log.valuesOf(los), (std::vector<std::string>{"true", "false"}));
  EXPECT_EQ(h.value(los), "false");
}

// The demo module's Rx power thresholds (config/sim/make-optics.py): low alarm -29 dBm
// (13 x 0.1 uW), low warning -28 dBm (16). SF: raised below the alarm, cleared at the
// warning; SD: raised below the warning, cleared 1 dB above it (-27 dBm, 20).
TEST(PonOnuDevice, RxPowerBelowSignalFailIsOneChangeWithHysteresis) {
  ChangeLog log;
  const cwmpd::testing::SimStateDir state;
  PluginHarness h("Device", {"pon"}, fast(state.path), state.path.string());
  log.attach(h);
  const fs::path a2hPath = state.sim() / "optics" / "pon0" / "a2h.bin";
  const Bytes original = readPage(a2hPath);
  ASSERT_EQ(u16(original, kRxPowerLowAlarm), 13u);
  ASSERT_EQ(u16(original, 38), 16u);  // low Rx power warning
  const std::string sf = std::string(kAlarms) + "SF", sd = std::string(kAlarms) + "SD";
  const std::string lof = std::string(kAlarms) + "LOF";
  auto rx = [&](unsigned v) {
    Bytes a2h = original;
    put16(a2h, kRxPower, v);
    writePage(a2hPath, a2h);
  };
  std::size_t marks = 0;
  auto mark = [&] {  // an unrelated change: every poll before it has been seen
    setOnu(state.sim(), {{"alarms", marks % 2 == 0 ? "lof" : ""}});
    return log.waitForCount(lof, ++marks, std::chrono::seconds(20));
  };
  rx(5);  // below the alarm
  ASSERT_TRUE(log.waitForCount(sf, 1, std::chrono::seconds(20)));
  rx(14);  // above the alarm, below the warning: SF holds
  ASSERT_TRUE(mark());
  rx(12);
  ASSERT_TRUE(mark());
  rx(14);
  ASSERT_TRUE(mark());
  EXPECT_EQ(log.count(sf), 1u);
  rx(18);  // at the warning: SF clears, SD holds
  ASSERT_TRUE(log.waitForCount(sf, 2, std::chrono::seconds(20)));
  rx(15);
  ASSERT_TRUE(mark());
  rx(18);
  ASSERT_TRUE(mark());
  EXPECT_EQ(log.count(sd), 1u);
  rx(100);  // well above: SD clears
  ASSERT_TRUE(log.waitForCount(sd, 2, std::chrono::seconds(20)));
  ASSERT_TRUE(mark());
  EXPECT_EQ(log.valuesOf(sf), (std::vector<std::string>{"true", "false"}));
  EXPECT_EQ(log.valuesOf(sd), (std::vector<std::string>{"true", "false"}));
}

TEST(PonOnuIgd, GponObjectAndUserInfoCarryTheOnu) {
  ChangeLog log;
  const cwmpd::testing::SimStateDir state;
  PluginHarness h("InternetGatewayDevice", {"wan", "pon"}, fast(state.path), state.path.string());
  log.attach(h);
  const std::string g = kGponOfWan, ui = kUserInfo098;
  EXPECT_EQ(h.value(g + "ONUState"), "O5");
  EXPECT_EQ(h.value(g + "ONUID"), "1");
  EXPECT_EQ(h.value(g + "LOS"), "false");
  EXPECT_EQ(h.value(g + "Stats.TotalFECCodewords"), "1000000");
  EXPECT_EQ(h.value(g + "Stats.OMCIMessagesReceived"), "210");
  EXPECT_EQ(h.value(ui + "Status"), "6");
  ASSERT_EQ(h.setFaultCode(ui + "UserName", "LOID-0098"), 0);
  ASSERT_EQ(h.setFaultCode(ui + "Password", "pw"), 0);
  EXPECT_EQ(h.value(ui + "Password"), "");
  EXPECT_EQ(h.value(ui + "Status"), "1");
  setOnu(state.sim(), {{"state", "O4"}});
  ASSERT_TRUE(log.waitFor(g + "ONUState", std::chrono::seconds(20)));
  setOnu(state.sim(), {{"state", "O5"}, {"loid_auth", "success"}, {"alarms", "los"}});
  ASSERT_TRUE(h.runUntil([&] { return !h.events.empty(); }, std::chrono::seconds(20)));
  EXPECT_EQ(h.events, (std::vector<std::string>{kBind}));
  EXPECT_EQ(h.value(ui + "Status"), "0");
  EXPECT_EQ(h.value(ui + "Result"), "1");
  EXPECT_EQ(log.valuesOf(g + "ONUState"), (std::vector<std::string>{"O4", "O5"}));
  EXPECT_EQ(log.valuesOf(g + "LOS"), (std::vector<std::string>{"true"}));
}

}  // namespace
