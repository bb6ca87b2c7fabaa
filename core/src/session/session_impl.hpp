// SessionEngine::Impl, the session engine's state and its parts, shared by the files
// of core/src/session/ that implement them (one role each):
//   session_engine.cpp              life cycle, triggers, model changes, the public API
//   session_inform.cpp              opening a session: its endpoint, events and Inform
//   session_exchange.cpp            the HTTP/SOAP exchange (worker thread): the RPC loop
//   session_schedule.cpp            the end of a session (retry back-off, reboot, factory
//                                   reset); bootstrap, periodic and scheduled informs
//   session_connection_request.cpp  the Connection Request server, ConnectionRequestURL,
//                                   the route towards the ACS
// Private to the core: nothing outside core/src/session includes it.
#pragma once

#include "cwmpd/core/session_engine.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <cmath>
#include <ctime>
#include <future>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "cwmpd/core/log.hpp"
#include "cwmpd/core/remote_subtree.hpp"
#include "cwmpd/core/net/connection_request_server.hpp"
#include "cwmpd/core/net/local_address.hpp"
#include "cwmpd/core/net/udp_connection_request_server.hpp"
#include "cwmpd/core/net/xmpp_client.hpp"
#include "cwmpd/core/soap/decoder.hpp"
#include "cwmpd/core/soap/encoder.hpp"
#include "cwmpd/core/soap/fault_map.hpp"

namespace cwmpd::core {

namespace asio = boost::asio;

namespace session_detail {

inline constexpr const char* kLog = "session";
// The highest CWMP version the agent speaks: 1.4 (TR-069 Amendment 5 and 6).
inline constexpr unsigned kHighestCwmpMinor = 4;
// A session that never ends is a bug or an attack.
inline constexpr std::size_t kMaxExchanges = 100000;

// "2026-11-25T13:40:00Z"
std::string isoTime(std::chrono::system_clock::time_point now);
// Parses the TR-069 dateTime lexical form into seconds since the epoch (UTC); false for
// the unknown time (year 1) or anything unparsable.
bool parseIsoTime(const std::string& s, std::int64_t& out);

struct SessionPlan {
  std::uint64_t id = 0;
  net::AcsEndpoint endpoint;
  std::string informXml;
  std::vector<QueuedEvent> events;
  std::vector<soap::Body> cpeRequests;   // TransferComplete and friends, in order
  std::vector<ParameterValue> notified;  // changed parameters reported in this Inform
  bool notifiedSilently = false;         // ...or only marked delivered (BOOTSTRAP)
  double retryAfter = 0;                 // seconds the ACS asked us to wait (HTTP 503 Retry-After)
  bool heartbeat = false;                // a "14 HEARTBEAT" session (TR-069 Annex O)
  bool cwmp10 = false;                   // the Inform in cwmp-1-0, without the 1.4 headers
};

enum class Outcome { Success, Failed, RetryRequested };

}  // namespace session_detail

using session_detail::kLog;
using session_detail::Outcome;
using session_detail::SessionPlan;

class SessionEngine::Impl : public std::enable_shared_from_this<SessionEngine::Impl> {
 public:
  Impl(asio::io_context& io, SessionModel& model, Store& state,
       std::unique_ptr<net::AcsTransport> transport, SessionOptions options, SessionHooks hooks)
      : io_(io),
        model_(model),
        state_(state),
        transport_(std::move(transport)),
        options_(std::move(options)),
        hooks_(std::move(hooks)),
        events_(state),
        dispatcher_(model),
        clock_(options_.clock ? options_.clock : makeLoopClock(io)),
        periodicTimer_(clock_->timer()),
        heartbeatTimer_(clock_->timer()),
        retryTimer_(clock_->timer()),
        rng_(std::random_device{}()) {
    extraInformParameters_ = options_.extraInformParameters;
    // "M Reboot" is queued when the reboot happens (finishSession), not here: a session
    // that fails first must not announce a reboot that has not taken place.
    dispatcher_.provide<soap::Reboot>([this](const soap::Reboot& r) {
      rebootKey_ = r.commandKey;
      rebootAfterSession_ = true;
      return soap::RebootResponse{};
    });
    dispatcher_.provide<soap::FactoryReset>([this](const soap::FactoryReset&) {
      factoryResetAfterSession_ = true;
      return soap::FactoryResetResponse{};
    });
    dispatcher_.provide<soap::ScheduleInform>([this](const soap::ScheduleInform& r) {
      addScheduled(r.delaySeconds, r.commandKey, true);
      return soap::ScheduleInformResponse{};
    });
  }

  ~Impl() { joinWorker(); }

  // ---------------- session_engine.cpp ----------------

  void start();
  bool stop(std::chrono::milliseconds grace);
  void checkEventCode(const std::string& code) const;
  void raiseEvent(const std::string& code, const std::string& key);
  void inform(const std::vector<std::string>& codes);
  void kick();
  void joinWorker();
  void state(SessionState s);
  SessionState state() const;
  bool cwmpEnabled();
  void onModelChange(const std::vector<CommittedChange>& changes, sdk::Source);

  // ---------------- session_inform.cpp ----------------

  void startSession();
  std::string describe(const std::vector<QueuedEvent>& evs);
  std::string buildInform(const SessionPlan& plan);
  std::vector<std::string> requiredInformParameters() const;
  std::vector<std::string> upstreamAddressParameters();
  bool leadsUpstream(const std::string& object, int depth);

  // ---------------- session_exchange.cpp ----------------

  static bool soapAnswer(const net::HttpResult& res);
  void noteRetryAfter(const net::HttpResult& res, SessionPlan& plan) const;
  // Runs on the worker thread. Every touch of the model goes through onMain(): the loop
  // lends the model to this thread for `f`, so that an RPC that waits for a D-Bus
  // provider suspends here while the loop goes on (ModelLoan, issue 18).
  template <typename F>
  auto onMain(F&& f) -> decltype(f()) {
    using R = decltype(f());
    std::packaged_task<R()> task(std::forward<F>(f));
    auto fut = task.get_future();
    ModelLoan::runLent(io_, [&task] { task(); });
    return fut.get();
  }
  bool refusesVersion(const net::HttpResult& res, const SessionPlan& plan);
  Outcome runSession(SessionPlan& plan);
  void informAccepted(const std::vector<QueuedEvent>& sent, const std::string& url);
  void cpeRequestRefused(const std::string& method, int code);
  void cpeRequestAcknowledged(const soap::Body& req);
  void dropCpeRequest(const std::string& method);
  // RequestDownload and Kicked (asked over D-Bus, nowhere else kept) in the store.
  void saveCpeRequests();
  void loadCpeRequests();

  // ---------------- session_schedule.cpp ----------------

  void finishSession(Outcome outcome, std::uint64_t id, double retryAfter = 0);
  void checkBootstrap();
  void bootstrap();
  void discardOldAcs();
  void schedulePeriodic();
  void scheduleHeartbeat();
  void addScheduled(std::uint32_t delaySeconds, const std::string& key, bool persist);
  void armScheduled(const std::string& storeKey, std::int64_t due, const std::string& key);
  void loadScheduled();

  // ---------------- session_connection_request.cpp ----------------

  void startConnectionRequestServer();
  bool advertisesRouteAddress() const;
  std::string lastRouteAddress();
  bool refreshConnectionRequestUrl(const std::string& acsUrl);
  std::string routeAddress(const std::string& acsAddress);
  void resolveAcsHost(const std::string& host);
  void connectedFrom(const std::string& local);
  void rememberRouteAddress(const std::string& local);
  void publishConnectionRequestUrl(const std::string& routeAddress);
  void connectionRequested();
  void updateCrCredentials();
  // TR-069 Annex G: UDP connection requests and STUN on the Connection Request port.
  void startUdpConnectionRequests();
  void configureStun();
  bool stunEnabled();
  void stunMapped(const net::stun::Endpoint& mapped, bool natDetected);
  void publishUdpAddress(const std::string& address);

  // ---------------- session_xmpp.cpp ----------------

  std::string xmppValue(const std::string& path, const std::string& fallback);
  std::string xmppConnectionObject();
  void refreshXmpp();
  void stopXmpp();
  net::XmppAuthorization xmppAuthorization();
  void updateXmppAuthorization();
  void xmppSet(const std::string& path, const std::string& value);
  void xmppStatus(const net::XmppStatus& st);
  void xmppStats();
  void xmppModelChange(const std::vector<CommittedChange>& changes);

  // ---------------- state ----------------

  asio::io_context& io_;
  SessionModel& model_;
  Store& state_;
  std::unique_ptr<net::AcsTransport> transport_;
  SessionOptions options_;
  SessionHooks hooks_;
  EventQueue events_;
  RpcDispatcher dispatcher_;
  std::shared_ptr<Clock> clock_;
  std::unique_ptr<Timer> periodicTimer_;
  std::unique_ptr<Timer> heartbeatTimer_;
  bool heartbeatDue_ = false;
  // The phase of the heartbeats when InitiationTime is the Unknown Time, chosen once.
  std::optional<std::int64_t> heartbeatPhase_;
  std::unique_ptr<Timer> retryTimer_;
  std::vector<std::shared_ptr<Timer>> scheduleTimers_;
  std::unique_ptr<net::ConnectionRequestServer> cr_;
  std::string crUrl_;  // the ConnectionRequestURL published
  std::unique_ptr<net::UdpConnectionRequestServer> udpCr_;
  std::string udpLocal_;      // host:port of the UDP listener itself (no STUN mapping)
  std::string udpMapped_;     // host:port STUN learned, "" while none
  std::string udpPublished_;  // the UDPConnectionRequestAddress published
  std::string udpDeferred_;   // waiting for the notification limit
  std::chrono::steady_clock::time_point udpPublishedAt_{};
  std::unique_ptr<Timer> udpLimitTimer_;
  std::unique_ptr<net::XmppClient> xmpp_;  // Annex K, when ConnReqXMPPConnection names one
  std::string xmppObject_;                 // its XMPP.Connection.{i}.
  std::string xmppFingerprint_;            // the settings it runs with
  std::uint64_t xmppGeneration_ = 0;       // reports of older clients are stale
  asio::ip::udp::resolver resolver_{io_};  // the ACS host name, for the route probe
  std::string resolvedHost_, resolvedAddress_;
  bool resolving_ = false;
  bool resumeForced_ = false;  // the session waiting for the lookup was forced
  std::mt19937 rng_;
  std::thread worker_;
  std::atomic<bool> workerDone_{true};
  std::atomic<bool> stopping_{false};
  bool running_ = false;
  bool again_ = false;
  bool forceSession_ = false;
  bool waitingRetry_ = false;
  bool rebootAfterSession_ = false;  // kept across a failed session: the next one ends with it
  std::string rebootKey_;
  bool crDuringSession_ = false;  // a Connection Request arrived after the Inform was built
  bool factoryResetAfterSession_ = false;
  std::uint32_t retryCount_ = 0;
  std::uint64_t sessionCounter_ = 0;
  std::uint64_t scheduleCounter_ = 0;
  std::uint32_t completed_ = 0;
  std::string root_, ms_;
  std::string lastInformTime_;
  mutable std::mutex stateMutex_;
  SessionState sessionState_ = SessionState::Idle;
  std::vector<std::function<void(bool)>> listeners_;
  std::vector<std::function<void()>> bootstrapListeners_;
  std::vector<std::string> pluginNames_;
  std::vector<std::string> extraInformParameters_;
  std::set<std::string> unsupportedCpeMethods_;
  // CWMP version fallback: the ACS URL that refused an Inform of a newer version (the
  // Informs to it go in cwmp-1-0), and the one that accepted such an Inform (a later
  // refusal of it is then no question of version).
  std::string cwmp10Acs_, newerAcceptedBy_;
  std::vector<soap::Body> cpeRequests_;
  std::vector<std::function<void(const soap::Body&, int)>> cpeAcks_;
  NotificationTracker* tracker_ = nullptr;

  friend class SessionEngine;
};

}  // namespace cwmpd::core
