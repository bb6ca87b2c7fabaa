// The pure rules of the XMPP client (core/src/net/xmpp_client.cpp): the reconnection
// wait bounds of TR-181 XMPP.Connection.{i}.ServerRetry* and the ConnReqAllowedJabberIDs
// match of TR-069 Annex K.
#include "cwmpd/core/net/xmpp_client.hpp"

#include <gtest/gtest.h>

namespace cwmpd::core::net {
namespace {

TEST(XmppRetryBound, TheModelsDefaultsGiveItsTableOfMinutes) {
  // ServerConnectAttempts' description: with the defaults (60 s, 2000, 30720 s) the
  // maximum waits are 1, 2, 4, ... 256, 512, 512 minutes.
  const double minutes[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 512, 512};
  for (std::uint32_t n = 1; n <= 12; ++n)
    EXPECT_DOUBLE_EQ(xmppRetryBound(n, 60, 2000, 30720), minutes[n - 1] * 60) << "n = " << n;
}

TEST(XmppRetryBound, AMultiplierOfOneKeepsTheInitialIntervalAndHugeCountsStayBounded) {
  EXPECT_DOUBLE_EQ(xmppRetryBound(1, 1, 1000, 30720), 1);
  EXPECT_DOUBLE_EQ(xmppRetryBound(50, 1, 1000, 30720), 1);
  EXPECT_DOUBLE_EQ(xmppRetryBound(4000000000U, 65535, 65535, 30720), 30720);
  EXPECT_DOUBLE_EQ(xmppRetryBound(0, 10, 2000, 100), 10);  // n counts from 1
}

TEST(XmppJidAllowed, AnEmptyListAllowsAnyoneABareJidAnyResourceAFullJidOnlyItself) {
  EXPECT_TRUE(xmppJidAllowed("acs@example.com/x", {}));
  EXPECT_TRUE(xmppJidAllowed("acs@example.com/x", {"acs@example.com"}));
  EXPECT_TRUE(xmppJidAllowed("ACS@Example.com/x", {"acs@example.com"}));
  EXPECT_TRUE(xmppJidAllowed("acs@example.com/x", {"other@example.com", "acs@example.com/x"}));
  EXPECT_FALSE(xmppJidAllowed("acs@example.com/y", {"acs@example.com/x"}));
  EXPECT_FALSE(xmppJidAllowed("acs@example.com/X", {"acs@example.com/x"}));
  EXPECT_FALSE(xmppJidAllowed("intruder@example.com/x", {"acs@example.com"}));
  EXPECT_FALSE(xmppJidAllowed("", {"acs@example.com"}));
  EXPECT_FALSE(xmppJidAllowed("acs@example.com.evil/x", {"acs@example.com"}));
}

}  // namespace
}  // namespace cwmpd::core::net
