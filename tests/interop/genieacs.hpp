// The real GenieACS for the interop tests: starts ../shared/acs/genieacs/genieacs.sh
// (CWMPD_GENIEACS_DIR) on free loopback ports in a work folder, stops it on destruction,
// and talks to its NBI (REST API) with libcurl.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace cwmpd::test {

struct HttpReply {
  long status = 0;     // 0: no answer (connection error)
  std::string reason;  // the status line's reason phrase (GenieACS puts its verdict there)
  std::string body;
  std::string error;  // libcurl's message when status is 0
};

// One HTTP request on 127.0.0.1 (headers as "Name: value").
HttpReply httpRequest(const std::string& method, const std::string& url,
                      const std::string& body = {}, const std::vector<std::string>& headers = {});
// A GET with HTTP digest credentials (libcurl's own digest): the status.
long digestGet(const std::string& url, const std::string& username, const std::string& password);
// encodeURIComponent of JavaScript.
std::string uriComponent(const std::string& text);
// A DeviceId field as GenieACS writes it into the device id: every character other than
// A-Z a-z 0-9 _ as %XX ("SN-01" -> "SN%2D01").
std::string deviceIdPart(const std::string& text);

class GenieAcs {
 public:
  // Runs `scriptDir`/genieacs.sh start `workDir` on five free loopback ports (a few
  // tries if another process takes one meanwhile); throws std::runtime_error with the
  // script's output when it does not come up. `workDir` may be reused across runs: the
  // script then skips its copy and `npm ci`.
  GenieAcs(std::string scriptDir, std::string workDir);
  ~GenieAcs();  // genieacs.sh stop
  GenieAcs(const GenieAcs&) = delete;
  GenieAcs& operator=(const GenieAcs&) = delete;

  [[nodiscard]] std::string cwmpUrl() const;  // what the CPE is given
  [[nodiscard]] std::uint16_t fsPort() const { return fsPort_; }
  [[nodiscard]] double startSeconds() const { return startSeconds_; }
  // A request to the NBI; `path` starts with '/'.
  HttpReply nbi(const std::string& method, const std::string& path, const std::string& body = {},
                const std::vector<std::string>& headers = {}) const;
  // The body of every HTTP request GenieACS's CWMP port received so far, in order (the
  // CPE's messages; "" for an empty POST), from its debug dump (cwmp.debug, which
  // start() turns on: GENIEACS_DEBUG=1).
  [[nodiscard]] std::vector<std::string> cpeMessages() const;
  // The last lines of GenieACS's cwmp and nbi logs (for a failing test's output).
  [[nodiscard]] std::string logTail(std::size_t lines = 40) const;

 private:
  int runScript(const std::string& command, std::string& output) const;

  std::string scriptDir_;
  std::string workDir_;
  std::uint16_t cwmpPort_ = 0;
  std::uint16_t nbiPort_ = 0;
  std::uint16_t fsPort_ = 0;
  std::uint16_t dbPort_ = 0;
  std::uint16_t uiPort_ = 0;
  double startSeconds_ = 0;
  bool started_ = false;
};

}  // namespace cwmpd::test
