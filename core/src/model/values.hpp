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

// Compiles the XML Schema patterns of `t` (`<pattern>` facets) for the C library's
// regexec, through posixPattern. When one of them cannot be translated, none is checked
// (a pattern we cannot check must not make every value invalid): the value is then
// checked by length and named-type rules only, and a warning names the pattern and
// `where` (the parameter) once.
void compilePatterns(TypeSpec& t, std::string_view where = {});

// True when `t` has no compiled pattern or `value` matches one of them (checkValue's
// pattern rule).
bool matchesPatterns(const TypeSpec& t, std::string_view value);

// Translates an XML Schema regular expression into an anchored POSIX extended one (for
// regcomp in the C locale) that accepts exactly the strings std::regex_match with
// ECMAScript syntax accepted, byte for byte: the daemon's reading of patterns until the
// tenth session. False, with the reason in `why`, for what it cannot translate
// faithfully: the XML Schema escapes ECMAScript lacks (\i \c \p{..}), character class
// subtraction, ^ and $ (anchors to ECMAScript, plain characters to XML Schema), ECMAScript
// syntax that is not XML Schema's (groups with (?, back-references, \b, empty classes,
// two quantifiers on one atom). Where XML Schema means something else than ECMAScript
// for the same text, ECMAScript's reading is kept (the values.cpp comment lists them).
bool posixPattern(std::string_view xsd, std::string& ere, std::string& why);

// The value a parameter of this type has when nothing set it.
std::string zeroValue(const TypeSpec& t);

}  // namespace cwmpd::core::model
