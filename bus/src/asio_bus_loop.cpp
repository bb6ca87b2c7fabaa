#include "asio_bus_loop.hpp"

#include <poll.h>
#include <sdbus-c++/Error.h>

#include <boost/asio/post.hpp>
#include <iostream>

namespace cwmpd::bus {

namespace {
// Requests handled before yielding to the rest of the io_context, so that a flood of
// D-Bus calls cannot starve the ACS session or the timers.
constexpr int kMaxRequestsPerRound = 64;
}  // namespace

AsioBusLoop::AsioBusLoop(boost::asio::io_context& io, sdbus::IConnection& connection,
                         FailureHandler onFailure)
    : io_(io), connection_(connection), onFailure_(std::move(onFailure)), fd_(io), timer_(io) {}

AsioBusLoop::~AsioBusLoop() {
  alive_.reset();
  // Nothing may leave a destructor: the descriptor has a non-throwing cancel; the timer's
  // only form throws (a failing cancel means the io_context is broken: logged, the handler
  // is guarded by alive_ anyway).
  try {
    timer_.cancel();
  } catch (const std::exception& e) {
    std::cerr << "cwmpd[bus] error: cannot cancel the D-Bus timer: " << e.what() << '\n';
  }
  if (fd_.is_open()) {
    boost::system::error_code ignored;  // nothing pending to cancel is not an error here
    fd_.cancel(ignored);
    (void)fd_.release();  // sd-bus owns and closes the fd
  }
}

template <typename Handler>
auto AsioBusLoop::guarded(Handler handler) {
  return [token = std::weak_ptr<int>(alive_), handler = std::move(handler)](auto&&... args) {
    if (token.expired()) return;
    handler(std::forward<decltype(args)>(args)...);
  };
}

void AsioBusLoop::start() { process(); }

void AsioBusLoop::wake() {
  if (processQueued_ || failed_) return;
  processQueued_ = true;
  boost::asio::post(io_, guarded([this] {
                      processQueued_ = false;
                      process();
                    }));
}

void AsioBusLoop::process() {
  if (failed_) return;
  try {
    for (int i = 0; i < kMaxRequestsPerRound; ++i) {
      if (!connection_.processPendingRequest()) {
        arm();
        return;
      }
    }
  } catch (const std::exception& e) {
    fail(e.what());
    return;
  }
  // More is pending: come back after the other handlers had their turn.
  wake();
}

void AsioBusLoop::arm() {
  sdbus::IConnection::PollData poll{};
  try {
    poll = connection_.getEventLoopPollData();
  } catch (const std::exception& e) {
    fail(e.what());
    return;
  }
  if (!fd_.is_open()) fd_.assign(poll.fd);

  if (!readPending_) {
    readPending_ = true;
    fd_.async_wait(boost::asio::posix::descriptor_base::wait_read,
                   guarded([this](const boost::system::error_code& ec) {
                     readPending_ = false;
                     if (!ec) process();
                   }));
  }
  if ((poll.events & POLLOUT) != 0 && !writePending_) {
    writePending_ = true;
    fd_.async_wait(boost::asio::posix::descriptor_base::wait_write,
                   guarded([this](const boost::system::error_code& ec) {
                     writePending_ = false;
                     if (!ec) process();
                   }));
  }

  const auto timeout = poll.getRelativeTimeout();
  if (!timeout) {
    timer_.cancel();
  } else if (timeout->count() == 0) {
    // sd-bus already holds a message it read during a synchronous call.
    wake();
  } else {
    timer_.expires_after(*timeout);
    timer_.async_wait(guarded([this](const boost::system::error_code& ec) {
      if (!ec) process();
    }));
  }
}

void AsioBusLoop::fail(const std::string& reason) {
  if (failed_) return;
  failed_ = true;
  timer_.cancel();
  if (fd_.is_open()) fd_.cancel();
  boost::asio::post(io_, guarded([this, reason] { onFailure_(reason); }));
}

}  // namespace cwmpd::bus
