// libFuzzer target for the streaming decode of name lists (issue 15, NameSink): beyond
// "no crash, no leak, no UB", it checks that streaming changes nothing but where the
// names go. The same input decoded with and without a sink must give the same result or
// the same error (kind, message, cwmp:ID, method, namespace), and the sink must have
// received exactly the names the ordinary decode put into the request.
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
  std::vector<std::string> names;
  bool begin(std::string_view method) override {
    if (began) std::abort();  // at most once per message
    began = true;
    return method == "GetParameterValues";
  }
  void name(std::string_view n) override {
    if (!began) std::abort();
    names.emplace_back(n);
  }
};

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
  auto* request = std::get_if<GetParameterValues>(&expected.body);
  const bool streamed = request != nullptr && sink.began;
  if (streamed) {
    if (sink.names != request->parameterNames) std::abort();
    request->parameterNames.clear();
  } else if (!sink.names.empty()) {
    std::abort();
  }
  if (!(expected == b.envelope())) std::abort();
  return 0;
}
