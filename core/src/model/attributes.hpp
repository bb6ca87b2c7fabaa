// Attributes and notification state: each parameter's notification level and access
// list (TR-069 A.3.2.4/A.3.2.5), the definition's default where none was set, and the
// list of notified parameters the session's notification tracker samples. Used by the
// engine for GetParameterAttributes/SetParameterAttributes and by the engine's
// deletion of an instance. What is stored goes through Persistence.
//
// Threading: main loop only.
#pragma once

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cwmpd/core/data_model.hpp"
#include "cwmpd/core/session_model.hpp"
#include "model/path_resolver.hpp"
#include "model/persistence.hpp"

namespace cwmpd::core::model {

class AttributeTable {
 public:
  using Planned = std::vector<std::pair<std::string, Attr>>;  // parameter path -> new attributes

  [[nodiscard]] Attr of(const Node& n, const ParamDef& p) const;
  [[nodiscard]] std::vector<ParameterAttributes> get(const std::vector<std::string>& names,
                                                     const PathResolver& resolver) const;
  // The attributes `updates` give every parameter they name, all checked first (the
  // request is all-or-nothing): Fault 9003/9007 for bad input, 9009 for active
  // notification on a parameter whose definition lets the CPE deny it.
  [[nodiscard]] Planned plan(const std::vector<AttributeUpdate>& updates,
                             const PathResolver& resolver) const;
  // plan() of one more update, appended to `planned`; `hint` is the resolver's hint, kept
  // from one update to the next. Throws as plan() does for that update.
  void planOne(const AttributeUpdate& u, const PathResolver& resolver, Node*& hint,
               Planned& planned) const;
  void set(const std::string& path, const Attr& a) { attrs_[path] = a; }
  // Forgets the attributes of every parameter under `path` (an instance deleted).
  void eraseSubtree(const std::string& path);
  // The attributes of `path`'s subtree, to put back with restore().
  [[nodiscard]] Planned subtree(const std::string& path) const;
  void restore(const Planned& saved);
  // Reads what is stored (finalize()).
  void load(const Persistence& stored);
  [[nodiscard]] std::vector<NotifiedParameter> notified(Node& root) const;

 private:
  std::unordered_map<std::string, Attr> attrs_;
};

}  // namespace cwmpd::core::model
