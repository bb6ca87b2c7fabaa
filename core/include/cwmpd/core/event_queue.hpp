// Undelivered Inform events, persisted so that a crash or reboot loses none, with the
// cumulative and retry/discard rules of TR-069 3.7.1.5 (Table 7).
//
// Threading: main loop only.
#pragma once

#include <string>
#include <vector>

#include "cwmpd/core/store.hpp"

namespace cwmpd::core {

struct QueuedEvent {
  std::string code;  // "1 BOOT", "M Reboot", "X CT-COM BIND"
  std::string commandKey;
  bool operator==(const QueuedEvent&) const = default;
};

// True for the codes TR-069 defines ("0 BOOTSTRAP".."14 HEARTBEAT", "M <method>") and
// for syntactically valid vendor codes ("X <OUI> <NAME>").
bool isValidEventCode(const std::string& code);

class EventQueue {
 public:
  // `store` keeps the queue (keys "q:..."); it is committed on every change.
  explicit EventQueue(Store& store);

  // Adds an event. Single events (every numbered code and "M Reboot") are merged with a
  // queued one of the same code; "M <method>" and vendor events are multiple. Adding
  // "0 BOOTSTRAP" discards every other event except "1 BOOT" (the ACS will learn the
  // device anew).
  void add(const std::string& code, const std::string& commandKey = {});
  [[nodiscard]] std::vector<QueuedEvent> pending() const;
  [[nodiscard]] bool empty() const { return events_.empty(); }
  [[nodiscard]] bool contains(const std::string& code) const;

  // The Inform carrying `sent` got its InformResponse: those events are delivered.
  void delivered(const std::vector<QueuedEvent>& sent);
  // The session failed: events that must not be retried are dropped
  // ("6 CONNECTION REQUEST" — the ACS will ask again if it still wants the device).
  void sessionFailed();
  // At start-up after a reboot or restart: drops what a new boot replaces (an old
  // "1 BOOT", "2 PERIODIC", "5 KICKED", "6 CONNECTION REQUEST"; "8 DIAGNOSTICS COMPLETE",
  // whose results the restart lost).
  void booted();
  // Removes every queued event with `code` (the transfer manager, once TransferComplete
  // was acknowledged).
  void remove(const std::string& code);
  void clear();

 private:
  void save();
  Store& store_;
  std::vector<QueuedEvent> events_;
};

}  // namespace cwmpd::core
