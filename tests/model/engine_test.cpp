#include "cwmpd/core/engine.hpp"

#include <cerrno>
#include <filesystem>
#include <functional>

#include <zlib.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_support.hpp"

using cwmpd::core::Engine;
using cwmpd::core::ParameterInfo;
using cwmpd::core::SetFault;
using cwmpd::core::Store;
using cwmpd::sdk::Change;
using cwmpd::sdk::Fault;
using cwmpd::sdk::Source;
using cwmpd::testing::FakeHost;
using cwmpd::testing::TempDir;
using ::testing::ElementsAre;

namespace {

const char* kOtherModel = R"(<dm:document xmlns:dm="urn:broadband-forum-org:cwmp:datamodel-1-14">
  <model name="Device:2.17">
    <object name="Device.Other." access="readOnly" minEntries="1" maxEntries="1">
      <parameter name="Setting" access="readWrite"><syntax><string/></syntax></parameter>
      <parameter name="Live" access="readOnly"><syntax><unsignedInt/></syntax></parameter>
    </object>
    <object name="Device.ManagementServer." access="readOnly" minEntries="1" maxEntries="1">
      <parameter name="ParameterKey" access="readOnly"><syntax><string><size maxLength="32"/></string></syntax></parameter>
      <parameter name="InstanceMode" access="readWrite"><syntax><string><enumeration value="InstanceNumber"/><enumeration value="InstanceAlias"/></string><default type="factory" value="InstanceNumber"/></syntax></parameter>
      <parameter name="AutoCreateInstances" access="readWrite"><syntax><boolean/><default type="factory" value="false"/></syntax></parameter>
    </object>
  </model>
</dm:document>)";

// Registers the test model as plugin "test" and kOtherModel as plugin "other", with
// handlers the tests can steer.
struct Fixture : ::testing::Test {
  TempDir dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<Engine> engine;
  FakeHost host;
  std::vector<std::string> log;  // "plugin:phase:path=value"
  bool failOtherApply = false;
  bool refuseTestValidate = false;
  bool throwStdInGetter = false;
  unsigned liveValue = 7;
  int flushes = 0;

  void build(const std::string& root = "Device") {
    engine.reset();
    store = std::make_unique<Store>(dir.file("model.db"));
    store->load();
    engine = std::make_unique<Engine>(root, *store);
    host.root_ = root;
    auto record = [this](const std::string& who, const std::string& phase) {
      return [this, who, phase](const std::vector<Change>& cs) {
        for (const auto& c : cs) log.push_back(who + ":" + phase + ":" + c.path() + "=" + c.value);
      };
    };
    auto& reg = engine->beginRegistration("test", host);
    reg.definitions(cwmpd::testing::testModel());
    if (root == "Device") {
      reg.object("Device.Test.")
          .validate([this](const std::vector<Change>& cs) {
            if (refuseTestValidate) throw Fault(9007, "hardware refuses " + cs.front().parameter);
          })
          .apply(record("test", "apply"))
          .rollback(record("test", "rollback"));
      reg.onFlush([this] { ++flushes; });
    }
    engine->endRegistration(true);
    if (root == "Device") {
      auto& reg2 = engine->beginRegistration("other", host);
      reg2.definitions(kOtherModel);
      reg2.object("Device.Other.")
          .get("Live",
               [this](const cwmpd::sdk::InstanceRef&) -> std::string {
                 if (throwStdInGetter) throw std::runtime_error("bus error");
                 return std::to_string(liveValue);
               })
          .apply([this](const std::vector<Change>& cs) {
            for (const auto& c : cs) log.push_back("other:apply:" + c.path() + "=" + c.value);
            if (failOtherApply) throw Fault(9002, "hardware write failed");
          });
      engine->endRegistration(true);
    }
    engine->finalize();
  }
  void SetUp() override { build(); }

  std::string get(const std::string& name) {
    auto v = engine->getValues({name});
    EXPECT_EQ(v.size(), 1u);
    return v.empty() ? std::string("<none>") : v[0].value;
  }
  int setFaultCode(const std::vector<std::pair<std::string, std::string>>& values) {
    try {
      engine->setValues(values, Source::Acs);
    } catch (const SetFault& f) {
      return f.code();
    } catch (const Fault& f) {
      return f.code();
    }
    return 0;
  }
};

TEST_F(Fixture, GetOfAFullNameReturnsTheDefinitionDefaultAndType) {
  auto v = engine->getValues({"Device.Test.Name"});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].name, "Device.Test.Name");
  EXPECT_EQ(v[0].value, "init");
  EXPECT_EQ(v[0].type, cwmpd::sdk::ParamType::String);
  EXPECT_EQ(engine->getValues({"Device.Test.Flag"})[0].type, cwmpd::sdk::ParamType::Boolean);
  EXPECT_EQ(get("Device.Test.When"), "0001-01-01T00:00:00Z");
}

TEST_F(Fixture, GetOfAPartialPathReturnsEveryParameterBelowIt) {
  auto v = engine->getValues({"Device.Other."});
  std::vector<std::string> names;
  for (auto& p : v) names.push_back(p.name);
  EXPECT_THAT(names, ElementsAre("Device.Other.Setting", "Device.Other.Live"));
  EXPECT_EQ(v[1].value, "7");
}

TEST_F(Fixture, GetOfAnUnknownNameIsFault9005) {
  for (const char* bad :
       {"Device.Nope", "Device.Test.Nam", "Device.Test.Item.1.", "Device..Test",
        "Device.Test.Item.01.", "InternetGatewayDevice.Test.Name", "Device.Test.Name."}) {
    try {
      (void)engine->getValues({bad});
      ADD_FAILURE() << bad << " resolved";
    } catch (const Fault& f) {
      EXPECT_EQ(f.code(), 9005) << bad;
    }
  }
}

TEST_F(Fixture, SetAcceptsEveryBooleanSpellingAndStoresItCanonically) {
  for (auto [in, out] : std::vector<std::pair<std::string, std::string>>{
           {"1", "true"}, {"0", "false"}, {"true", "true"}, {"false", "false"}}) {
    engine->setValues({{"Device.Test.Flag", in}}, Source::Acs);
    EXPECT_EQ(get("Device.Test.Flag"), out);
  }
  EXPECT_EQ(setFaultCode({{"Device.Test.Flag", "yes"}}), 9007);
  EXPECT_EQ(setFaultCode({{"Device.Test.Flag", "TRUE"}}), 9007);
}

TEST_F(Fixture, SetChecksRangesLengthsEnumerationsPatternsAndNamedTypes) {
  struct Case {
    const char* name;
    const char* value;
    bool ok;
  };
  const Case cases[] = {
      {"Device.Test.Level", "10", true},
      {"Device.Test.Level", "11", false},
      {"Device.Test.Level", "-10", true},
      {"Device.Test.Level", "1.5", false},
      {"Device.Test.Load", "100", true},
      {"Device.Test.Load", "101", false},
      {"Device.Test.Big", "18446744073709551615", true},
      {"Device.Test.Big", "18446744073709551616", false},
      {"Device.Test.Big", "-1", false},
      {"Device.Test.Signed", "-9223372036854775808", true},
      {"Device.Test.Name", "12345678", true},
      {"Device.Test.Name", "123456789", false},
      {"Device.Test.Name", "\xc3\xa9t\xc3\xa9", true},
      {"Device.Test.Name", "\xff", false},
      {"Device.Test.Mode", "Manual", true},
      {"Device.Test.Mode", "manual", false},
      {"Device.Test.Code", "XYZ", true},
      {"Device.Test.Code", "XY1", false},
      {"Device.Test.When", "2026-11-25T10:00:00Z", true},
      {"Device.Test.When", "2026-11-25T10:00:00.123+01:00", true},
      {"Device.Test.When", "2026-11-25T10:00:00", true},
      {"Device.Test.When", "2026-13-25T10:00:00Z", false},
      {"Device.Test.When", "yesterday", false},
      {"Device.Test.Blob", "AAECAw==", true},
      {"Device.Test.Blob", "AAECAwQ=", false},
      {"Device.Test.Blob", "%%%%", false},
      {"Device.Test.Hex", "00ff", true},
      {"Device.Test.Hex", "0", false},
      {"Device.Test.Address", "192.0.2.1", true},
      {"Device.Test.Address", "2001:db8::1", true},
      {"Device.Test.Address", "", true},
      {"Device.Test.Address", "300.1.1.1", false},
      {"Device.Test.Mac", "00:11:22:aa:BB:cc", true},
      {"Device.Test.Mac", "00-11-22-aa-bb-cc", false},
      {"Device.Test.Servers", "192.0.2.1,192.0.2.2", true},
      {"Device.Test.Servers", "192.0.2.1,2001:db8::1", false},
  };
  for (const auto& c : cases)
    EXPECT_EQ(setFaultCode({{c.name, c.value}}) == 0, c.ok) << c.name << " = " << c.value;
  EXPECT_EQ(get("Device.Test.Level"), "-10");
}

TEST_F(Fixture, SetWithOneBadValueChangesNothingAndReportsEachFailingParameter) {
  engine->setValues({{"Device.Test.Name", "before"}, {"Device.Other.Setting", "x"}}, Source::Acs);
  try {
    engine->setValues({{"Device.Test.Name", "after"},
                       {"Device.Test.Level", "99"},
                       {"Device.Test.Counter", "1"},
                       {"Device.Test.Nope", "1"},
                       {"Device.Other.Setting", "y"}},
                      Source::Acs);
    FAIL() << "set succeeded";
  } catch (const SetFault& f) {
    EXPECT_EQ(f.code(), 9003);
    ASSERT_EQ(f.parameters().size(), 3u);
    EXPECT_EQ(f.parameters()[0].name, "Device.Test.Level");
    EXPECT_EQ(f.parameters()[0].code, 9007);
    EXPECT_EQ(f.parameters()[1].code, 9008);
    EXPECT_EQ(f.parameters()[2].code, 9005);
  }
  EXPECT_EQ(get("Device.Test.Name"), "before");
  EXPECT_EQ(get("Device.Other.Setting"), "x");
}

TEST_F(Fixture, SetOfTheSameParameterTwiceIsFault9003) {
  EXPECT_EQ(setFaultCode({{"Device.Test.Name", "a"}, {"Device.Test.Name", "b"}}), 9003);
  EXPECT_EQ(get("Device.Test.Name"), "init");
}

TEST_F(Fixture, RollsBackEveryPluginWhenOneApplyFails) {
  failOtherApply = true;
  try {
    engine->setValues({{"Device.Test.Name", "new"}, {"Device.Other.Setting", "new"}}, Source::Acs);
    FAIL() << "set succeeded";
  } catch (const SetFault& f) {
    EXPECT_EQ(f.code(), 9002);
  }
  EXPECT_THAT(log,
              ElementsAre("test:apply:Device.Test.Name=new", "other:apply:Device.Other.Setting=new",
                          "test:rollback:Device.Test.Name=init"));
  EXPECT_EQ(get("Device.Test.Name"), "init");
  EXPECT_EQ(get("Device.Other.Setting"), "");
  // Nothing of the failed transaction reached the store either.
  build();
  EXPECT_EQ(get("Device.Test.Name"), "init");
}

TEST_F(Fixture, AValidateRefusalFaultsEveryParameterOfThatPluginAndAppliesNothing) {
  refuseTestValidate = true;
  try {
    engine->setValues({{"Device.Test.Name", "x"}, {"Device.Other.Setting", "y"}}, Source::Acs);
    FAIL();
  } catch (const SetFault& f) {
    EXPECT_EQ(f.code(), 9007);
    ASSERT_EQ(f.parameters().size(), 1u);
    EXPECT_EQ(f.parameters()[0].name, "Device.Test.Name");
  }
  EXPECT_TRUE(log.empty());
}

TEST_F(Fixture, AHandlerThrowingAnyExceptionBecomesFault9002) {
  throwStdInGetter = true;
  try {
    (void)engine->getValues({"Device.Other."});
    FAIL();
  } catch (const Fault& f) {
    EXPECT_EQ(f.code(), 9002);
  }
}

TEST_F(Fixture, SecretsReadBackEmptyButAreStored) {
  engine->setValues({{"Device.Test.Secret", "hunter2"}}, Source::Acs);
  EXPECT_EQ(get("Device.Test.Secret"), "");
  EXPECT_EQ(engine->rawValue("Device.Test.Secret"), "hunter2");
}

TEST_F(Fixture, ValuesSetSurviveARestartAndTheStoreWinsOverFirstBootValues) {
  engine->setValues({{"Device.Test.Name", "kept"}}, Source::Acs);
  build();
  EXPECT_EQ(get("Device.Test.Name"), "kept");
  engine->setInitial("Device.Test.Name", "config");
  EXPECT_EQ(get("Device.Test.Name"), "kept");
  engine->setInitial("Device.Test.Mode", "Manual");
  EXPECT_EQ(get("Device.Test.Mode"), "Manual");
}

TEST_F(Fixture, InstanceNumbersAreNeverReusedAndSurviveARestart) {
  EXPECT_EQ(engine->addObject("Device.Test.Item.", Source::Acs), 1u);
  EXPECT_EQ(engine->addObject("Device.Test.Item.", Source::Acs), 2u);
  engine->deleteObject("Device.Test.Item.2.", Source::Acs);
  EXPECT_EQ(engine->addObject("Device.Test.Item.", Source::Acs), 3u);
  engine->setValues({{"Device.Test.Item.3.Value", "v3"}}, Source::Acs);
  build();
  EXPECT_TRUE(engine->exists("Device.Test.Item.1."));
  EXPECT_FALSE(engine->exists("Device.Test.Item.2."));
  EXPECT_EQ(get("Device.Test.Item.3.Value"), "v3");
  EXPECT_EQ(get("Device.Test.ItemNumberOfEntries"), "2");
  EXPECT_EQ(engine->addObject("Device.Test.Item.", Source::Acs), 4u);
}

// TR-069 3.6.1, alias-based addressing: "[alias]" names a row wherever an instance
// number can, AddObject on "Table.[alias]." creates the row with that Alias, and the
// answers name the row by its number (InstanceMode InstanceNumber).
TEST_F(Fixture, AnAliasInBracketsNamesARowInEveryRequestAndAddObjectCanGiveIt) {
  EXPECT_EQ(engine->addObject("Device.Test.Item.", Source::Acs), 1u);
  EXPECT_EQ(engine->addObject("Device.Test.Item.[wan-2].", Source::Acs), 2u);
  EXPECT_EQ(get("Device.Test.Item.2.Alias"), "wan-2");
  EXPECT_EQ(setFaultCode({{"Device.Test.Item.[wan-2].Value", "two"},
                          {"Device.Test.Item.[cpe-1].Value", "one"}}),
            0);
  EXPECT_EQ(get("Device.Test.Item.2.Value"), "two");
  EXPECT_EQ(get("Device.Test.Item.1.Value"), "one");
  auto v = engine->getValues({"Device.Test.Item.[wan-2].Value"});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].name, "Device.Test.Item.2.Value");
  EXPECT_EQ(get("Device.Test.Item.[wan-2].Sub.Enable"), "false");
  EXPECT_FALSE(engine->getNames("Device.Test.Item.[wan-2].", true).empty());
  EXPECT_EQ(engine->getAttributes({"Device.Test.Item.[wan-2].Value"}).size(), 1u);
  auto faultOf = [&](auto&& f) {
    try {
      f();
    } catch (const Fault& e) {
      return e.code();
    }
    return 0;
  };
  // An alias in use, or one that could not be addressed, is refused; an unknown one is
  // an unknown name.
  EXPECT_EQ(faultOf([&] { engine->addObject("Device.Test.Item.[wan-2].", Source::Acs); }), 9003);
  EXPECT_EQ(faultOf([&] { engine->addObject("Device.Test.Item.[a.b].", Source::Acs); }), 9003);
  EXPECT_EQ(faultOf([&] { (void)engine->getValues({"Device.Test.Item.[nope].Value"}); }), 9005);
  EXPECT_EQ(faultOf([&] { (void)engine->getValues({"Device.Test.Item.[].Value"}); }), 9005);
  engine->deleteObject("Device.Test.Item.[wan-2].", Source::Acs);
  EXPECT_EQ(faultOf([&] { (void)engine->getValues({"Device.Test.Item.2.Value"}); }), 9005);
}

// TR-069 3.6.1, InstanceMode InstanceAlias: the names the ACS is told name each row that
// has an Alias by "[Alias]"; InstanceNumber (the factory default) leaves them as numbers.
TEST_F(Fixture, InInstanceAliasModeNamesGiveTheRowsAliasInsteadOfItsNumber) {
  engine->addObject("Device.Test.Item.[wan].", Source::Acs);
  EXPECT_FALSE(engine->instanceAliasMode());
  engine->setValues({{"Device.ManagementServer.InstanceMode", "InstanceAlias"}}, Source::Acs);
  EXPECT_TRUE(engine->instanceAliasMode());
  EXPECT_EQ(engine->aliasPath("Device.Test.Item.1.Value"), "Device.Test.Item.[wan].Value");
  EXPECT_EQ(engine->aliasPath("Device.Test.Item.1.Sub.Enable"),
            "Device.Test.Item.[wan].Sub.Enable");
  EXPECT_EQ(engine->aliasPath("Device.Test.Item.1."), "Device.Test.Item.[wan].");
  EXPECT_EQ(engine->aliasPath("Device.Test.Item."), "Device.Test.Item.");
  EXPECT_EQ(engine->aliasPath("Device.Test.Item.[wan].Value"), "Device.Test.Item.[wan].Value");
  // A row without an Alias of the agent's keeps its number; nothing named stays as it is.
  EXPECT_EQ(engine->aliasPath("Device.Other.Setting"), "Device.Other.Setting");
  EXPECT_EQ(engine->aliasPath("Device.Test.Item.9.Value"), "Device.Test.Item.9.Value");
  engine->setValues({{"Device.ManagementServer.InstanceMode", "InstanceNumber"}}, Source::Acs);
  EXPECT_FALSE(engine->instanceAliasMode());
}

// TR-069 3.6.1 (TR-181 AutoCreateInstances): with it, a set naming a row by an alias no
// row has creates the row with that Alias; without it, the name is unknown (9005). A set
// that fails creates nothing.
TEST_F(Fixture, AutoCreateInstancesMakesTheRowASetNamesByAnUnknownAlias) {
  auto setCode = [&](const std::vector<std::pair<std::string, std::string>>& v) {
    try {
      engine->setValues(v, Source::Acs);
    } catch (const Fault& f) {
      return f.code();
    }
    return 0;
  };
  EXPECT_EQ(setCode({{"Device.Test.Item.[lan].Value", "v"}}), 9005);
  EXPECT_FALSE(engine->exists("Device.Test.Item.1."));
  engine->setValues({{"Device.ManagementServer.AutoCreateInstances", "true"}}, Source::Acs);
  EXPECT_EQ(setCode({{"Device.Test.Item.[lan].Value", "v"},
                     {"Device.Test.Item.[lan].Sub.Enable", "true"}}),
            0);
  EXPECT_EQ(get("Device.Test.Item.1.Alias"), "lan");
  EXPECT_EQ(get("Device.Test.Item.1.Value"), "v");
  EXPECT_EQ(get("Device.Test.Item.1.Sub.Enable"), "true");
  // The set fails on another name: the row it made goes again, and its number stays used.
  EXPECT_EQ(setCode({{"Device.Test.Item.[wan].Value", "w"}, {"Device.Other.Nope", "x"}}), 9005);
  EXPECT_FALSE(engine->exists("Device.Test.Item.[wan]."));
  EXPECT_FALSE(engine->exists("Device.Test.Item.2."));
  // Not an alias the table can hold; not from the ACS (D-Bus sets create nothing).
  EXPECT_NE(setCode({{"Device.Test.Item.[9lan].Value", "v"}}), 0);
  EXPECT_EQ(engine->setValues({{"Device.Test.Item.[lan].Value", "x"}}, Source::Bus), 0);
  EXPECT_THROW(engine->setValues({{"Device.Test.Item.[dbus].Value", "x"}}, Source::Bus), Fault);
  EXPECT_FALSE(engine->exists("Device.Test.Item.[dbus]."));
}

TEST_F(Fixture, AddObjectGivesAUniqueAliasCreatesSubObjectsAndRespectsMaxEntries) {
  auto n = engine->addObject("Device.Test.Item.", Source::Acs);
  EXPECT_EQ(get("Device.Test.Item." + std::to_string(n) + ".Alias"), "cpe-1");
  EXPECT_EQ(get("Device.Test.Item.1.Sub.Enable"), "false");
  engine->addObject("Device.Test.Item.", Source::Acs);
  engine->addObject("Device.Test.Item.", Source::Acs);
  try {
    engine->addObject("Device.Test.Item.", Source::Acs);
    FAIL();
  } catch (const Fault& f) {
    EXPECT_EQ(f.code(), 9004);
  }
  try {
    engine->addObject("Device.Test.Port.", Source::Acs);  // read-only table
    FAIL();
  } catch (const Fault& f) {
    EXPECT_EQ(f.code(), 9001);
  }
  try {
    engine->addObject("Device.Test.", Source::Acs);
    FAIL();
  } catch (const Fault& f) {
    EXPECT_EQ(f.code(), 9005);
  }
}

TEST_F(Fixture, DeletingAnObjectForgetsItsValuesAndAttributes) {
  engine->addObject("Device.Test.Item.", Source::Acs);
  engine->setValues({{"Device.Test.Item.1.Value", "x"}}, Source::Acs);
  engine->setAttributes({{"Device.Test.Item.1.Value", true, 1, false, {}}});
  engine->deleteObject("Device.Test.Item.1.", Source::Acs);
  EXPECT_EQ(store->get("v:Device.Test.Item.1.Value"), nullptr);
  EXPECT_EQ(store->get("a:Device.Test.Item.1.Value"), nullptr);
  try {
    engine->deleteObject("Device.Test.Item.1.", Source::Acs);
    FAIL();
  } catch (const Fault& f) {
    EXPECT_EQ(f.code(), 9005);
  }
}

TEST_F(Fixture, PluginInstancesKeepTheirNumbersByKeyAcrossRestarts) {
  EXPECT_EQ(engine->ensureInstance("Device.Test.Port.", "eth0"), 1u);
  EXPECT_EQ(engine->ensureInstance("Device.Test.Port.", "eth1"), 2u);
  EXPECT_EQ(engine->ensureInstance("Device.Test.Port.", "eth0"), 1u);
  build();
  EXPECT_EQ(engine->ensureInstance("Device.Test.Port.", "eth1"), 2u);
  EXPECT_FALSE(engine->exists("Device.Test.Port.1."));  // eth0 not back yet
  EXPECT_EQ(engine->ensureInstance("Device.Test.Port.", "wlan0"), 3u);
  EXPECT_EQ(engine->ensureInstance("Device.Test.Port.", "eth0"), 1u);
}

TEST_F(Fixture, GetParameterNamesFollowsNextLevel) {
  engine->addObject("Device.Test.Item.", Source::Acs);
  auto names = [&](const std::string& path, bool next) {
    std::vector<std::string> out;
    for (const ParameterInfo& i : engine->getNames(path, next))
      out.push_back(i.name + (i.writable ? " w" : ""));
    return out;
  };
  EXPECT_THAT(names("", true), ElementsAre("Device."));
  EXPECT_THAT(names("Device.Test.Item.", true), ElementsAre("Device.Test.Item.1. w"));
  EXPECT_THAT(names("Device.Test.Item.1.", true),
              ElementsAre("Device.Test.Item.1.Alias w", "Device.Test.Item.1.Value w",
                          "Device.Test.Item.1.Sub."));
  EXPECT_THAT(names("Device.Test.Item.1.", false),
              ElementsAre("Device.Test.Item.1. w", "Device.Test.Item.1.Alias w",
                          "Device.Test.Item.1.Value w", "Device.Test.Item.1.Sub.",
                          "Device.Test.Item.1.Sub.Enable w"));
  EXPECT_THAT(names("Device.Test.Name", false), ElementsAre("Device.Test.Name w"));
  auto top = names("Device.Test.", true);
  EXPECT_NE(std::find(top.begin(), top.end(), "Device.Test.Item. w"), top.end());
  EXPECT_NE(std::find(top.begin(), top.end(), "Device.Test.Port."), top.end());
  EXPECT_NE(std::find(top.begin(), top.end(), "Device.Test.ItemNumberOfEntries"), top.end());
  auto all = names("", false);
  EXPECT_EQ(all.front(), "Device.");
  EXPECT_NE(std::find(all.begin(), all.end(), "Device.Test.Item.1.Sub.Enable w"), all.end());
  try {
    (void)engine->getNames("Device.Test.Name", true);
    FAIL();
  } catch (const Fault& f) {
    EXPECT_EQ(f.code(), 9003);
  }
}

TEST_F(Fixture, AttributesArePersistedAndActiveNotificationCanBeDenied) {
  engine->setAttributes({{"Device.Test.Name", true, 2, true, {"Subscriber"}}});
  try {
    engine->setAttributes({{"Device.Test.Counter", true, 2, false, {}}});
    FAIL();
  } catch (const Fault& f) {
    EXPECT_EQ(f.code(), 9009);
  }
  build();
  auto a = engine->getAttributes({"Device.Test.Name", "Device.Test.Counter"});
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].notification, 2);
  EXPECT_THAT(a[0].accessList, ElementsAre("Subscriber"));
  EXPECT_EQ(a[1].notification, 0);
}

TEST_F(Fixture, ListenersSeeEveryCommittedChangeWithItsSource) {
  std::vector<std::string> seen;
  engine->addChangeListener([&](const std::vector<cwmpd::core::CommittedChange>& cs, Source s) {
    for (const auto& c : cs)
      seen.push_back(c.name + "=" + c.value + (s == Source::Bus ? " bus" : " acs"));
  });
  engine->setValues({{"Device.Test.Name", "a"}, {"Device.Test.Secret", "pw"}}, Source::Bus);
  engine->setValues({{"Device.Test.Name", "a"}}, Source::Acs);  // no change, no event
  EXPECT_THAT(seen, ElementsAre("Device.Test.Name=a bus", "Device.Test.Secret= bus"));
}

TEST_F(Fixture, ParameterKeyIsSetInTheSameTransaction) {
  engine->setValues({{"Device.Test.Name", "k"}}, Source::Acs, std::string("key-1"));
  EXPECT_EQ(get("Device.ManagementServer.ParameterKey"), "key-1");
  failOtherApply = true;
  EXPECT_THROW(
      engine->setValues({{"Device.Other.Setting", "z"}}, Source::Acs, std::string("key-2")),
      SetFault);
  EXPECT_EQ(get("Device.ManagementServer.ParameterKey"), "key-1");
  build();
  EXPECT_EQ(get("Device.ManagementServer.ParameterKey"), "key-1");
}

TEST_F(Fixture, FlushHandlersRunOncePerSessionOrOncePerTransactionOutsideOne) {
  engine->setValues({{"Device.Test.Name", "a"}}, Source::Bus);
  EXPECT_EQ(flushes, 1);
  engine->beginSession();
  engine->setValues({{"Device.Test.Name", "b"}}, Source::Acs);
  engine->setValues({{"Device.Test.Level", "3"}}, Source::Acs);
  EXPECT_EQ(flushes, 1);
  engine->endSession();
  EXPECT_EQ(flushes, 2);
}

TEST_F(Fixture, ForcedInformParametersAreListed) {
  EXPECT_THAT(engine->forcedInformParameters(), ElementsAre("Device.Test.Version"));
}

TEST_F(Fixture, TheOtherRootUsesItsOwnModelFromTheSameDocument) {
  build("InternetGatewayDevice");
  EXPECT_EQ(get("InternetGatewayDevice.Test.Name"), "");
  EXPECT_FALSE(engine->exists("Device.Test.Name"));
}

// An ACS session's sets are answered after a journal append each: the store's snapshot
// (Store::holdSnapshots) waits for the session's end, then holds every value.
TEST(EngineSession, TheStoresSnapshotWaitsForTheEndOfTheSession) {
  TempDir dir;
  Store store(dir.file("model.db"));
  store.load();
  store.setJournalLimit(200);
  Engine engine("Device", store);
  FakeHost host;
  auto& reg = engine.beginRegistration("test", host);
  reg.definitions(cwmpd::testing::testModel());
  engine.endRegistration(true);
  engine.finalize();
  engine.setValues({{"Device.Test.Name", "before"}}, Source::Acs);
  const auto gen = store.generation();
  engine.beginSession();
  for (int i = 0; i < 10; ++i)  // ~37 bytes a record: past the 200-byte limit
    engine.setValues({{"Device.Test.Name", "s" + std::to_string(i)}}, Source::Acs);
  EXPECT_EQ(store.generation(), gen) << "a set in the session wrote a snapshot";
  {
    Store disk(dir.file("model.db"));
    disk.load();
    EXPECT_EQ(*disk.get("v:Device.Test.Name"), "s9");
  }
  engine.endSession();
  EXPECT_EQ(store.generation(), gen + 1);
  EXPECT_FALSE(std::filesystem::exists(store.journalPath()));
  Store disk(dir.file("model.db"));
  disk.load();
  EXPECT_EQ(*disk.get("v:Device.Test.Name"), "s9");
  // Outside a session a set past the limit writes its snapshot at once, as before.
  for (int i = 0; i < 10; ++i)
    engine.setValues({{"Device.Test.Name", "b" + std::to_string(i)}}, Source::Bus);
  EXPECT_GT(store.generation(), gen + 1);
}

TEST(EngineRegistration, AParameterDefinedTwiceFailsTheSecondPluginAndBacksItOut) {
  TempDir dir;
  Store store(dir.file("m.db"));
  Engine engine("Device", store);
  FakeHost host;
  auto& a = engine.beginRegistration("a", host);
  a.definitions(cwmpd::testing::testModel());
  engine.endRegistration(true);
  auto& b = engine.beginRegistration("b", host);
  b.definitions(
      R"(<dm:document xmlns:dm="urn:broadband-forum-org:cwmp:datamodel-1-14"><model name="Device:2.17">
      <object name="Device.Extra." access="readOnly" minEntries="1" maxEntries="1">
        <parameter name="X" access="readOnly"><syntax><string/></syntax></parameter></object>
      </model></dm:document>)");
  EXPECT_THROW(b.definitions(cwmpd::testing::testModel()), std::runtime_error);
  engine.endRegistration(false);
  engine.finalize();
  EXPECT_FALSE(engine.exists("Device.Extra."));
  EXPECT_TRUE(engine.exists("Device.Test.Name"));
}

namespace {
// The gzip form (RFC 1952) of `text`, as the small build embeds a plugin's document.
std::string gzipOf(std::string_view text) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, static_cast<uLong>(text.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}
}  // namespace

TEST(EngineRegistration, AGzipDocumentDefinesWhatItsPlainFormDoesAndABrokenOneIsRefused) {
  TempDir dir;
  Store store(dir.file("m.db"));
  Engine engine("Device", store);
  FakeHost host;
  const std::string gzip = gzipOf(cwmpd::testing::testModel());
  auto& broken = engine.beginRegistration("broken", host);
  EXPECT_THROW(broken.definitions(std::string_view(gzip).substr(0, gzip.size() / 2)),
               std::runtime_error);
  engine.endRegistration(false);
  auto& a = engine.beginRegistration("a", host);
  a.definitions(gzip);
  engine.endRegistration(true);
  engine.finalize();
  EXPECT_TRUE(engine.exists("Device.Test.Name"));
}

TEST(EngineRegistration, DocumentsWithADoctypeOrBrokenXmlAreRefused) {
  TempDir dir;
  Store store(dir.file("m.db"));
  Engine engine("Device", store);
  EXPECT_THROW(engine.addDefinitions(
                   R"(<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
      <dm:document xmlns:dm="urn:broadband-forum-org:cwmp:datamodel-1-14">&e;</dm:document>)"),
               std::runtime_error);
  EXPECT_THROW(engine.addDefinitions("<dm:document"), std::runtime_error);
  EXPECT_THROW(
      engine.addDefinitions(
          R"(<dm:document xmlns:dm="urn:broadband-forum-org:cwmp:datamodel-1-14"><model name="Device:2.17">
      <object name="Device.A." access="readOnly"><parameter name="P" access="readOnly"/></object></model></dm:document>)"),
      std::runtime_error);
}

}  // namespace

// ---- a store that cannot be written (issue 14): 9002, nothing half-visible, ever ----

namespace {
int faultCodeOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Fault& e) {
    return e.code();
  }
  return 0;
}
}  // namespace

TEST_F(Fixture, ASetTheDiskDoesNotTakeIs9002AndNeverComesBackAfterALaterSetAndARestart) {
  engine->setValues({{"Device.Test.Name", "before"}}, Source::Acs);
  log.clear();
  store->setFaultHook([](Store::Step s) { return s == Store::Step::Write ? ENOSPC : 0; });
  EXPECT_EQ(setFaultCode({{"Device.Test.Name", "lost"}}), 9002);
  EXPECT_EQ(get("Device.Test.Name"), "before");
  EXPECT_THAT(log, ElementsAre("test:apply:Device.Test.Name=lost",
                               "test:rollback:Device.Test.Name=before"));
  store->setFaultHook({});
  engine->setValues({{"Device.Test.Level", "3"}}, Source::Acs);  // unrelated, succeeds
  build();
  EXPECT_EQ(get("Device.Test.Name"), "before");
  EXPECT_EQ(get("Device.Test.Level"), "3");
}

TEST_F(Fixture, AttributesTheDiskDoesNotTakeAre9002AndStayAsTheyWere) {
  store->setFaultHook([](Store::Step s) { return s == Store::Step::Fsync ? EIO : 0; });
  EXPECT_EQ(faultCodeOf([&] {
              engine->setAttributes({{"Device.Test.Name", true, 2, false, {}}});
            }),
            9002);
  EXPECT_EQ(engine->getAttributes({"Device.Test.Name"}).at(0).notification, 0);
  store->setFaultHook({});
  engine->setValues({{"Device.Test.Level", "1"}}, Source::Acs);
  build();
  EXPECT_EQ(engine->getAttributes({"Device.Test.Name"}).at(0).notification, 0);
}

TEST_F(Fixture, AnAddObjectTheDiskDoesNotTakeIs9002AndNoRowAppears) {
  store->setFaultHook([](Store::Step s) { return s == Store::Step::Rename ? ENOSPC : 0; });
  EXPECT_EQ(faultCodeOf([&] { engine->addObject("Device.Test.Item.", Source::Acs); }), 9002);
  EXPECT_FALSE(engine->exists("Device.Test.Item.1."));
  EXPECT_EQ(get("Device.Test.ItemNumberOfEntries"), "0");
  store->setFaultHook({});
  EXPECT_EQ(engine->addObject("Device.Test.Item.", Source::Acs), 1u);
  build();
  EXPECT_TRUE(engine->exists("Device.Test.Item.1."));
  EXPECT_FALSE(engine->exists("Device.Test.Item.2."));
}

TEST_F(Fixture, ADeleteObjectTheDiskDoesNotTakeIs9002AndTheRowStaysWithItsValues) {
  engine->addObject("Device.Test.Item.", Source::Acs);
  engine->setValues({{"Device.Test.Item.1.Value", "x"}}, Source::Acs);
  engine->setAttributes({{"Device.Test.Item.1.Value", true, 1, false, {}}});
  store->setFaultHook([](Store::Step s) { return s == Store::Step::Write ? ENOSPC : 0; });
  EXPECT_EQ(faultCodeOf([&] { engine->deleteObject("Device.Test.Item.1.", Source::Acs); }), 9002);
  EXPECT_EQ(get("Device.Test.Item.1.Value"), "x");
  EXPECT_EQ(engine->getAttributes({"Device.Test.Item.1.Value"}).at(0).notification, 1);
  store->setFaultHook({});
  engine->setValues({{"Device.Test.Level", "2"}}, Source::Acs);
  build();
  EXPECT_EQ(get("Device.Test.Item.1.Value"), "x");
  EXPECT_EQ(engine->getAttributes({"Device.Test.Item.1.Value"}).at(0).notification, 1);
}

TEST_F(Fixture, PluginInstanceNumbersMadeAtStartStayPendingOnAFullDiskAndAreWrittenLater) {
  store->setFaultHook([](Store::Step) { return ENOSPC; });
  engine->holdCommits(true);  // what PluginHost::startAll does around start()
  EXPECT_EQ(engine->ensureInstance("Device.Test.Port.", "eth0"), 1u);
  engine->holdCommits(false);
  // A failing request in between must not roll the agent's own bookkeeping back.
  EXPECT_EQ(setFaultCode({{"Device.Test.Name", "lost"}}), 9002);
  store->setFaultHook({});
  engine->setValues({{"Device.Test.Level", "4"}}, Source::Acs);
  build();
  EXPECT_EQ(engine->ensureInstance("Device.Test.Port.", "eth1"), 2u);
  EXPECT_EQ(engine->ensureInstance("Device.Test.Port.", "eth0"), 1u);
}

// Issue 14: a number handed out at run time only lived in memory on a full disk; after a
// kill it could go to another key, so the ACS would see one number name two things.
TEST_F(Fixture, APluginInstanceAskedForOnAFullDiskFaults9002AndCreatesNothing) {
  store->setFaultHook([](Store::Step) { return ENOSPC; });
  try {
    (void)engine->ensureInstance("Device.Test.Port.", "eth0");
    ADD_FAILURE() << "an instance number that is not on disk was handed out";
  } catch (const Fault& f) {
    EXPECT_EQ(f.code(), 9002);
  }
  EXPECT_FALSE(engine->exists("Device.Test.Port.1."));
  store->setFaultHook({});
  engine->setValues({{"Device.Test.Level", "4"}}, Source::Acs);  // an unrelated commit
  build();
  EXPECT_EQ(engine->ensureInstance("Device.Test.Port.", "eth1"), 1u)
      << "the failed one left no trace";
}

// ---- a stored value that no longer validates (issue 14 item 7) ----

TEST_F(Fixture, AnInvalidStoredValueFallsBackToTheConfiguredValueOrTheDefaultNeverTheTypeMinimum) {
  {
    Store raw(dir.file("model.db"));
    raw.load();
    raw.set("v:Device.Test.Load", "lots");                 // Percent: not a number
    raw.set("v:Device.Test.Name", "far-too-long-a-name");  // maxLength 8, default "init"
    raw.commit();
  }
  build();
  engine->setInitial("Device.Test.Load", "42");  // what the config says
  EXPECT_EQ(get("Device.Test.Load"), "42");
  EXPECT_EQ(get("Device.Test.Name"), "init");
  // The bad record is gone from the store at the next commit.
  engine->setValues({{"Device.Test.Level", "5"}}, Source::Acs);
  Store disk(dir.file("model.db"));
  disk.load();
  EXPECT_EQ(disk.get("v:Device.Test.Load"), nullptr);
  EXPECT_EQ(disk.get("v:Device.Test.Name"), nullptr);
}

namespace {

// A plugin whose apply handler says when its changes take effect (sdk::ApplyReport).
TEST(DeferredApply, SetParameterValuesStatusIsOneWhenAPluginAppliesAChangeOnlyLater) {
  TempDir dir;
  Store store(dir.file("model.db"));
  store.load();
  Engine engine("Device", store);
  FakeHost host;
  std::vector<std::string> applied;
  auto& reg = engine.beginRegistration("staging", host);
  reg.definitions(kOtherModel);
  reg.object("Device.Other.")
      .apply([&](const std::vector<Change>& cs, cwmpd::sdk::ApplyReport& report) {
        ASSERT_EQ(report.effects.size(), cs.size());
        for (std::size_t i = 0; i < cs.size(); ++i) {
          applied.push_back(cs[i].value);
          if (cs[i].value == "staged") report.effects[i] = cwmpd::sdk::Effect::AtSessionEnd;
          if (cs[i].value == "reboot") report.effects[i] = cwmpd::sdk::Effect::AfterReboot;
        }
      });
  engine.endRegistration(true);
  engine.finalize();

  // Outside a session the flush follows the transaction at once: staged is applied.
  EXPECT_EQ(engine.setValues({{"Device.Other.Setting", "staged"}}, Source::Bus), 0);
  EXPECT_EQ(engine.setValues({{"Device.Other.Setting", "reboot"}}, Source::Bus), 1);
  engine.beginSession();
  EXPECT_EQ(engine.setValues({{"Device.Other.Setting", "now"}}, Source::Acs), 0);
  EXPECT_EQ(engine.setValues({{"Device.Other.Setting", "staged"}}, Source::Acs), 1);
  EXPECT_EQ(engine.setValues({{"Device.Other.Setting", "reboot"}}, Source::Acs), 1);
  engine.endSession();
  // Committed either way: the model holds the new value.
  EXPECT_EQ(engine.getValues({"Device.Other.Setting"})[0].value, "reboot");
  EXPECT_EQ(applied, (std::vector<std::string>{"staged", "reboot", "now", "staged", "reboot"}));
}

TEST(DeferredApply, AReportingApplyIsAlsoTheRollbackWhenThePluginGaveNone) {
  TempDir dir;
  Store store(dir.file("model.db"));
  store.load();
  Engine engine("Device", store);
  FakeHost host;
  std::vector<std::string> calls;
  auto& reg = engine.beginRegistration("staging", host);
  reg.definitions(kOtherModel);
  reg.object("Device.Other.")
      .apply([&](const std::vector<Change>& cs, cwmpd::sdk::ApplyReport& report) {
        for (const auto& c : cs) calls.push_back(c.value);
        report.setAll(cwmpd::sdk::Effect::AtSessionEnd);
      });
  engine.endRegistration(true);
  auto& reg2 = engine.beginRegistration("failing", host);
  reg2.definitions(cwmpd::testing::testModel());
  reg2.object("Device.Test.").apply([](const std::vector<Change>&) { throw Fault(9002, "no"); });
  engine.endRegistration(true);
  engine.finalize();
  EXPECT_THROW(
      engine.setValues({{"Device.Other.Setting", "a"}, {"Device.Test.Name", "b"}}, Source::Acs),
      SetFault);
  // Applied, then undone through the same handler with the old value.
  EXPECT_EQ(calls, (std::vector<std::string>{"a", ""}));
}

}  // namespace
