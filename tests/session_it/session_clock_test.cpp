// The session engine and the notification tracker on a manual clock (issue 14: the clock
// is injectable): periodic informs and their PeriodicInformTime alignment, the retry
// back-off of TR-069 3.2.1.1, ScheduleInform and the active-notification throttle, each
// checked at the exact second by advancing time instead of waiting for it. A real engine
// with the shipped management and deviceinfo plugins on the sim HAL; the ACS is a fake
// transport on the session's worker thread.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cwmpd/core/notifications.hpp"
#include "cwmpd/core/session_engine.hpp"
#include "cwmpd/core/soap/decoder.hpp"
#include "cwmpd/core/soap/encoder.hpp"
#include "harness/plugin_harness.hpp"
#include "heap_in_use.hpp"
#include "manual_clock.hpp"

namespace {

using namespace std::chrono_literals;
using cwmpd::core::SessionState;
using cwmpd::test::ManualClock;
using cwmpd::testing::PluginHarness;

constexpr const char* kMs = "Device.ManagementServer.";

// What the fake ACS saw of one session's Inform.
struct SeenInform {
  std::vector<std::string> events;  // "code" or "code/CommandKey" when it has one
  std::string currentTime;
};

using cwmpd::test::heapInUse;

// The ACS: accepts every Inform (InformResponse, then an empty answer ends the session)
// or, while `failing`, is unreachable. With a `request`, sends it once after the Inform
// and notes the heap in use when it hands the request over and when the answer comes.
// Runs on the session's worker thread.
class FakeAcs : public cwmpd::core::net::AcsTransport {
 public:
  struct Shared {
    std::mutex mutex;
    std::vector<SeenInform> informs;
    bool failing = false;
    std::string request;
    std::size_t heapWithRequest = 0, heapAtAnswer = 0;
    std::string answer;
  };
  explicit FakeAcs(std::shared_ptr<Shared> s) : s_(std::move(s)) {}

  void beginSession(const cwmpd::core::net::AcsEndpoint&) override { informed_ = false; }
  cwmpd::core::net::HttpResult post(std::string_view body, std::string_view) override {
    cwmpd::core::net::HttpResult r;
    std::lock_guard lock(s_->mutex);
    if (s_->failing) {
      r.transportError = true;
      r.error = "connection refused (fake)";
      return r;
    }
    if (informed_ && !s_->request.empty()) {
      // Handed over, not copied: from here the session owns the only copy.
      s_->heapWithRequest = heapInUse();
      r.status = 200;
      r.body = std::move(s_->request);
      s_->request.clear();
      asked_ = true;
      return r;
    }
    if (asked_) {
      s_->heapAtAnswer = heapInUse();
      s_->answer = std::string(body);
      asked_ = false;
    }
    if (informed_) {
      r.status = 204;
      return r;
    }
    auto decoded = cwmpd::core::soap::decode(body);
    if (!decoded.ok()) {
      r.status = 400;
      return r;
    }
    const auto& inform = std::get<cwmpd::core::soap::Inform>(decoded.envelope().body);
    SeenInform seen;
    for (const auto& e : inform.events)
      seen.events.push_back(e.commandKey.empty() ? e.eventCode : e.eventCode + "/" + e.commandKey);
    seen.currentTime = inform.currentTime;
    s_->informs.push_back(std::move(seen));
    informed_ = true;
    cwmpd::core::soap::Envelope env;
    env.ns = decoded.envelope().ns;
    env.header.id = decoded.envelope().header.id;
    env.body = cwmpd::core::soap::InformResponse{1};
    r.status = 200;
    r.contentType = "text/xml";
    r.body = cwmpd::core::soap::encode(env);
    return r;
  }
  void endSession() override {}

 private:
  std::shared_ptr<Shared> s_;
  bool informed_ = false;
  bool asked_ = false;
};

// A session engine with its own session store, on `clock`.
class ClockedAgent {
 public:
  explicit ClockedAgent(const std::string& acsConfig,
                        std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>())
      : clock(std::move(clock)),
        h("Device", {"deviceinfo", "management"},
          "[acs]\nurl = http://127.0.0.1:9/acs\n" + acsConfig) {
    state = std::make_unique<cwmpd::core::Store>(h.dir + "/session.db");
    state->load();
    build();
  }
  ~ClockedAgent() {
    if (engine) engine->stop(1s);
  }
  ClockedAgent(const ClockedAgent&) = delete;
  ClockedAgent& operator=(const ClockedAgent&) = delete;

  // A new engine on the same model and session store (as after a restart).
  void build() {
    if (engine) engine->stop(1s);
    engine.reset();
    cwmpd::core::SessionOptions o;
    o.connectionRequestEnabled = false;
    o.clock = clock;
    engine = std::make_unique<cwmpd::core::SessionEngine>(
        h.io, *h.engine, *state, std::make_unique<FakeAcs>(acs), o, cwmpd::core::SessionHooks{});
    running_ = false;
    engine->addSessionListener([this](bool started) { running_ = started; });
  }

  std::size_t informs() {
    std::lock_guard lock(acs->mutex);
    return acs->informs.size();
  }
  SeenInform inform(std::size_t i) {
    std::lock_guard lock(acs->mutex);
    return acs->informs.at(i);
  }
  void failing(bool f) {
    std::lock_guard lock(acs->mutex);
    acs->failing = f;
  }
  // The ACS's request for the next session.
  void ask(std::string request) {
    std::lock_guard lock(acs->mutex);
    acs->request = std::move(request);
  }
  // Turns the main loop until the engine rests in `s` (the session's end handled).
  bool settle(SessionState s) {
    return cwmpd::testing::runUntil(
        h.io, [&] { return engine->sessionState() == s && !sessionRunning(); }, 10s);
  }
  // Until `n` sessions reached the ACS and the last one ended in `s`.
  bool sessions(std::size_t n, SessionState s = SessionState::Idle) {
    return cwmpd::testing::runUntil(
               h.io, [&] { return informs() >= n; }, 10s) &&
           settle(s);
  }
  void set(const std::string& param, const std::string& value) {
    ASSERT_EQ(h.engine->setValues({{kMs + param, value}}, cwmpd::sdk::Source::Acs), 0) << param;
  }

  std::shared_ptr<ManualClock> clock;
  PluginHarness h;
  std::shared_ptr<FakeAcs::Shared> acs = std::make_shared<FakeAcs::Shared>();
  std::unique_ptr<cwmpd::core::Store> state;
  std::unique_ptr<cwmpd::core::SessionEngine> engine;

 private:
  bool sessionRunning() const { return running_; }
  bool running_ = false;
};

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// TR-069 3.2.1 and A.3.2.1: with PeriodicInformTime, informs fall on
// PeriodicInformTime + n·PeriodicInformInterval, whatever the time of the start.
TEST(SessionClock, PeriodicInformsFallOnPeriodicInformTimePlusWholeIntervals) {
  // The manual clock starts at 2026-01-01T00:00:00Z; the reference is in the past.
  ClockedAgent a(
      "periodic_inform_enable = true\nperiodic_inform_interval = 3600\n"
      "periodic_inform_time = 2025-06-01T00:10:00Z\n");
  a.engine->start();
  ASSERT_TRUE(a.sessions(1));
  EXPECT_TRUE(contains(a.inform(0).events, "1 BOOT"));
  EXPECT_EQ(a.clock->nextDue(), 600s) << "the first periodic inform is at 00:10:00, not at 01:00";
  a.clock->advance(599s);
  cwmpd::testing::runFor(a.h.io, std::chrono::milliseconds(20));
  EXPECT_EQ(a.informs(), 1u);
  a.clock->advance(1s);
  ASSERT_TRUE(a.sessions(2));
  EXPECT_EQ(a.inform(1).events, std::vector<std::string>{"2 PERIODIC"});
  EXPECT_EQ(a.inform(1).currentTime, "2026-01-01T00:10:00Z");
  EXPECT_EQ(a.clock->nextDue(), 3600s);
  a.clock->advance(3600s);
  ASSERT_TRUE(a.sessions(3));
  EXPECT_EQ(a.inform(2).currentTime, "2026-01-01T01:10:00Z");

  // The ACS changes the interval at 01:30: the next inform is still on the reference's
  // grid (2026-01-02T00:10:00Z), not one day from the change.
  a.clock->advance(20min);
  a.set("PeriodicInformInterval", "86400");
  EXPECT_EQ(a.clock->nextDue(), 22h + 40min);
  // A reference in the future works the same (A.3.2.1: the grid extends both ways).
  a.set("PeriodicInformTime", "2026-03-01T12:00:00Z");
  EXPECT_EQ(a.clock->nextDue(), 10h + 30min);
  a.set("PeriodicInformEnable", "false");
  EXPECT_EQ(a.clock->pendingTimers(), 0u);
}

// Issue 15: a request of megabytes (here 3 MB, mostly whitespace between its elements) is
// no longer held once it is decoded: the answer is encoded, sent and the next request
// received without it.
TEST(SessionMemory, TheRequestIsReleasedBeforeItsAnswerIsSent) {
  ClockedAgent a("");
  const std::size_t padding = std::size_t{3} * 1024 * 1024;
  a.ask(
      "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "
      "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\"><soapenv:Header><cwmp:ID "
      "soapenv:mustUnderstand=\"1\">big</cwmp:ID></soapenv:Header><soapenv:Body>" +
      std::string(padding, ' ') +
      "<cwmp:GetParameterValues><ParameterNames><string>Device.DeviceInfo.Manufacturer</string>"
      "</ParameterNames></cwmp:GetParameterValues></soapenv:Body></soapenv:Envelope>");
  a.engine->start();
  ASSERT_TRUE(a.sessions(1));
  std::lock_guard lock(a.acs->mutex);
  ASSERT_NE(a.acs->answer.find("GetParameterValuesResponse"), std::string::npos)
      << a.acs->answer.substr(0, 600);
  EXPECT_LT(a.acs->heapAtAnswer + padding / 2, a.acs->heapWithRequest)
      << "heap in use with the request " << a.acs->heapWithRequest << ", while its answer is sent "
      << a.acs->heapAtAnswer;
}

TEST(SessionClock, WithoutPeriodicInformTimeAPeriodicInformComesEveryIntervalFromTheStart) {
  ClockedAgent a("periodic_inform_enable = true\nperiodic_inform_interval = 300\n");
  a.engine->start();
  ASSERT_TRUE(a.sessions(1));
  a.clock->advance(7s);  // any moment: the interval counts from the schedule
  a.set("PeriodicInformInterval", "600");
  EXPECT_EQ(a.clock->nextDue(), 600s);
  a.clock->advance(600s);
  ASSERT_TRUE(a.sessions(2));
  EXPECT_EQ(a.inform(1).events, std::vector<std::string>{"2 PERIODIC"});
  EXPECT_EQ(a.inform(1).currentTime, "2026-01-01T00:10:07Z");
}

// TR-069 3.2.1.1: retry n waits between m·(k/1000)^(n-1) and m·(k/1000)^n seconds (m =
// CWMPRetryMinimumWaitInterval, k = CWMPRetryIntervalMultiplier, defaults 5 and 2000),
// n capped at 10; a successful session starts the count again.
TEST(SessionClock, RetryWaitsFollowTheBackOffTableAndASuccessResetsIt) {
  ClockedAgent a("");
  a.failing(true);
  a.engine->start();
  double lo = 5;
  for (int retry = 1; retry <= 11; ++retry) {
    ASSERT_TRUE(a.settle(SessionState::WaitingRetry)) << "retry " << retry;
    ASSERT_EQ(a.clock->pendingTimers(), 1u);
    const auto wait = a.clock->nextDue();
    EXPECT_GE(wait, std::chrono::duration<double>(lo)) << "retry " << retry;
    EXPECT_LT(wait, std::chrono::duration<double>(2 * lo)) << "retry " << retry;
    // Nothing before the wait is over.
    a.clock->advance(wait - 1ms);
    cwmpd::testing::runFor(a.h.io, std::chrono::milliseconds(10));
    EXPECT_EQ(a.engine->sessionState(), SessionState::WaitingRetry);
    if (retry == 11) a.failing(false);
    a.clock->advance(1ms);
    if (retry < 10) lo *= 2;  // 5, 10, 20 ... 2560 s, then it stays
  }
  EXPECT_EQ(lo, 2560);
  ASSERT_TRUE(a.sessions(1));
  EXPECT_TRUE(contains(a.inform(0).events, "1 BOOT")) << "the failed sessions' events stay queued";

  // The ACS's own values: m = 30 s, k = 3.0. And a success started the count again.
  a.set("CWMPRetryMinimumWaitInterval", "30");
  a.set("CWMPRetryIntervalMultiplier", "3000");
  a.failing(true);
  a.engine->inform({"2 PERIODIC"});  // kept across failures, unlike a CR
  ASSERT_TRUE(a.settle(SessionState::WaitingRetry));
  EXPECT_GE(a.clock->nextDue(), 30s);
  EXPECT_LT(a.clock->nextDue(), 90s);
  a.clock->advanceToNext();
  ASSERT_TRUE(a.settle(SessionState::WaitingRetry));
  EXPECT_GE(a.clock->nextDue(), 90s);
  EXPECT_LT(a.clock->nextDue(), 270s);
}

// ScheduleInform (A.3.2.8): "3 SCHEDULED" and "M ScheduleInform" with the CommandKey after
// DelaySeconds; the due time is absolute and survives a restart.
TEST(SessionClock, AScheduledInformComesAfterItsDelayAndKeepsItsDueTimeAcrossARestart) {
  ClockedAgent a("");
  a.engine->start();
  ASSERT_TRUE(a.sessions(1));
  a.engine->scheduleInform(120, "soon");
  a.engine->scheduleInform(900, "later");
  EXPECT_EQ(a.clock->nextDue(), 120s);
  a.clock->advance(119s);
  cwmpd::testing::runFor(a.h.io, std::chrono::milliseconds(20));
  EXPECT_EQ(a.informs(), 1u);
  a.clock->advance(1s);
  ASSERT_TRUE(a.sessions(2));
  const auto events = a.inform(1).events;
  EXPECT_TRUE(contains(events, "3 SCHEDULED"));
  EXPECT_TRUE(contains(events, "M ScheduleInform/soon"));

  // The daemon restarts 180 s later (300 s after the request): "later" is due 600 s after.
  a.clock->advance(180s);
  a.build();
  a.engine->start();
  ASSERT_TRUE(a.sessions(3));
  EXPECT_EQ(a.clock->nextDue(), 600s);
  a.clock->advance(600s);
  ASSERT_TRUE(a.sessions(4));
  EXPECT_TRUE(contains(a.inform(3).events, "M ScheduleInform/later"));
  EXPECT_EQ(a.inform(3).currentTime, "2026-01-01T00:15:00Z");
}

// TR-069 3.2.1 / DefaultActiveNotificationThrottle: active notifications ask for a
// session at once, but no more often than once per throttle interval; the changes in
// between share one deferred request at the interval's end.
TEST(NotificationClock, ActiveNotificationsAskForASessionAtMostOncePerThrottleInterval) {
  auto clock = std::make_shared<ManualClock>();
  PluginHarness h("Device", {"deviceinfo", "management"});
  cwmpd::core::Store state(h.dir + "/session.db");
  state.load();
  ASSERT_EQ(h.engine->setValues({{std::string(kMs) + "DefaultActiveNotificationThrottle", "60"}},
                                cwmpd::sdk::Source::Acs),
            0);
  cwmpd::core::NotificationOptions o;
  o.sampleInterval = std::chrono::milliseconds(0);  // nothing sampled: only the throttle's timer
  o.clock = clock;
  cwmpd::core::NotificationTracker tracker(h.io, *h.engine, state, o);
  std::vector<std::chrono::system_clock::duration> requests;
  const auto t0 = clock->now();
  tracker.start([&] { requests.push_back(clock->now() - t0); });
  const std::string code = "Device.DeviceInfo.ProvisioningCode";
  int n = 0;
  auto change = [&] {
    ASSERT_EQ(h.engine->setValues({{code, "code" + std::to_string(++n)}}, cwmpd::sdk::Source::Bus),
              0);
  };
  using D = std::vector<std::chrono::system_clock::duration>;
  change();  // t = 0: at once
  EXPECT_EQ(requests, D{0s});
  clock->advance(10s);
  change();  // within the interval: deferred to t = 60
  clock->advance(10s);
  change();  // covered by the same deferred request
  EXPECT_EQ(requests, D{0s});
  EXPECT_EQ(clock->nextDue(), 40s);
  clock->advance(40s);
  EXPECT_EQ(requests, (D{0s, 60s}));
  clock->advance(10s);
  change();  // t = 70: the last request was at 60
  clock->advance(49s);
  EXPECT_EQ(requests, (D{0s, 60s}));
  clock->advance(1s);
  EXPECT_EQ(requests, (D{0s, 60s, 120s}));
  clock->advance(100s);
  change();  // t = 220: the interval is long over: at once
  EXPECT_EQ(requests, (D{0s, 60s, 120s, 220s}));
  EXPECT_EQ(clock->pendingTimers(), 0u);

  // Throttle 0 (the default): every active change asks at once.
  ASSERT_EQ(h.engine->setValues({{std::string(kMs) + "DefaultActiveNotificationThrottle", "0"}},
                                cwmpd::sdk::Source::Acs),
            0);
  change();
  change();
  EXPECT_EQ(requests.size(), 6u);
  tracker.stop();
}

// The tracker samples what plugins cannot push every sampleInterval of its clock.
TEST(NotificationClock, SamplingRunsEverySampleIntervalOfTheClock) {
  auto clock = std::make_shared<ManualClock>();
  PluginHarness h("Device", {"deviceinfo", "management"});
  cwmpd::core::Store state(h.dir + "/session.db");
  state.load();
  cwmpd::core::NotificationOptions o;
  o.sampleInterval = 30s;
  o.clock = clock;
  cwmpd::core::NotificationTracker tracker(h.io, *h.engine, state, o);
  tracker.start([] {});
  EXPECT_EQ(clock->nextDue(), 30s);
  clock->advance(30s);
  EXPECT_EQ(clock->nextDue(), 30s) << "sampled, and the next sample armed";
  tracker.stop();
  EXPECT_EQ(clock->pendingTimers(), 0u);
}

// TR-069 Annex O: with HeartbeatPolicy.Enable, a "14 HEARTBEAT" session comes at
// InitiationTime + n·ReportingInterval, and turning it off cancels the next one.
TEST(SessionClock, HeartbeatsFallOnInitiationTimePlusWholeIntervals) {
  ClockedAgent a("");
  a.engine->start();
  ASSERT_TRUE(a.sessions(1));
  EXPECT_EQ(a.clock->pendingTimers(), 0u) << "heartbeats are off by default";
  // The manual clock reads 2026-01-01T00:00:00Z; the reference is in the past.
  a.set("HeartbeatPolicy.ReportingInterval", "60");
  a.set("HeartbeatPolicy.InitiationTime", "2025-06-01T00:00:30Z");
  a.set("HeartbeatPolicy.Enable", "true");
  EXPECT_EQ(a.clock->nextDue(), 30s);
  a.clock->advance(29s);
  cwmpd::testing::runFor(a.h.io, std::chrono::milliseconds(20));
  EXPECT_EQ(a.informs(), 1u);
  a.clock->advance(1s);
  ASSERT_TRUE(a.sessions(2));
  EXPECT_EQ(a.inform(1).events, std::vector<std::string>{"14 HEARTBEAT"});
  EXPECT_EQ(a.inform(1).currentTime, "2026-01-01T00:00:30Z");
  EXPECT_EQ(a.clock->nextDue(), 60s);
  a.clock->advance(60s);
  ASSERT_TRUE(a.sessions(3));
  EXPECT_EQ(a.inform(2).currentTime, "2026-01-01T00:01:30Z");
  a.set("HeartbeatPolicy.Enable", "false");
  EXPECT_EQ(a.clock->pendingTimers(), 0u);
}

// TR-069 Annex O: "14 HEARTBEAT" is never combined with another event: a periodic
// inform due at the same second gets a session of its own, right after the heartbeat.
TEST(SessionClock, AHeartbeatSessionCarriesNoOtherEvent) {
  ClockedAgent a(
      "periodic_inform_enable = true\nperiodic_inform_interval = 120\n"
      "periodic_inform_time = 2025-06-01T00:00:00Z\n");
  a.engine->start();
  ASSERT_TRUE(a.sessions(1));
  a.set("HeartbeatPolicy.ReportingInterval", "120");
  a.set("HeartbeatPolicy.InitiationTime", "2025-06-01T00:00:00Z");
  a.set("HeartbeatPolicy.Enable", "true");
  a.clock->advance(120s);
  ASSERT_TRUE(a.sessions(3));
  EXPECT_EQ(a.inform(1).events, std::vector<std::string>{"14 HEARTBEAT"});
  EXPECT_EQ(a.inform(2).events, std::vector<std::string>{"2 PERIODIC"});
}

// With the Unknown Time as InitiationTime the CPE picks its own phase (TR-181
// HeartbeatPolicy.InitiationTime): the first heartbeat within one interval, the next ones
// a whole interval apart.
TEST(SessionClock, HeartbeatsWithoutInitiationTimeComeEveryInterval) {
  ClockedAgent a("");
  a.engine->start();
  ASSERT_TRUE(a.sessions(1));
  a.set("HeartbeatPolicy.ReportingInterval", "30");
  a.set("HeartbeatPolicy.Enable", "true");
  const auto first = a.clock->nextDue();
  EXPECT_GT(first, 0s);
  EXPECT_LE(first, 30s);
  a.clock->advance(first);
  ASSERT_TRUE(a.sessions(2));
  EXPECT_EQ(a.inform(1).events, std::vector<std::string>{"14 HEARTBEAT"});
  EXPECT_EQ(a.clock->nextDue(), 30s);
}

}  // namespace
