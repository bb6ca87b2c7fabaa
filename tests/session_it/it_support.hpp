// Common ground of the daemon integration tests: a fixture with a private temp dir, a
// test ACS and a cwmpd process pointed at it, small readers for what the ACS recorded,
// and the schema check of every message the daemon sent.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "daemon_process.hpp"
#include "test_acs.hpp"

namespace cwmpd::test {

// One Inform event as sent: code and command key.
using SentEvent = std::pair<std::string, std::string>;

// Readers of a CPE envelope (text as the daemon sent it).
std::vector<SentEvent> informEvents(const std::string& informXml);
std::vector<std::string> eventCodes(const std::string& informXml);
// The value of `name` in the envelope's ParameterList, nullopt when absent.
std::optional<std::string> parameterValue(const std::string& xml, const std::string& name);
int retryCount(const std::string& informXml);
// Local name of the Body's first element ("Inform", "Fault", ...), "" for no body.
std::string bodyMethod(const std::string& xml);

// Every non-empty request body the ACS received is a valid CWMP message of the method
// its Body names (BBF schemas, tests/support). Skipped (with a note) without schemas.
::testing::AssertionResult everyMessageValid(TestAcs& acs);

// The ACS's session records' Informs, in order.
std::vector<std::string> informs(TestAcs& acs);

// Starts a private dbus-daemon in `dir`; stops it on destruction.
class PrivateDbus {
 public:
  explicit PrivateDbus(const std::string& dir);
  ~PrivateDbus();
  PrivateDbus(const PrivateDbus&) = delete;
  PrivateDbus& operator=(const PrivateDbus&) = delete;
  [[nodiscard]] const std::string& address() const { return address_; }

 private:
  std::string address_;
  int pid_ = -1;
};

// Runs cwmpctl with `args` against `busAddress`; exit code and combined output.
std::pair<int, std::string> runCwmpctl(const std::string& busAddress,
                                       const std::vector<std::string>& args);

class DaemonIt : public ::testing::Test {
 protected:
  void SetUp() override;
  // Stops the daemon, checks every message it sent, prints its log when the test
  // failed, and removes the temp dir when it passed.
  void TearDown() override;

  // A fresh ACS (options: TLS) replacing the current one; the daemon keeps its URL.
  void restartAcs(TestAcsOptions options = {});
  // Waits until the ACS saw `count` ended sessions.
  ::testing::AssertionResult waitSessions(int count,
                                          std::chrono::seconds timeout = std::chrono::seconds(10));

  std::string dir_;
  std::unique_ptr<TestAcs> acs_;
  std::unique_ptr<DaemonProcess> daemon_;
  bool validateMessages_ = true;
};

}  // namespace cwmpd::test
