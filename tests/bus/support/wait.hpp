// Waiting in tests without sleeping blindly: pump a client connection, or retry a check.
#pragma once

#include <poll.h>
#include <sdbus-c++/IConnection.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <thread>

namespace cwmpd::testing {

// Pumps a client connection (the test's own, no event loop thread) until `done` or timeout.
inline bool pumpUntil(sdbus::IConnection& connection, const std::function<bool()>& done,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    while (connection.processPendingRequest()) {
    }
    if (done()) return true;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    const auto data = connection.getEventLoopPollData();
    pollfd fd{data.fd, data.events, 0};
    ::poll(&fd, 1, static_cast<int>(std::min<long>(left.count(), 50)));
  }
}

// Retries `check` until it holds or the timeout passes.
inline bool eventually(const std::function<bool()>& check,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!check()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace cwmpd::testing
