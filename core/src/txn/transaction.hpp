// One Transaction for every change of the tree, whatever its source: the ACS's
// SetParameterValues/SetParameterAttributes/AddObject/DeleteObject, the same over D-Bus,
// the plugins' persisted updates (Host::ensureInstance), the core's persisted internal
// values and a vendor configuration file applied by Download. Created by the engine
// (core/src/model/engine.cpp) and the vendor configuration file
// (core/src/model/vendor_config.cpp), one per change, on the stack.
//
// It stages tree, store and plugin changes; validates (every plugin sees its batch
// before anything changes); applies the plugin batches; commits the store. On any
// failure it rolls back all of them: every applied plugin batch rolled back (in reverse
// order), every undo step recorded with onRollback() run (in reverse order), the tree's
// values restored and the store's staged records discarded. Nothing of a failed
// transaction is visible, now or after a restart (the store never wrote it).
//
// The store side: a transaction starts by making whatever the store has pending the
// agent's own state (Store::keepPending), so that its rollback drops exactly what the
// transaction staged. While commits are held (plugins starting) commit() only stages.
//
// Threading: main loop only.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "model/persistence.hpp"
#include "model/tree.hpp"
#include "plugin/firewall.hpp"

namespace cwmpd::core::txn {

// A parameter value change, resolved and type-checked.
struct ValueChange {
  model::Node* node;
  model::ParamDef* def;
  std::string value;
  std::string old;
  // Filled while a set is staged, before the end of its request (issue 15): the
  // parameter's full name for the change listeners (empty: made at the commit), and
  // whether the value is already staged in the store (Transaction::storeEarly).
  std::string path = {};
  bool stored = false;
};

class Transaction;

// What every transaction of one engine works with.
struct Context {
  model::Tree& tree;
  model::Persistence& stored;
  PluginFirewall& firewall;
  bool inSession = false;    // plugin flushes wait for the end of the ACS session
  bool holdCommits = false;  // plugins are starting: commit() stages only
  // Parameters whose value is persisted though read-only (ManagementServer.ParameterKey).
  const model::ParamDef* persistedReadOnly = nullptr;
  // The transaction whose values are staged in the store ahead of its commit
  // (Transaction::storeEarly), if any.
  Transaction* early = nullptr;
};

// A disabled plugin's subtree answers 9002, stored values included (PluginFirewall).
// Inline: every read of a parameter passes here.
inline void checkInService(const Context& ctx, int plugin) {
  if (plugin >= 0 && ctx.firewall.anyDisabled() &&
      ctx.firewall.disabled(ctx.tree.pluginName(plugin)))
    throw PluginFirewall::disabledFault(ctx.tree.pluginName(plugin));
}

// Pushes `values` to their plugins' apply handlers, without validation and outside any
// transaction: how the undo of a deletion gives a plugin back the values of an instance
// it re-created. Failures are logged (the model keeps the values).
void reapply(Context& ctx, std::vector<ValueChange>& values) noexcept;

class Transaction {
 public:
  explicit Transaction(Context& ctx);
  // Rolls back unless committed.
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // ---- parameter values ----
  void stage(ValueChange change) { values_.push_back(std::move(change)); }
  // Stages `change`'s value in the store now, when the core keeps it, and marks it stored,
  // so that commit() does not stage it again: a set staged as its request arrives gives
  // the store each value then, instead of all of them after the request's end (issue 15).
  // `change` is staged with stage() later (or dropped with the transaction, which rolls
  // the store back). Should another transaction begin meanwhile (a plugin's code run by
  // this one: a getter, a validate or apply handler that makes an instance), the values
  // staged early are taken out of the store first, so that it cannot write them, and this
  // transaction stores every value at its commit, as without storeEarly().
  void storeEarly(ValueChange& change);
  [[nodiscard]] std::vector<ValueChange>& values() { return values_; }
  // Phase 1: every plugin validates its batch (and a disabled plugin refuses); nothing
  // has changed yet. Phase 2: the tree takes the values and each plugin applies its
  // batch. Throws SetFault (one entry per failing parameter) after rolling back. True
  // when a plugin said some change takes effect only later: after a reboot, or at its
  // flush while a session holds the flushes back.
  bool applyValues();

  // ---- anything else the change did to the tree or a plugin ----
  // `undo` runs on rollback, after the undo steps recorded later (reverse order). It
  // must not throw.
  void onRollback(std::function<void()> undo) { undo_.push_back(std::move(undo)); }

  // Writes the staged values to the store (with whatever else the change staged there)
  // and commits it. When the disk does not take it (full, EIO; the store logs that
  // once): rollback() and Fault 9002.
  void commit();
  // Undoes everything; idempotent.
  void rollback() noexcept;

  // The double fault: after a rollback, the changes a plugin applied and could not roll
  // back (its rollback handler failed, or it was disabled meanwhile). The plugin still
  // holds those values, so they stay in the tree and are staged in the store as the
  // agent's own state (written now, or by the next commit that succeeds); the caller
  // reports them as changes the request did not make (Source::Plugin).
  [[nodiscard]] const std::vector<ValueChange*>& kept() const { return kept_; }

 private:
  struct Batch {
    model::ObjectDef* def;
    std::vector<ValueChange*> changes;
  };
  std::vector<Batch> batches();
  // False when the plugin's rollback failed (logged once, with what the model keeps).
  bool rollbackBatch(const Batch& b) noexcept;
  void keepStuckValues() noexcept;
  void storeValue(const ValueChange& c);
  // Takes the values stored early out of the store (another transaction begins).
  void unstoreEarly() noexcept;

  Context& ctx_;
  std::vector<ValueChange> values_;
  std::vector<std::function<void()>> undo_;
  std::vector<ValueChange*> kept_;
  bool done_ = false;
  bool earlyOff_ = false;  // storeEarly() stores nothing: every value is stored at commit()
};

}  // namespace cwmpd::core::txn
