// Starts tests/acs/test_acs.py as a child process and drives its control API, so a
// C++ test can script the ACS side of a session and inspect what it received.
#pragma once

#include <sys/types.h>

#include <boost/property_tree/ptree.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cwmpd::test {

using Json = boost::property_tree::ptree;  // every value is a string ("true", "401", ...)

struct TestAcsOptions {
  std::string tlsCert;                // serve HTTPS with this certificate...
  std::string tlsKey;                 // ...and key
  std::string tlsClientCa;            // require client certificates from this CA
  std::string logFile;                // JSONL log of every request
  std::string scriptFile;             // initial {config, rpcs, responses}
  std::string address = "127.0.0.1";  // or "::1"
};

class TestAcs {
 public:
  // Spawns the ACS and waits (10 s at most) for it to report its ports; throws
  // std::runtime_error when it does not come up.
  explicit TestAcs(TestAcsOptions options = {});
  ~TestAcs();  // SIGTERM, then reaps the child
  TestAcs(const TestAcs&) = delete;
  TestAcs& operator=(const TestAcs&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::uint16_t controlPort() const { return controlPort_; }
  // "http(s)://ADDRESS:PORT" + path (an IPv6 address in brackets)
  [[nodiscard]] std::string url(std::string_view path = "/acs") const;

  // Control API; each throws std::runtime_error on a non-200 answer.
  void configure(std::string_view jsonObject);    // POST /config
  void addRpc(std::string_view soapBody);         // POST /rpcs (one)
  void addResponses(std::string_view jsonArray);  // POST /responses
  void reset();                                   // POST /reset
  void release(std::string_view holdName);        // POST /release: a canned "hold" goes on
  // GenieACS-like mode (README.md, "GenieACS mode"): POST /config {"mode": "genieacs"}.
  void behaveLikeGenieAcs();
  [[nodiscard]] std::vector<Json> requests(std::size_t since = 0);
  [[nodiscard]] std::vector<Json> sessions();
  [[nodiscard]] std::vector<Json> results();
  // GET /wait: true when `what` (requests, sessions, ended_sessions, results, held)
  // reached count.
  bool waitFor(std::string_view what, int count, std::chrono::seconds timeout);
  // The ACS sends `count` connection requests (GET with digest) to the CPE and
  // returns the answer: {"statuses": {"200": n, ...}, "outcomes": {"ok": n, ...},
  // "status": s and "outcome": o (when count == 1)}. The outcome is GenieACS's reading
  // of the status: "ok" (200, 204), "offline" (503, refused or reset), "credentials"
  // (401 after the digest answer) or "error". In GenieACS mode the requests are sent as
  // GenieACS sends them (digest on the same keep-alive connection).
  Json connectionRequest(std::string_view cpeUrl, std::string_view username,
                         std::string_view password, int count = 1);

  std::string control(std::string_view method, std::string_view path, std::string_view body);

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::uint16_t controlPort_ = 0;
  std::string scheme_;
  std::string host_;
};

// JSON string literal (quotes included) for `text`.
std::string jsonQuote(std::string_view text);
// Parses a JSON document (object or array) into a ptree; throws on bad JSON.
Json parseJson(const std::string& text);
// Runs tests/acs/make-ca.sh into `dir`; throws when it fails.
void makeTestCa(const std::string& dir);
// A fresh private directory under $TMPDIR (or /tmp), removed by the caller.
std::string makeTempDir(std::string_view prefix);

}  // namespace cwmpd::test
