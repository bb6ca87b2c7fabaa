// NSLookup: DNS queries over UDP (RFC 1035 4.1) sent straight to the server the ACS names.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "common/net_diagnostics.hpp"

namespace cwmpd::hal::common {
namespace {

using Clock = std::chrono::steady_clock;
using Bytes = std::vector<unsigned char>;
using Status = NsLookupAnswer::Status;

constexpr std::uint16_t kTypeA = 1;
constexpr std::uint16_t kTypeCname = 5;
constexpr std::uint16_t kTypeAaaa = 28;

void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<unsigned char>(v >> 8));
  b.push_back(static_cast<unsigned char>(v));
}

std::uint16_t get16(const Bytes& b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]);
}

// false for a name that cannot be a DNS name (empty label, label over 63 octets).
bool query(const std::string& name, std::uint16_t id, std::uint16_t type, Bytes& out) {
  out.clear();
  put16(out, id);
  put16(out, 0x0100);  // standard query, recursion desired
  put16(out, 1);       // one question
  put16(out, 0);
  put16(out, 0);
  put16(out, 0);
  std::size_t start = 0;
  const std::string n =
      !name.empty() && name.back() == '.' ? name.substr(0, name.size() - 1) : name;
  if (n.empty() || n.size() > 253) return false;
  while (start <= n.size()) {
    const std::size_t dot = std::min(n.find('.', start), n.size());
    const std::size_t len = dot - start;
    if (len == 0 || len > 63) return false;
    out.push_back(static_cast<unsigned char>(len));
    out.insert(out.end(), n.begin() + static_cast<std::ptrdiff_t>(start),
               n.begin() + static_cast<std::ptrdiff_t>(dot));
    start = dot + 1;
  }
  out.push_back(0);
  put16(out, type);
  put16(out, 1);  // class IN
  return true;
}

// Reads a (possibly compressed) name at `at`; moves `at` past it. false when malformed.
bool readName(const Bytes& b, std::size_t& at, std::string& name) {
  name.clear();
  std::size_t pos = at;
  bool jumped = false;
  for (int guard = 0; guard < 128; ++guard) {
    if (pos >= b.size()) return false;
    const unsigned len = b[pos];
    if (len == 0) {
      if (!jumped) at = pos + 1;
      return true;
    }
    if ((len & 0xc0) == 0xc0) {
      if (pos + 1 >= b.size()) return false;
      if (!jumped) at = pos + 2;
      jumped = true;
      pos = (len & 0x3f) << 8 | b[pos + 1];
      continue;
    }
    if (pos + 1 + len > b.size()) return false;
    if (!name.empty()) name += '.';
    name.append(reinterpret_cast<const char*>(&b[pos + 1]), len);
    pos += 1 + len;
  }
  return false;
}

struct Reply {
  Status status = Status::Other;
  bool authoritative = false;
  std::string canonical;
  std::vector<std::string> addresses;
};

// Parses the answer to query `id`; false when it is not one (ignore it).
bool parse(const Bytes& b, std::uint16_t id, Reply& r) {
  if (b.size() < 12 || get16(b, 0) != id || (b[2] & 0x80) == 0) return false;
  r.authoritative = (b[2] & 0x04) != 0;
  const unsigned rcode = b[3] & 0x0f;
  const std::uint16_t qd = get16(b, 4), an = get16(b, 6);
  std::size_t at = 12;
  std::string name;
  for (unsigned i = 0; i < qd; ++i) {
    if (!readName(b, at, name) || at + 4 > b.size()) return true;  // malformed: Status::Other
    at += 4;
  }
  if (rcode == 3) {
    r.status = Status::HostNameNotResolved;
    return true;
  }
  if (rcode != 0) return true;  // SERVFAIL, REFUSED, ...: Other
  for (unsigned i = 0; i < an; ++i) {
    if (!readName(b, at, name) || at + 10 > b.size()) return true;
    const std::uint16_t type = get16(b, at);
    const std::uint16_t rdlen = get16(b, at + 8);
    at += 10;
    if (at + rdlen > b.size()) return true;
    char text[64] = {};
    if (type == kTypeA && rdlen == 4) {
      std::snprintf(text, sizeof text, "%u.%u.%u.%u", b[at], b[at + 1], b[at + 2], b[at + 3]);
      r.addresses.emplace_back(text);
    } else if (type == kTypeAaaa && rdlen == 16) {
      sockaddr_in6 sa{};
      sa.sin6_family = AF_INET6;
      std::memcpy(&sa.sin6_addr, &b[at], 16);
      r.addresses.push_back(addressText(reinterpret_cast<const sockaddr*>(&sa)));
    } else if (type == kTypeCname) {
      std::size_t c = at;
      std::string target;
      if (readName(b, c, target)) r.canonical = target;
    }
    at += rdlen;
  }
  r.status = r.addresses.empty() ? Status::HostNameNotResolved : Status::Success;
  return true;
}

enum class Wait { Reply, Timeout, Refused, Canceled };

// Sends `q` and waits for its answer.
Wait ask(int fd, const Bytes& q, std::uint16_t id, std::uint32_t timeoutMs,
         const std::atomic<bool>& cancel, Reply& r) {
  if (::send(fd, q.data(), q.size(), 0) < 0)
    return errno == ECONNREFUSED ? Wait::Refused : Wait::Timeout;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
  Bytes buf(65536);
  for (;;) {
    if (cancel.load()) return Wait::Canceled;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return Wait::Timeout;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::min<long long>(left, kSliceMs))) <= 0) continue;
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == ECONNREFUSED) return Wait::Refused;  // ICMP port unreachable: no server there
      continue;
    }
    Bytes msg(buf.begin(), buf.begin() + n);
    if (parse(msg, id, r)) return Wait::Reply;
  }
}

}  // namespace

NsLookupResult SocketDiagnostics::nsLookup(const NsLookupRequest& rq,
                                           const std::atomic<bool>& cancel) {
  NsLookupResult res;
  Target server;
  if (!resolve(rq.dnsServer, IpVersion::Any, server, res.detail)) {
    res.outcome = NsLookupResult::Outcome::DnsServerNotResolved;
    return res;
  }
  if (server.family == AF_INET)
    reinterpret_cast<sockaddr_in*>(&server.addr)->sin_port = htons(rq.port);
  else
    reinterpret_cast<sockaddr_in6*>(&server.addr)->sin6_port = htons(rq.port);
  const std::string serverIp = addressText(reinterpret_cast<const sockaddr*>(&server.addr));
  std::random_device rd;
  for (std::uint32_t i = 0; i < rq.repetitions; ++i) {
    // A fresh socket (and source port) per repetition, like a stub resolver.
    const int fd = ::socket(server.family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
    if (fd < 0) {
      res.outcome = NsLookupResult::Outcome::Internal;
      res.detail = std::string("no UDP socket: ") + std::strerror(errno);
      return res;
    }
    struct Closer {
      int fd;
      ~Closer() { ::close(fd); }
    } closer{fd};
    if (!rq.interfaceName.empty() &&
        !bindToInterface(fd, rq.interfaceName, server.family, res.detail)) {
      res.outcome = NsLookupResult::Outcome::Internal;
      return res;
    }
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&server.addr), server.len) != 0) {
      res.outcome = NsLookupResult::Outcome::Other;
      res.detail = "connect to " + serverIp + ": " + std::strerror(errno);
      return res;
    }
    NsLookupAnswer answer;
    answer.dnsServerIp = serverIp;
    answer.hostNameReturned = "";
    const auto started = Clock::now();
    Status status = Status::HostNameNotResolved;
    bool anyReply = false;
    for (const std::uint16_t type : {kTypeA, kTypeAaaa}) {
      const auto id = static_cast<std::uint16_t>(rd());
      Bytes q;
      if (!query(rq.hostName, id, type, q)) {
        status = Status::Other;
        break;
      }
      Reply r;
      const Wait w = ask(fd, q, id, rq.timeoutMs, cancel, r);
      if (w == Wait::Canceled) {
        res.outcome = NsLookupResult::Outcome::Canceled;
        return res;
      }
      if (w == Wait::Refused) {
        status = Status::DnsServerNotAvailable;
        break;
      }
      if (w == Wait::Timeout) {
        status = Status::Timeout;
        break;
      }
      anyReply = true;
      answer.authoritative = r.authoritative;
      if (!r.canonical.empty()) answer.hostNameReturned = r.canonical;
      for (auto& a : r.addresses)
        if (answer.addresses.size() < 10)
          answer.addresses.push_back(std::move(a));  // the model's maxItems
      if (r.status == Status::Other) status = Status::Other;
    }
    if (anyReply && status != Status::Other && status != Status::Timeout &&
        status != Status::DnsServerNotAvailable)
      status = answer.addresses.empty() ? Status::HostNameNotResolved : Status::Success;
    answer.status = status;
    if (status == Status::Success) {
      if (answer.hostNameReturned.empty()) answer.hostNameReturned = rq.hostName;
      answer.responseTimeMs = static_cast<std::uint32_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
    }
    res.answers.push_back(std::move(answer));
  }
  res.outcome = NsLookupResult::Outcome::Complete;
  return res;
}

}  // namespace cwmpd::hal::common
