// Plugin isolation with the real daemon (issue 14 item 5): broken fixture plugins throw
// from posted work, from timers, from start() and from a getter during a whole-tree
// GetParameterValues. Each time the daemon stays up, names the plugin in its log and
// keeps answering for every other subtree: a D-Bus get of another plugin's parameter
// (cwmpctl on a private dbus-daemon) and an ACS session through the test ACS.
// The file-type handler path is in tests/transfer_it (it needs the file server).
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "it_support.hpp"

namespace cwmpd::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kOther = "Device.DeviceInfo.Manufacturer";  // the deviceinfo plugin's

std::string getValues(const std::string& name) {
  return "<cwmp:GetParameterValues><ParameterNames soap-enc:arrayType=\"xsd:string[1]\"><string>" +
         name + "</string></ParameterNames></cwmp:GetParameterValues>";
}

class BrokenPlugin : public DaemonIt {
 protected:
  void SetUp() override {
    DaemonIt::SetUp();
    bus_ = std::make_unique<PrivateDbus>(dir_);
    daemon_->set("bus", "address", bus_->address());
    daemon_->set("cpe", "connection_request_min_interval", "0");
  }
  void TearDown() override {
    DaemonIt::TearDown();
    bus_.reset();
  }
  // Loads the fixture plugin (with the shipped ones), starts the daemon and waits for
  // the first session.
  void startWith(const char* so, const char* name) {
    daemon_->addPlugin(so, name);
    daemon_->start();
    ASSERT_TRUE(waitSessions(1, 20s));
  }
  // cwmpctl get NAME: exit code and output.
  std::pair<int, std::string> busGet(const std::string& name) {
    return runCwmpctl(bus_->address(), {"get", name});
  }
  // One more ACS session (connection request) that reads `name`; the ACS's result.
  Json acsGet(const std::string& name) {
    const std::size_t before = acs_->results().size();
    acs_->addRpc(getValues(name));
    auto r = acs_->connectionRequest(daemon_->connectionRequestUrl(), "cr-user", "cr-secret");
    EXPECT_EQ(r.get<std::string>("status", ""), "200");
    EXPECT_TRUE(acs_->waitFor("results", static_cast<int>(before) + 1, 20s));
    auto results = acs_->results();
    return results.size() > before ? results[before] : Json();
  }
  // The daemon is alive and every other subtree answers, over D-Bus and to the ACS.
  void expectOthersServed() {
    ASSERT_TRUE(daemon_->running());
    // The bus comes up after the plugins start: wait for the daemon's name on it.
    std::pair<int, std::string> r;
    for (int i = 0; i < 100 && (r = busGet(kOther)).first != 0; ++i)
      std::this_thread::sleep_for(100ms);
    auto& [code, out] = r;
    EXPECT_EQ(code, 0) << out;
    EXPECT_NE(out.find(kOther), std::string::npos) << out;
    Json result = acsGet(kOther);
    EXPECT_EQ(result.get<std::string>("method", ""), "GetParameterValuesResponse");
    EXPECT_TRUE(daemon_->running());
  }
  std::unique_ptr<PrivateDbus> bus_;
};

TEST_F(BrokenPlugin, PostedWorkThatThrowsIsLoggedWithThePluginsNameAndTheDaemonCarriesOn) {
  startWith(FIXTURE_THROWING_POST, "throwing_post");
  ASSERT_TRUE(daemon_->waitForLog("plugin throwing_post", 10s));
  ASSERT_TRUE(daemon_->waitForLog("posted work failed", 10s));
  expectOthersServed();
  // One failure is not "repeated": the plugin's own parameters still answer.
  auto [code, out] = busGet("Device.X_00005E_Post.Text");
  EXPECT_EQ(code, 0) << out;
}

TEST_F(BrokenPlugin, TimersThatThrowDisableThePluginWhoseSubtreeThenAnswers9002) {
  startWith(FIXTURE_THROWING_TIMER, "throwing_timer");
  ASSERT_TRUE(daemon_->waitForLog("one-shot timer failed", 10s));
  ASSERT_TRUE(daemon_->waitForLog("timer failed: a non-standard exception", 10s));
  ASSERT_TRUE(daemon_->waitForLog("disabled until the daemon restarts", 10s));
  expectOthersServed();
  auto [code, out] = busGet("Device.X_00005E_Timer.Text");
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("9002"), std::string::npos) << out;
  Json result = acsGet("Device.X_00005E_Timer.Text");
  EXPECT_EQ(result.get<std::string>("method", ""), "Fault");
  EXPECT_EQ(result.get<std::string>("fault_code", ""), "9002");
}

TEST_F(BrokenPlugin, AStartThatThrowsDisablesOnlyThatPlugin) {
  startWith(FIXTURE_THROWING_START, "throwing_start");
  ASSERT_TRUE(daemon_->waitForLog("start failed: cannot open the device", 10s));
  expectOthersServed();
  auto [code, out] = busGet("Device.X_00005E_Start.Text");
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("9002"), std::string::npos) << out;
}

TEST_F(BrokenPlugin, AGetterThatThrowsFailsTheWholeTreeReadWith9002AndNothingElse) {
  startWith(FIXTURE_THROWING_HANDLER, "throwing_handler");
  Json whole = acsGet("Device.");
  EXPECT_EQ(whole.get<std::string>("method", ""), "Fault");
  EXPECT_EQ(whole.get<std::string>("fault_code", ""), "9002");
  ASSERT_TRUE(daemon_->waitForLog("plugin throwing_handler", 1s));
  expectOthersServed();
}

}  // namespace
}  // namespace cwmpd::test
