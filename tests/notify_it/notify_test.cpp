// Value-change notifications end to end (issue 7): the test ACS sets attributes, cwmpctl
// changes values over a private dbus-daemon, and the Informs the daemon sends say so.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include "it_support.hpp"

namespace cwmpd::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSsid = "Device.WiFi.SSID.1.SSID";

std::string setAttributes(const std::string& name, int notification) {
  return "<cwmp:SetParameterAttributes><ParameterList "
         "soap-enc:arrayType=\"cwmp:SetParameterAttributesStruct[1]\">"
         "<SetParameterAttributesStruct><Name>" +
         name + "</Name><NotificationChange>true</NotificationChange><Notification>" +
         std::to_string(notification) +
         "</Notification><AccessListChange>false</AccessListChange>"
         "<AccessList "
         "soap-enc:arrayType=\"xsd:string[0]\"></AccessList></SetParameterAttributesStruct>"
         "</ParameterList></cwmp:SetParameterAttributes>";
}

std::string setValue(const std::string& name, const std::string& value) {
  return "<cwmp:SetParameterValues><ParameterList "
         "soap-enc:arrayType=\"cwmp:ParameterValueStruct[1]\">"
         "<ParameterValueStruct><Name>" +
         name + "</Name><Value xsi:type=\"xsd:string\">" + value +
         "</Value></ParameterValueStruct></ParameterList><ParameterKey>k</ParameterKey></"
         "cwmp:SetParameterValues>";
}

bool hasCode(const std::string& inform, const std::string& code) {
  auto codes = eventCodes(inform);
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

class Notification : public DaemonIt {
 protected:
  void SetUp() override {
    DaemonIt::SetUp();
    bus_ = std::make_unique<PrivateDbus>(dir_);
    daemon_->set("bus", "address", bus_->address());
  }
  void TearDown() override {
    DaemonIt::TearDown();
    bus_.reset();
  }
  // cwmpctl set NAME=VALUE; asserts success.
  ::testing::AssertionResult busSet(const std::string& name, const std::string& value) {
    auto [code, out] = runCwmpctl(bus_->address(), {"set", name + "=" + value});
    if (code == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "cwmpctl set failed (" << code << "): " << out;
  }
  // Waits until cwmpctl can reach the daemon on the bus.
  ::testing::AssertionResult waitForBus() {
    for (int i = 0; i < 200; ++i) {
      if (runCwmpctl(bus_->address(), {"get", kSsid}).first == 0)
        return ::testing::AssertionSuccess();
      std::this_thread::sleep_for(50ms);
    }
    return ::testing::AssertionFailure() << "cwmpd never answered on the bus";
  }
  std::unique_ptr<PrivateDbus> bus_;
};

TEST_F(Notification, ActiveNotificationOfAnSsidChangedOverDbusStartsAValueChangeSession) {
  acs_->addRpc(setAttributes(kSsid, 2));
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  ASSERT_EQ(acs_->results().at(0).get<std::string>("method"), "SetParameterAttributesResponse");
  ASSERT_TRUE(waitForBus());
  ASSERT_TRUE(busSet(kSsid, "changed-by-dbus"));
  ASSERT_TRUE(waitSessions(2));
  const std::string inform = informs(*acs_).at(1);
  EXPECT_TRUE(hasCode(inform, "4 VALUE CHANGE")) << inform;
  EXPECT_EQ(parameterValue(inform, kSsid), "changed-by-dbus");
}

// Issue 13 item 14: a value that changes while the Inform carrying its previous value is
// on the wire is not lost: the next Inform (an active notification asks for it at once)
// carries the new value.
TEST_F(Notification, AValueChangedWhileTheInformIsOnTheWireGoesWithTheNextInform) {
  acs_->addRpc(setAttributes(kSsid, 2));
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  ASSERT_TRUE(waitForBus());
  // The ACS takes 2 s to answer the next Inform, then answers normally.
  acs_->addResponses(R"([{"match": "Inform", "delay": 2, "pass": true}])");
  const auto mark = daemon_->logSize();
  ASSERT_TRUE(busSet(kSsid, "first"));
  ASSERT_TRUE(daemon_->waitForLog("session 2 to", 10s, mark));
  ASSERT_TRUE(busSet(kSsid, "second"));
  ASSERT_TRUE(waitSessions(3));
  const auto all = informs(*acs_);
  EXPECT_EQ(parameterValue(all.at(1), kSsid), "first") << all.at(1);
  EXPECT_TRUE(hasCode(all.at(2), "4 VALUE CHANGE")) << all.at(2);
  EXPECT_EQ(parameterValue(all.at(2), kSsid), "second") << all.at(2);
}

TEST_F(Notification, ActiveNotificationsAreThrottled) {
  // DefaultActiveNotificationThrottle 20 s, scaled by 0.1: at least 2 s between sessions.
  acs_->addRpc(setAttributes(kSsid, 2));
  acs_->addRpc(setValue("Device.ManagementServer.DefaultActiveNotificationThrottle", "20"));
  daemon_->setTimeScale(0.1);
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  ASSERT_TRUE(waitForBus());
  ASSERT_TRUE(busSet(kSsid, "first"));
  ASSERT_TRUE(waitSessions(2));
  ASSERT_TRUE(busSet(kSsid, "second"));
  ASSERT_TRUE(waitSessions(3));
  auto sessions = acs_->sessions();
  const double gap = sessions.at(2).get<double>("started") - sessions.at(1).get<double>("started");
  EXPECT_GE(gap, 1.9);
  EXPECT_EQ(parameterValue(informs(*acs_).at(2), kSsid), "second");
}

TEST_F(Notification, PassiveNotificationWaitsForTheNextPeriodicInform) {
  acs_->addRpc(setAttributes(kSsid, 1));
  daemon_->set("acs", "periodic_inform_enable", "true");
  daemon_->set("acs", "periodic_inform_interval", "40");
  daemon_->setTimeScale(0.1);  // periodic every 4 s
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  ASSERT_TRUE(waitForBus());
  ASSERT_TRUE(busSet(kSsid, "passive-change"));
  std::this_thread::sleep_for(1s);
  ASSERT_EQ(acs_->sessions().size(), 1u) << "a passive notification must not start a session";
  ASSERT_TRUE(waitSessions(2));
  const std::string inform = informs(*acs_).at(1);
  EXPECT_TRUE(hasCode(inform, "2 PERIODIC")) << inform;
  EXPECT_TRUE(hasCode(inform, "4 VALUE CHANGE")) << inform;
  EXPECT_EQ(parameterValue(inform, kSsid), "passive-change");
}

TEST_F(Notification, ActiveNotificationOnACounterIsRefusedWith9009) {
  acs_->addRpc(setAttributes("Device.WiFi.SSID.1.Stats.BytesSent", 2));
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  auto results = acs_->results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].get<std::string>("method"), "Fault");
  EXPECT_EQ(results[0].get<int>("fault_code", 0), 9009) << results[0].get<std::string>("body");
}

TEST_F(Notification, TheAcsOwnChangeDoesNotNotify) {
  acs_->addRpc(setAttributes(kSsid, 2));
  acs_->addRpc(setValue(kSsid, "set-by-acs"));
  daemon_->set("cpe", "connection_request_min_interval", "0");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(acs_->sessions().size(), 1u);
  acs_->connectionRequest(daemon_->connectionRequestUrl(), "cr-user", "cr-secret");
  ASSERT_TRUE(waitSessions(2));
  const std::string inform = informs(*acs_).at(1);
  EXPECT_FALSE(hasCode(inform, "4 VALUE CHANGE")) << inform;
  EXPECT_FALSE(parameterValue(inform, kSsid)) << inform;
}

TEST_F(Notification, APendingPassiveChangeSurvivesARestart) {
  acs_->addRpc(setAttributes(kSsid, 1));
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  ASSERT_TRUE(waitForBus());
  ASSERT_TRUE(busSet(kSsid, "before-restart"));
  std::this_thread::sleep_for(300ms);
  ASSERT_EQ(daemon_->stop(), 0);
  daemon_->start();
  ASSERT_TRUE(waitSessions(2));
  const std::string inform = informs(*acs_).at(1);
  EXPECT_TRUE(hasCode(inform, "1 BOOT")) << inform;
  EXPECT_TRUE(hasCode(inform, "4 VALUE CHANGE")) << inform;
  EXPECT_EQ(parameterValue(inform, kSsid), "before-restart");
}

TEST_F(Notification, AChangeMadeWhileTheAgentWasDownIsReportedAfterTheRestart) {
  acs_->addRpc(setAttributes(kSsid, 2));
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  ASSERT_EQ(daemon_->stop(), 0);
  // The box's own configuration changes while the agent is down (sim data of SSID 1).
  const std::string ini = daemon_->simDir() + "/wifi/ssid/wlan0.ini";
  std::string text;
  {
    std::ifstream in(ini);
    std::stringstream buf;
    buf << in.rdbuf();
    text = buf.str();
  }
  const auto at = text.find("ssid = ");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, text.find('\n', at) - at, "ssid = changed-while-down");
  std::ofstream(ini, std::ios::trunc) << text;
  daemon_->start();
  ASSERT_TRUE(waitSessions(2));
  const std::string inform = informs(*acs_).at(1);
  EXPECT_TRUE(hasCode(inform, "1 BOOT")) << inform;
  EXPECT_TRUE(hasCode(inform, "4 VALUE CHANGE")) << inform;
  EXPECT_EQ(parameterValue(inform, kSsid), "changed-while-down");
}

TEST_F(Notification, ADeliveredChangeIsNotReportedAgainAfterKillDashNine) {
  acs_->addRpc(setAttributes(kSsid, 2));
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  ASSERT_TRUE(waitForBus());
  ASSERT_TRUE(busSet(kSsid, "active-before-kill"));
  ASSERT_TRUE(waitSessions(2));
  daemon_->kill9();
  daemon_->start();
  ASSERT_TRUE(waitSessions(3));
  // (ConnectionRequestURL may be reported: the restart took a new ephemeral port.)
  EXPECT_FALSE(parameterValue(informs(*acs_).at(2), kSsid)) << informs(*acs_).at(2);
}

#ifdef CWMPD_TEST_EXAMPLE_PLUGIN
TEST_F(Notification, AVendorEventDeclaredByAPluginAndRaisedOverDbusReachesTheAcs) {
  daemon_->addPlugin(CWMPD_TEST_EXAMPLE_PLUGIN, "example");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  ASSERT_TRUE(waitForBus());
  auto [code, out] = runCwmpctl(bus_->address(), {"inform", "X 00005E TRIGGERED"});
  ASSERT_EQ(code, 0) << out;
  ASSERT_TRUE(waitSessions(2));
  EXPECT_TRUE(hasCode(informs(*acs_).at(1), "X 00005E TRIGGERED")) << informs(*acs_).at(1);
  // An undeclared vendor event is refused over the bus.
  auto [bad, badOut] = runCwmpctl(bus_->address(), {"inform", "X 00005E NOT_DECLARED"});
  EXPECT_NE(bad, 0);
  EXPECT_NE(badOut.find("9003"), std::string::npos) << badOut;
}
#endif

// Issue 13 item 15: the README's `cwmpctl inform "X CT-COM BIND"` works with the shipped
// plugins (pon declares it), and [cpe] vendor_events declares more without a plugin.
TEST_F(Notification, VendorEventsOfThePonPluginAndOfTheConfigurationReachTheAcs) {
  daemon_->set("cpe", "vendor_events", "X ACME LINK_UP, X 00D09E REBOOTED");
  daemon_->set("plugins", "enable", "deviceinfo, management, wan, wifi, pon");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  ASSERT_TRUE(waitForBus());
  auto [code, out] = runCwmpctl(bus_->address(), {"inform", "X CT-COM BIND"});
  ASSERT_EQ(code, 0) << out;
  ASSERT_TRUE(waitSessions(2));
  EXPECT_TRUE(hasCode(informs(*acs_).at(1), "X CT-COM BIND")) << informs(*acs_).at(1);
  auto [configured, configuredOut] =
      runCwmpctl(bus_->address(), {"inform", "X ACME LINK_UP", "X 00D09E REBOOTED"});
  ASSERT_EQ(configured, 0) << configuredOut;
  ASSERT_TRUE(waitSessions(3));
  EXPECT_TRUE(hasCode(informs(*acs_).at(2), "X ACME LINK_UP")) << informs(*acs_).at(2);
  EXPECT_TRUE(hasCode(informs(*acs_).at(2), "X 00D09E REBOOTED")) << informs(*acs_).at(2);
  auto [bad, badOut] = runCwmpctl(bus_->address(), {"inform", "X ACME NOT_DECLARED"});
  EXPECT_NE(bad, 0);
  EXPECT_NE(badOut.find("9003"), std::string::npos) << badOut;
}

}  // namespace
}  // namespace cwmpd::test
