// Value types, access and notification as the data model definitions state them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cwmpd::sdk {

// The TR-069 base types (TR-106 named types such as IPAddress map to one of these plus
// restrictions).
enum class ParamType : std::uint8_t {
  String,
  Int,
  UnsignedInt,
  Long,
  UnsignedLong,
  Boolean,
  DateTime,
  Base64,
  HexBinary,
};

// "xsd:string", "xsd:unsignedInt", ... as written in xsi:type and on D-Bus.
inline const char* xsdTypeName(ParamType t) noexcept {
  switch (t) {
    case ParamType::String: return "xsd:string";
    case ParamType::Int: return "xsd:int";
    case ParamType::UnsignedInt: return "xsd:unsignedInt";
    case ParamType::Long: return "xsd:long";
    case ParamType::UnsignedLong: return "xsd:unsignedLong";
    case ParamType::Boolean: return "xsd:boolean";
    case ParamType::DateTime: return "xsd:dateTime";
    case ParamType::Base64: return "xsd:base64Binary";  // "base64" is not an XML Schema type; schema validation needs this
    case ParamType::HexBinary: return "xsd:hexBinary";
  }
  return "xsd:string";
}

enum class Access : std::uint8_t { ReadOnly, ReadWrite, WriteOnly };

// Who caused a change, for notifications: the ACS's own changes never notify.
enum class Source : std::uint8_t { Acs, Bus, Plugin, Internal };

// One parameter change inside a SetParameterValues transaction, as a plugin sees it.
struct Change {
  std::string object;     // the object instance, "Device.WiFi.SSID.2."
  std::string parameter;  // the parameter's own name, "SSID"
  std::string value;      // new value, already type-checked and canonical
  std::string oldValue;   // value before the transaction (empty for write-only secrets)
  [[nodiscard]] std::string path() const { return object + parameter; }
};

// An object instance as handed to plugin handlers.
struct InstanceRef {
  std::string path;           // "Device.Ethernet.Interface.3."
  std::uint32_t number = 0;   // 3 (0 for single-instance objects)
  std::string key;            // plugin's key given to Host::ensureInstance ("eth0"), may be empty
  // Instance numbers from the root down, e.g. {1, 2} for "...WANDevice.1.WANConnectionDevice.2."
  std::vector<std::uint32_t> numbers;
};

}  // namespace cwmpd::sdk
