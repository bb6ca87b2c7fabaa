// Small file helpers shared by both backends.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cwmpd/hal/sff8472.hpp"

namespace cwmpd::hal::detail {

namespace fs = std::filesystem;

// Serve repeated reads of a file within `ttl` from memory (0 = always read; the default).
// Process-wide: the daemon has one HAL. invalidateReadCache() after anything that changes
// files behind the HAL's back (writeFileAtomic does it itself).
void setReadCacheTtl(std::chrono::milliseconds ttl);
void invalidateReadCache();
// When what the read cache serves was read. A value computed from several files (an
// interface's counters) may be served again while all of them would be: within the TTL of
// the oldest one, and not after an invalidation (readCacheServes). Start one with
// readStamp() and pass it to each read the value is made of.
struct ReadStamp {
  std::uint64_t generation = 0;  // of the cache: every invalidation starts a new one
  std::chrono::steady_clock::time_point oldest{};
  bool cached = false;  // false once a read bypassed the cache (no TTL)
};
[[nodiscard]] ReadStamp readStamp();
[[nodiscard]] bool readCacheServes(const ReadStamp& stamp);
// Whole file, or empty optional when it cannot be opened (errno says why).
[[nodiscard]] std::optional<std::string> tryReadFile(const fs::path& path,
                                                     ReadStamp* stamp = nullptr);
// Whole file; throws HalError naming the path.
[[nodiscard]] std::string readFile(const fs::path& path);
// First line without the trailing newline and surrounding blanks.
[[nodiscard]] std::optional<std::string> tryReadLine(const fs::path& path,
                                                     ReadStamp* stamp = nullptr);
[[nodiscard]] std::optional<std::uint64_t> tryReadU64(const fs::path& path,
                                                      ReadStamp* stamp = nullptr);
// Writes `data` to a temporary file next to `path`, fsyncs it and renames it over `path`,
// so a reader sees either the old or the new content, never a mix.
void writeFileAtomic(const fs::path& path, const std::string& data, unsigned mode = 0644);
// Entry names of a directory, sorted; empty when the directory does not exist.
[[nodiscard]] std::vector<std::string> listDir(const fs::path& dir);
// A 256-byte EEPROM page; throws HalError if the file is missing or has another size.
[[nodiscard]] sff8472::Page readPage(const fs::path& path);

[[nodiscard]] std::string trim(std::string_view s);
[[nodiscard]] std::vector<std::string> splitList(std::string_view s, char sep = ',');
[[nodiscard]] std::string joinList(const std::vector<std::string>& items, char sep = ',');
// Strict number parsing: the whole (trimmed) text must be the number; throws HalError
// naming `what` otherwise.
[[nodiscard]] std::uint64_t parseU64(std::string_view text, const std::string& what);
[[nodiscard]] std::int64_t parseI64(std::string_view text, const std::string& what);
[[nodiscard]] bool parseBool(std::string_view text, const std::string& what);

}  // namespace cwmpd::hal::detail
