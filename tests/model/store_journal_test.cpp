// The store's write-ahead journal (issue 15): model.db is a snapshot with a generation,
// each commit after it appends one record (length, CRC32C, the sets and erases of that
// commit) to model.journal with one fdatasync, and the journal is folded into a new
// snapshot when it grows past max(1 MiB, the snapshot).
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "cwmpd/core/store.hpp"
#include "store/crc32c.hpp"
#include "test_support.hpp"

using cwmpd::core::Store;
using cwmpd::core::StoreError;
using cwmpd::testing::readFile;
using cwmpd::testing::TempDir;
namespace fs = std::filesystem;

namespace {

void writeRaw(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// Runs fn in a child that ends with _exit(fn()): no destructor, no flush, no compaction,
// as if the process had been killed right after its last system call.
int inChild(const std::function<int()>& fn) {
  pid_t pid = fork();
  if (pid == 0) _exit(fn());
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// A store with a snapshot (k0) and a journal of `records` commits, each setting "r<i>".
std::vector<std::size_t> journalWithRecords(const std::string& path, int records) {
  Store s(path);
  s.load();
  s.set("k0", "snapshot");
  s.commit();
  std::vector<std::size_t> ends;  // the journal's size after each record
  for (int i = 1; i <= records; ++i) {
    s.set("r" + std::to_string(i), std::string(static_cast<std::size_t>(10 * i), 'x'));
    s.commit();
    ends.push_back(fs::file_size(s.journalPath()));
  }
  return ends;
}

}  // namespace

// The records' checksum is CRC-32C (Castagnoli) on whichever path the CPU takes (the SSE 4.2
// instruction where the CPU has it, found with CPUID): the standard check value, and the same
// value as a bitwise reference for every length around the 8-byte steps, in one call or
// continued.
TEST(StoreJournal, TheRecordChecksumIsCrc32cOnEveryLengthAndSplit) {
  using cwmpd::core::crc32c;
  EXPECT_EQ(crc32c(0, "123456789", 9), 0xe3069283u);
  EXPECT_EQ(crc32c(0, "", 0), 0u);
  const auto reference = [](const unsigned char* p, std::size_t n) {
    std::uint32_t c = 0xffffffffu;
    for (std::size_t i = 0; i < n; ++i) {
      c ^= p[i];
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
    }
    return ~c;
  };
  std::vector<unsigned char> bytes(67);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<unsigned char>(i * 37 + 11);
  for (std::size_t n = 0; n <= bytes.size(); ++n) {
    const std::uint32_t want = reference(bytes.data(), n);
    EXPECT_EQ(crc32c(0, bytes.data(), n), want) << n << " bytes";
    const std::size_t half = n / 3;
    EXPECT_EQ(crc32c(crc32c(0, bytes.data(), half), bytes.data() + half, n - half), want)
        << n << " bytes split at " << half;
  }
}

TEST(StoreJournal, ACommitAppendsOneRecordAndLeavesTheSnapshotAlone) {
  TempDir dir;
  Store s(dir.file("s.db"));
  s.load();
  EXPECT_EQ(s.journalPath(), dir.file("s.journal"));
  s.set("a", "1");
  s.commit();  // the first commit of a fresh store writes the snapshot
  const std::string snapshot = readFile(dir.file("s.db"));
  EXPECT_FALSE(fs::exists(s.journalPath()));
  s.set("b", "2");
  s.erase("a");
  s.commit();
  EXPECT_EQ(readFile(dir.file("s.db")), snapshot) << "a commit must not rewrite the snapshot";
  ASSERT_TRUE(fs::exists(s.journalPath()));
  const auto first = fs::file_size(s.journalPath());
  s.set("c", "3");
  s.commit();
  EXPECT_GT(fs::file_size(s.journalPath()), first);
  EXPECT_LT(fs::file_size(s.journalPath()) - first, 64u) << "one small record, not the store";
  s.commit();  // nothing changed: nothing written
  EXPECT_EQ(readFile(dir.file("s.db")), snapshot);

  Store again(dir.file("s.db"));
  again.load();
  EXPECT_EQ(again.get("a"), nullptr);
  EXPECT_EQ(*again.get("b"), "2");
  EXPECT_EQ(*again.get("c"), "3");
  EXPECT_EQ(again.size(), 2u);
  EXPECT_EQ(again.generation(), s.generation());
}

TEST(StoreJournal, ACommitSurvivesAProcessThatEndsRightAfterIt) {
  TempDir dir;
  const std::string path = dir.file("s.db");
  ASSERT_EQ(inChild([&] {
              Store s(path);
              s.load();
              s.set("k", "first");
              s.commit();
              s.set("k", "second\nwith\tbytes\\");
              s.set("other", "");
              s.commit();
              return 0;
            }),
            0);
  ASSERT_TRUE(fs::exists(dir.file("s.journal")));
  Store s(path);
  s.load();
  EXPECT_EQ(*s.get("k"), "second\nwith\tbytes\\");
  EXPECT_EQ(*s.get("other"), "");
}

TEST(StoreJournal, ATornLastRecordIsDroppedAndEverythingBeforeItKept) {
  TempDir dir;
  const std::string path = dir.file("s.db");
  const auto ends = journalWithRecords(path, 3);
  const std::string journal = readFile(dir.file("s.journal"));
  ASSERT_EQ(journal.size(), ends.back());
  // Cut anywhere inside the last record: records 1 and 2 stay.
  for (std::size_t cut = ends[1]; cut < ends[2]; cut += 3) {
    writeRaw(dir.file("s.journal"), journal.substr(0, cut));
    Store s(path);
    ASSERT_NO_THROW(s.load()) << "cut at " << cut;
    EXPECT_EQ(*s.get("k0"), "snapshot");
    EXPECT_NE(s.get("r1"), nullptr);
    EXPECT_NE(s.get("r2"), nullptr) << "cut at " << cut;
    EXPECT_EQ(s.get("r3"), nullptr) << "cut at " << cut;
  }
  // A flipped byte in each place of the last record (its length, its CRC, its payload).
  for (std::size_t at = ends[1]; at < ends[2]; ++at) {
    std::string bad = journal;
    bad[at] = static_cast<char>(bad[at] ^ 0x20);
    writeRaw(dir.file("s.journal"), bad);
    Store s(path);
    ASSERT_NO_THROW(s.load());
    EXPECT_NE(s.get("r2"), nullptr) << "flipped at " << at;
    EXPECT_EQ(s.get("r3"), nullptr) << "flipped at " << at;
  }
}

TEST(StoreJournal, AfterADamagedRecordNothingLaterIsReplayedEvenAfterNewCommits) {
  TempDir dir;
  const std::string path = dir.file("s.db");
  const auto ends = journalWithRecords(path, 3);
  std::string journal = readFile(dir.file("s.journal"));
  journal[ends[0] + 9] = static_cast<char>(journal[ends[0] + 9] ^ 1);  // record 2's payload
  writeRaw(dir.file("s.journal"), journal);
  {
    Store s(path);
    s.load();
    EXPECT_NE(s.get("r1"), nullptr);
    EXPECT_EQ(s.get("r2"), nullptr);
    EXPECT_EQ(s.get("r3"), nullptr) << "a record after a damaged one is not replayed";
    s.set("r4", "x");  // shorter than record 2: record 3 must not come back behind it
    s.commit();
  }
  Store s(path);
  s.load();
  EXPECT_NE(s.get("r1"), nullptr);
  EXPECT_EQ(s.get("r2"), nullptr);
  EXPECT_EQ(s.get("r3"), nullptr);
  EXPECT_EQ(*s.get("r4"), "x");
}

TEST(StoreJournal, CompactionKeepsTheStateBumpsTheGenerationAndEmptiesTheJournal) {
  TempDir dir;
  const std::string path = dir.file("s.db");
  Store s(path);
  s.load();
  s.set("a", "1");
  s.commit();
  const auto gen = s.generation();
  EXPECT_GE(gen, 1u);
  s.set("b", "2");
  s.commit();
  s.erase("a");
  s.commit();
  ASSERT_TRUE(fs::exists(s.journalPath()));
  s.compact();
  EXPECT_EQ(s.generation(), gen + 1);
  EXPECT_FALSE(fs::exists(s.journalPath()));
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  {
    Store disk(path);
    disk.load();
    EXPECT_EQ(disk.generation(), gen + 1);
    EXPECT_EQ(disk.get("a"), nullptr);
    EXPECT_EQ(*disk.get("b"), "2");
  }
  // Past the journal's limit a commit writes a new snapshot instead of appending.
  s.setJournalLimit(200);
  for (int i = 0; i < 20; ++i) {
    s.set("k" + std::to_string(i), std::string(40, 'v'));
    s.commit();
    if (fs::exists(s.journalPath())) {
      EXPECT_LE(fs::file_size(s.journalPath()), 200u);
    }
  }
  EXPECT_GT(s.generation(), gen + 2);
  Store disk(path);
  disk.load();
  EXPECT_EQ(disk.size(), 21u);
  EXPECT_EQ(disk.generation(), s.generation());
}

TEST(StoreJournal, TheDefaultLimitIsOneMebibyteOrTheSnapshotSize) {
  TempDir dir;
  Store s(dir.file("s.db"));
  s.load();
  s.set("seed", "1");
  s.commit();
  const auto gen = s.generation();
  const std::string big(10000, 'b');
  std::uintmax_t largest = 0;
  for (int i = 0; i < 150; ++i) {  // about 1.5 MB of records
    s.set("k", big + std::to_string(i));
    s.commit();
    if (fs::exists(s.journalPath())) largest = std::max(largest, fs::file_size(s.journalPath()));
  }
  EXPECT_EQ(s.generation(), gen + 1) << "one compaction in 1.5 MB of small records";
  EXPECT_LE(largest, std::uintmax_t{1} << 20);
  EXPECT_GT(largest, std::uintmax_t{1000} * 1000);
}

TEST(StoreJournal, AnOlderJournalLeftByACrashMidCompactionIsNotReplayed) {
  TempDir dir;
  const std::string path = dir.file("s.db");
  Store s(path);
  s.load();
  s.set("k", "base");
  s.commit();
  s.set("k", "journaled");
  s.commit();
  const std::string oldJournal = readFile(s.journalPath());
  s.set("k", "snapshot");
  s.compact();                            // snapshot of generation + 1 renamed in ...
  writeRaw(s.journalPath(), oldJournal);  // ... and the crash came before the journal went
  {
    Store disk(path);
    disk.load();
    EXPECT_EQ(*disk.get("k"), "snapshot") << "the older journal was replayed over the snapshot";
    EXPECT_EQ(disk.generation(), s.generation());
    disk.set("n", "1");
    disk.commit();  // replaces the old journal by one of this generation
  }
  Store disk(path);
  disk.load();
  EXPECT_EQ(*disk.get("k"), "snapshot");
  EXPECT_EQ(*disk.get("n"), "1");
}

TEST(StoreJournal, AJournalWithoutItsSnapshotIsNotReplayed) {
  TempDir dir;
  const std::string path = dir.file("s.db");
  journalWithRecords(path, 2);
  fs::remove(path);  // a wipe that was cut between its two unlinks
  Store s(path);
  s.load();
  EXPECT_EQ(s.size(), 0u);
  s.set("fresh", "1");
  s.commit();
  Store disk(path);
  disk.load();
  EXPECT_EQ(disk.size(), 1u);
}

TEST(StoreJournal, WipeRemovesTheSnapshotAndTheJournal) {
  TempDir dir;
  const std::string path = dir.file("s.db");
  Store s(path);
  s.load();
  s.set("a", "1");
  s.commit();
  s.set("b", "2");
  s.commit();
  ASSERT_TRUE(fs::exists(s.journalPath()));
  s.wipe();
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(s.journalPath()));
  Store disk(path);
  disk.load();
  EXPECT_EQ(disk.size(), 0u);
}

// The journal's steps failing: the commit throws, memory keeps the new content (a later
// commit retries, rollback() returns to the old), the disk keeps the old.
TEST(StoreJournal, AFailedAppendKeepsTheOldStateOnDiskAndTheNewPendingInMemory) {
  using Step = Store::Step;
  for (Step failing : {Step::Create, Step::Write, Step::Fsync}) {
    TempDir dir;
    Store s(dir.file("s.db"));
    s.set("k", "old");
    s.commit();
    s.set("j", "journaled");
    s.commit();
    s.setFaultHook([failing](Step step) { return step == failing ? EIO : 0; });
    s.set("k", "new");
    EXPECT_THROW(s.commit(), StoreError);
    EXPECT_TRUE(s.dirty());
    EXPECT_EQ(*s.get("k"), "new");
    {
      Store disk(dir.file("s.db"));
      disk.load();
      EXPECT_EQ(*disk.get("k"), "old");
      EXPECT_EQ(*disk.get("j"), "journaled");
    }
    s.rollback();
    EXPECT_EQ(*s.get("k"), "old");
    s.setFaultHook({});
    s.set("m", "later");
    s.commit();
    Store disk(dir.file("s.db"));
    disk.load();
    EXPECT_EQ(*disk.get("k"), "old") << "a rolled-back change reached the disk";
    EXPECT_EQ(*disk.get("m"), "later");
  }
}

// A real short write: a file size limit (RLIMIT_FSIZE) in a child makes the append fail
// part way; the commit fails cleanly, and once the limit is lifted the next commit writes
// a journal that loads with no trace of the partial record.
TEST(StoreJournal, AFileSizeLimitFailsTheCommitCleanlyAndTheNextOneRecovers) {
  TempDir dir;
  const std::string path = dir.file("s.db");
  {
    Store s(path);
    s.set("k", "old");
    s.commit();
    s.set("j", "journaled");
    s.commit();
  }
  const auto journalSize = fs::file_size(dir.file("s.journal"));
  const int rc = inChild([&] {
    ::signal(SIGXFSZ, SIG_IGN);
    Store s(path);
    s.load();
    rlimit lim{};
    ::getrlimit(RLIMIT_FSIZE, &lim);
    rlimit tight = lim;
    tight.rlim_cur = journalSize + 100;
    ::setrlimit(RLIMIT_FSIZE, &tight);
    s.set("k", std::string(5000, 'n'));
    try {
      s.commit();
      return 10;  // the limit did not bite
    } catch (const StoreError&) {
    }
    if (*s.get("k") != std::string(5000, 'n') || !s.dirty()) return 11;
    {
      Store disk(path);
      disk.load();
      if (*disk.get("k") != "old" || *disk.get("j") != "journaled") return 12;
    }
    ::setrlimit(RLIMIT_FSIZE, &lim);
    s.set("after", "1");
    return s.tryCommit() ? 0 : 13;
  });
  ASSERT_EQ(rc, 0);
  Store disk(path);
  disk.load();
  EXPECT_EQ(*disk.get("k"), std::string(5000, 'n'));
  EXPECT_EQ(*disk.get("after"), "1");
  EXPECT_EQ(*disk.get("j"), "journaled");
}

// Whatever the journal holds, loading never throws nor crashes, and what it keeps is the
// snapshot plus a prefix of the commits, in order.
TEST(StoreJournal, RandomAndMutatedJournalsNeverBreakTheLoader) {
  TempDir dir;
  const std::string path = dir.file("s.db");
  journalWithRecords(path, 6);
  const std::string journal = readFile(dir.file("s.journal"));
  std::mt19937 rng(15);
  auto byte = [&] { return static_cast<char>(rng() & 0xff); };
  for (int round = 0; round < 800; ++round) {
    std::string bad;
    switch (round % 4) {
      case 0:  // garbage of any length
        bad.resize(rng() % 200);
        for (auto& c : bad) c = byte();
        break;
      case 1:  // flipped bytes
        bad = journal;
        for (int n = 1 + static_cast<int>(rng() % 4); n > 0; --n) bad[rng() % bad.size()] = byte();
        break;
      case 2:  // cut
        bad = journal.substr(0, rng() % journal.size());
        break;
      default:  // garbage appended or inserted
        bad = journal;
        bad.insert(rng() % (bad.size() + 1), std::string(1 + rng() % 16, byte()));
        break;
    }
    writeRaw(dir.file("s.journal"), bad);
    Store s(path);
    ASSERT_NO_THROW(s.load()) << "round " << round;
    ASSERT_NE(s.get("k0"), nullptr);
    int kept = 0;
    while (kept < 6 && s.get("r" + std::to_string(kept + 1))) ++kept;
    for (int i = kept + 1; i <= 6; ++i)
      ASSERT_EQ(s.get("r" + std::to_string(i)), nullptr) << "not a prefix, round " << round;
    for (int i = 1; i <= kept; ++i)
      ASSERT_EQ(*s.get("r" + std::to_string(i)),
                std::string(static_cast<std::size_t>(10 * i), 'x'));
  }
}

TEST(StoreJournal, AFirstVersionSnapshotWithoutAGenerationStillLoads) {
  TempDir dir;
  writeRaw(dir.file("s.db"), "cwmpd-store 1\na\t1\nend 1\n");
  Store s(dir.file("s.db"));
  s.load();
  EXPECT_EQ(*s.get("a"), "1");
  s.set("b", "2");
  s.commit();
  Store disk(dir.file("s.db"));
  disk.load();
  EXPECT_EQ(*disk.get("a"), "1");
  EXPECT_EQ(*disk.get("b"), "2");
}

// ---- snapshots held for a session (Store::holdSnapshots) ----

// While held, commits past the journal's limit append (one record each, the snapshot
// untouched), a crash then loses none of them, and the release folds them into one snapshot.
TEST(StoreJournal, HeldSnapshotsLetCommitsAppendPastTheLimitAndTheReleaseFoldsThem) {
  TempDir dir;
  const std::string path = dir.file("s.db");
  Store s(path);
  s.load();
  s.setJournalLimit(400);
  s.set("seed", "1");
  s.commit();
  const auto gen = s.generation();
  const auto snapshot = readFile(path);
  s.holdSnapshots(true);
  EXPECT_TRUE(s.snapshotsHeld());
  for (int i = 0; i < 12; ++i) {  // ~70 bytes a record: past 400, within 4 x 400
    s.set("k" + std::to_string(i), std::string(50, static_cast<char>('a' + i)));
    s.commit();
  }
  EXPECT_EQ(s.generation(), gen) << "a held commit wrote a snapshot";
  EXPECT_EQ(readFile(path), snapshot);
  ASSERT_TRUE(fs::exists(s.journalPath()));
  EXPECT_GT(fs::file_size(s.journalPath()), 400u);
  EXPECT_LE(fs::file_size(s.journalPath()), 4u * 400u);
  {
    // A crash now: the snapshot and the journal's records give everything committed.
    Store disk(path);
    disk.load();
    EXPECT_EQ(disk.size(), 13u);
    EXPECT_EQ(*disk.get("k11"), std::string(50, 'l'));
  }
  s.holdSnapshots(false);
  EXPECT_FALSE(s.snapshotsHeld());
  EXPECT_EQ(s.generation(), gen + 1);
  EXPECT_FALSE(fs::exists(s.journalPath()));
  Store disk(path);
  disk.load();
  EXPECT_EQ(disk.generation(), gen + 1);
  EXPECT_EQ(disk.size(), 13u);
  EXPECT_EQ(*disk.get("k0"), std::string(50, 'a'));
}

// The hold is bounded: past kHeldJournalFactor times the limit a commit writes its
// snapshot as before; a release with a journal within its limit writes nothing.
TEST(StoreJournal, HeldSnapshotsAreBoundedAndAReleaseUnderTheLimitWritesNothing) {
  TempDir dir;
  Store s(dir.file("s.db"));
  s.load();
  s.setJournalLimit(300);
  s.set("seed", "1");
  s.commit();
  const auto gen = s.generation();
  s.holdSnapshots(true);
  std::uintmax_t largest = 0;
  for (int i = 0; i < 40; ++i) {
    s.set("k" + std::to_string(i), std::string(50, 'v'));
    s.commit();
    if (fs::exists(s.journalPath())) largest = std::max(largest, fs::file_size(s.journalPath()));
  }
  EXPECT_GT(s.generation(), gen) << "40 records of ~70 bytes never folded";
  EXPECT_LE(largest, Store::kHeldJournalFactor * 300);
  EXPECT_GT(largest, 300u);
  s.holdSnapshots(false);
  s.set("small", "x");
  s.commit();  // a journal of one small record
  const auto after = s.generation();
  s.holdSnapshots(true);
  s.holdSnapshots(false);
  EXPECT_EQ(s.generation(), after);
  EXPECT_TRUE(fs::exists(s.journalPath()));
  Store disk(dir.file("s.db"));
  disk.load();
  EXPECT_EQ(disk.size(), 42u);
}

// The release's snapshot failing: logged, nothing lost; the journal stays and is replayed,
// and the next commit that writes a snapshot folds it.
TEST(StoreJournal, AFailedReleaseSnapshotKeepsTheJournalAndTheNextSnapshotFoldsIt) {
  using Step = Store::Step;
  TempDir dir;
  const std::string path = dir.file("s.db");
  Store s(path);
  s.load();
  s.setJournalLimit(200);
  s.set("seed", "1");
  s.commit();
  const auto gen = s.generation();
  s.holdSnapshots(true);
  for (int i = 0; i < 6; ++i) {
    s.set("k" + std::to_string(i), std::string(40, 'w'));
    s.commit();
  }
  s.setFaultHook([](Step step) { return step == Step::Fsync ? ENOSPC : 0; });
  s.holdSnapshots(false);  // does not throw
  EXPECT_EQ(s.generation(), gen);
  EXPECT_FALSE(s.dirty());
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  {
    Store disk(path);
    disk.load();
    EXPECT_EQ(disk.size(), 7u);
  }
  s.setFaultHook({});
  s.set("later", "y");
  s.commit();  // past the limit, not held: a snapshot
  EXPECT_EQ(s.generation(), gen + 1);
  Store disk(path);
  disk.load();
  EXPECT_EQ(disk.size(), 8u);
  EXPECT_EQ(*disk.get("k5"), std::string(40, 'w'));
}

// A writer killed at any moment while its snapshots are held and released (each round of
// commits one generation of values) always leaves a store that loads whole: every key,
// all of one round or of the next.
TEST(StoreJournal, AWriterKilledWhileSnapshotsAreHeldAlwaysLeavesALoadableStore) {
  TempDir dir;
  const std::string path = dir.file("held.db");
  for (int round = 0; round < 12; ++round) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      Store s(path);
      try {
        s.load();
      } catch (...) {
        _exit(3);
      }
      s.setJournalLimit(64 * 1024);
      for (int gen = 0;; ++gen) {
        s.holdSnapshots(gen % 3 != 2);
        for (int i = 0; i < 500; ++i)
          s.set("key" + std::to_string(i), std::string(40, 'a' + gen % 26) + std::to_string(gen));
        s.commit();
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5 + (round * 7) % 40));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited by itself (load failed?) in round " << round;
    Store s(path);
    ASSERT_NO_THROW(s.load()) << "round " << round;
    if (s.size() == 0) continue;  // killed before the first commit finished
    ASSERT_EQ(s.size(), 500u);
    const std::string first = *s.get("key0");
    for (int i = 1; i < 500; ++i) ASSERT_EQ(*s.get("key" + std::to_string(i)), first);
  }
}

// A big record is written past the journal's end as its changes are made (issue 15: the
// commit's fdatasync then has little left to write), and is no record until the commit
// writes its header: a load meanwhile does not see it, a rollback cuts it, and the commit
// makes it whole.
TEST(StoreJournal, ABigRecordWrittenAsItsChangesAreMadeIsARecordOnlyOnceCommitted) {
  TempDir dir;
  const std::string path = dir.file("s.db");
  Store s(path);
  s.load();
  s.set("k0", "snapshot");
  s.commit();
  s.set("k1", "journal");
  s.commit();
  const auto end = fs::file_size(s.journalPath());
  const auto setMany = [&](char c) {
    for (int i = 0; i < 3000; ++i)
      s.set("key" + std::to_string(i), std::string(40, c) + std::to_string(i));
  };
  setMany('a');
  EXPECT_GT(fs::file_size(s.journalPath()), end + 100'000) << "the full chunks are written early";
  {
    Store meanwhile(path);
    meanwhile.load();
    EXPECT_EQ(meanwhile.size(), 2u) << "chunks without their header are no record";
  }
  s.rollback();
  EXPECT_EQ(fs::file_size(s.journalPath()), end) << "a rollback cuts what was written early";
  setMany('b');
  s.erase("k1");
  s.commit();
  EXPECT_EQ(readFile(dir.file("s.db")).find("key"), std::string::npos) << "appended, no snapshot";
  // Changed twice before the commit: the record is made from the store's entries.
  setMany('c');
  s.set("key7", "again");
  s.commit();
  Store again(path);
  again.load();
  EXPECT_EQ(again.size(), 3001u);
  EXPECT_EQ(again.get("k1"), nullptr);
  EXPECT_EQ(*again.get("key7"), "again");
  EXPECT_EQ(*again.get("key2999"), std::string(40, 'c') + "2999");
  EXPECT_EQ(again.generation(), s.generation());
}
