// A Clock that moves only when the test says so: advance() runs, in due order and on the
// calling thread, the work of every timer that falls due on the way. Unit tests of the
// core's time-dependent parts use it instead of waiting. now()/steadyNow() may be read
// from any thread (the Connection Request server reads it on its own); timers belong to
// the test's thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "cwmpd/core/clock.hpp"

namespace cwmpd::test {

class ManualClock : public core::Clock, public std::enable_shared_from_this<ManualClock> {
 public:
  // Starts on 2026-01-01T00:00:00Z, a fixed, unremarkable date.
  ManualClock()
      : ManualClock(std::chrono::system_clock::time_point(std::chrono::seconds(1767225600))) {}
  explicit ManualClock(std::chrono::system_clock::time_point start) : wall_(start) {}

  std::chrono::system_clock::time_point now() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return wall_ + elapsed_;
  }
  std::chrono::steady_clock::time_point steadyNow() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::chrono::steady_clock::time_point(std::chrono::hours(1)) + elapsed_;
  }

  std::unique_ptr<core::Timer> timer() override { return std::make_unique<ManualTimer>(*this); }

  // Moves time forward by `d`, running each timer's work at its due time.
  void advance(std::chrono::nanoseconds d) {
    const auto target = elapsedNow() + d;
    for (;;) {
      auto it = pending_.begin();
      if (it == pending_.end() || it->first.first > target) break;
      setElapsed(std::max(elapsedNow(), it->first.first));
      auto work = std::move(it->second);
      pending_.erase(it);
      work();
    }
    setElapsed(target);
  }
  // Moves to the next due timer and runs it (and any other due at the same time); false
  // when no timer is pending.
  bool advanceToNext() {
    if (pending_.empty()) return false;
    advance(std::max(std::chrono::nanoseconds(0), pending_.begin()->first.first - elapsedNow()));
    return true;
  }
  [[nodiscard]] std::size_t pendingTimers() const { return pending_.size(); }
  // Time left until the next due timer.
  [[nodiscard]] std::chrono::nanoseconds nextDue() const {
    return pending_.empty() ? std::chrono::nanoseconds::max()
                            : pending_.begin()->first.first - elapsedNow();
  }

 private:
  using Key = std::pair<std::chrono::nanoseconds, std::uint64_t>;  // due, then start order

  class ManualTimer : public core::Timer {
   public:
    explicit ManualTimer(ManualClock& c) : clock_(c) {}
    ~ManualTimer() override { cancel(); }
    void start(std::chrono::nanoseconds delay, std::function<void()> work) override {
      cancel();
      key_ = Key{clock_.elapsedNow() + std::max(delay, std::chrono::nanoseconds(0)),
                 ++clock_.sequence_};
      clock_.pending_.emplace(*key_, [this, work = std::move(work)] {
        key_.reset();
        work();
      });
    }
    void cancel() override {
      if (key_) clock_.pending_.erase(*key_);
      key_.reset();
    }

   private:
    ManualClock& clock_;
    std::optional<Key> key_;
  };

  std::chrono::nanoseconds elapsedNow() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return elapsed_;
  }
  void setElapsed(std::chrono::nanoseconds e) {
    std::lock_guard<std::mutex> lock(mutex_);
    elapsed_ = e;
  }

  mutable std::mutex mutex_;
  std::chrono::system_clock::time_point wall_;
  std::chrono::nanoseconds elapsed_{0};
  std::uint64_t sequence_ = 0;
  std::map<Key, std::function<void()>> pending_;
};

}  // namespace cwmpd::test
