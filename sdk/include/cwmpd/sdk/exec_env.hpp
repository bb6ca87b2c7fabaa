// Execution environments (since ABI 7): the SDK kind behind software module management
// (TR-069 Annex H, ChangeDUState; TR-181 Device.SoftwareModules.).
//
// A plugin that can install software (Debian packages with dpkg, opkg, containers, the
// test "sim" EE) implements ExecutionEnvironment and hands it to the core from its
// registerModel():
//
//   void registerModel(cwmpd::sdk::Registrar& reg) override {
//     host_ = &reg.host();
//     reg.executionEnvironment(std::make_shared<MyEe>(*this));
//   }
//
// The core owns everything the ACS sees: ChangeDUState and its DUStateChangeComplete,
// the download of the DU (URL, credentials, TLS, size limits), the UUIDs and URLs of the
// DUs, the Device.SoftwareModules. tables and their instance numbers. An EE only installs,
// updates, removes, starts, stops and lists what it really has. What the EE lists is the
// truth: the core's rows follow list() after every operation and after every changed().
//
// Threading: every call into an EE happens on the main loop, and every call an EE makes
// into ExecEnvEvents and every DuDone must happen there too: slow work (dpkg, a process
// start) runs on a thread of the plugin's and posts back with Host::post(). A DuDone may
// be called before the method that received it returns. Each DuDone must be called exactly
// once; a DuDone that is dropped without a call leaves the operation pending until the
// daemon restarts (then it is reported as failed with 9001).
//
// Errors: every call passes the plugin firewall like any other plugin code. Refusing an
// operation is a DuOutcome with a fault code (or throwing sdk::Fault from the method,
// which the core turns into the same); any other exception is logged, counts against the
// plugin and is reported to the ACS as 9001. The codes DUStateChangeComplete can carry
// (cwmp-1-2.xsd DeploymentUnitCPEFaultCodeType) and what they mean for an EE:
//   9001 request denied (nothing better fits)       9003 invalid arguments
//   9018 file corrupted (not an archive of this EE's kind, bad signature)
//   9025 the DU is not for this EE (wrong architecture, other package format)
//   9026 duplicate DU (already installed, Install)  9027 system resources exceeded (disk)
//   9028 unknown DU (Update/Uninstall of what is not installed)
//   9029 invalid DU state (e.g. uninstall of a DU another DU depends on)
//   9030 downgrade not permitted                    9031 version not specified
//   9032 version already exists (Update to the installed version)
// The core answers the rest itself: 9022 (bad UUID), 9023 (unknown EE), 9024 (disabled
// EE), 9012-9017 (download). A code outside that list becomes 9001.
//
// Failed installs leave no trace: an EE whose install fails removes whatever it unpacked
// before it calls DuDone with the fault. The core deletes the downloaded file afterwards.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cwmpd::sdk {

// TR-181 Device.SoftwareModules.ExecutionUnit.{i}.Status.
enum class EuStatus : std::uint8_t { Idle, Starting, Active, Stopping };

// TR-181 ExecutionUnit.{i}.ExecutionFaultCode.
enum class EuFault : std::uint8_t {
  NoFault,
  FailureOnStart,
  FailureOnAutoStart,
  FailureOnStop,
  FailureWhileActive,
  DependencyFailure,
  UnStartable,
};

// One execution unit of a DU (a process, a service): TR-181 ExecutionUnit.{i}.
struct ExecutionUnitInfo {
  std::string euid;          // unique within its EE and stable across restarts (EUID)
  std::string name;          // Name
  std::string execEnvLabel;  // ExecEnvLabel: the EU's name inside the EE (process, service)
  std::string version, vendor, description;
  EuStatus status = EuStatus::Idle;
  bool autoStart = false;
  EuFault fault = EuFault::NoFault;
  std::string faultMessage;  // ExecutionFaultMessage
};

// One installed DU: TR-181 DeploymentUnit.{i}. (UUID and URL are the core's.)
struct DeploymentUnitInfo {
  std::string duid;  // the EE's identifier (DUID): the package name, a directory; stable
  std::string name;  // Name
  std::string version, vendor, description;
  std::vector<ExecutionUnitInfo> executionUnits;
};

// TR-181 ExecEnv.{i}: what the EE says about itself.
struct ExecEnvInfo {
  std::string name;  // Name: unique among the EEs; ExecutionEnvRef names the ExecEnv row
  std::string type;  // Type, e.g. "Linux Debian package", "cwmpd sim"
  std::string vendor, version;
  bool enabled = true;  // a disabled EE refuses operations with 9024 (the core checks)
};

// Install: `file` is the downloaded DU in the daemon's temporary space; the EE may move
// it. The core deletes what is left there after DuDone.
struct DuInstall {
  std::string uuid;  // the ACS's UUID for the DU; "" when it named none (the core derives
                     // it from the installed DU's Name and Vendor afterwards)
  std::string url;   // where `file` came from (for the log; the core keeps it)
  std::string file;
};

// Update of an installed DU to the file (TR-069 A.4.1.10 UpdateOpStruct).
struct DuUpdate {
  std::string duid;  // the installed DU
  std::string uuid;
  std::string url;
  std::string file;
  std::string version;  // the version the ACS named ("" = whichever is installed)
};

// Uninstall of an installed DU (UninstallOpStruct).
struct DuUninstall {
  std::string duid;
  std::string version;  // "" = whichever is installed
};

// The result of one operation.
struct DuOutcome {
  int faultCode = 0;  // 0 = done; else one of the codes above
  std::string faultString;
  // Install/Update: the DU as now installed (its duid at least). Uninstall: the removed DU
  // (its duid). Empty on a failed install.
  DeploymentUnitInfo unit;
};
using DuDone = std::function<void(DuOutcome outcome)>;

// The operation an autonomous change performed (AutonOpResultStruct OperationPerformed).
enum class DuOperation : std::uint8_t { Install, Update, Uninstall };

// What an EE tells the core on its own. Main loop only.
class ExecEnvEvents {
 public:
  virtual ~ExecEnvEvents() = default;
  // Something listed changed without the core asking (a process exited or started, an
  // EU's status or fault moved): the core calls list() again and updates its rows.
  virtual void changed() = 0;
  // A DU was installed, updated or removed locally (a package manager, a D-Bus call), not
  // by ChangeDUState: the core updates its rows and sends AutonomousDUStateChangeComplete
  // when the ACS's AutonomousDUStateChangeCompletePolicy asks for it. `outcome.unit.duid`
  // names the DU; a failed local operation carries its fault code.
  virtual void autonomousChange(DuOperation operation, const DuOutcome& outcome) = 0;
};

class ExecutionEnvironment {
 public:
  virtual ~ExecutionEnvironment() = default;
  [[nodiscard]] virtual ExecEnvInfo info() const = 0;
  // Called once by the core after every plugin started, before any other call: where the
  // EE reports changes. `events` outlives every call into the EE.
  virtual void bind(ExecEnvEvents& events) = 0;
  // Every DU installed now, with its EUs and their current status.
  [[nodiscard]] virtual std::vector<DeploymentUnitInfo> list() = 0;
  virtual void install(const DuInstall& request, DuDone done) = 0;
  virtual void update(const DuUpdate& request, DuDone done) = 0;
  virtual void uninstall(const DuUninstall& request, DuDone done) = 0;
  // ExecutionUnit.{i}.RequestedState Active / Idle. Returns at once (throw sdk::Fault
  // 9003 for an unknown EU); the status moves through Starting/Stopping as the EE reports
  // with changed().
  virtual void start(std::string_view euid) = 0;
  virtual void stop(std::string_view euid) = 0;
};

}  // namespace cwmpd::sdk
