// A small persistent key-value file with a write-ahead journal (issue 15).
//
// On disk a store is two files: the snapshot ("model.db", text, one record per line, with a
// generation number) and the journal ("model.journal" next to it). A commit appends one
// record to the journal (its length, a CRC32C, the sets and erases of that commit) and
// fdatasyncs it once, so its cost follows the change, not the store. When the journal
// would grow past max(1 MiB, the snapshot's size), that commit writes a new snapshot
// instead (generation + 1; temporary file, fsync, rename, directory fsync) and removes
// the journal. A kill or power cut at any moment leaves a loadable pair: the loader
// replays the journal's records up to the first torn or damaged one and drops the rest;
// a journal of an older generation than the snapshot (a crash between the rename and the
// removal) is not replayed, and one without a snapshot (a wipe cut half way) neither.
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
#include <cstdint>
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
  // `path` is the snapshot; its directory must exist (created by the daemon from [store]
  // dir). The journal is the same path with ".journal" for its ".db".
  explicit Store(std::string path);
  // Not copied or moved: it keeps iterators into its own maps.
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store();

  // Reads the snapshot and replays the journal. A missing snapshot is an empty store. A
  // damaged snapshot (not written by commit(): truncated, empty, garbage, edited by hand)
  // throws StoreError naming the file and line, and leaves the store empty: nothing of it
  // is half-loaded. A torn or damaged journal record is never an error: it and what
  // follows it are dropped (logged), as a commit that did not finish. Modifies no file.
  void load();
  // load(), and when the snapshot is damaged: renames it (and its journal) aside whole, to
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

  // Makes the changes durable, all or none, when something changed: one journal record, or
  // a new snapshot when the journal is full or there is no snapshot yet. Throws StoreError
  // on I/O failure (the in-memory content is kept; a later commit retries).
  void commit();
  // commit() that reports failure by returning false instead of throwing.
  bool tryCommit() noexcept;
  // commit() that always writes a new snapshot and removes the journal (a clean stop
  // leaves nothing to replay); does nothing when there is no journal or no snapshot.
  void compact();
  bool tryCompact() noexcept;
  // Undoes every change since the last successful commit or keepPending(): what a
  // failed request staged is never written by a later, unrelated commit.
  void rollback();
  // Makes the uncommitted changes part of what rollback() returns to: they are the
  // agent's own state (instance numbers, startup changes) and wait for the next commit.
  void keepPending();
  // Empties the store and removes its files and every attached directory (a factory
  // reset). Works on a full disk.
  void wipe();
  // Makes `dir` part of what this store holds (the plugins' own files, sdk::Host::
  // stateDir()): wipe() removes it with everything in it, so that a factory reset
  // forgets that state too.
  void attachDirectory(std::string dir) { attached_.push_back(std::move(dir)); }

  [[nodiscard]] bool dirty() const { return dirty_; }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] const std::string& journalPath() const { return journalPath_; }
  // The snapshot's generation: 0 before the first, + 1 at each new snapshot.
  [[nodiscard]] std::uint64_t generation() const { return generation_; }
  [[nodiscard]] std::size_t size() const { return entries_.size() - erased_; }

  // The journal size past which a commit writes a snapshot instead (0: every commit);
  // nullopt for the default, max(1 MiB, the snapshot's size).
  void setJournalLimit(std::optional<std::size_t> bytes) { journalLimit_ = bytes; }

  // While held (an ACS session, Engine::beginSession), a commit past the journal's limit
  // appends its record all the same, up to kHeldJournalFactor times the limit, and the
  // snapshot waits for the release: each set of a session is answered after one journal
  // append (write, fdatasync) instead of a new snapshot (the whole store written, fsync,
  // rename, directory fsync, the journal unlinked; issue 15). Durability and atomicity are
  // the journal's, as for any append. Releasing writes that snapshot when the journal is
  // past its limit; when that fails (logged by commit()), the journal stays: it is replayed
  // at the next load and folded by the next commit that writes a snapshot.
  static constexpr std::size_t kHeldJournalFactor = 4;
  void holdSnapshots(bool hold);
  [[nodiscard]] bool snapshotsHeld() const { return snapshotsHeld_; }

  // Fault injection for tests: called before each step of a commit; a non-zero return is
  // taken as that step failing with that errno. Empty to disable. A journal append has
  // Create (open), Write and Fsync (fdatasync); a snapshot all four.
  enum class Step { Create, Write, Fsync, Rename };
  void setFaultHook(std::function<int(Step)> hook) { faultHook_ = std::move(hook); }

 private:
  // An entry, and what the next journal record and rollback() need to know of it. An erased
  // entry stays in the map, not present, until the next commit (or rollback) drops it: the
  // changed entries are then found by iterator, and no key is copied to remember it.
  struct Entry {
    std::string value;
    bool present = true;    // false: erased since the last commit
    bool changed = false;   // in changed_: the next journal record holds it
    bool undoable = false;  // in undo_
  };
  using Entries = std::map<std::string, Entry, std::less<>>;

  std::string setAside(const std::string& file);
  // Records that `it` is about to change, for the next journal record and for rollback().
  void touch(Entries::iterator it);
  // Forgets every change since the last commit (they are on disk, or undone): the erased
  // entries leave the map.
  void dropChanges();
  void forgetHints();
  void failed(const std::string& why);
  void replayJournal(Entries& into);
  [[nodiscard]] std::size_t journalLimit() const;
  void writeSnapshot();
  // Appends record_ and fdatasyncs it.
  void appendJournal();
  // Adds the first change of `it` to record_, and writes its full chunks early.
  void recordChange(Entries::const_iterator it);
  void writeEarly();
  // Forgets record_ (its changes are committed or dropped): what was written early past
  // the journal's end is cut.
  void resetRecord();
  void committed();
  int fault(Step step) const { return faultHook_ ? faultHook_(step) : 0; }

  std::string path_;
  std::string journalPath_;
  std::vector<std::string> attached_;
  Entries entries_;
  std::size_t erased_ = 0;  // entries not present
  // Every entry changed since the last successful commit (what the next journal record
  // holds), in the order of their first change.
  std::vector<Entries::iterator> changed_;
  // For rollback(): each entry's value at the baseline (nullopt: absent), from its first
  // change after it; keepPending() moves the baseline to now.
  struct Undo {
    Entries::iterator entry;
    std::optional<std::string> old;
  };
  std::vector<Undo> undo_;
  // The next journal record, made as the changes are (issue 15): one operation per entry
  // of changed_, in chunks; recordOff_ when it no longer holds what the entries do (an
  // entry changed twice, a rollback to pending changes): the commit then makes it again
  // from changed_. Its full chunks are written past the journal's end as they fill, and
  // their writeback started, so that the commit's fdatasync has little left to wait for;
  // the record's header, written last, makes them part of the journal.
  std::vector<std::string> record_;
  std::size_t recordBytes_ = 0;    // with the record's header
  std::size_t recordWritten_ = 0;  // chunks written early
  int recordFd_ = -1;
  bool recordOff_ = false;
  // The entry set last (end(): none), where set() looks first; reset by whatever drops
  // entries from the map.
  Entries::iterator entryHint_ = entries_.end();
  bool baselineDirty_ = false;
  bool dirty_ = false;
  bool failing_ = false;
  bool onDisk_ = false;  // the snapshot exists (and the journal applies to it)
  std::uint64_t generation_ = 0;
  std::size_t snapshotBytes_ = 0;
  // Bytes of valid records (with the header) in the journal: the next append goes there,
  // cutting a torn tail or a failed append first. 0: no usable journal; the next append
  // starts a new one.
  std::size_t journalEnd_ = 0;
  std::optional<std::size_t> journalLimit_;
  bool snapshotsHeld_ = false;
  bool forceSnapshot_ = false;
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
