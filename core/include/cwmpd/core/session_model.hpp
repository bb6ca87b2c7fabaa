// What the ACS session needs of the data model besides the RPCs' DataModel: the
// ManagementServer values without secret masking, the Inform's forced and notified
// parameters, the session's batching of plugin flushes, the vendor event codes and the
// factory reset. Used by the session engine (core/src/session/session_engine.cpp) and
// the notification tracker (core/src/session/notifications.cpp); the Engine implements it.
//
// Threading: main loop only.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cwmpd/core/data_model.hpp"

namespace cwmpd::core {

// A parameter whose notification attribute is passive (1) or active (2).
struct NotifiedParameter {
  std::string path;
  int notification;
  bool live;  // read through a plugin getter: changes are found by sampling
  // Served by a D-Bus provider (issue 18): never sampled, never read on the main loop;
  // its ValuesChanged signal reports its changes.
  bool remote = false;
};

class SessionModel : public DataModel {
 public:
  // Value without the secret masking (the session needs ManagementServer.Password).
  // Throws Fault 9005.
  [[nodiscard]] virtual std::string rawValue(std::string_view path) = 0;
  [[nodiscard]] virtual bool exists(std::string_view path) = 0;
  // The plugin that answers for a parameter (the one reading it, else the one defining it),
  // "core" for the core's own, "" for an unknown path: for log lines.
  [[nodiscard]] virtual std::string pluginOf(std::string_view path) = 0;
  // Sets a core-stored value bypassing access rules (ConnectionRequestURL, ...).
  // `persist` keeps it across restarts (a transaction: 9002 when the store cannot).
  // Notifies listeners with `source`.
  virtual void setInternal(std::string_view path, std::string_view value, bool persist,
                           sdk::Source source = sdk::Source::Internal) = 0;
  // ACS sessions batch plugin flushes: inside a session flushes wait for endSession().
  virtual void beginSession() = 0;
  virtual void endSession() = 0;
  // Every existing parameter whose notification attribute is passive or active.
  [[nodiscard]] virtual std::vector<NotifiedParameter> notifiedParameters() = 0;
  // Vendor event codes plugins declared.
  [[nodiscard]] virtual const std::set<std::string>& vendorEvents() const = 0;
  // Wipes everything persisted (factory reset); the caller restarts the daemon.
  virtual void wipeStore() = 0;
};

}  // namespace cwmpd::core
