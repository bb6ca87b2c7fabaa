// Running the platform's action commands: fork/exec without a shell, bounded in time.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cwmpd::hal::detail {

// Splits a configured command line into argv on blanks; double quotes group words
// ("a b" is one argument) and a backslash escapes the next character. No other shell
// syntax exists: values reach the command only as separate arguments or environment
// variables, never through text a shell would interpret.
[[nodiscard]] std::vector<std::string> splitCommandLine(std::string_view line);

struct CommandResult {
  int exitCode = 0;
  std::string output;  // stdout and stderr, at most 64 KiB
};

// Runs argv[0] (looked up in PATH) with `env` added to the environment, waits at most
// `timeout`, and kills the whole process group after that. Throws HalError when it cannot
// start, times out, or exits other than with status 0 (naming `what`, the exit status
// and the last line of output).
CommandResult runCommand(const std::string& what, const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env,
                         std::chrono::milliseconds timeout);

}  // namespace cwmpd::hal::detail
