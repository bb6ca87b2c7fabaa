// Hardware changes staged between a SetParameterValues and the flush that pushes them to
// the HAL in one batch, with the undo a transaction's rollback needs.
//
// Part of the SDK (header-only, since ABI 4): the wifi and voip plugins use it, and so
// may any plugin that batches hardware changes until the flush.
//
// Transactions: the core validates every group of a SetParameterValues before it applies
// any (plugin.hpp, two-phase set), so a validate call that follows an apply starts a new
// transaction. Call beginTransaction() from every validate handler and rollback() from
// every rollback handler: rollback() then restores exactly what the failed transaction
// staged and leaves what earlier transactions of the same ACS session staged.
//
// What the ACS is told: a change staged here reaches the hardware only with the flush, at
// the end of the ACS session, so it has not taken effect when SetParameterValuesResponse
// is sent. TR-069 A.3.2.1 then wants Status 1 ("validated and committed, but not yet
// applied"): apply handlers built with stagedApply() report it (Effect::AtSessionEnd)
// for exactly the changes that staged something.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "cwmpd/sdk/plugin.hpp"

namespace cwmpd::sdk {

class StagedChanges {
 public:
  void beginTransaction() {
    if (!setSinceBegin_) return;
    undo_.clear();
    setSinceBegin_ = false;
  }

  void set(const std::string& key, std::string value) {
    remember(key);
    values_[key] = std::move(value);
  }

  void erase(const std::string& key) {
    if (!values_.count(key)) return;
    remember(key);
    values_.erase(key);
  }

  // How many sets and erases there were so far (a running count): stagedApply() compares
  // it around a change to tell whether the change waits for the flush.
  [[nodiscard]] std::uint64_t writes() const { return writes_; }

  // Drops every key that starts with `prefix`.
  void erasePrefix(const std::string& prefix) {
    for (auto it = values_.lower_bound(prefix);
         it != values_.end() && it->first.compare(0, prefix.size(), prefix) == 0;) {
      const std::string key = (it++)->first;
      erase(key);
    }
  }

  [[nodiscard]] std::optional<std::string> get(const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }
  [[nodiscard]] bool has(const std::string& key) const { return values_.count(key) != 0; }

  // Restores every key the current transaction changed.
  void rollback() {
    for (auto& [key, before] : undo_) {
      if (before)
        values_[key] = *before;
      else
        values_.erase(key);
    }
    undo_.clear();
  }

  // After a flush: nothing is staged any more (`keep` survives, e.g. incomplete objects).
  void clear(std::map<std::string, std::string> keep = {}) {
    values_ = std::move(keep);
    undo_.clear();
    setSinceBegin_ = false;
  }

  [[nodiscard]] const std::map<std::string, std::string>& entries() const { return values_; }
  [[nodiscard]] bool empty() const { return values_.empty(); }

 private:
  void remember(const std::string& key) {
    ++writes_;
    setSinceBegin_ = true;
    // The first change of a key in a transaction holds the value to return to.
    if (undo_.count(key)) return;
    undo_[key] = get(key);
  }

  std::map<std::string, std::string> values_;
  std::map<std::string, std::optional<std::string>> undo_;
  bool setSinceBegin_ = false;
  std::uint64_t writes_ = 0;
};

// The state of a plugin that stages hardware changes until its flush (the State of a
// sdk::StagedRootPlugin, root_model.hpp): the Host, and the changes staged so far. The
// plugin's state derives from it and adds its HAL part and its views.
class StagedState {
 public:
  explicit StagedState(Host& host) : host_(host) {}
  Host& host() { return host_; }
  StagedChanges& staged() { return staged_; }

 protected:
  Host& host_;
  StagedChanges staged_;
};

// An apply handler that hands each change to `one` (which stages it in `staged`, or
// leaves it to the core, which stores it) and reports Effect::AtSessionEnd for each change
// that staged something: the ACS then gets SetParameterValues Status 1 for it (Status 0
// outside an ACS session, where the flush runs right after the transaction).
//   .apply(sdk::stagedApply(state.staged(), [this](const Change& c) { stage(c); }))
template <typename Fn>
ReportingChangeHandler stagedApply(const StagedChanges& staged, Fn one) {
  return [&staged, one](const std::vector<Change>& changes, ApplyReport& report) {
    for (std::size_t i = 0; i < changes.size(); ++i) {
      const std::uint64_t before = staged.writes();
      one(changes[i]);
      if (staged.writes() != before && i < report.effects.size())
        report.effects[i] = Effect::AtSessionEnd;
    }
  };
}

// The instance numbers of a path, in order: "Device.WiFi.AccessPoint.2.AssociatedDevice.5."
// gives {2, 5}.
inline std::vector<std::uint32_t> instanceNumbers(std::string_view path) {
  std::vector<std::uint32_t> out;
  std::size_t start = 0;
  while (start < path.size()) {
    std::size_t dot = path.find('.', start);
    if (dot == std::string_view::npos) dot = path.size();
    std::string_view seg = path.substr(start, dot - start);
    bool digits = !seg.empty() && seg.size() <= 10;
    for (char c : seg) digits = digits && c >= '0' && c <= '9';
    if (digits) {
      std::uint64_t v = 0;
      for (char c : seg) v = v * 10 + static_cast<std::uint64_t>(c - '0');
      if (v <= UINT32_MAX) out.push_back(static_cast<std::uint32_t>(v));
    }
    start = dot + 1;
  }
  return out;
}

// "Device.WiFi.Radio.3." or "Device.WiFi.Radio.3" -> 3 when `path` is a row of `table`
// ("Device.WiFi.Radio."); 0 otherwise.
inline std::uint32_t rowNumber(std::string_view path, std::string_view table) {
  if (path.size() <= table.size() || path.compare(0, table.size(), table) != 0) return 0;
  std::string_view rest = path.substr(table.size());
  if (!rest.empty() && rest.back() == '.') rest.remove_suffix(1);
  if (rest.empty() || rest.size() > 10 || rest[0] == '0') return 0;
  std::uint64_t v = 0;
  for (char c : rest) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v <= UINT32_MAX ? static_cast<std::uint32_t>(v) : 0;
}

// Comma-separated TR-069 list <-> vector (blanks and tabs around items, and empty items,
// dropped).
inline std::vector<std::string> splitList(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t comma = s.find(',', start);
    if (comma == std::string_view::npos) comma = s.size();
    std::string_view item = s.substr(start, comma - start);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    start = comma + 1;
  }
  return out;
}

template <typename T>
std::string joinList(const std::vector<T>& items) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += ',';
    if constexpr (std::is_convertible_v<T, std::string>)
      out += i;
    else
      out += std::to_string(i);
  }
  return out;
}

}  // namespace cwmpd::sdk
