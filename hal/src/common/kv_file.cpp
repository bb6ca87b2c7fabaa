#include "common/kv_file.hpp"

#include <algorithm>

#include "common/files.hpp"
#include "cwmpd/hal/error.hpp"

namespace cwmpd::hal::detail {

KvFile KvFile::load(const std::filesystem::path& path) {
  KvFile f = empty(path);
  const std::string data = readFile(path);
  std::size_t lineNo = 0;
  std::string_view rest(data);
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    const std::string_view raw = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    ++lineNo;
    const std::string t = trim(raw);
    if (t.empty() || t[0] == '#' || t[0] == ';') {
      f.lines_.push_back({std::string(raw), {}, {}});
      continue;
    }
    const auto eq = t.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw HalError(path.string() + ":" + std::to_string(lineNo) + ": expected 'key = value'");
    }
    f.lines_.push_back({{}, trim(t.substr(0, eq)), trim(t.substr(eq + 1))});
  }
  return f;
}

KvFile KvFile::empty(const std::filesystem::path& path) {
  KvFile f;
  f.path_ = path;
  return f;
}

bool KvFile::has(std::string_view key) const { return find(key).has_value(); }

std::optional<std::string> KvFile::find(std::string_view key) const {
  for (const auto& l : lines_) {
    if (!l.key.empty() && l.key == key) return l.value;
  }
  return std::nullopt;
}

std::string KvFile::where(std::string_view key) const {
  return path_.string() + ": " + std::string(key);
}

std::string KvFile::str(std::string_view key, std::string_view fallback) const {
  auto v = find(key);
  return v ? *v : std::string(fallback);
}

std::uint64_t KvFile::u64(std::string_view key, std::uint64_t fallback) const {
  auto v = find(key);
  return v ? parseU64(*v, where(key)) : fallback;
}

std::int64_t KvFile::i64(std::string_view key, std::int64_t fallback) const {
  auto v = find(key);
  return v ? parseI64(*v, where(key)) : fallback;
}

bool KvFile::boolean(std::string_view key, bool fallback) const {
  auto v = find(key);
  return v ? parseBool(*v, where(key)) : fallback;
}

std::vector<std::string> KvFile::list(std::string_view key) const { return splitList(str(key)); }

void KvFile::set(std::string_view key, std::string_view value) {
  // Values are single-line by construction; a newline would forge another key.
  if (value.find_first_of("\r\n") != std::string_view::npos) {
    throw HalError(where(key) + ": value must not contain a line break");
  }
  for (auto& l : lines_) {
    if (l.key == key) {
      l.value = trim(value);
      return;
    }
  }
  lines_.push_back({{}, std::string(key), trim(value)});
}

void KvFile::setList(std::string_view key, const std::vector<std::string>& values) {
  set(key, joinList(values));
}

void KvFile::erase(std::string_view key) {
  std::erase_if(lines_, [&](const Line& l) { return !l.key.empty() && l.key == key; });
}

std::string KvFile::text() const {
  std::string out;
  for (const auto& l : lines_) {
    out += l.key.empty() ? l.raw : l.key + " = " + l.value;
    out += '\n';
  }
  return out;
}

void KvFile::save() const { writeFileAtomic(path_, text()); }

}  // namespace cwmpd::hal::detail
