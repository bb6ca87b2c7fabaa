// The plugin host on real .so files, including deliberately broken ones (fixtures/):
// each refused plugin is named in the error, nothing of it stays registered, and the
// host and engine keep working for the plugins that are fine.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "fixtures/fixture_model.hpp"
#include "loading_fixture.hpp"
#include "manual_clock.hpp"
#include "plugin/firewall.hpp"

namespace {

namespace fs = std::filesystem;
using cwmpd::sdk::Fault;
using cwmpd::testing::LoadingFixture;

// The fault code `f` throws, or 0 when it does not throw a Fault.
template <typename F>
int faultCode(F&& f) {
  try {
    f();
  } catch (const Fault& e) {
    return e.code();
  }
  return 0;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(PluginLoading, GoodPluginLoadsAndServesItsParameters) {
  LoadingFixture f;
  ASSERT_TRUE(f.host->loadFile(FIXTURE_GOOD)) << f.host->lastError();
  f.engine->finalize();
  f.host->startAll();
  EXPECT_EQ(f.engine->getValues({"Device.X_00005E_Good.Text"}).at(0).value, "x");
  EXPECT_EQ(f.engine->getValues({"Device.X_00005E_Good.Live"}).at(0).value, "1");
  EXPECT_EQ(f.engine->getValues({"Device.X_00005E_Good.Live"}).at(0).value, "2");
  EXPECT_EQ(f.host->names(), std::vector<std::string>{"good 1.0"});
}

TEST(PluginLoading, WrongAbiVersionIsRefusedBeforeAnythingElseIsCalled) {
  LoadingFixture f;
  // The fixture aborts if its info or factory is called: the version is checked first.
  EXPECT_FALSE(f.host->loadFile(FIXTURE_WRONG_ABI));
  const std::string err = f.host->lastError();
  EXPECT_TRUE(contains(err, "wrong_abi.so")) << err;
  EXPECT_TRUE(contains(err, "ABI " + std::to_string(cwmpd::sdk::kAbiVersion + 1))) << err;
  EXPECT_TRUE(contains(err, "ABI " + std::to_string(cwmpd::sdk::kAbiVersion))) << err;
  EXPECT_TRUE(f.host->names().empty());
}

TEST(PluginLoading, PluginOfThePreviousAbiIsRefusedBeforeAnythingElseIsCalled) {
  // ABI 4 is the SDK before it became its own include root (ABI 5): such a plugin may have
  // included core headers and must be rebuilt.
  ASSERT_GT(cwmpd::sdk::kAbiVersion, 4u);
  LoadingFixture f;
  EXPECT_FALSE(f.host->loadFile(FIXTURE_OLD_ABI));
  const std::string err = f.host->lastError();
  EXPECT_TRUE(contains(err, "old_abi.so")) << err;
  EXPECT_TRUE(contains(err, "ABI 4")) << err;
  EXPECT_TRUE(contains(err, "ABI " + std::to_string(cwmpd::sdk::kAbiVersion))) << err;
  EXPECT_TRUE(contains(err, "rebuild")) << err;
  EXPECT_TRUE(f.host->names().empty());
}

TEST(PluginLoading, PluginWithoutFactoryIsRefusedNamingTheMissingSymbol) {
  LoadingFixture f;
  EXPECT_FALSE(f.host->loadFile(FIXTURE_NO_FACTORY));
  EXPECT_TRUE(contains(f.host->lastError(), "no_factory.so")) << f.host->lastError();
  EXPECT_TRUE(contains(f.host->lastError(), "cwmpd_plugin_create")) << f.host->lastError();
}

TEST(PluginLoading, PlainSharedObjectIsRefusedAsNotAPlugin) {
  LoadingFixture f;
  EXPECT_FALSE(f.host->loadFile(FIXTURE_NOT_A_PLUGIN));
  EXPECT_TRUE(contains(f.host->lastError(), "not_a_plugin.so")) << f.host->lastError();
  EXPECT_TRUE(contains(f.host->lastError(), "cwmpd_plugin_abi_version")) << f.host->lastError();
}

TEST(PluginLoading, FileThatIsNotASharedObjectIsRefused) {
  LoadingFixture f;
  const fs::path junk = f.dir / "junk.so";
  std::ofstream(junk) << "this is not an ELF file\n";
  EXPECT_FALSE(f.host->loadFile(junk.string()));
  EXPECT_TRUE(contains(f.host->lastError(), "junk.so: cannot load")) << f.host->lastError();
}

TEST(PluginLoading, FailedRegistrationBacksOutEverythingThePluginRegistered) {
  LoadingFixture f;
  EXPECT_FALSE(f.host->loadFile(FIXTURE_THROWING_REGISTER));
  const std::string err = f.host->lastError();
  EXPECT_TRUE(contains(err, "throwing_register.so")) << err;
  EXPECT_TRUE(contains(err, "hardware not found")) << err;
  ASSERT_TRUE(f.host->loadFile(FIXTURE_GOOD)) << f.host->lastError();
  f.engine->finalize();

  EXPECT_EQ(faultCode([&] { (void)f.engine->getNames("Device.X_00005E_Partial.", false); }), 9005);
  EXPECT_EQ(faultCode([&] { (void)f.engine->getValues({"Device.X_00005E_Partial.Live"}); }), 9005);
  for (const auto& d : f.engine->definitions()) {
    EXPECT_NE(d.plugin, "throwing_register") << d.pattern;
    EXPECT_FALSE(contains(d.pattern, "X_00005E_Partial")) << d.pattern;
  }
  EXPECT_FALSE(f.engine->vendorEvents().count("X 00005E PARTIAL"));
  EXPECT_EQ(f.engine->getValues({"Device.X_00005E_Good.Text"}).at(0).value, "x");
}

TEST(PluginLoading, InvalidModelDocumentIsRefusedNamingTheFile) {
  LoadingFixture f;
  EXPECT_FALSE(f.host->loadFile(FIXTURE_BAD_MODEL));
  EXPECT_TRUE(contains(f.host->lastError(), "bad_model.so: registration failed"))
      << f.host->lastError();
  f.engine->finalize();
  EXPECT_EQ(faultCode([&] { (void)f.engine->getNames("Device.X_00005E_Bad.", false); }), 9005);
}

TEST(PluginLoading, SecondPluginWithTheSameNameIsRefused) {
  LoadingFixture f;
  ASSERT_TRUE(f.host->loadFile(FIXTURE_GOOD));
  const fs::path copy = f.dir / "good-copy.so";
  fs::copy_file(FIXTURE_GOOD, copy);
  EXPECT_FALSE(f.host->loadFile(copy.string()));
  EXPECT_TRUE(contains(f.host->lastError(), "good-copy.so")) << f.host->lastError();
  EXPECT_TRUE(contains(f.host->lastError(), "already loaded")) << f.host->lastError();
  EXPECT_EQ(f.host->names().size(), 1u);
}

TEST(PluginLoading, DirectoryWithBrokenPluginsLoadsOnlyTheGoodOnes) {
  LoadingFixture f;
  const fs::path dir = f.dir / "plugins";
  fs::create_directories(dir);
  for (const char* p : {FIXTURE_BAD_MODEL, FIXTURE_GOOD, FIXTURE_NOT_A_PLUGIN, FIXTURE_NO_FACTORY,
                        FIXTURE_THROWING_HANDLER, FIXTURE_THROWING_REGISTER, FIXTURE_WRONG_ABI})
    fs::copy_file(p, dir / fs::path(p).filename());
  EXPECT_EQ(f.host->loadDirectory(dir.string(), {}), 2u);
  auto names = f.host->names();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"good 1.0", "throwing_handler 1.0"}));
  f.engine->finalize();
  f.host->startAll();
  EXPECT_EQ(f.engine->getValues({"Device.X_00005E_Good.Text"}).at(0).value, "x");
}

TEST(PluginLoading, EnableListLoadsOnlyTheNamedPlugins) {
  LoadingFixture f;
  const fs::path dir = f.dir / "plugins";
  fs::create_directories(dir);
  for (const char* p : {FIXTURE_GOOD, FIXTURE_THROWING_HANDLER, FIXTURE_WRONG_ABI})
    fs::copy_file(p, dir / fs::path(p).filename());
  EXPECT_EQ(f.host->loadDirectory(dir.string(), {"throwing_handler"}), 1u);
  EXPECT_EQ(f.host->names(), std::vector<std::string>{"throwing_handler 1.0"});
}

class ThrowingHandlers : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(f.host->loadFile(FIXTURE_GOOD)) << f.host->lastError();
    ASSERT_TRUE(f.host->loadFile(FIXTURE_THROWING_HANDLER)) << f.host->lastError();
    f.engine->finalize();
    f.host->startAll();
  }
  std::string value(const std::string& path) { return f.engine->getValues({path}).at(0).value; }
  LoadingFixture f;
};

TEST_F(ThrowingHandlers, ThrowingGetterYieldsFault9002AndTheEngineKeepsServing) {
  EXPECT_EQ(faultCode([&] { (void)f.engine->getValues({"Device.X_00005E_Throwing.Live"}); }), 9002);
  // The same request again: still a fault, not a crash or a stale value.
  EXPECT_EQ(faultCode([&] { (void)f.engine->getValues({"Device.X_00005E_Throwing.Live"}); }), 9002);
  EXPECT_EQ(value("Device.X_00005E_Throwing.Text"), "x");
  EXPECT_EQ(value("Device.X_00005E_Good.Text"), "x");
}

TEST_F(ThrowingHandlers, ThrowingApplyYieldsFault9002AndLeavesEveryValueAsItWas) {
  EXPECT_EQ(faultCode([&] {
              (void)f.engine->setValues({{"Device.X_00005E_Throwing.Level", "5"}},
                                        cwmpd::sdk::Source::Acs);
            }),
            9002);
  EXPECT_EQ(value("Device.X_00005E_Throwing.Level"), "0");
  // A set spanning both plugins is all-or-nothing: the good plugin's part is undone too.
  EXPECT_EQ(faultCode([&] {
              (void)f.engine->setValues(
                  {{"Device.X_00005E_Good.Level", "3"}, {"Device.X_00005E_Throwing.Level", "5"}},
                  cwmpd::sdk::Source::Acs);
            }),
            9002);
  EXPECT_EQ(value("Device.X_00005E_Good.Level"), "0");
  EXPECT_EQ(value("Device.X_00005E_Throwing.Level"), "0");
  // And the engine still takes a set that does not reach the throwing handler.
  EXPECT_EQ(f.engine->setValues({{"Device.X_00005E_Good.Level", "4"}}, cwmpd::sdk::Source::Acs), 0);
  EXPECT_EQ(value("Device.X_00005E_Good.Level"), "4");
}

// ---- vendor file types (Registrar::fileType, SDK ABI 2) ----

// A built-in plugin whose registerModel() runs `body`.
class FileTypePlugin : public cwmpd::sdk::Plugin {
 public:
  explicit FileTypePlugin(std::function<void(cwmpd::sdk::Registrar&)> body)
      : body_(std::move(body)) {}
  void registerModel(cwmpd::sdk::Registrar& reg) override { body_(reg); }

 private:
  std::function<void(cwmpd::sdk::Registrar&)> body_;
};

bool addFileTypePlugin(LoadingFixture& f, const std::string& name,
                       std::function<void(cwmpd::sdk::Registrar&)> body) {
  return f.host->addBuiltin(std::make_unique<FileTypePlugin>(std::move(body)), name);
}

TEST(PluginFileTypes, TheHostCollectsThemWithTheirPluginAndGuardsTheHandler) {
  LoadingFixture f;
  std::vector<std::string> applied;
  ASSERT_TRUE(addFileTypePlugin(f, "vendor", [&](cwmpd::sdk::Registrar& reg) {
    reg.fileType("X 00005E Bundle", [&](const cwmpd::sdk::DownloadedFile& file) {
      if (file.path == "bug") throw std::logic_error("plugin bug");
      if (file.path == "refuse") throw Fault(9018, "corrupted");
      applied.push_back(file.path);
    });
    reg.fileType("X CT-COM Tones", [](const cwmpd::sdk::DownloadedFile&) {});
  })) << f.host->lastError();
  const auto& types = f.host->fileTypes();
  ASSERT_EQ(types.size(), 2u);
  EXPECT_EQ(types[0].type, "X 00005E Bundle");
  EXPECT_EQ(types[0].plugin, "vendor");
  EXPECT_EQ(types[1].type, "X CT-COM Tones");
  cwmpd::sdk::DownloadedFile file;
  file.path = "/tmp/x";
  types[0].handler(file);
  EXPECT_EQ(applied, std::vector<std::string>{"/tmp/x"});
  // The plugin's own fault passes; anything else becomes 9002 at the host's firewall.
  file.path = "refuse";
  EXPECT_EQ(faultCode([&] { types[0].handler(file); }), 9018);
  file.path = "bug";
  EXPECT_EQ(faultCode([&] { types[0].handler(file); }), 9002);
}

TEST(PluginFileTypes, AMalformedOrTakenTypeFailsTheRegistrationAndNothingOfItStays) {
  LoadingFixture f;
  auto none = [](const cwmpd::sdk::DownloadedFile&) {};
  for (const std::string bad : {"2 Web Content", "X 00005e Lower", "X 00005E", "X Only"}) {
    EXPECT_FALSE(addFileTypePlugin(f, "bad", [&](cwmpd::sdk::Registrar& reg) {
      reg.fileType(bad, none);
    })) << bad;
    EXPECT_TRUE(contains(f.host->lastError(), "file type")) << f.host->lastError();
  }
  // A plugin that declared a type and then failed: its type is backed out with it.
  EXPECT_FALSE(addFileTypePlugin(f, "late-failure", [&](cwmpd::sdk::Registrar& reg) {
    reg.fileType("X 00005E Bundle", none);
    throw std::runtime_error("cannot register");
  }));
  EXPECT_TRUE(f.host->fileTypes().empty());
  ASSERT_TRUE(addFileTypePlugin(
      f, "first", [&](cwmpd::sdk::Registrar& reg) { reg.fileType("X 00005E Bundle", none); }));
  EXPECT_FALSE(addFileTypePlugin(
      f, "second", [&](cwmpd::sdk::Registrar& reg) { reg.fileType("X 00005E Bundle", none); }));
  EXPECT_TRUE(contains(f.host->lastError(), "already handled by plugin first"))
      << f.host->lastError();
  ASSERT_EQ(f.host->fileTypes().size(), 1u);
  EXPECT_EQ(f.host->fileTypes()[0].plugin, "first");
}

// ---- execution environments (Registrar::executionEnvironment, SDK ABI 7) ----

class FakeEe : public cwmpd::sdk::ExecutionEnvironment {
 public:
  explicit FakeEe(std::string name) : name_(std::move(name)) {}
  cwmpd::sdk::ExecEnvInfo info() const override { return {name_, "fake", "", "1", true}; }
  void bind(cwmpd::sdk::ExecEnvEvents&) override {}
  std::vector<cwmpd::sdk::DeploymentUnitInfo> list() override {
    throw std::logic_error("plugin bug");
  }
  void install(const cwmpd::sdk::DuInstall& r, cwmpd::sdk::DuDone done) override {
    if (r.file == "refuse") throw Fault(9018, "corrupted");
    cwmpd::sdk::DuOutcome o;
    o.unit.duid = r.file;
    done(o);
  }
  void update(const cwmpd::sdk::DuUpdate&, cwmpd::sdk::DuDone) override {}
  void uninstall(const cwmpd::sdk::DuUninstall&, cwmpd::sdk::DuDone) override {}
  void start(std::string_view) override {}
  void stop(std::string_view) override {}

 private:
  std::string name_;
};

TEST(PluginExecEnvs, TheHostCollectsThemWithTheirPluginBehindTheFirewall) {
  LoadingFixture f;
  ASSERT_TRUE(addFileTypePlugin(f, "ees", [&](cwmpd::sdk::Registrar& reg) {
    reg.executionEnvironment(std::make_shared<FakeEe>("sim"));
  })) << f.host->lastError();
  // A second EE of the same name is refused with its plugin's registration.
  EXPECT_FALSE(addFileTypePlugin(f, "again", [&](cwmpd::sdk::Registrar& reg) {
    reg.executionEnvironment(std::make_shared<FakeEe>("sim"));
  }));
  EXPECT_TRUE(contains(f.host->lastError(), "already declared")) << f.host->lastError();
  const auto& ees = f.host->executionEnvironments();
  ASSERT_EQ(ees.size(), 1u);
  EXPECT_EQ(ees[0].plugin, "ees");
  auto& ee = *ees[0].environment;
  EXPECT_EQ(ee.info().name, "sim");
  std::string installed;
  ee.install({"u", "url", "pkg"}, [&](cwmpd::sdk::DuOutcome o) { installed = o.unit.duid; });
  EXPECT_EQ(installed, "pkg");
  EXPECT_EQ(faultCode([&] {
              ee.install({"u", "url", "refuse"}, [](cwmpd::sdk::DuOutcome) {});
            }),
            9018);
  EXPECT_EQ(faultCode([&] { (void)ee.list(); }), 9002);
}

}  // namespace

// ---- the plugin firewall and Host timers (issue 14 items 5 and 6) ----

namespace {

// A built-in plugin with the fixture model "Device.X_00005E_<name>." whose start() runs
// `body` with the host.
class StartPlugin : public cwmpd::sdk::Plugin {
 public:
  StartPlugin(std::string name, std::function<void(cwmpd::sdk::Host&)> body)
      : name_(std::move(name)), body_(std::move(body)) {}
  void registerModel(cwmpd::sdk::Registrar& reg) override {
    reg.definitions(fixture::model(name_));
  }
  void start(cwmpd::sdk::Host& host) override { body_(host); }

 private:
  std::string name_;
  std::function<void(cwmpd::sdk::Host&)> body_;
};

}  // namespace

TEST(HostTimers, AOneShotRunsOnceAndAPeriodicOneUntilCancelled) {
  LoadingFixture f;
  cwmpd::sdk::Host* host = nullptr;
  int once = 0, periodic = 0;
  cwmpd::sdk::TimerId tick = 0;
  ASSERT_TRUE(f.host->addBuiltin(
      std::make_unique<StartPlugin>(
          "Timed",
          [&](cwmpd::sdk::Host& h) {
            host = &h;
            EXPECT_NE(h.startTimer(std::chrono::milliseconds(5), [&] { ++once; }), 0u);
            tick = h.startPeriodicTimer(std::chrono::milliseconds(5), [&] { ++periodic; });
          }),
      "timed"))
      << f.host->lastError();
  f.engine->finalize();
  f.host->startAll();
  EXPECT_EQ(once + periodic, 0) << "timers run on the main loop, not in start()";
  ASSERT_TRUE(f.runUntil([&] { return periodic >= 3; }, std::chrono::seconds(10)));
  EXPECT_EQ(once, 1);
  host->cancelTimer(tick);
  const int seen = periodic;
  f.runFor(std::chrono::milliseconds(100));
  EXPECT_EQ(periodic, seen);
  EXPECT_EQ(once, 1);
  EXPECT_THROW(host->startPeriodicTimer(std::chrono::milliseconds(0), [] {}),
               std::invalid_argument);
}

TEST(HostTimers, StoppingThePluginCancelsItsTimers) {
  LoadingFixture f;
  int runs = 0;
  ASSERT_TRUE(f.host->addBuiltin(
      std::make_unique<StartPlugin>("Timed",
                                    [&](cwmpd::sdk::Host& h) {
                                      h.startTimer(std::chrono::milliseconds(30), [&] { ++runs; });
                                      h.startPeriodicTimer(std::chrono::milliseconds(30),
                                                           [&] { ++runs; });
                                    }),
      "timed"))
      << f.host->lastError();
  f.engine->finalize();
  f.host->startAll();
  f.host->stopAll();
  f.runFor(std::chrono::milliseconds(150));
  EXPECT_EQ(runs, 0);
}

// Issue 14 (the injectable clock): the host's timers run on the host's Clock, so that a
// manual clock drives them; nothing runs until the clock reaches the due time.
TEST(HostTimers, RunOnTheHostClockAtTheirDueTimesAndAtAFixedRate) {
  auto clock = std::make_shared<cwmpd::test::ManualClock>();
  LoadingFixture f("Device", "", clock);
  const auto t0 = clock->steadyNow();
  std::vector<std::chrono::steady_clock::duration> once, periodic;
  cwmpd::sdk::Host* host = nullptr;
  cwmpd::sdk::TimerId tick = 0;
  ASSERT_TRUE(f.host->addBuiltin(
      std::make_unique<StartPlugin>("Timed",
                                    [&](cwmpd::sdk::Host& h) {
                                      host = &h;
                                      h.startTimer(std::chrono::seconds(90), [&] {
                                        once.push_back(clock->steadyNow() - t0);
                                      });
                                      tick = h.startPeriodicTimer(std::chrono::seconds(30), [&] {
                                        periodic.push_back(clock->steadyNow() - t0);
                                      });
                                    }),
      "timed"))
      << f.host->lastError();
  f.engine->finalize();
  f.host->startAll();
  clock->advance(std::chrono::seconds(29));
  EXPECT_TRUE(once.empty());
  EXPECT_TRUE(periodic.empty());
  clock->advance(std::chrono::seconds(100));  // to 129 s
  using std::chrono::seconds;
  EXPECT_EQ(once, (std::vector<std::chrono::steady_clock::duration>{seconds(90)}));
  EXPECT_EQ(periodic, (std::vector<std::chrono::steady_clock::duration>{
                          seconds(30), seconds(60), seconds(90), seconds(120)}));
  host->cancelTimer(tick);
  EXPECT_EQ(clock->pendingTimers(), 0u) << "a cancelled timer leaves nothing behind";
  clock->advance(std::chrono::hours(1));
  EXPECT_EQ(periodic.size(), 4u);
}

TEST(HostTimers, StoppingThePluginCancelsItsTimersOnTheHostClock) {
  auto clock = std::make_shared<cwmpd::test::ManualClock>();
  LoadingFixture f("Device", "", clock);
  int runs = 0;
  ASSERT_TRUE(f.host->addBuiltin(
      std::make_unique<StartPlugin>("Timed",
                                    [&](cwmpd::sdk::Host& h) {
                                      h.startTimer(std::chrono::seconds(5), [&] { ++runs; });
                                      h.startPeriodicTimer(std::chrono::seconds(5),
                                                           [&] { ++runs; });
                                    }),
      "timed"))
      << f.host->lastError();
  f.engine->finalize();
  f.host->startAll();
  EXPECT_EQ(clock->pendingTimers(), 2u);
  f.host->stopAll();
  EXPECT_EQ(clock->pendingTimers(), 0u);
  clock->advance(std::chrono::minutes(1));
  EXPECT_EQ(runs, 0);
}

// The firewall's window (kFailureLimit failures within kFailureWindow) is measured on the
// host's clock: failures that fell out of the window no longer count.
TEST(PluginFirewall, OnlyFailuresWithinTheWindowCountTowardsTheLimit) {
  auto clock = std::make_shared<cwmpd::test::ManualClock>();
  LoadingFixture f("Device", "", clock);
  ASSERT_TRUE(f.host->loadFile(FIXTURE_GOOD)) << f.host->lastError();
  ASSERT_TRUE(f.host->loadFile(FIXTURE_THROWING_HANDLER)) << f.host->lastError();
  f.engine->finalize();
  f.host->startAll();
  const int limit = cwmpd::core::PluginFirewall::kFailureLimit;
  const auto window = cwmpd::core::PluginFirewall::kFailureWindow;
  auto fail = [&] {
    EXPECT_EQ(faultCode([&] { (void)f.engine->getValues({"Device.X_00005E_Throwing.Live"}); }),
              9002);
  };
  for (int i = 1; i < limit; ++i) fail();
  clock->advance(window + std::chrono::seconds(1));
  for (int i = 1; i < limit; ++i) fail();
  EXPECT_FALSE(f.engine->firewall().disabled("throwing_handler"))
      << "2·(limit-1) failures, but never limit of them within the window";
  clock->advance(window - std::chrono::seconds(1));
  fail();  // the limit-1 failures of a moment ago are still in the window
  EXPECT_TRUE(f.engine->firewall().disabled("throwing_handler"));
  EXPECT_EQ(f.engine->getValues({"Device.X_00005E_Good.Text"}).at(0).value, "x");
}

TEST(PluginFirewall, TimersThatThrowDisableThePluginAndEverythingElseCarriesOn) {
  LoadingFixture f;
  ASSERT_TRUE(f.host->loadFile(FIXTURE_GOOD)) << f.host->lastError();
  ASSERT_TRUE(f.host->loadFile(FIXTURE_THROWING_TIMER)) << f.host->lastError();
  f.engine->finalize();
  f.host->startAll();
  auto& firewall = f.engine->firewall();
  ASSERT_TRUE(
      f.runUntil([&] { return firewall.disabled("throwing_timer"); }, std::chrono::seconds(10)));
  // Its subtree answers 9002, stored values and sets included; the rest is untouched.
  EXPECT_EQ(faultCode([&] { (void)f.engine->getValues({"Device.X_00005E_Timer.Text"}); }), 9002);
  EXPECT_EQ(
      faultCode([&] {
        (void)f.engine->setValues({{"Device.X_00005E_Timer.Level", "1"}}, cwmpd::sdk::Source::Acs);
      }),
      9002);
  EXPECT_EQ(f.engine->getValues({"Device.X_00005E_Good.Text"}).at(0).value, "x");
  EXPECT_EQ(f.engine->setValues({{"Device.X_00005E_Good.Level", "2"}}, cwmpd::sdk::Source::Acs), 0);
}

TEST(PluginFirewall, PostedWorkThatThrowsIsCaughtAndCountedNotFatal) {
  LoadingFixture f;
  ASSERT_TRUE(f.host->loadFile(FIXTURE_GOOD)) << f.host->lastError();
  ASSERT_TRUE(f.host->loadFile(FIXTURE_THROWING_POST)) << f.host->lastError();
  f.engine->finalize();
  EXPECT_NO_THROW(f.host->startAll());  // the fixture host runs posted work at once
  EXPECT_FALSE(f.engine->firewall().disabled("throwing_post"))
      << "one failure is not repeated failures";
  EXPECT_EQ(f.engine->getValues({"Device.X_00005E_Post.Text"}).at(0).value, "x");
}

TEST(PluginFirewall, AStartThatThrowsDisablesOnlyThatPlugin) {
  LoadingFixture f;
  ASSERT_TRUE(f.host->loadFile(FIXTURE_THROWING_START)) << f.host->lastError();
  ASSERT_TRUE(f.host->loadFile(FIXTURE_GOOD)) << f.host->lastError();
  f.engine->finalize();
  EXPECT_NO_THROW(f.host->startAll());
  EXPECT_TRUE(f.engine->firewall().disabled("throwing_start"));
  EXPECT_EQ(faultCode([&] { (void)f.engine->getValues({"Device.X_00005E_Start.Text"}); }), 9002);
  EXPECT_EQ(faultCode([&] { (void)f.engine->getValues({"Device."}); }), 9002);
  EXPECT_EQ(f.engine->getValues({"Device.X_00005E_Good.Text"}).at(0).value, "x");
}

TEST_F(ThrowingHandlers, AGetterFailingRepeatedlyDisablesItsPluginAtTheLimitNotBefore) {
  const int limit = cwmpd::core::PluginFirewall::kFailureLimit;
  for (int i = 1; i < limit; ++i)
    EXPECT_EQ(faultCode([&] { (void)f.engine->getValues({"Device.X_00005E_Throwing.Live"}); }),
              9002);
  EXPECT_EQ(value("Device.X_00005E_Throwing.Text"), "x") << "still in service below the limit";
  EXPECT_EQ(faultCode([&] { (void)f.engine->getValues({"Device.X_00005E_Throwing.Live"}); }), 9002);
  EXPECT_TRUE(f.engine->firewall().disabled("throwing_handler"));
  EXPECT_EQ(faultCode([&] { (void)f.engine->getValues({"Device.X_00005E_Throwing.Text"}); }), 9002);
  EXPECT_EQ(value("Device.X_00005E_Good.Text"), "x");
}
