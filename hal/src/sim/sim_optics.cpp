#include "common/files.hpp"
#include "common/kv_objects.hpp"
#include "common/optics_status.hpp"
#include "cwmpd/hal/error.hpp"
#include "sim/sim_hal.hpp"

namespace cwmpd::hal::sim {

using namespace detail;

fs::path SimOptics::moduleDir(std::string_view name) const {
  fs::path d = dir_ / std::string(name);
  std::error_code ec;
  if (!isSafeName(name) || !fs::is_directory(d, ec)) {
    throw HalError("unknown transceiver '" + std::string(name) + "'");
  }
  return d;
}

std::vector<std::string> SimOptics::transceivers() {
  std::vector<std::string> out;
  for (const auto& n : listDir(dir_)) {
    std::error_code ec;
    if (isSafeName(n) && fs::is_directory(dir_ / n, ec)) out.push_back(n);
  }
  return out;
}

sff8472::Page SimOptics::readA0h(std::string_view name) {
  return readPage(moduleDir(name) / "a0h.bin");
}

sff8472::Page SimOptics::readA2h(std::string_view name) {
  const fs::path p = moduleDir(name) / "a2h.bin";
  std::error_code ec;
  if (!fs::exists(p, ec)) {
    throw HalError("transceiver '" + std::string(name) + "' has no diagnostics page");
  }
  return readPage(p);
}

TransceiverStatus SimOptics::status(std::string_view name) {
  const fs::path d = moduleDir(name);
  std::error_code ec;
  // Removing a0h.bin simulates an empty cage.
  std::optional<sff8472::Page> a0h, a2h;
  if (fs::exists(d / "a0h.bin", ec)) a0h = readPage(d / "a0h.bin");
  if (fs::exists(d / "a2h.bin", ec)) a2h = readPage(d / "a2h.bin");
  return makeTransceiverStatus(std::string(name), tryReadLine(d / "netdev").value_or(""), a0h, a2h);
}

}  // namespace cwmpd::hal::sim
