// UDPEchoConfig (TR-181 Device.IP.Diagnostics.UDPEchoConfig., TR-098 InternetGatewayDevice.
// UDPEchoConfig.): the box's UDP echo server with the UDP Echo Plus fields (TR-143 A.1), and
// UDPEchoDiagnostics (TR-181): the client, over hal::Diagnostics::udpEchoServe / udpEcho.
#include <arpa/inet.h>

#include <cwmpd/hal/hal.hpp>
#include <cwmpd/sdk/values.hpp>

#include "diagnostics.hpp"

namespace cwmpd::plugins::diagnostics {

namespace {

constexpr std::size_t kMaxPacketResults = 1000;

std::string timeFromUs(std::int64_t us) {
  if (us == 0) return kUnknownTime;
  return dateTimeText(hal::WallTime(std::chrono::microseconds(us)));
}

bool isIpAddress(const std::string& v) {
  unsigned char buf[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, v.c_str(), buf) == 1 || ::inet_pton(AF_INET6, v.c_str(), buf) == 1;
}

}  // namespace

UdpEchoServer::UdpEchoServer(sdk::Host& host, std::string object)
    : host_(host),
      object_(std::move(object)),
      params_{{"Enable", "false"},
              {"Interface", ""},
              {"SourceIPAddress", ""},
              {"UDPPort", "0"},
              {"EchoPlusEnabled", "false"}} {}

UdpEchoServer::~UdpEchoServer() { stop(); }

void UdpEchoServer::bind(sdk::Registrar& reg) {
  auto& b = reg.object(object_);
  for (const auto& [name, fallback] : params_)
    b.get(name, [this, n = name](const sdk::InstanceRef&) { return params_[n]; });
  b.get("EchoPlusSupported", [](const sdk::InstanceRef&) { return std::string("true"); });
  const auto counter = [this](std::atomic<std::uint32_t> hal::UdpEchoServerStats::*field) {
    return [this, field](const sdk::InstanceRef&) {
      return std::to_string(((*stats_).*field).load());
    };
  };
  b.get("PacketsReceived", counter(&hal::UdpEchoServerStats::packetsReceived));
  b.get("PacketsResponded", counter(&hal::UdpEchoServerStats::packetsResponded));
  b.get("BytesReceived", counter(&hal::UdpEchoServerStats::bytesReceived));
  b.get("BytesResponded", counter(&hal::UdpEchoServerStats::bytesResponded));
  b.get("TimeFirstPacketReceived",
        [this](const sdk::InstanceRef&) { return timeFromUs(stats_->firstReceivedUs.load()); });
  b.get("TimeLastPacketReceived",
        [this](const sdk::InstanceRef&) { return timeFromUs(stats_->lastReceivedUs.load()); });
  b.validate([this](const std::vector<sdk::Change>& changes) {
    for (const auto& c : changes) {
      if (c.parameter == "Interface") interfaceName(host_, c.value, c.path());
      if (c.parameter == "UDPPort" && std::stoull(c.value) > 65535)
        throw sdk::Fault(sdk::FaultCode::InvalidParameterValue, c.path() + ": not a UDP port");
      if (c.parameter == "SourceIPAddress" && !c.value.empty() && !isIpAddress(c.value))
        throw sdk::Fault(sdk::FaultCode::InvalidParameterValue, c.path() + ": not an IP address");
    }
  });
  b.apply([this](const std::vector<sdk::Change>& changes) {
    before_ = params_;
    for (const auto& c : changes) params_[c.parameter] = c.value;
    dirty_ = true;
  });
  b.rollback([this](const std::vector<sdk::Change>&) { params_ = before_; });
}

void UdpEchoServer::stop() {
  if (cancel_) cancel_->store(true);
  if (thread_.joinable()) thread_.join();
  cancel_.reset();
}

void UdpEchoServer::flush() {
  if (!dirty_) return;
  dirty_ = false;
  stop();
  if (!sdk::parseBool(params_["Enable"])) return;
  hal::UdpEchoServerConfig config;
  try {
    config.interfaceName = interfaceName(host_, params_["Interface"], "Interface");
  } catch (const sdk::Fault& f) {
    host_.log(sdk::LogLevel::Warning, object_ + ": " + f.what());
    return;
  }
  const unsigned long port = std::stoul(params_["UDPPort"]);
  if (port == 0 || port > 65535) {
    host_.log(sdk::LogLevel::Warning, object_ + ": enabled without a UDPPort: not serving");
    return;
  }
  config.port = static_cast<std::uint16_t>(port);
  config.sourceAddress = params_["SourceIPAddress"];
  config.echoPlus = sdk::parseBool(params_["EchoPlusEnabled"]);
  // The model: enabled from a disabled state, every statistic is cleared; a restart for a
  // new configuration clears them too.
  stats_ = std::make_shared<hal::UdpEchoServerStats>();
  cancel_ = std::make_shared<std::atomic<bool>>(false);
  hal::Diagnostics& diag = host_.hal().diagnostics();
  sdk::Host* host = &host_;
  thread_ = std::thread([&diag, config, stats = stats_, cancel = cancel_, host, o = object_] {
    const std::string why = diag.udpEchoServe(config, *stats, *cancel);
    if (!why.empty())
      host->post([host, o, why] { host->log(sdk::LogLevel::Warning, o + ": " + why); });
  });
}

std::unique_ptr<DiagTest> makeUdpEcho(sdk::Host& host) {
  DiagTest::Spec s;
  s.object = "Device.IP.Diagnostics.UDPEchoDiagnostics.";
  s.params = {{"Interface", ""},
              {"Host", ""},
              {"Port", "7"},
              {"NumberOfRepetitions", "1"},
              {"Timeout", "5000"},
              {"DataBlockSize", "24"},
              {"DSCP", "0"},
              {"InterTransmissionTime", "1000"},
              {"ProtocolVersion", "Any"},
              {"EnableIndividualPacketResults", "false"}};
  s.results = {{"IPAddressUsed", ""},        {"SuccessCount", "0"},
               {"FailureCount", "0"},        {"AverageResponseTime", "0"},
               {"MinimumResponseTime", "0"}, {"MaximumResponseTime", "0"}};
  s.constants = {{"UDPEchoDiagnosticsMaxResults", std::to_string(kMaxPacketResults)}};
  s.tables.push_back({s.object + "IndividualPacketResult.",
                      {{"PacketSuccess", "false"},
                       {"PacketSendTime", kUnknownTime},
                       {"PacketReceiveTime", kUnknownTime},
                       {"TestGenSN", "0"},
                       {"TestRespSN", "0"},
                       {"TestRespRcvTimeStamp", "0"},
                       {"TestRespReplyTimeStamp", "0"},
                       {"TestRespReplyFailureCount", "0"}}});
  s.check = [&host](const sdk::Change& c) {
    if (c.parameter == "Interface") interfaceName(host, c.value, c.path());
    if (c.parameter == "NumberOfRepetitions") checkAtMost(c, kMaxRepetitions);
    if (c.parameter == "Timeout") checkAtMost(c, kMaxTimeoutMs);
  };
  s.prepare = [&host](const std::map<std::string, std::string>& p) -> Work {
    hal::UdpEchoRequest rq;
    rq.host = p.at("Host");
    rq.port = static_cast<std::uint16_t>(std::stoul(p.at("Port")));
    rq.interfaceName = interfaceName(host, p.at("Interface"), "Interface");
    rq.version = ipVersion(p.at("ProtocolVersion"));
    rq.repetitions = static_cast<std::uint32_t>(std::stoul(p.at("NumberOfRepetitions")));
    rq.timeoutMs = static_cast<std::uint32_t>(std::stoul(p.at("Timeout")));
    rq.dataBlockSize = static_cast<std::uint32_t>(std::stoul(p.at("DataBlockSize")));
    rq.dscp = static_cast<std::uint32_t>(std::stoul(p.at("DSCP")));
    rq.interTransmissionMs = static_cast<std::uint32_t>(std::stoul(p.at("InterTransmissionTime")));
    const bool individual = sdk::parseBool(p.at("EnableIndividualPacketResults"));
    hal::Diagnostics& diag = host.hal().diagnostics();
    return [&diag, rq, individual](const std::atomic<bool>& cancel) {
      Outcome o;
      if (rq.host.empty()) {
        o.state = "Error_Other";
        o.detail = "no Host";
        return o;
      }
      const hal::UdpEchoResult r = diag.udpEcho(rq, cancel);
      o.detail = r.detail;
      switch (r.outcome) {
        case hal::DiagnosticsOutcome::Complete: o.state = "Complete"; break;
        case hal::DiagnosticsOutcome::CannotResolveHostName:
          o.state = "Error_CannotResolveHostName";
          return o;
        case hal::DiagnosticsOutcome::Internal: o.state = "Error_Internal"; return o;
        default: o.state = "Error_Other"; return o;
      }
      o.results["IPAddressUsed"] = r.addressUsed;
      o.results["SuccessCount"] = std::to_string(r.successCount);
      o.results["FailureCount"] = std::to_string(r.failureCount);
      o.results["AverageResponseTime"] = std::to_string(r.averageUs);  // microseconds
      o.results["MinimumResponseTime"] = std::to_string(r.minimumUs);
      o.results["MaximumResponseTime"] = std::to_string(r.maximumUs);
      if (individual)
        for (std::size_t i = 0; i < r.packets.size() && i < kMaxPacketResults; ++i) {
          const auto& pk = r.packets[i];
          o.rows().push_back(
              {{"PacketSuccess", sdk::boolText(pk.success)},
               {"PacketSendTime", dateTimeText(pk.sent)},
               {"PacketReceiveTime", dateTimeText(pk.received)},
               {"TestGenSN", std::to_string(pk.genSn)},
               {"TestRespSN", std::to_string(pk.respSn)},
               {"TestRespRcvTimeStamp", std::to_string(pk.respRcvTimeStamp)},
               {"TestRespReplyTimeStamp", std::to_string(pk.respReplyTimeStamp)},
               {"TestRespReplyFailureCount", std::to_string(pk.respReplyFailureCount)}});
        }
      return o;
    };
  };
  return std::make_unique<DiagTest>(host, std::move(s));
}

}  // namespace cwmpd::plugins::diagnostics
