// The clocks of the core (cwmpd/core/clock.hpp): the production one on the io_context and
// the manual one unit tests drive.
#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "cwmpd/core/clock.hpp"
#include "manual_clock.hpp"

using namespace std::chrono_literals;
using cwmpd::core::makeLoopClock;
using cwmpd::test::ManualClock;

TEST(ManualClock, RunsTimersInDueOrderAtTheirTimeAndOnlyWhenAdvanced) {
  ManualClock clock;
  const auto t0 = clock.now();
  std::vector<int> ran;
  std::vector<std::chrono::system_clock::duration> at;
  auto a = clock.timer(), b = clock.timer(), c = clock.timer();
  a->start(30s, [&] {
    ran.push_back(1);
    at.push_back(clock.now() - t0);
  });
  b->start(10s, [&] {
    ran.push_back(2);
    at.push_back(clock.now() - t0);
  });
  c->start(20s, [&] { ran.push_back(3); });
  c->cancel();
  clock.advance(5s);
  EXPECT_TRUE(ran.empty());
  clock.advance(60s);
  EXPECT_EQ(ran, (std::vector<int>{2, 1}));
  EXPECT_EQ(at, (std::vector<std::chrono::system_clock::duration>{10s, 30s}));
  EXPECT_EQ(clock.now() - t0, 65s);
}

TEST(ManualClock, ARestartedOrDestroyedTimerForgetsItsEarlierWork) {
  ManualClock clock;
  int first = 0, second = 0, gone = 0;
  auto t = clock.timer();
  t->start(10s, [&] { ++first; });
  t->start(20s, [&] { ++second; });
  {
    auto u = clock.timer();
    u->start(5s, [&] { ++gone; });
  }
  clock.advance(1min);
  EXPECT_EQ(first, 0);
  EXPECT_EQ(second, 1);
  EXPECT_EQ(gone, 0);
  EXPECT_EQ(clock.pendingTimers(), 0u);
}

TEST(ManualClock, WorkMayRestartItsOwnTimer) {
  ManualClock clock;
  int ticks = 0;
  auto t = clock.timer();
  std::function<void()> tick = [&] {
    ++ticks;
    t->start(10s, tick);
  };
  t->start(10s, tick);
  clock.advance(35s);
  EXPECT_EQ(ticks, 3);
}

TEST(LoopClock, ACancelledTimerNeverRunsItsWorkEvenWhenItsExpiryWasAlreadyQueued) {
  boost::asio::io_context io;
  auto clock = makeLoopClock(io);
  auto t = clock->timer();
  int ran = 0;
  t->start(0s, [&] { ++ran; });
  // Expired at once, its handler queued on the loop; cancelled before the loop runs it.
  t->cancel();
  io.run();
  EXPECT_EQ(ran, 0);
  t->start(0s, [&] { ++ran; });
  io.restart();
  io.run();
  EXPECT_EQ(ran, 1);
}

TEST(LoopClock, AScaledClockRunsFasterFromItsOrigin) {
  boost::asio::io_context io;
  const auto origin = std::chrono::system_clock::now() - 10s;
  auto fast = makeLoopClock(io, 0.01, origin);
  // 10 real seconds since the origin are 1000 s of its time.
  EXPECT_GE(fast->now() - origin, 999s);
  EXPECT_LT(fast->now() - origin, 1100s);
  // An out-of-range scale means real time.
  auto real = makeLoopClock(io, 0);
  EXPECT_LT(std::chrono::abs(real->now() - std::chrono::system_clock::now()), 1s);
}
