#include "cwmpd/core/engine.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "cwmpd/core/log.hpp"
#include "model/definitions.hpp"
#include "model/values.hpp"
#include "plugin/firewall.hpp"

namespace cwmpd::core {

using model::Binding;
using model::ObjectDef;
using model::ParamDef;
using sdk::Fault;
using sdk::FaultCode;

namespace {

constexpr const char* kLog = "model";
constexpr std::size_t kMaxPathLength = 1024;  // TR-069 A.3.2.1: names are at most 256 chars;
                                               // leave headroom but refuse absurd input.

// Store key prefixes.
constexpr std::string_view kValue = "v:";     // v:<param path> -> value
constexpr std::string_view kAttr = "a:";      // a:<param path> -> "<notification>|<acl,...>"
constexpr std::string_view kNext = "i:";      // i:<table path> -> next instance number
constexpr std::string_view kObject = "o:";    // o:<instance path> -> "" (created by ACS/bus)
constexpr std::string_view kKeyed = "k:";     // k:<table path>\x1f<key> -> instance number

struct Node;
struct Kid {
  std::unique_ptr<Node> single;
  std::map<std::uint32_t, std::unique_ptr<Node>> rows;
};

struct Node {
  ObjectDef* def = nullptr;
  Node* parent = nullptr;
  std::uint32_t number = 0;
  std::string key;
  std::string path;  // "Device.WiFi.SSID.2."
  std::vector<std::string> values;
  std::vector<Kid> kids;  // parallel to def->children
};

struct Attr {
  int notification = 0;
  std::vector<std::string> accessList;
};

struct Location {
  enum Kind { None, Object, Table, Param } kind = None;
  Node* node = nullptr;
  std::size_t kid = 0;  // for Table: index into node->kids
  ParamDef* param = nullptr;
};

bool isNumber(std::string_view s) {
  if (s.empty() || s.size() > 10 || s[0] == '0') return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return std::stoull(std::string(s)) <= UINT32_MAX;
}

std::string encodeAttr(const Attr& a) {
  std::string s = std::to_string(a.notification) + "|";
  for (std::size_t i = 0; i < a.accessList.size(); ++i) s += (i ? "," : "") + a.accessList[i];
  return s;
}

Attr decodeAttr(const std::string& s) {
  Attr a;
  auto bar = s.find('|');
  a.notification = std::atoi(s.substr(0, bar).c_str());
  if (bar != std::string::npos) {
    std::string rest = s.substr(bar + 1), cur;
    for (char c : rest + ",") {
      if (c == ',') {
        if (!cur.empty()) a.accessList.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
  }
  return a;
}

}  // namespace

struct PendingChange {
  Node* node;
  ParamDef* def;
  std::string value;
  std::string old;
};

struct Engine::Impl {
  std::string root;
  Store& store;
  std::map<std::string, std::unique_ptr<ObjectDef>> defs;  // by pattern
  ObjectDef* rootDef = nullptr;
  std::unique_ptr<Node> rootNode;
  bool finalized = false;
  std::vector<std::string> plugins;  // id -> name
  std::vector<ChangeListener> listeners;
  std::unordered_map<std::string, Attr> attrs;
  std::set<std::string> vendorEvents;
  std::map<std::string, int> vendorEventOwner;
  std::vector<std::pair<int, std::function<void()>>> flushers;
  std::set<int> dirtyPlugins;
  bool inSession = false;
  std::unordered_set<const ParamDef*> persistedReadOnly;
  PluginFirewall firewall;

  // Registration in progress.
  int current = -1;
  sdk::Host* currentHost = nullptr;
  std::unique_ptr<sdk::Registrar> registrar;

  Impl(std::string r, Store& s) : root(std::move(r)), store(s) {
    auto d = std::make_unique<ObjectDef>();
    d->pattern = root + ".";
    d->name = root;
    rootDef = d.get();
    defs[d->pattern] = std::move(d);
  }

  // ---------- definitions ----------

  static std::string parentPattern(const std::string& pattern) {
    // "Device.WiFi.SSID.{i}." -> "Device.WiFi."; "Device.WiFi." -> "Device."
    std::string p = pattern.substr(0, pattern.size() - 1);
    if (p.size() >= 4 && p.compare(p.size() - 4, 4, ".{i}") == 0) p.resize(p.size() - 4);
    auto dot = p.rfind('.');
    return dot == std::string::npos ? std::string() : p.substr(0, dot + 1);
  }
  static std::string lastName(const std::string& pattern) {
    std::string p = pattern.substr(0, pattern.size() - 1);
    if (p.size() >= 4 && p.compare(p.size() - 4, 4, ".{i}") == 0) p.resize(p.size() - 4);
    auto dot = p.rfind('.');
    return dot == std::string::npos ? p : p.substr(dot + 1);
  }

  ObjectDef* findDef(const std::string& pattern) {
    auto it = defs.find(pattern);
    return it == defs.end() ? nullptr : it->second.get();
  }

  ObjectDef* ensureDef(const std::string& pattern, int plugin) {
    if (ObjectDef* d = findDef(pattern)) return d;
    if (pattern.rfind(root + ".", 0) != 0)
      throw std::runtime_error("object " + pattern + " is not under the root " + root + ".");
    std::string parent = parentPattern(pattern);
    ObjectDef* p = ensureDef(parent, plugin);
    auto d = std::make_unique<ObjectDef>();
    d->pattern = pattern;
    d->name = lastName(pattern);
    d->multi = pattern.size() > 4 && pattern.compare(pattern.size() - 4, 4, "{i}.") == 0;
    d->plugin = plugin;
    d->parent = p;
    if (p->findChild(d->name))
      throw std::runtime_error("object " + pattern + " clashes with an existing object");
    if (p->findParam(d->name))
      throw std::runtime_error("object " + pattern + " clashes with parameter " + p->pattern + d->name);
    p->children.push_back(d.get());
    p->childByName[d->name] = d.get();
    ObjectDef* raw = d.get();
    defs[pattern] = std::move(d);
    return raw;
  }

  void merge(const std::vector<model::ParsedModel>& models, int plugin) {
    for (const auto& m : models) {
      for (const auto& o : m.objects) {
        bool existed = findDef(o.pattern) != nullptr;
        ObjectDef* d = ensureDef(o.pattern, plugin);
        if (existed && d->multi != o.multi)
          throw std::runtime_error("object " + o.pattern + " redefined with a different multiplicity");
        if (o.multi) {
          d->writable = d->writable || o.writable;
          if (o.maxEntries) d->maxEntries = o.maxEntries;
          if (!o.numEntriesParameter.empty()) d->numEntriesParameter = o.numEntriesParameter;
        }
        for (const auto& pp : o.params) {
          if (d->findParam(pp.name)) {
            std::string owner = plugins.empty() || d->findParam(pp.name)->plugin < 0
                                    ? "core"
                                    : plugins[static_cast<std::size_t>(d->findParam(pp.name)->plugin)];
            throw std::runtime_error("parameter " + o.pattern + pp.name + " is already defined by " +
                                     owner);
          }
          if (d->findChild(pp.name))
            throw std::runtime_error("parameter " + o.pattern + pp.name + " clashes with an object");
          auto p = std::make_unique<ParamDef>();
          p->name = pp.name;
          p->type = pp.type;
          model::compilePatterns(p->type);
          p->access = pp.access;
          p->secret = pp.secret;
          p->forcedInform = pp.forcedInform;
          p->activeNotify = pp.activeNotify;
          p->defaultNotification = pp.defaultNotification;
          p->defaultValue = pp.defaultValue;
          p->plugin = plugin;
          p->object = d;
          if (p->defaultValue) {
            std::string canon, why;
            if (!model::checkValue(p->type, *p->defaultValue, canon, why))
              throw std::runtime_error("default of " + o.pattern + pp.name + " is invalid: " + why);
            p->defaultValue = canon;
          }
          d->paramByName[p->name] = p.get();
          d->params.push_back(std::move(p));
        }
      }
    }
  }

  void removePlugin(int plugin) {
    for (auto& [pattern, d] : defs) {
      auto& ps = d->params;
      for (auto it = ps.begin(); it != ps.end();) {
        if ((*it)->plugin == plugin) {
          d->paramByName.erase((*it)->name);
          it = ps.erase(it);
        } else {
          ++it;
        }
      }
      if (d->bindingPlugin == plugin) {
        d->binding = Binding{};
        d->bindingPlugin = -1;
      }
      for (auto& p : d->params)
        if (p->getter && p->plugin == plugin) p->getter = nullptr;
    }
    // Objects the plugin introduced, deepest first, when nothing else lives in them.
    std::vector<std::string> patterns;
    for (auto& [pattern, d] : defs) patterns.push_back(pattern);
    std::sort(patterns.begin(), patterns.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    for (const auto& pattern : patterns) {
      ObjectDef* d = findDef(pattern);
      if (!d || d == rootDef || d->plugin != plugin || !d->params.empty() || !d->children.empty())
        continue;
      ObjectDef* p = d->parent;
      p->childByName.erase(d->name);
      p->children.erase(std::find(p->children.begin(), p->children.end(), d));
      defs.erase(pattern);
    }
    for (auto it = vendorEventOwner.begin(); it != vendorEventOwner.end();) {
      if (it->second == plugin) {
        vendorEvents.erase(it->first);
        it = vendorEventOwner.erase(it);
      } else {
        ++it;
      }
    }
    flushers.erase(std::remove_if(flushers.begin(), flushers.end(),
                                  [&](const auto& f) { return f.first == plugin; }),
                   flushers.end());
  }

  // NumberOfEntries parameters are counted by the core.
  void bindBuiltins() {
    for (auto& [pattern, d] : defs) {
      if (!d->multi) continue;
      ObjectDef* parent = d->parent;
      std::string name = d->numEntriesParameter.empty() ? d->name + "NumberOfEntries"
                                                        : d->numEntriesParameter;
      ParamDef* p = parent->findParam(name);
      if (!p) {
        if (d->numEntriesParameter.empty()) continue;
        auto np = std::make_unique<ParamDef>();
        np->name = name;
        np->type.base = sdk::ParamType::UnsignedInt;
        np->object = parent;
        p = np.get();
        parent->paramByName[name] = p;
        parent->params.push_back(std::move(np));
      }
      if (p->getter) continue;
      std::size_t kidIndex =
          static_cast<std::size_t>(std::find(parent->children.begin(), parent->children.end(), d.get()) -
                                   parent->children.begin());
      p->builtin = [kidIndex](const void* n) {
        return std::to_string(static_cast<const Node*>(n)->kids[kidIndex].rows.size());
      };
    }
    for (auto& [pattern, d] : defs)
      for (std::size_t i = 0; i < d->params.size(); ++i) d->params[i]->index = static_cast<std::uint32_t>(i);
  }

  // ---------- instances ----------

  std::string defaultFor(const ParamDef& p) const {
    return p.defaultValue ? *p.defaultValue : model::zeroValue(p.type);
  }

  std::unique_ptr<Node> makeNode(ObjectDef* def, Node* parent, std::uint32_t number, std::string path) {
    auto n = std::make_unique<Node>();
    n->def = def;
    n->parent = parent;
    n->number = number;
    n->path = std::move(path);
    n->values.resize(def->params.size());
    for (const auto& p : def->params) {
      if (p->getter || p->builtin) continue;
      const std::string* stored = store.get(std::string(kValue) + n->path + p->name);
      if (stored) {
        std::string canon, why;
        if (model::checkValue(p->type, *stored, canon, why)) {
          n->values[p->index] = canon;
          continue;
        }
        // Forgotten, so that the config's initial value (setInitial) applies; failing
        // that the definition's default. The key is dropped at the next commit.
        CWMPD_LOG(Warning, kLog, "stored value of " << n->path << p->name << " is invalid (" << why
                                                    << "); using the configured or default value");
        store.erase(std::string(kValue) + n->path + p->name);
      }
      n->values[p->index] = defaultFor(*p);
    }
    n->kids.resize(def->children.size());
    for (std::size_t i = 0; i < def->children.size(); ++i) {
      ObjectDef* c = def->children[i];
      if (!c->multi) n->kids[i].single = makeNode(c, n.get(), 0, n->path + c->name + ".");
    }
    return n;
  }

  // ---------- paths ----------

  static std::vector<std::string_view> split(std::string_view path) {
    std::vector<std::string_view> segs;
    std::size_t start = 0;
    while (start < path.size()) {
      auto dot = path.find('.', start);
      if (dot == std::string_view::npos) {
        segs.push_back(path.substr(start));
        break;
      }
      segs.push_back(path.substr(start, dot - start));
      start = dot + 1;
    }
    return segs;
  }

  Location resolve(std::string_view path) {
    Location loc;
    if (path.empty() || path.size() > kMaxPathLength || !rootNode) return loc;
    bool partial = path.back() == '.';
    auto segs = split(path);
    if (segs.empty() || segs[0] != root) return loc;
    for (auto s : segs)
      if (s.empty()) return loc;  // "Device..WiFi"
    Node* node = rootNode.get();
    std::size_t i = 1;
    while (i < segs.size()) {
      std::string seg(segs[i]);
      bool last = i + 1 == segs.size();
      if (last && !partial) {
        ParamDef* p = node->def->findParam(seg);
        if (!p) return loc;
        loc.kind = Location::Param;
        loc.node = node;
        loc.param = p;
        return loc;
      }
      ObjectDef* child = node->def->findChild(seg);
      if (!child) return loc;
      std::size_t k = static_cast<std::size_t>(
          std::find(node->def->children.begin(), node->def->children.end(), child) -
          node->def->children.begin());
      if (!child->multi) {
        node = node->kids[k].single.get();
        ++i;
        continue;
      }
      if (last) {
        loc.kind = Location::Table;
        loc.node = node;
        loc.kid = k;
        return loc;
      }
      std::string_view num = segs[i + 1];
      if (!isNumber(num)) return loc;
      auto it = node->kids[k].rows.find(static_cast<std::uint32_t>(std::stoul(std::string(num))));
      if (it == node->kids[k].rows.end()) return loc;
      node = it->second.get();
      i += 2;
      if (i == segs.size() && !partial) return Location{};  // "Device.WiFi.SSID.1" without dot
    }
    loc.kind = Location::Object;
    loc.node = node;
    return loc;
  }

  Location resolveOrThrow(std::string_view path) {
    Location loc = resolve(path);
    if (loc.kind == Location::None)
      throw Fault(FaultCode::InvalidParameterName, "Invalid parameter name: " + std::string(path));
    return loc;
  }

  // Every name of a GetParameterValues-like request resolved before anything is read, so
  // that an unknown one faults (9005) before the first value is produced. "" = the root.
  std::vector<Location> resolveAll(const std::vector<std::string>& names) {
    std::vector<Location> out;
    out.reserve(names.size());
    for (const auto& name : names)
      out.push_back(name.empty() ? Location{Location::Object, rootNode.get(), 0, nullptr} : resolveOrThrow(name));
    return out;
  }

  sdk::InstanceRef ref(const Node& n) const {
    sdk::InstanceRef r;
    r.path = n.path;
    r.number = n.number;
    r.key = n.key;
    for (const Node* p = &n; p; p = p->parent)
      if (p->number) r.numbers.insert(r.numbers.begin(), p->number);
    return r;
  }

  const std::string& pluginName(int id) const {
    static const std::string core = "core";
    return id < 0 ? core : plugins[static_cast<std::size_t>(id)];
  }

  // A disabled plugin's subtree answers 9002, stored values included (PluginFirewall).
  void checkInService(int plugin) const {
    if (plugin >= 0 && firewall.anyDisabled() && firewall.disabled(pluginName(plugin)))
      throw PluginFirewall::disabledFault(pluginName(plugin));
  }

  std::string read(Node& n, const ParamDef& p, bool mask) {
    if (mask && p.secret) return {};
    if (p.builtin) return p.builtin(&n);
    checkInService(p.plugin);
    if (p.getter) return firewall.call(pluginName(p.plugin), "get", [&] { return p.getter(ref(n)); });
    return n.values[p.index];
  }

  // Visits every parameter under `n` (depth first, definition order).
  template <typename F>
  void forEachParam(Node& n, F&& f) {
    for (const auto& p : n.def->params) f(n, *p);
    for (auto& kid : n.kids) {
      if (kid.single) forEachParam(*kid.single, f);
      for (auto& [num, row] : kid.rows) forEachParam(*row, f);
    }
  }

  template <typename F>
  void forEachParamAt(const Location& loc, F&& f) {
    switch (loc.kind) {
      case Location::Param: f(*loc.node, *loc.param); break;
      case Location::Object: forEachParam(*loc.node, f); break;
      case Location::Table:
        for (auto& [num, row] : loc.node->kids[loc.kid].rows) forEachParam(*row, f);
        break;
      case Location::None: break;
    }
  }

  std::string tablePath(const Location& loc) const {
    return loc.node->path + loc.node->def->children[loc.kid]->name + ".";
  }

  // ---------- changes ----------

  void notify(const std::vector<CommittedChange>& changes, sdk::Source source) {
    if (changes.empty()) return;
    for (const auto& l : listeners) {
      try {
        l(changes, source);
      } catch (const std::exception& e) {
        CWMPD_LOG(Error, kLog, "change listener failed: " << e.what());
      }
    }
  }

  bool persisted(const ParamDef& p) const {
    return p.access != sdk::Access::ReadOnly || persistedReadOnly.count(&p);
  }

  void markDirty(int plugin) {
    if (plugin < 0) return;
    dirtyPlugins.insert(plugin);
    if (!inSession) flush();
  }

  void flush() {
    auto dirty = std::move(dirtyPlugins);
    dirtyPlugins.clear();
    for (auto& [plugin, fn] : flushers) {
      if (!dirty.count(plugin)) continue;
      firewall.run(pluginName(plugin), "flush", fn);
    }
  }

  bool holdCommits = false;

  // Commits a change someone asked for. When the disk does not take it (full, EIO; the
  // store logs that once), what it staged in the store is dropped, so that no later,
  // unrelated commit writes it, and the request is answered 9002. The caller restores
  // memory.
  void commitStore() {
    if (holdCommits) return;
    if (store.tryCommit()) return;
    store.rollback();
    throw Fault(FaultCode::InternalError, "cannot persist the change");
  }

  // Commits the agent's own bookkeeping (instance numbers, startup state): nothing to
  // refuse, so on failure it stays pending and the next commit writes it.
  void commitOwnState() {
    if (holdCommits) return;
    if (!store.tryCommit()) store.keepPending();
  }

  std::vector<sdk::Change> toSdk(const std::vector<PendingChange*>& batch, bool reverse) {
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

  void rollbackBatch(ObjectDef* def, const std::vector<PendingChange*>& batch) {
    auto reversed = toSdk(batch, true);
    const auto& handler = def->binding.rollback ? def->binding.rollback : def->binding.apply;
    if (!handler) return;
    try {
      firewall.call(pluginName(def->bindingPlugin), "rollback", [&] { handler(reversed); });
    } catch (const Fault& f) {
      CWMPD_LOG(Error, "plugin " + pluginName(def->bindingPlugin),
                "rollback failed, hardware may differ from the model: " << f.what());
    }
  }

  // Changes grouped by the object definition whose binding handles them, in request order.
  struct Groups {
    std::vector<ObjectDef*> order;
    std::map<ObjectDef*, std::vector<PendingChange*>> batches;
  };
  static Groups groupByBinding(std::vector<PendingChange>& changes) {
    Groups g;
    for (auto& c : changes) {
      ObjectDef* d = c.node->def;
      if (!g.batches.count(d)) g.order.push_back(d);
      g.batches[d].push_back(&c);
    }
    return g;
  }

  // Undoes a set whose phase 2 ran but which could not be persisted: memory back to the
  // old values, every plugin batch rolled back in reverse order.
  void undoApplied(std::vector<PendingChange>& changes) {
    for (auto& c : changes)
      if (!c.def->getter) c.node->values[c.def->index] = c.old;
    Groups g = groupByBinding(changes);
    for (auto it = g.order.rbegin(); it != g.order.rend(); ++it)
      if ((*it)->binding.apply) rollbackBatch(*it, g.batches[*it]);
  }

  // Phase 1 and 2 of a set. `changes` are already resolved and type-checked. True when a
  // plugin said some change takes effect only later: after a reboot, or at its flush
  // while a session holds the flushes back (outside one, the flush follows at once).
  bool runTransaction(std::vector<PendingChange>& changes) {
    bool deferred = false;
    Groups g = groupByBinding(changes);
    auto& order = g.order;
    auto& groups = g.batches;
    // Phase 1: every plugin validates; nothing has changed yet.
    std::vector<ParameterFault> faults;
    for (auto& c : changes) {
      try {
        checkInService(c.def->plugin);
        checkInService(c.node->def->bindingPlugin);
      } catch (const Fault& f) {
        faults.push_back({c.node->path + c.def->name, f.code(), f.what()});
      }
    }
    for (ObjectDef* d : order) {
      if (!d->binding.validate || firewall.disabled(pluginName(d->bindingPlugin))) continue;
      auto batch = toSdk(groups[d], false);
      try {
        firewall.call(pluginName(d->bindingPlugin), "validate", [&] { d->binding.validate(batch); });
      } catch (const Fault& f) {
        for (auto* c : groups[d])
          faults.push_back({c->node->path + c->def->name, f.code(), f.what()});
      }
    }
    if (!faults.empty()) {
      int code = faults.size() == 1 ? faults[0].code : static_cast<int>(FaultCode::InvalidArguments);
      throw SetFault(code, faults.size() == 1 ? faults[0].message : "Invalid arguments", faults);
    }
    // Phase 2: apply; on the first failure roll back what was applied, in reverse.
    std::vector<ObjectDef*> applied;
    for (ObjectDef* d : order) {
      for (auto* c : groups[d])
        if (!c->def->getter) c->node->values[c->def->index] = c->value;
      if (d->binding.apply) {
        auto batch = toSdk(groups[d], false);
        try {
          if (d->binding.applyReporting) {
            sdk::ApplyReport report{std::vector<sdk::Effect>(batch.size(), sdk::Effect::Now)};
            firewall.call(pluginName(d->bindingPlugin), "apply", [&] { d->binding.applyReporting(batch, report); });
            for (sdk::Effect e : report.effects)
              deferred = deferred || e == sdk::Effect::AfterReboot || (e == sdk::Effect::AtSessionEnd && inSession);
          } else {
            firewall.call(pluginName(d->bindingPlugin), "apply", [&] { d->binding.apply(batch); });
          }
        } catch (const Fault& f) {
          for (auto* c : groups[d])
            if (!c->def->getter) c->node->values[c->def->index] = c->old;
          for (auto it = applied.rbegin(); it != applied.rend(); ++it) {
            for (auto* c : groups[*it])
              if (!c->def->getter) c->node->values[c->def->index] = c->old;
            rollbackBatch(*it, groups[*it]);
          }
          std::vector<ParameterFault> pf;
          for (auto* c : groups[d]) pf.push_back({c->node->path + c->def->name, f.code(), f.what()});
          throw SetFault(f.code(), f.what(), pf);
        }
      }
      applied.push_back(d);
    }
    return deferred;
  }

  void persistValues(const std::vector<PendingChange>& changes) {
    for (const auto& c : changes)
      if (!c.def->getter && persisted(*c.def))
        store.set(std::string(kValue) + c.node->path + c.def->name, c.value);
  }

  void setParameterKey(const std::optional<std::string>& key, std::vector<PendingChange>& extra) {
    if (!key) return;
    Location loc = resolve(root + ".ManagementServer.ParameterKey");
    if (loc.kind != Location::Param) return;  // no management plugin: nothing to keep it in
    if (key->size() > 32)
      throw Fault(FaultCode::InvalidArguments, "ParameterKey longer than 32 characters");
    extra.push_back({loc.node, loc.param, *key, loc.node->values[loc.param->index]});
  }

  Attr attrOf(const Node& n, const ParamDef& p) const {
    auto it = attrs.find(n.path + p.name);
    if (it != attrs.end()) return it->second;
    Attr a;
    a.notification = p.defaultNotification;
    return a;
  }

  void eraseSubtreeStore(const std::string& path) {
    store.erasePrefix(std::string(kValue) + path);
    store.erasePrefix(std::string(kAttr) + path);
    store.erasePrefix(std::string(kObject) + path);
  }

  void eraseSubtreeAttrs(const std::string& path) {
    for (auto it = attrs.begin(); it != attrs.end();) {
      if (it->first.compare(0, path.size(), path) == 0) it = attrs.erase(it);
      else ++it;
    }
  }

  std::uint32_t nextNumber(const std::string& table) {
    const std::string key = std::string(kNext) + table;
    const std::string* s = store.get(key);
    std::uint32_t n = s ? static_cast<std::uint32_t>(std::strtoul(s->c_str(), nullptr, 10)) : 1;
    if (n == 0) n = 1;
    store.set(key, std::to_string(n + 1));
    return n;
  }

  // Creates a row. The instance number must be free.
  Node* createRow(Node* parent, std::size_t kid, std::uint32_t number, const std::string& key) {
    ObjectDef* d = parent->def->children[kid];
    std::string path = parent->path + d->name + "." + std::to_string(number) + ".";
    auto node = makeNode(d, parent, number, path);
    node->key = key;
    // Alias gets a unique default ("cpe-N", the TR-181 convention for CPE-assigned aliases).
    if (ParamDef* alias = d->findParam("Alias");
        alias && !alias->getter && !store.get(std::string(kValue) + path + "Alias"))
      node->values[alias->index] = "cpe-" + std::to_string(number);
    Node* raw = node.get();
    parent->kids[kid].rows[number] = std::move(node);
    return raw;
  }

  // Makes sure the next-instance counter stays above every number in use.
  void bumpNext(const std::string& table, std::uint32_t used) {
    const std::string key = std::string(kNext) + table;
    const std::string* s = store.get(key);
    std::uint32_t n = s ? static_cast<std::uint32_t>(std::strtoul(s->c_str(), nullptr, 10)) : 1;
    if (n <= used) store.set(key, std::to_string(used + 1));
  }

  void loadPersistedObjects() {
    std::vector<std::string> paths;
    store.forEach(kObject, [&](const std::string& k, const std::string&) { paths.push_back(k.substr(kObject.size())); });
    // Lexicographic order puts a parent before its children.
    for (const auto& p : paths) {
      // "Device.WiFi.SSID.3." -> table "Device.WiFi.SSID." and number 3
      std::string t = p.substr(0, p.size() - 1);
      auto dot = t.rfind('.');
      if (dot == std::string::npos) continue;
      std::string num = t.substr(dot + 1);
      std::string table = t.substr(0, dot + 1);
      Location loc = resolve(table);
      if (loc.kind != Location::Table || !isNumber(num)) {
        CWMPD_LOG(Warning, kLog, "dropping persisted object " << p << ": no longer in the model");
        store.erase(std::string(kObject) + p);
        continue;
      }
      auto n = static_cast<std::uint32_t>(std::stoul(num));
      if (!loc.node->kids[loc.kid].rows.count(n)) createRow(loc.node, loc.kid, n, {});
      bumpNext(table, n);
    }
    store.forEach(kAttr, [&](const std::string& k, const std::string& v) {
      attrs[k.substr(kAttr.size())] = decodeAttr(v);
    });
  }
};

// ---------------- registrar ----------------

namespace {

class BindingImpl : public sdk::ObjectBinding {
 public:
  BindingImpl(ObjectDef* d, int plugin) : d_(d), plugin_(plugin) {}
  ObjectBinding& get(std::string_view parameter, sdk::Getter getter) override {
    ParamDef* p = d_->findParam(std::string(parameter));
    if (!p) throw std::invalid_argument("no parameter " + d_->pattern + std::string(parameter));
    if (p->plugin != plugin_ && p->plugin >= 0)
      throw std::invalid_argument("parameter " + d_->pattern + std::string(parameter) +
                                  " belongs to another plugin");
    p->getter = std::move(getter);
    return *this;
  }
  ObjectBinding& validate(sdk::ChangeHandler h) override { return set(&Binding::validate, std::move(h)); }
  ObjectBinding& apply(sdk::ChangeHandler h) override {
    set(&Binding::apply, std::move(h));
    d_->binding.applyReporting = nullptr;
    return *this;
  }
  ObjectBinding& apply(sdk::ReportingChangeHandler h) override {
    claim();
    d_->binding.applyReporting = std::move(h);
    d_->binding.apply = [d = d_](const std::vector<sdk::Change>& changes) {
      sdk::ApplyReport ignored{std::vector<sdk::Effect>(changes.size(), sdk::Effect::Now)};
      d->binding.applyReporting(changes, ignored);
    };
    return *this;
  }
  ObjectBinding& rollback(sdk::ChangeHandler h) override { return set(&Binding::rollback, std::move(h)); }
  ObjectBinding& onAdd(sdk::InstanceHandler h) override {
    claim();
    d_->binding.onAdd = std::move(h);
    return *this;
  }
  ObjectBinding& onDelete(sdk::InstanceHandler h) override {
    claim();
    d_->binding.onDelete = std::move(h);
    return *this;
  }

 private:
  ObjectDef* d_;
  int plugin_;
  void claim() {
    if (d_->bindingPlugin >= 0 && d_->bindingPlugin != plugin_)
      throw std::invalid_argument("object " + d_->pattern + " is already bound by another plugin");
    d_->bindingPlugin = plugin_;
  }
  ObjectBinding& set(sdk::ChangeHandler Binding::*field, sdk::ChangeHandler h) {
    claim();
    d_->binding.*field = std::move(h);
    return *this;
  }
};

class RegistrarImpl : public sdk::Registrar {
 public:
  RegistrarImpl(Engine::Impl& impl, int id, sdk::Host& host) : impl_(impl), id_(id), host_(host) {}
  sdk::Host& host() override { return host_; }
  void definitions(std::string_view xml) override {
    impl_.merge(model::parseDocument(xml, impl_.root), id_);
  }
  sdk::ObjectBinding& object(std::string_view pattern) override {
    ObjectDef* d = impl_.findDef(std::string(pattern));
    if (!d) throw std::invalid_argument("object " + std::string(pattern) + " is not defined");
    bindings_.push_back(std::make_unique<BindingImpl>(d, id_));
    return *bindings_.back();
  }
  void vendorEvent(std::string_view code) override {
    std::string c(code);
    if (c.size() < 3 || c.compare(0, 2, "X ") != 0 || c.size() > 64)
      throw std::invalid_argument("vendor event '" + c + "' must look like 'X <OUI> <NAME>'");
    if (impl_.vendorEvents.count(c)) throw std::invalid_argument("vendor event '" + c + "' already declared");
    impl_.vendorEvents.insert(c);
    impl_.vendorEventOwner[c] = id_;
  }
  void onFlush(std::function<void()> flush) override { impl_.flushers.emplace_back(id_, std::move(flush)); }

 private:
  Engine::Impl& impl_;
  int id_;
  sdk::Host& host_;
  std::vector<std::unique_ptr<BindingImpl>> bindings_;
};

}  // namespace

// ---------------- Engine ----------------

Engine::Engine(std::string root, Store& store) : impl_(std::make_unique<Impl>(std::move(root), store)) {}
Engine::~Engine() = default;

PluginFirewall& Engine::firewall() { return impl_->firewall; }

sdk::Registrar& Engine::beginRegistration(const std::string& pluginName, sdk::Host& host) {
  if (impl_->finalized) throw std::logic_error("registration after finalize()");
  impl_->plugins.push_back(pluginName);
  impl_->current = static_cast<int>(impl_->plugins.size() - 1);
  impl_->registrar = std::make_unique<RegistrarImpl>(*impl_, impl_->current, host);
  return *impl_->registrar;
}

void Engine::endRegistration(bool ok) {
  if (!ok && impl_->current >= 0) impl_->removePlugin(impl_->current);
  impl_->registrar.reset();
  impl_->current = -1;
}

void Engine::addDefinitions(std::string_view xml, const std::string& owner) {
  (void)owner;
  impl_->merge(model::parseDocument(xml, impl_->root), -1);
}

void Engine::finalize() {
  auto& m = *impl_;
  if (m.finalized) return;
  m.bindBuiltins();
  if (ObjectDef* ms = m.findDef(m.root + ".ManagementServer."))
    if (ParamDef* pk = ms->findParam("ParameterKey")) m.persistedReadOnly.insert(pk);
  m.rootNode = m.makeNode(m.rootDef, nullptr, 0, m.root + ".");
  m.finalized = true;
  m.loadPersistedObjects();
  // What loading cleaned up (dropped objects, invalid values) is the agent's own state:
  // a later failed request must not roll it back.
  m.store.keepPending();
  std::size_t params = 0;
  for (auto& [p, d] : m.defs) params += d->params.size();
  CWMPD_LOG(Info, kLog, "model " << m.root << ": " << m.defs.size() << " objects, " << params
                                 << " parameter definitions");
}

std::size_t Engine::countValues(const std::vector<std::string>& names) {
  auto& m = *impl_;
  std::size_t count = 0;
  for (const auto& loc : m.resolveAll(names)) m.forEachParamAt(loc, [&](Node&, const ParamDef&) { ++count; });
  return count;
}

std::vector<ParameterValue> Engine::getValues(const std::vector<std::string>& names) {
  // Counted first so that a whole-tree read allocates its result once: on a box with
  // 100,000 parameters the doubling growth would hold two copies at the peak.
  std::vector<ParameterValue> out;
  out.reserve(countValues(names));
  visitValues(names, [&](std::string_view name, sdk::ParamType type, std::string_view value) {
    out.push_back({std::string(name), type, std::string(value)});
  });
  return out;
}

void Engine::visitValues(const std::vector<std::string>& names, const ValueVisitor& visit) {
  auto& m = *impl_;
  std::string name;
  for (const auto& loc : m.resolveAll(names)) {
    m.forEachParamAt(loc, [&](Node& n, const ParamDef& p) {
      name.assign(n.path);
      name += p.name;
      visit(name, p.type.list ? sdk::ParamType::String : p.type.base, m.read(n, p, true));
    });
  }
}

int Engine::setValues(const std::vector<std::pair<std::string, std::string>>& values,
                      sdk::Source source, const std::optional<std::string>& parameterKey) {
  auto& m = *impl_;
  std::vector<PendingChange> changes;
  std::vector<ParameterFault> faults;
  std::unordered_set<std::string> seen;
  changes.reserve(values.size());
  for (const auto& [name, value] : values) {
    if (!seen.insert(name).second) {
      // TR-069 A.3.2.1: the same parameter twice in one request is invalid.
      throw SetFault(static_cast<int>(FaultCode::InvalidArguments),
                     "Invalid arguments: " + name + " appears more than once",
                     {{name, static_cast<int>(FaultCode::InvalidArguments), "duplicate parameter"}});
    }
    Location loc = m.resolve(name);
    if (loc.kind != Location::Param) {
      faults.push_back({name, static_cast<int>(FaultCode::InvalidParameterName), "Invalid parameter name"});
      continue;
    }
    ParamDef& p = *loc.param;
    if (p.access == sdk::Access::ReadOnly || p.builtin) {
      faults.push_back({name, static_cast<int>(FaultCode::NonWritableParameter),
                        "Attempt to set a non-writable parameter"});
      continue;
    }
    std::string canon, why;
    if (!model::checkValue(p.type, value, canon, why)) {
      faults.push_back({name, static_cast<int>(FaultCode::InvalidParameterValue), "Invalid parameter value: " + why});
      continue;
    }
    std::string old = p.getter ? std::string() : loc.node->values[p.index];
    if (p.getter) {
      try {
        old = m.read(*loc.node, p, false);
      } catch (const Fault&) {
        old.clear();
      }
    }
    changes.push_back({loc.node, &p, std::move(canon), std::move(old)});
  }
  if (!faults.empty()) {
    int code = faults.size() == 1 ? faults[0].code : static_cast<int>(FaultCode::InvalidArguments);
    std::string msg = faults.size() == 1 ? faults[0].message + ": " + faults[0].name : "Invalid arguments";
    throw SetFault(code, msg, faults);
  }
  m.setParameterKey(parameterKey, changes);
  const bool deferred = m.runTransaction(changes);
  m.persistValues(changes);
  try {
    m.commitStore();
  } catch (const Fault&) {
    // Could not persist: undo, so neither memory nor the plugins claim what the disk
    // does not hold.
    m.undoApplied(changes);
    throw;
  }
  std::vector<CommittedChange> committed;
  std::set<int> touched;
  for (const auto& c : changes) {
    if (c.old == c.value && !c.def->secret) continue;
    committed.push_back({c.node->path + c.def->name, c.def->type.list ? sdk::ParamType::String : c.def->type.base,
                         c.def->secret ? std::string() : c.value});
    touched.insert(c.node->def->bindingPlugin >= 0 ? c.node->def->bindingPlugin : c.def->plugin);
  }
  m.notify(committed, source);
  for (int t : touched) m.markDirty(t);
  // TR-069 A.3.2.1 SetParameterValuesResponse Status: 1 when the changes are committed
  // but some take effect only later.
  return deferred ? 1 : 0;
}

void Engine::visitNames(std::string_view path, bool nextLevel, const NameVisitor& visit) {
  auto& m = *impl_;
  // One buffer for every name: a whole tree is 100,000 of them.
  std::string name;
  auto emit = [&](const std::string& base, std::string_view leaf, bool writable) {
    name.assign(base);
    name += leaf;
    visit(name, writable);
  };
  auto emitTable = [&](const std::string& base, const std::string& table, bool writable) {
    name.assign(base);
    name += table;
    name += '.';
    visit(name, writable);
  };
  std::function<void(Node&, bool)> walk = [&](Node& n, bool self) {
    if (self) emit(n.path, {}, n.number != 0 && n.def->writable);
    for (const auto& p : n.def->params)
      emit(n.path, p->name, p->access != sdk::Access::ReadOnly && !p->builtin);
    for (std::size_t k = 0; k < n.kids.size(); ++k) {
      ObjectDef* c = n.def->children[k];
      if (!c->multi) {
        walk(*n.kids[k].single, true);
        continue;
      }
      emitTable(n.path, c->name, c->writable);
      for (auto& [num, row] : n.kids[k].rows) walk(*row, true);
    }
  };
  auto level = [&](Node& n) {
    for (const auto& p : n.def->params)
      emit(n.path, p->name, p->access != sdk::Access::ReadOnly && !p->builtin);
    for (std::size_t k = 0; k < n.kids.size(); ++k) {
      ObjectDef* c = n.def->children[k];
      if (c->multi) emitTable(n.path, c->name, c->writable);
      else emit(n.kids[k].single->path, {}, false);
    }
  };
  if (path.empty()) {
    // TR-069 A.3.2.2: an empty path means the top of the hierarchy.
    if (nextLevel) emit(m.rootNode->path, {}, false);
    else walk(*m.rootNode, true);
    return;
  }
  Location loc = m.resolveOrThrow(path);
  switch (loc.kind) {
    case Location::Param:
      if (nextLevel)
        throw Fault(FaultCode::InvalidArguments, "NextLevel true is not allowed on a parameter name");
      emit(loc.node->path, loc.param->name, loc.param->access != sdk::Access::ReadOnly && !loc.param->builtin);
      break;
    case Location::Object:
      if (nextLevel) level(*loc.node);
      else walk(*loc.node, true);
      break;
    case Location::Table: {
      ObjectDef* c = loc.node->def->children[loc.kid];
      if (!nextLevel) emit(m.tablePath(loc), {}, c->writable);
      for (auto& [num, row] : loc.node->kids[loc.kid].rows) {
        if (nextLevel) emit(row->path, {}, c->writable);
        else walk(*row, true);
      }
      break;
    }
    case Location::None: break;
  }
}

std::vector<ParameterInfo> Engine::getNames(std::string_view path, bool nextLevel) {
  std::vector<ParameterInfo> out;
  visitNames(path, nextLevel, [&](std::string_view name, bool writable) { out.push_back({std::string(name), writable}); });
  return out;
}

std::vector<ParameterAttributes> Engine::getAttributes(const std::vector<std::string>& names) {
  auto& m = *impl_;
  std::vector<ParameterAttributes> out;
  for (const auto& name : names) {
    Location loc = name.empty() ? Location{Location::Object, m.rootNode.get(), 0, nullptr}
                                : m.resolveOrThrow(name);
    m.forEachParamAt(loc, [&](Node& n, const ParamDef& p) {
      Attr a = m.attrOf(n, p);
      out.push_back({n.path + p.name, a.notification, a.accessList});
    });
  }
  return out;
}

void Engine::setAttributes(const std::vector<AttributeUpdate>& updates) {
  auto& m = *impl_;
  // Validate everything first: the request is all-or-nothing (TR-069 A.3.2.4).
  std::vector<std::pair<std::string, Attr>> planned;
  for (const auto& u : updates) {
    if (u.notificationChange && (u.notification < 0 || u.notification > 2))
      throw Fault(FaultCode::InvalidParameterValue, "Notification must be 0, 1 or 2");
    for (const auto& s : u.accessList)
      if (s != "Subscriber") throw Fault(FaultCode::InvalidArguments, "unknown AccessList entry '" + s + "'");
    Location loc = u.name.empty() ? Location{Location::Object, m.rootNode.get(), 0, nullptr}
                                  : m.resolveOrThrow(u.name);
    m.forEachParamAt(loc, [&](Node& n, const ParamDef& p) {
      Attr a = m.attrOf(n, p);
      if (u.notificationChange) {
        if (u.notification == 2 && p.activeNotify == model::ActiveNotify::CanDeny) {
          // Only a request naming this parameter itself is refused; a partial path
          // simply does not enable active notification on such parameters.
          if (loc.kind == Location::Param)
            throw Fault(FaultCode::NotificationRequestRejected,
                        "Notification request rejected: active notification is denied for " + n.path + p.name);
          return;  // left as it was
        } else if ((p.activeNotify == model::ActiveNotify::ForceEnabled) && u.notification != 2) {
          // forceEnabled: always active; the request cannot turn it down.
        } else {
          a.notification = u.notification;
        }
      }
      if (u.accessListChange) a.accessList = u.accessList;
      planned.emplace_back(n.path + p.name, a);
    });
  }
  for (auto& [path, a] : planned) m.store.set(std::string(kAttr) + path, encodeAttr(a));
  m.commitStore();  // before memory changes: a 9002 leaves the attributes as they were
  for (auto& [path, a] : planned) m.attrs[path] = a;
}

std::uint32_t Engine::addObject(std::string_view path, sdk::Source source,
                                const std::optional<std::string>& parameterKey) {
  auto& m = *impl_;
  Location loc = m.resolve(path);
  if (loc.kind != Location::Table)
    throw Fault(FaultCode::InvalidParameterName, "Invalid object name: " + std::string(path));
  ObjectDef* d = loc.node->def->children[loc.kid];
  if (!d->writable) throw Fault(FaultCode::RequestDenied, "Request denied: " + std::string(path) + " is not a writable table");
  auto& rows = loc.node->kids[loc.kid].rows;
  if (d->maxEntries && rows.size() >= *d->maxEntries)
    throw Fault(FaultCode::ResourcesExceeded, "Resources exceeded: " + std::string(path) + " is full");
  std::vector<PendingChange> pk;
  m.setParameterKey(parameterKey, pk);
  const std::string table = m.tablePath(loc);
  std::uint32_t number = m.nextNumber(table);
  Node* row = m.createRow(loc.node, loc.kid, number, {});
  const std::string rowPath = row->path;
  // Committed before the plugin hears of it: when the disk does not take the row, the
  // answer is 9002 and neither the plugin nor the tree ever saw it.
  m.store.set(std::string(kObject) + rowPath, "");
  for (auto& c : pk) m.store.set(std::string(kValue) + c.node->path + c.def->name, c.value);
  if (ParamDef* alias = d->findParam("Alias"); alias && !alias->getter)
    m.store.set(std::string(kValue) + rowPath + "Alias", row->values[alias->index]);
  try {
    m.commitStore();
  } catch (const Fault&) {
    rows.erase(number);
    throw;
  }
  if (d->binding.onAdd) {
    try {
      sdk::InstanceRef r = m.ref(*row);
      m.firewall.call(m.pluginName(d->bindingPlugin), "add", [&] { d->binding.onAdd(r); });
    } catch (const Fault&) {
      rows.erase(number);
      m.eraseSubtreeStore(rowPath);
      for (auto& c : pk) m.store.set(std::string(kValue) + c.node->path + c.def->name, c.old);
      m.commitOwnState();  // the number stays used: numbers are never reused
      throw;
    }
  }
  for (auto& c : pk) c.node->values[c.def->index] = c.value;
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
  Location loc = m.resolve(path);
  if (loc.kind != Location::Object || !loc.node->number)
    throw Fault(FaultCode::InvalidParameterName, "Invalid object name: " + std::string(path));
  Node* row = loc.node;
  ObjectDef* d = row->def;
  if (!d->writable) throw Fault(FaultCode::RequestDenied, "Request denied: " + std::string(path) + " cannot be deleted");
  std::vector<PendingChange> pk;
  m.setParameterKey(parameterKey, pk);
  const std::string rowPath = row->path;
  // Committed before the plugin hears of it: when the disk does not take the deletion,
  // the answer is 9002 and the row is still there for everyone. A plugin that refuses
  // afterwards gets the row's records back.
  std::vector<std::pair<std::string, std::string>> saved;
  for (std::string_view prefix : {kValue, kAttr, kObject})
    m.store.forEach(std::string(prefix) + rowPath,
                    [&](const std::string& k, const std::string& v) { saved.emplace_back(k, v); });
  m.eraseSubtreeStore(rowPath);
  for (auto& c : pk) m.store.set(std::string(kValue) + c.node->path + c.def->name, c.value);
  m.commitStore();
  if (d->binding.onDelete) {
    try {
      sdk::InstanceRef r = m.ref(*row);
      m.firewall.call(m.pluginName(d->bindingPlugin), "delete", [&] { d->binding.onDelete(r); });
    } catch (const Fault&) {
      for (const auto& [k, v] : saved) m.store.set(k, v);
      for (auto& c : pk) m.store.set(std::string(kValue) + c.node->path + c.def->name, c.old);
      m.commitOwnState();
      throw;
    }
  }
  Node* parent = row->parent;
  std::size_t kid = static_cast<std::size_t>(
      std::find(parent->def->children.begin(), parent->def->children.end(), d) - parent->def->children.begin());
  parent->kids[kid].rows.erase(row->number);
  m.eraseSubtreeAttrs(rowPath);
  for (auto& c : pk) c.node->values[c.def->index] = c.value;
  (void)source;
  m.markDirty(d->bindingPlugin);
}

void Engine::addChangeListener(ChangeListener listener) { impl_->listeners.push_back(std::move(listener)); }

const std::string& Engine::root() const { return impl_->root; }

std::vector<ParameterDefinitionInfo> Engine::definitions() const {
  std::vector<ParameterDefinitionInfo> out;
  for (const auto& [pattern, d] : impl_->defs) {
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
  impl_->forEachParam(*impl_->rootNode, [&](Node& n, const ParamDef& p) {
    if (p.forcedInform) out.push_back(n.path + p.name);
  });
  return out;
}

std::string Engine::pluginOf(std::string_view path) {
  Location loc = impl_->resolve(path);
  if (loc.kind != Location::Param) return {};
  return impl_->pluginName(loc.param->plugin >= 0 ? loc.param->plugin : loc.node->def->plugin);
}

std::string Engine::rawValue(std::string_view path) {
  Location loc = impl_->resolve(path);
  if (loc.kind != Location::Param)
    throw Fault(FaultCode::InvalidParameterName, "Invalid parameter name: " + std::string(path));
  return impl_->read(*loc.node, *loc.param, false);
}

bool Engine::exists(std::string_view path) { return impl_->resolve(path).kind != Location::None; }

void Engine::setInternal(std::string_view path, std::string_view value, bool persist, sdk::Source source) {
  auto& m = *impl_;
  Location loc = m.resolveOrThrow(path);
  if (loc.kind != Location::Param || loc.param->getter || loc.param->builtin)
    throw Fault(FaultCode::InvalidParameterName, "not a core-stored parameter: " + std::string(path));
  std::string canon, why;
  if (!model::checkValue(loc.param->type, value, canon, why))
    throw Fault(FaultCode::InvalidParameterValue, std::string(path) + ": " + why);
  std::string& slot = loc.node->values[loc.param->index];
  if (slot == canon) return;
  if (persist) {
    m.store.set(std::string(kValue) + loc.node->path + loc.param->name, canon);
    m.commitStore();  // a 9002 leaves the value as it was
  }
  slot = canon;
  m.notify({{loc.node->path + loc.param->name, loc.param->type.base, loc.param->secret ? std::string() : canon}},
           source);
}

std::uint32_t Engine::ensureInstance(std::string_view table, std::string_view key) {
  auto& m = *impl_;
  Location loc = m.resolve(table);
  if (loc.kind != Location::Table)
    throw Fault(FaultCode::InvalidParameterName, "not a multi-instance table: " + std::string(table));
  const std::string t = m.tablePath(loc);
  const std::string mapKey = std::string(kKeyed) + t + '\x1f' + std::string(key);
  auto& rows = loc.node->kids[loc.kid].rows;
  std::uint32_t number = 0;
  if (const std::string* s = m.store.get(mapKey)) number = static_cast<std::uint32_t>(std::strtoul(s->c_str(), nullptr, 10));
  if (number && rows.count(number)) {
    if (rows[number]->key == key) return number;
    number = 0;  // the number went to another instance meanwhile
  }
  if (!number) {
    number = m.nextNumber(t);
    m.store.set(mapKey, std::to_string(number));
    // A number is handed out only once it is on disk: one that lived in memory only could
    // go to another key after a restart, and a number is never reused. On a full disk the
    // plugin gets 9002 and nothing is created; it asks again at its next refresh. While
    // the plugins start (holdCommits) the numbers wait for the one commit after start().
    m.commitStore();
  }
  m.createRow(loc.node, loc.kid, number, std::string(key));
  return number;
}

void Engine::removeInstance(std::string_view instancePath) {
  auto& m = *impl_;
  Location loc = m.resolve(instancePath);
  if (loc.kind != Location::Object || !loc.node->number)
    throw Fault(FaultCode::InvalidParameterName, "not an instance: " + std::string(instancePath));
  Node* row = loc.node;
  Node* parent = row->parent;
  std::size_t kid = static_cast<std::size_t>(
      std::find(parent->def->children.begin(), parent->def->children.end(), row->def) -
      parent->def->children.begin());
  parent->kids[kid].rows.erase(row->number);
}

void Engine::pluginValueChanged(std::string_view path) {
  auto& m = *impl_;
  Location loc = m.resolve(path);
  if (loc.kind != Location::Param) return;
  m.notify({{std::string(path), loc.param->type.base, m.read(*loc.node, *loc.param, true)}}, sdk::Source::Plugin);
}

void Engine::setInitial(std::string_view path, std::string_view value) {
  auto& m = *impl_;
  Location loc = m.resolveOrThrow(path);
  if (loc.kind != Location::Param || loc.param->getter || loc.param->builtin)
    throw Fault(FaultCode::InvalidParameterName, "not a core-stored parameter: " + std::string(path));
  if (m.store.get(std::string(kValue) + std::string(path))) return;  // the store wins
  std::string canon, why;
  if (!model::checkValue(loc.param->type, value, canon, why))
    throw Fault(FaultCode::InvalidParameterValue, "initial value of " + std::string(path) + ": " + why);
  loc.node->values[loc.param->index] = canon;
}

void Engine::holdCommits(bool hold) {
  impl_->holdCommits = hold;
  if (!hold) impl_->commitOwnState();
}

void Engine::beginSession() { impl_->inSession = true; }

void Engine::endSession() {
  impl_->inSession = false;
  impl_->flush();
}

std::vector<Engine::Notified> Engine::notifiedParameters() {
  std::vector<Notified> out;
  auto& m = *impl_;
  m.forEachParam(*m.rootNode, [&](Node& n, const ParamDef& p) {
    int level = p.defaultNotification;
    if (!m.attrs.empty()) {
      auto it = m.attrs.find(n.path + p.name);
      if (it != m.attrs.end()) level = it->second.notification;
    }
    if (level > 0) out.push_back({n.path + p.name, level, static_cast<bool>(p.getter) || static_cast<bool>(p.builtin)});
  });
  return out;
}

const std::set<std::string>& Engine::vendorEvents() const { return impl_->vendorEvents; }

void Engine::wipeStore() { impl_->store.wipe(); }

// ---------------- configuration files ----------------

namespace {

constexpr std::string_view kConfigHeader = "cwmpd-config 1 ";

// Percent-encoding of '%' and the separators keeps each record on one line.
std::string escapeField(std::string_view in) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if (c == '%' || c == '\t' || c == '\n' || c == '\r') {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

bool unescapeField(std::string_view in, std::string& out) {
  out.clear();
  auto hex = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1; };
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

// "Device.WiFi.SSID.2.SSID" -> definition pattern "Device.WiFi.SSID.{i}." and "SSID";
// also the instance prefixes ("Device.WiFi.SSID.2.") the path goes through.
std::string patternOf(const std::string& path, std::vector<std::string>* instances) {
  std::string pattern, prefix;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto dot = path.find('.', start);
    std::string seg = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    bool number = !seg.empty() && seg.find_first_not_of("0123456789") == std::string::npos;
    pattern += number ? "{i}" : seg;
    prefix += seg;
    if (dot == std::string::npos) break;
    pattern += '.';
    prefix += '.';
    if (number && instances) instances->push_back(prefix);
    start = dot + 1;
  }
  return pattern;
}

}  // namespace

std::string Engine::exportConfiguration() {
  auto& m = *impl_;
  auto param = [&](const std::string& path) -> ParamDef* {
    std::string pattern = patternOf(path, nullptr);
    auto dot = pattern.rfind('.');
    if (dot == std::string::npos) return nullptr;
    ObjectDef* d = m.findDef(pattern.substr(0, dot + 1));
    return d ? d->findParam(pattern.substr(dot + 1)) : nullptr;
  };
  std::string out = std::string(kConfigHeader) + m.root + "\n";
  m.store.forEach(kObject, [&](const std::string& k, const std::string&) {
    out += "O\t" + escapeField(k.substr(kObject.size())) + "\n";
  });
  m.store.forEach(kValue, [&](const std::string& k, const std::string& v) {
    ParamDef* p = param(k.substr(kValue.size()));
    // Secrets never leave the box in a file (TR-069 A.3.2.8 leaves the format to the vendor).
    if (!p || p->secret || p->access == sdk::Access::ReadOnly || p->getter || p->builtin) return;
    out += "V\t" + escapeField(k.substr(kValue.size())) + "\t" + escapeField(v) + "\n";
  });
  m.store.forEach(kAttr, [&](const std::string& k, const std::string& v) {
    if (!param(k.substr(kAttr.size()))) return;
    out += "A\t" + escapeField(k.substr(kAttr.size())) + "\t" + escapeField(v) + "\n";
  });
  return out;
}

void Engine::importConfiguration(const std::string& text) {
  auto& m = *impl_;
  auto bad = [](std::size_t line, const std::string& why) {
    return Fault(FaultCode::DownloadFailureCorrupted,
                 "configuration file line " + std::to_string(line) + ": " + why);
  };
  std::vector<std::pair<std::string, std::string>> entries;  // store key -> value
  std::set<std::string> objects;
  std::vector<std::pair<std::size_t, std::vector<std::string>>> needed;  // instances values live in
  std::size_t lineNo = 0, pos = 0;
  bool header = false;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    ++lineNo;
    if (line.empty()) continue;
    if (!header) {
      if (line != std::string(kConfigHeader) + m.root) throw bad(lineNo, "not a cwmpd configuration of " + m.root);
      header = true;
      continue;
    }
    std::vector<std::string> f;
    std::size_t s = 0;
    for (;;) {
      auto tab = line.find('\t', s);
      std::string raw = line.substr(s, tab == std::string::npos ? std::string::npos : tab - s), v;
      if (!unescapeField(raw, v)) throw bad(lineNo, "bad escape");
      f.push_back(std::move(v));
      if (tab == std::string::npos) break;
      s = tab + 1;
    }
    if (f[0] == "O" && f.size() == 2) {
      std::string pattern = patternOf(f[1], nullptr);
      if (f[1].size() < 2 || f[1].back() != '.' || pattern.size() < 5 ||
          pattern.compare(pattern.size() - 4, 4, "{i}.") != 0)
        throw bad(lineNo, "not an instance path: " + f[1]);
      ObjectDef* d = m.findDef(pattern);
      if (!d || !d->multi || !d->writable) throw bad(lineNo, "no writable table for " + f[1]);
      std::vector<std::string> inst;
      patternOf(f[1], &inst);
      inst.pop_back();  // the object itself
      needed.emplace_back(lineNo, inst);
      objects.insert(f[1]);
      entries.emplace_back(std::string(kObject) + f[1], "");
    } else if ((f[0] == "V" || f[0] == "A") && f.size() == 3) {
      std::vector<std::string> inst;
      std::string pattern = patternOf(f[1], &inst);
      auto dot = pattern.rfind('.');
      ObjectDef* d = dot == std::string::npos ? nullptr : m.findDef(pattern.substr(0, dot + 1));
      ParamDef* p = d ? d->findParam(pattern.substr(dot + 1)) : nullptr;
      if (!p) throw bad(lineNo, "unknown parameter " + f[1]);
      needed.emplace_back(lineNo, inst);
      if (f[0] == "V") {
        if (p->secret || p->access == sdk::Access::ReadOnly || p->getter || p->builtin)
          throw bad(lineNo, f[1] + " is not a stored writable parameter");
        std::string canon, why;
        if (!model::checkValue(p->type, f[2], canon, why)) throw bad(lineNo, f[1] + ": " + why);
        entries.emplace_back(std::string(kValue) + f[1], canon);
      } else {
        Attr a = decodeAttr(f[2]);
        if (a.notification < 0 || a.notification > 2) throw bad(lineNo, "bad notification for " + f[1]);
        for (const auto& s2 : a.accessList)
          if (s2 != "Subscriber") throw bad(lineNo, "bad access list for " + f[1]);
        entries.emplace_back(std::string(kAttr) + f[1], encodeAttr(a));
      }
    } else {
      throw bad(lineNo, "unknown record");
    }
  }
  if (!header) throw bad(1, "empty file");
  // Every instance a value lives in exists, or is created by the file.
  for (const auto& [line, inst] : needed)
    for (const auto& i : inst)
      if (!objects.count(i) && m.resolve(i).kind != Location::Object) throw bad(line, "no instance " + i);
  // All checked: replace in one commit, keeping what the file never carries.
  std::vector<std::pair<std::string, std::string>> kept;
  m.store.forEach(kValue, [&](const std::string& k, const std::string& v) {
    std::string pattern = patternOf(k.substr(kValue.size()), nullptr);
    auto dot = pattern.rfind('.');
    ObjectDef* d = dot == std::string::npos ? nullptr : m.findDef(pattern.substr(0, dot + 1));
    ParamDef* p = d ? d->findParam(pattern.substr(dot + 1)) : nullptr;
    if (p && (p->secret || p->access == sdk::Access::ReadOnly)) kept.emplace_back(k, v);
  });
  m.store.erasePrefix(kValue);
  m.store.erasePrefix(kAttr);
  m.store.erasePrefix(kObject);
  for (const auto& [k, v] : kept) m.store.set(k, v);
  for (const auto& [k, v] : entries) m.store.set(k, v);
  m.commitStore();
  CWMPD_LOG(Notice, kLog, "configuration imported: " << entries.size() << " entries; effective after restart");
}

}  // namespace cwmpd::core
