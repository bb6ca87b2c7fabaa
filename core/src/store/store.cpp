#include "cwmpd/core/store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "cwmpd/core/log.hpp"
#include "store/crc32c.hpp"

namespace cwmpd::core {
namespace {

// The snapshot's first line. Version 1 had no generation (read as generation 0).
constexpr std::string_view kHeaderV1 = "cwmpd-store 1";
constexpr std::string_view kHeaderV2 = "cwmpd-store 2 ";

// The journal: a header (magic, the generation of the snapshot it applies to, CRC32C of
// both), then records: payload length (u32 LE), CRC32C of the length and the payload
// (u32 LE), the payload: operations 'S' key value / 'E' key, each string as u32 LE length
// and bytes.
constexpr std::string_view kJournalMagic = "cwmpdJ1\n";
constexpr std::size_t kJournalHeader = 8 + 8 + 4;
constexpr std::size_t kRecordHeader = 4 + 4;
constexpr std::size_t kDefaultJournalLimit = std::size_t{1} << 20;
// A record made as its changes are is written early in chunks of this size.
constexpr std::size_t kChunk = std::size_t{64} << 10;
constexpr char kSet = 'S';
constexpr char kErase = 'E';

// Keys and values may hold any byte; tab, newline, CR and backslash are escaped so a
// snapshot record is always one line. The runs between them are appended whole (issue 15:
// a character at a time, the snapshot of a 20,000-parameter store was 14 M instructions).
void escapeInto(std::string& out, std::string_view in) {
  std::size_t run = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c != '\\' && c != '\t' && c != '\n' && c != '\r') continue;
    out.append(in.data() + run, i - run);
    out += '\\';
    out += c == '\\' ? '\\' : c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
    run = i + 1;
  }
  out.append(in.data() + run, in.size() - run);
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

void putU32(std::string& out, std::uint32_t v) {
  const std::array<char, 4> bytes{static_cast<char>(v & 0xff), static_cast<char>((v >> 8) & 0xff),
                                  static_cast<char>((v >> 16) & 0xff),
                                  static_cast<char>((v >> 24) & 0xff)};
  out.append(bytes.data(), bytes.size());
}

void putU64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

std::uint64_t getLe(std::string_view in, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(in[at + static_cast<std::size_t>(i)]);
  return v;
}

// Reads a length-prefixed string of a record payload; false past its end.
bool getString(std::string_view payload, std::size_t& at, std::string_view& out) {
  if (payload.size() - at < 4) return false;
  const auto n = getLe(payload, at, 4);
  at += 4;
  if (payload.size() - at < n) return false;
  out = payload.substr(at, n);
  at += n;
  return true;
}

std::string journalHeader(std::uint64_t generation) {
  std::string h(kJournalMagic);
  putU64(h, generation);
  putU32(h, crc32c(0, h.data(), h.size()));
  return h;
}

std::string errnoText() { return std::strerror(errno); }

constexpr const char* kLog = "store";

void writeAll(int fd, std::string_view data, const std::string& path,
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

std::string directoryOf(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash ? slash : 1);
}

// A new, renamed or removed name must reach the disk too.
void syncDirectoryOf(const std::string& path) {
  int dfd = ::open(directoryOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

std::string journalPathFor(const std::string& path) {
  constexpr std::string_view kDb = ".db";
  if (path.size() > kDb.size() && path.compare(path.size() - kDb.size(), kDb.size(), kDb) == 0)
    return path.substr(0, path.size() - kDb.size()) + ".journal";
  return path + ".journal";
}

// The whole file, or nullopt when it does not exist or cannot be read.
std::optional<std::string> readWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return std::move(s).str();
}

}  // namespace

Store::Store(std::string path) : path_(std::move(path)), journalPath_(journalPathFor(path_)) {}

Store::~Store() { resetRecord(); }

void Store::load() {
  resetRecord();
  entries_.clear();
  erased_ = 0;
  changed_.clear();
  undo_.clear();
  forgetHints();
  dirty_ = baselineDirty_ = false;
  onDisk_ = false;
  generation_ = 0;
  snapshotBytes_ = 0;
  journalEnd_ = 0;
  recordsSeen_ = 0;
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    // No snapshot: a fresh store, or a wipe cut between its unlinks. A journal left alone
    // has nothing to apply to; the first commit writes a snapshot and removes it.
    if (errno == ENOENT) return;
    throw StoreError(path_ + ": cannot open: " + errnoText());
  }
  onDisk_ = true;
  // Parsed aside and taken only whole: a damaged file leaves nothing half-loaded.
  Entries parsed;
  std::uint64_t generation = 0;
  std::string line;
  std::size_t lineNo = 0;
  std::size_t bytes = 0;
  bool ended = false;
  std::string key, value;
  auto damaged = [&](const std::string& why) {
    recordsSeen_ = parsed.size();
    return StoreError(path_ + why);
  };
  while (std::getline(in, line)) {
    ++lineNo;
    bytes += line.size() + 1;
    if (lineNo == 1) {
      if (line.rfind(kHeaderV2, 0) == 0) {
        const auto digits = std::string_view(line).substr(kHeaderV2.size());
        if (digits.empty() || digits.size() > 19 ||
            !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
          throw damaged(":1: bad generation");
        generation = std::stoull(std::string(digits));
      } else if (line != kHeaderV1) {
        throw damaged(":1: not a cwmpd store");
      }
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
    parsed[key].value = value;
  }
  // commit() always writes a header and an end marker: an empty file is a damaged one
  // (a file system that lost the data of a renamed file), not an empty store.
  if (lineNo == 0) throw damaged(": empty file (0 bytes)");
  if (!ended) throw damaged(": truncated (no end marker)");
  recordsSeen_ = parsed.size();
  generation_ = generation;
  snapshotBytes_ = bytes;
  replayJournal(parsed);
  entries_ = std::move(parsed);
  forgetHints();
}

// Applies the journal's records of this generation to `into`, up to the first record that
// is torn (cut by a crash in its write) or damaged: that one and the rest are dropped, as
// commits that never finished. Sets journalEnd_ to where the valid records end.
void Store::replayJournal(Entries& into) {
  const auto file = readWhole(journalPath_);
  if (!file || file->empty()) return;
  const std::string_view j(*file);
  if (j.size() < kJournalHeader || j.substr(0, kJournalMagic.size()) != kJournalMagic ||
      getLe(j, 16, 4) != crc32c(0, j.data(), 16)) {
    CWMPD_LOG(Notice, kLog,
              journalPath_ << ": no valid header, " << j.size()
                           << " bytes dropped (a first commit that did not finish)");
    return;
  }
  const std::uint64_t generation = getLe(j, 8, 8);
  if (generation != generation_) {
    // Older: written before the snapshot it was folded into (a crash between the rename
    // and its removal). Newer: the snapshot is not the one it follows (restored by hand).
    if (generation < generation_)
      CWMPD_LOG(Info, kLog,
                journalPath_ << ": generation " << generation << ", older than the snapshot's "
                             << generation_ << " (already in it); not replayed");
    else
      CWMPD_LOG(Warning, kLog,
                journalPath_ << ": generation " << generation << ", newer than the snapshot's "
                             << generation_ << " (not the snapshot it follows); not replayed");
    return;
  }
  std::size_t at = kJournalHeader;
  std::size_t records = 0;
  std::vector<std::pair<std::string_view, std::optional<std::string_view>>> ops;
  while (j.size() - at >= kRecordHeader) {
    const auto length = getLe(j, at, 4);
    if (length > j.size() - at - kRecordHeader) break;
    const auto payload = j.substr(at + kRecordHeader, length);
    std::uint32_t crc = crc32c(0, j.data() + at, 4);
    crc = crc32c(crc, payload.data(), payload.size());
    if (crc != getLe(j, at + 4, 4)) break;
    // Decoded whole before anything is applied: a record is all or nothing.
    ops.clear();
    std::size_t p = 0;
    bool ok = true;
    while (ok && p < payload.size()) {
      const char op = payload[p++];
      std::string_view key, value;
      ok = (op == kSet || op == kErase) && getString(payload, p, key) &&
           (op == kErase || getString(payload, p, value));
      if (ok) ops.emplace_back(key, op == kSet ? std::optional(value) : std::nullopt);
    }
    if (!ok) break;
    for (const auto& [key, v] : ops) {
      if (!v) {
        if (auto it = into.find(key); it != into.end()) into.erase(it);
      } else if (auto it = into.find(key); it != into.end()) {
        it->second.value.assign(*v);
      } else {
        into.emplace(std::string(key), Entry{std::string(*v)});
      }
    }
    at += kRecordHeader + length;
    ++records;
  }
  journalEnd_ = at;
  if (at < j.size())
    CWMPD_LOG(Notice, kLog,
              journalPath_ << ": " << records << " records replayed; a torn or damaged one at byte "
                           << at << " and the " << j.size() - at
                           << " bytes after it dropped (a commit that did not finish)");
}

std::string Store::setAside(const std::string& file) {
  char stamp[32];
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  std::string aside = file + ".bad-" + stamp;
  // Never overwrite an earlier damaged file set aside in the same second.
  for (int n = 1; ::access(aside.c_str(), F_OK) == 0; ++n)
    aside = file + ".bad-" + stamp + "." + std::to_string(n);
  if (::rename(file.c_str(), aside.c_str()) != 0) return {};
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
    const std::string aside = setAside(path_);
    if (!aside.empty()) onDisk_ = false;  // the next commit writes a fresh file
    // The journal follows that snapshot: without it, it is lost too.
    const std::string journalAside =
        ::access(journalPath_.c_str(), F_OK) == 0 ? setAside(journalPath_) : std::string();
    CWMPD_LOG(Error, kLog,
              e.what() << "; lost: the whole file (" << bytes << " bytes, " << readable
                       << " records readable before the damage, none kept), "
                       << (aside.empty() ? "could not be set aside: " + errnoText()
                                         : "set aside as " + aside)
                       << (journalAside.empty() ? "" : ", its journal as " + journalAside)
                       << "; starting without it, from the configuration's defaults");
    return false;
  }
}

const std::string* Store::get(std::string_view key) const {
  auto it = entries_.find(key);
  return it == entries_.end() || !it->second.present ? nullptr : &it->second.value;
}

namespace {
// lower_bound(key), looked for first within a few entries of `hint` (the key set last): a
// request sets the parameters of one object one after the other, and they are neighbours
// in the store (in any order), so most keys are found with a few comparisons instead of a
// walk from the root (issue 15). A key further away falls back on lower_bound.
template <class Map>
typename Map::iterator lowerBoundNear(Map& map, typename Map::iterator hint, std::string_view key) {
  constexpr int kSteps = 8;
  if (hint == map.end()) return map.lower_bound(key);
  auto it = hint;
  if (it->first.compare(key) < 0) {
    // Forward: every entry up to `it` is below key.
    for (int i = 0; i < kSteps; ++i) {
      ++it;
      if (it == map.end() || it->first.compare(key) >= 0) return it;
    }
  } else {
    // Backward: `it` is not below key; the first such entry is the bound.
    for (int i = 0; i < kSteps; ++i) {
      if (it == map.begin()) return it;
      auto before = std::prev(it);
      if (before->first.compare(key) < 0) return it;
      it = before;
    }
  }
  return map.lower_bound(key);
}
}  // namespace

void Store::forgetHints() { entryHint_ = entries_.end(); }

void Store::touch(Entries::iterator it) {
  Entry& e = it->second;
  if (!e.changed) {
    e.changed = true;
    changed_.push_back(it);
  } else {
    recordOff_ = true;  // its operation in record_ is not its value any more
  }
  if (e.undoable) return;
  e.undoable = true;
  // Copied, not taken: the entry keeps its buffer for the new value, so that a large set
  // does not leave the long-lived entries in fresh allocations between freed ones (the
  // heap's RSS after the session grew by ~10 MB at 100,000 parameters when it was taken).
  undo_.push_back({it, e.present ? std::optional<std::string>(e.value) : std::nullopt});
}

void Store::set(std::string_view key, std::string_view value) {
  auto it = lowerBoundNear(entries_, entryHint_, key);
  if (it == entries_.end() || it->first != key) {
    // A new key: an entry not present yet, then set like any other.
    it = entries_.emplace_hint(it, std::string(key), Entry{{}, false});
    ++erased_;
  }
  entryHint_ = it;
  Entry& e = it->second;
  if (e.present && e.value == value) return;
  touch(it);
  e.value.assign(value);
  if (!e.present) {
    e.present = true;
    --erased_;
  }
  dirty_ = true;
  recordChange(it);
}

namespace {
// An entry that is erased keeps its key until the next commit, not its value.
void dropValue(std::string& value) { std::string().swap(value); }
}  // namespace

void Store::erase(std::string_view key) {
  auto it = entries_.find(key);
  if (it == entries_.end() || !it->second.present) return;
  touch(it);
  it->second.present = false;
  dropValue(it->second.value);
  ++erased_;
  dirty_ = true;
  recordChange(it);
}

std::size_t Store::erasePrefix(std::string_view prefix) {
  std::size_t n = 0;
  for (auto it = entries_.lower_bound(prefix);
       it != entries_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    if (!it->second.present) continue;
    touch(it);
    it->second.present = false;
    dropValue(it->second.value);
    recordChange(it);
    ++n;
  }
  if (n) {
    erased_ += n;
    dirty_ = true;
  }
  return n;
}

void Store::forEach(std::string_view prefix,
                    const std::function<void(const std::string&, const std::string&)>& fn) const {
  for (auto it = entries_.lower_bound(prefix);
       it != entries_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
    if (it->second.present) fn(it->first, it->second.value);
}

void Store::dropChanges() {
  for (const Undo& u : undo_) u.entry->second.undoable = false;
  undo_.clear();
  for (const auto it : changed_) {
    if (it->second.present) {
      it->second.changed = false;
    } else {
      entries_.erase(it);
      --erased_;
    }
  }
  changed_.clear();
  forgetHints();
  resetRecord();
}

void Store::recordChange(Entries::const_iterator it) {
  if (recordOff_) return;
  if (record_.empty() || record_.back().size() >= kChunk) {
    record_.emplace_back().reserve(kChunk + 256);
    if (record_.size() == 1) {
      record_[0].assign(kRecordHeader, '\0');  // length and CRC, at the commit
      recordBytes_ = kRecordHeader;
    }
  }
  // One operation: 'S' key value or 'E' key, each string as its length (u32 LE) and bytes.
  std::string& chunk = record_.back();
  const std::string& key = it->first;
  const std::string* value = it->second.present ? &it->second.value : nullptr;
  const std::size_t size = 1 + 4 + key.size() + (value ? 4 + value->size() : 0);
  const std::size_t at = chunk.size();
  chunk.resize(at + size);
  char* p = chunk.data() + at;
  const auto put = [&p](std::string_view s) {
    const auto n = static_cast<std::uint32_t>(s.size());
    for (int i = 0; i < 4; ++i) *p++ = static_cast<char>((n >> (8 * i)) & 0xff);
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  };
  *p++ = value ? kSet : kErase;
  put(key);
  if (value) put(*value);
  recordBytes_ += size;
  if (chunk.size() >= kChunk) writeEarly();
}

// Writes the full chunks of record_ past the journal's end, where the commit would, and
// starts their writeback (issue 15: the fdatasync of a 640 KB record waited 1-4 ms, and
// several times that on a busy disk). Until the commit writes the record's header they are
// no record: a crash leaves them as a torn tail, which the loader drops. Any failure here
// is left to the commit, which writes them again.
void Store::writeEarly() {
  std::size_t at = journalEnd_ ? journalEnd_ : kJournalHeader;
  if (!onDisk_ || forceSnapshot_ ||
      at + recordBytes_ > journalLimit() * (snapshotsHeld_ ? kHeldJournalFactor : 1))
    return;
  if (recordFd_ < 0) {
    recordWritten_ = 0;
    recordFd_ = ::open(journalPath_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    // After the valid records, as the commit would (see appendJournal()).
    if (recordFd_ >= 0 && ::ftruncate(recordFd_, static_cast<off_t>(journalEnd_)) != 0) {
      ::close(recordFd_);
      recordFd_ = -1;
    }
    if (recordFd_ < 0) return;
  }
  for (std::size_t i = 0; i < recordWritten_; ++i) at += record_[i].size();
  bool ok = true;
  for (; ok && recordWritten_ < record_.size(); ++recordWritten_) {
    // The record's header is written last, by the commit.
    const std::size_t skip = recordWritten_ == 0 ? kRecordHeader : 0;
    const std::string& chunk = record_[recordWritten_];
    const std::size_t n = chunk.size() - skip;
    const auto from = static_cast<off_t>(at + skip);
    ok = ::pwrite(recordFd_, chunk.data() + skip, n, from) == static_cast<ssize_t>(n);
    ::sync_file_range(recordFd_, from, static_cast<off_t>(n), SYNC_FILE_RANGE_WRITE);
    at += chunk.size();
  }
  if (!ok) {
    ::close(recordFd_);
    recordFd_ = -1;
    recordWritten_ = 0;
  }
}

void Store::resetRecord() {
  if (recordFd_ >= 0) {
    // What was written early is no record: the journal ends at its last one again (should
    // this fail, it is a torn tail, which the loader and the next append drop).
    const int cut = journalEnd_ ? ::ftruncate(recordFd_, static_cast<off_t>(journalEnd_))
                                : ::unlink(journalPath_.c_str());
    (void)cut;
    ::close(recordFd_);
    recordFd_ = -1;
  }
  record_.clear();
  recordBytes_ = 0;
  recordWritten_ = 0;
  recordOff_ = false;
}

void Store::rollback() {
  if (!undo_.empty()) recordOff_ = true;  // dropped below when nothing is left pending
  // Each entry has one record at most, so the order does not matter.
  for (Undo& u : undo_) {
    Entry& e = u.entry->second;
    if (u.old) {
      e.value = std::move(*u.old);
      if (!e.present) --erased_;
      e.present = true;
    } else if (e.present) {
      e.present = false;
      dropValue(e.value);
      ++erased_;
    }
    e.undoable = false;
  }
  undo_.clear();
  dirty_ = baselineDirty_;
  // Back at what is on disk: nothing left for the next record.
  if (!dirty_) dropChanges();
  forgetHints();
}

void Store::keepPending() {
  for (const Undo& u : undo_) u.entry->second.undoable = false;
  undo_.clear();
  baselineDirty_ = dirty_;
}

void Store::failed(const std::string& why) {
  if (failing_) return;
  failing_ = true;
  CWMPD_LOG(Error, kLog,
            why << "; serving from memory, retrying with the next change (logged once)");
}

void Store::writeSnapshot() {
  std::string data;
  data.reserve(entries_.size() * 48 + 48);
  data += kHeaderV2;
  data += std::to_string(generation_ + 1);
  data += '\n';
  for (const auto& [k, e] : entries_) {
    if (!e.present) continue;
    escapeInto(data, k);
    data += '\t';
    escapeInto(data, e.value);
    data += '\n';
  }
  data += "end " + std::to_string(size()) + "\n";

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
  syncDirectoryOf(path_);
  ++generation_;
  snapshotBytes_ = data.size();
  onDisk_ = true;
  // The snapshot holds everything: the journal is now of an older generation, so a crash
  // before (or a failure of) this removal leaves one the loader does not replay.
  if (::unlink(journalPath_.c_str()) != 0 && errno != ENOENT)
    CWMPD_LOG(Warning, kLog, journalPath_ << ": cannot remove: " << errnoText());
  journalEnd_ = 0;
}

void Store::appendJournal() {
  const bool fresh = journalEnd_ == 0;
  const std::size_t start = fresh ? kJournalHeader : journalEnd_;
  int fd = -1;
  if (int e = fault(Step::Create)) {
    errno = e;
  } else if (recordFd_ >= 0) {
    fd = std::exchange(recordFd_, -1);  // open, with the chunks written early
  } else {
    recordWritten_ = 0;
    fd = ::open(journalPath_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  }
  if (fd < 0) throw StoreError(journalPath_ + ": cannot open: " + errnoText());
  try {
    // Whatever follows the valid records (a torn tail the loader dropped, a failed append,
    // an older generation's journal) goes first: a record written after it would never be
    // replayed, and a shorter one could bring an old one back behind it. (The chunks
    // written early were written after that cut.)
    struct stat st {};
    if (recordWritten_ == 0 &&
        (::fstat(fd, &st) != 0 || static_cast<std::size_t>(st.st_size) != journalEnd_)) {
      if (::ftruncate(fd, static_cast<off_t>(journalEnd_)) != 0)
        throw StoreError(journalPath_ + ": cannot truncate: " + errnoText());
    }
    auto seek = [&](std::size_t at) {
      if (::lseek(fd, static_cast<off_t>(at), SEEK_SET) < 0)
        throw StoreError(journalPath_ + ": seek failed: " + errnoText());
    };
    auto write = [&](std::string_view data) {
      writeAll(fd, data, journalPath_, [&] { return fault(Step::Write); });
    };
    std::string header;
    putU32(header, static_cast<std::uint32_t>(recordBytes_ - kRecordHeader));
    std::uint32_t crc = crc32c(0, header.data(), 4);
    for (std::size_t i = 0; i < record_.size(); ++i) {
      const std::size_t skip = i == 0 ? kRecordHeader : 0;
      crc = crc32c(crc, record_[i].data() + skip, record_[i].size() - skip);
    }
    putU32(header, crc);
    record_[0].replace(0, kRecordHeader, header);
    if (fresh) {
      seek(0);
      write(journalHeader(generation_));
    }
    std::size_t at = start;
    for (std::size_t i = 0; i < recordWritten_; ++i) at += record_[i].size();
    seek(at);
    for (std::size_t i = recordWritten_; i < record_.size(); ++i) write(record_[i]);
    if (recordWritten_ > 0) {  // the header that makes the chunks written early a record
      seek(start);
      write(std::string_view(record_[0]).substr(0, kRecordHeader));
    }
    // fdatasync: the data and the size, not the times.
    int rc = -1;
    if (int e = fault(Step::Fsync))
      errno = e;
    else
      rc = ::fdatasync(fd);
    if (rc != 0) throw StoreError(journalPath_ + ": fsync failed: " + errnoText());
  } catch (...) {
    // Cut what this append wrote, so that a record reported as failed (and rolled back
    // by the caller) is not found by a later load either.
    if (::ftruncate(fd, static_cast<off_t>(journalEnd_)) == 0) ::fdatasync(fd);
    ::close(fd);
    recordWritten_ = 0;
    throw;
  }
  ::close(fd);
  if (fresh) syncDirectoryOf(journalPath_);
  journalEnd_ = start + recordBytes_;
}

void Store::committed() {
  dirty_ = baselineDirty_ = false;
  dropChanges();
  forceSnapshot_ = false;
  if (failing_) {
    failing_ = false;
    CWMPD_LOG(Notice, kLog, path_ << ": written again, the pending changes are on disk");
  }
}

std::size_t Store::journalLimit() const {
  return journalLimit_ ? *journalLimit_ : std::max(kDefaultJournalLimit, snapshotBytes_);
}

void Store::holdSnapshots(bool hold) {
  snapshotsHeld_ = hold;
  // A journal the held commits took past its limit is folded now (compact() also commits
  // whatever is pending, as any commit does).
  if (!hold && onDisk_ && journalEnd_ > journalLimit()) (void)tryCompact();
}

void Store::commit() {
  if (!dirty_ && onDisk_ && !forceSnapshot_) return;
  try {
    if (onDisk_ && !forceSnapshot_) {
      if (recordOff_) {
        // record_ does not hold the changes: it is made again from them (the current value
        // of every changed key, each once: their order does not matter to the replay).
        resetRecord();
        for (const auto it : changed_) recordChange(it);
      }
      const std::size_t limit = journalLimit() * (snapshotsHeld_ ? kHeldJournalFactor : 1);
      const std::size_t after = (journalEnd_ ? journalEnd_ : kJournalHeader) + recordBytes_;
      if (after <= limit) {
        appendJournal();
        committed();
        return;
      }
    }
    writeSnapshot();
  } catch (const StoreError& e) {
    failed(e.what());
    throw;
  }
  committed();
}

bool Store::tryCommit() noexcept {
  try {
    commit();
    return true;
  } catch (const std::exception&) {
    return false;  // logged by commit(); the changes stay pending
  }
}

void Store::compact() {
  // Only a journal is folded: a store without one, or without a snapshot (never written,
  // or wiped: the daemon tells a lost model.db by its absence), gets no file from it.
  if (!onDisk_ || (journalEnd_ == 0 && ::access(journalPath_.c_str(), F_OK) != 0)) return;
  forceSnapshot_ = true;
  try {
    commit();
  } catch (...) {
    forceSnapshot_ = false;
    throw;
  }
}

bool Store::tryCompact() noexcept {
  try {
    compact();
    return true;
  } catch (const std::exception&) {
    return false;  // logged by commit(); the journal stays and is replayed at the next load
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
  resetRecord();
  entries_.clear();
  erased_ = 0;
  changed_.clear();
  undo_.clear();
  forgetHints();
  dirty_ = baselineDirty_ = false;
  // The snapshot before the journal: a kill between the two leaves a journal without a
  // snapshot, which the loader does not replay (an empty store, as wiped), never an old
  // snapshot without its later changes.
  for (const std::string* file : {&path_, &journalPath_})
    if (::unlink(file->c_str()) != 0 && errno != ENOENT)
      CWMPD_LOG(Error, kLog, *file << ": cannot remove: " << errnoText());
  onDisk_ = false;
  generation_ = 0;
  snapshotBytes_ = 0;
  journalEnd_ = 0;
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
