#include "plugin/firewall.hpp"

#include "cwmpd/core/log.hpp"

namespace cwmpd::core {

void PluginFirewall::disable(const std::string& plugin, const std::string& why) noexcept {
  try {
    if (!disabled_.insert(plugin).second) return;
    failures_.erase(plugin);
    CWMPD_LOG(Error, "plugin " + plugin,
              "disabled until the daemon restarts (" << why << "); its parameters answer 9002");
  } catch (...) {
    // Out of memory while logging: the plugin stays in service; nothing may leave here.
  }
}

sdk::Fault PluginFirewall::disabledFault(const std::string& plugin) {
  return sdk::Fault(sdk::FaultCode::InternalError,
                    "plugin " + plugin + " is disabled after repeated failures");
}

void PluginFirewall::failed(const std::string& plugin, const char* what,
                            const char* message) noexcept {
  try {
    CWMPD_LOG(Error, "plugin " + plugin, what << " failed: " << message);
    const auto now = clock_ ? clock_->steadyNow() : std::chrono::steady_clock::now();
    auto& times = failures_[plugin];
    times.push_back(now);
    while (!times.empty() && now - times.front() > kFailureWindow) times.pop_front();
    if (times.size() >= static_cast<std::size_t>(kFailureLimit))
      disable(plugin, std::to_string(kFailureLimit) + " failures within " +
                          std::to_string(kFailureWindow.count()) + " s");
  } catch (...) {
    // As above: the firewall itself never throws past its caller.
  }
}

}  // namespace cwmpd::core
