// Every change of the tree the engine offers, each one txn::Transaction: the RPCs' (and
// D-Bus's) sets, attributes, adds and deletes, the core's internal values and the
// plugins' host services.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cctype>
#include <exception>
#include <optional>
#include <stdexcept>
#include <unordered_set>

#include "cwmpd/core/engine.hpp"
#include "cwmpd/core/remote_subtree.hpp"
#include "model/engine_impl.hpp"
#include "model/values.hpp"

namespace cwmpd::core {

using model::Location;
using model::Node;
using model::ObjectDef;
using model::ParamDef;
using model::PathResolver;
using model::Tree;
using sdk::Fault;
using sdk::FaultCode;
using txn::Transaction;

namespace {

// On the loop while lent work waits for a provider: a change the loop makes for itself
// cannot begin a transaction now; it is queued (ModelLoan::queueOwnChange).
bool ownChangeWaits() { return ModelLoan::busy() && !ModelLoan::lent(); }

// The names of a set seen so far, to find one given twice (TR-069 A.3.2.1) as the entries
// come, without keeping them. A name that is its parameter's own path (the usual case) is
// found by what it resolved to, (row, definition), in an open-addressing table of pointer
// pairs: two such names are the same text exactly when they name the same parameter, and
// nothing is allocated or hashed per character. Any other name (one that names a row by
// "[alias]", or nothing) is kept as text: the same parameter by number and by alias are
// two names, as they always were.
class SeenNames {
 public:
  void reserve(std::size_t n) {
    if (n * 2 > slots_.size()) rehash(std::bit_ceil(n * 2));
  }
  // False when `name` (resolved to `loc`) is one seen before.
  bool insert(std::string_view name, const Location& loc) {
    if (loc.kind != Location::Param || !ownPath(name, loc)) return others_.emplace(name).second;
    if ((used_ + 1) * 2 > slots_.size()) rehash(std::max<std::size_t>(64, slots_.size() * 2));
    Slot& slot = find(slots_, loc.node, loc.param);
    if (slot.node != nullptr) return false;
    slot = {loc.node, loc.param};
    ++used_;
    return true;
  }

 private:
  struct Slot {
    const Node* node = nullptr;
    const ParamDef* def = nullptr;
  };
  static bool ownPath(std::string_view name, const Location& loc) {
    const std::string& path = loc.node->path;
    return name.size() == path.size() + loc.param->name.size() && name.starts_with(path) &&
           name.substr(path.size()) == loc.param->name;
  }
  static Slot& find(std::vector<Slot>& slots, const Node* node, const ParamDef* def) {
    const std::size_t mask = slots.size() - 1;
    const auto h = (reinterpret_cast<std::uintptr_t>(node) * 0x9E3779B97F4A7C15ULL) ^
                   (reinterpret_cast<std::uintptr_t>(def) * 0xC2B2AE3D27D4EB4FULL);
    for (std::size_t at = static_cast<std::size_t>(h >> 17) & mask;; at = (at + 1) & mask) {
      Slot& slot = slots[at];
      if (slot.node == nullptr || (slot.node == node && slot.def == def)) return slot;
    }
  }
  void rehash(std::size_t size) {
    std::vector<Slot> slots(size);
    for (const Slot& s : slots_)
      if (s.node != nullptr) find(slots, s.node, s.def) = s;
    slots_.swap(slots);
  }

  std::vector<Slot> slots_;
  std::size_t used_ = 0;
  std::unordered_set<std::string> others_;
};

}  // namespace

int Engine::setValues(const std::vector<std::pair<std::string, std::string>>& values,
                      sdk::Source source, const std::optional<std::string>& parameterKey) {
  const std::vector<std::string> created = autoCreateRows(values, source);
  if (created.empty()) return setValuesNow(values, source, parameterKey);
  try {
    return setValuesNow(values, source, parameterKey);
  } catch (const Fault&) {
    // TR-069 A.3.2.1: a SetParameterValues that fails changes nothing, the rows it
    // would have created included.
    for (auto it = created.rbegin(); it != created.rend(); ++it) {
      try {
        deleteObject(*it, source);
      } catch (const Fault& f) {
        CWMPD_LOG(Error, kModelLog, "cannot remove " << *it << " after a failed set: " << f.what());
      }
    }
    throw;
  }
}

// The entries of a set resolved, checked and staged one at a time, as setValues() takes
// them or as the decoder hands them over (newValueList): both answer through finish(), so
// they cannot differ. Nothing is changed or read from a plugin before finish(): a getter's
// old value is read there, so that a request refused for its types or dropped for a late
// XML error calls no plugin, as before.
//
// The set's transaction is opened with the set (issue 15), so that each entry is staged in
// the store, and its listeners' full name made, as it comes: what waits for the end of the
// request is then the plugins, the journal record and its fdatasync, and the listeners.
// The store takes nothing when it has pending changes of its own, or after the set's first
// fault; a set that fails, or is dropped (a late XML error), rolls the store back with the
// transaction, so nothing of it is kept, in memory or on disk. Should the transaction not
// open now (ModelLoan::busy), it is opened at the commit, as before, and fails there.
class Engine::StagedSet {
 public:
  explicit StagedSet(Impl& m) : m_(m) {
    try {
      tx_.emplace(m.ctx);
      early_ = !m.stored.store().dirty();
    } catch (...) {
      tx_.reset();
    }
  }
  void reserve(std::size_t n) {
    changes_.reserve(n + 1);
    seen_.reserve(n);
  }

  // One entry; the type its value is reported with, nullopt when the name is not one
  // existing parameter (as parameterTypes()). After a name given twice, the set's answer is
  // that fault: later entries are only resolved.
  // `ahead`: what the name resolved to on the parse thread while it still holds
  // (Impl::aheadLocation), else None and it is resolved here.
  std::optional<sdk::ParamType> add(std::string_view name, std::string_view value,
                                    const Location& ahead = {}) {
    const Location loc = ahead.kind != Location::None ? ahead : m_.resolver.resolve(name, hint_);
    std::optional<sdk::ParamType> type;
    if (loc.kind == Location::Param)
      type = loc.param->type.list ? sdk::ParamType::String : loc.param->type.base;
    if (loc.kind == Location::None && name.find('[') != std::string_view::npos) namesRows_ = true;
    if (duplicate_) return type;
    if (!seen_.insert(name, loc)) {
      // TR-069 A.3.2.1: the same parameter twice in one request is invalid.
      duplicate_.emplace(std::string(name));
      return type;
    }
    if (loc.kind != Location::Param) {
      fault(name, FaultCode::InvalidParameterName, "Invalid parameter name");
      return type;
    }
    ParamDef& p = *loc.param;
    if (p.access == sdk::Access::ReadOnly || p.builtin) {
      fault(name, FaultCode::NonWritableParameter, "Attempt to set a non-writable parameter");
      return type;
    }
    std::string canon, why;
    std::optional<std::string> normalized;
    if (p.type.pathRef) {  // TR-069 3.6.1: a path value may name rows by "[alias]"
      try {
        normalized = m_.normalizeReferences(p, value);
      } catch (const Fault& f) {
        faults_.push_back({std::string(name), f.code(), f.what()});
        return type;
      }
    }
    if (!model::checkValue(p.type, normalized ? *normalized : value, canon, why)) {
      fault(name, FaultCode::InvalidParameterValue, "Invalid parameter value: " + why);
      return type;
    }
    if (p.getter) getters_.push_back(changes_.size());
    txn::ValueChange& c = changes_.emplace_back(txn::ValueChange{
        loc.node, &p, std::move(canon), p.getter ? std::string() : loc.node->values[p.index]});
    c.path = Impl::fullName(c);
    if (early_ && faults_.empty()) tx_->storeEarly(c);
    return type;
  }
  // Whether a name given twice was seen (nothing after it matters to the answer).
  [[nodiscard]] bool duplicated() const { return duplicate_.has_value(); }
  // Whether a name that names a row by "[alias]" named nothing (AutoCreateInstances), in
  // any entry.
  [[nodiscard]] bool namesRows() const { return namesRows_; }

  // The set's transaction (opened now when it could not be with the set).
  Transaction& transaction() {
    if (!tx_) tx_.emplace(m_.ctx);
    return *tx_;
  }
  // Ends the transaction (rolled back unless committed).
  void close() noexcept { tx_.reset(); }

  // The set's fault (the name given twice, else every entry's, in order), or the staged
  // changes moved into `tx`, with the getters' old values read.
  void finish(Transaction& tx) {
    if (duplicate_) {
      throw SetFault(
          static_cast<int>(FaultCode::InvalidArguments),
          "Invalid arguments: " + *duplicate_ + " appears more than once",
          {{*duplicate_, static_cast<int>(FaultCode::InvalidArguments), "duplicate parameter"}});
    }
    seen_ = SeenNames();
    if (!faults_.empty()) {
      int code =
          faults_.size() == 1 ? faults_[0].code : static_cast<int>(FaultCode::InvalidArguments);
      std::string msg =
          faults_.size() == 1 ? faults_[0].message + ": " + faults_[0].name : "Invalid arguments";
      throw SetFault(code, msg, faults_);
    }
    for (const std::size_t i : getters_) {
      txn::ValueChange& c = changes_[i];
      try {
        c.old = m_.read(*c.node, *c.def, false);
      } catch (const Fault&) {
        c.old.clear();
      }
    }
    tx.values().swap(changes_);
  }

 private:
  void fault(std::string_view name, FaultCode code, std::string message) {
    faults_.push_back({std::string(name), static_cast<int>(code), std::move(message)});
  }

  Impl& m_;
  std::optional<Transaction> tx_;
  bool early_ = false;  // entries are staged in the store as they come
  Node* hint_ = nullptr;
  SeenNames seen_;
  std::vector<txn::ValueChange> changes_;
  std::vector<std::size_t> getters_;  // the changes whose old value a getter reads
  std::vector<ParameterFault> faults_;
  std::optional<std::string> duplicate_;
  bool namesRows_ = false;
};

int Engine::setValuesNow(const std::vector<std::pair<std::string, std::string>>& values,
                         sdk::Source source, const std::optional<std::string>& parameterKey) {
  StagedSet set(*impl_);
  set.reserve(values.size());
  for (const auto& [name, value] : values) {
    (void)set.add(name, value);
    if (set.duplicated()) break;
  }
  return commitSet(set, source, parameterKey);
}

int Engine::commitSet(StagedSet& set, sdk::Source source,
                      const std::optional<std::string>& parameterKey) {
  auto& m = *impl_;
  // Closed whatever happens: a set that fails leaves nothing staged in the store.
  struct Close {
    StagedSet& set;
    ~Close() { set.close(); }
  } close{set};
  Transaction& tx = set.transaction();
  set.finish(tx);
  m.stageParameterKey(parameterKey, tx);
  bool deferred = false;
  try {
    deferred = tx.applyValues();
    tx.commit();
  } catch (const Fault&) {
    m.reportKept(tx);
    throw;
  }
  // Committed: nothing rolls back any more, so the staged values are moved into the
  // change list, and the old ones freed, instead of both held beside a copy while the
  // listeners run (issue 15).
  std::vector<CommittedChange> committed;
  committed.reserve(tx.values().size());
  std::set<int> touched;
  for (auto& c : tx.values()) {
    // A plugin's Alias as the resolver last read it (PathResolver::aliasOfRow) is read
    // again when next needed.
    if (c.def->getter && c.def->name == "Alias") c.node->values[c.def->index].clear();
    if (c.old == c.value && !c.def->secret) continue;
    committed.push_back(m.takeCommitted(c));
    touched.insert(c.node->def->bindingPlugin >= 0 ? c.node->def->bindingPlugin : c.def->plugin);
  }
  std::vector<txn::ValueChange>().swap(tx.values());
  m.notify(committed, source);
  for (int t : touched) m.markDirty(t);
  // TR-069 A.3.2.1 SetParameterValuesResponse Status: 1 when the changes are committed
  // but some take effect only later.
  return deferred ? 1 : 0;
}

namespace {

// A SetParameterValues as the decoder hands it over (issue 15): each entry staged as it
// comes. When an ACS's set may create rows (AutoCreateInstances), the entries are also kept
// as given: should one name by "[alias]" a row that does not exist, the set is setValues()
// of them, which creates the rows first.
class StagedValues final : public DataModel::ValueList {
 public:
  StagedValues(Engine::Impl& m, sdk::Source s, bool keepEntries)
      : set(m), source(s), keep(keepEntries), maker_(&m) {}
  std::optional<sdk::ParamType> add(std::string_view name, std::string_view value) override {
    if (keep) entries.emplace_back(name, value);
    return set.add(name, value);
  }
  std::optional<sdk::ParamType> add(std::string_view name, std::string_view value,
                                    const DataModel::Ahead& ahead) override {
    if (keep) entries.emplace_back(name, value);
    return set.add(name, value, Engine::Impl::aheadLocation(ahead));
  }
  [[nodiscard]] const void* maker() const override { return maker_; }

  Engine::StagedSet set;
  sdk::Source source;
  bool keep;
  std::vector<std::pair<std::string, std::string>> entries;

 private:
  const void* maker_;
};

}  // namespace

std::unique_ptr<DataModel::ValueList> Engine::newValueList(sdk::Source source) {
  return std::make_unique<StagedValues>(*impl_, source,
                                        source == sdk::Source::Acs && autoCreatesRows());
}

int Engine::applyValueList(ValueList& list, const std::optional<std::string>& parameterKey) {
  // Only this engine's lists say it made them (no RTTI needed).
  if (list.maker() != impl_.get()) throw std::logic_error("a value list of another model");
  auto& staged = static_cast<StagedValues&>(list);
  if (staged.keep && staged.set.namesRows()) {
    staged.set.close();  // its transaction and what it staged go before setValues() opens its own
    return setValues(staged.entries, staged.source, parameterKey);
  }
  return commitSet(staged.set, staged.source, parameterKey);
}

namespace {

// Validated first: the request is all-or-nothing (TR-069 A.3.2.4).
void commitAttributes(Engine::Impl& m, const model::AttributeTable::Planned& planned) {
  Transaction tx(m.ctx);
  for (const auto& [path, a] : planned) m.stored.setAttribute(path, a);
  tx.commit();  // before memory changes: a 9002 leaves the attributes as they were
  for (const auto& [path, a] : planned) m.attrs.set(path, a);
}

// The updates of a SetParameterAttributes as the decoder hands them over (issue 15): each
// is checked and resolved as it comes (AttributeTable::planOne, from where the previous
// one ended), so the request is kept as what it will set, never as its strings. The first
// fault is kept and nothing after it is looked at, as plan() stops at it.
class PlannedAttributes final : public DataModel::AttributeList {
 public:
  PlannedAttributes(const model::AttributeTable& attrs, const PathResolver& resolver)
      : attrs_(attrs), resolver_(resolver) {}
  void add(AttributeUpdate update) override {
    if (fault_) return;
    try {
      attrs_.planOne(update, resolver_, hint_, planned_);
    } catch (...) {
      fault_ = std::current_exception();
    }
  }
  [[nodiscard]] const void* maker() const override { return &attrs_; }
  [[nodiscard]] const model::AttributeTable::Planned& planned() const {
    if (fault_) std::rethrow_exception(fault_);
    return planned_;
  }

 private:
  const model::AttributeTable& attrs_;
  const PathResolver& resolver_;
  Node* hint_ = nullptr;
  model::AttributeTable::Planned planned_;
  std::exception_ptr fault_;
};

}  // namespace

void Engine::setAttributes(const std::vector<AttributeUpdate>& updates) {
  auto& m = *impl_;
  commitAttributes(m, m.attrs.plan(updates, m.resolver));
}

std::unique_ptr<DataModel::AttributeList> Engine::newAttributeList() {
  return std::make_unique<PlannedAttributes>(impl_->attrs, impl_->resolver);
}

void Engine::applyAttributes(const AttributeList& list) {
  auto& m = *impl_;
  // Only this engine's table makes lists that say it made them (no RTTI needed).
  if (list.maker() != &m.attrs) throw std::logic_error("an attribute list of another model");
  commitAttributes(m, static_cast<const PlannedAttributes&>(list).planned());
}

// The double fault of a set (a plugin applied its batch, the request then failed (the
// store, or another plugin), and the plugin's rollback failed too) is handled like that
// of AddObject and DeleteObject below: the plugin holds the new values and nothing can
// take them back, so the tree keeps them, the store records them as the agent's own
// state (txn::Transaction::kept()), the rollback failure is logged once and the answer
// is still the request's fault (9002 when the store failed). The ACS was told the set
// failed, so the values are reported as a change the CPE made (Source::Plugin): a
// parameter under notification goes into the next Inform with "4 VALUE CHANGE", and the
// value the ACS last saw stays the one a later change is compared with.

// AddObject and DeleteObject in one transaction: the tree and the store are staged, the
// plugin's handler runs, then the store commits. A plugin that refuses leaves nothing
// anywhere (nothing was committed); a store that cannot keep the change gets the plugin's
// handler undone (onDelete after an add; onAdd and the row's values re-applied after a
// delete) and answers 9002.
//
// The double fault (the plugin's handler ran, the store failed, and the plugin's undo
// failed too): the plugin holds what the failed request asked for and nothing can take
// it back. The tree then follows what the plugin reports (an added row stays, a deleted
// one goes), the store records it as the agent's own state, written by the next commit
// that succeeds (so that a restart shows the same), the error is logged, and the answer
// is still 9002: the request did not complete. The ACS sees the row (or its absence)
// with its next GetParameterNames, as it would after any change the CPE made itself.

std::uint32_t Engine::addObject(std::string_view path, sdk::Source source,
                                const std::optional<std::string>& parameterKey) {
  auto& m = *impl_;
  // TR-069 3.6.1: "Table.[alias]." adds a row with that Alias.
  std::optional<std::string> newAlias;
  if (path.ends_with("].")) {
    const std::size_t open = path.rfind('[');
    const std::size_t dot = open == std::string_view::npos ? open : path.rfind('.', open);
    if (dot != std::string_view::npos && dot + 1 == open) {
      if (auto alias = PathResolver::aliasOf(path.substr(open, path.size() - 1 - open)))
        newAlias = std::string(*alias);
      path = path.substr(0, open);
    }
  }
  Location loc = m.resolver.resolve(path);
  if (loc.kind != Location::Table)
    throw Fault(FaultCode::InvalidParameterName, "Invalid object name: " + std::string(path));
  ObjectDef* d = loc.node->def->children[loc.kid];
  ParamDef* aliasDef = d->findParam("Alias");
  if (newAlias) {
    // An Alias is a key of its table (TR-181 "Alias" uniqueKey) and, to stay
    // addressable, holds no dot and no bracket; 64 characters at most.
    constexpr std::size_t kMaxAlias = 64;
    // A plugin's Alias (its getter) is given to the plugin as a set of that Alias.
    if (aliasDef == nullptr ||
        (aliasDef->getter && (aliasDef->access == sdk::Access::ReadOnly || !d->binding.apply)))
      throw Fault(FaultCode::InvalidParameterName,
                  "Invalid object name: " + std::string(path) + " has no Alias that can be set");
    // TR-181 Alias: it starts with a letter.
    if (newAlias->size() > kMaxAlias || newAlias->find_first_of(".[]") != std::string::npos ||
        std::isalpha(static_cast<unsigned char>(newAlias->front())) == 0)
      throw Fault(FaultCode::InvalidArguments, "Invalid alias: " + *newAlias);
    if (m.resolver.findByAlias(loc.node->kids[loc.kid], *newAlias) != nullptr)
      throw Fault(FaultCode::InvalidArguments,
                  "Alias " + *newAlias + " is in use in " + std::string(path));
  }
  if (!d->writable)
    throw Fault(FaultCode::RequestDenied,
                "Request denied: " + std::string(path) + " is not a writable table");
  auto& rows = loc.node->kids[loc.kid].rows;
  if (d->maxEntries && rows.size() >= *d->maxEntries)
    throw Fault(FaultCode::ResourcesExceeded,
                "Resources exceeded: " + std::string(path) + " is full");
  Transaction tx(m.ctx);
  m.stageParameterKey(parameterKey, tx);
  const std::string table = Tree::tablePath(loc);
  const std::uint32_t number = m.stored.nextNumber(table);
  Node* row = m.tree.createRow(loc.node, loc.kid, number, {}, m.stored);
  if (newAlias && !aliasDef->getter) row->values[aliasDef->index] = *newAlias;
  const std::string rowPath = row->path;
  const std::string& plugin = m.pluginName(d->bindingPlugin);
  bool pluginKeepsIt = false;  // the double fault: the plugin could not delete it again
  tx.onRollback([&] {
    const Tree::Reshaping reshaping;
    if (!pluginKeepsIt) rows.erase(number);
  });
  auto stageRow = [&] {
    m.stored.markCreated(rowPath);
    if (ParamDef* alias = d->findParam("Alias"); alias && !alias->getter)
      m.stored.setValue(rowPath + "Alias", row->values[alias->index]);
  };
  stageRow();
  if (d->binding.onAdd) {
    const sdk::InstanceRef r = m.tree.ref(*row);
    try {
      m.firewall.call(plugin, "add", [&] { d->binding.onAdd(r); });
    } catch (const Fault&) {
      tx.rollback();
      // The plugin saw the number: it stays used (numbers are never reused).
      m.stored.keepAbove(table, number);
      m.commitOwnState();
      throw;
    }
    tx.onRollback([&, r] {
      try {
        m.firewall.call(plugin, "delete",
                        [&] { d->binding.onDelete ? d->binding.onDelete(r) : void(); });
      } catch (const std::exception& e) {
        pluginKeepsIt = true;
        CWMPD_LOG(Error, "plugin " + plugin,
                  "cannot take back " << rowPath << " after the store failed (" << e.what()
                                      << "); the instance stays, as the plugin holds it");
      }
    });
  }
  if (newAlias && aliasDef->getter) {
    // The plugin keeps the Alias: it validates and applies it as any set, in this
    // transaction (a refusal takes the row back).
    tx.stage({row, aliasDef, *newAlias, std::string()});
    try {
      (void)tx.applyValues();
    } catch (const Fault& f) {
      tx.rollback();
      m.stored.keepAbove(table, number);  // the plugin saw the number, as above
      m.commitOwnState();
      throw Fault(f.code(), f.what());
    }
  }
  try {
    tx.commit();
  } catch (const Fault&) {
    if (pluginKeepsIt) {
      stageRow();
      m.stored.keepAbove(table, number);
      m.commitOwnState();
      m.markDirty(d->bindingPlugin);
    }
    throw;
  }
  for (auto& c : tx.values()) c.node->values[c.def->index] = c.value;
  std::vector<CommittedChange> changes;
  for (const auto& p : d->params)
    changes.push_back({row->path + p->name, p->type.base, m.read(*row, *p, true)});
  m.notify(changes, source);
  m.markDirty(d->bindingPlugin);
  return number;
}

void Engine::deleteObject(std::string_view path, sdk::Source source,
                          const std::optional<std::string>& parameterKey) {
  auto& m = *impl_;
  Location loc = m.resolver.resolve(path);
  if (loc.kind != Location::Object || !loc.node->number)
    throw Fault(FaultCode::InvalidParameterName, "Invalid object name: " + std::string(path));
  Node* row = loc.node;
  ObjectDef* d = row->def;
  if (!d->writable)
    throw Fault(FaultCode::RequestDenied,
                "Request denied: " + std::string(path) + " cannot be deleted");
  Transaction tx(m.ctx);
  m.stageParameterKey(parameterKey, tx);
  const std::string rowPath = row->path;
  const std::string& plugin = m.pluginName(d->bindingPlugin);
  m.stored.eraseSubtree(rowPath);
  bool pluginLostIt = false;  // the double fault: the plugin could not add it back
  if (d->binding.onDelete) {
    // What the plugin needs to rebuild the row should the deletion be undone: every
    // writable value under it, as it reads now.
    std::vector<txn::ValueChange> values;
    Tree::forEachParam(*row, [&](Node& n, ParamDef& p) {
      if (p.access == sdk::Access::ReadOnly || p.builtin) return;
      try {
        values.push_back({&n, &p, m.read(n, p, false), {}});
      } catch (const Fault&) {
        // unreadable now: the plugin keeps its own default
      }
    });
    const sdk::InstanceRef r = m.tree.ref(*row);
    m.firewall.call(plugin, "delete", [&] { d->binding.onDelete(r); });  // a refusal rolls back
    tx.onRollback([&, r, values]() mutable {
      try {
        m.firewall.call(plugin, "add", [&] { d->binding.onAdd ? d->binding.onAdd(r) : void(); });
        txn::reapply(m.ctx, values);
      } catch (const std::exception& e) {
        pluginLostIt = true;
        CWMPD_LOG(Error, "plugin " + plugin,
                  "cannot restore " << rowPath << " after the store failed (" << e.what()
                                    << "); the instance is gone, as the plugin no longer has it");
      }
    });
  }
  try {
    tx.commit();
  } catch (const Fault&) {
    if (pluginLostIt) {
      m.stored.eraseSubtree(rowPath);
      m.commitOwnState();
      m.attrs.eraseSubtree(rowPath);
      Tree::eraseRow(*row);
      m.markDirty(d->bindingPlugin);
    }
    throw;
  }
  m.attrs.eraseSubtree(rowPath);
  Tree::eraseRow(*row);
  for (auto& c : tx.values()) c.node->values[c.def->index] = c.value;
  (void)source;
  m.markDirty(d->bindingPlugin);
}

void Engine::setInternal(std::string_view path, std::string_view value, bool persist,
                         sdk::Source source) {
  auto& m = *impl_;
  Location loc = m.resolver.resolveOrThrow(path);
  if (loc.kind != Location::Param || loc.param->getter || loc.param->builtin)
    throw Fault(FaultCode::InvalidParameterName,
                "not a core-stored parameter: " + std::string(path));
  std::string canon, why;
  if (!model::checkValue(loc.param->type, value, canon, why))
    throw Fault(FaultCode::InvalidParameterValue, std::string(path) + ": " + why);
  std::string& slot = loc.node->values[loc.param->index];
  if (slot == canon) return;
  if (persist && ownChangeWaits()) {
    // Lent work waits for a provider and no transaction may begin under it: the value
    // takes effect now, its record goes to disk once the work is done (ModelLoan).
    ModelLoan::queueOwnChange([&m, key = loc.node->path + loc.param->name, canon] {
      try {
        Transaction tx(m.ctx);
        m.stored.setValue(key, canon);
        tx.commit();
      } catch (const std::exception& e) {
        CWMPD_LOG(Error, kModelLog, "cannot persist " << key << ": " << e.what());
      }
    });
  } else if (persist) {
    Transaction tx(m.ctx);
    m.stored.setValue(loc.node->path + loc.param->name, canon);
    tx.commit();  // a 9002 leaves the value as it was
  }
  slot = canon;
  m.notify({{loc.node->path + loc.param->name, loc.param->type.base,
             loc.param->secret ? std::string() : canon}},
           source);
}

std::uint32_t Engine::ensureInstance(std::string_view table, std::string_view key) {
  auto& m = *impl_;
  Location loc = m.resolver.resolve(table);
  if (loc.kind != Location::Table)
    throw Fault(FaultCode::InvalidParameterName,
                "not a multi-instance table: " + std::string(table));
  const std::string t = Tree::tablePath(loc);
  auto& rows = loc.node->kids[loc.kid].rows;
  const bool waits = ownChangeWaits();
  std::uint32_t number = m.stored.keyedNumber(t, key);
  if (!number && !m.reservedNumbers.empty()) {
    auto it = m.reservedNumbers.find({t, std::string(key)});
    if (it != m.reservedNumbers.end()) number = it->second;
  }
  if (number && rows.count(number)) {
    if (rows[number]->key == key) {
      // Its removal, queued while lent work waited, is called off.
      if (!m.queuedRemovals.empty()) m.queuedRemovals.erase(rows[number]->path);
      return number;
    }
    number = 0;  // the number went to another instance meanwhile
  }
  if (!number && waits) {
    // Lent work waits for a provider and no transaction may begin under it, but the
    // plugin needs its number now: it is reserved in memory (above every number the
    // store or an earlier reservation gave) and written to disk, in order, once the work
    // is done (ModelLoan::queueOwnChange, run before any other transaction can hand out
    // numbers). Should the daemon stop before that, the number was never on disk and the
    // key is numbered again at the next start.
    std::uint32_t& next = m.reservedNext[t];
    number = std::max(m.stored.peekNextNumber(t), next);
    next = number + 1;
    m.reservedNumbers[{t, std::string(key)}] = number;
    ModelLoan::queueOwnChange([&m, t, k = std::string(key), number] {
      try {
        Transaction tx(m.ctx);
        m.stored.keepAbove(t, number);
        m.stored.setKeyedNumber(t, k, number);
        tx.commit();
      } catch (const std::exception& e) {
        CWMPD_LOG(Error, kModelLog,
                  "cannot persist instance " << number << " of " << t << ": " << e.what());
      }
      m.reservedNumbers.erase({t, k});
      auto it = m.reservedNext.find(t);
      if (it != m.reservedNext.end() && it->second == number + 1) m.reservedNext.erase(it);
    });
  }
  if (!number) {
    // A number is handed out only once it is on disk: one that lived in memory only could
    // go to another key after a restart, and a number is never reused. On a full disk the
    // plugin gets 9002 and nothing is created; it asks again at its next refresh. While
    // the plugins start (holdCommits) the numbers wait for the one commit after start().
    Transaction tx(m.ctx);
    number = m.stored.nextNumber(t);
    m.stored.setKeyedNumber(t, key, number);
    tx.commit();
  }
  m.tree.createRow(loc.node, loc.kid, number, std::string(key), m.stored);
  return number;
}

void Engine::removeInstance(std::string_view instancePath) {
  auto& m = *impl_;
  Location loc = m.resolver.resolve(instancePath);
  if (loc.kind != Location::Object || !loc.node->number)
    throw Fault(FaultCode::InvalidParameterName, "not an instance: " + std::string(instancePath));
  if (ownChangeWaits()) {
    // The suspended work may hold this row: it goes once the work is done, unless the
    // plugin ensures it again meanwhile.
    m.queuedRemovals.insert(loc.node->path);
    ModelLoan::queueOwnChange([&m, path = loc.node->path] {
      if (m.queuedRemovals.erase(path) == 0) return;
      Location row = m.resolver.resolve(path);
      if (row.kind == Location::Object && row.node->number) Tree::eraseRow(*row.node);
    });
    return;
  }
  Tree::eraseRow(*loc.node);
}

void Engine::pluginValueChanged(std::string_view path) {
  auto& m = *impl_;
  Location loc = m.resolver.resolve(path);
  if (loc.kind != Location::Param) return;
  if (loc.param->getter && loc.param->name == "Alias") loc.node->values[loc.param->index].clear();
  m.notify({{std::string(path), loc.param->type.base, m.read(*loc.node, *loc.param, true)}},
           sdk::Source::Plugin);
}

void Engine::setInitial(std::string_view path, std::string_view value) {
  auto& m = *impl_;
  Location loc = m.resolver.resolveOrThrow(path);
  if (loc.kind != Location::Param || loc.param->getter || loc.param->builtin)
    throw Fault(FaultCode::InvalidParameterName,
                "not a core-stored parameter: " + std::string(path));
  if (m.stored.value(path)) return;  // the store wins
  std::string canon, why;
  if (!model::checkValue(loc.param->type, value, canon, why))
    throw Fault(FaultCode::InvalidParameterValue,
                "initial value of " + std::string(path) + ": " + why);
  loc.node->values[loc.param->index] = canon;
}

}  // namespace cwmpd::core
