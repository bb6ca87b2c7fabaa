// UDP echo (RFC 862) with the UDP Echo Plus fields of TR-143 Appendix A.1: the server of
// UDPEchoConfig and the client of UDPEchoDiagnostics. An Echo Plus packet starts with five
// 32-bit fields in network order: TestGenSN (the client's sequence number), TestRespSN (the
// server's count of answers), TestRespRecvTimeStamp and TestRespReplyTimeStamp (the server's
// clock in microseconds when it received and answered) and TestRespReplyFailureCount.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "common/net_diagnostics.hpp"

namespace cwmpd::hal::common {
namespace {

using Steady = std::chrono::steady_clock;
using Wall = std::chrono::system_clock;
constexpr std::size_t kPlusHeader = 20;
constexpr std::uint32_t kUdpHeader =
    8;  // counted in Bytes* (the model: "including the UDP header")

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::int64_t epochUs(Wall::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

std::uint32_t field(const std::uint8_t* p, std::size_t i) {
  std::uint32_t v = 0;
  std::memcpy(&v, p + 4 * i, 4);
  return ntohl(v);
}
void setField(std::uint8_t* p, std::size_t i, std::uint32_t v) {
  v = htonl(v);
  std::memcpy(p + 4 * i, &v, 4);
}

// "::ffff:192.0.2.1" -> "192.0.2.1": a dual-stack socket sees IPv4 peers so.
std::string plainAddress(const sockaddr* sa) {
  std::string a = addressText(sa);
  if (a.rfind("::ffff:", 0) == 0 && a.find('.') != std::string::npos) a.erase(0, 7);
  return a;
}

}  // namespace

std::string SocketDiagnostics::udpEchoServe(const UdpEchoServerConfig& config,
                                            UdpEchoServerStats& stats,
                                            const std::atomic<bool>& cancel) {
  Fd s;
  sockaddr_storage local{};
  socklen_t localLen = 0;
  if (config.interfaceName.empty()) {
    // Every interface, IPv4 and IPv6: one dual-stack socket.
    s.fd = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const int off = 0;
    if (s.fd >= 0) ::setsockopt(s.fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&local);
    a6->sin6_family = AF_INET6;
    a6->sin6_addr = in6addr_any;
    localLen = sizeof(sockaddr_in6);
  } else {
    if (!interfaceAddress(config.interfaceName, AF_INET, local, localLen))
      return "interface '" + config.interfaceName + "' has no IPv4 address";
    s.fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  }
  if (s.fd < 0) return std::string("socket: ") + std::strerror(errno);
  if (local.ss_family == AF_INET6)
    reinterpret_cast<sockaddr_in6*>(&local)->sin6_port = htons(config.port);
  else
    reinterpret_cast<sockaddr_in*>(&local)->sin_port = htons(config.port);
  if (::bind(s.fd, reinterpret_cast<const sockaddr*>(&local), localLen) != 0)
    return "bind to UDP port " + std::to_string(config.port) + ": " + std::strerror(errno);

  std::vector<std::uint8_t> buf(65536);
  std::uint32_t failures = 0;
  while (!cancel.load()) {
    pollfd p{s.fd, POLLIN, 0};
    if (::poll(&p, 1, kSliceMs) <= 0) continue;
    sockaddr_storage peer{};
    socklen_t peerLen = sizeof peer;
    const ssize_t n = ::recvfrom(s.fd, buf.data(), buf.size(), MSG_DONTWAIT,
                                 reinterpret_cast<sockaddr*>(&peer), &peerLen);
    if (n < 0) continue;
    const auto received = Wall::now();
    // TR-181: "The CPE MUST only respond to a UDP echo from this source IP address."
    if (!config.sourceAddress.empty() &&
        plainAddress(reinterpret_cast<const sockaddr*>(&peer)) != config.sourceAddress)
      continue;
    const auto size = static_cast<std::uint32_t>(n);
    stats.packetsReceived.fetch_add(1);
    stats.bytesReceived.fetch_add(size + kUdpHeader);
    if (stats.firstReceivedUs.load() == 0) stats.firstReceivedUs.store(epochUs(received));
    stats.lastReceivedUs.store(epochUs(received));
    if (config.echoPlus && size >= kPlusHeader) {
      setField(buf.data(), 1, stats.packetsResponded.load() + 1);
      setField(buf.data(), 2, static_cast<std::uint32_t>(epochUs(received)));
      setField(buf.data(), 4, failures);
      setField(buf.data(), 3, static_cast<std::uint32_t>(epochUs(Wall::now())));
    }
    if (::sendto(s.fd, buf.data(), size, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&peer),
                 peerLen) == n) {
      stats.packetsResponded.fetch_add(1);
      stats.bytesResponded.fetch_add(size + kUdpHeader);
    } else {
      ++failures;
    }
  }
  return {};
}

UdpEchoResult SocketDiagnostics::udpEcho(const UdpEchoRequest& rq,
                                         const std::atomic<bool>& cancel) {
  UdpEchoResult r;
  Target target;
  if (!resolve(rq.host, rq.version, target, r.detail)) {
    r.outcome = DiagnosticsOutcome::CannotResolveHostName;
    return r;
  }
  if (target.family == AF_INET)
    reinterpret_cast<sockaddr_in*>(&target.addr)->sin_port = htons(rq.port);
  else
    reinterpret_cast<sockaddr_in6*>(&target.addr)->sin6_port = htons(rq.port);
  Fd s{::socket(target.family, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) {
    r.detail = std::string("socket: ") + std::strerror(errno);
    r.outcome = DiagnosticsOutcome::Internal;
    return r;
  }
  const int tos = static_cast<int>(rq.dscp << 2);
  if (target.family == AF_INET)
    ::setsockopt(s.fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
  else
    ::setsockopt(s.fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof tos);
  if (!rq.interfaceName.empty() &&
      !bindToInterface(s.fd, rq.interfaceName, target.family, r.detail)) {
    r.outcome = DiagnosticsOutcome::Internal;
    return r;
  }
  // Connected: only the server's answers come in; an ICMP unreachable shows as an error.
  if (::connect(s.fd, reinterpret_cast<const sockaddr*>(&target.addr), target.len) != 0) {
    r.detail = std::string("connect: ") + std::strerror(errno);
    r.outcome = DiagnosticsOutcome::Other;
    return r;
  }
  sockaddr_storage local{};
  socklen_t localLen = sizeof local;
  if (::getsockname(s.fd, reinterpret_cast<sockaddr*>(&local), &localLen) == 0)
    r.addressUsed = addressText(reinterpret_cast<const sockaddr*>(&local));

  std::vector<std::uint8_t> out(std::max<std::size_t>(rq.dataBlockSize, 1), 0);
  std::vector<std::uint8_t> in(65536);
  std::uint64_t totalUs = 0;
  for (std::uint32_t i = 0; i < rq.repetitions; ++i) {
    if (cancel.load()) {
      r.outcome = DiagnosticsOutcome::Canceled;
      return r;
    }
    UdpEchoPacket pkt;
    pkt.genSn = i + 1;
    if (out.size() >= 4) setField(out.data(), 0, pkt.genSn);
    const auto sentAt = Steady::now();
    pkt.sent = Wall::now();
    const bool sent = ::send(s.fd, out.data(), out.size(), 0) == static_cast<ssize_t>(out.size());
    const auto deadline = sentAt + std::chrono::milliseconds(rq.timeoutMs);
    while (sent && !pkt.success && Steady::now() < deadline && !cancel.load()) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now());
      pollfd p{s.fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, kSliceMs))) <= 0)
        continue;
      const ssize_t n = ::recv(s.fd, in.data(), in.size(), MSG_DONTWAIT);
      if (n < 0) continue;  // e.g. ECONNREFUSED: nobody listens; the packet times out
      const auto size = static_cast<std::size_t>(n);
      if (size >= 4 && out.size() >= 4 && field(in.data(), 0) != pkt.genSn) continue;  // a late one
      pkt.success = true;
      pkt.received = Wall::now();
      if (size >= kPlusHeader) {
        pkt.respSn = field(in.data(), 1);
        pkt.respRcvTimeStamp = field(in.data(), 2);
        pkt.respReplyTimeStamp = field(in.data(), 3);
        pkt.respReplyFailureCount = field(in.data(), 4);
      }
      const auto us = static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(Steady::now() - sentAt).count());
      r.minimumUs = r.successCount == 0 ? us : std::min(r.minimumUs, us);
      r.maximumUs = std::max(r.maximumUs, us);
      totalUs += us;
      ++r.successCount;
    }
    if (!pkt.success) ++r.failureCount;
    r.packets.push_back(pkt);
    if (i + 1 < rq.repetitions &&
        !pause(sentAt + std::chrono::milliseconds(rq.interTransmissionMs), cancel)) {
      r.outcome = DiagnosticsOutcome::Canceled;
      return r;
    }
  }
  if (r.successCount > 0) r.averageUs = totalUs / r.successCount;
  r.outcome = DiagnosticsOutcome::Complete;
  return r;
}

}  // namespace cwmpd::hal::common
