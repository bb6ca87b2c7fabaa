// Decoding of SOAP 1.1 / CWMP messages with Xerces-C SAX2, hardened against hostile input
// (no DOCTYPE, no entities, bounded size, depth and array length).
//
// Threading: a Decoder is not thread-safe; use one per thread. decode() (the free
// function) uses one Decoder per thread.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "cwmpd/core/soap/messages.hpp"

namespace cwmpd::core::soap {

// Bounds on what comes from the network (ARCHITECTURE: "bounded everything").
struct DecodeLimits {
  std::size_t maxBodyBytes = std::size_t{4} * 1024 * 1024;
  std::size_t maxDepth = 32;           // element nesting, Envelope = 1
  std::size_t maxArrayItems = 100000;  // children of any one element
};

struct DecodeError {
  enum class Kind : std::uint8_t {
    // Well-formed CWMP but arguments missing, of the wrong type, or not parseable
    // (also malformed XML and non-SOAP documents): answer fault 9003.
    InvalidArguments,
    // A method we do not know, not a vendor "X_" one: answer fault 9000.
    MethodNotSupported,
    // An array longer than DecodeLimits::maxArrayItems: answer fault 9004.
    ResourcesExceeded,
    // Hostile input (DOCTYPE, entities, too big, too deep): do not answer, close the
    // session (TR-069 gives no fault for it, and answering invites more).
    Refused,
  };
  Kind kind = Kind::InvalidArguments;
  std::string message;            // for logs; never contains parameter values
  std::optional<std::string> id;  // cwmp:ID if it was read before the error
  std::string method;             // the Body's element name if it was reached
  CwmpNamespace ns = CwmpNamespace::V1_0;

  // The CWMP fault code to answer with, or 0 for Refused.
  [[nodiscard]] int faultCode() const noexcept;
};

// Either the decoded envelope or why it could not be decoded.
class DecodeResult {
 public:
  DecodeResult(Envelope e) : value_(std::move(e)) {}     // NOLINT(google-explicit-constructor)
  DecodeResult(DecodeError e) : value_(std::move(e)) {}  // NOLINT(google-explicit-constructor)
  [[nodiscard]] bool ok() const noexcept { return value_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  // Precondition: ok() (resp. !ok()); std::bad_variant_access otherwise.
  [[nodiscard]] Envelope& envelope() { return std::get<Envelope>(value_); }
  [[nodiscard]] const Envelope& envelope() const { return std::get<Envelope>(value_); }
  [[nodiscard]] const DecodeError& error() const { return std::get<DecodeError>(value_); }

 private:
  std::variant<Envelope, DecodeError> value_;
};

// Thrown by a NameSink's method to end the parse at once, when whoever takes the items no
// longer wants the message (RpcDispatcher: the thread answering a request parsed on a
// second thread failed). decode() then returns a DecodeError of kind Refused.
struct StopParse {};

// Takes the items of a request's list while the message is parsed, instead of the
// decoded envelope (issue 15: the megabyte of names of a GetParameterValues listing every
// parameter, or the ten thousand values of a SetParameterValues, are never kept as a tree
// of strings). The list is the ParameterNames or the ParameterList argument of the
// request, with the checks, limits and errors of the ordinary decode.
class NameSink {
 public:
  virtual ~NameSink() = default;
  // The ParameterNames list of `method` (its element name, e.g. "GetParameterValues")
  // starts; at most once per message. True: stream its items, and the decoded request
  // carries an empty list. False: decode it as usual.
  virtual bool begin(std::string_view method) = 0;
  // Each item's text, in document order. Must not throw (but StopParse).
  virtual void name(std::string_view name) = 0;

  // The ParameterList of `method` ("SetParameterValues", "SetParameterAttributes")
  // starts; at most once per message. True: each item is read when its end tag is
  // parsed, exactly as the ordinary decode reads it, and handed to value() or
  // attributes(); the decoded request carries an empty list. An item that cannot be read
  // is the decode's error (after any error of the XML itself, as in the ordinary decode),
  // and no later item is handed over.
  virtual bool beginStructs(std::string_view method) {
    (void)method;
    return false;
  }
  // Each item, in document order. Must not throw (but StopParse).
  virtual void value(ParameterValueStruct&& item) { (void)item; }
  // The same item as views of the parser's memory, valid during the call: what the decoder
  // calls. This default makes the ParameterValueStruct for value(); a sink that keeps its
  // own copy (or none) overrides it and saves three strings per item (issue 15).
  virtual void valueItem(std::string_view name, std::string_view value, std::string_view type) {
    this->value(ParameterValueStruct{std::string(name), std::string(value), std::string(type)});
  }
  virtual void attributes(SetParameterAttributesStruct&& item) { (void)item; }

  // Whether the bytes of the message the parser has already read may be given back to the
  // system (issue 15: a megabyte request need not stay resident while it is answered):
  // their pages are then zeros in the caller's text. Asked on the parsing thread as the
  // parse goes on, only after a begin() or beginStructs() that returned true (the message
  // is then a request, never a Fault to read again without namespaces). Default: never.
  [[nodiscard]] virtual bool discardsRead() const { return false; }
};

// Owns a configured Xerces SAX2 reader; reusing it avoids rebuilding the reader for
// every message.
class Decoder {
 public:
  explicit Decoder(DecodeLimits limits = {});
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Never throws for any input (bad_alloc aside). An empty or whitespace-only payload
  // decodes to Body Empty.
  [[nodiscard]] DecodeResult decode(std::string_view payload);
  // The same, with the request's name list handed to `sink` (NameSink). When the
  // result is an error, what the sink received means nothing.
  [[nodiscard]] DecodeResult decode(std::string_view payload, NameSink* sink);

  [[nodiscard]] const DecodeLimits& limits() const noexcept { return limits_; }

 private:
  struct Impl;
  DecodeLimits limits_;
  std::unique_ptr<Impl> impl_;
};

// decode() with a per-thread Decoder using `limits`.
[[nodiscard]] DecodeResult decode(std::string_view payload, const DecodeLimits& limits = {},
                                  NameSink* sink = nullptr);

}  // namespace cwmpd::core::soap
