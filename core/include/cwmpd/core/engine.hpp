// The data model engine: owns the definitions (from plugins' documents), the instance
// tree, the persisted values, attributes and instance numbers, and runs every change as
// one transaction (core/src/txn) across the tree, the store and the plugins.
//
// It is a facade over the roles in core/src/model (tree and definitions, path
// resolution, attributes and notification state, persistence keys and instance
// numbering, registration, the vendor configuration file) and core/src/txn (the
// transaction). Consumers take the narrow interface they need, not this class:
//   DataModel            the RPC dispatcher and bus/ (D-Bus)
//   SessionModel         the session engine and the notification tracker
//   PluginModel          the plugin host (sdk::Host services) and the transfer manager
//   VendorConfiguration  the transfer hooks (vendorConfiguration())
//   RemoteSubtrees       bus/ (D-Bus providers serving subtrees, engine_remote.cpp)
// Only the daemon (and tests) construct it.
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
#include "cwmpd/core/plugin_model.hpp"
#include "cwmpd/core/remote_subtree.hpp"
#include "cwmpd/core/session_model.hpp"
#include "cwmpd/core/store.hpp"
#include "cwmpd/core/vendor_config.hpp"
#include "cwmpd/sdk/plugin.hpp"

namespace cwmpd::core {

class Engine final : public SessionModel, public PluginModel, public RemoteSubtrees {
 public:
  // `root` is "Device" or "InternetGatewayDevice". `store` holds model state.
  Engine(std::string root, Store& store);
  ~Engine() override;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // --- registration (before finalize) ---
  sdk::Registrar& beginRegistration(const std::string& pluginName, sdk::Host& host) override;
  void endRegistration(bool ok) override;
  // Core-owned definitions (tests, the engine's own objects). Throws on bad XML.
  void addDefinitions(std::string_view xml, const std::string& owner = "core");
  // Builds the instance tree and loads persisted instances, values and attributes.
  // Throws StoreError if the store cannot be read.
  void finalize();

  // --- DataModel ---
  std::vector<ParameterValue> getValues(const std::vector<std::string>& names) override;
  void visitValues(const std::vector<std::string>& names, const ValueVisitor& visit) override;
  std::size_t countValues(const std::vector<std::string>& names) override;
  std::unique_ptr<NameList> newNameList() override;
  std::unique_ptr<NameAhead> newNameAhead() override;
  void visitValues(const NameList& list, const ValueVisitor& visit) override;
  std::size_t countValues(const NameList& list) override;
  NewValues visitNewValues(NameList& list, const ValueVisitor& visit) override;
  std::vector<std::optional<sdk::ParamType>> parameterTypes(
      const std::vector<std::string>& names) override;
  int setValues(const std::vector<std::pair<std::string, std::string>>& values, sdk::Source source,
                const std::optional<std::string>& parameterKey = std::nullopt) override;
  std::unique_ptr<ValueList> newValueList(sdk::Source source) override;
  int applyValueList(ValueList& list, const std::optional<std::string>& parameterKey) override;
  std::vector<ParameterInfo> getNames(std::string_view path, bool nextLevel) override;
  void visitNames(std::string_view path, bool nextLevel, const NameVisitor& visit) override;
  std::size_t countNames(std::string_view path) override;
  std::vector<ParameterAttributes> getAttributes(const std::vector<std::string>& names) override;
  std::vector<ParameterAttributes> listAttributes(const NameList& list) override;
  void setAttributes(const std::vector<AttributeUpdate>& updates) override;
  std::unique_ptr<AttributeList> newAttributeList() override;
  void applyAttributes(const AttributeList& list) override;
  std::uint32_t addObject(std::string_view path, sdk::Source source,
                          const std::optional<std::string>& parameterKey = std::nullopt) override;
  void deleteObject(std::string_view path, sdk::Source source,
                    const std::optional<std::string>& parameterKey = std::nullopt) override;
  void addChangeListener(ChangeListener listener) override;
  const std::string& root() const override;
  std::vector<ParameterDefinitionInfo> definitions() const override;
  std::vector<std::string> forcedInformParameters() override;
  bool instanceAliasMode() override;
  std::string aliasPath(std::string_view name) override;
  std::string aliasValue(std::string_view name, std::string_view value) override;

  // --- SessionModel ---
  std::string rawValue(std::string_view path) override;
  bool exists(std::string_view path) override;
  [[nodiscard]] std::string pluginOf(std::string_view path) override;
  void setInternal(std::string_view path, std::string_view value, bool persist,
                   sdk::Source source = sdk::Source::Internal) override;
  void beginSession() override;
  void endSession() override;
  using Notified = NotifiedParameter;
  [[nodiscard]] std::vector<NotifiedParameter> notifiedParameters() override;
  [[nodiscard]] const std::set<std::string>& vendorEvents() const override;
  void wipeStore() override;

  // --- PluginModel ---
  PluginFirewall& firewall() override;
  std::uint32_t ensureInstance(std::string_view table, std::string_view key) override;
  void removeInstance(std::string_view instancePath) override;
  void pluginValueChanged(std::string_view path) override;
  void setInitial(std::string_view path, std::string_view value) override;
  void holdCommits(bool hold) override;

  // --- RemoteSubtrees (after finalize) ---
  MountId mount(const std::string& name, std::string_view definitions,
                std::shared_ptr<RemoteParticipant> participant) override;
  void unmount(MountId id) noexcept override;
  void remoteValuesChanged(MountId id, const std::vector<std::string>& names) override;

  // --- the vendor configuration file (Download/Upload "3 Vendor Configuration File") ---
  [[nodiscard]] VendorConfiguration& vendorConfiguration();

  struct Impl;
  class StagedSet;  // a set's entries staged one at a time (engine_changes.cpp)

 private:
  // SetParameterValues itself, once AutoCreateInstances made the rows it names.
  int setValuesNow(const std::vector<std::pair<std::string, std::string>>& values,
                   sdk::Source source, const std::optional<std::string>& parameterKey);
  // The set of the entries staged in `set`, committed (or its fault).
  int commitSet(StagedSet& set, sdk::Source source, const std::optional<std::string>& parameterKey);
  // TR-069 3.6.1 AutoCreateInstances: the rows "[alias]" names of `values` ask for
  // (ACS sets only); their paths, outermost first.
  std::vector<std::string> autoCreateRows(
      const std::vector<std::pair<std::string, std::string>>& values, sdk::Source source);
  // Whether an ACS set may create rows (ManagementServer.AutoCreateInstances).
  bool autoCreatesRows();
  std::unique_ptr<Impl> impl_;
};

}  // namespace cwmpd::core
