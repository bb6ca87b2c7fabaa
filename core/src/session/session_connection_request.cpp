// SessionEngine: the Connection Request server, ConnectionRequestURL, the route towards
// the ACS.
#include "session_impl.hpp"

namespace cwmpd::core {

using namespace session_detail;

namespace {
constexpr const char* kUdpCrTs = "udp-cr-ts";  // store key: ts of the last accepted UDP request
}  // namespace

void SessionEngine::Impl::startConnectionRequestServer() {
  if (!options_.connectionRequestEnabled) return;
  net::ConnectionRequestServerConfig c;
  c.address = options_.connectionRequestAddress;
  c.port = options_.connectionRequestPort;
  c.path = options_.connectionRequestPath;
  c.burst = options_.connectionRequestBurst;
  c.refillInterval = options_.connectionRequestRefillInterval;
  c.clock = clock_;
  cr_ = std::make_unique<net::ConnectionRequestServer>(c, [w = weak_from_this()] {
    if (auto self = w.lock()) {
      asio::post(self->io_, [w] {
        if (auto s = w.lock()) s->connectionRequested();
      });
    }
  });
  try {
    cr_->start();
  } catch (const std::exception& e) {
    CWMPD_LOG(Error, kLog, "connection request server not started: " << e.what());
    cr_.reset();
    return;
  }
  startUdpConnectionRequests();
  updateCrCredentials();
  publishConnectionRequestUrl(lastRouteAddress());
}

bool SessionEngine::Impl::advertisesRouteAddress() const {
  const auto& bound = options_.connectionRequestAddress;
  return options_.connectionRequestHost.empty() && options_.connectionRequestInterface.empty() &&
         (bound.empty() || bound == "0.0.0.0" || bound == "::");
}

// The route's local address towards the ACS as known without a name lookup (at start).
std::string SessionEngine::Impl::lastRouteAddress() {
  std::string url;
  try {
    url = model_.rawValue(ms_ + "URL");
  } catch (const sdk::Fault&) {
  }
  const std::string host = net::urlHost(url);
  return routeAddress(net::isNumericAddress(host) ? host : std::string());
}

// Before an Inform. False when the ACS host name must be resolved first: the session
// starts once it is (the lookup runs off the main loop).
bool SessionEngine::Impl::refreshConnectionRequestUrl(const std::string& acsUrl) {
  if (!cr_) return true;
  const std::string host = net::urlHost(acsUrl);
  std::string acsAddress;
  if (net::isNumericAddress(host)) {
    acsAddress = host;
  } else if (host == resolvedHost_) {
    acsAddress = resolvedAddress_;
  } else if (advertisesRouteAddress() && !host.empty()) {
    // startSession() got here without events only when the session was forced.
    resumeForced_ = resumeForced_ || events_.empty();
    resolveAcsHost(host);
    return false;
  }
  publishConnectionRequestUrl(routeAddress(acsAddress));
  return true;
}

// The probe's answer when the route towards the ACS changed since the last probe (a
// new DHCP lease, a PPP reconnect); else the address the last connection to the ACS
// came from, which is what the ACS saw (it differs from the probe's when the ACS
// redirected the session to another host).
std::string SessionEngine::Impl::routeAddress(const std::string& acsAddress) {
  std::string probe = acsAddress.empty() ? std::string() : net::sourceAddressTowards(acsAddress);
  const std::string* lastProbe = state_.get("cr-probe");
  if (!probe.empty() && (!lastProbe || *lastProbe != probe)) {
    state_.set("cr-probe", probe);
    rememberRouteAddress(probe);  // until a connection tells otherwise
    return probe;
  }
  const std::string* confirmed = state_.get("cr-local");
  return confirmed ? *confirmed : probe;
}

void SessionEngine::Impl::resolveAcsHost(const std::string& host) {
  if (resolving_) return;
  resolving_ = true;
  resolver_.async_resolve(
      host, "",
      [w = weak_from_this(), host](const boost::system::error_code& ec,
                                   const asio::ip::udp::resolver::results_type& r) {
        auto self = w.lock();
        if (!self) return;
        self->resolving_ = false;
        if (ec == asio::error::operation_aborted || self->stopping_) return;
        self->resolvedHost_ = host;
        self->resolvedAddress_.clear();
        if (!ec && !r.empty()) {
          self->resolvedAddress_ = r.begin()->endpoint().address().to_string();
          if (auto pct = self->resolvedAddress_.find('%'); pct != std::string::npos)
            self->resolvedAddress_.resize(pct);
        } else {
          CWMPD_LOG(Warning, kLog, "cannot resolve the ACS host " << host << ": " << ec.message());
        }
        // The deferred session, forced again if it was.
        self->forceSession_ = self->forceSession_ || self->resumeForced_;
        self->resumeForced_ = false;
        self->startSession();
      });
}

// The local address of the Inform's connection (CURLINFO_LOCAL_IP): what the ACS saw.
void SessionEngine::Impl::connectedFrom(const std::string& local) {
  if (local.empty() || !cr_) return;
  rememberRouteAddress(local);
  publishConnectionRequestUrl(local);
}

void SessionEngine::Impl::rememberRouteAddress(const std::string& local) {
  const std::string* last = state_.get("cr-local");
  if (!last || *last != local) state_.set("cr-local", local);  // committed with the session's end
}

// A changed URL is a value change of a forced-active parameter (TR-069 3.2.1): the
// notification tracker reports it with "4 VALUE CHANGE".
void SessionEngine::Impl::publishConnectionRequestUrl(const std::string& routeAddress) {
  if (!cr_) return;
  std::string host = options_.connectionRequestHost;
  const auto& bound = options_.connectionRequestAddress;
  if (host.empty() && !bound.empty() && bound != "0.0.0.0" && bound != "::") host = bound;
  if (host.empty() && !options_.connectionRequestInterface.empty()) {
    const int family = routeAddress.find(':') != std::string::npos ? AF_INET6 : AF_INET;
    host = net::interfaceAddress(options_.connectionRequestInterface, family);
    if (host.empty())
      CWMPD_LOG(
          Warning, kLog,
          "interface " << options_.connectionRequestInterface << " has no address to advertise");
  }
  if (host.empty()) host = routeAddress;
  if (host.empty()) {
    if (!crUrl_.empty()) return;  // nothing new learned: the published URL stays
    // No route towards the ACS known yet (first start, ACS named by a host name): the
    // default route's source address until the first session tells.
    host = net::sourceAddressTowards("198.51.100.1");
    if (host.empty()) host = "127.0.0.1";
  }
  const std::string url = "http://" + net::urlHostPart(host) + ":" + std::to_string(cr_->port()) +
                          options_.connectionRequestPath;
  if (udpCr_) {
    // UDPConnectionRequestAddress without a STUN mapping: where the listener is (the
    // models' "local IP address and port").
    udpLocal_ = net::urlHostPart(host) + ":" + std::to_string(udpCr_->port());
    publishUdpAddress(udpMapped_.empty() ? udpLocal_ : udpMapped_);
  }
  if (url == crUrl_) return;
  try {
    model_.setInternal(ms_ + "ConnectionRequestURL", url, false);
    crUrl_ = url;
  } catch (const sdk::Fault& f) {
    CWMPD_LOG(Warning, kLog, "cannot publish ConnectionRequestURL: " << f.what());
    return;
  }
  CWMPD_LOG(Info, kLog, "connection requests on " << url);
}

// TR-069 3.2.2: every accepted Connection Request gets a session with "6 CONNECTION
// REQUEST", once. Requests before that session's Inform go into it; one that comes
// while a session runs gets one more session right after it.
void SessionEngine::Impl::connectionRequested() {
  events_.add("6 CONNECTION REQUEST");
  // The running session's Inform may carry a "6" already: when its InformResponse
  // marks that one delivered, this request must still find one queued.
  if (running_) crDuringSession_ = true;
  if (waitingRetry_) {
    // The ACS reaching out means it is back: the retry wait ends now.
    CWMPD_LOG(Info, kLog, "connection request during the retry wait: retrying now");
    retryTimer_->cancel();
    waitingRetry_ = false;
  }
  kick();
}

void SessionEngine::Impl::updateCrCredentials() {
  if (!cr_) return;
  try {
    const std::string user = model_.rawValue(ms_ + "ConnectionRequestUsername");
    const std::string pass = model_.rawValue(ms_ + "ConnectionRequestPassword");
    cr_->setCredentials(user, pass);
    if (udpCr_) udpCr_->setCredentials(user, pass);
  } catch (const sdk::Fault&) {
  }
}

// TR-069 Annex G.2.2: the UDP Connection Request listener shares the HTTP server's
// port number. Accepted requests are folded with the HTTP ones (connectionRequested()).
void SessionEngine::Impl::startUdpConnectionRequests() {
  if (!cr_ || !model_.exists(ms_ + "UDPConnectionRequestAddress")) return;
  net::UdpConnectionRequestServer::Config c;
  c.address = options_.connectionRequestAddress;
  c.port = cr_->port();
  c.burst = options_.connectionRequestBurst;
  c.refillInterval = options_.connectionRequestRefillInterval;
  // G.2.2.3's replay checks survive a restart: the last accepted ts is persisted (with
  // the session the request starts).
  if (const std::string* ts = state_.get(kUdpCrTs)) {
    try {
      c.lastAcceptedTs = std::stoull(*ts);
    } catch (const std::exception&) {
    }
  }
  net::UdpConnectionRequestServer::Callbacks cb;
  cb.onRequest = [w = weak_from_this()] {
    auto self = w.lock();
    if (!self || !self->udpCr_) return;
    if (const auto ts = self->udpCr_->lastAcceptedTs()) {
      self->state_.set(kUdpCrTs, std::to_string(*ts));
      self->state_.tryCommit();  // on failure the store logs once; the session's end retries
    }
    self->connectionRequested();
  };
  cb.onMapping = [w = weak_from_this()](const net::stun::Endpoint& mapped, bool nat) {
    if (auto self = w.lock()) self->stunMapped(mapped, nat);
  };
  udpCr_ = std::make_unique<net::UdpConnectionRequestServer>(io_, clock_, c, std::move(cb));
  try {
    udpCr_->start();
  } catch (const std::exception& e) {
    CWMPD_LOG(Error, kLog, "UDP connection requests not served: " << e.what());
    udpCr_.reset();
    return;
  }
  if (!udpLimitTimer_) udpLimitTimer_ = clock_->timer();
  configureStun();
}

bool SessionEngine::Impl::stunEnabled() {
  try {
    return model_.rawValue(ms_ + "STUNEnable") == "true";
  } catch (const sdk::Fault&) {
    return false;
  }
}

// The STUN client follows the STUN* parameters (and the ACS URL, whose host is the
// server when STUNServerAddress is empty).
void SessionEngine::Impl::configureStun() {
  if (!udpCr_) return;
  net::StunSettings s;
  auto value = [&](const char* name) {
    try {
      return model_.rawValue(ms_ + name);
    } catch (const sdk::Fault&) {
      return std::string();
    }
  };
  auto number = [&](const char* name, std::int64_t fallback) {
    try {
      return static_cast<std::int64_t>(std::stoll(value(name)));
    } catch (const std::exception&) {
      return fallback;
    }
  };
  s.enable = stunEnabled();
  s.server = value("STUNServerAddress");
  // The models: an empty STUNServerAddress means the host of the ACS URL.
  if (s.server.empty()) s.server = net::urlHost(value("URL"));
  s.port = static_cast<std::uint16_t>(number("STUNServerPort", 3478));
  s.username = value("STUNUsername");
  s.password = value("STUNPassword");
  s.maximumKeepAlive = number("STUNMaximumKeepAlivePeriod", -1);
  s.minimumKeepAlive = static_cast<std::uint32_t>(std::max<std::int64_t>(
      0, std::min<std::int64_t>(number("STUNMinimumKeepAlivePeriod", 0), 0xffffffff)));
  udpCr_->configureStun(s);
  if (!s.enable && !udpMapped_.empty()) {
    // NATDetected is false and the address the local one while STUN is off.
    udpMapped_.clear();
    stunMapped({}, false);
  }
}

void SessionEngine::Impl::stunMapped(const net::stun::Endpoint& mapped, bool natDetected) {
  if (!mapped.address.empty())
    udpMapped_ = net::urlHostPart(mapped.address) + ":" + std::to_string(mapped.port);
  try {
    const std::string nat = natDetected ? "true" : "false";
    if (model_.rawValue(ms_ + "NATDetected") != nat)
      model_.setInternal(ms_ + "NATDetected", nat, false);
  } catch (const sdk::Fault& f) {
    CWMPD_LOG(Warning, kLog, "cannot set NATDetected: " << f.what());
  }
  publishUdpAddress(udpMapped_.empty() ? udpLocal_ : udpMapped_);
}

// UDPConnectionRequestAddress changes at most once per
// UDPConnectionRequestAddressNotificationLimit seconds (TR-098; TR-181 has no such
// parameter): the changes in between wait, the last one wins, so that the ACS's
// notifications come no more often.
void SessionEngine::Impl::publishUdpAddress(const std::string& address) {
  if (!udpCr_ || address.empty()) return;
  udpDeferred_.clear();
  if (address == udpPublished_) return;
  std::int64_t limit = 0;
  try {
    limit = std::stoll(model_.rawValue(ms_ + "UDPConnectionRequestAddressNotificationLimit"));
  } catch (const std::exception&) {
  }
  const auto now = clock_->steadyNow();
  const auto due = udpPublishedAt_ + std::chrono::seconds(limit);
  if (!udpPublished_.empty() && limit > 0 && now < due) {
    udpDeferred_ = address;
    udpLimitTimer_->start(due - now, [w = weak_from_this()] {
      auto self = w.lock();
      if (!self || self->udpDeferred_.empty()) return;
      self->udpPublishedAt_ = {};
      self->publishUdpAddress(self->udpDeferred_);
    });
    return;
  }
  try {
    model_.setInternal(ms_ + "UDPConnectionRequestAddress", address, false);
  } catch (const sdk::Fault& f) {
    CWMPD_LOG(Warning, kLog, "cannot publish UDPConnectionRequestAddress: " << f.what());
    return;
  }
  udpPublished_ = address;
  udpPublishedAt_ = now;
  CWMPD_LOG(Info, kLog, "UDP connection requests on " << address);
}

}  // namespace cwmpd::core
