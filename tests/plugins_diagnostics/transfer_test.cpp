// TR-143 DownloadDiagnostics and UploadDiagnostics (TR-181 and TR-098) against a loopback
// HTTP server the test runs: exact byte counts, ordered times, several connections,
// time-based tests, the error states, cancel by a new set, set-time refusals.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <regex>
#include <string>
#include <vector>

#include "../harness/plugin_harness.hpp"
#include "../support/loopback_port.hpp"
#include "../support/loopback_http_server.hpp"

namespace cwmpd::testing {
namespace {

using namespace std::chrono_literals;

const std::string kDl = "Device.IP.Diagnostics.DownloadDiagnostics.";
const std::string kUl = "Device.IP.Diagnostics.UploadDiagnostics.";
const std::string kDl098 = "InternetGatewayDevice.DownloadDiagnostics.";
const std::string kUl098 = "InternetGatewayDevice.UploadDiagnostics.";

std::uint16_t closedPort() { return unusedLoopbackPort(SOCK_STREAM); }

std::size_t completions(const PluginHarness& h) {
  return static_cast<std::size_t>(
      std::count(h.events.begin(), h.events.end(), "8 DIAGNOSTICS COMPLETE"));
}

std::string awaitEnd(PluginHarness& h, const std::string& object,
                     std::chrono::milliseconds timeout = 40s) {
  h.runUntil([&] { return h.value(object + "DiagnosticsState") != "Requested"; }, timeout);
  return h.value(object + "DiagnosticsState");
}

void request(PluginHarness& h, const std::string& object,
             const std::vector<std::pair<std::string, std::string>>& values) {
  std::vector<std::pair<std::string, std::string>> v;
  for (const auto& [k, val] : values) v.emplace_back(object + k, val);
  v.emplace_back(object + "DiagnosticsState", "Requested");
  h.engine->setValues(v, sdk::Source::Acs);
}

// The models' dateTime with microseconds; such strings order as the times do.
bool isMicrosecondTime(const std::string& v) {
  static const std::regex re(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)");
  return std::regex_match(v, re);
}

void expectOrderedTimes(PluginHarness& h, const std::string& at) {
  for (const char* p :
       {"TCPOpenRequestTime", "TCPOpenResponseTime", "ROMTime", "BOMTime", "EOMTime"})
    EXPECT_TRUE(isMicrosecondTime(h.value(at + p))) << at << p << " = " << h.value(at + p);
  EXPECT_LE(h.value(at + "TCPOpenRequestTime"), h.value(at + "TCPOpenResponseTime"));
  EXPECT_LE(h.value(at + "TCPOpenResponseTime"), h.value(at + "ROMTime"));
  EXPECT_LE(h.value(at + "ROMTime"), h.value(at + "BOMTime"));
  EXPECT_LE(h.value(at + "BOMTime"), h.value(at + "EOMTime"));
}

class Transfer : public ::testing::Test {
 protected:
  HttpServer server;
  PluginHarness h{"Device", {"wan", "diagnostics"}, "[diagnostics]\ntransfer_timeout_ms = 500\n"};
};

TEST_F(Transfer, DownloadsFiftyMegabytesWithExactCountsAndOrderedTimes) {
  constexpr std::uint64_t kSize = 50ULL << 20;
  EXPECT_EQ(h.value(kDl + "DiagnosticsState"), "None");
  EXPECT_EQ(h.value(kDl + "ROMTime"), "0001-01-01T00:00:00Z");
  request(h, kDl, {{"DownloadURL", server.url("/bytes/" + std::to_string(kSize))}});
  ASSERT_EQ(awaitEnd(h, kDl), "Complete");
  EXPECT_EQ(h.value(kDl + "TestBytesReceived"), std::to_string(kSize + downloadHead(kSize).size()));
  expectOrderedTimes(h, kDl);
  EXPECT_EQ(h.value(kDl + "IPAddressUsed"), "127.0.0.1");
  // No Interface: the interface counters cannot be read (the model: SHOULD be 0).
  EXPECT_EQ(h.value(kDl + "TotalBytesReceived"), "0");
  EXPECT_EQ(h.value(kDl + "TestBytesReceivedUnderFullLoading"), h.value(kDl + "TestBytesReceived"));
  EXPECT_GT(std::stoull(h.value(kDl + "PeriodOfFullLoading")), 0U);
  EXPECT_EQ(h.value(kDl + "PerConnectionResultNumberOfEntries"), "0");  // not enabled
  EXPECT_EQ(completions(h), 1U);
}

TEST_F(Transfer, UploadsTwentyMegabytesWithExactCounts) {
  constexpr std::uint64_t kSize = 20ULL << 20;
  request(h, kUl, {{"UploadURL", server.url("/up")}, {"TestFileLength", std::to_string(kSize)}});
  ASSERT_EQ(awaitEnd(h, kUl), "Complete");
  const auto uploads = server.uploads();
  ASSERT_EQ(uploads.size(), 1U);
  EXPECT_EQ(uploads[0].bodyBytes, kSize);
  // Headers included, as the model says; exactly what reached the server.
  EXPECT_EQ(h.value(kUl + "TestBytesSent"), std::to_string(uploads[0].requestBytes));
  expectOrderedTimes(h, kUl);
  EXPECT_EQ(h.value(kUl + "IPAddressUsed"), "127.0.0.1");
  EXPECT_EQ(completions(h), 1U);
}

TEST_F(Transfer, FourConnectionsGiveFourPerConnectionResults) {
  constexpr std::uint64_t kSize = 4ULL << 20;
  request(h, kDl,
          {{"DownloadURL", server.url("/bytes/" + std::to_string(kSize))},
           {"NumberOfConnections", "4"},
           {"EnablePerConnectionResults", "true"}});
  ASSERT_EQ(awaitEnd(h, kDl), "Complete");
  ASSERT_EQ(h.value(kDl + "PerConnectionResultNumberOfEntries"), "4");
  std::uint64_t sum = 0;
  std::string earliestRom = "9999";
  std::string latestEom;
  for (int i = 1; i <= 4; ++i) {
    const std::string row = kDl + "PerConnectionResult." + std::to_string(i) + ".";
    EXPECT_EQ(h.value(row + "TestBytesReceived"),
              std::to_string(kSize + downloadHead(kSize).size()));
    sum += std::stoull(h.value(row + "TestBytesReceived"));
    expectOrderedTimes(h, row);
    earliestRom = std::min(earliestRom, h.value(row + "ROMTime"));
    latestEom = std::max(latestEom, h.value(row + "EOMTime"));
  }
  EXPECT_EQ(h.value(kDl + "TestBytesReceived"), std::to_string(sum));
  EXPECT_EQ(h.value(kDl + "ROMTime"), earliestRom);
  EXPECT_EQ(h.value(kDl + "EOMTime"), latestEom);
  // A new request clears the rows.
  request(h, kDl, {{"NumberOfConnections", "1"}, {"EnablePerConnectionResults", "false"}});
  ASSERT_EQ(awaitEnd(h, kDl), "Complete");
  h.runUntil([&] { return h.value(kDl + "PerConnectionResultNumberOfEntries") == "0"; }, 5s);
  EXPECT_EQ(h.value(kDl + "PerConnectionResultNumberOfEntries"), "0");
}

TEST_F(Transfer, TimeBasedDownloadGivesIncrementalResults) {
  request(h, kDl,
          {{"DownloadURL", server.url("/stream")},
           {"TimeBasedTestDuration", "2"},
           {"TimeBasedTestMeasurementInterval", "1"}});
  ASSERT_EQ(awaitEnd(h, kDl), "Complete");
  ASSERT_EQ(h.value(kDl + "IncrementalResultNumberOfEntries"), "2");
  std::uint64_t sum = 0;
  for (int i = 1; i <= 2; ++i) {
    const std::string row = kDl + "IncrementalResult." + std::to_string(i) + ".";
    EXPECT_TRUE(isMicrosecondTime(h.value(row + "StartTime")));
    EXPECT_LT(h.value(row + "StartTime"), h.value(row + "EndTime"));
    EXPECT_GT(std::stoull(h.value(row + "TestBytesReceived")), 0U);
    sum += std::stoull(h.value(row + "TestBytesReceived"));
  }
  EXPECT_EQ(h.value(kDl + "IncrementalResult.1.EndTime"),
            h.value(kDl + "IncrementalResult.2.StartTime"));
  EXPECT_LE(h.value(kDl + "BOMTime"), h.value(kDl + "IncrementalResult.1.StartTime"));
  EXPECT_LE(sum, std::stoull(h.value(kDl + "TestBytesReceived")));
}

TEST_F(Transfer, TimeBasedUploadSendsChunkedUntilTheDuration) {
  request(h, kUl, {{"UploadURL", server.url("/up")}, {"TimeBasedTestDuration", "1"}});
  ASSERT_EQ(awaitEnd(h, kUl), "Complete");
  const auto uploads = server.uploads();
  ASSERT_EQ(uploads.size(), 1U);
  EXPECT_GT(uploads[0].bodyBytes, 0U);
  EXPECT_EQ(h.value(kUl + "TestBytesSent"), std::to_string(uploads[0].requestBytes));
}

TEST_F(Transfer, FailuresEndInTheModelsErrorStates) {
  const std::string refused = "http://127.0.0.1:" + std::to_string(closedPort()) + "/x";
  request(h, kDl, {{"DownloadURL", refused}});
  EXPECT_EQ(awaitEnd(h, kDl), "Error_InitConnectionFailed");
  EXPECT_EQ(h.value(kDl + "ROMTime"), "0001-01-01T00:00:00Z");
  request(h, kDl, {{"DownloadURL", "http://no-such-host.invalid/x"}});
  EXPECT_EQ(awaitEnd(h, kDl), "Error_CannotResolveHostName");
  request(h, kDl, {{"DownloadURL", server.url("/missing")}});
  EXPECT_EQ(awaitEnd(h, kDl), "Error_TransferFailed");
  request(h, kDl, {{"DownloadURL", server.url("/silent")}});  // transfer_timeout_ms = 500
  EXPECT_EQ(awaitEnd(h, kDl), "Error_NoResponse");
  request(h, kUl, {{"UploadURL", refused}, {"TestFileLength", "1000"}});
  EXPECT_EQ(awaitEnd(h, kUl), "Error_InitConnectionFailed");
  request(h, kUl, {{"UploadURL", server.url("/silent")}});
  // /silent answers no PUT either: the server reads the body and records it.
  EXPECT_EQ(awaitEnd(h, kUl), "Complete");
  EXPECT_EQ(completions(h), 6U);
}

TEST_F(Transfer, ANewSetCancelsTheRunningTest) {
  // A time-based test of 100 s: the set of another parameter ends it at once.
  request(h, kDl, {{"DownloadURL", server.url("/stream")}, {"TimeBasedTestDuration", "100"}});
  h.runUntil([] { return false; }, 200ms);
  EXPECT_EQ(h.value(kDl + "DiagnosticsState"), "Requested");
  h.engine->setValues({{kDl + "TimeBasedTestDuration", "0"}}, sdk::Source::Acs);
  EXPECT_EQ(h.value(kDl + "DiagnosticsState"), "None");
  request(h, kDl, {{"DownloadURL", server.url("/bytes/1000")}});
  ASSERT_EQ(awaitEnd(h, kDl, 10s), "Complete");
  EXPECT_EQ(h.value(kDl + "TestBytesReceived"), std::to_string(1000 + downloadHead(1000).size()));
  EXPECT_EQ(completions(h), 1U);
}

TEST_F(Transfer, RefusesWhatCannotRun) {
  for (const char* url : {"ftp://127.0.0.1/file", "https://127.0.0.1/file", "http://", "http:///x",
                          "gopher://x", "not a url", "http://host/a b"})
    EXPECT_EQ(h.setFaultCode(kDl + "DownloadURL", url), 9007) << url;
  EXPECT_EQ(h.setFaultCode(kUl + "UploadURL", "ftp://127.0.0.1/up"), 9007);
  EXPECT_EQ(h.setFaultCode(kDl + "NumberOfConnections", "0"), 9007);
  EXPECT_EQ(h.setFaultCode(kDl + "NumberOfConnections", "9"), 9007);
  EXPECT_EQ(h.setFaultCode(kUl + "TestFileLength", "-1"), 9007);
  EXPECT_EQ(h.setFaultCode(kUl + "TestFileLength", "17179869185"), 9007);
  EXPECT_EQ(h.setFaultCode(kUl + "TestFileLength", "99999999999999999999999"), 9007);
  EXPECT_EQ(h.setFaultCode(kDl + "TimeBasedTestDuration", "1000"), 9007);
  EXPECT_EQ(h.setFaultCode(kDl + "DiagnosticsState", "Complete"), 9007);
  EXPECT_EQ(h.setFaultCode(kDl + "Interface", "Device.IP.Interface.99."), 9007);
  EXPECT_EQ(h.value(kDl + "DiagnosticsState"), "None");
  // A request without a URL ends in an error state, not a hang.
  request(h, kDl, {});
  EXPECT_EQ(awaitEnd(h, kDl), "Error_Other");
}

TEST_F(Transfer, CapabilitiesSayWhatRuns) {
  EXPECT_EQ(h.value("Device.IP.Diagnostics.IPv4DownloadDiagnosticsSupported"), "true");
  EXPECT_EQ(h.value("Device.IP.Diagnostics.IPv6UploadDiagnosticsSupported"), "true");
  EXPECT_EQ(h.value(kDl + "DownloadTransports"), "HTTP");
  EXPECT_EQ(h.value(kUl + "UploadTransports"), "HTTP");
  EXPECT_EQ(h.value(kDl + "DownloadDiagnosticMaxConnections"), "8");
  EXPECT_EQ(h.value(kUl + "UploadDiagnosticsMaxConnections"), "8");
}

TEST(TransferTr098, DownloadsAndUploadsUnderTheTr098Root) {
  HttpServer server;
  PluginHarness h{"InternetGatewayDevice", {"diagnostics"}};
  constexpr std::uint64_t kSize = 1ULL << 20;
  request(h, kDl098, {{"DownloadURL", server.url("/bytes/" + std::to_string(kSize))}});
  ASSERT_EQ(awaitEnd(h, kDl098), "Completed");  // TR-098's word
  EXPECT_EQ(h.value(kDl098 + "TestBytesReceived"),
            std::to_string(kSize + downloadHead(kSize).size()));
  expectOrderedTimes(h, kDl098);
  request(h, kUl098, {{"UploadURL", server.url("/up")}, {"TestFileLength", std::to_string(kSize)}});
  ASSERT_EQ(awaitEnd(h, kUl098), "Completed");
  ASSERT_EQ(server.uploads().size(), 1U);
  EXPECT_EQ(h.value(kUl098 + "TotalBytesSent"), std::to_string(server.uploads()[0].requestBytes));
  // TR-098 has no Error_CannotResolveHostName for these tests.
  request(h, kDl098, {{"DownloadURL", "http://no-such-host.invalid/"}});
  EXPECT_EQ(awaitEnd(h, kDl098), "Error_InitConnectionFailed");
  EXPECT_EQ(completions(h), 3U);
}

}  // namespace
}  // namespace cwmpd::testing
