// The heap a test's process has allocated, for the tests that bound what a piece of code
// holds (decoder, streamed parsing, session). One definition so that every such test counts
// the same thing in every build:
// - glibc: mallinfo2()'s bytes in use in the arenas (uordblks) PLUS the blocks it mapped on
//   their own (hblkhd): a block above the mmap threshold (128 KiB by default, e.g. a
//   megabyte string) is only in the second, so counting uordblks alone does not see it;
// - AddressSanitizer: malloc is ASan's and mallinfo2() reports nothing at all, so a bound
//   on it passes whatever the code holds; ASan's allocator counts its own.
#pragma once

#include <malloc.h>

#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
// libasan's allocator interface (gcc ships no header for it).
extern "C" std::size_t
__sanitizer_get_current_allocated_bytes();  // NOLINT(bugprone-reserved-identifier)
#endif

namespace cwmpd::test {

inline std::size_t heapInUse() {
#if defined(__SANITIZE_ADDRESS__)
  return __sanitizer_get_current_allocated_bytes();
#else
  const auto m = mallinfo2();
  return m.uordblks + m.hblkhd;
#endif
}

}  // namespace cwmpd::test
