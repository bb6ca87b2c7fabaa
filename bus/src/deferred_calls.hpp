// D-Bus methods answered later (org.freedesktop.DBus.Method.Async "server"), so that a
// call that waits for a provider never holds cwmpd's loop (issue 18, bus/README.md
// "Providers"). A method hands its work here:
// - with no provider registered the work runs at once on the loop, as it always did (no
//   thread, the answer before the method returns);
// - else it runs on one of a few reused threads with the model lent to it
//   (core::ModelLoan::runAsync): a provider call inside suspends that thread and the loop
//   goes on serving others; the answer goes out from the loop when the work is done;
// - a change (set, add, delete, Register) is queued while lent work is suspended and runs
//   after it, in order (ModelLoan::queueChange); a full queue is refused with 9004.
// Main loop only. Answers still owed when this object goes (its connection goes with it)
// are dropped: the callers see their connection's error.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <tuple>
#include <utility>

#include "cwmpd/bus/dbus_service.hpp"
#include "cwmpd/core/remote_subtree.hpp"
#include "fault_translation.hpp"

namespace cwmpd::bus {

class DeferredCalls {
 public:
  enum class Kind { Read, Change };

  // `wake` tells the connection's loop that a message was queued outside its callbacks;
  // `remote` says whether some provider is registered (work may then call one).
  DeferredCalls(boost::asio::io_context& io, Logger log, std::function<void()> wake,
                std::function<bool()> remote);
  ~DeferredCalls();
  DeferredCalls(const DeferredCalls&) = delete;
  DeferredCalls& operator=(const DeferredCalls&) = delete;

  void remote(std::function<bool()> remote) { shared_->remote = std::move(remote); }

  // Runs `compute` (returning the method's one result, or nothing) as `kind` and answers
  // `result` with its value or with the org.cwmpd.Fault.* error it throws. `then`, when
  // given, runs on the loop after `compute` (ok: it succeeded), before the answer; when
  // it throws a fault, that is the answer.
  template <typename... R, typename Compute>
  void serve(const char* method, Kind kind, sdbus::Result<R...>&& result, Compute compute,
             const std::function<void(bool ok)>& then = {}) {
    struct State {
      std::optional<sdbus::Result<R...>> result;
      std::optional<std::tuple<R...>> value;
      std::optional<sdbus::Error> error;
    };
    auto state = std::make_shared<State>();
    state->result.emplace(std::move(result));
    const std::uint64_t id = ++shared_->next;
    shared_->owed[id] = [state] { state->result.reset(); };
    auto work = [state, log = shared_->log, method, compute]() mutable {
      try {
        state->value.emplace(translateFaults(log, method, [&] {
          if constexpr (sizeof...(R) == 0) {
            compute();
            return std::tuple<>();
          } else {
            return std::tuple<R...>(compute());
          }
        }));
      } catch (const sdbus::Error& e) {
        state->error.emplace(e);
      }
    };
    std::weak_ptr<Shared> weak = shared_;
    auto answer = [state, id, weak, method, then] {
      auto self = weak.lock();
      if (!self || !state->result) return;
      if (then) {
        try {
          const bool ok = !state->error;
          translateFaults(self->log, method, [&] { then(ok); });
        } catch (const sdbus::Error& e) {
          state->error.emplace(e);
        }
      }
      try {
        if (state->error) {
          state->result->returnError(*state->error);
        } else {
          std::apply([&](const auto&... v) { state->result->returnResults(v...); }, *state->value);
        }
      } catch (const sdbus::Error& e) {
        self->log(LogLevel::Warning, std::string(method) + ": cannot answer: " + e.getMessage());
      }
      state->result.reset();
      self->owed.erase(id);
      if (self->wake) self->wake();
    };
    auto start = [weak, work, answer, state](const std::function<void()>& finished) mutable {
      auto self = weak.lock();
      if (!self || !self->remote || !self->remote()) {
        if (self) work();
        answer();
        finished();
        return;
      }
      try {
        core::ModelLoan::runAsync(self->io, work, [answer, finished] {
          answer();
          finished();
        });
      } catch (const std::exception& e) {
        self->log(LogLevel::Error, std::string("cannot start a thread: ") + e.what());
        state->error.emplace(internalError());
        answer();
        finished();
      }
    };
    if (kind == Kind::Read) {
      start([] {});
      return;
    }
    if (!core::ModelLoan::queueChange(start)) {
      state->error.emplace(queueFull());
      answer();
    }
  }

 private:
  static sdbus::Error internalError();
  static sdbus::Error queueFull();

  struct Shared {
    boost::asio::io_context& io;
    Logger log;
    std::function<void()> wake;
    std::function<bool()> remote;
    std::uint64_t next = 0;
    std::map<std::uint64_t, std::function<void()>> owed;  // drops an owed answer
  };
  std::shared_ptr<Shared> shared_;
};

}  // namespace cwmpd::bus
