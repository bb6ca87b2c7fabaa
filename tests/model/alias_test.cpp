// Alias-based addressing (TR-069 3.6.1) where a plugin serves the table: an Alias read
// from the plugin's getter names its row, AddObject with an alias and AutoCreateInstances
// hand the Alias to the plugin; and values that are paths (TR-106 pathRef) taken and
// told by alias.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cwmpd/core/engine.hpp"
#include "test_support.hpp"

using cwmpd::core::Engine;
using cwmpd::core::Store;
using cwmpd::sdk::Change;
using cwmpd::sdk::Fault;
using cwmpd::sdk::InstanceRef;
using cwmpd::sdk::Source;
using cwmpd::testing::FakeHost;
using cwmpd::testing::TempDir;

namespace {

const char* kPlugModel = R"(<dm:document xmlns:dm="urn:broadband-forum-org:cwmp:datamodel-1-14">
  <model name="Device:2.17">
    <object name="Device." access="readOnly" minEntries="1" maxEntries="1"/>
    <object name="Device.ManagementServer." access="readOnly" minEntries="1" maxEntries="1">
      <parameter name="InstanceMode" access="readWrite"><syntax><string><enumeration value="InstanceNumber"/><enumeration value="InstanceAlias"/></string><default type="factory" value="InstanceNumber"/></syntax></parameter>
      <parameter name="AutoCreateInstances" access="readWrite"><syntax><boolean/><default type="factory" value="false"/></syntax></parameter>
    </object>
    <object name="Device.Plug." access="readOnly" minEntries="1" maxEntries="1">
      <parameter name="Link" access="readWrite"><syntax><string><size maxLength="256"/><pathRef refType="strong" targetType="row"/></string><default type="object" value=""/></syntax></parameter>
      <parameter name="Links" access="readWrite"><syntax><list><size maxLength="1024"/></list><string><pathRef refType="strong" targetType="row"/></string><default type="object" value=""/></syntax></parameter>
      <parameter name="Text" access="readWrite"><syntax><string/><default type="object" value=""/></syntax></parameter>
    </object>
    <object name="Device.Plug.Row.{i}." access="readWrite" minEntries="0" maxEntries="unbounded">
      <parameter name="Alias" access="readWrite"><syntax><string><size maxLength="64"/></string></syntax></parameter>
      <parameter name="Name" access="readWrite"><syntax><string/></syntax></parameter>
      <parameter name="Speed" access="readOnly"><syntax><unsignedInt/></syntax></parameter>
    </object>
    <object name="Device.Plug.Kept.{i}." access="readWrite" minEntries="0" maxEntries="unbounded">
      <parameter name="Alias" access="readWrite"><syntax><string><size maxLength="64"/></string></syntax></parameter>
      <parameter name="Name" access="readWrite"><syntax><string/></syntax></parameter>
    </object>
  </model>
</dm:document>)";

// A plugin that keeps the Aliases of Device.Plug.Row rows itself (its getter) and binds
// Device.Plug.Kept rows (Aliases stored by the core).
struct PluginAliases : ::testing::Test {
  TempDir dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<Engine> engine;
  FakeHost host;
  std::map<std::string, std::string> aliases;  // row path -> Alias, the plugin's own
  int aliasReads = 0;
  std::vector<std::string> added, deleted, keptAdded;

  void SetUp() override {
    store = std::make_unique<Store>(dir.file("model.db"));
    store->load();
    engine = std::make_unique<Engine>("Device", *store);
    auto& reg = engine->beginRegistration("plug", host);
    reg.definitions(kPlugModel);
    reg.object("Device.Plug.Row.{i}.")
        .get("Alias",
             [this](const InstanceRef& r) {
               ++aliasReads;
               auto it = aliases.find(r.path);
               return it == aliases.end() ? "cpe-" + std::to_string(r.number) : it->second;
             })
        .get("Speed", [](const InstanceRef& r) { return std::to_string(r.number * 100); })
        .validate([](const std::vector<Change>& cs) {
          for (const auto& c : cs)
            if (c.parameter == "Alias" && c.value == "taken")
              throw Fault(9007, "the hardware knows another taken");
        })
        .apply([this](const std::vector<Change>& cs) {
          for (const auto& c : cs)
            if (c.parameter == "Alias") aliases[c.object] = c.value;
        })
        .onAdd([this](const InstanceRef& r) { added.push_back(r.path); })
        .onDelete([this](const InstanceRef& r) {
          deleted.push_back(r.path);
          aliases.erase(r.path);
        });
    reg.object("Device.Plug.Kept.{i}.")
        .apply([](const std::vector<Change>&) {})
        .onAdd([this](const InstanceRef& r) { keptAdded.push_back(r.path); });
    engine->endRegistration(true);
    engine->finalize();
  }

  std::string get(const std::string& name) {
    auto v = engine->getValues({name});
    return v.size() == 1 ? v[0].value : std::string("<none>");
  }
  template <typename F>
  static int faultOf(F&& f) {
    try {
      f();
    } catch (const Fault& e) {
      return e.code();
    }
    return 0;
  }
  void set(const std::string& name, const std::string& value) {
    engine->setValues({{name, value}}, Source::Acs);
  }
};

// TR-069 3.6.1: "[alias]" names the row whose Alias it is, the plugin's (its getter)
// as the agent's; in InstanceMode InstanceAlias the names told give it.
TEST_F(PluginAliases, APluginsAliasNamesItsRowInPathsAndInInstanceAliasNames) {
  for (int i = 0; i < 20; ++i) engine->addObject("Device.Plug.Row.", Source::Acs);
  aliases["Device.Plug.Row.3."] = "uplink";  // the plugin's own, not the agent's
  set("Device.Plug.Row.[uplink].Name", "wan");
  EXPECT_EQ(get("Device.Plug.Row.3.Name"), "wan");
  EXPECT_EQ(get("Device.Plug.Row.[cpe-7].Speed"), "700");
  EXPECT_EQ(faultOf([&] { (void)engine->getValues({"Device.Plug.Row.[nope].Name"}); }), 9005);

  set("Device.ManagementServer.InstanceMode", "InstanceAlias");
  EXPECT_EQ(engine->aliasPath("Device.Plug.Row.3.Name"), "Device.Plug.Row.[uplink].Name");
  EXPECT_EQ(engine->aliasPath("Device.Plug.Row.3."), "Device.Plug.Row.[uplink].");
  EXPECT_EQ(engine->aliasPath("Device.Plug.Row.12.Speed"), "Device.Plug.Row.[cpe-12].Speed");

  // A row's Alias, once known, is not read again for every name of the row, and a
  // lookup by a known Alias reads that row's Alias only, not the table's.
  aliasReads = 0;
  for (int i = 0; i < 5; ++i) (void)engine->aliasPath("Device.Plug.Row.3.Name");
  EXPECT_EQ(aliasReads, 0);
  EXPECT_TRUE(engine->exists("Device.Plug.Row.[uplink].Name"));
  EXPECT_EQ(aliasReads, 1);

  // The plugin changed the Alias on its own: the new one names the row, the old none.
  aliases["Device.Plug.Row.3."] = "backup";
  EXPECT_EQ(get("Device.Plug.Row.[backup].Name"), "wan");
  EXPECT_EQ(faultOf([&] { (void)engine->getValues({"Device.Plug.Row.[uplink].Name"}); }), 9005);
  EXPECT_EQ(engine->aliasPath("Device.Plug.Row.3.Name"), "Device.Plug.Row.[backup].Name");

  // An Alias the ACS sets through the plugin names the row at once.
  set("Device.Plug.Row.[backup].Alias", "primary");
  EXPECT_EQ(aliases["Device.Plug.Row.3."], "primary");
  EXPECT_EQ(engine->aliasPath("Device.Plug.Row.3.Name"), "Device.Plug.Row.[primary].Name");
  EXPECT_EQ(get("Device.Plug.Row.[primary].Name"), "wan");
}

// TR-069 3.6.1: AddObject on "Table.[alias]." and AutoCreateInstances on a table a
// plugin serves: the plugin is told of the row (onAdd) and of its Alias (a set it may
// refuse, which takes the row back), whether it keeps the Alias or the core does.
TEST_F(PluginAliases, AddObjectWithAnAliasAndAutoCreateInstancesOnPluginTables) {
  EXPECT_EQ(engine->addObject("Device.Plug.Row.[wan].", Source::Acs), 1u);
  EXPECT_EQ(added, std::vector<std::string>{"Device.Plug.Row.1."});
  EXPECT_EQ(aliases["Device.Plug.Row.1."], "wan");
  EXPECT_EQ(get("Device.Plug.Row.[wan].Alias"), "wan");
  EXPECT_EQ(get("Device.Plug.Row.[wan].Speed"), "100");
  // In use, or refused by the plugin: no row.
  EXPECT_EQ(faultOf([&] { engine->addObject("Device.Plug.Row.[wan].", Source::Acs); }), 9003);
  EXPECT_EQ(faultOf([&] { engine->addObject("Device.Plug.Row.[taken].", Source::Acs); }), 9007);
  EXPECT_FALSE(engine->exists("Device.Plug.Row.2."));
  EXPECT_EQ(deleted, std::vector<std::string>{"Device.Plug.Row.2."});
  EXPECT_EQ(faultOf([&] { (void)engine->getValues({"Device.Plug.Row.[taken].Name"}); }), 9005);

  // The core keeps the Alias of the plugin's other table.
  EXPECT_EQ(engine->addObject("Device.Plug.Kept.[k1].", Source::Acs), 1u);
  EXPECT_EQ(keptAdded, std::vector<std::string>{"Device.Plug.Kept.1."});
  EXPECT_EQ(get("Device.Plug.Kept.1.Alias"), "k1");

  set("Device.ManagementServer.AutoCreateInstances", "true");
  engine->setValues(
      {{"Device.Plug.Row.[lan].Name", "inside"}, {"Device.Plug.Kept.[k2].Name", "second"}},
      Source::Acs);
  EXPECT_EQ(get("Device.Plug.Row.[lan].Name"), "inside");
  EXPECT_EQ(aliases["Device.Plug.Row.3."], "lan");
  EXPECT_EQ(get("Device.Plug.Kept.[k2].Name"), "second");
  EXPECT_EQ(keptAdded.size(), 2u);
  // A set whose auto-created row the plugin refuses creates nothing.
  EXPECT_NE(faultOf([&] { set("Device.Plug.Row.[taken].Name", "x"); }), 0);
  EXPECT_FALSE(engine->exists("Device.Plug.Row.4."));
}

// TR-069 3.6.1: a value that is a path (TR-106 pathRef) may name rows by alias when
// written; it is kept with their numbers, and told with their aliases in InstanceMode
// InstanceAlias only. Other values are never touched.
TEST_F(PluginAliases, PathValuesAreTakenByAliasKeptByNumberAndToldByAliasInInstanceAliasMode) {
  engine->addObject("Device.Plug.Row.[wan].", Source::Acs);
  engine->addObject("Device.Plug.Kept.[k1].", Source::Acs);
  engine->addObject("Device.Plug.Kept.", Source::Acs);
  set("Device.Plug.Link", "Device.Plug.Row.[wan]");
  EXPECT_EQ(get("Device.Plug.Link"), "Device.Plug.Row.1");
  set("Device.Plug.Links", "Device.Plug.Kept.[k1],Device.Plug.Row.[wan].Name,Device.Plug.Kept.2");
  EXPECT_EQ(get("Device.Plug.Links"),
            "Device.Plug.Kept.1,Device.Plug.Row.1.Name,Device.Plug.Kept.2");
  set("Device.Plug.Text", "Device.Plug.Row.[wan]");  // not a reference: as written
  EXPECT_EQ(get("Device.Plug.Text"), "Device.Plug.Row.[wan]");
  EXPECT_EQ(faultOf([&] { set("Device.Plug.Link", "Device.Plug.Row.[nope]"); }), 9007);
  EXPECT_EQ(get("Device.Plug.Link"), "Device.Plug.Row.1");

  set("Device.ManagementServer.InstanceMode", "InstanceAlias");
  EXPECT_EQ(engine->aliasValue("Device.Plug.Link", get("Device.Plug.Link")),
            "Device.Plug.Row.[wan]");
  EXPECT_EQ(engine->aliasValue("Device.Plug.Links", get("Device.Plug.Links")),
            "Device.Plug.Kept.[k1],Device.Plug.Row.[wan].Name,Device.Plug.Kept.[cpe-2]");
  EXPECT_EQ(engine->aliasValue("Device.Plug.Text", "Device.Plug.Row.1"), "Device.Plug.Row.1");
  // A path that names nothing (a deleted row) is told as it is.
  EXPECT_EQ(engine->aliasValue("Device.Plug.Link", "Device.Plug.Row.9"), "Device.Plug.Row.9");
}

// Issue 15: a set handed over entry by entry (DataModel::newValueList, how the dispatcher
// takes a SetParameterValues while it is parsed) answers and changes exactly what
// setValues() of the same entries does: every fault in order, a name given twice (the same
// row by number and by alias are two names), values that are paths, getters, rows that
// AutoCreateInstances makes (and takes back when the set then fails), nothing at all when
// it faults. Two engines, one fed each way.
TEST_F(PluginAliases, AValueListAnswersAndChangesWhatSetValuesDoes) {
  struct Twin : PluginAliases {
    void TestBody() override {}
  } twin;
  twin.SetUp();
  using Entries = std::vector<std::pair<std::string, std::string>>;
  const auto outcome = [](auto&& run) -> std::string {
    try {
      return "status " + std::to_string(run());
    } catch (const cwmpd::core::SetFault& f) {
      std::string out = "fault " + std::to_string(f.code()) + " " + f.what();
      for (const auto& p : f.parameters())
        out += "\n  " + p.name + " " + std::to_string(p.code) + " " + p.message;
      return out;
    } catch (const Fault& f) {
      return "plain fault " + std::to_string(f.code()) + " " + f.what();
    }
  };
  const auto state = [](PluginAliases& p) {
    std::string out;
    for (const auto& v : p.engine->getValues({""})) out += v.name + "=" + v.value + "\n";
    for (const auto& [row, alias] : p.aliases) out += row + " alias " + alias + "\n";
    for (const auto* list : {&p.added, &p.deleted, &p.keptAdded})
      for (const auto& row : *list) out += row + ";";
    return out;
  };
  const auto both = [&](const Entries& entries, const std::optional<std::string>& key = {}) {
    const std::string expected =
        outcome([&] { return engine->setValues(entries, Source::Acs, key); });
    auto list = twin.engine->newValueList(Source::Acs);
    for (const auto& [name, value] : entries) (void)list->add(name, value);
    const std::string got = outcome([&] { return twin.engine->applyValueList(*list, key); });
    EXPECT_EQ(expected, got);
    EXPECT_EQ(state(*this), state(twin)) << expected;
    return got;
  };
  for (auto* p : {static_cast<PluginAliases*>(this), static_cast<PluginAliases*>(&twin)}) {
    for (int i = 0; i < 3; ++i) p->engine->addObject("Device.Plug.Row.", Source::Acs);
    p->engine->addObject("Device.Plug.Kept.[k1].", Source::Acs);
  }
  EXPECT_EQ(both({{"Device.Plug.Row.1.Name", "a"},
                  {"Device.Plug.Row.[cpe-1].Name", "b"},
                  {"Device.Plug.Link", "Device.Plug.Kept.[k1]"},
                  {"Device.Plug.Row.2.Alias", "r2"}}),
            "status 0");
  EXPECT_EQ(get("Device.Plug.Row.[r2].Name"), "");
  both({{"Device.Plug.Row.1.Name", "c"},
        {"Device.Plug.Text", "t"},
        {"Device.Plug.Row.1.Name", "d"}});
  both({{"Device.Plug.Row.1.Speed", "1"},
        {"Device.Plug.Nope", "1"},
        {"Device.Plug.Text", "u"},
        {"Device.Plug.Text", "v"},
        {"Device.Plug.Nope", "2"}});
  both({{"Device.Plug.Nope", "1"}, {"Device.Plug.Text", "w"}, {"Device.Plug.Nope", "2"}});
  both({{"Device.Plug.Link", "Device.Plug.Row.[nope]"},
        {"Device.Plug.Row.1.Speed", "5"},
        {"Device.Plug.Nope", "1"},
        {"Device.Plug.Row.[r2].Name", "x"}});
  both({{"Device.Plug.Row.3.Alias", "taken"}, {"Device.Plug.Text", "refused by the plugin"}});
  both({{"Device.Plug.Row.[new].Name", "x"}, {"Device.Plug.Text", "no rows made"}});
  both({{"Device.ManagementServer.AutoCreateInstances", "true"}}, "key");
  both({{"Device.Plug.Text", "t2"},
        {"Device.Plug.Row.[new].Name", "x"},
        {"Device.Plug.Kept.[k9].Name", "y"}});
  both({{"Device.Plug.Row.[n2].Name", "a"}, {"Device.Plug.Row.[n2].Name", "b"}});
  both({{"Device.Plug.Row.[n3].Name", "a"}, {"Device.Plug.Row.1.Speed", "2"}});
  both({{"Device.Plug.Row.[taken].Name", "x"}});
  both({{"Device.Plug.Text", "after"}, {"Device.Plug.Row.1.Name", "e"}}, std::string(40, 'k'));
  both({});
  // Numbers handed out by the rows made and taken back above are not given again.
  EXPECT_EQ(engine->addObject("Device.Plug.Row.", Source::Acs),
            twin.engine->addObject("Device.Plug.Row.", Source::Acs));
  EXPECT_EQ(state(*this), state(twin));

  // Nothing is read from a plugin or changed before the list is applied, and a list
  // dropped without it leaves no trace.
  const std::string before = state(twin);
  twin.aliasReads = 0;
  {
    auto list = twin.engine->newValueList(Source::Acs);
    EXPECT_EQ(list->add("Device.Plug.Row.1.Alias", "z1"), cwmpd::sdk::ParamType::String);
    EXPECT_EQ(list->add("Device.Plug.Row.2.Speed", "1"), cwmpd::sdk::ParamType::UnsignedInt);
    EXPECT_EQ(list->add("Device.Plug.Nope", "1"), std::nullopt);
    EXPECT_EQ(twin.aliasReads, 0);
  }
  EXPECT_EQ(state(twin), before);
  auto list = twin.engine->newValueList(Source::Acs);
  twin.aliasReads = 0;
  (void)list->add("Device.Plug.Row.1.Alias", "z1");
  EXPECT_EQ(twin.aliasReads, 0);
  EXPECT_EQ(twin.engine->applyValueList(*list, std::nullopt), 0);
  EXPECT_EQ(twin.aliasReads, 1);  // the old value, for the change listeners
  EXPECT_EQ(twin.aliases["Device.Plug.Row.1."], "z1");
}

}  // namespace
