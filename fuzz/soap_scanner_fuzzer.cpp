// libFuzzer target for the byte scanner (issue 15, core/src/soap/xml_scan.hpp) against
// Xerces-C, its reference: any input is decoded with the scanner where it takes the
// message and with Xerces forced, with and without a NameSink, and everything must be the
// same: the decoded envelope, or the error (kind, message, cwmp:ID, method, namespace),
// and every call the sink received, in order. Seeds: fuzz/seeds and the GenieACS corpus.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "cwmpd/core/soap/decoder.hpp"
#include "soap/xml_tree.hpp"

using namespace cwmpd::core::soap;

namespace {

struct Sink : NameSink {
  std::vector<std::string> calls;
  std::vector<ParameterValueStruct> values;
  std::vector<SetParameterAttributesStruct> attributeItems;
  bool begin(std::string_view method) override {
    calls.push_back("begin " + std::string(method));
    return method == "GetParameterValues" || method == "GetParameterAttributes";
  }
  void name(std::string_view n) override { calls.push_back("name " + std::string(n)); }
  bool beginStructs(std::string_view method) override {
    calls.push_back("structs " + std::string(method));
    return method == "SetParameterValues" || method == "SetParameterAttributes";
  }
  void value(ParameterValueStruct&& item) override {
    calls.emplace_back("value");
    values.push_back(std::move(item));
  }
  void attributes(SetParameterAttributesStruct&& item) override {
    calls.emplace_back("attributes");
    attributeItems.push_back(std::move(item));
  }
};

void same(const DecodeResult& a, const DecodeResult& b) {
  if (a.ok() != b.ok()) std::abort();
  if (!a.ok()) {
    const DecodeError& x = a.error();
    const DecodeError& y = b.error();
    if (x.kind != y.kind || x.message != y.message || x.id != y.id || x.method != y.method ||
        x.ns != y.ns)
      std::abort();
    return;
  }
  if (!(a.envelope() == b.envelope())) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Small limits so that the fuzzer reaches them too.
  static Decoder scanner(DecodeLimits{64 * 1024, 12, 64});
  static Decoder xerces(DecodeLimits{64 * 1024, 12, 64});
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const DecodeResult a = scanner.decode(input);
  detail::useXercesOnly(true);
  const DecodeResult b = xerces.decode(input);
  detail::useXercesOnly(false);
  same(a, b);

  Sink fast;
  Sink reference;
  const DecodeResult c = scanner.decode(input, &fast);
  detail::useXercesOnly(true);
  const DecodeResult d = xerces.decode(input, &reference);
  detail::useXercesOnly(false);
  same(c, d);
  if (fast.calls != reference.calls || fast.values != reference.values ||
      fast.attributeItems != reference.attributeItems)
    std::abort();
  return 0;
}
