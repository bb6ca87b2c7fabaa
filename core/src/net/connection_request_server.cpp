#include "cwmpd/core/net/connection_request_server.hpp"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include <array>
#include <cstring>
#include <mutex>
#include <random>
#include <stdexcept>
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

}  // namespace

struct ConnectionRequestServer::Impl {
  ConnectionRequestServerConfig config;
  Callback onRequest;
  MHD_Daemon* daemon = nullptr;
  // libmicrohttpd 0.9.75 keeps a pointer to this buffer instead of copying it, so it
  // lives as long as the Impl, which outlives the daemon.
  std::array<unsigned char, 32> digestRandom{};
  // Responses that never change are built once: a flood costs no allocation.
  ResponsePtr ok, notFound, notAllowed, busy;

  mutable std::mutex mutex;  // guards the fields below
  std::string username, password;
  std::optional<std::chrono::steady_clock::time_point> lastTrigger;
  ConnectionRequestStats stats;

  static MHD_Result onAccess(void* cls, MHD_Connection* connection, const char* url,
                             const char* method, const char* /*version*/,
                             const char* /*uploadData*/, size_t* /*uploadDataSize*/,
                             void** /*requestContext*/) {
    return static_cast<Impl*>(cls)->handle(connection, url, method);
  }

  void count(std::uint64_t ConnectionRequestStats::*field) {
    std::lock_guard lock(mutex);
    ++(stats.*field);
  }

  // Answers on the first call for the request (the headers are in): a Connection
  // Request has no body, and one refused early costs the least.
  MHD_Result handle(MHD_Connection* connection, const char* url, const char* method) {
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
    if (verdict != MHD_YES) {
      count(&ConnectionRequestStats::unauthorized);
      // queue_auth_fail_response2 adds WWW-Authenticate to the response it is given,
      // so each 401 needs a response of its own.
      ResponsePtr challenge = emptyResponse();
      return MHD_queue_auth_fail_response2(
          connection, config.realm.c_str(), "cwmpd", challenge.get(),
          verdict == MHD_INVALID_NONCE ? MHD_YES : MHD_NO, MHD_DIGEST_ALG_MD5);
    }

    bool trigger = false;
    {
      std::lock_guard lock(mutex);
      const auto now = std::chrono::steady_clock::now();
      if (!lastTrigger || now - *lastTrigger >= config.minTriggerInterval) {
        lastTrigger = now;
        ++stats.accepted;
        trigger = true;
      } else {
        ++stats.rateLimited;
      }
    }
    if (!trigger) {
      CWMPD_LOG(Debug, "connreq", "connection request within the rate limit window: 503");
      // TR-069 3.2.2: a Connection Request refused to limit the rate gets 503, without
      // Retry-After. The session started by the accepted one serves the ACS anyway.
      return MHD_queue_response(connection, MHD_HTTP_SERVICE_UNAVAILABLE, busy.get());
    }
    CWMPD_LOG(Info, "connreq", "connection request accepted");
    if (onRequest) onRequest();
    return MHD_queue_response(connection, MHD_HTTP_OK, ok.get());
  }

  MHD_Daemon* startDaemon(unsigned flags, const sockaddr* addr) {
    const auto port = config.port;
    MHD_OptionItem options[] = {
        {MHD_OPTION_DIGEST_AUTH_RANDOM, static_cast<intptr_t>(digestRandom.size()),
         digestRandom.data()},
        {MHD_OPTION_NONCE_NC_SIZE, 128, nullptr},
        {MHD_OPTION_CONNECTION_LIMIT, static_cast<intptr_t>(config.connectionLimit), nullptr},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, static_cast<intptr_t>(config.perIpLimit), nullptr},
        {MHD_OPTION_CONNECTION_TIMEOUT, static_cast<intptr_t>(config.connectionTimeout.count()),
         nullptr},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, 16 * 1024, nullptr},
        {addr != nullptr ? MHD_OPTION_SOCK_ADDR : MHD_OPTION_END, 0, const_cast<sockaddr*>(addr)},
        {MHD_OPTION_END, 0, nullptr},
    };
    return MHD_start_daemon(flags, port, nullptr, nullptr, &Impl::onAccess, this, MHD_OPTION_ARRAY,
                            options, MHD_OPTION_END);
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

  // Without a thread of its own the daemon still uses epoll, so the owner's loop
  // watches a single descriptor. Either way nothing runs while no one connects.
  unsigned flags = MHD_USE_EPOLL;
  if (d.config.internalThread) flags |= MHD_USE_INTERNAL_POLLING_THREAD;

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
  CWMPD_LOG(Info, "connreq",
            "listening on " << (d.config.address.empty() ? "*" : d.config.address) << " port "
                            << port() << " path " << d.config.path
                            << (d.config.internalThread ? " (own thread)" : ""));
}

void ConnectionRequestServer::stop() {
  if (impl_->daemon == nullptr) return;
  MHD_stop_daemon(impl_->daemon);
  impl_->daemon = nullptr;
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
  MHD_UNSIGNED_LONG_LONG ms = 0;
  if (MHD_get_timeout(impl_->daemon, &ms) != MHD_YES) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(ms));
}

void ConnectionRequestServer::run() {
  if (impl_->daemon == nullptr || impl_->config.internalThread) return;
  MHD_run(impl_->daemon);
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
