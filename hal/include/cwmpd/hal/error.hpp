// The one exception type of the HAL.
#pragma once

#include <stdexcept>
#include <string>

// Exceptions cross the boundary between the daemon and plugins built with hidden
// visibility; the type must keep default visibility so that `catch (const HalError&)`
// in a plugin matches what the daemon's HAL throws.
#if defined(__GNUC__)
#define CWMPD_HAL_VISIBLE __attribute__((visibility("default")))
#else
#define CWMPD_HAL_VISIBLE
#endif

namespace cwmpd::hal {

// Thrown by every HAL method that fails: unknown object name, unreadable or malformed
// backend data, a command that failed or timed out, a value the hardware refuses.
// The message names the object and the cause and never contains a secret.
class CWMPD_HAL_VISIBLE HalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace cwmpd::hal
