// Reading the CWMP code back from an org.cwmpd.Fault.* error message (client side; header
// only, so clients need not link the service).
#pragma once

#include <charconv>
#include <optional>
#include <string_view>

namespace cwmpd::bus {

// 9005 for "9005 Invalid parameter name: Device.Foo."; nullopt when the message does not
// start with a code followed by a space or the end.
[[nodiscard]] inline std::optional<int> parseFaultCode(std::string_view message) noexcept {
  int code = 0;
  const char* begin = message.data();
  const char* end = begin + message.size();
  const auto [ptr, ec] = std::from_chars(begin, end, code);
  if (ec != std::errc{} || ptr == begin || (ptr != end && *ptr != ' ')) return std::nullopt;
  return code;
}

}  // namespace cwmpd::bus
