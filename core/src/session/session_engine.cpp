// SessionEngine: life cycle, triggers, model changes, the public API.
#include "session_impl.hpp"

namespace cwmpd::core {

const char* sessionStateName(SessionState s) noexcept {
  switch (s) {
    case SessionState::Idle: return "Idle";
    case SessionState::Connecting: return "Connecting";
    case SessionState::InSession: return "InSession";
    case SessionState::WaitingRetry: return "WaitingRetry";
  }
  return "Idle";
}

double retryWaitSeconds(std::uint32_t retryCount, std::uint32_t minimumWait,
                        std::uint32_t multiplier, double unit) {
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
  for (const char* format :
       {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"}) {
    std::tm tm{};
    const char* end = strptime(text.c_str(), format, &tm);
    if (!end || *end) continue;
    const std::int64_t at = timegm(&tm);
    return std::clamp(static_cast<double>(at - now), 0.0, kMaxWait);
  }
  return std::nullopt;
}

namespace session_detail {

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
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
    return false;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::int64_t t = timegm(&tm);
  // Offsets ("+01:00") shift to UTC.
  auto zone = s.find_first_of("+-", 19);
  if (zone != std::string::npos && s.size() >= zone + 6) {
    int hh = std::atoi(s.substr(zone + 1, 2).c_str()),
        mm = std::atoi(s.substr(zone + 4, 2).c_str());
    std::int64_t off = (std::int64_t{hh} * 60 + mm) * 60;
    t += s[zone] == '+' ? -off : off;
  }
  out = t;
  return true;
}

}  // namespace session_detail

using namespace session_detail;

void SessionEngine::Impl::start() {
  root_ = model_.root();
  ms_ = root_ + ".ManagementServer.";
  events_.booted();
  events_.add("1 BOOT");
  loadCpeRequests();
  if (const std::string* acs = state_.get("cwmp-newer-acs")) newerAcceptedBy_ = *acs;
  checkBootstrap();
  // TR-069 3.2.1.1: RetryCount and the back-off follow the post-reboot session retry
  // count, so a start (every start is a boot: "1 BOOT") begins from 0. Stores of earlier
  // versions kept the count: forget it.
  retryCount_ = 0;
  if (state_.get("retry")) state_.erase("retry");
  model_.addChangeListener(
      [w = weak_from_this()](const std::vector<CommittedChange>& cs, sdk::Source src) {
        if (auto self = w.lock()) self->onModelChange(cs, src);
      });
  if (cwmpEnabled()) startConnectionRequestServer();
  refreshXmpp();
  loadScheduled();
  schedulePeriodic();
  scheduleHeartbeat();
  kick();
}

bool SessionEngine::Impl::stop(std::chrono::milliseconds grace) {
  stopping_ = true;
  periodicTimer_->cancel();
  heartbeatTimer_->cancel();
  retryTimer_->cancel();
  for (auto& t : scheduleTimers_) t->cancel();
  if (cr_) cr_->stop();
  if (udpCr_) udpCr_->stop();
  stopXmpp();
  resolver_.cancel();
  // The worker may be waiting for the main loop: keep serving it until it is done.
  // Waiting for the transport's own timeout (up to the RPC timeout, 30 s) would make
  // SIGTERM hang behind a slow ACS, so the wait is bounded by `grace`.
  if (worker_.joinable()) {
    auto deadline = std::chrono::steady_clock::now() + grace;
    io_.restart();
    while (!workerDone_ && std::chrono::steady_clock::now() < deadline)
      io_.run_for(std::chrono::milliseconds(20));
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

// An event code from outside the engine (plugins, D-Bus) must be a CWMP code or a
// vendor code some plugin or the configuration ([cpe] vendor_events) declared.
void SessionEngine::Impl::checkEventCode(const std::string& code) const {
  if (!isValidEventCode(code))
    throw sdk::Fault(sdk::FaultCode::InvalidArguments, "invalid event code '" + code + "'");
  if (code.rfind("X ", 0) == 0 && !model_.vendorEvents().count(code) &&
      !options_.vendorEvents.count(code))
    throw sdk::Fault(
        sdk::FaultCode::InvalidArguments,
        "vendor event '" + code + "' is declared neither by a plugin nor in [cpe] vendor_events");
}

void SessionEngine::Impl::raiseEvent(const std::string& code, const std::string& key) {
  checkEventCode(code);
  events_.add(code, key);
  kick();
}

void SessionEngine::Impl::inform(const std::vector<std::string>& codes) {
  // TR-069 A.3.3.1: an Inform's Event list is never empty, so a local request for a
  // session has to say why there is one.
  if (codes.empty())
    throw sdk::Fault(
        sdk::FaultCode::InvalidArguments,
        "an Inform needs at least one event code (e.g. a vendor event a plugin declares)");
  for (const auto& c : codes) checkEventCode(c);  // all or nothing
  for (const auto& c : codes) events_.add(c);
  forceSession_ = true;
  kick();
}

// Starts a session as soon as none runs. Triggers during a session are merged into
// the next one.
void SessionEngine::Impl::kick() {
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

void SessionEngine::Impl::joinWorker() {
  if (worker_.joinable() && worker_.get_id() != std::this_thread::get_id()) worker_.join();
}

void SessionEngine::Impl::state(SessionState s) {
  std::lock_guard<std::mutex> lock(stateMutex_);
  sessionState_ = s;
}

SessionState SessionEngine::Impl::state() const {
  std::lock_guard<std::mutex> lock(stateMutex_);
  return sessionState_;
}

bool SessionEngine::Impl::cwmpEnabled() {
  try {
    return !model_.exists(ms_ + "EnableCWMP") || model_.rawValue(ms_ + "EnableCWMP") != "false";
  } catch (const sdk::Fault&) {
    return true;
  }
}

void SessionEngine::Impl::onModelChange(const std::vector<CommittedChange>& changes, sdk::Source) {
  bool periodic = false, creds = false, stun = false, heartbeat = false;
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
        udpCr_.reset();
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
      stun = true;  // the ACS host is the STUN server when none is named
    } else if (p.rfind("STUN", 0) == 0) {
      stun = true;
    } else if (p.rfind("PeriodicInform", 0) == 0) {
      periodic = true;
    } else if (p.rfind("HeartbeatPolicy.", 0) == 0) {
      heartbeat = true;
    } else if (p == "ConnectionRequestUsername" || p == "ConnectionRequestPassword") {
      creds = true;
    }
  }
  if (periodic) schedulePeriodic();
  if (heartbeat) scheduleHeartbeat();
  if (creds) updateCrCredentials();
  if (stun) configureStun();
  xmppModelChange(changes);
}

SessionEngine::SessionEngine(asio::io_context& io, SessionModel& model, Store& state,
                             std::unique_ptr<net::AcsTransport> transport, SessionOptions options,
                             SessionHooks hooks)
    : impl_(std::make_shared<Impl>(io, model, state, std::move(transport), std::move(options),
                                   std::move(hooks))) {}

SessionEngine::~SessionEngine() {
  impl_->stopping_ = true;
  impl_->joinWorker();
}

void SessionEngine::start() { impl_->start(); }
bool SessionEngine::stop(std::chrono::milliseconds grace) { return impl_->stop(grace); }
void SessionEngine::raiseEvent(const std::string& code, const std::string& key) {
  impl_->raiseEvent(code, key);
}
RpcDispatcher& SessionEngine::dispatcher() { return impl_->dispatcher_; }
EventQueue& SessionEngine::events() { return impl_->events_; }
std::uint16_t SessionEngine::connectionRequestPort() const {
  return impl_->cr_ ? impl_->cr_->port() : 0;
}
std::uint32_t SessionEngine::sessionsCompleted() const { return impl_->completed_; }
void SessionEngine::inform(const std::vector<std::string>& events) { impl_->inform(events); }
void SessionEngine::scheduleInform(std::uint32_t delay, const std::string& key) {
  if (delay == 0)
    throw sdk::Fault(sdk::FaultCode::InvalidArguments, "delay must be greater than 0");
  impl_->addScheduled(delay, key, true);
}
namespace {
// The string lengths cwmp-1-0.xsd allows in the CPE's requests (A.4.2.2, A.4.2.3).
void checkLength(const std::string& value, std::size_t max, const char* what) {
  if (value.size() > max)
    throw sdk::Fault(sdk::FaultCode::InvalidArguments,
                     std::string(what) + " longer than " + std::to_string(max) + " characters");
}
}  // namespace

void SessionEngine::requestDownload(const std::string& fileType,
                                    const std::vector<std::pair<std::string, std::string>>& args) {
  // cwmp-1-0.xsd: FileType string(64), at most 16 FileTypeArg of Name(64)/Value(256).
  constexpr std::size_t kMaxArgs = 16, kMaxName = 64, kMaxValue = 256;
  if (fileType.empty())
    throw sdk::Fault(sdk::FaultCode::InvalidArguments, "FileType must not be empty");
  checkLength(fileType, kMaxName, "FileType");
  if (args.size() > kMaxArgs)
    throw sdk::Fault(sdk::FaultCode::InvalidArguments, "more than 16 FileTypeArg");
  soap::RequestDownload r;
  r.fileType = fileType;
  for (const auto& [name, value] : args) {
    checkLength(name, kMaxName, "FileTypeArg Name");
    checkLength(value, kMaxValue, "FileTypeArg Value");
    r.fileTypeArg.push_back({name, value});
  }
  if (!cpeMethodSupported("RequestDownload"))
    throw sdk::Fault(sdk::FaultCode::RequestDenied, "the ACS does not support RequestDownload");
  queueCpeRequest(r);
}

void SessionEngine::kicked(const std::string& command, const std::string& referer,
                           const std::string& arg, const std::string& next) {
  // cwmp-1-0.xsd: Command string(32), Referer(64), Arg(256), Next(1024).
  checkLength(command, 32, "Command");
  checkLength(referer, 64, "Referer");
  checkLength(arg, 256, "Arg");
  checkLength(next, 1024, "Next");
  if (!cpeMethodSupported("Kicked"))
    throw sdk::Fault(sdk::FaultCode::RequestDenied, "the ACS does not support Kicked");
  queueCpeRequest(soap::Kicked{command, referer, arg, next});
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
void SessionEngine::addSessionListener(std::function<void(bool)> l) {
  impl_->listeners_.push_back(std::move(l));
}
void SessionEngine::changeDu(const LocalDuChange& change) {
  if (!duChange_)
    throw sdk::Fault(sdk::FaultCode::MethodNotSupported, "no software module management");
  duChange_(change);
}
void SessionEngine::setDuChangeHandler(std::function<void(const LocalDuChange&)> handler) {
  duChange_ = std::move(handler);
}
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
  impl_->saveCpeRequests();
  impl_->forceSession_ = true;
  impl_->kick();
}
void SessionEngine::addCpeRequestListener(std::function<void(const soap::Body&, int)> listener) {
  impl_->cpeAcks_.push_back(std::move(listener));
}
bool SessionEngine::cpeMethodSupported(const std::string& method) const {
  return !impl_->unsupportedCpeMethods_.count(method);
}
void SessionEngine::setNotificationTracker(NotificationTracker* t) { impl_->tracker_ = t; }
void SessionEngine::setPluginNames(std::vector<std::string> names) {
  impl_->pluginNames_ = std::move(names);
}

}  // namespace cwmpd::core
