#include "cwmpd/core/net/connection_request_server.hpp"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <atomic>
#include <cstring>
#include <deque>
#include <list>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <utility>

#include "cwmpd/core/log.hpp"

namespace cwmpd::core::net {

namespace {

struct ResponseDeleter {
  void operator()(MHD_Response* r) const { MHD_destroy_response(r); }
};
using ResponsePtr = std::unique_ptr<MHD_Response, ResponseDeleter>;

ResponsePtr emptyResponse() {
  ResponsePtr r(MHD_create_response_from_buffer(0, nullptr, MHD_RESPMEM_PERSISTENT));
  if (!r) throw std::runtime_error("connection request server: cannot allocate a response");
  return r;
}

using Clock = std::chrono::steady_clock;

// The nonce, cnonce and nc of a Digest Authorization header (RFC 2617 3.2.2); cnonce ""
// and nc 0 when the client sent none. False when the header is not Digest or names no
// nonce.
bool digestNonceAndCount(std::string_view header, std::string& nonce, std::string& cnonce,
                         std::uint64_t& nc) {
  constexpr std::string_view scheme = "Digest ";
  if (header.size() < scheme.size() ||
      !std::equal(scheme.begin(), scheme.end(), header.begin(),
                  [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
    return false;
  nc = 0;
  cnonce.clear();
  bool haveNonce = false;
  std::size_t i = scheme.size();
  while (i < header.size()) {
    while (i < header.size() && (header[i] == ' ' || header[i] == ',')) ++i;
    const std::size_t eq = header.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string key(header.substr(i, eq - i));
    while (!key.empty() && key.back() == ' ') key.pop_back();
    std::transform(key.begin(), key.end(), key.begin(), [](char c) { return std::tolower(c); });
    i = eq + 1;
    std::string value;
    if (i < header.size() && header[i] == '"') {
      for (++i; i < header.size() && header[i] != '"'; ++i) {
        if (header[i] == '\\' && i + 1 < header.size()) ++i;
        value += header[i];
      }
      ++i;  // the closing quote
    } else {
      const std::size_t end = std::min(header.find(',', i), header.size());
      value = std::string(header.substr(i, end - i));
      while (!value.empty() && value.back() == ' ') value.pop_back();
      i = end;
    }
    if (key == "nonce") {
      nonce = value;
      haveNonce = true;
    } else if (key == "cnonce") {
      cnonce = value;
    } else if (key == "nc") {
      if (value.empty() || value.size() > 16 ||
          value.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
        return false;
      nc = std::stoull(value, nullptr, 16);
    }
  }
  return haveNonce && !nonce.empty();
}

}  // namespace

TokenBucket::TokenBucket(unsigned burst, std::chrono::milliseconds refillInterval)
    : burst_(std::max(burst, 1u)), interval_(refillInterval), tokens_(burst_) {}

bool TokenBucket::take(Clock::time_point now) {
  if (interval_.count() <= 0) return true;
  if (tokens_ < burst_ && now >= since_) {
    const auto gained = static_cast<unsigned long long>((now - since_) / interval_);
    if (gained > 0) {
      tokens_ = static_cast<unsigned>(std::min<unsigned long long>(burst_, tokens_ + gained));
      since_ += interval_ * static_cast<long long>(gained);
    }
  }
  if (tokens_ == 0) return false;
  // A full bucket gains nothing while it stays full: the next token is due one interval
  // after the first one taken from it.
  if (tokens_ == burst_) since_ = now;
  --tokens_;
  return true;
}

struct ConnectionRequestServer::Impl {
  // One client connection, from libmicrohttpd's STARTED notification to its CLOSED one.
  // Only the thread serving the daemon touches these (all callbacks run there).
  struct Connection {
    int fd = -1;
    Clock::time_point since;     // accepted, or its previous request answered
    bool receiving = true;       // the current request has not fully arrived yet
    bool authenticated = false;  // sent at least one authenticated request
    bool shed = false;           // shut down by us; libmicrohttpd will close it
  };
  struct NonceUse {
    std::uint64_t highestNc = 0;
    Clock::time_point firstUse;
  };
  static constexpr std::size_t kMaxNonces = 1024;

  ConnectionRequestServerConfig config;
  Callback onRequest;
  MHD_Daemon* daemon = nullptr;
  // libmicrohttpd 0.9.75 keeps a pointer to this buffer instead of copying it, so it
  // lives as long as the Impl, which outlives the daemon.
  std::array<unsigned char, 32> digestRandom{};
  // Responses that never change are built once: a flood costs no allocation.
  ResponsePtr ok, notFound, notAllowed, busy;

  std::list<Connection> connections;  // oldest first
  // The highest nc accepted per nonce and client nonce. libmicrohttpd 0.9.75 is no
  // guard against replays: its nonce depends only on the second it was issued in (every
  // client challenged within that second gets the same one), each new challenge resets
  // the nc it remembers for that nonce to 0, and below the highest nc it accepts any
  // value not used yet. A client's own cnonce tells clients sharing a nonce apart (a
  // replay must repeat it, as the digest covers it), and per pair only increasing nc
  // values pass.
  std::unordered_map<std::string, NonceUse> nonces;
  std::deque<std::string> nonceOrder;

  // Internal-thread mode: our thread runs libmicrohttpd's external loop, so that the
  // shedding of slow connections happens on the thread that owns them.
  std::thread thread;
  int wakeFd = -1;
  std::atomic<bool> quit{false};

  mutable std::mutex mutex;  // guards the fields below
  std::string username, password;
  TokenBucket bucket{1, std::chrono::milliseconds(0)};
  ConnectionRequestStats stats;

  static MHD_Result onAccess(void* cls, MHD_Connection* connection, const char* url,
                             const char* method, const char* /*version*/,
                             const char* /*uploadData*/, size_t* /*uploadDataSize*/,
                             void** /*requestContext*/) {
    return static_cast<Impl*>(cls)->handle(connection, url, method);
  }

  static MHD_Result onAcceptPolicy(void* cls, const sockaddr* /*addr*/, socklen_t /*len*/) {
    return static_cast<Impl*>(cls)->admit() ? MHD_YES : MHD_NO;
  }

  static void onConnection(void* cls, MHD_Connection* connection, void** socketContext,
                           MHD_ConnectionNotificationCode code) {
    auto& self = *static_cast<Impl*>(cls);
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
      const MHD_ConnectionInfo* info =
          MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
      self.connections.push_back({info != nullptr ? info->connect_fd : -1, Clock::now()});
      *socketContext = &self.connections.back();
    } else if (*socketContext != nullptr) {
      auto* c = static_cast<Connection*>(*socketContext);
      self.connections.remove_if([c](const Connection& x) { return &x == c; });
      *socketContext = nullptr;
    }
  }

  static void onCompleted(void* /*cls*/, MHD_Connection* connection, void** /*requestContext*/,
                          MHD_RequestTerminationCode /*code*/) {
    // The answer is out: the clock of the next request on this connection starts now.
    if (Connection* c = record(connection)) {
      c->receiving = true;
      c->since = Clock::now();
    }
  }

  static Connection* record(MHD_Connection* connection) {
    const MHD_ConnectionInfo* info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info != nullptr ? static_cast<Connection*>(info->socket_context) : nullptr;
  }

  void count(std::uint64_t ConnectionRequestStats::*field) {
    std::lock_guard lock(mutex);
    ++(stats.*field);
  }

  // Closes a connection libmicrohttpd still owns: shutdown() makes it read end-of-file
  // and clean up on its next pass. The descriptor is valid until the CLOSED
  // notification, which runs on this same thread.
  void shed(Connection& c, const char* why) {
    if (c.shed || c.fd < 0) return;
    c.shed = true;
    count(&ConnectionRequestStats::shed);  // counted first: the client may see the close at once
    CWMPD_LOG(Debug, "connreq", "dropping a connection: " << why);
    ::shutdown(c.fd, SHUT_RDWR);
  }

  // libmicrohttpd asks before it takes a new connection. At the limit, the oldest
  // connection that is still sending its request and never authenticated makes room:
  // a crowd of half-open or trickling clients cannot keep the ACS out.
  bool admit() {
    const auto live = static_cast<std::size_t>(std::count_if(
        connections.begin(), connections.end(), [](const Connection& c) { return !c.shed; }));
    if (live < config.connectionLimit) return true;
    for (auto& c : connections) {
      if (!c.shed && c.receiving && !c.authenticated) {
        shed(c, "all slots taken, the oldest unauthenticated one makes room");
        return true;
      }
    }
    return false;
  }

  // Drops every connection that has not delivered its whole request in time, and
  // returns when the next one falls due.
  std::optional<Clock::time_point> reap(Clock::time_point now) {
    std::optional<Clock::time_point> next;
    for (auto& c : connections) {
      if (c.shed || !c.receiving) continue;
      const auto due = c.since + config.requestTimeout;
      if (now >= due) {
        shed(c, "request not complete within the time allowed");
      } else if (!next || due < *next) {
        next = due;
      }
    }
    return next;
  }

  // True when the nc of this (already verified) digest answer is above every nc seen
  // with its nonce and cnonce, and records it.
  bool freshNonceCount(MHD_Connection* connection) {
    const char* header =
        MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    std::string nonce, cnonce;
    std::uint64_t nc = 0;
    if (header == nullptr || !digestNonceAndCount(header, nonce, cnonce, nc)) return false;
    nonce += '\n' + cnonce;  // the key: neither contains a line break once parsed
    const auto now = Clock::now();
    // Forget nonces libmicrohttpd no longer accepts anyway (older than their timeout).
    while (!nonceOrder.empty() &&
           (nonces.size() > kMaxNonces ||
            now - nonces[nonceOrder.front()].firstUse > config.nonceTimeout)) {
      nonces.erase(nonceOrder.front());
      nonceOrder.pop_front();
    }
    auto it = nonces.find(nonce);
    if (it == nonces.end()) {
      nonces.emplace(nonce, NonceUse{nc, now});
      nonceOrder.push_back(nonce);
      return true;
    }
    if (nc <= it->second.highestNc) return false;
    it->second.highestNc = nc;
    return true;
  }

  MHD_Result challenge(MHD_Connection* connection, bool stale) {
    count(&ConnectionRequestStats::unauthorized);
    // queue_auth_fail_response2 adds WWW-Authenticate to the response it is given,
    // so each 401 needs a response of its own.
    ResponsePtr response = emptyResponse();
    return MHD_queue_auth_fail_response2(connection, config.realm.c_str(), "cwmpd", response.get(),
                                         stale ? MHD_YES : MHD_NO, MHD_DIGEST_ALG_MD5);
  }

  // Answers on the first call for the request (the headers are in): a Connection
  // Request has no body, and one refused early costs the least.
  MHD_Result handle(MHD_Connection* connection, const char* url, const char* method) {
    Connection* conn = record(connection);
    if (conn != nullptr) conn->receiving = false;
    if (config.path != url) {
      count(&ConnectionRequestStats::rejected);
      return MHD_queue_response(connection, MHD_HTTP_NOT_FOUND, notFound.get());
    }
    if (std::strcmp(method, MHD_HTTP_METHOD_GET) != 0) {
      count(&ConnectionRequestStats::rejected);
      return MHD_queue_response(connection, MHD_HTTP_METHOD_NOT_ALLOWED, notAllowed.get());
    }

    std::string user, pass;
    {
      std::lock_guard lock(mutex);
      user = username;
      pass = password;
    }
    int verdict = MHD_NO;
    if (!user.empty()) {
      verdict = MHD_digest_auth_check2(connection, config.realm.c_str(), user.c_str(), pass.c_str(),
                                       static_cast<unsigned>(config.nonceTimeout.count()),
                                       MHD_DIGEST_ALG_MD5);
    }
    if (verdict != MHD_YES) return challenge(connection, verdict == MHD_INVALID_NONCE);
    if (!freshNonceCount(connection)) {
      count(&ConnectionRequestStats::replayed);
      CWMPD_LOG(Warning, "connreq", "refusing a replayed connection request (digest nc reused)");
      return challenge(connection, false);
    }
    if (conn != nullptr) conn->authenticated = true;

    bool trigger = false;
    {
      std::lock_guard lock(mutex);
      trigger = bucket.take(config.clock ? config.clock->steadyNow() : Clock::now());
      ++(trigger ? stats.accepted : stats.rateLimited);
    }
    if (!trigger) {
      CWMPD_LOG(Debug, "connreq", "connection request beyond the flood limit: 503");
      // TR-069 3.2.2: a Connection Request refused to limit the rate gets 503, without
      // Retry-After.
      return MHD_queue_response(connection, MHD_HTTP_SERVICE_UNAVAILABLE, busy.get());
    }
    CWMPD_LOG(Info, "connreq", "connection request accepted");
    if (onRequest) onRequest();
    return MHD_queue_response(connection, MHD_HTTP_OK, ok.get());
  }

  std::optional<std::chrono::milliseconds> nextWake() {
    std::optional<std::chrono::milliseconds> wait;
    MHD_UNSIGNED_LONG_LONG ms = 0;
    if (MHD_get_timeout(daemon, &ms) == MHD_YES)
      wait = std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(ms));
    const auto now = Clock::now();
    if (const auto due = reap(now)) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(*due - now);
      if (!wait || left < *wait) wait = left;
    }
    return wait;
  }

  void serve() {
    MHD_run(daemon);
    reap(Clock::now());
  }

  void loop() {
    const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_EPOLL_FD);
    const int epollFd = info != nullptr ? info->epoll_fd : -1;
    while (!quit) {
      const auto wait = nextWake();
      pollfd fds[2] = {{epollFd, POLLIN, 0}, {wakeFd, POLLIN, 0}};
      ::poll(fds, 2,
             wait
                 ? static_cast<int>(std::min<std::chrono::milliseconds::rep>(wait->count(), 60'000))
                 : -1);
      if (quit) break;
      serve();
    }
  }

  MHD_Daemon* startDaemon(unsigned flags, const sockaddr* addr) {
    const auto port = config.port;
    MHD_OptionItem options[] = {
        {MHD_OPTION_DIGEST_AUTH_RANDOM, static_cast<intptr_t>(digestRandom.size()),
         digestRandom.data()},
        {MHD_OPTION_NONCE_NC_SIZE, 128, nullptr},
        // Room above our own limit (admit()) for the connections we shed and
        // libmicrohttpd has not closed yet.
        {MHD_OPTION_CONNECTION_LIMIT, static_cast<intptr_t>(2 * config.connectionLimit + 1),
         nullptr},
        {MHD_OPTION_NOTIFY_CONNECTION, reinterpret_cast<intptr_t>(&Impl::onConnection), this},
        {MHD_OPTION_NOTIFY_COMPLETED, reinterpret_cast<intptr_t>(&Impl::onCompleted), this},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, static_cast<intptr_t>(config.perIpLimit), nullptr},
        {MHD_OPTION_CONNECTION_TIMEOUT, static_cast<intptr_t>(config.connectionTimeout.count()),
         nullptr},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, intptr_t{16} * 1024, nullptr},
        {addr != nullptr ? MHD_OPTION_SOCK_ADDR : MHD_OPTION_END, 0, const_cast<sockaddr*>(addr)},
        {MHD_OPTION_END, 0, nullptr},
    };
    return MHD_start_daemon(flags, port, &Impl::onAcceptPolicy, this, &Impl::onAccess, this,
                            MHD_OPTION_ARRAY, options, MHD_OPTION_END);
  }
};

ConnectionRequestServer::ConnectionRequestServer(ConnectionRequestServerConfig config,
                                                 Callback onRequest)
    : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->onRequest = std::move(onRequest);
}

ConnectionRequestServer::~ConnectionRequestServer() { stop(); }

void ConnectionRequestServer::start() {
  if (impl_->daemon != nullptr) return;
  Impl& d = *impl_;
  std::random_device entropy;
  for (auto& byte : d.digestRandom) byte = static_cast<unsigned char>(entropy());
  if (!d.ok) {
    d.ok = emptyResponse();
    d.notFound = emptyResponse();
    d.notAllowed = emptyResponse();
    d.busy = emptyResponse();
    MHD_add_response_header(d.notAllowed.get(), MHD_HTTP_HEADER_ALLOW, MHD_HTTP_METHOD_GET);
  }

  d.bucket = TokenBucket(d.config.burst, d.config.refillInterval);
  // libmicrohttpd always runs in its external-loop mode with epoll, so the owner's loop
  // (or our thread) watches a single descriptor and nothing runs while no one connects.
  // Its own polling thread would leave us no place to drop slow connections from.
  const unsigned flags = MHD_USE_EPOLL;

  const std::string where = (d.config.address.empty() ? std::string("*") : d.config.address) +
                            " port " + std::to_string(d.config.port);
  if (d.config.address.empty()) {
    d.daemon = d.startDaemon(flags | MHD_USE_DUAL_STACK, nullptr);
    if (d.daemon == nullptr) d.daemon = d.startDaemon(flags, nullptr);  // host without IPv6
  } else {
    sockaddr_in v4{};
    sockaddr_in6 v6{};
    if (inet_pton(AF_INET, d.config.address.c_str(), &v4.sin_addr) == 1) {
      v4.sin_family = AF_INET;
      v4.sin_port = htons(d.config.port);
      d.daemon = d.startDaemon(flags, reinterpret_cast<const sockaddr*>(&v4));
    } else if (inet_pton(AF_INET6, d.config.address.c_str(), &v6.sin6_addr) == 1) {
      v6.sin6_family = AF_INET6;
      v6.sin6_port = htons(d.config.port);
      d.daemon = d.startDaemon(flags | MHD_USE_IPv6, reinterpret_cast<const sockaddr*>(&v6));
    } else {
      throw std::runtime_error("connection request server: '" + d.config.address +
                               "' is not an IPv4 or IPv6 address");
    }
  }
  if (d.daemon == nullptr) {
    throw std::runtime_error("connection request server: cannot listen on " + where);
  }
  if (d.config.internalThread) {
    d.wakeFd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (d.wakeFd < 0) {
      MHD_stop_daemon(d.daemon);
      d.daemon = nullptr;
      throw std::runtime_error("connection request server: cannot create an eventfd");
    }
    d.quit = false;
    d.thread = std::thread([&d] { d.loop(); });
  }
  CWMPD_LOG(Info, "connreq",
            "listening on " << (d.config.address.empty() ? "*" : d.config.address) << " port "
                            << port() << " path " << d.config.path
                            << (d.config.internalThread ? " (own thread)" : ""));
}

void ConnectionRequestServer::stop() {
  Impl& d = *impl_;
  if (d.daemon == nullptr) return;
  if (d.thread.joinable()) {
    d.quit = true;
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(d.wakeFd, &one, sizeof one);
    d.thread.join();
  }
  if (d.wakeFd >= 0) {
    ::close(d.wakeFd);
    d.wakeFd = -1;
  }
  MHD_stop_daemon(d.daemon);
  d.daemon = nullptr;
  d.connections.clear();  // the CLOSED notifications have run
}

void ConnectionRequestServer::setCredentials(std::string username, std::string password) {
  std::lock_guard lock(impl_->mutex);
  impl_->username = std::move(username);
  impl_->password = std::move(password);
}

std::uint16_t ConnectionRequestServer::port() const {
  if (impl_->daemon == nullptr) return 0;
  const MHD_DaemonInfo* info = MHD_get_daemon_info(impl_->daemon, MHD_DAEMON_INFO_BIND_PORT);
  return info != nullptr ? info->port : 0;
}

ConnectionRequestStats ConnectionRequestServer::stats() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->stats;
}

int ConnectionRequestServer::pollFd() const {
  if (impl_->daemon == nullptr || impl_->config.internalThread) return -1;
  const MHD_DaemonInfo* info = MHD_get_daemon_info(impl_->daemon, MHD_DAEMON_INFO_EPOLL_FD);
  return info != nullptr ? info->epoll_fd : -1;
}

std::optional<std::chrono::milliseconds> ConnectionRequestServer::timeout() const {
  if (impl_->daemon == nullptr || impl_->config.internalThread) return std::nullopt;
  return impl_->nextWake();
}

void ConnectionRequestServer::run() {
  if (impl_->daemon == nullptr || impl_->config.internalThread) return;
  impl_->serve();
}

std::string connectionRequestUrl(std::string_view host, std::uint16_t port, std::string_view path) {
  const bool ipv6 = host.find(':') != std::string_view::npos;
  std::string url = "http://";
  url += ipv6 ? "[" + std::string(host) + "]" : std::string(host);
  url += ":" + std::to_string(port);
  if (path.empty() || path.front() != '/') url += '/';
  url += path;
  return url;
}

}  // namespace cwmpd::core::net
