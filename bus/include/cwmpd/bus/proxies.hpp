// Client side of org.cwmpd: the generated proxies bound to the service's objects, for
// cwmpctl, tests and benchmarks (target cwmpd::bus_proxies).
//
// The proxies use the caller's connection and never start an sdbus-c++ thread; signals are
// delivered while the caller runs that connection (processPendingRequest, enterEventLoop).
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <functional>
#include <string>
#include <vector>

#include "cwmpd/bus/generated/agent1_proxy.h"
#include "cwmpd/bus/generated/data_model1_proxy.h"
#include "cwmpd/bus/names.hpp"

namespace cwmpd::bus {

using ValueTuple = sdbus::Struct<std::string, std::string, std::string>;

class DataModelProxy final : public sdbus::ProxyInterfaces<org::cwmpd::DataModel1_proxy> {
 public:
  using ChangeHandler = std::function<void(const std::vector<ValueTuple>& changes)>;

  // With a handler the proxy subscribes to ValueChanged (one more round trip to the bus).
  explicit DataModelProxy(sdbus::IConnection& connection, ChangeHandler onChange = {},
                          const std::string& service = kServiceName)
      : ProxyInterfaces(connection, service, kDataModelPath), onChange_(std::move(onChange)) {
    if (onChange_) registerProxy();
  }
  ~DataModelProxy() { unregisterProxy(); }
  DataModelProxy(const DataModelProxy&) = delete;
  DataModelProxy& operator=(const DataModelProxy&) = delete;

 private:
  void onValueChanged(const std::vector<ValueTuple>& changes) override {
    if (onChange_) onChange_(changes);
  }

  ChangeHandler onChange_;
};

class AgentProxy final : public sdbus::ProxyInterfaces<org::cwmpd::Agent1_proxy> {
 public:
  // Called with true on SessionStarted and false on SessionEnded.
  using SessionHandler = std::function<void(bool started)>;

  explicit AgentProxy(sdbus::IConnection& connection, SessionHandler onSession = {},
                      const std::string& service = kServiceName)
      : ProxyInterfaces(connection, service, kAgentPath), onSession_(std::move(onSession)) {
    if (onSession_) registerProxy();
  }
  ~AgentProxy() { unregisterProxy(); }
  AgentProxy(const AgentProxy&) = delete;
  AgentProxy& operator=(const AgentProxy&) = delete;

 private:
  void onSessionStarted() override {
    if (onSession_) onSession_(true);
  }
  void onSessionEnded() override {
    if (onSession_) onSession_(false);
  }

  SessionHandler onSession_;
};

}  // namespace cwmpd::bus
