// The Connection Request listener of TR-069 3.2.2: the ACS sends an HTTP GET with
// digest authentication to ConnectionRequestURL and the CPE answers, then opens a
// session with "6 CONNECTION REQUEST".
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cwmpd/core/clock.hpp"

namespace cwmpd::core::net {

struct ConnectionRequestServerConfig {
  // Address to bind: "" listens on every IPv6 and IPv4 address (dual stack, falling
  // back to IPv4 only when the host has no IPv6); otherwise a literal IPv4 or IPv6
  // address such as "127.0.0.1" or "::1".
  std::string address;
  std::uint16_t port = 7547;  // 0 = ephemeral; see ConnectionRequestServer::port()
  std::string path = "/";     // only GET on exactly this path is served
  std::string realm = "cwmpd";
  // Flood protection (TR-069 3.2.2 lets the CPE cap the Connection Requests it accepts,
  // answering 503 without Retry-After to the ones it refuses): a token bucket. Every
  // authenticated request takes a token; the bucket holds `burst` tokens and gains one
  // every `refillInterval`. An ACS that sends one request per task (GenieACS does, back
  // to back) never meets the limit; a flood gets 503 once the burst is spent.
  // refillInterval 0 = no limit.
  unsigned burst = 5;
  std::chrono::milliseconds refillInterval{2'000};
  // The bucket's time (null: the steady clock). Timeouts of connections are real time.
  std::shared_ptr<Clock> clock;
  // How long a digest nonce stays valid: the ACS may answer a 401 on a new TCP
  // connection, so the nonce must outlive the connection it was issued on.
  std::chrono::seconds nonceTimeout{300};
  // Slow or half-open clients. When all `connectionLimit` slots are taken, a new
  // connection pushes out the oldest one that has not yet sent a whole request nor ever
  // authenticated, so a valid ACS always gets in.
  unsigned connectionLimit = 16;              // all clients together
  unsigned perIpLimit = 4;                    // connections from one address
  std::chrono::seconds connectionTimeout{5};  // idle connections are dropped
  // The whole request (line and headers) must arrive within this, counted from the
  // connection (or the previous answer on it): a client trickling a byte now and then is
  // never idle, yet it is dropped.
  std::chrono::milliseconds requestTimeout{5'000};
  // true: the server runs its own thread (epoll on Linux, blocking when idle).
  // false: the owner drives it from its event loop with pollFd()/timeout()/run().
  bool internalThread = true;
};

struct ConnectionRequestStats {
  std::uint64_t accepted = 0;      // authenticated and triggered the callback
  std::uint64_t rateLimited = 0;   // authenticated but the bucket was empty (503)
  std::uint64_t unauthorized = 0;  // 401 sent (first leg of digest and replays included)
  std::uint64_t replayed = 0;      // digest nc not above the highest seen for its nonce
  std::uint64_t rejected = 0;      // wrong path or method
  std::uint64_t shed = 0;          // connections dropped: too slow, or pushed out
};

// The token bucket of ConnectionRequestServerConfig::burst/refillInterval, on an explicit
// clock so that its arithmetic can be checked without waiting. Not thread-safe.
class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;
  // burst 0 counts as 1; refillInterval 0 = every take() succeeds.
  TokenBucket(unsigned burst, std::chrono::milliseconds refillInterval);
  // Takes a token if there is one at `now` (times must not go backwards).
  [[nodiscard]] bool take(Clock::time_point now);

 private:
  unsigned burst_;
  std::chrono::milliseconds interval_;
  unsigned tokens_;
  Clock::time_point since_{};  // the next token comes at since_ + interval_
};

// Thread-safety: setCredentials() and stats() may be called from any thread at any
// time. start()/stop() and the external-loop functions belong to the owner's thread.
class ConnectionRequestServer {
 public:
  // Called after an authenticated request was accepted, on the server's thread (its
  // own, or the thread calling run()). It must not block and
  // must not touch the data model: the daemon posts the trigger to its main loop.
  using Callback = std::function<void()>;

  ConnectionRequestServer(ConnectionRequestServerConfig config, Callback onRequest);
  ~ConnectionRequestServer();
  ConnectionRequestServer(const ConnectionRequestServer&) = delete;
  ConnectionRequestServer& operator=(const ConnectionRequestServer&) = delete;

  // Binds and starts serving. Throws std::runtime_error (naming address and port)
  // when the socket cannot be bound or the daemon cannot start.
  void start();
  void stop();  // idempotent; waits for the internal thread

  // ConnectionRequestUsername/Password as the ACS sets them: apply to the next
  // request. An empty username refuses every request (the spec requires auth).
  void setCredentials(std::string username, std::string password);

  [[nodiscard]] std::uint16_t port() const;  // the bound port (useful with port 0)
  [[nodiscard]] ConnectionRequestStats stats() const;

  // External-loop mode only (internalThread == false): a file descriptor that becomes
  // readable when run() has work, the longest the loop may wait before calling run()
  // anyway (nullopt = no timer needed), and the function doing the work without
  // blocking.
  [[nodiscard]] int pollFd() const;
  [[nodiscard]] std::optional<std::chrono::milliseconds> timeout() const;
  void run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The ConnectionRequestURL to advertise in the Inform: "http://HOST:PORT/PATH", with an
// IPv6 literal in brackets (RFC 3986). `host` is the CPE's address as the ACS sees it.
[[nodiscard]] std::string connectionRequestUrl(std::string_view host, std::uint16_t port,
                                               std::string_view path);

}  // namespace cwmpd::core::net
