#include "cwmpd/core/store.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

using cwmpd::core::Store;
using cwmpd::core::StoreError;
using cwmpd::testing::TempDir;

TEST(Store, KeepsAnyBytesInKeysAndValuesAcrossAReload) {
  TempDir dir;
  {
    Store s(dir.file("s.db"));
    s.load();
    s.set("a\tb", "line1\nline2\\end\r");
    s.set("empty", "");
    s.commit();
  }
  Store s(dir.file("s.db"));
  s.load();
  ASSERT_NE(s.get("a\tb"), nullptr);
  EXPECT_EQ(*s.get("a\tb"), "line1\nline2\\end\r");
  EXPECT_EQ(*s.get("empty"), "");
  EXPECT_EQ(s.size(), 2u);
}

TEST(Store, AMissingFileIsAnEmptyStoreAndADamagedOneIsAnError) {
  TempDir dir;
  Store missing(dir.file("none.db"));
  EXPECT_NO_THROW(missing.load());
  EXPECT_EQ(missing.size(), 0u);
  {
    std::ofstream(dir.file("bad.db")) << "cwmpd-store 1\nkey\tvalue\n";  // no end marker
  }
  Store bad(dir.file("bad.db"));
  EXPECT_THROW(bad.load(), StoreError);
}

TEST(Store, ErasePrefixAndForEachSeeOnlyTheirKeys) {
  TempDir dir;
  Store s(dir.file("s.db"));
  s.set("v:A.1.x", "1");
  s.set("v:A.1.y", "2");
  s.set("v:A.10.x", "3");
  s.set("v:B", "4");
  int n = 0;
  s.forEach("v:A.1.", [&](const std::string&, const std::string&) { ++n; });
  EXPECT_EQ(n, 2);
  EXPECT_EQ(s.erasePrefix("v:A.1."), 2u);
  EXPECT_NE(s.get("v:A.10.x"), nullptr);
}

// set() looks for a key near the one set last before it searches the whole map (issue 15):
// random sets, erases, prefix erases, rollbacks and commits, keys near each other and
// far apart, in every order, must leave exactly what a plain map would hold, in memory,
// after a rollback and after a reload (the journal records name the right keys).
TEST(Store, SetsNearTheLastKeyKeepTheSameContentAsAPlainMap) {
  TempDir dir;
  std::mt19937 rng(15);
  std::map<std::string, std::string> model, committed;
  {
    Store s(dir.file("s.db"));
    s.load();
    auto keyOf = [&] {
      return "v:Device.T.Item." + std::to_string(rng() % 40) + "." +
             std::string(1, static_cast<char>('A' + rng() % 6));
    };
    for (int step = 0; step < 3000; ++step) {
      const unsigned op = rng() % 100;
      if (op < 70) {
        const std::string k = keyOf();
        const std::string v = std::to_string(rng() % 4);
        s.set(k, v);
        model[k] = v;
      } else if (op < 80) {
        const std::string k = keyOf();
        s.erase(k);
        model.erase(k);
      } else if (op < 83) {
        const std::string prefix = "v:Device.T.Item." + std::to_string(rng() % 40) + ".";
        s.erasePrefix(prefix);
        std::erase_if(model, [&](const auto& e) { return e.first.starts_with(prefix); });
      } else if (op < 90) {
        s.rollback();
        model = committed;
      } else if (op < 93) {
        s.commit();
        committed = model;
      }
      if (step % 500 == 0 || op >= 80) {
        std::map<std::string, std::string> held;
        s.forEach("", [&](const std::string& k, const std::string& v) { held[k] = v; });
        ASSERT_EQ(held, model) << "step " << step;
      }
    }
    s.commit();
    committed = model;
  }
  Store again(dir.file("s.db"));
  again.load();
  std::map<std::string, std::string> held;
  again.forEach("", [&](const std::string& k, const std::string& v) { held[k] = v; });
  EXPECT_EQ(held, committed);
}

// What rollback() and the next journal record must know of a change is kept with the entry
// itself, and an erased entry stays in the map until the next commit (issue 15): random
// sets, erases, prefix erases, rollbacks, keepPending() and commits, the same keys set,
// erased and set again between them, must show exactly what a plain map shows through
// get(), size() and forEach(), and after every commit a second store loading the files
// must hold what was committed.
TEST(Store, PendingStateRollbacksAndErasedKeysShowWhatAPlainMapShows) {
  TempDir dir;
  std::mt19937 rng(19);
  using Map = std::map<std::string, std::string>;
  Map model, baseline, committed;
  Store s(dir.file("s.db"));
  s.load();
  auto keyOf = [&] {
    return "k." + std::to_string(rng() % 12) + "." +
           std::string(1, static_cast<char>('a' + rng() % 4));
  };
  auto held = [](const Store& store) {
    Map out;
    store.forEach("", [&](const std::string& k, const std::string& v) { out[k] = v; });
    return out;
  };
  int reloads = 0;
  for (int step = 0; step < 4000; ++step) {
    const unsigned op = rng() % 100;
    if (op < 50) {
      const std::string k = keyOf();
      const std::string v = std::to_string(rng() % 3);
      s.set(k, v);
      model[k] = v;
    } else if (op < 70) {
      const std::string k = keyOf();
      s.erase(k);
      model.erase(k);
    } else if (op < 74) {
      const std::string prefix = "k." + std::to_string(rng() % 12) + ".";
      const std::size_t n =
          std::erase_if(model, [&](const auto& e) { return e.first.starts_with(prefix); });
      ASSERT_EQ(s.erasePrefix(prefix), n) << "step " << step;
    } else if (op < 84) {
      s.rollback();
      model = baseline;
    } else if (op < 90) {
      s.keepPending();
      baseline = model;
    } else if (op < 96) {
      s.commit();
      baseline = committed = model;
      if (++reloads % 3 == 0) {
        Store reloaded(dir.file("s.db"));
        reloaded.load();
        ASSERT_EQ(held(reloaded), committed) << "step " << step;
        ASSERT_EQ(reloaded.size(), committed.size());
      }
    } else {
      s.setJournalLimit(rng() % 2 ? std::optional<std::size_t>(0) : std::nullopt);  // snapshots too
    }
    ASSERT_EQ(held(s), model) << "step " << step;
    ASSERT_EQ(s.size(), model.size()) << "step " << step;
    const std::string probe = keyOf();
    const auto it = model.find(probe);
    const std::string* got = s.get(probe);
    ASSERT_EQ(got != nullptr, it != model.end()) << probe << " at step " << step;
    if (got != nullptr) {
      ASSERT_EQ(*got, it->second);
    }
  }
  EXPECT_GT(reloads, 50);
}

// A writer is killed with SIGKILL at random moments while it commits large stores over
// and over; whatever it left behind must load, and hold one complete generation.
TEST(Store, AWriterKilledMidWriteAlwaysLeavesALoadableStore) {
  TempDir dir;
  const std::string path = dir.file("kill.db");
  for (int round = 0; round < 20; ++round) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      Store s(path);
      try {
        s.load();
      } catch (...) {
        _exit(3);
      }
      for (int gen = 0;; ++gen) {
        for (int i = 0; i < 2000; ++i)
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
    ASSERT_EQ(s.size(), 2000u);
    // One generation: every value equal.
    const std::string first = *s.get("key0");
    for (int i = 1; i < 2000; ++i) ASSERT_EQ(*s.get("key" + std::to_string(i)), first);
  }
}

// ---- recovery (issue 14 item 7): a damaged file is set aside whole, never half-loaded ----

namespace {

std::vector<std::string> asideFiles(const TempDir& dir, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    if (e.path().filename().string().rfind(name + ".bad-", 0) == 0)
      out.push_back(e.path().string());
  return out;
}

void writeRaw(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string goodStore() {
  TempDir d;
  Store s(d.file("s.db"));
  for (int i = 0; i < 20; ++i)
    s.set("v:Device.X." + std::to_string(i), "value-" + std::to_string(i));
  s.commit();
  return cwmpd::testing::readFile(d.file("s.db"));
}

}  // namespace

TEST(StoreRecovery, ATruncatedFileIsSetAsideWholeAndNothingOfItIsLoaded) {
  TempDir dir;
  const std::string good = goodStore();
  const std::string cut = good.substr(0, good.size() / 2);
  writeRaw(dir.file("model.db"), cut);
  Store s(dir.file("model.db"));
  EXPECT_FALSE(s.loadOrSetAside());
  EXPECT_EQ(s.size(), 0u) << "the parsed half of a truncated store must not stay in memory";
  EXPECT_FALSE(std::filesystem::exists(dir.file("model.db")));
  auto aside = asideFiles(dir, "model.db");
  ASSERT_EQ(aside.size(), 1u);
  EXPECT_EQ(cwmpd::testing::readFile(aside[0]), cut);
  // The next commit writes a fresh, loadable file.
  s.set("k", "v");
  s.commit();
  Store again(dir.file("model.db"));
  EXPECT_TRUE(again.loadOrSetAside());
  EXPECT_EQ(again.size(), 1u);
}

TEST(StoreRecovery, AZeroByteFileIsDamageNotAnEmptyStore) {
  TempDir dir;
  writeRaw(dir.file("model.db"), "");
  Store s(dir.file("model.db"));
  EXPECT_THROW(s.load(), StoreError);
  EXPECT_FALSE(s.loadOrSetAside());
  auto aside = asideFiles(dir, "model.db");
  ASSERT_EQ(aside.size(), 1u);
  EXPECT_EQ(std::filesystem::file_size(aside[0]), 0u);
}

TEST(StoreRecovery, AGarbageFileIsSetAsideAndAnEarlierOneIsNotOverwritten) {
  TempDir dir;
  writeRaw(dir.file("model.db"), std::string("\x7f"
                                             "ELF\x02\x01\x01\0\0garbage\n\n\xff\xfe",
                                             20));
  Store s(dir.file("model.db"));
  EXPECT_FALSE(s.loadOrSetAside());
  EXPECT_EQ(s.size(), 0u);
  writeRaw(dir.file("model.db"), "cwmpd-store 1\nno tab here\n");
  Store t(dir.file("model.db"));
  EXPECT_FALSE(t.loadOrSetAside());
  EXPECT_EQ(asideFiles(dir, "model.db").size(), 2u);
}

TEST(StoreRecovery, AGoodFileAndAMissingOneLoadNormally) {
  TempDir dir;
  writeRaw(dir.file("model.db"), goodStore());
  Store s(dir.file("model.db"));
  EXPECT_TRUE(s.loadOrSetAside());
  EXPECT_EQ(s.size(), 20u);
  Store none(dir.file("none.db"));
  EXPECT_TRUE(none.loadOrSetAside());
  EXPECT_TRUE(asideFiles(dir, "model.db").empty());
}

TEST(StoreLock, ASecondHolderOfTheSameDirectoryIsRefusedUntilTheFirstLetsGo) {
  TempDir dir;
  {
    cwmpd::core::StoreLock first(dir.path());
    try {
      cwmpd::core::StoreLock second(dir.path());
      ADD_FAILURE() << "two locks on one store directory";
    } catch (const StoreError& e) {
      EXPECT_NE(std::string(e.what()).find("another cwmpd"), std::string::npos) << e.what();
    }
  }
  EXPECT_NO_THROW(cwmpd::core::StoreLock again(dir.path()));
}

// ---- failed writes (issue 14): nothing lost in memory, nothing half-written, logged once ----

// A commit that writes a snapshot (every commit here: no journal); the journal's own
// failures are in store_journal_test.cpp.
TEST(StoreFailure, AFailedWriteFsyncOrRenameKeepsTheOldFileAndTheNewContentPending) {
  using Step = Store::Step;
  for (Step failing : {Step::Create, Step::Write, Step::Fsync, Step::Rename}) {
    TempDir dir;
    Store s(dir.file("s.db"));
    s.setJournalLimit(0);
    s.set("k", "old");
    s.commit();
    s.setFaultHook([failing](Step step) { return step == failing ? ENOSPC : 0; });
    s.set("k", "new");
    EXPECT_THROW(s.commit(), StoreError);
    EXPECT_FALSE(s.tryCommit());
    EXPECT_TRUE(s.dirty());
    EXPECT_EQ(*s.get("k"), "new");
    EXPECT_FALSE(std::filesystem::exists(dir.file("s.db.tmp")));
    {
      Store disk(dir.file("s.db"));
      disk.load();
      EXPECT_EQ(*disk.get("k"), "old");
    }
    s.setFaultHook({});
    EXPECT_TRUE(s.tryCommit());
    Store disk(dir.file("s.db"));
    disk.load();
    EXPECT_EQ(*disk.get("k"), "new");
  }
}

TEST(StoreFailure, RollbackDropsWhatAFailedRequestStagedButKeepsPendingOwnState) {
  TempDir dir;
  Store s(dir.file("s.db"));
  s.set("a", "1");
  s.set("gone", "x");
  s.commit();
  s.setFaultHook([](Store::Step) { return ENOSPC; });
  s.set("own", "kept");  // the agent's own state: stays pending
  EXPECT_FALSE(s.tryCommit());
  s.keepPending();
  s.set("a", "2");  // a request's change: rolled back
  s.erase("gone");
  s.set("new", "y");
  EXPECT_FALSE(s.tryCommit());
  s.rollback();
  EXPECT_EQ(*s.get("a"), "1");
  ASSERT_NE(s.get("gone"), nullptr);
  EXPECT_EQ(s.get("new"), nullptr);
  EXPECT_EQ(*s.get("own"), "kept");
  EXPECT_TRUE(s.dirty());
  s.setFaultHook({});
  s.set("b", "3");  // an unrelated later change
  s.commit();
  Store disk(dir.file("s.db"));
  disk.load();
  EXPECT_EQ(*disk.get("a"), "1") << "a failed request's value must never reach the disk";
  EXPECT_EQ(*disk.get("own"), "kept");
  EXPECT_EQ(*disk.get("b"), "3");
  EXPECT_EQ(disk.get("new"), nullptr);
}

TEST(StoreFailure, AFullDiskIsLoggedOnceAndItsEndOnce) {
  TempDir dir;
  Store s(dir.file("s.db"));
  s.setFaultHook([](Store::Step step) { return step == Store::Step::Write ? ENOSPC : 0; });
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < 5; ++i) {
    s.set("k", std::to_string(i));
    EXPECT_FALSE(s.tryCommit());
  }
  s.setFaultHook({});
  EXPECT_TRUE(s.tryCommit());
  const std::string log = ::testing::internal::GetCapturedStderr();
  auto count = [&](const std::string& needle) {
    std::size_t n = 0;
    for (auto at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("No space left on device"), 1u) << log;
  EXPECT_EQ(count("written again"), 1u) << log;
}

TEST(StoreFailure, WipeRemovesTheFileEvenWhenNothingCanBeWritten) {
  TempDir dir;
  Store s(dir.file("s.db"));
  s.set("k", "v");
  s.commit();
  s.setFaultHook([](Store::Step) { return ENOSPC; });
  s.wipe();
  EXPECT_EQ(s.size(), 0u);
  EXPECT_FALSE(std::filesystem::exists(dir.file("s.db")));
}

// Issue 16: the plugins' own files (sdk::Host::stateDir) belong to the store; a factory
// reset forgets them with the values.
TEST(Store, WipeRemovesTheAttachedDirectoriesAndLeavesTheRest) {
  namespace fs = std::filesystem;
  TempDir dir;
  Store s(dir.file("model.db"));
  s.attachDirectory(dir.file("plugins"));
  s.set("k", "v");
  s.commit();
  fs::create_directories(dir.file("plugins/pon"));
  std::ofstream(dir.file("plugins/pon/bind.state")) << "bound = 1\n";
  std::ofstream(dir.file("session.db")) << "not this store's\n";
  s.wipe();
  EXPECT_FALSE(fs::exists(dir.file("plugins")));
  EXPECT_FALSE(fs::exists(dir.file("model.db")));
  EXPECT_TRUE(fs::exists(dir.file("session.db")));
  s.wipe();  // nothing left to remove: no error
  EXPECT_EQ(s.size(), 0u);
}
