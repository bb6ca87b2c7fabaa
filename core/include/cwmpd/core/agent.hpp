// What the rest of the box may ask of the CWMP agent itself (besides the data model):
// trigger informs and read the session's state. Implemented by the session engine;
// used by bus/ (org.cwmpd.Agent1).
//
// Threading: main loop only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace cwmpd::core {

enum class SessionState { Idle, Connecting, InSession, WaitingRetry };

// A deployment unit change asked for on the box (org.cwmpd.Agent1, cwmpctl), not by the
// ACS: the fields of a ChangeDUState operation (TR-069 A.4.1.10).
struct LocalDuChange {
  enum class Type : std::uint8_t { Install, Update, Uninstall };
  Type type = Type::Install;
  std::string url;              // Install: required; Update: "" = the DU's own URL
  std::string uuid;             // Install: "" = derived from the DU; Uninstall: required
  std::string version;          // Update/Uninstall: "" = the only installed version
  std::string executionEnvRef;  // Install/Uninstall: "" = the first EE / every EE
};
const char* sessionStateName(SessionState s) noexcept;  // "Idle", "Connecting", ...

class AgentControl {
 public:
  virtual ~AgentControl() = default;
  // Queues the events ("6 CONNECTION REQUEST", "X CT-COM BIND"; empty = "6 CONNECTION
  // REQUEST"-less plain inform with no extra event) and starts a session as soon as
  // possible. Throws sdk::Fault 9003 for an event code that is not a valid CWMP/vendor
  // event (or a vendor event no plugin declared).
  virtual void inform(const std::vector<std::string>& events) = 0;
  // Like the ScheduleInform RPC: "3 SCHEDULED" + "M ScheduleInform" after the delay.
  virtual void scheduleInform(std::uint32_t delaySeconds, const std::string& commandKey) = 0;
  // The CPE's own requests to the ACS (TR-069 A.4.2), sent in the next session with their
  // event: RequestDownload ("9 REQUEST DOWNLOAD"; FileType and its FileTypeArg name/value
  // pairs) and Kicked ("5 KICKED"). Throw sdk::Fault 9003 for arguments the schema does
  // not allow (lengths, an empty FileType) and 9001 when the ACS said it does not support
  // the method (fault 8000 earlier in this daemon's life).
  virtual void requestDownload(const std::string& fileType,
                               const std::vector<std::pair<std::string, std::string>>& args) = 0;
  virtual void kicked(const std::string& command, const std::string& referer,
                      const std::string& arg, const std::string& next) = 0;

  [[nodiscard]] virtual std::string acsUrl() const = 0;
  [[nodiscard]] virtual SessionState sessionState() const = 0;
  // ISO 8601 UTC of the last successful Inform, empty when none yet.
  [[nodiscard]] virtual std::string lastInformTime() const = 0;
  [[nodiscard]] virtual std::vector<std::string> pendingEvents() const = 0;
  [[nodiscard]] virtual std::vector<std::string> plugins() const = 0;

  // Installs, updates or uninstalls a DU on the box's own behalf: queued and run like a
  // ChangeDUState operation (persisted, resumed after a restart), then reported to the
  // ACS with AutonomousDUStateChangeComplete where its DUStateChangeComplPolicy asks
  // (TR-069 A.4.2.7). Returns at once. Throws sdk::Fault 9003 for missing or malformed
  // arguments, 9004 when too many changes are pending, 9000 without software modules.
  virtual void changeDu(const LocalDuChange& change) = 0;

  // Called with true when a session starts and false when it ends.
  virtual void addSessionListener(std::function<void(bool started)> listener) = 0;
};

}  // namespace cwmpd::core
