// The XMPP client of TR-069 Annex K (XMPP Connection Requests), built on libstrophe: it
// keeps one XMPP connection up (TLS, SASL, resource binding), sends whitespace
// keep-alives, reconnects with the retry policy of the data model's
// XMPP.Connection.{i}.ServerRetry* parameters, and answers the ACS's `connectionRequest`
// IQs (K.2.2).
//
// Threading: libstrophe runs on a thread of the client's own. Its connect, TLS handshake
// and DNS lookups block, and an XMPP server that stalls the handshake must not stall the
// daemon's main loop, so none of it runs there. The thread waits in xmpp_run_once()
// (select on the one socket, its timeout bounded by the keep-alive timer) while
// connected, and on a condition variable between attempts: it does not poll. stop()
// wakes it by shutting the socket down, and never waits long for it (it is called on the
// main loop). The handlers are called on that thread: the
// owner posts what it needs to its own loop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cwmpd::core::net {

struct XmppServer {
  std::string address;  // host name or literal address
  std::uint16_t port = 5222;
};

struct XmppSettings {
  std::string username, password, domain, resource;
  // Empty: the DNS-SRV lookup of `domain` (RFC 6120 3.2.1), falling back to `domain`
  // itself on 5222. Otherwise tried in order.
  std::vector<XmppServer> servers;
  bool useTls = false;  // TLS is then mandatory (STARTTLS); without it, never used
  std::string caFile;   // PEM bundle of trusted CAs; empty = the system store
  bool verifyPeer = true;
  // Whitespace keep-alive period (RFC 6120 4.6.1): 0 none, -1 the agent's choice.
  long keepAliveSeconds = -1;
  // XMPP.Connection.{i}.ServerConnectAttempts and ServerRetry*.
  std::uint32_t connectAttempts = 16;
  std::uint32_t retryInitialInterval = 60;
  std::uint32_t retryIntervalMultiplier = 2000;
  std::uint32_t retryMaxInterval = 30720;
};

// XMPP.Connection.{i}.Status values the client reports.
enum class XmppState : std::uint8_t {
  Connecting,
  Enabled,           // bound: stanzas flow
  ServerNotPresent,  // no server could be reached
  AuthenticationFailure,
  Error,     // lost, or refused for another reason; a retry is pending
  Disabled,  // stopped
};
const char* xmppStateName(XmppState s) noexcept;

struct XmppStatus {
  XmppState state = XmppState::Disabled;
  std::string jid;  // the full JID the server bound ("" until bound)
  bool tls = false;
};

struct XmppCounters {
  std::uint64_t received = 0, transmitted = 0, receivedErrors = 0, transmittedErrors = 0;
};

// Who may ask for a session, and the credentials they must give (K.2.2): an empty
// `allowedJids` allows any JID. JIDs compare without their resource when the allowed one
// has none.
struct XmppAuthorization {
  std::vector<std::string> allowedJids;
  std::string username, password;
};

// The upper bound of the n-th (n >= 1) reconnection wait, in seconds (TR-181
// XMPP.Connection.{i}.ServerRetryIntervalMultiplier: the device waits a random time
// between 0 and initial * (multiplier / 1000) ** (n - 1), at most ServerRetryMaxInterval).
double xmppRetryBound(std::uint32_t n, std::uint32_t initial, std::uint32_t multiplier,
                      std::uint32_t maxInterval);
// Whether `from` (the IQ's full JID) matches `allowed` (bare or full).
bool xmppJidAllowed(const std::string& from, const std::vector<std::string>& allowed);

class XmppClient {
 public:
  // Both run on the client's thread. A connection request calls `onRequest` whether it
  // was accepted (a session is due) or refused (the counters changed).
  using StatusHandler = std::function<void(const XmppStatus&)>;
  using RequestHandler = std::function<void(const std::string& from, bool accepted)>;

  XmppClient(XmppSettings settings, XmppAuthorization auth, StatusHandler onStatus,
             RequestHandler onRequest);
  ~XmppClient();  // stop()
  XmppClient(const XmppClient&) = delete;
  XmppClient& operator=(const XmppClient&) = delete;

  void start();
  // Closes the connection and joins the thread, which reports Disabled. It waits a few
  // hundred milliseconds at most: a thread blocked in a DNS lookup (which nothing
  // interrupts) is left to end on its own, and no handler is called after stop().
  void stop();
  // Thread-safe; applies to the next request.
  void setAuthorization(XmppAuthorization auth);
  [[nodiscard]] XmppCounters counters() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace cwmpd::core::net
