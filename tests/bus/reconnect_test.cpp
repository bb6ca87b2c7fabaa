// The agent outlives its bus: when dbus-daemon goes away the service says so, keeps the
// engine running, and publishes itself again once a bus is back at the same address.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bus_fixture.hpp"

namespace cwmpd::testing {
namespace {

bool logHas(ServiceRunner& service, const std::string& text) {
  const auto log = service.log();
  return std::any_of(log.begin(), log.end(),
                     [&](const std::string& line) { return line.find(text) != std::string::npos; });
}

using Reconnect = BusFixture;

TEST_F(Reconnect, ServiceLogsTheLossKeepsWorkingAndRepublishesOnANewBus) {
  ASSERT_EQ(cwmpctl({"get", "Device.DeviceInfo.Manufacturer"}).exitCode, 0);

  bus_->stop();
  ASSERT_TRUE(eventually([this] { return !service_.connected(); }));
  EXPECT_TRUE(logHas(service_, "lost the D-Bus connection"));
  // The engine (and the loop) carry on without the bus; a change while disconnected is
  // simply not signalled.
  service_.onLoop([this] { service_.model.pluginChange("Device.DeviceInfo.UpTime", "7"); });

  bus_->start();
  ASSERT_TRUE(eventually([this] { return service_.connected(); }));
  const auto r = cwmpctl({"get", "Device.DeviceInfo.UpTime"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, "Device.DeviceInfo.UpTime = 7\n");

  // And the signals flow again on the new connection.
  auto connection = client();
  int signals = 0;
  bus::DataModelProxy subscriber(*connection, [&](const auto&) { ++signals; });
  service_.onLoop([this] { service_.model.pluginChange("Device.DeviceInfo.UpTime", "8"); });
  EXPECT_TRUE(pumpUntil(*connection, [&] { return signals == 1; }));
}

TEST_F(Reconnect, SurvivesSeveralLossesInARow) {
  for (int round = 0; round < 3; ++round) {
    bus_->stop();
    ASSERT_TRUE(eventually([this] { return !service_.connected(); })) << "round " << round;
    bus_->start();
    ASSERT_TRUE(eventually([this] { return cwmpctl({"status"}).exitCode == 0; }))
        << "round " << round;
  }
}

// A service whose bus is not there yet at start-up.
class LateBus : public BusFixture {
 protected:
  void SetUp() override {
    bus_.emplace(dir_.path());
    bus_->stop();
    populate(service_.model);
    EXPECT_FALSE(service_.start(options()));
  }
};

TEST_F(LateBus, ServiceStartsWithoutABusAndConnectsWhenItAppears) {
  EXPECT_TRUE(logHas(service_, "cannot publish org.cwmpd on D-Bus"));
  EXPECT_FALSE(service_.connected());
  bus_->start();
  ASSERT_TRUE(eventually([this] { return service_.connected(); }));
  EXPECT_EQ(cwmpctl({"get", "Device.DeviceInfo.Manufacturer"}).out,
            "Device.DeviceInfo.Manufacturer = ACME\n");
}

TEST(BusAddressNone, DisablesTheServiceWithoutAnyConnection) {
  ServiceRunner service;
  bus::BusOptions options;
  options.address = "none";
  EXPECT_TRUE(service.start(options));
  EXPECT_FALSE(service.connected());
  EXPECT_TRUE(logHas(service, "disabled"));
}

}  // namespace
}  // namespace cwmpd::testing
