#include "cwmpd/core/store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "cwmpd/core/log.hpp"

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

constexpr const char* kLog = "store";

void writeAll(int fd, const std::string& data, const std::string& path,
              const std::function<int()>& fault) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = -1;
    if (int e = fault())
      errno = e;
    else
      n = ::write(fd, data.data() + off, data.size() - off);
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
  undo_.clear();
  dirty_ = baselineDirty_ = false;
  onDisk_ = false;
  recordsSeen_ = 0;
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return;
    throw StoreError(path_ + ": cannot open: " + errnoText());
  }
  onDisk_ = true;
  // Parsed aside and taken only whole: a damaged file leaves nothing half-loaded.
  std::map<std::string, std::string, std::less<>> parsed;
  std::string line;
  std::size_t lineNo = 0;
  bool ended = false;
  std::string key, value;
  auto damaged = [&](const std::string& why) {
    recordsSeen_ = parsed.size();
    return StoreError(path_ + why);
  };
  while (std::getline(in, line)) {
    ++lineNo;
    if (lineNo == 1) {
      if (line != kHeader) throw damaged(":1: not a cwmpd store");
      continue;
    }
    if (ended) throw damaged(":" + std::to_string(lineNo) + ": data after end marker");
    if (line.rfind("end ", 0) == 0) {
      if (line.substr(4) != std::to_string(parsed.size()))
        throw damaged(":" + std::to_string(lineNo) + ": record count mismatch");
      ended = true;
      continue;
    }
    auto tab = line.find('\t');
    if (tab == std::string::npos || !unescape(std::string_view(line).substr(0, tab), key) ||
        !unescape(std::string_view(line).substr(tab + 1), value))
      throw damaged(":" + std::to_string(lineNo) + ": malformed record");
    parsed[key] = value;
  }
  // commit() always writes a header and an end marker: an empty file is a damaged one
  // (a file system that lost the data of a renamed file), not an empty store.
  if (lineNo == 0) throw damaged(": empty file (0 bytes)");
  if (!ended) throw damaged(": truncated (no end marker)");
  recordsSeen_ = parsed.size();
  entries_ = std::move(parsed);
}

std::string Store::setAside() {
  char stamp[32];
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  std::string aside = path_ + ".bad-" + stamp;
  // Never overwrite an earlier damaged file set aside in the same second.
  for (int n = 1; ::access(aside.c_str(), F_OK) == 0; ++n)
    aside = path_ + ".bad-" + stamp + "." + std::to_string(n);
  if (::rename(path_.c_str(), aside.c_str()) != 0) return {};
  onDisk_ = false;  // the next commit writes a fresh file
  return aside;
}

bool Store::loadOrSetAside() {
  try {
    load();
    return true;
  } catch (const StoreError& e) {
    struct stat st {};
    const long long bytes =
        ::stat(path_.c_str(), &st) == 0 ? static_cast<long long>(st.st_size) : -1;
    const std::size_t readable = recordsSeen_;
    const std::string aside = setAside();
    CWMPD_LOG(Error, kLog,
              e.what() << "; lost: the whole file (" << bytes << " bytes, " << readable
                       << " records readable before the damage, none kept), "
                       << (aside.empty() ? "could not be set aside: " + errnoText()
                                         : "set aside as " + aside)
                       << "; starting without it, from the configuration's defaults");
    return false;
  }
}

const std::string* Store::get(std::string_view key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

void Store::remember(std::string_view key) {
  if (undo_.find(key) != undo_.end()) return;
  auto it = entries_.find(key);
  undo_.emplace(std::string(key),
                it == entries_.end() ? std::nullopt : std::optional<std::string>(it->second));
}

void Store::set(std::string_view key, std::string_view value) {
  auto it = entries_.find(key);
  if (it != entries_.end() && it->second == value) return;
  remember(key);
  if (it == entries_.end())
    entries_.emplace(std::string(key), std::string(value));
  else
    it->second.assign(value);
  dirty_ = true;
}

void Store::erase(std::string_view key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  remember(key);
  entries_.erase(it);
  dirty_ = true;
}

std::size_t Store::erasePrefix(std::string_view prefix) {
  auto first = entries_.lower_bound(prefix);
  auto last = first;
  std::size_t n = 0;
  while (last != entries_.end() && last->first.compare(0, prefix.size(), prefix) == 0) {
    remember(last->first);
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

void Store::rollback() {
  for (auto& [key, old] : undo_) {
    if (old)
      entries_[key] = std::move(*old);
    else
      entries_.erase(key);
  }
  undo_.clear();
  dirty_ = baselineDirty_;
}

void Store::keepPending() {
  undo_.clear();
  baselineDirty_ = dirty_;
}

void Store::failed(const std::string& why) {
  if (failing_) return;
  failing_ = true;
  CWMPD_LOG(Error, kLog,
            why << "; serving from memory, retrying with the next change (logged once)");
}

void Store::commit() {
  if (!dirty_ && onDisk_) return;
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

  auto fault = [this](Step step) { return faultHook_ ? faultHook_(step) : 0; };
  try {
    const std::string tmp = path_ + ".tmp";
    int fd = -1;
    if (int e = fault(Step::Create))
      errno = e;
    else
      fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw StoreError(tmp + ": cannot create: " + errnoText());
    try {
      writeAll(fd, data, tmp, [&] { return fault(Step::Write); });
      int rc = -1;
      if (int e = fault(Step::Fsync))
        errno = e;
      else
        rc = ::fsync(fd);
      if (rc != 0) throw StoreError(tmp + ": fsync failed: " + errnoText());
    } catch (...) {
      ::close(fd);
      ::unlink(tmp.c_str());
      throw;
    }
    ::close(fd);
    int rc = -1;
    if (int e = fault(Step::Rename))
      errno = e;
    else
      rc = ::rename(tmp.c_str(), path_.c_str());
    if (rc != 0) {
      std::string err = errnoText();
      ::unlink(tmp.c_str());
      throw StoreError(path_ + ": rename failed: " + err);
    }
  } catch (const StoreError& e) {
    failed(e.what());
    throw;
  }
  // The rename itself must reach the disk too.
  auto slash = path_.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path_.substr(0, slash ? slash : 1);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  dirty_ = baselineDirty_ = false;
  onDisk_ = true;
  undo_.clear();
  if (failing_) {
    failing_ = false;
    CWMPD_LOG(Notice, kLog, path_ << ": written again, the pending changes are on disk");
  }
}

bool Store::tryCommit() noexcept {
  try {
    commit();
    return true;
  } catch (const std::exception&) {
    return false;  // logged by commit(); the changes stay pending
  }
}

void Store::wipe() {
  // The attached directories first: a kill between the two steps then leaves a store
  // whose plugins forgot a little too much (a BIND raised again), never plugins that
  // remember what a wiped store no longer explains.
  for (const auto& dir : attached_) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    if (ec) CWMPD_LOG(Error, kLog, dir << ": cannot remove: " << ec.message());
  }
  entries_.clear();
  undo_.clear();
  dirty_ = baselineDirty_ = false;
  if (::unlink(path_.c_str()) != 0 && errno != ENOENT)
    CWMPD_LOG(Error, kLog, path_ << ": cannot remove: " << errnoText());
  onDisk_ = false;
}

StoreLock::StoreLock(const std::string& dir) {
  const std::string file = dir + "/lock";
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw StoreError(file + ": cannot open the lock file: " + errnoText());
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    std::string why = errno == EWOULDBLOCK ? "another cwmpd is running on this store" : errnoText();
    ::close(fd_);
    fd_ = -1;
    throw StoreError("store directory " + dir + " is locked (" + file + "): " + why);
  }
}

StoreLock::~StoreLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace cwmpd::core
