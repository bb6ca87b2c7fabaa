// Building a TransceiverStatus from raw pages: the one place both backends decode.
#pragma once

#include <optional>
#include <string>

#include "cwmpd/hal/optics.hpp"

namespace cwmpd::hal::detail {

// `a0h` empty means no module answered. `a2h` is ignored unless A0h says diagnostics
// are implemented.
[[nodiscard]] TransceiverStatus makeTransceiverStatus(std::string name, std::string netdev,
                                                      const std::optional<sff8472::Page>& a0h,
                                                      const std::optional<sff8472::Page>& a2h);

}  // namespace cwmpd::hal::detail
