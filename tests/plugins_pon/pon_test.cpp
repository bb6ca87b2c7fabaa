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
  void attach(PluginHarness& h) {
    harness = &h;
    h.engine->addChangeListener([this](const std::vector<cwmpd::core::CommittedChange>& cs, Source) {
      for (const auto& c : cs) names.push_back(c.name);
    });
  }
  void clear() { names.clear(); }
  bool waitFor(const std::string& name, std::chrono::seconds deadline) {
    return harness->runUntil([&] { return std::find(names.begin(), names.end(), name) != names.end(); },
                             deadline);
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

}  // namespace
