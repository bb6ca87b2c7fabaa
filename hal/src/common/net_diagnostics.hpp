// The diagnostics both backends share: they run for real on the box's own sockets.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <string>

#include "cwmpd/hal/diagnostics.hpp"

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

class SocketDiagnostics final : public Diagnostics {
 public:
  PingResult ping(const PingRequest& request, const std::atomic<bool>& cancel) override;
  TraceRouteResult traceRoute(const TraceRouteRequest& request,
                              const std::atomic<bool>& cancel) override;
  NsLookupResult nsLookup(const NsLookupRequest& request, const std::atomic<bool>& cancel) override;
  TransferResult download(const TransferRequest& request, const std::atomic<bool>& cancel) override;
  TransferResult upload(const TransferRequest& request, const std::atomic<bool>& cancel) override;
  std::string udpEchoServe(const UdpEchoServerConfig& config, UdpEchoServerStats& stats,
                           const std::atomic<bool>& cancel) override;
  UdpEchoResult udpEcho(const UdpEchoRequest& request, const std::atomic<bool>& cancel) override;
};

}  // namespace cwmpd::hal::common
