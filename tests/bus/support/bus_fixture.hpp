// The common fixture of the bus tests: a private dbus-daemon, the service over the fake
// engine with a small TR-181 tree, and ways to drive it (busctl, cwmpctl, proxies).
#pragma once

#include <poll.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cwmpd/bus/proxies.hpp"
#include "private_bus.hpp"
#include "process.hpp"
#include "service_runner.hpp"

namespace cwmpd::testing {

inline void populate(FakeDataModel& model) {
  using sdk::ParamType;
  model.addParameter("Device.DeviceInfo.Manufacturer", ParamType::String, "ACME");
  model.addParameter("Device.DeviceInfo.SoftwareVersion", ParamType::String, "1.0.3");
  model.addParameter("Device.DeviceInfo.UpTime", ParamType::UnsignedInt, "42");
  model.addParameter("Device.ManagementServer.PeriodicInformEnable", ParamType::Boolean, "true",
                     true);
  model.addParameter("Device.ManagementServer.PeriodicInformInterval", ParamType::UnsignedInt,
                     "3600", true);
  model.addParameter("Device.WiFi.SSID.1.SSID", ParamType::String, "home", true);
  model.addParameter("Device.WiFi.SSID.1.Enable", ParamType::Boolean, "false", true);
  model.param("Device.WiFi.SSID.1.SSID").activeNotifyDenied = true;
  FakeDataModel::Param hostName;
  hostName.writable = true;
  FakeDataModel::Param active;
  active.type = ParamType::Boolean;
  active.value = "true";
  model.addTable("Device.Hosts.Host.", {{"HostName", hostName}, {"Active", active}});
  model.addParameter("Device.X_ACME_Debug.Sensor", ParamType::Int, "0");
  model.addBrokenParameter("Device.X_ACME_Debug.Sensor");
}

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

class BusFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    bus_.emplace(dir_.path());
    populate(service_.model);  // the loop has not touched the model yet
    ASSERT_TRUE(service_.start(options()));
  }

  virtual bus::BusOptions options() {
    bus::BusOptions options;
    options.address = bus_->address();
    options.retryInitial = std::chrono::milliseconds(50);
    options.retryMax = std::chrono::milliseconds(200);
    return options;
  }

  RunResult busctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"busctl", "--address=" + bus_->address()});
    return run(args, dir_.path());
  }
  RunResult cwmpctl(std::vector<std::string> args) {
    args.insert(args.begin(), {CWMPCTL_PATH, "--address", bus_->address()});
    return run(args, dir_.path());
  }
  std::unique_ptr<sdbus::IConnection> client() {
    return sdbus::createSessionBusConnectionWithAddress(bus_->address());
  }

  TempDir dir_;
  std::optional<PrivateBus> bus_;
  ServiceRunner service_;
};

}  // namespace cwmpd::testing
