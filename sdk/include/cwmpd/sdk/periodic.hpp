// Helpers for plugins whose live values change without telling anyone: a periodic
// refresh on the host's main loop, and a watch that turns observed changes of live values
// into Host::valueChanged() (what drives active notifications for getter-read values).
//
// Part of the SDK (header-only, since ABI 4); the refresh runs on Host timers, so no
// plugin needs a thread of its own for it.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>

#include "cwmpd/sdk/plugin.hpp"

namespace cwmpd::sdk {

// Runs `work` on the main loop every `seconds` (Host::startPeriodicTimer). stop() or the
// destructor cancels it; the host also cancels it when the plugin stops.
class PeriodicTask {
 public:
  PeriodicTask() = default;
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;
  ~PeriodicTask() { stop(); }

  // Main loop only. `seconds` <= 0: no refresh.
  void start(Host& host, long seconds, std::function<void()> work) {
    stop();
    if (seconds <= 0) return;
    id_ = host.startPeriodicTimer(std::chrono::seconds(seconds), std::move(work));
    host_ = &host;
  }

  void stop() {
    if (host_) host_->cancelTimer(id_);
    host_ = nullptr;
    id_ = 0;
  }

  [[nodiscard]] bool running() const { return host_ != nullptr; }

 private:
  Host* host_ = nullptr;
  TimerId id_ = 0;
};

// Reports a live value to the core when it differs from what was last observed.
class ChangeWatch {
 public:
  void observe(Host& host, const std::string& path, const std::string& value) {
    auto [it, fresh] = last_.try_emplace(path, value);
    if (fresh || it->second == value) return;
    it->second = value;
    host.valueChanged(path);
  }

 private:
  std::map<std::string, std::string> last_;
};

// A number of seconds from the config ([section] key), or `fallback` (logged) when the
// value is not a number.
inline long configSeconds(Host& host, const char* section, const char* key, long fallback) {
  try {
    return std::stol(host.config(section, key, std::to_string(fallback)));
  } catch (const std::exception&) {
    host.log(LogLevel::Warning, std::string("[") + section + "] " + key + " is not a number");
    return fallback;
  }
}

}  // namespace cwmpd::sdk
