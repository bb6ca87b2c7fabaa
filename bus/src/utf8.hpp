// D-Bus strings must be valid UTF-8 (sd-bus refuses to send anything else), but parameter
// values come from hardware and plugins: an SSID or a vendor string may hold any bytes.
#pragma once

#include <string>

namespace cwmpd::bus {

// `text` unchanged when it is valid UTF-8; otherwise each invalid byte becomes U+FFFD.
[[nodiscard]] std::string validUtf8(std::string text);

}  // namespace cwmpd::bus
