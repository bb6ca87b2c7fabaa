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
// Threading: main loop only, or a thread the model is lent to (ModelLoan below).
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cwmpd::core {

using NameValues = std::vector<std::pair<std::string, std::string>>;

// One provider. Every call either answers or throws sdk::Fault: the provider's refusal
// (9007 ...), 9002 for a provider that does not answer in time or has left. On a thread the
// model is lent to, a call suspends (ModelLoan::suspend) instead of blocking the loop.
class RemoteParticipant {
 public:
  virtual ~RemoteParticipant() = default;
  [[nodiscard]] virtual NameValues get(const std::vector<std::string>& names) = 0;
  virtual void validate(const NameValues& changes) = 0;
  virtual void apply(const NameValues& changes) = 0;
  // `changes` carries the values to return to.
  virtual void rollback(const NameValues& changes) = 0;
  // An apply that got no answer in time may still happen: the provider is told to return
  // to `changes` all the same, without waiting for its answer this time (the transaction
  // has already waited its timeout).
  virtual void restore(const NameValues& changes) { rollback(changes); }
  // The instance keys of `table` ("Device.X_Voice.Line.").
  [[nodiscard]] virtual std::vector<std::uint32_t> instances(const std::string& table) = 0;
  // A new instance of `table`: its key.
  [[nodiscard]] virtual std::uint32_t add(const std::string& table) = 0;
  // Deletes `instance` ("Device.X_Voice.Line.7.").
  virtual void remove(const std::string& instance) = 0;
};

// Lending the model to a worker thread, so that a call into a provider suspends the work
// that needs its answer and not the main loop (issue 18: "the main loop never blocks on a
// provider").
//
// The model belongs to the main loop. runLent() is how a worker thread (the ACS session's)
// gets it instead of posting work to the loop: the loop parks in a handler of its own
// while the worker runs `work`, then goes on. When `work` reaches a provider call, the
// participant calls suspend(): the call is sent, the loop gets the model back and keeps
// serving D-Bus, connection requests and timers, and when the answer (or the timeout)
// comes the loop parks again and the worker carries on from where it stopped. So the
// model is only ever touched by one thread at a time, as before; what is new is that
// other work of the loop can run while an RPC waits for a provider.
//
// What the loop may do meanwhile: anything that reads, and nothing that reshapes the tree
// under the suspended work. Changes wait for their turn instead (bus/README.md, "Queue"):
// - lent work that begins a transaction (or mounts a provider) while other work is
//   suspended waits, the model back with the loop, until none is (awaitTurn());
// - changes asked on the loop (a D-Bus set, AddObject, a provider's Register) are queued
//   (queueChange()) and run in order once nothing is suspended, each after the previous
//   one has finished; the queue holds kMaxQueuedChanges, beyond that they are refused;
// - a change the loop makes for itself while work is suspended (a plugin's new instance
//   number or removed instance, a value the core persists, a vendor configuration file)
//   cannot wait where it is asked: it is queued (queueOwnChange()) and applied once
//   nothing is suspended, before anything else that waited, in the order asked; the
//   engine gives its caller what it needs at once (the instance number, reserved);
// - a provider that leaves is unmounted once nothing is suspended (whenIdle()).
class ModelLoan {
 public:
  static constexpr std::size_t kMaxQueuedChanges = 64;
  // The threads runAsync() runs work on, reused; more work waits for one in order.
  static constexpr std::size_t kMaxLentWorkers = 4;
  // On a worker thread: runs `work` (which must not throw) with the model lent to it.
  static void runLent(boost::asio::io_context& io, const std::function<void()>& work);
  // On the main loop: runs `work` (which must not throw) on one of kMaxLentWorkers
  // threads with the model lent to it (once one is free: work starts in the order it
  // came), then `done` on the loop. A provider call in `work` suspends that thread, not
  // the loop. Throws std::system_error when no thread can be started.
  static void runAsync(boost::asio::io_context& io, std::function<void()> work,
                       std::function<void()> done);
  // True on a thread the model is lent to, where suspend() may be called.
  [[nodiscard]] static bool lent() noexcept;
  // On a lent thread: calls `start` with a `resume` to call once (on the main loop) when
  // the operation has completed, hands the model back to the loop and waits for resume().
  // `start` must not call resume() itself; when it throws nothing is suspended.
  static void suspend(const std::function<void(std::function<void()> resume)>& start);
  // On a lent thread, before it changes the tree: while other lent work is suspended,
  // hands the model back and waits until none is.
  static void awaitTurn();
  // On the main loop: true while some lent work waits in suspend().
  [[nodiscard]] static bool busy() noexcept;
  // On the main loop: runs `f` now when nothing is suspended, else once nothing is.
  static void whenIdle(std::function<void()> f);
  // On the main loop: `change` runs (now, or queued) when nothing is suspended and every
  // change queued before it has called its `finished` (on the loop, once; it may do so
  // before it returns). False, and nothing queued, when kMaxQueuedChanges wait already.
  // `change` must not throw.
  [[nodiscard]] static bool queueChange(std::function<void(std::function<void()> finished)> change);
  // On the main loop: `change`, a change the loop makes for itself, runs now when nothing
  // is suspended, else once nothing is: before the lent work waiting its turn and the
  // queued changes, in the order asked. Never refused (the loop's own changes are few:
  // they come from its timers and plugins, not from callers). `change` must not throw.
  static void queueOwnChange(std::function<void()> change);
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
  // instances, 9001 on the loop while lent work is suspended (ModelLoan::busy); on a lent
  // thread it waits its turn (ModelLoan::awaitTurn). Nothing is mounted when it throws.
  [[nodiscard]] virtual MountId mount(const std::string& name, std::string_view definitions,
                                      std::shared_ptr<RemoteParticipant> participant) = 0;
  // Removes the mounted subtree at once (the provider left or unregistered), or once no
  // lent work is suspended (ModelLoan::whenIdle). Attributes and instance numbers stay in
  // the store.
  virtual void unmount(MountId id) noexcept = 0;
  // The provider's ValuesChanged (its names): change listeners hear the new values.
  virtual void remoteValuesChanged(MountId id, const std::vector<std::string>& names) = 0;
};

}  // namespace cwmpd::core
