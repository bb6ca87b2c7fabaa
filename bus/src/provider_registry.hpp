// org.cwmpd.Providers1 at /org/cwmpd/DataModel: other processes register a subtree they
// serve (org.cwmpd.Provider1 on their object); the registry mounts it into the engine
// (core::RemoteSubtrees) with a RemoteParticipant that calls the provider, and unmounts it
// when the provider unregisters or leaves the bus (NameOwnerChanged). Lives as long as
// one bus connection: a reconnection drops every provider (they register again when
// they see org.cwmpd come back).
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "cwmpd/bus/dbus_service.hpp"
#include "cwmpd/bus/generated/providers1_adaptor.h"
#include "cwmpd/core/remote_subtree.hpp"
#include "deferred_calls.hpp"

namespace cwmpd::bus {

class ProviderRegistry final : public sdbus::AdaptorInterfaces<org::cwmpd::Providers1_adaptor> {
 public:
  // `wake` tells the connection's loop that a message was queued outside its callbacks
  // (AsioBusLoop::wake).
  ProviderRegistry(sdbus::IConnection& connection, boost::asio::io_context& io,
                   core::RemoteSubtrees& mounts, std::chrono::milliseconds timeout, Logger log,
                   std::function<void()> wake);
  ~ProviderRegistry();
  ProviderRegistry(const ProviderRegistry&) = delete;
  ProviderRegistry& operator=(const ProviderRegistry&) = delete;

  // Whether a provider is registered or registering: a call into the model may then call
  // one (DataModelAdaptor runs it on a thread of its own).
  [[nodiscard]] bool any() const noexcept { return !providers_.empty() || !registering_.empty(); }

 private:
  // Answered once the provider's instances are listed (asynchronously).
  void Register(sdbus::Result<>&& result, std::string definitions,
                sdbus::ObjectPath object) override;
  void Unregister(const sdbus::ObjectPath& object) override;
  void onNameOwnerChanged(const std::string& name, const std::string& newOwner);
  void valuesChanged(core::RemoteSubtrees::MountId id, const std::vector<std::string>& names);
  [[nodiscard]] std::string caller() const;

  struct Provider;
  void drop(Provider& p);
  sdbus::IConnection& connection_;
  boost::asio::io_context& io_;
  core::RemoteSubtrees& mounts_;
  std::chrono::milliseconds timeout_;
  Logger log_;
  std::function<void()> wake_;
  std::unique_ptr<sdbus::IProxy> busDaemon_;
  // By (unique bus name, object path).
  std::map<std::pair<std::string, std::string>, std::unique_ptr<Provider>> providers_;
  // Registrations whose mount runs, by (bus name, object); a provider that leaves
  // meanwhile is marked and its mount undone once it is done.
  struct Registration;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<Registration>> registering_;
  DeferredCalls calls_;
};

}  // namespace cwmpd::bus
