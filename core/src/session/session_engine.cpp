#include "cwmpd/core/session_engine.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <cmath>
#include <ctime>
#include <future>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "cwmpd/core/log.hpp"
#include "cwmpd/core/net/connection_request_server.hpp"
#include "cwmpd/core/net/local_address.hpp"
#include "cwmpd/core/soap/decoder.hpp"
#include "cwmpd/core/soap/encoder.hpp"
#include "cwmpd/core/soap/fault_map.hpp"

namespace cwmpd::core {

namespace asio = boost::asio;

const char* sessionStateName(SessionState s) noexcept {
  switch (s) {
    case SessionState::Idle: return "Idle";
    case SessionState::Connecting: return "Connecting";
    case SessionState::InSession: return "InSession";
    case SessionState::WaitingRetry: return "WaitingRetry";
  }
  return "Idle";
}

double retryWaitSeconds(std::uint32_t retryCount, std::uint32_t minimumWait, std::uint32_t multiplier,
                        double unit) {
  if (retryCount == 0) return 0;
  const double m = minimumWait == 0 ? 5.0 : minimumWait;
  const double k = (multiplier < 1000 ? 2000 : multiplier) / 1000.0;
  const double n = std::min<std::uint32_t>(retryCount, 10);
  const double lo = m * std::pow(k, n - 1);
  const double hi = m * std::pow(k, n);
  return lo + (hi - lo) * std::clamp(unit, 0.0, 1.0);
}

std::optional<double> retryAfterSeconds(std::string_view value, std::int64_t now) {
  constexpr double kMaxWait = 86400;
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return kMaxWait;
    return std::min(kMaxWait, static_cast<double>(std::stol(std::string(value))));
  }
  // strptime reads day and month names of the C locale, which the daemon never changes.
  const std::string text(value);
  for (const char* format : {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"}) {
    std::tm tm{};
    const char* end = strptime(text.c_str(), format, &tm);
    if (!end || *end) continue;
    const std::int64_t at = timegm(&tm);
    return std::clamp(static_cast<double>(at - now), 0.0, kMaxWait);
  }
  return std::nullopt;
}

namespace {

constexpr const char* kLog = "session";
constexpr std::size_t kMaxExchanges = 100000;  // a session that never ends is a bug or an attack

std::string isoTime(std::chrono::system_clock::time_point now) {
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Parses the TR-069 dateTime lexical form into seconds since the epoch (UTC); false for
// the unknown time (year 1) or anything unparsable.
bool parseIsoTime(const std::string& s, std::int64_t& out) {
  std::tm tm{};
  if (s.size() < 19 || s.compare(0, 4, "0001") == 0) return false;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec) != 6)
    return false;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::int64_t t = timegm(&tm);
  // Offsets ("+01:00") shift to UTC.
  auto zone = s.find_first_of("+-", 19);
  if (zone != std::string::npos && s.size() >= zone + 6) {
    int hh = std::atoi(s.substr(zone + 1, 2).c_str()), mm = std::atoi(s.substr(zone + 4, 2).c_str());
    std::int64_t off = (hh * 60 + mm) * 60;
    t += s[zone] == '+' ? -off : off;
  }
  out = t;
  return true;
}

struct SessionPlan {
  std::uint64_t id = 0;
  net::AcsEndpoint endpoint;
  std::string informXml;
  std::vector<QueuedEvent> events;
  std::vector<soap::Body> cpeRequests;  // TransferComplete and friends, in order
  std::vector<ParameterValue> notified;  // changed parameters reported in this Inform
  bool notifiedSilently = false;         // ...or only marked delivered (BOOTSTRAP)
  double retryAfter = 0;                 // seconds the ACS asked us to wait (HTTP 503 Retry-After)
};

enum class Outcome { Success, Failed, RetryRequested };

}  // namespace

class SessionEngine::Impl : public std::enable_shared_from_this<SessionEngine::Impl> {
 public:
  Impl(asio::io_context& io, SessionModel& model, Store& state, std::unique_ptr<net::AcsTransport> transport,
       SessionOptions options, SessionHooks hooks)
      : io_(io),
        model_(model),
        state_(state),
        transport_(std::move(transport)),
        options_(std::move(options)),
        hooks_(std::move(hooks)),
        events_(state),
        dispatcher_(model),
        clock_(options_.clock ? options_.clock : makeLoopClock(io)),
        periodicTimer_(clock_->timer()),
        retryTimer_(clock_->timer()),
        rng_(std::random_device{}()) {
    extraInformParameters_ = options_.extraInformParameters;
    // "M Reboot" is queued when the reboot happens (finishSession), not here: a session
    // that fails first must not announce a reboot that has not taken place.
    dispatcher_.provide<soap::Reboot>([this](const soap::Reboot& r) {
      rebootKey_ = r.commandKey;
      rebootAfterSession_ = true;
      return soap::RebootResponse{};
    });
    dispatcher_.provide<soap::FactoryReset>([this](const soap::FactoryReset&) {
      factoryResetAfterSession_ = true;
      return soap::FactoryResetResponse{};
    });
    dispatcher_.provide<soap::ScheduleInform>([this](const soap::ScheduleInform& r) {
      addScheduled(r.delaySeconds, r.commandKey, true);
      return soap::ScheduleInformResponse{};
    });
  }

  ~Impl() { joinWorker(); }

  // ---------------- life cycle ----------------

  void start() {
    root_ = model_.root();
    ms_ = root_ + ".ManagementServer.";
    events_.booted();
    events_.add("1 BOOT");
    checkBootstrap();
    // TR-069 3.2.1.1: RetryCount and the back-off follow the post-reboot session retry
    // count, so a start (every start is a boot: "1 BOOT") begins from 0. Stores of earlier
    // versions kept the count: forget it.
    retryCount_ = 0;
    if (state_.get("retry")) state_.erase("retry");
    model_.addChangeListener([w = weak_from_this()](const std::vector<CommittedChange>& cs, sdk::Source src) {
      if (auto self = w.lock()) self->onModelChange(cs, src);
    });
    if (cwmpEnabled()) startConnectionRequestServer();
    loadScheduled();
    schedulePeriodic();
    kick();
  }

  bool stop(std::chrono::milliseconds grace) {
    stopping_ = true;
    periodicTimer_->cancel();
    retryTimer_->cancel();
    for (auto& t : scheduleTimers_) t->cancel();
    if (cr_) cr_->stop();
    resolver_.cancel();
    // The worker may be waiting for the main loop: keep serving it until it is done.
    // Waiting for the transport's own timeout (up to the RPC timeout, 30 s) would make
    // SIGTERM hang behind a slow ACS, so the wait is bounded by `grace`.
    if (worker_.joinable()) {
      auto deadline = std::chrono::steady_clock::now() + grace;
      io_.restart();
      while (!workerDone_ && std::chrono::steady_clock::now() < deadline) io_.run_for(std::chrono::milliseconds(20));
      if (!workerDone_) {
        CWMPD_LOG(Warning, kLog, "the session with the ACS is still blocked; abandoning it");
        worker_.detach();
        return false;
      }
      // finishSession(), run by the loop above, may have joined it already.
      joinWorker();
      // The worker posts the session's end before it finishes: process it (events
      // delivered, notification baselines) even when the loop above never ran.
      io_.poll();
    }
    return true;
  }

  // ---------------- triggers ----------------

  // An event code from outside the engine (plugins, D-Bus) must be a CWMP code or a
  // vendor code some plugin or the configuration ([cpe] vendor_events) declared.
  void checkEventCode(const std::string& code) const {
    if (!isValidEventCode(code)) throw sdk::Fault(sdk::FaultCode::InvalidArguments, "invalid event code '" + code + "'");
    if (code.rfind("X ", 0) == 0 && !model_.vendorEvents().count(code) && !options_.vendorEvents.count(code))
      throw sdk::Fault(sdk::FaultCode::InvalidArguments,
                       "vendor event '" + code + "' is declared neither by a plugin nor in [cpe] vendor_events");
  }

  void raiseEvent(const std::string& code, const std::string& key) {
    checkEventCode(code);
    events_.add(code, key);
    kick();
  }

  void inform(const std::vector<std::string>& codes) {
    // TR-069 A.3.3.1: an Inform's Event list is never empty, so a local request for a
    // session has to say why there is one.
    if (codes.empty())
      throw sdk::Fault(sdk::FaultCode::InvalidArguments,
                       "an Inform needs at least one event code (e.g. a vendor event a plugin declares)");
    for (const auto& c : codes) checkEventCode(c);  // all or nothing
    for (const auto& c : codes) events_.add(c);
    forceSession_ = true;
    kick();
  }

  // Starts a session as soon as none runs. Triggers during a session are merged into
  // the next one.
  void kick() {
    if (stopping_) return;
    if (running_) {
      again_ = true;
      return;
    }
    if (waitingRetry_) return;  // the retry timer will start it, with every event queued
    asio::post(io_, [w = weak_from_this()] {
      if (auto self = w.lock()) self->startSession();
    });
  }

  // ---------------- the session ----------------

  void startSession() {
    if (running_ || stopping_) return;
    if (events_.empty() && !forceSession_) return;
    forceSession_ = false;
    SessionPlan plan;
    try {
      plan.endpoint.url = model_.rawValue(ms_ + "URL");
      if (model_.exists(ms_ + "EnableCWMP") && model_.rawValue(ms_ + "EnableCWMP") == "false") {
        CWMPD_LOG(Info, kLog, "EnableCWMP is false: no session");
        return;
      }
      plan.endpoint.username = model_.rawValue(ms_ + "Username");
      plan.endpoint.password = model_.rawValue(ms_ + "Password");
    } catch (const sdk::Fault& f) {
      CWMPD_LOG(Error, kLog, "no ManagementServer in the model (" << f.what() << "): cannot reach an ACS");
      return;
    }
    if (plan.endpoint.url.empty()) {
      CWMPD_LOG(Warning, kLog, "ManagementServer.URL is empty: waiting for an ACS URL");
      return;
    }
    // TR-069 3.2.2: the Inform names a ConnectionRequestURL the ACS can reach, found
    // before the Inform is built (its change then travels with this very Inform).
    if (!refreshConnectionRequestUrl(plan.endpoint.url)) return;  // resolving the ACS host
    if (options_.informUpstreamAddress) {
      extraInformParameters_ = options_.extraInformParameters;
      for (auto& p : upstreamAddressParameters()) extraInformParameters_.push_back(std::move(p));
    }
    plan.endpoint.caFile = options_.caFile;
    plan.endpoint.clientCert = options_.clientCert;
    plan.endpoint.clientKey = options_.clientKey;
    plan.endpoint.verifyPeer = options_.verifyPeer;
    plan.endpoint.verifyHost = options_.verifyPeer;
    plan.endpoint.timeout = options_.rpcTimeout;
    if (tracker_) {
      plan.notified = tracker_->pending();
      if (events_.contains("0 BOOTSTRAP")) {
        // A BOOTSTRAP Inform makes the ACS learn the device anew (TR-069 3.7.1.5), so
        // changes since an earlier baseline (typically ConnectionRequestURL after a
        // restart that never reached the ACS) mean nothing to it: they count as
        // delivered with this Inform but are not reported as "4 VALUE CHANGE".
        plan.notifiedSilently = true;
        events_.remove("4 VALUE CHANGE");
      } else if (!plan.notified.empty() && !events_.contains("4 VALUE CHANGE")) {
        // TR-069 3.2.1: changed parameters travel with "4 VALUE CHANGE".
        events_.add("4 VALUE CHANGE");
      }
    }
    plan.events = events_.pending();
    if (plan.events.empty()) {
      // TR-069 A.3.3.1: an Inform never has an empty Event list. Whatever asked for this
      // session (a retry whose only event was "6 CONNECTION REQUEST", discarded on
      // failure by TR-069 3.2.1.1; a CPE request without its event) has nothing to say.
      CWMPD_LOG(Info, kLog, "no event to report: no session");
      state(SessionState::Idle);
      return;
    }
    plan.id = ++sessionCounter_;
    plan.informXml = buildInform(plan);
    plan.cpeRequests = cpeRequests_;
    running_ = true;
    again_ = false;
    crDuringSession_ = false;
    state(SessionState::Connecting);
    model_.beginSession();
    for (auto& l : listeners_) l(true);
    CWMPD_LOG(Info, kLog, "session " << plan.id << " to " << plan.endpoint.url << " with " << describe(plan.events));
    joinWorker();
    workerDone_ = false;
    worker_ = std::thread([self = shared_from_this(), plan = std::move(plan)]() mutable {
      Outcome o = Outcome::Failed;
      try {
        o = self->runSession(plan);
      } catch (const std::exception& e) {
        CWMPD_LOG(Error, kLog, "session " << plan.id << " aborted: " << e.what());
      }
      try {
        self->transport_->endSession();
      } catch (...) {
      }
      asio::post(self->io_, [self, o, id = plan.id, after = plan.retryAfter] { self->finishSession(o, id, after); });
      self->workerDone_ = true;
    });
  }

  std::string describe(const std::vector<QueuedEvent>& evs) {
    std::string s;
    for (const auto& e : evs) s += (s.empty() ? "" : ", ") + e.code;
    return s.empty() ? "no events" : s;
  }

  std::string buildInform(const SessionPlan& plan) {
    soap::Envelope env;
    env.ns = soap::CwmpNamespace::V1_2;
    env.header.id = "cwmpd-" + std::to_string(plan.id);
    // TR-069 A.4.1: the CPE offers what it supports; the ACS picks with UseCWMPVersion.
    env.header.supportedCwmpVersions = "1.0,1.1,1.2,1.3,1.4";
    soap::Inform inf;
    const std::string di = root_ + ".DeviceInfo.";
    auto value = [&](const std::string& p) {
      try {
        return model_.rawValue(p);
      } catch (const sdk::Fault&) {
        return std::string();
      }
    };
    inf.deviceId = {value(di + "Manufacturer"), value(di + "ManufacturerOUI"), value(di + "ProductClass"),
                    value(di + "SerialNumber")};
    for (const auto& e : plan.events) inf.events.push_back({e.code, e.commandKey});
    inf.maxEnvelopes = 1;
    inf.currentTime = isoTime(clock_->now());
    inf.retryCount = retryCount_;
    std::vector<std::string> names = model_.forcedInformParameters();
    // TR-069 Table 7 (forced inform parameters): these are in every Inform even where a
    // plugin's data model document forgot forcedInform="true".
    const std::vector<std::string> required = requiredInformParameters();
    auto add = [&](const std::vector<std::string>& more) {
      for (const auto& n : more)
        if (std::find(names.begin(), names.end(), n) == names.end() && model_.exists(n)) names.push_back(n);
    };
    add(required);
    add(extraInformParameters_);
    // One by one: a getter that fails costs its own parameter only, never the list.
    for (const auto& n : names) {
      try {
        for (auto& v : model_.getValues({n})) inf.parameterList.push_back({v.name, v.value, sdk::xsdTypeName(v.type)});
      } catch (const sdk::Fault& f) {
        const bool mustHave = std::find(required.begin(), required.end(), n) != required.end();
        CWMPD_LOG(Warning, "plugin " + model_.pluginOf(n),
                  "forced-inform parameter " << n << " could not be read (" << f.what() << ")"
                                             << (mustHave ? "; sent empty" : "; left out of the Inform"));
        // The Table 7 parameters are all strings; an ACS expects them in every Inform.
        if (mustHave) inf.parameterList.push_back({n, std::string(), sdk::xsdTypeName(sdk::ParamType::String)});
      }
    }
    for (const auto& v : plan.notifiedSilently ? std::vector<ParameterValue>{} : plan.notified) {
      bool dup = false;
      for (const auto& p : inf.parameterList) dup = dup || p.name == v.name;
      if (!dup) inf.parameterList.push_back({v.name, v.value, sdk::xsdTypeName(v.type)});
    }
    env.body = std::move(inf);
    return soap::encode(env);
  }

  // TR-069 Table 7, "Forced Inform parameters", for the configured root.
  std::vector<std::string> requiredInformParameters() const {
    const std::string di = root_ + ".DeviceInfo.";
    std::vector<std::string> out = {di + "HardwareVersion", di + "SoftwareVersion", di + "ProvisioningCode",
                                    ms_ + "ParameterKey", ms_ + "ConnectionRequestURL"};
    if (root_ == "InternetGatewayDevice") {
      out.push_back(root_ + ".DeviceSummary");
      out.push_back(di + "SpecVersion");
    }
    return out;
  }

  // SOAP 1.1 section 6.2: a SOAP Fault comes with HTTP 500 (GenieACS's 8000 and 8005
  // do), so a 500 with a body is read like a 200; anything else is a failed session.
  static bool soapAnswer(const net::HttpResult& res) {
    return res.status == 200 || (res.status == 500 && !res.body.empty());
  }

  // RFC 9110 15.6.4: a 503 (or 429, RFC 6585) may say when to come back; the retry waits
  // at least that long.
  void noteRetryAfter(const net::HttpResult& res, SessionPlan& plan) const {
    if (res.status != 503 && res.status != 429) return;
    auto h = res.headers.find("retry-after");
    if (h == res.headers.end()) return;
    if (auto wait = retryAfterSeconds(h->second, clock_->seconds()))
      plan.retryAfter = *wait;
  }

  // Runs on the worker thread. Every touch of the model goes through onMain().
  template <typename F>
  auto onMain(F&& f) -> decltype(f()) {
    using R = decltype(f());
    auto task = std::make_shared<std::packaged_task<R()>>(std::forward<F>(f));
    auto fut = task->get_future();
    asio::post(io_, [task] { (*task)(); });
    return fut.get();
  }

  Outcome runSession(SessionPlan& plan) {
    const std::string sid = "session " + std::to_string(plan.id);
    transport_->beginSession(plan.endpoint);
    net::HttpResult res = transport_->post(plan.informXml, "\"\"");
    if (res.transportError || res.authFailure || !soapAnswer(res) || res.body.empty()) {
      noteRetryAfter(res, plan);
      CWMPD_LOG(Warning, sid, "Inform failed: " << (res.error.empty() ? "HTTP " + std::to_string(res.status) : res.error)
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
      CWMPD_LOG(Warning, sid, "InformResponse with header entries we must but do not understand ("
                                  << env.header.unknownMustUnderstand.front().substr(0, 64) << "); closing the session");
      return Outcome::Failed;
    }
    // The events are delivered once the InformResponse arrived (TR-069 3.7.1.5).
    onMain([&] {
      connectedFrom(res.localAddress);
      informAccepted(plan.events, plan.endpoint.url);
      if (tracker_) tracker_->delivered(plan.notified);
      return 0;
    });
    const soap::CwmpNamespace ns = env.ns;
    bool hold = env.header.holdRequests.value_or(false);
    std::string next;       // the next POST's body ("" = empty POST)
    std::string action;     // its SOAPAction
    bool sentRequest = false;
    std::size_t cpeIndex = 0;
    for (std::size_t exchange = 0; exchange < kMaxExchanges; ++exchange) {
      if (stopping_) return Outcome::Failed;
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
      // Release the buffer, not just the text: a whole-tree answer is megabytes and must not
      // stay allocated while the next one is built.
      std::string().swap(next);
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
      auto msg = res.emptyAnswer() ? soap::DecodeResult(soap::Envelope{}) : soap::decode(res.body, limits);
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
      if (res.status == 500 && (!msg.ok() || !std::holds_alternative<soap::Fault>(msg.envelope().body))) {
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
        reply.ns = err.ns;
        if (err.id) reply.header.id = err.id;
        reply.body = soap::toSoapFault(err);
        next = soap::encode(reply);
        CWMPD_LOG(Info, sid, "answering an undecodable request with fault " << err.faultCode());
        continue;
      }
      auto& m = msg.envelope();
      const std::string method = soap::methodName(m.body);
      const bool response = std::holds_alternative<soap::Fault>(m.body) ||
                            (method.size() > 8 && method.compare(method.size() - 8, 8, "Response") == 0 && method[0] != 'X');
      if (!m.header.unknownMustUnderstand.empty()) {
        // SOAP 1.1 section 4.2.3: a header entry with mustUnderstand="1" we do not know
        // means the message must not be processed. A request gets the MustUnderstand
        // fault as our answer; an answer to our own request cannot be answered, so the
        // session ends.
        std::string names;
        for (const auto& h : m.header.unknownMustUnderstand) names += (names.empty() ? "" : ", ") + h.substr(0, 64);
        if (response) {
          CWMPD_LOG(Warning, sid, "ACS answer with header entries we must but do not understand (" << names
                                                                                                  << "); closing the session");
          return Outcome::Failed;
        }
        CWMPD_LOG(Info, sid, method << " not processed: header entries we must but do not understand (" << names << ")");
        soap::Envelope reply;
        reply.ns = m.ns;
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
      soap::Body answer = onMain([&] { return dispatcher_.handle(m.body); });
      soap::Envelope reply;
      reply.ns = m.ns;
      reply.header.id = m.header.id;
      reply.body = std::move(answer);
      if (auto* f = std::get_if<soap::Fault>(&reply.body))
        CWMPD_LOG(Info, sid, method << " answered with fault " << f->code << " " << f->message);
      next = soap::encode(std::move(reply));
    }
    CWMPD_LOG(Error, sid, "session exceeded " << kMaxExchanges << " exchanges; closing it");
    return Outcome::Failed;
  }

  void informAccepted(const std::vector<QueuedEvent>& sent, const std::string& url) {
    state(SessionState::InSession);
    lastInformTime_ = isoTime(clock_->now());
    for (const auto& e : sent)
      if (e.code == "0 BOOTSTRAP") state_.set("bootstrap-url", url);
    events_.delivered(sent);
    if (crDuringSession_) events_.add("6 CONNECTION REQUEST");
  }

  void cpeRequestRefused(const std::string& method, int code) {
    // GenieACS answers 8000 to everything but Inform, GetRPCMethods and TransferComplete:
    // stop offering such a method instead of retrying it forever.
    if (code == 8000) unsupportedCpeMethods_.insert(method);
    for (const auto& r : cpeRequests_)
      if (soap::methodName(r) == method) {
        soap::Body copy = r;
        dropCpeRequest(method);
        if (cpeAck_) cpeAck_(copy, code);
        return;
      }
  }
  void cpeRequestAcknowledged(const soap::Body& req) {
    const std::string method = soap::methodName(req);
    dropCpeRequest(method);
    if (cpeAck_) cpeAck_(req, 0);
  }
  void dropCpeRequest(const std::string& method) {
    for (auto it = cpeRequests_.begin(); it != cpeRequests_.end(); ++it) {
      if (soap::methodName(*it) == method) {
        cpeRequests_.erase(it);
        return;
      }
    }
  }

  void finishSession(Outcome outcome, std::uint64_t id, double retryAfter = 0) {
    joinWorker();
    running_ = false;
    model_.endSession();
    const bool ok = outcome == Outcome::Success;
    if (!ok && stopping_) {
      // Interrupted by the daemon's stop, not failed: no retry and no RetryCount; the
      // undelivered events stay queued for the next start.
      CWMPD_LOG(Info, kLog, "session " << id << " interrupted by the stop");
      for (auto& l : listeners_) l(false);
      return;
    }
    if (ok) {
      retryCount_ = 0;
      waitingRetry_ = false;
      state(SessionState::Idle);
      CWMPD_LOG(Info, kLog, "session " << id << " ended");
      ++completed_;
    } else {
      events_.sessionFailed();
      ++retryCount_;
      std::uint32_t minWait = 5, mult = 2000;
      try {
        minWait = static_cast<std::uint32_t>(std::stoul(model_.rawValue(ms_ + "CWMPRetryMinimumWaitInterval")));
        mult = static_cast<std::uint32_t>(std::stoul(model_.rawValue(ms_ + "CWMPRetryIntervalMultiplier")));
      } catch (...) {
      }
      std::uniform_real_distribution<double> u(0.0, 1.0);
      double wait = outcome == Outcome::RetryRequested && retryCount_ == 1 ? 0.0
                                                                           : retryWaitSeconds(retryCount_, minWait, mult, u(rng_));
      wait = std::max(wait, retryAfter);
      CWMPD_LOG(Warning, kLog, "session " << id << " failed; retry " << retryCount_ << " in " << wait << " s");
      waitingRetry_ = true;
      state(SessionState::WaitingRetry);
      retryTimer_->start(std::chrono::milliseconds(static_cast<long long>(wait * 1000)), [w = weak_from_this()] {
        auto self = w.lock();
        // A connection request may have ended the wait after this handler was queued.
        if (self && self->waitingRetry_) {
          self->waitingRetry_ = false;
          self->forceSession_ = true;
          self->startSession();
        }
      });
    }
    // Notification attributes the ACS switched on in this session get their baseline.
    if (ok && tracker_) tracker_->refreshBaseline();
    state_.tryCommit();  // on failure the store logs once and the next commit retries
    for (auto& l : listeners_) l(false);
    if (ok && factoryResetAfterSession_) {
      factoryResetAfterSession_ = false;
      CWMPD_LOG(Notice, kLog, "factory reset requested by the ACS");
      discardOldAcs();  // the store goes below; the owners of what it held forget it too
      model_.wipeStore();
      state_.wipe();
      if (hooks_.factoryReset) hooks_.factoryReset();
      return;
    }
    if (ok && rebootAfterSession_) {
      rebootAfterSession_ = false;
      CWMPD_LOG(Notice, kLog, "reboot requested by the ACS");
      // TR-069 A.3.2.9: the Inform after the reboot carries "M Reboot" with the CommandKey
      // (and "1 BOOT"): persisted now, right before the reboot, without a session.
      events_.add("M Reboot", rebootKey_);
      try {
        if (hooks_.reboot) hooks_.reboot();
      } catch (const std::exception& e) {
        // No reboot took place: nothing to announce.
        CWMPD_LOG(Error, kLog, "reboot failed: " << e.what());
        events_.remove("M Reboot");
      }
      return;
    }
    if (ok && (again_ || forceSession_)) kick();
  }

  void joinWorker() {
    if (worker_.joinable() && worker_.get_id() != std::this_thread::get_id()) worker_.join();
  }

  void state(SessionState s) {
    std::lock_guard<std::mutex> lock(stateMutex_);
    sessionState_ = s;
  }
  SessionState state() const {
    std::lock_guard<std::mutex> lock(stateMutex_);
    return sessionState_;
  }

  // ---------------- bootstrap, periodic, scheduled ----------------

  void checkBootstrap() {
    std::string url;
    try {
      url = model_.rawValue(ms_ + "URL");
    } catch (const sdk::Fault&) {
      return;
    }
    const std::string* done = state_.get("bootstrap-url");
    // TR-069 3.7.1.5: BOOTSTRAP on first contact and whenever the ACS URL changed.
    if (!done || *done != url) bootstrap();
  }

  // TR-069 3.7.1.5: "0 BOOTSTRAP" (a new ACS URL, first contact, a factory reset) discards
  // the undelivered events but "1 BOOT" (EventQueue::add). What the old ACS asked for goes
  // too: a new ACS knows neither its pending ScheduleInforms nor its transfers, and must
  // not hear their CommandKeys ("M ScheduleInform", "M Download", TransferComplete).
  void bootstrap() {
    events_.add("0 BOOTSTRAP");
    discardOldAcs();
  }

  void discardOldAcs() {
    if (!scheduleTimers_.empty()) CWMPD_LOG(Notice, kLog, "BOOTSTRAP: pending ScheduleInforms cancelled");
    for (auto& t : scheduleTimers_) t->cancel();
    scheduleTimers_.clear();
    state_.erasePrefix("s:");
    state_.tryCommit();  // on failure the store logs once and the next commit retries
    std::erase_if(cpeRequests_, [](const soap::Body& b) { return std::holds_alternative<soap::TransferComplete>(b); });
    for (auto& l : bootstrapListeners_) l();
  }

  void schedulePeriodic() {
    periodicTimer_->cancel();
    bool enabled = false;
    std::uint32_t interval = 0;
    std::string timeRef;
    try {
      enabled = model_.rawValue(ms_ + "PeriodicInformEnable") == "true";
      interval = static_cast<std::uint32_t>(std::stoul(model_.rawValue(ms_ + "PeriodicInformInterval")));
      if (model_.exists(ms_ + "PeriodicInformTime")) timeRef = model_.rawValue(ms_ + "PeriodicInformTime");
    } catch (...) {
      return;
    }
    if (!enabled || interval == 0) return;
    // TR-069 3.2.1 / A.3.2.1: with PeriodicInformTime set, informs fall at
    // PeriodicInformTime + n·Interval; otherwise every Interval from now.
    double delay = interval;
    std::int64_t ref;
    if (parseIsoTime(timeRef, ref)) {
      std::int64_t now = clock_->seconds();
      std::int64_t since = (now - ref) % static_cast<std::int64_t>(interval);
      if (since < 0) since += interval;
      delay = static_cast<double>(interval - since);
    }
    periodicTimer_->start(std::chrono::milliseconds(std::max<long long>(1, static_cast<long long>(delay * 1000))),
                          [w = weak_from_this()] {
      if (auto self = w.lock()) {
        self->events_.add("2 PERIODIC");
        self->kick();
        self->schedulePeriodic();
      }
    });
  }

  void addScheduled(std::uint32_t delaySeconds, const std::string& key, bool persist) {
    const std::int64_t due = clock_->seconds() + static_cast<std::int64_t>(delaySeconds);
    std::string storeKey = "s:" + std::to_string(++scheduleCounter_) + ":" + std::to_string(due);
    if (persist) {
      state_.set(storeKey, std::to_string(due) + "\t" + key);
      state_.tryCommit();
    }
    armScheduled(storeKey, due, key);
  }

  void armScheduled(const std::string& storeKey, std::int64_t due, const std::string& key) {
    std::shared_ptr<Timer> timer = clock_->timer();
    const std::int64_t now = clock_->seconds();
    scheduleTimers_.push_back(timer);
    // The work holds the timer weakly: the timer owns the work.
    timer->start(std::chrono::seconds(std::max<std::int64_t>(0, due - now)),
                 [w = weak_from_this(), storeKey, key, weak = std::weak_ptr<Timer>(timer)] {
      auto self = w.lock();
      auto timer = weak.lock();
      if (!self || !timer) return;
      auto& ts = self->scheduleTimers_;
      // Expired before a BOOTSTRAP cancelled it, but not run yet: cancelled all the same.
      if (std::find(ts.begin(), ts.end(), timer) == ts.end()) return;
      self->events_.add("3 SCHEDULED");
      self->events_.add("M ScheduleInform", key);
      self->state_.erase(storeKey);
      self->state_.tryCommit();
      ts.erase(std::remove(ts.begin(), ts.end(), timer), ts.end());
      self->kick();
    });
  }

  void loadScheduled() {
    std::vector<std::pair<std::string, std::string>> entries;
    state_.forEach("s:", [&](const std::string& k, const std::string& v) { entries.emplace_back(k, v); });
    for (const auto& [k, v] : entries) {
      auto tab = v.find('\t');
      std::int64_t due = std::atoll(v.substr(0, tab).c_str());
      armScheduled(k, due, tab == std::string::npos ? std::string() : v.substr(tab + 1));
      scheduleCounter_ = std::max<std::uint64_t>(scheduleCounter_, std::strtoull(k.c_str() + 2, nullptr, 10));
    }
  }

  // ---------------- connection requests ----------------

  void startConnectionRequestServer() {
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
    updateCrCredentials();
    publishConnectionRequestUrl(lastRouteAddress());
  }

  // ---------------- ConnectionRequestURL ----------------
  // It names, in this order: [cpe] connection_request_host; the address the server is
  // bound to ([cpe] connection_request_address); the address of [cpe]
  // connection_request_interface; else the agent's own address on the route towards the
  // ACS: probed before each Inform (a UDP socket connect()ed to the ACS, which sends
  // nothing) and confirmed by the local address of the Inform's connection. Never
  // "some interface that is up": the ACS must be able to reach it.

  bool advertisesRouteAddress() const {
    const auto& bound = options_.connectionRequestAddress;
    return options_.connectionRequestHost.empty() && options_.connectionRequestInterface.empty() &&
           (bound.empty() || bound == "0.0.0.0" || bound == "::");
  }

  // The route's local address towards the ACS as known without a name lookup (at start).
  std::string lastRouteAddress() {
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
  bool refreshConnectionRequestUrl(const std::string& acsUrl) {
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
  std::string routeAddress(const std::string& acsAddress) {
    const std::string probe = acsAddress.empty() ? std::string() : net::sourceAddressTowards(acsAddress);
    const std::string* lastProbe = state_.get("cr-probe");
    if (!probe.empty() && (!lastProbe || *lastProbe != probe)) {
      state_.set("cr-probe", probe);
      rememberRouteAddress(probe);  // until a connection tells otherwise
      return probe;
    }
    const std::string* confirmed = state_.get("cr-local");
    return confirmed ? *confirmed : probe;
  }

  // TR-181: the WAN address ACSs expect in every Inform (TR-069 3.7.1.1) is the first
  // IPv4 address of the upstream IP interface: the Device.IP.Interface row whose
  // LowerLayers lead down to an interface marked Upstream (Ethernet, Optical, DSL...),
  // whatever its instance number.
  std::vector<std::string> upstreamAddressParameters() {
    try {
      for (const auto& i : model_.getNames(root_ + ".IP.Interface.", true)) {
        if (i.name.back() != '.' || !leadsUpstream(i.name.substr(0, i.name.size() - 1), 0)) continue;
        for (const auto& a : model_.getNames(i.name + "IPv4Address.", true))
          if (a.name.back() == '.' && model_.exists(a.name + "IPAddress")) return {a.name + "IPAddress"};
        return {};
      }
    } catch (const sdk::Fault& f) {
      CWMPD_LOG(Debug, kLog, "no upstream IP interface: " << f.what());
    }
    return {};
  }

  // `object` (no trailing dot) is marked Upstream or stacked on one that is.
  bool leadsUpstream(const std::string& object, int depth) {
    if (depth > 8 || !model_.exists(object + ".")) return false;  // a loop, or a dangling reference
    auto value = [this](const std::string& p) {
      return model_.exists(p) ? model_.getValues({p}).at(0).value : std::string();
    };
    if (value(object + ".Upstream") == "true") return true;
    std::string lower = value(object + ".LowerLayers");
    std::size_t from = 0;
    while (from < lower.size()) {
      std::size_t comma = lower.find(',', from);
      if (comma == std::string::npos) comma = lower.size();
      std::string ref = lower.substr(from, comma - from);
      from = comma + 1;
      ref.erase(0, ref.find_first_not_of(' '));
      while (!ref.empty() && (ref.back() == ' ' || ref.back() == '.')) ref.pop_back();
      if (!ref.empty() && leadsUpstream(ref, depth + 1)) return true;
    }
    return false;
  }

  void resolveAcsHost(const std::string& host) {
    if (resolving_) return;
    resolving_ = true;
    resolver_.async_resolve(
        host, "", [w = weak_from_this(), host](const boost::system::error_code& ec, asio::ip::udp::resolver::results_type r) {
          auto self = w.lock();
          if (!self) return;
          self->resolving_ = false;
          if (ec == asio::error::operation_aborted || self->stopping_) return;
          self->resolvedHost_ = host;
          self->resolvedAddress_.clear();
          if (!ec && !r.empty()) {
            self->resolvedAddress_ = r.begin()->endpoint().address().to_string();
            if (auto pct = self->resolvedAddress_.find('%'); pct != std::string::npos) self->resolvedAddress_.resize(pct);
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
  void connectedFrom(const std::string& local) {
    if (local.empty() || !cr_) return;
    rememberRouteAddress(local);
    publishConnectionRequestUrl(local);
  }

  void rememberRouteAddress(const std::string& local) {
    const std::string* last = state_.get("cr-local");
    if (!last || *last != local) state_.set("cr-local", local);  // committed with the session's end
  }

  // A changed URL is a value change of a forced-active parameter (TR-069 3.2.1): the
  // notification tracker reports it with "4 VALUE CHANGE".
  void publishConnectionRequestUrl(const std::string& routeAddress) {
    if (!cr_) return;
    std::string host = options_.connectionRequestHost;
    const auto& bound = options_.connectionRequestAddress;
    if (host.empty() && !bound.empty() && bound != "0.0.0.0" && bound != "::") host = bound;
    if (host.empty() && !options_.connectionRequestInterface.empty()) {
      const int family = routeAddress.find(':') != std::string::npos ? AF_INET6 : AF_INET;
      host = net::interfaceAddress(options_.connectionRequestInterface, family);
      if (host.empty())
        CWMPD_LOG(Warning, kLog, "interface " << options_.connectionRequestInterface << " has no address to advertise");
    }
    if (host.empty()) host = routeAddress;
    if (host.empty()) {
      if (!crUrl_.empty()) return;  // nothing new learned: the published URL stays
      // No route towards the ACS known yet (first start, ACS named by a host name): the
      // default route's source address until the first session tells.
      host = net::sourceAddressTowards("198.51.100.1");
      if (host.empty()) host = "127.0.0.1";
    }
    const std::string url =
        "http://" + net::urlHostPart(host) + ":" + std::to_string(cr_->port()) + options_.connectionRequestPath;
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
  void connectionRequested() {
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

  void updateCrCredentials() {
    if (!cr_) return;
    try {
      cr_->setCredentials(model_.rawValue(ms_ + "ConnectionRequestUsername"),
                          model_.rawValue(ms_ + "ConnectionRequestPassword"));
    } catch (const sdk::Fault&) {
    }
  }

  bool cwmpEnabled() {
    try {
      return !model_.exists(ms_ + "EnableCWMP") || model_.rawValue(ms_ + "EnableCWMP") != "false";
    } catch (const sdk::Fault&) {
      return true;
    }
  }

  void onModelChange(const std::vector<CommittedChange>& changes, sdk::Source) {
    bool periodic = false, creds = false;
    for (const auto& c : changes) {
      if (c.name.compare(0, ms_.size(), ms_) != 0) continue;
      const std::string p = c.name.substr(ms_.size());
      if (p == "EnableCWMP") {
        // TR-181 ManagementServer.EnableCWMP: when false the CPE sends no Inform and
        // accepts no Connection Request, so the server goes away with it.
        if (c.value == "false" && cr_) {
          CWMPD_LOG(Notice, kLog, "EnableCWMP is false: connection requests off");
          cr_->stop();
          cr_.reset();
        } else if (c.value != "false" && !cr_ && !stopping_) {
          startConnectionRequestServer();
          kick();
        }
      } else if (p == "URL") {
        CWMPD_LOG(Notice, kLog, "ACS URL changed to " << c.value);
        bootstrap();
        again_ = true;
        forceSession_ = true;
        if (!running_) kick();
      } else if (p.rfind("PeriodicInform", 0) == 0) {
        periodic = true;
      } else if (p == "ConnectionRequestUsername" || p == "ConnectionRequestPassword") {
        creds = true;
      }
    }
    if (periodic) schedulePeriodic();
    if (creds) updateCrCredentials();
  }

  // ---------------- state ----------------

  asio::io_context& io_;
  SessionModel& model_;
  Store& state_;
  std::unique_ptr<net::AcsTransport> transport_;
  SessionOptions options_;
  SessionHooks hooks_;
  EventQueue events_;
  RpcDispatcher dispatcher_;
  std::shared_ptr<Clock> clock_;
  std::unique_ptr<Timer> periodicTimer_;
  std::unique_ptr<Timer> retryTimer_;
  std::vector<std::shared_ptr<Timer>> scheduleTimers_;
  std::unique_ptr<net::ConnectionRequestServer> cr_;
  std::string crUrl_;                       // the ConnectionRequestURL published
  asio::ip::udp::resolver resolver_{io_};   // the ACS host name, for the route probe
  std::string resolvedHost_, resolvedAddress_;
  bool resolving_ = false;
  bool resumeForced_ = false;  // the session waiting for the lookup was forced
  std::mt19937 rng_;
  std::thread worker_;
  std::atomic<bool> workerDone_{true};
  std::atomic<bool> stopping_{false};
  bool running_ = false;
  bool again_ = false;
  bool forceSession_ = false;
  bool waitingRetry_ = false;
  bool rebootAfterSession_ = false;  // kept across a failed session: the next one ends with it
  std::string rebootKey_;
  bool crDuringSession_ = false;  // a Connection Request arrived after the Inform was built
  bool factoryResetAfterSession_ = false;
  std::uint32_t retryCount_ = 0;
  std::uint64_t sessionCounter_ = 0;
  std::uint64_t scheduleCounter_ = 0;
  std::uint32_t completed_ = 0;
  std::string root_, ms_;
  std::string lastInformTime_;
  mutable std::mutex stateMutex_;
  SessionState sessionState_ = SessionState::Idle;
  std::vector<std::function<void(bool)>> listeners_;
  std::vector<std::function<void()>> bootstrapListeners_;
  std::vector<std::string> pluginNames_;
  std::vector<std::string> extraInformParameters_;
  std::set<std::string> unsupportedCpeMethods_;
  std::vector<soap::Body> cpeRequests_;
  std::function<void(const soap::Body&, int)> cpeAck_;
  NotificationTracker* tracker_ = nullptr;

  friend class SessionEngine;
};

SessionEngine::SessionEngine(asio::io_context& io, SessionModel& model, Store& state,
                             std::unique_ptr<net::AcsTransport> transport, SessionOptions options, SessionHooks hooks)
    : impl_(std::make_shared<Impl>(io, model, state, std::move(transport), std::move(options), std::move(hooks))) {}

SessionEngine::~SessionEngine() {
  impl_->stopping_ = true;
  impl_->joinWorker();
}

void SessionEngine::start() { impl_->start(); }
bool SessionEngine::stop(std::chrono::milliseconds grace) { return impl_->stop(grace); }
void SessionEngine::raiseEvent(const std::string& code, const std::string& key) { impl_->raiseEvent(code, key); }
RpcDispatcher& SessionEngine::dispatcher() { return impl_->dispatcher_; }
EventQueue& SessionEngine::events() { return impl_->events_; }
std::uint16_t SessionEngine::connectionRequestPort() const { return impl_->cr_ ? impl_->cr_->port() : 0; }
std::uint32_t SessionEngine::sessionsCompleted() const { return impl_->completed_; }
void SessionEngine::inform(const std::vector<std::string>& events) { impl_->inform(events); }
void SessionEngine::scheduleInform(std::uint32_t delay, const std::string& key) {
  if (delay == 0) throw sdk::Fault(sdk::FaultCode::InvalidArguments, "delay must be greater than 0");
  impl_->addScheduled(delay, key, true);
}
std::string SessionEngine::acsUrl() const {
  try {
    return impl_->model_.rawValue(impl_->ms_ + "URL");
  } catch (const sdk::Fault&) {
    return {};
  }
}
SessionState SessionEngine::sessionState() const { return impl_->state(); }
std::string SessionEngine::lastInformTime() const { return impl_->lastInformTime_; }
std::vector<std::string> SessionEngine::pendingEvents() const {
  std::vector<std::string> out;
  for (const auto& e : impl_->events_.pending()) out.push_back(e.code);
  return out;
}
std::vector<std::string> SessionEngine::plugins() const { return impl_->pluginNames_; }
void SessionEngine::addSessionListener(std::function<void(bool)> l) { impl_->listeners_.push_back(std::move(l)); }
void SessionEngine::addBootstrapListener(std::function<void()> l) {
  impl_->bootstrapListeners_.push_back(std::move(l));
}
void SessionEngine::queueCpeRequest(const soap::Body& request) {
  const std::string method = soap::methodName(request);
  if (!cpeMethodSupported(method)) return;
  // TR-069 Table 7: these requests travel with their event, and an Inform needs one
  // (A.3.3.1). The transfer manager queues them itself; this covers any other caller.
  static const std::pair<const char*, const char*> kEventOf[] = {
      {"TransferComplete", "7 TRANSFER COMPLETE"},
      {"AutonomousTransferComplete", "10 AUTONOMOUS TRANSFER COMPLETE"},
      {"RequestDownload", "9 REQUEST DOWNLOAD"},
      {"DUStateChangeComplete", "11 DU STATE CHANGE COMPLETE"},
      {"AutonomousDUStateChangeComplete", "12 AUTONOMOUS DU STATE CHANGE COMPLETE"},
      {"Kicked", "5 KICKED"}};
  for (const auto& [m, code] : kEventOf)
    if (method == m && !impl_->events_.contains(code)) impl_->events_.add(code);
  impl_->cpeRequests_.push_back(request);
  impl_->forceSession_ = true;
  impl_->kick();
}
void SessionEngine::setCpeRequestListener(std::function<void(const soap::Body&, int)> listener) {
  impl_->cpeAck_ = std::move(listener);
}
bool SessionEngine::cpeMethodSupported(const std::string& method) const {
  return !impl_->unsupportedCpeMethods_.count(method);
}
void SessionEngine::setNotificationTracker(NotificationTracker* t) { impl_->tracker_ = t; }
void SessionEngine::setPluginNames(std::vector<std::string> names) { impl_->pluginNames_ = std::move(names); }

}  // namespace cwmpd::core
