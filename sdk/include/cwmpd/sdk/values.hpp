// Value formatting shared by plugins (part of the SDK, header-only, since ABI 4): the
// lexical forms TR-069 uses on the wire (A.2.1: xsd types; a boolean is written "true" or
// "false" and read as "true", "false", "1" or "0").
#pragma once

#include <string_view>

namespace cwmpd::sdk {

inline const char* boolText(bool b) { return b ? "true" : "false"; }

// A boolean as the ACS may write it; anything but "true" and "1" is false (the core has
// type-checked the value before a plugin sees it).
inline bool parseBool(std::string_view v) { return v == "true" || v == "1"; }

}  // namespace cwmpd::sdk
