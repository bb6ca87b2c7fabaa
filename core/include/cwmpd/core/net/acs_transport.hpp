// The session engine's view of the ACS: one HTTP(S) conversation per CWMP session.
// The engine talks to this interface only, so its state machine can be tested with a
// fake; CurlAcsTransport (curl_acs_transport.hpp) is the real one.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

namespace cwmpd::core::net {

// Where and how to reach the ACS for one session ([acs] section of the config plus
// the ManagementServer parameters the ACS may have changed).
struct AcsEndpoint {
  std::string url;
  std::string username;  // empty = no HTTP authentication
  std::string password;
  std::string caFile;      // PEM bundle of trusted CAs; empty = the system store
  std::string clientCert;  // PEM client certificate; empty = none
  std::string clientKey;   // PEM key of clientCert (may be the same file)
  bool verifyPeer = true;  // TR-069 3.3: certificate verification is on unless disabled
  bool verifyHost = true;
  std::chrono::milliseconds connectTimeout{10'000};
  // Whole exchange of one POST (redirects and the 401 round trip included). GenieACS
  // gives the CPE 30 s per RPC; the ACS side gets the same.
  std::chrono::milliseconds timeout{30'000};
};

// Outcome of one POST. Exactly one of three cases:
//  - transportError: no usable HTTP answer (DNS, connect, TLS, timeout, too many
//    redirects, a redirect refused, body over the limit); `error` says why, `status` is
//    0 or the last status seen. The session failed and is retried with back-off
//    (TR-069 3.2.1.1).
//  - authFailure: the ACS still answered 401 after the credentials were sent (or none
//    are configured).
//  - otherwise an HTTP answer: 200 with a body, 200 empty or 204 (end of the ACS's
//    side), or any other status for the engine to treat as a failed session.
struct HttpResult {
  long status = 0;
  std::string body;
  std::string contentType;
  // Headers of the final response, names lower-cased; a repeated header keeps its last value.
  std::map<std::string, std::string> headers;
  std::string error;
  bool transportError = false;
  bool authFailure = false;
  bool bodyTooLarge = false;  // also a transportError
  // The agent's own address on the connection that brought the answer (the address the
  // ACS sees, unless a NAT lies between them); "" when no connection was made.
  std::string localAddress;

  // True when the ACS has nothing more to send in this session (TR-069 3.7.2.4: an
  // empty HTTP response, 204 or 200 with no body).
  [[nodiscard]] bool emptyAnswer() const {
    return !transportError && (status == 204 || (status == 200 && body.empty()));
  }
};

class AcsTransport {
 public:
  virtual ~AcsTransport() = default;

  // Opens a session: everything sent until endSession() goes over one kept-alive
  // connection, with the cookies the ACS set during the session. Calling it while a
  // session is open ends that one first.
  virtual void beginSession(const AcsEndpoint& endpoint) = 0;

  // POSTs one envelope (or an empty POST when `body` is empty). `soapAction` empty
  // means no SOAPAction header (responses to ACS requests and empty POSTs, TR-069
  // 3.4.1); otherwise it is the header's value, quoted if not already quoted (pass
  // "\"\"" for the empty quoted form). Never throws for network problems: see HttpResult.
  // Throws std::logic_error when no session is open.
  // Redirects (TR-069 3.4.5) are followed within post(): the POST goes again, body
  // included, to the new URL, which the rest of the session uses. The credentials go
  // along to another host as Basic or digest over TLS, as digest only over plain HTTP;
  // a redirect from https to http is refused (transportError).
  virtual HttpResult post(std::string_view body, std::string_view soapAction) = 0;

  // Changes how long each later POST of the open session may take (the ACS's
  // SessionTimeout, TR-069 A.4.1). A transport without such a bound ignores it.
  virtual void setTimeout(std::chrono::milliseconds /*timeout*/) {}

  // Closes the connection and forgets the session's cookies and redirect target.
  virtual void endSession() = 0;
};

}  // namespace cwmpd::core::net
