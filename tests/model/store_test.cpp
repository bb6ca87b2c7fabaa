#include "cwmpd/core/store.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

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
        for (int i = 0; i < 2000; ++i) s.set("key" + std::to_string(i), std::string(40, 'a' + gen % 26) + std::to_string(gen));
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
