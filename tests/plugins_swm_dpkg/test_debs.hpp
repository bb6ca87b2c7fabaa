// Tiny Debian packages built for a test with dpkg-deb, and a scratch directory to build
// them and to hold a package root in.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <system_error>

#include "process.hpp"

namespace cwmpd::swm_dpkg::test {

namespace fs = std::filesystem;

class Scratch {
 public:
  Scratch() {
    std::string name = (fs::temp_directory_path() / "cwmpd-dpkg-XXXXXX").string();
    if (::mkdtemp(name.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = name;
  }
  ~Scratch() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  [[nodiscard]] const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
};

inline void writeFile(const fs::path& path, const std::string& text,
                      fs::perms perms = fs::perms{0644}) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  fs::permissions(path, perms);
}

inline std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// One package to build: control fields beyond the mandatory ones, files by their path
// inside the package ("usr/share/x/y.txt"), maintainer scripts by name ("postinst").
struct DebSpec {
  std::string name = "cwmpd-test-hello";
  std::string version = "1.0";
  std::string extraControl;  // whole lines, e.g. "Depends: foo (>= 2)\n"
  std::map<std::string, std::string> files;
  std::map<std::string, std::string> scripts;
};

// Builds the .deb in `dir` and returns its path. Owner root:root inside the archive
// (--root-owner-group), whoever runs the test.
inline fs::path buildDeb(const fs::path& dir, const DebSpec& spec) {
  const fs::path tree = dir / ("tree-" + spec.name + "-" + spec.version);
  fs::remove_all(tree);
  writeFile(tree / "DEBIAN" / "control",
            "Package: " + spec.name + "\nVersion: " + spec.version +
                "\nArchitecture: all\nMaintainer: cwmpd tests <tests@example.invalid>\n" +
                spec.extraControl + "Description: a package of the cwmpd tests\n" +
                " It holds a file or two and nothing else.\n");
  for (const auto& [path, text] : spec.files) writeFile(tree / path, text);
  for (const auto& [script, text] : spec.scripts) {
    writeFile(tree / "DEBIAN" / script, text, fs::perms{0755});
  }
  const fs::path deb = dir / (spec.name + "_" + spec.version + "_all.deb");
  const auto r =
      runProcess({"dpkg-deb", "--root-owner-group", "--build", tree.string(), deb.string()},
                 {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}, ProcessLimits{});
  if (r.exitCode != 0) throw std::runtime_error("dpkg-deb --build failed: " + r.err);
  fs::remove_all(tree);
  return deb;
}

}  // namespace cwmpd::swm_dpkg::test
