// TR-143 DownloadDiagnostics / UploadDiagnostics over HTTP: a small HTTP/1.1 client of our
// own on non-blocking sockets, every connection of a test in one poll() loop on the
// caller's thread. libcurl would hide the instants TR-143 asks for (the SYN, the first and
// last data packet) and copy every byte through a callback; here the data is read into one
// buffer and dropped, so the box, not the agent, is what the test measures.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>

#include "common/net_diagnostics.hpp"

namespace cwmpd::hal::common {
namespace {

using Steady = std::chrono::steady_clock;
using Wall = std::chrono::system_clock;
using Outcome = TransferResult::Outcome;

constexpr std::size_t kMaxHead = std::size_t{64} * 1024;      // response status line and headers
constexpr std::size_t kBufferSize = std::size_t{256} * 1024;  // one read or one write
constexpr std::uint64_t kChunk = std::uint64_t{256} * 1024;   // a time-based upload's chunk size
constexpr std::size_t kMaxConnections = 64;
// Reads or writes of one connection per poll round, so that cancels, deadlines and
// increments are looked at even when loopback never runs dry.
constexpr int kBurst = 64;

struct Url {
  std::string host;  // without the brackets of an IPv6 literal
  std::uint16_t port = 80;
  std::string authority;  // as in the URL, for the Host header
  std::string path;
};

bool isSpaceOrControl(char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isHexDigit(char c) { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// http://host[:port][/path]; false with `why` for anything else (another scheme, user
// information: TR-143 forbids HTTP authentication, control characters that would split the
// request line).
bool parseUrl(const std::string& url, Url& out, std::string& why) {
  constexpr std::string_view kScheme = "http://";
  if (url.size() <= kScheme.size() ||
      !std::equal(kScheme.begin(), kScheme.end(), url.begin(), [](char a, char b) {
        return a == std::tolower(static_cast<unsigned char>(b));
      })) {
    why = "'" + url + "' is not an http:// URL";
    return false;
  }
  if (std::any_of(url.begin(), url.end(), isSpaceOrControl)) {
    why = "the URL holds spaces or control characters";
    return false;
  }
  const std::size_t start = kScheme.size();
  const std::size_t slash = url.find_first_of("/?#", start);
  out.authority = url.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
  out.path = slash == std::string::npos ? "/" : url.substr(slash);
  if (out.path.front() != '/') out.path.insert(0, "/");
  if (const auto hash = out.path.find('#'); hash != std::string::npos) out.path.resize(hash);
  if (out.authority.find('@') != std::string::npos) {
    why = "user information in the URL (TR-143: no HTTP authentication)";
    return false;
  }
  std::string portText;
  if (!out.authority.empty() && out.authority.front() == '[') {
    const auto close = out.authority.find(']');
    if (close == std::string::npos) {
      why = "unterminated IPv6 literal";
      return false;
    }
    out.host = out.authority.substr(1, close - 1);
    if (close + 1 < out.authority.size()) {
      if (out.authority[close + 1] != ':') {
        why = "junk after the IPv6 literal";
        return false;
      }
      portText = out.authority.substr(close + 2);
    }
  } else {
    const auto colon = out.authority.find(':');
    out.host = out.authority.substr(0, colon);
    if (colon != std::string::npos) portText = out.authority.substr(colon + 1);
  }
  if (out.host.empty()) {
    why = "no host in the URL";
    return false;
  }
  if (!portText.empty()) {
    unsigned long port = 0;
    if (portText.size() > 5 || !std::all_of(portText.begin(), portText.end(), isDigit) ||
        (port = std::stoul(portText)) == 0 || port > 65535) {
      why = "bad port '" + portText + "'";
      return false;
    }
    out.port = static_cast<std::uint16_t>(port);
  }
  return true;
}

// The interface's byte counters (Stats.BytesReceived / BytesSent), 0 without one.
struct Counters {
  std::uint64_t received = 0;
  std::uint64_t sent = 0;
};
std::uint64_t readCounter(const std::string& path) {
  std::ifstream in(path);
  std::uint64_t v = 0;
  in >> v;
  return in ? v : 0;
}
Counters sample(const std::string& interfaceName) {
  if (interfaceName.empty()) return {};
  const std::string dir = "/sys/class/net/" + interfaceName + "/statistics/";
  return {readCounter(dir + "rx_bytes"), readCounter(dir + "tx_bytes")};
}

// Reads "Transfer-Encoding: chunked" bodies: sizes, data, trailers; counts the data.
class ChunkedBody {
 public:
  // Consumes `n` bytes; false on a malformed stream.
  bool feed(const char* p, std::size_t n) {
    while (n > 0 && state_ != State::Done) {
      if (state_ == State::Data) {
        const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(left_, n));
        left_ -= take;
        p += take;
        n -= take;
        if (left_ == 0) state_ = State::DataEnd;
        continue;
      }
      const char c = *p++;
      --n;
      if (line_.size() > 1024) return false;
      if (c != '\n') {
        line_ += c;
        continue;
      }
      if (!line_.empty() && line_.back() == '\r') line_.pop_back();
      if (!endLine()) return false;
      line_.clear();
    }
    return true;
  }
  [[nodiscard]] bool done() const { return state_ == State::Done; }

 private:
  enum class State : std::uint8_t { Size, Data, DataEnd, Trailer, Done };
  bool endLine() {
    switch (state_) {
      case State::Size: {
        const std::string hex = line_.substr(0, line_.find(';'));
        if (hex.empty() || hex.size() > 15 || !std::all_of(hex.begin(), hex.end(), isHexDigit))
          return false;
        left_ = std::stoull(hex, nullptr, 16);
        state_ = left_ == 0 ? State::Trailer : State::Data;
        return true;
      }
      case State::DataEnd: state_ = State::Size; return line_.empty();
      case State::Trailer:
        if (line_.empty()) state_ = State::Done;
        return true;
      case State::Data:
      case State::Done: break;
    }
    return false;
  }
  State state_ = State::Size;
  std::uint64_t left_ = 0;
  std::string line_;
};

struct Conn {
  enum class Phase : std::uint8_t { Connecting, Sending, Receiving, Done };
  int fd = -1;
  Phase phase = Phase::Connecting;
  TransferTimes t;
  Counters atBom;
  Steady::time_point lastProgress;
  // Outgoing: `meta` (request head, chunk framing) then `pieceLeft` bytes of test data.
  std::string meta;
  std::size_t metaSent = 0;
  std::uint64_t pieceLeft = 0;
  std::uint64_t bodySent = 0;
  bool lastChunkQueued = false;
  bool sentAll = false;
  // Incoming.
  bool anyReceived = false;
  WallTime lastData;  // the last packet received
  std::string head;
  bool headDone = false;
  std::optional<std::uint64_t> contentLength;
  std::uint64_t bodyReceived = 0;
  std::unique_ptr<ChunkedBody> chunked;

  Conn() = default;
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  ~Conn() {
    if (fd >= 0) ::close(fd);
  }
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class Transfer {
 public:
  Transfer(const TransferRequest& rq, bool upload, const std::atomic<bool>& cancel)
      : rq_(rq), upload_(upload), cancel_(cancel) {}

  TransferResult run() {
    if (!parseUrl(rq_.url, url_, result_.detail)) return end(Outcome::Other);
    if (rq_.connections == 0 || rq_.connections > kMaxConnections) {
      result_.detail = "unsupported number of connections";
      return end(Outcome::Internal);
    }
    Target target;
    if (!resolve(url_.host, rq_.version, target, result_.detail))
      return end(Outcome::CannotResolveHostName);
    if (target.family == AF_INET)
      reinterpret_cast<sockaddr_in*>(&target.addr)->sin_port = htons(url_.port);
    else
      reinterpret_cast<sockaddr_in6*>(&target.addr)->sin6_port = htons(url_.port);
    target_ = target;
    buffer_ = std::make_unique<std::array<char, kBufferSize>>();
    buffer_->fill('x');  // what an upload sends
    conns_.resize(rq_.connections);
    for (auto& c : conns_) {
      c = std::make_unique<Conn>();
      if (const auto o = open(*c)) return end(*o);
    }
    if (const auto o = loop()) return end(*o);
    summarize();
    return end(Outcome::Complete);
  }

 private:
  TransferResult end(Outcome o) {
    result_.outcome = o;
    if (o != Outcome::Complete) {
      result_.connections.clear();
      result_.increments.clear();
    }
    return std::move(result_);
  }

  std::optional<Outcome> open(Conn& c) {
    c.fd = ::socket(target_.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) {
      result_.detail = std::string("socket: ") + std::strerror(errno);
      return Outcome::Internal;
    }
    const int tos = static_cast<int>(rq_.dscp << 2);
    if (target_.family == AF_INET)
      ::setsockopt(c.fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
    else
      ::setsockopt(c.fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof tos);
    const int priority = static_cast<int>(rq_.ethernetPriority);
    ::setsockopt(c.fd, SOL_SOCKET, SO_PRIORITY, &priority, sizeof priority);
    if (!rq_.interfaceName.empty() &&
        !bindToInterface(c.fd, rq_.interfaceName, target_.family, result_.detail))
      return Outcome::Internal;
    c.t.tcpOpenRequest = Wall::now();
    c.lastProgress = Steady::now();
    if (::connect(c.fd, reinterpret_cast<const sockaddr*>(&target_.addr), target_.len) != 0 &&
        errno != EINPROGRESS)
      return connectFailed(errno);
    return std::nullopt;
  }

  Outcome connectFailed(int err) {
    result_.detail = "connect to " + url_.authority + ": " + std::strerror(err);
    return err == ENETUNREACH || err == EHOSTUNREACH ? Outcome::NoRouteToHost
                                                     : Outcome::InitConnectionFailed;
  }

  // The connection opened: the request goes out.
  std::optional<Outcome> opened(Conn& c) {
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return connectFailed(err);
    c.t.tcpOpenResponse = Wall::now();
    if (result_.addressUsed.empty()) {
      sockaddr_storage local{};
      socklen_t localLen = sizeof local;
      if (::getsockname(c.fd, reinterpret_cast<sockaddr*>(&local), &localLen) == 0)
        result_.addressUsed = addressText(reinterpret_cast<const sockaddr*>(&local));
    }
    // TR-143: persistent connections, no pipelining, no authentication.
    c.meta = std::string(upload_ ? "PUT " : "GET ") + url_.path +
             " HTTP/1.1\r\nHost: " + url_.authority + "\r\nUser-Agent: cwmpd\r\n";
    if (upload_) {
      c.meta += "Content-Type: application/octet-stream\r\n";
      c.meta += timeBased() ? std::string("Transfer-Encoding: chunked\r\n")
                            : "Content-Length: " + std::to_string(rq_.uploadLength) + "\r\n";
    }
    c.meta += "\r\n";
    c.phase = Conn::Phase::Sending;
    c.t.rom = Wall::now();
    return std::nullopt;
  }

  [[nodiscard]] bool timeBased() const { return rq_.durationS > 0; }

  // The first BOMTime of the test: time-based deadlines and increments count from it.
  void began(Conn& c, WallTime now) {
    c.t.bom = now;
    c.atBom = sample(rq_.interfaceName);
    if (!firstBom_) {
      firstBom_ = Steady::now();
      firstBomWall_ = now;
      if (rq_.intervalS > 0 && timeBased())
        nextInterval(*firstBom_ + std::chrono::seconds(rq_.offsetS));
    }
    if (++begun_ == conns_.size()) {
      fullStart_ = testBytes_;
      fullStartCounters_ = sample(rq_.interfaceName);
      fullStartWall_ = now;
    }
  }

  void nextInterval(Steady::time_point start) {
    intervalStart_ = start;
    intervalArmed_ = false;
  }

  // Starts measuring the next interval once its start has come, closes it once its end has
  // passed: a row per interval, from BOMTime + offset until the test's end.
  void tickIncrements(Steady::time_point now) {
    if (!intervalStart_) return;
    const auto len = std::chrono::seconds(rq_.intervalS);
    const auto testEnd = *firstBom_ + std::chrono::seconds(rq_.durationS);
    while (intervalStart_) {
      if (!intervalArmed_) {
        if (now < *intervalStart_) return;
        intervalStartBytes_ = testBytes_;
        intervalStartCounters_ = sample(rq_.interfaceName);
        intervalArmed_ = true;
      }
      const auto end = *intervalStart_ + len;
      if (end > testEnd) {
        intervalStart_.reset();
        return;
      }
      if (now < end) return;
      const Counters counters = sample(rq_.interfaceName);
      TransferIncrement inc;
      inc.start =
          firstBomWall_ + std::chrono::duration_cast<Wall::duration>(*intervalStart_ - *firstBom_);
      inc.end = firstBomWall_ + std::chrono::duration_cast<Wall::duration>(end - *firstBom_);
      inc.testBytes = testBytes_ - intervalStartBytes_;
      inc.totalBytesReceived = counters.received - intervalStartCounters_.received;
      inc.totalBytesSent = counters.sent - intervalStartCounters_.sent;
      result_.increments.push_back(inc);
      intervalStart_ = end;
      intervalStartBytes_ = testBytes_;
      intervalStartCounters_ = counters;
    }
  }

  void finished(Conn& c, WallTime now) {
    c.phase = Conn::Phase::Done;
    c.t.eom = now;
    if (!rq_.interfaceName.empty()) {
      const Counters counters = sample(rq_.interfaceName);
      c.t.totalBytesReceived = counters.received - c.atBom.received;
      c.t.totalBytesSent = counters.sent - c.atBom.sent;
    }
    if (!fullEnd_) {
      fullEnd_ = testBytes_;
      fullEndCounters_ = sample(rq_.interfaceName);
      fullEndWall_ = now;
    }
  }

  std::optional<Outcome> send(Conn& c, Steady::time_point deadline) {
    for (int rounds = 0;;) {
      if (c.metaSent == c.meta.size() && c.pieceLeft == 0) {
        c.meta.clear();
        c.metaSent = 0;
        if (!upload_ || c.lastChunkQueued) {
          c.sentAll = true;
          c.phase = Conn::Phase::Receiving;
          c.lastProgress = Steady::now();
          return std::nullopt;
        }
        if (!timeBased()) {
          c.pieceLeft = rq_.uploadLength - c.bodySent;
          c.lastChunkQueued = true;
          if (c.pieceLeft == 0) continue;
        } else if (firstBom_ && Steady::now() >= deadline) {
          c.meta = c.bodySent > 0 ? "\r\n0\r\n\r\n" : "0\r\n\r\n";
          c.lastChunkQueued = true;
        } else {
          char size[32];
          std::snprintf(size, sizeof size, "%s%llx\r\n", c.bodySent > 0 ? "\r\n" : "",
                        static_cast<unsigned long long>(kChunk));
          c.meta = size;
          c.pieceLeft = kChunk;
        }
      }
      ssize_t n = 0;
      const bool meta = c.metaSent < c.meta.size();
      if (meta)
        n = ::send(c.fd, c.meta.data() + c.metaSent, c.meta.size() - c.metaSent, MSG_NOSIGNAL);
      else
        n = ::send(c.fd, buffer_->data(), std::min<std::uint64_t>(c.pieceLeft, kBufferSize),
                   MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return std::nullopt;
        result_.detail = std::string("send: ") + std::strerror(errno);
        return Outcome::TransferFailed;
      }
      const auto now = Wall::now();
      c.lastProgress = Steady::now();
      if (upload_) {
        if (!meta && c.t.bom == WallTime{}) began(c, now);
        c.t.testBytes += static_cast<std::uint64_t>(n);
        testBytes_ += static_cast<std::uint64_t>(n);
      }
      if (meta) {
        c.metaSent += static_cast<std::size_t>(n);
      } else {
        c.pieceLeft -= static_cast<std::uint64_t>(n);
        c.bodySent += static_cast<std::uint64_t>(n);
      }
      if (++rounds == kBurst) return std::nullopt;
    }
  }

  // Parses the status line and headers once they are in; false with `why` on a bad reply.
  std::optional<Outcome> parseHead(Conn& c, std::size_t end) {
    const std::string head = c.head.substr(0, end);
    const auto lineEnd = head.find("\r\n");
    const std::string status = head.substr(0, lineEnd);
    int code = 0;
    if (status.rfind("HTTP/1.", 0) != 0 || status.size() < 12 ||
        std::sscanf(status.c_str() + 8, " %3d", &code) != 1) {
      result_.detail = "not an HTTP response: '" + status.substr(0, 80) + "'";
      return Outcome::TransferFailed;
    }
    if (code < 200 || code > 299) {
      result_.detail = "the server answered '" + status.substr(0, 80) + "'";
      return Outcome::TransferFailed;
    }
    std::size_t pos = lineEnd + 2;
    while (pos < head.size()) {
      auto next = head.find("\r\n", pos);
      if (next == std::string::npos) next = head.size();
      const std::string line = head.substr(pos, next - pos);
      pos = next + 2;
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      const std::string name = lower(line.substr(0, colon));
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      value.erase(value.find_last_not_of(" \t") + 1);
      if (name == "content-length") {
        if (value.empty() || value.size() > 19 ||
            !std::all_of(value.begin(), value.end(), isDigit)) {
          result_.detail = "bad Content-Length '" + value + "'";
          return Outcome::TransferFailed;
        }
        c.contentLength = std::stoull(value);
      } else if (name == "transfer-encoding" && lower(value).find("chunked") != std::string::npos) {
        c.chunked = std::make_unique<ChunkedBody>();
      }
    }
    if (c.chunked) c.contentLength.reset();
    return std::nullopt;
  }

  // Counts body bytes; marks the connection done at the end of the body.
  std::optional<Outcome> body(Conn& c, const char* p, std::size_t n, WallTime now) {
    if (c.chunked) {
      if (!c.chunked->feed(p, n)) {
        result_.detail = "malformed chunked body";
        return Outcome::TransferFailed;
      }
      if (c.chunked->done()) finished(c, now);
      return std::nullopt;
    }
    c.bodyReceived += n;
    if (c.contentLength && c.bodyReceived > *c.contentLength) {
      result_.detail = "more data than the Content-Length announced";
      return Outcome::IncorrectSize;
    }
    if (c.contentLength && c.bodyReceived == *c.contentLength) finished(c, now);
    return std::nullopt;
  }

  std::optional<Outcome> receive(Conn& c, Steady::time_point deadline) {
    for (int rounds = 0; rounds < kBurst; ++rounds) {
      const ssize_t n = ::recv(c.fd, buffer_->data(), kBufferSize, 0);
      const auto now = Wall::now();
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return std::nullopt;
        result_.detail = std::string("recv: ") + std::strerror(errno);
        return c.anyReceived ? Outcome::TransferFailed : Outcome::NoResponse;
      }
      if (n == 0) return closed(c);
      c.lastProgress = Steady::now();
      const auto count = static_cast<std::size_t>(n);
      if (!upload_) {
        if (!c.anyReceived) began(c, now);
        c.t.testBytes += count;
        testBytes_ += count;
      }
      c.anyReceived = true;
      c.lastData = now;
      const char* data = buffer_->data();
      std::size_t left = count;
      if (!c.headDone) {
        const std::size_t before = c.head.size();
        c.head.append(data, std::min(left, kMaxHead));
        const auto end = c.head.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
        if (end == std::string::npos) {
          if (c.head.size() >= kMaxHead) {
            result_.detail = "response headers too long";
            return Outcome::TransferFailed;
          }
          continue;
        }
        c.headDone = true;
        if (const auto o = parseHead(c, end)) return o;
        const std::size_t used = end + 4 - before;
        data += used;
        left -= used;
        c.head.clear();
        if (upload_) {  // the answer to the upload: the end of the test's connection
          finished(c, now);
          return std::nullopt;
        }
        if (c.contentLength && *c.contentLength == 0 && left == 0) finished(c, now);
      }
      if (left > 0 || c.chunked) {
        if (const auto o = body(c, data, left, now)) return o;
      }
      if (c.phase == Conn::Phase::Done) return std::nullopt;
      if (!upload_ && timeBased() && Steady::now() >= deadline) {
        finished(c, now);
        return std::nullopt;
      }
    }
    return std::nullopt;
  }

  std::optional<Outcome> closed(Conn& c) {
    if (!c.anyReceived) {
      result_.detail = "the server closed the connection without an answer";
      return Outcome::NoResponse;
    }
    if (!upload_ && c.headDone && !c.contentLength && !c.chunked) {  // body until close
      finished(c, c.lastData);
      return std::nullopt;
    }
    if (!upload_ && timeBased() && c.headDone) {  // the server ran out before the duration
      finished(c, c.lastData);
      return std::nullopt;
    }
    result_.detail = "the server closed the connection in the middle of the transfer";
    return c.contentLength ? Outcome::IncorrectSize : Outcome::TransferFailed;
  }

  std::optional<Outcome> idle(const Conn& c) {
    result_.detail = "nothing happened for " + std::to_string(rq_.idleTimeoutMs) + " ms";
    if (c.phase == Conn::Phase::Connecting) return Outcome::InitConnectionFailed;
    if (!c.anyReceived && (!upload_ || c.sentAll)) return Outcome::NoResponse;
    return Outcome::Timeout;
  }

  std::optional<Outcome> loop() {
    std::vector<pollfd> fds(conns_.size());
    const auto idleLimit = std::chrono::milliseconds(std::max<std::uint32_t>(rq_.idleTimeoutMs, 1));
    while (true) {
      if (cancel_.load()) {
        result_.detail = "canceled";
        return Outcome::Canceled;
      }
      const auto now = Steady::now();
      const auto deadline =
          firstBom_ ? *firstBom_ + std::chrono::seconds(rq_.durationS) : Steady::time_point::max();
      tickIncrements(now);
      std::size_t active = 0;
      for (std::size_t i = 0; i < conns_.size(); ++i) {
        Conn& c = *conns_[i];
        fds[i] = pollfd{c.fd, 0, 0};
        if (c.phase == Conn::Phase::Done) {
          fds[i].fd = -1;
          continue;
        }
        ++active;
        if (now - c.lastProgress > idleLimit) return idle(c);
        if (timeBased() && now >= deadline) {
          // The duration is over: a download stops reading; an upload ends its chunks.
          if (!upload_) {
            finished(c, c.lastData);
            fds[i].fd = -1;
            continue;
          }
        }
        fds[i].events = c.phase == Conn::Phase::Connecting || c.phase == Conn::Phase::Sending
                            ? POLLOUT | POLLIN
                            : POLLIN;
        if (c.phase == Conn::Phase::Connecting) fds[i].events = POLLOUT;
      }
      if (active == 0) break;
      const int ready = ::poll(fds.data(), fds.size(), kSliceMs);
      if (ready < 0 && errno != EINTR) {
        result_.detail = std::string("poll: ") + std::strerror(errno);
        return Outcome::Internal;
      }
      for (std::size_t i = 0; i < conns_.size() && ready > 0; ++i) {
        Conn& c = *conns_[i];
        if (fds[i].fd < 0 || fds[i].revents == 0) continue;
        if (c.phase == Conn::Phase::Connecting) {
          if (const auto o = opened(c)) return o;
        }
        if (c.phase == Conn::Phase::Sending && (fds[i].revents & (POLLOUT | POLLERR | POLLHUP))) {
          if (const auto o = send(c, deadline)) return o;
        }
        if (c.phase != Conn::Phase::Done && (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) &&
            (c.phase == Conn::Phase::Receiving || (fds[i].revents & POLLIN))) {
          if (const auto o = receive(c, deadline)) return o;
        }
      }
    }
    tickIncrements(Steady::now());
    return std::nullopt;
  }

  void summarize() {
    TransferTimes& t = result_.total;
    for (const auto& cp : conns_) {
      const TransferTimes& c = cp->t;
      const auto earliest = [](WallTime& a, WallTime b) {
        if (a == WallTime{} || b < a) a = b;
      };
      earliest(t.rom, c.rom);
      earliest(t.bom, c.bom);
      t.eom = std::max(t.eom, c.eom);
      t.tcpOpenRequest = std::max(t.tcpOpenRequest, c.tcpOpenRequest);
      t.tcpOpenResponse = std::max(t.tcpOpenResponse, c.tcpOpenResponse);
      t.testBytes += c.testBytes;
      result_.connections.push_back(c);
    }
    if (!rq_.interfaceName.empty()) {
      const Counters end = sample(rq_.interfaceName);
      Counters start = conns_.front()->atBom;
      for (const auto& c : conns_) {
        start.received = std::min(start.received, c->atBom.received);
        start.sent = std::min(start.sent, c->atBom.sent);
      }
      t.totalBytesReceived = end.received - start.received;
      t.totalBytesSent = end.sent - start.sent;
    }
    if (fullStart_ && fullEnd_ && *fullEnd_ >= *fullStart_ && fullEndWall_ >= fullStartWall_) {
      result_.testBytesUnderFullLoading = *fullEnd_ - *fullStart_;
      result_.totalBytesReceivedUnderFullLoading =
          fullEndCounters_.received - fullStartCounters_.received;
      result_.totalBytesSentUnderFullLoading = fullEndCounters_.sent - fullStartCounters_.sent;
      result_.periodOfFullLoadingUs = static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(fullEndWall_ - fullStartWall_)
              .count());
    }
  }

  const TransferRequest& rq_;
  const bool upload_;
  const std::atomic<bool>& cancel_;
  TransferResult result_;
  Url url_;
  Target target_;
  std::unique_ptr<std::array<char, kBufferSize>> buffer_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::uint64_t testBytes_ = 0;  // across the connections, so far
  std::optional<Steady::time_point> firstBom_;
  WallTime firstBomWall_;
  std::size_t begun_ = 0;
  // Full loading: from the moment every connection has begun to the first one's end.
  std::optional<std::uint64_t> fullStart_;
  std::optional<std::uint64_t> fullEnd_;
  Counters fullStartCounters_;
  Counters fullEndCounters_;
  WallTime fullStartWall_;
  WallTime fullEndWall_;
  // The IncrementalResult interval being measured.
  std::optional<Steady::time_point> intervalStart_;
  bool intervalArmed_ = false;
  std::uint64_t intervalStartBytes_ = 0;
  Counters intervalStartCounters_;
};

}  // namespace

TransferResult SocketDiagnostics::download(const TransferRequest& rq,
                                           const std::atomic<bool>& cancel) {
  return Transfer(rq, false, cancel).run();
}

TransferResult SocketDiagnostics::upload(const TransferRequest& rq,
                                         const std::atomic<bool>& cancel) {
  return Transfer(rq, true, cancel).run();
}

}  // namespace cwmpd::hal::common
