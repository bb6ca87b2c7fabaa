#include "cwmpd/hal/factory.hpp"

#include "common/files.hpp"
#include "linux/linux_hal.hpp"
#include "sim/sim_hal.hpp"

namespace cwmpd::hal {

std::unique_ptr<Hal> makeHal(const HalConfig& config) {
  detail::setReadCacheTtl(config.readCacheTtl);
  if (config.backend == "sim") return sim::makeSimHal(config);
  if (config.backend == "linux") return linux_backend::makeLinuxHal(config);
  throw HalError("hal: unknown backend '" + config.backend + "' (expected linux or sim)");
}

}  // namespace cwmpd::hal
