// SessionEngine: XMPP Connection Requests (TR-069 Annex K). The XMPP.Connection.{i}.
// instance that ManagementServer.ConnReqXMPPConnection names is kept connected by the
// XMPP client (core/src/net/xmpp_client.cpp, on a thread of its own); an accepted
// connectionRequest is folded like an HTTP Connection Request. The client's state is
// shown in the instance's Status, LastChangeDate, JabberID, TLSEstablished and Stats,
// and the bound JID in ManagementServer.ConnReqJabberID.
#include <cstring>

#include "session_impl.hpp"

namespace cwmpd::core {

using namespace session_detail;

namespace {

constexpr const char* kXmppLog = "xmpp";

std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    std::string item = s.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.erase(0, 1);
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

std::uint32_t toUnsigned(const std::string& s, std::uint32_t fallback) {
  try {
    return static_cast<std::uint32_t>(std::stoul(s));
  } catch (const std::exception&) {
    return fallback;
  }
}

// The parameters the client writes: their changes restart nothing.
bool xmppStatusParameter(const std::string& name) {
  for (const char* p : {"Status", "LastChangeDate", "JabberID", "TLSEstablished"})
    if (name.size() > std::strlen(p) &&
        name.compare(name.size() - std::strlen(p), std::string::npos, p) == 0 &&
        name[name.size() - std::strlen(p) - 1] == '.')
      return true;
  return name.find(".Stats.") != std::string::npos;
}

}  // namespace

std::string SessionEngine::Impl::xmppValue(const std::string& path, const std::string& fallback) {
  try {
    return model_.exists(path) ? model_.rawValue(path) : fallback;
  } catch (const sdk::Fault&) {
    return fallback;
  }
}

// The object ConnReqXMPPConnection names ("Device.XMPP.Connection.1."), "" when none or
// when it is disabled.
std::string SessionEngine::Impl::xmppConnectionObject() {
  std::string ref = xmppValue(ms_ + "ConnReqXMPPConnection", "");
  if (ref.empty()) return {};
  if (ref.back() != '.') ref += '.';
  if (ref.compare(0, root_.size() + 6, root_ + ".XMPP.") != 0 || !model_.exists(ref)) return {};
  if (xmppValue(ref + "Enable", "false") != "true") return {};
  return ref;
}

// (Re)starts the client when its configuration differs from the running one; stops it
// when connection requests over XMPP are off.
void SessionEngine::Impl::refreshXmpp() {
  if (stopping_) return;
  const std::string obj = cwmpEnabled() ? xmppConnectionObject() : std::string();
  net::XmppSettings s;
  std::string fingerprint;
  if (!obj.empty()) {
    s.username = xmppValue(obj + "Username", "");
    s.password = xmppValue(obj + "Password", "");
    s.domain = xmppValue(obj + "Domain", "");
    s.resource = xmppValue(obj + "Resource", "");
    s.useTls = xmppValue(obj + "UseTLS", "false") == "true";
    s.caFile = options_.caFile;
    s.verifyPeer = options_.verifyPeer;
    try {
      s.keepAliveSeconds = std::stol(xmppValue(obj + "KeepAliveInterval", "-1"));
    } catch (const std::exception&) {
      s.keepAliveSeconds = -1;
    }
    s.connectAttempts = toUnsigned(xmppValue(obj + "ServerConnectAttempts", "16"), 16);
    s.retryInitialInterval = toUnsigned(xmppValue(obj + "ServerRetryInitialInterval", "60"), 60);
    s.retryIntervalMultiplier =
        toUnsigned(xmppValue(obj + "ServerRetryIntervalMultiplier", "2000"), 2000);
    s.retryMaxInterval = toUnsigned(xmppValue(obj + "ServerRetryMaxInterval", "30720"), 30720);
    const std::string algorithm = xmppValue(obj + "ServerConnectAlgorithm", "DNS-SRV");
    if (algorithm == "ServerTable") {
      // Lowest Priority first (TR-181 Server.{i}.Priority); the table's order among equals.
      std::vector<std::pair<std::uint32_t, net::XmppServer>> servers;
      try {
        for (const auto& n : model_.getNames(obj + "Server.", true)) {
          if (n.name.back() != '.' || xmppValue(n.name + "Enable", "false") != "true") continue;
          net::XmppServer srv;
          srv.address = xmppValue(n.name + "ServerAddress", "");
          srv.port =
              static_cast<std::uint16_t>(toUnsigned(xmppValue(n.name + "Port", "5222"), 5222));
          if (srv.address.empty()) continue;
          servers.emplace_back(toUnsigned(xmppValue(n.name + "Priority", "0"), 0), srv);
        }
      } catch (const sdk::Fault&) {
      }
      std::stable_sort(servers.begin(), servers.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      for (auto& [priority, srv] : servers) s.servers.push_back(srv);
    } else if (algorithm == "DNS") {
      s.servers.push_back({s.domain, 5222});  // RFC 6120 3.2.2: the domain itself, 5222
    }
    fingerprint = obj;
    for (const auto& v :
         {s.username, s.password, s.domain, s.resource, std::string(s.useTls ? "1" : "0"),
          std::to_string(s.keepAliveSeconds), std::to_string(s.connectAttempts),
          std::to_string(s.retryInitialInterval), std::to_string(s.retryIntervalMultiplier),
          std::to_string(s.retryMaxInterval)})
      fingerprint += '\n' + v;
    for (const auto& srv : s.servers)
      fingerprint += '\n' + srv.address + ':' + std::to_string(srv.port);
    if (s.username.empty() || s.domain.empty()) {
      CWMPD_LOG(Warning, kXmppLog, obj << " has no Username or Domain: not connecting");
      fingerprint.clear();
    }
  }
  if (fingerprint == xmppFingerprint_) {
    updateXmppAuthorization();
    return;
  }
  stopXmpp();
  xmppFingerprint_ = fingerprint;
  if (fingerprint.empty()) return;
  xmppObject_ = obj;
  const std::uint64_t generation = ++xmppGeneration_;
  // The client's thread posts to the main loop and never holds the engine: the last
  // reference to it must not go away on that thread.
  auto onStatus = [io = &io_, w = weak_from_this(), generation](const net::XmppStatus& st) {
    asio::post(*io, [w, generation, st] {
      auto s = w.lock();
      if (s && s->xmppGeneration_ == generation) s->xmppStatus(st);
    });
  };
  auto onRequest = [io = &io_, w = weak_from_this(), generation](const std::string&,
                                                                 bool accepted) {
    asio::post(*io, [w, generation, accepted] {
      auto s = w.lock();
      if (!s || s->xmppGeneration_ != generation) return;
      s->xmppStats();
      if (accepted) s->connectionRequested();
    });
  };
  xmpp_ = std::make_unique<net::XmppClient>(std::move(s), xmppAuthorization(), onStatus, onRequest);
  CWMPD_LOG(Info, kXmppLog, "connection requests over XMPP with " << obj);
  xmpp_->start();
}

void SessionEngine::Impl::stopXmpp() {
  if (!xmpp_) return;
  ++xmppGeneration_;  // what the old client still posts is stale
  xmpp_->stop();
  xmppStats();
  xmpp_.reset();
  xmppStatus(net::XmppStatus{});  // Disabled
  xmppObject_.clear();
}

net::XmppAuthorization SessionEngine::Impl::xmppAuthorization() {
  net::XmppAuthorization a;
  a.allowedJids = splitList(xmppValue(ms_ + "ConnReqAllowedJabberIDs", ""));
  a.username = xmppValue(ms_ + "ConnectionRequestUsername", "");
  a.password = xmppValue(ms_ + "ConnectionRequestPassword", "");
  return a;
}

void SessionEngine::Impl::updateXmppAuthorization() {
  if (xmpp_) xmpp_->setAuthorization(xmppAuthorization());
}

void SessionEngine::Impl::xmppSet(const std::string& path, const std::string& value) {
  try {
    if (model_.exists(path) && model_.rawValue(path) != value)
      model_.setInternal(path, value, false);
  } catch (const sdk::Fault& f) {
    CWMPD_LOG(Warning, kXmppLog, "cannot set " << path << ": " << f.what());
  }
}

void SessionEngine::Impl::xmppStatus(const net::XmppStatus& st) {
  if (xmppObject_.empty()) return;
  const std::string status = net::xmppStateName(st.state);
  if (xmppValue(xmppObject_ + "Status", "") != status) {
    xmppSet(xmppObject_ + "Status", status);
    xmppSet(xmppObject_ + "LastChangeDate", isoTime(std::chrono::system_clock::now()));
  }
  xmppSet(xmppObject_ + "TLSEstablished", st.tls ? "true" : "false");
  if (st.state == net::XmppState::Enabled) {
    xmppSet(xmppObject_ + "JabberID", st.jid);
    // TR-181 ConnReqJabberID: unchanged while the connection is lost, and no VALUE
    // CHANGE when the new JID is the old one (xmppSet writes only a different value).
    xmppSet(ms_ + "ConnReqJabberID", st.jid);
  } else if (st.state == net::XmppState::Disabled) {
    xmppSet(xmppObject_ + "JabberID", "");
    xmppSet(ms_ + "ConnReqJabberID", "");
  }
  xmppStats();
}

void SessionEngine::Impl::xmppStats() {
  if (!xmpp_ || xmppObject_.empty()) return;
  const auto c = xmpp_->counters();
  const std::string stats = xmppObject_ + "Stats.";
  xmppSet(stats + "ReceivedMessages", std::to_string(c.received));
  xmppSet(stats + "TransmittedMessages", std::to_string(c.transmitted));
  xmppSet(stats + "ReceivedErrorMessages", std::to_string(c.receivedErrors));
  xmppSet(stats + "TransmittedErrorMessages", std::to_string(c.transmittedErrors));
}

// Changes that concern the XMPP client: its connection's configuration, the reference
// to it, the allowed JIDs and the credentials.
void SessionEngine::Impl::xmppModelChange(const std::vector<CommittedChange>& changes) {
  const std::string xmppRoot = root_ + ".XMPP.";
  bool refresh = false;
  for (const auto& c : changes) {
    if (c.name.compare(0, xmppRoot.size(), xmppRoot) == 0) {
      if (!xmppStatusParameter(c.name)) refresh = true;
      continue;
    }
    // Compared below ManagementServer. without building a name per change: a set of
    // 10,000 values passes here once per value (issue 15).
    if (c.name.compare(0, ms_.size(), ms_) != 0) continue;
    const std::string_view p = std::string_view(c.name).substr(ms_.size());
    if (p == "ConnReqXMPPConnection" || p == "EnableCWMP") {
      refresh = true;
    } else if (p == "ConnReqAllowedJabberIDs" || p == "ConnectionRequestUsername" ||
               p == "ConnectionRequestPassword") {
      updateXmppAuthorization();
    }
  }
  if (refresh) refreshXmpp();
}

}  // namespace cwmpd::core
