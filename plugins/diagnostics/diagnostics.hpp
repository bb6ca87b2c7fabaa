// What the tests of the diagnostics plugin share.
#pragma once

#include <cwmpd/hal/diagnostics.hpp>
#include <cwmpd/sdk/plugin.hpp>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "diag_test.hpp"

namespace cwmpd::plugins::diagnostics {

// Bounds of what one request may ask, so that no request ties the box up for days: the
// models give no maximum, a value above these is refused with 9007 at set time.
inline constexpr std::uint64_t kMaxRepetitions = 10000;
inline constexpr std::uint64_t kMaxTimeoutMs = 600000;
inline constexpr std::uint64_t kMaxLookups = 100;
// Throughput tests: connections in parallel, the upload's TestFileLength (16 GiB, minutes
// on a gigabit line), IncrementalResult rows (TimeBasedTestDuration is at most 999 s).
inline constexpr std::uint64_t kMaxConnections = 8;
inline constexpr std::uint64_t kMaxTestFileLength = std::uint64_t{1} << 34;
inline constexpr std::size_t kMaxIncrements = 999;
// The transports of the TR-143 tests (*Transports, TR-098 Capabilities.PerformanceDiagnostic.).
inline constexpr const char* kTransports = "HTTP,FTP";

// Refuses (9007) an unsigned value above `max`.
void checkAtMost(const sdk::Change& c, std::uint64_t max);
// The system name of the interface an Interface parameter references ("" for ""): the
// referenced row's Name. Throws Fault 9007 naming `what` when the reference leads nowhere.
std::string interfaceName(sdk::Host& host, const std::string& reference, const std::string& what);
hal::IpVersion ipVersion(const std::string& protocolVersion);
// The models' dateTime "Unknown Time", and a time with the microseconds the models ask for
// (2008-04-09T15:01:05.123456Z).
inline constexpr const char* kUnknownTime = "0001-01-01T00:00:00Z";
std::string dateTimeText(hal::WallTime t);
// The port DNS servers are asked on: [diagnostics] dns_port (53).
std::uint16_t dnsPort(sdk::Host& host);

std::unique_ptr<DiagTest> makePing(sdk::Host& host, bool tr181);
std::unique_ptr<DiagTest> makeTraceRoute(sdk::Host& host, bool tr181);
std::unique_ptr<DiagTest> makeNsLookup(sdk::Host& host, bool tr181);
std::unique_ptr<DiagTest> makeDownload(sdk::Host& host, bool tr181);
std::unique_ptr<DiagTest> makeUpload(sdk::Host& host, bool tr181);
std::unique_ptr<DiagTest> makeUdpEcho(sdk::Host& host);
std::unique_ptr<DiagTest> makeServerSelection(sdk::Host& host);

// UDPEchoConfig: the box's UDP echo server (TR-143 A.1), on a thread of its own while
// enabled; a change of its parameters restarts it from the plugin's flush.
class UdpEchoServer {
 public:
  UdpEchoServer(sdk::Host& host, std::string object);
  ~UdpEchoServer();
  UdpEchoServer(const UdpEchoServer&) = delete;
  UdpEchoServer& operator=(const UdpEchoServer&) = delete;
  void bind(sdk::Registrar& reg);
  void flush();
  void stop();

 private:
  sdk::Host& host_;
  std::string object_;
  std::map<std::string, std::string> params_;
  std::map<std::string, std::string> before_;
  bool dirty_ = false;
  std::shared_ptr<hal::UdpEchoServerStats> stats_ = std::make_shared<hal::UdpEchoServerStats>();
  std::shared_ptr<std::atomic<bool>> cancel_;
  std::thread thread_;
};

}  // namespace cwmpd::plugins::diagnostics
