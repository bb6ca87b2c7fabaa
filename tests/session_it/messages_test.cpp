// The real cwmpd against the loopback test ACS: what the agent sends and how it reads
// the ACS's messages (issue 13, "Messages"). Every message the daemon sent is checked
// against the BBF schemas on teardown (DaemonIt).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "it_support.hpp"

namespace cwmpd::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kEnvelopeStart =
    R"(<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/" )"
    R"(xmlns:soap-enc="http://schemas.xmlsoap.org/soap/encoding/" )"
    R"(xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" )"
    R"(xmlns:cwmp="urn:dslforum-org:cwmp-1-2">)";

// The POST bodies the daemon sent, in order.
std::vector<std::string> postBodies(TestAcs& acs) {
  std::vector<std::string> out;
  for (auto& r : acs.requests())
    if (r.get<std::string>("method", "") == "POST") out.push_back(r.get<std::string>("body", ""));
  return out;
}

int countMethod(const std::vector<std::string>& bodies, const std::string& method) {
  return static_cast<int>(std::count_if(
      bodies.begin(), bodies.end(), [&](const std::string& b) { return bodyMethod(b) == method; }));
}

class Messages : public DaemonIt {};

// ---- item 5: never an Inform without an event -------------------------------------------

TEST_F(Messages, ARetryWhoseOnlyEventWasAConnectionRequestIsNotStarted) {
  daemon_->setTimeScale(0.01);
  daemon_->set("cpe", "connection_request_min_interval", "0");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  // The session the Connection Request asks for fails; "6 CONNECTION REQUEST" is
  // discarded on failure (TR-069 3.2.1.1), so the retry has nothing to say.
  acs_->addResponses(R"([{"match": "Inform", "status": 500}, {"match": "Inform", "status": 500}])");
  acs_->connectionRequest(daemon_->connectionRequestUrl(), "cr-user", "cr-secret");
  ASSERT_TRUE(daemon_->waitForLog("session 2 failed", 10s));
  ASSERT_TRUE(daemon_->waitForLog("no event to report: no session", 10s));
  int informs = 0;
  for (const auto& body : postBodies(*acs_)) {
    if (bodyMethod(body) != "Inform") continue;
    ++informs;
    EXPECT_FALSE(eventCodes(body).empty()) << body;
  }
  EXPECT_EQ(informs, 2) << "the boot Inform and the failed one, no retry";
}

// ---- item 6: forced-inform parameters one by one ----------------------------------------

TEST_F(Messages, AForcedInformGetterThatFailsCostsOnlyItsOwnParameter) {
  daemon_->addPlugin(CWMPD_TEST_THROWING_FORCED_PLUGIN, "throwing_forced");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  const std::string inform = informs(*acs_).at(0);
  EXPECT_EQ(parameterValue(inform, "Device.X_00005E_Forced.Fine"), "fine");
  EXPECT_FALSE(parameterValue(inform, "Device.X_00005E_Forced.Faulting"));
  EXPECT_FALSE(parameterValue(inform, "Device.X_00005E_Forced.Throwing"));
  // TR-069 Table 7: the forced parameters of every Inform are all there.
  for (const char* name :
       {"Device.DeviceInfo.HardwareVersion", "Device.DeviceInfo.SoftwareVersion",
        "Device.DeviceInfo.ProvisioningCode", "Device.ManagementServer.ParameterKey",
        "Device.ManagementServer.ConnectionRequestURL"}) {
    EXPECT_TRUE(parameterValue(inform, name)) << name << " missing from\n" << inform;
  }
  EXPECT_EQ(parameterValue(inform, "Device.DeviceInfo.SoftwareVersion"), "0.1.0");
  // Each failure is logged under the plugin's name.
  const std::string log = daemon_->log();
  EXPECT_NE(log.find("plugin throwing_forced"), std::string::npos);
  EXPECT_NE(log.find("Device.X_00005E_Forced.Faulting could not be read"), std::string::npos)
      << log;
  EXPECT_NE(log.find("Device.X_00005E_Forced.Throwing could not be read"), std::string::npos)
      << log;
}

// ---- item 7: a blank answer ends the ACS's turn ------------------------------------------

TEST_F(Messages, AnHttp200WithOnlyWhitespaceEndsTheSessionLikeA204) {
  acs_->addResponses(R"([{"match": "", "status": 200, "body": "  \r\n\t  \n"}])");
  daemon_->start();
  ASSERT_TRUE(daemon_->waitForLog("session 1 ended", 10s));
  const auto bodies = postBodies(*acs_);
  EXPECT_EQ(countMethod(bodies, "Fault"), 0);
  EXPECT_EQ(bodies.size(), 2u) << "the Inform and the empty POST, nothing after";
}

TEST_F(Messages, AnEnvelopeWithAnEmptyBodyEndsTheSessionLikeA204) {
  const std::string empty =
      std::string(kEnvelopeStart) +
      "<soap-env:Header/><soap-env:Body>\n</soap-env:Body></soap-env:Envelope>";
  acs_->addResponses(R"([{"match": "", "status": 200, "body": )" + jsonQuote(empty) + "}]");
  daemon_->start();
  ASSERT_TRUE(daemon_->waitForLog("session 1 ended", 10s));
  const auto bodies = postBodies(*acs_);
  EXPECT_EQ(countMethod(bodies, "Fault"), 0);
  EXPECT_EQ(bodies.size(), 2u) << "the Inform and the empty POST, nothing after";
}

// ---- item 9: SOAP mustUnderstand ---------------------------------------------------------

TEST_F(Messages, AnUnknownMustUnderstandHeaderGetsAMustUnderstandFaultAndIsNotProcessed) {
  // An unknown header entry marked mustUnderstand="1" on a SetParameterValues: SOAP 1.1
  // section 4.2.3 says the message is not processed, and the answer is a MustUnderstand
  // fault.
  acs_->addRpc(
      std::string(kEnvelopeStart) +
      R"(<soap-env:Header><cwmp:ID soap-env:mustUnderstand="1">mu-1</cwmp:ID>)"
      R"(<x:Transaction xmlns:x="urn:example:tx" soap-env:mustUnderstand="1">5</x:Transaction>)"
      R"(</soap-env:Header><soap-env:Body><cwmp:SetParameterValues>)"
      R"(<ParameterList soap-enc:arrayType="cwmp:ParameterValueStruct[1]"><ParameterValueStruct>)"
      R"(<Name>Device.ManagementServer.PeriodicInformInterval</Name><Value xsi:type="xsd:unsignedInt">4321</Value>)"
      R"(</ParameterValueStruct></ParameterList><ParameterKey>mu</ParameterKey></cwmp:SetParameterValues>)"
      R"(</soap-env:Body></soap-env:Envelope>)");
  // Known CWMP headers with mustUnderstand="1" are understood: this one is processed.
  acs_->addRpc(
      std::string(kEnvelopeStart) +
      R"(<soap-env:Header><cwmp:ID soap-env:mustUnderstand="1">mu-2</cwmp:ID>)"
      R"(<cwmp:HoldRequests soap-env:mustUnderstand="1">0</cwmp:HoldRequests>)"
      R"(</soap-env:Header><soap-env:Body><cwmp:GetParameterValues>)"
      R"(<ParameterNames soap-enc:arrayType="xsd:string[1]"><string>Device.ManagementServer.PeriodicInformInterval</string>)"
      R"(</ParameterNames></cwmp:GetParameterValues></soap-env:Body></soap-env:Envelope>)");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  const auto results = acs_->results();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].get<std::string>("method"), "Fault");
  const std::string fault = results[0].get<std::string>("body");
  EXPECT_NE(fault.find("<faultcode>SOAP-ENV:MustUnderstand</faultcode>"), std::string::npos)
      << fault;
  EXPECT_NE(fault.find("Transaction"), std::string::npos) << fault;
  EXPECT_NE(fault.find("mu-1"), std::string::npos) << "the fault echoes the request's cwmp:ID";
  EXPECT_EQ(results[1].get<std::string>("method"), "GetParameterValuesResponse");
  const auto interval = parameterValue(results[1].get<std::string>("body"),
                                       "Device.ManagementServer.PeriodicInformInterval");
  ASSERT_TRUE(interval);
  EXPECT_NE(*interval, "4321") << "the SetParameterValues with the unknown header was applied";
}

}  // namespace
}  // namespace cwmpd::test
