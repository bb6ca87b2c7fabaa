// Drives one sdbus-c++ connection from a boost::asio::io_context: the connection's fd is
// watched with a posix::stream_descriptor, its timeout with a steady_timer, and
// processPendingRequest() runs on the io_context's thread until it has nothing left.
#pragma once

#include <sdbus-c++/IConnection.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <string>

namespace cwmpd::bus {

class AsioBusLoop {
 public:
  // `onFailure` is called (from a fresh handler, never from inside a call to this object)
  // once, when the connection fails; the loop does nothing more afterwards.
  using FailureHandler = std::function<void(const std::string& reason)>;

  AsioBusLoop(boost::asio::io_context& io, sdbus::IConnection& connection,
              FailureHandler onFailure);
  // Stops watching the fd (it stays open: it belongs to the connection).
  ~AsioBusLoop();
  AsioBusLoop(const AsioBusLoop&) = delete;
  AsioBusLoop& operator=(const AsioBusLoop&) = delete;

  // Processes whatever is pending and starts watching.
  void start();
  // Call after sending outside a D-Bus callback (a signal from a model listener): sd-bus may
  // have queued the message, so the poll events must be recomputed. Coalesced.
  void wake();

 private:
  void process();
  void arm();
  void fail(const std::string& reason);
  template <typename Handler>
  auto guarded(Handler handler);

  boost::asio::io_context& io_;
  sdbus::IConnection& connection_;
  FailureHandler onFailure_;
  boost::asio::posix::stream_descriptor fd_;
  boost::asio::steady_timer timer_;
  bool readPending_ = false;
  bool writePending_ = false;
  bool processQueued_ = false;
  bool failed_ = false;
  // Handlers may run after this object is gone (a cancelled wait still completes): they
  // hold a weak reference to this token and do nothing once it has expired.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace cwmpd::bus
