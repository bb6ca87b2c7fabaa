// SessionEngine: the session's HTTP/SOAP exchange (worker thread): the RPC loop.
#include <cstdio>

#include "rpc/rpc_table.hpp"
#include "session_impl.hpp"

namespace cwmpd::core {

using namespace session_detail;

namespace {

// "1.N" as N, for the versions the agent speaks (TR-069 A.4.1 SupportedCWMPVersions).
std::optional<unsigned> supportedMinor(std::string_view version) {
  while (!version.empty() && (version.front() == ' ' || version.front() == '\t'))
    version.remove_prefix(1);
  while (!version.empty() && (version.back() == ' ' || version.back() == '\t'))
    version.remove_suffix(1);
  if (version.size() != 3 || version.substr(0, 2) != "1." || version[2] < '0' ||
      version[2] > '0' + static_cast<int>(kHighestCwmpMinor))
    return std::nullopt;
  return static_cast<unsigned>(version[2] - '0');
}

// The namespace of a CWMP version: 1.2, 1.3 and 1.4 share cwmp-1-2 (cwmp-1-3.xsd and
// cwmp-1-4.xsd extend it in place).
soap::CwmpNamespace namespaceOf(unsigned minor) {
  if (minor == 0) return soap::CwmpNamespace::V1_0;
  if (minor == 1) return soap::CwmpNamespace::V1_1;
  return soap::CwmpNamespace::V1_2;
}

// The version an InformResponse without UseCWMPVersion implies: that of its namespace.
// An ACS of 1.4 or later answers SupportedCWMPVersions with UseCWMPVersion, so one
// without it on cwmp-1-2 speaks 1.2 or 1.3 (the same methods).
unsigned minorOfNamespace(soap::CwmpNamespace ns) {
  switch (ns) {
    case soap::CwmpNamespace::V1_0: return 0;
    case soap::CwmpNamespace::V1_1: return 1;
    case soap::CwmpNamespace::V1_2:
    case soap::CwmpNamespace::V1_3: return 3;
    case soap::CwmpNamespace::V1_4: return 4;
  }
  return 0;
}

// The version whose schema first declares a CPE request (TransferComplete...).
unsigned sinceMinor(const std::string& method) {
  unsigned since = 0;
  rpc::forEachRow(rpc::kAcsMethods, [&](const auto& row) {
    if (row.name == method) since = static_cast<unsigned>(row.since);
  });
  return since;
}

}  // namespace

// SOAP 1.1 section 6.2: a SOAP Fault comes with HTTP 500 (GenieACS's 8000 and 8005
// do), so a 500 with a body is read like a 200; anything else is a failed session.
bool SessionEngine::Impl::soapAnswer(const net::HttpResult& res) {
  return res.status == 200 || (res.status == 500 && !res.body.empty());
}

// RFC 9110 15.6.4: a 503 (or 429, RFC 6585) may say when to come back; the retry waits
// at least that long.
void SessionEngine::Impl::noteRetryAfter(const net::HttpResult& res, SessionPlan& plan) const {
  if (res.status != 503 && res.status != 429) return;
  auto h = res.headers.find("retry-after");
  if (h == res.headers.end()) return;
  if (auto wait = retryAfterSeconds(h->second, clock_->seconds())) plan.retryAfter = *wait;
}

// An answer to a cwmp-1-2 Inform that says the ACS does not speak that version: fault
// 8006 "ACS version incompatible with CPE" (cwmp-1-4.xsd), or an HTTP 400 from an ACS
// that never accepted a cwmp-1-2 Inform (GenieACS answers 400 to a namespace it does
// not know; an older ACS cannot say 8006).
bool SessionEngine::Impl::refusesVersion(const net::HttpResult& res, const SessionPlan& plan) {
  if (plan.cwmp10 || res.transportError || res.authFailure) return false;
  if (res.status == 400) return onMain([&] { return newerAcceptedBy_ != plan.endpoint.url; });
  if (!soapAnswer(res)) return false;
  auto decoded = soap::decode(res.body);
  if (!decoded.ok()) return false;
  const auto* f = std::get_if<soap::Fault>(&decoded.envelope().body);
  return f != nullptr && f->code == 8006;
}

Outcome SessionEngine::Impl::runSession(SessionPlan& plan) {
  const std::string sid = "session " + std::to_string(plan.id);
  transport_->beginSession(plan.endpoint);
  net::HttpResult res = transport_->post(plan.informXml, "\"\"");
  if (refusesVersion(res, plan)) {
    // Version fallback: the Inform goes again at once, in cwmp-1-0 (the version every
    // ACS speaks), on a new connection; so does every later one to this ACS.
    CWMPD_LOG(Warning, sid,
              "the ACS refused a CWMP 1.4 Inform ("
                  << (res.status == 400 ? std::string("HTTP 400") : std::string("fault 8006"))
                  << "); informing again in CWMP 1.0");
    plan.cwmp10 = true;
    plan.informXml = onMain([&] {
      cwmp10Acs_ = plan.endpoint.url;
      return buildInform(plan);
    });
    transport_->endSession();
    transport_->beginSession(plan.endpoint);
    res = transport_->post(plan.informXml, "\"\"");
    if (res.transportError || res.authFailure || !soapAnswer(res)) {
      // Refused in cwmp-1-0 too: the first refusal was no question of version (GenieACS
      // answers 400 for a while after a session it saw cut); the next try offers 1.4.
      onMain([&] {
        cwmp10Acs_.clear();
        return 0;
      });
    }
  }
  if (res.transportError || res.authFailure || !soapAnswer(res) || res.body.empty()) {
    noteRetryAfter(res, plan);
    CWMPD_LOG(
        Warning, sid,
        "Inform failed: " << (res.error.empty() ? "HTTP " + std::to_string(res.status) : res.error)
                          << (res.authFailure ? " (authentication refused)" : ""));
    return Outcome::Failed;
  }
  soap::DecodeLimits limits;
  limits.maxBodyBytes = options_.maxBodyBytes;
  auto decoded = soap::decode(res.body, limits);
  if (!decoded.ok()) {
    CWMPD_LOG(Warning, sid, "undecodable answer to Inform: " << decoded.error().message);
    return Outcome::Failed;
  }
  auto& env = decoded.envelope();
  if (auto* f = std::get_if<soap::Fault>(&env.body)) {
    CWMPD_LOG(Warning, sid, "ACS answered the Inform with fault " << f->code << " " << f->message);
    return f->code == 8005 ? Outcome::RetryRequested : Outcome::Failed;
  }
  if (!std::holds_alternative<soap::InformResponse>(env.body)) {
    CWMPD_LOG(Warning, sid, "ACS answered the Inform with " << soap::methodName(env.body));
    return Outcome::Failed;
  }
  if (!env.header.unknownMustUnderstand.empty()) {
    // SOAP 1.1 section 4.2.3: not understood, so not processed: the Inform was not
    // accepted and its events stay queued.
    CWMPD_LOG(Warning, sid,
              "InformResponse with header entries we must but do not understand ("
                  << env.header.unknownMustUnderstand.front().substr(0, 64)
                  << "); closing the session");
    return Outcome::Failed;
  }
  // TR-069 A.4.1 (CWMP 1.4): the ACS picks the session's version with UseCWMPVersion,
  // one of those SupportedCWMPVersions offered; an older ACS says it with the namespace
  // of its InformResponse. Every later message of the session is of that version.
  unsigned minor = minorOfNamespace(env.ns);
  soap::CwmpNamespace ns = env.ns;
  if (env.header.useCwmpVersion) {
    const auto chosen = supportedMinor(*env.header.useCwmpVersion);
    if (!chosen) {
      // mustUnderstand="1": a version we cannot speak leaves the InformResponse
      // unprocessed, like any header entry we do not understand (SOAP 1.1 4.2.3).
      CWMPD_LOG(Warning, sid,
                "the ACS asked for CWMP version '" << env.header.useCwmpVersion->substr(0, 16)
                                                   << "', which we do not support; closing the "
                                                      "session");
      return Outcome::Failed;
    }
    minor = *chosen;
    ns = namespaceOf(minor);
  }
  CWMPD_LOG(Debug, sid, "CWMP 1." << minor << " (" << soap::namespaceUrn(ns) << ")");
  if (env.header.sessionTimeout) {
    // TR-069 A.4.1: the ACS's SessionTimeout is how long the session may stay silent;
    // it bounds the wait for each of its answers from now on. Kept within sane bounds:
    // 0 would end the session at once, and a day is an ACS that went away.
    constexpr std::uint32_t kMaxSessionTimeout = 86400;
    const auto seconds =
        std::clamp<std::uint32_t>(*env.header.sessionTimeout, 1, kMaxSessionTimeout);
    CWMPD_LOG(Debug, sid, "the ACS's session timeout: " << seconds << " s");
    transport_->setTimeout(std::chrono::seconds(seconds));
  }
  // The events are delivered once the InformResponse arrived (TR-069 3.7.1.5).
  onMain([&] {
    if (!plan.cwmp10 && newerAcceptedBy_ != plan.endpoint.url) {
      // Kept across restarts: a 400 from this ACS is never again read as a refusal of
      // the version.
      newerAcceptedBy_ = plan.endpoint.url;
      state_.set("cwmp-newer-acs", newerAcceptedBy_);
      state_.tryCommit();
    }
    dispatcher_.setCwmpVersion(minor);
    connectedFrom(res.localAddress);
    informAccepted(plan.events, plan.endpoint.url);
    if (tracker_) tracker_->delivered(plan.notified);
    return 0;
  });
  bool hold = env.header.holdRequests.value_or(false);
  std::string next;    // the next POST's body ("" = empty POST)
  std::string action;  // its SOAPAction
  bool sentRequest = false;
  std::size_t cpeIndex = 0;
  for (std::size_t exchange = 0; exchange < kMaxExchanges; ++exchange) {
    if (stopping_) return Outcome::Failed;
    // A request the session's version does not define waits for a session that has it.
    while (cpeIndex < plan.cpeRequests.size() &&
           sinceMinor(soap::methodName(plan.cpeRequests[cpeIndex])) > minor) {
      CWMPD_LOG(Info, sid,
                soap::methodName(plan.cpeRequests[cpeIndex])
                    << " is not part of CWMP 1." << minor << ": kept for a later session");
      ++cpeIndex;
    }
    if (next.empty() && !hold && cpeIndex < plan.cpeRequests.size()) {
      soap::Envelope req;
      req.ns = ns;
      req.header.id = "cwmpd-" + std::to_string(plan.id) + "-" + std::to_string(exchange);
      req.body = plan.cpeRequests[cpeIndex];
      next = soap::encode(req);
      action = "\"\"";
      sentRequest = true;
    }
    res = transport_->post(next, action);
    const bool sentEmpty = next.empty();
    // The buffer, not just the text, leaves `next`: a whole-tree answer is megabytes and must
    // not stay allocated while the next one is built. The dispatcher writes the next
    // GetParameterValues/Names answer into it (no fresh pages), or frees it at once.
    std::string sent;
    sent.swap(next);
    action.clear();
    if (res.transportError || res.authFailure) {
      CWMPD_LOG(Warning, sid, "HTTP failed: " << res.error);
      return Outcome::Failed;
    }
    if (!res.emptyAnswer() && !soapAnswer(res)) {
      noteRetryAfter(res, plan);
      CWMPD_LOG(Warning, sid, "ACS answered HTTP " << res.status);
      return Outcome::Failed;
    }
    // Decoded on the main loop with the model at hand: a GetParameterValues is answered
    // while it is parsed, its names resolved as they come and never kept (issue 15).
    // A 500 carries a Fault, not a request to answer.
    RpcDispatcher::Decoded decoded{soap::Envelope{}, std::nullopt};
    // A Heartbeat session's requests are only read, never run (refused below).
    if (!res.emptyAnswer()) {
      decoded =
          res.status == 500 || plan.heartbeat
              ? RpcDispatcher::Decoded{soap::decode(res.body, limits), std::nullopt}
              : onMain([&] {
                  return dispatcher_.decodeAndAnswer(res.body, limits, &res.body, std::move(sent));
                });
    }
    std::string().swap(sent);  // when it did not go to the dispatcher
    // The request's text is read (a streamed one already answered): a megabyte list of
    // names must not stay allocated while its answer is encoded and sent and the next
    // request is received (issue 15).
    std::string().swap(res.body);
    auto& msg = decoded.result;
    // TR-069 3.7.2.4: an HTTP 200 whose body is only whitespace, or an envelope with an
    // empty Body, says "nothing more" like a 204 (the decoder reads both as Empty).
    if (res.status != 500 && msg.ok() && std::holds_alternative<soap::Empty>(msg.envelope().body)) {
      // TR-069 3.7.2.4: the ACS has nothing more. The session ends unless we still
      // hold requests of our own. HoldRequests applies only to the envelope that
      // carried it (3.7.2.4): an empty answer releases our requests.
      const bool wasHeld = hold;
      hold = false;
      if (sentRequest) {
        // An empty answer to our own request is no answer: keep the request for the
        // next session rather than re-send it in a loop.
        CWMPD_LOG(Warning, sid, "the ACS ended the session without answering our request");
        state(SessionState::InSession);
        return Outcome::Success;
      }
      if (cpeIndex < plan.cpeRequests.size() && (!sentEmpty || wasHeld)) continue;
      state(SessionState::InSession);
      return Outcome::Success;
    }
    if (res.status == 500 &&
        (!msg.ok() || !std::holds_alternative<soap::Fault>(msg.envelope().body))) {
      CWMPD_LOG(Warning, sid, "ACS answered HTTP 500 without a SOAP Fault");
      return Outcome::Failed;
    }
    if (!msg.ok()) {
      const auto& err = msg.error();
      if (err.kind == soap::DecodeError::Kind::Refused) {
        CWMPD_LOG(Warning, sid, "refusing a hostile message, closing the session: " << err.message);
        return Outcome::Failed;
      }
      soap::Envelope reply;
      reply.ns = ns;
      if (err.id) reply.header.id = err.id;
      reply.body = soap::toSoapFault(err);
      next = soap::encode(reply);
      CWMPD_LOG(Info, sid, "answering an undecodable request with fault " << err.faultCode());
      continue;
    }
    auto& m = msg.envelope();
    const std::string method = soap::methodName(m.body);
    const bool response =
        std::holds_alternative<soap::Fault>(m.body) ||
        (method.size() > 8 && method.compare(method.size() - 8, 8, "Response") == 0 &&
         method[0] != 'X');
    if (!m.header.unknownMustUnderstand.empty()) {
      // SOAP 1.1 section 4.2.3: a header entry with mustUnderstand="1" we do not know
      // means the message must not be processed. A request gets the MustUnderstand
      // fault as our answer; an answer to our own request cannot be answered, so the
      // session ends.
      std::string names;
      for (const auto& h : m.header.unknownMustUnderstand)
        names += (names.empty() ? "" : ", ") + h.substr(0, 64);
      if (response) {
        CWMPD_LOG(Warning, sid,
                  "ACS answer with header entries we must but do not understand ("
                      << names << "); closing the session");
        return Outcome::Failed;
      }
      CWMPD_LOG(Info, sid,
                method << " not processed: header entries we must but do not understand (" << names
                       << ")");
      soap::Envelope reply;
      reply.ns = ns;
      reply.header.id = m.header.id;
      reply.body = soap::mustUnderstandFault(m.header.unknownMustUnderstand);
      next = soap::encode(reply);
      continue;
    }
    hold = m.header.holdRequests.value_or(false);
    if (auto* f = std::get_if<soap::Fault>(&m.body)) {
      // A fault from the ACS answers our last request.
      if (sentRequest && cpeIndex < plan.cpeRequests.size()) {
        const std::string method = soap::methodName(plan.cpeRequests[cpeIndex]);
        CWMPD_LOG(Warning, sid, "ACS refused " << method << " with fault " << f->code);
        if (f->code == 8005) return Outcome::RetryRequested;
        onMain([&, method, code = f->code] {
          cpeRequestRefused(method, code);
          return 0;
        });
        ++cpeIndex;
        sentRequest = false;
        continue;
      }
      CWMPD_LOG(Warning, sid, "unexpected fault " << f->code << " from the ACS");
      return Outcome::Failed;
    }
    if (response) {
      // The answer to our own request.
      if (sentRequest && cpeIndex < plan.cpeRequests.size()) {
        onMain([&, index = cpeIndex] {
          cpeRequestAcknowledged(plan.cpeRequests[index]);
          return 0;
        });
        ++cpeIndex;
      }
      sentRequest = false;
      continue;
    }
    state(SessionState::InSession);
    CWMPD_LOG(Debug, sid, "ACS request " << method);
    soap::Body answer;
    if (plan.heartbeat) {
      // TR-069 Annex O: a Heartbeat session carries the Inform and its response only;
      // the ACS opens another session (a Connection Request) for anything else.
      answer = soap::toSoapFault(
          sdk::Fault(sdk::FaultCode::RequestDenied, "a Heartbeat session carries no RPC"));
    } else {
      answer = decoded.answer ? std::move(*decoded.answer)
                              : onMain([&] { return dispatcher_.handle(m.body); });
    }
    soap::Envelope reply;
    reply.ns = ns;
    reply.header.id = m.header.id;
    reply.body = std::move(answer);
    if (auto* f = std::get_if<soap::Fault>(&reply.body))
      CWMPD_LOG(Info, sid, method << " answered with fault " << f->code << " " << f->message);
    next = soap::encode(std::move(reply));
  }
  CWMPD_LOG(Error, sid, "session exceeded " << kMaxExchanges << " exchanges; closing it");
  return Outcome::Failed;
}

void SessionEngine::Impl::informAccepted(const std::vector<QueuedEvent>& sent,
                                         const std::string& url) {
  state(SessionState::InSession);
  lastInformTime_ = isoTime(clock_->now());
  for (const auto& e : sent)
    if (e.code == "0 BOOTSTRAP") state_.set("bootstrap-url", url);
  events_.delivered(sent);
  if (crDuringSession_) events_.add("6 CONNECTION REQUEST");
}

void SessionEngine::Impl::cpeRequestRefused(const std::string& method, int code) {
  // GenieACS answers 8000 to everything but Inform, GetRPCMethods and TransferComplete:
  // stop offering such a method instead of retrying it forever.
  if (code == 8000) unsupportedCpeMethods_.insert(method);
  for (const auto& r : cpeRequests_)
    if (soap::methodName(r) == method) {
      soap::Body copy = r;
      dropCpeRequest(method);
      for (const auto& ack : cpeAcks_) ack(copy, code);
      return;
    }
}

void SessionEngine::Impl::cpeRequestAcknowledged(const soap::Body& req) {
  const std::string method = soap::methodName(req);
  dropCpeRequest(method);
  for (const auto& ack : cpeAcks_) ack(req, 0);
}

void SessionEngine::Impl::dropCpeRequest(const std::string& method) {
  for (auto it = cpeRequests_.begin(); it != cpeRequests_.end(); ++it) {
    if (soap::methodName(*it) == method) {
      cpeRequests_.erase(it);
      saveCpeRequests();
      return;
    }
  }
}

namespace {
constexpr const char* kCpeRequestPrefix = "cpe-request:";
// The requests only the session engine holds. TransferComplete and its kin are the
// transfer manager's, which keeps them itself and queues them again at start.
bool keptBySession(const std::string& method) {
  return method == "RequestDownload" || method == "Kicked";
}
}  // namespace

// TR-069 3.7.1.5: "9 REQUEST DOWNLOAD" and "5 KICKED" are retried until delivered; the
// request that goes with each is kept with the events, as an envelope of its own.
void SessionEngine::Impl::saveCpeRequests() {
  state_.erasePrefix(kCpeRequestPrefix);
  char key[40];
  std::size_t n = 0;
  for (const auto& r : cpeRequests_) {
    if (!keptBySession(soap::methodName(r))) continue;
    soap::Envelope env;
    env.body = r;
    std::snprintf(key, sizeof key, "%s%06zu", kCpeRequestPrefix, n++);
    state_.set(key, soap::encode(env));
  }
  // Like the event queue: a full disk costs the persistence, never the request.
  state_.tryCommit();
}

void SessionEngine::Impl::loadCpeRequests() {
  static const std::pair<const char*, const char*> kEventOf[] = {
      {"RequestDownload", "9 REQUEST DOWNLOAD"}, {"Kicked", "5 KICKED"}};
  std::vector<std::pair<std::string, std::string>> kept;
  state_.forEach(kCpeRequestPrefix, [&](const std::string& key, const std::string& xml) {
    kept.emplace_back(key, xml);
  });
  for (const auto& [key, xml] : kept) {
    auto decoded = soap::decode(xml);
    if (!decoded.ok() || !keptBySession(soap::methodName(decoded.envelope().body))) {
      CWMPD_LOG(Warning, kLog, "dropping an unreadable queued request (" << key << ")");
      continue;
    }
    auto& body = decoded.envelope().body;
    const std::string method = soap::methodName(body);
    // An event and its request travel together: the boot dropped "5 KICKED" with the
    // other events that do not outlive a restart, and it comes back with its request.
    for (const auto& [m, code] : kEventOf)
      if (method == m && !events_.contains(code)) events_.add(code);
    cpeRequests_.push_back(std::move(body));
    forceSession_ = true;
  }
  if (!kept.empty()) saveCpeRequests();
}

}  // namespace cwmpd::core
