// ICMP echo (IPPing): one socket per call, one request in flight at a time.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "common/net_diagnostics.hpp"

namespace cwmpd::hal::common {
using Clock = std::chrono::steady_clock;

std::string addressText(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET)
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
  else if (sa->sa_family == AF_INET6)
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
  return buf;
}

bool resolve(const std::string& host, IpVersion version, Target& out, std::string& why) {
  addrinfo hints{};
  hints.ai_family = version == IpVersion::IPv4   ? AF_INET
                    : version == IpVersion::IPv6 ? AF_INET6
                                                 : AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || res == nullptr) {
    why = "cannot resolve '" + host + "': " + ::gai_strerror(rc);
    return false;
  }
  std::memcpy(&out.addr, res->ai_addr, res->ai_addrlen);
  out.len = res->ai_addrlen;
  out.family = res->ai_family;
  ::freeaddrinfo(res);
  return true;
}

namespace {

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Datagram ICMP ("ping sockets") when the kernel lets our group use them; raw otherwise.
int openIcmp(int family, bool& datagram) {
  const int proto =
      family == AF_INET ? static_cast<int>(IPPROTO_ICMP) : static_cast<int>(IPPROTO_ICMPV6);
  int fd = ::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, proto);
  datagram = fd >= 0;
  if (fd < 0) fd = ::socket(family, SOCK_RAW | SOCK_CLOEXEC, proto);
  return fd;
}

std::uint16_t checksum(const unsigned char* p, std::size_t n) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < n; i += 2)
    sum += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
  if (n % 2 != 0) sum += static_cast<std::uint32_t>(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

// Waits for the echo reply with `id` and `seq` (the id is the kernel's for datagram
// sockets, so only `seq` and the payload token are compared there).
enum class Wait { Reply, Timeout, Canceled, Unreachable };

Wait awaitReply(int fd, int family, bool datagram, std::uint16_t id, std::uint16_t seq,
                const std::vector<unsigned char>& token, Clock::time_point deadline,
                const std::atomic<bool>& cancel) {
  std::vector<unsigned char> buf(65536 + 128);
  for (;;) {
    if (cancel.load()) return Wait::Canceled;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return Wait::Timeout;
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, kSliceMs)));
    if (r <= 0) continue;
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EHOSTUNREACH || errno == ENETUNREACH) return Wait::Unreachable;
      continue;
    }
    std::size_t off = 0;
    if (family == AF_INET && !datagram) {  // raw IPv4 sockets see the IP header
      if (n < 20) continue;
      off = static_cast<std::size_t>(buf[0] & 0x0f) * 4;
    }
    if (static_cast<std::size_t>(n) < off + 8) continue;
    const unsigned char* icmp = buf.data() + off;
    const unsigned char replyType = family == AF_INET ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY;
    if (icmp[0] != replyType) continue;
    const std::uint16_t rid = static_cast<std::uint16_t>(icmp[4] << 8 | icmp[5]);
    const std::uint16_t rseq = static_cast<std::uint16_t>(icmp[6] << 8 | icmp[7]);
    if (rseq != seq || (!datagram && rid != id)) continue;
    const std::size_t payload = static_cast<std::size_t>(n) - off - 8;
    const std::size_t cmp = std::min(payload, token.size());
    if (cmp < std::min<std::size_t>(token.size(), 8) ||
        std::memcmp(icmp + 8, token.data(), cmp) != 0)
      continue;
    return Wait::Reply;
  }
}

}  // namespace

bool pause(Clock::time_point until, const std::atomic<bool>& cancel) {
  for (;;) {
    if (cancel.load()) return false;
    const auto left = until - Clock::now();
    if (left <= Clock::duration::zero()) return true;
    std::this_thread::sleep_for(
        std::min<Clock::duration>(left, std::chrono::milliseconds(kSliceMs)));
  }
}

// The first address of `family` on interface `name`.
bool interfaceAddress(const std::string& name, int family, sockaddr_storage& out, socklen_t& len) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return false;
  bool found = false;
  for (ifaddrs* i = list; i != nullptr && !found; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != family || name != i->ifa_name) continue;
    len = family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    std::memcpy(&out, i->ifa_addr, len);
    found = true;
  }
  ::freeifaddrs(list);
  return found;
}

bool bindToInterface(int fd, const std::string& name, int family, std::string& why) {
  sockaddr_storage src{};
  socklen_t srcLen = 0;
  if (!interfaceAddress(name, family, src, srcLen)) {
    why = "interface '" + name + "' has no " + (family == AF_INET ? "IPv4" : "IPv6") + " address";
    return false;
  }
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&src), srcLen) != 0) {
    why = "bind to " + name + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

std::string sourceFor(const Target& target) {
  Fd probe{::socket(target.family, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  sockaddr_storage local{};
  socklen_t localLen = sizeof local;
  if (probe.fd < 0 ||
      ::connect(probe.fd, reinterpret_cast<const sockaddr*>(&target.addr), target.len) != 0 ||
      ::getsockname(probe.fd, reinterpret_cast<sockaddr*>(&local), &localLen) != 0)
    return {};
  return addressText(reinterpret_cast<const sockaddr*>(&local));
}

PingResult SocketDiagnostics::ping(const PingRequest& rq, const std::atomic<bool>& cancel) {
  PingResult res;
  Target target;
  if (!resolve(rq.host, rq.version, target, res.detail)) {
    res.outcome = DiagnosticsOutcome::CannotResolveHostName;
    return res;
  }
  res.targetAddress = addressText(reinterpret_cast<const sockaddr*>(&target.addr));
  const int family = target.family;

  bool datagram = false;
  Fd sock{openIcmp(family, datagram)};
  if (sock.fd < 0) {
    res.outcome = DiagnosticsOutcome::Internal;
    res.detail = std::string("no ICMP socket: ") + std::strerror(errno);
    return res;
  }
  if (!rq.interfaceName.empty() &&
      !bindToInterface(sock.fd, rq.interfaceName, family, res.detail)) {
    res.outcome = DiagnosticsOutcome::Internal;
    return res;
  }
  // DSCP is the upper six bits of the TOS / traffic class octet.
  const int tos = static_cast<int>(rq.dscp & 0x3f) << 2;
  if (family == AF_INET)
    ::setsockopt(sock.fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
  else
    ::setsockopt(sock.fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof tos);
  if (family == AF_INET6 && !datagram) {
    icmp6_filter filter;
    ICMP6_FILTER_SETBLOCKALL(&filter);
    ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filter);
    ::setsockopt(sock.fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter);
  }

  std::random_device rd;
  const auto id = static_cast<std::uint16_t>(rd());
  const std::size_t payloadSize = std::clamp<std::uint32_t>(rq.dataBlockSize, 1, 65507 - 8);
  std::vector<unsigned char> packet(8 + payloadSize);
  std::vector<unsigned char> token(payloadSize);
  for (auto& b : token) b = static_cast<unsigned char>(rd());

  std::uint64_t total = 0;
  Clock::time_point nextSend = Clock::now();
  for (std::uint32_t i = 0; i < rq.repetitions; ++i) {
    if (i > 0 && !pause(nextSend, cancel)) {
      res.outcome = DiagnosticsOutcome::Canceled;
      return res;
    }
    const auto seq = static_cast<std::uint16_t>(i + 1);
    std::fill(packet.begin(), packet.end(), 0);
    packet[0] = family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
    packet[4] = static_cast<unsigned char>(id >> 8);
    packet[5] = static_cast<unsigned char>(id);
    packet[6] = static_cast<unsigned char>(seq >> 8);
    packet[7] = static_cast<unsigned char>(seq);
    std::copy(token.begin(), token.end(), packet.begin() + 8);
    if (family == AF_INET) {  // the kernel computes the ICMPv6 checksum itself
      const std::uint16_t sum = checksum(packet.data(), packet.size());
      packet[2] = static_cast<unsigned char>(sum >> 8);
      packet[3] = static_cast<unsigned char>(sum);
    }
    const auto sent = Clock::now();
    nextSend = sent + std::chrono::milliseconds(rq.intervalMs);
    if (::sendto(sock.fd, packet.data(), packet.size(), 0,
                 reinterpret_cast<const sockaddr*>(&target.addr), target.len) < 0) {
      if (errno == ENETUNREACH || errno == EHOSTUNREACH) {
        res.outcome = DiagnosticsOutcome::NoRouteToHost;
        res.detail = "no route to " + res.targetAddress;
        return res;
      }
      ++res.failureCount;
      continue;
    }
    if (res.addressUsed.empty()) {
      sockaddr_storage local{};
      socklen_t localLen = sizeof local;
      if (::getsockname(sock.fd, reinterpret_cast<sockaddr*>(&local), &localLen) == 0)
        res.addressUsed = addressText(reinterpret_cast<const sockaddr*>(&local));
    }
    const Wait w = awaitReply(sock.fd, family, datagram, id, seq, token,
                              sent + std::chrono::milliseconds(rq.timeoutMs), cancel);
    if (w == Wait::Canceled) {
      res.outcome = DiagnosticsOutcome::Canceled;
      return res;
    }
    if (w != Wait::Reply) {
      ++res.failureCount;
      continue;
    }
    const auto us = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent).count());
    res.minimumUs = res.successCount == 0 ? us : std::min(res.minimumUs, us);
    res.maximumUs = std::max(res.maximumUs, us);
    total += us;
    ++res.successCount;
  }
  if (res.successCount > 0) res.averageUs = total / res.successCount;
  // A raw socket that never sent reports no source: fall back to what routing chose.
  if (res.addressUsed.empty() || res.addressUsed == "0.0.0.0" || res.addressUsed == "::")
    res.addressUsed = sourceFor(target);
  res.outcome = DiagnosticsOutcome::Complete;
  return res;
}

}  // namespace cwmpd::hal::common
