// One read of the hardware per object and request (SDK ABI 8): the engine gives the
// getters of one object in one request one InstanceRef, with a readId no other reference
// has, and sdk::ObjectSnapshot keeps one fetch per readId.
#include <cwmpd/sdk/object_snapshot.hpp>

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "cwmpd/core/engine.hpp"
#include "cwmpd/core/store.hpp"
#include "test_support.hpp"

namespace {

using cwmpd::core::Engine;
using cwmpd::core::Store;
using cwmpd::sdk::InstanceRef;
using cwmpd::sdk::Source;
using cwmpd::testing::FakeHost;
using cwmpd::testing::TempDir;

const char* kModel = R"(<dm:document xmlns:dm="urn:broadband-forum-org:cwmp:datamodel-1-14">
  <model name="Device:2.17">
    <object name="Device.Snap." access="readOnly" minEntries="1" maxEntries="1">
      <parameter name="RowNumberOfEntries" access="readOnly"><syntax><unsignedInt/></syntax></parameter>
    </object>
    <object name="Device.Snap.Row.{i}." access="readWrite" minEntries="0" maxEntries="unbounded"
        numEntriesParameter="RowNumberOfEntries">
      <parameter name="A" access="readOnly"><syntax><unsignedInt/></syntax></parameter>
      <parameter name="B" access="readOnly"><syntax><unsignedInt/></syntax></parameter>
      <parameter name="Name" access="readOnly"><syntax><string/></syntax></parameter>
    </object>
    <object name="Device.Snap.Row.{i}.Stats." access="readOnly" minEntries="1" maxEntries="1">
      <parameter name="C" access="readOnly"><syntax><unsignedInt/></syntax></parameter>
    </object>
  </model>
</dm:document>)";

// What the "hardware" holds for row n: a = 10 * n + generation, b = a + 1, c = a + 2.
struct Hw {
  unsigned a = 0, b = 0, c = 0;
};

struct ObjectSnapshot : ::testing::Test {
  TempDir dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<Engine> engine;
  FakeHost host;
  unsigned generation = 0;
  int fetches = 0;
  std::vector<std::uint64_t> readIds;  // of every fetch

  void SetUp() override {
    store = std::make_unique<Store>(dir.file("model.db"));
    store->load();
    engine = std::make_unique<Engine>("Device", *store);
    auto& reg = engine->beginRegistration("snap", host);
    reg.definitions(kModel);
    auto hw = cwmpd::sdk::objectSnapshot<Hw>([this](const InstanceRef& r) {
      ++fetches;
      readIds.push_back(r.readId);
      const unsigned a = 10 * r.numbers.at(0) + generation;
      return Hw{a, a + 1, a + 2};
    });
    auto num = [](unsigned Hw::*m) { return [m](const Hw& h) { return std::to_string(h.*m); }; };
    reg.object("Device.Snap.Row.{i}.")
        .get("A", cwmpd::sdk::fieldGetter(hw, num(&Hw::a), "0"))
        .get("B", cwmpd::sdk::fieldGetter(hw, num(&Hw::b), "0"))
        .get("Name", [](const InstanceRef& r) { return "row" + std::to_string(r.number); });
    reg.object("Device.Snap.Row.{i}.Stats.").get("C", cwmpd::sdk::fieldGetter(hw, num(&Hw::c), "0"));
    engine->endRegistration(true);
    engine->finalize();
    engine->addObject("Device.Snap.Row.", Source::Acs);
    engine->addObject("Device.Snap.Row.", Source::Acs);
    fetches = 0;  // adding rows reads them too
    readIds.clear();
  }

  std::map<std::string, std::string> walk(const std::vector<std::string>& names) {
    std::map<std::string, std::string> out;
    for (const auto& pv : engine->getValues(names)) out[pv.name] = pv.value;
    return out;
  }
};

TEST_F(ObjectSnapshot, AWalkFetchesOncePerObjectAndTheNextRequestFetchesAgain) {
  auto v = walk({"Device.Snap."});
  // Row.1., Row.1.Stats., Row.2., Row.2.Stats.: four objects, four fetches (not six).
  EXPECT_EQ(fetches, 4);
  EXPECT_EQ(v["Device.Snap.Row.1.A"], "10");
  EXPECT_EQ(v["Device.Snap.Row.1.B"], "11");
  EXPECT_EQ(v["Device.Snap.Row.1.Stats.C"], "12");
  EXPECT_EQ(v["Device.Snap.Row.2.A"], "20");
  EXPECT_EQ(v["Device.Snap.Row.2.B"], "21");
  EXPECT_EQ(v["Device.Snap.Row.2.Stats.C"], "22");
  EXPECT_EQ(v["Device.Snap.Row.2.Name"], "row2");
  // Each object had a read of its own.
  for (std::size_t i = 0; i < readIds.size(); ++i) {
    EXPECT_NE(readIds[i], 0u);
    for (std::size_t j = 0; j < i; ++j) EXPECT_NE(readIds[i], readIds[j]);
  }

  generation = 5;  // the hardware moved on: the next request sees it
  v = walk({"Device.Snap."});
  EXPECT_EQ(fetches, 8);
  EXPECT_EQ(v["Device.Snap.Row.1.A"], "15");
  EXPECT_EQ(v["Device.Snap.Row.2.Stats.C"], "27");
}

TEST_F(ObjectSnapshot, ConsecutiveNamesOfOneObjectShareAFetchAndOthersDoNot) {
  auto v = walk({"Device.Snap.Row.1.A", "Device.Snap.Row.1.B"});
  EXPECT_EQ(fetches, 1);
  EXPECT_EQ(v["Device.Snap.Row.1.B"], "11");
  // Another object between two names of one object: each run of names is a read.
  walk({"Device.Snap.Row.1.A", "Device.Snap.Row.2.A", "Device.Snap.Row.1.B"});
  EXPECT_EQ(fetches, 4);
  // One name per request: a fetch each, and each sees the hardware of its moment.
  generation = 1;
  EXPECT_EQ(walk({"Device.Snap.Row.1.A"})["Device.Snap.Row.1.A"], "11");
  generation = 2;
  EXPECT_EQ(walk({"Device.Snap.Row.1.A"})["Device.Snap.Row.1.A"], "12");
  EXPECT_EQ(fetches, 6);
}

// The walk keeps one InstanceRef and fills it again for each object (its strings and
// vector keep their memory): each object's getters see that object's path, number, key and
// instance numbers only, whatever the object before it had (a longer path, a key, more
// numbers), and a read of its own.
TEST(InstanceRefs, EachObjectsGettersSeeThatObjectOnlyWhateverTheLastOneHad) {
  TempDir dir;
  Store store(dir.file("model.db"));
  store.load();
  Engine engine("Device", store);
  FakeHost host;
  auto& reg = engine.beginRegistration("snap", host);
  reg.definitions(kModel);
  std::vector<InstanceRef> seen;
  auto record = [&seen](const InstanceRef& r) {
    seen.push_back(r);
    return std::string("v");
  };
  reg.object("Device.Snap.Row.{i}.").get("A", record);
  reg.object("Device.Snap.Row.{i}.Stats.").get("C", record);
  engine.endRegistration(true);
  engine.finalize();
  EXPECT_EQ(engine.ensureInstance("Device.Snap.Row.", "a-rather-long-key-of-the-first-row"), 1u);
  engine.addObject("Device.Snap.Row.", Source::Acs);  // row 2: no key
  seen.clear();
  (void)engine.getValues({"Device.Snap."});
  ASSERT_EQ(seen.size(), 4u);  // Row.1.A, Row.1.Stats.C, Row.2.A, Row.2.Stats.C
  const std::vector<std::string> paths = {"Device.Snap.Row.1.", "Device.Snap.Row.1.Stats.",
                                          "Device.Snap.Row.2.", "Device.Snap.Row.2.Stats."};
  for (std::size_t i = 0; i < seen.size(); ++i) {
    SCOPED_TRACE(paths[i]);
    EXPECT_EQ(seen[i].path, paths[i]);
    EXPECT_EQ(seen[i].number, i % 2 == 0 ? static_cast<std::uint32_t>(i / 2 + 1) : 0u);
    EXPECT_EQ(seen[i].key, i == 0 ? "a-rather-long-key-of-the-first-row" : "");
    EXPECT_EQ(seen[i].numbers, std::vector<std::uint32_t>{static_cast<std::uint32_t>(i / 2 + 1)});
    for (std::size_t j = 0; j < i; ++j) EXPECT_NE(seen[i].readId, seen[j].readId);
  }
  // Deeper after shallower and back, within one list of names.
  seen.clear();
  (void)engine.getValues({"Device.Snap.Row.2.Stats.C", "Device.Snap.Row.1.A"});
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].path, "Device.Snap.Row.2.Stats.");
  EXPECT_EQ(seen[0].key, "");
  EXPECT_EQ(seen[1].path, "Device.Snap.Row.1.");
  EXPECT_EQ(seen[1].key, "a-rather-long-key-of-the-first-row");
  EXPECT_EQ(seen[1].numbers, std::vector<std::uint32_t>{1});
}

TEST(ObjectSnapshotAlone, AFetchThatThrowsKeepsNothingAndNulloptIsTheFallback) {
  int fetches = 0;
  bool fail = true;
  bool gone = false;
  auto snap = cwmpd::sdk::objectSnapshot<int>([&](const InstanceRef&) -> std::optional<int> {
    ++fetches;
    if (fail) throw std::runtime_error("bus error");
    if (gone) return std::nullopt;
    return 42;
  });
  auto getter = cwmpd::sdk::fieldGetter(
      snap, [](int v) { return std::to_string(v); }, "fallback");
  InstanceRef r;
  r.readId = 7;
  EXPECT_THROW(getter(r), std::runtime_error);
  fail = false;
  EXPECT_EQ(getter(r), "42") << "the failed fetch was not kept";
  EXPECT_EQ(getter(r), "42");
  EXPECT_EQ(fetches, 2);

  r.readId = 8;
  gone = true;
  EXPECT_EQ(getter(r), "fallback");
  gone = false;
  EXPECT_EQ(getter(r), "fallback") << "the object was gone for this whole read";
  EXPECT_EQ(fetches, 3);

  // A reference the core did not make (readId 0) shares nothing.
  r.readId = 0;
  EXPECT_EQ(getter(r), "42");
  EXPECT_EQ(getter(r), "42");
  EXPECT_EQ(fetches, 5);
}

}  // namespace
