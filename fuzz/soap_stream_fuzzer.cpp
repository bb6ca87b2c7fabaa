// libFuzzer target for the streaming decode of request lists (issue 15, NameSink): the
// names of GetParameterValues and GetParameterAttributes, the items of SetParameterValues
// and SetParameterAttributes. Beyond "no crash, no leak, no UB", it checks that streaming
// changes nothing but where the items go. The same input decoded with and without a sink
// must give the same result or the same error (kind, message, cwmp:ID, method,
// namespace), and the sink must have received exactly the items the ordinary decode put
// into the request. Seeds: fuzz/seeds (*-odd-items.xml, *-broken-item.xml for the lists).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "cwmpd/core/soap/decoder.hpp"

using namespace cwmpd::core::soap;

namespace {

struct Sink : NameSink {
  bool began = false;
  bool beganStructs = false;
  std::vector<std::string> names;
  std::vector<ParameterValueStruct> values;
  std::vector<SetParameterAttributesStruct> attributeItems;
  bool begin(std::string_view method) override {
    if (began) std::abort();  // at most once per message
    began = true;
    return method == "GetParameterValues" || method == "GetParameterAttributes";
  }
  void name(std::string_view n) override {
    if (!began) std::abort();
    names.emplace_back(n);
  }
  bool beginStructs(std::string_view method) override {
    if (beganStructs) std::abort();
    beganStructs = true;
    return method == "SetParameterValues" || method == "SetParameterAttributes";
  }
  void value(ParameterValueStruct&& item) override {
    if (!beganStructs) std::abort();
    values.push_back(std::move(item));
  }
  void attributes(SetParameterAttributesStruct&& item) override {
    if (!beganStructs) std::abort();
    attributeItems.push_back(std::move(item));
  }
};

// Moves the streamed list out of `expected` after checking it is what `got` received.
template <class Request, class List>
bool matches(Body& body, bool began, List Request::*list, const List& got) {
  auto* request = std::get_if<Request>(&body);
  if (request == nullptr || !began) return false;
  if (got != (*request).*list) std::abort();
  ((*request).*list).clear();
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Small limits so that the fuzzer reaches them too.
  static Decoder plain(DecodeLimits{64 * 1024, 24, 512});
  static Decoder streaming(DecodeLimits{64 * 1024, 24, 512});
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Sink sink;
  const DecodeResult a = plain.decode(input);
  const DecodeResult b = streaming.decode(input, &sink);
  if (a.ok() != b.ok()) std::abort();
  if (!a.ok()) {
    const DecodeError& x = a.error();
    const DecodeError& y = b.error();
    if (x.kind != y.kind || x.message != y.message || x.id != y.id || x.method != y.method ||
        x.ns != y.ns)
      std::abort();
    return 0;
  }
  Envelope expected = a.envelope();
  Body& body = expected.body;
  const bool streamed =
      matches(body, sink.began, &GetParameterValues::parameterNames, sink.names) ||
      matches(body, sink.began, &GetParameterAttributes::parameterNames, sink.names) ||
      matches(body, sink.beganStructs, &SetParameterValues::parameterList, sink.values) ||
      matches(body, sink.beganStructs, &SetParameterAttributes::parameterList, sink.attributeItems);
  if (!streamed && (!sink.names.empty() || !sink.values.empty() || !sink.attributeItems.empty()))
    std::abort();
  if (!(expected == b.envelope())) std::abort();
  return 0;
}
