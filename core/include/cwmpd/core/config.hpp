// The daemon's INI configuration, read with Boost.PropertyTree's INI parser. Errors
// name the file, the line and the key, in one line.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cwmpd/sdk/config_keys.hpp"

namespace cwmpd::core {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One key the daemon knows: declared by the core (the daemon's own sections) or by a
// plugin (sdk::ConfigKey). `owner` names who declared it ("core", "plugin pon").
struct ConfigKeySpec {
  std::string section;
  std::string key;
  sdk::ConfigType type = sdk::ConfigType::String;
  std::string owner;
};

class Config {
 public:
  // Throws ConfigError ("FILE:LINE: message"), also for a path that is a directory. A
  // UTF-8 byte order mark at the start of the text is skipped.
  static Config load(const std::string& path);
  static Config parse(const std::string& text, const std::string& name);

  [[nodiscard]] std::optional<std::string> find(std::string_view section,
                                                std::string_view key) const;
  [[nodiscard]] std::string get(std::string_view section, std::string_view key,
                                std::string_view fallback = {}) const;
  // Typed getters throw ConfigError naming file, line and key for a bad value.
  [[nodiscard]] bool getBool(std::string_view section, std::string_view key, bool fallback) const;
  [[nodiscard]] long long getInt(std::string_view section, std::string_view key, long long fallback,
                                 long long min, long long max) const;
  // Comma or space separated list.
  [[nodiscard]] std::vector<std::string> getList(std::string_view section,
                                                 std::string_view key) const;
  // A list of vendor event codes ("X CT-COM BIND, X 00D09E REBOOTED"): the codes hold
  // spaces themselves, so each one starts at a word "X", whether commas or spaces
  // separate them. Throws ConfigError for anything that is not a valid vendor code.
  [[nodiscard]] std::vector<std::string> getVendorEvents(std::string_view section,
                                                         std::string_view key) const;
  // Throws ConfigError for a value the caller found invalid, with the key's position.
  [[noreturn]] void fail(std::string_view section, std::string_view key,
                         const std::string& problem) const;
  // Rejects keys of `section` that are not in `known` (typos must not pass silently).
  void requireKnownKeys(std::string_view section, const std::vector<std::string>& known) const;
  // Checks the whole file against every declared key, in file order: the first section
  // nobody declared ("[section]: unknown section"), key nobody declared ("unknown key")
  // or value that does not fit its type throws ConfigError.
  void check(const std::vector<ConfigKeySpec>& known) const;
  // `value` fit for an error message: control characters replaced, long values cut.
  [[nodiscard]] static std::string quote(std::string_view value);

  [[nodiscard]] const std::string& file() const { return file_; }
  [[nodiscard]] std::vector<std::string> sections() const;
  // Sets or overrides a value (for tests and command-line overrides).
  void set(const std::string& section, const std::string& key, const std::string& value);

 private:
  std::string file_;
  std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>> values_;
  std::map<std::string, int, std::less<>> lines_;         // "section\x1fkey" -> line number
  std::map<std::string, int, std::less<>> sectionLines_;  // "section" -> line of its header
  [[nodiscard]] int lineOf(std::string_view section, std::string_view key) const;
  [[nodiscard]] int sectionLineOf(std::string_view section) const;
};

}  // namespace cwmpd::core
