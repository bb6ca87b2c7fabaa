// The org.cwmpd service over the fake engine, driven with busctl and sdbus-c++ proxies.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bus_fixture.hpp"
#include "cwmpd/bus/names.hpp"

namespace cwmpd::testing {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

using DbusService = BusFixture;

TEST_F(DbusService, GetOfASubtreeReturnsEveryParameterBelowItWithItsType) {
  auto r = busctl({"call", "org.cwmpd", "/org/cwmpd/DataModel", "org.cwmpd.DataModel1",
                   "GetParameterValues", "as", "1", "Device.DeviceInfo."});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out,
            "a(sss) 3 \"Device.DeviceInfo.Manufacturer\" \"xsd:string\" \"ACME\" "
            "\"Device.DeviceInfo.SoftwareVersion\" \"xsd:string\" \"1.0.3\" "
            "\"Device.DeviceInfo.UpTime\" \"xsd:unsignedInt\" \"42\"\n");
}

TEST_F(DbusService, SetParameterValuesChangesEveryValueGivenInOneCall) {
  auto r =
      busctl({"call", "org.cwmpd", "/org/cwmpd/DataModel", "org.cwmpd.DataModel1",
              "SetParameterValues", "a(ss)", "2", "Device.ManagementServer.PeriodicInformInterval",
              "600", "Device.WiFi.SSID.1.SSID", "guest"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  r = busctl({"call", "org.cwmpd", "/org/cwmpd/DataModel", "org.cwmpd.DataModel1",
              "GetParameterValues", "as", "2", "Device.ManagementServer.PeriodicInformInterval",
              "Device.WiFi.SSID.1.SSID"});
  EXPECT_THAT(r.out, AllOf(HasSubstr("\"Device.ManagementServer.PeriodicInformInterval\" "
                                     "\"xsd:unsignedInt\" \"600\""),
                           HasSubstr("\"Device.WiFi.SSID.1.SSID\" \"xsd:string\" \"guest\"")));
}

TEST_F(DbusService, SetWithOneBadValueFailsWithInvalidArgumentsAndChangesNothing) {
  auto connection = client();
  bus::DataModelProxy model(*connection);
  {
    const auto e = dbusErrorOf([&] {
      model.SetParameterValues({{"Device.WiFi.SSID.1.SSID", "guest"},
                                {"Device.ManagementServer.PeriodicInformInterval", "soon"}});
    });
    ASSERT_TRUE(e) << "the set was accepted";
    EXPECT_EQ(e->getName(), "org.cwmpd.Fault.InvalidArguments");
    EXPECT_THAT(e->getMessage(), StartsWith("9003 Invalid arguments"));
    EXPECT_THAT(e->getMessage(),
                HasSubstr("Device.ManagementServer.PeriodicInformInterval: 9007 Invalid "
                          "parameter value: 'soon' is not a valid xsd:unsignedInt"));
  }
  const auto values = model.GetParameterValues({"Device.WiFi.SSID.1.SSID"});
  ASSERT_EQ(values.size(), 1u);
  EXPECT_EQ(values[0].get<2>(), "home");
}

TEST_F(DbusService, UnknownNameIsAnInvalidParameterNameErrorWithTheCwmpCode) {
  auto connection = client();
  bus::DataModelProxy model(*connection);
  {
    const auto e = dbusErrorOf([&] { (void)model.GetParameterValues({"Device.Foo."}); });
    ASSERT_TRUE(e) << "an unknown name was accepted";
    EXPECT_EQ(e->getName(), "org.cwmpd.Fault.InvalidParameterName");
    EXPECT_EQ(e->getMessage(), "9005 Invalid parameter name: Device.Foo.");
  }
  const auto r = busctl({"call", "org.cwmpd", "/org/cwmpd/DataModel", "org.cwmpd.DataModel1",
                         "GetParameterValues", "as", "1", "Device.Foo."});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_THAT(r.err, HasSubstr("9005 Invalid parameter name: Device.Foo."));
}

TEST_F(DbusService, SettingAReadOnlyParameterIsRefusedWithItsOwnCode) {
  auto connection = client();
  bus::DataModelProxy model(*connection);
  {
    const auto e = dbusErrorOf([&] {
      model.SetParameterValues({{"Device.DeviceInfo.Manufacturer", "Evil"}});
    });
    ASSERT_TRUE(e) << "a read-only parameter was set";
    EXPECT_EQ(e->getName(), "org.cwmpd.Fault.InvalidArguments");
    EXPECT_THAT(e->getMessage(), HasSubstr("Device.DeviceInfo.Manufacturer: 9008 "));
  }
}

TEST_F(DbusService, AnEngineFailureThatIsNotAFaultIsAnInternalErrorWithoutItsDetails) {
  auto connection = client();
  bus::DataModelProxy model(*connection);
  {
    const auto e = dbusErrorOf([&] { (void)model.GetParameterValues({"Device.X_ACME_Debug."}); });
    ASSERT_TRUE(e) << "the failure was hidden";
    EXPECT_EQ(e->getName(), "org.cwmpd.Fault.InternalError");
    EXPECT_EQ(e->getMessage(), "9002 Internal error");
  }
  const auto log = service_.log();
  EXPECT_TRUE(std::any_of(log.begin(), log.end(), [](const std::string& line) {
    return line.find("sensor read failed") != std::string::npos;
  }));
}

TEST_F(DbusService, ValuesThatAreNotUtf8AreRepairedInsteadOfBreakingTheReply) {
  service_.onLoop([this] {
    service_.model.addParameter("Device.WiFi.SSID.2.SSID", sdk::ParamType::String, "caf\xE9");
    return 0;
  });
  auto connection = client();
  bus::DataModelProxy model(*connection);
  const auto values = model.GetParameterValues({"Device.WiFi.SSID.2.SSID"});
  ASSERT_EQ(values.size(), 1u);
  EXPECT_EQ(values[0].get<2>(), "caf\xEF\xBF\xBD");
}

TEST_F(DbusService, ChangesMadeOverDbusReachTheEngineAsBusChanges) {
  auto connection = client();
  bus::DataModelProxy model(*connection);
  model.SetParameterValues({{"Device.WiFi.SSID.1.Enable", "true"}});
  EXPECT_EQ(service_.onLoop([this] { return service_.model.lastSource(); }), sdk::Source::Bus);
  (void)model.AddObject("Device.Hosts.Host.");
  EXPECT_EQ(service_.onLoop([this] { return service_.model.lastSource(); }), sdk::Source::Bus);
}

TEST_F(DbusService, EveryEngineCallRunsOnTheLoopThread) {
  auto connection = client();
  bus::DataModelProxy model(*connection);
  (void)model.GetParameterValues({"Device.DeviceInfo."});
  model.SetParameterValues({{"Device.WiFi.SSID.1.Enable", "true"}});
  (void)model.GetParameterNames("Device.", false);
  const auto threads = service_.onLoop([this] { return service_.model.callingThreads(); });
  EXPECT_THAT(threads, ElementsAre(service_.loopThread()));
}

TEST_F(DbusService, AddObjectReturnsTheNewInstanceAndDeleteObjectRemovesIt) {
  auto connection = client();
  bus::DataModelProxy model(*connection);
  EXPECT_EQ(model.AddObject("Device.Hosts.Host."), 1u);
  EXPECT_EQ(model.AddObject("Device.Hosts.Host."), 2u);
  EXPECT_EQ(model.GetParameterValues({"Device.Hosts.Host.2."}).size(), 2u);
  model.DeleteObject("Device.Hosts.Host.2.");
  {
    const auto e = dbusErrorOf([&] { (void)model.GetParameterValues({"Device.Hosts.Host.2."}); });
    ASSERT_TRUE(e) << "the instance is still there";
    EXPECT_EQ(e->getName(), "org.cwmpd.Fault.InvalidParameterName");
  }
  EXPECT_EQ(model.GetParameterValues({"Device.Hosts.Host.1."}).size(), 2u);
}

TEST_F(DbusService, GetParameterNamesListsTheNextLevelWithWritability) {
  auto connection = client();
  bus::DataModelProxy model(*connection);
  const auto names = model.GetParameterNames("Device.ManagementServer.", true);
  std::vector<std::pair<std::string, bool>> got;
  for (const auto& n : names) got.emplace_back(n.get<0>(), n.get<1>());
  EXPECT_THAT(
      got,
      ElementsAre(
          std::pair<std::string, bool>{"Device.ManagementServer.PeriodicInformEnable", true},
          std::pair<std::string, bool>{"Device.ManagementServer.PeriodicInformInterval", true}));
}

TEST_F(DbusService, SetParameterAttributesSetsNotificationAndAccessListTogether) {
  auto connection = client();
  bus::DataModelProxy model(*connection);
  model.SetParameterAttributes({{"Device.DeviceInfo.SoftwareVersion", 2, {"Subscriber"}}});
  auto attributes = model.GetParameterAttributes({"Device.DeviceInfo.SoftwareVersion"});
  ASSERT_EQ(attributes.size(), 1u);
  EXPECT_EQ(attributes[0].get<1>(), 2);
  EXPECT_THAT(attributes[0].get<2>(), ElementsAre("Subscriber"));

  model.SetParameterAttributes({{"Device.DeviceInfo.SoftwareVersion", 1, {}}});
  attributes = model.GetParameterAttributes({"Device.DeviceInfo.SoftwareVersion"});
  EXPECT_EQ(attributes[0].get<1>(), 1);
  EXPECT_TRUE(attributes[0].get<2>().empty());
}

TEST_F(DbusService, ActiveNotificationTheDefinitionDeniesIsNotificationRequestRejected) {
  auto connection = client();
  bus::DataModelProxy model(*connection);
  {
    const auto e = dbusErrorOf([&] {
      model.SetParameterAttributes({{"Device.WiFi.SSID.1.SSID", 2, {}}});
    });
    ASSERT_TRUE(e) << "the request was accepted";
    EXPECT_EQ(e->getName(), "org.cwmpd.Fault.NotificationRequestRejected");
    EXPECT_THAT(e->getMessage(), StartsWith("9009 "));
  }
}

TEST_F(DbusService, ValueChangedIsSignalledForChangesFromTheBusAndFromPlugins) {
  auto connection = client();
  std::vector<std::vector<bus::ValueTuple>> seen;
  bus::DataModelProxy subscriber(*connection,
                                 [&](const auto& changes) { seen.push_back(changes); });

  auto other = client();
  bus::DataModelProxy model(*other);
  model.SetParameterValues(
      {{"Device.WiFi.SSID.1.SSID", "guest"}, {"Device.WiFi.SSID.1.Enable", "true"}});
  ASSERT_TRUE(pumpUntil(*connection, [&] { return seen.size() == 1; }));
  EXPECT_THAT(seen[0],
              ElementsAre(bus::ValueTuple{"Device.WiFi.SSID.1.SSID", "xsd:string", "guest"},
                          bus::ValueTuple{"Device.WiFi.SSID.1.Enable", "xsd:boolean", "true"}));

  // Outside any D-Bus call: the service must flush the signal from its own loop.
  service_.onLoop([this] { service_.model.pluginChange("Device.DeviceInfo.UpTime", "43"); });
  ASSERT_TRUE(pumpUntil(*connection, [&] { return seen.size() == 2; }));
  EXPECT_THAT(seen[1],
              ElementsAre(bus::ValueTuple{"Device.DeviceInfo.UpTime", "xsd:unsignedInt", "43"}));
}

// The signal is written without a copy of the changes; a value that is not UTF-8 (or holds
// a NUL, which a D-Bus string cannot) is repaired as in GetParameterValues, and the valid
// changes of the same list still come with it.
TEST_F(DbusService, ValueChangedRepairsValuesThatAreNotUtf8) {
  auto connection = client();
  std::vector<std::vector<bus::ValueTuple>> seen;
  bus::DataModelProxy subscriber(*connection,
                                 [&](const auto& changes) { seen.push_back(changes); });
  service_.onLoop([this] {
    service_.model.addParameter("Device.WiFi.SSID.2.SSID", sdk::ParamType::String, "x");
    service_.model.pluginChange("Device.WiFi.SSID.2.SSID", "caf\xE9");
    service_.model.pluginChange("Device.WiFi.SSID.2.SSID", std::string("a\0b", 3));
    service_.model.pluginChange("Device.WiFi.SSID.2.SSID", "ok");
  });
  ASSERT_TRUE(pumpUntil(*connection, [&] { return seen.size() == 3; }));
  EXPECT_THAT(seen[0], ElementsAre(bus::ValueTuple{"Device.WiFi.SSID.2.SSID", "xsd:string",
                                                   "caf\xEF\xBF\xBD"}));
  EXPECT_THAT(seen[1], ElementsAre(bus::ValueTuple{"Device.WiFi.SSID.2.SSID", "xsd:string",
                                                   "a\xEF\xBF\xBD"
                                                   "b"}));
  EXPECT_THAT(seen[2], ElementsAre(bus::ValueTuple{"Device.WiFi.SSID.2.SSID", "xsd:string", "ok"}));
}

// Changes made on a thread the model is lent to (an ACS session's set) are signalled by
// the loop once it has the model back (issue 15: the lent thread answers its request
// meanwhile), with the same contents, after what the loop signalled before and before
// what it signals after.
TEST_F(DbusService, ValueChangedOfLentWorkIsSentByTheLoopOnceTheModelIsBackInOrder) {
  auto connection = client();
  std::vector<std::vector<bus::ValueTuple>> seen;
  bus::DataModelProxy subscriber(*connection,
                                 [&](const auto& changes) { seen.push_back(changes); });
  service_.onLoop([this] { service_.model.pluginChange("Device.DeviceInfo.UpTime", "43"); });
  ASSERT_TRUE(pumpUntil(*connection, [&] { return seen.size() == 1; }));
  bool sentWhileLent = true;
  service_.onLentThread([&] {
    service_.model.pluginChange("Device.DeviceInfo.UpTime", "44");
    service_.model.pluginChange("Device.WiFi.SSID.1.SSID", "caf\xE9");
    sentWhileLent = pumpUntil(
        *connection, [&] { return seen.size() > 1; }, std::chrono::milliseconds(300));
  });
  EXPECT_FALSE(sentWhileLent) << "signalled while the loop waited for the model";
  service_.onLoop([this] { service_.model.pluginChange("Device.DeviceInfo.UpTime", "45"); });
  ASSERT_TRUE(pumpUntil(*connection, [&] { return seen.size() == 4; }));
  EXPECT_THAT(seen[1],
              ElementsAre(bus::ValueTuple{"Device.DeviceInfo.UpTime", "xsd:unsignedInt", "44"}));
  EXPECT_THAT(seen[2], ElementsAre(bus::ValueTuple{"Device.WiFi.SSID.1.SSID", "xsd:string",
                                                   "caf\xEF\xBF\xBD"}));
  EXPECT_THAT(seen[3],
              ElementsAre(bus::ValueTuple{"Device.DeviceInfo.UpTime", "xsd:unsignedInt", "45"}));
}

TEST_F(DbusService, ARefusedSetEmitsNoValueChanged) {
  auto connection = client();
  int signals = 0;
  bus::DataModelProxy subscriber(*connection, [&](const auto&) { ++signals; });
  auto other = client();
  bus::DataModelProxy model(*other);
  EXPECT_THROW(model.SetParameterValues({{"Device.WiFi.SSID.1.Enable", "maybe"}}), sdbus::Error);
  // A later accepted change is the first signal the subscriber gets.
  model.SetParameterValues({{"Device.WiFi.SSID.1.SSID", "x"}});
  ASSERT_TRUE(pumpUntil(*connection, [&] { return signals >= 1; }));
  pumpUntil(
      *connection, [] { return false; }, std::chrono::milliseconds(100));
  EXPECT_EQ(signals, 1);
}

TEST_F(DbusService, InformQueuesTheEventsAndUnknownEventsAreInvalidArguments) {
  auto connection = client();
  bus::AgentProxy agent(*connection);
  agent.Inform({"X CT-COM BIND"});
  EXPECT_EQ(service_.onLoop([this] { return service_.agent.informs(); }),
            std::vector<std::vector<std::string>>{{"X CT-COM BIND"}});
  EXPECT_THAT(agent.PendingEvents(), ElementsAre("X CT-COM BIND"));
  {
    const auto e = dbusErrorOf([&] { agent.Inform({"X NOBODY KNOWS"}); });
    ASSERT_TRUE(e) << "an unknown event was accepted";
    EXPECT_EQ(e->getName(), "org.cwmpd.Fault.InvalidArguments");
    EXPECT_EQ(e->getMessage(), "9003 Invalid arguments: unknown event code 'X NOBODY KNOWS'");
  }
}

TEST_F(DbusService, ScheduleInformReachesTheAgent) {
  auto connection = client();
  bus::AgentProxy agent(*connection);
  agent.ScheduleInform(30, "key-1");
  const auto scheduled = service_.onLoop([this] { return service_.agent.scheduled(); });
  ASSERT_EQ(scheduled.size(), 1u);
  EXPECT_EQ(scheduled[0], (std::pair<std::uint32_t, std::string>{30, "key-1"}));
}

TEST_F(DbusService, AgentPropertiesAndSessionSignalsFollowTheSession) {
  auto connection = client();
  std::vector<bool> sessions;
  bus::AgentProxy agent(*connection, [&](bool started) { sessions.push_back(started); });
  EXPECT_EQ(agent.AcsUrl(), "http://127.0.0.1:7547/acs");
  EXPECT_EQ(agent.SessionState(), "Idle");
  EXPECT_EQ(agent.LastInformTime(), "");
  EXPECT_THAT(agent.Plugins(), ElementsAre("deviceinfo", "wan"));

  service_.onLoop([this] { service_.agent.startSession(); });
  ASSERT_TRUE(pumpUntil(*connection, [&] { return sessions.size() == 1; }));
  EXPECT_EQ(agent.SessionState(), "InSession");
  service_.onLoop([this] { service_.agent.endSession(); });
  ASSERT_TRUE(pumpUntil(*connection, [&] { return sessions.size() == 2; }));
  EXPECT_THAT(sessions, ElementsAre(true, false));
  EXPECT_EQ(agent.SessionState(), "Idle");
  EXPECT_EQ(agent.LastInformTime(), "2026-11-25T12:00:00Z");
}

TEST_F(DbusService, StoppingTheServiceLeavesTheBus) {
  service_.stop();
  EXPECT_TRUE(eventually([this] {
    const auto r = busctl({"call", "org.cwmpd", "/org/cwmpd/DataModel", "org.cwmpd.DataModel1",
                           "GetParameterValues", "as", "1", "Device."});
    return r.exitCode != 0 && r.err.find("org.cwmpd") != std::string::npos;
  }));
}

}  // namespace
}  // namespace cwmpd::testing
