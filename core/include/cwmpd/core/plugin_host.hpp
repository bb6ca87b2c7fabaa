// Loads parameter plugins (.so, Boost.DLL) and hosts them. Kea-style fixed order per
// file: open, ABI version, info (toolchain), create, register. Any failure is logged
// with the file name, everything the plugin registered is backed out, and loading
// goes on with the next file.
//
// Threading: main loop only (Host::post excepted).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cwmpd/core/clock.hpp"
#include "cwmpd/core/config.hpp"
#include "cwmpd/core/plugin_model.hpp"
#include "cwmpd/sdk/plugin.hpp"

namespace boost::asio {
class io_context;
}

namespace cwmpd::core {

struct PluginHostServices {
  // Runs work on the main loop; must be thread-safe.
  std::function<void(std::function<void()>)> post;
  // Queues an event for the next Inform (set by the session engine).
  std::function<void(const std::string& code, const std::string& commandKey)> raiseEvent;
  // The main loop, for plugin timers (Host::startTimer). Without it (and without
  // `clock`) a plugin's timer request throws std::logic_error.
  boost::asio::io_context* loop = nullptr;
  // Time of the plugins' timers and of the firewall's failure window (null: the system's
  // clocks on `loop`). Tests pass a manual clock.
  std::shared_ptr<Clock> clock{};
};

class PluginHost {
 public:
  PluginHost(PluginModel& engine, const Config& config, hal::Hal& hal, PluginHostServices services);
  ~PluginHost();
  PluginHost(const PluginHost&) = delete;
  PluginHost& operator=(const PluginHost&) = delete;

  // Where the plugins' own directories go (sdk::Host::stateDir(): "<dir>/<plugin name>").
  // Attach `dir` to the model store (Store::attachDirectory) so that a factory reset
  // removes them. Not set: the plugins get no directory.
  void setStateRoot(std::string dir) { stateRoot_ = std::move(dir); }

  // Loads every "*.so" of `dir` in name order; when `enable` is not empty only the
  // plugins whose file stem is listed. Returns how many loaded.
  std::size_t loadDirectory(const std::string& dir, const std::vector<std::string>& enable);
  // The config keys the plugins of `dir` declare (CWMPD_PLUGIN_CONFIG_KEYS, see
  // cwmpd/sdk/config_keys.hpp), read without creating or starting any plugin; for the
  // config check before anything starts (and for --check-config). Every "*.so" built for
  // this host's ABI counts, enabled or not: a config may keep the section of a plugin it
  // does not enable. Files that are not loadable plugins declare nothing.
  static std::vector<ConfigKeySpec> declaredConfigKeys(const std::string& dir);
  // Loads one file; false (and a logged reason, also in lastError()) on failure.
  bool loadFile(const std::string& path);
  // Registers a plugin object linked into the binary (tests, built-ins).
  bool addBuiltin(std::unique_ptr<sdk::Plugin> plugin, const std::string& name);

  // After Engine::finalize(): calls start() on every plugin. A plugin whose start fails
  // is logged and disabled (PluginFirewall): it stays loaded, its parameters answer 9002.
  void startAll();
  // Calls stop() on every started plugin (reverse order), cancels its timers and drops
  // its posted work that has not run yet.
  void stopAll();

  void setEventSink(std::function<void(const std::string&, const std::string&)> sink);

  [[nodiscard]] std::vector<std::string> names() const;

  // A vendor FileType a plugin declared (Registrar::fileType), for the daemon to hand to
  // the transfer manager. The handler passes the firewall: a plugin's exception other
  // than sdk::Fault becomes Fault 9002 with the plugin named in the log. The handlers refer to
  // plugin code: drop them before the plugins are unloaded (destroying the PluginHost).
  struct FileType {
    std::string type;
    std::string plugin;
    sdk::FileTypeHandler handler;
  };
  [[nodiscard]] const std::vector<FileType>& fileTypes() const { return fileTypes_; }
  // The execution environments plugins declared (Registrar::executionEnvironment), each
  // behind the firewall: a plugin's exception other than sdk::Fault becomes Fault 9002
  // with the plugin named in the log, and a disabled plugin's EE answers 9002. Like the
  // file types, drop them before the plugins are unloaded.
  struct ExecEnv {
    std::string plugin;
    std::shared_ptr<sdk::ExecutionEnvironment> environment;
  };
  [[nodiscard]] const std::vector<ExecEnv>& executionEnvironments() const { return execEnvs_; }
  [[nodiscard]] const std::string& lastError() const { return lastError_; }

 private:
  struct Loaded;
  class HostAdapter;
  class RegistrarAdapter;
  bool registerPlugin(std::unique_ptr<Loaded> loaded);
  PluginModel& engine_;
  const Config& config_;
  hal::Hal& hal_;
  PluginHostServices services_;
  std::shared_ptr<Clock> clock_;  // services_.clock, or the system's on services_.loop
  std::string stateRoot_;
  std::vector<std::unique_ptr<Loaded>> plugins_;
  std::vector<FileType> fileTypes_;
  std::vector<ExecEnv> execEnvs_;
  std::string lastError_;
};

}  // namespace cwmpd::core
