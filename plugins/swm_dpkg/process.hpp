// Runs one program to completion with an argument vector (no shell), a clean environment,
// bounded output and a deadline: what the package EE needs to drive dpkg safely.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace cwmpd::swm_dpkg {

struct ProcessLimits {
  std::chrono::milliseconds timeout{std::chrono::seconds(300)};
  // Bytes kept of each stream; the rest is read and dropped so the child never blocks.
  std::size_t maxStdout = std::size_t{4} * 1024 * 1024;
  std::size_t maxStderr = std::size_t{64} * 1024;
};

struct ProcessResult {
  int exitCode = -1;  // the program's status; 128 + signal when killed by one
  bool timedOut = false;
  bool started = false;  // false: the program could not be executed (not found...)
  std::string out;
  std::string err;
};

// Runs argv[0] (looked up in env's PATH when it has no '/') with exactly `env`
// ("NAME=value" entries) and stdin from /dev/null. The child gets a process group of its
// own, so a timeout kills what it started too (dpkg runs dpkg-deb, maintainer scripts).
// Never throws for the program's own failure: look at the result. Throws
// std::runtime_error only when the host cannot even try (no pipe, no process).
[[nodiscard]] ProcessResult runProcess(const std::vector<std::string>& argv,
                                       const std::vector<std::string>& env,
                                       const ProcessLimits& limits);

}  // namespace cwmpd::swm_dpkg
