#include "cwmpd/core/resident_memory.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace cwmpd::core {

namespace {

struct Mapping {
  std::uintptr_t start = 0, end = 0;
  bool cleanFileCandidate = false;  // private, not writable, a file's
  std::size_t residentKb = 0;
  std::size_t privateKb = 0;  // Anonymous + Swap: pages that are no longer the file's
  bool locked = false;
};

// The kB of a "Name:   123 kB" line of smaps.
std::size_t kbOf(std::string_view line) {
  const auto colon = line.find(':');
  return std::strtoull(std::string(line.substr(colon + 1)).c_str(), nullptr, 10);
}

// "start-end perms offset dev inode [path]": the first field holds a '-' and no ':'
// (the other lines start with "Name:").
bool isMappingHeader(std::string_view line) {
  const auto space = line.find(' ');
  if (space == std::string_view::npos) return false;
  const std::string_view range = line.substr(0, space);
  return range.find('-') != std::string_view::npos && range.find(':') == std::string_view::npos;
}

std::vector<Mapping> readMappings() {
  std::vector<Mapping> maps;
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  while (std::getline(smaps, line)) {
    const std::string_view l(line);
    if (isMappingHeader(l)) {
      Mapping m;
      char* end = nullptr;
      m.start = std::strtoull(line.c_str(), &end, 16);
      m.end = std::strtoull(end + 1, nullptr, 16);
      const std::string_view perms = l.substr(l.find(' ') + 1, 4);
      // Only files have a path (the special mappings are "[name]"); 'p': private.
      m.cleanFileCandidate = perms.size() == 4 && perms[1] == '-' && perms[3] == 'p' &&
                             l.find(" /") != std::string_view::npos;
      maps.push_back(m);
      continue;
    }
    if (maps.empty()) continue;
    Mapping& m = maps.back();
    if (l.starts_with("Rss:"))
      m.residentKb = kbOf(l);
    else if (l.starts_with("Anonymous:") || l.starts_with("Swap:"))
      m.privateKb += kbOf(l);
    else if (l.starts_with("Locked:"))
      m.locked = kbOf(l) > 0;
  }
  return maps;
}

std::size_t threadCount() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("Threads:")) return std::strtoull(line.c_str() + 8, nullptr, 10);
  return 0;  // unknown: as good as many
}

}  // namespace

ReleasedPages releaseCleanFilePages() {
  ReleasedPages out;
  if (threadCount() != 1) return out;
  for (const Mapping& m : readMappings()) {
    if (!m.cleanFileCandidate || m.residentKb == 0 || m.privateKb > 0 || m.locked) continue;
    // On a private file mapping, MADV_DONTNEED only unmaps: the next access reads the
    // page cache again (private copies would be lost, hence privateKb above).
    // NOLINTNEXTLINE(performance-no-int-to-ptr): an address the kernel listed in smaps
    if (::madvise(reinterpret_cast<void*>(m.start), m.end - m.start, MADV_DONTNEED) != 0) continue;
    ++out.mappings;
    out.kb += m.residentKb;
  }
  return out;
}

}  // namespace cwmpd::core
