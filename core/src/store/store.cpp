#include "cwmpd/core/store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace cwmpd::core {
namespace {

constexpr std::string_view kHeader = "cwmpd-store 1";

// Keys and values may hold any byte; tab, newline, CR and backslash are escaped so a
// record is always one line.
void escapeInto(std::string& out, std::string_view in) {
  for (char c : in) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  }
}

bool unescape(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i == in.size()) return false;
    switch (in[i]) {
      case '\\': out += '\\'; break;
      case 't': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      default: return false;
    }
  }
  return true;
}

std::string errnoText() { return std::strerror(errno); }

void writeAll(int fd, const std::string& data, const std::string& path) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw StoreError(path + ": write failed: " + errnoText());
    }
    off += static_cast<std::size_t>(n);
  }
}

}  // namespace

Store::Store(std::string path) : path_(std::move(path)) {}

void Store::load() {
  entries_.clear();
  dirty_ = false;
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return;
    throw StoreError(path_ + ": cannot open: " + errnoText());
  }
  std::string line;
  std::size_t lineNo = 0;
  bool ended = false;
  std::string key, value;
  while (std::getline(in, line)) {
    ++lineNo;
    if (lineNo == 1) {
      if (line != kHeader) throw StoreError(path_ + ":1: not a cwmpd store");
      continue;
    }
    if (ended) throw StoreError(path_ + ":" + std::to_string(lineNo) + ": data after end marker");
    if (line.rfind("end ", 0) == 0) {
      if (line.substr(4) != std::to_string(entries_.size()))
        throw StoreError(path_ + ":" + std::to_string(lineNo) + ": record count mismatch");
      ended = true;
      continue;
    }
    auto tab = line.find('\t');
    if (tab == std::string::npos || !unescape(std::string_view(line).substr(0, tab), key) ||
        !unescape(std::string_view(line).substr(tab + 1), value))
      throw StoreError(path_ + ":" + std::to_string(lineNo) + ": malformed record");
    entries_[key] = value;
  }
  if (lineNo == 0) return;  // empty file: treat as empty store
  if (!ended) throw StoreError(path_ + ": truncated (no end marker)");
}

const std::string* Store::get(std::string_view key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

void Store::set(std::string_view key, std::string_view value) {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    entries_.emplace(std::string(key), std::string(value));
  } else {
    if (it->second == value) return;
    it->second.assign(value);
  }
  dirty_ = true;
}

void Store::erase(std::string_view key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  entries_.erase(it);
  dirty_ = true;
}

std::size_t Store::erasePrefix(std::string_view prefix) {
  auto first = entries_.lower_bound(prefix);
  auto last = first;
  std::size_t n = 0;
  while (last != entries_.end() && last->first.compare(0, prefix.size(), prefix) == 0) {
    ++last;
    ++n;
  }
  if (n) {
    entries_.erase(first, last);
    dirty_ = true;
  }
  return n;
}

void Store::forEach(std::string_view prefix,
                    const std::function<void(const std::string&, const std::string&)>& fn) const {
  for (auto it = entries_.lower_bound(prefix);
       it != entries_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
    fn(it->first, it->second);
}

void Store::commit() {
  if (!dirty_) return;
  std::string data;
  data.reserve(entries_.size() * 48 + 32);
  data += kHeader;
  data += '\n';
  for (const auto& [k, v] : entries_) {
    escapeInto(data, k);
    data += '\t';
    escapeInto(data, v);
    data += '\n';
  }
  data += "end " + std::to_string(entries_.size()) + "\n";

  const std::string tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw StoreError(tmp + ": cannot create: " + errnoText());
  try {
    writeAll(fd, data, tmp);
    if (::fsync(fd) != 0) throw StoreError(tmp + ": fsync failed: " + errnoText());
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    std::string err = errnoText();
    ::unlink(tmp.c_str());
    throw StoreError(path_ + ": rename failed: " + err);
  }
  // The rename itself must reach the disk too.
  auto slash = path_.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path_.substr(0, slash ? slash : 1);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  dirty_ = false;
}

}  // namespace cwmpd::core
