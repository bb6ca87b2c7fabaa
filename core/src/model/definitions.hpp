// The schema side of the data model: object and parameter definitions as loaded from
// Broadband Forum data model documents, plus the behaviour plugins bound to them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cwmpd/sdk/plugin.hpp"

namespace cwmpd::core::model {

using Wide = __int128;  // holds every int/unsignedInt/long/unsignedLong bound exactly

// A type's value patterns compiled for the C library's regexec (values.cpp).
class PatternSet;

struct Range {
  std::optional<Wide> min, max;
  Wide step = 1;
};

// Restrictions on a value, from <syntax>.
struct TypeSpec {
  sdk::ParamType base = sdk::ParamType::String;
  std::string dataType;  // named type ("IPAddress", "MACAddress"), empty if none
  bool list = false;     // comma-separated list of items of this type
  std::optional<std::size_t> listMaxLength;
  std::optional<std::size_t> minLength, maxLength;  // characters (string) / bytes (binary)
  std::vector<Range> ranges;                        // any one must match
  std::vector<std::string> enumerations;
  bool pathRef = false;  // the value is a path of the tree (TR-106 pathRef): a reference
  std::vector<std::string> patterns;           // XML Schema regexes (any one must match)
  std::shared_ptr<const PatternSet> compiled;  // compiled patterns (compilePatterns)
};

enum class ActiveNotify : std::uint8_t { Normal, CanDeny, ForceEnabled, ForceDefaultEnabled };

struct ObjectDef;

struct ParamDef {
  std::string name;
  TypeSpec type;
  sdk::Access access = sdk::Access::ReadOnly;
  bool secret = false;  // hidden/secured: reads back empty
  bool forcedInform = false;
  bool remote = false;  // a D-Bus provider's: its getter may wait for the provider
  ActiveNotify activeNotify = ActiveNotify::Normal;
  int defaultNotification = 0;
  std::optional<std::string> defaultValue;
  sdk::Getter getter;  // live value when set; else stored by the core
  std::function<std::string(const void* node)> builtin;  // core-computed (NumberOfEntries)
  int plugin = -1;
  std::uint32_t index = 0;  // slot in the instance's value vector
  ObjectDef* object = nullptr;
};

struct Binding {
  sdk::ChangeHandler validate, apply, rollback;
  // Set when the plugin registered a reporting apply (`apply` then wraps it, for the
  // rollback that falls back on apply).
  sdk::ReportingChangeHandler applyReporting;
  sdk::InstanceHandler onAdd, onDelete;
};

struct ObjectDef {
  std::string pattern;  // "Device.WiFi.SSID.{i}."
  std::string name;     // "SSID"
  bool multi = false;
  bool writable = false;  // AddObject/DeleteObject allowed (tables only)
  std::optional<std::uint32_t> maxEntries;
  std::string numEntriesParameter;  // on the parent object
  int plugin = -1;                  // plugin that defined it (-1: core / implicit)
  ObjectDef* parent = nullptr;
  std::vector<ObjectDef*> children;  // in definition order
  std::vector<std::unique_ptr<ParamDef>> params;
  std::unordered_map<std::string, ParamDef*> paramByName;
  std::unordered_map<std::string, ObjectDef*> childByName;
  Binding binding;
  int bindingPlugin = -1;

  ParamDef* findParam(const std::string& n) const {
    auto it = paramByName.find(n);
    return it == paramByName.end() ? nullptr : it->second;
  }
  ObjectDef* findChild(const std::string& n) const {
    auto it = childByName.find(n);
    return it == childByName.end() ? nullptr : it->second;
  }
};

// Parsed contents of one document, before it is merged into the tree.
struct ParsedParam {
  std::string name;
  TypeSpec type;
  sdk::Access access = sdk::Access::ReadOnly;
  bool secret = false;
  bool forcedInform = false;
  ActiveNotify activeNotify = ActiveNotify::Normal;
  int defaultNotification = 0;
  std::optional<std::string> defaultValue;
};
struct ParsedObject {
  std::string pattern;  // full path with the root (service models already mounted)
  bool multi = false;
  bool writable = false;
  std::optional<std::uint32_t> maxEntries;
  std::string numEntriesParameter;
  std::vector<ParsedParam> params;
};
struct ParsedModel {
  std::string name;  // "Device:2.17"
  std::vector<ParsedObject> objects;
};

// Parses a cwmp-datamodel document and returns the objects of the model that applies
// to `root` ("Device" or "InternetGatewayDevice"): the model whose name starts with the
// root, else a service model mounted at "<root>.Services.". When `root` is empty, every
// model is returned with service models relative ("VoiceService.{i}."). Throws
// std::runtime_error with the reason.
std::vector<ParsedModel> parseDocument(std::string_view xml, const std::string& root);

// The base type and facets of the TR-106 named types the core knows without a
// definition in the document.
const TypeSpec* builtinDataType(const std::string& name);

}  // namespace cwmpd::core::model
