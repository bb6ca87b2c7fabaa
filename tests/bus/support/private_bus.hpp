// A private dbus-daemon for one test or benchmark, at unix:path=DIR/bus.
#pragma once

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "process.hpp"

namespace cwmpd::testing {

class PrivateBus {
 public:
  // `configFile` empty: dbus-daemon's session configuration. Otherwise that file, whose
  // <listen> must be unix:path=DIR/bus. `launcher`: a command dbus-daemon's command line
  // is appended to (e.g. one that gives it its own /etc/passwd).
  explicit PrivateBus(std::filesystem::path dir, std::filesystem::path configFile = {},
                      std::vector<std::string> launcher = {})
      : dir_(std::move(dir)), config_(std::move(configFile)), launcher_(std::move(launcher)) {
    start();
  }
  ~PrivateBus() { stop(); }
  PrivateBus(const PrivateBus&) = delete;
  PrivateBus& operator=(const PrivateBus&) = delete;

  std::string address() const { return "unix:path=" + socket().string(); }
  std::filesystem::path socket() const { return dir_ / "bus"; }

  void start() {
    std::vector<std::string> argv = launcher_;
    for (const char* a : {"dbus-daemon", "--fork", "--print-address=1", "--print-pid=1"})
      argv.emplace_back(a);
    if (config_.empty()) {
      argv.push_back("--session");
      argv.push_back("--address=" + address());
    } else {
      argv.push_back("--config-file=" + config_.string());
    }
    const RunResult r = run(argv, dir_);
    std::istringstream lines(r.out);
    std::string printedAddress;
    std::getline(lines, printedAddress);
    lines >> pid_;
    if (r.exitCode != 0 || pid_ <= 0) {
      throw std::runtime_error("dbus-daemon did not start: " + r.err);
    }
  }

  // SIGTERM, then waits until the daemon is gone (a zombie counts as gone: it may not be
  // our child after --fork, and the container's init may not reap it).
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (alive(pid_) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (alive(pid_)) ::kill(pid_, SIGKILL);
    pid_ = -1;
  }

 private:
  static bool alive(pid_t pid) {
    if (::kill(pid, 0) != 0) return false;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    const auto close = line.rfind(')');
    return close == std::string::npos || close + 2 >= line.size() || line[close + 2] != 'Z';
  }

  std::filesystem::path dir_;
  std::filesystem::path config_;
  std::vector<std::string> launcher_;
  pid_t pid_ = -1;
};

}  // namespace cwmpd::testing
