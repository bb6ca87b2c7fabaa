// Encoding of CWMP messages as SOAP 1.1 envelopes (UTF-8, prefixes SOAP-ENV, SOAP-ENC,
// xsd, xsi, cwmp), written straight into a string: no DOM, so that a 20,000-parameter
// GetParameterValuesResponse costs a few milliseconds.
//
// Thread-safe (no shared state).
#pragma once

#include <string>
#include <string_view>

#include "cwmpd/core/soap/messages.hpp"

namespace cwmpd::core::soap {

// The whole HTTP payload. Header entries are written when set; cwmp:ID always carries
// SOAP-ENV:mustUnderstand="1" (TR-069 A.4.1). Body Empty gives "" (an empty POST).
// Values are written as given: callers pass valid UTF-8 (invalid bytes are replaced by
// U+FFFD, characters XML 1.0 forbids are dropped, so the output is always well-formed).
[[nodiscard]] std::string encode(const Envelope& envelope);
// The same, taking over the buffer of a pre-encoded parameter list (messages.hpp) instead
// of copying it.
[[nodiscard]] std::string encode(Envelope&& envelope);

// Appends `text` to `out`, escaped for XML character data and attribute values.
void appendEscaped(std::string& out, std::string_view text);

// One <ParameterValueStruct> / <ParameterInfoStruct> element, for the pre-encoded lists of
// GetParameterValuesResponse and GetParameterNamesResponse. `xsdType` empty: no xsi:type.
void appendParameterValueStruct(std::string& out, std::string_view name, std::string_view xsdType,
                                std::string_view value);
void appendParameterInfoStruct(std::string& out, std::string_view name, bool writable);

}  // namespace cwmpd::core::soap
