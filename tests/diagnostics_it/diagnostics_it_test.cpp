// The ACS orders diagnostics over CWMP (TR-069 A.4.1.7 / the models' DiagnosticsState):
// SetParameterValues of a request, the session ends, the test runs on loopback, a new
// session opens with "8 DIAGNOSTICS COMPLETE", GetParameterValues reads the results.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <thread>
#include <string>
#include <vector>

#include "../support/loopback_ftp_server.hpp"
#include "../support/loopback_http_server.hpp"
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
  acs_->addRpc(
      "<cwmp:SetParameterValues><ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[3]\">" +
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
      "<string>" +
      p + "</string></ParameterNames></cwmp:GetParameterValues>");
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
  acs_->addRpc(
      "<cwmp:SetParameterValues><ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[2]\">" +
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

// TR-098: a download ordered by the ACS runs after the session on a loopback HTTP server,
// "8 DIAGNOSTICS COMPLETE" opens the next session, whose GetParameterValues reads the results
// (every message checked against the schema, as in every test here).
TEST_F(DiagnosticsIt, AcsOrderedTr098DownloadCompletesInANewSessionWithItsResults) {
  testing::HttpServer server;
  constexpr std::uint64_t kSize = 50ULL << 20;
  const std::string p = "InternetGatewayDevice.DownloadDiagnostics.";
  daemon_->set("cpe", "root", "InternetGatewayDevice");
  acs_->addRpc(
      "<cwmp:SetParameterValues><ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[2]\">" +
      value(p + "DownloadURL", "xsd:string", server.url("/late/" + std::to_string(kSize))) +
      value(p + "DiagnosticsState", "xsd:string", "Requested") +
      "</ParameterList><ParameterKey>dl-1</ParameterKey></cwmp:SetParameterValues>");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  // The server answers 2 s late: the test is still running when this is queued, so the
  // GetParameterValues goes to the session the completion opens.
  acs_->addRpc(
      "<cwmp:GetParameterValues><ParameterNames soap-enc:arrayType=\"xsd:string[1]\">"
      "<string>" +
      p + "</string></ParameterNames></cwmp:GetParameterValues>");
  ASSERT_TRUE(waitSessions(2, 30s));
  const auto all = informs(*acs_);
  ASSERT_GE(all.size(), 2u);
  const auto codes = eventCodes(all.at(1));
  EXPECT_NE(std::find(codes.begin(), codes.end(), "8 DIAGNOSTICS COMPLETE"), codes.end());
  const auto results = acs_->results();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].get<std::string>("method"), "SetParameterValuesResponse");
  ASSERT_EQ(results[1].get<std::string>("method"), "GetParameterValuesResponse");
  const std::string body = results[1].get<std::string>("body");
  EXPECT_EQ(parameterValue(body, p + "DiagnosticsState"), "Completed");
  ASSERT_FALSE(body.empty());
  EXPECT_EQ(parameterValue(body, p + "TestBytesReceived"),
            std::to_string(kSize + testing::downloadHead(kSize).size()));
  EXPECT_LE(parameterValue(body, p + "ROMTime"), parameterValue(body, p + "BOMTime"));
  EXPECT_LE(parameterValue(body, p + "BOMTime"), parameterValue(body, p + "EOMTime"));
}

// The value cwmpctl printed for `name` ("NAME   = VALUE" lines), "" when absent.
std::string printed(const std::string& out, const std::string& name) {
  const auto at = out.find(name + " ");
  if (at == std::string::npos) return {};
  const auto eq = out.find(" = ", at);
  const auto end = out.find('\n', at);
  return eq == std::string::npos || eq > end ? std::string() : out.substr(eq + 3, end - eq - 3);
}

// Over D-Bus (cwmpctl) a test starts at once, without waiting for an ACS session.
class DiagnosticsBus : public DiagnosticsIt {
 protected:
  void SetUp() override {
    DiagnosticsIt::SetUp();
    bus_ = std::make_unique<PrivateDbus>(dir_);
    daemon_->set("bus", "address", bus_->address());
    daemon_->start();
    ASSERT_TRUE(waitSessions(1));
    // The bus comes up after the plugins start: wait for the daemon's name on it.
    for (int i = 0; i < 100 && runCwmpctl(bus_->address(), {"status"}).first != 0; ++i)
      std::this_thread::sleep_for(100ms);
  }
  void TearDown() override {
    DiagnosticsIt::TearDown();
    bus_.reset();
  }
  std::unique_ptr<PrivateDbus> bus_;
};

TEST_F(DiagnosticsBus, CwmpctlPingAndTracerouteRunAndPrintTheirResults) {
  auto [code, out] = runCwmpctl(bus_->address(), {"ping", "127.0.0.1", "2"});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("Device.IP.Diagnostics.IPPing.DiagnosticsState"), std::string::npos) << out;
  EXPECT_NE(out.find("= Complete"), std::string::npos) << out;
  EXPECT_EQ(printed(out, "Device.IP.Diagnostics.IPPing.SuccessCount"), "2") << out;

  auto [trCode, trOut] = runCwmpctl(bus_->address(), {"traceroute", "127.0.0.1"});
  EXPECT_EQ(trCode, 0) << trOut;
  EXPECT_NE(trOut.find("Device.IP.Diagnostics.TraceRoute.RouteHops.1.HostAddress"),
            std::string::npos)
      << trOut;

  // An error state prints the results and exits 3.
  auto [badCode, badOut] = runCwmpctl(bus_->address(), {"ping", "no-such-host.invalid", "1"});
  EXPECT_EQ(badCode, 3) << badOut;
  EXPECT_NE(badOut.find("Error_CannotResolveHostName"), std::string::npos) << badOut;
  EXPECT_TRUE(daemon_->running());
}

TEST_F(DiagnosticsBus, CwmpctlDownloadAndUploadRunAndPrintTheirResults) {
  testing::HttpServer server;
  const std::string dl = "Device.IP.Diagnostics.DownloadDiagnostics.";
  auto [code, out] = runCwmpctl(bus_->address(), {"download", server.url("/bytes/1000000"), "2"});
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(printed(out, dl + "DiagnosticsState"), "Complete") << out;
  EXPECT_EQ(printed(out, dl + "TestBytesReceived"),
            std::to_string(2 * (1000000 + testing::downloadHead(1000000).size())))
      << out;
  EXPECT_EQ(printed(out, dl + "NumberOfConnections"), "2") << out;

  const std::string ul = "Device.IP.Diagnostics.UploadDiagnostics.";
  auto [upCode, upOut] = runCwmpctl(bus_->address(), {"upload", server.url("/up"), "3000000"});
  EXPECT_EQ(upCode, 0) << upOut;
  ASSERT_EQ(server.uploads().size(), 1u);
  EXPECT_EQ(server.uploads()[0].bodyBytes, 3000000u);
  EXPECT_EQ(printed(upOut, ul + "TestBytesSent"), std::to_string(server.uploads()[0].requestBytes))
      << upOut;

  // An unreachable server: the error state, exit 3; a bogus URL: fault 9007, exit 3.
  auto [badCode, badOut] =
      runCwmpctl(bus_->address(), {"download", "http://no-such-host.invalid/"});
  EXPECT_EQ(badCode, 3) << badOut;
  EXPECT_NE(badOut.find("Error_CannotResolveHostName"), std::string::npos) << badOut;
  auto [ftpsCode, ftpsOut] = runCwmpctl(bus_->address(), {"upload", "ftps://127.0.0.1/x", "10"});
  EXPECT_EQ(ftpsCode, 3) << ftpsOut;
  EXPECT_NE(ftpsOut.find("9007"), std::string::npos) << ftpsOut;
  EXPECT_TRUE(daemon_->running());
}

TEST_F(DiagnosticsBus, CwmpctlDownloadAndUploadOverFtp) {
  testing::FtpServer ftp;
  ftp.put("f.bin", 1000000);
  const std::string dl = "Device.IP.Diagnostics.DownloadDiagnostics.";
  auto [code, out] = runCwmpctl(bus_->address(), {"download", ftp.url("f.bin"), "2"});
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(printed(out, dl + "DiagnosticsState"), "Complete") << out;
  EXPECT_EQ(printed(out, dl + "TestBytesReceived"), "2000000") << out;
  auto [upCode, upOut] = runCwmpctl(bus_->address(), {"upload", ftp.url("up.bin"), "3000000"});
  EXPECT_EQ(upCode, 0) << upOut;
  EXPECT_EQ(printed(upOut, "Device.IP.Diagnostics.UploadDiagnostics.TestBytesSent"), "3000000")
      << upOut;
  EXPECT_EQ(ftp.sizeOf("up.bin"), 3000000U);
}

}  // namespace
}  // namespace cwmpd::test
