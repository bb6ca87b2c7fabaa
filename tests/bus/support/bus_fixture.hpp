// The common fixture of the bus tests: a private dbus-daemon, the service over the fake
// engine with a small TR-181 tree, and ways to drive it (busctl, cwmpctl, proxies).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bus_tools.hpp"
#include "cwmpd/bus/proxies.hpp"
#include "private_bus.hpp"
#include "process.hpp"
#include "service_runner.hpp"
#include "wait.hpp"

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
    return busctlOn(bus_->address(), std::move(args), dir_.path());
  }
  RunResult cwmpctl(std::vector<std::string> args) {
    return cwmpctlOn(bus_->address(), std::move(args), dir_.path());
  }
  std::unique_ptr<sdbus::IConnection> client() {
    return sdbus::createSessionBusConnectionWithAddress(bus_->address());
  }

  TempDir dir_;
  std::optional<PrivateBus> bus_;
  ServiceRunner service_;
};

}  // namespace cwmpd::testing
