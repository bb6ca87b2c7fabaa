// Issue 14 item 1: one transaction for every change. What the fault-injection suite
// (tests/faultinj) does not reach: a plugin that handles AddObject/DeleteObject, whose
// handler or whose undo fails while the store fails too, a vendor configuration file
// and a persisted internal value the store cannot keep. After each: the answer, the
// tree, the plugin's view and the state after a restart.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <map>
#include <stdexcept>
#include <set>

#include "cwmpd/core/engine.hpp"
#include "test_support.hpp"

using cwmpd::core::Engine;
using cwmpd::core::Store;
using cwmpd::sdk::Fault;
using cwmpd::sdk::InstanceRef;
using cwmpd::sdk::Source;
using cwmpd::testing::FakeHost;
using cwmpd::testing::TempDir;
using ::testing::ElementsAre;

namespace {

using Step = Store::Step;

// The test model with plugin "items" handling Device.Test.Item.{i}. instances; what
// the plugin holds is `instances` (its view), its handlers steered per test.
struct ItemsPlugin : ::testing::Test {
  TempDir dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<Engine> engine;
  FakeHost host;
  std::set<std::string> instances;  // the plugin's view
  std::vector<std::string> calls;   // "add:<path>", "delete:<path>"
  bool refuseAdd = false, refuseDelete = false;
  // Device.Test.'s values as the plugin's hardware holds them, and its rollback steered.
  std::map<std::string, std::string> held;
  bool refuseRollback = false;
  bool refuseItemValue = false;  // the items' apply handler refuses every value

  void build() {
    engine.reset();
    store = std::make_unique<Store>(dir.file("model.db"));
    store->load();
    engine = std::make_unique<Engine>("Device", *store);
    auto& reg = engine->beginRegistration("items", host);
    reg.definitions(cwmpd::testing::testModel());
    reg.object("Device.Test.Item.{i}.")
        .onAdd([this](const InstanceRef& r) {
          calls.push_back("add:" + r.path);
          if (refuseAdd) throw Fault(9004, "no room in the hardware");
          instances.insert(r.path);
        })
        .onDelete([this](const InstanceRef& r) {
          calls.push_back("delete:" + r.path);
          if (refuseDelete) throw Fault(9001, "the hardware keeps it");
          instances.erase(r.path);
        })
        .apply([this](const std::vector<cwmpd::sdk::Change>&) {
          if (refuseItemValue) throw Fault(9007, "the hardware refuses the value");
        });
    auto hold = [this](const std::vector<cwmpd::sdk::Change>& changes) {
      for (const auto& c : changes) held[c.object + c.parameter] = c.value;
    };
    reg.object("Device.Test.").apply(hold).rollback([this, hold](const auto& changes) {
      if (refuseRollback) throw std::runtime_error("the hardware does not go back");
      hold(changes);
    });
    engine->endRegistration(true);
    engine->finalize();
  }
  // A restart: the plugin's view survives (it is the hardware), the engine is rebuilt
  // from the store on disk.
  void restart() {
    store->setFaultHook({});
    build();
  }
  void SetUp() override { build(); }

  std::set<std::string> rows() {
    std::set<std::string> out;
    for (const auto& n : engine->getNames("Device.Test.Item.", true)) out.insert(n.name);
    return out;
  }
  int faultOf(const std::function<void()>& f) {
    try {
      f();
    } catch (const Fault& e) {
      return e.code();
    }
    return 0;
  }
  // Fails every commit from the `from`-th on (1 = the next one), at `step`.
  // A commit appends to the journal (no rename); only one that writes a snapshot renames,
  // so the rename case makes every commit write one.
  void failCommits(int from, Step step) {
    if (step == Step::Rename) store->setJournalLimit(0);
    store->setFaultHook([n = 0, from, step](Step s) mutable {
      if (s == Step::Create) ++n;
      return n >= from && s == step ? (step == Step::Write ? ENOSPC : EIO) : 0;
    });
  }
};

class ItemsPluginAtEachStep : public ItemsPlugin, public ::testing::WithParamInterface<Step> {};

// Before issue 14 the row was committed before the plugin heard of it; a refusal then
// needed a second commit to take it back, and when that one failed too the row was on
// disk: after a restart the ACS saw an instance the plugin had refused.
TEST_P(ItemsPluginAtEachStep, AnAddThePluginRefusesLeavesNoRowEvenWhenTheDiskFailsAfterwards) {
  refuseAdd = true;
  failCommits(2, GetParam());
  EXPECT_EQ(
      faultOf([&] { engine->addObject("Device.Test.Item.", Source::Acs, std::string("pk")); }),
      9004);
  EXPECT_TRUE(rows().empty());
  restart();
  EXPECT_TRUE(rows().empty()) << "a refused instance came back after a restart";
  EXPECT_TRUE(instances.empty());
}

// The same for DeleteObject: the deletion was committed before the plugin refused it.
TEST_P(ItemsPluginAtEachStep, ADeleteThePluginRefusesKeepsTheRowEvenWhenTheDiskFailsAfterwards) {
  const auto n = engine->addObject("Device.Test.Item.", Source::Acs);
  const std::string row = "Device.Test.Item." + std::to_string(n) + ".";
  engine->setValues({{row + "Value", "kept"}}, Source::Acs);
  refuseDelete = true;
  failCommits(2, GetParam());
  EXPECT_EQ(faultOf([&] { engine->deleteObject(row, Source::Acs); }), 9001);
  EXPECT_THAT(rows(), ElementsAre(row));
  restart();
  EXPECT_THAT(rows(), ElementsAre(row))
      << "an instance the plugin still has vanished after a restart";
  EXPECT_EQ(engine->getValues({row + "Value"}).at(0).value, "kept");
}

// The plugin added the row, the store cannot keep it: the plugin is told to delete it
// again and nothing remains anywhere.
TEST_P(ItemsPluginAtEachStep, AnAddTheDiskDoesNotTakeIsUndoneInThePluginToo) {
  failCommits(1, GetParam());
  EXPECT_EQ(faultOf([&] { engine->addObject("Device.Test.Item.", Source::Acs); }), 9002);
  EXPECT_TRUE(rows().empty());
  EXPECT_TRUE(instances.empty()) << "the plugin still holds an instance the agent refused";
  restart();
  EXPECT_TRUE(rows().empty());
  EXPECT_EQ(engine->addObject("Device.Test.Item.", Source::Acs), 1u);
}

// The double fault: the plugin added the row, the store cannot keep it, and the plugin
// cannot delete it again. The answer is 9002; the tree follows what the plugin reports
// (the row stays, logged), and the row is the agent's own state from then on: written
// by the next commit that succeeds, so that a restart shows what the plugin holds.
TEST_P(ItemsPluginAtEachStep, AnAddWhoseUndoTheHardwareRefusesKeepsTreeAndPluginAlike) {
  failCommits(1, GetParam());
  refuseDelete = true;
  EXPECT_EQ(faultOf([&] { engine->addObject("Device.Test.Item.", Source::Acs); }), 9002);
  std::set<std::string> tree = rows();
  EXPECT_EQ(tree, instances);
  store->setFaultHook({});
  engine->setValues({{"Device.Test.Name", "later"}}, Source::Acs);  // an unrelated commit
  restart();
  EXPECT_EQ(rows(), instances) << "after a restart";
}

// The double fault on DeleteObject: the plugin deleted the row, the store cannot keep
// the deletion, and the plugin cannot add it back. 9002; the row is gone from the tree
// as from the plugin, and its deletion is written by the next commit.
TEST_P(ItemsPluginAtEachStep, ADeleteWhoseUndoTheHardwareRefusesKeepsTreeAndPluginAlike) {
  const auto n = engine->addObject("Device.Test.Item.", Source::Acs);
  const std::string row = "Device.Test.Item." + std::to_string(n) + ".";
  failCommits(1, GetParam());
  refuseAdd = true;
  EXPECT_EQ(faultOf([&] { engine->deleteObject(row, Source::Acs); }), 9002);
  EXPECT_EQ(rows(), instances);
  store->setFaultHook({});
  engine->setValues({{"Device.Test.Name", "later"}}, Source::Acs);
  restart();
  EXPECT_EQ(rows(), instances) << "after a restart";
}

// The double fault of a set: the plugin applied the value, the store cannot keep it,
// and the plugin's rollback fails. The plugin's value is the truth: the model shows it
// (not the old value it would otherwise claim), the answer is 9002, the change is
// reported as the CPE's own (not the ACS's, whose request failed) so that a parameter
// under notification goes to the ACS, and the value is the agent's own state from then
// on: written by the next commit that succeeds.
TEST_P(ItemsPluginAtEachStep, ASetWhoseRollbackTheHardwareRefusesKeepsWhatThePluginHolds) {
  engine->setValues({{"Device.Test.Name", "old"}}, Source::Acs);
  std::vector<std::pair<std::string, Source>> heard;
  engine->addChangeListener(
      [&](const std::vector<cwmpd::core::CommittedChange>& cs, Source source) {
        for (const auto& c : cs) heard.emplace_back(c.name + "=" + c.value, source);
      });
  failCommits(1, GetParam());
  refuseRollback = true;
  EXPECT_EQ(faultOf([&] {
              engine->setValues({{"Device.Test.Name", "new"}}, Source::Acs, std::string("pk"));
            }),
            9002);
  EXPECT_EQ(held["Device.Test.Name"], "new");
  EXPECT_EQ(engine->getValues({"Device.Test.Name"}).at(0).value, "new")
      << "the model claims a value the plugin no longer holds";
  EXPECT_THAT(heard,
              ElementsAre(std::pair<std::string, Source>("Device.Test.Name=new", Source::Plugin)));
  store->setFaultHook({});
  engine->setValues({{"Device.Test.Level", "2"}}, Source::Acs);  // an unrelated commit
  restart();
  EXPECT_EQ(engine->getValues({"Device.Test.Name"}).at(0).value, "new") << "after a restart";
}

// The same double fault when the set fails in another handler: the items' handler
// refuses its part (the answer is its fault), the plugin that already applied its part
// cannot roll back, and what it holds is what the model shows, now and after a restart.
TEST_F(ItemsPlugin, ASetAnotherHandlerRefusesKeepsWhatAPluginCouldNotRollBack) {
  const auto n = engine->addObject("Device.Test.Item.", Source::Acs);
  const std::string value = "Device.Test.Item." + std::to_string(n) + ".Value";
  engine->setValues({{"Device.Test.Name", "old"}}, Source::Acs);
  const std::string valueBefore = engine->getValues({value}).at(0).value;
  refuseRollback = true;
  refuseItemValue = true;
  EXPECT_EQ(faultOf([&] {
              engine->setValues({{"Device.Test.Name", "new"}, {value, "refused"}}, Source::Acs);
            }),
            9007);
  EXPECT_EQ(held["Device.Test.Name"], "new");
  EXPECT_EQ(engine->getValues({"Device.Test.Name"}).at(0).value, "new");
  EXPECT_EQ(engine->getValues({value}).at(0).value, valueBefore);
  restart();
  EXPECT_EQ(engine->getValues({"Device.Test.Name"}).at(0).value, "new") << "after a restart";
  EXPECT_EQ(engine->getValues({value}).at(0).value, valueBefore);
}

// Without the double fault the same set is undone everywhere.
TEST_P(ItemsPluginAtEachStep, ASetTheDiskDoesNotTakeIsRolledBackInThePluginToo) {
  engine->setValues({{"Device.Test.Name", "old"}}, Source::Acs);
  failCommits(1, GetParam());
  EXPECT_EQ(faultOf([&] { engine->setValues({{"Device.Test.Name", "new"}}, Source::Acs); }), 9002);
  EXPECT_EQ(held["Device.Test.Name"], "old");
  EXPECT_EQ(engine->getValues({"Device.Test.Name"}).at(0).value, "old");
  store->setFaultHook({});
  engine->setValues({{"Device.Test.Level", "2"}}, Source::Acs);
  restart();
  EXPECT_EQ(engine->getValues({"Device.Test.Name"}).at(0).value, "old");
}

// A deletion the store cannot keep: the plugin gets its instance back, the row stays.
TEST_P(ItemsPluginAtEachStep, ADeleteTheDiskDoesNotTakeIsUndoneInThePluginToo) {
  const auto n = engine->addObject("Device.Test.Item.", Source::Acs);
  const std::string row = "Device.Test.Item." + std::to_string(n) + ".";
  failCommits(1, GetParam());
  EXPECT_EQ(faultOf([&] { engine->deleteObject(row, Source::Acs, std::string("pk")); }), 9002);
  EXPECT_THAT(rows(), ElementsAre(row));
  EXPECT_EQ(instances, rows());
  restart();
  EXPECT_THAT(rows(), ElementsAre(row));
}

// A vendor configuration file applied by Download that the store cannot keep: 9002 and
// the old configuration everywhere, also after a later commit and a restart.
TEST_P(ItemsPluginAtEachStep, AConfigurationFileTheDiskDoesNotTakeChangesNothing) {
  engine->setValues({{"Device.Test.Name", "old"}}, Source::Acs);
  auto& config = engine->vendorConfiguration();
  const std::string before = config.exportConfiguration();
  failCommits(1, GetParam());
  EXPECT_EQ(faultOf([&] {
              config.importConfiguration("cwmpd-config 1 Device\nV\tDevice.Test.Name\tnew\n");
            }),
            9002);
  EXPECT_EQ(config.exportConfiguration(), before);
  store->setFaultHook({});
  engine->setValues({{"Device.Test.Level", "2"}}, Source::Acs);
  restart();
  EXPECT_EQ(engine->getValues({"Device.Test.Name"}).at(0).value, "old");
}

// A value the core keeps for itself (ConnectionRequestURL and the like), persisted.
TEST_P(ItemsPluginAtEachStep, APersistedInternalValueTheDiskDoesNotTakeStaysAsItWas) {
  engine->setInternal("Device.Test.Name", "old", true);
  failCommits(1, GetParam());
  EXPECT_EQ(faultOf([&] { engine->setInternal("Device.Test.Name", "new", true); }), 9002);
  EXPECT_EQ(engine->getValues({"Device.Test.Name"}).at(0).value, "old");
  store->setFaultHook({});
  engine->setValues({{"Device.Test.Level", "2"}}, Source::Acs);
  restart();
  EXPECT_EQ(engine->getValues({"Device.Test.Name"}).at(0).value, "old");
}

INSTANTIATE_TEST_SUITE_P(Issue14, ItemsPluginAtEachStep,
                         ::testing::Values(Step::Write, Step::Fsync, Step::Rename),
                         [](const ::testing::TestParamInfo<Step>& i) {
                           switch (i.param) {
                             case Step::Write: return std::string("FailsAtWrite");
                             case Step::Fsync: return std::string("FailsAtFsync");
                             case Step::Rename: return std::string("FailsAtRename");
                             case Step::Create: break;
                           }
                           return std::string("FailsAtCreate");
                         });

}  // namespace
