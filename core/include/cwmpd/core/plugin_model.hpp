// What the plugin host needs of the data model: registration of each plugin's
// definitions and bindings, the firewall every call into plugin code passes, and the
// services behind sdk::Host (instances by key, change reports, initial values, reads).
// Used by the plugin host (core/src/plugin/plugin_host.cpp) and by the transfer manager,
// which publishes vendor files as instances the way a plugin does; the Engine
// implements it.
//
// Threading: main loop only.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "cwmpd/sdk/plugin.hpp"

namespace cwmpd::core {

class PluginFirewall;  // core/src/plugin/firewall.hpp

class PluginModel {
 public:
  virtual ~PluginModel() = default;

  // Starts registration for plugin `name`; the returned registrar is valid until
  // endRegistration(). `host` is handed to the plugin through Registrar::host().
  virtual sdk::Registrar& beginRegistration(const std::string& pluginName, sdk::Host& host) = 0;
  // Keeps (ok=true) or backs out (ok=false) everything the plugin registered.
  virtual void endRegistration(bool ok) = 0;
  // The firewall every call into plugin code passes (the plugin host shares it).
  virtual PluginFirewall& firewall() = 0;

  [[nodiscard]] virtual const std::string& root() const = 0;
  [[nodiscard]] virtual bool exists(std::string_view path) = 0;
  [[nodiscard]] virtual std::string rawValue(std::string_view path) = 0;
  virtual void setInternal(std::string_view path, std::string_view value, bool persist,
                           sdk::Source source = sdk::Source::Internal) = 0;
  [[nodiscard]] virtual const std::set<std::string>& vendorEvents() const = 0;

  // Host services. ensureInstance persists the number it hands out (a transaction:
  // 9002 and nothing created when the store cannot keep it).
  virtual std::uint32_t ensureInstance(std::string_view table, std::string_view key) = 0;
  virtual void removeInstance(std::string_view instancePath) = 0;
  virtual void pluginValueChanged(std::string_view path) = 0;
  virtual void setInitial(std::string_view path, std::string_view value) = 0;
  // While held, changes are persisted only when released (plugins creating thousands of
  // instances at start would otherwise rewrite the store for each).
  virtual void holdCommits(bool hold) = 0;
};

}  // namespace cwmpd::core
