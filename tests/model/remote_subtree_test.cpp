// Issue 18, the core side of providers: a subtree mounted at run time (Engine as
// core::RemoteSubtrees) with an in-test participant standing in for the D-Bus provider.
// Reads, names, one transaction with core-stored parameters, refusals and the rollback of
// an applied provider batch, instance numbers by key, unmount and remount.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <map>
#include <thread>

#include "cwmpd/core/engine.hpp"
#include "test_support.hpp"

using cwmpd::core::Engine;
using cwmpd::core::ModelLoan;
using cwmpd::core::NameValues;
using cwmpd::core::SetFault;
using cwmpd::core::Store;
using cwmpd::sdk::Fault;
using cwmpd::sdk::Source;
using cwmpd::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

constexpr const char* kDoc =
    R"(<dm:document xmlns:dm="urn:broadband-forum-org:cwmp:datamodel-1-14" spec="urn:x">
  <model name="Device:2.17">
    <object name="Device.X_Remote." access="readOnly" minEntries="1" maxEntries="1">
      <parameter name="Greeting" access="readWrite"><syntax><string/></syntax></parameter>
      <parameter name="Level" access="readWrite"><syntax><unsignedInt/></syntax></parameter>
      <parameter name="LineNumberOfEntries" access="readOnly"><syntax><unsignedInt/></syntax></parameter>
    </object>
    <object name="Device.X_Remote.Line.{i}." access="readWrite" minEntries="0" maxEntries="unbounded" numEntriesParameter="LineNumberOfEntries">
      <parameter name="Name" access="readWrite"><syntax><string/></syntax></parameter>
    </object>
  </model>
</dm:document>)";

// The provider: values by its names, its keys, what it was asked.
struct FakeProvider : cwmpd::core::RemoteParticipant {
  std::map<std::string, std::string> values{{"Device.X_Remote.Greeting", "hello"},
                                            {"Device.X_Remote.Level", "1"}};
  std::vector<std::uint32_t> keys;
  std::vector<std::string> calls;
  bool refuseValidate = false, refuseApply = false;

  explicit FakeProvider(std::vector<std::uint32_t> k) : keys(std::move(k)) {
    for (auto key : keys)
      values["Device.X_Remote.Line." + std::to_string(key) + ".Name"] =
          "line" + std::to_string(key);
  }
  NameValues get(const std::vector<std::string>& names) override {
    NameValues out;
    for (const auto& n : names) {
      if (!values.count(n)) throw Fault(9005, "no " + n);
      out.emplace_back(n, values[n]);
    }
    return out;
  }
  void validate(const NameValues& /*changes*/) override {
    calls.push_back("validate");
    if (refuseValidate) throw Fault(9007, "value out of range");
  }
  void apply(const NameValues& c) override {
    calls.push_back("apply");
    if (refuseApply) throw Fault(9002, "hardware busy");
    for (const auto& [n, v] : c) values[n] = v;
  }
  void rollback(const NameValues& c) override {
    calls.push_back("rollback");
    for (const auto& [n, v] : c) values[n] = v;
  }
  std::vector<std::uint32_t> instances(const std::string& table) override {
    calls.push_back("instances " + table);
    return keys;
  }
  std::uint32_t add(const std::string&) override {
    const std::uint32_t k = 100 + static_cast<std::uint32_t>(keys.size());
    keys.push_back(k);
    values["Device.X_Remote.Line." + std::to_string(k) + ".Name"] = "";
    return k;
  }
  void remove(const std::string& instance) override { calls.push_back("delete " + instance); }
};

struct RemoteSubtree : ::testing::Test {
  TempDir dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<Engine> engine;

  void SetUp() override { build(); }
  void build() {
    engine.reset();
    store = std::make_unique<Store>(dir.file("model.db"));
    store->load();
    engine = std::make_unique<Engine>("Device", *store);
    engine->addDefinitions(cwmpd::testing::testModel());
    engine->finalize();
  }
  std::string get(const std::string& name) { return engine->getValues({name}).at(0).value; }
};

TEST_F(RemoteSubtree, AMountedSubtreeIsReadLiveWithInstancesNumberedByKey) {
  auto p = std::make_shared<FakeProvider>(std::vector<std::uint32_t>{9, 7});
  (void)engine->mount("fake", kDoc, p);
  EXPECT_THAT(p->calls, ElementsAre("instances Device.X_Remote.Line."));
  EXPECT_EQ(get("Device.X_Remote.Greeting"), "hello");
  EXPECT_EQ(get("Device.X_Remote.Line.1.Name"), "line9");
  EXPECT_EQ(get("Device.X_Remote.Line.2.Name"), "line7");
  EXPECT_EQ(get("Device.X_Remote.LineNumberOfEntries"), "2");
  p->values["Device.X_Remote.Greeting"] = "live";
  EXPECT_EQ(get("Device.X_Remote.Greeting"), "live");
  // The whole tree has both the core's parameters and the provider's.
  std::vector<std::string> names;
  for (const auto& v : engine->getValues({""})) names.push_back(v.name);
  EXPECT_THAT(names, ::testing::IsSupersetOf({std::string("Device.Test.Name"),
                                              std::string("Device.X_Remote.Line.2.Name")}));
}

TEST_F(RemoteSubtree, OverlapAndInvalidDocumentsAreRefusedAndMountNothing) {
  auto p = std::make_shared<FakeProvider>(std::vector<std::uint32_t>{});
  (void)engine->mount("first", kDoc, p);
  try {
    (void)engine->mount("second", kDoc,
                        std::make_shared<FakeProvider>(std::vector<std::uint32_t>{}));
    FAIL() << "an overlapping document was mounted";
  } catch (const Fault& f) {
    EXPECT_EQ(f.code(), 9001);
  }
  std::string claim = kDoc;
  claim.replace(claim.find("X_Remote."), 9, "Test.");  // the core's own object
  try {
    (void)engine->mount("claim", claim,
                        std::make_shared<FakeProvider>(std::vector<std::uint32_t>{}));
    FAIL() << "a core object was claimed";
  } catch (const Fault& f) {
    EXPECT_EQ(f.code(), 9001);
  }
  try {
    (void)engine->mount("bad", "<nonsense/>", p);
    FAIL() << "an invalid document was mounted";
  } catch (const Fault& f) {
    EXPECT_EQ(f.code(), 9003);
  }
  EXPECT_EQ(get("Device.Test.Name"), engine->getValues({"Device.Test.Name"}).at(0).value);
  EXPECT_EQ(get("Device.X_Remote.Greeting"), "hello");
}

TEST_F(RemoteSubtree, ASetWithCoreAndProviderParametersIsOneTransaction) {
  auto p = std::make_shared<FakeProvider>(std::vector<std::uint32_t>{});
  (void)engine->mount("fake", kDoc, p);
  const std::string name = get("Device.Test.Name");
  (void)engine->setValues({{"Device.Test.Name", "core"}, {"Device.X_Remote.Greeting", "remote"}},
                          Source::Acs);
  EXPECT_EQ(get("Device.Test.Name"), "core");
  EXPECT_EQ(p->values["Device.X_Remote.Greeting"], "remote");

  p->refuseValidate = true;
  p->calls.clear();
  try {
    (void)engine->setValues({{"Device.Test.Name", "again"}, {"Device.X_Remote.Level", "50"}},
                            Source::Acs);
    FAIL() << "the provider's refusal was ignored";
  } catch (const SetFault& f) {
    ASSERT_EQ(f.parameters().size(), 1u);
    EXPECT_EQ(f.parameters()[0].name, "Device.X_Remote.Level");
    EXPECT_EQ(f.parameters()[0].code, 9007);
  }
  EXPECT_THAT(p->calls, ElementsAre("validate"));
  EXPECT_EQ(get("Device.Test.Name"), "core");
  EXPECT_EQ(p->values["Device.X_Remote.Level"], "1");
}

TEST_F(RemoteSubtree, AnApplyFailureRollsBackTheBatchesTheProviderApplied) {
  static constexpr const char* kTwo =
      R"(<dm:document xmlns:dm="urn:broadband-forum-org:cwmp:datamodel-1-14" spec="urn:y">
  <model name="Device:2.17">
    <object name="Device.X_Second." access="readOnly" minEntries="1" maxEntries="1">
      <parameter name="Mode" access="readWrite"><syntax><string/></syntax></parameter>
    </object>
  </model>
</dm:document>)";
  auto first = std::make_shared<FakeProvider>(std::vector<std::uint32_t>{});
  auto second = std::make_shared<FakeProvider>(std::vector<std::uint32_t>{});
  second->values["Device.X_Second.Mode"] = "a";
  (void)engine->mount("first", kDoc, first);
  (void)engine->mount("second", kTwo, second);
  second->refuseApply = true;
  EXPECT_THROW(
      (void)engine->setValues({{"Device.X_Remote.Greeting", "new"}, {"Device.X_Second.Mode", "b"}},
                              Source::Acs),
      SetFault);
  EXPECT_THAT(first->calls,
              ElementsAre("instances Device.X_Remote.Line.", "validate", "apply", "rollback"));
  EXPECT_EQ(first->values["Device.X_Remote.Greeting"], "hello");
  EXPECT_EQ(second->values["Device.X_Second.Mode"], "a");
}

TEST_F(RemoteSubtree, UnmountRemovesTheNamesAndARemountKeepsNumbersAndAttributes) {
  auto p = std::make_shared<FakeProvider>(std::vector<std::uint32_t>{9, 7});
  auto id = engine->mount("fake", kDoc, p);
  engine->setAttributes({{"Device.X_Remote.Greeting", true, 2, false, {}}});
  const auto added = engine->addObject("Device.X_Remote.Line.", Source::Acs);
  EXPECT_EQ(added, 3u);
  engine->unmount(id);
  EXPECT_THROW((void)engine->getValues({"Device.X_Remote."}), Fault);
  EXPECT_EQ(get("Device.Test.Name"), get("Device.Test.Name"));
  // Back, with its keys in another order and the added one (key 102).
  auto again = std::make_shared<FakeProvider>(std::vector<std::uint32_t>{102, 7, 9});
  again->values["Device.X_Remote.Line.102.Name"] = "added";
  (void)engine->mount("fake", kDoc, again);
  EXPECT_EQ(get("Device.X_Remote.Line.1.Name"), "line9");
  EXPECT_EQ(get("Device.X_Remote.Line.2.Name"), "line7");
  EXPECT_EQ(get("Device.X_Remote.Line.3.Name"), "added");
  EXPECT_EQ(engine->getAttributes({"Device.X_Remote.Greeting"}).at(0).notification, 2);
}

TEST_F(RemoteSubtree, ValuesChangedReachesTheChangeListenersWithCoreNames) {
  auto p = std::make_shared<FakeProvider>(std::vector<std::uint32_t>{9});
  auto id = engine->mount("fake", kDoc, p);
  std::vector<std::string> heard;
  engine->addChangeListener([&](const auto& changes, Source s) {
    for (const auto& c : changes) heard.push_back(c.name + "=" + c.value);
    EXPECT_EQ(s, Source::Plugin);
  });
  p->values["Device.X_Remote.Line.9.Name"] = "renamed";
  engine->remoteValuesChanged(id, {"Device.X_Remote.Line.9.Name", "Device.Nowhere"});
  EXPECT_THAT(heard, ElementsAre("Device.X_Remote.Line.1.Name=renamed"));
}

// A table straight under the root (or Services.): its NumberOfEntries lands on an object
// the provider does not own, is counted by the core and goes with the provider.
TEST_F(RemoteSubtree, ATableUnderTheRootBringsItsCountAndTakesItAway) {
  static constexpr const char* kDirect =
      R"(<dm:document xmlns:dm="urn:broadband-forum-org:cwmp:datamodel-1-14" spec="urn:d">
  <model name="Device:2.17">
    <object name="Device." access="readOnly" minEntries="1" maxEntries="1">
      <parameter name="X_DirectNumberOfEntries" access="readOnly"><syntax><unsignedInt/></syntax></parameter>
    </object>
    <object name="Device.X_Direct.{i}." access="readWrite" minEntries="0" maxEntries="unbounded" numEntriesParameter="X_DirectNumberOfEntries">
      <parameter name="Name" access="readWrite"><syntax><string/></syntax></parameter>
    </object>
  </model>
</dm:document>)";
  auto p = std::make_shared<FakeProvider>(std::vector<std::uint32_t>{9, 7});
  p->values["Device.X_Direct.9.Name"] = "nine";
  p->values["Device.X_Direct.7.Name"] = "seven";
  p->values["Device.X_Direct.102.Name"] = "";  // the key FakeProvider::add() gives
  const auto id = engine->mount("direct", kDirect, p);
  EXPECT_EQ(get("Device.X_DirectNumberOfEntries"), "2");
  EXPECT_EQ(get("Device.X_Direct.1.Name"), "nine");
  EXPECT_EQ(engine->addObject("Device.X_Direct.", Source::Acs), 3u);
  EXPECT_EQ(get("Device.X_DirectNumberOfEntries"), "3");
  engine->unmount(id);
  EXPECT_THROW((void)engine->getValues({"Device.X_DirectNumberOfEntries"}), Fault);
  EXPECT_EQ(get("Device.Test.Name"), get("Device.Test.Name"));
  // Undeclared, the count is made and removed the same way.
  std::string implicit = kDirect;
  const auto from = implicit.find("    <object name=\"Device.\"");
  implicit.erase(from, implicit.find("    <object name=\"Device.X_Direct") - from);
  const auto again = engine->mount("direct", implicit, p);
  EXPECT_EQ(get("Device.X_DirectNumberOfEntries"), "3");
  engine->unmount(again);
  EXPECT_THROW((void)engine->getValues({"Device.X_DirectNumberOfEntries"}), Fault);
}

// The agent's own objects (values the core keeps) are the agent's to define: a provider
// adds nothing under them, however deep. A plugin's object stays open.
TEST_F(RemoteSubtree, NothingIsAddedUnderTheAgentsOwnObjects) {
  for (const char* under : {"Test.X_Sub.", "Test.Item.{i}.X_Sub.", "Test.Item.{i}.Sub.X_Sub."}) {
    std::string claim = kDoc;
    for (auto at = claim.find("X_Remote."); at != std::string::npos;
         at = claim.find("X_Remote.", at + 1))
      claim.replace(at, 9, under);
    try {
      (void)engine->mount("claim", claim,
                          std::make_shared<FakeProvider>(std::vector<std::uint32_t>{}));
      FAIL() << "a provider added Device." << under;
    } catch (const Fault& f) {
      EXPECT_EQ(f.code(), 9001) << under;
      EXPECT_THAT(f.what(), HasSubstr("the agent serves itself")) << under;
    }
  }
  EXPECT_THROW((void)engine->getValues({"Device.Test.X_Sub."}), Fault);
  (void)engine->mount("fake", kDoc, std::make_shared<FakeProvider>(std::vector<std::uint32_t>{}));
  EXPECT_EQ(get("Device.X_Remote.Greeting"), "hello");
}

// The provider whose Get suspends the lent work until the test resumes it.
struct SuspendingProvider : FakeProvider {
  SuspendingProvider() : FakeProvider({}) {}
  std::function<void()> resume;
  NameValues get(const std::vector<std::string>& names) override {
    if (ModelLoan::lent())
      ModelLoan::suspend([this](std::function<void()> r) { resume = std::move(r); });
    return FakeProvider::get(names);
  }
};

// The asynchronous path: work lent to a thread waits for the provider while the loop
// reads the model, refuses changes (9001) and defers what waits for idle.
TEST_F(RemoteSubtree, WorkWaitingForAProviderLeavesTheLoopFreeButTheTreeUnchanged) {
  boost::asio::io_context io;
  auto busyLoop = boost::asio::make_work_guard(io);
  auto p = std::make_shared<SuspendingProvider>();
  const auto id = engine->mount("slow", kDoc, p);
  std::string seen;
  std::thread worker(
      [&] { ModelLoan::runLent(io, [&] { seen = get("Device.X_Remote.Greeting"); }); });
  while (!p->resume) io.run_one();
  EXPECT_TRUE(ModelLoan::busy());
  EXPECT_FALSE(ModelLoan::lent());
  const std::string name = get("Device.Test.Name");  // the loop reads meanwhile
  try {
    (void)engine->setValues({{"Device.Test.Name", "meanwhile"}}, Source::Acs);
    FAIL() << "a change went through under suspended work";
  } catch (const Fault& f) {
    EXPECT_EQ(f.code(), 9001);
  }
  EXPECT_EQ(get("Device.Test.Name"), name);
  EXPECT_THROW((void)engine->mount("other", kDoc, p), Fault);
  bool idle = false;
  ModelLoan::whenIdle([&] { idle = true; });
  engine->unmount(id);  // waits for the work too
  EXPECT_FALSE(idle);
  p->values["Device.X_Remote.Greeting"] = "late";
  p->resume();
  busyLoop.reset();
  io.run();
  worker.join();
  EXPECT_EQ(seen, "late");
  EXPECT_TRUE(idle);
  EXPECT_FALSE(ModelLoan::busy());
  EXPECT_THROW((void)engine->getValues({"Device.X_Remote."}), Fault);
}

// What changes the tree while work waits for a provider waits its turn instead of being
// refused: lent work that begins a transaction (an ACS session's set) goes first, then the
// changes queued on the loop (D-Bus sets), in order, each after the previous finished; the
// queue is bounded.
TEST_F(RemoteSubtree, ChangesWaitInOrderForSuspendedWorkAndTheQueueIsBounded) {
  boost::asio::io_context io;
  auto busyLoop = boost::asio::make_work_guard(io);
  auto p = std::make_shared<SuspendingProvider>();
  (void)engine->mount("slow", kDoc, p);
  std::string seen;
  std::thread reader(
      [&] { ModelLoan::runLent(io, [&] { seen = get("Device.X_Remote.Greeting"); }); });
  while (!p->resume) io.run_one();
  std::vector<std::string> order;
  std::thread setter([&] {
    ModelLoan::runLent(io, [&] {
      try {
        (void)engine->setValues({{"Device.Test.Name", "lent"}}, Source::Acs);
        order.emplace_back("lent");
      } catch (const Fault& f) {
        order.emplace_back(std::string("refused ") + f.what());
      }
    });
  });
  io.run_one();  // lends the model to the setter, which hands it back to wait its turn
  EXPECT_TRUE(order.empty());
  for (int i = 0; i < 2; ++i)
    EXPECT_TRUE(ModelLoan::queueChange([&, i](const std::function<void()>& finished) {
      (void)engine->setValues({{"Device.Test.Name", "bus" + std::to_string(i)}}, Source::Bus);
      order.push_back("bus" + std::to_string(i));
      finished();
    }));
  std::function<void()> later;  // a change that finishes after it returns
  EXPECT_TRUE(ModelLoan::queueChange([&](std::function<void()> finished) {
    order.emplace_back("async");
    later = std::move(finished);
  }));
  EXPECT_TRUE(ModelLoan::queueChange([&](const std::function<void()>& finished) {
    order.emplace_back("after async");
    finished();
  }));
  std::size_t queued = 4;
  while (ModelLoan::queueChange([](const std::function<void()>& finished) { finished(); }))
    ++queued;
  EXPECT_EQ(queued, ModelLoan::kMaxQueuedChanges);
  EXPECT_TRUE(order.empty());
  EXPECT_NE(get("Device.Test.Name"), "lent");

  p->resume();
  while (!later) io.run_one();
  EXPECT_THAT(order, ElementsAre("lent", "bus0", "bus1", "async"));
  EXPECT_EQ(get("Device.Test.Name"), "bus1");
  later();
  EXPECT_THAT(order, ElementsAre("lent", "bus0", "bus1", "async", "after async"));
  busyLoop.reset();
  io.run();
  reader.join();
  setter.join();
  EXPECT_EQ(seen, "hello");
  EXPECT_TRUE(ModelLoan::queueChange([](const std::function<void()>& finished) { finished(); }));
}

}  // namespace
