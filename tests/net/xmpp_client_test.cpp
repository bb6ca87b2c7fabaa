// The pure rules of the XMPP client (core/src/net/xmpp_client.cpp): the reconnection
// wait bounds of TR-181 XMPP.Connection.{i}.ServerRetry* and the ConnReqAllowedJabberIDs
// match of TR-069 Annex K; and that libstrophe is loaded only when a client starts.
#include "cwmpd/core/net/xmpp_client.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <string>

#include "../support/loopback_port.hpp"

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

// Whether a file whose name contains `library` is mapped into this process.
bool mapped(const std::string& library) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line))
    if (line.find(library) != std::string::npos) return true;
  return false;
}

// Issue 15 item 3: linked, libstrophe and what it links (OpenSSL's libssl, expat) were
// mapped into every daemon, ~0.4 MB resident, although most configurations have no XMPP.
// A client loads it when it starts, and then works: here its first attempt finds nobody
// on the port and ends.
TEST(XmppClientLoading, LibstropheIsMappedOnlyOnceAClientStarts) {
  EXPECT_FALSE(mapped("libstrophe.so"));
  EXPECT_FALSE(mapped("libssl.so"));

  XmppSettings settings;
  settings.username = "cpe";
  settings.password = "secret";
  settings.domain = "cwmp.test";
  settings.servers = {{"127.0.0.1", cwmpd::testing::unusedLoopbackPort(SOCK_STREAM)}};
  std::mutex m;
  std::condition_variable cv;
  bool attemptEnded = false;
  XmppClient client(
      settings, {},
      [&](const XmppStatus& s) {
        std::lock_guard<std::mutex> lock(m);
        if (s.state != XmppState::Connecting) attemptEnded = true;
        cv.notify_all();
      },
      [](const std::string&, bool) {});
  EXPECT_FALSE(mapped("libstrophe.so"));  // made, not started
  client.start();
  {
    std::unique_lock<std::mutex> lock(m);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return attemptEnded; }))
        << "the client's first attempt never ended";
  }
  client.stop();
  EXPECT_TRUE(mapped("libstrophe.so"));
}

}  // namespace
}  // namespace cwmpd::core::net
