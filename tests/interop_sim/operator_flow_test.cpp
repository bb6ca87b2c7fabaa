// What an operator does from GenieACS, played by the test ACS in its GenieACS-like mode:
// tasks sent back to back, each with its own Connection Request. GenieACS reads a 503
// (or a refused connection) as "Device is offline" and leaves the task queued, so every
// Connection Request must be answered 200 and give its own session.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <thread>

#include "it_support.hpp"

namespace cwmpd::test {
namespace {

using namespace std::chrono_literals;

// Five tasks as GenieACS writes them (../shared/corpus/genieacs), each with the method
// of the answer it must get.
struct Task {
  const char* rpc;
  const char* answer;
};
const std::array<Task, 5> kTasks{{
    {"<cwmp:GetParameterValues><ParameterNames soap-enc:arrayType=\"xsd:string[1]\">"
     "<string>Device.DeviceInfo.SoftwareVersion</string></ParameterNames>"
     "</cwmp:GetParameterValues>",
     "GetParameterValuesResponse"},
    {"<cwmp:SetParameterValues><ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[1]\">"
     "<ParameterValueStruct><Name>Device.ManagementServer.PeriodicInformInterval</Name>"
     "<Value xsi:type=\"xsd:unsignedInt\">3000</Value></ParameterValueStruct></ParameterList>"
     "<ParameterKey></ParameterKey></cwmp:SetParameterValues>",
     "SetParameterValuesResponse"},
    {"<cwmp:GetParameterNames><ParameterPath>Device.DeviceInfo.</ParameterPath>"
     "<NextLevel>1</NextLevel></cwmp:GetParameterNames>",
     "GetParameterNamesResponse"},
    {"<cwmp:GetParameterAttributes><ParameterNames soap-enc:arrayType=\"xsd:string[1]\">"
     "<string>Device.ManagementServer.PeriodicInformInterval</string></ParameterNames>"
     "</cwmp:GetParameterAttributes>",
     "GetParameterAttributesResponse"},
    {"<cwmp:GetParameterValues><ParameterNames soap-enc:arrayType=\"xsd:string[1]\">"
     "<string>Device.ManagementServer.PeriodicInformInterval</string></ParameterNames>"
     "</cwmp:GetParameterValues>",
     "GetParameterValuesResponse"},
}};

class OperatorFlow : public DaemonIt {};

TEST_F(OperatorFlow, FiveTasksEachWithItsOwnConnectionRequestGiveFiveSessionsAndFiveAnswers) {
  acs_->behaveLikeGenieAcs();
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));  // BOOTSTRAP
  const std::string url = daemon_->connectionRequestUrl();
  ASSERT_FALSE(url.empty());

  for (std::size_t i = 0; i < kTasks.size(); ++i) {
    // The operator's next task comes 100 ms after the previous session ended, the way
    // GenieACS's UI posts them one after the other.
    std::this_thread::sleep_for(100ms);
    acs_->addRpc(kTasks[i].rpc);
    const Json cr = acs_->connectionRequest(url, "cr-user", "cr-secret");
    ASSERT_EQ(cr.get<std::string>("outcome", ""), "ok")
        << "task " << i + 1 << ": the connection request was answered HTTP "
        << cr.get<int>("status", 0) << ", which GenieACS reports as the device being "
        << cr.get<std::string>("outcome", "") << " (the task stays queued)";
    ASSERT_TRUE(waitSessions(static_cast<int>(i) + 2)) << "task " << i + 1;
  }

  const auto results = acs_->results();
  ASSERT_EQ(results.size(), kTasks.size());
  for (std::size_t i = 0; i < kTasks.size(); ++i) {
    EXPECT_EQ(results[i].get<std::string>("method"), kTasks[i].answer) << "task " << i + 1;
    EXPECT_EQ(results[i].get<int>("session"), static_cast<int>(i) + 1) << "task " << i + 1;
  }
  const auto sent = informs(*acs_);
  ASSERT_EQ(sent.size(), kTasks.size() + 1);
  for (std::size_t i = 1; i < sent.size(); ++i) {
    const auto codes = eventCodes(sent[i]);
    EXPECT_NE(std::find(codes.begin(), codes.end(), "6 CONNECTION REQUEST"), codes.end())
        << "session " << i;
  }
  for (const auto& s : acs_->sessions()) EXPECT_EQ(s.get<std::string>("end", ""), "204");
}

}  // namespace
}  // namespace cwmpd::test
