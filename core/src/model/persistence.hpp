// The one place that knows how the model's state is kept in the store: the key format
// and the instance numbering. Keys:
//   v:<parameter path>             -> value
//   a:<parameter path>             -> "<notification>|<acl,...>"
//   i:<table path>                 -> next instance number
//   o:<instance path>              -> "" (an instance created by the ACS or the bus)
//   k:<table path>\x1f<plugin key> -> instance number (Host::ensureInstance)
// Used by the tree (stored values of a new instance), the engine and the transaction
// (persisting changes), the attribute table and the vendor configuration file. Writes
// only stage: the transaction commits (or rolls back) the store.
//
// Threading: main loop only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cwmpd/core/store.hpp"

namespace cwmpd::core::model {

// A parameter's attributes as stored (TR-069 A.3.2.4).
struct Attr {
  int notification = 0;
  std::vector<std::string> accessList;
};
std::string encodeAttr(const Attr& a);
Attr decodeAttr(const std::string& s);

class Persistence {
 public:
  explicit Persistence(Store& store) : store_(store) {}

  [[nodiscard]] Store& store() { return store_; }

  // ---- values ----
  [[nodiscard]] const std::string* value(std::string_view path) const;
  void setValue(std::string_view path, std::string_view value);
  // setValue(object + name, value) without making that path (a set of thousands of values).
  void setValue(std::string_view object, std::string_view name, std::string_view value);
  void eraseValue(std::string_view path);
  void forEachValue(
      const std::function<void(const std::string& path, const std::string& value)>& fn) const;

  // ---- attributes ----
  void setAttribute(std::string_view path, const Attr& a);
  void forEachAttribute(
      const std::function<void(const std::string& path, const std::string& encoded)>& fn) const;

  // ---- instances created by the ACS or the bus ----
  void markCreated(std::string_view instancePath);
  void unmarkCreated(std::string_view instancePath);
  void forEachCreated(const std::function<void(const std::string& instancePath)>& fn) const;

  // ---- a whole instance subtree (values, attributes, created marks) ----
  using Records = std::vector<std::pair<std::string, std::string>>;
  [[nodiscard]] Records subtreeRecords(std::string_view path) const;
  void eraseSubtree(std::string_view path);
  void restore(const Records& records);

  // ---- the configuration a vendor configuration file replaces (values, attributes, instances)
  // ----
  void eraseConfiguration();

  // ---- instance numbering ----
  // Hands out the next number of `table` and advances the counter (numbers are never reused).
  std::uint32_t nextNumber(const std::string& table);
  // The number nextNumber() would give, without taking it.
  [[nodiscard]] std::uint32_t peekNextNumber(const std::string& table) const;
  // Keeps the counter of `table` above `used`.
  void keepAbove(const std::string& table, std::uint32_t used);
  // The number a plugin's key was given in `table`, 0 when none.
  [[nodiscard]] std::uint32_t keyedNumber(const std::string& table, std::string_view key) const;
  void setKeyedNumber(const std::string& table, std::string_view key, std::uint32_t number);

 private:
  Store& store_;
  std::string key_;  // setValue()'s key, its buffer kept from one call to the next
};

}  // namespace cwmpd::core::model
