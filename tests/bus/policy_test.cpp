// config/dbus/org.cwmpd.conf proved on a system-like bus (issue 19 item 3): a dbus-daemon
// whose base policy denies by default what the real system bus denies (owning names,
// method calls) includes the shipped file, and real processes of different users call it:
// only the agent's user (cwmpd, or root) may own org.cwmpd; root and members of the group
// cwmpd may set, add, delete and trigger informs; any other user may read, not write.
//
// The users are real to dbus-daemon: it runs in its own mount namespace where /etc/passwd
// and /etc/group also name a user and a group "cwmpd" (as the packages create them) and a
// user "cwmpd-member" in that group, and the clients run under those uids with setpriv.
// That needs root, setpriv and unshare: without them the tests fail and say so, they are
// not skipped (a policy nobody checks is the one that lets everyone in).
#include <gmock/gmock.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "bus_fixture.hpp"

namespace cwmpd::testing {
namespace {

using ::testing::HasSubstr;

constexpr uid_t kNobody = 65534;

// The identities the test bus knows.
struct Identities {
  uid_t agent = 0;   // user cwmpd
  gid_t group = 0;   // group cwmpd
  uid_t member = 0;  // user cwmpd-member, in group cwmpd
};

// An id neither /etc/passwd nor /etc/group uses, below nobody.
unsigned freeId(unsigned from) {
  while (::getpwuid(from) != nullptr || ::getgrgid(from) != nullptr) --from;
  return from;
}

// Copies of /etc/passwd and /etc/group with the users and the group the packages create.
Identities writeIdentityFiles(const std::filesystem::path& dir) {
  Identities ids;
  const passwd* existing = ::getpwnam("cwmpd");
  const group* existingGroup = ::getgrnam("cwmpd");
  ids.group = existingGroup != nullptr ? existingGroup->gr_gid : freeId(64000);
  ids.agent = existing != nullptr ? existing->pw_uid : freeId(ids.group - 1);
  ids.member = freeId(std::min(ids.agent, ids.group) - 1);
  std::ofstream passwdOut(dir / "passwd");
  passwdOut << readFile("/etc/passwd");
  if (existing == nullptr)
    passwdOut << "cwmpd:x:" << ids.agent << ':' << ids.group << "::/nonexistent:/bin/false\n";
  passwdOut << "cwmpd-member:x:" << ids.member << ':' << ids.member
            << "::/nonexistent:/bin/false\n";
  std::ofstream groupOut(dir / "group");
  for (std::istringstream lines(readFile("/etc/group")); !lines.eof();) {
    std::string line;
    std::getline(lines, line);
    if (line.empty()) continue;
    if (line.rfind("cwmpd:", 0) == 0) continue;  // written below, with the member
    groupOut << line << '\n';
  }
  groupOut << "cwmpd:x:" << ids.group << ":cwmpd-member\n";
  groupOut << "cwmpd-member:x:" << ids.member << ":\n";
  return ids;
}

// The system bus's base policy (/usr/share/dbus-1/system.conf): owning names and method
// calls are denied unless a service's file allows them; then the shipped file.
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
         "    <deny own=\"*\"/>\n"
         "    <deny send_type=\"method_call\"/>\n"
         "    <allow send_type=\"signal\"/>\n"
         "    <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"
         "    <allow send_requested_reply=\"true\" send_type=\"error\"/>\n"
         "    <allow receive_type=\"method_call\"/>\n"
         "    <allow receive_type=\"method_return\"/>\n"
         "    <allow receive_type=\"error\"/>\n"
         "    <allow receive_type=\"signal\"/>\n"
         "    <allow send_destination=\"org.freedesktop.DBus\"\n"
         "           send_interface=\"org.freedesktop.DBus\"/>\n"
         "    <allow send_destination=\"org.freedesktop.DBus\"\n"
         "           send_interface=\"org.freedesktop.DBus.Introspectable\"/>\n"
         "  </policy>\n"
         "  <include>"
      << CWMPD_DBUS_POLICY
      << "</include>\n"
         "</busconfig>\n";
  return path;
}

class SystemBus : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u)
        << "the policy test runs processes as other users: run it as root (CI does)";
    ASSERT_EQ(::access("/usr/bin/setpriv", X_OK), 0) << "needs setpriv (package util-linux)";
    ASSERT_EQ(::access("/usr/bin/unshare", X_OK), 0) << "needs unshare (package util-linux)";
    // Other users must reach the socket in our private directory.
    ::chmod(dir_.path().c_str(), 0755);
    ids_ = writeIdentityFiles(dir_.path());
    bus_.emplace(dir_.path(), writeBusConfig(dir_.path()),
                 std::vector<std::string>{
                     "unshare", "--mount", "--propagation", "private", "sh", "-c",
                     "p=$1 g=$2; shift 2; mount --bind \"$p\" /etc/passwd && "
                     "mount --bind \"$g\" /etc/group && exec \"$@\"",
                     "sh", (dir_.path() / "passwd").string(), (dir_.path() / "group").string()});
    const auto reach =
        run({"setpriv", "--reuid=" + std::to_string(kNobody), "--regid=" + std::to_string(kNobody),
             "--clear-groups", "test", "-w", bus_->socket().string()},
            dir_.path());
    ASSERT_EQ(reach.exitCode, 0) << "another user cannot reach " << bus_->socket()
                                 << " (TMPDIR inside a private "
                                 << "directory?): the test cannot prove anything";
  }

  // busctl on the test bus as `uid` with primary group `gid` and supplementary `groups`.
  RunResult busctlAs(uid_t uid, gid_t gid, const std::string& groups,
                     std::vector<std::string> args) {
    args.insert(args.begin(),
                {"setpriv", "--reuid=" + std::to_string(uid), "--regid=" + std::to_string(gid),
                 groups.empty() ? "--clear-groups" : "--groups=" + groups, "busctl",
                 "--address=" + bus_->address()});
    return run(args, dir_.path());
  }
  RunResult requestNameAs(uid_t uid, gid_t gid, const std::string& groups) {
    return busctlAs(uid, gid, groups,
                    {"call", "org.freedesktop.DBus", "/org/freedesktop/DBus",
                     "org.freedesktop.DBus", "RequestName", "su", "org.cwmpd", "4"});
  }

  TempDir dir_;
  Identities ids_;
  std::optional<PrivateBus> bus_;
};

// With the agent on the bus: the service over the fake model, owned by root (this process).
class Policy : public SystemBus {
 protected:
  void SetUp() override {
    SystemBus::SetUp();
    if (HasFatalFailure()) return;
    populate(service_.model);
    bus::BusOptions options;
    options.address = bus_->address();
    ASSERT_TRUE(service_.start(options)) << "root could not own org.cwmpd";
  }

  RunResult callAs(uid_t uid, gid_t gid, const std::string& groups, const char* interface,
                   std::vector<std::string> methodAndArgs) {
    const char* path =
        std::string(interface) == "org.cwmpd.Agent1" ? "/org/cwmpd/Agent" : "/org/cwmpd/DataModel";
    methodAndArgs.insert(methodAndArgs.begin(), {"call", "org.cwmpd", path, interface});
    return busctlAs(uid, gid, groups, methodAndArgs);
  }

  // Set, add, delete and inform, each expected to be allowed or denied.
  void expectWrites(uid_t uid, gid_t gid, const std::string& groups, bool allowed) {
    const std::vector<std::pair<const char*, std::vector<std::string>>> writes = {
        {"org.cwmpd.DataModel1",
         {"SetParameterValues", "a(ss)", "1", "Device.WiFi.SSID.1.SSID", "changed"}},
        {"org.cwmpd.DataModel1",
         {"SetParameterAttributes", "a(sias)", "1", "Device.WiFi.SSID.1.Enable", "1", "0"}},
        {"org.cwmpd.DataModel1", {"AddObject", "s", "Device.Hosts.Host."}},
        {"org.cwmpd.DataModel1", {"DeleteObject", "s", "Device.Hosts.Host.1."}},
        {"org.cwmpd.Agent1", {"Inform", "as", "0"}},
        {"org.cwmpd.Agent1", {"ScheduleInform", "us", "5", "k"}},
    };
    for (const auto& [interface, call] : writes) {
      const auto r = callAs(uid, gid, groups, interface, call);
      if (allowed) {
        EXPECT_EQ(r.exitCode, 0) << call[0] << " as uid " << uid << ": " << r.err;
      } else {
        EXPECT_NE(r.exitCode, 0) << call[0] << " as uid " << uid << " was allowed";
        EXPECT_THAT(r.err, HasSubstr("denied")) << call[0];
      }
    }
    const bool changed = service_.onLoop(
        [this] { return service_.model.param("Device.WiFi.SSID.1.SSID").value == "changed"; });
    EXPECT_EQ(changed, allowed);
    const bool informed = service_.onLoop([this] { return !service_.agent.informs().empty(); });
    EXPECT_EQ(informed, allowed);
  }

  ServiceRunner service_;
};

// The registry with a model that records, for each provider it mounts, how the agent's
// first call into the provider (Instances) went.
struct RecordingMounts final : core::RemoteSubtrees {
  std::vector<std::string> answers;
  MountId mount(const std::string& /*name*/, std::string_view /*definitions*/,
                std::shared_ptr<core::RemoteParticipant> participant) override {
    try {
      (void)participant->instances("Device.X_00005E_Line.");
      answers.emplace_back("answered");
    } catch (const sdk::Fault& f) {
      answers.push_back(std::to_string(f.code()) + " " + f.what());
    }
    return static_cast<MountId>(answers.size());
  }
  void unmount(MountId /*id*/) noexcept override {}
  void remoteValuesChanged(MountId /*id*/, const std::vector<std::string>& /*names*/) override {}
};

class ProviderPolicy : public SystemBus {
 protected:
  void SetUp() override {
    SystemBus::SetUp();
    if (HasFatalFailure()) return;
    populate(service_.model);
    bus::BusOptions options;
    options.address = bus_->address();
    options.providers = &mounts_;
    options.providerTimeout = std::chrono::milliseconds(300);
    ASSERT_TRUE(service_.start(options)) << "root could not own org.cwmpd";
  }
  RunResult registerAs(uid_t uid, gid_t gid, const std::string& groups) {
    return busctlAs(uid, gid, groups,
                    {"call", "org.cwmpd", "/org/cwmpd/DataModel", "org.cwmpd.Providers1",
                     "Register", "so", "<document/>", "/org/example/provider"});
  }
  std::vector<std::string> answers() {
    return service_.onLoop([this] { return mounts_.answers; });
  }

  RecordingMounts mounts_;  // outlives the service
  ServiceRunner service_;
};

TEST(PolicyFile, IsWellFormedXml) {
  const TempDir dir;
  const auto r = run({"xmllint", "--noout", "--nonet", CWMPD_DBUS_POLICY}, dir.path());
  EXPECT_EQ(r.exitCode, 0) << r.err;
}

TEST_F(SystemBus, OnlyTheAgentsUserOrRootMayOwnTheName) {
  // Each busctl is its own connection: the name is free again when it exits.
  auto r = requestNameAs(ids_.agent, ids_.group, "");
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, "u 1\n") << "user cwmpd did not become the primary owner";
  r = requestNameAs(0, 0, "");
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, "u 1\n");

  r = requestNameAs(kNobody, kNobody, "");
  EXPECT_NE(r.exitCode, 0) << "nobody owned org.cwmpd";
  EXPECT_THAT(r.err, HasSubstr("denied"));
  // Being in the group cwmpd lets a user change the model, not pose as the agent.
  r = requestNameAs(ids_.member, ids_.member, std::to_string(ids_.group));
  EXPECT_NE(r.exitCode, 0) << "a member of the group cwmpd owned org.cwmpd";
  EXPECT_THAT(r.err, HasSubstr("denied"));
}

TEST_F(Policy, RootMaySetAddDeleteAndInform) { expectWrites(0, 0, "", true); }

TEST_F(Policy, MembersOfTheCwmpdGroupMaySetAddDeleteAndInform) {
  expectWrites(ids_.member, ids_.member, std::to_string(ids_.group), true);
}

TEST_F(Policy, OtherUsersMayNotSetAddDeleteOrInform) { expectWrites(kNobody, kNobody, "", false); }

TEST_F(Policy, OtherUsersMayReadIntrospectAndGetProperties) {
  auto r = callAs(kNobody, kNobody, "", "org.cwmpd.DataModel1",
                  {"GetParameterValues", "as", "1", "Device.DeviceInfo.Manufacturer"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ACME"));
  r = callAs(kNobody, kNobody, "", "org.cwmpd.DataModel1",
             {"GetParameterNames", "sb", "Device.", "true"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  r = callAs(kNobody, kNobody, "", "org.cwmpd.DataModel1",
             {"GetParameterAttributes", "as", "1", "Device.DeviceInfo.Manufacturer"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  r = busctlAs(kNobody, kNobody, "", {"introspect", "org.cwmpd", "/org/cwmpd/Agent"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(".SessionState"));
  r = busctlAs(
      kNobody, kNobody, "",
      {"get-property", "org.cwmpd", "/org/cwmpd/Agent", "org.cwmpd.Agent1", "SessionState"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, "s \"Idle\"\n");
}

// Who may serve a subtree: root and the group cwmpd register; anybody else is stopped by
// the bus before the agent sees the call. And the agent may call the provider back
// (org.cwmpd.Provider1) without a policy file of the provider's own: here busctl, which
// does not answer, so the call times out instead of being refused by the bus.
TEST_F(ProviderPolicy, OnlyRootAndTheCwmpdGroupRegisterAndTheAgentMayCallThem) {
  auto r = registerAs(kNobody, kNobody, "");
  EXPECT_NE(r.exitCode, 0) << "nobody registered a provider";
  EXPECT_THAT(r.err, HasSubstr("denied"));
  EXPECT_TRUE(answers().empty());

  r = registerAs(ids_.member, ids_.member, std::to_string(ids_.group));
  EXPECT_EQ(r.exitCode, 0) << r.err;
  auto seen = answers();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_THAT(seen[0], ::testing::Not(HasSubstr("AccessDenied")));
  EXPECT_THAT(seen[0], HasSubstr("9002"));

  r = registerAs(0, 0, "");
  EXPECT_EQ(r.exitCode, 0) << r.err;
  seen = answers();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_THAT(seen[1], ::testing::Not(HasSubstr("AccessDenied")));
}

}  // namespace
}  // namespace cwmpd::testing
