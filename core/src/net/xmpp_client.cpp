#include "cwmpd/core/net/xmpp_client.hpp"

#include <signal.h>
#include <dlfcn.h>
#include <strophe.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>

#include "cwmpd/core/log.hpp"

namespace cwmpd::core::net {

namespace {

constexpr const char* kLog = "xmpp";
constexpr const char* kConnReqNs = "urn:broadband-forum-org:cwmp:xmppConnReq-1-0";
constexpr const char* kStanzaErrorNs = "urn:ietf:params:xml:ns:xmpp-stanzas";
// RFC 6120 4.6.4 advises against checking more often than every 5 minutes; NAT bindings
// of TCP last longer than that (RFC 5382: at least 2 h 4 min).
constexpr long kDefaultKeepAliveSeconds = 300;
// How long stop() waits for the client's thread. It ends at once unless it sits in a
// call nothing interrupts (libstrophe's DNS lookups block in getaddrinfo/res_query for
// the resolver's whole timeout): the main loop must not wait for that.
constexpr std::chrono::milliseconds kStopGrace{300};

// libstrophe is loaded when the first XMPP client starts, not linked (issue 15 item 3):
// linked, it maps libstrophe, OpenSSL's libssl and expat into every daemon (~0.4 MB
// resident after start-up) although most configurations never turn XMPP on. Its functions
// are called through this table; the library stays loaded once it is (a client's thread
// that stop() left behind may still be inside it).
#define CWMPD_STROPHE_FUNCTIONS(X)  \
  X(xmpp_conn_get_bound_jid)        \
  X(xmpp_conn_is_secured)           \
  X(xmpp_conn_new)                  \
  X(xmpp_conn_release)              \
  X(xmpp_conn_set_cafile)           \
  X(xmpp_conn_set_flags)            \
  X(xmpp_conn_set_jid)              \
  X(xmpp_conn_set_pass)             \
  X(xmpp_conn_set_sockopt_callback) \
  X(xmpp_connect_client)            \
  X(xmpp_ctx_free)                  \
  X(xmpp_ctx_new)                   \
  X(xmpp_disconnect)                \
  X(xmpp_free)                      \
  X(xmpp_handler_add)               \
  X(xmpp_initialize)                \
  X(xmpp_run_once)                  \
  X(xmpp_send)                      \
  X(xmpp_send_raw)                  \
  X(xmpp_stanza_add_child)          \
  X(xmpp_stanza_get_child_by_name)  \
  X(xmpp_stanza_get_child_by_ns)    \
  X(xmpp_stanza_get_from)           \
  X(xmpp_stanza_get_name)           \
  X(xmpp_stanza_get_text)           \
  X(xmpp_stanza_get_type)           \
  X(xmpp_stanza_new)                \
  X(xmpp_stanza_release)            \
  X(xmpp_stanza_reply)              \
  X(xmpp_stanza_set_attribute)      \
  X(xmpp_stanza_set_name)           \
  X(xmpp_stanza_set_ns)             \
  X(xmpp_stanza_set_type)           \
  X(xmpp_timed_handler_add)

struct Strophe {
#define CWMPD_STROPHE_POINTER(name) decltype(&::name) name = nullptr;
  CWMPD_STROPHE_FUNCTIONS(CWMPD_STROPHE_POINTER)
#undef CWMPD_STROPHE_POINTER
};

// The library's functions, loaded and xmpp_initialize()d on the first call; nullptr when
// the library or one of its functions is missing (logged once: XMPP then stays off).
const Strophe* loadStrophe() {
  static const Strophe* const loaded = []() -> const Strophe* {
    void* handle = ::dlopen(CWMPD_STROPHE_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      CWMPD_LOG(Error, kLog, "cannot load " CWMPD_STROPHE_SONAME ": " << ::dlerror());
      return nullptr;
    }
    static Strophe s;
    bool complete = true;
#define CWMPD_STROPHE_RESOLVE(name)                                     \
  s.name = reinterpret_cast<decltype(&::name)>(::dlsym(handle, #name)); \
  if (s.name == nullptr) {                                              \
    CWMPD_LOG(Error, kLog, CWMPD_STROPHE_SONAME " has no " #name);      \
    complete = false;                                                   \
  }
    CWMPD_STROPHE_FUNCTIONS(CWMPD_STROPHE_RESOLVE)
#undef CWMPD_STROPHE_RESOLVE
    if (!complete) return nullptr;
    s.xmpp_initialize();
    return &s;
  }();
  return loaded;
}

// Only called once loadStrophe() succeeded (XmppClient::Impl::run()).
const Strophe& api() { return *loadStrophe(); }

void logHandler(void* /*userdata*/, xmpp_log_level_t level, const char* area, const char* msg) {
  // libstrophe's debug level logs every byte, secrets included: never forwarded.
  if (level == XMPP_LEVEL_DEBUG) return;
  if (level == XMPP_LEVEL_ERROR || level == XMPP_LEVEL_WARN)
    CWMPD_LOG(Warning, kLog, "libstrophe " << area << ": " << msg);
  else
    CWMPD_LOG(Debug, kLog, "libstrophe " << area << ": " << msg);
}

// libstrophe's strings, freed with its allocator.
struct StropheString {
  xmpp_ctx_t* ctx;
  char* p;
  ~StropheString() {
    if (p) api().xmpp_free(ctx, p);
  }
  [[nodiscard]] std::string str() const { return p ? std::string(p) : std::string(); }
};

std::string childText(xmpp_ctx_t* ctx, xmpp_stanza_t* parent, const char* name) {
  xmpp_stanza_t* c = api().xmpp_stanza_get_child_by_name(parent, name);
  if (!c) return {};
  StropheString t{ctx, api().xmpp_stanza_get_text(c)};
  return t.str();
}

std::string bareJid(const std::string& jid) { return jid.substr(0, jid.find('/')); }

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

const char* xmppStateName(XmppState s) noexcept {
  switch (s) {
    case XmppState::Connecting: return "Connecting";
    case XmppState::Enabled: return "Enabled";
    case XmppState::ServerNotPresent: return "ServerNotPresent";
    case XmppState::AuthenticationFailure: return "Error_AuthenticationFailure";
    case XmppState::Error: return "Error";
    case XmppState::Disabled: return "Disabled";
  }
  return "Unknown";
}

double xmppRetryBound(std::uint32_t n, std::uint32_t initial, std::uint32_t multiplier,
                      std::uint32_t maxInterval) {
  const double k = std::max<std::uint32_t>(multiplier, 1000) / 1000.0;
  const double m = std::max<std::uint32_t>(initial, 1);
  // k**(n-1) overflows a double long after it passes any maximum: stop at 64 steps.
  const double bound =
      m * std::pow(k, std::min<std::uint32_t>(std::max<std::uint32_t>(n, 1), 64) - 1);
  return std::min(bound, static_cast<double>(std::max<std::uint32_t>(maxInterval, 1)));
}

bool xmppJidAllowed(const std::string& from, const std::vector<std::string>& allowed) {
  if (allowed.empty()) return true;
  // RFC 7622: the domain part and (for the usual servers) the local part compare
  // case-insensitively; the resource does not.
  const std::string fromBare = lower(bareJid(from));
  const std::string fromResource =
      from.find('/') == std::string::npos ? std::string() : from.substr(from.find('/'));
  for (const auto& a : allowed) {
    if (a.empty()) continue;
    const auto slash = a.find('/');
    if (lower(bareJid(a)) != fromBare) continue;
    if (slash == std::string::npos || a.substr(slash) == fromResource) return true;
  }
  return false;
}

class XmppClient::Impl : public std::enable_shared_from_this<XmppClient::Impl> {
 public:
  Impl(XmppSettings s, XmppAuthorization a, StatusHandler onStatus, RequestHandler onRequest)
      : settings_(std::move(s)),
        auth_(std::move(a)),
        onStatus_(std::move(onStatus)),
        onRequest_(std::move(onRequest)),
        rng_(std::random_device{}()) {}

  void start() {
    stopping_ = false;
    finished_ = false;
    // The thread holds the client: one left behind by stop() still has it when it wakes.
    thread_ = std::thread([self = shared_from_this()] { self->run(); });
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      // Wakes the select() of xmpp_run_once() or a blocked TLS handshake: the connection
      // ends at once, with no wait for a timeout.
      if (wakeFd_ >= 0) ::shutdown(wakeFd_, SHUT_RDWR);
    }
    cv_.notify_all();
    if (!thread_.joinable()) return;
    bool ended = false;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ended = cv_.wait_for(lock, kStopGrace, [this] { return finished_; });
    }
    if (ended) {
      thread_.join();
      return;
    }
    // Blocked in a DNS lookup: left to end on its own when the lookup returns (it sees
    // stopping_ then), and silenced now, so that no handler runs after stop().
    {
      std::lock_guard<std::mutex> lock(handlerMutex_);
      silenced_ = true;
    }
    thread_.detach();
    CWMPD_LOG(Info, kLog, "stopped; the pending DNS lookup ends on its own");
  }

  void setAuthorization(XmppAuthorization a) {
    std::lock_guard<std::mutex> lock(mutex_);
    auth_ = std::move(a);
  }

  XmppCounters counters() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return counters_;
  }

 private:
  // ---------------- the client's thread ----------------

  void run() {
    // libstrophe writes with send() without MSG_NOSIGNAL: a write to a connection the
    // server (or stop()) closed would raise SIGPIPE and kill the daemon. Blocked on this
    // thread, the write fails with EPIPE instead and the connection ends normally.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    xmpp_log_t log{&logHandler, nullptr};
    xmpp_ctx_t* ctx = loadStrophe() != nullptr ? api().xmpp_ctx_new(nullptr, &log) : nullptr;
    if (!ctx) {
      CWMPD_LOG(Error, kLog, "cannot create the XMPP context");
      report(XmppState::Error);
      std::lock_guard<std::mutex> lock(mutex_);
      finished_ = true;
      cv_.notify_all();
      return;
    }
    ctx_ = ctx;
    std::uint32_t failures = 0;  // attempts since the connection was last up
    std::uint32_t attemptsOnServer = 0;
    std::size_t server = 0;
    while (!stopping_) {
      const bool wasUp = attempt(server);
      if (stopping_) break;
      if (wasUp) {
        failures = 0;
        attemptsOnServer = 0;
      }
      // ServerConnectAttempts: the attempts on one server before the next one is tried
      // (0 leaves it to the agent: stay on the current one).
      if (settings_.servers.size() > 1 && settings_.connectAttempts > 0 &&
          ++attemptsOnServer >= settings_.connectAttempts) {
        attemptsOnServer = 0;
        server = (server + 1) % settings_.servers.size();
      }
      ++failures;
      const double bound =
          xmppRetryBound(failures, settings_.retryInitialInterval,
                         settings_.retryIntervalMultiplier, settings_.retryMaxInterval);
      const double wait = std::uniform_real_distribution<double>(0.0, bound)(rng_);
      CWMPD_LOG(Info, kLog, "reconnecting in " << static_cast<long>(wait * 1000) << " ms");
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait_for(lock, std::chrono::duration<double>(wait), [this] { return stopping_.load(); });
    }
    ctx_ = nullptr;
    api().xmpp_ctx_free(ctx);
    report(XmppState::Disabled);
    std::lock_guard<std::mutex> lock(mutex_);
    finished_ = true;
    cv_.notify_all();
  }

  // One connection, from connect to its end. True when it got bound.
  bool attempt(std::size_t server) {
    report(XmppState::Connecting);
    xmpp_conn_t* conn = api().xmpp_conn_new(ctx_);
    if (!conn) {
      report(XmppState::Error);
      return false;
    }
    long flags = XMPP_CONN_FLAG_DISABLE_SM;
    flags |= settings_.useTls ? XMPP_CONN_FLAG_MANDATORY_TLS : XMPP_CONN_FLAG_DISABLE_TLS;
    if (!settings_.verifyPeer) flags |= XMPP_CONN_FLAG_TRUST_TLS;
    api().xmpp_conn_set_flags(conn, flags);
    std::string jid = settings_.username + "@" + settings_.domain;
    if (!settings_.resource.empty()) jid += "/" + settings_.resource;
    api().xmpp_conn_set_jid(conn, jid.c_str());
    api().xmpp_conn_set_pass(conn, settings_.password.c_str());
    if (!settings_.caFile.empty()) api().xmpp_conn_set_cafile(conn, settings_.caFile.c_str());
    current_ = this;
    api().xmpp_conn_set_sockopt_callback(conn, &Impl::onSocket);
    api().xmpp_handler_add(conn, &Impl::onIq, nullptr, "iq", nullptr, this);
    api().xmpp_handler_add(conn, &Impl::onAnyStanza, nullptr, nullptr, nullptr, this);

    const char* host = nullptr;
    unsigned short port = 0;
    if (!settings_.servers.empty()) {
      host = settings_.servers[server].address.c_str();
      port = settings_.servers[server].port;
    }
    phase_ = Phase::Connecting;
    up_ = false;
    if (api().xmpp_connect_client(conn, host, port, &Impl::onConnection, this) != XMPP_EOK) {
      CWMPD_LOG(Warning, kLog, "cannot connect to " << (host ? host : settings_.domain.c_str()));
      phase_ = Phase::Ended;
      refused_ = true;
    }
    while (phase_ != Phase::Ended) {
      if (stopping_ && phase_ == Phase::Up) {
        api().xmpp_disconnect(conn);  // the closing </stream:stream> goes out with the next run
        phase_ = Phase::Closing;
      }
      // The timeout only bounds the wait for a connect to complete (libstrophe checks
      // its connect timeout in here); once up, the keep-alive timer bounds it.
      api().xmpp_run_once(ctx_, phase_ == Phase::Up ? 3600000 : 1000);
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (wakeFd_ >= 0) ::close(wakeFd_);
      wakeFd_ = -1;
    }
    api().xmpp_conn_release(conn);
    const bool wasUp = up_;
    if (!stopping_)
      report(refused_ && !wasUp
                 ? XmppState::ServerNotPresent
                 : (authFailed_ ? XmppState::AuthenticationFailure : XmppState::Error));
    refused_ = authFailed_ = false;
    return wasUp;
  }

  // libstrophe calls this for the socket it created, before connecting: a duplicate of
  // it lets stop() shut the connection down from another thread. (The duplicate, not
  // the number libstrophe closes: that number may be reused by the time stop() runs.)
  static int onSocket(xmpp_conn_t* /*conn*/, void* sock) {
    Impl* self = current_;
    if (!self) return 0;
    const int fd = *static_cast<int*>(sock);
    std::lock_guard<std::mutex> lock(self->mutex_);
    if (self->wakeFd_ >= 0) ::close(self->wakeFd_);
    self->wakeFd_ = ::dup(fd);
    if (self->stopping_ && self->wakeFd_ >= 0) ::shutdown(self->wakeFd_, SHUT_RDWR);
    return 0;
  }

  static void onConnection(xmpp_conn_t* conn, xmpp_conn_event_t event, int error,
                           xmpp_stream_error_t* streamError, void* userdata) {
    auto* self = static_cast<Impl*>(userdata);
    if (event == XMPP_CONN_CONNECT) {
      self->phase_ = Phase::Up;
      self->up_ = true;
      XmppStatus s;
      s.state = XmppState::Enabled;
      const char* bound = api().xmpp_conn_get_bound_jid(conn);
      s.jid = bound ? bound : "";
      s.tls = api().xmpp_conn_is_secured(conn) != 0;
      CWMPD_LOG(Info, kLog, "connected as " << s.jid << (s.tls ? " (TLS)" : " (no TLS)"));
      long keepAlive = self->settings_.keepAliveSeconds;
      if (keepAlive < 0) keepAlive = kDefaultKeepAliveSeconds;
      if (keepAlive > 0)
        api().xmpp_timed_handler_add(conn, &Impl::onKeepAlive,
                                     static_cast<unsigned long>(keepAlive) * 1000UL, self);
      self->reportStatus(s);
      return;
    }
    if (event == XMPP_CONN_RAW_CONNECT) return;
    // XMPP_CONN_DISCONNECT or XMPP_CONN_FAIL: the connection is over.
    if (!self->up_) {
      self->refused_ = event == XMPP_CONN_FAIL || error != 0;
      // A server that closes the stream with <not-authorized/> refused our credentials.
      self->authFailed_ = streamError && streamError->type == XMPP_SE_NOT_AUTHORIZED;
    }
    CWMPD_LOG(Info, kLog,
              "disconnected" << (error ? std::string(": ") + std::strerror(error) : std::string())
                             << (streamError && streamError->text
                                     ? std::string(" (") + streamError->text + ")"
                                     : std::string()));
    self->phase_ = Phase::Ended;
  }

  // RFC 6120 4.6.1: a single space between stanzas keeps the NAT binding and the
  // server's idle timer alive.
  static int onKeepAlive(xmpp_conn_t* conn, void* /*userdata*/) {
    api().xmpp_send_raw(conn, " ", 1);
    return 1;
  }

  static int onAnyStanza(xmpp_conn_t* /*conn*/, xmpp_stanza_t* stanza, void* userdata) {
    auto* self = static_cast<Impl*>(userdata);
    const char* type = api().xmpp_stanza_get_type(stanza);
    std::lock_guard<std::mutex> lock(self->mutex_);
    ++self->counters_.received;
    if (type && std::strcmp(type, "error") == 0) ++self->counters_.receivedErrors;
    return 1;
  }

  // TR-069 K.2.2: an IQ get carrying <connectionRequest> with the ConnectionRequest
  // username and password, from one of ConnReqAllowedJabberIDs (any when the list is
  // empty). Success gets the empty result and a session; a JID not allowed gets
  // service-unavailable, wrong credentials not-authorized. Other get/set IQs get
  // service-unavailable (RFC 6120 8.4).
  static int onIq(xmpp_conn_t* conn, xmpp_stanza_t* stanza, void* userdata) {
    auto* self = static_cast<Impl*>(userdata);
    const char* type = api().xmpp_stanza_get_type(stanza);
    if (!type || (std::strcmp(type, "get") != 0 && std::strcmp(type, "set") != 0)) return 1;
    const char* fromAttr = api().xmpp_stanza_get_from(stanza);
    const std::string from = fromAttr ? fromAttr : "";
    xmpp_stanza_t* request = api().xmpp_stanza_get_child_by_ns(stanza, kConnReqNs);
    const char* requestName = request ? api().xmpp_stanza_get_name(request) : nullptr;
    if (!requestName || std::strcmp(requestName, "connectionRequest") != 0) {
      self->replyError(conn, stanza, "cancel", "service-unavailable");
      return 1;
    }
    XmppAuthorization auth;
    {
      std::lock_guard<std::mutex> lock(self->mutex_);
      auth = self->auth_;
    }
    if (!xmppJidAllowed(from, auth.allowedJids)) {
      CWMPD_LOG(Notice, kLog, "connection request from " << from << " refused: JID not allowed");
      self->replyError(conn, stanza, "cancel", "service-unavailable");
      self->request(from, false);
      return 1;
    }
    const std::string username = childText(self->ctx_, request, "username");
    const std::string password = childText(self->ctx_, request, "password");
    if (auth.username.empty() || username != auth.username || password != auth.password) {
      CWMPD_LOG(Notice, kLog, "connection request from " << from << " refused: bad credentials");
      self->replyError(conn, stanza, "auth", "not-authorized");
      self->request(from, false);
      return 1;
    }
    xmpp_stanza_t* reply = api().xmpp_stanza_reply(stanza);
    api().xmpp_stanza_set_type(reply, "result");
    self->send(conn, reply, false);
    CWMPD_LOG(Info, kLog, "connection request from " << from);
    self->request(from, true);
    return 1;
  }

  void replyError(xmpp_conn_t* conn, xmpp_stanza_t* stanza, const char* errorType,
                  const char* condition) {
    xmpp_stanza_t* reply = api().xmpp_stanza_reply(stanza);
    api().xmpp_stanza_set_type(reply, "error");
    xmpp_stanza_t* error = api().xmpp_stanza_new(ctx_);
    api().xmpp_stanza_set_name(error, "error");
    api().xmpp_stanza_set_attribute(error, "type", errorType);
    xmpp_stanza_t* cond = api().xmpp_stanza_new(ctx_);
    api().xmpp_stanza_set_name(cond, condition);
    api().xmpp_stanza_set_ns(cond, kStanzaErrorNs);
    api().xmpp_stanza_add_child(error, cond);
    api().xmpp_stanza_release(cond);
    api().xmpp_stanza_add_child(reply, error);
    api().xmpp_stanza_release(error);
    send(conn, reply, true);
  }

  void send(xmpp_conn_t* conn, xmpp_stanza_t* stanza, bool isError) {
    api().xmpp_send(conn, stanza);
    api().xmpp_stanza_release(stanza);
    std::lock_guard<std::mutex> lock(mutex_);
    ++counters_.transmitted;
    if (isError) ++counters_.transmittedErrors;
  }

  void report(XmppState state) {
    XmppStatus s;
    s.state = state;
    reportStatus(s);
  }
  void reportStatus(const XmppStatus& s) {
    std::lock_guard<std::mutex> lock(handlerMutex_);
    if (onStatus_ && !silenced_) onStatus_(s);
  }
  void request(const std::string& from, bool accepted) {
    std::lock_guard<std::mutex> lock(handlerMutex_);
    if (onRequest_ && !silenced_) onRequest_(from, accepted);
  }

  enum class Phase : std::uint8_t { Connecting, Up, Closing, Ended };

  const XmppSettings settings_;
  XmppAuthorization auth_;
  StatusHandler onStatus_;
  RequestHandler onRequest_;
  std::mt19937 rng_;
  std::thread thread_;
  mutable std::mutex mutex_;  // auth_, counters_, wakeFd_, finished_, the retry wait
  std::condition_variable cv_;
  std::atomic<bool> stopping_{false};
  bool finished_ = false;  // run() returned
  // Held while a handler runs; silenced_ set (by a stop() that left the thread behind)
  // means the owner no longer listens.
  std::mutex handlerMutex_;
  bool silenced_ = false;
  XmppCounters counters_;
  int wakeFd_ = -1;
  // The client's thread only.
  xmpp_ctx_t* ctx_ = nullptr;
  Phase phase_ = Phase::Ended;
  bool up_ = false, refused_ = false, authFailed_ = false;
  // The sockopt callback gets no user data: the client whose thread is connecting.
  static thread_local Impl* current_;
};

thread_local XmppClient::Impl* XmppClient::Impl::current_ = nullptr;

XmppClient::XmppClient(XmppSettings settings, XmppAuthorization auth, StatusHandler onStatus,
                       RequestHandler onRequest)
    : impl_(std::make_shared<Impl>(std::move(settings), std::move(auth), std::move(onStatus),
                                   std::move(onRequest))) {}

XmppClient::~XmppClient() { stop(); }

void XmppClient::start() { impl_->start(); }
void XmppClient::stop() { impl_->stop(); }
void XmppClient::setAuthorization(XmppAuthorization auth) {
  impl_->setAuthorization(std::move(auth));
}
XmppCounters XmppClient::counters() const { return impl_->counters(); }

}  // namespace cwmpd::core::net
