// Value-change notification (TR-069 3.2.1 and A.3.2.4): finds changes of parameters
// whose Notification attribute is passive (1) or active (2) — from D-Bus, from plugins
// that push, and by sampling those that cannot push — and hands them to the next
// Inform. Active ones ask for a session at once, no more often than
// ManagementServer.DefaultActiveNotificationThrottle allows. Changes made by the ACS
// itself never notify. Pending changes are persisted with the "4 VALUE CHANGE" event.
//
// Threading: main loop only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "cwmpd/core/clock.hpp"
#include "cwmpd/core/session_model.hpp"
#include "cwmpd/core/store.hpp"

namespace cwmpd::core {

struct NotificationOptions {
  // How often parameters that plugins cannot push are read and compared. Sampling only
  // touches parameters whose notification is on; with none, the timer never runs.
  std::chrono::milliseconds sampleInterval{std::chrono::seconds(30)};
  // Time of the throttle and the sampling (null: the system's clocks on the io_context).
  std::shared_ptr<Clock> clock;
};

class NotificationTracker {
 public:
  NotificationTracker(boost::asio::io_context& io, SessionModel& model, Store& state,
                      NotificationOptions options);
  ~NotificationTracker();

  // Compares the current values with those last reported (a firmware upgrade changes
  // SoftwareVersion across a reboot), subscribes to changes and starts sampling.
  // `requestSession` is called when an active notification wants a session.
  void start(std::function<void()> requestSession);
  void stop();

  // Parameters changed since the last delivered Inform, with their current values.
  [[nodiscard]] std::vector<ParameterValue> pending();
  [[nodiscard]] bool hasPending() const { return !changed_.empty(); }
  // The Inform holding `values` (the last pending()) got its InformResponse. A parameter
  // that changed again since pending() read it stays pending: the ACS has not seen its new
  // value, which goes with the next Inform (an active one asks for that session).
  void delivered(const std::vector<ParameterValue>& values);
  // Re-reads the sampled parameters now (the sampling timer calls this).
  void sample();
  // Records the current value as "last reported" for every parameter under
  // notification that has none yet (notification just switched on by the ACS or over
  // D-Bus), so that a change made while the agent is down is found at the next start.
  // The session engine calls it after each session.
  void refreshBaseline();

 private:
  void record(const std::string& path, const std::string& value, int level);
  void onChange(const std::vector<CommittedChange>& changes, sdk::Source source);
  void armSampling();
  void requestActive();
  boost::asio::io_context& io_;
  SessionModel& model_;
  Store& state_;
  NotificationOptions options_;
  std::function<void()> requestSession_;
  struct Change {
    int level = 0;          // notification level
    std::uint64_t seq = 0;  // which change this is (changeSeq_ when it was recorded)
  };
  std::map<std::string, Change> changed_;         // path -> the latest change not delivered
  std::map<std::string, std::uint64_t> offered_;  // path -> seq of the value pending() read
  std::uint64_t changeSeq_ = 0;
  std::map<std::string, std::string> snapshot_;  // last sampled values (live params)
  std::shared_ptr<Clock> clock_;
  std::unique_ptr<Timer> sampleTimer_;
  std::unique_ptr<Timer> throttleTimer_;
  std::chrono::steady_clock::time_point lastActive_{};
  bool throttled_ = false;
  bool stopped_ = true;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cwmpd::core
