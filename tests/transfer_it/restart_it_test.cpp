// Restarts never cut a session with the ACS (core/restart_gate.hpp): the real daemon on
// the sim HAL, a private D-Bus and the loopback test ACS, which holds the session open
// while the test asks for a reboot over D-Bus (`cwmpctl reboot`).
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "it_support.hpp"

namespace cwmpd::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class RestartIt : public DaemonIt {
 protected:
  void SetUp() override {
    DaemonIt::SetUp();
    bus_ = std::make_unique<PrivateDbus>(dir_);
    daemon_->set("bus", "address", bus_->address());
    daemon_->set("cpe", "connection_request_min_interval", "0");
  }
  void TearDown() override {
    DaemonIt::TearDown();
    bus_.reset();
  }
  void kick() {
    auto r = acs_->connectionRequest(daemon_->connectionRequestUrl(), "cr-user", "cr-secret");
    EXPECT_EQ(r.get<std::string>("status", ""), "200");
  }
  // Waits for a session after the first `before` ones whose Inform carries `code`.
  bool waitInformWith(std::size_t before, const std::string& code) {
    for (auto end = std::chrono::steady_clock::now() + 20s; std::chrono::steady_clock::now() < end;
         std::this_thread::sleep_for(50ms)) {
      const auto all = acs_->sessions();
      for (std::size_t i = before; i < all.size(); ++i) {
        const auto codes = eventCodes(all[i].get<std::string>("inform", ""));
        if (std::find(codes.begin(), codes.end(), code) != codes.end()) return true;
      }
    }
    return false;
  }

  std::unique_ptr<PrivateDbus> bus_;
};

TEST_F(RestartIt, ARebootAskedOverDbusDuringASessionWaitsForItsEnd) {
  daemon_->start();
  ASSERT_TRUE(waitSessions(1, 15s));
  // The next session stays open: the ACS holds its answer to the CPE's empty POST.
  acs_->addResponses(R"([{"match": "", "hold": "session", "pass": true}])");
  const std::size_t held = acs_->sessions().size();
  kick();
  ASSERT_TRUE(acs_->waitFor("held", 1, 15s)) << "the session never reached its empty POST";

  const std::size_t mark = daemon_->logSize();
  const auto [code, out] = runCwmpctl(bus_->address(), {"reboot"});
  ASSERT_EQ(code, 0) << out;
  // Accepted, and waiting: no reboot yet, the session still open.
  ASSERT_TRUE(daemon_->waitForLog("reboot waits for the end of the session", 5s, mark));
  EXPECT_FALSE(fs::exists(daemon_->simDir() + "/run/reboots"));
  ASSERT_EQ(acs_->sessions().size(), held + 1);
  EXPECT_NE(acs_->sessions().back().get<std::string>("end", ""), "204");

  acs_->release("session");
  ASSERT_TRUE(waitInformWith(held + 1, "1 BOOT")) << "no Inform with 1 BOOT after the reboot";
  EXPECT_TRUE(fs::exists(daemon_->simDir() + "/run/reboots"));
  const auto sessions = acs_->sessions();
  EXPECT_EQ(sessions[held].get<std::string>("end", ""), "204");
  EXPECT_GE(sessions[held + 1].get<double>("started", 0),
            sessions[held].get<double>("ended", 1e18));
}

TEST_F(RestartIt, ARebootAskedOverDbusOutsideASessionHappensAtOnce) {
  daemon_->start();
  ASSERT_TRUE(waitSessions(1, 15s));
  const std::size_t before = acs_->sessions().size();
  const auto [code, out] = runCwmpctl(bus_->address(), {"reboot"});
  ASSERT_EQ(code, 0) << out;
  ASSERT_TRUE(waitInformWith(before, "1 BOOT"));
  EXPECT_TRUE(fs::exists(daemon_->simDir() + "/run/reboots"));
}

}  // namespace
}  // namespace cwmpd::test
