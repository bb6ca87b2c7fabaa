// Helpers for plugin tests on the sim HAL: reading the sim's files back and finding rows.
// Shared by tests/plugins_wifi and tests/plugins_voip.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "../harness/plugin_harness.hpp"
#include "cwmpd/core/data_model.hpp"

namespace cwmpd::testing {

// "key = value" lines of a sim .ini file (comments skipped).
inline std::map<std::string, std::string> readIni(const std::string& path) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  std::string line;
  auto trim = [](std::string s) {
    s.erase(0, s.find_first_not_of(" \t"));
    s.erase(s.find_last_not_of(" \t\r") + 1);
    return s;
  };
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    out[trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
  }
  return out;
}

inline std::string readText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void writeText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

// How many apply() calls the sim recorded for "wifi" or "voice".
inline int applyCount(const PluginHarness& h, const std::string& what) {
  std::ifstream in(h.dir + "/sim/run/" + what + "_applied");
  int n = 0;
  in >> n;
  return n;
}

// The lines of the sim's apply log for "wifi" or "voice".
inline std::vector<std::string> applyLog(const PluginHarness& h, const std::string& what) {
  std::vector<std::string> out;
  std::ifstream in(h.dir + "/sim/run/" + what + "_applied.log");
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(line);
  return out;
}

// The row of `table` ("Device.WiFi.Radio.") whose `param` reads `value`, e.g.
// "Device.WiFi.Radio.2.".
inline std::string findRow(PluginHarness& h, const std::string& table, const std::string& param,
                           const std::string& value) {
  for (const auto& pv : h.engine->getValues({table})) {
    const auto suffix = "." + param;
    if (pv.name.size() > suffix.size() &&
        pv.name.compare(pv.name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        pv.value == value && pv.name.find('.', table.size()) == pv.name.size() - suffix.size())
      return pv.name.substr(0, pv.name.size() - param.size());
  }
  ADD_FAILURE() << "no row of " << table << " with " << param << " = " << value;
  return table + "0.";
}

// The fault code of a SetParameterValues, 0 when it succeeded.
inline int setFaultCode(PluginHarness& h,
                        const std::vector<std::pair<std::string, std::string>>& values) {
  try {
    h.engine->setValues(values, sdk::Source::Acs);
    return 0;
  } catch (const core::SetFault& f) {
    return f.code();
  }
}

// A temp state dir with a copy of the demo sim data, for tests that restart the harness.
class StateDir {
 public:
  StateDir() {
    namespace fs = std::filesystem;
    std::string tmpl = (fs::temp_directory_path() / "cwmpd-state-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
    fs::copy(envOr("CWMPD_SOURCE_DIR", ".") + "/config/sim", path + "/sim",
             fs::copy_options::recursive);
  }
  ~StateDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

}  // namespace cwmpd::testing

namespace cwmpd::testing {

// Records the changes the engine reports with the plugin as their source.
struct PluginChanges {
  explicit PluginChanges(PluginHarness& h) {
    h.engine->addChangeListener(
        [this](const std::vector<core::CommittedChange>& changes, sdk::Source source) {
          if (source != sdk::Source::Plugin) return;
          for (const auto& c : changes) seen.push_back(c.name + "=" + c.value);
        });
  }
  [[nodiscard]] bool has(const std::string& nameEqualsValue) const {
    return std::find(seen.begin(), seen.end(), nameEqualsValue) != seen.end();
  }
  std::vector<std::string> seen;
};

}  // namespace cwmpd::testing
