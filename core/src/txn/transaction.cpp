#include "txn/transaction.hpp"

#include <unordered_map>

#include "cwmpd/core/data_model.hpp"
#include "cwmpd/core/log.hpp"
#include "cwmpd/core/remote_subtree.hpp"

namespace cwmpd::core::txn {

using sdk::Fault;
using sdk::FaultCode;

namespace {

std::vector<sdk::Change> toSdk(const std::vector<ValueChange*>& batch, bool reverse) {
  std::vector<sdk::Change> out;
  out.reserve(batch.size());
  for (auto* c : batch) {
    sdk::Change s;
    s.object = c->node->path;
    s.parameter = c->def->name;
    s.value = reverse ? c->old : c->value;
    s.oldValue = reverse ? c->value : c->old;
    out.push_back(std::move(s));
  }
  return out;
}

void setTree(const std::vector<ValueChange*>& batch, bool old) {
  for (auto* c : batch)
    if (!c->def->getter) c->node->values[c->def->index] = old ? c->old : c->value;
}

}  // namespace

void reapply(Context& ctx, std::vector<ValueChange>& values) noexcept {
  std::vector<model::ObjectDef*> order;
  std::unordered_map<model::ObjectDef*, std::vector<ValueChange*>> groups;
  for (auto& v : values) {
    auto& g = groups[v.node->def];
    if (g.empty()) order.push_back(v.node->def);
    g.push_back(&v);
  }
  for (model::ObjectDef* d : order) {
    if (!d->binding.apply) continue;
    const std::string& plugin = ctx.tree.pluginName(d->bindingPlugin);
    try {
      auto batch = toSdk(groups[d], false);
      ctx.firewall.call(plugin, "apply", [&] { d->binding.apply(batch); });
    } catch (const std::exception& e) {
      CWMPD_LOG(Error, "plugin " + plugin,
                "cannot restore the values of a re-created instance: " << e.what());
    }
  }
}

Transaction::Transaction(Context& ctx) : ctx_(ctx) {
  // While an RPC waits for a provider the loop serves others, but none may change the
  // tree under it (issue 18, cwmpd/core/remote_subtree.hpp): lent work waits its turn;
  // the loop's own changes are queued before they get here (ModelLoan::queueOwnChange),
  // so this refusal is only a safety net.
  if (ModelLoan::lent())
    ModelLoan::awaitTurn();
  else if (ModelLoan::busy())
    throw sdk::Fault(sdk::FaultCode::RequestDenied,
                     "Request denied: busy (an RPC waits for a provider); try again");
  // What another transaction staged ahead of its commit must not become this one's
  // baseline (and be written by it).
  if (ctx_.early != nullptr) ctx_.early->unstoreEarly();
  ctx_.stored.store().keepPending();
}

Transaction::~Transaction() { rollback(); }

// Changes grouped by the object definition whose binding handles them, in request order.
std::vector<Transaction::Batch> Transaction::batches() {
  std::vector<Batch> out;
  std::unordered_map<model::ObjectDef*, std::size_t> index;
  for (auto& c : values_) {
    auto [it, fresh] = index.try_emplace(c.node->def, out.size());
    if (fresh) out.push_back({c.node->def, {}});
    out[it->second].changes.push_back(&c);
  }
  return out;
}

bool Transaction::rollbackBatch(const Batch& b) noexcept {
  model::ObjectDef* def = b.def;
  const auto& handler = def->binding.rollback ? def->binding.rollback : def->binding.apply;
  if (!handler) return true;
  const std::string& plugin = ctx_.tree.pluginName(def->bindingPlugin);
  try {
    auto reversed = toSdk(b.changes, true);
    ctx_.firewall.call(plugin, "rollback", [&] { handler(reversed); });
    return true;
  } catch (const std::exception& e) {
    try {
      std::string names;
      for (const auto* c : b.changes)
        names += (names.empty() ? "" : ", ") + c->node->path + c->def->name;
      CWMPD_LOG(Error, "plugin " + plugin,
                "rollback failed ("
                    << e.what()
                    << "); the model keeps the values the plugin still holds: " << names);
    } catch (...) {
    }
    return false;
  }
}

bool Transaction::applyValues() {
  bool deferred = false;
  std::vector<Batch> groups = batches();
  // Phase 1: every plugin validates; nothing has changed yet.
  std::vector<ParameterFault> faults;
  for (auto& c : values_) {
    try {
      checkInService(ctx_, c.def->plugin);
      checkInService(ctx_, c.node->def->bindingPlugin);
    } catch (const Fault& f) {
      faults.push_back({c.node->path + c.def->name, f.code(), f.what()});
    }
  }
  for (const Batch& g : groups) {
    model::ObjectDef* d = g.def;
    if (!d->binding.validate || ctx_.firewall.disabled(ctx_.tree.pluginName(d->bindingPlugin)))
      continue;
    auto batch = toSdk(g.changes, false);
    try {
      ctx_.firewall.call(ctx_.tree.pluginName(d->bindingPlugin), "validate",
                         [&] { d->binding.validate(batch); });
    } catch (const Fault& f) {
      for (auto* c : g.changes)
        faults.push_back({c->node->path + c->def->name, f.code(), f.what()});
    }
  }
  if (!faults.empty()) {
    int code = faults.size() == 1 ? faults[0].code : static_cast<int>(FaultCode::InvalidArguments);
    throw SetFault(code, faults.size() == 1 ? faults[0].message : "Invalid arguments", faults);
  }
  // Phase 2: apply; on the first failure roll back what was applied, in reverse.
  for (Batch& g : groups) {
    model::ObjectDef* d = g.def;
    setTree(g.changes, false);
    if (d->binding.apply) {
      auto batch = toSdk(g.changes, false);
      try {
        if (d->binding.applyReporting) {
          sdk::ApplyReport report{std::vector<sdk::Effect>(batch.size(), sdk::Effect::Now)};
          ctx_.firewall.call(ctx_.tree.pluginName(d->bindingPlugin), "apply",
                             [&] { d->binding.applyReporting(batch, report); });
          for (sdk::Effect e : report.effects)
            deferred = deferred || e == sdk::Effect::AfterReboot ||
                       (e == sdk::Effect::AtSessionEnd && ctx_.inSession);
        } else {
          ctx_.firewall.call(ctx_.tree.pluginName(d->bindingPlugin), "apply",
                             [&] { d->binding.apply(batch); });
        }
      } catch (const Fault& f) {
        setTree(g.changes, true);
        std::vector<ParameterFault> pf;
        for (auto* c : g.changes) pf.push_back({c->node->path + c->def->name, f.code(), f.what()});
        rollback();
        throw SetFault(f.code(), f.what(), pf);
      }
    }
    onRollback([this, g = std::move(g)] {
      // The double fault: what the plugin could not take back is the truth; the tree
      // keeps it (kept()).
      if (g.def->binding.apply && !rollbackBatch(g)) {
        kept_.insert(kept_.end(), g.changes.begin(), g.changes.end());
        return;
      }
      setTree(g.changes, true);
    });
  }
  return deferred;
}

// Stages a value in the store, when the core keeps it (not a plugin's getter, writable or
// the persisted read-only ParameterKey).
void Transaction::storeValue(const ValueChange& c) {
  if (!c.def->getter && (c.def->access != sdk::Access::ReadOnly || c.def == ctx_.persistedReadOnly))
    ctx_.stored.setValue(c.node->path, c.def->name, c.value);
}

void Transaction::storeEarly(ValueChange& change) {
  if (earlyOff_ || done_) return;
  if (ctx_.early != this) {
    if (ctx_.early != nullptr) {  // not two at once: this one stores at its commit
      earlyOff_ = true;
      return;
    }
    ctx_.early = this;
  }
  storeValue(change);
  change.stored = true;
}

void Transaction::unstoreEarly() noexcept {
  // Nothing else changed the store since this transaction began: any other transaction
  // would have called this first. Back to its baseline, then.
  ctx_.stored.store().rollback();
  earlyOff_ = true;
  ctx_.early = nullptr;
}

void Transaction::commit() {
  if (ctx_.early == this) ctx_.early = nullptr;
  for (const auto& c : values_)
    if (!c.stored || earlyOff_) storeValue(c);
  if (!ctx_.holdCommits && !ctx_.stored.store().tryCommit()) {
    // Could not persist: undo, so neither memory nor the plugins claim what the disk
    // does not hold.
    rollback();
    throw Fault(FaultCode::InternalError, "cannot persist the change");
  }
  done_ = true;
}

void Transaction::rollback() noexcept {
  if (ctx_.early == this) ctx_.early = nullptr;
  if (done_) return;
  done_ = true;
  for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
    try {
      (*it)();
    } catch (const std::exception& e) {
      CWMPD_LOG(Error, "model", "undo step failed: " << e.what());
    }
  }
  undo_.clear();
  ctx_.stored.store().rollback();
  for (auto& c : values_) c.stored = false;  // the store is back where it was
  if (!kept_.empty()) keepStuckValues();
}

// After the store's rollback: the values a plugin kept become the agent's own state, so
// that a restart shows what the plugin holds (the store keeps them pending when the disk
// still fails, and the next commit that succeeds writes them).
void Transaction::keepStuckValues() noexcept {
  try {
    for (const auto* c : kept_) storeValue(*c);
    if (ctx_.holdCommits || !ctx_.stored.store().tryCommit()) ctx_.stored.store().keepPending();
  } catch (const std::exception& e) {
    CWMPD_LOG(Error, "model", "cannot record the values a plugin kept: " << e.what());
  }
}

}  // namespace cwmpd::core::txn
