#include "model/path_resolver.hpp"

#include <algorithm>
#include <cstdint>

#include "cwmpd/sdk/fault.hpp"

namespace cwmpd::core::model {

namespace {

constexpr std::size_t kMaxPathLength = 1024;  // TR-069 A.3.2.1: names are at most 256 chars;
                                              // leave headroom but refuse absurd input.

std::vector<std::string_view> split(std::string_view path) {
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

}  // namespace

bool PathResolver::isInstanceNumber(std::string_view s) {
  if (s.empty() || s.size() > 10 || s[0] == '0') return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return std::stoull(std::string(s)) <= UINT32_MAX;
}

Location PathResolver::resolve(std::string_view path) const {
  Location loc;
  if (path.empty() || path.size() > kMaxPathLength || !tree_.rootNode()) return loc;
  bool partial = path.back() == '.';
  auto segs = split(path);
  if (segs.empty() || segs[0] != tree_.root()) return loc;
  for (auto s : segs)
    if (s.empty()) return loc;  // "Device..WiFi"
  Node* node = tree_.rootNode();
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
    if (!isInstanceNumber(num)) return loc;
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

Location PathResolver::resolveOrThrow(std::string_view path) const {
  Location loc = resolve(path);
  if (loc.kind == Location::None)
    throw sdk::Fault(sdk::FaultCode::InvalidParameterName,
                     "Invalid parameter name: " + std::string(path));
  return loc;
}

std::vector<Location> PathResolver::resolveAll(const std::vector<std::string>& names) const {
  std::vector<Location> out;
  out.reserve(names.size());
  for (const auto& name : names) out.push_back(name.empty() ? top() : resolveOrThrow(name));
  return out;
}

}  // namespace cwmpd::core::model
