// The SDK as a third party sees it: `cmake --install <build> --component sdk` into a temp
// prefix, plugins/example configured and built out of tree against it with
// find_package(cwmpd), and the resulting .so loaded by the plugin host. And the full
// install of a build.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "loading_fixture.hpp"

namespace {

namespace fs = std::filesystem;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

class SdkInstall : public ::testing::Test {
 protected:
  // Built once for the whole suite: installing and compiling takes a while.
  static void SetUpTestSuite() {
    std::string tmpl = (fs::temp_directory_path() / "cwmpd-sdk-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    work_ = tmpl;
    const std::string cmake = CWMPD_CMAKE_COMMAND;
    const std::string build = env("CWMPD_BUILD_DIR"), source = env("CWMPD_SOURCE_DIR");
    ASSERT_FALSE(build.empty() || source.empty()) << "CWMPD_BUILD_DIR / CWMPD_SOURCE_DIR unset";
    const fs::path prefix = work_ / "sdk", pluginBuild = work_ / "example-build";
    pluginPrefix_ = work_ / "vendor";
    run(cmake + " --install " + quote(build) + " --component sdk --prefix " +
        quote(prefix.string()));
    // The same compiler as the host: the plugin's toolchain tag must match.
    run(cmake + " -S " + quote(source + "/plugins/example") + " -B " + quote(pluginBuild.string()) +
        " -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=" + quote(CWMPD_CXX_COMPILER) +
        " -DCMAKE_PREFIX_PATH=" + quote(prefix.string()));
    run(cmake + " --build " + quote(pluginBuild.string()));
    run(cmake + " --install " + quote(pluginBuild.string()) + " --prefix " +
        quote(pluginPrefix_.string()));
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    if (!work_.empty()) fs::remove_all(work_, ec);
  }
  static void run(const std::string& command) {
    if (::testing::Test::HasFatalFailure()) return;
    const fs::path log = work_ / "command.log";
    const int rc = std::system((command + " >" + quote(log.string()) + " 2>&1").c_str());
    std::ifstream in(log);
    std::stringstream out;
    out << in.rdbuf();
    ASSERT_EQ(rc, 0) << command << "\n" << out.str();
  }
  static fs::path plugin() { return pluginPrefix_ / "lib/cwmpd/plugins/example.so"; }
  // Loads and starts the out-of-tree example in `f`.
  static void loadExample(cwmpd::testing::LoadingFixture& f) {
    ASSERT_TRUE(fs::exists(plugin())) << plugin();
    ASSERT_TRUE(f.host->loadFile(plugin().string())) << f.host->lastError();
    f.engine->finalize();
    f.host->startAll();
  }

  static fs::path work_, pluginPrefix_;
};
fs::path SdkInstall::work_, SdkInstall::pluginPrefix_;

TEST_F(SdkInstall, InstallsTheSdkHeadersAndThePackageConfiguration) {
  const fs::path prefix = work_ / "sdk";
  for (const char* f : {"include/cwmpd/sdk/plugin.hpp", "include/cwmpd/sdk/types.hpp",
                        "include/cwmpd/sdk/fault.hpp", "include/cwmpd/sdk/model_xml.hpp",
                        "include/cwmpd/hal/hal.hpp", "include/cwmpd/hal/optics.hpp"})
    EXPECT_TRUE(fs::exists(prefix / f)) << f;
  bool config = false;
  for (const auto& e : fs::recursive_directory_iterator(prefix))
    config = config || e.path().filename() == "cwmpdConfig.cmake";
  EXPECT_TRUE(config);
  // The SDK component is headers only: no daemon internals leak into it.
  EXPECT_FALSE(fs::exists(prefix / "include/cwmpd/core"));
}

TEST_F(SdkInstall, ExamplePluginBuiltOutOfTreeLoadsAndDeclaresItsVendorParameters) {
  ASSERT_TRUE(fs::exists(plugin())) << plugin();
  for (const std::string root : {"Device", "InternetGatewayDevice"}) {
    cwmpd::testing::LoadingFixture f(root);
    ASSERT_TRUE(f.host->loadFile(plugin().string())) << f.host->lastError();
    f.engine->finalize();
    f.host->startAll();
    const std::string base = root + ".X_00005E_Example.";
    int seen = 0;
    for (const auto& d : f.engine->definitions()) {
      if (d.plugin != "example") continue;
      ++seen;
      if (d.pattern == base + "Greeting") {
        EXPECT_EQ(d.type, cwmpd::sdk::ParamType::String);
        EXPECT_EQ(d.access, cwmpd::sdk::Access::ReadWrite);
      } else if (d.pattern == base + "Counter") {
        EXPECT_EQ(d.type, cwmpd::sdk::ParamType::UnsignedInt);
        EXPECT_EQ(d.access, cwmpd::sdk::Access::ReadOnly);
      } else if (d.pattern == base + "Ticks") {
        EXPECT_EQ(d.type, cwmpd::sdk::ParamType::UnsignedInt);
        EXPECT_EQ(d.access, cwmpd::sdk::Access::ReadOnly);
      } else if (d.pattern == base + "Enable") {
        EXPECT_EQ(d.type, cwmpd::sdk::ParamType::Boolean);
        EXPECT_EQ(d.access, cwmpd::sdk::Access::ReadWrite);
      } else {
        ADD_FAILURE() << "unexpected parameter " << d.pattern;
      }
    }
    EXPECT_EQ(seen, 4) << root;
    EXPECT_TRUE(f.engine->vendorEvents().count("X 00005E TRIGGERED")) << root;
    EXPECT_EQ(f.engine->getValues({base + "Greeting"}).at(0).value, "hello");
    EXPECT_EQ(f.engine->getValues({base + "Counter"}).at(0).value, "0");
  }
}

TEST_F(SdkInstall, ExamplePluginRaisesItsVendorEventOnlyAfterACommittedEnable) {
  ASSERT_TRUE(fs::exists(plugin())) << plugin();
  cwmpd::testing::LoadingFixture f;
  ASSERT_TRUE(f.host->loadFile(plugin().string())) << f.host->lastError();
  f.engine->finalize();
  f.host->startAll();
  const std::string base = "Device.X_00005E_Example.";
  // Refused by the plugin's validate: nothing applied, no event.
  try {
    (void)f.engine->setValues({{base + "Enable", "true"}, {base + "Greeting", "bell\a"}},
                              cwmpd::sdk::Source::Bus);
    ADD_FAILURE() << "a non-printable greeting was accepted";
  } catch (const cwmpd::sdk::Fault& e) {
    EXPECT_TRUE(e.code() == 9007 || e.code() == 9003) << e.code() << " " << e.what();
  }
  EXPECT_TRUE(f.events.empty());
  EXPECT_EQ(f.engine->getValues({base + "Enable"}).at(0).value, "false");

  EXPECT_EQ(f.engine->setValues({{base + "Enable", "1"}, {base + "Greeting", "hi there"}},
                                cwmpd::sdk::Source::Bus),
            0);
  EXPECT_EQ(f.events, std::vector<std::string>{"X 00005E TRIGGERED"});
  EXPECT_EQ(f.engine->getValues({base + "Counter"}).at(0).value, "1");
  EXPECT_EQ(f.engine->getValues({base + "Greeting"}).at(0).value, "hi there");
}

// The SDK's host timer, as a third party uses it: the out-of-tree example counts Ticks on a
// periodic timer of the main loop, and the host stops it with the plugin.
TEST_F(SdkInstall, ExamplePluginTicksOnAPeriodicHostTimerUntilItStops) {
  cwmpd::testing::LoadingFixture f("Device", "[example]\ntick_interval = 1\n");
  ASSERT_NO_FATAL_FAILURE(loadExample(f));
  const std::string ticks = "Device.X_00005E_Example.Ticks";
  auto value = [&] { return std::stoul(f.engine->getValues({ticks}).at(0).value); };
  EXPECT_EQ(value(), 0u);
  // Only the main loop (the test thread here) runs the timer.
  ASSERT_TRUE(f.runUntil([&] { return value() >= 2; }, std::chrono::seconds(20))) << value();
  f.host->stopAll();
  const auto stopped = value();
  f.runFor(std::chrono::milliseconds(1500));
  EXPECT_EQ(value(), stopped) << "the timer ran after the plugin stopped";
}

TEST_F(SdkInstall, ExamplePluginTimerIsOffWithATickIntervalOfZero) {
  cwmpd::testing::LoadingFixture f("Device", "[example]\ntick_interval = 0\n");
  ASSERT_NO_FATAL_FAILURE(loadExample(f));
  f.runFor(std::chrono::milliseconds(1200));
  EXPECT_EQ(f.engine->getValues({"Device.X_00005E_Example.Ticks"}).at(0).value, "0");
}

}  // namespace

namespace {

// The whole install (every component) into a temp prefix: the daemon, cwmpctl, the
// plugins of the default plugin directory, the configuration, the systemd unit and the
// D-Bus policy land where the shipped config and unit expect them.
TEST(Install, PutsDaemonPluginsConfigUnitAndPolicyInPlace) {
  std::string tmpl = (fs::temp_directory_path() / "cwmpd-install-XXXXXX").string();
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  const fs::path prefix = tmpl;
  const std::string log = (prefix / "install.log").string();
  const std::string cmd = std::string(CWMPD_CMAKE_COMMAND) + " --install " +
                          quote(env("CWMPD_BUILD_DIR")) + " --prefix " +
                          quote((prefix / "root").string()) + " >" + quote(log) + " 2>&1";
  const int rc = std::system(cmd.c_str());
  std::ifstream in(log);
  std::stringstream out;
  out << in.rdbuf();
  ASSERT_EQ(rc, 0) << out.str();
  const fs::path root = prefix / "root";
  for (const char* f : {"bin/cwmpd", "bin/cwmpctl", "etc/cwmpd/cwmpd.conf",
                        "lib/systemd/system/cwmpd.service", "share/dbus-1/system.d/org.cwmpd.conf",
                        "lib/cwmpd/plugins/deviceinfo.so", "lib/cwmpd/plugins/management.so"})
    EXPECT_TRUE(fs::exists(root / f)) << f << "\n" << out.str();
  // The template plugin is not part of a real box.
  EXPECT_FALSE(fs::exists(root / "lib/cwmpd/plugins/example.so"));
  std::ifstream unit(root / "lib/systemd/system/cwmpd.service");
  std::stringstream unitText;
  unitText << unit.rdbuf();
  EXPECT_NE(unitText.str().find("/cwmpd --config /"), std::string::npos) << unitText.str();
  EXPECT_EQ(unitText.str().find('@'), std::string::npos) << "unsubstituted variable:\n"
                                                         << unitText.str();
  std::error_code ec;
  fs::remove_all(prefix, ec);
}

}  // namespace
