// libFuzzer target for the SOAP decoder. Beyond "no crash, no leak, no UB", it checks a
// property: whatever decodes must encode to a message that decodes to the same body.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cwmpd/core/soap/decoder.hpp"
#include "cwmpd/core/soap/encoder.hpp"

using namespace cwmpd::core::soap;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Small limits so that the fuzzer reaches them too.
  static Decoder decoder(DecodeLimits{64 * 1024, 24, 512});
  static Decoder second(DecodeLimits{});
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const DecodeResult first = decoder.decode(input);
  if (!first.ok()) {
    (void)first.error().faultCode();
    return 0;
  }
  const std::string encoded = encode(first.envelope());
  const DecodeResult again = second.decode(encoded);
  if (!again.ok() || !(again.envelope().body == first.envelope().body)) std::abort();
  return 0;
}
