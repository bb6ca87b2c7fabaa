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

}  // namespace
