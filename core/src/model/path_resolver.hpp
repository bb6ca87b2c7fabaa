// Path resolution: what a parameter or object path names in the instance tree. Used by
// every engine role that takes a path (reads, sets, attributes, add/delete, the host
// services, the vendor configuration file's instance checks).
//
// Threading: main loop only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/tree.hpp"

namespace cwmpd::core::model {

class PathResolver {
 public:
  explicit PathResolver(const Tree& tree) : tree_(tree) {}

  // Reads an Alias a plugin serves from its getter (or a provider over D-Bus): the
  // engine's normal parameter read. Without it such Aliases name nothing.
  using AliasReader = std::function<std::string(Node& row, const ParamDef& alias)>;
  void setAliasReader(AliasReader reader) { readAlias_ = std::move(reader); }

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
  // Where a list of names resolved in order stands: the object the previous name ended in
  // (as the hint above) and which of its parameters is expected next. ACSs ask for the
  // parameters of an object one after the other, in the order GetParameterNames gave
  // them (the definition's): such a name is then one comparison with the expected
  // parameter's name instead of a lookup. Past an object's last parameter, the first
  // parameter of the next object in that order (the next row of a table, most often)
  // is checked likewise before the name is walked. Same result as without a cursor.
  struct Cursor {
    Node* node = nullptr;
    std::size_t nextParam = 0;  // into node->def->params
    // The last row the cursor went on to as the next one in its table (the row after it
    // is then one step away); table is null until then, else `row` is one of its rows.
    struct Row {
      const Kid* table = nullptr;
      std::map<std::uint32_t, std::unique_ptr<Node>>::const_iterator row;
    } row;
  };
  [[nodiscard]] Location resolve(std::string_view path, Cursor& cursor) const;
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
  // The row of `table` with that Alias; null when none. An Alias a plugin serves is
  // read through the AliasReader and kept in the row's (otherwise unused) value slot:
  // a lookup checks the cached row with one read and reads the whole table only when
  // no cached Alias matches (a new or changed one).
  [[nodiscard]] Node* findByAlias(const Kid& table, std::string_view alias) const;
  // The Alias of `row` ("" when its table has none or it cannot be read): the stored
  // one, or a plugin's as last read (read now when not yet known).
  [[nodiscard]] std::string_view aliasOfRow(Node& row) const;

 private:
  Location walk(Node* node, std::string_view rest) const;
  // A plugin's Alias of `row` read now, and cached in its slot.
  std::string_view refreshAlias(Node& row, const ParamDef& alias) const;
  const Tree& tree_;
  AliasReader readAlias_;
};

}  // namespace cwmpd::core::model
