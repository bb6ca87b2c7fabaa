// Driving org.cwmpd from tests: busctl and cwmpctl on a given bus, and the D-Bus error that
// a proxy call ends with.
#pragma once

#include <sdbus-c++/Error.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "process.hpp"

namespace cwmpd::testing {

inline RunResult busctlOn(const std::string& address, std::vector<std::string> args,
                          const std::filesystem::path& dir) {
  args.insert(args.begin(), {"busctl", "--address=" + address});
  return run(args, dir);
}

inline RunResult cwmpctlOn(const std::string& address, std::vector<std::string> args,
                           const std::filesystem::path& dir) {
  args.insert(args.begin(), {CWMPCTL_PATH, "--address", address});
  return run(args, dir);
}

// The sdbus::Error that `call` throws; nullopt when it succeeds.
template <typename Call>
std::optional<sdbus::Error> dbusErrorOf(Call&& call) {
  try {
    call();
  } catch (const sdbus::Error& e) {
    return e;
  }
  return std::nullopt;
}

}  // namespace cwmpd::testing
