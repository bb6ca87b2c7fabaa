#include "cwmpd/core/config.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include "config/ini_reader.hpp"
#include "cwmpd/core/event_queue.hpp"

namespace cwmpd::core {
namespace {

// An error is one line of a terminal or a journal: a 10 kB value (or a binary file given
// as the config) must not become a 10 kB message.
constexpr std::size_t kMaxErrorLine = 300;
constexpr std::size_t kMaxQuoted = 64;

// Replaces control characters (a value must not start a new log line) and cuts `text`
// to `max` bytes, at a character boundary of UTF-8, marking the cut.
std::string printable(std::string_view text, std::size_t max) {
  std::string out;
  out.reserve(std::min(text.size(), max) + 3);
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  if (out.size() <= max) return out;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  out.resize(cut);
  return out + "...";
}

// "FILE:LINE: text" (no LINE when the position is unknown), one sane line.
ConfigError errorAt(const std::string& file, int line, const std::string& text) {
  std::string where = file;
  if (line > 0) where += ":" + std::to_string(line);
  return ConfigError(printable(where + ": " + text, kMaxErrorLine));
}

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

std::string lineKey(std::string_view section, std::string_view key) {
  std::string k(section);
  k += '\x1f';
  k += key;
  return k;
}

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

// PropertyTree does not keep positions; a light scan finds the line of each key so that
// errors found later (bad values) can still point at it. Parsing itself is the library's.
std::map<std::string, int, std::less<>> scanLines(
    const std::string& text, std::map<std::string, int, std::less<>>& sections) {
  std::map<std::string, int, std::less<>> lines;
  std::istringstream in(text);
  std::string line, section;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t.front() == '[' && t.back() == ']') {
      section = trim(std::string_view(t).substr(1, t.size() - 2));
      sections.emplace(section, n);
      continue;
    }
    auto eq = t.find('=');
    if (eq != std::string::npos) lines.emplace(lineKey(section, trim(t.substr(0, eq))), n);
  }
  return lines;
}

}  // namespace

Config Config::load(const std::string& path) {
  // An ifstream opens a directory and reads nothing from it: an empty, "valid" config.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw errorAt(path, 0, "is a directory, not a configuration file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw errorAt(path, 0, "cannot read the configuration file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

Config Config::parse(const std::string& fileText, const std::string& name) {
  Config cfg;
  cfg.file_ = name;
  // Editors on Windows start UTF-8 files with a byte order mark: not part of the text.
  std::string_view text(fileText);
  if (text.substr(0, kUtf8Bom.size()) == kUtf8Bom) text.remove_prefix(kUtf8Bom.size());
  const config::IniResult ini = config::readIni(std::string(text));
  if (!ini.ok) throw errorAt(name, ini.errorLine, ini.errorMessage);
  cfg.lines_ = scanLines(std::string(text), cfg.sectionLines_);
  // PropertyTree drops a section without keys; it is still a section to check.
  for (const auto& [section, line] : cfg.sectionLines_) cfg.values_[section];
  for (const auto& [section, body] : ini.entries) {
    if (body.empty() && !cfg.sectionLines_.count(section)) {
      // A key outside any section.
      throw errorAt(name, cfg.lineOf("", section),
                    "key " + quote(section) + " is outside any [section]");
    }
    auto& sec = cfg.values_[section];
    for (const auto& [key, value] : body) {
      std::string v = value;
      // Strip inline comments and matching quotes so "a # note" and "\"x\"" work.
      if (auto hash = v.find(" #"); hash != std::string::npos) v = trim(v.substr(0, hash));
      if (v.size() >= 2 &&
          ((v.front() == '"' && v.back() == '"') || (v.front() == '\'' && v.back() == '\'')))
        v = v.substr(1, v.size() - 2);
      sec[key] = v;
    }
  }
  return cfg;
}

int Config::lineOf(std::string_view section, std::string_view key) const {
  auto it = lines_.find(lineKey(section, key));
  return it == lines_.end() ? 0 : it->second;
}

int Config::sectionLineOf(std::string_view section) const {
  auto it = sectionLines_.find(section);
  return it == sectionLines_.end() ? 0 : it->second;
}

std::optional<std::string> Config::find(std::string_view section, std::string_view key) const {
  auto s = values_.find(section);
  if (s == values_.end()) return std::nullopt;
  auto k = s->second.find(key);
  if (k == s->second.end()) return std::nullopt;
  return k->second;
}

std::string Config::get(std::string_view section, std::string_view key,
                        std::string_view fallback) const {
  auto v = find(section, key);
  return v ? *v : std::string(fallback);
}

void Config::fail(std::string_view section, std::string_view key,
                  const std::string& problem) const {
  throw errorAt(file_, lineOf(section, key),
                "[" + std::string(section) + "] " + std::string(key) + ": " + problem);
}

std::string Config::quote(std::string_view value) {
  return "'" + printable(value, kMaxQuoted) + "'";
}

bool Config::getBool(std::string_view section, std::string_view key, bool fallback) const {
  auto v = find(section, key);
  if (!v) return fallback;
  if (*v == "1" || *v == "true" || *v == "yes" || *v == "on") return true;
  if (*v == "0" || *v == "false" || *v == "no" || *v == "off") return false;
  fail(section, key, "expected a boolean (true/false, 1/0, yes/no), got " + quote(*v));
}

long long Config::getInt(std::string_view section, std::string_view key, long long fallback,
                         long long min, long long max) const {
  auto v = find(section, key);
  if (!v) return fallback;
  std::size_t used = 0;
  long long n = 0;
  try {
    n = std::stoll(*v, &used, 10);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != v->size()) fail(section, key, "expected an integer, got " + quote(*v));
  if (n < min || n > max)
    fail(section, key,
         "value " + printable(*v, kMaxQuoted) + " is out of range " + std::to_string(min) + ".." +
             std::to_string(max));
  return n;
}

std::vector<std::string> Config::getList(std::string_view section, std::string_view key) const {
  std::vector<std::string> out;
  auto v = find(section, key);
  if (!v) return out;
  std::string cur;
  for (char c : *v + ",") {
    if (c == ',' || c == ' ' || c == '\t') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}

std::vector<std::string> Config::getVendorEvents(std::string_view section,
                                                 std::string_view key) const {
  std::vector<std::string> codes;
  const std::string value = get(section, key);
  std::istringstream items(value);
  std::string item;
  while (std::getline(items, item, ',')) {
    std::istringstream words(item);
    std::string word;
    bool started = false;  // a comma ends a code: the next word must start one
    while (words >> word) {
      if (word == "X")
        codes.emplace_back("X");
      else if (!started)
        fail(section, key,
             quote(trim(item)) + " does not start a vendor event code (X <OUI> <NAME>)");
      else
        codes.back() += " " + word;
      started = true;
    }
  }
  for (const auto& code : codes)
    if (!isValidEventCode(code))
      fail(section, key, quote(code) + " is not a vendor event code (X <OUI> <NAME>)");
  return codes;
}

void Config::requireKnownKeys(std::string_view section,
                              const std::vector<std::string>& known) const {
  auto s = values_.find(section);
  if (s == values_.end()) return;
  for (const auto& [key, value] : s->second) {
    bool ok = false;
    for (const auto& k : known) ok = ok || k == key;
    if (!ok) fail(section, key, "unknown key");
  }
}

namespace {

// Why `value` does not fit `type`, or "" when it does.
std::string typeProblem(sdk::ConfigType type, const std::string& value) {
  using sdk::ConfigType;
  if (value.empty()) {
    if (type == ConfigType::String || type == ConfigType::List || type == ConfigType::Path)
      return {};
    return "empty value; remove the line to get the default";
  }
  switch (type) {
    case ConfigType::String:
    case ConfigType::List: return {};
    case ConfigType::Path:
      return value.find('\0') == std::string::npos ? std::string()
                                                   : "expected a path, got " + Config::quote(value);
    case ConfigType::Bool: {
      static const char* const words[] = {"1", "true", "yes", "on", "0", "false", "no", "off"};
      for (const char* w : words)
        if (value == w) return {};
      return "expected a boolean (true/false, 1/0, yes/no), got " + Config::quote(value);
    }
    case ConfigType::Int:
    case ConfigType::Unsigned: {
      const char* begin = value.c_str();
      char* end = nullptr;
      errno = 0;
      const long long n = std::strtoll(begin, &end, 10);
      if (end == begin || *end != 0 || std::isspace(static_cast<unsigned char>(*begin)))
        return "expected an integer, got " + Config::quote(value);
      if (errno == ERANGE) return "integer " + Config::quote(value) + " is out of range";
      if (type == ConfigType::Unsigned && (n < 0 || n > 4294967295LL))
        return "expected an integer 0..4294967295, got " + Config::quote(value);
      return {};
    }
    case ConfigType::Number: {
      const char* begin = value.c_str();
      char* end = nullptr;
      const double d = std::strtod(begin, &end);
      if (end == begin || *end != 0 || std::isspace(static_cast<unsigned char>(*begin)) ||
          !std::isfinite(d) || d < 0)
        return "expected a number >= 0, got " + Config::quote(value);
      return {};
    }
  }
  return {};
}

}  // namespace

void Config::check(const std::vector<ConfigKeySpec>& known) const {
  // File order, so that the error is the first problem a reader meets.
  std::vector<std::tuple<int, std::string, std::string>>
      entries;  // line, section, key ("" = header)
  for (const auto& [section, body] : values_) {
    entries.emplace_back(sectionLineOf(section), section, std::string());
    for (const auto& [key, value] : body) entries.emplace_back(lineOf(section, key), section, key);
  }
  std::sort(entries.begin(), entries.end());
  for (const auto& [line, section, key] : entries) {
    bool sectionKnown = false;
    bool keyKnown = key.empty();
    for (const auto& spec : known) {
      if (spec.section != section) continue;
      sectionKnown = true;
      if (key.empty() || spec.key != key) continue;
      keyKnown = true;
      const std::string problem =
          typeProblem(spec.type, values_.find(section)->second.find(key)->second);
      if (!problem.empty()) fail(section, key, problem);
    }
    if (!sectionKnown)
      throw errorAt(file_, sectionLineOf(section), "[" + section + "]: unknown section");
    if (!keyKnown) fail(section, key, "unknown key");
  }
}

std::vector<std::string> Config::sections() const {
  std::vector<std::string> out;
  for (const auto& [s, body] : values_) out.push_back(s);
  return out;
}

void Config::set(const std::string& section, const std::string& key, const std::string& value) {
  values_[section][key] = value;
}

}  // namespace cwmpd::core
