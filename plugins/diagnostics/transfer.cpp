// TR-143 DownloadDiagnostics and UploadDiagnostics (TR-181 Device.IP.Diagnostics.
// DownloadDiagnostics. / UploadDiagnostics., TR-098 InternetGatewayDevice.DownloadDiagnostics.
// / UploadDiagnostics.) over hal::Diagnostics::download / upload: HTTP and FTP.
#include <cwmpd/hal/hal.hpp>
#include <cwmpd/sdk/values.hpp>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <limits>

#include "diagnostics.hpp"

namespace cwmpd::plugins::diagnostics {

namespace {

using O = hal::TransferResult::Outcome;

// The models' DiagnosticsState for each outcome: TR-098 knows fewer errors (and says
// "Completed"), an upload has no Error_TransferFailed but Error_NoTransferComplete.
std::string stateOf(O o, bool tr181, bool upload) {
  switch (o) {
    case O::Complete: return tr181 ? "Complete" : "Completed";
    case O::NoResponse: return "Error_NoResponse";
    case O::InitConnectionFailed: return "Error_InitConnectionFailed";
    case O::CannotResolveHostName:
      return tr181 ? "Error_CannotResolveHostName" : "Error_InitConnectionFailed";
    case O::NoRouteToHost: return tr181 ? "Error_NoRouteToHost" : "Error_InitConnectionFailed";
    case O::Internal: return tr181 ? "Error_Internal" : "Error_InitConnectionFailed";
    case O::TransferFailed: return upload ? "Error_NoTransferComplete" : "Error_TransferFailed";
    case O::IncorrectSize: return upload ? "Error_NoTransferComplete" : "Error_IncorrectSize";
    case O::Timeout: return upload && !tr181 ? "Error_NoTransferComplete" : "Error_Timeout";
    case O::PasswordRequestFailed: return "Error_PasswordRequestFailed";
    case O::LoginFailed: return "Error_LoginFailed";
    case O::NoTransferMode: return "Error_NoTransferMode";
    case O::NoPasv: return "Error_NoPASV";
    case O::RequestRefused: return upload ? "Error_NoSTOR" : "Error_TransferFailed";
    case O::Other:
    case O::Canceled: break;
  }
  return tr181 ? "Error_Other" : "Error_InitConnectionFailed";
}

// The URL forms the engine speaks: http://HOST[...] and ftp://[USER[:PASSWORD]@]HOST[...]
// (the *Transports parameters say HTTP,FTP); anything else is refused at set time.
void checkUrl(const sdk::Change& c) {
  if (c.value.empty()) return;  // the default: a request without a URL ends in an error
  std::string lowered = c.value.substr(0, 7);
  for (auto& ch : lowered) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  const std::size_t rest = lowered == "http://" ? 7 : lowered.rfind("ftp://", 0) == 0 ? 6 : 0;
  if (rest == 0 || c.value.size() == rest || c.value[rest] == '/')
    throw sdk::Fault(sdk::FaultCode::InvalidParameterValue,
                     c.path() +
                         ": only http://HOST[:PORT]/PATH and ftp://HOST[:PORT]/PATH URLs "
                         "are supported");
  for (const char ch : c.value)
    if (static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f)
      throw sdk::Fault(sdk::FaultCode::InvalidParameterValue,
                       c.path() + ": spaces or control characters in the URL");
}

std::uint32_t idleTimeoutMs(sdk::Host& host) {
  const std::string v = host.config("diagnostics", "transfer_timeout_ms", "30000");
  try {
    const unsigned long ms = std::stoul(v);
    if (ms >= 1 && ms <= kMaxTimeoutMs) return static_cast<std::uint32_t>(ms);
  } catch (const std::exception&) {
  }
  host.log(sdk::LogLevel::Warning,
           "[diagnostics] transfer_timeout_ms '" + v + "' is out of range: using 30000");
  return 30000;
}

std::unique_ptr<DiagTest> makeTransfer(sdk::Host& host, bool tr181, bool upload) {
  DiagTest::Spec s;
  const std::string kind = upload ? "Upload" : "Download";
  s.object = (tr181 ? "Device.IP.Diagnostics." : "InternetGatewayDevice.") + kind + "Diagnostics.";
  const std::string urlParam = kind + "URL";
  const std::string testBytes = upload ? "TestBytesSent" : "TestBytesReceived";
  s.params = {{"Interface", ""}, {urlParam, ""}, {"DSCP", "0"}, {"EthernetPriority", "0"}};
  if (upload) s.params["TestFileLength"] = "0";
  s.results = {{"ROMTime", kUnknownTime},
               {"BOMTime", kUnknownTime},
               {"EOMTime", kUnknownTime},
               {"TCPOpenRequestTime", kUnknownTime},
               {"TCPOpenResponseTime", kUnknownTime}};
  if (!tr181) {
    // TR-098: TestBytesReceived and TotalBytesReceived for a download, TotalBytesSent only
    // for an upload.
    if (upload) {
      s.results["TotalBytesSent"] = "0";
    } else {
      s.results["TestBytesReceived"] = "0";
      s.results["TotalBytesReceived"] = "0";
    }
  } else {
    s.internalError = "Error_Internal";
    for (const char* p : {"TimeBasedTestDuration", "TimeBasedTestMeasurementInterval",
                          "TimeBasedTestMeasurementOffset"})
      s.params[p] = "0";
    s.params["ProtocolVersion"] = "Any";
    s.params["NumberOfConnections"] = "1";
    s.params["EnablePerConnectionResults"] = "false";
    for (const std::string& p :
         {testBytes, std::string("TotalBytesReceived"), std::string("TotalBytesSent"),
          testBytes + "UnderFullLoading", std::string("TotalBytesReceivedUnderFullLoading"),
          std::string("TotalBytesSentUnderFullLoading"), std::string("PeriodOfFullLoading")})
      s.results[p] = "0";
    s.results["IPAddressUsed"] = "";
    s.constants[kind + "Transports"] = kTransports;
    s.constants[upload ? "UploadDiagnosticsMaxConnections" : "DownloadDiagnosticMaxConnections"] =
        std::to_string(kMaxConnections);
    s.constants[kind + "DiagnosticsMaxIncrementalResult"] = std::to_string(kMaxIncrements);
    s.tables.push_back({s.object + "PerConnectionResult.",
                        {{"ROMTime", kUnknownTime},
                         {"BOMTime", kUnknownTime},
                         {"EOMTime", kUnknownTime},
                         {testBytes, "0"},
                         {"TotalBytesReceived", "0"},
                         {"TotalBytesSent", "0"},
                         {"TCPOpenRequestTime", kUnknownTime},
                         {"TCPOpenResponseTime", kUnknownTime}}});
    s.tables.push_back({s.object + "IncrementalResult.",
                        {{testBytes, "0"},
                         {"TotalBytesReceived", "0"},
                         {"TotalBytesSent", "0"},
                         {"StartTime", kUnknownTime},
                         {"EndTime", kUnknownTime}}});
  }
  if (!tr181) s.internalError = "Error_InitConnectionFailed";  // TR-098 has no Error_Internal

  s.check = [&host, urlParam](const sdk::Change& c) {
    if (c.parameter == "Interface") interfaceName(host, c.value, c.path());
    if (c.parameter == urlParam) checkUrl(c);
    if (c.parameter == "NumberOfConnections") checkAtMost(c, kMaxConnections);
    if (c.parameter == "TestFileLength") checkAtMost(c, kMaxTestFileLength);
  };
  s.prepare = [&host, tr181, upload, urlParam,
               testBytes](const std::map<std::string, std::string>& p) -> Work {
    hal::TransferRequest rq;
    rq.url = p.at(urlParam);
    rq.interfaceName = interfaceName(host, p.at("Interface"), "Interface");
    rq.dscp = static_cast<std::uint32_t>(std::stoul(p.at("DSCP")));
    rq.ethernetPriority = static_cast<std::uint32_t>(std::stoul(p.at("EthernetPriority")));
    if (upload) rq.uploadLength = std::stoull(p.at("TestFileLength"));
    bool perConnection = false;
    if (tr181) {
      rq.version = ipVersion(p.at("ProtocolVersion"));
      rq.connections = static_cast<std::uint32_t>(std::stoul(p.at("NumberOfConnections")));
      rq.durationS = static_cast<std::uint32_t>(std::stoul(p.at("TimeBasedTestDuration")));
      rq.intervalS =
          static_cast<std::uint32_t>(std::stoul(p.at("TimeBasedTestMeasurementInterval")));
      rq.offsetS = static_cast<std::uint32_t>(std::stoul(p.at("TimeBasedTestMeasurementOffset")));
      perConnection = sdk::parseBool(p.at("EnablePerConnectionResults"));
    }
    rq.idleTimeoutMs = idleTimeoutMs(host);
    hal::Diagnostics& diag = host.hal().diagnostics();
    return [&diag, rq, tr181, upload, perConnection, testBytes](const std::atomic<bool>& cancel) {
      Outcome o;
      if (rq.url.empty()) {
        o.state = stateOf(O::Other, tr181, upload);
        o.detail = "no URL";
        return o;
      }
      const hal::TransferResult r = upload ? diag.upload(rq, cancel) : diag.download(rq, cancel);
      o.state = stateOf(r.outcome, tr181, upload);
      o.detail = r.detail;
      if (r.outcome != O::Complete) return o;
      const hal::TransferTimes& t = r.total;
      o.results["ROMTime"] = dateTimeText(t.rom);
      o.results["BOMTime"] = dateTimeText(t.bom);
      o.results["EOMTime"] = dateTimeText(t.eom);
      o.results["TCPOpenRequestTime"] = dateTimeText(t.tcpOpenRequest);
      o.results["TCPOpenResponseTime"] = dateTimeText(t.tcpOpenResponse);
      if (!tr181) {
        // Without an Interface the test's own bytes are what crossed the box's interface.
        const bool counters = !rq.interfaceName.empty();
        if (upload) {
          o.results["TotalBytesSent"] = std::to_string(counters ? t.totalBytesSent : t.testBytes);
        } else {
          o.results["TestBytesReceived"] = std::to_string(t.testBytes);
          o.results["TotalBytesReceived"] =
              std::to_string(counters ? t.totalBytesReceived : t.testBytes);
        }
        return o;
      }
      o.results[testBytes] = std::to_string(t.testBytes);
      o.results["TotalBytesReceived"] = std::to_string(t.totalBytesReceived);
      o.results["TotalBytesSent"] = std::to_string(t.totalBytesSent);
      o.results[testBytes + "UnderFullLoading"] = std::to_string(r.testBytesUnderFullLoading);
      o.results["TotalBytesReceivedUnderFullLoading"] =
          std::to_string(r.totalBytesReceivedUnderFullLoading);
      o.results["TotalBytesSentUnderFullLoading"] =
          std::to_string(r.totalBytesSentUnderFullLoading);
      o.results["PeriodOfFullLoading"] = std::to_string(std::min<std::uint64_t>(
          r.periodOfFullLoadingUs, std::numeric_limits<std::uint32_t>::max()));
      o.results["IPAddressUsed"] = r.addressUsed;
      if (perConnection)
        for (const auto& c : r.connections)
          o.rows(0).push_back({{"ROMTime", dateTimeText(c.rom)},
                               {"BOMTime", dateTimeText(c.bom)},
                               {"EOMTime", dateTimeText(c.eom)},
                               {testBytes, std::to_string(c.testBytes)},
                               {"TotalBytesReceived", std::to_string(c.totalBytesReceived)},
                               {"TotalBytesSent", std::to_string(c.totalBytesSent)},
                               {"TCPOpenRequestTime", dateTimeText(c.tcpOpenRequest)},
                               {"TCPOpenResponseTime", dateTimeText(c.tcpOpenResponse)}});
      for (std::size_t i = 0; i < r.increments.size() && i < kMaxIncrements; ++i) {
        const auto& inc = r.increments[i];
        o.rows(1).push_back({{testBytes, std::to_string(inc.testBytes)},
                             {"TotalBytesReceived", std::to_string(inc.totalBytesReceived)},
                             {"TotalBytesSent", std::to_string(inc.totalBytesSent)},
                             {"StartTime", dateTimeText(inc.start)},
                             {"EndTime", dateTimeText(inc.end)}});
      }
      return o;
    };
  };
  return std::make_unique<DiagTest>(host, std::move(s));
}

}  // namespace

std::unique_ptr<DiagTest> makeDownload(sdk::Host& host, bool tr181) {
  return makeTransfer(host, tr181, false);
}

std::unique_ptr<DiagTest> makeUpload(sdk::Host& host, bool tr181) {
  return makeTransfer(host, tr181, true);
}

}  // namespace cwmpd::plugins::diagnostics
