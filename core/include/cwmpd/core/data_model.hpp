// The data model engine's public API: the one owner of the parameter tree. The RPC
// layer (ACS), bus/ (D-Bus) and plugins all go through it, so validation, atomicity
// and change notification are the same for every caller.
//
// Threading: not thread-safe; call from the main loop only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cwmpd/sdk/fault.hpp"
#include "cwmpd/sdk/types.hpp"

namespace cwmpd::core {

struct ParameterValue {
  std::string name;
  sdk::ParamType type = sdk::ParamType::String;
  std::string value;
};

struct ParameterInfo {
  std::string name;  // parameters have no trailing dot, objects end with "."
  bool writable = false;
};

struct ParameterAttributes {
  std::string name;
  int notification = 0;                 // 0 off, 1 passive, 2 active
  std::vector<std::string> accessList;  // empty or {"Subscriber"}
};

struct AttributeUpdate {
  std::string name;  // a parameter or a partial path ending in "."
  bool notificationChange = false;
  int notification = 0;
  bool accessListChange = false;
  std::vector<std::string> accessList;
};

struct ParameterFault {
  std::string name;
  int code = 0;
  std::string message;
};

// SetParameterValues refused: `code()` is the overall fault (9003 when several
// parameters failed, or the single parameter's code, which D-Bus callers get),
// `parameters()` the SetParameterValuesFault entries, one per failing parameter. On the
// CWMP wire a fault with entries always says 9003 (soap::toSoapFault, TR-069 A.5.1).
class SetFault : public sdk::Fault {
 public:
  SetFault(int code, const std::string& detail, std::vector<ParameterFault> parameters)
      : sdk::Fault(code, detail), parameters_(std::move(parameters)) {}
  [[nodiscard]] const std::vector<ParameterFault>& parameters() const { return parameters_; }

 private:
  std::vector<ParameterFault> parameters_;
};

struct CommittedChange {
  std::string name;
  sdk::ParamType type = sdk::ParamType::String;
  std::string value;  // empty for write-only secrets
};

// Definition facts of a parameter, for conformance checks, the Inform and attributes.
struct ParameterDefinitionInfo {
  std::string pattern;  // "Device.WiFi.SSID.{i}.SSID"
  sdk::ParamType type = sdk::ParamType::String;
  std::string dataType;  // named TR-106 type if any ("IPAddress"), else empty
  sdk::Access access = sdk::Access::ReadOnly;
  bool forcedInform = false;
  bool activeNotifyCanDeny = false;
  int defaultNotification = 0;
  std::string plugin;  // owning plugin's name
};

class DataModel {
 public:
  virtual ~DataModel() = default;

  // GetParameterValues: full names and partial paths ("Device.WiFi."; "" = whole tree).
  // Throws Fault 9005 for an unknown name. Write-only parameters read back empty.
  [[nodiscard]] virtual std::vector<ParameterValue> getValues(
      const std::vector<std::string>& names) = 0;

  // getValues() and getNames() one entry at a time, in the same order, without collecting
  // them (a whole-tree answer is written as it is read). The views are valid during the
  // call only. Faults are thrown before the first entry. The defaults collect.
  // Each entry's name comes in two parts, `object` + `leaf` ("Device.WiFi.SSID.2." and
  // "SSID"; "Device.WiFi." and "SSID." for a table; an object's own name with "" as its
  // leaf), so that it is never built: `object` views a path the model keeps, the same
  // view for the entries of one object, whose text does not change during the call (a
  // writer may check it once per object: soap::ListWriter). The defaults give the whole
  // name as `object`.
  using ValueVisitor = std::function<void(std::string_view object, std::string_view leaf,
                                          sdk::ParamType type, std::string_view value)>;
  using NameVisitor =
      std::function<void(std::string_view object, std::string_view leaf, bool writable)>;
  virtual void visitValues(const std::vector<std::string>& names, const ValueVisitor& visit) {
    for (const auto& v : getValues(names)) visit(v.name, {}, v.type, v.value);
  }
  virtual void visitNames(std::string_view path, bool nextLevel, const NameVisitor& visit) {
    for (const auto& i : getNames(path, nextLevel)) visit(i.name, {}, i.writable);
  }
  // How many names visitNames(path, false) would give, counted over the objects without
  // visiting each parameter (to size a buffer once); 0 when the model cannot tell
  // cheaply or the path is not there. Never throws.
  [[nodiscard]] virtual std::size_t countNames(std::string_view path) {
    (void)path;
    return 0;
  }
  // How many values getValues(names) would return, without reading them (to size a
  // buffer once); 0 when the model cannot tell cheaply. Throws 9005 like getValues.
  [[nodiscard]] virtual std::size_t countValues(const std::vector<std::string>& names) {
    (void)names;
    return 0;
  }

  // A GetParameterValues name list handed over one name at a time while the request is
  // still being parsed (issue 15), so that a list of every parameter is never kept as
  // strings: the engine resolves each name as it comes. add() never throws; an unknown
  // name is reported by visitValues/countValues as for the same names given as strings
  // (9005 for the first unknown one, before any value).
  // A name resolved ahead of its list, on another thread (NameAhead): what it named, as
  // only the model that resolved it reads it.
  struct Ahead {
    std::uint64_t words[5];
  };
  // Names of a streamed list resolved on the parse thread of a large request while the
  // session's thread answers the names before them (issue 15): made on the model's
  // thread, then used on one other thread only, while the model is used on its own. The
  // model makes that safe (the engine: model::Tree's shape lock and generation) and
  // says when what was resolved ahead no longer holds (the list's add then resolves the
  // name itself). Null when the model cannot (the default).
  class NameAhead {
   public:
    virtual ~NameAhead() = default;
    // What each name resolves to, into out[i].
    virtual void resolve(const std::string_view* names, std::size_t count, Ahead* out) = 0;
  };
  [[nodiscard]] virtual std::unique_ptr<NameAhead> newNameAhead() { return nullptr; }

  class NameList {
   public:
    virtual ~NameList() = default;
    virtual void add(std::string_view name) = 0;
    // add(name), given what a NameAhead of this model found for it: the same.
    virtual void add(std::string_view name, const Ahead& ahead) {
      (void)ahead;
      add(name);
    }
    // What made the list (a model's own tag), so that a model can tell its own lists
    // without dynamic_cast: the small build (CWMPD_SMALL) has no RTTI. The default list: none.
    [[nodiscard]] virtual const void* maker() const { return nullptr; }
  };
  // The default list: the names as given.
  struct StoredNames final : NameList {
    std::vector<std::string> names;
    void add(std::string_view name) override { names.emplace_back(name); }
  };
  // An empty list for this model. The default keeps the names.
  [[nodiscard]] virtual std::unique_ptr<NameList> newNameList() {
    return std::make_unique<StoredNames>();
  }
  // visitValues(names, visit) / countValues(names) of the names added to `list` (one this
  // model's newNameList() made), in the order they were added.
  virtual void visitValues(const NameList& list, const ValueVisitor& visit) {
    visitValues(static_cast<const StoredNames&>(list).names, visit);
  }
  [[nodiscard]] virtual std::size_t countValues(const NameList& list) {
    return countValues(static_cast<const StoredNames&>(list).names);
  }
  // A GetParameterValues answer written while its list is still coming (issue 15: a large
  // request is parsed on a second thread while the session's thread answers): the values
  // of the names added to `list` since the last call (since it was made, the first time),
  // in order, as visitValues(list) gives them. Nothing is visited from the first unknown
  // name on; visitValues(list) then throws its 9005. Throws what a getter throws (what was
  // visited before stays visited). What was given to `visit` (or to a getter that threw)
  // is no longer in the list: visitValues/countValues of it then cover only the names not
  // visited yet (a list answered as it comes is never held whole). Unsupported: visits
  // nothing and says so, and the caller answers with visitValues(list) once the list is
  // complete (the default).
  enum class NewValues : std::uint8_t { Visited, UnknownName, Unsupported };
  virtual NewValues visitNewValues(NameList& list, const ValueVisitor& visit) {
    (void)list;
    (void)visit;
    return NewValues::Unsupported;
  }

  // The type each name's value is reported with (GetParameterValues' xsi:type), without
  // reading it; nullopt for a name that is not one existing parameter. Never throws for
  // a name. The default reads each value.
  [[nodiscard]] virtual std::vector<std::optional<sdk::ParamType>> parameterTypes(
      const std::vector<std::string>& names) {
    std::vector<std::optional<sdk::ParamType>> out;
    out.reserve(names.size());
    for (const auto& n : names) {
      std::optional<sdk::ParamType> t;
      try {
        if (auto v = getValues({n}); v.size() == 1) t = v[0].type;
      } catch (const sdk::Fault&) {
      }
      out.push_back(t);
    }
    return out;
  }

  // SetParameterValues, all-or-nothing across plugins. Throws SetFault. When
  // `parameterKey` is given, ManagementServer.ParameterKey is set in the same
  // transaction. Returns the SetParameterValuesResponse Status: 0 applied, 1 committed
  // but some change takes effect later (a plugin staged it for its flush at the end of
  // the session, or it needs a reboot: sdk::Effect).
  virtual int setValues(const std::vector<std::pair<std::string, std::string>>& values,
                        sdk::Source source,
                        const std::optional<std::string>& parameterKey = std::nullopt) = 0;

  // A SetParameterValues handed over one entry at a time while the request is still being
  // parsed (issue 15): the engine resolves, checks and stages each entry as it comes (from
  // where the previous one ended), so that only the commit waits for the end of the
  // message. Nothing is changed, read from a plugin or shown anywhere before applyValueList();
  // a list dropped without it leaves no trace.
  class ValueList {
   public:
    virtual ~ValueList() = default;
    // Stages one entry. Returns the type its parameter's value is reported with (as in
    // GetParameterValues' xsi:type), nullopt when the name is not one existing parameter.
    // Never throws: a faulty entry is answered by applyValueList().
    virtual std::optional<sdk::ParamType> add(std::string_view name, std::string_view value) = 0;
    // add(name, value), given what a NameAhead of this model found for `name`: the same.
    virtual std::optional<sdk::ParamType> add(std::string_view name, std::string_view value,
                                              const Ahead& ahead) {
      (void)ahead;
      return add(name, value);
    }
    // What made the list (a model's own tag, as NameList::maker).
    [[nodiscard]] virtual const void* maker() const { return nullptr; }
  };
  // The default list: the entries as given, each one's type asked of parameterTypes().
  struct StoredValues final : ValueList {
    StoredValues(DataModel& m, sdk::Source s) : model(m), source(s) {}
    std::optional<sdk::ParamType> add(std::string_view name, std::string_view value) override {
      values.emplace_back(name, value);
      return model.parameterTypes({std::string(name)}).front();
    }
    DataModel& model;
    sdk::Source source;
    std::vector<std::pair<std::string, std::string>> values;
  };
  [[nodiscard]] virtual std::unique_ptr<ValueList> newValueList(sdk::Source source) {
    return std::make_unique<StoredValues>(*this, source);
  }
  // setValues() of the entries added to `list` (one this model's newValueList() made), in
  // the order they were added, with its source: the same faults in the same order, the same
  // all-or-nothing, the same status. Once only.
  virtual int applyValueList(ValueList& list, const std::optional<std::string>& parameterKey) {
    auto& stored = static_cast<StoredValues&>(list);
    return setValues(stored.values, stored.source, parameterKey);
  }

  // GetParameterNames. `path` empty, a partial path or a full parameter name.
  [[nodiscard]] virtual std::vector<ParameterInfo> getNames(std::string_view path,
                                                            bool nextLevel) = 0;

  [[nodiscard]] virtual std::vector<ParameterAttributes> getAttributes(
      const std::vector<std::string>& names) = 0;
  // getAttributes() of the names added to `list` (one this model's newNameList() made),
  // in the order they were added: a GetParameterAttributes list streamed from the request.
  [[nodiscard]] virtual std::vector<ParameterAttributes> listAttributes(const NameList& list) {
    return getAttributes(static_cast<const StoredNames&>(list).names);
  }
  // All-or-nothing; 9009 for active notification on a parameter whose definition lets the
  // CPE deny it.
  virtual void setAttributes(const std::vector<AttributeUpdate>& updates) = 0;

  // A SetParameterAttributes list handed over one update at a time while the request is
  // still being parsed (issue 15): the engine checks and resolves each update as it comes,
  // from where the previous one ended. add() never throws; after the first update that
  // fails, the others are not looked at, and applyAttributes() throws that update's fault
  // (as setAttributes() of the same updates would) and changes nothing.
  class AttributeList {
   public:
    virtual ~AttributeList() = default;
    virtual void add(AttributeUpdate update) = 0;
    // What made the list (a model's own tag, as NameList::maker).
    [[nodiscard]] virtual const void* maker() const { return nullptr; }
  };
  // The default list: the updates as given.
  struct StoredUpdates final : AttributeList {
    std::vector<AttributeUpdate> updates;
    void add(AttributeUpdate update) override { updates.push_back(std::move(update)); }
  };
  [[nodiscard]] virtual std::unique_ptr<AttributeList> newAttributeList() {
    return std::make_unique<StoredUpdates>();
  }
  // setAttributes() of the updates added to `list` (one this model's newAttributeList()
  // made), in the order they were added.
  virtual void applyAttributes(const AttributeList& list) {
    setAttributes(static_cast<const StoredUpdates&>(list).updates);
  }

  // AddObject on "Device.WiFi.SSID." -> new instance number.
  virtual std::uint32_t addObject(std::string_view path, sdk::Source source,
                                  const std::optional<std::string>& parameterKey = std::nullopt) = 0;
  virtual void deleteObject(std::string_view path, sdk::Source source,
                            const std::optional<std::string>& parameterKey = std::nullopt) = 0;

  // Every committed change, from any source, after it is persisted.
  using ChangeListener =
      std::function<void(const std::vector<CommittedChange>& changes, sdk::Source source)>;
  virtual void addChangeListener(ChangeListener listener) = 0;

  // "Device" or "InternetGatewayDevice".
  [[nodiscard]] virtual const std::string& root() const = 0;

  // Every parameter definition registered (for conformance tests and tools).
  [[nodiscard]] virtual std::vector<ParameterDefinitionInfo> definitions() const = 0;
  // Full names of every existing parameter whose definition is forced-inform.
  [[nodiscard]] virtual std::vector<std::string> forcedInformParameters() = 0;

  // Alias-based addressing (TR-069 3.6.1): true when ManagementServer.InstanceMode is
  // InstanceAlias, so that the names the ACS is told name rows by "[Alias]".
  [[nodiscard]] virtual bool instanceAliasMode() { return false; }
  // `name` (parameter, object or table path) with every row that has an Alias of the
  // agent's named "[Alias]" instead of by its number; unchanged when it names nothing.
  [[nodiscard]] virtual std::string aliasPath(std::string_view name) { return std::string(name); }
  // The value of parameter `name` as the ACS is told it in InstanceAlias mode: a path
  // value (a pathRef parameter's, each item of a list) with its rows named as aliasPath
  // names them; any other value unchanged.
  [[nodiscard]] virtual std::string aliasValue(std::string_view /*name*/, std::string_view value) {
    return std::string(value);
  }
};

}  // namespace cwmpd::core
