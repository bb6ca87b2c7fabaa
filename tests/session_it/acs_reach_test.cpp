// How the ACS reaches the agent and where the agent follows the ACS (issue 13, items 3
// and 11): ConnectionRequestURL names the address of the agent's own connection to the
// ACS and follows its changes; the Inform's WAN address is the upstream interface's; a
// redirect from https to plain http fails the session. The real daemon, loopback ACSs.
#include <gtest/gtest.h>

#include <algorithm>

#include "it_support.hpp"

namespace cwmpd::test {
namespace {

using namespace std::chrono_literals;

const std::string kCrUrl = "Device.ManagementServer.ConnectionRequestURL";

// Options of a plain HTTP test ACS on `address`.
TestAcsOptions listeningOn(const std::string& address) {
  TestAcsOptions options;
  options.address = address;
  return options;
}

std::string publishedUrl(const std::string& inform) {
  return parameterValue(inform, kCrUrl).value_or("");
}

bool accepted(const Json& answer) {
  const int status = answer.get<int>("status", 0);
  return status == 200 || status == 204;
}

class ConnectionRequestUrlInTheInform : public DaemonIt {
 protected:
  void SetUp() override {
    DaemonIt::SetUp();
    // The server listens on every address (ephemeral port), as on a box: the URL must
    // then name the address the ACS reaches the agent at, not a configured one.
    daemon_->set("cpe", "connection_request_address", "");
    daemon_->set("cpe", "connection_request_host", "");
  }
};

TEST_F(ConnectionRequestUrlInTheInform, NamesTheAgentsAddressOnItsConnectionToAnIpv4Acs) {
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  const std::string url = publishedUrl(informs(*acs_).at(0));
  EXPECT_EQ(url.rfind("http://127.0.0.1:", 0), 0u) << url;
  EXPECT_TRUE(accepted(acs_->connectionRequest(url, "cr-user", "cr-secret")));
  EXPECT_TRUE(waitSessions(2));
}

TEST_F(ConnectionRequestUrlInTheInform, NamesTheAgentsIpv6AddressInBracketsForAnIpv6Acs) {
  restartAcs(listeningOn("::1"));
  daemon_->set("acs", "url", acs_->url());
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  // Right from the first Inform: the route towards the ACS is probed before it is built.
  const std::string url = publishedUrl(informs(*acs_).at(0));
  EXPECT_EQ(url.rfind("http://[::1]:", 0), 0u) << url;
  EXPECT_TRUE(accepted(acs_->connectionRequest(url, "cr-user", "cr-secret")));
  EXPECT_TRUE(waitSessions(2));
}

TEST_F(ConnectionRequestUrlInTheInform, NamesTheAgentsAddressTowardsAnAcsNamedByAHostName) {
  // The name is resolved (off the main loop) before the first Inform is built.
  daemon_->set("acs", "url", "http://localhost:" + std::to_string(acs_->port()) + "/acs");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  const std::string url = publishedUrl(informs(*acs_).at(0));
  EXPECT_EQ(url.rfind("http://127.0.0.1:", 0), 0u) << url;
}

TEST_F(ConnectionRequestUrlInTheInform, ANewLocalAddressTowardsTheAcsIsNotifiedWithTheNextInform) {
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  const std::string before = publishedUrl(informs(*acs_).at(0));
  ASSERT_EQ(before.rfind("http://127.0.0.1:", 0), 0u) << before;

  // The ACS now sends the agent on to a node it reaches over IPv6: the agent's address on
  // its connection to the ACS becomes ::1.
  TestAcs node(listeningOn("::1"));
  acs_->configure("{\"redirect_url\": " + jsonQuote(node.url("/acs")) + "}");
  ASSERT_TRUE(accepted(acs_->connectionRequest(before, "cr-user", "cr-secret")));

  // ConnectionRequestURL is forced active (TR-069 3.2.1): its change makes one more
  // session, whose Inform carries the new URL with "4 VALUE CHANGE".
  ASSERT_TRUE(node.waitFor("ended_sessions", 2, 10s));
  const std::string inform = informs(node).at(1);
  const std::string after = publishedUrl(inform);
  EXPECT_EQ(after.rfind("http://[::1]:", 0), 0u) << after;
  EXPECT_EQ(after.substr(after.rfind(':')), before.substr(before.rfind(':')))
      << "same port and path";
  const auto codes = eventCodes(inform);
  EXPECT_NE(std::find(codes.begin(), codes.end(), "4 VALUE CHANGE"), codes.end());
  EXPECT_TRUE(everyMessageValid(node));
}

TEST_F(ConnectionRequestUrlInTheInform, NamesTheConfiguredInterfacesAddress) {
  daemon_->set("cpe", "connection_request_interface", "lo");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  const std::string url = publishedUrl(informs(*acs_).at(0));
  EXPECT_EQ(url.rfind("http://127.0.0.1:", 0), 0u) << url;
}

class AcsReach : public DaemonIt {};

TEST_F(AcsReach, InformCarriesTheAddressOfTheUpstreamIpInterfaceWhateverItsNumber) {
  // eth1 (192.168.1.1 on the sim box) is the WAN: its IP.Interface row is Upstream,
  // and it is not row 1 (eth0 sorts first).
  daemon_->set("wan", "interface", "eth1");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  const std::string inform = informs(*acs_).at(0);
  EXPECT_EQ(parameterValue(inform, "Device.IP.Interface.2.IPv4Address.1.IPAddress"), "192.168.1.1")
      << inform;
  EXPECT_FALSE(parameterValue(inform, "Device.IP.Interface.1.IPv4Address.1.IPAddress"));
}

TEST_F(AcsReach, AnHttpsAcsRedirectingToPlainHttpFailsTheSessionAndNothingGoesOutInPlaintext) {
  const std::string ca = dir_ + "/ca";
  makeTestCa(ca);
  TestAcsOptions tls;
  tls.tlsCert = ca + "/server.pem";
  tls.tlsKey = ca + "/server.key";
  restartAcs(tls);
  TestAcs plain;
  acs_->configure("{\"redirect_url\": " + jsonQuote(plain.url("/acs")) + "}");
  daemon_->set("acs", "url", acs_->url());
  daemon_->set("acs", "ca_file", ca + "/ca.pem");
  daemon_->start();
  ASSERT_TRUE(daemon_->waitForLog("Inform failed", 10s));
  EXPECT_NE(daemon_->log().find("continue the session over plain HTTP"), std::string::npos);
  EXPECT_TRUE(plain.requests().empty()) << "the Inform went out in plaintext";
  EXPECT_TRUE(acs_->sessions().empty());
}

}  // namespace
}  // namespace cwmpd::test
