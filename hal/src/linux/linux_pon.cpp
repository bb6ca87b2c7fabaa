#include "common/files.hpp"
#include "common/pon_status.hpp"
#include "cwmpd/hal/error.hpp"
#include "linux/linux_hal.hpp"

namespace cwmpd::hal::linux_backend {

using namespace detail;

OnuStatus LinuxPon::status() {
  if (hasCommand(config_, "pon_status")) {
    // One run serves every parameter of one request (the plugin reads field by field).
    const auto now = std::chrono::steady_clock::now();
    if (!haveCache_ || now - cachedAt_ >= config_.readCacheTtl) {
      haveCache_ = false;
      cached_ = runConfigured(config_, "pon_status", {}, {});
      cachedAt_ = now;
      haveCache_ = true;
    }
    return parsed_.parse(cached_, "pon_status output");
  }
  if (config_.ponStatusDir.empty()) return {};
  const fs::path file = fs::path(config_.ponStatusDir) / "onu.ini";
  const auto text = tryReadFile(file);
  if (!text) return {};
  return parsed_.parse(*text, file.string());
}

void LinuxPon::setCredentials(const PonCredentials& c) {
  haveCache_ = false;
  runConfigured(config_, "pon_auth", {},
                {{"CWMPD_PON_LOID", c.loid},
                 {"CWMPD_PON_LOID_PASSWORD", c.loidPassword},
                 {"CWMPD_PON_PASSWORD", c.password},
                 {"CWMPD_PON_PASSWORD_HEX", c.hexadecimalPassword ? "1" : "0"}});
}

}  // namespace cwmpd::hal::linux_backend
