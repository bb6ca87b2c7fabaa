// Software module management (TR-069 Amendment 6 Annex H and A.4.1.10 ChangeDUState,
// A.4.2.6/A.4.2.7 DUStateChangeComplete / AutonomousDUStateChangeComplete; TR-181
// Device.SoftwareModules.) over the execution environments plugins declare
// (cwmpd/sdk/exec_env.hpp).
//
// ChangeDUState is answered at once; its operations run in order after the session ends
// (the DU is downloaded with the transfer machinery: URL, credentials, TLS, size limit),
// and their results reach the ACS in a later session with DUStateChangeComplete and the
// events "11 DU STATE CHANGE COMPLETE" and "M ChangeDUState". Every accepted request is a
// persisted record (keys "swm:req:<id>" of the state store): a restart resumes it at the
// first operation not done, and a completed one is reported again until the ACS
// acknowledged it. The UUID and URL of each installed DU are persisted too ("swm:du:");
// everything else of the rows comes from the EEs' list().
//
// Changes made on the box (an EE's own report, or a change asked for over D-Bus, which
// runs like a ChangeDUState operation) are records too, flagged autonomous: reported with
// AutonomousDUStateChangeComplete where the ACS's policy asks, again after a restart
// until the ACS acknowledged them.
//
// Threading: main loop only; the download runs on a worker thread that posts back.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "cwmpd/core/agent.hpp"
#include "cwmpd/core/clock.hpp"
#include "cwmpd/core/soap/messages.hpp"
#include "cwmpd/core/store.hpp"
#include "cwmpd/sdk/exec_env.hpp"
#include "cwmpd/sdk/plugin.hpp"

namespace cwmpd::core {

class SessionEngine;

struct SoftwareModulesOptions {
  std::string dir;  // temporary space for downloaded DUs (the transfers' [transfers] dir)
  std::uint64_t maxSize = 128ull << 20;
  std::string caFile, clientCert, clientKey;  // TLS towards file servers, as for transfers
  bool verifyPeer = true;
  std::chrono::seconds connectTimeout{30};
  std::chrono::seconds timeout{3600};
  std::shared_ptr<Clock> clock;  // null: the system's
};

// One operation of a ChangeDUState as persisted.
struct DuOperationRecord {
  enum class Type : std::uint8_t { Install, Update, Uninstall };
  Type type = Type::Install;
  std::string url, uuid, username, password, executionEnvRef, version;
  bool done = false;
  soap::OpResultStruct result;
  bool operator==(const DuOperationRecord&) const = default;
};

struct DuRequestRecord {
  std::uint64_t id = 0;
  std::string commandKey;
  std::vector<DuOperationRecord> operations;
  bool complete = false;    // every operation done: DUStateChangeComplete pending
  bool autonomous = false;  // made on the box: AutonomousDUStateChangeComplete
  bool operator==(const DuRequestRecord&) const = default;
};

// Store (de)serialisation, exposed for tests.
void saveDuRequest(Store& store, const DuRequestRecord& record);
[[nodiscard]] std::vector<DuRequestRecord> loadDuRequests(const Store& store);
// TR-069 Annex H: "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", hex digits.
[[nodiscard]] bool validUuid(std::string_view uuid);
// RFC 4122 section 4.3: the name-based version 5 (SHA-1) UUID of `name` in the name space
// `ns` (a UUID); "" when `ns` is not one (or SHA-1 is not available).
[[nodiscard]] std::string nameBasedUuid(std::string_view ns, std::string_view name);
// The UUID of a DU the ACS named none for (TR-181 DeploymentUnit.{i}.UUID: "RFC 4122
// Version 5 (Name-Based) and TR-181 Annex C"; Name and Vendor "used in the generation").
// The DU's Vendor is "formatted as a domain name" (TR-181), so its name space is the
// version 5 UUID of the Vendor in RFC 4122's DNS name space, and the name within it is the
// DU's Name: uuid5(uuid5(NAMESPACE_DNS, Vendor), Name). The same DU gets the same UUID on
// every CPE and at every version, as Annex C requires.
[[nodiscard]] std::string deploymentUnitUuid(std::string_view name, std::string_view vendor);

class SoftwareModules {
 public:
  SoftwareModules(boost::asio::io_context& io, Store& state, SoftwareModulesOptions options);
  ~SoftwareModules();
  SoftwareModules(const SoftwareModules&) = delete;
  SoftwareModules& operator=(const SoftwareModules&) = delete;

  // An execution environment (from PluginHost::executionEnvironments()). Before start().
  void addEnvironment(std::shared_ptr<sdk::ExecutionEnvironment> environment);
  // The built-in plugin that serves Device.SoftwareModules.: register it with the plugin
  // host (addBuiltin) before the engine is finalized. It refers to this object.
  std::unique_ptr<sdk::Plugin> modelPlugin();
  // ChangeDUState, the DUStateChangeComplete acknowledgements, the session's end.
  void attach(SessionEngine& session);
  // Binds the EEs, builds the rows from what they list, resumes persisted requests.
  void start();
  // Aborts a running download (its operation runs again at the next start) and joins it.
  void stop();

  soap::ChangeDUStateResponse changeDuState(const soap::ChangeDUState& request);
  // A change asked for on the box (AgentControl::changeDu; attach() routes it here).
  void localChange(const LocalDuChange& change);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace cwmpd::core
