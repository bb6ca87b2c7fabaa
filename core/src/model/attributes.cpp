#include "model/attributes.hpp"

namespace cwmpd::core::model {

using sdk::Fault;
using sdk::FaultCode;

Attr AttributeTable::of(const Node& n, const ParamDef& p) const {
  auto it = attrs_.find(n.path + p.name);
  if (it != attrs_.end()) return it->second;
  Attr a;
  a.notification = p.defaultNotification;
  return a;
}

std::vector<ParameterAttributes> AttributeTable::get(const std::vector<std::string>& names,
                                                     const PathResolver& resolver) const {
  std::vector<ParameterAttributes> out;
  Node* hint = nullptr;
  for (const auto& name : names) {
    Location loc = name.empty() ? resolver.top() : resolver.resolveOrThrow(name, hint);
    Tree::forEachParamAt(loc, [&](Node& n, const ParamDef& p) {
      Attr a = of(n, p);
      out.push_back({n.path + p.name, a.notification, a.accessList});
    });
  }
  return out;
}

AttributeTable::Planned AttributeTable::plan(const std::vector<AttributeUpdate>& updates,
                                             const PathResolver& resolver) const {
  Planned planned;
  Node* hint = nullptr;
  for (const auto& u : updates) planOne(u, resolver, hint, planned);
  return planned;
}

void AttributeTable::planOne(const AttributeUpdate& u, const PathResolver& resolver, Node*& hint,
                             Planned& planned) const {
  if (u.notificationChange && (u.notification < 0 || u.notification > 2))
    throw Fault(FaultCode::InvalidParameterValue, "Notification must be 0, 1 or 2");
  for (const auto& s : u.accessList)
    if (s != "Subscriber")
      throw Fault(FaultCode::InvalidArguments, "unknown AccessList entry '" + s + "'");
  Location loc = u.name.empty() ? resolver.top() : resolver.resolveOrThrow(u.name, hint);
  Tree::forEachParamAt(loc, [&](Node& n, const ParamDef& p) {
    Attr a = of(n, p);
    if (u.notificationChange) {
      if (u.notification == 2 && p.activeNotify == ActiveNotify::CanDeny) {
        // Only a request naming this parameter itself is refused; a partial path
        // simply does not enable active notification on such parameters.
        if (loc.kind == Location::Param)
          throw Fault(FaultCode::NotificationRequestRejected,
                      "Notification request rejected: active notification is denied for " + n.path +
                          p.name);
        return;  // left as it was
      } else if ((p.activeNotify == ActiveNotify::ForceEnabled) && u.notification != 2) {
        // forceEnabled: always active; the request cannot turn it down.
      } else {
        a.notification = u.notification;
      }
    }
    if (u.accessListChange) a.accessList = u.accessList;
    planned.emplace_back(n.path + p.name, a);
  });
}

void AttributeTable::eraseSubtree(const std::string& path) {
  for (auto it = attrs_.begin(); it != attrs_.end();) {
    if (it->first.compare(0, path.size(), path) == 0)
      it = attrs_.erase(it);
    else
      ++it;
  }
}

AttributeTable::Planned AttributeTable::subtree(const std::string& path) const {
  Planned saved;
  for (const auto& [k, a] : attrs_)
    if (k.compare(0, path.size(), path) == 0) saved.emplace_back(k, a);
  return saved;
}

void AttributeTable::restore(const Planned& saved) {
  for (const auto& [k, a] : saved) attrs_[k] = a;
}

void AttributeTable::load(const Persistence& stored) {
  stored.forEachAttribute(
      [&](const std::string& path, const std::string& v) { attrs_[path] = decodeAttr(v); });
}

std::vector<NotifiedParameter> AttributeTable::notified(Node& root) const {
  std::vector<NotifiedParameter> out;
  Tree::forEachParam(root, [&](Node& n, const ParamDef& p) {
    int level = p.defaultNotification;
    if (!attrs_.empty()) {
      auto it = attrs_.find(n.path + p.name);
      if (it != attrs_.end()) level = it->second.notification;
    }
    if (level > 0)
      out.push_back({n.path + p.name, level,
                     static_cast<bool>(p.getter) || static_cast<bool>(p.builtin), p.remote});
  });
  return out;
}

}  // namespace cwmpd::core::model
