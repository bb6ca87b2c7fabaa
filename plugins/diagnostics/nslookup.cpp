// NSLookupDiagnostics (TR-181 Device.DNS.Diagnostics.NSLookupDiagnostics., TR-098
// InternetGatewayDevice.NSLookupDiagnostics.) over hal::Diagnostics::nsLookup, one Result
// row per repetition.
#include <cwmpd/hal/hal.hpp>

#include "diagnostics.hpp"

namespace cwmpd::plugins::diagnostics {

namespace {

const char* statusText(hal::NsLookupAnswer::Status s) {
  using S = hal::NsLookupAnswer::Status;
  switch (s) {
    case S::Success: return "Success";
    case S::DnsServerNotAvailable: return "Error_DNSServerNotAvailable";
    case S::HostNameNotResolved: return "Error_HostNameNotResolved";
    case S::Timeout: return "Error_Timeout";
    case S::Other: break;
  }
  return "Error_Other";
}

std::string stateOf(hal::NsLookupResult::Outcome o) {
  using O = hal::NsLookupResult::Outcome;
  switch (o) {
    case O::Complete: return "Complete";
    case O::DnsServerNotResolved: return "Error_DNSServerNotResolved";
    case O::Internal: return "Error_Internal";
    case O::Other:
    case O::Canceled: break;
  }
  return "Error_Other";
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

}  // namespace

std::unique_ptr<DiagTest> makeNsLookup(sdk::Host& host, bool tr181) {
  DiagTest::Spec s;
  s.object = tr181 ? "Device.DNS.Diagnostics.NSLookupDiagnostics."
                   : "InternetGatewayDevice.NSLookupDiagnostics.";
  s.params = {{"Interface", ""},
              {"HostName", ""},
              {"DNSServer", ""},
              {"Timeout", "5000"},
              {"NumberOfRepetitions", "1"}};
  s.results = {{"SuccessCount", "0"}};
  s.tables.push_back({s.object + "Result.", {}});
  s.tables[0].params = {{"Status", "Error_Other"}, {"AnswerType", "None"}, {"HostNameReturned", ""},
                        {"IPAddresses", ""},       {"DNSServerIP", ""},    {"ResponseTime", "0"}};
  s.check = [&host](const sdk::Change& c) {
    if (c.parameter == "Interface") interfaceName(host, c.value, c.path());
    if (c.parameter == "Timeout") checkAtMost(c, kMaxTimeoutMs);
    // The models give no range: 0 asks nothing, and no request may run for days.
    if (c.parameter == "NumberOfRepetitions") {
      checkAtMost(c, kMaxLookups);
      if (c.value == "0")
        throw sdk::Fault(sdk::FaultCode::InvalidParameterValue, c.path() + ": at least 1");
    }
  };
  s.prepare = [&host](const std::map<std::string, std::string>& v) -> Work {
    hal::NsLookupRequest rq;
    rq.hostName = v.at("HostName");
    rq.dnsServer = v.at("DNSServer");
    rq.interfaceName = interfaceName(host, v.at("Interface"), "Interface");
    rq.timeoutMs = static_cast<std::uint32_t>(std::max(1UL, std::stoul(v.at("Timeout"))));
    rq.repetitions =
        static_cast<std::uint32_t>(std::max(1UL, std::stoul(v.at("NumberOfRepetitions"))));
    rq.port = dnsPort(host);
    if (rq.dnsServer.empty()) {  // the box's own resolver's first server
      const auto servers = host.hal().network().dnsServers();
      if (!servers.empty()) rq.dnsServer = servers.front();
    }
    hal::Diagnostics& diag = host.hal().diagnostics();
    return [&diag, rq](const std::atomic<bool>& cancel) {
      Outcome o;
      if (rq.dnsServer.empty()) {
        o.state = "Error_DNSServerNotResolved";
        o.detail = "no DNS server given and none configured";
        return o;
      }
      const hal::NsLookupResult r = diag.nsLookup(rq, cancel);
      o.state = stateOf(r.outcome);
      o.detail = r.detail;
      if (r.outcome != hal::NsLookupResult::Outcome::Complete) return o;
      unsigned success = 0;
      for (const auto& a : r.answers) {
        const bool ok = a.status == hal::NsLookupAnswer::Status::Success;
        success += ok ? 1U : 0U;
        o.rows().push_back({{"Status", statusText(a.status)},
                            {"AnswerType", !ok               ? "None"
                                           : a.authoritative ? "Authoritative"
                                                             : "NonAuthoritative"},
                            {"HostNameReturned", a.hostNameReturned},
                            {"IPAddresses", join(a.addresses)},
                            {"DNSServerIP", a.dnsServerIp},
                            {"ResponseTime", std::to_string(a.responseTimeMs)}});
      }
      o.results["SuccessCount"] = std::to_string(success);
      return o;
    };
  };
  return std::make_unique<DiagTest>(host, std::move(s));
}

}  // namespace cwmpd::plugins::diagnostics
