// An engine with a plugin host on a sim HAL over an empty temp directory: what the
// plugin-loading tests load .so files into. The state directory is removed at the end.
// Host::post work runs at once; plugin timers run on `io` while a test calls runUntil()
// (the test thread is then the main loop).
#pragma once

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
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

class LoadingFixture {
 public:
  // `extraConfig`: more of the daemon's INI text (plugin sections). `clock`: the time of
  // the plugins' timers and of the firewall (null: the system's, on `io`).
  explicit LoadingFixture(const std::string& root = "Device", const std::string& extraConfig = "",
                          std::shared_ptr<core::Clock> clock = nullptr) {
    namespace fs = std::filesystem;
    std::string tmpl = (fs::temp_directory_path() / "cwmpd-load-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    dir = tmpl;
    fs::create_directories(dir / "sim");
    config = core::Config::parse("[cpe]\nroot = " + root + "\n" + extraConfig, "loading.conf");
    store = std::make_unique<core::Store>((dir / "model.db").string());
    store->load();
    hal::HalConfig hc;
    hc.backend = "sim";
    hc.simDir = (dir / "sim").string();
    hal = hal::makeHal(hc);
    engine = std::make_unique<core::Engine>(root, *store);
    host = std::make_unique<core::PluginHost>(
        *engine, config, *hal,
        core::PluginHostServices{
            [](std::function<void()> f) { f(); },
            [this](const std::string& code, const std::string&) { events.push_back(code); }, &io,
            std::move(clock)});
  }
  ~LoadingFixture() {
    host->stopAll();
    engine.reset();  // handlers die before their libraries unload
    host.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  // Runs the main loop until `done()` holds or `timeout` passes; whether `done()` held.
  template <typename Done>
  bool runUntil(Done&& done, std::chrono::milliseconds timeout) {
    return testing::runUntil(io, std::forward<Done>(done), timeout);
  }
  // Runs the main loop for `span` (to show that nothing more happens).
  void runFor(std::chrono::milliseconds span) { testing::runFor(io, span); }
  LoadingFixture(const LoadingFixture&) = delete;
  LoadingFixture& operator=(const LoadingFixture&) = delete;

  boost::asio::io_context io;  // declared first: the plugins' timers die before it
  std::filesystem::path dir;
  core::Config config;
  std::unique_ptr<core::Store> store;
  std::unique_ptr<hal::Hal> hal;
  std::unique_ptr<core::Engine> engine;
  std::unique_ptr<core::PluginHost> host;
  std::vector<std::string> events;
};

}  // namespace cwmpd::testing
