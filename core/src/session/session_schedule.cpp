// SessionEngine: the end of a session (retry back-off, reboot, factory reset); bootstrap,
// periodic and scheduled informs.
#include "session_impl.hpp"

namespace cwmpd::core {

using namespace session_detail;

void SessionEngine::Impl::finishSession(Outcome outcome, std::uint64_t id, double retryAfter) {
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
      minWait = static_cast<std::uint32_t>(
          std::stoul(model_.rawValue(ms_ + "CWMPRetryMinimumWaitInterval")));
      mult = static_cast<std::uint32_t>(
          std::stoul(model_.rawValue(ms_ + "CWMPRetryIntervalMultiplier")));
    } catch (...) {
    }
    std::uniform_real_distribution<double> u(0.0, 1.0);
    double wait = outcome == Outcome::RetryRequested && retryCount_ == 1
                      ? 0.0
                      : retryWaitSeconds(retryCount_, minWait, mult, u(rng_));
    wait = std::max(wait, retryAfter);
    CWMPD_LOG(Warning, kLog,
              "session " << id << " failed; retry " << retryCount_ << " in " << wait << " s");
    waitingRetry_ = true;
    state(SessionState::WaitingRetry);
    retryTimer_->start(std::chrono::milliseconds(static_cast<long long>(wait * 1000)),
                       [w = weak_from_this()] {
                         auto self = w.lock();
                         // A connection request may have ended the wait after this handler was
                         // queued.
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

void SessionEngine::Impl::checkBootstrap() {
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
void SessionEngine::Impl::bootstrap() {
  events_.add("0 BOOTSTRAP");
  discardOldAcs();
}

void SessionEngine::Impl::discardOldAcs() {
  if (!scheduleTimers_.empty())
    CWMPD_LOG(Notice, kLog, "BOOTSTRAP: pending ScheduleInforms cancelled");
  for (auto& t : scheduleTimers_) t->cancel();
  scheduleTimers_.clear();
  state_.erasePrefix("s:");
  state_.tryCommit();  // on failure the store logs once and the next commit retries
  std::erase_if(cpeRequests_, [](const soap::Body& b) {
    return std::holds_alternative<soap::TransferComplete>(b);
  });
  for (auto& l : bootstrapListeners_) l();
}

void SessionEngine::Impl::schedulePeriodic() {
  periodicTimer_->cancel();
  bool enabled = false;
  std::uint32_t interval = 0;
  std::string timeRef;
  try {
    enabled = model_.rawValue(ms_ + "PeriodicInformEnable") == "true";
    interval =
        static_cast<std::uint32_t>(std::stoul(model_.rawValue(ms_ + "PeriodicInformInterval")));
    if (model_.exists(ms_ + "PeriodicInformTime"))
      timeRef = model_.rawValue(ms_ + "PeriodicInformTime");
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
  periodicTimer_->start(
      std::chrono::milliseconds(std::max<long long>(1, static_cast<long long>(delay * 1000))),
      [w = weak_from_this()] {
        if (auto self = w.lock()) {
          self->events_.add("2 PERIODIC");
          self->kick();
          self->schedulePeriodic();
        }
      });
}

// TR-069 Annex O (TR-181 ManagementServer.HeartbeatPolicy.): a "14 HEARTBEAT" session
// at InitiationTime + n·ReportingInterval while Enable is true; with the Unknown Time the
// CPE picks a random reference of its own.
void SessionEngine::Impl::scheduleHeartbeat() {
  heartbeatTimer_->cancel();
  const std::string hp = ms_ + "HeartbeatPolicy.";
  std::uint32_t interval = 0;
  std::string timeRef;
  try {
    if (!model_.exists(hp + "Enable") || model_.rawValue(hp + "Enable") != "true") return;
    interval = static_cast<std::uint32_t>(std::stoul(model_.rawValue(hp + "ReportingInterval")));
    timeRef = model_.rawValue(hp + "InitiationTime");
  } catch (...) {
    return;
  }
  if (interval == 0) return;
  std::int64_t ref = 0;
  if (!parseIsoTime(timeRef, ref)) {
    if (!heartbeatPhase_)
      heartbeatPhase_ =
          clock_->seconds() + std::uniform_int_distribution<std::int64_t>(1, interval)(rng_);
    ref = *heartbeatPhase_;
  }
  const std::int64_t now = clock_->seconds();
  std::int64_t since = (now - ref) % static_cast<std::int64_t>(interval);
  if (since < 0) since += interval;
  heartbeatTimer_->start(std::chrono::seconds(interval - since), [w = weak_from_this()] {
    if (auto self = w.lock()) {
      self->heartbeatDue_ = true;
      self->kick();
      self->scheduleHeartbeat();
    }
  });
}

void SessionEngine::Impl::addScheduled(std::uint32_t delaySeconds, const std::string& key,
                                       bool persist) {
  const std::int64_t due = clock_->seconds() + static_cast<std::int64_t>(delaySeconds);
  std::string storeKey = "s:" + std::to_string(++scheduleCounter_) + ":" + std::to_string(due);
  if (persist) {
    state_.set(storeKey, std::to_string(due) + "\t" + key);
    state_.tryCommit();
  }
  armScheduled(storeKey, due, key);
}

void SessionEngine::Impl::armScheduled(const std::string& storeKey, std::int64_t due,
                                       const std::string& key) {
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

void SessionEngine::Impl::loadScheduled() {
  std::vector<std::pair<std::string, std::string>> entries;
  state_.forEach("s:",
                 [&](const std::string& k, const std::string& v) { entries.emplace_back(k, v); });
  for (const auto& [k, v] : entries) {
    auto tab = v.find('\t');
    std::int64_t due = std::atoll(v.substr(0, tab).c_str());
    armScheduled(k, due, tab == std::string::npos ? std::string() : v.substr(tab + 1));
    scheduleCounter_ =
        std::max<std::uint64_t>(scheduleCounter_, std::strtoull(k.c_str() + 2, nullptr, 10));
  }
}

}  // namespace cwmpd::core
