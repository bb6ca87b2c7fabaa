// An in-memory DataModel and AgentControl for the bus tests and benchmarks: enough of the
// engine's behaviour (validation, atomic set, partial paths, instances, listeners) to drive
// the D-Bus adaptor through every path. Not thread-safe, like the real engine: it records
// the thread of every call so tests can check that the service only calls from its loop.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "cwmpd/core/agent.hpp"
#include "cwmpd/core/data_model.hpp"

namespace cwmpd::testing {

class FakeDataModel final : public core::DataModel {
 public:
  struct Param {
    sdk::ParamType type = sdk::ParamType::String;
    std::string value;
    bool writable = false;
    int notification = 0;
    std::vector<std::string> accessList;
    bool activeNotifyDenied = false;
  };
  // A multi-instance table: the parameters each new instance gets.
  struct Table {
    std::uint32_t nextInstance = 1;
    std::vector<std::pair<std::string, Param>> instanceTemplate;
  };

  void addParameter(const std::string& name, sdk::ParamType type, std::string value,
                    bool writable = false) {
    Param p;
    p.type = type;
    p.value = std::move(value);
    p.writable = writable;
    params_[name] = std::move(p);
  }
  void addTable(const std::string& path, std::vector<std::pair<std::string, Param>> tmpl) {
    tables_[path] = Table{1, std::move(tmpl)};
  }
  // A name whose read throws a plain exception, as a buggy plugin would.
  void addBrokenParameter(const std::string& name) { broken_.insert(name); }
  Param& param(const std::string& name) { return params_.at(name); }

  // A change that a plugin commits (not through setValues): listeners see Source::Plugin.
  void pluginChange(const std::string& name, const std::string& value) {
    auto& p = params_.at(name);
    p.value = value;
    notify({{name, p.type, value}}, sdk::Source::Plugin);
  }

  sdk::Source lastSource() const { return lastSource_; }
  const std::set<std::thread::id>& callingThreads() const { return threads_; }

  std::vector<core::ParameterValue> getValues(const std::vector<std::string>& names) override {
    record();
    std::vector<core::ParameterValue> out;
    for (const auto& name : names) {
      for (const auto& [full, p] : match(name)) {
        if (broken_.count(full) != 0) throw std::runtime_error("sensor read failed at 0x1f");
        out.push_back({full, p->type, p->value});
      }
    }
    return out;
  }

  int setValues(const std::vector<std::pair<std::string, std::string>>& values, sdk::Source source,
                const std::optional<std::string>& parameterKey) override {
    record();
    (void)parameterKey;
    std::vector<core::ParameterFault> faults;
    for (const auto& [name, value] : values) {
      const auto it = params_.find(name);
      if (it == params_.end()) {
        faults.push_back({name, 9005, "no such parameter"});
      } else if (!it->second.writable) {
        faults.push_back({name, 9008, "read-only"});
      } else if (!valid(it->second.type, value)) {
        faults.push_back(
            {name, 9007, "'" + value + "' is not a valid " + sdk::xsdTypeName(it->second.type)});
      }
    }
    // TR-069 A.3.2.1: faults of individual parameters make the whole call fail with 9003
    // and nothing is applied.
    if (!faults.empty()) throw core::SetFault(9003, {}, std::move(faults));
    std::vector<core::CommittedChange> changes;
    for (const auto& [name, value] : values) {
      auto& p = params_.at(name);
      p.value = value;
      changes.push_back({name, p.type, value});
    }
    notify(changes, source);
    return 0;
  }

  std::vector<core::ParameterInfo> getNames(std::string_view path, bool nextLevel) override {
    record();
    const std::string prefix(path);
    if (!prefix.empty() && prefix.back() != '.') {
      const auto it = params_.find(prefix);
      if (it == params_.end()) throw sdk::Fault(9005, prefix);
      return {{prefix, it->second.writable}};
    }
    std::map<std::string, bool> names;  // sorted, unique
    for (const auto& [full, p] : params_) {
      if (full.compare(0, prefix.size(), prefix) != 0) continue;
      // Every object between the path and the parameter, then the parameter.
      for (auto dot = full.find('.', prefix.size()); dot != std::string::npos;
           dot = full.find('.', dot + 1)) {
        names.emplace(full.substr(0, dot + 1), false);
      }
      names.emplace(full, p.writable);
    }
    if (names.empty() && tables_.count(prefix) == 0) throw sdk::Fault(9005, prefix);
    if (!prefix.empty()) names.emplace(prefix, false);
    std::vector<core::ParameterInfo> out;
    for (const auto& [name, writable] : names) {
      if (name == prefix) {
        if (!nextLevel) out.push_back({name, writable});
        continue;
      }
      if (nextLevel && !isChild(prefix, name)) continue;
      out.push_back({name, writable});
    }
    return out;
  }

  std::vector<core::ParameterAttributes> getAttributes(
      const std::vector<std::string>& names) override {
    record();
    std::vector<core::ParameterAttributes> out;
    for (const auto& name : names) {
      for (const auto& [full, p] : match(name))
        out.push_back({full, p->notification, p->accessList});
    }
    return out;
  }

  void setAttributes(const std::vector<core::AttributeUpdate>& updates) override {
    record();
    for (const auto& u : updates) {
      if (u.notificationChange && (u.notification < 0 || u.notification > 2)) {
        throw sdk::Fault(9003, "notification must be 0, 1 or 2");
      }
      for (const auto& [full, p] : match(u.name)) {
        if (u.notificationChange && u.notification == 2 && p->activeNotifyDenied) {
          throw sdk::Fault(9009, full);
        }
      }
    }
    for (const auto& u : updates) {
      for (const auto& [full, p] : match(u.name)) {
        if (u.notificationChange) p->notification = u.notification;
        if (u.accessListChange) p->accessList = u.accessList;
      }
    }
  }

  std::uint32_t addObject(std::string_view path, sdk::Source source,
                          const std::optional<std::string>& parameterKey) override {
    record();
    (void)parameterKey;
    lastSource_ = source;
    const auto it = tables_.find(std::string(path));
    if (it == tables_.end()) throw sdk::Fault(9005, std::string(path));
    const std::uint32_t n = it->second.nextInstance++;
    const std::string instance = it->first + std::to_string(n) + ".";
    for (const auto& [leaf, p] : it->second.instanceTemplate) params_[instance + leaf] = p;
    return n;
  }

  void deleteObject(std::string_view path, sdk::Source source,
                    const std::optional<std::string>& parameterKey) override {
    record();
    (void)parameterKey;
    lastSource_ = source;
    const std::string prefix(path);
    bool isInstance = false;
    for (const auto& [table, t] : tables_) {
      if (prefix.compare(0, table.size(), table) == 0 && prefix.size() > table.size() &&
          prefix.back() == '.' && prefix.find('.', table.size()) == prefix.size() - 1) {
        isInstance = true;
      }
    }
    const auto first = params_.lower_bound(prefix);
    auto last = first;
    while (last != params_.end() && last->first.compare(0, prefix.size(), prefix) == 0) ++last;
    if (!isInstance || first == last) throw sdk::Fault(9005, prefix);
    params_.erase(first, last);
  }

  void addChangeListener(ChangeListener listener) override {
    listeners_.push_back(std::move(listener));
  }
  const std::string& root() const override { return root_; }
  std::vector<core::ParameterDefinitionInfo> definitions() const override { return {}; }
  std::vector<std::string> forcedInformParameters() override { return {}; }

 private:
  void record() { threads_.insert(std::this_thread::get_id()); }

  void notify(const std::vector<core::CommittedChange>& changes, sdk::Source source) {
    lastSource_ = source;
    for (const auto& listener : listeners_) listener(changes, source);
  }

  // A full name or a partial path ("" = everything); 9005 when nothing matches.
  std::vector<std::pair<std::string, Param*>> match(const std::string& name) {
    std::vector<std::pair<std::string, Param*>> out;
    if (name.empty() || name.back() == '.') {
      for (auto it = params_.lower_bound(name);
           it != params_.end() && it->first.compare(0, name.size(), name) == 0; ++it) {
        out.emplace_back(it->first, &it->second);
      }
      if (out.empty() && tables_.count(name) == 0) throw sdk::Fault(9005, name);
    } else {
      const auto it = params_.find(name);
      if (it == params_.end()) throw sdk::Fault(9005, name);
      out.emplace_back(it->first, &it->second);
    }
    return out;
  }

  static bool isChild(const std::string& parent, const std::string& name) {
    const std::string rest = name.substr(parent.size());
    const auto dot = rest.find('.');
    return dot == std::string::npos || dot == rest.size() - 1;
  }

  static bool valid(sdk::ParamType type, const std::string& value) {
    const auto digits = [](std::string_view s) {
      return !s.empty() &&
             std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    switch (type) {
      case sdk::ParamType::Boolean:
        return value == "true" || value == "false" || value == "0" || value == "1";
      case sdk::ParamType::UnsignedInt:
      case sdk::ParamType::UnsignedLong: return digits(value);
      case sdk::ParamType::Int:
      case sdk::ParamType::Long:
        return digits(!value.empty() && value[0] == '-' ? std::string_view(value).substr(1)
                                                        : std::string_view(value));
      default: return true;
    }
  }

  std::string root_ = "Device";
  std::map<std::string, Param> params_;
  std::map<std::string, Table> tables_;
  std::set<std::string> broken_;
  std::vector<ChangeListener> listeners_;
  sdk::Source lastSource_ = sdk::Source::Internal;
  std::set<std::thread::id> threads_;
};

class FakeAgent final : public core::AgentControl {
 public:
  void inform(const std::vector<std::string>& events) override {
    for (const auto& event : events) {
      if (!knownEvent(event)) throw sdk::Fault(9003, "unknown event code '" + event + "'");
    }
    informs_.push_back(events);
    pending_.insert(pending_.end(), events.begin(), events.end());
  }
  void scheduleInform(std::uint32_t delaySeconds, const std::string& commandKey) override {
    scheduled_.emplace_back(delaySeconds, commandKey);
  }
  void requestDownload(const std::string& fileType,
                       const std::vector<std::pair<std::string, std::string>>& args) override {
    requestDownloads_.emplace_back(fileType, args);
  }
  void kicked(const std::string& command, const std::string& referer, const std::string& arg,
              const std::string& next) override {
    kicks_.push_back({command, referer, arg, next});
  }
  void changeDu(const core::LocalDuChange& change) override { duChanges_.push_back(change); }
  std::string acsUrl() const override { return acsUrl_; }
  core::SessionState sessionState() const override { return state_; }
  std::string lastInformTime() const override { return lastInform_; }
  std::vector<std::string> pendingEvents() const override { return pending_; }
  std::vector<std::string> plugins() const override { return {"deviceinfo", "wan"}; }
  void addSessionListener(std::function<void(bool started)> listener) override {
    listeners_.push_back(std::move(listener));
  }

  void startSession() {
    state_ = core::SessionState::InSession;
    for (const auto& l : listeners_) l(true);
  }
  void endSession() {
    state_ = core::SessionState::Idle;
    lastInform_ = "2026-11-25T12:00:00Z";
    pending_.clear();
    for (const auto& l : listeners_) l(false);
  }

  const std::vector<std::vector<std::string>>& informs() const { return informs_; }
  const std::vector<std::pair<std::uint32_t, std::string>>& scheduled() const { return scheduled_; }
  void setAcsUrl(std::string url) { acsUrl_ = std::move(url); }
  const auto& requestDownloads() const { return requestDownloads_; }
  const auto& kicks() const { return kicks_; }

 private:
  // "6 CONNECTION REQUEST", "M Reboot", or a vendor "X CT-COM BIND" that a plugin declared.
  bool knownEvent(const std::string& event) const {
    static const std::set<std::string> known = {"0 BOOTSTRAP", "1 BOOT", "2 PERIODIC",
                                                "6 CONNECTION REQUEST", "X CT-COM BIND"};
    return known.count(event) != 0;
  }

  std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>>
      requestDownloads_;
  std::vector<std::vector<std::string>> kicks_;
  std::vector<core::LocalDuChange> duChanges_;
  std::string acsUrl_ = "http://127.0.0.1:7547/acs";
  core::SessionState state_ = core::SessionState::Idle;
  std::string lastInform_;
  std::vector<std::string> pending_;
  std::vector<std::vector<std::string>> informs_;
  std::vector<std::pair<std::uint32_t, std::string>> scheduled_;
  std::vector<std::function<void(bool)>> listeners_;
};

}  // namespace cwmpd::testing
