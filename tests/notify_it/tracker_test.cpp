// NotificationTracker in a real engine with the shipped plugins on the sim HAL, without a
// daemon: what a session engine sees through pending() and delivered().
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "cwmpd/core/notifications.hpp"
#include "harness/plugin_harness.hpp"

namespace {

using cwmpd::testing::PluginHarness;
constexpr const char* kSsid = "Device.WiFi.SSID.1.SSID";

// Issue 13 item 14: a change recorded after pending() read the value for an Inform stays
// pending when that Inform is delivered, and an active one asks for the next session.
TEST(NotificationTracker, AChangeWhileTheInformIsOnTheWireStaysPendingAndAsksForASession) {
  PluginHarness h("Device", {"deviceinfo", "management", "wifi"});
  boost::asio::io_context io;
  cwmpd::core::Store state(h.dir + "/session.db");
  state.load();
  cwmpd::core::NotificationTracker tracker(io, *h.engine, state, {});
  int requests = 0;
  h.engine->setAttributes({{kSsid, true, 2, false, {}}});
  tracker.start([&] { ++requests; });
  ASSERT_EQ(h.engine->setValues({{kSsid, "first"}}, cwmpd::sdk::Source::Bus), 0);
  EXPECT_EQ(requests, 1);
  const auto sent = tracker.pending();  // the Inform is built
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].value, "first");
  ASSERT_EQ(h.engine->setValues({{kSsid, "second"}}, cwmpd::sdk::Source::Bus), 0);  // on the wire
  tracker.delivered(sent);
  EXPECT_TRUE(tracker.hasPending());
  EXPECT_EQ(requests, 3)
      << "the second change's request went into the delivered session: asked again";
  const auto next = tracker.pending();
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].value, "second");
  tracker.delivered(next);
  EXPECT_FALSE(tracker.hasPending());
  EXPECT_EQ(requests, 3);
}

// Issue 15 (steady memory): the value the ACS set is remembered for the parameters under
// notification only, not for each of the thousands a provisioning set may carry; a
// parameter the ACS puts under notification later gets its baseline at the end of that
// session (refreshBaseline), and a change while the daemon is down is still reported.
TEST(NotificationTracker, RemembersWhatTheAcsSetOnlyForNotifiedParameters) {
  PluginHarness h("Device", {"deviceinfo", "management", "wifi"});
  boost::asio::io_context io;
  cwmpd::core::Store state(h.dir + "/session.db");
  state.load();
  constexpr const char* kOther = "Device.WiFi.SSID.2.SSID";
  auto remembered = [&](const std::string& path) -> std::string {
    const std::string* v = state.get("lv:" + path);
    return v ? *v : "<none>";
  };
  {
    cwmpd::core::NotificationTracker tracker(io, *h.engine, state, {});
    h.engine->setAttributes({{kSsid, true, 1, false, {}}});
    tracker.start([] {});
    tracker.refreshBaseline();
    ASSERT_EQ(h.engine->setValues({{kSsid, "from-acs"}, {kOther, "also-from-acs"}},
                                  cwmpd::sdk::Source::Acs),
              0);
    EXPECT_EQ(remembered(kSsid), "from-acs");
    EXPECT_EQ(remembered(kOther), "<none>") << "not under notification: nothing to compare";
    EXPECT_FALSE(tracker.hasPending()) << "the ACS's own changes do not notify";

    // Put under notification afterwards: its baseline is the value at the session's end.
    h.engine->setAttributes({{kOther, true, 1, false, {}}});
    tracker.refreshBaseline();
    EXPECT_EQ(remembered(kOther), "also-from-acs");
    tracker.stop();
  }
  // Changed while the daemon was down: reported at the next start, like before.
  ASSERT_EQ(h.engine->setValues({{kSsid, "changed-offline"}}, cwmpd::sdk::Source::Internal), 0);
  cwmpd::core::NotificationTracker again(io, *h.engine, state, {});
  again.start([] {});
  const auto pending = again.pending();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].name, kSsid);
  EXPECT_EQ(pending[0].value, "changed-offline");
}

}  // namespace
