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

namespace cwmpd::bus {

class ProviderRegistry final : public sdbus::AdaptorInterfaces<org::cwmpd::Providers1_adaptor> {
 public:
  // `wake` tells the connection's loop that a message was queued outside its callbacks
  // (AsioBusLoop::wake).
  ProviderRegistry(sdbus::IConnection& connection, core::RemoteSubtrees& mounts,
                   std::chrono::milliseconds timeout, Logger log, std::function<void()> wake);
  ~ProviderRegistry();
  ProviderRegistry(const ProviderRegistry&) = delete;
  ProviderRegistry& operator=(const ProviderRegistry&) = delete;

 private:
  void Register(const std::string& definitions, const sdbus::ObjectPath& object) override;
  void Unregister(const sdbus::ObjectPath& object) override;
  void onNameOwnerChanged(const std::string& name, const std::string& newOwner);
  [[nodiscard]] std::string caller() const;

  struct Provider;
  void drop(Provider& p);
  sdbus::IConnection& connection_;
  core::RemoteSubtrees& mounts_;
  std::chrono::milliseconds timeout_;
  Logger log_;
  std::function<void()> wake_;
  std::unique_ptr<sdbus::IProxy> busDaemon_;
  // By (unique bus name, object path).
  std::map<std::pair<std::string, std::string>, std::unique_ptr<Provider>> providers_;
};

}  // namespace cwmpd::bus
