#include "cwmpd/core/notifications.hpp"

#include <set>

#include "cwmpd/core/log.hpp"

namespace cwmpd::core {

namespace {
constexpr const char* kLog = "notify";
constexpr std::string_view kChanged = "n:";    // n:<path> -> level, pending for the next Inform
constexpr std::string_view kReported = "lv:";  // lv:<path> -> value last reported to the ACS
}  // namespace

NotificationTracker::NotificationTracker(boost::asio::io_context& io, SessionModel& model,
                                         Store& state, NotificationOptions options)
    : io_(io),
      model_(model),
      state_(state),
      options_(std::move(options)),
      clock_(options_.clock ? options_.clock : makeLoopClock(io)),
      sampleTimer_(clock_->timer()),
      throttleTimer_(clock_->timer()) {
  state_.forEach(kChanged, [&](const std::string& k, const std::string& v) {
    changed_[k.substr(kChanged.size())] = {std::atoi(v.c_str()), ++changeSeq_};
  });
}

NotificationTracker::~NotificationTracker() {
  *alive_ = false;
  stop();
}

void NotificationTracker::start(std::function<void()> requestSession) {
  requestSession_ = std::move(requestSession);
  stopped_ = false;
  // Baseline: what differs from the value the ACS last saw is a change (a parameter
  // that changed while the daemon was down, e.g. SoftwareVersion after an upgrade).
  for (const auto& n : model_.notifiedParameters()) {
    std::string v;
    try {
      v = model_.getValues({n.path}).at(0).value;
    } catch (const std::exception&) {
      continue;
    }
    if (n.live) snapshot_[n.path] = v;
    const std::string* seen = state_.get(std::string(kReported) + n.path);
    if (!seen) {
      state_.set(std::string(kReported) + n.path, v);
    } else if (*seen != v) {
      record(n.path, v, n.notification);
    }
  }
  state_.tryCommit();  // on failure the store logs once and the next commit retries
  std::weak_ptr<bool> alive = alive_;
  model_.addChangeListener([this, alive](const std::vector<CommittedChange>& cs, sdk::Source s) {
    if (alive.lock()) onChange(cs, s);
  });
  armSampling();
  if (hasPending()) {
    for (const auto& [p, change] : changed_)
      if (change.level == 2) {
        requestActive();
        break;
      }
  }
}

void NotificationTracker::stop() {
  stopped_ = true;
  sampleTimer_->cancel();
  throttleTimer_->cancel();
}

void NotificationTracker::onChange(const std::vector<CommittedChange>& changes,
                                   sdk::Source source) {
  bool any = false;
  std::string key;  // "lv:" + name, one buffer for the whole list
  for (const auto& c : changes) {
    if (source == sdk::Source::Acs) {
      // TR-069 A.3.2.4: the ACS's own changes do not notify; what it set is what it knows.
      // That matters only for a parameter under notification, which has its key already
      // (start() and refreshBaseline() give each one): no key is made for every other
      // parameter the ACS sets, thousands in a provisioning set (issue 15, steady memory).
      key.assign(kReported);
      key += c.name;
      if (state_.get(key) != nullptr) {
        state_.set(key, c.value);
        any = true;
      }
      if (!snapshot_.empty()) {
        if (auto s = snapshot_.find(c.name); s != snapshot_.end()) s->second = c.value;
      }
      continue;
    }
    int level = 0;
    try {
      auto a = model_.getAttributes({c.name});
      if (!a.empty()) level = a[0].notification;
    } catch (const std::exception&) {
      continue;
    }
    if (snapshot_.count(c.name)) snapshot_[c.name] = c.value;
    if (level > 0) {
      record(c.name, c.value, level);
      any = true;
    }
  }
  if (any) {
    state_.tryCommit();  // on failure the store logs once and the next commit retries
  }
}

void NotificationTracker::record(const std::string& path, const std::string&, int level) {
  Change& cur = changed_[path];
  cur.level = std::max(cur.level, level);
  cur.seq = ++changeSeq_;
  state_.set(std::string(kChanged) + path, std::to_string(cur.level));
  CWMPD_LOG(Debug, kLog, path << " changed (" << (level == 2 ? "active" : "passive") << ")");
  if (level == 2) requestActive();
}

void NotificationTracker::requestActive() {
  if (stopped_ || !requestSession_) return;
  std::uint32_t throttle = 0;
  try {
    throttle = static_cast<std::uint32_t>(std::stoul(
        model_.rawValue(model_.root() + ".ManagementServer.DefaultActiveNotificationThrottle")));
  } catch (...) {
  }
  auto now = clock_->steadyNow();
  auto gap = std::chrono::milliseconds(static_cast<long long>(throttle) * 1000);
  if (lastActive_ == std::chrono::steady_clock::time_point{} || now - lastActive_ >= gap) {
    lastActive_ = now;
    requestSession_();
    return;
  }
  if (throttled_) return;  // one deferred session covers every change until then
  throttled_ = true;
  // The timer belongs to this tracker: its work never outlives it.
  throttleTimer_->start(lastActive_ + gap - now, [this] {
    throttled_ = false;
    lastActive_ = clock_->steadyNow();
    if (hasPending() && requestSession_) requestSession_();
  });
}

std::vector<ParameterValue> NotificationTracker::pending() {
  std::vector<ParameterValue> out;
  std::vector<std::string> gone;
  offered_.clear();
  for (const auto& [path, change] : changed_) {
    try {
      auto v = model_.getValues({path});
      if (!v.empty()) out.push_back(std::move(v[0]));
      offered_[path] = change.seq;
    } catch (const std::exception&) {
      gone.push_back(path);  // the object was deleted meanwhile: nothing to report
    }
  }
  for (const auto& g : gone) {
    changed_.erase(g);
    state_.erase(std::string(kChanged) + g);
  }
  return out;
}

void NotificationTracker::delivered(const std::vector<ParameterValue>& values) {
  bool activeLeft = false;
  for (const auto& v : values) {
    state_.set(std::string(kReported) + v.name, v.value);
    auto it = changed_.find(v.name);
    auto offered = offered_.find(v.name);
    if (it == changed_.end()) continue;
    if (offered != offered_.end() && offered->second == it->second.seq) {
      changed_.erase(it);
      state_.erase(std::string(kChanged) + v.name);
    } else {
      // Changed again while the Inform was on the wire: the ACS saw the older value.
      CWMPD_LOG(Debug, kLog, v.name << " changed during the Inform; reported again");
      activeLeft = activeLeft || it->second.level == 2;
    }
  }
  offered_.clear();
  state_.tryCommit();  // on failure the store logs once and the next commit retries
  // The change's own request for a session was merged into the one that just delivered
  // the older value: ask again.
  if (activeLeft) requestActive();
}

void NotificationTracker::refreshBaseline() {
  bool any = false;
  for (const auto& n : model_.notifiedParameters()) {
    // A provider's parameter is not read here, on the loop (it could wait the provider's
    // timeout, issue 18); its ValuesChanged reports its changes.
    if (n.remote) continue;
    const std::string key = std::string(kReported) + n.path;
    if (state_.get(key) || changed_.count(n.path)) continue;
    try {
      state_.set(key, model_.getValues({n.path}).at(0).value);
      any = true;
    } catch (const std::exception&) {
    }
  }
  if (!any) return;
  state_.tryCommit();  // on failure the store logs once and the next commit retries
}

void NotificationTracker::sample() {
  std::set<std::string> seen;
  bool any = false;
  for (const auto& n : model_.notifiedParameters()) {
    // A provider's parameter is not sampled: reading it on the loop could wait the
    // provider's timeout (issue 18), and its ValuesChanged reports its changes.
    if (!n.live || n.remote) continue;
    seen.insert(n.path);
    std::string v;
    try {
      v = model_.getValues({n.path}).at(0).value;
    } catch (const std::exception&) {
      continue;
    }
    auto it = snapshot_.find(n.path);
    if (it == snapshot_.end()) {
      snapshot_[n.path] = v;  // newly under notification: this is its baseline
      continue;
    }
    if (it->second != v) {
      it->second = v;
      record(n.path, v, n.notification);
      any = true;
    }
  }
  for (auto it = snapshot_.begin(); it != snapshot_.end();) {
    if (!seen.count(it->first))
      it = snapshot_.erase(it);
    else
      ++it;
  }
  if (any) {
    state_.tryCommit();  // on failure the store logs once and the next commit retries
  }
}

void NotificationTracker::armSampling() {
  if (stopped_ || options_.sampleInterval.count() <= 0) return;
  sampleTimer_->start(options_.sampleInterval, [this] {
    sample();
    armSampling();
  });
}

}  // namespace cwmpd::core
