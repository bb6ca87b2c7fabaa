// Engine-level pieces of the session (no daemon, no ACS): what the retry logic reads from
// the ACS's answers.
#include <gtest/gtest.h>

#include <ctime>

#include "cwmpd/core/session_engine.hpp"

namespace cwmpd::core {
namespace {

// 2026-12-06T04:00:00Z
constexpr std::int64_t kNow = 1796529600;

TEST(RetryAfter, DelaySecondsAreTakenAsTheyAre) {
  EXPECT_EQ(retryAfterSeconds("120", kNow), 120.0);
  EXPECT_EQ(retryAfterSeconds(" 0 ", kNow), 0.0);
}

TEST(RetryAfter, HttpDatesInAllThreeFormsAreSecondsFromNow) {
  EXPECT_EQ(retryAfterSeconds("Sun, 06 Dec 2026 04:01:30 GMT", kNow), 90.0);
  EXPECT_EQ(retryAfterSeconds("Sunday, 06-Dec-26 04:01:30 GMT", kNow), 90.0);
  EXPECT_EQ(retryAfterSeconds("Sun Dec  6 04:01:30 2026", kNow), 90.0);
  EXPECT_EQ(retryAfterSeconds("Sat, 05 Dec 2026 04:00:00 GMT", kNow), 0.0)
      << "a date in the past: at once";
}

TEST(RetryAfter, HostileOrBrokenValuesAreBoundedOrIgnored) {
  EXPECT_EQ(retryAfterSeconds("99999999999999999999", kNow), 86400.0);
  EXPECT_EQ(retryAfterSeconds("Fri, 31 Dec 9999 23:59:59 GMT", kNow), 86400.0);
  EXPECT_FALSE(retryAfterSeconds("", kNow));
  EXPECT_FALSE(retryAfterSeconds("-5", kNow));
  EXPECT_FALSE(retryAfterSeconds("1.5", kNow));
  EXPECT_FALSE(retryAfterSeconds("soon", kNow));
  EXPECT_FALSE(retryAfterSeconds("Sun, 06 Dec 2026 04:01:30 GMT trailing", kNow));
}

}  // namespace
}  // namespace cwmpd::core
