// Every CPE RPC end to end: ACS XML -> decoder -> dispatcher -> engine -> encoder, with
// the answer validated against the official CWMP schema and decoded again to check it
// says what the engine did.
#include <gtest/gtest.h>

#include "cwmpd/core/engine.hpp"
#include "cwmpd/core/rpc_dispatcher.hpp"
#include "cwmpd/core/soap/decoder.hpp"
#include "cwmpd/core/soap/encoder.hpp"
#include "schema_validator.hpp"
#include "test_support.hpp"

namespace soap = cwmpd::core::soap;
using cwmpd::core::Engine;
using cwmpd::core::RpcDispatcher;
using cwmpd::core::Store;

namespace {

const char* kManagement =
    R"(<dm:document xmlns:dm="urn:broadband-forum-org:cwmp:datamodel-1-14"><model name="Device:2.17">
  <object name="Device.ManagementServer." access="readOnly" minEntries="1" maxEntries="1">
    <parameter name="ParameterKey" access="readOnly"><syntax><string><size maxLength="32"/></string></syntax></parameter>
  </object></model></dm:document>)";

std::string envelope(const std::string& ns, const std::string& body) {
  return R"(<?xml version="1.0" encoding="UTF-8"?><soap-env:Envelope xmlns:soap-enc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:cwmp="urn:dslforum-org:)" +
         ns +
         R"("><soap-env:Header><cwmp:ID soap-env:mustUnderstand="1">req-42</cwmp:ID></soap-env:Header><soap-env:Body>)" +
         body + "</soap-env:Body></soap-env:Envelope>";
}

struct Rpc : ::testing::TestWithParam<std::string> {
  cwmpd::testing::TempDir dir;
  Store store{dir.file("m.db")};
  std::unique_ptr<Engine> engine;
  std::unique_ptr<RpcDispatcher> rpc;
  std::vector<std::string> actions;

  void SetUp() override {
    CWMPD_REQUIRE_BBF_SCHEMAS();
    engine = std::make_unique<Engine>("Device", store);
    engine->addDefinitions(cwmpd::testing::testModel());
    engine->addDefinitions(kManagement);
    engine->finalize();
    rpc = std::make_unique<RpcDispatcher>(*engine);
    rpc->provide<soap::Reboot>([this](const soap::Reboot& r) {
      actions.push_back("reboot " + r.commandKey);
      return soap::RebootResponse{};
    });
    rpc->provide<soap::FactoryReset>([this](const soap::FactoryReset&) {
      actions.push_back("factory reset");
      return soap::FactoryResetResponse{};
    });
    rpc->provide<soap::ScheduleInform>([this](const soap::ScheduleInform& r) {
      actions.push_back("schedule " + std::to_string(r.delaySeconds) + " " + r.commandKey);
      return soap::ScheduleInformResponse{};
    });
    rpc->provideVendor("X_0000C0_Ping", [](const soap::VendorMethod& m) {
      soap::VendorMethodResponse r;
      r.name = "X_0000C0_PingResponse";
      r.arguments = m.arguments;
      return r;
    });
  }

  // Runs one request; returns the decoded answer after checking it against the schema.
  soap::Envelope call(const std::string& body, const std::string& expected) {
    const std::string ns = GetParam();
    auto in = soap::decode(envelope(ns, body));
    EXPECT_TRUE(in.ok()) << (in.ok() ? "" : in.error().message);
    if (!in.ok()) return {};
    soap::Envelope out;
    out.ns = in.envelope().ns;
    out.header.id = in.envelope().header.id;
    out.body = rpc->handle(in.envelope().body);
    const std::string xml = soap::encode(out);
    EXPECT_TRUE(cwmpd::test::isValidCwmp(xml, expected)) << xml;
    auto back = soap::decode(xml);
    EXPECT_TRUE(back.ok());
    if (!back.ok()) return {};
    EXPECT_EQ(back.envelope().header.id, std::optional<std::string>("req-42"));
    return back.envelope();
  }
  int faultOf(const soap::Envelope& e) {
    auto* f = std::get_if<soap::Fault>(&e.body);
    return f ? f->code : 0;
  }
};

TEST_P(Rpc, GetRPCMethodsListsOnlyWhatIsSupported) {
  auto e = call("<cwmp:GetRPCMethods/>", "GetRPCMethodsResponse");
  auto& m = std::get<soap::GetRPCMethodsResponse>(e.body).methodList;
  auto has = [&](const char* n) { return std::find(m.begin(), m.end(), n) != m.end(); };
  EXPECT_TRUE(has("GetParameterValues") && has("Reboot") && has("ScheduleInform") &&
              has("X_0000C0_Ping"));
  EXPECT_FALSE(has("Download") || has("ChangeDUState") || has("Upload"));
}

TEST_P(Rpc, GetParameterValuesOfFullAndPartialNames) {
  auto e = call(
      R"(<cwmp:GetParameterValues><ParameterNames soap-enc:arrayType="xsd:string[2]"><string>Device.Test.Name</string><string>Device.Test.Item.</string></ParameterNames></cwmp:GetParameterValues>)",
      "GetParameterValuesResponse");
  auto& l = std::get<soap::GetParameterValuesResponse>(e.body).parameterList;
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].name, "Device.Test.Name");
  EXPECT_EQ(l[0].value, "init");
  EXPECT_EQ(l[0].type, "xsd:string");
  e = call(
      R"(<cwmp:GetParameterValues><ParameterNames soap-enc:arrayType="xsd:string[1]"><string>Device.Test.</string></ParameterNames></cwmp:GetParameterValues>)",
      "GetParameterValuesResponse");
  EXPECT_GT(std::get<soap::GetParameterValuesResponse>(e.body).parameterList.size(), 10u);
}

TEST_P(Rpc, GetParameterValuesOfAnInvalidNameIsFault9005) {
  auto e = call(
      R"(<cwmp:GetParameterValues><ParameterNames soap-enc:arrayType="xsd:string[1]"><string>Device.Nope.</string></ParameterNames></cwmp:GetParameterValues>)",
      "Fault");
  EXPECT_EQ(faultOf(e), 9005);
  EXPECT_EQ(std::get<soap::Fault>(e.body).faultcode, "Client");
}

TEST_P(Rpc, SetParameterValuesAppliesAndStoresTheParameterKey) {
  auto e = call(
      R"(<cwmp:SetParameterValues><ParameterList soap-enc:arrayType="cwmp:ParameterValueStruct[2]"><ParameterValueStruct><Name>Device.Test.Name</Name><Value xsi:type="xsd:string">a&amp;b</Value></ParameterValueStruct><ParameterValueStruct><Name>Device.Test.Flag</Name><Value xsi:type="xsd:boolean">1</Value></ParameterValueStruct></ParameterList><ParameterKey>pk-1</ParameterKey></cwmp:SetParameterValues>)",
      "SetParameterValuesResponse");
  EXPECT_EQ(std::get<soap::SetParameterValuesResponse>(e.body).status, 0);
  EXPECT_EQ(engine->getValues({"Device.Test.Name"})[0].value, "a&b");
  EXPECT_EQ(engine->getValues({"Device.Test.Flag"})[0].value, "true");
  EXPECT_EQ(engine->getValues({"Device.ManagementServer.ParameterKey"})[0].value, "pk-1");
}

TEST_P(Rpc, SetParameterValuesFaultListsEveryFailingParameter) {
  auto e = call(
      R"(<cwmp:SetParameterValues><ParameterList soap-enc:arrayType="cwmp:ParameterValueStruct[3]"><ParameterValueStruct><Name>Device.Test.Level</Name><Value xsi:type="xsd:int">99</Value></ParameterValueStruct><ParameterValueStruct><Name>Device.Test.Version</Name><Value xsi:type="xsd:string">2</Value></ParameterValueStruct><ParameterValueStruct><Name>Device.Test.Name</Name><Value xsi:type="xsd:string">ok</Value></ParameterValueStruct></ParameterList><ParameterKey></ParameterKey></cwmp:SetParameterValues>)",
      "Fault");
  ASSERT_EQ(faultOf(e), 9003);
  auto& f = std::get<soap::Fault>(e.body).setParameterValuesFaults;
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].parameterName, "Device.Test.Level");
  EXPECT_EQ(f[0].faultCode, 9007);
  EXPECT_EQ(f[1].faultCode, 9008);
  EXPECT_EQ(engine->getValues({"Device.Test.Name"})[0].value, "init");
}

TEST_P(Rpc, SetParameterValuesWithADuplicateOrAWrongTypeIsRefused) {
  auto dup = call(
      R"(<cwmp:SetParameterValues><ParameterList soap-enc:arrayType="cwmp:ParameterValueStruct[2]"><ParameterValueStruct><Name>Device.Test.Name</Name><Value xsi:type="xsd:string">a</Value></ParameterValueStruct><ParameterValueStruct><Name>Device.Test.Name</Name><Value xsi:type="xsd:string">b</Value></ParameterValueStruct></ParameterList><ParameterKey></ParameterKey></cwmp:SetParameterValues>)",
      "Fault");
  EXPECT_EQ(faultOf(dup), 9003);
  auto type = call(
      R"(<cwmp:SetParameterValues><ParameterList soap-enc:arrayType="cwmp:ParameterValueStruct[1]"><ParameterValueStruct><Name>Device.Test.Flag</Name><Value xsi:type="xsd:dateTime">2026-01-01T00:00:00Z</Value></ParameterValueStruct></ParameterList><ParameterKey></ParameterKey></cwmp:SetParameterValues>)",
      "Fault");
  // TR-069 A.5.1: with SetParameterValuesFault entries the FaultCode is 9003; the
  // entry says why.
  EXPECT_EQ(faultOf(type), 9003);
  ASSERT_EQ(std::get<soap::Fault>(type.body).setParameterValuesFaults.size(), 1u);
  EXPECT_EQ(std::get<soap::Fault>(type.body).setParameterValuesFaults[0].faultCode, 9006);
}

TEST_P(Rpc, OneBadParameterStillGivesFault9003WithItsOwnCodeInTheEntry) {
  // TR-069 A.5.1: SetParameterValuesFault entries appear only with FaultCode 9003, so a
  // single refused parameter is 9003 at the top too, whatever its own code.
  const std::pair<const char*, int> cases[] = {
      {R"(<ParameterValueStruct><Name>Device.Test.Level</Name><Value xsi:type="xsd:int">99</Value></ParameterValueStruct>)",
       9007},
      {R"(<ParameterValueStruct><Name>Device.Test.Version</Name><Value xsi:type="xsd:string">2</Value></ParameterValueStruct>)",
       9008},
      {R"(<ParameterValueStruct><Name>Device.Test.Nope</Name><Value xsi:type="xsd:string">2</Value></ParameterValueStruct>)",
       9005},
  };
  for (const auto& [item, code] : cases) {
    auto e = call(
        std::string(
            R"(<cwmp:SetParameterValues><ParameterList soap-enc:arrayType="cwmp:ParameterValueStruct[1]">)") +
            item + "</ParameterList><ParameterKey></ParameterKey></cwmp:SetParameterValues>",
        "Fault");
    EXPECT_EQ(faultOf(e), 9003) << item;
    EXPECT_EQ(std::get<soap::Fault>(e.body).faultcode, "Client");
    const auto& entries = std::get<soap::Fault>(e.body).setParameterValuesFaults;
    ASSERT_EQ(entries.size(), 1u) << item;
    EXPECT_EQ(entries[0].faultCode, code);
  }
}

TEST_P(Rpc, GetParameterNamesFollowsNextLevel) {
  auto e = call(
      R"(<cwmp:GetParameterNames><ParameterPath>Device.Test.Item.</ParameterPath><NextLevel>false</NextLevel></cwmp:GetParameterNames>)",
      "GetParameterNamesResponse");
  auto& l = std::get<soap::GetParameterNamesResponse>(e.body).parameterList;
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].name, "Device.Test.Item.");
  EXPECT_TRUE(l[0].writable);
  e = call(
      R"(<cwmp:GetParameterNames><ParameterPath></ParameterPath><NextLevel>1</NextLevel></cwmp:GetParameterNames>)",
      "GetParameterNamesResponse");
  ASSERT_EQ(std::get<soap::GetParameterNamesResponse>(e.body).parameterList.size(), 1u);
  EXPECT_EQ(std::get<soap::GetParameterNamesResponse>(e.body).parameterList[0].name, "Device.");
}

TEST_P(Rpc, AttributesRoundTripAndActiveNotificationOnACounterIs9009) {
  auto e = call(
      R"(<cwmp:SetParameterAttributes><ParameterList soap-enc:arrayType="cwmp:SetParameterAttributesStruct[1]"><SetParameterAttributesStruct><Name>Device.Test.Name</Name><NotificationChange>1</NotificationChange><Notification>2</Notification><AccessListChange>1</AccessListChange><AccessList soap-enc:arrayType="xsd:string[1]"><string>Subscriber</string></AccessList></SetParameterAttributesStruct></ParameterList></cwmp:SetParameterAttributes>)",
      "SetParameterAttributesResponse");
  e = call(
      R"(<cwmp:GetParameterAttributes><ParameterNames soap-enc:arrayType="xsd:string[1]"><string>Device.Test.Name</string></ParameterNames></cwmp:GetParameterAttributes>)",
      "GetParameterAttributesResponse");
  auto& l = std::get<soap::GetParameterAttributesResponse>(e.body).parameterList;
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].notification, 2);
  EXPECT_EQ(l[0].accessList, std::vector<std::string>{"Subscriber"});
  e = call(
      R"(<cwmp:SetParameterAttributes><ParameterList soap-enc:arrayType="cwmp:SetParameterAttributesStruct[1]"><SetParameterAttributesStruct><Name>Device.Test.Counter</Name><NotificationChange>1</NotificationChange><Notification>2</Notification><AccessListChange>0</AccessListChange><AccessList soap-enc:arrayType="xsd:string[0]"></AccessList></SetParameterAttributesStruct></ParameterList></cwmp:SetParameterAttributes>)",
      "Fault");
  EXPECT_EQ(faultOf(e), 9009);
}

TEST_P(Rpc, AddAndDeleteObjectWithParameterKey) {
  auto e = call(
      R"(<cwmp:AddObject><ObjectName>Device.Test.Item.</ObjectName><ParameterKey>add-1</ParameterKey></cwmp:AddObject>)",
      "AddObjectResponse");
  EXPECT_EQ(std::get<soap::AddObjectResponse>(e.body).instanceNumber, 1u);
  EXPECT_EQ(engine->getValues({"Device.ManagementServer.ParameterKey"})[0].value, "add-1");
  e = call(
      R"(<cwmp:DeleteObject><ObjectName>Device.Test.Item.1.</ObjectName><ParameterKey>del-1</ParameterKey></cwmp:DeleteObject>)",
      "DeleteObjectResponse");
  EXPECT_EQ(std::get<soap::DeleteObjectResponse>(e.body).status, 0);
  EXPECT_FALSE(engine->exists("Device.Test.Item.1."));
  e = call(
      R"(<cwmp:DeleteObject><ObjectName>Device.Test.Item.1.</ObjectName><ParameterKey></ParameterKey></cwmp:DeleteObject>)",
      "Fault");
  EXPECT_EQ(faultOf(e), 9005);
}

TEST_P(Rpc, RebootFactoryResetAndScheduleInformReachTheAgent) {
  call("<cwmp:Reboot><CommandKey>rb-7</CommandKey></cwmp:Reboot>", "RebootResponse");
  call("<cwmp:FactoryReset/>", "FactoryResetResponse");
  call(
      "<cwmp:ScheduleInform><DelaySeconds>30</DelaySeconds><CommandKey>si</CommandKey></cwmp:ScheduleInform>",
      "ScheduleInformResponse");
  auto e = call(
      "<cwmp:ScheduleInform><DelaySeconds>0</DelaySeconds><CommandKey>x</CommandKey></cwmp:ScheduleInform>",
      "Fault");
  EXPECT_EQ(faultOf(e), 9003);
  EXPECT_EQ(actions, (std::vector<std::string>{"reboot rb-7", "factory reset", "schedule 30 si"}));
}

TEST_P(Rpc, MethodsNotSupportedAnswer9000AndVendorMethodsAreDispatched) {
  auto e = call(
      R"(<cwmp:Download><CommandKey>d</CommandKey><FileType>1 Firmware Upgrade Image</FileType><URL>http://127.0.0.1/x</URL><Username></Username><Password></Password><FileSize>0</FileSize><TargetFileName></TargetFileName><DelaySeconds>0</DelaySeconds><SuccessURL></SuccessURL><FailureURL></FailureURL></cwmp:Download>)",
      "Fault");
  EXPECT_EQ(faultOf(e), 9000);
  e = call("<cwmp:X_0000C0_Other><A>1</A></cwmp:X_0000C0_Other>", "Fault");
  EXPECT_EQ(faultOf(e), 9000);
  e = call("<cwmp:X_0000C0_Ping><Token>abc</Token></cwmp:X_0000C0_Ping>", "X_0000C0_PingResponse");
  auto& r = std::get<soap::VendorMethodResponse>(e.body);
  ASSERT_EQ(r.arguments.size(), 1u);
  EXPECT_EQ(r.arguments[0].name, "Token");
  EXPECT_EQ(r.arguments[0].value, "abc");
}

INSTANTIATE_TEST_SUITE_P(Namespaces, Rpc, ::testing::Values("cwmp-1-0", "cwmp-1-2"),
                         [](const auto& info) {
                           return info.param == "cwmp-1-0" ? std::string("Cwmp10")
                                                           : std::string("Cwmp12");
                         });

}  // namespace
