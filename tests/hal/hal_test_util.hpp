// Helpers shared by the HAL tests: private temporary directories and the demo sim data.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace cwmpd::hal::test {

namespace fs = std::filesystem;

// A fresh directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "cwmpd-hal-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

inline fs::path sourceDir() {
  const char* s = std::getenv("CWMPD_SOURCE_DIR");
  return s ? fs::path(s) : fs::path(CWMPD_TEST_FALLBACK_SOURCE_DIR);
}

// A private copy of config/sim, so tests may write.
inline fs::path copyDemoSim(const TempDir& dir) {
  const fs::path target = dir.path() / "sim";
  fs::copy(sourceDir() / "config" / "sim", target, fs::copy_options::recursive);
  return target;
}

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void spit(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

}  // namespace cwmpd::hal::test
