// Issue 15: the heap a big SetParameterValues holds at once. This executable replaces the
// global operator new and delete to count the bytes in use and their peak (allocations of
// C++ code only, which is all the engine and the store make), so that a transient copy
// that lives only inside one call (a journal record copied behind its header, a list
// grown by doubling) is seen too.
#include <gtest/gtest.h>
#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "cwmpd/core/engine.hpp"
#include "cwmpd/core/store.hpp"
#include "test_support.hpp"

namespace {

std::atomic<std::size_t> gInUse{0};
std::atomic<std::size_t> gPeak{0};

void counted(void* p) {
  const std::size_t now = gInUse += malloc_usable_size(p);
  std::size_t peak = gPeak.load();
  while (now > peak && !gPeak.compare_exchange_weak(peak, now)) {
  }
}

}  // namespace

void* operator new(std::size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  counted(p);
  return p;
}

void operator delete(void* p) noexcept {
  if (p == nullptr) return;
  gInUse -= malloc_usable_size(p);
  std::free(p);
}

void operator delete(void* p, std::size_t) noexcept { operator delete(p); }

namespace {

using cwmpd::core::Engine;
using cwmpd::core::Store;
using cwmpd::sdk::Source;

// The bytes in use now, and the peak from now on.
std::size_t startPeak() {
  gPeak = gInUse.load();
  return gInUse.load();
}

constexpr int kValues = 10000;

// A commit of 10,000 changed values holds its journal record once: it used to grow the
// payload by doubling and then copy it behind the record's header (two to three times the
// record at once).
TEST(SetMemory, ACommitHoldsItsJournalRecordOnce) {
  cwmpd::testing::TempDir dir;
  Store store(dir.file("model.db"));
  store.load();
  store.set("i:Device.Big.", "1");
  store.commit();  // the snapshot: the next commit appends a journal record
  for (int i = 0; i < kValues; ++i)
    store.set("v:Device.Big.Parameter" + std::to_string(i), "value number " + std::to_string(i));
  const std::size_t before = startPeak();
  store.commit();
  const std::size_t rise = gPeak - before;
  const auto record = std::filesystem::file_size(store.journalPath());
  ASSERT_GT(record, std::uintmax_t{kValues} * 40);
  EXPECT_LT(rise, record + record / 4) << "peak heap rise of the commit " << rise
                                       << " bytes for a journal of " << record << " bytes";
}

std::string bigModel() {
  std::string object =
      R"(<object name="Device.Big." access="readOnly" minEntries="1" maxEntries="1">)";
  for (int i = 0; i < kValues; ++i)
    object += R"(<parameter name="Parameter)" + std::to_string(i) +
              R"(" access="readWrite"><syntax><string/></syntax></parameter>)";
  object += "</object>";
  std::string doc = cwmpd::testing::testModel();
  const std::string model = R"(<model name="Device:2.17">)";
  doc.insert(doc.find(model) + model.size(), object);
  return doc;
}

// While the change listeners of a set of 10,000 values run, the engine holds the list it
// gives them and nothing else of the request: the staged changes (new and old values) and
// a copy of every name (the duplicate check) were held beside it.
TEST(SetMemory, ABigSetHoldsOnlyItsChangeListWhileTheListenersRun) {
  cwmpd::testing::TempDir dir;
  Store store(dir.file("model.db"));
  Engine engine("Device", store);
  engine.addDefinitions(bigModel());
  engine.finalize();
  std::vector<std::pair<std::string, std::string>> values;
  values.reserve(kValues);
  std::size_t listBytes = 0;  // the change list the listeners get
  for (int i = 0; i < kValues; ++i) {
    values.emplace_back("Device.Big.Parameter" + std::to_string(i),
                        "a value longer than a short string " + std::to_string(i));
    listBytes += sizeof(cwmpd::core::CommittedChange) +
                 malloc_usable_size(values.back().first.data()) +
                 malloc_usable_size(values.back().second.data());
  }
  std::size_t atListeners = 0;
  std::size_t changes = 0;
  engine.addChangeListener([&](const std::vector<cwmpd::core::CommittedChange>& c, Source) {
    atListeners = gInUse;
    changes = c.size();
  });
  const std::size_t before = startPeak();
  engine.setValues(values, Source::Acs);
  const std::size_t after = gInUse;
  const std::size_t peak = gPeak;
  ASSERT_EQ(changes, std::size_t{kValues});
  // What stays (the tree's and the store's new values) is in `after`; what the set held
  // beyond it while the listeners ran is the change list alone.
  EXPECT_LT(atListeners - after, listBytes + listBytes / 4)
      << "held while the listeners run " << (atListeners - after) << " bytes, change list "
      << listBytes;
  std::cerr << "before " << before << " peak " << peak << " after " << after << " listeners "
            << atListeners << " list " << listBytes << "\n";
}

}  // namespace
