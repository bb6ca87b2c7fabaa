// Connection Requests against the real cwmpd and the loopback test ACS (issue 13): an
// operator's back-to-back tasks each get their session, a flood gets a few, and a
// request during the retry wait ends it.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <thread>
#include <vector>

#include "it_support.hpp"

namespace cwmpd::test {
namespace {

using namespace std::chrono_literals;

const char* const kGetSerialNumber =
    "<cwmp:GetParameterValues><ParameterNames soap-enc:arrayType=\"xsd:string[1]\">"
    "<string>Device.DeviceInfo.SerialNumber</string></ParameterNames></cwmp:GetParameterValues>";
const char* const kGetSoftwareVersion =
    "<cwmp:GetParameterValues><ParameterNames soap-enc:arrayType=\"xsd:string[1]\">"
    "<string>Device.DeviceInfo.SoftwareVersion</string></ParameterNames></cwmp:GetParameterValues>";

long occurrences(const std::vector<std::string>& codes, const std::string& code) {
  return std::count(codes.begin(), codes.end(), code);
}

class ConnectionRequests : public DaemonIt {
 protected:
  // Starts the daemon and waits for its boot session.
  void startDaemon() {
    daemon_->start();
    ASSERT_TRUE(waitSessions(1));
    url_ = daemon_->connectionRequestUrl();
    ASSERT_FALSE(url_.empty());
  }
  int connectionRequest() {
    return acs_->connectionRequest(url_, "cr-user", "cr-secret").get<int>("status", 0);
  }
  std::string url_;
};

TEST_F(ConnectionRequests, TwoRequests100msApartBothGet200AndEachTaskIsAnswered) {
  // The operator's flow (GenieACS's UI): a task, its connection request, and 100 ms later
  // the next task with its own connection request.
  ASSERT_NO_FATAL_FAILURE(startDaemon());
  acs_->addRpc(kGetSerialNumber);
  EXPECT_EQ(connectionRequest(), 200);
  std::this_thread::sleep_for(100ms);
  acs_->addRpc(kGetSoftwareVersion);
  EXPECT_EQ(connectionRequest(), 200);
  ASSERT_TRUE(waitSessions(3));
  ASSERT_TRUE(acs_->waitFor("results", 2, 10s));
  for (const auto& r : acs_->results())
    EXPECT_EQ(r.get<std::string>("method"), "GetParameterValuesResponse");
  const auto all = informs(*acs_);
  for (std::size_t i = 1; i < all.size(); ++i)
    EXPECT_EQ(occurrences(eventCodes(all[i]), "6 CONNECTION REQUEST"), 1) << "session " << i;
}

TEST_F(ConnectionRequests, ARequestWhileTheInformIsOnTheWireGetsOneMoreSessionRightAfter) {
  // The session's Inform already carries "6 CONNECTION REQUEST" when the second request
  // comes: its InformResponse must not swallow the second one.
  ASSERT_NO_FATAL_FAILURE(startDaemon());
  acs_->addResponses(R"([{"match": "Inform", "delay": 0.5, "pass": true}])");
  const auto mark = daemon_->logSize();
  EXPECT_EQ(connectionRequest(), 200);
  // The Inform is on its way; the ACS holds its answer for 0.5 s.
  ASSERT_TRUE(daemon_->waitForLog("session 2 to", 5s, mark));
  EXPECT_EQ(connectionRequest(), 200);
  ASSERT_TRUE(waitSessions(3));
  const auto all = informs(*acs_);
  ASSERT_GE(all.size(), 3u);
  EXPECT_EQ(occurrences(eventCodes(all[1]), "6 CONNECTION REQUEST"), 1);
  EXPECT_EQ(occurrences(eventCodes(all[2]), "6 CONNECTION REQUEST"), 1);
}

TEST_F(ConnectionRequests, AFloodOf300In2sStartsNoMoreSessionsThanTheFloodLimitLetsThrough) {
  // The flood limit, as shipped: a burst of 5, then one request more every 2 s.
  daemon_->set("cpe", "connection_request_burst", "5");
  daemon_->set("cpe", "connection_request_min_interval", "2000");
  ASSERT_NO_FATAL_FAILURE(startDaemon());
  // 20 volleys of 15 requests, one every 100 ms: 300 requests spread over 2 s.
  std::map<std::string, int> statuses;
  const auto t0 = std::chrono::steady_clock::now();
  for (int volley = 0; volley < 20; ++volley) {
    std::this_thread::sleep_until(t0 + volley * 100ms);
    const Json answer = acs_->connectionRequest(url_, "cr-user", "cr-secret", 15);
    for (const auto& [status, n] : answer.get_child("statuses"))
      statuses[status] += n.get_value<int>();
  }
  // On a loaded machine the volleys run late: the bucket refills once per 2 s of the flood.
  const auto refills = static_cast<int>((std::chrono::steady_clock::now() - t0) / 2s);
  EXPECT_EQ(statuses["200"] + statuses["503"], 300) << "every request gets an answer";
  EXPECT_LE(statuses["200"], 5 + refills);
  EXPECT_GT(statuses["503"], 0);
  ASSERT_TRUE(waitSessions(2));
  // Nothing more is coming; give a late follow-up session the time to show itself.
  std::this_thread::sleep_for(1s);
  // Each session comes from a request let through: one that starts it, or one that came
  // during a session and asked for one more after it (how many of the burst's requests
  // find a session running depends on how fast the sessions are, so that is not counted).
  const auto sessions = acs_->sessions().size() - 1;
  EXPECT_GE(sessions, 1u);
  EXPECT_LE(sessions, static_cast<std::size_t>(statuses["200"]));
  EXPECT_TRUE(daemon_->running());
}

TEST_F(ConnectionRequests, ARequestDuringTheRetryWaitStartsTheSessionAtOnce) {
  // The boot session fails; the first retry waits CWMPRetryMinimumWaitInterval (5 s) at
  // least (TR-069 3.2.1.1). A connection request says the ACS is back: the session
  // starts now, with the events it was going to retry.
  acs_->addResponses(R"([{"match": "Inform", "status": 500}])");
  daemon_->start();
  url_ = daemon_->connectionRequestUrl();
  ASSERT_FALSE(url_.empty());
  ASSERT_TRUE(daemon_->waitForLog("failed; retry 1 in", 10s));
  EXPECT_EQ(connectionRequest(), 200);
  ASSERT_TRUE(waitSessions(1, 3s)) << "the session waited for the retry timer";
  const std::string inform = informs(*acs_).at(0);
  const auto codes = eventCodes(inform);
  EXPECT_EQ(occurrences(codes, "6 CONNECTION REQUEST"), 1);
  EXPECT_EQ(occurrences(codes, "1 BOOT"), 1);
  EXPECT_EQ(retryCount(inform), 1);
}

}  // namespace
}  // namespace cwmpd::test
