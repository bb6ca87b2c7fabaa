// Small helpers for plugins whose live values change without telling anyone: a periodic
// task posted to the main loop, and a watch that turns observed changes of live values
// into Host::valueChanged() (what drives active notifications for getter-read values).
//
// Header-only; the voip plugin includes it too.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cwmpd/sdk/plugin.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

namespace cwmpd::plugins {

// Runs `work` on the main loop every `seconds`: a timer thread posts it with Host::post.
// stop() (or the destructor) ends the thread; work already posted then does nothing.
class PeriodicTask {
 public:
  PeriodicTask() = default;
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;
  ~PeriodicTask() { stop(); }

  void start(sdk::Host& host, long seconds, std::function<void()> work) {
    if (seconds <= 0) return;
    auto alive = alive_;
    auto shared = std::make_shared<std::function<void()>>(std::move(work));
    thread_ = std::jthread([&host, seconds, alive, shared](std::stop_token stop) {
      std::mutex m;
      std::condition_variable_any cv;
      std::unique_lock lock(m);
      while (!stop.stop_requested()) {
        cv.wait_for(lock, stop, std::chrono::seconds(seconds), [] { return false; });
        if (stop.stop_requested()) break;
        host.post([alive, shared] {
          if (*alive) (*shared)();
        });
      }
    });
  }

  // Main loop only (the posted work checks the flag there).
  void stop() {
    *alive_ = false;
    if (thread_.joinable()) {
      thread_.request_stop();
      thread_.join();
    }
  }

 private:
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::jthread thread_;
};

// Reports a live value to the core when it differs from what was last observed.
class ChangeWatch {
 public:
  void observe(sdk::Host& host, const std::string& path, const std::string& value) {
    auto [it, fresh] = last_.try_emplace(path, value);
    if (fresh || it->second == value) return;
    it->second = value;
    host.valueChanged(path);
  }

 private:
  std::map<std::string, std::string> last_;
};

// A positive number of seconds from the config, or `fallback`.
inline long configSeconds(sdk::Host& host, const char* section, const char* key, long fallback) {
  try {
    return std::stol(host.config(section, key, std::to_string(fallback)));
  } catch (const std::exception&) {
    host.log(sdk::LogLevel::Warning, std::string("[") + section + "] " + key + " is not a number");
    return fallback;
  }
}

}  // namespace cwmpd::plugins
