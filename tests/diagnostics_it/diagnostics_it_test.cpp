// The ACS orders diagnostics over CWMP (TR-069 A.4.1.7 / the models' DiagnosticsState):
// SetParameterValues of a request, the session ends, the test runs on loopback, a new
// session opens with "8 DIAGNOSTICS COMPLETE", GetParameterValues reads the results.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "it_support.hpp"

namespace cwmpd::test {
namespace {

using namespace std::chrono_literals;

std::string value(const std::string& name, const std::string& type, const std::string& v) {
  return "<ParameterValueStruct><Name>" + name + "</Name><Value xsi:type=\"" + type + "\">" + v +
         "</Value></ParameterValueStruct>";
}

class DiagnosticsIt : public DaemonIt {
 protected:
  void SetUp() override {
    DaemonIt::SetUp();
    daemon_->set("plugins", "enable", "deviceinfo, management, wan, diagnostics");
  }
};

TEST_F(DiagnosticsIt, AcsOrderedPingCompletesInANewSessionWithItsResults) {
  const std::string p = "Device.IP.Diagnostics.IPPing.";
  acs_->addRpc("<cwmp:SetParameterValues><ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[3]\">" +
               value(p + "Host", "xsd:string", "127.0.0.1") +
               value(p + "NumberOfRepetitions", "xsd:unsignedInt", "3") +
               value(p + "DiagnosticsState", "xsd:string", "Requested") +
               "</ParameterList><ParameterKey>ping-1</ParameterKey></cwmp:SetParameterValues>");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  auto results = acs_->results();
  ASSERT_EQ(results.size(), 1u);
  ASSERT_EQ(results[0].get<std::string>("method"), "SetParameterValuesResponse");
  // Three requests one second apart: the test is still running when this is queued, so
  // the GetParameterValues goes to the session the completion opens.
  acs_->addRpc(
      "<cwmp:GetParameterValues><ParameterNames soap-enc:arrayType=\"xsd:string[1]\">"
      "<string>" + p + "</string></ParameterNames></cwmp:GetParameterValues>");
  ASSERT_TRUE(waitSessions(2, 20s));

  const auto all = informs(*acs_);
  ASSERT_GE(all.size(), 2u);
  const auto codes = eventCodes(all.at(1));
  EXPECT_NE(std::find(codes.begin(), codes.end(), "8 DIAGNOSTICS COMPLETE"), codes.end());
  results = acs_->results();
  ASSERT_EQ(results.size(), 2u);
  ASSERT_EQ(results[1].get<std::string>("method"), "GetParameterValuesResponse");
  const std::string body = results[1].get<std::string>("body");
  EXPECT_EQ(parameterValue(body, p + "DiagnosticsState"), "Complete");
  EXPECT_EQ(parameterValue(body, p + "SuccessCount"), "3");
  EXPECT_EQ(parameterValue(body, p + "FailureCount"), "0");
  EXPECT_EQ(parameterValue(body, p + "IPAddressUsed"), "127.0.0.1");
  EXPECT_NE(parameterValue(body, p + "AverageResponseTimeDetailed"), "0");
  // The session that carried the completion is the one that read the results.
  EXPECT_EQ(results[1].get<std::string>("session"), acs_->sessions().at(1).get<std::string>("id"));
}

TEST_F(DiagnosticsIt, AValueOutsideWhatCanRunIsFault9007) {
  acs_->addRpc("<cwmp:SetParameterValues><ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[2]\">" +
               value("Device.IP.Diagnostics.IPPing.NumberOfRepetitions", "xsd:unsignedInt", "4000000000") +
               value("Device.IP.Diagnostics.IPPing.DiagnosticsState", "xsd:string", "Requested") +
               "</ParameterList><ParameterKey>big</ParameterKey></cwmp:SetParameterValues>");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  const auto results = acs_->results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].get<std::string>("method"), "Fault");
  EXPECT_NE(results[0].get<std::string>("body").find("9007"), std::string::npos);
}

}  // namespace
}  // namespace cwmpd::test
