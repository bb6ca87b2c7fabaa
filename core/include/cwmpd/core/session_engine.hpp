// The CWMP session engine (TR-069 section 3.7): decides when to open a session (events,
// periodic and scheduled informs, connection requests, retries), runs it over an
// AcsTransport (Inform first and once, MaxEnvelopes 1, the CPE's own requests after the
// InformResponse, answers to the ACS's requests, HoldRequests, empty POST rules), and
// performs what must wait for the session's end (reboot, factory reset).
//
// The HTTP conversation runs on a worker thread, so that the main loop keeps serving
// D-Bus while the ACS thinks; every touch of the data model is posted back to the main
// loop (the model has one owner).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "cwmpd/core/agent.hpp"
#include "cwmpd/core/clock.hpp"
#include "cwmpd/core/session_model.hpp"
#include "cwmpd/core/event_queue.hpp"
#include "cwmpd/core/net/acs_transport.hpp"
#include "cwmpd/core/notifications.hpp"
#include "cwmpd/core/rpc_dispatcher.hpp"
#include "cwmpd/core/store.hpp"

namespace cwmpd::core {

struct SessionOptions {
  // TLS and client identity towards the ACS ([acs] ca_file, client_cert, client_key).
  std::string caFile, clientCert, clientKey;
  bool verifyPeer = true;
  std::chrono::milliseconds rpcTimeout{30'000};
  // Connection Request server ([cpe] connection_request_*). port 0 = ephemeral.
  bool connectionRequestEnabled = true;
  std::string connectionRequestAddress;  // bind address, "" = all
  std::string connectionRequestHost;     // host put in ConnectionRequestURL ("" = detect)
  // Interface whose address ConnectionRequestURL names ("" = the address of the route
  // towards the ACS). Used when neither the host nor a bind address is set.
  std::string connectionRequestInterface;
  std::uint16_t connectionRequestPort = 7547;
  std::string connectionRequestPath = "/";
  // Flood limit of the Connection Request server: a token bucket of `Burst` requests
  // that gains one every `RefillInterval` (0 = no limit); see ConnectionRequestServerConfig.
  unsigned connectionRequestBurst = 5;
  std::chrono::milliseconds connectionRequestRefillInterval{2'000};
  // Time and timers (periodic and scheduled informs, retry waits, the Connection Request
  // token bucket). Null: the system's clocks on the io_context.
  std::shared_ptr<Clock> clock;
  // Parameters the Inform carries besides the forced-inform ones (TR-181 marks no WAN
  // address as forced, yet ACSs expect it, TR-069 3.7.1.1): included when they exist.
  std::vector<std::string> extraInformParameters;
  // TR-181: the Inform also carries the IPv4 address of the upstream IP interface (the
  // one whose LowerLayers lead to an interface with Upstream true), looked up before
  // each Inform.
  bool informUpstreamAddress = false;
  // Maximum SOAP body accepted from the ACS.
  std::size_t maxBodyBytes = std::size_t{4} * 1024 * 1024;
  // Vendor event codes the configuration allows ([cpe] vendor_events), besides those
  // plugins declare.
  std::set<std::string> vendorEvents;
};

// What to do after a session that asked for it: reboot or factory reset. Unset hooks
// log and do nothing.
struct SessionHooks {
  std::function<void()> reboot;
  std::function<void()> factoryReset;
};

// TR-069 3.2.1.1: the wait before retry number `retryCount` (1 = first retry), in
// seconds, for a random draw `unit` in [0,1): between m·(k/1000)^(n-1) and
// m·(k/1000)^n with n = min(retryCount, 10).
[[nodiscard]] double retryWaitSeconds(std::uint32_t retryCount, std::uint32_t minimumWait,
                                      std::uint32_t multiplier, double unit);

// RFC 9110 10.2.3: the wait an HTTP Retry-After value asks for, in seconds from `now`
// (seconds since the epoch): delay-seconds or an HTTP-date (IMF-fixdate, or the obsolete
// RFC 850 and asctime forms). A date in the past is 0; nullopt for anything else. Bounded
// to a day, so that a hostile ACS cannot silence the device for good.
[[nodiscard]] std::optional<double> retryAfterSeconds(std::string_view value, std::int64_t now);

class SessionEngine : public AgentControl {
 public:
  SessionEngine(boost::asio::io_context& io, SessionModel& model, Store& state,
                std::unique_ptr<net::AcsTransport> transport, SessionOptions options,
                SessionHooks hooks);
  ~SessionEngine() override;

  // Queues "1 BOOT" (and "0 BOOTSTRAP" on first contact or a new ACS URL), starts the
  // connection request server, the timers, and the first session.
  void start();
  // Stops timers and the CR server and waits up to `grace` for a running session to
  // finish (the worker notices the stop between exchanges). Returns false when the
  // session is still blocked on a slow ACS: the worker then still refers to the io
  // context and this engine, so the caller must end the process without destroying
  // them (every persistent state is already committed; cwmpd calls _exit).
  bool stop(std::chrono::milliseconds grace = std::chrono::seconds(3));

  // Raises an event from inside the daemon (plugins, transfers): queued and a session
  // started. Vendor codes must have been declared by a plugin or the configuration.
  void raiseEvent(const std::string& code, const std::string& commandKey);

  RpcDispatcher& dispatcher();
  EventQueue& events();
  [[nodiscard]] std::uint16_t connectionRequestPort() const;
  [[nodiscard]] std::uint32_t sessionsCompleted() const;

  // AgentControl
  void inform(const std::vector<std::string>& events) override;
  void scheduleInform(std::uint32_t delaySeconds, const std::string& commandKey) override;
  void requestDownload(const std::string& fileType,
                       const std::vector<std::pair<std::string, std::string>>& args) override;
  void kicked(const std::string& command, const std::string& referer, const std::string& arg,
              const std::string& next) override;
  std::string acsUrl() const override;
  SessionState sessionState() const override;
  std::string lastInformTime() const override;
  std::vector<std::string> pendingEvents() const override;
  std::vector<std::string> plugins() const override;
  void addSessionListener(std::function<void(bool started)> listener) override;
  // changeDu() goes to this handler (software module management); without one it is
  // refused with 9000.
  void changeDu(const LocalDuChange& change) override;
  void setDuChangeHandler(std::function<void(const LocalDuChange&)> handler);
  // Called when a BOOTSTRAP discards what belonged to the old ACS (a new ACS URL, first
  // contact, a factory reset): the transfer manager drops the old ACS's transfers. The
  // engine itself cancels pending ScheduleInforms and queued TransferCompletes.
  void addBootstrapListener(std::function<void()> listener);
  void setPluginNames(std::vector<std::string> names);
  // Changed parameters go into the Inform with "4 VALUE CHANGE"; the tracker's active
  // notifications start sessions. Call before start().
  void setNotificationTracker(NotificationTracker* tracker);

  // The CPE's own requests (TransferComplete, AutonomousTransferComplete, Kicked, ...):
  // sent in the next session after the InformResponse, one at a time, until the ACS
  // answers. The listener hears the outcome: fault 0 = acknowledged, else the ACS's
  // fault code (8000: the ACS does not support the method; it is not offered again in
  // this daemon's life and queueCpeRequest() drops such requests). Every listener hears
  // every outcome (the transfer manager, software module management).
  void queueCpeRequest(const soap::Body& request);
  void addCpeRequestListener(std::function<void(const soap::Body& request, int faultCode)> listener);
  [[nodiscard]] bool cpeMethodSupported(const std::string& method) const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
  std::function<void(const LocalDuChange&)> duChange_;
};

}  // namespace cwmpd::core
