// The SDK's PeriodicTask and ChangeWatch (cwmpd/sdk/periodic.hpp), used by the wifi and voip
// plugins, against a fake Host that records the timers asked of it. The host's real
// timers are tested with the plugin host (tests/plugin_loading).
#include <cwmpd/sdk/periodic.hpp>
#include <gtest/gtest.h>

#include <map>

namespace {

using namespace std::chrono_literals;

class TimerHost : public cwmpd::sdk::Host {
 public:
  std::string_view root() const override { return "Device"; }
  std::string config(std::string_view, std::string_view key,
                     std::string_view fallback) const override {
    return key == "interval" ? "7" : key == "bad" ? "soon" : std::string(fallback);
  }
  cwmpd::hal::Hal& hal() override { throw std::logic_error("no HAL here"); }
  std::uint32_t ensureInstance(std::string_view, std::string_view) override { return 0; }
  void removeInstance(std::string_view) override {}
  void valueChanged(std::string_view path) override { changed.emplace_back(path); }
  void setInitial(std::string_view, std::string_view) override {}
  void update(std::string_view, std::string_view) override {}
  void raiseEvent(std::string_view, std::string_view) override {}
  std::string value(std::string_view) override { return {}; }
  void post(std::function<void()> work) override { work(); }
  cwmpd::sdk::TimerId startTimer(std::chrono::milliseconds, std::function<void()>) override {
    throw std::logic_error("PeriodicTask asked for a one-shot timer");
  }
  cwmpd::sdk::TimerId startPeriodicTimer(std::chrono::milliseconds interval,
                                         std::function<void()> work) override {
    timers[++next] = {interval, std::move(work)};
    return next;
  }
  void cancelTimer(cwmpd::sdk::TimerId id) override { timers.erase(id); }
  void log(cwmpd::sdk::LogLevel, std::string_view) override {}

  struct Timer {
    std::chrono::milliseconds interval;
    std::function<void()> work;
  };
  std::map<cwmpd::sdk::TimerId, Timer> timers;
  cwmpd::sdk::TimerId next = 0;
  std::vector<std::string> changed;
};

TEST(PeriodicTask, RunsItsWorkOnAPeriodicHostTimerOfTheConfiguredInterval) {
  TimerHost host;
  int runs = 0;
  cwmpd::sdk::PeriodicTask task;
  task.start(host, cwmpd::sdk::configSeconds(host, "wifi", "interval", 30), [&] { ++runs; });
  ASSERT_EQ(host.timers.size(), 1u);
  EXPECT_EQ(host.timers.begin()->second.interval, 7s);
  host.timers.begin()->second.work();
  host.timers.begin()->second.work();
  EXPECT_EQ(runs, 2);
  EXPECT_TRUE(task.running());
}

TEST(PeriodicTask, StopAndTheDestructorCancelTheTimer) {
  TimerHost host;
  {
    cwmpd::sdk::PeriodicTask task;
    task.start(host, 1, [] {});
    task.stop();
    EXPECT_TRUE(host.timers.empty());
    EXPECT_FALSE(task.running());
    task.start(host, 1, [] {});
    EXPECT_EQ(host.timers.size(), 1u);
  }
  EXPECT_TRUE(host.timers.empty());
}

TEST(PeriodicTask, ZeroSecondsStartsNoTimer) {
  TimerHost host;
  cwmpd::sdk::PeriodicTask task;
  task.start(host, 0, [] {});
  EXPECT_TRUE(host.timers.empty());
  EXPECT_FALSE(task.running());
}

TEST(PeriodicTask, AnIntervalThatIsNotANumberFallsBack) {
  TimerHost host;
  EXPECT_EQ(cwmpd::sdk::configSeconds(host, "wifi", "bad", 30), 30);
  EXPECT_EQ(cwmpd::sdk::configSeconds(host, "wifi", "unset", 7), 7);
}

TEST(ChangeWatch, ReportsOnlyValuesThatDifferFromTheLastSeen) {
  TimerHost host;
  cwmpd::sdk::ChangeWatch watch;
  watch.observe(host, "Device.X.Status", "Up");
  watch.observe(host, "Device.X.Status", "Up");
  EXPECT_TRUE(host.changed.empty()) << "the first value seen is the baseline";
  watch.observe(host, "Device.X.Status", "Down");
  watch.observe(host, "Device.Y.Status", "Down");
  ASSERT_EQ(host.changed.size(), 1u);
  EXPECT_EQ(host.changed[0], "Device.X.Status");
}

}  // namespace
