// Turning a test's boost::asio main loop until something happened: what the plugin
// harness, the loading fixture and the transfer tests do to let plugin timers and posted
// work run on the test thread (which then is the daemon's main loop).
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>

namespace cwmpd::testing {

// Runs `io` until `done()` holds or `timeout` passes; whether `done()` held. Each turn
// waits at most 20 ms for a handler, so a condition set from another thread is seen soon.
template <typename Done>
bool runUntil(boost::asio::io_context& io, Done&& done, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    io.restart();
    io.run_one_for(std::chrono::milliseconds(20));
  }
  return true;
}

// Runs `io` for `span` (to show that nothing more happens in it).
inline void runFor(boost::asio::io_context& io, std::chrono::milliseconds span) {
  io.restart();
  io.run_for(span);
}

}  // namespace cwmpd::testing
