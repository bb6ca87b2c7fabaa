// Answers decoded ACS requests: each CPE method of the RPC table (core/src/rpc/
// rpc_table.hpp) either on the data model or with the handler a part of the agent
// provided, its result (or fault) as the CWMP response. No I/O here: the session engine
// owns the HTTP conversation.
//
// Threading: main loop only. decodeAndAnswer() may parse a large request on a second
// thread of its own, joined before it returns; the model is only touched on the caller's.
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "cwmpd/core/data_model.hpp"
#include "cwmpd/core/soap/decoder.hpp"
#include "cwmpd/core/soap/messages.hpp"

namespace cwmpd::core {

class RpcDispatcher {
 public:
  explicit RpcDispatcher(DataModel& model);
  ~RpcDispatcher();
  RpcDispatcher(const RpcDispatcher&) = delete;
  RpcDispatcher& operator=(const RpcDispatcher&) = delete;

  // Answers one ACS request: the response, or a soap::Fault. Never throws for anything
  // a request can contain.
  [[nodiscard]] soap::Body handle(const soap::Body& request);

  // Decodes a message from the ACS; a GetParameterValues is answered in the same call,
  // its names handed to the model's resolver while the request is parsed (issue 15: a
  // list of every parameter is never kept as strings). Same answer, byte for byte, as
  // handle() on what soap::decode() gives. A request with a header entry we must but do
  // not understand is not answered (SOAP 1.1 section 4.2.3).
  struct Decoded {
    soap::DecodeResult result;
    // The answer when the request was answered while decoded: then its name list is not
    // in `result`, and handle() must not be called for it.
    std::optional<soap::Body> answer;
  };
  // `text`, when given, is the string `payload` views, and is the dispatcher's to give
  // back: the pages of a streamed list's request are given back as the parser reads them
  // (their bytes are zeros afterwards: soap::NameSink::discardsRead), and a
  // SetParameterValues, whose entries are then all held as the model takes them, frees it
  // once the message is decoded and before the set is applied (issue 15: a megabyte of
  // request text was held at the peak of its answer or its set). Only its memory is left
  // to the caller, to free.
  //
  // `lastAnswer` is the buffer of the message sent before (its text no longer needed): a
  // GetParameterValues or GetParameterNames answer is written into it when it is large
  // enough, so that a session's megabyte answers reuse pages already resident instead of
  // faulting in fresh ones (~700 page faults for 3 MB). It is freed as soon as the request
  // turns out to be anything else, and never outlives the answer to this request.
  [[nodiscard]] Decoded decodeAndAnswer(std::string_view payload, const soap::DecodeLimits& limits,
                                        std::string* text = nullptr, std::string lastAnswer = {});

  // A message of at least this many bytes is parsed by decodeAndAnswer on a second
  // thread (Xerces-C and the decoder's handler) while this one resolves the list's items
  // and writes a GetParameterValues answer (issue 15); same answer, byte for byte. The
  // default: kParseThreadFrom when more than one CPU is online, else never (SIZE_MAX).
  static constexpr std::size_t kParseThreadFrom = std::size_t{64} * 1024;
  void setParseThreadFrom(std::size_t bytes) { parseThreadFrom_ = bytes; }

  // The methods GetRPCMethods lists: the table's listed rows that can be answered, then
  // the vendor methods.
  [[nodiscard]] std::vector<std::string> supportedMethods() const;

  // Provides the handler of a method the table marks as answered by the agent (Reboot,
  // Download, ...): `handler(const Request&)` returns the response struct and may throw
  // sdk::Fault. The dispatcher's own checks of the request (CommandKey length, ...) run
  // first. Until a handler is provided the method answers 9000 and is not listed. A
  // second call replaces the handler.
  template <class Request, class F>
  void provide(F&& handler) {
    constexpr std::size_t kIndex = indexOf<Request>(static_cast<soap::Body*>(nullptr));
    static_assert(kIndex < std::variant_size_v<soap::Body>, "not a message of soap::Body");
    agent_[kIndex] = [h = std::forward<F>(handler)](const soap::Body& request) -> soap::Body {
      return h(std::get<Request>(request));
    };
  }
  // The CWMP version of the session (TR-069 A.4.1 negotiation), as its minor number
  // (0 for 1.0 ... 4 for 1.4): methods a later version introduced are neither listed nor
  // answered (9000). 4 until a session says otherwise.
  void setCwmpVersion(unsigned minor) { cwmpMinor_ = minor; }
  [[nodiscard]] unsigned cwmpVersion() const { return cwmpMinor_; }

  // A vendor method ("X_<OUI>_Name", TR-069 A.3.1), listed after the table's methods.
  using VendorHandler = std::function<soap::VendorMethodResponse(const soap::VendorMethod&)>;
  void provideVendor(std::string name, VendorHandler handler);

 private:
  template <class T, class... U>
  static constexpr std::size_t indexOf(std::variant<U...>*) {
    std::size_t i = 0;
    // Counts the alternatives before T; the fold stops at T (its value is not needed).
    (void)((std::is_same_v<T, U> ? false : (++i, true)) && ...);
    return i;
  }
  [[nodiscard]] bool provided(std::size_t index) const { return static_cast<bool>(agent_[index]); }

  struct Dispatch;
  DataModel& model_;
  std::array<std::function<soap::Body(const soap::Body&)>, std::variant_size_v<soap::Body>> agent_;
  std::map<std::string, VendorHandler> vendor_;
  unsigned cwmpMinor_ = 4;
  // decodeAndAnswer's `lastAnswer`, kept only until the answer to the same request is
  // written: a GetParameterNames is answered by the handle() that follows.
  std::string spare_;
  std::size_t parseThreadFrom_;
  std::unique_ptr<soap::Decoder> parseDecoder_;  // the second thread's, one at a time
};

}  // namespace cwmpd::core
