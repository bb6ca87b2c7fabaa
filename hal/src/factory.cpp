#include "cwmpd/hal/factory.hpp"

namespace cwmpd::hal {

std::unique_ptr<Hal> makeHal(const HalConfig& config) {
  throw HalError("hal: backend '" + config.backend + "' is not available yet");
}

}  // namespace cwmpd::hal
