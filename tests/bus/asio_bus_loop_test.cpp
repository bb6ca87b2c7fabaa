// The sd-bus connection on asio: idle means asleep, and calls are served from the loop.
#include "asio_bus_loop.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "cwmpd/bus/proxies.hpp"
#include "private_bus.hpp"

namespace cwmpd::bus {
namespace {

using testing::PrivateBus;
using testing::TempDir;

TEST(AsioBusLoop, AnIdleConnectionRunsNoHandlersUntilSomethingArrives) {
  TempDir dir;
  PrivateBus bus(dir.path());
  auto connection = sdbus::createSessionBusConnectionWithAddress(bus.address());
  boost::asio::io_context io;
  bool failed = false;
  AsioBusLoop loop(io, *connection, [&](const std::string&) { failed = true; });
  loop.start();
  io.run_for(std::chrono::milliseconds(50));  // whatever the connection had pending
  // A busy loop would run thousands of handlers here; a sleeping one runs none.
  EXPECT_EQ(io.run_for(std::chrono::milliseconds(300)), 0u);
  EXPECT_FALSE(failed);
}

TEST(AsioBusLoop, ReportsTheFailureOnceWhenTheBusGoesAway) {
  TempDir dir;
  PrivateBus bus(dir.path());
  auto connection = sdbus::createSessionBusConnectionWithAddress(bus.address());
  boost::asio::io_context io;
  int failures = 0;
  AsioBusLoop loop(io, *connection, [&](const std::string&) { ++failures; });
  loop.start();
  io.run_for(std::chrono::milliseconds(50));
  bus.stop();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (failures == 0 && std::chrono::steady_clock::now() < deadline) {
    io.run_for(std::chrono::milliseconds(50));
  }
  io.run_for(std::chrono::milliseconds(100));
  EXPECT_EQ(failures, 1);
}

}  // namespace
}  // namespace cwmpd::bus
