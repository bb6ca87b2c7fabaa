// The dpkg mechanics of the package EE against a package root in a temporary directory:
// real dpkg, real .deb files built by dpkg-deb, never the machine's own package set.
#include <gtest/gtest.h>
#include <grp.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include "dpkg.hpp"
#include "process.hpp"
#include "test_debs.hpp"

namespace cwmpd::swm_dpkg {
namespace {

using test::buildDeb;
using test::DebSpec;
using test::readFile;
namespace fs = std::filesystem;

DebSpec hello(const std::string& version) {
  DebSpec s;
  s.version = version;
  s.files["usr/share/cwmpd-test-hello/version.txt"] = version + "\n";
  // A file only 1.0 has: the update must take it away.
  if (version == "1.0") s.files["usr/share/cwmpd-test-hello/only-in-1.0.txt"] = "old\n";
  return s;
}

DpkgErrc errorOf(const std::function<void()>& operation) {
  try {
    operation();
  } catch (const DpkgError& e) {
    return e.code();
  }
  ADD_FAILURE() << "no DpkgError";
  return DpkgErrc::Internal;
}

// What the machine's own dpkg database says of a package: the tests must never change it.
std::string hostRecord(const std::string& name) {
  const auto r = runProcess({"dpkg-query", "--show", name}, {"PATH=/usr/bin:/bin", "LC_ALL=C"},
                            ProcessLimits{});
  return r.out;
}

class DpkgRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = scratch_.dir() / "root";
    debs_ = scratch_.dir() / "debs";
    fs::create_directories(debs_);
    Dpkg::Options o;
    o.root = root_.string();
    o.timeout = std::chrono::seconds(60);
    dpkg_ = std::make_unique<Dpkg>(o);
    dpkg_->prepareRoot();
  }

  [[nodiscard]] fs::path inRoot(const std::string& path) const { return root_ / path; }
  // Everything the root holds outside dpkg's own database and log.
  [[nodiscard]] std::vector<std::string> payload() const {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(root_)) {
      const std::string rel = fs::relative(e.path(), root_).string();
      if (rel.rfind("var", 0) == 0) continue;
      out.push_back(rel);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  // The packages dpkg's database has any record of, by name.
  [[nodiscard]] std::string statusFile() const { return readFile(root_ / "var/lib/dpkg/status"); }

  test::Scratch scratch_;
  fs::path root_;
  fs::path debs_;
  std::unique_ptr<Dpkg> dpkg_;
};

TEST_F(DpkgRoot, InstallsUpdatesAndPurgesAPackageInsideTheTestRoot) {
  const std::string hostBefore = hostRecord("cwmpd-test-hello");
  const auto v10 = buildDeb(debs_, hello("1.0"));
  const auto v11 = buildDeb(debs_, hello("1.1"));

  const PackageInfo archive = dpkg_->inspect(v10.string());
  EXPECT_EQ(archive.name, "cwmpd-test-hello");
  EXPECT_EQ(archive.version, "1.0");
  EXPECT_EQ(archive.summary, "a package of the cwmpd tests");
  EXPECT_TRUE(dpkg_->list().empty());

  const PackageInfo installed = dpkg_->install(v10.string());
  EXPECT_EQ(installed.name, "cwmpd-test-hello");
  EXPECT_EQ(installed.version, "1.0");
  EXPECT_TRUE(installed.installed());
  EXPECT_EQ(installed.maintainer, "cwmpd tests <tests@example.invalid>");
  EXPECT_EQ(readFile(inRoot("usr/share/cwmpd-test-hello/version.txt")), "1.0\n");
  EXPECT_TRUE(fs::exists(inRoot("usr/share/cwmpd-test-hello/only-in-1.0.txt")));
  ASSERT_EQ(dpkg_->list().size(), 1U);
  EXPECT_EQ(dpkg_->list()[0].status, "install ok installed");

  const PackageInfo updated = dpkg_->update("cwmpd-test-hello", v11.string());
  EXPECT_EQ(updated.version, "1.1");
  EXPECT_EQ(readFile(inRoot("usr/share/cwmpd-test-hello/version.txt")), "1.1\n");
  EXPECT_FALSE(fs::exists(inRoot("usr/share/cwmpd-test-hello/only-in-1.0.txt")));
  ASSERT_EQ(dpkg_->list().size(), 1U);
  EXPECT_EQ(dpkg_->list()[0].version, "1.1");

  dpkg_->remove("cwmpd-test-hello");
  EXPECT_FALSE(fs::exists(inRoot("usr/share/cwmpd-test-hello")));
  EXPECT_TRUE(dpkg_->list().empty());
  EXPECT_FALSE(dpkg_->find("cwmpd-test-hello").has_value());
  EXPECT_FALSE(fs::exists(inRoot("var/lib/dpkg/info/cwmpd-test-hello.list")));

  // The machine's own package set never saw any of it, nor its log.
  EXPECT_EQ(hostRecord("cwmpd-test-hello"), hostBefore);
  EXPECT_NE(readFile(inRoot("var/log/dpkg.log")).find("cwmpd-test-hello"), std::string::npos);
}

TEST_F(DpkgRoot, RefusesACorruptArchiveAndLeavesNoTrace) {
  const auto good = buildDeb(debs_, hello("1.0"));
  const std::string bytes = readFile(good);
  // Cut in the middle of the data member: the control member still reads.
  const fs::path truncated = debs_ / "truncated.deb";
  test::writeFile(truncated, bytes.substr(0, bytes.size() - 40));
  const fs::path garbage = debs_ / "garbage.deb";
  test::writeFile(garbage, "this is not an ar archive\n");
  const std::string statusBefore = statusFile();

  for (const auto& deb : {truncated, garbage, debs_ / "missing.deb"}) {
    SCOPED_TRACE(deb.filename().string());
    EXPECT_EQ(errorOf([&] { (void)dpkg_->install(deb.string()); }), DpkgErrc::CorruptedArchive);
    EXPECT_TRUE(payload().empty());
    EXPECT_TRUE(dpkg_->list().empty());
    EXPECT_EQ(statusFile(), statusBefore);
  }
  // An update with a damaged archive leaves the installed version as it was.
  (void)dpkg_->install(good.string());
  EXPECT_EQ(errorOf([&] { (void)dpkg_->update("cwmpd-test-hello", truncated.string()); }),
            DpkgErrc::CorruptedArchive);
  EXPECT_EQ(readFile(inRoot("usr/share/cwmpd-test-hello/version.txt")), "1.0\n");
  EXPECT_TRUE(dpkg_->find("cwmpd-test-hello")->installed());
}

TEST_F(DpkgRoot, RefusesMissingDependenciesBeforeTouchingAnything) {
  DebSpec needy = hello("1.0");
  needy.name = "cwmpd-test-needy";
  needy.files = {{"usr/share/cwmpd-test-needy/n", "n\n"}};
  needy.extraControl = "Depends: cwmpd-test-hello (>= 1.1) | cwmpd-test-virtual\n";
  const auto needyDeb = buildDeb(debs_, needy);

  EXPECT_EQ(errorOf([&] { (void)dpkg_->install(needyDeb.string()); }), DpkgErrc::DependencyFailure);
  EXPECT_TRUE(payload().empty());
  EXPECT_TRUE(dpkg_->list().empty());

  // 1.0 is too old for ">= 1.1"; a package that provides the virtual name satisfies it.
  (void)dpkg_->install(buildDeb(debs_, hello("1.0")).string());
  EXPECT_EQ(errorOf([&] { (void)dpkg_->install(needyDeb.string()); }), DpkgErrc::DependencyFailure);
  DebSpec provider = hello("2.0");
  provider.name = "cwmpd-test-provider";
  provider.files = {{"usr/share/cwmpd-test-provider/p", "p\n"}};
  provider.extraControl = "Provides: cwmpd-test-virtual\n";
  (void)dpkg_->install(buildDeb(debs_, provider).string());
  EXPECT_TRUE(dpkg_->install(needyDeb.string()).installed());

  // What another package needs is not removed (nor marked for removal).
  EXPECT_EQ(errorOf([&] { dpkg_->remove("cwmpd-test-provider"); }), DpkgErrc::RequiredByOther);
  EXPECT_EQ(dpkg_->find("cwmpd-test-provider")->status, "install ok installed");
  EXPECT_TRUE(dpkg_->find("cwmpd-test-provider")->installed());

  // An update whose new dependency is missing keeps the old version working.
  DebSpec needy2 = needy;
  needy2.version = "2.0";
  needy2.extraControl = "Depends: cwmpd-test-absent\n";
  EXPECT_EQ(
      errorOf([&] { (void)dpkg_->update("cwmpd-test-needy", buildDeb(debs_, needy2).string()); }),
      DpkgErrc::DependencyFailure);
  const auto still = dpkg_->find("cwmpd-test-needy");
  ASSERT_TRUE(still.has_value());
  EXPECT_EQ(still->version, "1.0");
  EXPECT_TRUE(still->installed());
}

TEST_F(DpkgRoot, RefusesWhatAnnexHForbidsWithTheMatchingReason) {
  const auto v10 = buildDeb(debs_, hello("1.0"));
  const auto v11 = buildDeb(debs_, hello("1.1"));
  DebSpec other = hello("1.0");
  other.name = "cwmpd-test-other";
  other.files = {{"usr/share/cwmpd-test-other/x", "x\n"}};
  const auto otherDeb = buildDeb(debs_, other);

  EXPECT_EQ(errorOf([&] { (void)dpkg_->update("cwmpd-test-hello", v11.string()); }),
            DpkgErrc::UnknownPackage);
  EXPECT_EQ(errorOf([&] { dpkg_->remove("cwmpd-test-hello"); }), DpkgErrc::UnknownPackage);

  (void)dpkg_->install(v11.string());
  EXPECT_EQ(errorOf([&] { (void)dpkg_->install(v10.string()); }), DpkgErrc::AlreadyInstalled);
  EXPECT_EQ(errorOf([&] { (void)dpkg_->update("cwmpd-test-hello", v10.string()); }),
            DpkgErrc::Downgrade);
  EXPECT_EQ(errorOf([&] { (void)dpkg_->update("cwmpd-test-hello", v11.string()); }),
            DpkgErrc::SameVersion);
  EXPECT_EQ(errorOf([&] { (void)dpkg_->update("cwmpd-test-hello", otherDeb.string()); }),
            DpkgErrc::PackageMismatch);
  EXPECT_EQ(dpkg_->find("cwmpd-test-hello")->version, "1.1");
  EXPECT_FALSE(dpkg_->find("cwmpd-test-other").has_value());

  // Another package with a file the installed one owns: dpkg refuses, nothing remains.
  DebSpec thief = hello("1.0");
  thief.name = "cwmpd-test-thief";
  EXPECT_EQ(errorOf([&] { (void)dpkg_->install(buildDeb(debs_, thief).string()); }),
            DpkgErrc::Conflict);
  EXPECT_FALSE(dpkg_->find("cwmpd-test-thief").has_value());
  EXPECT_EQ(readFile(inRoot("usr/share/cwmpd-test-hello/version.txt")), "1.1\n");
}

TEST_F(DpkgRoot, PurgesAPackageWhoseMaintainerScriptFails) {
  DebSpec broken = hello("1.0");
  broken.scripts["postinst"] = "#!/bin/sh\necho 'configuration failed' >&2\nexit 1\n";
  const auto deb = buildDeb(debs_, broken);

  EXPECT_EQ(errorOf([&] { (void)dpkg_->install(deb.string()); }), DpkgErrc::ScriptFailed);
  // dpkg had unpacked it: the install undid that.
  EXPECT_TRUE(payload().empty());
  EXPECT_TRUE(dpkg_->list().empty());
}

// The daemon need not run as root to manage a root of its own: Dpkg then adds
// --force-not-root, and --force-script-chrootless since chroot(2) needs privileges, so
// maintainer scripts run in place and find the root in DPKG_ROOT. Run as root, the test
// does the work in a child that gave its privileges up.
TEST_F(DpkgRoot, WorksForAnUnprivilegedDaemonAndRunsScriptsForItsRoot) {
  DebSpec scripted = hello("1.0");
  scripted.scripts["postinst"] =
      "#!/bin/sh\nset -e\necho \"postinst $1\" > \"$DPKG_ROOT/var/lib/cwmpd-test-postinst\"\n";
  const auto deb = buildDeb(debs_, scripted);
  const auto work = [&] {
    const PackageInfo p = dpkg_->install(deb.string());
    const bool ok = p.installed() &&
                    readFile(inRoot("var/lib/cwmpd-test-postinst")) == "postinst configure\n" &&
                    fs::exists(inRoot("usr/share/cwmpd-test-hello/version.txt"));
    dpkg_->remove("cwmpd-test-hello");
    return ok && dpkg_->list().empty();
  };
  if (::geteuid() != 0) {
    EXPECT_TRUE(work());
    return;
  }
  constexpr uid_t kNobody = 65534;
  for (const auto& e : fs::recursive_directory_iterator(scratch_.dir())) {
    ASSERT_EQ(::lchown(e.path().c_str(), kNobody, kNobody), 0);
  }
  ASSERT_EQ(::chown(scratch_.dir().c_str(), kNobody, kNobody), 0);
  EXPECT_EXIT(
      {
        if (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) {
          std::_Exit(2);
        }
        bool ok = false;
        try {
          ok = work();
        } catch (const std::exception& e) {
          std::fprintf(stderr, "%s\n", e.what());
        }
        std::_Exit(ok ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(DpkgRelations, ReadsGroupsAlternativesVersionsAndArchitectureQualifiers) {
  const auto groups = parseRelations("libc6 (>= 2.36), python3:any | perl ( << 5.0 ),  foo (>2)");
  ASSERT_EQ(groups.size(), 3U);
  EXPECT_EQ(groups[0][0].name, "libc6");
  EXPECT_EQ(groups[0][0].op, ">=");
  EXPECT_EQ(groups[0][0].version, "2.36");
  ASSERT_EQ(groups[1].size(), 2U);
  EXPECT_EQ(groups[1][0].name, "python3");
  EXPECT_TRUE(groups[1][0].op.empty());
  EXPECT_EQ(groups[1][1].name, "perl");
  EXPECT_EQ(groups[1][1].op, "<<");
  EXPECT_EQ(groups[1][1].version, "5.0");
  EXPECT_EQ(groups[2][0].op, ">=");  // the obsolete ">" means ">="
}

TEST(DpkgControl, ReadsFieldsCaseInsensitivelyWithContinuationLines) {
  const auto c = parseControl("Package: a\nVERSION: 1:2.0-1\nDescription: short\n long one\n .\n");
  EXPECT_EQ(c.at("package"), "a");
  EXPECT_EQ(c.at("version"), "1:2.0-1");
  EXPECT_EQ(c.at("description"), "short\nlong one\n.");
}

// The state letter of a process in /proc ('Z' for a zombie), or 0 once it is gone.
char processState(const std::string& pid) {
  const std::string stat = readFile("/proc/" + pid + "/stat");
  const auto close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() ? '\0' : stat[close + 2];
}

TEST(DpkgProcess, KillsAProgramThatOverrunsItsTimeAndWhatItStarted) {
  ProcessLimits limits;
  limits.timeout = std::chrono::milliseconds(300);
  const auto r =
      runProcess({"sh", "-c", "sleep 30 & echo $!; wait"}, {"PATH=/usr/bin:/bin"}, limits);
  EXPECT_TRUE(r.started);
  EXPECT_TRUE(r.timedOut);
  EXPECT_EQ(r.exitCode, 128 + SIGKILL);
  // The background sleep was in the program's process group: killed with it (at most a
  // zombie until whoever adopted it reaps it).
  const std::string child = r.out.substr(0, r.out.find('\n'));
  ASSERT_FALSE(child.empty());
  // SIGKILL takes effect asynchronously: wait (bounded) for the process to die.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  char state = processState(child);
  while (state != '\0' && state != 'Z' && std::chrono::steady_clock::now() < until) {
    std::this_thread::yield();
    state = processState(child);
  }
  EXPECT_TRUE(state == '\0' || state == 'Z') << state;
}

TEST(DpkgProcess, KeepsOnlyTheBoundedPartOfALargeOutput) {
  ProcessLimits limits;
  limits.maxStdout = 1000;
  const auto r = runProcess({"head", "-c", "1000000", "/dev/zero"}, {"PATH=/usr/bin:/bin"}, limits);
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_EQ(r.out.size(), 1000U);
}

TEST(DpkgProcess, SaysWhenTheProgramDoesNotExist) {
  const auto r = runProcess({"cwmpd-no-such-program"}, {"PATH=/usr/bin:/bin"}, ProcessLimits{});
  EXPECT_FALSE(r.started);
  EXPECT_NE(r.err.find("not found"), std::string::npos);
}

}  // namespace
}  // namespace cwmpd::swm_dpkg
