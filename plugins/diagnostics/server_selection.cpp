// ServerSelectionDiagnostics (TR-181 Device.IP.Diagnostics.ServerSelectionDiagnostics.):
// NumberOfRepetitions ICMP echoes (hal::Diagnostics::ping) or UDP echoes
// (hal::Diagnostics::udpEcho) to each host of HostList in turn; the host with the smallest
// average response time is FastestHost. The model: "There MUST be a ping response to the
// transmitted ping, or timeout, before the next ping is sent out": one request in flight,
// the next one at once after it (no one-second interval as ping(8) keeps).
#include <cwmpd/hal/hal.hpp>
#include <cwmpd/sdk/staging.hpp>
#include <algorithm>
#include <cctype>
#include <optional>

#include "diagnostics.hpp"

namespace cwmpd::plugins::diagnostics {

namespace {

// RFC 862: the echo service's port, for a UDP Echo host given without one.
constexpr std::uint16_t kEchoPort = 7;

struct Probe {
  std::string host;
  std::uint16_t port = kEchoPort;
};

// A HostList entry for UDP Echo: "host", "host:port", "[v6 literal]:port" or a bare IPv6
// literal; nullopt for a bad port.
std::optional<Probe> udpProbe(const std::string& entry) {
  Probe p;
  std::string port;
  if (!entry.empty() && entry.front() == '[') {
    const auto close = entry.find(']');
    if (close == std::string::npos) return std::nullopt;
    p.host = entry.substr(1, close - 1);
    if (close + 1 < entry.size()) {
      if (entry[close + 1] != ':') return std::nullopt;
      port = entry.substr(close + 2);
    }
  } else if (std::count(entry.begin(), entry.end(), ':') == 1) {
    p.host = entry.substr(0, entry.find(':'));
    port = entry.substr(entry.find(':') + 1);
  } else {
    p.host = entry;
  }
  if (!port.empty()) {
    if (port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::nullopt;
    const unsigned long n = std::stoul(port);
    if (n == 0 || n > 65535) return std::nullopt;
    p.port = static_cast<std::uint16_t>(n);
  }
  return p;
}

// What one host gave: the same fields for ICMP and UDP echo.
struct HostResult {
  hal::DiagnosticsOutcome outcome = hal::DiagnosticsOutcome::Other;
  std::string addressUsed;
  std::uint32_t successCount = 0;
  std::uint64_t minimumUs = 0;
  std::uint64_t averageUs = 0;
  std::uint64_t maximumUs = 0;
};

template <typename R>
HostResult hostResult(const R& r) {
  return {r.outcome, r.addressUsed, r.successCount, r.minimumUs, r.averageUs, r.maximumUs};
}

}  // namespace

std::unique_ptr<DiagTest> makeServerSelection(sdk::Host& host) {
  DiagTest::Spec s;
  s.object = "Device.IP.Diagnostics.ServerSelectionDiagnostics.";
  s.params = {{"Interface", ""}, {"ProtocolVersion", "Any"},   {"Protocol", "ICMP"},
              {"HostList", ""},  {"NumberOfRepetitions", "3"}, {"Timeout", "1000"}};
  s.results = {{"FastestHost", ""},
               {"MinimumResponseTime", "0"},
               {"AverageResponseTime", "0"},
               {"MaximumResponseTime", "0"},
               {"IPAddressUsed", ""}};
  s.check = [&host](const sdk::Change& c) {
    if (c.parameter == "Interface") interfaceName(host, c.value, c.path());
    if (c.parameter == "NumberOfRepetitions") checkAtMost(c, kMaxRepetitions);
    if (c.parameter == "Timeout") checkAtMost(c, kMaxTimeoutMs);
  };
  s.prepare = [&host](const std::map<std::string, std::string>& p) -> Work {
    const std::vector<std::string> hosts = sdk::splitList(p.at("HostList"));
    const bool udp = p.at("Protocol") == "UDP Echo";
    const std::string iface = interfaceName(host, p.at("Interface"), "Interface");
    const hal::IpVersion version = ipVersion(p.at("ProtocolVersion"));
    const auto repetitions = static_cast<std::uint32_t>(std::stoul(p.at("NumberOfRepetitions")));
    const auto timeoutMs = static_cast<std::uint32_t>(std::stoul(p.at("Timeout")));
    hal::Diagnostics& diag = host.hal().diagnostics();
    return [&diag, hosts, udp, iface, version, repetitions,
            timeoutMs](const std::atomic<bool>& cancel) {
      Outcome o;
      if (hosts.empty()) {
        o.state = "Error_Other";
        o.detail = "empty HostList";
        return o;
      }
      std::size_t unresolved = 0;
      std::size_t internal = 0;
      std::optional<std::pair<std::string, HostResult>> fastest;
      for (const std::string& entry : hosts) {
        if (cancel.load()) return o;  // dropped: the test was cancelled
        HostResult r;
        if (udp) {
          const auto probe = udpProbe(entry);
          if (!probe) {
            ++unresolved;
            continue;
          }
          hal::UdpEchoRequest rq;
          rq.host = probe->host;
          rq.port = probe->port;
          rq.version = version;
          rq.interfaceName = iface;
          rq.repetitions = repetitions;
          rq.timeoutMs = timeoutMs;
          rq.interTransmissionMs = 0;
          r = hostResult(diag.udpEcho(rq, cancel));
        } else {
          hal::PingRequest rq;
          rq.host = entry;
          rq.version = version;
          rq.interfaceName = iface;
          rq.repetitions = repetitions;
          rq.timeoutMs = timeoutMs;
          rq.intervalMs = 0;
          r = hostResult(diag.ping(rq, cancel));
        }
        if (r.outcome == hal::DiagnosticsOutcome::CannotResolveHostName) ++unresolved;
        if (r.outcome == hal::DiagnosticsOutcome::Internal) ++internal;
        if (r.outcome != hal::DiagnosticsOutcome::Complete || r.successCount == 0) continue;
        if (!fastest || r.averageUs < fastest->second.averageUs) fastest.emplace(entry, r);
      }
      // No host answered: Complete with the results at zero (the model: "If there were no
      // successful responses across all Hosts, this value MUST be zero"), unless none of
      // them could even be tried.
      if (!fastest && unresolved == hosts.size()) {
        o.state = "Error_CannotResolveHostName";
        return o;
      }
      if (!fastest && internal > 0 && unresolved + internal == hosts.size()) {
        o.state = "Error_Internal";
        return o;
      }
      o.state = "Complete";
      if (fastest) {
        const HostResult& r = fastest->second;
        o.results["FastestHost"] = fastest->first;
        o.results["MinimumResponseTime"] = std::to_string(r.minimumUs);
        o.results["AverageResponseTime"] = std::to_string(r.averageUs);
        o.results["MaximumResponseTime"] = std::to_string(r.maximumUs);
        o.results["IPAddressUsed"] = r.addressUsed;
      }
      return o;
    };
  };
  return std::make_unique<DiagTest>(host, std::move(s));
}

}  // namespace cwmpd::plugins::diagnostics
