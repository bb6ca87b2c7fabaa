// IPPing (TR-181) and IPPingDiagnostics (TR-098) of the diagnostics plugin: real ICMP echo
// to 127.0.0.1 and ::1 through the HAL, the DiagnosticsState machine, set-time refusals.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>

#include "../harness/plugin_harness.hpp"

namespace cwmpd::testing {
namespace {

using namespace std::chrono_literals;

const std::string kPing = "Device.IP.Diagnostics.IPPing.";
const std::string kPing098 = "InternetGatewayDevice.IPPingDiagnostics.";

std::size_t completions(const PluginHarness& h) {
  return static_cast<std::size_t>(
      std::count(h.events.begin(), h.events.end(), "8 DIAGNOSTICS COMPLETE"));
}

// Runs the main loop until the test object leaves "Requested".
std::string awaitEnd(PluginHarness& h, const std::string& object,
                     std::chrono::milliseconds timeout = 20s) {
  h.runUntil([&] { return h.value(object + "DiagnosticsState") != "Requested"; }, timeout);
  return h.value(object + "DiagnosticsState");
}

class IPPing : public ::testing::Test {
 protected:
  PluginHarness h{"Device", {"wan", "diagnostics"}};
  void request(const std::vector<std::pair<std::string, std::string>>& values) {
    std::vector<std::pair<std::string, std::string>> v;
    for (const auto& [k, val] : values) v.emplace_back(kPing + k, val);
    v.emplace_back(kPing + "DiagnosticsState", "Requested");
    h.engine->setValues(v, sdk::Source::Acs);
  }
};

TEST_F(IPPing, StartsInStateNoneWithClearedResults) {
  EXPECT_EQ(h.value(kPing + "DiagnosticsState"), "None");
  EXPECT_EQ(h.value(kPing + "SuccessCount"), "0");
  EXPECT_EQ(h.value(kPing + "IPAddressUsed"), "");
}

// The echoes are timed out generously: on a loaded machine (CI, parallel tests) an answer
// of the loopback can take longer than the default 1000 ms to be read, and what is asserted
// here is that it comes, not how fast.
TEST_F(IPPing, PingsIPv4Loopback) {
  request({{"Host", "127.0.0.1"},
           {"NumberOfRepetitions", "2"},
           {"Timeout", "10000"},
           {"DataBlockSize", "100"},
           {"DSCP", "10"}});
  ASSERT_EQ(awaitEnd(h, kPing), "Complete");
  EXPECT_EQ(h.value(kPing + "SuccessCount"), "2");
  EXPECT_EQ(h.value(kPing + "FailureCount"), "0");
  EXPECT_EQ(h.value(kPing + "IPAddressUsed"), "127.0.0.1");
  const auto minUs = std::stoul(h.value(kPing + "MinimumResponseTimeDetailed"));
  const auto avgUs = std::stoul(h.value(kPing + "AverageResponseTimeDetailed"));
  const auto maxUs = std::stoul(h.value(kPing + "MaximumResponseTimeDetailed"));
  EXPECT_GT(minUs, 0U);
  EXPECT_LE(minUs, avgUs);
  EXPECT_LE(avgUs, maxUs);
  EXPECT_EQ(h.value(kPing + "MaximumResponseTime"), std::to_string((maxUs + 500) / 1000));
  EXPECT_EQ(completions(h), 1U);
}

TEST_F(IPPing, PingsIPv6Loopback) {
  request({{"Host", "::1"},
           {"ProtocolVersion", "IPv6"},
           {"NumberOfRepetitions", "1"},
           {"Timeout", "10000"}});
  ASSERT_EQ(awaitEnd(h, kPing), "Complete");
  EXPECT_EQ(h.value(kPing + "SuccessCount"), "1");
  EXPECT_EQ(h.value(kPing + "FailureCount"), "0");
  EXPECT_EQ(h.value(kPing + "IPAddressUsed"), "::1");
  EXPECT_GT(std::stoul(h.value(kPing + "AverageResponseTimeDetailed")), 0U);
}

TEST_F(IPPing, UnresolvableHostEndsInErrorCannotResolveHostName) {
  request({{"Host", "no-such-host.invalid"}, {"NumberOfRepetitions", "1"}});
  EXPECT_EQ(awaitEnd(h, kPing), "Error_CannotResolveHostName");
  EXPECT_EQ(h.value(kPing + "SuccessCount"), "0");
  EXPECT_EQ(completions(h), 1U);  // an error completes the diagnostic too
}

TEST_F(IPPing, WaitsForTheEndOfTheAcsSession) {
  h.engine->beginSession();
  request({{"Host", "127.0.0.1"}, {"NumberOfRepetitions", "1"}});
  // Nothing may start inside the session: nothing is queued on the loop, no result shows.
  h.runUntil([] { return false; }, 300ms);
  EXPECT_EQ(h.value(kPing + "DiagnosticsState"), "Requested");
  EXPECT_EQ(completions(h), 0U);
  h.engine->endSession();
  EXPECT_EQ(awaitEnd(h, kPing), "Complete");
  EXPECT_EQ(h.value(kPing + "SuccessCount"), "1");
}

TEST_F(IPPing, SettingAnotherParameterCancelsAndClears) {
  // A completed test: setting a test parameter clears it to None.
  request({{"Host", "127.0.0.1"}, {"NumberOfRepetitions", "1"}});
  ASSERT_EQ(awaitEnd(h, kPing), "Complete");
  h.engine->setValues({{kPing + "DataBlockSize", "200"}}, sdk::Source::Acs);
  EXPECT_EQ(h.value(kPing + "DiagnosticsState"), "None");
  EXPECT_EQ(h.value(kPing + "SuccessCount"), "0");
  EXPECT_EQ(h.value(kPing + "DataBlockSize"), "200");

  // A running test (100 requests, one a second): the set ends it, its outcome never shows.
  request({{"NumberOfRepetitions", "100"}});
  h.engine->setValues({{kPing + "Timeout", "500"}}, sdk::Source::Acs);
  EXPECT_EQ(h.value(kPing + "DiagnosticsState"), "None");
  // The next request runs with the new parameters and is the only one to complete.
  request({{"NumberOfRepetitions", "1"}});
  ASSERT_EQ(awaitEnd(h, kPing), "Complete");
  EXPECT_EQ(h.value(kPing + "SuccessCount"), "1");
  EXPECT_EQ(completions(h), 2U);
}

// TR-181 2.17's DiagnosticsState: "While the test is in progress, setting this parameter to
// Canceled MUST result in the test being canceled and the value of this parameter being set
// to None." TR-098 has no Canceled: 9007 there.
TEST_F(IPPing, WritingCanceledEndsARunningTestInNone) {
  request({{"Host", "127.0.0.1"}, {"NumberOfRepetitions", "100"}});
  h.runUntil([&] { return h.value(kPing + "DiagnosticsState") != "Requested"; }, 300ms);
  ASSERT_EQ(h.value(kPing + "DiagnosticsState"), "Requested");  // running: 100 s of echoes
  h.engine->setValues({{kPing + "DiagnosticsState", "Canceled"}}, sdk::Source::Acs);
  EXPECT_EQ(h.value(kPing + "DiagnosticsState"), "None");
  EXPECT_EQ(h.value(kPing + "SuccessCount"), "0");
  EXPECT_EQ(h.value(kPing + "NumberOfRepetitions"), "100");  // the parameters stay
  // The next request runs and is the only one to complete.
  request({{"NumberOfRepetitions", "1"}, {"Timeout", "10000"}});
  ASSERT_EQ(awaitEnd(h, kPing), "Complete");
  EXPECT_EQ(completions(h), 1U);
  PluginHarness h098{"InternetGatewayDevice", {"diagnostics"}};
  EXPECT_EQ(h098.setFaultCode(kPing098 + "DiagnosticsState", "Canceled"), 9007);
}

TEST_F(IPPing, RefusesWhatCannotRun) {
  EXPECT_EQ(h.setFaultCode(kPing + "DiagnosticsState", "Complete"), 9007);
  EXPECT_EQ(h.setFaultCode(kPing + "DiagnosticsState", "None"), 9007);
  EXPECT_EQ(h.setFaultCode(kPing + "NumberOfRepetitions", "10001"), 9007);
  EXPECT_EQ(h.setFaultCode(kPing + "NumberOfRepetitions", "0"), 9007);  // the model's range
  EXPECT_EQ(h.setFaultCode(kPing + "Timeout", "600001"), 9007);
  EXPECT_EQ(h.setFaultCode(kPing + "DSCP", "64"), 9007);
  EXPECT_EQ(h.setFaultCode(kPing + "Interface", "Device.IP.Interface.99."), 9007);
  EXPECT_EQ(h.setFaultCode(kPing + "Interface", "Device.DeviceInfo."), 9007);
  EXPECT_EQ(h.value(kPing + "DiagnosticsState"), "None");
  EXPECT_EQ(h.value(kPing + "NumberOfRepetitions"), "3");
}

TEST_F(IPPing, CapabilitiesSayWhatRuns) {
  EXPECT_EQ(h.value("Device.IP.Diagnostics.IPv4PingSupported"), "true");
  EXPECT_EQ(h.value("Device.IP.Diagnostics.IPv6PingSupported"), "true");
  EXPECT_EQ(h.value("Device.IP.Diagnostics.IPLayerCapacitySupported"), "false");
}

TEST(IPPingTr098, PingsLoopbackUnderTheTr098Root) {
  PluginHarness h{"InternetGatewayDevice", {"diagnostics"}};
  h.engine->setValues({{kPing098 + "Host", "127.0.0.1"},
                       {kPing098 + "NumberOfRepetitions", "1"},
                       {kPing098 + "DiagnosticsState", "Requested"}},
                      sdk::Source::Acs);
  ASSERT_EQ(awaitEnd(h, kPing098), "Complete");
  EXPECT_EQ(h.value(kPing098 + "SuccessCount"), "1");
  EXPECT_EQ(h.value(kPing098 + "FailureCount"), "0");
  EXPECT_EQ(completions(h), 1U);
  h.engine->setValues(
      {{kPing098 + "Host", "no-such-host.invalid"}, {kPing098 + "DiagnosticsState", "Requested"}},
      sdk::Source::Acs);
  EXPECT_EQ(awaitEnd(h, kPing098), "Error_CannotResolveHostName");
}

}  // namespace
}  // namespace cwmpd::testing
