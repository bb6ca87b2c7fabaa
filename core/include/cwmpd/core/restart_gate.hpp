// One place for whatever restarts the box or the agent: a reboot, a factory reset, a
// firmware install. None of them may cut a session with the ACS: TR-069 has the CPE
// reboot for the Reboot RPC only after the session ended (A.3.2.9), and an ACS that sees
// its session cut records a failure (GenieACS: session_terminated, then HTTP 400 to the
// next Informs). The same holds for a reboot that a plugin, the HAL's reboot hook, D-Bus
// (`cwmpctl reboot`) or a transfer asks for, so they all come through this gate: while a
// session is open, the action waits for its end.
//
// Threading: main loop only.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "cwmpd/core/agent.hpp"
#include "cwmpd/hal/hal.hpp"

namespace cwmpd::core {

class RestartGate {
 public:
  explicit RestartGate(boost::asio::io_context& io);
  ~RestartGate();
  RestartGate(const RestartGate&) = delete;
  RestartGate& operator=(const RestartGate&) = delete;

  // From now on, actions wait while `agent` has a session open (Connecting or InSession).
  // Before it, nothing waits. The agent must outlive the gate or stop calling it.
  void attach(AgentControl& agent);
  [[nodiscard]] bool sessionOpen() const;

  // Runs `action` now when no session is open. Otherwise it waits, logged with `what`
  // ("reboot", "transfer 3"), and runs on the main loop after the session ended, unless
  // a new session has begun by then: it waits for that one's end too. An exception out
  // of a waiting action is logged.
  void whenIdle(const std::string& what, std::function<void()> action);

  // A view of `hal` whose System's reboot(), factoryReset() and applyFirmware() go
  // through whenIdle(); everything else is `hal` itself. Both must outlive the view.
  [[nodiscard]] std::unique_ptr<hal::Hal> gate(hal::Hal& hal);

 private:
  void runWaiting();

  boost::asio::io_context& io_;
  AgentControl* agent_ = nullptr;
  std::vector<std::pair<std::string, std::function<void()>>> waiting_;
  std::shared_ptr<bool> life_ = std::make_shared<bool>(true);
};

}  // namespace cwmpd::core
