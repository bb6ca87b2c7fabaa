#pragma once
// What the daemon keeps resident between its requests (issue 15 item 3).
#include <cstddef>

namespace cwmpd::core {

struct ReleasedPages {
  std::size_t mappings = 0;  // mappings whose pages were dropped
  std::size_t kb = 0;        // resident kB they held
};

// Drops from this process's page tables the resident pages of its files that it never
// wrote to: the code and read-only data of the program and its libraries that start-up
// touched (the loader's relocations, the libraries' constructors, Xerces-C's and ICU's
// initialisation, the plugins' registration, the model documents' parse) and the rest of
// the process may never touch again. They stay in the page cache: what is used again comes
// back as a minor fault (the kernel maps up to 16 cached pages around each). Private
// mappings without write permission and without a private page (anonymous or swapped)
// only: a relocated read-only segment (RELRO) holds private copies and is left alone, as
// is anything writable, shared, locked or special ([vdso], [vvar]).
//
// Does nothing (returns zeros) while the process has more than one thread: another thread
// could dlopen or dlclose between the read of /proc/self/smaps and the advice, and a range
// read as a clean file mapping could by then hold a library's relocated data.
ReleasedPages releaseCleanFilePages();

}  // namespace cwmpd::core
