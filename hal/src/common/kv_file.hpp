// A flat "key = value" file, one object per file (the sim layout). Comments ('#' or ';'
// at the start of a line), blank lines and key order survive a rewrite, so the demo data
// stays human-editable after the daemon changed it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cwmpd::hal::detail {

class KvFile {
 public:
  // Reads `path`; throws HalError when it cannot be read or a line is neither a comment
  // nor "key = value".
  static KvFile load(const std::filesystem::path& path);
  // A file that does not exist yet.
  static KvFile empty(const std::filesystem::path& path);

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] bool has(std::string_view key) const;
  [[nodiscard]] std::optional<std::string> find(std::string_view key) const;
  // Typed getters: `fallback` when the key is absent; HalError naming file and key when
  // the value does not parse.
  [[nodiscard]] std::string str(std::string_view key, std::string_view fallback = {}) const;
  [[nodiscard]] std::uint64_t u64(std::string_view key, std::uint64_t fallback = 0) const;
  [[nodiscard]] std::int64_t i64(std::string_view key, std::int64_t fallback = 0) const;
  [[nodiscard]] bool boolean(std::string_view key, bool fallback = false) const;
  [[nodiscard]] std::vector<std::string> list(std::string_view key) const;

  void set(std::string_view key, std::string_view value);
  void set(std::string_view key, std::uint64_t value) { set(key, std::to_string(value)); }
  void setBool(std::string_view key, bool value) { set(key, value ? "1" : "0"); }
  void setList(std::string_view key, const std::vector<std::string>& values);
  void erase(std::string_view key);
  // Atomic write (temporary file, fsync, rename).
  void save() const;
  [[nodiscard]] std::string text() const;

 private:
  struct Line {
    std::string raw;  // comment or blank line when key is empty
    std::string key;
    std::string value;
  };
  [[nodiscard]] std::string where(std::string_view key) const;

  std::filesystem::path path_;
  std::vector<Line> lines_;
};

}  // namespace cwmpd::hal::detail
