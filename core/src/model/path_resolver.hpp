// Path resolution: what a parameter or object path names in the instance tree. Used by
// every engine role that takes a path (reads, sets, attributes, add/delete, the host
// services, the vendor configuration file's instance checks).
//
// Threading: main loop only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/tree.hpp"

namespace cwmpd::core::model {

class PathResolver {
 public:
  explicit PathResolver(const Tree& tree) : tree_(tree) {}

  // Location::None for anything that does not name an existing object, table or
  // parameter (also an empty or absurdly long path).
  [[nodiscard]] Location resolve(std::string_view path) const;
  // Throws Fault 9005 for Location::None.
  [[nodiscard]] Location resolveOrThrow(std::string_view path) const;
  // The same, for names of a list resolved in order: `hint` (nullptr at the start) keeps
  // the object the previous name ended in, and a name that extends its path or one of
  // its ancestors' ("Device.X.1.A", "Device.X.1.B", "Device.X.2.A") is resolved from
  // there instead of from the root. Same result as without a hint.
  [[nodiscard]] Location resolve(std::string_view path, Node*& hint) const;
  [[nodiscard]] Location resolveOrThrow(std::string_view path, Node*& hint) const;
  // Every name of a GetParameterValues-like request resolved before anything is read, so
  // that an unknown one faults (9005) before the first value is produced. "" = the root.
  [[nodiscard]] std::vector<Location> resolveAll(const std::vector<std::string>& names) const;
  // The root object, which "" names.
  [[nodiscard]] Location top() const {
    return Location{Location::Object, tree_.rootNode(), 0, nullptr};
  }

  // "123" without leading zeros, within 32 bits.
  [[nodiscard]] static bool isInstanceNumber(std::string_view s);
  // Alias-based addressing (TR-069 3.6.1): "[alias]" names the row whose Alias is
  // "alias"; the alias, or nullopt for a segment of another form.
  [[nodiscard]] static std::optional<std::string_view> aliasOf(std::string_view segment);
  // The row of `table` with that Alias; null when none (or the Alias is a plugin's).
  [[nodiscard]] static Node* findByAlias(const Kid& table, std::string_view alias);

 private:
  static Location walk(Node* node, std::string_view rest);
  const Tree& tree_;
};

}  // namespace cwmpd::core::model
