// Reading the HAL where "the HAL does not have it (any more)" is an answer, not an error:
// the effective view of a row whose device went away, a getter of a removed line.
//
// Part of the SDK (header-only, since ABI 5).
#pragma once

#include <optional>
#include <type_traits>

#include "cwmpd/hal/error.hpp"

namespace cwmpd::sdk {

// What `read()` returns, or nullopt when it throws hal::HalError.
template <typename Read>
[[nodiscard]] auto halRead(Read&& read) -> std::optional<std::decay_t<decltype(read())>> {
  try {
    return read();
  } catch (const hal::HalError&) {
    return std::nullopt;
  }
}

}  // namespace cwmpd::sdk
