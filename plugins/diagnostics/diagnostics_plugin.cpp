// The diagnostics plugin: the tests an ACS orders with DiagnosticsState = "Requested"
// (TR-181 Device.IP.Diagnostics., TR-098 InternetGatewayDevice.IPPingDiagnostics.), run
// on threads of the plugin over hal::Diagnostics. See diag_test.hpp for the state machine
// and README.md for what is supported.
#include <cwmpd/sdk/config_keys.hpp>
#include <cwmpd/hal/hal.hpp>
#include <cwmpd/sdk/model_xml.hpp>
#include <cwmpd/sdk/plugin.hpp>
#include <cwmpd/sdk/values.hpp>
#include <cstdio>
#include <ctime>
#include <memory>
#include <vector>

#include "diagnostics.hpp"

namespace cwmpd::plugins::diagnostics {

void checkAtMost(const sdk::Change& c, std::uint64_t max) {
  if (std::stoull(c.value) > max)
    throw sdk::Fault(sdk::FaultCode::InvalidParameterValue,
                     c.path() + ": at most " + std::to_string(max) + " supported");
}

std::string interfaceName(sdk::Host& host, const std::string& reference, const std::string& what) {
  if (reference.empty()) return {};
  std::string name;
  try {
    if (reference.back() == '.') name = host.value(reference + "Name");
  } catch (const sdk::Fault&) {
    name.clear();
  }
  if (name.empty())
    throw sdk::Fault(sdk::FaultCode::InvalidParameterValue,
                     what + ": '" + reference + "' is not an interface of this box");
  return name;
}

std::uint16_t dnsPort(sdk::Host& host) {
  const std::string v = host.config("diagnostics", "dns_port", "53");
  try {
    const unsigned long p = std::stoul(v);
    if (p >= 1 && p <= 65535) return static_cast<std::uint16_t>(p);
  } catch (const std::exception&) {
  }
  host.log(sdk::LogLevel::Warning, "[diagnostics] dns_port '" + v + "' is no port: using 53");
  return 53;
}

// dateTime with the microseconds the models ask for: 2008-04-09T15:01:05.123456Z.
std::string dateTimeText(hal::WallTime t) {
  if (t == hal::WallTime{}) return kUnknownTime;
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  char micros[8];
  std::snprintf(micros, sizeof micros, "%06u", static_cast<unsigned>(us % 1000000));
  return std::string(date) + "." + micros + "Z";
}

hal::IpVersion ipVersion(const std::string& v) {
  if (v == "IPv4") return hal::IpVersion::IPv4;
  if (v == "IPv6") return hal::IpVersion::IPv6;
  return hal::IpVersion::Any;
}

}  // namespace cwmpd::plugins::diagnostics

namespace {

using namespace cwmpd::plugins::diagnostics;
namespace sdk = cwmpd::sdk;

class DiagnosticsPlugin : public sdk::Plugin {
 public:
  void registerModel(sdk::Registrar& reg) override {
    sdk::Host& host = reg.host();
    reg.definitions(cwmpd_plugin_model_xml);
    const bool tr181 = host.root() == "Device";
    tests_.push_back(makePing(host, tr181));
    tests_.push_back(makeTraceRoute(host, tr181));
    tests_.push_back(makeNsLookup(host, tr181));
    tests_.push_back(makeDownload(host, tr181));
    tests_.push_back(makeUpload(host, tr181));
    if (tr181) {
      tests_.push_back(makeUdpEcho(host));
      tests_.push_back(makeServerSelection(host));
    }
    echoServer_ =
        std::make_unique<UdpEchoServer>(host, tr181 ? "Device.IP.Diagnostics.UDPEchoConfig."
                                                    : "InternetGatewayDevice.UDPEchoConfig.");
    echoServer_->bind(reg);
    for (auto& t : tests_) t->bind(reg);
    if (tr181)
      capabilities(reg);
    else
      performanceDiagnostic(reg);
    // The end of the ACS session (or a set from outside a session): requested tests start.
    reg.onFlush([this] {
      for (auto& t : tests_) t->flush();
      echoServer_->flush();
    });
  }

  void stop() override {
    for (auto& t : tests_) t->stop();
    if (echoServer_) echoServer_->stop();
  }

 private:
  // Device.IP.Diagnostics.*Supported: what this plugin really runs.
  static void capabilities(sdk::Registrar& reg) {
    auto& b = reg.object("Device.IP.Diagnostics.");
    const auto yes = [](const sdk::InstanceRef&) { return std::string(sdk::boolText(true)); };
    const auto no = [](const sdk::InstanceRef&) { return std::string(sdk::boolText(false)); };
    for (const char* p :
         {"IPv4PingSupported", "IPv6PingSupported", "IPv4TraceRouteSupported",
          "IPv6TraceRouteSupported", "IPv4DownloadDiagnosticsSupported",
          "IPv6DownloadDiagnosticsSupported", "IPv4UploadDiagnosticsSupported",
          "IPv6UploadDiagnosticsSupported", "IPv4UDPEchoDiagnosticsSupported",
          "IPv6UDPEchoDiagnosticsSupported", "IPv4ServerSelectionDiagnosticsSupported",
          "IPv6ServerSelectionDiagnosticsSupported"})
      b.get(p, yes);
    b.get("IPLayerCapacitySupported", no);  // TR-471 IP capacity: not implemented
  }

  // TR-098 InternetGatewayDevice.Capabilities.PerformanceDiagnostic.: the transports of the
  // TR-143 tests (the TR-181 objects carry theirs as DownloadTransports / UploadTransports).
  static void performanceDiagnostic(sdk::Registrar& reg) {
    auto& b = reg.object("InternetGatewayDevice.Capabilities.PerformanceDiagnostic.");
    for (const char* p : {"DownloadTransports", "UploadTransports"})
      b.get(p, [](const sdk::InstanceRef&) { return std::string(kTransports); });
  }

  std::vector<std::unique_ptr<DiagTest>> tests_;
  std::unique_ptr<UdpEchoServer> echoServer_;
};

}  // namespace

CWMPD_PLUGIN(DiagnosticsPlugin, "diagnostics", "1.0")

// The config keys this plugin reads (Host::config): any other key is a config error.
CWMPD_PLUGIN_CONFIG_KEYS({"diagnostics", "dns_port", cwmpd::sdk::ConfigType::Unsigned},
                         {"diagnostics", "transfer_timeout_ms", cwmpd::sdk::ConfigType::Unsigned})
