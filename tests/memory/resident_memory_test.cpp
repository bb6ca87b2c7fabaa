// releaseCleanFilePages(): the daemon drops, after its start-up, the resident pages of its
// files that it never wrote (issue 15 item 3). Checked on mappings of a file of our own.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "cwmpd/core/resident_memory.hpp"

namespace {

constexpr std::size_t kPages = 64;

// A temporary file of kPages pages, page i filled with the byte 'a' + i % 26.
class PageFile {
 public:
  PageFile() {
    char name[] = "/tmp/cwmpd-resident-XXXXXX";
    fd_ = ::mkstemp(name);
    path_ = name;
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    size_ = kPages * page;
    std::string bytes;
    for (std::size_t i = 0; i < kPages; ++i) bytes.append(page, static_cast<char>('a' + i % 26));
    EXPECT_EQ(::write(fd_, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  PageFile(const PageFile&) = delete;
  PageFile& operator=(const PageFile&) = delete;
  ~PageFile() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  // A private mapping of the whole file, every page read (or written) once.
  [[nodiscard]] char* map(int protection) const {
    void* p = ::mmap(nullptr, size_, protection, MAP_PRIVATE, fd_, 0);
    EXPECT_NE(p, MAP_FAILED);
    auto* bytes = static_cast<char*>(p);
    volatile char sum = 0;
    for (std::size_t i = 0; i < size_; i += 4096) sum = static_cast<char>(sum + bytes[i]);
    return bytes;
  }
  [[nodiscard]] std::size_t size() const { return size_; }

 private:
  int fd_ = -1;
  std::string path_;
  std::size_t size_ = 0;
};

// Resident kB of the mapping that starts at `start`, from /proc/self/smaps.
std::size_t residentKb(const void* start) {
  std::ostringstream hex;
  hex << std::hex << reinterpret_cast<std::uintptr_t>(start) << '-';
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inMapping = false;
  while (std::getline(smaps, line)) {
    if (line.rfind(hex.str(), 0) == 0) {
      inMapping = true;
    } else if (inMapping && line.rfind("Rss:", 0) == 0) {
      return std::strtoull(line.c_str() + 4, nullptr, 10);
    }
  }
  ADD_FAILURE() << "no mapping at " << hex.str();
  return 0;
}

TEST(ResidentMemory, DropsTheReadPagesOfAReadOnlyFileMappingAndReadsThemAgainUnchanged) {
  PageFile file;
  char* text = file.map(PROT_READ);
  ASSERT_GE(residentKb(text), kPages * 4);

  const cwmpd::core::ReleasedPages released = cwmpd::core::releaseCleanFilePages();

  EXPECT_EQ(residentKb(text), 0U);
  EXPECT_GE(released.kb, kPages * 4);
  EXPECT_GE(released.mappings, 1U);
  for (std::size_t i = 0; i < kPages; ++i)
    ASSERT_EQ(text[i * 4096 + 17], static_cast<char>('a' + i % 26)) << "page " << i;
  ::munmap(text, file.size());
}

TEST(ResidentMemory, KeepsAReadOnlyMappingThatHoldsPrivateCopiesLikeARelocatedSegment) {
  PageFile file;
  // What the loader does to a RELRO segment: written privately, then made read-only.
  char* relro = file.map(PROT_READ | PROT_WRITE);
  relro[5 * 4096] = 'Z';
  ASSERT_EQ(::mprotect(relro, file.size(), PROT_READ), 0);

  (void)cwmpd::core::releaseCleanFilePages();

  // Dropped, the page would read the file's 'f' again.
  EXPECT_EQ(relro[5 * 4096], 'Z');
  EXPECT_GE(residentKb(relro), kPages * 4);
  ::munmap(relro, file.size());
}

TEST(ResidentMemory, LeavesWritableMappingsAndTheHeapAlone) {
  PageFile file;
  char* data = file.map(PROT_READ | PROT_WRITE);
  data[3 * 4096] = 'W';
  std::string heap(1 << 20, 'h');

  (void)cwmpd::core::releaseCleanFilePages();

  EXPECT_EQ(data[3 * 4096], 'W');
  EXPECT_GE(residentKb(data), kPages * 4);
  EXPECT_EQ(heap.find_first_not_of('h'), std::string::npos);
  ::munmap(data, file.size());
}

TEST(ResidentMemory, DoesNothingWhileAnotherThreadRuns) {
  PageFile file;
  char* text = file.map(PROT_READ);
  std::atomic<bool> done{false};
  std::thread other([&done] {
    while (!done) std::this_thread::yield();
  });

  const cwmpd::core::ReleasedPages released = cwmpd::core::releaseCleanFilePages();
  done = true;
  other.join();

  EXPECT_EQ(released.mappings, 0U);
  EXPECT_EQ(released.kb, 0U);
  EXPECT_GE(residentKb(text), kPages * 4);
  ::munmap(text, file.size());
}

}  // namespace
