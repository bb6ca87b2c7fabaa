// Helpers for the one-object-per-file layout of the sim backend (and the Linux status
// directories that reuse it).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/kv_file.hpp"
#include "cwmpd/hal/network.hpp"

namespace cwmpd::hal::detail {

// Names usable as a file name: [A-Za-z0-9_.-], not starting with '.', at most 64 chars.
[[nodiscard]] bool isSafeName(std::string_view name);
void requireSafeName(std::string_view name, const std::string& what);

// <dir>/<name>.ini for every such file, names without the suffix, sorted.
[[nodiscard]] std::vector<std::string> iniNames(const std::filesystem::path& dir);
// Loads <dir>/<name>.ini; HalError "unknown <what> '<name>'" when absent.
[[nodiscard]] KvFile loadObject(const std::filesystem::path& dir, std::string_view name,
                                const std::string& what);

// Counters stored as TR-181 names in snake case: bytes_sent, packets_received, ...
[[nodiscard]] InterfaceCounters readCounters(const KvFile& f);

[[nodiscard]] OperStatus parseStatus(std::string_view tr181);

// Increments the decimal counter in `path` (missing = 0) and appends `line` to
// `path`.log; both atomic. Used to record each apply()/action in the sim directory.
void recordApply(const std::filesystem::path& path, const std::string& line);

}  // namespace cwmpd::hal::detail
