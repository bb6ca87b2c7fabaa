// Traceroute (TraceRoute / TraceRouteDiagnostics): UDP probes with growing TTL; the ICMP
// answers (time exceeded from routers, port unreachable from the destination) come back on
// the probing socket's error queue (IP_RECVERR / IPV6_RECVERR), so no raw socket is needed.
#include <time.h>  // linux/errqueue.h needs struct timespec

#include <linux/errqueue.h>
#include <netdb.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
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

using Clock = std::chrono::steady_clock;
constexpr std::uint16_t kBasePort = 33434;  // the traditional traceroute port range

struct Answer {
  enum class Kind { None, TimeExceeded, Reached, Unreachable, Canceled } kind = Kind::None;
  std::string address;
  std::uint32_t code = 0;
  std::uint32_t rttMs = 0;
};

// Waits for the ICMP answer to the probe sent to `port`.
Answer awaitAnswer(int fd, int family, std::uint16_t port, Clock::time_point sent,
                   Clock::time_point deadline, const std::atomic<bool>& cancel) {
  Answer a;
  for (;;) {
    if (cancel.load()) {
      a.kind = Answer::Kind::Canceled;
      return a;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return a;
    pollfd p{fd, POLLIN | POLLERR, 0};
    if (::poll(&p, 1, static_cast<int>(std::min<long long>(left, kSliceMs))) <= 0) continue;
    if ((p.revents & POLLERR) == 0) {  // a datagram back (someone listens on the port)
      char sink[512];
      ::recv(fd, sink, sizeof sink, MSG_DONTWAIT);
      continue;
    }
    char data[512];
    char control[512];
    sockaddr_storage dst{};
    iovec iov{data, sizeof data};
    msghdr msg{};
    msg.msg_name = &dst;
    msg.msg_namelen = sizeof dst;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    if (::recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) continue;
    const auto now = Clock::now();
    // msg_name is where the failed probe was going: its port says which probe it was.
    const std::uint16_t dport =
        ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&dst)->sin_port
                                : reinterpret_cast<sockaddr_in6*>(&dst)->sin6_port);
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      const bool v4 = c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR;
      const bool v6 = c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR;
      if (!v4 && !v6) continue;
      const auto* ee = reinterpret_cast<const sock_extended_err*>(CMSG_DATA(c));
      if (ee->ee_origin != SO_EE_ORIGIN_ICMP && ee->ee_origin != SO_EE_ORIGIN_ICMP6) continue;
      if (dport != port) break;  // a late answer to an earlier probe
      a.address = addressText(SO_EE_OFFENDER(ee));
      a.code = ee->ee_code;
      a.rttMs = static_cast<std::uint32_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(now - sent).count());
      const bool timeExceeded =
          v4 ? ee->ee_type == ICMP_TIME_EXCEEDED : ee->ee_type == ICMP6_TIME_EXCEEDED;
      const bool portUnreachable =
          v4 ? (ee->ee_type == ICMP_DEST_UNREACH && ee->ee_code == ICMP_PORT_UNREACH)
             : (ee->ee_type == ICMP6_DST_UNREACH && ee->ee_code == ICMP6_DST_UNREACH_NOPORT);
      a.kind = timeExceeded      ? Answer::Kind::TimeExceeded
               : portUnreachable ? Answer::Kind::Reached
                                 : Answer::Kind::Unreachable;
      if (a.kind != Answer::Kind::Unreachable) a.code = 0;
      return a;
    }
  }
}

// The hop's name from reverse DNS, else its address.
std::string hopName(const std::string& address) {
  Target t;
  std::string why;
  if (!resolve(address, IpVersion::Any, t, why)) return address;
  char host[NI_MAXHOST] = {};
  if (::getnameinfo(reinterpret_cast<const sockaddr*>(&t.addr), t.len, host, sizeof host, nullptr,
                    0, NI_NAMEREQD) != 0)
    return address;
  return host;
}

}  // namespace

TraceRouteResult SocketDiagnostics::traceRoute(const TraceRouteRequest& rq,
                                               const std::atomic<bool>& cancel) {
  TraceRouteResult res;
  Target target;
  if (!resolve(rq.host, rq.version, target, res.detail)) {
    res.outcome = DiagnosticsOutcome::CannotResolveHostName;
    return res;
  }
  const int family = target.family;
  const int fd = ::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) {
    res.outcome = DiagnosticsOutcome::Internal;
    res.detail = std::string("no UDP socket: ") + std::strerror(errno);
    return res;
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (!rq.interfaceName.empty() && !bindToInterface(fd, rq.interfaceName, family, res.detail)) {
    res.outcome = DiagnosticsOutcome::Internal;
    return res;
  }
  const int on = 1;
  const int tos = static_cast<int>(rq.dscp & 0x3f) << 2;
  if (family == AF_INET) {
    ::setsockopt(fd, SOL_IP, IP_RECVERR, &on, sizeof on);
    ::setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
  } else {
    ::setsockopt(fd, SOL_IPV6, IPV6_RECVERR, &on, sizeof on);
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof tos);
  }
  res.addressUsed = sourceFor(target);
  const std::vector<char> payload(std::min<std::uint32_t>(rq.dataBlockSize, 65507), '@');
  const std::uint32_t tries = std::clamp<std::uint32_t>(rq.tries, 1, 3);
  const std::uint32_t maxHops = std::clamp<std::uint32_t>(rq.maxHops, 1, 64);
  std::uint16_t seq = 0;
  for (std::uint32_t ttl = 1; ttl <= maxHops; ++ttl) {
    const int hops = static_cast<int>(ttl);
    if (family == AF_INET)
      ::setsockopt(fd, IPPROTO_IP, IP_TTL, &hops, sizeof hops);
    else
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof hops);
    RouteHop hop;
    bool reached = false;
    bool unreachable = false;
    for (std::uint32_t t = 0; t < tries; ++t) {
      const auto port = static_cast<std::uint16_t>(kBasePort + seq++);
      Target to = target;
      if (family == AF_INET)
        reinterpret_cast<sockaddr_in*>(&to.addr)->sin_port = htons(port);
      else
        reinterpret_cast<sockaddr_in6*>(&to.addr)->sin6_port = htons(port);
      const auto sent = Clock::now();
      if (::sendto(fd, payload.data(), payload.size(), 0,
                   reinterpret_cast<const sockaddr*>(&to.addr), to.len) < 0) {
        if (errno == ENETUNREACH || errno == EHOSTUNREACH) {
          res.outcome = DiagnosticsOutcome::NoRouteToHost;
          res.detail = "no route to " + rq.host;
          return res;
        }
        continue;
      }
      const Answer a = awaitAnswer(fd, family, port, sent,
                                   sent + std::chrono::milliseconds(rq.timeoutMs), cancel);
      if (a.kind == Answer::Kind::Canceled) {
        res.outcome = DiagnosticsOutcome::Canceled;
        return res;
      }
      if (a.kind == Answer::Kind::None) continue;
      hop.address = a.address;
      hop.rttMs.push_back(a.rttMs);
      reached = reached || a.kind == Answer::Kind::Reached;
      if (a.kind == Answer::Kind::Unreachable) {
        unreachable = true;
        hop.errorCode = a.code;
      }
    }
    hop.host = hop.address.empty() ? std::string() : hopName(hop.address);
    res.hops.push_back(hop);
    if (reached || unreachable) {
      if (reached && !hop.rttMs.empty()) {
        std::uint64_t sum = 0;
        for (auto r : hop.rttMs) sum += r;
        res.responseTimeMs = static_cast<std::uint32_t>(sum / hop.rttMs.size());
      }
      res.outcome = DiagnosticsOutcome::Complete;
      return res;
    }
  }
  res.outcome = DiagnosticsOutcome::MaxHopCountExceeded;
  res.detail = rq.host + " not reached within " + std::to_string(maxHops) + " hops";
  return res;
}

}  // namespace cwmpd::hal::common
