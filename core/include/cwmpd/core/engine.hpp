// The data model engine: owns the definitions (from plugins' documents), the instance
// tree, the persisted values, attributes and instance numbers, and runs every get/set/
// add/delete as a transaction across plugins.
//
// Life cycle: construct, let every plugin register (registrar()), finalize() (builds
// the tree and loads the store), then start plugins. Threading: main loop only.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cwmpd/core/data_model.hpp"
#include "cwmpd/core/store.hpp"
#include "cwmpd/sdk/plugin.hpp"

namespace cwmpd::core {

class PluginFirewall;  // core/src/plugin/firewall.hpp

class Engine : public DataModel {
 public:
  // `root` is "Device" or "InternetGatewayDevice". `store` holds model state.
  Engine(std::string root, Store& store);
  ~Engine() override;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // --- registration (before finalize) ---
  // Starts registration for plugin `name`; the returned registrar is valid until
  // endRegistration(). `host` is handed to the plugin through Registrar::host().
  sdk::Registrar& beginRegistration(const std::string& pluginName, sdk::Host& host);
  // Keeps (ok=true) or backs out (ok=false) everything the plugin registered.
  void endRegistration(bool ok);
  // Core-owned definitions (tests, the engine's own objects). Throws on bad XML.
  void addDefinitions(std::string_view xml, const std::string& owner = "core");
  // Builds the instance tree and loads persisted instances, values and attributes.
  // Throws StoreError if the store cannot be read.
  void finalize();

  // --- DataModel ---
  std::vector<ParameterValue> getValues(const std::vector<std::string>& names) override;
  void visitValues(const std::vector<std::string>& names, const ValueVisitor& visit) override;
  std::size_t countValues(const std::vector<std::string>& names) override;
  int setValues(const std::vector<std::pair<std::string, std::string>>& values, sdk::Source source,
                const std::optional<std::string>& parameterKey = std::nullopt) override;
  std::vector<ParameterInfo> getNames(std::string_view path, bool nextLevel) override;
  void visitNames(std::string_view path, bool nextLevel, const NameVisitor& visit) override;
  std::vector<ParameterAttributes> getAttributes(const std::vector<std::string>& names) override;
  void setAttributes(const std::vector<AttributeUpdate>& updates) override;
  std::uint32_t addObject(std::string_view path, sdk::Source source,
                          const std::optional<std::string>& parameterKey = std::nullopt) override;
  void deleteObject(std::string_view path, sdk::Source source,
                    const std::optional<std::string>& parameterKey = std::nullopt) override;
  void addChangeListener(ChangeListener listener) override;
  const std::string& root() const override;
  std::vector<ParameterDefinitionInfo> definitions() const override;
  std::vector<std::string> forcedInformParameters() override;

  // --- for the daemon's own components (session engine, plugin host) ---
  // Value without the secret masking (the session needs ManagementServer.Password).
  // Throws Fault 9005.
  std::string rawValue(std::string_view path);
  bool exists(std::string_view path);
  // The plugin that answers for a parameter (the one reading it, else the one defining it),
  // "core" for the core's own, "" for an unknown path: for log lines.
  [[nodiscard]] std::string pluginOf(std::string_view path);
  // Sets a core-stored value bypassing access rules (ConnectionRequestURL, ...).
  // `persist` keeps it across restarts. Notifies listeners with `source`.
  void setInternal(std::string_view path, std::string_view value, bool persist,
                   sdk::Source source = sdk::Source::Internal);
  // The firewall every call into plugin code passes (the plugin host shares it).
  PluginFirewall& firewall();
  // Host services for plugins.
  std::uint32_t ensureInstance(std::string_view table, std::string_view key);
  void removeInstance(std::string_view instancePath);
  void pluginValueChanged(std::string_view path);
  void setInitial(std::string_view path, std::string_view value);
  // While held, changes are persisted only when released (plugins creating thousands of
  // instances at start would otherwise rewrite the store for each).
  void holdCommits(bool hold);
  // ACS sessions batch plugin flushes: inside a session flushes wait for endSession().
  void beginSession();
  void endSession();
  // Every existing parameter whose notification attribute is passive (1) or active (2),
  // with that attribute and whether a plugin can push its changes (else it is sampled).
  struct Notified {
    std::string path;
    int notification;
    bool live;  // read through a plugin getter: changes are found by sampling
  };
  [[nodiscard]] std::vector<Notified> notifiedParameters();
  // Vendor event codes plugins declared.
  [[nodiscard]] const std::set<std::string>& vendorEvents() const;
  // Wipes everything persisted (factory reset); the caller restarts the daemon.
  void wipeStore();

  // Vendor configuration file ("3 Vendor Configuration File" of Download/Upload): the
  // persisted values of writable parameters (secrets excluded), the attributes and the
  // instances created through the ACS or the bus, as text (a "cwmpd-config 1 <root>"
  // line, then one tab-separated O/V/A line each).
  [[nodiscard]] std::string exportConfiguration();
  // Replaces that persisted configuration with `text`, atomically: every line is checked
  // against the definitions first (Fault 9018 naming the first bad line; nothing
  // changes), then the store is rewritten in one commit, keeping secrets and read-only
  // values. The running tree is not touched: the caller restarts the daemon.
  void importConfiguration(const std::string& text);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace cwmpd::core
