// Runs a DbusService over the fake engine on an io_context in a thread of the test, the way
// the daemon runs it on its main loop. Everything that touches the service or the fakes goes
// through onLoop().
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cwmpd/bus/dbus_service.hpp"
#include "cwmpd/core/remote_subtree.hpp"
#include "fake_model.hpp"

namespace cwmpd::testing {

class ServiceRunner {
 public:
  ServiceRunner() : work_(io_.get_executor()), thread_([this] { io_.run(); }) {}
  ~ServiceRunner() {
    onLoop([this] { service_.reset(); });
    work_.reset();
    io_.stop();
    thread_.join();
  }
  ServiceRunner(const ServiceRunner&) = delete;
  ServiceRunner& operator=(const ServiceRunner&) = delete;

  // Creates the service on the loop and starts it; returns what start() returned.
  bool start(bus::BusOptions options) {
    options.log = [this](bus::LogLevel, const std::string& message) {
      std::lock_guard lock(logMutex_);
      log_.push_back(message);
    };
    return onLoop([&] {
      service_ = std::make_unique<bus::DbusService>(io_, model, agent, options);
      return service_->start();
    });
  }

  // Runs `f` on the loop thread and returns its result.
  template <typename F>
  auto onLoop(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return result.get();
  }

  // Runs `f` on a thread of its own with the model lent to it (core::ModelLoan::runLent), as
  // an ACS session's requests run, and waits for it.
  void onLentThread(const std::function<void()>& f) {
    std::thread lent([&] { core::ModelLoan::runLent(io_, f); });
    lent.join();
  }

  void stop() {
    onLoop([this] { service_->stop(); });
  }
  bool connected() {
    return onLoop([this] { return service_ && service_->connected(); });
  }
  std::vector<std::string> log() {
    std::lock_guard lock(logMutex_);
    return log_;
  }
  std::thread::id loopThread() const { return thread_.get_id(); }

  FakeDataModel model;  // touch only through onLoop() once started
  FakeAgent agent;

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::unique_ptr<bus::DbusService> service_;
  std::mutex logMutex_;
  std::vector<std::string> log_;
  std::thread thread_;  // last: starts once the rest exists
};

}  // namespace cwmpd::testing
