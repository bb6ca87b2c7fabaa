#include "cwmpd/core/engine.hpp"

#include <algorithm>
#include <unordered_set>

#include "model/engine_impl.hpp"

namespace cwmpd::core {

using model::Location;
using model::Node;
using model::ObjectDef;
using model::ParamDef;
using model::Tree;
using sdk::Fault;
using sdk::FaultCode;

namespace {
constexpr const char* kLog = kModelLog;
}  // namespace

// ---------------- registration ----------------

Engine::Engine(std::string root, Store& store)
    : impl_(std::make_unique<Impl>(std::move(root), store)) {}
Engine::~Engine() = default;

PluginFirewall& Engine::firewall() { return impl_->firewall; }

VendorConfiguration& Engine::vendorConfiguration() { return impl_->vendorConfig; }

sdk::Registrar& Engine::beginRegistration(const std::string& pluginName, sdk::Host& host) {
  if (impl_->finalized) throw std::logic_error("registration after finalize()");
  impl_->current = impl_->tree.addPlugin(pluginName);
  impl_->registrar = model::makeRegistrar(impl_->tree, impl_->declarations, impl_->current, host);
  return *impl_->registrar;
}

void Engine::endRegistration(bool ok) {
  if (!ok && impl_->current >= 0) {
    impl_->tree.removeDefinitionsOf(impl_->current);
    impl_->declarations.remove(impl_->current);
  }
  impl_->registrar.reset();
  impl_->current = -1;
}

void Engine::addDefinitions(std::string_view xml, const std::string& owner) {
  (void)owner;
  impl_->tree.merge(model::parseDocument(xml, impl_->tree.root()), -1);
}

void Engine::finalize() {
  auto& m = *impl_;
  if (m.finalized) return;
  m.tree.bindBuiltins();
  if (ObjectDef* ms = m.tree.findDef(m.tree.root() + ".ManagementServer."))
    if (ParamDef* pk = ms->findParam("ParameterKey")) m.ctx.persistedReadOnly = pk;
  m.tree.build(m.stored);
  m.finalized = true;
  m.loadPersistedObjects();
  // What loading cleaned up (dropped objects, invalid values) is the agent's own state:
  // a later failed request must not roll it back.
  m.stored.store().keepPending();
  std::size_t params = 0;
  for (auto& [p, d] : m.tree.defs()) params += d->params.size();
  CWMPD_LOG(Info, kLog,
            "model " << m.tree.root() << ": " << m.tree.defs().size() << " objects, " << params
                     << " parameter definitions");
}

// ---------------- reads ----------------

std::size_t Engine::countValues(const std::vector<std::string>& names) {
  auto& m = *impl_;
  std::size_t count = 0;
  for (const auto& loc : m.resolver.resolveAll(names))
    Tree::forEachParamAt(loc, [&](Node&, const ParamDef&) { ++count; });
  return count;
}

std::vector<std::optional<sdk::ParamType>> Engine::parameterTypes(
    const std::vector<std::string>& names) {
  auto& m = *impl_;
  std::vector<std::optional<sdk::ParamType>> out;
  out.reserve(names.size());
  model::Node* hint = nullptr;
  for (const auto& name : names) {
    const Location loc = m.resolver.resolve(name, hint);
    if (loc.kind == Location::Param)
      out.emplace_back(loc.param->type.list ? sdk::ParamType::String : loc.param->type.base);
    else
      out.emplace_back();
  }
  return out;
}

std::vector<ParameterValue> Engine::getValues(const std::vector<std::string>& names) {
  // Counted first so that a whole-tree read allocates its result once: on a box with
  // 100,000 parameters the doubling growth would hold two copies at the peak.
  std::vector<ParameterValue> out;
  out.reserve(countValues(names));
  visitValues(names, [&](std::string_view object, std::string_view leaf, sdk::ParamType type,
                         std::string_view value) {
    std::string name;
    name.reserve(object.size() + leaf.size());
    name.append(object).append(leaf);
    out.push_back({std::move(name), type, std::string(value)});
  });
  return out;
}

void Engine::visitValues(const std::vector<std::string>& names, const ValueVisitor& visit) {
  impl_->visitValuesAt(impl_->resolver.resolveAll(names), visit);
}

void Engine::visitNames(std::string_view path, bool nextLevel, const NameVisitor& visit) {
  auto& m = *impl_;
  // Each name in two parts (an object's path and what follows it): never built, but for
  // a table's leaf (its name and a dot).
  auto emit = [&](const std::string& object, std::string_view leaf, bool writable) {
    visit(object, leaf, writable);
  };
  std::string table;
  auto emitTable = [&](const std::string& object, const std::string& name, bool writable) {
    table.assign(name);
    table += '.';
    visit(object, table, writable);
  };
  // Recursive through its own argument rather than a std::function: one indirect call
  // less per object of a 100,000-name walk.
  auto walkFrom = [&](auto& self, Node& n) -> void {
    emit(n.path, {}, n.number != 0 && n.def->writable);
    for (const auto& p : n.def->params)
      emit(n.path, p->name, p->access != sdk::Access::ReadOnly && !p->builtin);
    for (std::size_t k = 0; k < n.kids.size(); ++k) {
      ObjectDef* c = n.def->children[k];
      if (!c->multi) {
        self(self, *n.kids[k].single);
        continue;
      }
      emitTable(n.path, c->name, c->writable);
      for (auto& [num, row] : n.kids[k].rows) self(self, *row);
    }
  };
  auto walk = [&](Node& n) { walkFrom(walkFrom, n); };
  auto level = [&](Node& n) {
    for (const auto& p : n.def->params)
      emit(n.path, p->name, p->access != sdk::Access::ReadOnly && !p->builtin);
    for (std::size_t k = 0; k < n.kids.size(); ++k) {
      ObjectDef* c = n.def->children[k];
      if (c->multi)
        emitTable(n.path, c->name, c->writable);
      else
        emit(n.kids[k].single->path, {}, false);
    }
  };
  if (path.empty()) {
    // TR-069 A.3.2.2: an empty path means the top of the hierarchy.
    if (nextLevel)
      emit(m.tree.rootNode()->path, {}, false);
    else
      walk(*m.tree.rootNode());
    return;
  }
  Location loc = m.resolver.resolveOrThrow(path);
  switch (loc.kind) {
    case Location::Param:
      if (nextLevel)
        throw Fault(FaultCode::InvalidArguments,
                    "NextLevel true is not allowed on a parameter name");
      emit(loc.node->path, loc.param->name,
           loc.param->access != sdk::Access::ReadOnly && !loc.param->builtin);
      break;
    case Location::Object:
      if (nextLevel)
        level(*loc.node);
      else
        walk(*loc.node);
      break;
    case Location::Table: {
      ObjectDef* c = loc.node->def->children[loc.kid];
      if (!nextLevel) emitTable(loc.node->path, c->name, c->writable);
      for (auto& [num, row] : loc.node->kids[loc.kid].rows) {
        if (nextLevel)
          emit(row->path, {}, c->writable);
        else
          walk(*row);
      }
      break;
    }
    case Location::None: break;
  }
}

std::size_t Engine::countNames(std::string_view path) {
  auto& m = *impl_;
  // An object gives its own name, one per parameter and one per table below it: the
  // count needs the objects only (a tenth of the names of a whole tree).
  auto objectFrom = [](auto& self, const Node& n) -> std::size_t {
    std::size_t count = 1 + n.def->params.size();
    for (std::size_t k = 0; k < n.kids.size(); ++k) {
      if (!n.def->children[k]->multi) {
        count += self(self, *n.kids[k].single);
        continue;
      }
      ++count;
      for (const auto& [num, row] : n.kids[k].rows) count += self(self, *row);
    }
    return count;
  };
  if (path.empty()) return objectFrom(objectFrom, *m.tree.rootNode());
  const Location loc = m.resolver.resolve(path);
  switch (loc.kind) {
    case Location::Param: return 1;
    case Location::Object: return objectFrom(objectFrom, *loc.node);
    case Location::Table: {
      std::size_t count = 1;
      for (const auto& [num, row] : loc.node->kids[loc.kid].rows)
        count += objectFrom(objectFrom, *row);
      return count;
    }
    case Location::None: break;
  }
  return 0;
}

std::vector<ParameterInfo> Engine::getNames(std::string_view path, bool nextLevel) {
  std::vector<ParameterInfo> out;
  visitNames(path, nextLevel, [&](std::string_view object, std::string_view leaf, bool writable) {
    std::string name;
    name.reserve(object.size() + leaf.size());
    name.append(object).append(leaf);
    out.push_back({std::move(name), writable});
  });
  return out;
}

std::vector<ParameterAttributes> Engine::getAttributes(const std::vector<std::string>& names) {
  return impl_->attrs.get(names, impl_->resolver);
}

void Engine::addChangeListener(ChangeListener listener) {
  impl_->listeners.push_back(std::move(listener));
}

const std::string& Engine::root() const { return impl_->tree.root(); }

std::vector<ParameterDefinitionInfo> Engine::definitions() const {
  std::vector<ParameterDefinitionInfo> out;
  for (const auto& [pattern, d] : impl_->tree.defs()) {
    for (const auto& p : d->params) {
      ParameterDefinitionInfo i;
      i.pattern = pattern + p->name;
      i.type = p->type.base;
      i.dataType = p->type.dataType;
      i.access = p->access;
      i.forcedInform = p->forcedInform;
      i.activeNotifyCanDeny = p->activeNotify == model::ActiveNotify::CanDeny;
      i.defaultNotification = p->defaultNotification;
      i.plugin = impl_->pluginName(p->plugin);
      out.push_back(std::move(i));
    }
  }
  return out;
}

std::vector<std::string> Engine::forcedInformParameters() {
  std::vector<std::string> out;
  Tree::forEachParam(*impl_->tree.rootNode(), [&](Node& n, const ParamDef& p) {
    if (p.forcedInform) out.push_back(n.path + p.name);
  });
  return out;
}

std::string Engine::pluginOf(std::string_view path) {
  Location loc = impl_->resolver.resolve(path);
  if (loc.kind != Location::Param) return {};
  return impl_->pluginName(loc.param->plugin >= 0 ? loc.param->plugin : loc.node->def->plugin);
}

std::string Engine::rawValue(std::string_view path) {
  Location loc = impl_->resolver.resolve(path);
  if (loc.kind != Location::Param)
    throw Fault(FaultCode::InvalidParameterName, "Invalid parameter name: " + std::string(path));
  return impl_->read(*loc.node, *loc.param, false);
}

bool Engine::exists(std::string_view path) {
  return impl_->resolver.resolve(path).kind != Location::None;
}

std::vector<NotifiedParameter> Engine::notifiedParameters() {
  return impl_->attrs.notified(*impl_->tree.rootNode());
}

const std::set<std::string>& Engine::vendorEvents() const {
  return impl_->declarations.vendorEvents;
}

// ---------------- session ----------------

// The store's snapshots wait for the session's end (Store::holdSnapshots): the ACS's sets
// are answered after a journal append each, and the store is folded once the session is
// over, when nobody waits for it.
void Engine::beginSession() {
  impl_->ctx.inSession = true;
  impl_->stored.store().holdSnapshots(true);
}

void Engine::endSession() {
  impl_->ctx.inSession = false;
  impl_->flush();
  impl_->stored.store().holdSnapshots(false);
}

void Engine::wipeStore() { impl_->stored.store().wipe(); }

void Engine::holdCommits(bool hold) {
  impl_->ctx.holdCommits = hold;
  if (!hold) impl_->commitOwnState();
}

}  // namespace cwmpd::core
