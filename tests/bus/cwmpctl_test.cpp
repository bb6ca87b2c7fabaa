// The cwmpctl binary against the service on a private bus: output, exit codes, faults.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bus_fixture.hpp"

namespace cwmpd::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

using Cwmpctl = BusFixture;

TEST_F(Cwmpctl, GetOfASubtreePrintsAlignedNameValueLines) {
  const auto r = cwmpctl({"get", "Device.DeviceInfo."});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out,
            "Device.DeviceInfo.Manufacturer    = ACME\n"
            "Device.DeviceInfo.SoftwareVersion = 1.0.3\n"
            "Device.DeviceInfo.UpTime          = 42\n");
}

TEST_F(Cwmpctl, GetWithJsonPrintsNameTypeAndValue) {
  const auto r = cwmpctl({"--json", "get", "Device.DeviceInfo.UpTime"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(
      r.out,
      "[{\"name\":\"Device.DeviceInfo.UpTime\",\"type\":\"xsd:unsignedInt\",\"value\":\"42\"}]\n");
}

TEST_F(Cwmpctl, SetChangesEveryValueAndExitsZero) {
  auto r = cwmpctl({"set", "Device.WiFi.SSID.1.SSID=my \"net\"", "Device.WiFi.SSID.1.Enable=true"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, "");
  r = cwmpctl({"--json", "get", "Device.WiFi.SSID.1."});
  EXPECT_EQ(r.out,
            "[{\"name\":\"Device.WiFi.SSID.1.Enable\",\"type\":\"xsd:boolean\",\"value\":\"true\"},"
            "{\"name\":\"Device.WiFi.SSID.1.SSID\",\"type\":\"xsd:string\",\"value\":\"my "
            "\\\"net\\\"\"}]\n");
}

TEST_F(Cwmpctl, SetWithOneBadValueExitsThreeWithTheFaultAndChangesNothing) {
  auto r = cwmpctl({"set", "Device.WiFi.SSID.1.SSID=guest", "Device.WiFi.SSID.1.Enable=perhaps"});
  EXPECT_EQ(r.exitCode, 3);
  EXPECT_THAT(r.err, StartsWith("error: 9003 Invalid arguments"));
  EXPECT_THAT(r.err, HasSubstr("Device.WiFi.SSID.1.Enable: 9007 Invalid parameter value"));
  r = cwmpctl({"get", "Device.WiFi.SSID.1.SSID"});
  EXPECT_EQ(r.out, "Device.WiFi.SSID.1.SSID = home\n");
}

TEST_F(Cwmpctl, FaultsInJsonModeAreAlsoAJsonObjectOnStdout) {
  const auto r = cwmpctl({"--json", "get", "Device.Foo."});
  EXPECT_EQ(r.exitCode, 3);
  EXPECT_EQ(r.out,
            "{\"error\":{\"name\":\"org.cwmpd.Fault.InvalidParameterName\",\"code\":9005,"
            "\"message\":\"9005 Invalid parameter name: Device.Foo.\"}}\n");
  EXPECT_EQ(r.err, "error: 9005 Invalid parameter name: Device.Foo.\n");
}

TEST_F(Cwmpctl, AddPrintsTheNewInstanceAndDelRemovesIt) {
  auto r = cwmpctl({"add", "Device.Hosts.Host."});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, "Device.Hosts.Host.1.\n");
  r = cwmpctl({"--json", "add", "Device.Hosts.Host."});
  EXPECT_EQ(r.out, "{\"object\":\"Device.Hosts.Host.2.\",\"instance\":2}\n");
  r = cwmpctl({"get", "Device.Hosts.Host.1."});
  EXPECT_EQ(r.out,
            "Device.Hosts.Host.1.Active   = true\n"
            "Device.Hosts.Host.1.HostName = \n");
  r = cwmpctl({"del", "Device.Hosts.Host.1."});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  r = cwmpctl({"get", "Device.Hosts.Host.1."});
  EXPECT_EQ(r.exitCode, 3);
  r = cwmpctl({"del", "Device.Hosts.Host.1."});
  EXPECT_EQ(r.exitCode, 3);
  EXPECT_THAT(r.err, StartsWith("error: 9005 "));
}

TEST_F(Cwmpctl, NamesListsObjectsAndParametersWithWritability) {
  auto r = cwmpctl({"names", "Device.WiFi.", "--next-level"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, "Device.WiFi.SSID.  read-only\n");
  r = cwmpctl({"names", "Device.WiFi.SSID.1."});
  EXPECT_EQ(r.out,
            "Device.WiFi.SSID.1.        read-only\n"
            "Device.WiFi.SSID.1.Enable  writable\n"
            "Device.WiFi.SSID.1.SSID    writable\n");
}

TEST_F(Cwmpctl, SetattrThenAttrsShowsNotificationAndAccessList) {
  auto r = cwmpctl({"setattr", "Device.DeviceInfo.SoftwareVersion", "2", "Subscriber"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  r = cwmpctl({"attrs", "Device.DeviceInfo.SoftwareVersion", "Device.DeviceInfo.Manufacturer"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out,
            "Device.DeviceInfo.SoftwareVersion  notification=2 access=Subscriber\n"
            "Device.DeviceInfo.Manufacturer     notification=0 access=-\n");
}

TEST_F(Cwmpctl, InformPassesVendorEventsToTheAgent) {
  auto r = cwmpctl({"inform", "X CT-COM BIND"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(service_.onLoop([this] { return service_.agent.informs(); }),
            std::vector<std::vector<std::string>>{{"X CT-COM BIND"}});
  r = cwmpctl({"inform", "X NOBODY"});
  EXPECT_EQ(r.exitCode, 3);
  EXPECT_THAT(r.err, StartsWith("error: 9003 "));
}

TEST_F(Cwmpctl, StatusShowsTheAgentProperties) {
  ASSERT_EQ(cwmpctl({"inform", "6 CONNECTION REQUEST"}).exitCode, 0);
  auto r = cwmpctl({"status"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out,
            "AcsUrl         = http://127.0.0.1:7547/acs\n"
            "SessionState   = Idle\n"
            "LastInformTime = \n"
            "PendingEvents  = 6 CONNECTION REQUEST\n"
            "Plugins        = deviceinfo, wan\n");
  r = cwmpctl({"--json", "status"});
  EXPECT_EQ(r.out,
            "{\"AcsUrl\":\"http://127.0.0.1:7547/acs\",\"SessionState\":\"Idle\","
            "\"LastInformTime\":\"\",\"PendingEvents\":[\"6 CONNECTION REQUEST\"],"
            "\"Plugins\":[\"deviceinfo\",\"wan\"]}\n");
}

TEST_F(Cwmpctl, MonitorPrintsValueChangesAsTheyHappen) {
  Child monitor({CWMPCTL_PATH, "--address", bus_->address(), "monitor", "--count", "1"},
                dir_.path(), "monitor");
  ASSERT_TRUE(
      eventually([&] { return monitor.currentErr().find("monitoring") != std::string::npos; }));
  service_.onLoop([this] { service_.model.pluginChange("Device.DeviceInfo.UpTime", "99"); });
  const auto r = monitor.wait(std::chrono::seconds(10));
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, "Device.DeviceInfo.UpTime = 99\n");
}

TEST_F(Cwmpctl, UsageErrorsExitOne) {
  const auto r = cwmpctl({"get"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_THAT(r.err, HasSubstr("wrong number of arguments"));
  EXPECT_EQ(run({CWMPCTL_PATH, "--help"}, dir_.path()).exitCode, 0);
}

TEST_F(Cwmpctl, NoServiceOrNoBusExitsTwo) {
  service_.stop();
  ASSERT_TRUE(eventually([this] { return cwmpctl({"status"}).exitCode == 2; }));
  const auto r = run({CWMPCTL_PATH, "--address", "unix:path=" + (dir_.path() / "nothing").string(),
                      "get", "Device."},
                     dir_.path());
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_THAT(r.err, StartsWith("error: cannot connect to the D-Bus bus"));
}

}  // namespace
}  // namespace cwmpd::testing
