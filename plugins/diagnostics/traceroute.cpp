// TraceRoute (TR-181 Device.IP.Diagnostics.TraceRoute.) and TraceRouteDiagnostics (TR-098
// InternetGatewayDevice.TraceRouteDiagnostics.) over hal::Diagnostics::traceRoute, one
// RouteHops row per hop.
#include <cwmpd/hal/hal.hpp>

#include "diagnostics.hpp"

namespace cwmpd::plugins::diagnostics {

namespace {

std::string stateOf(hal::DiagnosticsOutcome o, bool tr181) {
  switch (o) {
    case hal::DiagnosticsOutcome::Complete: return "Complete";
    case hal::DiagnosticsOutcome::CannotResolveHostName: return "Error_CannotResolveHostName";
    case hal::DiagnosticsOutcome::MaxHopCountExceeded: return "Error_MaxHopCountExceeded";
    case hal::DiagnosticsOutcome::NoRouteToHost:
      return tr181 ? "Error_NoRouteToHost" : "Error_MaxHopCountExceeded";
    case hal::DiagnosticsOutcome::Internal:
      return tr181 ? "Error_Internal" : "Error_MaxHopCountExceeded";
    case hal::DiagnosticsOutcome::Other:
    case hal::DiagnosticsOutcome::Canceled: break;
  }
  // TR-098 knows only the two errors above; TR-181 has Error_Other.
  return tr181 ? "Error_Other" : "Error_MaxHopCountExceeded";
}

std::string joinMs(const std::vector<std::uint32_t>& v) {
  std::string out;
  for (auto ms : v) out += (out.empty() ? "" : ",") + std::to_string(ms);
  return out;
}

}  // namespace

std::unique_ptr<DiagTest> makeTraceRoute(sdk::Host& host, bool tr181) {
  DiagTest::Spec s;
  s.object =
      tr181 ? "Device.IP.Diagnostics.TraceRoute." : "InternetGatewayDevice.TraceRouteDiagnostics.";
  s.params = {{"Interface", ""},       {"Host", ""},  {"NumberOfTries", "3"}, {"Timeout", "5000"},
              {"DataBlockSize", "38"}, {"DSCP", "0"}, {"MaxHopCount", "30"}};
  s.results = {{"ResponseTime", "0"}};
  s.tables.push_back({s.object + "RouteHops.", {}});
  const std::string p = tr181 ? "" : "Hop";
  s.tables[0].params = {
      {p + "Host", ""}, {p + "HostAddress", ""}, {p + "ErrorCode", "0"}, {p + "RTTimes", ""}};
  if (tr181) {
    s.params["ProtocolVersion"] = "Any";
    s.results["IPAddressUsed"] = "";
  } else {
    s.internalError = "Error_MaxHopCountExceeded";  // TR-098 has no Error_Internal here
  }
  s.check = [&host](const sdk::Change& c) {
    if (c.parameter == "Interface") interfaceName(host, c.value, c.path());
    if (c.parameter == "Timeout") checkAtMost(c, kMaxTimeoutMs);
  };
  s.prepare = [&host, tr181, p](const std::map<std::string, std::string>& v) -> Work {
    hal::TraceRouteRequest rq;
    rq.host = v.at("Host");
    rq.interfaceName = interfaceName(host, v.at("Interface"), "Interface");
    if (tr181) rq.version = ipVersion(v.at("ProtocolVersion"));
    rq.tries = static_cast<std::uint32_t>(std::stoul(v.at("NumberOfTries")));
    rq.timeoutMs = static_cast<std::uint32_t>(std::stoul(v.at("Timeout")));
    rq.dataBlockSize = static_cast<std::uint32_t>(std::stoul(v.at("DataBlockSize")));
    rq.dscp = static_cast<std::uint32_t>(std::stoul(v.at("DSCP")));
    rq.maxHops = static_cast<std::uint32_t>(std::stoul(v.at("MaxHopCount")));
    hal::Diagnostics& diag = host.hal().diagnostics();
    return [&diag, rq, tr181, p](const std::atomic<bool>& cancel) {
      const hal::TraceRouteResult r = diag.traceRoute(rq, cancel);
      Outcome o;
      o.state = stateOf(r.outcome, tr181);
      o.detail = r.detail;
      if (r.outcome != hal::DiagnosticsOutcome::Complete) return o;
      o.results["ResponseTime"] = std::to_string(r.responseTimeMs);
      if (tr181) o.results["IPAddressUsed"] = r.addressUsed;
      for (const auto& h : r.hops)
        o.rows().push_back({{p + "Host", h.host},
                            {p + "HostAddress", h.address},
                            {p + "ErrorCode", std::to_string(h.errorCode)},
                            {p + "RTTimes", joinMs(h.rttMs)}});
      return o;
    };
  };
  return std::make_unique<DiagTest>(host, std::move(s));
}

}  // namespace cwmpd::plugins::diagnostics
