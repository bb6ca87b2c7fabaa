#include "cwmpd/core/net/udp_connection_request_server.hpp"

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <stdexcept>

#include "cwmpd/core/log.hpp"
#include "cwmpd/core/net/connection_request_server.hpp"
#include "cwmpd/core/net/local_address.hpp"
#include "cwmpd/core/net/udp_connection_request.hpp"

namespace cwmpd::core::net {

namespace asio = boost::asio;
using asio::ip::udp;

namespace {

constexpr const char* kLog = "stun";
// RFC 5389 7.2.1 (as RFC 3489 9.3): retransmissions 100 ms apart at first, doubling up to
// 1.6 s; after the seventh the request has failed, and the next keep-alive tries again.
constexpr std::chrono::milliseconds kFirstRetransmit{100};
constexpr std::chrono::milliseconds kLongestRetransmit{1'600};
constexpr int kMaxTransmissions = 7;
// The keep-alive period when STUNMaximumKeepAlivePeriod names none: shorter than the UDP
// binding timeouts of common NATs (30 s and more).
constexpr std::int64_t kDefaultKeepAliveSeconds = 25;

}  // namespace

struct UdpConnectionRequestServer::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& ioc, std::shared_ptr<Clock> c, Config cfg, Callbacks cbs)
      : io(ioc),
        clock(std::move(c)),
        config(std::move(cfg)),
        callbacks(std::move(cbs)),
        socket(ioc),
        resolver(ioc),
        bucket(config.burst, config.refillInterval),
        retransmitTimer(clock->timer()),
        keepAliveTimer(clock->timer()) {
    if (config.lastAcceptedTs) guard.restore(*config.lastAcceptedTs);
  }

  asio::io_context& io;
  std::shared_ptr<Clock> clock;
  Config config;
  Callbacks callbacks;
  udp::socket socket;
  udp::resolver resolver;
  std::array<std::uint8_t, 2048> buffer{};
  udp::endpoint sender;
  UdpConnectionRequestGuard guard;
  std::string username, password;
  TokenBucket bucket;
  UdpConnectionRequestStats stats;

  // The STUN client.
  StunSettings stun;
  std::optional<udp::endpoint> server;
  std::uint64_t generation = 0;  // bumped by every reconfiguration: stale lookups are dropped
  std::unique_ptr<Timer> retransmitTimer, keepAliveTimer;
  std::optional<stun::TransactionId> pending;
  int transmissions = 0;
  bool pendingHasChange = false;
  bool bindingChangePending = false;  // sent with BINDING-CHANGE until one is answered
  bool useIntegrity = false;          // the server asked for MESSAGE-INTEGRITY (401)
  std::optional<stun::Endpoint> mapping;

  void open() {
    boost::system::error_code ec;
    if (config.address.empty()) {
      // Every address, IPv6 and IPv4 both where the host has IPv6.
      socket.open(udp::v6(), ec);
      if (!ec) {
        socket.set_option(asio::ip::v6_only(false), ec);
        socket.bind(udp::endpoint(udp::v6(), config.port), ec);
        if (ec) socket.close();
      }
      if (ec) {
        socket.open(udp::v4(), ec);
        if (!ec) socket.bind(udp::endpoint(udp::v4(), config.port), ec);
      }
    } else {
      const auto address = asio::ip::make_address(config.address, ec);
      if (ec)
        throw std::runtime_error("UDP connection requests: '" + config.address +
                                 "' is not an IPv4 or IPv6 address");
      const udp::endpoint local(address, config.port);
      socket.open(local.protocol(), ec);
      if (!ec) socket.bind(local, ec);
    }
    if (ec) {
      boost::system::error_code ignored;
      socket.close(ignored);
      throw std::runtime_error("UDP connection requests: cannot bind port " +
                               std::to_string(config.port) + ": " + ec.message());
    }
    socket.non_blocking(true, ec);
  }

  void receive() {
    socket.async_receive_from(
        asio::buffer(buffer), sender,
        [w = weak_from_this()](const boost::system::error_code& ec, std::size_t n) {
          auto self = w.lock();
          if (!self || ec == asio::error::operation_aborted || !self->socket.is_open()) return;
          if (!ec) self->handle(n);
          self->receive();
        });
  }

  void handle(std::size_t n) {
    const std::span<const std::uint8_t> data(buffer.data(), n);
    if (n > 0 && (data[0] & 0xC0) == 0) {
      handleStun(data);
      return;
    }
    const auto request =
        parseUdpConnectionRequest(std::string_view(reinterpret_cast<const char*>(data.data()), n));
    if (!request) {
      ++stats.ignored;  // silently (G.2.2.3); not even logged, a flood would fill the log
      return;
    }
    const auto verdict = guard.check(*request, username, password);
    if (verdict != UdpConnectionRequestGuard::Verdict::Accepted) {
      ++stats.refused;
      CWMPD_LOG(Debug, "connreq", "UDP connection request ignored: " << toString(verdict));
      return;
    }
    if (!bucket.take(clock->steadyNow())) {
      ++stats.rateLimited;
      CWMPD_LOG(Debug, "connreq", "UDP connection request beyond the flood limit: ignored");
      return;
    }
    ++stats.accepted;
    CWMPD_LOG(Info, "connreq", "UDP connection request accepted");
    if (callbacks.onRequest) callbacks.onRequest();
  }

  // ---------------- STUN (Annex G.2.1) ----------------

  void configure(const StunSettings& s) {
    if (s == stun && (server || !s.enable)) return;
    stun = s;
    ++generation;
    resolver.cancel();
    retransmitTimer->cancel();
    keepAliveTimer->cancel();
    pending.reset();
    server.reset();
    useIntegrity = false;
    if (!stun.enable || stun.server.empty()) {
      mapping.reset();
      return;
    }
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(stun.server, ec);
    if (!ec) {
      serverFound(udp::endpoint(address, stun.port));
      return;
    }
    resolver.async_resolve(
        stun.server, std::to_string(stun.port),
        [w = weak_from_this(), gen = generation](const boost::system::error_code& e,
                                                 const udp::resolver::results_type& r) {
          auto self = w.lock();
          if (!self || e == asio::error::operation_aborted || gen != self->generation) return;
          if (e || r.empty()) {
            CWMPD_LOG(
                Warning, kLog,
                "cannot resolve the STUN server " << self->stun.server << ": " << e.message());
            self->scheduleKeepAlive(true);
            return;
          }
          self->serverFound(r.begin()->endpoint());
        });
  }

  void serverFound(udp::endpoint ep) {
    // A dual-stack socket reaches IPv4 servers through their v4-mapped address.
    boost::system::error_code ec;
    const auto local = socket.local_endpoint(ec);
    if (!ec && local.protocol() == udp::v6() && ep.address().is_v4())
      ep = udp::endpoint(asio::ip::make_address_v6(asio::ip::v4_mapped, ep.address().to_v4()),
                         ep.port());
    server = ep;
    CWMPD_LOG(Info, kLog, "STUN server " << ep);
    sendBinding();
  }

  std::chrono::seconds keepAlivePeriod() const {
    std::int64_t period =
        stun.maximumKeepAlive > 0 ? stun.maximumKeepAlive : kDefaultKeepAliveSeconds;
    period = std::max<std::int64_t>(period, stun.minimumKeepAlive);
    return std::chrono::seconds(std::max<std::int64_t>(period, 1));
  }

  // The next Binding Request one keep-alive period from now (G.2.1.2: never less than
  // STUNMinimumKeepAlivePeriod apart, never more than STUNMaximumKeepAlivePeriod). A
  // failed lookup is retried the same way.
  void scheduleKeepAlive(bool resolveAgain = false) {
    keepAliveTimer->start(keepAlivePeriod(), [w = weak_from_this(), resolveAgain] {
      auto self = w.lock();
      if (!self) return;
      if (resolveAgain) {
        const StunSettings s = self->stun;
        self->stun = {};
        self->configure(s);
      } else {
        self->sendBinding();
      }
    });
  }

  void sendBinding() {
    if (!server) return;
    keepAliveTimer->cancel();
    pending = stun::newTransaction();
    pendingHasChange = bindingChangePending;
    transmissions = 0;
    transmit();
  }

  void transmit() {
    if (!pending || !server) return;
    if (transmissions >= kMaxTransmissions) {
      CWMPD_LOG(Warning, kLog, "no answer from the STUN server " << *server);
      pending.reset();
      scheduleKeepAlive();
      return;
    }
    stun::BindingRequest r;
    r.transaction = *pending;
    r.bindingChange = pendingHasChange;
    if (useIntegrity) {
      r.username = stun.username;
      r.password = stun.password;
    }
    std::vector<std::uint8_t> bytes;
    try {
      bytes = stun::encode(r);
    } catch (const std::exception& e) {
      CWMPD_LOG(Error, kLog, e.what());
      pending.reset();
      scheduleKeepAlive();
      return;
    }
    boost::system::error_code ec;
    socket.send_to(asio::buffer(bytes), *server, 0, ec);
    ++stats.stunRequests;
    if (ec) CWMPD_LOG(Debug, kLog, "Binding Request not sent: " << ec.message());
    const auto wait =
        std::min(kFirstRetransmit * (1 << std::min(transmissions, 4)), kLongestRetransmit);
    ++transmissions;
    retransmitTimer->start(wait, [w = weak_from_this()] {
      if (auto self = w.lock()) self->transmit();
    });
  }

  void handleStun(std::span<const std::uint8_t> data) {
    const auto m = stun::decode(data);
    if (!m || !pending || m->transaction != *pending || !server || sender != *server) {
      ++stats.ignored;
      return;
    }
    if (m->type == stun::kBindingErrorResponse) {
      pending.reset();
      retransmitTimer->cancel();
      const int code = m->errorCode.value_or(0);
      // G.2.1.1: a server asking for authentication (401) gets the request again with
      // USERNAME and MESSAGE-INTEGRITY, when STUNUsername is set.
      if (code == 401 && !useIntegrity && !stun.username.empty()) {
        CWMPD_LOG(Info, kLog, "the STUN server wants MESSAGE-INTEGRITY");
        useIntegrity = true;
        sendBinding();
        return;
      }
      CWMPD_LOG(Warning, kLog, "the STUN server refused the Binding Request: " << code);
      scheduleKeepAlive();
      return;
    }
    if (m->type != stun::kBindingResponse || !m->mapped) {
      ++stats.ignored;
      return;
    }
    pending.reset();
    retransmitTimer->cancel();
    if (pendingHasChange) bindingChangePending = false;
    const bool first = !mapping;
    const bool changed = mapping && *mapping != *m->mapped;
    mapping = *m->mapped;
    if (first || changed) report();
    if (changed) {
      // G.2.1.3: a changed binding is told to the server at once, with BINDING-CHANGE,
      // whatever STUNMinimumKeepAlivePeriod says.
      CWMPD_LOG(Notice, kLog,
                "NAT binding changed to " << mapping->address << " port " << mapping->port);
      bindingChangePending = true;
      sendBinding();
      return;
    }
    scheduleKeepAlive();
  }

  void report() {
    boost::system::error_code ec;
    const auto local = socket.local_endpoint(ec);
    std::string serverAddress = server->address().to_string();
    if (server->address().is_v6() && server->address().to_v6().is_v4_mapped())
      serverAddress = server->address().to_v6().to_v4().to_string();
    std::string localAddress = local.address().is_unspecified()
                                   ? sourceAddressTowards(serverAddress)
                                   : local.address().to_string();
    if (local.address().is_v6() && local.address().to_v6().is_v4_mapped())
      localAddress = local.address().to_v6().to_v4().to_string();
    // NATDetected: the MAPPED-ADDRESS differs from the socket's own address and port.
    const bool nat = ec || mapping->address != localAddress || mapping->port != local.port();
    CWMPD_LOG(Info, kLog,
              "public address " << mapping->address << " port " << mapping->port
                                << (nat ? " (behind a NAT)" : " (no NAT)"));
    if (callbacks.onMapping) callbacks.onMapping(*mapping, nat);
  }
};

UdpConnectionRequestServer::UdpConnectionRequestServer(asio::io_context& io,
                                                       std::shared_ptr<Clock> clock, Config config,
                                                       Callbacks callbacks)
    : impl_(std::make_shared<Impl>(io, std::move(clock), std::move(config), std::move(callbacks))) {
}

UdpConnectionRequestServer::~UdpConnectionRequestServer() { stop(); }

void UdpConnectionRequestServer::start() {
  if (impl_->socket.is_open()) return;
  impl_->open();
  impl_->receive();
  CWMPD_LOG(Info, "connreq", "UDP connection requests on port " << port());
}

void UdpConnectionRequestServer::stop() {
  Impl& d = *impl_;
  d.resolver.cancel();
  d.retransmitTimer->cancel();
  d.keepAliveTimer->cancel();
  d.pending.reset();
  boost::system::error_code ec;
  d.socket.close(ec);
}

void UdpConnectionRequestServer::setCredentials(std::string username, std::string password) {
  impl_->username = std::move(username);
  impl_->password = std::move(password);
}

void UdpConnectionRequestServer::configureStun(const StunSettings& settings) {
  impl_->configure(settings);
}

std::uint16_t UdpConnectionRequestServer::port() const {
  boost::system::error_code ec;
  const auto ep = impl_->socket.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

UdpConnectionRequestStats UdpConnectionRequestServer::stats() const { return impl_->stats; }

std::optional<std::uint64_t> UdpConnectionRequestServer::lastAcceptedTs() const {
  return impl_->guard.lastAcceptedTs();
}

}  // namespace cwmpd::core::net
