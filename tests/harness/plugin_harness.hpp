// Runs real plugin .so files inside a real engine on the sim HAL, for plugin tests:
//
//   PluginHarness h("Device", {"deviceinfo", "wifi"});      // copies config/sim to a temp dir
//   h.engine->getValues({"Device.WiFi."});
//
// Host::post work and plugin timers run on `io`, which only turns while a test calls
// runUntil() (the test thread is then the main loop): work a plugin's thread posts runs there.
//
// The plugin directory comes from CWMPD_BUILD_DIR (set by tests/CMakeLists.txt) +
// "/lib/plugins"; the demo sim data from CWMPD_SOURCE_DIR + "/config/sim".
#pragma once

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cwmpd/core/config.hpp"
#include "cwmpd/core/engine.hpp"
#include "cwmpd/core/plugin_host.hpp"
#include "cwmpd/core/store.hpp"
#include "cwmpd/hal/factory.hpp"

#include "../support/run_loop.hpp"

namespace cwmpd::testing {

inline std::string envOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

// Puts a HAL of the test's own between the plugins and the sim backend (a counting one).
using HalWrapper = std::function<std::unique_ptr<hal::Hal>(std::unique_ptr<hal::Hal>)>;

class PluginHarness {
 public:
  // `extraConfig` is INI text appended to the generated config (plugin sections).
  PluginHarness(const std::string& root, const std::vector<std::string>& plugins,
                const std::string& extraConfig = {}, const std::string& stateDir = {},
                const HalWrapper& wrapHal = {}) {
    namespace fs = std::filesystem;
    if (stateDir.empty()) {
      std::string tmpl = (fs::temp_directory_path() / "cwmpd-plugin-XXXXXX").string();
      if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
      dir = tmpl;
      owned_ = true;
      fs::copy(envOr("CWMPD_SOURCE_DIR", ".") + "/config/sim", dir + "/sim",
               fs::copy_options::recursive);
    } else {
      dir = stateDir;
    }
    config = core::Config::parse("[cpe]\nroot = " + root + "\n" + extraConfig, "harness.conf");
    store = std::make_unique<core::Store>(dir + "/model.db");
    store->load();
    hal::HalConfig hc;
    hc.backend = "sim";
    hc.simDir = dir + "/sim";
    hal = hal::makeHal(hc);
    if (wrapHal) hal = wrapHal(std::move(hal));
    store->attachDirectory(dir + "/plugins");  // as the daemon does: wipe() removes it
    engine = std::make_unique<core::Engine>(root, *store);
    host = std::make_unique<core::PluginHost>(
        *engine, config, *hal,
        core::PluginHostServices{
            [this](std::function<void()> f) { boost::asio::post(io, std::move(f)); },
            [this](const std::string& c, const std::string&) { events.push_back(c); }, &io});
    host->setStateRoot(dir + "/plugins");
    const std::string pluginDir = envOr("CWMPD_BUILD_DIR", ".") + "/lib/plugins";
    for (const auto& p : plugins)
      if (!host->loadFile(pluginDir + "/" + p + ".so")) throw std::runtime_error(host->lastError());
    engine->finalize();
    host->startAll();
  }
  ~PluginHarness() {
    host->stopAll();
    engine.reset();  // handlers die before their libraries unload
    host.reset();
    if (owned_) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  }
  std::string value(const std::string& path) { return engine->getValues({path}).at(0).value; }
  // Runs the main loop (plugin timers) until `done()` holds or `timeout` passes.
  template <typename Done>
  bool runUntil(Done&& done, std::chrono::milliseconds timeout) {
    return testing::runUntil(io, std::forward<Done>(done), timeout);
  }
  // Sets one value as the ACS would: the fault code of the refusal, 0 when accepted.
  int setFaultCode(const std::string& path, const std::string& value) {
    try {
      engine->setValues({{path, value}}, sdk::Source::Acs);
    } catch (const core::SetFault& f) {
      return f.code();
    }
    return 0;
  }

  boost::asio::io_context io;  // declared first: the plugins' timers die before it
  std::string dir;             // temp state: model.db and sim/
  core::Config config;
  std::unique_ptr<core::Store> store;
  std::unique_ptr<hal::Hal> hal;
  std::unique_ptr<core::Engine> engine;
  std::unique_ptr<core::PluginHost> host;
  std::vector<std::string> events;

 private:
  bool owned_ = false;
};

}  // namespace cwmpd::testing
