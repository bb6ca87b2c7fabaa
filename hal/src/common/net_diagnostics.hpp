// The diagnostics both backends share: they run for real on the box's own sockets.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "cwmpd/hal/diagnostics.hpp"
#include "cwmpd/hal/network.hpp"

namespace cwmpd::hal::common {

// What the socket tests share (icmp_echo.cpp).
struct Target {
  sockaddr_storage addr{};
  socklen_t len = 0;
  int family = AF_UNSPEC;
};
std::string addressText(const sockaddr* sa);
// false with `why` set when `host` does not resolve for `version`.
bool resolve(const std::string& host, IpVersion version, Target& out, std::string& why);
// The first address of `family` on interface `name`.
bool interfaceAddress(const std::string& name, int family, sockaddr_storage& out, socklen_t& len);
// Binds `fd` to the first address of `family` on interface `name`; false with `why`.
bool bindToInterface(int fd, const std::string& name, int family, std::string& why);
// The source address the routing table picks towards `target`.
std::string sourceFor(const Target& target);
// Sleeps until `until` in slices; false when cancelled.
bool pause(std::chrono::steady_clock::time_point until, const std::atomic<bool>& cancel);
inline constexpr int kSliceMs = 50;  // a cancel is seen within this long

// The byte counters of an interface (the TR-143 tests' TotalBytesReceived / TotalBytesSent):
// the backend's own NetworkDevices::counters, so that the sim box shows its simulated
// counters, not the test machine's. May throw (an unknown interface): read as 0.
using CounterSource = std::function<InterfaceCounters(std::string_view name)>;

class SocketDiagnostics final : public Diagnostics {
 public:
  explicit SocketDiagnostics(CounterSource counters) : counters_(std::move(counters)) {}
  PingResult ping(const PingRequest& request, const std::atomic<bool>& cancel) override;
  TraceRouteResult traceRoute(const TraceRouteRequest& request,
                              const std::atomic<bool>& cancel) override;
  NsLookupResult nsLookup(const NsLookupRequest& request, const std::atomic<bool>& cancel) override;
  TransferResult download(const TransferRequest& request, const std::atomic<bool>& cancel) override;
  TransferResult upload(const TransferRequest& request, const std::atomic<bool>& cancel) override;
  std::string udpEchoServe(const UdpEchoServerConfig& config, UdpEchoServerStats& stats,
                           const std::atomic<bool>& cancel) override;
  UdpEchoResult udpEcho(const UdpEchoRequest& request, const std::atomic<bool>& cancel) override;

 private:
  CounterSource counters_;
};

}  // namespace cwmpd::hal::common
