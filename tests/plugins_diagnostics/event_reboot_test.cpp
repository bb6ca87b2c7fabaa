// "8 DIAGNOSTICS COMPLETE" does not outlive a reboot: the results it announces are not
// retained across a reboot or a restart of the daemon (the plugin keeps them in memory;
// the models' DiagnosticsState: after a reboot it reads None).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "cwmpd/core/event_queue.hpp"
#include "cwmpd/core/store.hpp"

namespace cwmpd::core {
namespace {

TEST(DiagnosticsCompleteEvent, IsDroppedAtBootButKeptUntilThen) {
  std::string dir = (std::filesystem::temp_directory_path() / "cwmpd-diag-event-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  {
    Store store(dir + "/model.db");
    store.load();
    EventQueue q(store);
    q.add("8 DIAGNOSTICS COMPLETE");
    q.add("M Reboot", "k");
  }
  Store store(dir + "/model.db");
  store.load();
  EventQueue q(store);
  EXPECT_TRUE(q.contains("8 DIAGNOSTICS COMPLETE"));  // persisted like every event until start-up
  q.booted();
  EXPECT_FALSE(q.contains("8 DIAGNOSTICS COMPLETE"));
  EXPECT_TRUE(q.contains("M Reboot"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cwmpd::core
