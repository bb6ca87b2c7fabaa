#include "common/files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "cwmpd/hal/error.hpp"

namespace cwmpd::hal::detail {

namespace {

// Plugins read one HAL value per parameter, and one value is often one file among many
// of the same interface (a whole-tree GetParameterValues re-reads each statistics file
// for each of its parameters). Within the TTL a file's content (or its absence) is
// served from here, so one request reads each file once. Off (TTL 0) unless the daemon
// asks for it; every write through the HAL empties it.
struct ReadCache {
  struct Entry {
    std::chrono::steady_clock::time_point at;
    std::optional<std::string> data;
    int error = 0;  // errno of a failed read
  };
  std::mutex mutex;
  std::chrono::steady_clock::duration ttl{};
  std::uint64_t generation = 0;  // counts invalidations (ReadStamp)
  std::unordered_map<std::string, Entry> entries;
};
constexpr std::size_t kMaxCachedFiles = 4096;
constexpr std::size_t kMaxCachedSize = std::size_t{64} * 1024;  // logs and images are read fresh

ReadCache& readCache() {
  static ReadCache cache;
  return cache;
}

std::optional<std::string> readUncached(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      ::close(fd);
      errno = e;
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace

void setReadCacheTtl(std::chrono::milliseconds ttl) {
  auto& c = readCache();
  std::lock_guard lock(c.mutex);
  c.ttl = ttl;
  c.entries.clear();
  ++c.generation;
}

void invalidateReadCache() {
  auto& c = readCache();
  std::lock_guard lock(c.mutex);
  c.entries.clear();
  ++c.generation;
}

ReadStamp readStamp() {
  auto& c = readCache();
  std::lock_guard lock(c.mutex);
  return {c.generation, std::chrono::steady_clock::now(),
          c.ttl > std::chrono::steady_clock::duration::zero()};
}

bool readCacheServes(const ReadStamp& stamp) {
  auto& c = readCache();
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(c.mutex);
  return stamp.cached && stamp.generation == c.generation && now - stamp.oldest < c.ttl;
}

std::optional<std::string> tryReadFile(const fs::path& path, ReadStamp* stamp) {
  auto& c = readCache();
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(c.mutex);
    if (c.ttl <= std::chrono::steady_clock::duration::zero()) {
      if (stamp != nullptr) stamp->cached = false;
      return readUncached(path);
    }
    if (auto it = c.entries.find(path.native());
        it != c.entries.end() && now - it->second.at < c.ttl) {
      if (stamp != nullptr) stamp->oldest = std::min(stamp->oldest, it->second.at);
      errno = it->second.error;
      return it->second.data;
    }
  }
  auto data = readUncached(path);
  const int error = data ? 0 : errno;
  if (!data || data->size() <= kMaxCachedSize) {
    std::lock_guard lock(c.mutex);
    if (c.entries.size() >= kMaxCachedFiles) c.entries.clear();
    c.entries[path.native()] = {now, data, error};
    if (stamp != nullptr) stamp->oldest = std::min(stamp->oldest, now);
  } else if (stamp != nullptr) {
    stamp->cached = false;  // too large to be served again
  }
  errno = error;
  return data;
}

std::string readFile(const fs::path& path) {
  auto data = tryReadFile(path);
  if (!data) throw HalError("cannot read " + path.string() + ": " + std::strerror(errno));
  return std::move(*data);
}

std::optional<std::string> tryReadLine(const fs::path& path, ReadStamp* stamp) {
  auto data = tryReadFile(path, stamp);
  if (!data) return std::nullopt;
  const auto nl = data->find('\n');
  return trim(std::string_view(*data).substr(0, nl));
}

std::optional<std::uint64_t> tryReadU64(const fs::path& path, ReadStamp* stamp) {
  auto line = tryReadLine(path, stamp);
  if (!line) return std::nullopt;
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(line->data(), line->data() + line->size(), v);
  if (ec != std::errc() || end != line->data() + line->size()) return std::nullopt;
  return v;
}

void writeFileAtomic(const fs::path& path, const std::string& data, unsigned mode) {
  invalidateReadCache();
  const fs::path tmp = path.string() + ".tmp." + std::to_string(::getpid());
  const auto fail = [&](const char* what) {
    const std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw HalError(std::string("cannot ") + what + " " + path.string() + ": " + err);
  };
  const int fd =
      ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0) fail("create temporary file for");
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      fail("write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    fail("sync");
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("replace");
}

std::vector<std::string> listDir(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

sff8472::Page readPage(const fs::path& path) {
  const std::string data = readFile(path);
  sff8472::Page page{};
  if (data.size() != page.size()) {
    throw HalError(path.string() + ": expected 256 bytes, found " + std::to_string(data.size()));
  }
  std::copy(data.begin(), data.end(), reinterpret_cast<char*>(page.data()));
  return page;
}

std::string trim(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return std::string(s);
}

std::vector<std::string> splitList(std::string_view s, char sep) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const auto at = s.find(sep);
    std::string item = trim(s.substr(0, at));
    if (!item.empty()) out.push_back(std::move(item));
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + 1);
  }
  return out;
}

std::string joinList(const std::vector<std::string>& items, char sep) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out.push_back(sep);
    out += item;
  }
  return out;
}

namespace {
template <typename T>
T parseNumber(std::string_view text, const std::string& what) {
  const std::string t = trim(text);
  T v{};
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size()) {
    throw HalError(what + ": not a number: '" + t + "'");
  }
  return v;
}
}  // namespace

std::uint64_t parseU64(std::string_view text, const std::string& what) {
  return parseNumber<std::uint64_t>(text, what);
}

std::int64_t parseI64(std::string_view text, const std::string& what) {
  return parseNumber<std::int64_t>(text, what);
}

bool parseBool(std::string_view text, const std::string& what) {
  const std::string t = trim(text);
  if (t == "1" || t == "true" || t == "yes" || t == "on") return true;
  if (t == "0" || t == "false" || t == "no" || t == "off") return false;
  throw HalError(what + ": not a boolean: '" + t + "'");
}

}  // namespace cwmpd::hal::detail
