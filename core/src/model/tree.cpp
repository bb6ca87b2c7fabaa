#include "model/tree.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>

#include "cwmpd/core/log.hpp"
#include "model/persistence.hpp"
#include "model/values.hpp"

namespace cwmpd::core::model {

namespace {

constexpr const char* kLog = "model";

// "Device.WiFi.SSID.{i}." -> "Device.WiFi."; "Device.WiFi." -> "Device."
std::string parentPattern(const std::string& pattern) {
  std::string p = pattern.substr(0, pattern.size() - 1);
  if (p.size() >= 4 && p.compare(p.size() - 4, 4, ".{i}") == 0) p.resize(p.size() - 4);
  auto dot = p.rfind('.');
  return dot == std::string::npos ? std::string() : p.substr(0, dot + 1);
}

std::string lastName(const std::string& pattern) {
  std::string p = pattern.substr(0, pattern.size() - 1);
  if (p.size() >= 4 && p.compare(p.size() - 4, 4, ".{i}") == 0) p.resize(p.size() - 4);
  auto dot = p.rfind('.');
  return dot == std::string::npos ? p : p.substr(dot + 1);
}

std::string defaultFor(const ParamDef& p) {
  return p.defaultValue ? *p.defaultValue : zeroValue(p.type);
}

std::shared_mutex shape;
std::atomic<std::uint32_t> shapeGeneration{0};

}  // namespace

Tree::Reshaping::Reshaping() : lock(shape) {
  shapeGeneration.fetch_add(1, std::memory_order_relaxed);
}
Tree::ReadingShape::ReadingShape() : lock(shape) {}
std::uint32_t Tree::generation() { return shapeGeneration.load(std::memory_order_relaxed); }

Tree::Tree(std::string root) : root_(std::move(root)) {
  auto d = std::make_unique<ObjectDef>();
  d->pattern = root_ + ".";
  d->name = root_;
  rootDef_ = d.get();
  defs_[d->pattern] = std::move(d);
}

ObjectDef* Tree::findDef(const std::string& pattern) const {
  auto it = defs_.find(pattern);
  return it == defs_.end() ? nullptr : it->second.get();
}

std::string Tree::patternOf(const std::string& path, std::vector<std::string>* instances) {
  std::string pattern;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto dot = path.find('.', start);
    std::string seg =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    bool number = !seg.empty() && seg.find_first_not_of("0123456789") == std::string::npos;
    pattern += number ? "{i}" : seg;
    if (dot == std::string::npos) break;
    pattern += '.';
    if (number && instances) instances->push_back(path.substr(0, dot + 1));
    start = dot + 1;
  }
  return pattern;
}

ParamDef* Tree::paramDefOf(const std::string& path) const {
  const std::string pattern = patternOf(path);
  auto dot = pattern.rfind('.');
  if (dot == std::string::npos) return nullptr;
  ObjectDef* d = findDef(pattern.substr(0, dot + 1));
  return d ? d->findParam(pattern.substr(dot + 1)) : nullptr;
}

ObjectDef* Tree::ensureDef(const std::string& pattern, int plugin) {
  if (ObjectDef* d = findDef(pattern)) return d;
  if (pattern.rfind(root_ + ".", 0) != 0)
    throw std::runtime_error("object " + pattern + " is not under the root " + root_ + ".");
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
    throw std::runtime_error("object " + pattern + " clashes with parameter " + p->pattern +
                             d->name);
  p->children.push_back(d.get());
  p->childByName[d->name] = d.get();
  ObjectDef* raw = d.get();
  defs_[pattern] = std::move(d);
  return raw;
}

void Tree::merge(const std::vector<ParsedModel>& models, int plugin) {
  const Reshaping reshaping;
  for (const auto& m : models) {
    for (const auto& o : m.objects) {
      bool existed = findDef(o.pattern) != nullptr;
      ObjectDef* d = ensureDef(o.pattern, plugin);
      if (existed && d->multi != o.multi)
        throw std::runtime_error("object " + o.pattern +
                                 " redefined with a different multiplicity");
      if (o.multi) {
        d->writable = d->writable || o.writable;
        if (o.maxEntries) d->maxEntries = o.maxEntries;
        if (!o.numEntriesParameter.empty()) d->numEntriesParameter = o.numEntriesParameter;
      }
      for (const auto& pp : o.params) {
        if (ParamDef* existing = d->findParam(pp.name)) {
          std::string owner =
              plugins_.empty() || existing->plugin < 0 ? "core" : pluginName(existing->plugin);
          throw std::runtime_error("parameter " + o.pattern + pp.name + " is already defined by " +
                                   owner);
        }
        if (d->findChild(pp.name))
          throw std::runtime_error("parameter " + o.pattern + pp.name + " clashes with an object");
        auto p = std::make_unique<ParamDef>();
        p->name = pp.name;
        p->type = pp.type;
        if (!p->type.patterns.empty()) compilePatterns(p->type, o.pattern + pp.name);
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
          if (!checkValue(p->type, *p->defaultValue, canon, why))
            throw std::runtime_error("default of " + o.pattern + pp.name + " is invalid: " + why);
          p->defaultValue = canon;
        }
        d->paramByName[p->name] = p.get();
        d->params.push_back(std::move(p));
      }
    }
  }
}

void Tree::removeDefinitionsOf(int plugin) {
  const Reshaping reshaping;
  for (auto& [pattern, d] : defs_) {
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
  for (auto& [pattern, d] : defs_) patterns.push_back(pattern);
  std::sort(patterns.begin(), patterns.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const auto& pattern : patterns) {
    ObjectDef* d = findDef(pattern);
    if (!d || d == rootDef_ || d->plugin != plugin || !d->params.empty() || !d->children.empty())
      continue;
    ObjectDef* p = d->parent;
    p->childByName.erase(d->name);
    p->children.erase(std::find(p->children.begin(), p->children.end(), d));
    defs_.erase(pattern);
  }
}

// NumberOfEntries parameters are counted by the core.
void Tree::bindBuiltins() {
  const Reshaping reshaping;
  for (auto& [pattern, d] : defs_) {
    if (!d->multi) continue;
    ObjectDef* parent = d->parent;
    std::string name =
        d->numEntriesParameter.empty() ? d->name + "NumberOfEntries" : d->numEntriesParameter;
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
    std::size_t kidIndex = static_cast<std::size_t>(
        std::find(parent->children.begin(), parent->children.end(), d.get()) -
        parent->children.begin());
    p->builtin = [kidIndex](const void* n) {
      return std::to_string(static_cast<const Node*>(n)->kids[kidIndex].rows.size());
    };
  }
  for (auto& [pattern, d] : defs_)
    for (std::size_t i = 0; i < d->params.size(); ++i)
      d->params[i]->index = static_cast<std::uint32_t>(i);
}

int Tree::addPlugin(const std::string& name) {
  plugins_.push_back(name);
  return static_cast<int>(plugins_.size() - 1);
}

const std::string& Tree::pluginName(int id) const {
  static const std::string core = "core";
  return id < 0 ? core : plugins_[static_cast<std::size_t>(id)];
}

void Tree::build(Persistence& stored) {
  const Reshaping reshaping;
  rootNode_ = makeNode(rootDef_, nullptr, 0, root_ + ".", stored);
}

std::unique_ptr<Node> Tree::makeNode(ObjectDef* def, Node* parent, std::uint32_t number,
                                     std::string path, Persistence& stored) {
  auto n = std::make_unique<Node>();
  n->def = def;
  n->parent = parent;
  n->number = number;
  n->path = std::move(path);
  n->values.resize(def->params.size());
  for (const auto& p : def->params) {
    if (p->getter || p->builtin) continue;
    if (const std::string* s = stored.value(n->path + p->name)) {
      std::string canon, why;
      if (checkValue(p->type, *s, canon, why)) {
        n->values[p->index] = canon;
        continue;
      }
      // Forgotten, so that the config's initial value (setInitial) applies; failing
      // that the definition's default. The key is dropped at the next commit.
      CWMPD_LOG(Warning, kLog,
                "stored value of " << n->path << p->name << " is invalid (" << why
                                   << "); using the configured or default value");
      stored.eraseValue(n->path + p->name);
    }
    n->values[p->index] = defaultFor(*p);
  }
  n->kids.resize(def->children.size());
  for (std::size_t i = 0; i < def->children.size(); ++i) {
    ObjectDef* c = def->children[i];
    if (!c->multi) n->kids[i].single = makeNode(c, n.get(), 0, n->path + c->name + ".", stored);
  }
  return n;
}

Node* Tree::createRow(Node* parent, std::size_t kid, std::uint32_t number, const std::string& key,
                      Persistence& stored) {
  const Reshaping reshaping;
  ObjectDef* d = parent->def->children[kid];
  std::string path = parent->path + d->name + "." + std::to_string(number) + ".";
  auto node = makeNode(d, parent, number, path, stored);
  node->key = key;
  // Alias gets a unique default ("cpe-N", the TR-181 convention for CPE-assigned aliases).
  if (ParamDef* alias = d->findParam("Alias");
      alias && !alias->getter && !stored.value(path + "Alias"))
    node->values[alias->index] = "cpe-" + std::to_string(number);
  Node* raw = node.get();
  parent->kids[kid].rows[number] = std::move(node);
  return raw;
}

void Tree::eraseRow(Node& row) {
  const Reshaping reshaping;
  Node* parent = row.parent;
  std::size_t kid = static_cast<std::size_t>(
      std::find(parent->def->children.begin(), parent->def->children.end(), row.def) -
      parent->def->children.begin());
  parent->kids[kid].rows.erase(row.number);
}

void Tree::dropInstancesOf(int plugin) {
  const Reshaping reshaping;
  std::vector<Node*> stack{rootNode_.get()};
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (std::size_t i = 0; i < n->kids.size(); ++i) {
      Kid& k = n->kids[i];
      if (n->def->children[i]->plugin == plugin) {
        k.single.reset();
        k.rows.clear();
        continue;
      }
      if (k.single) stack.push_back(k.single.get());
      for (auto& [num, row] : k.rows) stack.push_back(row.get());
    }
  }
}

void Tree::reconcile(Persistence& stored) {
  const Reshaping reshaping;
  if (rootNode_) reconcileNode(*rootNode_, stored);
}

// A kid knows its definition only through its nodes: an empty one is rebuilt empty.
void Tree::reconcileNode(Node& n, Persistence& stored) {
  n.values.resize(n.def->params.size());
  std::vector<Kid> old = std::move(n.kids);
  n.kids.clear();
  n.kids.resize(n.def->children.size());
  for (auto& k : old) {
    const Node* any =
        k.single ? k.single.get() : (k.rows.empty() ? nullptr : k.rows.begin()->second.get());
    if (!any) continue;
    auto it = std::find(n.def->children.begin(), n.def->children.end(), any->def);
    if (it != n.def->children.end())
      n.kids[static_cast<std::size_t>(it - n.def->children.begin())] = std::move(k);
  }
  for (std::size_t i = 0; i < n.def->children.size(); ++i) {
    ObjectDef* c = n.def->children[i];
    Kid& k = n.kids[i];
    if (!c->multi && !k.single) {
      k.single = makeNode(c, &n, 0, n.path + c->name + ".", stored);
      continue;
    }
    if (k.single) reconcileNode(*k.single, stored);
    for (auto& [num, row] : k.rows) reconcileNode(*row, stored);
  }
}

sdk::InstanceRef Tree::ref(const Node& n) const {
  sdk::InstanceRef r;
  refInto(n, r);
  return r;
}

void Tree::refInto(const Node& n, sdk::InstanceRef& r) const {
  // Every reference names a read of its own (sdk::InstanceRef::readId): a walk shares one
  // reference among an object's getters, so they share one HAL fetch and no other.
  static std::atomic<std::uint64_t> lastReadId{0};
  r.readId = lastReadId.fetch_add(1, std::memory_order_relaxed) + 1;
  r.path.assign(n.path);
  r.number = n.number;
  r.key.assign(n.key);
  std::size_t depth = 0;
  for (const Node* p = &n; p; p = p->parent) depth += p->number != 0 ? 1 : 0;
  r.numbers.resize(depth);
  for (const Node* p = &n; p; p = p->parent)
    if (p->number) r.numbers[--depth] = p->number;
}

}  // namespace cwmpd::core::model
