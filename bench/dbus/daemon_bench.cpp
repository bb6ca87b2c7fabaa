// The same round trips against the real cwmpd: the synthetic plugin serves
// Device.X_CWMPD_Synthetic.Item.1-100 (ten parameters each, 1,000 in all) on the simulated
// box; no ACS answers (the agent keeps retrying in the background, as on a box whose ACS is
// down).
#include <benchmark/benchmark.h>

#include <fstream>
#include <memory>
#include <optional>

#include "cwmpd/bus/proxies.hpp"
#include "private_bus.hpp"
#include "process.hpp"
#include "round_trip.hpp"

namespace {

namespace fs = std::filesystem;
using cwmpd::testing::Child;
using cwmpd::testing::PrivateBus;
using cwmpd::testing::TempDir;

struct DaemonSetup {
  DaemonSetup() : bus(dir.path()) {
    fs::copy(fs::path(CWMPD_SOURCE_DIR_PATH) / "config" / "sim", dir.path() / "sim",
             fs::copy_options::recursive);
    const fs::path config = dir.path() / "cwmpd.conf";
    std::ofstream(config) << "[acs]\nurl = http://127.0.0.1:9/acs\nperiodic_inform_enable = false\n"
                          << "[cpe]\nroot = Device\nconnection_request_enable = false\n"
                          << "[bus]\naddress = " << bus.address() << "\n"
                          << "[hal]\nbackend = sim\nsim_dir = sim\n"
                          << "[store]\ndir = store\n"
                          << "[plugins]\ndir = " << CWMPD_PLUGIN_DIR << "\n"
                          << "[synthetic]\ninstances = 100\n"
                          << "[log]\nlevel = warning\n";
    daemon = std::make_unique<Child>(
        std::vector<std::string>{CWMPD_PATH, "--config", config.string()}, dir.path(), "cwmpd");
    connection = sdbus::createSessionBusConnectionWithAddress(bus.address());
    proxy.emplace(*connection);
    for (int i = 0; i < 300; ++i) {  // up to 30 s for the daemon to publish itself
      try {
        (void)proxy->GetParameterValues({"Device.DeviceInfo.UpTime"});
        return;
      } catch (const sdbus::Error&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    throw std::runtime_error("cwmpd did not come up: " + daemon->currentErr());
  }

#ifdef CWMPD_EXAMPLE_PROVIDER_PATH
  // The example provider (bus/examples) as a separate process, registered over D-Bus.
  void startProvider() {
    if (provider) return;
    provider = std::make_unique<Child>(
        std::vector<std::string>{CWMPD_EXAMPLE_PROVIDER_PATH, "--address", bus.address(),
                                 "--definitions", CWMPD_EXAMPLE_PROVIDER_XML},
        dir.path(), "provider");
    for (int i = 0; i < 100; ++i) {
      if (provider->currentOut().find("registered") != std::string::npos) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    throw std::runtime_error("the provider did not register: " + provider->currentErr());
  }
#endif
  ~DaemonSetup() {
    if (provider) (void)provider->terminate();
    proxy.reset();
    connection.reset();
    if (daemon) (void)daemon->terminate();
  }

  TempDir dir;
  PrivateBus bus;
  std::unique_ptr<Child> daemon;
  std::unique_ptr<Child> provider;
  std::unique_ptr<sdbus::IConnection> connection;
  std::optional<cwmpd::bus::DataModelProxy> proxy;
};

DaemonSetup& daemonSetup() {
  static DaemonSetup instance;
  return instance;
}

void BM_Daemon_GetOneParameter(benchmark::State& state) {
  cwmpd::bench::measureGets(state, *daemonSetup().proxy, "Device.DeviceInfo.SoftwareVersion", 1);
}
BENCHMARK(BM_Daemon_GetOneParameter)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_Daemon_GetSubtreeOf1000Parameters(benchmark::State& state) {
  cwmpd::bench::measureGets(state, *daemonSetup().proxy, "Device.X_CWMPD_Synthetic.Item.", 1000);
}
BENCHMARK(BM_Daemon_GetSubtreeOf1000Parameters)->Unit(benchmark::kMicrosecond)->UseRealTime();

#ifdef CWMPD_EXAMPLE_PROVIDER_PATH
// Issue 18: a parameter served by a provider process: caller -> cwmpd -> provider (Get) ->
// cwmpd -> caller, two D-Bus round trips through the dbus-daemon.
void BM_Daemon_GetOneProviderParameter(benchmark::State& state) {
  daemonSetup().startProvider();
  cwmpd::bench::measureGets(state, *daemonSetup().proxy, "Device.X_00005E_Provider.Greeting", 1);
}
BENCHMARK(BM_Daemon_GetOneProviderParameter)->Unit(benchmark::kMicrosecond)->UseRealTime();
#endif

}  // namespace
