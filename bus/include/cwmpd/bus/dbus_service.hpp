// cwmpd on D-Bus: publishes the data model (org.cwmpd.DataModel1 at /org/cwmpd/DataModel)
// and the agent (org.cwmpd.Agent1 at /org/cwmpd/Agent) under the name org.cwmpd.
//
// The sd-bus connection is driven by the daemon's boost::asio::io_context (no sdbus-c++
// event loop thread), so every D-Bus call runs on the main loop thread, the only thread
// allowed to touch the DataModel.
//
// When the bus goes away the service logs it, keeps the daemon running and reconnects with
// a back-off timer, re-registering its objects and its name.
//
// Threading: construct, use and destroy on the io_context's thread (or before it runs).
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "cwmpd/core/agent.hpp"
#include "cwmpd/core/data_model.hpp"
#include "cwmpd/core/remote_subtree.hpp"

namespace cwmpd::bus {

enum class LogLevel { Debug, Info, Warning, Error };
using Logger = std::function<void(LogLevel level, const std::string& message)>;

struct BusOptions {
  // "system", "session", "none" (service disabled) or a D-Bus address ("unix:path=/run/x").
  std::string address = "system";
  // Reconnection back-off: first retry after retryInitial, doubling up to retryMax.
  std::chrono::milliseconds retryInitial{std::chrono::seconds(1)};
  std::chrono::milliseconds retryMax{std::chrono::seconds(30)};
  // Where the service reports connection changes and failures; empty = stderr.
  Logger log;
  // Called each time the service owns org.cwmpd with its objects published (at start and
  // after a reconnection): the daemon tells its service manager it is ready then.
  std::function<void()> published;
  // Where org.cwmpd.Providers1 mounts the subtrees of providers (issue 18); none: the
  // registry is not published. The model must outlive the service.
  core::RemoteSubtrees* providers = nullptr;
  // How long a call into a provider may take before it counts as 9002 ([bus]
  // provider_timeout_ms).
  std::chrono::milliseconds providerTimeout{std::chrono::seconds(2)};
  // org.cwmpd.Agent1.Reboot: the daemon's reboot (which waits for the end of an open
  // session); none: the method fails with 9001.
  std::function<void()> reboot;
};

class DbusService {
 public:
  DbusService(boost::asio::io_context& io, core::DataModel& model, core::AgentControl& agent,
              const BusOptions& options);
  ~DbusService();
  DbusService(const DbusService&) = delete;
  DbusService& operator=(const DbusService&) = delete;

  // Connects, publishes the objects and requests org.cwmpd. Returns true when the service is
  // on the bus; on failure it logs, schedules a retry and returns false (the daemon goes on
  // without the bus). With address "none" it does nothing and returns true.
  bool start();
  // Leaves the bus and cancels any retry. Also done by the destructor.
  void stop();

  // True while the name is owned and the objects are published.
  [[nodiscard]] bool connected() const noexcept;
  // True when the address is "none".
  [[nodiscard]] bool disabled() const noexcept;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;  // shared: the model's listeners hold weak references
};

}  // namespace cwmpd::bus
