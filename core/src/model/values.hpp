// Type checking of incoming values against a parameter's TypeSpec.
#pragma once

#include <string>
#include <string_view>

#include "model/definitions.hpp"

namespace cwmpd::core::model {

// Checks `in` against `t`. On success returns true and puts the canonical form in
// `canonical` (booleans "true"/"false", integers without sign/leading zeros). On
// failure returns false and a reason in `why`.
bool checkValue(const TypeSpec& t, std::string_view in, std::string& canonical, std::string& why);

// Compiles the XML Schema patterns of `t` that std::regex understands (others are
// skipped: the value is then checked by length and named-type rules only).
void compilePatterns(TypeSpec& t);

// The value a parameter of this type has when nothing set it.
std::string zeroValue(const TypeSpec& t);

}  // namespace cwmpd::core::model
