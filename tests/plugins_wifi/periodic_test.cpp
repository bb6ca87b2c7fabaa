// PeriodicTask and ChangeWatch (plugins/wifi/periodic.hpp) against a fake Host whose post()
// queues work the way the daemon's main loop does.
#include "../../plugins/wifi/periodic.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <mutex>

namespace {

using namespace std::chrono_literals;

class QueueHost : public cwmpd::sdk::Host {
 public:
  std::string_view root() const override { return "Device"; }
  std::string config(std::string_view, std::string_view key,
                     std::string_view fallback) const override {
    return key == "interval" ? "1" : key == "bad" ? "soon" : std::string(fallback);
  }
  cwmpd::hal::Hal& hal() override { throw std::logic_error("no HAL here"); }
  std::uint32_t ensureInstance(std::string_view, std::string_view) override { return 0; }
  void removeInstance(std::string_view) override {}
  void valueChanged(std::string_view path) override { changed.emplace_back(path); }
  void setInitial(std::string_view, std::string_view) override {}
  void update(std::string_view, std::string_view) override {}
  void raiseEvent(std::string_view, std::string_view) override {}
  std::string value(std::string_view) override { return {}; }
  void post(std::function<void()> work) override {
    std::lock_guard lock(m_);
    queue_.push_back(std::move(work));
    cv_.notify_all();
  }
  void log(cwmpd::sdk::LogLevel, std::string_view) override {}

  // Runs the next posted work on this (the "main loop") thread; false if none came in time.
  bool runOne(std::chrono::seconds within) {
    std::unique_lock lock(m_);
    if (!cv_.wait_for(lock, within, [&] { return !queue_.empty(); })) return false;
    auto work = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    work();
    return true;
  }
  std::size_t queued() {
    std::lock_guard lock(m_);
    return queue_.size();
  }

  std::vector<std::string> changed;

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
};

TEST(PeriodicTask, PostsItsWorkToTheMainLoopAgainAndAgain) {
  QueueHost host;
  int runs = 0;
  cwmpd::plugins::PeriodicTask task;
  task.start(host, cwmpd::plugins::configSeconds(host, "wifi", "interval", 30), [&] { ++runs; });
  ASSERT_TRUE(host.runOne(20s));
  ASSERT_TRUE(host.runOne(20s));
  EXPECT_EQ(runs, 2);
  task.stop();
}

TEST(PeriodicTask, WorkStillQueuedWhenStoppedDoesNothing) {
  QueueHost host;
  int runs = 0;
  cwmpd::plugins::PeriodicTask task;
  task.start(host, 1, [&] { ++runs; });
  while (host.queued() == 0) std::this_thread::sleep_for(50ms);
  task.stop();
  while (host.runOne(0s)) {
  }
  EXPECT_EQ(runs, 0);
}

TEST(PeriodicTask, ZeroSecondsStartsNoThread) {
  QueueHost host;
  cwmpd::plugins::PeriodicTask task;
  task.start(host, 0, [] {});
  EXPECT_FALSE(host.runOne(2s));
}

TEST(PeriodicTask, AnIntervalThatIsNotANumberFallsBack) {
  QueueHost host;
  EXPECT_EQ(cwmpd::plugins::configSeconds(host, "wifi", "bad", 30), 30);
  EXPECT_EQ(cwmpd::plugins::configSeconds(host, "wifi", "unset", 7), 7);
}

TEST(ChangeWatch, ReportsOnlyValuesThatDifferFromTheLastSeen) {
  QueueHost host;
  cwmpd::plugins::ChangeWatch watch;
  watch.observe(host, "Device.X.Status", "Up");
  watch.observe(host, "Device.X.Status", "Up");
  EXPECT_TRUE(host.changed.empty()) << "the first value seen is the baseline";
  watch.observe(host, "Device.X.Status", "Down");
  watch.observe(host, "Device.Y.Status", "Down");
  ASSERT_EQ(host.changed.size(), 1u);
  EXPECT_EQ(host.changed[0], "Device.X.Status");
}

}  // namespace
