// Time as the core sees it: the wall clock, a monotonic clock and timers that run their
// work on the main loop. Every time-dependent part of the core (session retries and
// periodic informs, scheduled informs, notification throttling, the Connection Request
// token bucket, transfer scheduling) takes its time from a Clock, so that unit tests can
// drive a manual one (tests/support/manual_clock.hpp) instead of waiting.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include <boost/asio/io_context.hpp>

namespace cwmpd::core {

// A one-shot timer. start() replaces a pending wait; cancel() and the destructor
// guarantee that the work does not run afterwards, even when the wait had already expired
// and its handler was queued on the loop.
class Timer {
 public:
  virtual ~Timer() = default;
  virtual void start(std::chrono::nanoseconds delay, std::function<void()> work) = 0;
  virtual void cancel() = 0;
};

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time: what Informs report, what persisted due times are compared with.
  [[nodiscard]] virtual std::chrono::system_clock::time_point now() const = 0;
  // Monotonic time: for intervals (throttles, token buckets).
  [[nodiscard]] virtual std::chrono::steady_clock::time_point steadyNow() const = 0;
  [[nodiscard]] virtual std::unique_ptr<Timer> timer() = 0;

  // now() in whole seconds since the epoch.
  [[nodiscard]] std::int64_t seconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(now().time_since_epoch()).count();
  }
};

// The production clock: the system's clocks, timers on `io`. Thread-safe except timer().
//
// `scale` < 1 makes time pass 1/scale times faster (a timer of 10 s waits 10·scale s, and
// now() advances accordingly from `origin`, default the clock's creation): only the
// daemon's test hook uses it (daemon/test_hooks.hpp), so that integration tests see a day
// of behaviour in seconds. Keep `origin` the same across restarts of one daemon so that
// persisted due times keep their meaning.
[[nodiscard]] std::shared_ptr<Clock> makeLoopClock(
    boost::asio::io_context& io, double scale = 1.0,
    std::optional<std::chrono::system_clock::time_point> origin = std::nullopt);

}  // namespace cwmpd::core
