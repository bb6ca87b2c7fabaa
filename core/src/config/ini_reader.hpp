// Boost.PropertyTree's INI reader behind a plain interface, in a translation unit of its
// own: PropertyTree's headers use typeid, which the small build (CWMPD_SMALL, no RTTI)
// allows in this file only (core/CMakeLists.txt).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace cwmpd::core::config {

// One top-level entry of the file as PropertyTree reads it: a [section] with its keys in
// file order, or a key outside any section (no keys then).
struct IniEntry {
  std::string name;
  std::vector<std::pair<std::string, std::string>> keys;
};

struct IniResult {
  std::vector<IniEntry> entries;
  bool ok = true;
  int errorLine = 0;  // when !ok: read_ini's error
  std::string errorMessage;
};

[[nodiscard]] IniResult readIni(const std::string& text);

}  // namespace cwmpd::core::config
