// TR-143 DownloadDiagnostics and UploadDiagnostics (TR-181 and TR-098) against a loopback
// HTTP server and a loopback FTP server (pyftpdlib) the test runs: exact byte counts,
// ordered times, throughput against the server's own measure, several connections,
// time-based tests, the error states, cancel by a new set, set-time refusals.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <tuple>
#include <vector>

#include "../harness/plugin_harness.hpp"
#include "../support/loopback_port.hpp"
#include "../support/loopback_ftp_server.hpp"
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

// A model dateTime with microseconds as seconds since the epoch.
double secondsOf(const std::string& v) {
  std::tm tm{};
  ::strptime(v.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  return static_cast<double>(::timegm(&tm)) + (std::stod(v.substr(20, 6)) / 1e6);
}

// The throughput the agent's figures give, bytes / (EOMTime - BOMTime), is within 5% of the
// one the server measured on its own clock (its bytes between its first and last byte).
// The servers pace the data (so the transfer lasts long enough to measure) and wait before
// a download's first byte: a BOMTime taken at the request, an EOMTime taken at a close or
// after the upload's last send() instead of at its confirmation would be far off.
void expectThroughputMatches(PluginHarness& h, const std::string& at, const std::string& bytes,
                             std::uint64_t serverBytes, double first, double last) {
  const double agentSeconds =
      secondsOf(h.value(at + "EOMTime")) - secondsOf(h.value(at + "BOMTime"));
  ASSERT_GT(agentSeconds, 0.0);
  ASSERT_GT(last - first, 0.3) << "the server did not pace the transfer";
  const double agent = static_cast<double>(std::stoull(h.value(at + bytes))) / agentSeconds;
  const double server = static_cast<double>(serverBytes) / (last - first);
  EXPECT_NEAR(agent / server, 1.0, 0.05)
      << "agent " << agent << " B/s over " << agentSeconds << " s, server " << server
      << " B/s over " << (last - first) << " s";
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

TEST_F(Transfer, FourUploadConnectionsGiveFourPerConnectionResults) {
  constexpr std::uint64_t kSize = 2ULL << 20;
  request(h, kUl,
          {{"UploadURL", server.url("/up")},
           {"TestFileLength", std::to_string(kSize)},
           {"NumberOfConnections", "4"},
           {"EnablePerConnectionResults", "true"}});
  ASSERT_EQ(awaitEnd(h, kUl), "Complete");
  const auto uploads = server.uploads();
  ASSERT_EQ(uploads.size(), 4U);
  ASSERT_EQ(h.value(kUl + "PerConnectionResultNumberOfEntries"), "4");
  std::uint64_t sum = 0;
  for (int i = 1; i <= 4; ++i) {
    const std::string row = kUl + "PerConnectionResult." + std::to_string(i) + ".";
    EXPECT_EQ(h.value(row + "TestBytesSent"), std::to_string(uploads[0].requestBytes));
    sum += std::stoull(h.value(row + "TestBytesSent"));
    expectOrderedTimes(h, row);
  }
  for (const auto& u : uploads) EXPECT_EQ(u.bodyBytes, kSize);
  EXPECT_EQ(h.value(kUl + "TestBytesSent"), std::to_string(sum));
}

TEST_F(Transfer, DownloadThroughputMatchesTheServersMeasure) {
  constexpr std::uint64_t kSize = 50ULL << 20;
  server.pace = 50e6;  // about 1 s
  request(h, kDl, {{"DownloadURL", server.url("/paced/" + std::to_string(kSize))}});
  ASSERT_EQ(awaitEnd(h, kDl), "Complete");
  h.runUntil([&] { return !server.paced().empty(); }, 5s);
  ASSERT_EQ(server.paced().size(), 1U);
  const auto p = server.paced()[0];
  EXPECT_EQ(h.value(kDl + "TestBytesReceived"), std::to_string(p.bytes));
  expectThroughputMatches(h, kDl, "TestBytesReceived", p.bytes, p.first, p.last);
}

TEST_F(Transfer, UploadThroughputMatchesTheServersMeasure) {
  constexpr std::uint64_t kSize = 20ULL << 20;
  server.pace = 25e6;  // about 0.8 s
  request(h, kUl, {{"UploadURL", server.url("/paced")}, {"TestFileLength", std::to_string(kSize)}});
  ASSERT_EQ(awaitEnd(h, kUl), "Complete");
  ASSERT_EQ(server.paced().size(), 1U);
  const auto p = server.paced()[0];
  EXPECT_EQ(p.bytes, kSize);
  expectThroughputMatches(h, kUl, "TestBytesSent", p.bytes, p.first, p.last);
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
  for (const char* url : {"ftps://127.0.0.1/file", "sftp://127.0.0.1/file",
                          "https://127.0.0.1/file", "http://", "http:///x", "ftp://", "ftp:///x",
                          "gopher://x", "not a url", "http://host/a b", "ftp://host/a b"})
    EXPECT_EQ(h.setFaultCode(kDl + "DownloadURL", url), 9007) << url;
  EXPECT_EQ(h.setFaultCode(kUl + "UploadURL", "ftps://127.0.0.1/up"), 9007);
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
  EXPECT_EQ(h.value(kDl + "DownloadTransports"), "HTTP,FTP");
  EXPECT_EQ(h.value(kUl + "UploadTransports"), "HTTP,FTP");
  EXPECT_EQ(h.value(kDl + "DownloadDiagnosticMaxConnections"), "8");
  EXPECT_EQ(h.value(kUl + "UploadDiagnosticsMaxConnections"), "8");
}

// ---- FTP ----

class FtpTransfer : public ::testing::Test {
 protected:
  PluginHarness h{"Device", {"wan", "diagnostics"}, "[diagnostics]\ntransfer_timeout_ms = 1000\n"};
};

TEST_F(FtpTransfer, DownloadsFiftyMegabytesWithTheServersByteCountAndThroughput) {
  constexpr std::uint64_t kSize = 50ULL << 20;
  FtpServer ftp(50e6, 0.3);  // about 1 s of data, 0.3 s after the RETR
  ftp.put("big.bin", kSize);
  request(h, kDl, {{"DownloadURL", ftp.url("big.bin")}});
  ASSERT_EQ(awaitEnd(h, kDl), "Complete") << h.value(kDl + "DiagnosticsState");
  EXPECT_EQ(h.value(kDl + "TestBytesReceived"), std::to_string(kSize));  // the file: no headers
  expectOrderedTimes(h, kDl);
  EXPECT_EQ(h.value(kDl + "IPAddressUsed"), "127.0.0.1");
  const auto seen = ftp.transfers();
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].command, "RETR");
  EXPECT_EQ(seen[0].bytes, kSize);
  expectThroughputMatches(h, kDl, "TestBytesReceived", seen[0].bytes, seen[0].first, seen[0].last);
  EXPECT_EQ(completions(h), 1U);
}

TEST_F(FtpTransfer, UploadsTwentyMegabytesWithTheServersByteCountAndThroughput) {
  constexpr std::uint64_t kSize = 20ULL << 20;
  FtpServer ftp(25e6);  // about 0.8 s
  request(
      h, kUl,
      {{"UploadURL", ftp.url("up.bin", "user:secret")}, {"TestFileLength", std::to_string(kSize)}});
  ASSERT_EQ(awaitEnd(h, kUl), "Complete");
  EXPECT_EQ(h.value(kUl + "TestBytesSent"), std::to_string(kSize));
  EXPECT_EQ(ftp.sizeOf("up.bin"), kSize);
  expectOrderedTimes(h, kUl);
  const auto seen = ftp.transfers();
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].command, "STOR");
  EXPECT_EQ(seen[0].bytes, kSize);
  expectThroughputMatches(h, kUl, "TestBytesSent", seen[0].bytes, seen[0].first, seen[0].last);
}

TEST_F(FtpTransfer, FourConnectionsGiveFourPerConnectionResultsBothWays) {
  constexpr std::uint64_t kSize = 2ULL << 20;
  FtpServer ftp;
  ftp.put("f.bin", kSize);
  for (const auto& [object, url, bytes] :
       {std::tuple{kDl, std::string("DownloadURL"), std::string("TestBytesReceived")},
        std::tuple{kUl, std::string("UploadURL"), std::string("TestBytesSent")}}) {
    std::vector<std::pair<std::string, std::string>> values = {
        {url, ftp.url(object == kDl ? "f.bin" : "up.bin")},
        {"NumberOfConnections", "4"},
        {"EnablePerConnectionResults", "true"}};
    if (object == kUl) values.emplace_back("TestFileLength", std::to_string(kSize));
    request(h, object, values);
    ASSERT_EQ(awaitEnd(h, object), "Complete") << object;
    ASSERT_EQ(h.value(object + "PerConnectionResultNumberOfEntries"), "4");
    for (int i = 1; i <= 4; ++i) {
      const std::string row = object + "PerConnectionResult." + std::to_string(i) + ".";
      EXPECT_EQ(h.value(row + bytes), std::to_string(kSize)) << row;
      expectOrderedTimes(h, row);
    }
    EXPECT_EQ(h.value(object + bytes), std::to_string(4 * kSize));
  }
  const auto seen = ftp.transfers();
  ASSERT_EQ(seen.size(), 8U);
  for (const auto& t : seen) EXPECT_EQ(t.bytes, kSize) << t.command;
}

TEST_F(FtpTransfer, TimeBasedTestsStopAtTheDuration) {
  FtpServer ftp(20e6);  // the whole file would take 2.5 s
  ftp.put("big.bin", 50ULL << 20);
  request(h, kDl,
          {{"DownloadURL", ftp.url("big.bin")},
           {"TimeBasedTestDuration", "1"},
           {"TimeBasedTestMeasurementInterval", "1"}});
  ASSERT_EQ(awaitEnd(h, kDl), "Complete");
  const auto received = std::stoull(h.value(kDl + "TestBytesReceived"));
  EXPECT_GT(received, 0U);
  EXPECT_LT(received, 50ULL << 20);
  EXPECT_EQ(h.value(kDl + "IncrementalResultNumberOfEntries"), "1");
  request(h, kUl, {{"UploadURL", ftp.url("up.bin")}, {"TimeBasedTestDuration", "1"}});
  ASSERT_EQ(awaitEnd(h, kUl), "Complete");
  const auto sent = std::stoull(h.value(kUl + "TestBytesSent"));
  EXPECT_GT(sent, 0U);
  EXPECT_EQ(ftp.sizeOf("up.bin"), sent);  // every byte sent reached the file
}

TEST_F(FtpTransfer, FailuresEndInTheModelsErrorStates) {
  FtpServer ftp;
  ftp.put("f.bin", 1000);
  const std::string refused = "ftp://127.0.0.1:" + std::to_string(closedPort()) + "/f.bin";
  request(h, kDl, {{"DownloadURL", refused}});
  EXPECT_EQ(awaitEnd(h, kDl), "Error_InitConnectionFailed");
  request(h, kDl, {{"DownloadURL", "ftp://no-such-host.invalid/f.bin"}});
  EXPECT_EQ(awaitEnd(h, kDl), "Error_CannotResolveHostName");
  request(h, kDl, {{"DownloadURL", ftp.url("missing.bin")}});
  EXPECT_EQ(awaitEnd(h, kDl), "Error_TransferFailed");
  request(h, kDl, {{"DownloadURL", ftp.url("f.bin", "user:wrong")}});
  EXPECT_EQ(awaitEnd(h, kDl), "Error_LoginFailed");
  request(h, kUl, {{"UploadURL", ftp.url("no/such/dir/up.bin")}, {"TestFileLength", "1000"}});
  EXPECT_EQ(awaitEnd(h, kUl), "Error_NoSTOR");
  request(h, kUl, {{"UploadURL", refused}, {"TestFileLength", "1000"}});
  EXPECT_EQ(awaitEnd(h, kUl), "Error_InitConnectionFailed");
  // A server that accepts the connection and never greets: transfer_timeout_ms = 1000.
  const int silent = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(silent, reinterpret_cast<sockaddr*>(&a), len), 0);
  ASSERT_EQ(::listen(silent, 4), 0);
  ::getsockname(silent, reinterpret_cast<sockaddr*>(&a), &len);
  request(h, kDl, {{"DownloadURL", "ftp://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/f"}});
  EXPECT_EQ(awaitEnd(h, kDl), "Error_NoResponse");
  ::close(silent);
  EXPECT_EQ(h.setFaultCode(kDl + "Interface", "Device.IP.Interface.99."), 9007);
  EXPECT_EQ(completions(h), 7U);
  // The server still serves: nothing above left it (or the agent) stuck.
  request(h, kDl, {{"DownloadURL", ftp.url("f.bin")}});
  ASSERT_EQ(awaitEnd(h, kDl), "Complete");
  EXPECT_EQ(h.value(kDl + "TestBytesReceived"), "1000");
}

TEST_F(FtpTransfer, ANewSetCancelsTheRunningTest) {
  FtpServer ftp(1e6);  // 50 s for the whole file
  ftp.put("big.bin", 50ULL << 20);
  ftp.put("small.bin", 1000);
  request(h, kDl, {{"DownloadURL", ftp.url("big.bin")}});
  h.runUntil([&] { return false; }, 300ms);
  EXPECT_EQ(h.value(kDl + "DiagnosticsState"), "Requested");
  h.engine->setValues({{kDl + "DSCP", "8"}}, sdk::Source::Acs);
  EXPECT_EQ(h.value(kDl + "DiagnosticsState"), "None");
  request(h, kDl, {{"DownloadURL", ftp.url("small.bin")}});
  ASSERT_EQ(awaitEnd(h, kDl, 10s), "Complete");
  EXPECT_EQ(h.value(kDl + "TestBytesReceived"), "1000");
  EXPECT_EQ(completions(h), 1U);
}

// The sim box's interface counters are the simulated ones (its net/NAME/statistics files),
// not the test machine's /sys/class/net: a sim interface "lo" (so that the test can bind to
// 127.0.0.1) whose counter files the test moves during the transfer.
TEST(TransferSim, TotalBytesAreTheSimulatedInterfaceCounters) {
  namespace fs = std::filesystem;
  std::string tmpl = (fs::temp_directory_path() / "cwmpd-simcounters-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  const fs::path dir = tmpl;
  const char* src = std::getenv("CWMPD_SOURCE_DIR");
  fs::copy(std::string(src ? src : ".") + "/config/sim", dir / "sim", fs::copy_options::recursive);
  const fs::path lo = dir / "sim" / "net" / "lo";
  fs::copy(dir / "sim" / "net" / "eth0", lo, fs::copy_options::recursive);
  const auto write = [&](const std::string& file, const std::string& v) {
    std::ofstream(lo / file) << v << "\n";
  };
  write("kind", "loopback");
  write("ipv4", "127.0.0.1/8");
  write("statistics/rx_bytes", "1000");
  write("statistics/tx_bytes", "2000");
  {
    HttpServer server;
    PluginHarness h{"Device", {"wan", "diagnostics"}, "", dir.string()};
    std::string row;
    for (int i = 1; i <= 8 && row.empty(); ++i) {
      const std::string r = "Device.IP.Interface." + std::to_string(i) + ".";
      try {
        if (h.value(r + "Name") == "lo") row = r;
      } catch (const std::exception&) {
      }
    }
    ASSERT_FALSE(row.empty()) << "no Device.IP.Interface row for the sim's lo";
    server.pace = 50e6;
    request(
        h, kDl,
        {{"DownloadURL", server.url("/paced/" + std::to_string(50ULL << 20))}, {"Interface", row}});
    // Past BOMTime (1 MiB of the body is out), before EOMTime: the box's counters move.
    h.runUntil([&] { return server.pacedUnderway.load() > 0; }, 20s);
    write("statistics/rx_bytes", "13345");
    write("statistics/tx_bytes", "2678");
    ASSERT_EQ(awaitEnd(h, kDl), "Complete");
    EXPECT_EQ(h.value(kDl + "TotalBytesReceived"), "12345");
    EXPECT_EQ(h.value(kDl + "TotalBytesSent"), "678");
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
}

TEST(TransferTr098, DownloadsAndUploadsOverFtpUnderTheTr098Root) {
  FtpServer ftp;
  constexpr std::uint64_t kSize = 1ULL << 20;
  ftp.put("f.bin", kSize);
  PluginHarness h{"InternetGatewayDevice", {"diagnostics"}};
  request(h, kDl098, {{"DownloadURL", ftp.url("f.bin")}});
  ASSERT_EQ(awaitEnd(h, kDl098), "Completed");
  EXPECT_EQ(h.value(kDl098 + "TestBytesReceived"), std::to_string(kSize));
  expectOrderedTimes(h, kDl098);
  request(h, kUl098, {{"UploadURL", ftp.url("up.bin")}, {"TestFileLength", std::to_string(kSize)}});
  ASSERT_EQ(awaitEnd(h, kUl098), "Completed");
  EXPECT_EQ(ftp.sizeOf("up.bin"), kSize);
  EXPECT_EQ(h.value(kUl098 + "TotalBytesSent"), std::to_string(kSize));
  request(h, kDl098, {{"DownloadURL", ftp.url("f.bin", "user:wrong")}});
  EXPECT_EQ(awaitEnd(h, kDl098), "Error_LoginFailed");
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
