// Alias-based addressing (TR-069 3.6.1 and Appendix II) beyond resolving "[alias]" in a
// path (path_resolver.cpp) and AddObject with an alias (engine_changes.cpp): the names
// the ACS is told in InstanceMode InstanceAlias, and the rows a SetParameterValues
// creates when AutoCreateInstances is true.
#include "model/engine_impl.hpp"

namespace cwmpd::core {

using model::Location;
using model::Node;
using model::ParamDef;
using model::PathResolver;
using sdk::Fault;
using sdk::FaultCode;

namespace {

// The path of `n` with its rows (and those above it) named by alias where they have one
// (the agent's own or a plugin's).
void appendAliasPath(const PathResolver& resolver, Node& n, std::string& out) {
  if (n.parent == nullptr) {
    out += n.path;
    return;
  }
  appendAliasPath(resolver, *n.parent, out);
  // What `n` adds to its parent's path: "Name." or, for a row, "Name.<number>.".
  std::string_view own = std::string_view(n.path).substr(n.parent->path.size());
  const std::string_view alias = n.number != 0 ? resolver.aliasOfRow(n) : std::string_view();
  if (alias.empty()) {
    out += own;
    return;
  }
  out += own.substr(0, own.find('.') + 1);
  out += '[';
  out += alias;
  out += "].";
}

// What a reference item (a path in a value, TR-106 pathRef) names: the path as it is,
// or, for an object given without its trailing dot (as TR-181 references are), with it.
Location resolveReference(const PathResolver& resolver, std::string_view item, bool& addedDot) {
  addedDot = false;
  Location loc = resolver.resolve(item);
  if (loc.kind != Location::None || item.empty() || item.back() == '.') return loc;
  loc = resolver.resolve(std::string(item) + ".");
  addedDot = loc.kind != Location::None;
  return loc;
}

// `value` of a pathRef parameter, each item (a list's comma-separated ones too) passed
// through `rewrite(item)`; items that are not paths of the tree's root stay as they are.
template <typename F>
std::string eachReference(const std::string& root, std::string_view value, F&& rewrite) {
  std::string out;
  out.reserve(value.size());
  std::size_t pos = 0;
  while (true) {
    const std::size_t comma = value.find(',', pos);
    std::string_view item =
        value.substr(pos, comma == std::string_view::npos ? comma : comma - pos);
    // Spaces around a list item are kept where they are.
    const std::size_t lead = item.find_first_not_of(' ');
    const std::size_t trail = item.find_last_not_of(' ');
    if (lead == std::string_view::npos) {
      out += item;
    } else {
      out += item.substr(0, lead);
      const std::string_view path = item.substr(lead, trail + 1 - lead);
      if (path.starts_with(root) && (path.size() == root.size() || path[root.size()] == '.'))
        out += rewrite(path);
      else
        out += path;
      out += item.substr(trail + 1);
    }
    if (comma == std::string_view::npos) break;
    out += ',';
    pos = comma + 1;
  }
  return out;
}

// The value of a core-stored ManagementServer parameter, "" when it has none.
std::string managementValue(const Engine::Impl& m, const std::string& name) {
  const Location loc = m.resolver.resolve(m.tree.root() + ".ManagementServer." + name);
  if (loc.kind != Location::Param || loc.param->getter) return {};
  return loc.node->values[loc.param->index];
}

}  // namespace

bool Engine::instanceAliasMode() {
  return managementValue(*impl_, "InstanceMode") == "InstanceAlias";
}

namespace {

std::string aliasPathOf(const PathResolver& resolver, const Location& loc, std::string_view name) {
  std::string out;
  switch (loc.kind) {
    case Location::None: return std::string(name);
    case Location::Object: appendAliasPath(resolver, *loc.node, out); break;
    case Location::Param:
      appendAliasPath(resolver, *loc.node, out);
      out += loc.param->name;
      break;
    case Location::Table:
      appendAliasPath(resolver, *loc.node, out);
      out += loc.node->def->children[loc.kid]->name;
      out += '.';
      break;
  }
  return out;
}

}  // namespace

std::string Engine::aliasPath(std::string_view name) {
  return aliasPathOf(impl_->resolver, impl_->resolver.resolve(name), name);
}

// TR-069 3.6.1 InstanceMode InstanceAlias: a value that is a path of the tree (a TR-106
// pathRef parameter: LowerLayers, Interface, ...) names the rows it goes through as the
// names the ACS is told do, so that the ACS can use it in its next request as it is.
std::string Engine::aliasValue(std::string_view name, std::string_view value) {
  if (value.empty()) return std::string(value);
  const Location loc = impl_->resolver.resolve(name);
  if (loc.kind != Location::Param || !loc.param->type.pathRef) return std::string(value);
  const model::PathResolver& resolver = impl_->resolver;
  return eachReference(impl_->tree.root(), value, [&](std::string_view item) {
    bool addedDot = false;
    const Location target = resolveReference(resolver, item, addedDot);
    if (target.kind == Location::None) return std::string(item);
    std::string out = aliasPathOf(resolver, target, item);
    if (addedDot && out.ends_with('.')) out.pop_back();
    return out;
  });
}

// A value written to a pathRef parameter may name rows by "[alias]" (TR-069 3.6.1: the
// ACS addresses by alias wherever it gives a path); it is kept with their numbers, as
// every other reference, so that it still names the row when InstanceMode changes and
// plugins read the path they know. Throws Fault 9007 for an alias that names no row.
std::string Engine::Impl::normalizeReferences(const model::ParamDef& p, std::string_view value) {
  if (!p.type.pathRef || value.find('[') == std::string_view::npos) return std::string(value);
  return eachReference(tree.root(), value, [&](std::string_view item) {
    if (item.find('[') == std::string_view::npos) return std::string(item);
    bool addedDot = false;
    const Location target = resolveReference(resolver, item, addedDot);
    std::string out;
    switch (target.kind) {
      case Location::None:
        throw Fault(FaultCode::InvalidParameterValue,
                    "Invalid parameter value: " + std::string(item) + " names nothing");
      case Location::Object: out = target.node->path; break;
      case Location::Param: out = target.node->path + target.param->name; break;
      case Location::Table: out = model::Tree::tablePath(target); break;
    }
    if (addedDot && out.ends_with('.')) out.pop_back();
    return out;
  });
}

// TR-069 3.6.1 (TR-181 ManagementServer.AutoCreateInstances): a SetParameterValues
// naming "Table.[alias]." of a row that does not exist creates it with that Alias, as
// AddObject on that path would, before the values are set. Without AutoCreateInstances
// such a name is unknown (9005), as any other.
bool Engine::autoCreatesRows() { return managementValue(*impl_, "AutoCreateInstances") == "true"; }

std::vector<std::string> Engine::autoCreateRows(
    const std::vector<std::pair<std::string, std::string>>& values, sdk::Source source) {
  std::vector<std::string> created;
  if (source != sdk::Source::Acs) return created;
  bool enabled = false;  // read once, and only for a name that needs it
  bool checked = false;
  for (const auto& [name, value] : values) {
    if (name.find('[') == std::string::npos || impl_->resolver.resolve(name).kind != Location::None)
      continue;
    if (!checked) {
      enabled = autoCreatesRows();
      checked = true;
    }
    if (!enabled) break;
    // Outermost first: "A.[x].B.[y].P" may need both rows.
    for (std::size_t open = name.find('['); open != std::string::npos;
         open = name.find('[', open + 1)) {
      const std::size_t close = name.find("].", open);
      if (close == std::string::npos) break;
      const std::string row = name.substr(0, close + 2);
      if (impl_->resolver.resolve(row).kind == Location::Object) continue;
      const std::string table = name.substr(0, open);
      if (!PathResolver::aliasOf(std::string_view(name).substr(open, close + 1 - open)) ||
          impl_->resolver.resolve(table).kind != Location::Table)
        break;  // not a row of a table: the set answers 9005 for the name
      try {
        const std::uint32_t number = addObject(row, source);
        created.push_back(table + std::to_string(number) + ".");
      } catch (const Fault& f) {
        for (auto it = created.rbegin(); it != created.rend(); ++it) {
          try {
            deleteObject(*it, source);
          } catch (const Fault&) {
          }
        }
        throw SetFault(f.code(), f.what(), {{name, f.code(), f.what()}});
      }
    }
  }
  return created;
}

}  // namespace cwmpd::core
