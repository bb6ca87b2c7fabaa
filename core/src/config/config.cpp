#include "cwmpd/core/config.hpp"

#include <boost/property_tree/ini_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <fstream>
#include <sstream>

#include "cwmpd/core/event_queue.hpp"

namespace cwmpd::core {
namespace {

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
std::map<std::string, int, std::less<>> scanLines(const std::string& text) {
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
      continue;
    }
    auto eq = t.find('=');
    if (eq != std::string::npos) lines.emplace(lineKey(section, trim(t.substr(0, eq))), n);
  }
  return lines;
}

}  // namespace

Config Config::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot read the configuration file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

Config Config::parse(const std::string& text, const std::string& name) {
  Config cfg;
  cfg.file_ = name;
  boost::property_tree::ptree tree;
  std::istringstream in(text);
  try {
    boost::property_tree::ini_parser::read_ini(in, tree);
  } catch (const boost::property_tree::ini_parser_error& e) {
    throw ConfigError(name + ":" + std::to_string(e.line()) + ": " + e.message());
  }
  cfg.lines_ = scanLines(text);
  for (const auto& [section, body] : tree) {
    if (body.empty()) {
      // A key outside any section.
      throw ConfigError(name + ":" + std::to_string(cfg.lineOf("", section)) + ": key '" +
                        section + "' is outside any [section]");
    }
    auto& sec = cfg.values_[section];
    for (const auto& [key, value] : body) {
      std::string v = value.get_value<std::string>();
      // Strip inline comments and matching quotes so "a # note" and "\"x\"" work.
      if (auto hash = v.find(" #"); hash != std::string::npos) v = trim(v.substr(0, hash));
      if (v.size() >= 2 && ((v.front() == '"' && v.back() == '"') ||
                            (v.front() == '\'' && v.back() == '\'')))
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

void Config::fail(std::string_view section, std::string_view key, const std::string& problem) const {
  throw ConfigError(file_ + ":" + std::to_string(lineOf(section, key)) + ": [" +
                    std::string(section) + "] " + std::string(key) + ": " + problem);
}

bool Config::getBool(std::string_view section, std::string_view key, bool fallback) const {
  auto v = find(section, key);
  if (!v) return fallback;
  if (*v == "1" || *v == "true" || *v == "yes" || *v == "on") return true;
  if (*v == "0" || *v == "false" || *v == "no" || *v == "off") return false;
  fail(section, key, "expected a boolean (true/false, 1/0, yes/no), got '" + *v + "'");
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
  if (used == 0 || used != v->size())
    fail(section, key, "expected an integer, got '" + *v + "'");
  if (n < min || n > max)
    fail(section, key,
         "value " + *v + " is out of range " + std::to_string(min) + ".." + std::to_string(max));
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

std::vector<std::string> Config::getVendorEvents(std::string_view section, std::string_view key) const {
  std::vector<std::string> codes;
  const std::string value = get(section, key);
  std::istringstream items(value);
  std::string item;
  while (std::getline(items, item, ',')) {
    std::istringstream words(item);
    std::string word;
    bool started = false;  // a comma ends a code: the next word must start one
    while (words >> word) {
      if (word == "X") codes.emplace_back("X");
      else if (!started) fail(section, key, "'" + trim(item) + "' does not start a vendor event code (X <OUI> <NAME>)");
      else codes.back() += " " + word;
      started = true;
    }
  }
  for (const auto& code : codes)
    if (!isValidEventCode(code)) fail(section, key, "'" + code + "' is not a vendor event code (X <OUI> <NAME>)");
  return codes;
}

void Config::requireKnownKeys(std::string_view section, const std::vector<std::string>& known) const {
  auto s = values_.find(section);
  if (s == values_.end()) return;
  for (const auto& [key, value] : s->second) {
    bool ok = false;
    for (const auto& k : known) ok = ok || k == key;
    if (!ok) fail(section, key, "unknown key");
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
