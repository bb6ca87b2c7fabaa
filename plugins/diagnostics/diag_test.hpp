// One diagnostic test object ("Device.IP.Diagnostics.IPPing.", "InternetGatewayDevice.
// IPPingDiagnostics."): its writable test parameters, its DiagnosticsState and its results,
// held in memory (results are not retained across a reboot, TR-069 A.4.1.7 / the models'
// DiagnosticsState description), and the worker thread a requested test runs on.
//
// State machine (the models' DiagnosticsState description):
//   - a set of DiagnosticsState = "Requested" (with or without other parameters of the
//     object) clears the results and marks the test pending; a running one is cancelled;
//   - the pending test starts from the plugin's flush, i.e. after the ACS session ends
//     (TR-069: "the CPE SHOULD wait until after completion of the communication session"),
//     or right after the transaction when the set came from outside a session (D-Bus);
//   - a set of any other parameter, or of DiagnosticsState = "Canceled" (TR-181 2.17),
//     cancels a running test, sets "None" and clears the results;
//   - the worker's outcome is posted back to the main loop (Host::post): the results and
//     "Complete" / "Error_..." are shown and "8 DIAGNOSTICS COMPLETE" is raised. An
//     outcome of a test that was cancelled meanwhile is dropped.
#pragma once

#include <atomic>
#include <cwmpd/sdk/plugin.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace cwmpd::plugins::diagnostics {

using Row = std::map<std::string, std::string>;  // parameter -> value

// What a worker hands back: the DiagnosticsState to show and the result parameters.
struct Outcome {
  std::string state;                           // "Complete", "Error_CannotResolveHostName", ...
  std::map<std::string, std::string> results;  // result parameter -> value
  // Result rows per table of the Spec (RouteHops.{i}., PerConnectionResult.{i}., ...), in order.
  std::vector<std::vector<Row>> tables;
  std::string detail;  // for the log

  std::vector<Row>& rows(std::size_t table = 0) {
    if (tables.size() <= table) tables.resize(table + 1);
    return tables[table];
  }
};

// Runs on the worker thread: must watch `cancel` and return soon after it turns true.
using Work = std::function<Outcome(const std::atomic<bool>& cancel)>;

class DiagTest {
 public:
  struct Spec {
    std::string object;                            // "Device.IP.Diagnostics.IPPing."
    std::map<std::string, std::string> params;     // writable test parameters and defaults
    std::map<std::string, std::string> results;    // result parameters and their cleared value
    std::map<std::string, std::string> constants;  // read-only capabilities of the test
    // Set-time checks of one change (throw sdk::Fault 9007); main loop.
    std::function<void(const sdk::Change&)> check;
    // Builds the work from the parameters; main loop, at start time. Throwing
    // sdk::Fault ends the test in `errorState` (e.g. Error_Internal).
    std::function<Work(const std::map<std::string, std::string>& params)> prepare;
    std::string internalError = "Error_Internal";
    // Tables of result rows ("...TraceRoute.RouteHops."): their parameters and their
    // cleared values. Row N is keyed "N", so rows number 1, 2, ... every time.
    struct Table {
      std::string path;
      Row params;
    };
    std::vector<Table> tables;
  };

  DiagTest(sdk::Host& host, Spec spec);
  ~DiagTest();
  DiagTest(const DiagTest&) = delete;
  DiagTest& operator=(const DiagTest&) = delete;

  void bind(sdk::Registrar& reg);
  // Starts the pending test, if any (the plugin's flush).
  void flush();
  // Cancels and joins every worker (plugin stop).
  void stop();

  [[nodiscard]] const std::string& state() const { return state_; }

 private:
  using Rows = std::vector<std::map<std::uint32_t, Row>>;  // per table: number -> values
  struct Snapshot {
    std::map<std::string, std::string> params;
    std::map<std::string, std::string> results;
    Rows rows;
    std::string state;
    bool pending = false;
  };
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> cancel;
    std::shared_ptr<std::atomic<bool>> done;
  };

  void cancelRunning();
  void reapWorkers();
  void finish(std::uint64_t generation, Outcome outcome);
  void notifyAll();
  void clearResults();
  // Removes the rows that no longer hold results. Never from a handler: the core may be
  // walking the rows then; from posted work or the worker's outcome.
  void dropStaleRows();

  sdk::Host& host_;
  Spec spec_;
  std::map<std::string, std::string> params_;
  std::map<std::string, std::string> results_;
  Rows rows_;
  std::vector<std::vector<std::uint32_t>> rowNumbers_;  // per table: rows that exist in the tree
  std::string state_ = "None";
  bool pending_ = false;
  std::uint64_t generation_ = 0;  // bumped by every request and cancel: stale outcomes are dropped
  std::vector<Worker> workers_;
  std::shared_ptr<std::atomic<bool>> runningCancel_;
  Snapshot before_;  // what the last apply changed, for its rollback
};

// Result values shared by the tests.
std::string msFromUs(std::uint64_t us);

}  // namespace cwmpd::plugins::diagnostics
