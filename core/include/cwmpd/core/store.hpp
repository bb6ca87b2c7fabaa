// A small persistent key-value file. Every commit() writes the whole file to a temp
// file, fsyncs it, renames it over the old one and fsyncs the directory, so that a kill
// or power cut at any moment leaves either the old or the new file, both loadable.
//
// A write that fails (disk full, EIO) never costs the content in memory: the store stays
// dirty and the next commit retries. The first failure is logged once, and the recovery
// once, so a full disk does not flood the log. Callers that made a change on someone's
// request (an RPC, a D-Bus set) roll it back with rollback() and answer 9002; callers
// that keep state of their own (events, session state, transfers) use tryCommit() and
// let the next write catch up.
//
// Threading: not thread-safe; main loop only.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cwmpd::core {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Store {
 public:
  // `path` is the file; its directory must exist (created by the daemon from [store] dir).
  explicit Store(std::string path);

  // Reads the file. A missing file is an empty store. A damaged file (not written by
  // commit(): truncated, empty, garbage, edited by hand) throws StoreError naming the
  // file and line, and leaves the store empty: nothing of it is half-loaded.
  void load();
  // load(), and when the file is damaged: renames it aside whole, to
  // "<path>.bad-<UTC time>" for a human to look at, logs once what was lost, and leaves
  // an empty store whose next commit writes a fresh file. False when the store was lost.
  bool loadOrSetAside();

  [[nodiscard]] const std::string* get(std::string_view key) const;
  void set(std::string_view key, std::string_view value);
  void erase(std::string_view key);
  // Erases every key starting with `prefix`; returns how many.
  std::size_t erasePrefix(std::string_view prefix);
  // Calls fn(key, value) for every key starting with `prefix`, in key order.
  void forEach(std::string_view prefix,
               const std::function<void(const std::string&, const std::string&)>& fn) const;

  // Writes the file atomically when something changed. Throws StoreError on I/O failure
  // (the in-memory content is kept; a later commit retries).
  void commit();
  // commit() that reports failure by returning false instead of throwing.
  bool tryCommit() noexcept;
  // Undoes every change since the last successful commit or keepPending(): what a
  // failed request staged is never written by a later, unrelated commit.
  void rollback();
  // Makes the uncommitted changes part of what rollback() returns to: they are the
  // agent's own state (instance numbers, startup changes) and wait for the next commit.
  void keepPending();
  // Empties the store and removes its file and every attached directory (a factory
  // reset). Works on a full disk.
  void wipe();
  // Makes `dir` part of what this store holds (the plugins' own files, sdk::Host::
  // stateDir()): wipe() removes it with everything in it, so that a factory reset
  // forgets that state too.
  void attachDirectory(std::string dir) { attached_.push_back(std::move(dir)); }

  [[nodiscard]] bool dirty() const { return dirty_; }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::size_t size() const { return entries_.size(); }

  // Fault injection for tests: called before each step of a commit; a non-zero return is
  // taken as that step failing with that errno. Empty to disable.
  enum class Step { Create, Write, Fsync, Rename };
  void setFaultHook(std::function<int(Step)> hook) { faultHook_ = std::move(hook); }

 private:
  std::string setAside();
  void remember(std::string_view key);
  void failed(const std::string& why);

  std::string path_;
  std::vector<std::string> attached_;
  std::map<std::string, std::string, std::less<>> entries_;
  // For rollback(): the value each key changed since the baseline had then (nullopt:
  // absent), and whether the store was dirty at the baseline.
  std::map<std::string, std::optional<std::string>, std::less<>> undo_;
  bool baselineDirty_ = false;
  bool dirty_ = false;
  bool failing_ = false;
  bool onDisk_ = false;  // the file holds the current content (or would, if not dirty)
  std::size_t recordsSeen_ = 0;
  std::function<int(Step)> faultHook_;
};

// An exclusive lock on a store directory (flock on "<dir>/lock"), held for the life of
// the object, so that two daemons never share one store, each overwriting the other.
// The descriptor is close-on-exec: a daemon that re-executes itself takes it again.
class StoreLock {
 public:
  // Throws StoreError when another process holds the lock or the lock file cannot be made.
  explicit StoreLock(const std::string& dir);
  ~StoreLock();
  StoreLock(const StoreLock&) = delete;
  StoreLock& operator=(const StoreLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace cwmpd::core
