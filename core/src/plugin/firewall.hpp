// The one firewall every entry into plugin code passes: registerModel, start and stop,
// getters, validate/apply/rollback, add/delete, flush, work posted with Host::post,
// timers and vendor file-type handlers. The engine and the plugin host both call
// through it with the plugin's name.
//
// - sdk::Fault thrown where somebody gets an answer (a getter, a handler) is the
//   plugin's refusal: it passes unchanged and is not a failure.
// - Anything else (std::exception, a non-standard exception, a Fault where nobody can
//   answer: posted work, a timer, start/stop) is logged with the plugin's name and
//   counted; where an answer is due it becomes Fault 9002.
// - kFailureLimit failures within kFailureWindow disable the plugin until the daemon
//   restarts: its code is not called again and its subtree answers 9002, while every
//   other plugin and the core carry on. A failed start() disables at once: the plugin
//   has no consistent state to serve from. The limit keeps a plugin that throws on every
//   read of a large table from flooding the log, and a plugin that fails now and then
//   (a flaky sensor read) in service.
//
// Threading: main loop only.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "cwmpd/core/clock.hpp"
#include "cwmpd/sdk/fault.hpp"

namespace cwmpd::core {

class PluginFirewall {
 public:
  static constexpr int kFailureLimit = 5;
  static constexpr std::chrono::seconds kFailureWindow{60};

  // Runs plugin code whose caller expects an answer: the result, the plugin's own
  // sdk::Fault, or Fault 9002 for anything else and for a disabled plugin.
  template <typename F>
  auto call(const std::string& plugin, const char* what, F&& f) -> decltype(f()) {
    if (disabled(plugin)) throw disabledFault(plugin);
    try {
      return f();
    } catch (const sdk::Fault&) {
      throw;
    } catch (const std::exception& e) {
      failed(plugin, what, e.what());
      throw sdk::Fault(sdk::FaultCode::InternalError, "plugin " + plugin + ": " + e.what());
    } catch (...) {
      failed(plugin, what, "a non-standard exception");
      throw sdk::Fault(sdk::FaultCode::InternalError, "plugin " + plugin + " failed");
    }
  }

  // Runs plugin code nobody waits on (posted work, a timer, start, stop): nothing leaves.
  // False when the code threw or the plugin is disabled (then it is not run).
  template <typename F>
  bool run(const std::string& plugin, const char* what, F&& f) noexcept {
    return !disabled(plugin) && release(plugin, what, std::forward<F>(f));
  }

  // Like run(), but also for a disabled plugin: stop() releases threads and hardware.
  template <typename F>
  bool release(const std::string& plugin, const char* what, F&& f) noexcept {
    try {
      f();
      return true;
    } catch (const std::exception& e) {
      failed(plugin, what, e.what());
    } catch (...) {
      failed(plugin, what, "a non-standard exception");
    }
    return false;
  }

  [[nodiscard]] bool disabled(std::string_view plugin) const {
    return !disabled_.empty() && disabled_.count(plugin) != 0;
  }
  // Whether any plugin is disabled (a cheap test before a per-parameter lookup).
  [[nodiscard]] bool anyDisabled() const { return !disabled_.empty(); }
  // Takes the plugin out of service now (logged once with `why`).
  void disable(const std::string& plugin, const std::string& why) noexcept;
  // The time the failure window is measured on (the plugin host's clock; until it is set,
  // the system's monotonic clock).
  void setClock(std::shared_ptr<const Clock> clock) { clock_ = std::move(clock); }
  // The answer a disabled plugin's subtree gives.
  [[nodiscard]] static sdk::Fault disabledFault(const std::string& plugin);

 private:
  void failed(const std::string& plugin, const char* what, const char* message) noexcept;

  std::map<std::string, std::deque<std::chrono::steady_clock::time_point>, std::less<>> failures_;
  std::set<std::string, std::less<>> disabled_;
  std::shared_ptr<const Clock> clock_;
};

}  // namespace cwmpd::core
