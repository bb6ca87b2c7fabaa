// The daemon's clock, with the one hook the integration tests need.
//
// Tests that run the real daemon must see hours of behaviour (periodic informs, retry
// back-off, scheduled informs, transfer windows) in seconds. That used to be a
// `[session] time_scale` key of the configuration; it is not one any more, because the
// configuration is the operator's surface and an accelerated clock on a real box (a daily
// periodic inform every 15 minutes, retries hammering the ACS) must not be one typo away.
// Instead, builds with the CMake option CWMPD_TEST_HOOKS (ON with the test suite, which
// needs it; product builds configure -DCWMPD_BUILD_TESTS=OFF or -DCWMPD_TEST_HOOKS=OFF)
// read two environment variables, set only by the test harness
// (tests/session_it/daemon_process.hpp, DaemonProcess::setTimeScale):
//   CWMPD_TEST_TIME_SCALE   time passes 1/scale times faster, scale in (0, 1]
//   CWMPD_TEST_TIME_ORIGIN  seconds since the epoch the accelerated time starts from (the
//                           same across restarts of one test's daemon, so that persisted
//                           due times keep their meaning); default: the start
// Without the option, the daemon ignores them and always runs on real time.
#pragma once

#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

#include "cwmpd/core/clock.hpp"

namespace cwmpd::daemon {

inline std::shared_ptr<core::Clock> makeDaemonClock(boost::asio::io_context& io) {
#if defined(CWMPD_TEST_HOOKS)
  const char* scaleText = std::getenv("CWMPD_TEST_TIME_SCALE");
  if (scaleText == nullptr || *scaleText == '\0') return core::makeLoopClock(io);
  char* end = nullptr;
  const double scale = std::strtod(scaleText, &end);
  if (end == scaleText || *end != '\0' || !(scale > 0 && scale <= 1)) {
    std::cerr << "cwmpd: CWMPD_TEST_TIME_SCALE must be a number in (0, 1]; ignored\n";
    return core::makeLoopClock(io);
  }
  std::optional<std::chrono::system_clock::time_point> origin;
  if (const char* o = std::getenv("CWMPD_TEST_TIME_ORIGIN"); o != nullptr && *o != '\0')
    origin =
        std::chrono::system_clock::time_point(std::chrono::seconds(std::strtoll(o, nullptr, 10)));
  std::cerr << "cwmpd: test hook: time runs " << 1 / scale << " times faster\n";
  return core::makeLoopClock(io, scale, origin);
#else
  return core::makeLoopClock(io);
#endif
}

}  // namespace cwmpd::daemon
