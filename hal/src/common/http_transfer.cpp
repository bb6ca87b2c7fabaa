// TR-143 DownloadDiagnostics / UploadDiagnostics over HTTP and FTP: small HTTP/1.1 and FTP
// clients of our own on non-blocking sockets, every connection of a test in one poll() loop
// on the caller's thread. libcurl would hide the instants TR-143 asks for (the SYN of the
// FTP data connection, the RETR/STOR, the first and last data packet) and copy every byte
// through a callback; here the data is read into one buffer and dropped, so the box, not
// the agent, is what the test measures.
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
  bool ftp = false;
  std::string host;  // without the brackets of an IPv6 literal
  std::uint16_t port = 80;
  std::string authority;  // as in the URL, for the Host header (HTTP)
  std::string path;       // HTTP: as in the URL; FTP: decoded, relative to the login directory
  std::string user = "anonymous";  // FTP (RFC 1738 3.2.1: anonymous without user information)
  std::string password = "cwmpd@";
};

bool isSpaceOrControl(char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isHexDigit(char c) { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool hasScheme(const std::string& url, std::string_view scheme) {
  return url.size() > scheme.size() &&
         std::equal(scheme.begin(), scheme.end(), url.begin(), [](char a, char b) {
           return a == std::tolower(static_cast<unsigned char>(b));
         });
}

// %XX escapes of an FTP URL (RFC 1738 3.2.2); false on a bad escape or a decoded CR/LF
// (which would end the command line early).
bool percentDecode(const std::string& in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size() || !isHexDigit(in[i + 1]) || !isHexDigit(in[i + 2])) return false;
    const char c = static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16));
    if (c == '\r' || c == '\n' || c == '\0') return false;
    out += c;
    i += 2;
  }
  return true;
}

// http://host[:port][/path] or ftp://[user[:password]@]host[:port]/path; false with `why`
// for anything else (another scheme, user information in an HTTP URL: TR-143 forbids HTTP
// authentication, control characters that would split the request or command line).
bool parseUrl(const std::string& url, Url& out, std::string& why) {
  out.ftp = hasScheme(url, "ftp://");
  if (!out.ftp && !hasScheme(url, "http://")) {
    why = "'" + url + "' is neither an http:// nor an ftp:// URL";
    return false;
  }
  if (std::any_of(url.begin(), url.end(), isSpaceOrControl)) {
    why = "the URL holds spaces or control characters";
    return false;
  }
  const std::size_t start = out.ftp ? 6 : 7;
  const std::size_t slash = url.find_first_of("/?#", start);
  out.authority = url.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
  out.path = slash == std::string::npos ? "/" : url.substr(slash);
  if (out.path.front() != '/') out.path.insert(0, "/");
  if (const auto hash = out.path.find('#'); hash != std::string::npos) out.path.resize(hash);
  out.port = out.ftp ? 21 : 80;
  if (const auto at = out.authority.rfind('@'); at != std::string::npos) {
    if (!out.ftp) {
      why = "user information in the URL (TR-143: no HTTP authentication)";
      return false;
    }
    const std::string info = out.authority.substr(0, at);
    out.authority.erase(0, at + 1);
    const auto colon = info.find(':');
    if (!percentDecode(info.substr(0, colon), out.user) ||
        (colon != std::string::npos && !percentDecode(info.substr(colon + 1), out.password))) {
      why = "bad user information in the URL";
      return false;
    }
    if (colon == std::string::npos) out.password.clear();
  }
  if (out.ftp) {
    // The file, relative to the login directory (RFC 1738 3.2.2); no ;type= suffix.
    std::string file;
    if (!percentDecode(out.path.substr(1), file) || file.empty() || file.back() == '/') {
      why = "no file in the FTP URL";
      return false;
    }
    out.path = file;
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
  // Commanded: FTP upload, STOR sent, its 150 not yet in.
  enum class Phase : std::uint8_t { Connecting, Commanded, Sending, Receiving, Done };
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
  // FTP: `fd` is the data connection, `ctl` the control connection; the test of this
  // connection ends with the data (download) and the 226 on the control connection.
  int ctl = -1;
  std::string ctlIn;                  // received, not yet parsed replies
  bool preliminary = false;           // the 1xx to RETR / STOR came
  bool ctlComplete = false;           // the 2xx after the transfer came (or was not awaited)
  std::optional<std::uint64_t> size;  // download: the SIZE the server announced

  Conn() = default;
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  ~Conn() {
    if (fd >= 0) ::close(fd);
    if (ctl >= 0) ::close(ctl);
  }
};

// One FTP reply (RFC 959 4.2): the code and the text of its last line.
struct Reply {
  int code = 0;
  std::string text;
};

// Takes the first complete reply, multi-line ones included, off the front of `in`.
std::optional<Reply> takeReply(std::string& in) {
  std::size_t pos = 0;
  std::string code;
  while (true) {
    const auto eol = in.find('\n', pos);
    if (eol == std::string::npos) return std::nullopt;
    std::string line = in.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    pos = eol + 1;
    const bool numbered = line.size() >= 3 && std::all_of(line.begin(), line.begin() + 3, isDigit);
    if (code.empty()) {
      if (!numbered) continue;  // junk before a reply: skipped
      code = line.substr(0, 3);
    }
    // The last line: the code and a space (or nothing); a '-' continues the reply.
    if (numbered && line.compare(0, 3, code) == 0 && (line.size() == 3 || line[3] == ' ')) {
      in.erase(0, pos);
      return Reply{std::stoi(code), line.size() > 4 ? line.substr(4) : ""};
    }
  }
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class Transfer {
 public:
  Transfer(const TransferRequest& rq, bool upload, const std::atomic<bool>& cancel,
           const CounterSource& counters)
      : rq_(rq), upload_(upload), cancel_(cancel), counters_(counters) {}

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
      if (url_.ftp) {
        if (const auto o = ftpSetUp(*c)) return end(*o);
      } else if (const auto o = open(c->fd, target_)) {
        return end(*o);
      }
      c->t.tcpOpenRequest = openedAt_;
      c->lastProgress = Steady::now();
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

  // A non-blocking socket with the test's DSCP, priority and interface, connecting to `to`;
  // the SYN's time in openedAt_.
  std::optional<Outcome> open(int& fd, const Target& to) {
    fd = ::socket(to.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      result_.detail = std::string("socket: ") + std::strerror(errno);
      return Outcome::Internal;
    }
    const int tos = static_cast<int>(rq_.dscp << 2);
    if (to.family == AF_INET)
      ::setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
    else
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof tos);
    const int priority = static_cast<int>(rq_.ethernetPriority);
    ::setsockopt(fd, SOL_SOCKET, SO_PRIORITY, &priority, sizeof priority);
    if (!rq_.interfaceName.empty() &&
        !bindToInterface(fd, rq_.interfaceName, to.family, result_.detail))
      return Outcome::Internal;
    openedAt_ = Wall::now();
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&to.addr), to.len) != 0 &&
        errno != EINPROGRESS)
      return connectFailed(errno);
    return std::nullopt;
  }

  // ---- FTP control connection (RFC 959), step by step before the data flows ----

  // Waits up to a poll slice for `events` on `fd`; Canceled, or an idle-timeout `silent`
  // outcome once nothing happened for the transfer timeout.
  std::optional<Outcome> await(int fd, short events, Steady::time_point since, Outcome silent) {
    while (true) {
      if (cancel_.load()) {
        result_.detail = "canceled";
        return Outcome::Canceled;
      }
      if (Steady::now() - since > std::chrono::milliseconds(rq_.idleTimeoutMs)) {
        result_.detail =
            "the FTP server was silent for " + std::to_string(rq_.idleTimeoutMs) + " ms";
        return silent;
      }
      pollfd p{fd, events, 0};
      if (::poll(&p, 1, kSliceMs) > 0) return std::nullopt;
    }
  }

  std::optional<Outcome> ctlSend(Conn& c, const std::string& line) {
    const std::string out = line + "\r\n";
    std::size_t sent = 0;
    const auto since = Steady::now();
    while (sent < out.size()) {
      const ssize_t n = ::send(c.ctl, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        result_.detail = std::string("FTP control connection: ") + std::strerror(errno);
        return Outcome::TransferFailed;
      }
      if (n > 0) sent += static_cast<std::size_t>(n);
      if (sent < out.size()) {
        if (const auto o = await(c.ctl, POLLOUT, since, Outcome::Timeout)) return o;
      }
    }
    return std::nullopt;
  }

  // Reads what the control connection has; false when it closed or failed.
  bool ctlRead(Conn& c) {
    std::array<char, 1024> buf{};
    const ssize_t n = ::recv(c.ctl, buf.data(), buf.size(), 0);
    if (n > 0) {
      c.ctlIn.append(buf.data(), static_cast<std::size_t>(n));
      c.lastProgress = Steady::now();
      if (c.ctlIn.size() > kMaxHead) {
        result_.detail = "FTP reply too long";
        return false;
      }
      return true;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return true;
    result_.detail = "the FTP server closed the control connection";
    return false;
  }

  // The next reply; `silent` when none comes within the transfer timeout.
  std::optional<Outcome> ctlReply(Conn& c, Reply& reply, Outcome silent) {
    const auto since = Steady::now();
    while (true) {
      if (auto r = takeReply(c.ctlIn)) {
        reply = std::move(*r);
        if (reply.code >= 100 && reply.code < 200 && reply.code != 150 && reply.code != 125)
          continue;  // 110, 120: wait for the real answer
        return std::nullopt;
      }
      if (const auto o = await(c.ctl, POLLIN, since, silent)) return o;
      if (!ctlRead(c)) return Outcome::TransferFailed;
    }
  }

  // Sends `command`, reads its reply; `refused` unless the code is in [lo, hi].
  std::optional<Outcome> ctlCommand(Conn& c, const std::string& command, Reply& reply, int lo,
                                    int hi, Outcome refused) {
    if (const auto o = ctlSend(c, command)) return o;
    if (const auto o = ctlReply(c, reply, Outcome::Timeout)) return o;
    if (reply.code < lo || reply.code > hi) {
      const std::string verb = command.substr(0, command.find(' '));
      result_.detail = "FTP " + verb + ": " + std::to_string(reply.code) + " " + reply.text;
      return refused;
    }
    return std::nullopt;
  }

  // Control connection, login, binary mode, SIZE, passive mode, then the data connection's
  // SYN (TR-143: TCPOpenRequestTime is the data connection's); RETR / STOR go out once it
  // opened (opened()).
  std::optional<Outcome> ftpSetUp(Conn& c) {
    if (const auto o = open(c.ctl, target_)) return o;
    if (const auto o = await(c.ctl, POLLOUT, Steady::now(), Outcome::InitConnectionFailed))
      return o;
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(c.ctl, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return connectFailed(err);
    Reply r;
    if (const auto o = ctlReply(c, r, Outcome::NoResponse)) return o;
    if (r.code < 200 || r.code > 299) {
      result_.detail = "FTP greeting: " + std::to_string(r.code) + " " + r.text;
      return Outcome::InitConnectionFailed;
    }
    if (const auto o =
            ctlCommand(c, "USER " + url_.user, r, 230, 331, Outcome::PasswordRequestFailed))
      return o;
    if (r.code == 331) {
      if (const auto o = ctlCommand(c, "PASS " + url_.password, r, 202, 230, Outcome::LoginFailed))
        return o;
    } else if (r.code != 230) {
      result_.detail = "FTP USER: " + std::to_string(r.code) + " " + r.text;
      return Outcome::PasswordRequestFailed;
    }
    if (const auto o = ctlCommand(c, "TYPE I", r, 200, 299, Outcome::NoTransferMode)) return o;
    if (!upload_) {
      // Error_IncorrectSize needs the size: from SIZE (RFC 3659) where the server has it.
      if (const auto o = ctlSend(c, "SIZE " + url_.path)) return o;
      if (const auto o = ctlReply(c, r, Outcome::Timeout)) return o;
      if (r.code == 213 && !r.text.empty() && r.text.size() <= 19 &&
          std::all_of(r.text.begin(), r.text.end(), isDigit))
        c.size = std::stoull(r.text);
    }
    // Passive mode: EPSV (RFC 2428, both families), PASV where EPSV is refused on IPv4. The
    // data connection goes to the control connection's address (never to the one a PASV
    // reply names: no bounce to a third host).
    long port = -1;
    if (const auto o = ctlSend(c, "EPSV")) return o;
    if (const auto o = ctlReply(c, r, Outcome::Timeout)) return o;
    if (r.code == 229) {
      const auto open = r.text.find("(|||");
      if (open != std::string::npos) port = std::strtol(r.text.c_str() + open + 4, nullptr, 10);
    } else if (target_.family == AF_INET) {
      if (const auto o = ctlCommand(c, "PASV", r, 227, 227, Outcome::NoPasv)) return o;
      const auto open = r.text.find_first_of("0123456789");
      unsigned h[6] = {};
      if (open != std::string::npos &&
          std::sscanf(r.text.c_str() + open, "%u,%u,%u,%u,%u,%u", &h[0], &h[1], &h[2], &h[3], &h[4],
                      &h[5]) == 6 &&
          h[4] < 256 && h[5] < 256)
        port = (static_cast<long>(h[4]) * 256) + static_cast<long>(h[5]);
    }
    if (port <= 0 || port > 65535) {
      result_.detail = "FTP passive mode: " + std::to_string(r.code) + " " + r.text;
      return Outcome::NoPasv;
    }
    Target data = target_;
    if (data.family == AF_INET)
      reinterpret_cast<sockaddr_in*>(&data.addr)->sin_port =
          htons(static_cast<std::uint16_t>(port));
    else
      reinterpret_cast<sockaddr_in6*>(&data.addr)->sin6_port =
          htons(static_cast<std::uint16_t>(port));
    return open(c.fd, data);
  }

  // A reply on the control connection during the transfer.
  std::optional<Outcome> ctlEvent(Conn& c) {
    if (!ctlRead(c)) return c.ctlComplete ? std::nullopt : std::optional(Outcome::TransferFailed);
    while (auto r = takeReply(c.ctlIn)) {
      if (r->code == 125 || r->code == 150) {
        c.preliminary = true;
        if (c.phase == Conn::Phase::Commanded) c.phase = Conn::Phase::Sending;
      } else if (r->code >= 200 && r->code <= 299 && r->code != 200) {
        if (upload_ && !c.sentAll) {
          result_.detail = "the FTP server ended the upload early: " + std::to_string(r->code);
          return Outcome::TransferFailed;
        }
        c.ctlComplete = true;
        // TR-143: an FTP upload ends when the server confirms it (226 Transfer complete).
        if (upload_) finished(c, Wall::now());
      } else if (r->code >= 400) {
        result_.detail = "FTP " + std::string(upload_ ? "STOR" : "RETR") + ": " +
                         std::to_string(r->code) + " " + r->text;
        return c.preliminary ? Outcome::TransferFailed : Outcome::RequestRefused;
      }
    }
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
    if (url_.ftp) {
      // ROMTime: the RETR / STOR (the model's "RTRV") goes out.
      c.t.rom = Wall::now();
      if (const auto o = ctlSend(c, (upload_ ? "STOR " : "RETR ") + url_.path)) return o;
      c.headDone = true;  // the data connection carries the file alone
      c.phase = upload_ ? Conn::Phase::Commanded : Conn::Phase::Receiving;
      return std::nullopt;
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
    if (url_.ftp && !upload_ && c.fd >= 0) {
      ::close(c.fd);
      c.fd = -1;
      // A time-based download stops reading: the control connection closes too, and no
      // 226 is awaited.
      if (timeBased() && !c.ctlComplete) {
        ::close(c.ctl);
        c.ctl = -1;
        c.ctlComplete = true;
      }
    }
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
          if (url_.ftp) {  // FTP: the end of the data connection is the end of the file
            ::close(c.fd);
            c.fd = -1;
          }
          return std::nullopt;
        }
        if (!timeBased()) {
          c.pieceLeft = rq_.uploadLength - c.bodySent;
          c.lastChunkQueued = true;
          if (c.pieceLeft == 0) continue;
        } else if (firstBom_ && Steady::now() >= deadline) {
          if (!url_.ftp) c.meta = c.bodySent > 0 ? "\r\n0\r\n\r\n" : "0\r\n\r\n";
          c.lastChunkQueued = true;
        } else if (url_.ftp) {
          c.pieceLeft = kChunk;  // no framing on an FTP data connection
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
    if (url_.ftp) {  // the end of the file; the 226 is still awaited
      if (upload_) {
        result_.detail = "the FTP server closed the data connection";
        return Outcome::TransferFailed;
      }
      if (c.size && c.bodyReceived != *c.size && !timeBased()) {
        result_.detail = "received " + std::to_string(c.bodyReceived) + " bytes, SIZE said " +
                         std::to_string(*c.size);
        return Outcome::IncorrectSize;
      }
      finished(c, c.anyReceived ? c.lastData : Wall::now());
      return std::nullopt;
    }
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
    if (c.phase == Conn::Phase::Commanded) return Outcome::NoResponse;
    if (!c.anyReceived && (!upload_ || c.sentAll)) return Outcome::NoResponse;
    return Outcome::Timeout;
  }

  // FTP: the data connection ended (download) or the 226 is still to come.
  [[nodiscard]] bool awaitingControl(const Conn& c) const { return c.ctl >= 0 && !c.ctlComplete; }

  std::optional<Outcome> loop() {
    // Two entries a connection: its data (HTTP: its only) socket, its FTP control socket.
    std::vector<pollfd> fds(2 * conns_.size());
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
        pollfd& data = fds[2 * i];
        pollfd& ctl = fds[(2 * i) + 1];
        data = pollfd{-1, 0, 0};
        ctl = pollfd{awaitingControl(c) ? c.ctl : -1, POLLIN, 0};
        if (c.phase == Conn::Phase::Done && !awaitingControl(c)) continue;
        ++active;
        if (now - c.lastProgress > idleLimit) return idle(c);
        if (c.phase == Conn::Phase::Done || c.fd < 0) continue;
        if (timeBased() && now >= deadline) {
          // The duration is over: a download stops reading; an upload ends its chunks.
          if (!upload_) {
            finished(c, c.lastData);
            continue;
          }
        }
        data.fd = c.fd;
        constexpr short kOut = POLLOUT;
        constexpr short kOutIn = POLLOUT | POLLIN;
        constexpr short kIn = POLLIN;
        data.events = c.phase == Conn::Phase::Connecting  ? kOut
                      : c.phase == Conn::Phase::Sending   ? kOutIn
                      : c.phase == Conn::Phase::Commanded ? short{0}
                                                          : kIn;
      }
      if (active == 0) break;
      const int ready = ::poll(fds.data(), fds.size(), kSliceMs);
      if (ready < 0 && errno != EINTR) {
        result_.detail = std::string("poll: ") + std::strerror(errno);
        return Outcome::Internal;
      }
      for (std::size_t i = 0; i < conns_.size() && ready > 0; ++i) {
        Conn& c = *conns_[i];
        const short revents = fds[2 * i].revents;
        if (fds[(2 * i) + 1].revents != 0) {
          if (const auto o = ctlEvent(c)) return o;
        }
        if (fds[2 * i].fd < 0 || revents == 0 || c.fd < 0) continue;
        if (c.phase == Conn::Phase::Connecting) {
          if (const auto o = opened(c)) return o;
        }
        if (c.phase == Conn::Phase::Sending && (revents & (POLLOUT | POLLERR | POLLHUP))) {
          if (const auto o = send(c, deadline)) return o;
        }
        if (c.fd >= 0 && c.phase != Conn::Phase::Done && (revents & (POLLIN | POLLERR | POLLHUP)) &&
            (c.phase == Conn::Phase::Receiving || (revents & POLLIN))) {
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

  // The counters of the test's interface, from the backend.
  Counters sample(const std::string& interfaceName) const {
    if (interfaceName.empty() || !counters_) return {};
    try {
      const InterfaceCounters c = counters_(interfaceName);
      return {c.bytesReceived, c.bytesSent};
    } catch (const std::exception&) {
      return {};
    }
  }

  const TransferRequest& rq_;
  const bool upload_;
  const std::atomic<bool>& cancel_;
  const CounterSource& counters_;
  TransferResult result_;
  Url url_;
  Target target_;
  std::unique_ptr<std::array<char, kBufferSize>> buffer_;
  std::vector<std::unique_ptr<Conn>> conns_;
  WallTime openedAt_;            // the last SYN sent (open())
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
  return Transfer(rq, false, cancel, counters_).run();
}

TransferResult SocketDiagnostics::upload(const TransferRequest& rq,
                                         const std::atomic<bool>& cancel) {
  return Transfer(rq, true, cancel, counters_).run();
}

}  // namespace cwmpd::hal::common
