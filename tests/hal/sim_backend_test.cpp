// The sim backend on a private copy of the demo data (config/sim).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>

#include "cwmpd/hal/factory.hpp"
#include "hal_test_util.hpp"

namespace cwmpd::hal {
namespace {

using test::copyDemoSim;
using test::slurp;
using test::spit;
using test::TempDir;
namespace fs = std::filesystem;

class SimBackend : public ::testing::Test {
 protected:
  void SetUp() override {
    sim_ = copyDemoSim(tmp_);
    HalConfig c;
    c.backend = "sim";
    c.simDir = sim_.string();
    c.hooks.reboot = [this] { ++reboots_; };
    c.hooks.factoryReset = [this] { ++resets_; };
    c.hooks.firmwareApplied = [this](const std::string& p) { firmware_ = p; };
    hal_ = makeHal(c);
  }
  TempDir tmp_;
  fs::path sim_;
  std::unique_ptr<Hal> hal_;
  int reboots_ = 0, resets_ = 0;
  std::string firmware_;
};

template <typename T>
concept HasPassphrase = requires(T a) {
  a.passphrase;
};

std::uint64_t readCount(const fs::path& p) {
  std::error_code ec;
  if (!fs::exists(p, ec)) return 0;
  return std::stoull(slurp(p));
}

TEST(SimFactory, RefusesAMissingSimDirAndAnUnknownBackend) {
  HalConfig c;
  c.backend = "sim";
  c.simDir = "/nonexistent/cwmpd-sim";
  EXPECT_THROW((void)makeHal(c), HalError);
  c.backend = "vxworks";
  EXPECT_THROW((void)makeHal(c), HalError);
}

// CMake option CWMPD_HAL_BACKENDS (default linux;sim, what the tests need): a box's build
// leaves the sim backend out, and a configuration that names it is told so, not "unknown".
TEST(HalFactory, SaysWhichBackendABuildLeavesOut) {
  EXPECT_EQ(builtBackends(), (std::vector<std::string>{"linux", "sim"}));
  EXPECT_EQ(backendError("sim"), "");
  EXPECT_EQ(backendError("linux"), "");
  EXPECT_EQ(backendError("vxworks"), "must be linux or sim");
  const std::vector<std::string> box{"linux"};
  EXPECT_EQ(backendError("linux", box), "");
  EXPECT_EQ(backendError("sim", box),
            "must be linux (this build leaves the sim backend out: CMake option "
            "CWMPD_HAL_BACKENDS)");
  EXPECT_EQ(backendError("vxworks", box), "must be linux");
  HalConfig c;
  c.backend = "vxworks";
  try {
    (void)makeHal(c);
    ADD_FAILURE() << "no HalError";
  } catch (const HalError& e) {
    EXPECT_STREQ(e.what(), "hal: backend must be linux or sim, got 'vxworks'");
  }
}

TEST_F(SimBackend, ListsTheDemoInterfacesWithTheirFileValues) {
  auto& net = hal_->network();
  EXPECT_EQ(net.interfaces(), (std::vector<std::string>{"eth0", "eth1", "eth2", "eth3"}));
  const InterfaceInfo eth0 = net.info("eth0");
  EXPECT_EQ(eth0.kind, InterfaceKind::Ethernet);
  EXPECT_EQ(eth0.mac, test::slurp(sim_ / "net/eth0/address").substr(0, 17));
  EXPECT_EQ(eth0.mtu, 1500u);
  EXPECT_EQ(eth0.status, OperStatus::Up);
  EXPECT_TRUE(eth0.enabled);
  EXPECT_EQ(eth0.speedMbps, 1000u);
  EXPECT_EQ(eth0.duplex, Duplex::Full);
  const InterfaceInfo eth2 = net.info("eth2");
  EXPECT_EQ(eth2.status, OperStatus::Down);
  EXPECT_FALSE(eth2.speedMbps.has_value());
  EXPECT_THROW((void)net.info("eth9"), HalError);
  EXPECT_THROW((void)net.info("../net"), HalError);
}

// The one upstream-interface rule the wan and pon plugins share (issue 14 item 6).
TEST_F(SimBackend, UpstreamInterfaceIsTheConfiguredOneElseTheFirstEthernetByName) {
  auto& net = hal_->network();
  EXPECT_EQ(upstreamInterface(net, ""), "eth0");
  // The setting wins, even over an interface the box does not have (yet).
  EXPECT_EQ(upstreamInterface(net, "eth2"), "eth2");
  EXPECT_EQ(upstreamInterface(net, "pon0"), "pon0");
  // Not Ethernet: skipped; the next Ethernet one by name.
  spit(sim_ / "net/eth0/kind", "bridge\n");
  spit(sim_ / "net/eth1/kind", "wifi\n");
  EXPECT_EQ(upstreamInterface(net, ""), "eth2");
  spit(sim_ / "net/eth2/kind", "ppp\n");
  spit(sim_ / "net/eth3/kind", "loopback\n");
  EXPECT_EQ(upstreamInterface(net, ""), "");
}

TEST_F(SimBackend, ReadsCountersAndDerivesUnicastFromThem) {
  spit(sim_ / "net/eth1/statistics/rx_packets", "1000\n");
  spit(sim_ / "net/eth1/statistics/multicast", "100\n");
  spit(sim_ / "net/eth1/statistics/rx_broadcast", "50\n");
  spit(sim_ / "net/eth1/statistics/tx_bytes", "18446744073709551615\n");  // 2^64-1
  const InterfaceCounters c = hal_->network().counters("eth1");
  EXPECT_EQ(c.packetsReceived, 1000u);
  EXPECT_EQ(c.multicastPacketsReceived, 100u);
  EXPECT_EQ(c.broadcastPacketsReceived, 50u);
  EXPECT_EQ(c.unicastPacketsReceived, 850u);
  EXPECT_EQ(c.bytesSent, 18446744073709551615ull);
}

TEST_F(SimBackend, ReadsAddressesAndDnsServers) {
  EXPECT_EQ(hal_->network().ipv4Addresses("eth0"), (std::vector<IpAddress>{{"198.51.100.23", 24}}));
  const auto v6 = hal_->network().ipv6Addresses("eth0");
  ASSERT_EQ(v6.size(), 2u);
  EXPECT_EQ(v6[0], (IpAddress{"2001:db8:100::23", 64}));
  EXPECT_TRUE(hal_->network().ipv4Addresses("eth2").empty());
  EXPECT_EQ(hal_->network().dnsServers(), (std::vector<std::string>{"192.0.2.53", "2001:db8::53"}));
}

TEST_F(SimBackend, InterfaceConfigurationRoundTripsThroughTheFiles) {
  auto& net = hal_->network();
  InterfaceConfig c;
  c.enabled = false;
  c.mtu = 1492;
  c.staticIpv4 = std::vector<IpAddress>{{"192.168.7.1", 24}, {"10.0.0.1", 8}};
  net.configure("eth1", c);
  const InterfaceInfo i = net.info("eth1");
  EXPECT_FALSE(i.enabled);
  EXPECT_EQ(i.status, OperStatus::Down);
  EXPECT_EQ(i.mtu, 1492u);
  EXPECT_EQ(net.ipv4Addresses("eth1"), *c.staticIpv4);
  EXPECT_EQ(slurp(sim_ / "net/eth1/mtu"), "1492\n");

  net.setDnsServers({"9.9.9.9"});
  EXPECT_EQ(net.dnsServers(), std::vector<std::string>{"9.9.9.9"});
  // The comment of the demo resolv.conf survives.
  EXPECT_NE(slurp(sim_ / "resolv.conf").find("# DNS servers"), std::string::npos);
}

TEST_F(SimBackend, RefusesABadInterfaceBatchWithoutChangingAnything) {
  InterfaceConfig c;
  c.mtu = 9000;
  c.staticIpv4 = std::vector<IpAddress>{{"300.1.2.3", 24}};
  EXPECT_THROW(hal_->network().configure("eth1", c), HalError);
  EXPECT_EQ(hal_->network().info("eth1").mtu, 1500u);
  c.staticIpv4.reset();
  c.mtu = 20;
  EXPECT_THROW(hal_->network().configure("eth1", c), HalError);
  EXPECT_THROW(hal_->network().setDnsServers({"not-an-address"}), HalError);
}

TEST_F(SimBackend, DecodesTheDemoPonTransceiver) {
  auto& optics = hal_->optics();
  EXPECT_EQ(optics.transceivers(), std::vector<std::string>{"pon0"});
  const TransceiverStatus s = optics.status("pon0");
  ASSERT_TRUE(s.present);
  EXPECT_EQ(s.netdev, "eth0");
  EXPECT_EQ(s.identity.vendorName, "SIMPHOTONICS");
  EXPECT_EQ(s.identity.wavelengthNm, 1310);
  EXPECT_EQ(s.identity.calibration, sff8472::Calibration::Internal);
  EXPECT_TRUE(s.identity.baseChecksumOk);
  ASSERT_TRUE(s.diagnostics.has_value());
  // make-optics.py encodes Rx -18.4 dBm (145 x 0.1 uW), Tx +2.1 dBm, 42.5 degC.
  EXPECT_EQ(s.opticalSignalLevel, sff8472::toDbm1000(14.5));
  EXPECT_NEAR(s.opticalSignalLevel, -18400, 20);
  EXPECT_NEAR(s.transmitOpticalLevel, 2100, 10);
  EXPECT_NEAR(s.lowerOpticalThreshold, -29000, 200);
  EXPECT_NEAR(s.upperOpticalThreshold, -7000, 10);
  EXPECT_DOUBLE_EQ(s.diagnostics->current.temperatureC, 42.5);
  EXPECT_FALSE(s.diagnostics->rxLos);
  // The raw pages are the files.
  const auto a2h = optics.readA2h("pon0");
  EXPECT_EQ(std::string(a2h.begin(), a2h.end()), slurp(sim_ / "optics/pon0/a2h.bin"));
}

TEST_F(SimBackend, ReflectsAnEditedDiagnosticsPageAndAnEmptyCage) {
  std::string a2h = slurp(sim_ / "optics/pon0/a2h.bin");
  a2h[104] = 0;  // Rx power 0: fibre pulled
  a2h[105] = 0;
  a2h[110] = 0x02;  // Rx LOS
  spit(sim_ / "optics/pon0/a2h.bin", a2h);
  TransceiverStatus s = hal_->optics().status("pon0");
  EXPECT_EQ(s.opticalSignalLevel, sff8472::kDbm1000Min);
  EXPECT_TRUE(s.diagnostics->rxLos);

  spit(sim_ / "optics/pon0/a2h.bin", a2h.substr(0, 100));
  EXPECT_THROW((void)hal_->optics().status("pon0"), HalError);

  fs::remove(sim_ / "optics/pon0/a0h.bin");
  fs::remove(sim_ / "optics/pon0/a2h.bin");
  s = hal_->optics().status("pon0");
  EXPECT_FALSE(s.present);
  EXPECT_THROW((void)hal_->optics().readA0h("pon0"), HalError);
}

TEST_F(SimBackend, ReadsTheDemoWifiWithoutEverReturningThePassphrase) {
  auto& wifi = hal_->wifi();
  const auto radios = wifi.radios();
  ASSERT_EQ(radios.size(), 2u);
  EXPECT_EQ(radios[0].frequencyBand, "2.4GHz");
  EXPECT_EQ(radios[1].frequencyBand, "5GHz");
  EXPECT_EQ(radios[0].channel, 6u);
  EXPECT_TRUE(radios[1].autoChannel);
  ASSERT_EQ(wifi.ssids().size(), 2u);
  EXPECT_EQ(wifi.ssid("wlan0").ssid, "cwmpd-demo");
  EXPECT_EQ(wifi.ssid("wlan0").radio, "radio0");
  const auto ap = wifi.accessPoint("ap0");
  EXPECT_EQ(ap.ssid, "wlan0");
  EXPECT_EQ(ap.securityMode, "WPA2-Personal");
  ASSERT_EQ(ap.associatedDevices.size(), 2u);
  EXPECT_EQ(ap.associatedDevices[0].signalStrengthDbm, -52);
  EXPECT_EQ(ap.associatedDevices[0].lastDataDownlinkRateKbps, 144400u);
  static_assert(HasPassphrase<AccessPointConfig>);
  static_assert(!HasPassphrase<AccessPointInfo>,
                "the passphrase is write-only and must not be readable");
}

TEST_F(SimBackend, AppliesAWifiBatchOnceAndRecordsIt) {
  auto& wifi = hal_->wifi();
  WifiConfig c;
  c.ssids.push_back({.name = "wlan0", .ssid = "renamed"});
  c.accessPoints.push_back(
      {.name = "ap0", .securityMode = "WPA3-Personal", .passphrase = "correct horse battery"});
  c.ssids.push_back(
      {.name = "wlan2", .create = true, .enabled = true, .ssid = "guest", .radio = "radio1"});
  c.accessPoints.push_back({.name = "ap2",
                            .create = true,
                            .enabled = true,
                            .ssid = "wlan2",
                            .securityMode = "WPA2-Personal",
                            .passphrase = "guest-pass-1"});
  c.radios.push_back({.name = "radio0", .channel = 11u});
  wifi.apply(c);

  EXPECT_EQ(wifi.ssid("wlan0").ssid, "renamed");
  EXPECT_EQ(wifi.accessPoint("ap0").securityMode, "WPA3-Personal");
  EXPECT_EQ(wifi.radio("radio0").channel, 11u);
  const SsidInfo guest = wifi.ssid("wlan2");
  EXPECT_EQ(guest.ssid, "guest");
  EXPECT_EQ(guest.status, OperStatus::Up);
  EXPECT_EQ(guest.mac.size(), 17u);
  EXPECT_EQ(wifi.accessPoint("ap2").ssid, "wlan2");
  EXPECT_EQ(wifi.ssids().size(), 3u);
  // The "hardware" got the passphrase; the log did not.
  EXPECT_NE(slurp(sim_ / "wifi/ap/ap0.ini").find("passphrase = correct horse battery"),
            std::string::npos);
  EXPECT_EQ(readCount(sim_ / "run/wifi_applied"), 1u);
  const std::string log = slurp(sim_ / "run/wifi_applied.log");
  EXPECT_EQ(log.find("correct horse"), std::string::npos);
  EXPECT_NE(log.find("[ssid wlan2] create = 1"), std::string::npos);
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1);
  // The demo file's comment survived the rewrite.
  EXPECT_NE(slurp(sim_ / "wifi/ssid/wlan0.ini").find("# SSID on the 2.4 GHz radio"),
            std::string::npos);

  WifiConfig removal;
  removal.removeAccessPoints = {"ap2"};
  removal.removeSsids = {"wlan2"};
  wifi.apply(removal);
  EXPECT_EQ(wifi.ssids().size(), 2u);
  EXPECT_THROW((void)wifi.accessPoint("ap2"), HalError);
  EXPECT_EQ(readCount(sim_ / "run/wifi_applied"), 2u);
}

TEST_F(SimBackend, RefusesAnInvalidWifiBatchAsAWhole) {
  auto& wifi = hal_->wifi();
  const std::string before = slurp(sim_ / "wifi/ssid/wlan0.ini");
  const auto refuse = [&](WifiConfig c) {
    c.ssids.insert(c.ssids.begin(), SsidConfig{.name = "wlan0", .ssid = "should-not-stick"});
    EXPECT_THROW(wifi.apply(c), HalError);
    EXPECT_EQ(slurp(sim_ / "wifi/ssid/wlan0.ini"), before);
  };
  WifiConfig c;
  c.accessPoints.push_back({.name = "ap0", .passphrase = "short"});
  refuse(c);
  c = {};
  c.radios.push_back({.name = "radio0", .channel = 36u});  // not a 2.4 GHz channel
  refuse(c);
  c = {};
  c.removeSsids = {"wlan1"};  // ap1 still serves it
  refuse(c);
  c = {};
  c.ssids.push_back({.name = "wlan7", .ssid = "x"});  // unknown, not created
  refuse(c);
  c = {};
  c.ssids.push_back({.name = "../../etc", .create = true, .radio = "radio0"});
  refuse(c);
  c = {};
  c.accessPoints.push_back({.name = "ap0", .securityMode = "WEP-64"});  // not supported here
  refuse(c);
  EXPECT_EQ(readCount(sim_ / "run/wifi_applied"), 0u);
}

TEST_F(SimBackend, WritesAtomicallyByReplacingTheFile) {
  const fs::path file = sim_ / "wifi/ssid/wlan1.ini";
  struct stat before {};
  ASSERT_EQ(::stat(file.c_str(), &before), 0);
  // A reader that opened the file before the write keeps seeing the complete old content:
  // the HAL writes a new file and renames it over the old one, never truncating in place.
  std::ifstream reader(file);
  WifiConfig c;
  c.ssids.push_back({.name = "wlan1", .ssid = "after-the-write"});
  hal_->wifi().apply(c);
  const std::string old{std::istreambuf_iterator<char>(reader), std::istreambuf_iterator<char>()};
  EXPECT_NE(old.find("ssid = cwmpd-demo-5G"), std::string::npos);
  EXPECT_NE(slurp(file).find("ssid = after-the-write"), std::string::npos);
  struct stat after {};
  ASSERT_EQ(::stat(file.c_str(), &after), 0);
  EXPECT_NE(before.st_ino, after.st_ino);
  // No temporary file is left behind.
  for (const auto& e : fs::directory_iterator(file.parent_path())) {
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
  }
}

TEST_F(SimBackend, ReadsVoiceLinesAndAppliesAVoiceBatch) {
  auto& voice = hal_->voice();
  const auto lines = voice.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].status, RegistrationStatus::Up);
  EXPECT_EQ(lines[0].stats.incomingCallsReceived, 42u);
  EXPECT_EQ(lines[0].codecs, (std::vector<std::string>{"G.722", "G.711ALaw", "G.729"}));
  EXPECT_EQ(lines[1].status, RegistrationStatus::Disabled);
  EXPECT_EQ(voice.fxsPorts().size(), 2u);
  EXPECT_EQ(voice.supportedCodecs().size(), 4u);

  VoiceConfig c;
  c.lines.push_back({.name = "line2",
                     .enabled = true,
                     .directoryNumber = "+33123450002",
                     .sipUri = "sip:+33123450002@voip.example.net",
                     .authUserName = "33123450002",
                     .authPassword = "s3cret",
                     .registrar = "voip.example.net",
                     .registrarPort = 5070});
  voice.apply(c);
  const VoiceLine l2 = voice.line("line2");
  EXPECT_EQ(l2.status, RegistrationStatus::Up);
  EXPECT_EQ(l2.registrarPort, 5070);
  EXPECT_EQ(l2.directoryNumber, "+33123450002");
  EXPECT_EQ(readCount(sim_ / "run/voice_applied"), 1u);
  EXPECT_EQ(slurp(sim_ / "run/voice_applied.log").find("s3cret"), std::string::npos);

  c.lines = {{.name = "line2", .registrar = ""}};
  voice.apply(c);
  EXPECT_EQ(voice.line("line2").status, RegistrationStatus::ErrorMisconfigured);
  EXPECT_STREQ(toTr104v1String(RegistrationStatus::ErrorMisconfigured), "Error");

  c.lines = {{.name = "line1", .codecs = std::vector<std::string>{"AMR-WB"}}};
  EXPECT_THROW(voice.apply(c), HalError);
  c.lines = {{.name = "line9", .enabled = true}};
  EXPECT_THROW(voice.apply(c), HalError);
  EXPECT_EQ(readCount(sim_ / "run/voice_applied"), 2u);
}

TEST_F(SimBackend, ReportsSystemValuesFromSystemIni) {
  auto& sys = hal_->system();
  EXPECT_EQ(sys.memory().totalKiB, 262144u);
  EXPECT_EQ(sys.memory().availableKiB, 151552u);
  EXPECT_EQ(sys.cpuUsagePercent(), 7u);
  EXPECT_DOUBLE_EQ(sys.loadAverage().five, 0.08);
  EXPECT_EQ(sys.hostname(), "cwmpd-sim");
  EXPECT_EQ(sys.identity().serialNumber, "SIM0000000001");
  EXPECT_LT(sys.uptimeSeconds(), 60u);
  EXPECT_EQ(sys.bootId().size(), 36u);
  EXPECT_EQ(sys.bootId(), sys.bootId());
  spit(sim_ / "system.ini", "uptime_offset = 86400\nmemory_total_kib = 10\nmemory_free_kib = 20\n");
  EXPECT_GE(sys.uptimeSeconds(), 86400u);
  EXPECT_THROW((void)sys.memory(), HalError);
}

TEST_F(SimBackend, RebootAndFactoryResetLeaveAMarkerAndCallTheDaemonsHooks) {
  auto& sys = hal_->system();
  sys.reboot();
  EXPECT_EQ(reboots_, 1);
  EXPECT_EQ(readCount(sim_ / "run/reboots"), 1u);
  sys.factoryReset();
  EXPECT_EQ(resets_, 1);
  EXPECT_EQ(readCount(sim_ / "run/factory_resets"), 1u);
}

TEST_F(SimBackend, FirmwareApplyMovesTheImageUpdatesTheVersionAndReboots) {
  const fs::path image = tmp_.path() / "fw-0.2.0.bin";
  spit(image, "CWMPD-SIM-IMAGE\nversion=0.2.0-sim\n");
  hal_->system().applyFirmware(image.string());
  EXPECT_FALSE(fs::exists(image));
  EXPECT_TRUE(fs::exists(sim_ / "firmware/fw-0.2.0.bin"));
  EXPECT_EQ(firmware_, (sim_ / "firmware/fw-0.2.0.bin").string());
  EXPECT_EQ(hal_->system().identity().softwareVersion, "0.2.0-sim");
  EXPECT_EQ(reboots_, 0);  // restarting is the firmware hook's business
  EXPECT_EQ(readCount(sim_ / "run/firmware_applied"), 1u);
  EXPECT_THROW(hal_->system().applyFirmware((tmp_.path() / "missing.bin").string()), HalError);
}

TEST_F(SimBackend, TheOneFirmwareBankHoldsTheLastAppliedImage) {
  auto banks = hal_->system().firmwareBanks();
  ASSERT_EQ(banks.size(), 1u);
  EXPECT_EQ(banks[0].name, "firmware");
  EXPECT_EQ(banks[0].version, "0.1.0-sim");
  EXPECT_TRUE(banks[0].active);
  EXPECT_TRUE(banks[0].boot);
  const fs::path image = tmp_.path() / "fw-0.3.0.bin";
  spit(image, "version=0.3.0\n");
  hal_->system().applyFirmware(image.string());
  banks = hal_->system().firmwareBanks();
  ASSERT_EQ(banks.size(), 1u);
  EXPECT_EQ(banks[0].name, "fw-0.3.0.bin");
  EXPECT_EQ(banks[0].version, "0.3.0");
}

TEST_F(SimBackend, FirmwareApplyWithoutAFirmwareHookSimulatesTheReboot) {
  HalConfig c;
  c.backend = "sim";
  c.simDir = sim_.string();
  c.hooks.reboot = [this] { ++reboots_; };
  auto hal = makeHal(c);
  const fs::path image = tmp_.path() / "plain.bin";
  spit(image, "no version line in here");
  hal->system().applyFirmware(image.string());
  EXPECT_EQ(reboots_, 1);
  EXPECT_EQ(readCount(sim_ / "run/reboots"), 1u);
  EXPECT_EQ(hal->system().identity().softwareVersion, "0.1.0-sim");  // unchanged
}

TEST(SimDemoData, TheCommittedOpticsPagesAreWhatMakeOpticsGenerates) {
  TempDir tmp;
  const fs::path script = test::sourceDir() / "config/sim/make-optics.py";
  const std::string cmd =
      "python3 '" + script.string() + "' '" + tmp.path().string() + "' >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  for (const char* page : {"a0h.bin", "a2h.bin"}) {
    const std::string generated = slurp(tmp.path() / page);
    EXPECT_EQ(generated.size(), 256u) << page;
    EXPECT_EQ(generated, slurp(test::sourceDir() / "config/sim/optics/pon0" / page)) << page;
  }
}

// The read cache of the daemon ([hal] read_cache_ms): a file changed behind the HAL's back
// is seen only when the TTL ran out, while a write through the HAL is seen at once.
std::unique_ptr<Hal> simHalWithCache(const fs::path& sim, std::chrono::milliseconds ttl) {
  HalConfig c;
  c.backend = "sim";
  c.simDir = sim.string();
  c.readCacheTtl = ttl;
  return makeHal(c);
}

TEST(SimReadCache, ServesRepeatedReadsFromMemoryUntilTheHalWrites) {
  TempDir tmp;
  const fs::path sim = copyDemoSim(tmp);
  auto hal = simHalWithCache(sim, std::chrono::hours(1));
  auto& net = hal->network();
  const std::uint32_t before = net.info("eth1").mtu;
  ASSERT_NE(before, 1400u);
  spit(sim / "net/eth1/mtu", "1400\n");
  EXPECT_EQ(net.info("eth1").mtu, before) << "within the TTL the first read is served again";

  InterfaceConfig change;
  change.mtu = 1492;
  net.configure("eth1", change);
  EXPECT_EQ(net.info("eth1").mtu, 1492u) << "a write through the HAL empties the cache";

  // Any write through the HAL (here resolv.conf) empties it, not only one to that file.
  spit(sim / "net/eth1/mtu", "1300\n");
  net.setDnsServers({"9.9.9.9"});
  EXPECT_EQ(net.info("eth1").mtu, 1300u);
  EXPECT_EQ(net.dnsServers(), std::vector<std::string>{"9.9.9.9"});
}

// An interface's counters are made of 13 files; they are served again exactly as long as
// those files would be (issue 15: read once per request, not once per parameter).
TEST(SimReadCache, CountersAreServedAsTheirFilesWouldBe) {
  TempDir tmp;
  const fs::path sim = copyDemoSim(tmp);
  auto hal = simHalWithCache(sim, std::chrono::hours(1));
  auto& net = hal->network();
  const InterfaceCounters first = net.counters("eth1");
  spit(sim / "net/eth1/statistics/rx_bytes", "123456789\n");
  EXPECT_EQ(net.counters("eth1").bytesReceived, first.bytesReceived) << "within the TTL";
  net.setDnsServers({"9.9.9.9"});
  EXPECT_EQ(net.counters("eth1").bytesReceived, 123456789u) << "after a write through the HAL";
  auto uncached = simHalWithCache(sim, std::chrono::milliseconds(0));
  spit(sim / "net/eth1/statistics/tx_packets", "77\n");
  EXPECT_EQ(uncached->network().counters("eth1").packetsSent, 77u) << "no TTL: read every time";
  spit(sim / "net/eth1/statistics/tx_packets", "78\n");
  EXPECT_EQ(uncached->network().counters("eth1").packetsSent, 78u);
}

TEST(SimReadCache, CountersFollowAShortTtl) {
  TempDir tmp;
  const fs::path sim = copyDemoSim(tmp);
  auto hal = simHalWithCache(sim, std::chrono::milliseconds(20));
  auto& net = hal->network();
  (void)net.counters("eth2");
  spit(sim / "net/eth2/statistics/rx_errors", "4242\n");
  // Awaited, not slept on: the new value shows once the TTL of what was read ran out.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (net.counters("eth2").errorsReceived != 4242u &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(net.counters("eth2").errorsReceived, 4242u);
}

TEST(SimReadCache, ReadsEveryTimeWithoutATtl) {
  TempDir tmp;
  const fs::path sim = copyDemoSim(tmp);
  auto hal = simHalWithCache(sim, std::chrono::milliseconds(0));
  auto& net = hal->network();
  (void)net.info("eth1");
  spit(sim / "net/eth1/mtu", "1400\n");
  EXPECT_EQ(net.info("eth1").mtu, 1400u);
}

}  // namespace
}  // namespace cwmpd::hal
