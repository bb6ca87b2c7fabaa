// The engine's private state: its roles wired together (engine.hpp says which file
// holds which role). Shared by engine.cpp (registration, reads, session) and
// engine_changes.cpp (every change, each one transaction).
#pragma once

#include <map>
#include <memory>
#include <set>
#include <span>
#include <vector>

#include "cwmpd/core/engine.hpp"
#include "cwmpd/core/log.hpp"
#include "model/attributes.hpp"
#include "model/path_resolver.hpp"
#include "model/persistence.hpp"
#include "model/registrar.hpp"
#include "model/tree.hpp"
#include "model/vendor_config.hpp"
#include "plugin/firewall.hpp"
#include "txn/transaction.hpp"

namespace cwmpd::core {

inline constexpr const char* kModelLog = "model";

// The engine's roles, wired together. Each is in its own file; what is here is the
// glue: reads, change notification, the session's flush batching.
struct Engine::Impl {
  model::Tree tree;
  model::PathResolver resolver{tree};
  model::Persistence stored;
  model::AttributeTable attrs;
  model::PluginDeclarations declarations;
  PluginFirewall firewall;
  txn::Context ctx{tree, stored, firewall};
  model::VendorConfigFile vendorConfig{tree, resolver, ctx};
  std::vector<ChangeListener> listeners;
  std::set<int> dirtyPlugins;
  bool finalized = false;
  // Mounted providers by their plugin id (engine_remote.cpp).
  std::map<int, std::shared_ptr<RemoteParticipant>> mounts;
  // The loop's own changes while lent work waits for a provider (ModelLoan::queueOwnChange,
  // engine_changes.cpp): instance numbers handed out but not yet on disk, by table (the
  // next one free) and by (table, key), and rows whose removal is queued.
  std::map<std::string, std::uint32_t> reservedNext;
  std::map<std::pair<std::string, std::string>, std::uint32_t> reservedNumbers;
  std::set<std::string> queuedRemovals;

  // Registration in progress.
  int current = -1;
  std::unique_ptr<sdk::Registrar> registrar;

  Impl(std::string r, Store& s) : tree(std::move(r)), stored(s) {
    // TR-069 3.6.1: a plugin's (or a provider's) Alias names its row too.
    resolver.setAliasReader(
        [this](model::Node& row, const model::ParamDef& alias) { return read(row, alias, false); });
  }

  const std::string& pluginName(int id) const { return tree.pluginName(id); }

  std::string read(model::Node& n, const model::ParamDef& p, bool mask) {
    return read(n, p, mask, [&] { return tree.ref(n); });
  }
  // `refOf()` gives the getter's InstanceRef of `n`: a walk builds it once per object
  // and hands it to each of the object's getters.
  template <typename RefOf>
  std::string read(model::Node& n, const model::ParamDef& p, bool mask, RefOf&& refOf) {
    if (mask && p.secret) return {};
    if (p.builtin) return p.builtin(&n);
    txn::checkInService(ctx, p.plugin);
    if (p.getter)
      return firewall.call(pluginName(p.plugin), "get", [&] { return p.getter(refOf()); });
    return n.values[p.index];
  }

  // `value` for pathRef parameter `p` with the rows it names by "[alias]" named by
  // number (engine_alias.cpp).
  std::string normalizeReferences(const model::ParamDef& p, std::string_view value);

  // What a NameAhead of this engine found for a name, while it still holds; kind None
  // when the name is to be resolved now (engine_names.cpp).
  static model::Location aheadLocation(const DataModel::Ahead& ahead);

  // GetParameterValues of resolved names, in order (engine_names.cpp).
  void visitValuesAt(std::span<const model::Location> locations, const ValueVisitor& visit);

  void notify(const std::vector<CommittedChange>& changes, sdk::Source source) {
    if (changes.empty()) return;
    for (const auto& l : listeners) {
      try {
        l(changes, source);
      } catch (const std::exception& e) {
        CWMPD_LOG(Error, kModelLog, "change listener failed: " << e.what());
      }
    }
  }

  void markDirty(int plugin) {
    if (plugin < 0) return;
    dirtyPlugins.insert(plugin);
    if (!ctx.inSession) flush();
  }

  void flush() {
    auto dirty = std::move(dirtyPlugins);
    dirtyPlugins.clear();
    for (auto& [plugin, fn] : declarations.flushers) {
      if (!dirty.count(plugin)) continue;
      firewall.run(pluginName(plugin), "flush", fn);
    }
  }

  // The parameter's full name, allocated once (path + name grew the path's copy, a second
  // allocation for every value of a large set).
  static std::string fullName(const txn::ValueChange& c) {
    std::string name;
    name.reserve(c.node->path.size() + c.def->name.size());
    name.append(c.node->path).append(c.def->name);
    return name;
  }

  // A set value as the change listeners hear it (a secret's value masked).
  static CommittedChange committedOf(const txn::ValueChange& c) {
    return {fullName(c), c.def->type.list ? sdk::ParamType::String : c.def->type.base,
            c.def->secret ? std::string() : c.value};
  }

  // committedOf() of a change that is committed and no longer needed: its value is moved
  // out and its old value freed.
  static CommittedChange takeCommitted(txn::ValueChange& c) {
    CommittedChange out{c.path.empty() ? fullName(c) : std::move(c.path),
                        c.def->type.list ? sdk::ParamType::String : c.def->type.base,
                        c.def->secret ? std::string() : std::move(c.value)};
    std::string().swap(c.old);
    return out;
  }

  // After a failed set: the values a plugin could not roll back (Transaction::kept())
  // are changes the CPE made, not the requester's.
  void reportKept(const txn::Transaction& tx) {
    std::vector<CommittedChange> changes;
    std::set<int> touched;
    for (const auto* c : tx.kept()) {
      if (c->old == c->value && !c->def->secret) continue;
      changes.push_back(committedOf(*c));
      touched.insert(c->node->def->bindingPlugin);
    }
    notify(changes, sdk::Source::Plugin);
    for (int t : touched) markDirty(t);
  }

  // Commits the agent's own bookkeeping (instance numbers, startup state): nothing to
  // refuse, so on failure it stays pending and the next commit writes it.
  void commitOwnState() {
    if (ctx.holdCommits) return;
    if (!stored.store().tryCommit()) stored.store().keepPending();
  }

  // ManagementServer.ParameterKey set in the same transaction (TR-069 A.3.2.1).
  void stageParameterKey(const std::optional<std::string>& key, txn::Transaction& tx) {
    if (!key) return;
    model::Location loc = resolver.resolve(tree.root() + ".ManagementServer.ParameterKey");
    if (loc.kind != model::Location::Param) return;  // no management plugin: nothing to keep it in
    if (key->size() > 32)
      throw sdk::Fault(sdk::FaultCode::InvalidArguments, "ParameterKey longer than 32 characters");
    tx.stage({loc.node, loc.param, *key, loc.node->values[loc.param->index]});
  }

  void loadPersistedObjects() {
    std::vector<std::string> paths;
    stored.forEachCreated([&](const std::string& p) { paths.push_back(p); });
    // Lexicographic order puts a parent before its children.
    for (const auto& p : paths) {
      // "Device.WiFi.SSID.3." -> table "Device.WiFi.SSID." and number 3
      std::string t = p.substr(0, p.size() - 1);
      auto dot = t.rfind('.');
      if (dot == std::string::npos) continue;
      std::string num = t.substr(dot + 1);
      std::string table = t.substr(0, dot + 1);
      model::Location loc = resolver.resolve(table);
      if (loc.kind != model::Location::Table || !model::PathResolver::isInstanceNumber(num)) {
        CWMPD_LOG(Warning, kModelLog,
                  "dropping persisted object " << p << ": no longer in the model");
        stored.unmarkCreated(p);
        continue;
      }
      auto n = static_cast<std::uint32_t>(std::stoul(num));
      if (!loc.node->kids[loc.kid].rows.count(n)) tree.createRow(loc.node, loc.kid, n, {}, stored);
      stored.keepAbove(table, n);
    }
    attrs.load(stored);
  }
};

}  // namespace cwmpd::core
