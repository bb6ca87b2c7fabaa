#include "cwmpd/hal/factory.hpp"

#include <algorithm>

#include "common/files.hpp"
#ifdef CWMPD_HAL_LINUX
#include "linux/linux_hal.hpp"
#endif
#ifdef CWMPD_HAL_SIM
#include "sim/sim_hal.hpp"
#endif

namespace cwmpd::hal {

const std::vector<std::string>& builtBackends() {
  static const std::vector<std::string> built{
#ifdef CWMPD_HAL_LINUX
      "linux",
#endif
#ifdef CWMPD_HAL_SIM
      "sim",
#endif
  };
  return built;
}

std::string backendError(const std::string& name, const std::vector<std::string>& built) {
  if (std::find(built.begin(), built.end(), name) != built.end()) return {};
  std::string list;
  for (const auto& b : built) list += (list.empty() ? "" : " or ") + b;
  if (name == "linux" || name == "sim")
    return "must be " + list + " (this build leaves the " + name +
           " backend out: CMake option CWMPD_HAL_BACKENDS)";
  return "must be " + list;
}

std::unique_ptr<Hal> makeHal(const HalConfig& config) {
  detail::setReadCacheTtl(config.readCacheTtl);
#ifdef CWMPD_HAL_SIM
  if (config.backend == "sim") return sim::makeSimHal(config);
#endif
#ifdef CWMPD_HAL_LINUX
  if (config.backend == "linux") return linux_backend::makeLinuxHal(config);
#endif
  throw HalError("hal: backend " + backendError(config.backend) + ", got '" + config.backend + "'");
}

}  // namespace cwmpd::hal
