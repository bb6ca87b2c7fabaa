// The CWMP side of the test ACS that integration tests rely on, checked through the
// real transport: namespaces, faults, scripted RPCs and their recorded answers.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cwmpd/core/net/curl_acs_transport.hpp"
#include "test_acs.hpp"

namespace cwmpd::core::net {
namespace {

std::string envelope(const std::string& ns, const std::string& id, const std::string& body) {
  return "<soap-env:Envelope xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\" "
         "xmlns:cwmp=\"urn:dslforum-org:cwmp-" +
         ns + "\"><soap-env:Header><cwmp:ID soap-env:mustUnderstand=\"1\">" + id +
         "</cwmp:ID></soap-env:Header><soap-env:Body>" + body +
         "</soap-env:Body></soap-env:Envelope>";
}

std::string inform(const std::string& ns, const std::string& event = "2 PERIODIC") {
  return envelope(ns, "cpe-1",
                  "<cwmp:Inform><Event><EventStruct><EventCode>" + event +
                      "</EventCode><CommandKey></CommandKey></EventStruct></Event></cwmp:Inform>");
}

class TestAcsBehaviour : public ::testing::Test {
 protected:
  void SetUp() override {
    AcsEndpoint ep;
    ep.url = acs_.url();
    transport_.beginSession(ep);
  }
  cwmpd::test::TestAcs acs_;
  CurlAcsTransport transport_;
};

TEST_F(TestAcsBehaviour, AnswersAnInformInTheCpesNamespaceWithMaxEnvelopesOne) {
  for (const std::string ns : {"1-0", "1-2", "1-4"}) {
    const HttpResult result = transport_.post(inform(ns), "");
    ASSERT_EQ(result.status, 200);
    EXPECT_NE(result.body.find("xmlns:cwmp=\"urn:dslforum-org:cwmp-" + ns + "\""),
              std::string::npos);
    EXPECT_NE(result.body.find("<MaxEnvelopes>1</MaxEnvelopes>"), std::string::npos);
    EXPECT_NE(result.body.find(">cpe-1</cwmp:ID>"), std::string::npos);
  }
  const auto sessions = acs_.sessions();
  ASSERT_EQ(sessions.size(), 3u);
  EXPECT_EQ(sessions[1].get<std::string>("namespace"), "urn:dslforum-org:cwmp-1-2");
  EXPECT_EQ(sessions[1].get_child("events").front().second.data(), "2 PERIODIC");
}

TEST_F(TestAcsBehaviour, AnswersConfiguredCpeMethodsWithTheirFault) {
  acs_.configure(R"({"cpe_method_faults": {"TransferComplete": 8000, "Kicked": 8005}})");
  ASSERT_EQ(transport_.post(inform("1-0", "7 TRANSFER COMPLETE"), "").status, 200);
  const HttpResult refused =
      transport_.post(envelope("1-0", "2", "<cwmp:TransferComplete></cwmp:TransferComplete>"), "");
  EXPECT_EQ(refused.status, 500);
  EXPECT_NE(refused.body.find("<FaultCode>8000</FaultCode>"), std::string::npos);
  const HttpResult retry = transport_.post(envelope("1-0", "3", "<cwmp:Kicked></cwmp:Kicked>"), "");
  EXPECT_NE(retry.body.find("<FaultCode>8005</FaultCode>"), std::string::npos);
  const HttpResult methods =
      transport_.post(envelope("1-0", "4", "<cwmp:GetRPCMethods></cwmp:GetRPCMethods>"), "");
  EXPECT_EQ(methods.status, 200);
  EXPECT_NE(methods.body.find("GetRPCMethodsResponse"), std::string::npos);
}

TEST_F(TestAcsBehaviour, IssuesScriptedRpcsAfterTheInformAndRecordsTheAnswers) {
  acs_.addRpc(
      "<cwmp:GetParameterValues><ParameterNames><string>Device.</string>"
      "</ParameterNames></cwmp:GetParameterValues>");
  acs_.addRpc("<cwmp:Reboot><CommandKey>rk</CommandKey></cwmp:Reboot>");
  ASSERT_EQ(transport_.post(inform("1-2"), "").status, 200);
  const HttpResult first = transport_.post("", "");
  EXPECT_NE(first.body.find("<cwmp:GetParameterValues>"), std::string::npos);
  EXPECT_NE(first.body.find("urn:dslforum-org:cwmp-1-2"), std::string::npos);
  const HttpResult second = transport_.post(
      envelope("1-2", "acs-1",
               "<cwmp:GetParameterValuesResponse></cwmp:GetParameterValuesResponse>"),
      "");
  EXPECT_NE(second.body.find("<CommandKey>rk</CommandKey>"), std::string::npos);
  const HttpResult end = transport_.post(
      envelope("1-2", "acs-2",
               "<soap-env:Fault><faultcode>Client</faultcode><faultstring>CWMP fault</faultstring>"
               "<detail><cwmp:Fault><FaultCode>9001</FaultCode><FaultString>Request denied"
               "</FaultString></cwmp:Fault></detail></soap-env:Fault>"),
      "");
  EXPECT_EQ(end.status, 204);

  ASSERT_TRUE(acs_.waitFor("ended_sessions", 1, std::chrono::seconds(5)));
  const auto results = acs_.results();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].get<std::string>("method"), "GetParameterValuesResponse");
  EXPECT_NE(results[0].get<std::string>("rpc").find("GetParameterValues"), std::string::npos);
  EXPECT_EQ(results[1].get<std::string>("method"), "Fault");
  EXPECT_EQ(results[1].get<int>("fault_code"), 9001);
}

TEST_F(TestAcsBehaviour, AsksTheCpeToHoldItsRequestsWhenConfigured) {
  const HttpResult plain = transport_.post(inform("1-0"), "");
  EXPECT_EQ(plain.body.find("HoldRequests"), std::string::npos);
  acs_.configure(R"({"hold_requests": true})");
  const HttpResult held = transport_.post(inform("1-0"), "");
  EXPECT_NE(held.body.find(">1</cwmp:HoldRequests>"), std::string::npos);
}

TEST(TestAcsOnIpv6, ServesOnTheIpv6Loopback) {
  cwmpd::test::TestAcsOptions options;
  options.address = "::1";
  cwmpd::test::TestAcs acs(options);
  ASSERT_EQ(acs.url().rfind("http://[::1]:", 0), 0u);
  CurlAcsTransport transport;
  AcsEndpoint ep;
  ep.url = acs.url();
  transport.beginSession(ep);
  EXPECT_EQ(transport.post(inform("1-0"), "").status, 200);
  EXPECT_EQ(acs.requests().at(0).get<std::string>("peer").rfind("::1:", 0), 0u);
}

TEST_F(TestAcsBehaviour, RefusesAnEmptyPostOutsideASession) {
  EXPECT_EQ(transport_.post("", "").status, 400);
}

TEST_F(TestAcsBehaviour, CanRefuseTheInformItselfWithAFault) {
  acs_.configure(R"({"cpe_method_faults": {"Inform": 8005}, "fault_http_status": 200})");
  const HttpResult result = transport_.post(inform("1-0"), "");
  EXPECT_EQ(result.status, 200);
  EXPECT_NE(result.body.find("<FaultCode>8005</FaultCode>"), std::string::npos);
  EXPECT_TRUE(acs_.sessions().empty());
}

TEST(TestAcsCommandLine, TakesItsScriptFromAFileAndLogsEveryRequestAsAJsonLine) {
  const std::string dir = cwmpd::test::makeTempDir("cwmpd-acs-script-");
  {
    std::ofstream script(dir + "/script.json");
    script << R"({"config": {"auth": "digest"},
                 "rpcs": ["<cwmp:FactoryReset></cwmp:FactoryReset>"],
                 "responses": [{"match": "", "status": 503}]})";
  }
  std::vector<std::string> served;
  {
    cwmpd::test::TestAcsOptions options;
    options.scriptFile = dir + "/script.json";
    options.logFile = dir + "/log.jsonl";
    cwmpd::test::TestAcs acs(options);
    CurlAcsTransport transport;
    AcsEndpoint ep;
    ep.url = acs.url();
    ep.username = "cpe";
    ep.password = "secret";
    transport.beginSession(ep);
    ASSERT_EQ(transport.post(inform("1-0"), "").status, 200);
    EXPECT_EQ(transport.post("", "").status, 503);  // the canned answer matched the empty POST
    EXPECT_NE(transport.post("", "").body.find("<cwmp:FactoryReset>"), std::string::npos);
    for (const auto& request : acs.requests()) served.push_back(request.get<std::string>("status"));
  }
  std::ifstream log(dir + "/log.jsonl");
  std::vector<std::string> statuses;
  for (std::string line; std::getline(log, line);) {
    statuses.push_back(cwmpd::test::parseJson(line).get<std::string>("status"));
  }
  std::filesystem::remove_all(dir);
  EXPECT_EQ(statuses, served);
  ASSERT_GE(statuses.size(), 4u);
  EXPECT_EQ(statuses.front(), "401");  // the script's digest auth was in force
}

}  // namespace
}  // namespace cwmpd::core::net
