// The real cwmpd against the loopback test ACS (issue 4). Each test has its own temp dir,
// ACS and daemon on ephemeral ports; waits are scaled with DaemonProcess::setTimeScale.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <thread>

#include "it_support.hpp"

namespace cwmpd::test {
namespace {

using namespace std::chrono_literals;
using Codes = std::vector<std::string>;

bool has(const Codes& codes, const std::string& code) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

// Sessions the ACS recorded (ended or not): their Informs' event codes.
std::vector<Codes> sessionEvents(TestAcs& acs) {
  std::vector<Codes> out;
  for (const auto& inform : informs(acs)) out.push_back(eventCodes(inform));
  return out;
}

std::vector<Json> requestsWithMethod(TestAcs& acs, const std::string& method) {
  std::vector<Json> out;
  for (auto& r : acs.requests())
    if (r.get<std::string>("method", "") == "POST" &&
        bodyMethod(r.get<std::string>("body", "")) == method)
      out.push_back(r);
  return out;
}

bool hasEvent(const std::vector<SentEvent>& events, const std::string& code,
              const std::string& key = "") {
  return std::find(events.begin(), events.end(), SentEvent{code, key}) != events.end();
}

class Session : public DaemonIt {
 protected:
  // The ACS holds its answer to the next Inform; once the daemon logged `sessionLine`,
  // it is killed with SIGKILL, the ACS forgets everything, and the daemon starts again.
  void killDuringTheNextInform(const std::string& sessionLine) {
    acs_->addResponses(R"([{"match": "Inform", "delay": 20}])");
    // (The ACS records a delayed request only once it answers: watch the daemon's log.)
    ASSERT_TRUE(daemon_->waitForLog(sessionLine, 10s));
    std::this_thread::sleep_for(300ms);
    daemon_->kill9();
    acs_->reset();
    daemon_->start();
  }
};

TEST_F(Session, FirstStartSendsBootstrapAndBootThenARestartSendsBootOnly) {
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  EXPECT_EQ(eventCodes(informs(*acs_).at(0)), (Codes{"0 BOOTSTRAP", "1 BOOT"}));
  ASSERT_EQ(daemon_->stop(), 0);

  daemon_->start();
  ASSERT_TRUE(waitSessions(2));
  const std::string second = informs(*acs_).at(1);
  // The connection request server got another ephemeral port: ConnectionRequestURL
  // changed, and its change is always notified (TR-069 3.2.1: forced active).
  const std::string crUrl = "Device.ManagementServer.ConnectionRequestURL";
  if (parameterValue(second, crUrl) != parameterValue(informs(*acs_).at(0), crUrl))
    EXPECT_EQ(eventCodes(second), (Codes{"1 BOOT", "4 VALUE CHANGE"}));
  else
    EXPECT_EQ(eventCodes(second), (Codes{"1 BOOT"}));
}

TEST_F(Session, InformCarriesDeviceIdAndForcedInformParameters) {
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  const std::string inform = informs(*acs_).at(0);
  EXPECT_NE(inform.find("<OUI>0A5C00</OUI>"), std::string::npos) << inform;
  EXPECT_NE(inform.find("<SerialNumber>IT0000001</SerialNumber>"), std::string::npos);
  EXPECT_EQ(parameterValue(inform, "Device.DeviceInfo.SoftwareVersion"), "0.1.0");
  auto crUrl = parameterValue(inform, "Device.ManagementServer.ConnectionRequestURL");
  ASSERT_TRUE(crUrl);
  EXPECT_EQ(*crUrl, daemon_->connectionRequestUrl());
  EXPECT_EQ(retryCount(inform), 0);
  // The WAN address (eth0 of the sim box) travels with every Inform.
  EXPECT_EQ(parameterValue(inform, "Device.IP.Interface.1.IPv4Address.1.IPAddress"),
            "198.51.100.23");
}

TEST_F(Session, PeriodicInformsFollowTheScaledInterval) {
  daemon_->set("acs", "periodic_inform_enable", "true");
  daemon_->set("acs", "periodic_inform_interval", "10");
  daemon_->setTimeScale(0.05);  // every 0.5 s
  daemon_->start();
  ASSERT_TRUE(waitSessions(4, 15s));
  auto events = sessionEvents(*acs_);
  int periodic = 0;
  for (std::size_t i = 1; i < events.size(); ++i) periodic += has(events[i], "2 PERIODIC");
  EXPECT_GE(periodic, 3);
  EXPECT_FALSE(has(events[0], "2 PERIODIC"))
      << "the first Inform comes from the boot, not the timer";
}

TEST_F(Session, ScheduleInformComesBackWithScheduledAndItsCommandKey) {
  daemon_->setTimeScale(0.1);
  acs_->addRpc(
      "<cwmp:ScheduleInform><DelaySeconds>20</DelaySeconds><CommandKey>sched-1</CommandKey>"
      "</cwmp:ScheduleInform>");
  daemon_->start();
  ASSERT_TRUE(waitSessions(2, 15s));
  auto results = acs_->results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].get<std::string>("method"), "ScheduleInformResponse");
  auto events = informEvents(informs(*acs_).at(1));
  EXPECT_TRUE(hasEvent(events, "3 SCHEDULED"));
  EXPECT_TRUE(hasEvent(events, "M ScheduleInform", "sched-1"));
}

TEST_F(Session, ScheduleInformSurvivesARestart) {
  daemon_->setTimeScale(0.1);
  acs_->addRpc(
      "<cwmp:ScheduleInform><DelaySeconds>40</DelaySeconds><CommandKey>persist-me</CommandKey>"
      "</cwmp:ScheduleInform>");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  ASSERT_EQ(daemon_->stop(), 0);
  daemon_->start();
  // The BOOT session, then the scheduled one (or both merged when the timer is due first).
  ASSERT_TRUE(acs_->waitFor("ended_sessions", 3, 15s) || acs_->sessions().size() == 2);
  bool found = false;
  for (const auto& inform : informs(*acs_))
    found = found || hasEvent(informEvents(inform), "M ScheduleInform", "persist-me");
  EXPECT_TRUE(found);
}

TEST_F(Session, BasicAuthenticationResendsTheInformWithCredentials) {
  acs_->configure(R"({"auth": "basic", "username": "cpe", "password": "s3cret"})");
  daemon_->set("acs", "username", "cpe");
  daemon_->set("acs", "password", "s3cret");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  auto posts = requestsWithMethod(*acs_, "Inform");
  ASSERT_GE(posts.size(), 2u);
  EXPECT_EQ(posts[0].get<std::string>("status"), "401");
  EXPECT_EQ(posts[1].get<std::string>("headers.authorization", "").rfind("Basic ", 0), 0u);
  EXPECT_EQ(posts[1].get<std::string>("status"), "200");
}

TEST_F(Session, DigestAuthenticationResendsTheInformWithCredentials) {
  acs_->configure(R"({"auth": "digest", "username": "cpe", "password": "s3cret"})");
  daemon_->set("acs", "username", "cpe");
  daemon_->set("acs", "password", "s3cret");
  acs_->addRpc(
      "<cwmp:GetParameterValues><ParameterNames soap-enc:arrayType=\"xsd:string[1]\">"
      "<string>Device.DeviceInfo.SerialNumber</string></ParameterNames></cwmp:GetParameterValues>");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  auto posts = requestsWithMethod(*acs_, "Inform");
  ASSERT_GE(posts.size(), 2u);
  EXPECT_EQ(posts[0].get<std::string>("status"), "401");
  EXPECT_EQ(posts.back().get<std::string>("headers.authorization", "").rfind("Digest ", 0), 0u);
  EXPECT_EQ(posts.back().get<std::string>("status"), "200");
  ASSERT_EQ(acs_->results().size(), 1u);
  EXPECT_EQ(acs_->results()[0].get<std::string>("method"), "GetParameterValuesResponse");
}

TEST_F(Session, WrongCredentialsFailTheSession) {
  acs_->configure(R"({"auth": "digest", "username": "cpe", "password": "right"})");
  daemon_->set("acs", "username", "cpe");
  daemon_->set("acs", "password", "wrong");
  daemon_->start();
  ASSERT_TRUE(daemon_->waitForLog("authentication refused", 10s));
  EXPECT_TRUE(acs_->sessions().empty());
}

TEST_F(Session, CookiesSetByTheAcsAreReturnedForTheWholeSession) {
  acs_->configure(R"({"cookie": true, "require_cookie": true})");
  for (int i = 0; i < 2; ++i)
    acs_->addRpc(
        "<cwmp:GetParameterNames><ParameterPath>Device.DeviceInfo.</ParameterPath>"
        "<NextLevel>true</NextLevel></cwmp:GetParameterNames>");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  auto sessions = acs_->sessions();
  const std::string cookie = sessions.at(0).get<std::string>("cookie");
  ASSERT_EQ(acs_->results().size(), 2u);
  int afterInform = 0;
  for (auto& r : acs_->requests()) {
    if (bodyMethod(r.get<std::string>("body", "")) == "Inform") continue;
    ++afterInform;
    EXPECT_NE(r.get<std::string>("headers.cookie", "").find("session=" + cookie),
              std::string::npos);
    EXPECT_NE(r.get<std::string>("status"), "403");
  }
  // The empty POST after the InformResponse and two responses; the ACS's 204 to the
  // last response ends the session (as GenieACS does).
  EXPECT_EQ(afterInform, 3);
  EXPECT_EQ(sessions.at(0).get<std::string>("end"), "204");
}

TEST_F(Session, RedirectsAreFollowedAndTheInformResent) {
  acs_->configure(R"({"redirect_hops": 2})");
  acs_->addRpc("<cwmp:GetRPCMethods></cwmp:GetRPCMethods>");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  auto posts = requestsWithMethod(*acs_, "Inform");
  ASSERT_EQ(posts.size(), 3u);
  EXPECT_EQ(posts[2].get<std::string>("path"), "/hop/2");
  ASSERT_EQ(acs_->results().size(), 1u);
  EXPECT_EQ(acs_->results()[0].get<std::string>("method"), "GetRPCMethodsResponse");
}

TEST_F(Session, HttpsWithTheTestCaWorksAndAWrongHostNameIsRefused) {
  const std::string ca = dir_ + "/ca";
  makeTestCa(ca);
  TestAcsOptions tls;
  tls.tlsCert = ca + "/server.pem";
  tls.tlsKey = ca + "/server.key";
  restartAcs(tls);
  daemon_->set("acs", "url", acs_->url());
  daemon_->set("acs", "ca_file", ca + "/ca.pem");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  EXPECT_EQ(acs_->requests().at(0).get<std::string>("tls"), "true");
  ASSERT_EQ(daemon_->stop(), 0);

  // Same CA, but the certificate names wrong.example: no session may happen.
  tls.tlsCert = ca + "/wrong-host.pem";
  tls.tlsKey = ca + "/wrong-host.key";
  restartAcs(tls);
  daemon_->set("acs", "url", acs_->url());
  const auto mark = daemon_->logSize();
  daemon_->start();
  ASSERT_TRUE(daemon_->waitForLog("Inform failed", 10s, mark));
  EXPECT_TRUE(acs_->sessions().empty());
  bool anyPost = false;
  for (auto& r : acs_->requests()) anyPost = anyPost || r.get<std::string>("method", "") == "POST";
  EXPECT_FALSE(anyPost) << "nothing may be sent to a server with the wrong name";
}

TEST_F(Session, FailedSessionsAreRetriedWithTheSpecBackOffAndRetryCount) {
  // TR-069 3.2.1.1: retry n waits between m·(k/1000)^(n-1) and m·(k/1000)^n seconds, with
  // m = CWMPRetryMinimumWaitInterval and k = CWMPRetryIntervalMultiplier, set here by the
  // ACS to values other than the defaults so that the test shows they are honoured.
  const double scale = 0.01, m = 10, k = 3.0;
  daemon_->setTimeScale(0.01);
  daemon_->set("cpe", "connection_request_min_interval", "0");
  acs_->addRpc(
      "<cwmp:SetParameterValues><ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[2]\">"
      "<ParameterValueStruct><Name>Device.ManagementServer.CWMPRetryMinimumWaitInterval</Name>"
      "<Value xsi:type=\"xsd:unsignedInt\">10</Value></ParameterValueStruct>"
      "<ParameterValueStruct><Name>Device.ManagementServer.CWMPRetryIntervalMultiplier</Name>"
      "<Value xsi:type=\"xsd:unsignedInt\">3000</Value></ParameterValueStruct></ParameterList>"
      "<ParameterKey>retry</ParameterKey></cwmp:SetParameterValues>");
  // The failing session is a scheduled one: "3 SCHEDULED" and "M ScheduleInform" are
  // kept on failure and retried ("6 CONNECTION REQUEST" would be discarded, TR-069
  // 3.2.1.1, and nothing retried). Scaled, it comes 3 s after this session: time enough
  // for the test to queue the failures below before it starts, even on a loaded machine.
  acs_->addRpc(
      "<cwmp:ScheduleInform><DelaySeconds>300</DelaySeconds><CommandKey>retry</CommandKey>"
      "</cwmp:ScheduleInform>");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  ASSERT_EQ(acs_->results().at(0).get<std::string>("method"), "SetParameterValuesResponse");
  const auto before = requestsWithMethod(*acs_, "Inform").size();
  acs_->addResponses(R"([{"match": "Inform", "status": 500}, {"match": "Inform", "status": 500},
                         {"match": "Inform", "status": 500}])");
  ASSERT_TRUE(waitSessions(2, 15s));
  auto posts = requestsWithMethod(*acs_, "Inform");
  posts.erase(posts.begin(), posts.begin() + static_cast<std::ptrdiff_t>(before));
  ASSERT_EQ(posts.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(retryCount(posts[i].get<std::string>("body")), i);
  for (int n = 1; n <= 3; ++n) {
    const double gap = posts[n].get<double>("time") - posts[n - 1].get<double>("time");
    const double lo = m * std::pow(k, n - 1) * scale, hi = m * std::pow(k, n) * scale;
    EXPECT_GE(gap, lo - 0.02) << "retry " << n;
    EXPECT_LE(gap, hi + 0.5) << "retry " << n;
  }
  // After a success the count starts again from 0.
  acs_->connectionRequest(daemon_->connectionRequestUrl(), "cr-user", "cr-secret");
  ASSERT_TRUE(waitSessions(3));
  EXPECT_EQ(retryCount(informs(*acs_).back()), 0);
}

// Waits until the ACS received at least `count` Inform POSTs.
::testing::AssertionResult waitInforms(TestAcs& acs, std::size_t count,
                                       std::chrono::seconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (requestsWithMethod(acs, "Inform").size() < count) {
    if (std::chrono::steady_clock::now() > end)
      return ::testing::AssertionFailure()
             << "only " << requestsWithMethod(acs, "Inform").size() << " Informs";
    std::this_thread::sleep_for(20ms);
  }
  return ::testing::AssertionSuccess();
}

// Issue 13 item 10: TR-069 3.2.1.1 counts retries since the last reboot; a restart (which
// sends "1 BOOT") starts again from RetryCount 0 and the first back-off window.
TEST_F(Session, RetryCountAndBackOffStartFromZeroAfterARestart) {
  const double scale = 0.05;  // retry n waits 0.25·2^(n-1) .. 0.25·2^n s
  daemon_->setTimeScale(0.05);
  acs_->addResponses(R"([{"match": "Inform", "status": 500}, {"match": "Inform", "status": 500},
                         {"match": "Inform", "status": 500}, {"match": "Inform", "status": 500}])");
  daemon_->start();
  ASSERT_TRUE(waitInforms(*acs_, 4, 15s));
  // Four failures: the daemon now waits 2..4 s for retry 4. It restarts meanwhile.
  ASSERT_EQ(daemon_->stop(), 0);
  acs_->addResponses(R"([{"match": "Inform", "status": 500}])");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1, 15s));
  auto posts = requestsWithMethod(*acs_, "Inform");
  ASSERT_EQ(posts.size(), 6u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(retryCount(posts[i].get<std::string>("body")), i);
  EXPECT_EQ(retryCount(posts[4].get<std::string>("body")), 0)
      << "the first Inform after the restart";
  EXPECT_EQ(retryCount(posts[5].get<std::string>("body")), 1);
  const double gap = posts[5].get<double>("time") - posts[4].get<double>("time");
  EXPECT_GE(gap, 5 * scale - 0.02);
  EXPECT_LE(gap, 10 * scale + 0.5) << "the first retry after a restart waits the first window";
}

// Issue 13 item 10: an ACS that answers 503 with Retry-After (delay-seconds or HTTP-date)
// is not retried before then; the waits are scaled like every other (setTimeScale).
TEST_F(Session, A503WithRetryAfterIsNotRetriedBeforeTheTimeTheAcsAskedFor) {
  const double scale = 0.02;
  daemon_->setTimeScale(0.02);
  acs_->addResponses(R"([{"match": "Inform", "status": 503, "headers": {"Retry-After": "150"}}])");
  daemon_->start();
  ASSERT_TRUE(acs_->waitFor("requests", 1, 30s));
  // An HTTP-date in the daemon's (accelerated) time: 200 s after the retry the first
  // answer asked for, which comes 150 s after that answer.
  std::time_t later = daemon_->clockNow() + 150 + 200;
  std::tm tm{};
  gmtime_r(&later, &tm);
  char date[64];
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  acs_->addResponses(
      std::string(R"([{"match": "Inform", "status": 503, "headers": {"Retry-After": ")") + date +
      R"("}}])");
  ASSERT_TRUE(waitSessions(1, 30s));
  auto posts = requestsWithMethod(*acs_, "Inform");
  ASSERT_EQ(posts.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(retryCount(posts[i].get<std::string>("body")), i);
  const double first = posts[1].get<double>("time") - posts[0].get<double>("time");
  EXPECT_GE(first, 150 * scale - 0.05) << "Retry-After: 150";
  EXPECT_LE(first, 150 * scale + 1.0);
  // The date was 200 s after the second 503 (the back-off alone would be 10..20 s).
  const double second = posts[2].get<double>("time") - posts[1].get<double>("time");
  EXPECT_GE(second, 170 * scale) << "Retry-After: " << date;
  EXPECT_LE(second, 200 * scale + 1.0);
}

TEST_F(Session, AcsFault8005IsRetriedAtOnce) {
  acs_->configure(R"({"cpe_method_faults": {"Inform": 8005}})");
  daemon_->setTimeScale(0.05);
  daemon_->start();
  ASSERT_TRUE(acs_->waitFor("requests", 2, 10s));
  acs_->configure(R"({"cpe_method_faults": {}})");
  ASSERT_TRUE(waitSessions(1));
  // The fault came with HTTP 500 (SOAP 1.1) and was read as a fault.
  EXPECT_TRUE(daemon_->waitForLog("ACS answered the Inform with fault 8005", 1s));
}

TEST_F(Session, EventsSurviveKillDashNineMidSession) {
  daemon_->setTimeScale(0.1);
  acs_->addRpc(
      "<cwmp:ScheduleInform><DelaySeconds>10</DelaySeconds><CommandKey>survive</CommandKey>"
      "</cwmp:ScheduleInform>");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  // The scheduled session's Inform gets no answer while the daemon is killed.
  ASSERT_NO_FATAL_FAILURE(killDuringTheNextInform("session 2 to"));
  ASSERT_TRUE(waitSessions(1));
  auto events = informEvents(informs(*acs_).at(0));
  EXPECT_TRUE(hasEvent(events, "1 BOOT"));
  EXPECT_TRUE(hasEvent(events, "3 SCHEDULED"));
  EXPECT_TRUE(hasEvent(events, "M ScheduleInform", "survive"));
  EXPECT_FALSE(hasEvent(events, "0 BOOTSTRAP"));
}

TEST_F(Session, BootstrapSurvivesKillDashNineBeforeItWasAcknowledged) {
  daemon_->start();
  ASSERT_NO_FATAL_FAILURE(killDuringTheNextInform("session 1 to"));
  ASSERT_TRUE(waitSessions(1));
  EXPECT_EQ(eventCodes(informs(*acs_).at(0)), (Codes{"0 BOOTSTRAP", "1 BOOT"}));
}

TEST_F(Session, RebootRestartsTheDaemonWhichSendsBootAndMRebootWithTheKey) {
  acs_->addRpc("<cwmp:Reboot><CommandKey>rb-42</CommandKey></cwmp:Reboot>");
  daemon_->start();
  const pid_t pid = daemon_->pid();
  ASSERT_TRUE(waitSessions(2, 15s));
  EXPECT_EQ(acs_->results().at(0).get<std::string>("method"), "RebootResponse");
  EXPECT_TRUE(daemon_->waitForLog("restarting (simulated reboot)", 1s));
  EXPECT_TRUE(daemon_->running());
  EXPECT_EQ(daemon_->pid(), pid) << "the sim backend re-executes in place";
  auto events = informEvents(informs(*acs_).at(1));
  EXPECT_TRUE(hasEvent(events, "1 BOOT"));
  EXPECT_TRUE(hasEvent(events, "M Reboot", "rb-42"));
  EXPECT_FALSE(hasEvent(events, "0 BOOTSTRAP"));
}

// Issue 13 item 13: "M Reboot" announces a reboot that happened. The session with the
// Reboot fails after the RebootResponse (the ACS answers it with HTTP 500): no reboot yet, so
// the next Inform does not say "M Reboot"; the next session that ends well reboots, and the
// Inform after the reboot carries "1 BOOT" and "M Reboot" with the key.
TEST_F(Session, MRebootIsAnnouncedOnlyAfterTheRebootNotInTheRetryOfAFailedSession) {
  daemon_->setTimeScale(0.05);
  daemon_->set("cpe", "connection_request_min_interval", "0");
  acs_->addRpc("<cwmp:Reboot><CommandKey>rb-late</CommandKey></cwmp:Reboot>");
  acs_->addResponses(R"([{"match": "RebootResponse", "status": 500}])");
  daemon_->start();
  ASSERT_TRUE(daemon_->waitForLog("session 1 failed", 10s));
  // A retry with no event left may not be started at all (nothing to tell): the ACS asks.
  acs_->connectionRequest(daemon_->connectionRequestUrl(), "cr-user", "cr-secret");
  const auto end = std::chrono::steady_clock::now() + 20s;
  std::vector<std::vector<SentEvent>> sent;
  auto rebootAnnounced = [&] {
    sent.clear();
    for (const auto& inform : informs(*acs_)) sent.push_back(informEvents(inform));
    return !sent.empty() && hasEvent(sent.back(), "M Reboot", "rb-late");
  };
  while (!rebootAnnounced() && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(rebootAnnounced());
  ASSERT_GE(sent.size(), 3u) << "the Reboot's session, the next one, the one after the reboot";
  for (std::size_t i = 0; i + 1 < sent.size(); ++i)
    EXPECT_FALSE(hasEvent(sent[i], "M Reboot", "rb-late"))
        << "Inform " << i << " came before the reboot";
  EXPECT_TRUE(hasEvent(sent.back(), "1 BOOT"));
  EXPECT_TRUE(daemon_->waitForLog("restarting (simulated reboot)", 1s));
}

TEST_F(Session, FactoryResetWipesTheStoreAndComesBackWithBootstrap) {
  acs_->addRpc(
      "<cwmp:SetParameterValues><ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[1]\">"
      "<ParameterValueStruct><Name>Device.DeviceInfo.ProvisioningCode</Name>"
      "<Value xsi:type=\"xsd:string\">SET-BY-ACS</Value></ParameterValueStruct></ParameterList>"
      "<ParameterKey>pk1</ParameterKey></cwmp:SetParameterValues>");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  ASSERT_EQ(daemon_->stop(), 0);
  daemon_->start();
  ASSERT_TRUE(waitSessions(2));
  EXPECT_EQ(parameterValue(informs(*acs_).at(1), "Device.DeviceInfo.ProvisioningCode"),
            "SET-BY-ACS");
  EXPECT_TRUE(has(eventCodes(informs(*acs_).at(1)), "1 BOOT"));
  EXPECT_FALSE(has(eventCodes(informs(*acs_).at(1)), "0 BOOTSTRAP"));

  acs_->addRpc("<cwmp:FactoryReset></cwmp:FactoryReset>");
  auto cr = acs_->connectionRequest(daemon_->connectionRequestUrl(), "cr-user", "cr-secret");
  ASSERT_TRUE(waitSessions(4, 15s));
  const std::string after = informs(*acs_).at(3);
  EXPECT_TRUE(has(eventCodes(after), "0 BOOTSTRAP"));
  EXPECT_NE(parameterValue(after, "Device.DeviceInfo.ProvisioningCode"), "SET-BY-ACS");
}

TEST_F(Session, ConnectionRequestWithRightCredentialsStartsASession) {
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  auto r = acs_->connectionRequest(daemon_->connectionRequestUrl(), "cr-user", "cr-secret");
  const int status = r.get<int>("status", 0);
  EXPECT_TRUE(status == 200 || status == 204) << status;
  ASSERT_TRUE(waitSessions(2));
  EXPECT_TRUE(has(eventCodes(informs(*acs_).at(1)), "6 CONNECTION REQUEST"));
}

TEST_F(Session, ConnectionRequestWithWrongCredentialsIsRefused) {
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  auto r = acs_->connectionRequest(daemon_->connectionRequestUrl(), "cr-user", "not-it");
  EXPECT_EQ(r.get<int>("status", 0), 401);
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(acs_->sessions().size(), 1u);
}

TEST_F(Session, ConnectionRequestCredentialsSetByTheAcsApplyAtOnce) {
  acs_->addRpc(
      "<cwmp:SetParameterValues><ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[2]\">"
      "<ParameterValueStruct><Name>Device.ManagementServer.ConnectionRequestPassword</Name>"
      "<Value xsi:type=\"xsd:string\">new-pass</Value></ParameterValueStruct>"
      "<ParameterValueStruct><Name>Device.ManagementServer.ConnectionRequestUsername</Name>"
      "<Value xsi:type=\"xsd:string\">new-user</Value></ParameterValueStruct></ParameterList>"
      "<ParameterKey>creds</ParameterKey></cwmp:SetParameterValues>");
  daemon_->set("cpe", "connection_request_min_interval", "0");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  ASSERT_EQ(acs_->results().at(0).get<std::string>("method"), "SetParameterValuesResponse");
  const std::string url = daemon_->connectionRequestUrl();
  EXPECT_EQ(acs_->connectionRequest(url, "cr-user", "cr-secret").get<int>("status", 0), 401);
  const int status = acs_->connectionRequest(url, "new-user", "new-pass").get<int>("status", 0);
  EXPECT_TRUE(status == 200 || status == 204) << status;
  ASSERT_TRUE(waitSessions(2));
}

TEST_F(Session, HostileXmlFromTheAcsClosesTheSessionAndTheDaemonLivesOn) {
  acs_->addRpc(
      R"(<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>)"
      R"(<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/" )"
      R"(xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><soap-env:Header><cwmp:ID soap-env:mustUnderstand="1">x)"
      R"(</cwmp:ID></soap-env:Header><soap-env:Body><cwmp:GetParameterNames><ParameterPath>&b;)"
      R"(</ParameterPath><NextLevel>true</NextLevel></cwmp:GetParameterNames></soap-env:Body>)"
      R"(</soap-env:Envelope>)");
  daemon_->set("cpe", "connection_request_min_interval", "0");
  daemon_->setTimeScale(0.1);  // the refused session is retried
  daemon_->start();
  ASSERT_TRUE(daemon_->waitForLog("refusing a hostile message", 10s));
  EXPECT_TRUE(daemon_->running());
  EXPECT_TRUE(acs_->results().empty());
  // Still manageable: a connection request gets a normal session.
  auto r = acs_->connectionRequest(daemon_->connectionRequestUrl(), "cr-user", "cr-secret");
  EXPECT_TRUE(r.get<int>("status", 0) == 200 || r.get<int>("status", 0) == 204);
  ASSERT_TRUE(waitSessions(1));
}

TEST_F(Session, SigtermDuringASessionWithASlowAcsExitsWithinAFewSeconds) {
  acs_->addResponses(R"([{"match": "Inform", "delay": 30}])");
  daemon_->set("acs", "timeout", "60");
  daemon_->start();
  ASSERT_TRUE(daemon_->waitForLog("session 1 to", 10s));
  std::this_thread::sleep_for(300ms);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(daemon_->stop(10s), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

TEST_F(Session, AnAcsUrlChangedByTheAcsGetsABootstrapInANewSession) {
  TestAcs second;
  acs_->addRpc(
      "<cwmp:SetParameterValues><ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[1]\">"
      "<ParameterValueStruct><Name>Device.ManagementServer.URL</Name>"
      "<Value xsi:type=\"xsd:string\">" +
      second.url() +
      "</Value></ParameterValueStruct></ParameterList>"
      "<ParameterKey>move</ParameterKey></cwmp:SetParameterValues>");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  ASSERT_TRUE(second.waitFor("ended_sessions", 1, 10s));
  EXPECT_TRUE(has(eventCodes(informs(second).at(0)), "0 BOOTSTRAP"));
  EXPECT_EQ(acs_->sessions().size(), 1u) << "the old ACS sees no BOOTSTRAP";
  EXPECT_TRUE(everyMessageValid(second));
}

// Issue 13 item 12: moving to a new ACS cancels what the old one asked for. The old ACS
// schedules an Inform and a delayed Download, then moves the device; the new ACS sees a
// BOOTSTRAP, no queued transfer, and never the old CommandKeys, also after a restart. (Its
// own ScheduleInform, due after the old one, is the point up to which nothing else came.)
TEST_F(Session, ABootstrapToANewAcsCancelsTheOldAcsScheduledInformsAndTransfers) {
  daemon_->setTimeScale(0.02);
  TestAcs second;
  acs_->addRpc(
      "<cwmp:ScheduleInform><DelaySeconds>100</DelaySeconds><CommandKey>old-si</CommandKey>"
      "</cwmp:ScheduleInform>");
  acs_->addRpc(
      "<cwmp:Download><CommandKey>old-dl</CommandKey><FileType>2 Web Content</FileType>"
      "<URL>http://127.0.0.1:1/page.html</URL><Username></Username><Password></Password>"
      "<FileSize>0</FileSize><TargetFileName></TargetFileName><DelaySeconds>150</DelaySeconds>"
      "<SuccessURL></SuccessURL><FailureURL></FailureURL></cwmp:Download>");
  acs_->addRpc(
      "<cwmp:SetParameterValues><ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[1]\">"
      "<ParameterValueStruct><Name>Device.ManagementServer.URL</Name>"
      "<Value xsi:type=\"xsd:string\">" +
      second.url() +
      "</Value></ParameterValueStruct></ParameterList>"
      "<ParameterKey>move</ParameterKey></cwmp:SetParameterValues>");
  second.addRpc("<cwmp:GetAllQueuedTransfers></cwmp:GetAllQueuedTransfers>");
  second.addRpc(
      "<cwmp:ScheduleInform><DelaySeconds>250</DelaySeconds><CommandKey>new-si</CommandKey>"
      "</cwmp:ScheduleInform>");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  ASSERT_EQ(acs_->results().size(), 3u);
  EXPECT_EQ(acs_->results().at(1).get<std::string>("method"), "DownloadResponse");
  ASSERT_TRUE(second.waitFor("ended_sessions", 1, 10s));
  EXPECT_TRUE(has(eventCodes(informs(second).at(0)), "0 BOOTSTRAP"));
  ASSERT_EQ(second.results().size(), 2u);
  const std::string queued = second.results().at(0).get<std::string>("body");
  EXPECT_EQ(bodyMethod(queued), "GetAllQueuedTransfersResponse");
  EXPECT_EQ(queued.find("old-dl"), std::string::npos) << queued;
  // Restarted before any of them was due: nothing of the old ACS comes back from the store.
  ASSERT_EQ(daemon_->stop(), 0);
  daemon_->start();
  ASSERT_TRUE(second.waitFor("ended_sessions", 2, 10s));
  const auto end = std::chrono::steady_clock::now() + 20s;
  auto newKeySeen = [&] {
    for (const auto& inform : informs(second))
      if (hasEvent(informEvents(inform), "M ScheduleInform", "new-si")) return true;
    return false;
  };
  while (!newKeySeen() && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(newKeySeen());
  for (const auto& inform : informs(second)) {
    for (const auto& [code, key] : informEvents(inform)) {
      EXPECT_NE(key, "old-si") << inform;
      EXPECT_NE(key, "old-dl") << inform;
    }
    EXPECT_FALSE(has(eventCodes(inform), "7 TRANSFER COMPLETE")) << inform;
  }
  for (const auto& r : requestsWithMethod(second, "TransferComplete"))
    ADD_FAILURE() << r.get<std::string>("body");
  EXPECT_TRUE(everyMessageValid(second));
}

// A Download from a server that is not there fails at once, so the daemon has a
// TransferComplete (a CPE request) to send.
const char* kFailingDownload =
    "<cwmp:Download><CommandKey>dl-1</CommandKey><FileType>3 Vendor Configuration File</FileType>"
    "<URL>http://127.0.0.1:1/nothing.cfg</URL><Username></Username><Password></Password>"
    "<FileSize>0</FileSize><TargetFileName></TargetFileName><DelaySeconds>0</DelaySeconds>"
    "<SuccessURL></SuccessURL><FailureURL></FailureURL></cwmp:Download>";

TEST_F(Session, AGenieAcsStyle8000FaultEndsTheSessionCleanlyAndTheMethodIsNotOfferedAgain) {
  acs_->configure(
      R"({"cpe_method_faults": {"TransferComplete": 8000}, "fault_style": "genieacs"})");
  acs_->addRpc(kFailingDownload);
  daemon_->set("cpe", "connection_request_min_interval", "0");
  daemon_->start();
  ASSERT_TRUE(acs_->waitFor("ended_sessions", 2, 15s) ||
              !requestsWithMethod(*acs_, "TransferComplete").empty());
  std::this_thread::sleep_for(1s);
  ASSERT_EQ(requestsWithMethod(*acs_, "TransferComplete").size(), 1u);
  EXPECT_TRUE(daemon_->running());
  const auto sessions = acs_->sessions().size();
  acs_->connectionRequest(daemon_->connectionRequestUrl(), "cr-user", "cr-secret");
  ASSERT_TRUE(acs_->waitFor("sessions", static_cast<int>(sessions) + 1, 10s));
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(requestsWithMethod(*acs_, "TransferComplete").size(), 1u) << "offered again after 8000";
}

TEST_F(Session, HoldRequestsDefersTheCpeRequestsUntilTheAcsIsDone) {
  // Every ACS message carries HoldRequests. Session 1 leaves a TransferComplete to send;
  // in session 2 the CPE must send an empty POST first and its request only after the
  // ACS's empty answer released the hold (TR-069 3.7.2.4).
  acs_->configure(R"({"hold_requests": true})");
  acs_->addRpc(kFailingDownload);
  daemon_->start();
  for (int i = 0; i < 100 && requestsWithMethod(*acs_, "TransferComplete").empty(); ++i)
    std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(waitSessions(2));
  auto all = acs_->requests();
  std::size_t tc = all.size();
  for (std::size_t i = 0; i < all.size(); ++i)
    if (bodyMethod(all[i].get<std::string>("body", "")) == "TransferComplete") tc = i;
  ASSERT_LT(tc, all.size()) << "TransferComplete never sent";
  ASSERT_GE(tc, 2u);
  EXPECT_EQ(bodyMethod(all[tc - 1].get<std::string>("body", "")), "")
      << "an empty POST comes first";
  EXPECT_EQ(bodyMethod(all[tc - 2].get<std::string>("body", "")), "Inform");
  EXPECT_EQ(requestsWithMethod(*acs_, "TransferComplete").size(), 1u);
}

TEST_F(Session, EnableCwmpFalseStopsSessions) {
  acs_->addRpc(
      "<cwmp:SetParameterValues><ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[1]\">"
      "<ParameterValueStruct><Name>Device.ManagementServer.EnableCWMP</Name>"
      "<Value xsi:type=\"xsd:boolean\">false</Value></ParameterValueStruct></ParameterList>"
      "<ParameterKey>off</ParameterKey></cwmp:SetParameterValues>");
  daemon_->set("cpe", "connection_request_min_interval", "0");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  // TR-181: with EnableCWMP false no Connection Request is accepted either.
  auto r = acs_->connectionRequest(daemon_->connectionRequestUrl(), "cr-user", "cr-secret");
  EXPECT_NE(r.get<int>("status", 0), 200);
  EXPECT_NE(r.get<int>("status", 0), 204);
  ASSERT_EQ(daemon_->stop(), 0);
  daemon_->start();
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(acs_->sessions().size(), 1u);
}

// Issue 14 item 8: what the config check lets through, the real daemon shows in its log;
// what has nothing to run, it refuses (every wait bounded: today's daemon ran on).
TEST_F(Session, VerifyPeerFalseIsAllowedWithAWarningInTheLog) {
  daemon_->set("acs", "verify_peer", "false");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  EXPECT_TRUE(daemon_->waitForLog("[acs] verify_peer = false: the certificates", 5s))
      << daemon_->log();
}

TEST_F(Session, AnAgentThatLoadsNoPluginRefusesToRun) {
  // The installed plugins declare the config's keys, but none is enabled.
  daemon_->set("plugins", "enable", "no-such-plugin");
  daemon_->start();
  EXPECT_EQ(daemon_->waitExit(20s), std::optional<int>(1));
  EXPECT_NE(daemon_->log().find("no plugin loaded"), std::string::npos) << daemon_->log();
  EXPECT_EQ(acs_->sessions().size(), 0u);
}

TEST_F(Session, AnAgentWithoutItsPluginDirectoryRefusesToRunWithABadConfigExit) {
  daemon_->set("plugins", "dir", dir_ + "/no-such-plugins");
  daemon_->start();
  EXPECT_EQ(daemon_->waitExit(20s), std::optional<int>(2));
  EXPECT_NE(daemon_->log().find("[plugins] dir: plugin directory"), std::string::npos)
      << daemon_->log();
}

}  // namespace
}  // namespace cwmpd::test
