// The real daemon on a private D-Bus, for the integration tests that drive it over the bus
// (tests/crash_it, tests/faultinj): a DaemonIt (tests/session_it) plus the private
// dbus-daemon, a connection to it and the org.cwmpd.DataModel1 proxy, made before each test
// and torn down after it, and the wait for a daemon that just started to answer on the bus.
// Header-only; the test links cwmpd_test_daemon and cwmpd::bus_proxies.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "cwmpd/bus/proxies.hpp"
#include "it_support.hpp"

namespace cwmpd::test {

class BusDaemonIt : public DaemonIt {
 protected:
  void SetUp() override {
    DaemonIt::SetUp();
    bus_ = std::make_unique<PrivateDbus>(dir_);
    daemon_->set("bus", "address", bus_->address());
    connection_ = sdbus::createSessionBusConnectionWithAddress(bus_->address());
    model_ = std::make_unique<bus::DataModelProxy>(*connection_);
  }
  void TearDown() override {
    model_.reset();
    connection_.reset();
    DaemonIt::TearDown();
    bus_.reset();
  }

  // The value of one parameter over D-Bus; nullopt when the daemon does not answer (not on
  // the bus yet, or gone) or refuses.
  std::optional<std::string> busValue(const std::string& name) {
    try {
      auto values = model_->GetParameterValues({name});
      if (values.size() == 1) return values[0].get<2>();
    } catch (const sdbus::Error&) {
      // not on the bus (yet)
    }
    return std::nullopt;
  }

  // Starts the daemon and waits until it answers a read of `probe` on the bus: the value
  // read, or nullopt when the daemon exited or did not answer within `timeout`.
  std::optional<std::string> startAndRead(
      const std::string& probe, std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    daemon_->start();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!daemon_->running()) return std::nullopt;
      if (auto v = busValue(probe)) return v;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return std::nullopt;
  }

  std::unique_ptr<PrivateDbus> bus_;
  std::unique_ptr<sdbus::IConnection> connection_;
  std::unique_ptr<bus::DataModelProxy> model_;
};

}  // namespace cwmpd::test
