// The ONU status text both backends read: "key = value" lines (the sim's pon/onu.ini, a
// Linux status directory's onu.ini, or the output of the pon_status command). The keys
// are listed in hal/README.md ("PON").
#pragma once

#include <string>

#include "cwmpd/hal/pon.hpp"

namespace cwmpd::hal::detail {

// Parses `text`; HalError naming `where` and the key for a value that does not parse
// (an unknown activation state, mode, authentication result or alarm name included).
// Unknown keys are ignored, so a vendor script may print more than the HAL reads.
[[nodiscard]] OnuStatus parseOnuStatus(const std::string& text, const std::string& where);

// The environment the pon_auth command gets (and what the sim writes to credentials.ini).
[[nodiscard]] std::string renderCredentials(const PonCredentials& c);

}  // namespace cwmpd::hal::detail
