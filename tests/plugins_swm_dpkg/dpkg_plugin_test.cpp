// The swm_dpkg plugin (the real .so) in a real engine and plugin host: its execution
// environment as the core sees it (behind the plugin firewall), driving dpkg on a package
// root in a temporary directory. dpkg runs on the plugin's worker thread; outcomes and
// events arrive on the main loop, which the test turns (PluginHarness::runUntil).
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cwmpd/sdk/exec_env.hpp"
#include "cwmpd/sdk/fault.hpp"
#include "dpkg.hpp"
#include "harness/plugin_harness.hpp"
#include "test_debs.hpp"

namespace cwmpd::swm_dpkg {
namespace {

using namespace std::chrono_literals;
using test::buildDeb;
using test::DebSpec;
namespace fs = std::filesystem;

DebSpec hello(const std::string& version) {
  DebSpec s;
  s.version = version;
  s.files["usr/share/cwmpd-test-hello/version.txt"] = version + "\n";
  return s;
}

class RecordedEvents : public sdk::ExecEnvEvents {
 public:
  void changed() override { ++changes; }
  void autonomousChange(sdk::DuOperation operation, const sdk::DuOutcome& outcome) override {
    autonomous.emplace_back(operation, outcome.unit);
  }
  int changes = 0;
  std::vector<std::pair<sdk::DuOperation, sdk::DeploymentUnitInfo>> autonomous;
};

class DpkgEePlugin : public ::testing::Test {
 protected:
  void load(const std::string& pollInterval = "0") {
    root_ = scratch_.dir() / "root";
    harness_ = std::make_unique<cwmpd::testing::PluginHarness>(
        "Device", std::vector<std::string>{"swm_dpkg"},
        "[swm_dpkg]\nroot = " + root_.string() + "\npoll_interval = " + pollInterval + "\n");
    ASSERT_EQ(harness_->host->executionEnvironments().size(), 1U);
    ee_ = harness_->host->executionEnvironments()[0].environment.get();
    ee_->bind(events_);
  }

  // Runs one operation and waits for its outcome on the main loop.
  sdk::DuOutcome run(const std::function<void(sdk::DuDone)>& operation) {
    std::optional<sdk::DuOutcome> outcome;
    operation([&outcome](sdk::DuOutcome o) { outcome = std::move(o); });
    EXPECT_TRUE(harness_->runUntil([&] { return outcome.has_value(); }, 30s));
    return outcome.value_or(sdk::DuOutcome{-1, "no outcome", {}});
  }
  sdk::DuOutcome install(const fs::path& deb) {
    return run([&](sdk::DuDone done) {
      ee_->install(sdk::DuInstall{"uuid", "http://acs.invalid/x.deb", deb.string()},
                   std::move(done));
    });
  }
  sdk::DuOutcome update(const fs::path& deb, const std::string& version = {}) {
    return run([&](sdk::DuDone done) {
      ee_->update(sdk::DuUpdate{"cwmpd-test-hello", "uuid", "http://acs.invalid/y.deb",
                                deb.string(), version},
                  std::move(done));
    });
  }
  sdk::DuOutcome uninstall(const std::string& version = {}) {
    return run([&](sdk::DuDone done) {
      ee_->uninstall(sdk::DuUninstall{"cwmpd-test-hello", version}, std::move(done));
    });
  }

  test::Scratch scratch_;
  fs::path root_;
  RecordedEvents events_;  // outlives the plugin, which holds it from bind()
  std::unique_ptr<cwmpd::testing::PluginHarness> harness_;
  sdk::ExecutionEnvironment* ee_ = nullptr;
};

TEST_F(DpkgEePlugin, InstallsUpdatesAndUninstallsAPackageWithAnnexHFaults) {
  const auto v10 = buildDeb(scratch_.dir(), hello("1.0"));
  const auto v11 = buildDeb(scratch_.dir(), hello("1.1"));
  const fs::path junk = scratch_.dir() / "junk.deb";
  test::writeFile(junk, "!<arch>\nnot a package\n");
  load();
  EXPECT_EQ(ee_->info().name, "Debian packages");
  EXPECT_EQ(ee_->info().type, "Debian package");
  EXPECT_TRUE(ee_->list().empty());

  EXPECT_EQ(install(junk).faultCode, 9018);
  EXPECT_TRUE(ee_->list().empty());

  const sdk::DuOutcome installed = install(v10);
  ASSERT_EQ(installed.faultCode, 0) << installed.faultString;
  EXPECT_EQ(installed.unit.duid, "cwmpd-test-hello");
  EXPECT_EQ(installed.unit.version, "1.0");
  EXPECT_EQ(installed.unit.vendor, "cwmpd tests <tests@example.invalid>");
  EXPECT_EQ(installed.unit.description, "a package of the cwmpd tests");
  ASSERT_EQ(installed.unit.executionUnits.size(), 1U);
  EXPECT_EQ(installed.unit.executionUnits[0].euid, "cwmpd-test-hello");
  EXPECT_EQ(installed.unit.executionUnits[0].status, sdk::EuStatus::Active);
  ASSERT_EQ(ee_->list().size(), 1U);
  EXPECT_EQ(ee_->list()[0].version, "1.0");
  EXPECT_EQ(test::readFile(root_ / "usr/share/cwmpd-test-hello/version.txt"), "1.0\n");
  EXPECT_EQ(install(v10).faultCode, 9026);

  EXPECT_EQ(update(v11, "0.9").faultCode, 9028);  // the ACS named a version not installed
  const sdk::DuOutcome updated = update(v11);
  ASSERT_EQ(updated.faultCode, 0) << updated.faultString;
  EXPECT_EQ(updated.unit.version, "1.1");
  EXPECT_EQ(ee_->list()[0].version, "1.1");
  EXPECT_EQ(update(v11).faultCode, 9032);
  EXPECT_EQ(update(v10).faultCode, 9030);

  // The EU is the installed package: it starts (a no-op) but cannot be stopped.
  EXPECT_NO_THROW(ee_->start("cwmpd-test-hello"));
  try {
    ee_->stop("cwmpd-test-hello");
    ADD_FAILURE() << "stop accepted";
  } catch (const sdk::Fault& f) {
    EXPECT_EQ(f.code(), 9001);
  }
  try {
    ee_->start("cwmpd-test-nothing");
    ADD_FAILURE() << "start of an unknown EU accepted";
  } catch (const sdk::Fault& f) {
    EXPECT_EQ(f.code(), 9003);
  }

  EXPECT_EQ(uninstall("1.0").faultCode, 9028);
  const sdk::DuOutcome removed = uninstall();
  ASSERT_EQ(removed.faultCode, 0) << removed.faultString;
  EXPECT_EQ(removed.unit.duid, "cwmpd-test-hello");
  EXPECT_TRUE(ee_->list().empty());
  EXPECT_FALSE(fs::exists(root_ / "usr/share/cwmpd-test-hello"));
  EXPECT_EQ(uninstall().faultCode, 9028);
  // Nothing of this was someone else's doing.
  EXPECT_TRUE(events_.autonomous.empty());
}

TEST_F(DpkgEePlugin, ReportsWhatOthersInstallAndRemoveAsAutonomousChanges) {
  const auto v10 = buildDeb(scratch_.dir(), hello("1.0"));
  load("1");
  // Another dpkg user (apt, a person) on the same root.
  Dpkg::Options o;
  o.root = root_.string();
  Dpkg other(o);

  (void)other.install(v10.string());
  ASSERT_TRUE(harness_->runUntil([&] { return !events_.autonomous.empty(); }, 10s));
  EXPECT_EQ(events_.autonomous[0].first, sdk::DuOperation::Install);
  EXPECT_EQ(events_.autonomous[0].second.duid, "cwmpd-test-hello");
  EXPECT_EQ(events_.autonomous[0].second.version, "1.0");
  EXPECT_GE(events_.changes, 1);
  EXPECT_EQ(ee_->list().size(), 1U);

  other.remove("cwmpd-test-hello");
  ASSERT_TRUE(harness_->runUntil([&] { return events_.autonomous.size() >= 2; }, 10s));
  EXPECT_EQ(events_.autonomous[1].first, sdk::DuOperation::Uninstall);
  EXPECT_EQ(events_.autonomous[1].second.duid, "cwmpd-test-hello");
  EXPECT_TRUE(ee_->list().empty());
}

TEST(DpkgEePluginConfig, OffersNoExecutionEnvironmentWithoutARoot) {
  cwmpd::testing::PluginHarness harness("Device", {"swm_dpkg"});
  EXPECT_TRUE(harness.host->executionEnvironments().empty());
}

}  // namespace
}  // namespace cwmpd::swm_dpkg
