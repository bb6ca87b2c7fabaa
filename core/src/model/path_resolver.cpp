#include "model/path_resolver.hpp"

#include <algorithm>
#include <cstdint>
#include <exception>

#include "cwmpd/sdk/fault.hpp"

namespace cwmpd::core::model {

namespace {

constexpr std::size_t kMaxPathLength = 1024;  // TR-069 A.3.2.1: names are at most 256 chars;
                                              // leave headroom but refuse absurd input.

std::uint32_t toNumber(std::string_view s) {
  std::uint32_t v = 0;
  for (char c : s) v = v * 10 + static_cast<std::uint32_t>(c - '0');
  return v;
}

}  // namespace

std::optional<std::string_view> PathResolver::aliasOf(std::string_view segment) {
  // TR-069 3.6.1: "[alias]" in place of an instance number; an Alias is never empty.
  if (segment.size() < 3 || segment.front() != '[' || segment.back() != ']') return std::nullopt;
  return segment.substr(1, segment.size() - 2);
}

std::string_view PathResolver::refreshAlias(Node& row, const ParamDef& alias) const {
  std::string& slot = row.values[alias.index];
  try {
    slot = readAlias_ ? readAlias_(row, alias) : std::string();
  } catch (const std::exception&) {
    slot.clear();  // a plugin that cannot say names no row by it
  }
  return slot;
}

std::string_view PathResolver::aliasOfRow(Node& row) const {
  const ParamDef* a = row.def->findParam("Alias");
  if (a == nullptr) return {};
  if (!a->getter || !row.values[a->index].empty()) return row.values[a->index];
  return refreshAlias(row, *a);
}

Node* PathResolver::findByAlias(const Kid& table, std::string_view alias) const {
  if (table.rows.empty()) return nullptr;
  const ParamDef* a = table.rows.begin()->second->def->findParam("Alias");
  if (a == nullptr) return nullptr;
  for (const auto& [number, row] : table.rows) {
    if (row->values[a->index] != alias) continue;
    // A plugin's Alias as last read: one read says whether it still is.
    if (!a->getter || refreshAlias(*row, *a) == alias) return row.get();
    break;
  }
  if (!a->getter) return nullptr;
  // Not among the Aliases known: read them all (rows new since, Aliases changed).
  Node* found = nullptr;
  for (const auto& [number, row] : table.rows)
    if (refreshAlias(*row, *a) == alias && found == nullptr) found = row.get();
  return found;
}

bool PathResolver::isInstanceNumber(std::string_view s) {
  if (s.empty() || s.size() > 10 || s[0] == '0') return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v <= UINT32_MAX;
}

Location PathResolver::resolve(std::string_view path) const {
  Node* hint = nullptr;
  return resolve(path, hint);
}

Location PathResolver::resolve(std::string_view path, Node*& hint) const {
  if (path.empty() || path.size() > kMaxPathLength || !tree_.rootNode()) return {};
  // Start below the deepest object of the previous name that is a prefix of this one
  // (its path is canonical, "Device.WiFi.SSID.2.", so what follows resolves exactly as
  // it would from the root); else from the root.
  Node* node = nullptr;
  std::string_view rest;
  for (Node* h = hint; h != nullptr; h = h->parent) {
    if (path.starts_with(h->path)) {
      node = h;
      rest = path.substr(h->path.size());
      break;
    }
  }
  if (node == nullptr) {
    const std::string& root = tree_.root();
    if (!path.starts_with(root)) return {};
    if (path.size() == root.size()) return Location{Location::Object, tree_.rootNode(), 0, nullptr};
    if (path[root.size()] != '.') return {};
    node = tree_.rootNode();
    rest = path.substr(root.size() + 1);
  }
  Location loc = walk(node, rest);
  if (loc.kind == Location::Param || loc.kind == Location::Object) hint = loc.node;
  return loc;
}

namespace {

// Whether `path` is `node`'s path followed by the name of its parameter `p` (which never
// holds a dot: walk() would find that same parameter by name).
inline bool namesParam(std::string_view path, const Node& node, const ParamDef& p) {
  const std::string& object = node.path;
  return path.size() == object.size() + p.name.size() &&
         std::string_view(path).substr(object.size()) == p.name && path.starts_with(object);
}

// The first object below `n` in GetParameterNames' order from its kid `fromKid` on, or
// null; a row is noted in `at` (its table and place there).
Node* firstBelow(const Node& n, std::size_t fromKid, PathResolver::Cursor::Row& at) {
  for (std::size_t k = fromKid; k < n.kids.size(); ++k) {
    const Kid& kid = n.kids[k];
    if (kid.single) return kid.single.get();
    if (!kid.rows.empty()) {
      at = {&kid, kid.rows.begin()};
      return kid.rows.begin()->second.get();
    }
  }
  return nullptr;
}

// The object after `n` in GetParameterNames' order (Tree::forEachParam's: depth first,
// children in definition order, rows by number), or null at the end of the tree. `at`:
// where the last row found stands in its table (the row after it is then the next
// iterator instead of a search); updated when the object found is a row.
Node* nextInOrder(Node* n, PathResolver::Cursor::Row& at) {
  if (Node* below = firstBelow(*n, 0, at)) return below;
  for (; n->parent != nullptr; n = n->parent) {
    if (at.table != nullptr && at.row->second.get() == n) {
      // The row noted last: the next one is one step away (no search of the parent's
      // children, then of the table).
      if (auto it = std::next(at.row); it != at.table->rows.end()) {
        at.row = it;
        return it->second.get();
      }
    }
    const Node& parent = *n->parent;
    const auto& children = parent.def->children;
    const auto k = static_cast<std::size_t>(std::find(children.begin(), children.end(), n->def) -
                                            children.begin());
    if (k == children.size()) return nullptr;  // not its parent's child: not expected
    if (children[k]->multi) {
      const Kid& table = parent.kids[k];
      if (auto it = table.rows.upper_bound(n->number); it != table.rows.end()) {
        at = {&table, it};
        return it->second.get();
      }
    }
    if (Node* next = firstBelow(parent, k + 1, at)) return next;
  }
  return nullptr;
}

// The object after the cursor's in that order that has parameters (a few steps at most:
// objects without parameters are rare), or null.
Node* nextWithParams(Node* n, PathResolver::Cursor::Row& at) {
  constexpr int kSteps = 8;
  for (int i = 0; i < kSteps && n != nullptr; ++i) {
    n = nextInOrder(n, at);
    if (n != nullptr && !n->def->params.empty()) return n;
  }
  return nullptr;
}

}  // namespace

Location PathResolver::resolve(std::string_view path, Cursor& cursor) const {
  if (Node* node = cursor.node; node != nullptr && path.size() <= kMaxPathLength) {
    // A parameter of the cursor's object (its path and a name): the one expected is
    // checked first; walk() would find the same one by name.
    const auto& params = node->def->params;
    if (cursor.nextParam < params.size()) {
      if (namesParam(path, *node, *params[cursor.nextParam]))
        return Location{Location::Param, node, 0, params[cursor.nextParam++].get()};
    } else {
      // Past the object's last parameter: the first parameter of the next object in
      // GetParameterNames' order (the next row of a table, most often), as ACSs list them.
      Cursor::Row at = cursor.row;
      Node* next = nextWithParams(node, at);
      if (next != nullptr && namesParam(path, *next, *next->def->params.front())) {
        cursor.node = next;
        cursor.nextParam = 1;
        cursor.row = at;
        return Location{Location::Param, next, 0, next->def->params.front().get()};
      }
    }
  }
  const Location loc = resolve(path, cursor.node);
  cursor.nextParam = 0;
  if (loc.kind == Location::Param) {
    const auto& params = loc.node->def->params;
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (params[i].get() == loc.param) {
        cursor.nextParam = i + 1;
        break;
      }
    }
  }
  return loc;
}

// `rest` is what follows the path of `node` ("SSID.2.Enable", "SSID.", "" for the node).
Location PathResolver::walk(Node* node, std::string_view rest) const {
  Location loc;
  std::size_t pos = 0;
  std::string seg;
  while (pos < rest.size()) {
    const std::size_t dot = rest.find('.', pos);
    const std::size_t end = dot == std::string_view::npos ? rest.size() : dot;
    if (end == pos) return loc;  // "Device..WiFi"
    seg.assign(rest.substr(pos, end - pos));
    const bool partial = dot != std::string_view::npos;
    const bool last = dot == std::string_view::npos || dot + 1 == rest.size();
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
      pos = end + 1;
      continue;
    }
    if (last) {
      loc.kind = Location::Table;
      loc.node = node;
      loc.kid = k;
      return loc;
    }
    // The instance number, and it must end with a dot ("Device.WiFi.SSID.1" is nothing).
    const std::size_t numStart = end + 1;
    const std::size_t numDot = rest.find('.', numStart);
    if (numDot == std::string_view::npos) return loc;
    const std::string_view num = rest.substr(numStart, numDot - numStart);
    if (auto alias = aliasOf(num)) {
      node = findByAlias(node->kids[k], *alias);
      if (node == nullptr) return loc;
      pos = numDot + 1;
      continue;
    }
    if (!isInstanceNumber(num)) return loc;
    auto it = node->kids[k].rows.find(toNumber(num));
    if (it == node->kids[k].rows.end()) return loc;
    node = it->second.get();
    pos = numDot + 1;
  }
  loc.kind = Location::Object;
  loc.node = node;
  return loc;
}

Location PathResolver::resolveOrThrow(std::string_view path) const {
  Node* hint = nullptr;
  return resolveOrThrow(path, hint);
}

Location PathResolver::resolveOrThrow(std::string_view path, Node*& hint) const {
  Location loc = resolve(path, hint);
  if (loc.kind == Location::None)
    throw sdk::Fault(sdk::FaultCode::InvalidParameterName,
                     "Invalid parameter name: " + std::string(path));
  return loc;
}

std::vector<Location> PathResolver::resolveAll(const std::vector<std::string>& names) const {
  std::vector<Location> out;
  out.reserve(names.size());
  Node* hint = nullptr;
  for (const auto& name : names) out.push_back(name.empty() ? top() : resolveOrThrow(name, hint));
  return out;
}

}  // namespace cwmpd::core::model
