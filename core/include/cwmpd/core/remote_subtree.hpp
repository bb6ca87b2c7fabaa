// Subtrees served by other processes (issue 18: D-Bus providers, bus/src/providers*). The
// core knows them only through these two interfaces: bus/ implements RemoteParticipant
// (calls to the provider), the engine implements RemoteSubtrees (mounting the provider's
// definitions into the tree). A mounted subtree is part of the tree like a plugin's:
// reads, names, attributes (stored by the core, by path, so they outlive the provider),
// notifications and transactions (validate, apply, rollback) see it.
//
// Names given to a participant are the provider's own: its instance keys stand where the
// core's instance numbers are ("Device.X_Voice.Line.7.Enable" for the core's
// "Device.X_Voice.Line.1.Enable" when the provider reported key 7). The core numbers a
// provider's instances by key and persists the numbers (as for plugins), so a provider
// that comes back with the same keys gets the same numbers.
//
// Threading: main loop only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cwmpd::core {

using NameValues = std::vector<std::pair<std::string, std::string>>;

// One provider. Every call either answers or throws sdk::Fault: the provider's refusal
// (9007 ...), 9002 for a provider that does not answer in time or has left.
class RemoteParticipant {
 public:
  virtual ~RemoteParticipant() = default;
  [[nodiscard]] virtual NameValues get(const std::vector<std::string>& names) = 0;
  virtual void validate(const NameValues& changes) = 0;
  virtual void apply(const NameValues& changes) = 0;
  // `changes` carries the values to return to.
  virtual void rollback(const NameValues& changes) = 0;
  // The instance keys of `table` ("Device.X_Voice.Line.").
  [[nodiscard]] virtual std::vector<std::uint32_t> instances(const std::string& table) = 0;
  // A new instance of `table`: its key.
  [[nodiscard]] virtual std::uint32_t add(const std::string& table) = 0;
  // Deletes `instance` ("Device.X_Voice.Line.7.").
  virtual void remove(const std::string& instance) = 0;
};

class RemoteSubtrees {
 public:
  using MountId = int;
  virtual ~RemoteSubtrees() = default;

  // Mounts the model of `definitions` (a BBF data model document, the format of a plugin's
  // model.xml) for the configured root, served by `participant`. `name` names the provider
  // in logs. Throws sdk::Fault: 9003 for a document that does not parse or defines nothing
  // for the root, 9001 when it defines a parameter or object that exists already (the
  // core's, a plugin's or another provider's), 9002 when the provider does not list its
  // instances. Nothing is mounted then.
  [[nodiscard]] virtual MountId mount(const std::string& name, std::string_view definitions,
                                      std::shared_ptr<RemoteParticipant> participant) = 0;
  // Removes the mounted subtree at once (the provider left or unregistered). Attributes
  // and instance numbers stay in the store.
  virtual void unmount(MountId id) noexcept = 0;
  // The provider's ValuesChanged (its names): change listeners hear the new values.
  virtual void remoteValuesChanged(MountId id, const std::vector<std::string>& names) = 0;
};

}  // namespace cwmpd::core
