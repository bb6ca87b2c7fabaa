// A state directory a plugin test owns, so that a second PluginHarness can be started on
// the same store (its 4th argument): instance numbers and ACS-set values across restarts.
// Shared by tests/plugins_wan and tests/plugins_pon.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "harness/plugin_harness.hpp"

namespace cwmpd::testing {

class SimStateDir {
 public:
  // A fresh directory holding a copy of the demo sim data in sim/.
  SimStateDir() {
    namespace fs = std::filesystem;
    std::string tmpl = (fs::temp_directory_path() / "cwmpd-plugin-state-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
    fs::copy(envOr("CWMPD_SOURCE_DIR", ".") + "/config/sim", path / "sim",
             fs::copy_options::recursive);
  }
  ~SimStateDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  SimStateDir(const SimStateDir&) = delete;
  SimStateDir& operator=(const SimStateDir&) = delete;

  [[nodiscard]] std::filesystem::path sim() const { return path / "sim"; }
  std::filesystem::path path;
};

}  // namespace cwmpd::testing
