// config/dbus/org.cwmpd.conf on a real dbus-daemon: it parses, root may own and do
// everything, and (when the test runs as root and can drop privileges with setpriv) any
// other user may read but not change the model or trigger informs.
#include <gmock/gmock.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "bus_fixture.hpp"

namespace cwmpd::testing {
namespace {

using ::testing::HasSubstr;

constexpr const char* kNobody = "65534";

// A bus like the system bus as far as org.cwmpd is concerned: permissive defaults (any
// user may connect; everything else allowed) with the shipped policy included after them,
// so that its rules win exactly as on a real system bus.
std::filesystem::path writeBusConfig(const std::filesystem::path& dir) {
  const auto path = dir / "bus.conf";
  std::ofstream out(path);
  out << "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\"\n"
         " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
         "<busconfig>\n"
         "  <type>system</type>\n"
         "  <listen>unix:path="
      << (dir / "bus").string()
      << "</listen>\n"
         "  <auth>EXTERNAL</auth>\n"
         "  <policy context=\"default\">\n"
         "    <allow user=\"*\"/>\n"
         "    <allow own=\"*\"/>\n"
         "    <allow send_destination=\"*\"/>\n"
         "    <allow receive_sender=\"*\"/>\n"
         "  </policy>\n"
         "  <include>"
      << CWMPD_DBUS_POLICY
      << "</include>\n"
         "</busconfig>\n";
  return path;
}

class Policy : public BusFixture {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "under this policy only root may own org.cwmpd";
    // Other users must reach the socket in our private directory.
    ::chmod(dir_.path().c_str(), 0755);
    bus_.emplace(dir_.path(), writeBusConfig(dir_.path()));
    populate(service_.model);
    ASSERT_TRUE(service_.start(options()));
  }

  // Runs busctl as `uid` (and optionally with supplementary group `gid`).
  RunResult busctlAs(const std::string& uid, const std::string& groups,
                     std::vector<std::string> args) {
    args.insert(args.begin(), {"setpriv", "--reuid=" + uid, "--regid=" + uid,
                               groups.empty() ? "--clear-groups" : "--groups=" + groups, "busctl",
                               "--address=" + bus_->address()});
    return run(args, dir_.path());
  }

  // setpriv is there and another user can reach the bus socket (it cannot when the
  // temporary directory lies inside a private one).
  bool canSwitchUsers() {
    if (::access("/usr/bin/setpriv", X_OK) != 0) return false;
    return run({"setpriv", std::string("--reuid=") + kNobody, std::string("--regid=") + kNobody,
                "--clear-groups", "test", "-w", bus_->socket().string()},
               dir_.path())
               .exitCode == 0;
  }

  RunResult callAs(const std::string& uid, const std::string& groups, const char* path,
                   const char* interface, std::vector<std::string> methodAndArgs) {
    methodAndArgs.insert(methodAndArgs.begin(), {"call", "org.cwmpd", path, interface});
    return busctlAs(uid, groups, methodAndArgs);
  }
};

TEST(PolicyFile, IsWellFormedXml) {
  const TempDir dir;
  const auto r = run({"xmllint", "--noout", "--nonet", CWMPD_DBUS_POLICY}, dir.path());
  EXPECT_EQ(r.exitCode, 0) << r.err;
}

TEST_F(Policy, DbusDaemonAcceptsItAndRootOwnsAndChangesTheModel) {
  // The fixture's service (running as root) got org.cwmpd on this bus.
  auto r = cwmpctl({"set", "Device.WiFi.SSID.1.SSID=root-was-here"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(cwmpctl({"get", "Device.WiFi.SSID.1.SSID"}).out,
            "Device.WiFi.SSID.1.SSID = root-was-here\n");
}

TEST_F(Policy, AnyUserMayReadIntrospectAndGetProperties) {
  if (!canSwitchUsers()) GTEST_SKIP() << "needs setpriv and a bus socket other users can reach";
  auto r = callAs(kNobody, "", "/org/cwmpd/DataModel", "org.cwmpd.DataModel1",
                  {"GetParameterValues", "as", "1", "Device.DeviceInfo.Manufacturer"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ACME"));
  r = callAs(kNobody, "", "/org/cwmpd/DataModel", "org.cwmpd.DataModel1",
             {"GetParameterNames", "sb", "Device.", "true"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  r = callAs(kNobody, "", "/org/cwmpd/DataModel", "org.cwmpd.DataModel1",
             {"GetParameterAttributes", "as", "1", "Device.DeviceInfo.Manufacturer"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  r = busctlAs(kNobody, "", {"introspect", "org.cwmpd", "/org/cwmpd/Agent"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(".SessionState"));
  r = busctlAs(
      kNobody, "",
      {"get-property", "org.cwmpd", "/org/cwmpd/Agent", "org.cwmpd.Agent1", "SessionState"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, "s \"Idle\"\n");
}

TEST_F(Policy, OtherUsersMayNotChangeTheModelOrTriggerInforms) {
  if (!canSwitchUsers()) GTEST_SKIP() << "needs setpriv and a bus socket other users can reach";
  const std::vector<std::pair<const char*, std::vector<std::string>>> writes = {
      {"org.cwmpd.DataModel1",
       {"SetParameterValues", "a(ss)", "1", "Device.WiFi.SSID.1.SSID", "x"}},
      {"org.cwmpd.DataModel1",
       {"SetParameterAttributes", "a(sias)", "1", "Device.WiFi.SSID.1.SSID", "1", "0"}},
      {"org.cwmpd.DataModel1", {"AddObject", "s", "Device.Hosts.Host."}},
      {"org.cwmpd.DataModel1", {"DeleteObject", "s", "Device.Hosts.Host.1."}},
      {"org.cwmpd.Agent1", {"Inform", "as", "0"}},
      {"org.cwmpd.Agent1", {"ScheduleInform", "us", "5", "k"}},
  };
  for (const auto& [interface, call] : writes) {
    const char* path =
        std::string(interface) == "org.cwmpd.Agent1" ? "/org/cwmpd/Agent" : "/org/cwmpd/DataModel";
    const auto r = callAs(kNobody, "", path, interface, call);
    EXPECT_NE(r.exitCode, 0) << call[0] << " was allowed";
    EXPECT_THAT(r.err, HasSubstr("denied")) << call[0];
  }
  EXPECT_TRUE(service_.onLoop([this] { return service_.agent.informs().empty(); }));
  EXPECT_EQ(cwmpctl({"get", "Device.WiFi.SSID.1.SSID"}).out, "Device.WiFi.SSID.1.SSID = home\n");
}

TEST_F(Policy, OtherUsersMayNotOwnTheName) {
  if (!canSwitchUsers()) GTEST_SKIP() << "needs setpriv and a bus socket other users can reach";
  const auto r = busctlAs(kNobody, "",
                          {"call", "org.freedesktop.DBus", "/org/freedesktop/DBus",
                           "org.freedesktop.DBus", "RequestName", "su", "org.cwmpd", "4"});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_THAT(r.err, HasSubstr("denied"));
}

TEST_F(Policy, MembersOfTheCwmpdGroupMayChangeTheModel) {
  if (!canSwitchUsers()) GTEST_SKIP() << "needs setpriv and a bus socket other users can reach";
  const group* cwmpd = ::getgrnam("cwmpd");
  if (cwmpd == nullptr) GTEST_SKIP() << "no group cwmpd on this system";
  const auto r =
      callAs(kNobody, std::to_string(cwmpd->gr_gid), "/org/cwmpd/DataModel", "org.cwmpd.DataModel1",
             {"SetParameterValues", "a(ss)", "1", "Device.WiFi.SSID.1.SSID", "grp"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
}

}  // namespace
}  // namespace cwmpd::testing
