// Round trips of org.cwmpd.DataModel1.GetParameterValues through a private dbus-daemon:
// a C++ client (the generated proxy) on the benchmark thread, the service on its own
// io_context thread as in the daemon, the fake engine serving 1,000 parameters.
//
// Run (Release build): bench_dbus; p50_us is the median round trip, items_per_second the
// calls per second.
#include <benchmark/benchmark.h>

#include <memory>
#include <optional>

#include "cwmpd/bus/proxies.hpp"
#include "private_bus.hpp"
#include "process.hpp"
#include "round_trip.hpp"
#include "service_runner.hpp"

namespace {

using cwmpd::testing::PrivateBus;
using cwmpd::testing::ServiceRunner;
using cwmpd::testing::TempDir;

constexpr int kSubtreeSize = 1000;

// One bus, service and client for the whole run.
struct Setup {
  Setup() : bus(dir.path()) {
    for (int i = 1; i <= kSubtreeSize; ++i) {
      service.model.addParameter("Device.Hosts.Host." + std::to_string(i) + ".HostName",
                                 cwmpd::sdk::ParamType::String, "host-" + std::to_string(i));
    }
    service.model.addParameter("Device.DeviceInfo.SoftwareVersion", cwmpd::sdk::ParamType::String,
                               "1.0.3");
    cwmpd::bus::BusOptions options;
    options.address = bus.address();
    if (!service.start(options)) throw std::runtime_error("service did not start");
    connection = sdbus::createSessionBusConnectionWithAddress(bus.address());
    proxy.emplace(*connection);
  }

  TempDir dir;
  PrivateBus bus;
  ServiceRunner service;
  std::unique_ptr<sdbus::IConnection> connection;
  std::optional<cwmpd::bus::DataModelProxy> proxy;
};

Setup& setup() {
  static Setup instance;
  return instance;
}

void BM_GetOneParameter(benchmark::State& state) {
  cwmpd::bench::measureGets(state, *setup().proxy, "Device.DeviceInfo.SoftwareVersion", 1);
}
BENCHMARK(BM_GetOneParameter)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_GetSubtreeOf1000Parameters(benchmark::State& state) {
  cwmpd::bench::measureGets(state, *setup().proxy, "Device.Hosts.", kSubtreeSize);
}
BENCHMARK(BM_GetSubtreeOf1000Parameters)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
