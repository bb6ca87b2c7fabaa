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

namespace {

// The row's Alias when the agent stores it (a plugin's getter is not run for every row
// of every name) and it is set.
std::string_view storedAlias(const Node& row) {
  const ParamDef* a = row.def->findParam("Alias");
  if (a == nullptr || a->getter) return {};
  return row.values[a->index];
}

// The path of `n` with its rows (and those above it) named by alias where they have one.
void appendAliasPath(const Node& n, std::string& out) {
  if (n.parent == nullptr) {
    out += n.path;
    return;
  }
  appendAliasPath(*n.parent, out);
  // What `n` adds to its parent's path: "Name." or, for a row, "Name.<number>.".
  std::string_view own = std::string_view(n.path).substr(n.parent->path.size());
  const std::string_view alias = n.number != 0 ? storedAlias(n) : std::string_view();
  if (alias.empty()) {
    out += own;
    return;
  }
  out += own.substr(0, own.find('.') + 1);
  out += '[';
  out += alias;
  out += "].";
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

std::string Engine::aliasPath(std::string_view name) {
  const Location loc = impl_->resolver.resolve(name);
  std::string out;
  switch (loc.kind) {
    case Location::None: return std::string(name);
    case Location::Object: appendAliasPath(*loc.node, out); break;
    case Location::Param:
      appendAliasPath(*loc.node, out);
      out += loc.param->name;
      break;
    case Location::Table:
      appendAliasPath(*loc.node, out);
      out += loc.node->def->children[loc.kid]->name;
      out += '.';
      break;
  }
  return out;
}

// TR-069 3.6.1 (TR-181 ManagementServer.AutoCreateInstances): a SetParameterValues
// naming "Table.[alias]." of a row that does not exist creates it with that Alias, as
// AddObject on that path would, before the values are set. Without AutoCreateInstances
// such a name is unknown (9005), as any other.
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
      enabled = managementValue(*impl_, "AutoCreateInstances") == "true";
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
