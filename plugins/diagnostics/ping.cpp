// IPPing (TR-181 Device.IP.Diagnostics.IPPing.) and IPPingDiagnostics (TR-098
// InternetGatewayDevice.IPPingDiagnostics.) over hal::Diagnostics::ping.
#include <cwmpd/hal/hal.hpp>

#include "diagnostics.hpp"

namespace cwmpd::plugins::diagnostics {

namespace {

std::string stateOf(hal::DiagnosticsOutcome o, bool tr181) {
  switch (o) {
    case hal::DiagnosticsOutcome::Complete: return "Complete";
    case hal::DiagnosticsOutcome::CannotResolveHostName: return "Error_CannotResolveHostName";
    case hal::DiagnosticsOutcome::NoRouteToHost:
      return tr181 ? "Error_NoRouteToHost" : "Error_Other";
    case hal::DiagnosticsOutcome::Internal: return "Error_Internal";
    case hal::DiagnosticsOutcome::MaxHopCountExceeded:
    case hal::DiagnosticsOutcome::Other:
    case hal::DiagnosticsOutcome::Canceled: break;
  }
  return "Error_Other";
}

}  // namespace

std::unique_ptr<DiagTest> makePing(sdk::Host& host, bool tr181) {
  DiagTest::Spec s;
  s.object = tr181 ? "Device.IP.Diagnostics.IPPing." : "InternetGatewayDevice.IPPingDiagnostics.";
  s.params = {
      {"Interface", ""},       {"Host", ""}, {"NumberOfRepetitions", "3"}, {"Timeout", "1000"},
      {"DataBlockSize", "64"}, {"DSCP", "0"}};
  s.results = {{"SuccessCount", "0"},
               {"FailureCount", "0"},
               {"AverageResponseTime", "0"},
               {"MinimumResponseTime", "0"},
               {"MaximumResponseTime", "0"}};
  if (tr181) {
    s.params["ProtocolVersion"] = "Any";
    for (const char* r : {"AverageResponseTimeDetailed", "MinimumResponseTimeDetailed",
                          "MaximumResponseTimeDetailed"})
      s.results[r] = "0";
    s.results["IPAddressUsed"] = "";
  }
  s.check = [&host](const sdk::Change& c) {
    if (c.parameter == "Interface") interfaceName(host, c.value, c.path());
    if (c.parameter == "NumberOfRepetitions") checkAtMost(c, kMaxRepetitions);
    if (c.parameter == "Timeout") checkAtMost(c, kMaxTimeoutMs);
  };
  s.prepare = [&host, tr181](const std::map<std::string, std::string>& p) -> Work {
    hal::PingRequest rq;
    rq.host = p.at("Host");
    rq.interfaceName = interfaceName(host, p.at("Interface"), "Interface");
    if (tr181) rq.version = ipVersion(p.at("ProtocolVersion"));
    rq.repetitions = static_cast<std::uint32_t>(std::stoul(p.at("NumberOfRepetitions")));
    rq.timeoutMs = static_cast<std::uint32_t>(std::stoul(p.at("Timeout")));
    rq.dataBlockSize = static_cast<std::uint32_t>(std::stoul(p.at("DataBlockSize")));
    rq.dscp = static_cast<std::uint32_t>(std::stoul(p.at("DSCP")));
    hal::Diagnostics& diag = host.hal().diagnostics();
    return [&diag, rq, tr181](const std::atomic<bool>& cancel) {
      const hal::PingResult r = diag.ping(rq, cancel);
      Outcome o;
      o.state = stateOf(r.outcome, tr181);
      o.detail = r.detail;
      if (r.outcome != hal::DiagnosticsOutcome::Complete) return o;
      o.results["SuccessCount"] = std::to_string(r.successCount);
      o.results["FailureCount"] = std::to_string(r.failureCount);
      o.results["AverageResponseTime"] = msFromUs(r.averageUs);
      o.results["MinimumResponseTime"] = msFromUs(r.minimumUs);
      o.results["MaximumResponseTime"] = msFromUs(r.maximumUs);
      if (tr181) {
        o.results["AverageResponseTimeDetailed"] = std::to_string(r.averageUs);
        o.results["MinimumResponseTimeDetailed"] = std::to_string(r.minimumUs);
        o.results["MaximumResponseTimeDetailed"] = std::to_string(r.maximumUs);
        o.results["IPAddressUsed"] = r.addressUsed;
      }
      return o;
    };
  };
  return std::make_unique<DiagTest>(host, std::move(s));
}

}  // namespace cwmpd::plugins::diagnostics
