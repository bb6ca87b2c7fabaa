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
    case ParamType::Base64:
      return "xsd:base64Binary";  // "base64" is not an XML Schema type; schema validation needs this
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

// When the changes an apply handler accepted take effect (since ABI 3). SetParameterValues
// answers Status 1 ("committed, not yet applied", TR-069 A.3.2.1) when any is not Now.
enum class Effect : std::uint8_t {
  Now,           // running when the handler returns
  AtSessionEnd,  // staged: the plugin's flush applies it at the end of the ACS session
                 // (right after the transaction when it was made outside a session)
  AfterReboot,   // takes effect only after the next reboot
};

// What a reporting apply handler says about its batch: one Effect per change, in the
// order of the changes handed to it, all Now until the handler says otherwise.
struct ApplyReport {
  std::vector<Effect> effects;
  void setAll(Effect e) {
    for (auto& x : effects) x = e;
  }
};

// An object instance as handed to plugin handlers.
struct InstanceRef {
  std::string path;          // "Device.Ethernet.Interface.3."
  std::uint32_t number = 0;  // 3 (0 for single-instance objects)
  std::string key;           // plugin's key given to Host::ensureInstance ("eth0"), may be empty
  // Instance numbers from the root down, e.g. {1, 2} for "...WANDevice.1.WANConnectionDevice.2."
  std::vector<std::uint32_t> numbers;
  // The read this reference was made for (since ABI 8): the getters of one object in one
  // request (a GetParameterValues walk, consecutive names of one object in a list) get
  // one reference, and no other reference the core makes has the same readId; 0 in one
  // the core did not make. cwmpd/sdk/object_snapshot.hpp keeps one fetch per readId.
  std::uint64_t readId = 0;
};

}  // namespace cwmpd::sdk
