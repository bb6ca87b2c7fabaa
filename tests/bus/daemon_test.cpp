// The real cwmpd on a private dbus-daemon, with the simulated box (config/sim), the shipped
// plugins plus the example plugin, and the loopback test ACS; driven with busctl, cwmpctl
// and the generated proxies.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "bus_tools.hpp"
#include "cwmpd/bus/proxies.hpp"
#include "private_bus.hpp"
#include "process.hpp"
#include "test_acs.hpp"
#include "wait.hpp"

namespace cwmpd::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kVendorEvent = "X 00005E TRIGGERED";  // declared by the example plugin

class Daemon : public ::testing::Test {
 protected:
  void SetUp() override {
    bus_.emplace(dir_.path());
    acs_ = std::make_unique<test::TestAcs>();

    // The daemon loads one directory: the shipped plugins and the example one.
    const fs::path plugins = dir_.path() / "plugins";
    fs::create_directories(plugins);
    for (const char* from : {CWMPD_PLUGIN_DIR, CWMPD_EXAMPLE_PLUGIN_DIR}) {
      for (const auto& entry : fs::directory_iterator(from)) {
        if (entry.path().extension() == ".so") {
          fs::create_symlink(entry.path(), plugins / entry.path().filename());
        }
      }
    }
    // The simulated box may be written to (applied Wi-Fi settings): a copy per test.
    fs::copy(fs::path(CWMPD_SOURCE_DIR_PATH) / "config" / "sim", dir_.path() / "sim",
             fs::copy_options::recursive);

    const fs::path config = dir_.path() / "cwmpd.conf";
    std::ofstream(config) << "[acs]\n"
                          << "url = " << acs_->url() << "\n"
                          << "periodic_inform_enable = false\n"
                          << "[cpe]\n"
                          << "root = Device\n"
                          << "connection_request_enable = false\n"
                          << "[bus]\n"
                          << "address = " << bus_->address() << "\n"
                          << "[hal]\n"
                          << "backend = sim\n"
                          << "sim_dir = sim\n"
                          << "[store]\n"
                          << "dir = store\n"
                          << "[plugins]\n"
                          << "dir = plugins\n"
                          << "[log]\n"
                          << "level = info\n";
    daemon_ = std::make_unique<Child>(
        std::vector<std::string>{CWMPD_PATH, "--config", config.string()}, dir_.path(), "cwmpd");
    ASSERT_TRUE(
        eventually([this] { return cwmpctl({"status"}).exitCode == 0; }, std::chrono::seconds(30)))
        << daemon_->currentErr();
    // Let the boot session end so that each test starts from an idle agent.
    ASSERT_TRUE(acs_->waitFor("ended_sessions", 1, std::chrono::seconds(30)))
        << daemon_->currentErr();
  }

  void TearDown() override {
    if (!daemon_) return;
    const auto r = daemon_->terminate();
    EXPECT_EQ(r.exitCode, 0) << "signal " << r.signal << (r.timedOut ? ", timed out" : "") << "\n"
                             << r.err;
  }

  RunResult busctl(std::vector<std::string> args) {
    return busctlOn(bus_->address(), std::move(args), dir_.path());
  }
  RunResult cwmpctl(std::vector<std::string> args) {
    return cwmpctlOn(bus_->address(), std::move(args), dir_.path());
  }
  std::string value(const std::string& name) {
    const auto r = cwmpctl({"--json", "get", name});
    const auto json = test::parseJson(r.out);
    return json.empty() ? std::string("<none>") : json.front().second.get<std::string>("value");
  }

  TempDir dir_;
  std::optional<PrivateBus> bus_;
  std::unique_ptr<test::TestAcs> acs_;
  std::unique_ptr<Child> daemon_;
};

TEST_F(Daemon, PublishesBothDocumentedInterfaces) {
  auto r = busctl({"introspect", "org.cwmpd", "/org/cwmpd/DataModel", "org.cwmpd.DataModel1"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::ContainsRegex("\\.GetParameterValues +method +as +a\\(sss\\)"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("\\.ValueChanged +signal +a\\(sss\\)"));
  r = busctl({"introspect", "org.cwmpd", "/org/cwmpd/Agent", "org.cwmpd.Agent1"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::ContainsRegex("\\.Inform +method +as"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("\\.SessionState +property +s"));
}

TEST_F(Daemon, GetOfASubtreeListsTheDeviceInfoParameters) {
  const auto r = busctl({"call", "org.cwmpd", "/org/cwmpd/DataModel", "org.cwmpd.DataModel1",
                         "GetParameterValues", "as", "1", "Device.DeviceInfo."});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"Device.DeviceInfo.SoftwareVersion\" \"xsd:string\""));
  EXPECT_THAT(r.out, HasSubstr("\"Device.DeviceInfo.UpTime\" \"xsd:unsignedInt\""));
  const auto c = cwmpctl({"get", "Device.DeviceInfo."});
  ASSERT_EQ(c.exitCode, 0) << c.err;
  EXPECT_THAT(c.out, ::testing::ContainsRegex("Device.DeviceInfo.Manufacturer +="));
}

TEST_F(Daemon, SetsParametersOfTwoPluginsInOneCall) {
  const auto r = cwmpctl({"set", "Device.X_00005E_Example.Greeting=bonjour",
                          "Device.ManagementServer.PeriodicInformInterval=1234"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(value("Device.X_00005E_Example.Greeting"), "bonjour");
  EXPECT_EQ(value("Device.ManagementServer.PeriodicInformInterval"), "1234");
}

TEST_F(Daemon, ASetWithOneBadValueChangesNothing) {
  const std::string greeting = value("Device.X_00005E_Example.Greeting");
  const std::string interval = value("Device.ManagementServer.PeriodicInformInterval");
  const auto r = cwmpctl({"set", "Device.X_00005E_Example.Greeting=changed",
                          "Device.ManagementServer.PeriodicInformInterval=often"});
  EXPECT_EQ(r.exitCode, 3);
  // The overall code is the engine's choice (the one failing parameter's own code, or
  // 9003); the refused parameter is always listed with its code.
  EXPECT_THAT(r.err, ::testing::MatchesRegex("error: 900[37] .*"));
  EXPECT_THAT(r.err, HasSubstr("\n  Device.ManagementServer.PeriodicInformInterval: 9007 "));
  EXPECT_EQ(value("Device.X_00005E_Example.Greeting"), greeting);
  EXPECT_EQ(value("Device.ManagementServer.PeriodicInformInterval"), interval);
}

TEST_F(Daemon, FaultsAreOrgCwmpdFaultErrorsWithTheCwmpCode) {
  auto connection = sdbus::createSessionBusConnectionWithAddress(bus_->address());
  bus::DataModelProxy model(*connection);
  {
    const auto e = dbusErrorOf([&] { (void)model.GetParameterValues({"Device.Foo."}); });
    ASSERT_TRUE(e) << "an unknown name was accepted";
    EXPECT_EQ(e->getName(), "org.cwmpd.Fault.InvalidParameterName");
    EXPECT_THAT(e->getMessage(), StartsWith("9005 "));
  }
  {
    const auto e = dbusErrorOf([&] {
      model.SetParameterValues({{"Device.DeviceInfo.UpTime", "1"}});
    });
    ASSERT_TRUE(e) << "a read-only parameter was set";
    EXPECT_THAT(e->getName(), StartsWith("org.cwmpd.Fault."));
    EXPECT_THAT(e->getMessage(), HasSubstr("9008"));
  }
}

TEST_F(Daemon, AddsAndDeletesAnObjectInstance) {
  auto r = cwmpctl({"add", "Device.WiFi.SSID."});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const std::string instance = r.out.substr(0, r.out.size() - 1);  // "Device.WiFi.SSID.N."
  ASSERT_THAT(instance, StartsWith("Device.WiFi.SSID."));
  r = cwmpctl({"names", instance, "--next-level"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(instance + "SSID"));
  r = cwmpctl({"del", instance});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  r = cwmpctl({"get", instance});
  EXPECT_EQ(r.exitCode, 3);
  EXPECT_THAT(r.err, StartsWith("error: 9005 "));
}

TEST_F(Daemon, ValueChangedReachesASubscriberForBusAndAcsChanges) {
  auto connection = sdbus::createSessionBusConnectionWithAddress(bus_->address());
  std::vector<std::vector<bus::ValueTuple>> seen;
  bus::DataModelProxy subscriber(*connection,
                                 [&](const auto& changes) { seen.push_back(changes); });

  ASSERT_EQ(cwmpctl({"set", "Device.X_00005E_Example.Greeting=from-dbus"}).exitCode, 0);
  ASSERT_TRUE(pumpUntil(*connection, [&] { return !seen.empty(); }));
  EXPECT_THAT(seen.front(), ::testing::Contains(bus::ValueTuple{"Device.X_00005E_Example.Greeting",
                                                                "xsd:string", "from-dbus"}));

  // The same signal for a change the ACS makes in a session.
  acs_->addRpc(
      "<cwmp:SetParameterValues><ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[1]\">"
      "<ParameterValueStruct><Name>Device.X_00005E_Example.Greeting</Name>"
      "<Value xsi:type=\"xsd:string\">from-acs</Value></ParameterValueStruct></ParameterList>"
      "<ParameterKey>k1</ParameterKey></cwmp:SetParameterValues>");
  ASSERT_EQ(cwmpctl({"inform", kVendorEvent}).exitCode, 0);
  ASSERT_TRUE(pumpUntil(
      *connection,
      [&] {
        return std::any_of(seen.begin(), seen.end(), [](const auto& changes) {
          return std::find(changes.begin(), changes.end(),
                           bus::ValueTuple{"Device.X_00005E_Example.Greeting", "xsd:string",
                                           "from-acs"}) != changes.end();
        });
      },
      std::chrono::seconds(20)));
}

TEST_F(Daemon, AVendorEventTriggeredOverDbusReachesTheAcsInAnInform) {
  const auto r = cwmpctl({"inform", kVendorEvent});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  ASSERT_TRUE(acs_->waitFor("ended_sessions", 2, std::chrono::seconds(20)));
  const auto sessions = acs_->sessions();
  ASSERT_GE(sessions.size(), 2u);
  std::vector<std::string> events;
  for (const auto& [key, event] : sessions.back().get_child("events")) {
    events.push_back(event.get_value<std::string>());
  }
  EXPECT_THAT(events, ::testing::Contains(kVendorEvent));

  // An event nobody declared is refused.
  const auto bad = cwmpctl({"inform", "X 00005E NOBODY"});
  EXPECT_EQ(bad.exitCode, 3);
  EXPECT_THAT(bad.err, StartsWith("error: 9003 "));
}

TEST_F(Daemon, AnInformWithoutAnEventIsRefusedAndStartsNoSession) {
  // TR-069 A.3.3.1: an Inform's Event list is never empty.
  const auto r = cwmpctl({"inform"});
  EXPECT_EQ(r.exitCode, 3);
  EXPECT_THAT(r.err,
              StartsWith("error: 9003 Invalid arguments: an Inform needs at least one event code"));
  auto connection = sdbus::createSessionBusConnectionWithAddress(bus_->address());
  bus::AgentProxy agent(*connection);
  const auto e = dbusErrorOf([&] { agent.Inform({}); });
  ASSERT_TRUE(e) << "an Inform without events was accepted";
  EXPECT_EQ(e->getName(), "org.cwmpd.Fault.InvalidArguments");
  EXPECT_THAT(e->getMessage(), StartsWith("9003 "));
  // Nothing was queued: the agent is idle with no pending event, and the ACS saw only the
  // boot session.
  EXPECT_EQ(agent.SessionState(), "Idle");
  EXPECT_TRUE(agent.PendingEvents().empty());
  EXPECT_EQ(acs_->sessions().size(), 1u);
}

TEST_F(Daemon, StatusShowsTheAgent) {
  const auto r = cwmpctl({"--json", "status"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const auto status = test::parseJson(r.out);
  EXPECT_EQ(status.get<std::string>("AcsUrl"), acs_->url());
  EXPECT_FALSE(status.get<std::string>("LastInformTime").empty());
  bool hasExample = false;
  for (const auto& [key, plugin] : status.get_child("Plugins")) {
    hasExample = hasExample || plugin.get_value<std::string>().rfind("example", 0) == 0;
  }
  EXPECT_TRUE(hasExample) << r.out;
}

}  // namespace
}  // namespace cwmpd::testing
