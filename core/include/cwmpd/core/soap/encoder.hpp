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

// The same elements, of names that come in two parts, an object's path and what follows
// it ("Device.WiFi.SSID.2." and "SSID", as DataModel's visitors give them): the name is
// never built, and the object's path is checked for what needs escaping once for the
// consecutive names of one object instead of once per name (the last object's view is
// kept: its text must not change while it is the last one given, as a model's own paths
// do not during one visit). Each element is written in one piece when nothing in it needs
// escaping, and is then byte for byte what the functions above write of the whole name.
//
// The elements are written into room made ahead in `out` (1.5 KB at a time, not
// a resize and its zero fill per element): until finish() (or the destructor), `out` is
// longer than what was written. Not copyable: one writer per stretch of `out`.
class ListWriter {
 public:
  explicit ListWriter(std::string& out) : out_(out), end_(out.size()) {}
  ListWriter(const ListWriter&) = delete;
  ListWriter& operator=(const ListWriter&) = delete;
  ~ListWriter() { finish(); }
  // `plainType`: nothing in it to escape (sdk::xsdTypeName's names); empty: no xsi:type.
  void value(std::string_view object, std::string_view leaf, std::string_view plainType,
             std::string_view value);
  void info(std::string_view object, std::string_view leaf, bool writable);
  // `out` is then exactly what was written, and may be written on directly: the writer's
  // next element goes on from its end.
  void finish() {
    if (!ahead_) return;
    out_.resize(end_);
    ahead_ = false;
  }

 private:
  [[nodiscard]] bool plainObject(std::string_view object);
  // An element with something to escape, of the whole name.
  std::string_view whole(std::string_view object, std::string_view leaf);
  // Where `n` bytes are written next (room made when short); the caller adds them to end_.
  char* room(std::size_t n) {
    if (!ahead_ || out_.size() - end_ < n) makeRoom(n);
    return out_.data() + end_;
  }
  void makeRoom(std::size_t n);

  std::string& out_;
  std::size_t end_;          // what is written of out_ while ahead_
  bool ahead_ = false;       // out_ holds room past end_
  std::string_view object_;  // the last object checked
  bool objectPlain_ = false;
  std::string name_;  // the whole name, for an element with something to escape
};

}  // namespace cwmpd::core::soap
