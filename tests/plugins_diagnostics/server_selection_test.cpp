// ServerSelectionDiagnostics (TR-181) over ICMP echo on loopback: the fastest of 127.0.0.1,
// ::1 and a name that does not resolve; the error states; the
// capabilities (TR-181 *Supported, TR-098 Capabilities.PerformanceDiagnostic.). The UDP
// Echo protocol and the cancel by a new set are tested against the plugin's own UDP echo
// server in udp_echo_test.cpp.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "../harness/plugin_harness.hpp"

namespace cwmpd::testing {
namespace {

using namespace std::chrono_literals;

const std::string kSel = "Device.IP.Diagnostics.ServerSelectionDiagnostics.";

std::string awaitEnd(PluginHarness& h) {
  h.runUntil([&] { return h.value(kSel + "DiagnosticsState") != "Requested"; }, 30s);
  return h.value(kSel + "DiagnosticsState");
}

class ServerSelection : public ::testing::Test {
 protected:
  PluginHarness h{"Device", {"wan", "diagnostics"}};
  void request(const std::vector<std::pair<std::string, std::string>>& values) {
    std::vector<std::pair<std::string, std::string>> v;
    for (const auto& [k, val] : values) v.emplace_back(kSel + k, val);
    v.emplace_back(kSel + "DiagnosticsState", "Requested");
    h.engine->setValues(v, sdk::Source::Acs);
  }
};

TEST_F(ServerSelection, IcmpPicksAnAnsweringLoopbackHostAndSkipsTheUnresolvable) {
  EXPECT_EQ(h.value(kSel + "DiagnosticsState"), "None");
  EXPECT_EQ(h.value(kSel + "Protocol"), "ICMP");
  // Generous timeouts: what is asserted is who answered, not how fast (a loaded machine).
  request({{"HostList", "no-such-host.invalid,127.0.0.1,::1"},
           {"NumberOfRepetitions", "2"},
           {"Timeout", "10000"}});
  ASSERT_EQ(awaitEnd(h), "Complete");
  const std::string fastest = h.value(kSel + "FastestHost");
  EXPECT_TRUE(fastest == "127.0.0.1" || fastest == "::1") << fastest;
  EXPECT_EQ(h.value(kSel + "IPAddressUsed"), fastest);  // loopback answers from itself
  const auto minUs = std::stoul(h.value(kSel + "MinimumResponseTime"));
  const auto avgUs = std::stoul(h.value(kSel + "AverageResponseTime"));
  const auto maxUs = std::stoul(h.value(kSel + "MaximumResponseTime"));
  EXPECT_GT(minUs, 0U);
  EXPECT_LE(minUs, avgUs);
  EXPECT_LE(avgUs, maxUs);
  // IPv4 only: ::1 does not resolve for it, 127.0.0.1 is the only candidate.
  request({{"ProtocolVersion", "IPv4"}, {"HostList", "::1,127.0.0.1"}});
  ASSERT_EQ(awaitEnd(h), "Complete");
  EXPECT_EQ(h.value(kSel + "FastestHost"), "127.0.0.1");
}

TEST_F(ServerSelection, ErrorsAndRefusals) {
  request({{"HostList", "no-such-host.invalid,also-not.invalid"}});
  EXPECT_EQ(awaitEnd(h), "Error_CannotResolveHostName");
  EXPECT_EQ(h.value(kSel + "FastestHost"), "");
  request({{"HostList", ""}});
  EXPECT_EQ(awaitEnd(h), "Error_Other");
  EXPECT_EQ(h.setFaultCode(kSel + "Protocol", "TCP"), 9007);
  EXPECT_EQ(h.setFaultCode(kSel + "NumberOfRepetitions", "10001"), 9007);
  EXPECT_EQ(h.setFaultCode(kSel + "Timeout", "600001"), 9007);
  EXPECT_EQ(h.setFaultCode(kSel + "Interface", "Device.IP.Interface.99."), 9007);
  EXPECT_EQ(h.setFaultCode(kSel + "DiagnosticsState", "Complete"), 9007);
}

TEST_F(ServerSelection, CapabilitiesSayItRuns) {
  EXPECT_EQ(h.value("Device.IP.Diagnostics.IPv4ServerSelectionDiagnosticsSupported"), "true");
  EXPECT_EQ(h.value("Device.IP.Diagnostics.IPv6ServerSelectionDiagnosticsSupported"), "true");
  EXPECT_EQ(h.value("Device.IP.Diagnostics.IPLayerCapacitySupported"), "false");
}

TEST(PerformanceDiagnosticTr098, SaysHttpAndFtp) {
  PluginHarness h{"InternetGatewayDevice", {"diagnostics"}};
  const std::string cap = "InternetGatewayDevice.Capabilities.PerformanceDiagnostic.";
  EXPECT_EQ(h.value(cap + "DownloadTransports"), "HTTP,FTP");
  EXPECT_EQ(h.value(cap + "UploadTransports"), "HTTP,FTP");
}

}  // namespace
}  // namespace cwmpd::testing
