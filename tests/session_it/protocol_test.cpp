// The real cwmpd against the loopback test ACS: the CWMP 1.4 protocol features
// of issue 20 (version negotiation, SessionTimeout, ...). Every message the
// daemon sent is checked against the BBF schema of its namespace on teardown
// (DaemonIt): cwmp-1-0.xsd for a cwmp-1-0 session, cwmp-1-1.xsd for 1-1,
// cwmp-1-4.xsd for cwmp-1-2.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "it_support.hpp"

namespace cwmpd::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kGetRpcMethods = "<cwmp:GetRPCMethods></cwmp:GetRPCMethods>";
// A method of CWMP 1.2 (cwmp-1-2.xsd), unknown to 1.0 and 1.1.
constexpr const char* kScheduleDownload =
    "<cwmp:ScheduleDownload><CommandKey>k</CommandKey><FileType>1 Firmware "
    "Upgrade Image"
    "</FileType><URL>http://127.0.0.1:9/fw.bin</URL><Username></"
    "Username><Password></Password>"
    "<FileSize>0</FileSize><TargetFileName></TargetFileName>"
    "<TimeWindowList "
    "soap-enc:arrayType=\"cwmp:TimeWindowStruct[1]\"><TimeWindowStruct>"
    "<WindowStart>3600</WindowStart><WindowEnd>7200</WindowEnd>"
    "<WindowMode>1 At Any Time</WindowMode><UserMessage></UserMessage>"
    "<MaxRetries>0</MaxRetries></TimeWindowStruct></TimeWindowList></"
    "cwmp:ScheduleDownload>";

// The CPE's POST bodies after the first Inform, with the namespace each
// declares.
std::vector<std::string> laterBodies(TestAcs& acs) {
  std::vector<std::string> out;
  bool afterInform = false;
  for (auto& r : acs.requests()) {
    if (r.get<std::string>("method", "") != "POST") continue;
    const auto body = r.get<std::string>("body", "");
    if (afterInform && !body.empty()) out.push_back(body);
    afterInform = afterInform || bodyMethod(body) == "Inform";
  }
  return out;
}

bool lists(const std::string& body, const std::string& method) {
  return body.find(">" + method + "<") != std::string::npos;
}

class Protocol : public DaemonIt {
 protected:
  // The CPE's answers to the scripted RPCs of the first session.
  std::vector<Json> runFirstSession() {
    daemon_->start();
    EXPECT_TRUE(waitSessions(1));
    return acs_->results();
  }
};

// ---- version negotiation (TR-069 A.4.1, CWMP 1.4)
// ------------------------------------

TEST_F(Protocol, TheFirstInformOffersEveryVersionWithSupportedCwmpVersions) {
  runFirstSession();
  const auto sessions = acs_->sessions();
  ASSERT_FALSE(sessions.empty());
  EXPECT_EQ(sessions[0].get<std::string>("supported_versions", ""), "1.0,1.1,1.2,1.3,1.4");
  EXPECT_EQ(sessions[0].get<std::string>("inform_namespace", ""), "urn:dslforum-org:cwmp-1-2");
}

TEST_F(Protocol, AnAcsSpeakingOnlyCwmp10GetsCwmp10MessagesAndMethods) {
  acs_->configure(R"({"cwmp_version": "1.0"})");
  acs_->addRpc(kGetRpcMethods);
  acs_->addRpc(kScheduleDownload);
  const auto results = runFirstSession();
  ASSERT_EQ(results.size(), 2u);
  // The ACS refuses (400) any message of the session outside cwmp-1-0, so both
  // answers arriving means every message after the Inform was cwmp-1-0.
  for (const auto& body : laterBodies(*acs_))
    EXPECT_NE(body.find("urn:dslforum-org:cwmp-1-0"), std::string::npos) << body;
  const auto listing = results[0].get<std::string>("body");
  EXPECT_EQ(results[0].get<std::string>("method"), "GetRPCMethodsResponse");
  EXPECT_TRUE(lists(listing, "GetParameterValues")) << listing;
  // Methods of later versions are not part of a 1.0 session: not listed, not
  // answered.
  for (const char* later :
       {"ScheduleDownload", "CancelTransfer", "GetAllQueuedTransfers", "ChangeDUState"})
    EXPECT_FALSE(lists(listing, later)) << later << " listed in a CWMP 1.0 session:\n" << listing;
  EXPECT_EQ(results[1].get<std::string>("method"), "Fault");
  EXPECT_EQ(results[1].get<std::string>("fault_code"), "9000");
}

TEST_F(Protocol, UseCwmpVersionFromTheAcsIsTheVersionOfTheSession) {
  acs_->configure(R"({"cwmp_version": "1.4", "use_cwmp_version": "1.1"})");
  acs_->addRpc(kGetRpcMethods);
  const auto results = runFirstSession();
  ASSERT_EQ(results.size(), 1u);
  const auto listing = results[0].get<std::string>("body");
  EXPECT_NE(listing.find("urn:dslforum-org:cwmp-1-1"), std::string::npos) << listing;
  EXPECT_TRUE(lists(listing, "GetAllQueuedTransfers")) << "a 1.1 method:\n" << listing;
  EXPECT_FALSE(lists(listing, "ScheduleDownload")) << "a 1.2 method:\n" << listing;
}

TEST_F(Protocol, ANegotiatingAcsGetsCwmp14) {
  acs_->configure(R"({"cwmp_version": "1.4"})");
  acs_->addRpc(kGetRpcMethods);
  const auto results = runFirstSession();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(acs_->sessions().at(0).get<std::string>("namespace"), "urn:dslforum-org:cwmp-1-2");
  const auto listing = results[0].get<std::string>("body");
  EXPECT_TRUE(lists(listing, "ScheduleDownload")) << listing;
  EXPECT_TRUE(lists(listing, "GetAllQueuedTransfers")) << listing;
}

TEST_F(Protocol, AVersionWeDoNotSpeakEndsTheSessionAndTheEventsStayQueued) {
  acs_->configure(R"({"cwmp_version": "1.4", "use_cwmp_version": "2.0"})");
  daemon_->setTimeScale(0.1);  // the retry's back-off
  daemon_->start();
  ASSERT_TRUE(daemon_->waitForLog("which we do not support", 10s));
  ASSERT_TRUE(acs_->waitFor("sessions", 1, 10s));
  // No message after the InformResponse: the session was not continued.
  EXPECT_TRUE(laterBodies(*acs_).empty());
  acs_->configure(R"({"cwmp_version": "", "use_cwmp_version": ""})");
  // The retry carries the boot events again: they were not delivered.
  ASSERT_TRUE(acs_->waitFor("ended_sessions", 1, 30s));
  const auto all = informs(*acs_);
  ASSERT_GE(all.size(), 2u);
  const auto codes = eventCodes(all.back());
  EXPECT_NE(std::find(codes.begin(), codes.end(), "1 BOOT"), codes.end());
}

// An ACS of CWMP 1.0 that refuses the first Inform (in cwmp-1-2, with SupportedCWMPVersions)
// gets it again at once in cwmp-1-0, and the later sessions go straight to cwmp-1-0.
class VersionFallback : public Protocol, public ::testing::WithParamInterface<const char*> {};

TEST_P(VersionFallback, AnAcsThatRefusesTheNewerInformGetsItAgainInCwmp10) {
  acs_->configure(std::string(R"({"cwmp_version": "1.0", "refuse_other_versions": ")") +
                  GetParam() + "\"}");
  acs_->addRpc(kGetRpcMethods);
  acs_->addRpc(
      "<cwmp:ScheduleInform><DelaySeconds>1</DelaySeconds><CommandKey>again</CommandKey>"
      "</cwmp:ScheduleInform>");
  daemon_->start();
  ASSERT_TRUE(waitSessions(2, 15s));
  const auto sessions = acs_->sessions();
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(sessions[i].get<std::string>("inform_namespace", ""), "urn:dslforum-org:cwmp-1-0");
    EXPECT_EQ(sessions[i].get<std::string>("inform", "").find("SupportedCWMPVersions"),
              std::string::npos);
  }
  // The events went with the cwmp-1-0 Inform: the refused one delivered nothing.
  const auto codes = eventCodes(informs(*acs_).at(0));
  EXPECT_NE(std::find(codes.begin(), codes.end(), "1 BOOT"), codes.end());
  const auto results = acs_->results();
  ASSERT_GE(results.size(), 2u);
  EXPECT_EQ(results[0].get<std::string>("method"), "GetRPCMethodsResponse");
  EXPECT_NE(results[0].get<std::string>("body").find("urn:dslforum-org:cwmp-1-0"),
            std::string::npos);
  // Only the very first Inform was in cwmp-1-2.
  int newer = 0;
  for (auto& r : acs_->requests()) {
    const auto body = r.get<std::string>("body", "");
    newer +=
        bodyMethod(body) == "Inform" && body.find("urn:dslforum-org:cwmp-1-2") != std::string::npos;
  }
  EXPECT_EQ(newer, 1);
}

INSTANTIATE_TEST_SUITE_P(Refusals, VersionFallback, ::testing::Values("400", "8006"));

// ---- Heartbeat sessions (TR-069 Annex O)
// ----------------------------------------------

// One SetParameterValues of a few typed values.
std::string setValues(const std::vector<std::tuple<std::string, std::string, std::string>>& v,
                      const std::string& key) {
  std::string xml =
      "<cwmp:SetParameterValues><ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[" +
      std::to_string(v.size()) + "]\">";
  for (const auto& [name, type, value] : v)
    xml += "<ParameterValueStruct><Name>" + name + "</Name><Value xsi:type=\"" + type + "\">" +
           value + "</Value></ParameterValueStruct>";
  return xml + "</ParameterList><ParameterKey>" + key + "</ParameterKey></cwmp:SetParameterValues>";
}

// TR-069 Annex O: a Heartbeat session is the Inform and its InformResponse, nothing else.
// A request of the ACS in it is refused (9001) and changes nothing.
TEST_F(Protocol, TheAcsRequestsInAHeartbeatSessionAreRefused) {
  daemon_->setTimeScale(0.05);  // the 30 s reporting interval in 1.5 s
  acs_->addRpc(setValues(
      {{"Device.ManagementServer.HeartbeatPolicy.ReportingInterval", "xsd:unsignedInt", "30"},
       {"Device.ManagementServer.HeartbeatPolicy.Enable", "xsd:boolean", "true"}},
      "hb"));
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  acs_->addRpc(setValues({{"Device.DeviceInfo.ProvisioningCode", "xsd:string", "in-heartbeat"}},
                         "in-heartbeat"));
  acs_->addRpc(kGetRpcMethods);
  ASSERT_TRUE(waitSessions(3, 20s));
  const auto all = informs(*acs_);
  EXPECT_EQ(eventCodes(all.at(1)), std::vector<std::string>{"14 HEARTBEAT"});
  const auto results = acs_->results();
  ASSERT_GE(results.size(), 3u);
  EXPECT_EQ(results[0].get<std::string>("method"), "SetParameterValuesResponse");
  for (std::size_t i = 1; i < 3; ++i) {
    EXPECT_EQ(results[i].get<std::string>("method"), "Fault");
    EXPECT_EQ(results[i].get<std::string>("fault_code"), "9001");
  }
  // The refused set changed nothing: the next Inform still reports the old value.
  const auto code = parameterValue(all.at(2), "Device.DeviceInfo.ProvisioningCode");
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, "in-heartbeat");
  EXPECT_EQ(parameterValue(all.at(2), "Device.ManagementServer.ParameterKey").value_or("?"), "hb");
}

// ---- Alias-based addressing (TR-069 3.6.1, TR-181 ManagementServer)
// ---------------------------

// TR-069 3.6.1: AliasBasedAddressing is true in every Inform; with AutoCreateInstances a
// set naming "Table.[alias]." of no row creates it; in InstanceMode InstanceAlias every
// name the agent answers with names such rows by "[alias]"; every RPC takes "[alias]".
TEST_F(Protocol, AliasBasedAddressingInstanceAliasModeAndAutoCreatedRows) {
  const std::string ssid = "Device.WiFi.SSID.";
  acs_->addRpc(setValues({{"Device.ManagementServer.InstanceMode", "xsd:string", "InstanceAlias"},
                          {"Device.ManagementServer.AutoCreateInstances", "xsd:boolean", "true"}},
                         "alias-1"));
  acs_->addRpc(setValues({{ssid + "[guest].SSID", "xsd:string", "guest-net"}}, "alias-2"));
  acs_->addRpc("<cwmp:GetParameterNames><ParameterPath>" + ssid +
               "</ParameterPath><NextLevel>true</NextLevel></cwmp:GetParameterNames>");
  acs_->addRpc(
      "<cwmp:GetParameterValues><ParameterNames soap-enc:arrayType=\"xsd:string[1]\"><string>" +
      ssid + "[guest].Alias</string></ParameterNames></cwmp:GetParameterValues>");
  acs_->addRpc(
      "<cwmp:SetParameterAttributes><ParameterList "
      "soap-enc:arrayType=\"cwmp:SetParameterAttributesStruct[1]\"><SetParameterAttributesStruct>"
      "<Name>" +
      ssid +
      "[guest].SSID</Name><NotificationChange>true</NotificationChange>"
      "<Notification>1</Notification><AccessListChange>false</AccessListChange>"
      "<AccessList soap-enc:arrayType=\"xsd:string[0]\"></AccessList>"
      "</SetParameterAttributesStruct></ParameterList></cwmp:SetParameterAttributes>");
  acs_->addRpc(
      "<cwmp:GetParameterAttributes><ParameterNames soap-enc:arrayType=\"xsd:string[1]\"><string>" +
      ssid + "[guest].SSID</string></ParameterNames></cwmp:GetParameterAttributes>");
  acs_->addRpc("<cwmp:DeleteObject><ObjectName>" + ssid +
               "[guest].</ObjectName><ParameterKey>alias-3</ParameterKey></cwmp:DeleteObject>");
  acs_->addRpc(
      "<cwmp:GetParameterValues><ParameterNames soap-enc:arrayType=\"xsd:string[1]\"><string>" +
      ssid + "[guest].Alias</string></ParameterNames></cwmp:GetParameterValues>");
  const auto results = runFirstSession();
  ASSERT_EQ(results.size(), 8u);
  EXPECT_EQ(parameterValue(informs(*acs_).at(0), "Device.ManagementServer.AliasBasedAddressing")
                .value_or(""),
            "true");
  for (std::size_t i = 0; i < 7; ++i)
    EXPECT_NE(results[i].get<std::string>("method"), "Fault")
        << results[i].get<std::string>("body");
  const auto names = results[2].get<std::string>("body");
  EXPECT_NE(names.find("<Name>" + ssid + "[guest].</Name>"), std::string::npos) << names;
  // Every row has an Alias (the agent's are "cpe-N"): no instance number is left.
  for (char digit = '1'; digit <= '9'; ++digit)
    EXPECT_EQ(names.find(ssid + digit), std::string::npos) << names;
  const auto values = results[3].get<std::string>("body");
  EXPECT_NE(values.find("<Name>" + ssid + "[guest].Alias</Name>"), std::string::npos) << values;
  EXPECT_NE(values.find(">guest</Value>"), std::string::npos) << values;
  const auto attributes = results[5].get<std::string>("body");
  EXPECT_NE(attributes.find("<Name>" + ssid + "[guest].SSID</Name>"), std::string::npos)
      << attributes;
  // Deleted by alias: the name is unknown again.
  EXPECT_EQ(results[7].get<std::string>("fault_code"), "9005");
}

// TR-069 3.6.1, values that are paths (TR-106 pathRef: LowerLayers): the ACS may write
// them by "[alias]" (kept by number: InstanceNumber mode reads the number back, a
// plugin's check sees the path it knows); in InstanceMode InstanceAlias GetParameterValues
// and the Inform tell them by alias as they tell names.
TEST_F(Protocol, PathValuesAreWrittenByAliasAndToldByAliasInInstanceAliasMode) {
  const std::string ll = "Device.WiFi.SSID.1.LowerLayers";
  daemon_->set("cpe", "inform_parameters", ll);
  auto get = [](const std::string& name) {
    return "<cwmp:GetParameterValues><ParameterNames soap-enc:arrayType=\"xsd:string[1]\">"
           "<string>" +
           name + "</string></ParameterNames></cwmp:GetParameterValues>";
  };
  auto mode = [](const char* m, const std::string& key) {
    return setValues({{"Device.ManagementServer.InstanceMode", "xsd:string", m}}, key);
  };
  acs_->addRpc(setValues({{"Device.WiFi.Radio.1.Alias", "xsd:string", "radioA"}}, "p-1"));
  acs_->addRpc(mode("InstanceAlias", "p-2"));
  acs_->addRpc(setValues({{ll, "xsd:string", "Device.WiFi.Radio.[radioA]"}}, "p-3"));
  acs_->addRpc(setValues({{ll, "xsd:string", "Device.WiFi.Radio.[nope]"}}, "p-4"));
  acs_->addRpc(get(ll));
  acs_->addRpc(mode("InstanceNumber", "p-5"));
  acs_->addRpc(get(ll));
  acs_->addRpc(mode("InstanceAlias", "p-6"));
  acs_->addRpc(
      "<cwmp:ScheduleInform><DelaySeconds>1</DelaySeconds><CommandKey>again</CommandKey>"
      "</cwmp:ScheduleInform>");
  daemon_->start();
  ASSERT_TRUE(waitSessions(2, 15s));
  const auto results = acs_->results();
  ASSERT_GE(results.size(), 9u);
  for (std::size_t i : {0, 1, 2, 4, 5, 6, 7, 8})
    EXPECT_NE(results[i].get<std::string>("method"), "Fault")
        << i << ": " << results[i].get<std::string>("body");
  // An alias that names no row is no path of the tree: 9007 for the parameter.
  const auto refused = results[3].get<std::string>("body");
  EXPECT_NE(refused.find("<FaultCode>9007</FaultCode>"), std::string::npos) << refused;
  const auto byAlias = results[4].get<std::string>("body");
  EXPECT_NE(byAlias.find(">Device.WiFi.Radio.[radioA]</Value>"), std::string::npos) << byAlias;
  EXPECT_EQ(byAlias.find("Device.WiFi.SSID.1."), std::string::npos) << byAlias;
  const auto byNumber = results[6].get<std::string>("body");
  EXPECT_NE(byNumber.find("<Name>" + ll + "</Name>"), std::string::npos) << byNumber;
  EXPECT_NE(byNumber.find(">Device.WiFi.Radio.1</Value>"), std::string::npos) << byNumber;
  // The next Inform, in InstanceAlias mode again.
  const auto inform = informs(*acs_).at(1);
  EXPECT_NE(inform.find(">Device.WiFi.Radio.[radioA]</Value>"), std::string::npos) << inform;
  EXPECT_EQ(inform.find("Device.WiFi.SSID.1."), std::string::npos) << inform;
}

// ---- SessionTimeout (TR-069 A.4.1, CWMP 1.3)
// -----------------------------------------

TEST_F(Protocol, TheInformAdvertisesTheAgentsSessionTimeout) {
  daemon_->set("acs", "timeout", "17");
  runFirstSession();
  EXPECT_EQ(acs_->sessions().at(0).get<std::string>("session_timeout", ""), "17");
}

TEST_F(Protocol, AShorterSessionTimeoutFromTheAcsEndsASilentSession) {
  acs_->configure(R"({"session_timeout": 1})");
  // The ACS takes 4 s to answer the empty POST after the InformResponse.
  acs_->addResponses(R"([{"match": "", "delay": 4, "pass": true}])");
  daemon_->start();
  ASSERT_TRUE(daemon_->waitForLog("session 1 failed", 10s));
  EXPECT_TRUE(daemon_->waitForLog("HTTP failed", 1s));
}

TEST_F(Protocol, ALongerSessionTimeoutFromTheAcsIsHonoured) {
  daemon_->set("acs", "timeout", "1");
  acs_->configure(R"({"session_timeout": 20})");
  acs_->addResponses(R"([{"match": "", "delay": 3, "pass": true}])");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1, 15s));
  EXPECT_EQ(daemon_->log().find("session 1 failed"), std::string::npos);
}

// ---- Content-Encoding: gzip (RFC 7694, RFC 9110 8.4)
// -----------------------------------

constexpr const char* kGetAllValues =
    "<cwmp:GetParameterValues><ParameterNames "
    "soap-enc:arrayType=\"xsd:string[1]\">"
    "<string>Device.DeviceInfo.</string></ParameterNames></"
    "cwmp:GetParameterValues>";

// The request that carried the CPE's answer to the scripted RPC (not one the
// ACS refused).
Json answerRequest(TestAcs& acs, const std::string& method) {
  for (auto& r : acs.requests())
    if (bodyMethod(r.get<std::string>("body", "")) == method && r.get<int>("status", 0) != 415)
      return r;
  return {};
}

TEST_F(Protocol, LargeMessagesGoGzippedToAnAcsThatAcceptsGzip) {
  daemon_->set("acs", "gzip_threshold", "2000");
  acs_->configure(R"({"accept_gzip": true})");
  acs_->addRpc(kGetAllValues);
  acs_->addRpc(kGetRpcMethods);
  runFirstSession();
  const auto big = answerRequest(*acs_, "GetParameterValuesResponse");
  ASSERT_FALSE(big.empty());
  EXPECT_EQ(big.get<std::string>("headers.content-encoding", ""), "gzip");
  EXPECT_LT(big.get<std::size_t>("wire_bytes"), big.get<std::string>("body").size());
  // Below the threshold: plain.
  const auto small = answerRequest(*acs_, "GetRPCMethodsResponse");
  ASSERT_FALSE(small.empty());
  EXPECT_LT(small.get<std::string>("body").size(), 2000u);
  EXPECT_EQ(small.get<std::string>("headers.content-encoding", ""), "");
}

TEST_F(Protocol, NothingGoesGzippedToAnAcsThatNeverSaidItAcceptsGzip) {
  daemon_->set("acs", "gzip_threshold", "2000");
  acs_->addRpc(kGetAllValues);
  runFirstSession();
  const auto big = answerRequest(*acs_, "GetParameterValuesResponse");
  ASSERT_FALSE(big.empty());
  EXPECT_GT(big.get<std::string>("body").size(), 2000u);
  EXPECT_EQ(big.get<std::string>("headers.content-encoding", ""), "");
}

TEST_F(Protocol, AGzipBodyRefusedWith415GoesAgainUncompressed) {
  daemon_->set("acs", "gzip_threshold", "512");
  // The ACS claims gzip in its InformResponse but refuses gzip bodies (415).
  acs_->addResponses(
      R"([{"match": "Inform", "pass": true, "headers": {"Accept-Encoding": "gzip"}}])");
  acs_->addRpc(kGetAllValues);
  const auto results = runFirstSession();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].get<std::string>("method"), "GetParameterValuesResponse");
  int refused = 0;
  for (auto& r : acs_->requests()) refused += r.get<int>("status", 0) == 415;
  EXPECT_EQ(refused, 1);
}

TEST_F(Protocol, GzipAnswersOfTheAcsAreRead) {
  acs_->configure(R"({"gzip_responses": true})");
  acs_->addRpc(kGetRpcMethods);
  const auto results = runFirstSession();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].get<std::string>("method"), "GetRPCMethodsResponse");
  const auto inform = acs_->requests().at(0);
  EXPECT_NE(inform.get<std::string>("headers.accept-encoding", "").find("gzip"), std::string::npos);
}

TEST_F(Protocol, AGzipBombHitsTheBodySizeLimit) {
  daemon_->set("session", "max_body_bytes", "65536");
  // A few kilobytes on the wire, 8 MiB inflated.
  acs_->addResponses(R"([{"match": "", "gzip_bomb": 8388608}])");
  daemon_->start();
  ASSERT_TRUE(daemon_->waitForLog("session 1 failed", 10s));
  EXPECT_TRUE(daemon_->waitForLog("response body larger than 65536 bytes", 1s));
}

// ---- RequestDownload and Kicked over D-Bus (org.cwmpd.Agent1, cwmpctl)
// ------------------

class ProtocolBus : public Protocol {
 protected:
  void SetUp() override {
    Protocol::SetUp();
    bus_ = std::make_unique<PrivateDbus>(dir_);
    daemon_->set("bus", "address", bus_->address());
  }
  void TearDown() override {
    Protocol::TearDown();
    bus_.reset();
  }
  // cwmpctl ARGS once the daemon serves the bus (its first session is over by
  // then).
  std::pair<int, std::string> ctl(const std::vector<std::string>& args) {
    auto result = runCwmpctl(bus_->address(), {"status"});
    for (int tries = 0; result.first != 0 && tries < 100; ++tries) {
      std::this_thread::sleep_for(50ms);
      result = runCwmpctl(bus_->address(), {"status"});
    }
    if (result.first != 0) return result;
    return runCwmpctl(bus_->address(), args);
  }
  // The CPE request of that method the ACS received, "" when none.
  std::string cpeRequest(const std::string& method) {
    for (auto& r : acs_->requests())
      if (bodyMethod(r.get<std::string>("body", "")) == method) return r.get<std::string>("body");
    return {};
  }
  std::unique_ptr<PrivateDbus> bus_;
};

TEST_F(ProtocolBus, RequestDownloadAskedOverDbusReachesTheAcsInTheNextSession) {
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  auto [code, out] =
      ctl({"request-download", "3 Vendor Configuration File", "Version=2.1", "Profile=home"});
  ASSERT_EQ(code, 0) << out;
  ASSERT_TRUE(waitSessions(2));
  const auto codes = eventCodes(informs(*acs_).at(1));
  EXPECT_NE(std::find(codes.begin(), codes.end(), "9 REQUEST DOWNLOAD"), codes.end());
  const std::string request = cpeRequest("RequestDownload");
  ASSERT_FALSE(request.empty());
  EXPECT_NE(request.find("<FileType>3 Vendor Configuration File</FileType>"), std::string::npos)
      << request;
  EXPECT_NE(request.find("<Name>Version</Name><Value>2.1</Value>"), std::string::npos) << request;
  EXPECT_NE(request.find("<Name>Profile</Name>"), std::string::npos) << request;
  // Refused before it is queued: an empty FileType (TR-069 A.4.2.2).
  auto [bad, badOut] = ctl({"request-download", ""});
  EXPECT_NE(bad, 0);
  EXPECT_NE(badOut.find("9003"), std::string::npos) << badOut;
}

TEST_F(ProtocolBus, KickedOverDbusReachesTheAcsInTheNextSession) {
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  auto [code, out] =
      ctl({"kicked", "start", "http://portal.example/", "plan=gold", "http://portal.example/done"});
  ASSERT_EQ(code, 0) << out;
  ASSERT_TRUE(waitSessions(2));
  const auto codes = eventCodes(informs(*acs_).at(1));
  EXPECT_NE(std::find(codes.begin(), codes.end(), "5 KICKED"), codes.end());
  const std::string request = cpeRequest("Kicked");
  ASSERT_FALSE(request.empty());
  EXPECT_NE(request.find("<Command>start</Command>"), std::string::npos) << request;
  EXPECT_NE(request.find("<Arg>plan=gold</Arg>"), std::string::npos) << request;
  auto [bad, badOut] = ctl({"kicked", std::string(33, 'c'), "", "", ""});
  EXPECT_NE(bad, 0);
  EXPECT_NE(badOut.find("9003"), std::string::npos) << badOut;
}

// TR-069 Table 7: "9 REQUEST DOWNLOAD" and "5 KICKED" are retried until delivered; the
// requests that go with them are kept in the store, so a restart before the next session
// (every start of the daemon is a "1 BOOT") loses neither.
TEST_F(ProtocolBus, RequestDownloadAndKickedQueuedOverDbusSurviveARestart) {
  daemon_->setTimeScale(0.05);  // the retries' back-off
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  // From now on the ACS refuses every Inform: nothing queued can be delivered.
  acs_->configure(R"({"cpe_method_faults": {"Inform": 8002}})");
  auto [code, out] = ctl({"request-download", "3 Vendor Configuration File", "Version=2.1"});
  ASSERT_EQ(code, 0) << out;
  auto [kcode, kout] = ctl({"kicked", "start", "http://portal.example/", "plan=gold", ""});
  ASSERT_EQ(kcode, 0) << kout;
  ASSERT_TRUE(daemon_->waitForLog("ACS answered the Inform with fault 8002", 10s));
  ASSERT_EQ(daemon_->stop(), 0);
  EXPECT_TRUE(cpeRequest("RequestDownload").empty());
  acs_->configure(R"({"cpe_method_faults": {}})");
  const std::size_t ended = acs_->sessions().size();
  daemon_->start();
  ASSERT_TRUE(waitSessions(static_cast<int>(ended) + 1));
  const auto codes = eventCodes(informs(*acs_).back());
  EXPECT_NE(std::find(codes.begin(), codes.end(), "1 BOOT"), codes.end());
  EXPECT_NE(std::find(codes.begin(), codes.end(), "9 REQUEST DOWNLOAD"), codes.end());
  EXPECT_NE(std::find(codes.begin(), codes.end(), "5 KICKED"), codes.end());
  const std::string request = cpeRequest("RequestDownload");
  EXPECT_NE(request.find("<Name>Version</Name><Value>2.1</Value>"), std::string::npos) << request;
  EXPECT_NE(cpeRequest("Kicked").find("<Arg>plan=gold</Arg>"), std::string::npos);
  // Delivered once: a further restart sends neither again.
  ASSERT_EQ(daemon_->stop(), 0);
  daemon_->start();
  ASSERT_TRUE(waitSessions(static_cast<int>(ended) + 2));
  const auto again = eventCodes(informs(*acs_).back());
  EXPECT_EQ(std::find(again.begin(), again.end(), "9 REQUEST DOWNLOAD"), again.end());
  EXPECT_EQ(std::find(again.begin(), again.end(), "5 KICKED"), again.end());
}

}  // namespace
}  // namespace cwmpd::test
