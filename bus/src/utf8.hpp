// D-Bus strings must be valid UTF-8 (sd-bus refuses to send anything else), but parameter
// values come from hardware and plugins: an SSID or a vendor string may hold any bytes.
#pragma once

#include <string>
#include <string_view>

namespace cwmpd::bus {

// `text` unchanged when it is valid UTF-8; otherwise each invalid byte becomes U+FFFD.
[[nodiscard]] std::string validUtf8(std::string text);

// Whether validUtf8 would leave `text` unchanged: valid UTF-8 (RFC 3629) without a NUL, a
// string D-Bus can carry. ASCII, what nearly every value is, is checked 16 bytes at a time.
[[nodiscard]] bool isValidUtf8(std::string_view text);

}  // namespace cwmpd::bus
