// Providers (issue 18): the real cwmpd on a private dbus-daemon with the shipped plugins,
// the example plugin and the loopback test ACS, and the example provider
// (bus/examples/example_provider.cpp) as a separate process serving
// Device.X_00005E_Provider. over org.cwmpd.Provider1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "bus_tools.hpp"
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
constexpr const char* kBase = "Device.X_00005E_Provider.";

std::string spv(const std::vector<std::pair<std::string, std::string>>& values,
                const std::string& type = "xsd:string") {
  std::string body =
      "<cwmp:SetParameterValues><ParameterList soap-enc:arrayType=\"cwmp:"
      "ParameterValueStruct[" +
      std::to_string(values.size()) + "]\">";
  for (const auto& [n, v] : values)
    body += "<ParameterValueStruct><Name>" + n + "</Name><Value xsi:type=\"" +
            (n.find("Level") != std::string::npos ? std::string("xsd:unsignedInt") : type) + "\">" +
            v + "</Value></ParameterValueStruct>";
  return body + "</ParameterList><ParameterKey>k</ParameterKey></cwmp:SetParameterValues>";
}

std::string gpv(const std::string& name) {
  return "<cwmp:GetParameterValues><ParameterNames soap-enc:arrayType=\"xsd:string[1]\"><string>" +
         name + "</string></ParameterNames></cwmp:GetParameterValues>";
}

class Providers : public ::testing::Test {
 protected:
  void SetUp() override {
    bus_.emplace(dir_.path());
    acs_ = std::make_unique<test::TestAcs>();
    const fs::path plugins = dir_.path() / "plugins";
    fs::create_directories(plugins);
    for (const char* from : {CWMPD_PLUGIN_DIR, CWMPD_EXAMPLE_PLUGIN_DIR})
      for (const auto& entry : fs::directory_iterator(from))
        if (entry.path().extension() == ".so")
          fs::create_symlink(entry.path(), plugins / entry.path().filename());
    fs::copy(fs::path(CWMPD_SOURCE_DIR_PATH) / "config" / "sim", dir_.path() / "sim",
             fs::copy_options::recursive);
  }

  void startDaemon(int providerTimeoutMs = 2000, const std::string& extraConfig = "") {
    const fs::path config = dir_.path() / "cwmpd.conf";
    std::ofstream(config) << "[acs]\nurl = " << acs_->url() << "\nperiodic_inform_enable = false\n"
                          << "[cpe]\nroot = Device\nconnection_request_enable = false\n"
                          << "[bus]\naddress = " << bus_->address()
                          << "\nprovider_timeout_ms = " << providerTimeoutMs << "\n"
                          << "[hal]\nbackend = sim\nsim_dir = sim\n"
                          << "[store]\ndir = store\n[plugins]\ndir = plugins\n"
                          << "[log]\nlevel = info\n"
                          << extraConfig;
    daemon_ = std::make_unique<Child>(
        std::vector<std::string>{CWMPD_PATH, "--config", config.string()}, dir_.path(), "cwmpd");
    ASSERT_TRUE(
        eventually([this] { return cwmpctl({"status"}).exitCode == 0; }, std::chrono::seconds(30)))
        << daemon_->currentErr();
    ASSERT_TRUE(acs_->waitFor("ended_sessions", 1, std::chrono::seconds(30)))
        << daemon_->currentErr();
  }

  void startProvider(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{CWMPD_EXAMPLE_PROVIDER_PATH};
#ifdef CWMPD_PYTHON_DBUS
    if (python_) argv = {CWMPD_PYTHON_DBUS, CWMPD_EXAMPLE_PROVIDER_PY};
#endif
    argv.insert(argv.end(),
                {"--address", bus_->address(), "--definitions", CWMPD_EXAMPLE_PROVIDER_XML});
    argv.insert(argv.end(), extra.begin(), extra.end());
    provider_ = std::make_unique<Child>(argv, dir_.path(), "provider" + std::to_string(++runs_));
    ASSERT_TRUE(eventually(
        [this] { return provider_->currentOut().find("registered") != std::string::npos; },
        std::chrono::seconds(10)))
        << provider_->currentErr() << daemon_->currentErr();
  }

  // The provider has been asked for a value under kBase (and is now sleeping on it).
  ::testing::AssertionResult providerIsAsked() {
    if (eventually(
            [this] {
              return provider_->currentOut().find("get " + std::string(kBase)) != std::string::npos;
            },
            std::chrono::seconds(10)))
      return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << provider_->currentOut() << daemon_->currentErr();
  }

  // A D-Bus read of a core parameter with a caller-side timeout ("--timeout=0.5"): it is
  // answered only if the loop is free.
  RunResult readCoreParameter(const std::string& timeout) {
    return busctlOn(bus_->address(),
                    {timeout, "call", "org.cwmpd", "/org/cwmpd/DataModel", "org.cwmpd.DataModel1",
                     "GetParameterValues", "as", "1", "Device.DeviceInfo.SoftwareVersion"},
                    dir_.path());
  }

  void TearDown() override {
    provider_.reset();
    if (!daemon_) return;
    const auto r = daemon_->terminate();
    EXPECT_EQ(r.exitCode, 0) << "signal " << r.signal << "\n" << r.err;
  }

  RunResult cwmpctl(std::vector<std::string> args) {
    return cwmpctlOn(bus_->address(), std::move(args), dir_.path());
  }
  std::string value(const std::string& name) {
    const auto r = cwmpctl({"--json", "get", name});
    const auto json = test::parseJson(r.out);
    return json.empty() ? std::string("<none>") : json.front().second.get<std::string>("value");
  }
  // Runs one session with `rpc` queued and returns the CPE's answer to it.
  std::string acsRound(const std::string& rpc) {
    acs_->addRpc(rpc);
    const auto before = acs_->sessions().size();
    EXPECT_EQ(cwmpctl({"inform", kVendorEvent}).exitCode, 0);
    EXPECT_TRUE(
        acs_->waitFor("ended_sessions", static_cast<int>(before) + 1, std::chrono::seconds(20)));
    std::string answer;
    for (const auto& r : acs_->requests()) {
      const auto body = r.get<std::string>("body", "");
      if (body.find("Response") != std::string::npos || body.find("Fault") != std::string::npos)
        answer = body;
    }
    return answer;
  }

  // The provider reports its Counter changed (ValuesChanged, on SIGUSR1); the events of the
  // session that follows.
  std::vector<std::string> eventsOfTheSessionAfterValuesChanged() {
    const auto before = acs_->sessions().size();
    ::kill(provider_->pid(), SIGUSR1);
    EXPECT_TRUE(
        acs_->waitFor("ended_sessions", static_cast<int>(before) + 1, std::chrono::seconds(20)));
    const auto sessions = acs_->sessions();  // held: its last one's events are read below
    std::vector<std::string> events;
    if (sessions.empty()) return events;
    for (const auto& [key, event] : sessions.back().get_child("events"))
      events.push_back(event.get_value<std::string>());
    return events;
  }

  // The Inform of the last session.
  std::string lastInform() {
    std::string inform;
    for (const auto& r : acs_->requests()) {
      const auto body = r.get<std::string>("body", "");
      if (body.find("<cwmp:Inform") != std::string::npos) inform = body;
    }
    return inform;
  }

  TempDir dir_;
  std::optional<PrivateBus> bus_;
  std::unique_ptr<test::TestAcs> acs_;
  std::unique_ptr<Child> daemon_;
  std::unique_ptr<Child> provider_;
  int runs_ = 0;
  bool python_ = false;
};

// The same subtree served by the C++ example (the client library) and the Python one.
class EachProvider : public Providers, public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    Providers::SetUp();
    python_ = GetParam() == "python";
  }
};

TEST_P(EachProvider, RegistersAndIsReadAndSetWithAPluginInOneTransaction) {
  startDaemon();
  startProvider({"--keys", "9,7", "--max-level", "10"});
  EXPECT_EQ(value(std::string(kBase) + "Line.1.Name"), "line9");
  EXPECT_EQ(value(std::string(kBase) + "LineNumberOfEntries"), "2");
  ASSERT_EQ(cwmpctl({"set", "Device.X_00005E_Example.Greeting=both",
                     std::string(kBase) + "Greeting=both"})
                .exitCode,
            0);
  EXPECT_EQ(value(std::string(kBase) + "Greeting"), "both");
  const auto refused =
      cwmpctl({"set", "Device.X_00005E_Example.Greeting=neither", std::string(kBase) + "Level=11"});
  EXPECT_EQ(refused.exitCode, 3);
  EXPECT_THAT(refused.err, HasSubstr(std::string(kBase) + "Level: 9007 "));
  EXPECT_EQ(value("Device.X_00005E_Example.Greeting"), "both");
  EXPECT_EQ(value(std::string(kBase) + "Level"), "1");
}

#ifdef CWMPD_PYTHON_DBUS
INSTANTIATE_TEST_SUITE_P(Examples, EachProvider, ::testing::Values("cpp", "python"));
#else
INSTANTIATE_TEST_SUITE_P(Examples, EachProvider, ::testing::Values("cpp"));
#endif

TEST_F(Providers, ARegisteredSubtreeIsReadThroughDbusAndCwmp) {
  startDaemon();
  startProvider({"--keys", "9,7"});
  const auto registry = busctlOn(
      bus_->address(), {"introspect", "org.cwmpd", "/org/cwmpd/DataModel", "org.cwmpd.Providers1"},
      dir_.path());
  EXPECT_THAT(registry.out, ::testing::ContainsRegex("\\.Register +method +so"));
  EXPECT_EQ(value(std::string(kBase) + "Greeting"), "hello");
  EXPECT_EQ(value(std::string(kBase) + "Line.1.Name"), "line9");
  EXPECT_EQ(value(std::string(kBase) + "Line.2.Name"), "line7");
  EXPECT_EQ(value(std::string(kBase) + "LineNumberOfEntries"), "2");
  const auto names = cwmpctl({"names", std::string(kBase), "--next-level"});
  EXPECT_THAT(names.out, HasSubstr(std::string(kBase) + "Line.")) << names.err;

  const std::string one = acsRound(gpv(std::string(kBase)));
  EXPECT_THAT(one, HasSubstr("<Name>Device.X_00005E_Provider.Line.2.Name</Name>"));
  EXPECT_THAT(one, HasSubstr(">line7</Value>"));
  // The whole tree includes the provider's parameters next to the plugins'.
  const std::string all = acsRound(gpv("Device."));
  EXPECT_THAT(all, HasSubstr("<Name>Device.X_00005E_Provider.Greeting</Name>"));
  EXPECT_THAT(all, HasSubstr("<Name>Device.DeviceInfo.SoftwareVersion</Name>"));
}

TEST_F(Providers, OverlappingOrInvalidDefinitionsAreRefused) {
  startDaemon();
  startProvider();
  // The same document again (another process): every name exists already.
  auto second = std::make_unique<Child>(
      std::vector<std::string>{CWMPD_EXAMPLE_PROVIDER_PATH, "--address", bus_->address(),
                               "--definitions", CWMPD_EXAMPLE_PROVIDER_XML},
      dir_.path(), "second");
  const auto r = second->wait();
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_THAT(r.err, HasSubstr("org.cwmpd.Fault.RequestDenied: 9001 "));
  // A core/plugin object claimed.
  const fs::path claim = dir_.path() / "claim.xml";
  std::string doc = readFile(CWMPD_EXAMPLE_PROVIDER_XML);
  doc.replace(doc.find("X_00005E_Provider"), 17, "DeviceInfo");
  std::ofstream(claim) << doc;
  auto third = std::make_unique<Child>(
      std::vector<std::string>{CWMPD_EXAMPLE_PROVIDER_PATH, "--address", bus_->address(),
                               "--definitions", claim.string()},
      dir_.path(), "third");
  const auto r3 = third->wait();
  EXPECT_EQ(r3.exitCode, 1);
  EXPECT_THAT(r3.err, HasSubstr("org.cwmpd.Fault."));
  // Not a data model document.
  const fs::path bad = dir_.path() / "bad.xml";
  std::ofstream(bad) << "<nonsense/>";
  auto fourth = std::make_unique<Child>(
      std::vector<std::string>{CWMPD_EXAMPLE_PROVIDER_PATH, "--address", bus_->address(),
                               "--definitions", bad.string()},
      dir_.path(), "fourth");
  const auto r4 = fourth->wait();
  EXPECT_EQ(r4.exitCode, 1);
  EXPECT_THAT(r4.err, HasSubstr("org.cwmpd.Fault.InvalidArguments: 9003 "));
  // The first provider is still served.
  EXPECT_EQ(value(std::string(kBase) + "Greeting"), "hello");
}

TEST_F(Providers, ASetAcrossAPluginAndAProviderCommitsBoth) {
  startDaemon();
  startProvider();
  const auto r =
      cwmpctl({"set", "Device.X_00005E_Example.Greeting=plugin-side",
               std::string(kBase) + "Greeting=provider-side", std::string(kBase) + "Level=42"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(value("Device.X_00005E_Example.Greeting"), "plugin-side");
  EXPECT_EQ(value(std::string(kBase) + "Greeting"), "provider-side");
  EXPECT_EQ(value(std::string(kBase) + "Level"), "42");
}

TEST_F(Providers, AProviderRefusalLeavesBothUnchangedAndTheAcsGets9003With9007) {
  startDaemon();
  startProvider({"--max-level", "10"});
  const std::string answer = acsRound(spv({{"Device.X_00005E_Example.Greeting", "changed"},
                                           {std::string(kBase) + "Greeting", "changed"},
                                           {std::string(kBase) + "Level", "50"}}));
  EXPECT_THAT(answer, HasSubstr("<FaultCode>9003</FaultCode>"));
  EXPECT_THAT(answer, ::testing::ContainsRegex(
                          "<ParameterName>Device.X_00005E_Provider.Level</ParameterName>\\s*"
                          "<FaultCode>9007</FaultCode>"));
  EXPECT_EQ(value("Device.X_00005E_Example.Greeting"), "hello");
  EXPECT_EQ(value(std::string(kBase) + "Greeting"), "hello");
  EXPECT_EQ(value(std::string(kBase) + "Level"), "1");
}

TEST_F(Providers, AProviderThatSleepsPastTheTimeoutGives9002InTime) {
  startDaemon(500);
  startProvider({"--get-delay-ms", "3000"});
  const auto start = std::chrono::steady_clock::now();
  const auto r = cwmpctl({"get", std::string(kBase) + "Greeting"});
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exitCode, 3);
  EXPECT_THAT(r.err, StartsWith("error: 9002 "));
  EXPECT_LT(took, std::chrono::milliseconds(1500));
  EXPECT_EQ(cwmpctl({"get", "Device.DeviceInfo.SoftwareVersion"}).exitCode, 0);
}

// The main loop never blocks on a provider: while the session waits for a slow Get, the
// daemon keeps answering D-Bus (a caller with a timeout far below the provider's delay),
// and the session still gets the value.
TEST_F(Providers, ASlowProviderHoldsItsSessionNotTheLoop) {
  startDaemon(2000);
  startProvider({"--get-delay-ms", "1500"});
  acs_->addRpc(gpv(std::string(kBase) + "Greeting"));
  const auto before = acs_->sessions().size();
  ASSERT_EQ(cwmpctl({"inform", kVendorEvent}).exitCode, 0);
  ASSERT_TRUE(providerIsAsked());
  const auto read = readCoreParameter("--timeout=0.8");
  EXPECT_EQ(read.exitCode, 0) << read.err;
  EXPECT_THAT(read.out, HasSubstr("Device.DeviceInfo.SoftwareVersion"));
  const auto state = busctlOn(bus_->address(),
                              {"--timeout=0.8", "get-property", "org.cwmpd", "/org/cwmpd/Agent",
                               "org.cwmpd.Agent1", "SessionState"},
                              dir_.path());
  EXPECT_EQ(state.exitCode, 0) << state.err;
  ASSERT_TRUE(
      acs_->waitFor("ended_sessions", static_cast<int>(before) + 1, std::chrono::seconds(20)));
  std::string answer;
  for (const auto& r : acs_->requests()) {
    const auto body = r.get<std::string>("body", "");
    if (body.find("GetParameterValuesResponse") != std::string::npos) answer = body;
  }
  EXPECT_THAT(answer, HasSubstr("<Name>Device.X_00005E_Provider.Greeting</Name>"));
  EXPECT_THAT(answer, HasSubstr(">hello</Value>"));
}

// A provider that does not answer an ACS session's Apply in time: 9002, the plugin's part
// of the transaction rolled back, and the loop served D-Bus while the session waited.
TEST_F(Providers, ASessionSetPastTheProviderTimeoutGets9002AndRollsBack) {
  startDaemon(800);
  startProvider({"--apply-delay-ms", "1600"});
  acs_->addRpc(spv({{"Device.X_00005E_Example.Greeting", "changed"},
                    {std::string(kBase) + "Greeting", "changed"}}));
  const auto before = acs_->sessions().size();
  ASSERT_EQ(cwmpctl({"inform", kVendorEvent}).exitCode, 0);
  // While the session waits for the provider's Apply, a D-Bus caller is answered.
  ASSERT_TRUE(
      eventually([this] { return provider_->currentOut().find("apply ") != std::string::npos; },
                 std::chrono::seconds(10)))
      << provider_->currentOut() << daemon_->currentErr();
  const auto read = readCoreParameter("--timeout=0.6");
  EXPECT_EQ(read.exitCode, 0) << read.err;
  ASSERT_TRUE(
      acs_->waitFor("ended_sessions", static_cast<int>(before) + 1, std::chrono::seconds(20)));
  std::string answer;
  for (const auto& r : acs_->requests()) {
    const auto body = r.get<std::string>("body", "");
    if (body.find("Fault") != std::string::npos ||
        body.find("SetParameterValuesResponse") != std::string::npos)
      answer = body;
  }
  EXPECT_THAT(answer, ::testing::ContainsRegex("<FaultCode>900[23]</FaultCode>"));
  EXPECT_THAT(answer, HasSubstr("9002"));
  EXPECT_EQ(value("Device.X_00005E_Example.Greeting"), "hello");
  // The late Apply is undone by the Rollback that follows it.
  EXPECT_TRUE(eventually([&] { return value(std::string(kBase) + "Greeting") == "hello"; },
                         std::chrono::seconds(5)));
}

TEST_F(Providers, UnregisterOverTheBusRemovesOnlyTheCallersSubtree) {
  startDaemon();
  startProvider();
  // Only the provider itself may take its subtree away.
  const auto stranger = busctlOn(bus_->address(),
                                 {"call", "org.cwmpd", "/org/cwmpd/DataModel",
                                  "org.cwmpd.Providers1", "Unregister", "o", "/org/cwmpd/example"},
                                 dir_.path());
  EXPECT_NE(stranger.exitCode, 0);
  EXPECT_THAT(stranger.err, HasSubstr("no provider /org/cwmpd/example of this caller"));
  EXPECT_EQ(value(std::string(kBase) + "Greeting"), "hello");
  ::kill(provider_->pid(), SIGUSR2);
  ASSERT_TRUE(eventually(
      [this] { return provider_->currentOut().find("unregistered") != std::string::npos; },
      std::chrono::seconds(10)))
      << provider_->currentErr();
  const auto gone = cwmpctl({"get", std::string(kBase) + "Greeting"});
  EXPECT_EQ(gone.exitCode, 3);
  EXPECT_THAT(gone.err, StartsWith("error: 9005 "));
  EXPECT_EQ(::kill(provider_->pid(), 0), 0) << "the provider left instead of unregistering";
  EXPECT_EQ(cwmpctl({"get", "Device.DeviceInfo.SoftwareVersion"}).exitCode, 0);
}

// AddObject and DeleteObject from the ACS reach the provider's Add and Delete; the new
// instance keeps its number when the provider comes back.
TEST_F(Providers, AcsAddAndDeleteReachTheProviderAndNumbersSurviveItsRestart) {
  startDaemon();
  startProvider({"--keys", "9,7"});
  const std::string added = acsRound("<cwmp:AddObject><ObjectName>" + std::string(kBase) +
                                     "Line.</ObjectName><ParameterKey>a</ParameterKey>"
                                     "</cwmp:AddObject>");
  EXPECT_THAT(added, HasSubstr("<InstanceNumber>3</InstanceNumber>"));
  EXPECT_EQ(value(std::string(kBase) + "Line.3.Name"), "line10");  // the provider's key 10
  const std::string deleted = acsRound("<cwmp:DeleteObject><ObjectName>" + std::string(kBase) +
                                       "Line.1.</ObjectName><ParameterKey>d</ParameterKey>"
                                       "</cwmp:DeleteObject>");
  EXPECT_THAT(deleted, HasSubstr("DeleteObjectResponse"));
  EXPECT_EQ(value(std::string(kBase) + "LineNumberOfEntries"), "2");
  EXPECT_EQ(cwmpctl({"get", std::string(kBase) + "Line.1.Name"}).exitCode, 3);
  ::kill(provider_->pid(), SIGKILL);
  ASSERT_TRUE(eventually(
      [&] {
        return cwmpctl({"get", std::string(kBase) + "Greeting"}).exitCode == 3;
      },
      std::chrono::seconds(5)));
  startProvider({"--keys", "10,7"});
  EXPECT_EQ(value(std::string(kBase) + "Line.3.Name"), "line10");
  EXPECT_EQ(value(std::string(kBase) + "Line.2.Name"), "line7");
  EXPECT_EQ(cwmpctl({"get", std::string(kBase) + "Line.1.Name"}).exitCode, 3);
}

// A table directly under the root: its NumberOfEntries appears on Device. with the
// provider and goes with it.
TEST_F(Providers, ATableUnderTheRootIsCountedWhileItsProviderIsThere) {
  startDaemon();
  const fs::path doc = dir_.path() / "direct.xml";
  std::ofstream(doc)
      << R"(<dm:document xmlns:dm="urn:broadband-forum-org:cwmp:datamodel-1-14" spec="urn:x">
  <model name="Device:2.17">
    <object name="Device.X_00005E_Line.{i}." access="readWrite" minEntries="0" maxEntries="unbounded" numEntriesParameter="X_00005E_LineNumberOfEntries">
      <parameter name="Name" access="readWrite"><syntax><string/></syntax></parameter>
    </object>
  </model>
</dm:document>)";
  provider_ = std::make_unique<Child>(
      std::vector<std::string>{CWMPD_EXAMPLE_PROVIDER_PATH, "--address", bus_->address(),
                               "--definitions", doc.string(), "--keys", "9,7"},
      dir_.path(), "direct");
  ASSERT_TRUE(
      eventually([this] { return provider_->currentOut().find("registered") != std::string::npos; },
                 std::chrono::seconds(10)))
      << provider_->currentErr() << daemon_->currentErr();
  EXPECT_EQ(value("Device.X_00005E_LineNumberOfEntries"), "2");
  const auto names = cwmpctl({"names", "Device.X_00005E_Line.", "--next-level"});
  EXPECT_THAT(names.out, HasSubstr("Device.X_00005E_Line.2.")) << names.err;
  ::kill(provider_->pid(), SIGKILL);
  EXPECT_TRUE(eventually(
      [&] {
        const auto r = cwmpctl({"get", "Device.X_00005E_LineNumberOfEntries"});
        return r.exitCode == 3 && r.err.rfind("error: 9005 ", 0) == 0;
      },
      std::chrono::seconds(5)));
  EXPECT_EQ(cwmpctl({"get", "Device.DeviceInfo.SoftwareVersion"}).exitCode, 0);
}

// The agent's own objects (ManagementServer...) take no provider objects, not even new
// ones below them.
TEST_F(Providers, NoProviderObjectGoesUnderTheAgentsOwnObjects) {
  startDaemon();
  const fs::path claim = dir_.path() / "claim.xml";
  std::string doc = readFile(CWMPD_EXAMPLE_PROVIDER_XML);
  for (auto at = doc.find("Device.X_00005E_Provider."); at != std::string::npos;
       at = doc.find("Device.X_00005E_Provider.", at + 1))
    doc.replace(at, 25, "Device.ManagementServer.X_00005E_Provider.");
  std::ofstream(claim) << doc;
  auto refused = std::make_unique<Child>(
      std::vector<std::string>{CWMPD_EXAMPLE_PROVIDER_PATH, "--address", bus_->address(),
                               "--definitions", claim.string()},
      dir_.path(), "claim");
  const auto r = refused->wait();
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_THAT(r.err, HasSubstr("org.cwmpd.Fault.RequestDenied: 9001 "));
  EXPECT_THAT(r.err, HasSubstr("Device.ManagementServer."));
  EXPECT_EQ(cwmpctl({"get", "Device.ManagementServer.X_00005E_Provider."}).exitCode, 3);
}

// A provider's forced-inform parameter is in every Inform; while the Inform waits for the
// provider's answer, the loop goes on serving D-Bus.
TEST_F(Providers, AForcedInformParameterOfAProviderIsInTheInformReadWithoutHoldingTheLoop) {
  startDaemon();
  const fs::path forced = dir_.path() / "forced.xml";
  std::string doc = readFile(CWMPD_EXAMPLE_PROVIDER_XML);
  const std::string greeting = R"(<parameter name="Greeting" access="readWrite")";
  doc.replace(doc.find(greeting), greeting.size(), greeting + R"( forcedInform="true")");
  std::ofstream(forced) << doc;
  provider_ = std::make_unique<Child>(
      std::vector<std::string>{CWMPD_EXAMPLE_PROVIDER_PATH, "--address", bus_->address(),
                               "--definitions", forced.string(), "--get-delay-ms", "1500"},
      dir_.path(), "forced");
  ASSERT_TRUE(
      eventually([this] { return provider_->currentOut().find("registered") != std::string::npos; },
                 std::chrono::seconds(10)))
      << provider_->currentErr() << daemon_->currentErr();
  const auto before = acs_->sessions().size();
  ASSERT_EQ(cwmpctl({"inform", kVendorEvent}).exitCode, 0);
  ASSERT_TRUE(providerIsAsked());
  const auto read = readCoreParameter("--timeout=0.8");
  EXPECT_EQ(read.exitCode, 0) << read.err;
  ASSERT_TRUE(
      acs_->waitFor("ended_sessions", static_cast<int>(before) + 1, std::chrono::seconds(20)));
  std::string inform;
  for (const auto& r : acs_->requests()) {
    const auto body = r.get<std::string>("body", "");
    if (body.find("<cwmp:Inform") != std::string::npos) inform = body;
  }
  EXPECT_THAT(inform, ::testing::ContainsRegex(
                          "<Name>Device.X_00005E_Provider.Greeting</Name>\\s*<Value[^>]*>hello<"));
}

TEST_F(Providers, KillingTheProviderRemovesItsNamesAndTheRestIsServed) {
  startDaemon();
  startProvider();
  ASSERT_EQ(value(std::string(kBase) + "Greeting"), "hello");
  ::kill(provider_->pid(), SIGKILL);
  EXPECT_TRUE(eventually(
      [&] {
        const auto r = cwmpctl({"get", std::string(kBase) + "Greeting"});
        return r.exitCode == 3 && r.err.rfind("error: 9005 ", 0) == 0;
      },
      std::chrono::seconds(5)));
  EXPECT_EQ(cwmpctl({"get", "Device.DeviceInfo."}).exitCode, 0);
  EXPECT_EQ(cwmpctl({"set", "Device.X_00005E_Example.Greeting=still"}).exitCode, 0);
  EXPECT_EQ(value("Device.X_00005E_Example.Greeting"), "still");
}

TEST_F(Providers, ARestartedProviderKeepsItsInstanceNumbersAndAttributes) {
  startDaemon();
  startProvider({"--keys", "9,7"});
  ASSERT_EQ(value(std::string(kBase) + "Line.1.Name"), "line9");
  ASSERT_EQ(cwmpctl({"setattr", std::string(kBase) + "Greeting", "2"}).exitCode, 0);
  ::kill(provider_->pid(), SIGKILL);
  ASSERT_TRUE(eventually(
      [&] {
        return cwmpctl({"get", std::string(kBase) + "Greeting"}).exitCode == 3;
      },
      std::chrono::seconds(5)));
  // Listed in another order this time: the numbers follow the keys.
  startProvider({"--keys", "7,9"});
  EXPECT_EQ(value(std::string(kBase) + "Line.1.Name"), "line9");
  EXPECT_EQ(value(std::string(kBase) + "Line.2.Name"), "line7");
  const auto attrs = cwmpctl({"--json", "attrs", std::string(kBase) + "Greeting"});
  EXPECT_THAT(attrs.out, ::testing::ContainsRegex("\"notification\": *\"?2")) << attrs.out;
}

TEST_F(Providers, ValuesChangedOnAnActiveParameterOpensAValueChangeSession) {
  startDaemon();
  startProvider();
  ASSERT_EQ(cwmpctl({"setattr", std::string(kBase) + "Counter", "2"}).exitCode, 0);
  EXPECT_THAT(eventsOfTheSessionAfterValuesChanged(), ::testing::Contains("4 VALUE CHANGE"));
  EXPECT_THAT(lastInform(), HasSubstr("<Name>Device.X_00005E_Provider.Counter</Name>"));
}

// --- D-Bus callers never wait for another's provider call (issue 18) -------------------

// A D-Bus read of a provider parameter runs on a thread of its own with the model lent:
// while the provider sleeps the loop answers another caller at once, and the slow read
// gets 9002 within the timeout and a second.
TEST_F(Providers, ADbusReadOfASlowProviderLeavesTheLoopFreeAndGets9002InTime) {
  startDaemon(800);
  startProvider({"--get-delay-ms", "3000"});
  const auto start = std::chrono::steady_clock::now();
  Child slow({CWMPCTL_PATH, "--address", bus_->address(), "get", std::string(kBase) + "Greeting"},
             dir_.path(), "slow-get");
  ASSERT_TRUE(providerIsAsked());
  const auto read = readCoreParameter("--timeout=0.5");
  EXPECT_EQ(read.exitCode, 0) << read.err;
  EXPECT_THAT(read.out, HasSubstr("Device.DeviceInfo.SoftwareVersion"));
  const auto r = slow.wait();
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exitCode, 3) << r.out;
  EXPECT_THAT(r.err, StartsWith("error: 9002 "));
  EXPECT_LT(took, std::chrono::milliseconds(800 + 1000));
}

// A D-Bus set whose provider does not answer its Apply in time: 9002, the plugin's part
// rolled back, and other callers served while it waited.
TEST_F(Providers, ADbusSetPastTheProviderTimeoutGets9002AndRollsBackWithoutHoldingTheLoop) {
  startDaemon(800);
  startProvider({"--apply-delay-ms", "1600"});
  Child slow({CWMPCTL_PATH, "--address", bus_->address(), "set",
              "Device.X_00005E_Example.Greeting=changed", std::string(kBase) + "Greeting=changed"},
             dir_.path(), "slow-set");
  ASSERT_TRUE(
      eventually([this] { return provider_->currentOut().find("apply ") != std::string::npos; },
                 std::chrono::seconds(10)))
      << provider_->currentOut() << daemon_->currentErr();
  const auto read = readCoreParameter("--timeout=0.5");
  EXPECT_EQ(read.exitCode, 0) << read.err;
  const auto r = slow.wait();
  EXPECT_EQ(r.exitCode, 3) << r.out;
  EXPECT_THAT(r.err, HasSubstr("9002"));
  EXPECT_EQ(value("Device.X_00005E_Example.Greeting"), "hello");
  EXPECT_TRUE(eventually([&] { return value(std::string(kBase) + "Greeting") == "hello"; },
                         std::chrono::seconds(5)));
}

// While an ACS session waits for a provider, a D-Bus set is queued, not refused: it is
// applied once the session's RPC has its answer, and the caller gets its answer then.
TEST_F(Providers, ADbusSetWhileASessionWaitsForAProviderIsAppliedAfterIt) {
  startDaemon(3000);
  startProvider({"--get-delay-ms", "1500"});
  acs_->addRpc(gpv(std::string(kBase) + "Greeting"));
  const auto before = acs_->sessions().size();
  ASSERT_EQ(cwmpctl({"inform", kVendorEvent}).exitCode, 0);
  ASSERT_TRUE(providerIsAsked());
  const auto set = cwmpctl({"set", "Device.X_00005E_Example.Greeting=queued"});
  EXPECT_EQ(set.exitCode, 0) << set.err;
  EXPECT_EQ(value("Device.X_00005E_Example.Greeting"), "queued");
  ASSERT_TRUE(
      acs_->waitFor("ended_sessions", static_cast<int>(before) + 1, std::chrono::seconds(20)));
  std::string answer;
  for (const auto& r : acs_->requests()) {
    const auto body = r.get<std::string>("body", "");
    if (body.find("GetParameterValuesResponse") != std::string::npos) answer = body;
  }
  EXPECT_THAT(answer, HasSubstr(">hello</Value>"));
}

// Register answers once the provider listed its instances; meanwhile the loop serves.
TEST_F(Providers, ARegisterWhoseInstancesAreSlowDoesNotStallTheLoop) {
  startDaemon(3000);
  provider_ = std::make_unique<Child>(
      std::vector<std::string>{CWMPD_EXAMPLE_PROVIDER_PATH, "--address", bus_->address(),
                               "--definitions", CWMPD_EXAMPLE_PROVIDER_XML, "--keys", "9,7",
                               "--instances-delay-ms", "1500"},
      dir_.path(), "slow-instances");
  ASSERT_TRUE(eventually(
      [this] {
        return provider_->currentOut().find("instances " + std::string(kBase) + "Line.") !=
               std::string::npos;
      },
      std::chrono::seconds(10)))
      << provider_->currentOut() << daemon_->currentErr();
  const auto read = readCoreParameter("--timeout=0.5");
  EXPECT_EQ(read.exitCode, 0) << read.err;
  ASSERT_TRUE(
      eventually([this] { return provider_->currentOut().find("registered") != std::string::npos; },
                 std::chrono::seconds(10)))
      << provider_->currentErr() << daemon_->currentErr();
  EXPECT_EQ(value(std::string(kBase) + "Line.1.Name"), "line9");
  EXPECT_EQ(value(std::string(kBase) + "Line.2.Name"), "line7");
}

// --- The loop never waits for a provider on its own account (issue 18) ---------------

// A plugin's new instance while an ACS session waits for a provider: the plugin (pon,
// polling the simulated ONU every 100 ms) gets its number at once, so the row is there
// while the session still waits; nothing is refused ("busy"), and the row stays once the
// session is done (its number written to disk after the wait).
TEST_F(Providers, APluginsNewInstanceWhileASessionWaitsForAProviderIsNumberedAtOnce) {
  startDaemon(4000, "[pon]\npoll_interval = 0.1\n");
  startProvider({"--get-delay-ms", "2000"});
  const std::string ports = "Device.XPON.ONU.1.ANI.1.TC.GEM.Port.";
  ASSERT_EQ(value(ports + "2.PortID"), "4095");
  acs_->addRpc(gpv(std::string(kBase) + "Greeting"));
  const auto before = acs_->sessions().size();
  ASSERT_EQ(cwmpctl({"inform", kVendorEvent}).exitCode, 0);
  ASSERT_TRUE(providerIsAsked());
  std::ofstream(dir_.path() / "sim" / "pon" / "onu.ini", std::ios::app)
      << "gem_port.2000 = bidirectional unicast 1 2\n";
  auto numbered = [&] {
    const auto r = cwmpctl({"get", ports + "3.PortID"});
    return r.exitCode == 0 && r.out.find("2000") != std::string::npos;
  };
  EXPECT_TRUE(eventually(numbered, std::chrono::milliseconds(1500)));
  int ended = 0;
  for (const auto& session : acs_->sessions())
    if (session.get<std::string>("end", "") == "204") ++ended;
  EXPECT_EQ(ended, static_cast<int>(before)) << "the session no longer waits";
  ASSERT_TRUE(
      acs_->waitFor("ended_sessions", static_cast<int>(before) + 1, std::chrono::seconds(20)));
  EXPECT_TRUE(numbered());
  EXPECT_THAT(daemon_->currentErr(), ::testing::Not(HasSubstr("busy")));
}

// The notification sampler (every 100 ms here) and the baseline after a session do not
// read a provider's parameter on the loop, where a slow Get would hold everything: the
// loop keeps answering, the provider is never asked, and the parameter's changes still
// come through its ValuesChanged, with the live value in a "4 VALUE CHANGE" Inform.
TEST_F(Providers, TheSamplerLeavesAProvidersParametersToItsSignalAndTheLoopFree) {
  startDaemon(3000, "[notifications]\nsample_interval_ms = 100\n");
  startProvider({"--get-delay-ms", "1200"});
  ASSERT_EQ(cwmpctl({"setattr", std::string(kBase) + "Counter", "2"}).exitCode, 0);
  // A session ends (refreshBaseline), and ten sampling rounds pass.
  acsRound(gpv("Device.DeviceInfo.SoftwareVersion"));
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (std::chrono::steady_clock::now() < until) {
    const auto read = readCoreParameter("--timeout=0.5");
    ASSERT_EQ(read.exitCode, 0) << read.err;
  }
  EXPECT_THAT(provider_->currentOut(), ::testing::Not(HasSubstr("get ")));
  EXPECT_THAT(eventsOfTheSessionAfterValuesChanged(), ::testing::Contains("4 VALUE CHANGE"));
  EXPECT_THAT(lastInform(), ::testing::ContainsRegex(
                                "<Name>Device.X_00005E_Provider.Counter</Name>\\s*<Value[^>]*>1<"));
}

// D-Bus calls, once a provider is registered, run on a few reused threads with the model
// lent (ModelLoan::kMaxLentWorkers, 4): sixteen at once, half of them waiting in line for
// a slow provider, all get their answers, and the daemon never has more than four threads
// more than before them.
TEST_F(Providers, ManyConcurrentDbusCallsAllCompleteOnABoundedNumberOfThreads) {
  startDaemon(4000);
  startProvider({"--get-delay-ms", "200"});
  const fs::path tasks = fs::path("/proc") / std::to_string(daemon_->pid()) / "task";
  auto threads = [&tasks] {
    std::size_t n = 0;
    std::error_code ec;
    for (fs::directory_iterator it(tasks, ec), end; !ec && it != end; it.increment(ec)) ++n;
    return n;
  };
  const std::size_t before = threads();
  std::atomic<bool> done{false};
  std::atomic<std::size_t> most{before};
  std::thread sampler([&] {
    while (!done) {
      most = std::max(most.load(), threads());
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  std::vector<std::unique_ptr<Child>> calls;
  for (int i = 0; i < 8; ++i)
    for (const std::string& name :
         {std::string(kBase) + "Greeting", std::string("Device.DeviceInfo.SoftwareVersion")})
      calls.push_back(std::make_unique<Child>(
          std::vector<std::string>{CWMPCTL_PATH, "--address", bus_->address(), "get", name},
          dir_.path(), "get" + std::to_string(calls.size())));
  for (auto& c : calls) {
    const auto r = c->wait();
    EXPECT_EQ(r.exitCode, 0) << r.err;
  }
  done = true;
  sampler.join();
  EXPECT_LE(most.load(), before + 4);
  EXPECT_EQ(value(std::string(kBase) + "Greeting"), "hello");  // and the threads serve again
}

}  // namespace
}  // namespace cwmpd::testing
