// Voice lines over SIP with POTS (FXS) ports: what the voip plugin needs for TR-104.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cwmpd::hal {

// SIP registration state, named after TR-104 issue 2 SIP.Client.{i}.Status.
enum class RegistrationStatus : std::uint8_t {
  Up,
  Initializing,
  Registering,
  Deregistering,
  ErrorMisconfigured,
  ErrorNetwork,
  ErrorRegistration,
  Quiescent,
  Disabled,
};

// TR-104 issue 2 (VoiceService:2.0) string: "Up", "Error_Network", ...
[[nodiscard]] constexpr const char* toString(RegistrationStatus s) noexcept {
  switch (s) {
    case RegistrationStatus::Up: return "Up";
    case RegistrationStatus::Initializing: return "Initializing";
    case RegistrationStatus::Registering: return "Registering";
    case RegistrationStatus::Deregistering: return "Deregistering";
    case RegistrationStatus::ErrorMisconfigured: return "Error_Misconfigured";
    case RegistrationStatus::ErrorNetwork: return "Error_Network";
    case RegistrationStatus::ErrorRegistration: return "Error_Registration";
    case RegistrationStatus::Quiescent: return "Quiescent";
    case RegistrationStatus::Disabled: break;
  }
  return "Disabled";
}

// TR-104 issue 1 (VoiceProfile.{i}.Line.{i}.Status) string: its enumeration has
// "Unregistering" and a single "Error".
[[nodiscard]] constexpr const char* toTr104v1String(RegistrationStatus s) noexcept {
  switch (s) {
    case RegistrationStatus::Deregistering: return "Unregistering";
    case RegistrationStatus::ErrorMisconfigured:
    case RegistrationStatus::ErrorNetwork:
    case RegistrationStatus::ErrorRegistration: return "Error";
    default: return toString(s);
  }
}

enum class HookState : std::uint8_t { OnHook, OffHook };

// Call statistics of one line since the line was enabled (TR-104 Stats).
struct CallStats {
  std::uint32_t incomingCallsReceived = 0;
  std::uint32_t incomingCallsAnswered = 0;
  std::uint32_t incomingCallsConnected = 0;
  std::uint32_t incomingCallsFailed = 0;
  std::uint32_t outgoingCallsAttempted = 0;
  std::uint32_t outgoingCallsAnswered = 0;
  std::uint32_t outgoingCallsConnected = 0;
  std::uint32_t outgoingCallsFailed = 0;
  std::uint32_t callsDropped = 0;
  std::uint32_t totalCallTimeSeconds = 0;
  std::uint64_t rtpPacketsSent = 0;
  std::uint64_t rtpPacketsReceived = 0;
  std::uint64_t rtpPacketsLost = 0;
  std::uint64_t rtpBytesSent = 0;
  std::uint64_t rtpBytesReceived = 0;
};

// One analogue phone port.
struct FxsPort {
  std::string name{};  // "fxs1"
  bool enabled = false;
  std::string status;  // TR-104 POTS.FXS.{i}.Status: "Up", "Error", "Testing", "Disabled"
  HookState hook = HookState::OnHook;
};

// One SIP line. The password is write-only: the HAL never returns it.
struct VoiceLine {
  std::string name{};  // "line1"
  bool enabled = false;
  RegistrationStatus status = RegistrationStatus::Disabled;
  std::string callState;  // TR-104 issue 1 CallState: "Idle", "Calling", "Ringing", "Connecting",
                          // "InCall", "Hold", "Disconnecting"
  std::string directoryNumber;  // "+33123456789"
  std::string sipUri;           // RegisterURI / URI, "sip:0123456789@voip.example.net"
  std::string authUserName;
  std::string registrar;  // host name or address
  std::uint16_t registrarPort = 5060;
  std::string proxy;  // outbound proxy; empty when none
  std::uint16_t proxyPort = 5060;
  std::string transport;  // "UDP", "TCP", "TLS"
  std::vector<std::string>
      codecs;           // in order of preference: "G.711ALaw", "G.711MuLaw", "G.729", "G.722"
  std::string fxsPort;  // FxsPort::name the line rings; may be empty
  CallStats stats;
};

struct VoiceLineConfig {
  std::string name{};  // must exist
  std::optional<bool> enabled{};
  std::optional<std::string> directoryNumber{};
  std::optional<std::string> sipUri{};
  std::optional<std::string> authUserName{};
  std::optional<std::string> authPassword{};  // write-only
  std::optional<std::string> registrar{};
  std::optional<std::uint16_t> registrarPort{};
  std::optional<std::string> proxy{};
  std::optional<std::uint16_t> proxyPort{};
  std::optional<std::string> transport{};
  std::optional<std::vector<std::string>> codecs{};
};

struct VoiceConfig {
  std::vector<VoiceLineConfig> lines;
  [[nodiscard]] bool empty() const { return lines.empty(); }
};

// Thread-safety: call from the daemon's main loop only. Methods throw HalError on
// failure and for unknown names. On a platform with no voice the lists are empty.
class Voice {
 public:
  virtual ~Voice() = default;

  [[nodiscard]] virtual std::vector<VoiceLine> lines() = 0;
  [[nodiscard]] virtual VoiceLine line(std::string_view name) = 0;
  [[nodiscard]] virtual std::vector<FxsPort> fxsPorts() = 0;
  // Codecs the platform can use, for TR-104 Capabilities.Codecs.
  [[nodiscard]] virtual std::vector<std::string> supportedCodecs() = 0;

  // Validates the whole batch, then applies it as one platform operation (one SIP stack
  // reload / one `voice_apply` command). Nothing changes if validation fails.
  virtual void apply(const VoiceConfig& config) = 0;
};

}  // namespace cwmpd::hal
