// Issue 15 item 2: a list of names is resolved in order, each name from the object the
// previous one ended in when it extends that object's path (or an ancestor's), instead
// of from the root. These tests pin that a list answers exactly what each of its names
// answers alone, with the names that share a prefix and the ones that only look like
// they do ("Item.1" against "Item.10", "Item.1" without its dot, "Item.1..").
#include <algorithm>
#include <stdexcept>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cwmpd/core/engine.hpp"
#include "test_support.hpp"

using cwmpd::core::DataModel;
using cwmpd::core::Engine;
using cwmpd::core::ParameterValue;
using cwmpd::core::Store;
using cwmpd::sdk::Fault;
using cwmpd::sdk::Source;
using cwmpd::testing::FakeHost;
using cwmpd::testing::TempDir;

namespace {

struct NameList : ::testing::Test {
  TempDir dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<Engine> engine;
  FakeHost host;

  void SetUp() override {
    store = std::make_unique<Store>(dir.file("model.db"));
    store->load();
    engine = std::make_unique<Engine>("Device", *store);
    auto& reg = engine->beginRegistration("test", host);
    reg.definitions(cwmpd::testing::testModel());
    engine->endRegistration(true);
    engine->finalize();
    for (int i = 0; i < 3; ++i) engine->addObject("Device.Test.Item.", Source::Acs);
  }

  // Every parameter name of the tree, in the tree's order (consecutive names of one
  // object, as ACSs ask for them after a GetParameterNames).
  std::vector<std::string> allParameters() {
    std::vector<std::string> out;
    for (const auto& i : engine->getNames("", false))
      if (i.name.back() != '.') out.push_back(i.name);
    return out;
  }

  static std::vector<std::string> flat(const std::vector<ParameterValue>& v) {
    std::vector<std::string> out;
    for (const auto& p : v) out.push_back(p.name + "=" + p.value);
    return out;
  }
  std::vector<std::string> oneByOne(const std::vector<std::string>& names) {
    std::vector<std::string> out;
    for (const auto& n : names) {
      auto v = flat(engine->getValues({n}));
      out.insert(out.end(), v.begin(), v.end());
    }
    return out;
  }
  // The names streamed into a list (newNameList), answered as visitValues gives them.
  std::vector<std::string> listed(const std::vector<std::string>& names) {
    auto list = engine->newNameList();
    for (const auto& n : names) list->add(n);
    std::vector<std::string> out;
    engine->visitValues(
        *list, [&](std::string_view object, std::string_view leaf, auto, std::string_view value) {
          out.push_back(std::string(object) + std::string(leaf) + "=" + std::string(value));
        });
    return out;
  }
  // The names streamed into a list are 9005 naming `bad`.
  void expectListFaultsNaming(const std::vector<std::string>& names, const std::string& bad) {
    auto list = engine->newNameList();
    for (const auto& n : names) list->add(n);
    try {
      (void)engine->countValues(*list);
      ADD_FAILURE() << "no fault";
    } catch (const Fault& f) {
      EXPECT_EQ(f.code(), 9005);
      EXPECT_THAT(f.what(), ::testing::HasSubstr(bad));
    }
  }
  int faultOf(const std::vector<std::string>& names) {
    try {
      (void)engine->getValues(names);
    } catch (const Fault& f) {
      return f.code();
    }
    return 0;
  }
};

TEST_F(NameList, AListAnswersWhatEachOfItsNamesAnswersAlone) {
  std::vector<std::string> names = allParameters();
  ASSERT_GT(names.size(), 20u);
  // Partial paths, the root, and names that go back up and down the tree.
  const std::vector<std::string> extra = {"Device.Test.Item.2.",
                                          "Device.Test.Item.2.Sub.Enable",
                                          "Device.Test.Item.",
                                          "Device.Test.Item.1.Sub.",
                                          "Device.Test.Name",
                                          "Device.Test.Item.3.Value",
                                          "Device.",
                                          "Device.Test.Item.1.Alias",
                                          ""};
  names.insert(names.end(), extra.begin(), extra.end());
  EXPECT_EQ(flat(engine->getValues(names)), oneByOne(names));
  // Reversed: every name now leaves an object the next one does not extend.
  std::vector<std::string> reversed(names.rbegin(), names.rend());
  EXPECT_EQ(flat(engine->getValues(reversed)), oneByOne(reversed));
}

TEST_F(NameList, ANameThatOnlyLooksLikeItSharesThePrefixIsStill9005) {
  const std::vector<std::string> bad = {
      "Device.Test.Item.10.Alias",  // "Device.Test.Item.1." is not its prefix
      "Device.Test.Item.1",         // an instance without its dot
      "Device.Test.Item.1..",
      "Device.Test.Item.1.Nope",
      "Device.Test.Item.1.Sub",
      "Device.Test.Item.01.Alias",
      "Device.Test.Item.1.Sub.Enable.",
      "Device.Test.Item.4.",
      "Device.Test.Alias",
      "Devices.Test.Name",
      "Device..Test.Name"};
  for (const auto& b : bad) {
    SCOPED_TRACE(b);
    EXPECT_EQ(faultOf({b}), 9005);
    // After names that leave the resolver in Item.1 (and its Sub), and last in a long list.
    EXPECT_EQ(faultOf({"Device.Test.Item.1.Alias", "Device.Test.Item.1.Sub.Enable", b}), 9005);
    std::vector<std::string> list = allParameters();
    list.push_back(b);
    EXPECT_EQ(faultOf(list), 9005);
  }
}

// The list a request's names are streamed into (newNameList) resolves each name from
// where the previous one ended, and expects the next parameter of the same object: the
// names in the tree's order, reversed, repeated, skipping parameters, going back to an
// earlier one, and leaving an object for another and coming back, answer what each name
// answers alone; and the first unknown name is 9005 however the names before it left the
// list.
TEST_F(NameList, AStreamedListAnswersWhatEachOfItsNamesAnswersAlone) {
  const std::vector<std::string> all = allParameters();
  ASSERT_GT(all.size(), 20u);
  EXPECT_EQ(listed(all), oneByOne(all));
  const std::vector<std::string> reversed(all.rbegin(), all.rend());
  EXPECT_EQ(listed(reversed), oneByOne(reversed));
  std::vector<std::string> twice;
  for (const auto& n : all) twice.insert(twice.end(), {n, n});
  EXPECT_EQ(listed(twice), oneByOne(twice));
  std::vector<std::string> odd, shuffled;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (i % 2 == 1) odd.push_back(all[i]);
    shuffled.push_back(all[(i * 7) % all.size()]);
  }
  EXPECT_EQ(listed(odd), oneByOne(odd));
  EXPECT_EQ(listed(shuffled), oneByOne(shuffled));
  const std::vector<std::string> mixed = {
      "Device.Test.Item.1.Alias",      "Device.Test.Item.1.",      "Device.Test.Item.1.Sub.Enable",
      "Device.Test.Item.1.Alias",      "Device.Test.Item.2.Alias", "Device.Test.Name",
      "Device.Test.Item.2.Sub.Enable", "Device.Test.Item.2.Alias"};
  EXPECT_EQ(listed(mixed), oneByOne(mixed));
  for (const std::string bad : {"Device.Test.Item.1.Aliasx", "Device.Test.Item.1.Alia",
                                "Device.Test.Item.1.Alias.", "Device.Test.Item.1.Sub"}) {
    SCOPED_TRACE(bad);
    std::vector<std::string> names = all;
    names.insert(names.end(), {"Device.Test.Item.1.Alias", bad});
    expectListFaultsNaming(names, bad);
  }
}

// Past an object's last parameter the list expects the first parameter of the next
// object in the tree's order (the next row, the row's sub-object, the next table): the
// names in the tree's order across a gap in the rows, an emptied table, rows added back,
// and names that only look like the one expected there, answer what each answers alone,
// and a lookalike is 9005 naming it.
TEST_F(NameList, AListExpectsTheNextObjectsFirstParameterAfterAnObjectsLast) {
  auto check = [&] {
    const std::vector<std::string> all = allParameters();
    EXPECT_EQ(listed(all), oneByOne(all));
  };
  check();
  engine->deleteObject("Device.Test.Item.2.", Source::Acs);  // Item.1 is followed by Item.3
  check();
  engine->deleteObject("Device.Test.Item.1.", Source::Acs);
  engine->deleteObject("Device.Test.Item.3.", Source::Acs);  // no rows: Test is followed by Port
  check();
  engine->addObject("Device.Test.Item.", Source::Acs);
  engine->addObject("Device.Test.Item.", Source::Acs);
  check();
  const std::vector<std::string> all = allParameters();
  auto after = std::find(all.begin(), all.end(), "Device.Test.Item.4.Sub.Enable");
  ASSERT_NE(after, all.end());
  ASSERT_EQ(*(after + 1), "Device.Test.Item.5.Alias");
  for (const std::string bad :
       {"Device.Test.Item.5.Alia", "Device.Test.Item.5.Aliasx", "Device.Test.Item.5.Alias.",
        "Device.Test.Item.50.Alias", "Device.Test.Item.5Alias", "Device.Test.Item.6.Alias"}) {
    SCOPED_TRACE(bad);
    std::vector<std::string> names(all.begin(), after + 1);
    names.push_back(bad);
    expectListFaultsNaming(names, bad);
  }
}

// A list answered as its names come (visitNewValues, a request parsed on a second thread)
// gives each name's values once, in order, and keeps only the names not visited yet: a
// list of 20,000 names is never held whole.
TEST_F(NameList, AListVisitedAsItsNamesComeKeepsOnlyWhatIsStillToVisit) {
  const std::vector<std::string> all = allParameters();
  auto list = engine->newNameList();
  std::vector<std::string> out;
  auto visit = [&](std::string_view object, std::string_view leaf, auto, std::string_view value) {
    out.push_back(std::string(object) + std::string(leaf) + "=" + std::string(value));
  };
  const std::size_t half = all.size() / 2;
  for (std::size_t i = 0; i < half; ++i) list->add(all[i]);
  EXPECT_EQ(engine->visitNewValues(*list, visit), cwmpd::core::DataModel::NewValues::Visited);
  EXPECT_EQ(engine->countValues(*list), 0u);
  for (std::size_t i = half; i < all.size(); ++i) list->add(all[i]);
  EXPECT_EQ(engine->countValues(*list), all.size() - half);
  EXPECT_EQ(engine->visitNewValues(*list, visit), cwmpd::core::DataModel::NewValues::Visited);
  EXPECT_EQ(engine->visitNewValues(*list, visit), cwmpd::core::DataModel::NewValues::Visited);
  EXPECT_EQ(out, oneByOne(all));
  list->add("Device.Test.Nope");
  EXPECT_EQ(engine->visitNewValues(*list, visit), cwmpd::core::DataModel::NewValues::UnknownName);
  EXPECT_THROW((void)engine->countValues(*list), Fault);
}

// What the names resolve to ahead, on a thread of their own (DataModel::NameAhead, as the
// parse thread of a large request resolves them, issue 15).
std::vector<DataModel::Ahead> resolvedAhead(Engine& engine, const std::vector<std::string>& names) {
  auto ahead = engine.newNameAhead();
  EXPECT_NE(ahead, nullptr);
  const std::vector<std::string_view> views(names.begin(), names.end());
  std::vector<DataModel::Ahead> out(names.size());
  std::thread([&] { ahead->resolve(views.data(), views.size(), out.data()); }).join();
  return out;
}

// The answer to `names` added to a list with what was found for them ahead (`found`), or
// its fault.
std::vector<std::string> answerOf(Engine& engine, const std::vector<std::string>& names,
                                  const std::vector<DataModel::Ahead>* found) {
  auto list = engine.newNameList();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (found != nullptr)
      list->add(names[i], (*found)[i]);
    else
      list->add(names[i]);
  }
  std::vector<std::string> out;
  try {
    engine.visitValues(
        *list, [&](std::string_view object, std::string_view leaf, auto, std::string_view value) {
          out.push_back(std::string(object) + std::string(leaf) + "=" + std::string(value));
        });
  } catch (const Fault& f) {
    out.push_back("fault " + std::to_string(f.code()) + " " + f.what());
  }
  return out;
}

// Names resolved ahead on another thread answer what the list answers when it resolves
// them itself: the tree's names in order and reversed, partial paths, the root, rows by
// alias (left to the list), and the first unknown name's fault, late in the list. And
// when the tree's shape changed after they were resolved ahead (a row deleted, a row
// added), the list resolves them again: the deleted row's names are 9005 (not its old
// node's values), the added row's are answered.
TEST_F(NameList, NamesResolvedAheadAnswerWhatTheListResolvesNow) {
  std::vector<std::string> names = allParameters();
  const std::vector<std::string> extra = {"Device.Test.Item.2.",
                                          "Device.Test.Item.",
                                          "Device.",
                                          "",
                                          "Device.Test.Item.[cpe-2].Value",
                                          "Device.Test.Item.3.Value"};
  names.insert(names.end(), extra.begin(), extra.end());
  EXPECT_EQ(answerOf(*engine, names, nullptr), oneByOne(names));
  auto found = resolvedAhead(*engine, names);
  EXPECT_EQ(answerOf(*engine, names, &found), oneByOne(names));
  const std::vector<std::string> reversed(names.rbegin(), names.rend());
  found = resolvedAhead(*engine, reversed);
  EXPECT_EQ(answerOf(*engine, reversed, &found), oneByOne(reversed));
  std::vector<std::string> late = names;
  late.insert(late.end(), {"Device.Test.Nope", "Device.Test.Name"});
  found = resolvedAhead(*engine, late);
  EXPECT_EQ(answerOf(*engine, late, &found), answerOf(*engine, late, nullptr));
  EXPECT_THAT(answerOf(*engine, late, &found).back(),
              ::testing::HasSubstr("9005 Invalid parameter name: Device.Test.Nope"));

  found = resolvedAhead(*engine, names);
  engine->deleteObject("Device.Test.Item.2.", Source::Acs);
  EXPECT_THAT(answerOf(*engine, names, &found),
              ::testing::ElementsAre(::testing::HasSubstr(
                  "fault 9005 Invalid parameter name: Device.Test.Item.2.Alias")));
  const std::vector<std::string> withNewRow = {
      "Device.Test.Item.3.Value", "Device.Test.Item.4.Value", "Device.Test.Item.4.Sub.Enable"};
  found = resolvedAhead(*engine, withNewRow);
  engine->addObject("Device.Test.Item.", Source::Acs);
  EXPECT_EQ(answerOf(*engine, withNewRow, &found), oneByOne(withNewRow));
}

// A set's names resolved ahead stage what the set resolves itself: the values set, and
// a row deleted after its names were resolved ahead is 9005 for them.
TEST_F(NameList, ASetsNamesResolvedAheadStageWhatTheSetResolvesNow) {
  const std::vector<std::string> names = {"Device.Test.Item.2.Value", "Device.Test.Name"};
  auto apply = [&](const std::vector<DataModel::Ahead>& found) {
    auto list = engine->newValueList(Source::Acs);
    for (std::size_t i = 0; i < names.size(); ++i) (void)list->add(names[i], "v", found[i]);
    try {
      return std::to_string(engine->applyValueList(*list, std::nullopt));
    } catch (const cwmpd::core::SetFault& f) {
      std::string out = std::to_string(f.code());
      for (const auto& p : f.parameters()) out += " " + p.name + ":" + std::to_string(p.code);
      return out;
    }
  };
  EXPECT_EQ(apply(resolvedAhead(*engine, names)), "0");
  EXPECT_EQ(flat(engine->getValues(names)),
            (std::vector<std::string>{"Device.Test.Item.2.Value=v", "Device.Test.Name=v"}));
  const auto found = resolvedAhead(*engine, names);
  engine->deleteObject("Device.Test.Item.2.", Source::Acs);
  EXPECT_EQ(apply(found), "9005 Device.Test.Item.2.Value:9005");
}

TEST_F(NameList, ParameterTypesAreTheTypesGetValuesReportsWithoutReadingTheValues) {
  std::vector<std::string> names = allParameters();
  names.emplace_back("Device.Test.Item.");    // not one parameter
  names.emplace_back("Device.Test.Nope");     // unknown
  names.emplace_back("Device.Test.Item.1.");  // an object
  const auto types = engine->parameterTypes(names);
  ASSERT_EQ(types.size(), names.size());
  for (std::size_t i = 0; i + 3 < names.size(); ++i) {
    SCOPED_TRACE(names[i]);
    ASSERT_TRUE(types[i].has_value());
    EXPECT_EQ(*types[i], engine->getValues({names[i]})[0].type);
  }
  for (std::size_t i = names.size() - 3; i < names.size(); ++i) EXPECT_FALSE(types[i].has_value());
}

TEST_F(NameList, AttributesOfAListAreThoseOfEachNameAlone) {
  const std::vector<std::string> names = allParameters();
  const auto all = engine->getAttributes(names);
  ASSERT_EQ(all.size(), names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto one = engine->getAttributes({names[i]});
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(all[i].name, one[0].name);
    EXPECT_EQ(all[i].notification, one[0].notification);
  }
}

// A SetParameterAttributes list handed over while the request is parsed (issue 15) is
// checked and resolved update by update: it sets what setAttributes() of the same updates
// sets, and its fault is that of the first update that fails, whatever follows (an
// unknown name, a denied active notification, a bad notification value), with nothing
// set; a list of another engine is refused.
TEST_F(NameList, AnAttributeListSetsWhatSetAttributesSetsAndItsFirstFaultWins) {
  using cwmpd::core::AttributeUpdate;
  auto faultOfList = [&](const std::vector<AttributeUpdate>& updates) {
    auto list = engine->newAttributeList();
    for (const auto& u : updates) list->add(u);
    try {
      engine->applyAttributes(*list);
    } catch (const Fault& f) {
      return std::to_string(f.code()) + " " + f.what();
    }
    return std::string("ok");
  };
  auto faultOfVector = [&](const std::vector<AttributeUpdate>& updates) {
    try {
      engine->setAttributes(updates);
    } catch (const Fault& f) {
      return std::to_string(f.code()) + " " + f.what();
    }
    return std::string("ok");
  };
  auto attributes = [&] {
    std::vector<std::string> out;
    for (const auto& a : engine->getAttributes({""}))
      out.push_back(a.name + ":" + std::to_string(a.notification) + ":" +
                    std::to_string(a.accessList.size()));
    return out;
  };
  const auto before = attributes();
  const AttributeUpdate unknown{"Device.Test.Nope", true, 1, false, {}};
  const AttributeUpdate denied{"Device.Test.Counter", true, 2, false, {}};
  const AttributeUpdate badLevel{"Device.Test.Name", true, 3, false, {}};
  const AttributeUpdate good{"Device.Test.Level", true, 1, false, {}};
  for (const auto& updates : std::vector<std::vector<AttributeUpdate>>{{good, unknown, denied},
                                                                       {good, denied, unknown},
                                                                       {badLevel, unknown},
                                                                       {unknown, badLevel},
                                                                       {good, good, unknown}}) {
    const std::string fault = faultOfList(updates);
    EXPECT_NE(fault, "ok");
    EXPECT_EQ(fault, faultOfVector(updates));
    EXPECT_EQ(attributes(), before);
  }
  EXPECT_EQ(faultOfList({good, {"Device.Test.Item.", true, 2, true, {"Subscriber"}}}), "ok");
  const auto listed = attributes();
  EXPECT_NE(listed, before);
  EXPECT_EQ(faultOfVector({good, {"Device.Test.Item.", true, 2, true, {"Subscriber"}}}), "ok");
  EXPECT_EQ(attributes(), listed);

  Store otherStore(dir.file("other.db"));
  Engine other("Device", otherStore);
  other.addDefinitions(cwmpd::testing::testModel());
  other.finalize();
  auto foreign = other.newAttributeList();
  foreign->add(good);
  EXPECT_THROW(engine->applyAttributes(*foreign), std::logic_error);
}

}  // namespace

// GetParameterNames sizes its answer from countNames (issue 15: one walk over the names,
// the count over the objects only): it is the number of names the walk gives, for the
// whole tree, an object, a table, a row and a parameter, and 0 for what is not there.
TEST_F(NameList, CountNamesIsTheNumberOfNamesOfTheWalk) {
  for (const char* path : {"", "Device.", "Device.Test.", "Device.Test.Item.",
                           "Device.Test.Item.2.", "Device.Test.Name"})
    EXPECT_EQ(engine->countNames(path), engine->getNames(path, false).size()) << path;
  EXPECT_EQ(engine->countNames("Device.Test.Item.9."), 0u);
  EXPECT_EQ(engine->countNames("Device.NoSuchObject."), 0u);
}
