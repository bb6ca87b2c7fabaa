// The PON ONU (G-PON, XG-PON, XGS-PON, NG-PON2, EPON): registration with the OLT, LOID
// authentication, alarms and counters. What the pon plugin needs for Device.XPON. and the
// operators' X_CT-COM_ objects. The optical module itself stays OpticalTransceivers'.
//
// The HAL reports; it does not decide. Hysteresis, value changes and the "X CT-COM BIND"
// event are the plugin's business: status() is a snapshot the plugin compares over time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cwmpd::hal {

// TR-181 PONMode values, plus EPON (reported as Unknown by TR-181, which has no EPON mode).
enum class PonMode : std::uint8_t { Unknown, GPON, XGPON, NGPON2, XGSPON, EPON };

// The LOID (logical ONU ID) authentication the ONU runs with the OLT (OMCI in G-PON, OAM
// in EPON), as the ONU's software reports it.
enum class LoidAuth : std::uint8_t {
  None,           // not started (no LOID, or the ONU has not reached the OLT yet)
  InProgress,     // the OLT is checking the LOID
  Success,        // the OLT accepted LOID and password
  LoidUnknown,    // the OLT does not know the LOID
  PasswordWrong,  // the LOID is known, its password is not that one
  LoidConflict,   // another ONU already registered with the LOID
  Timeout,        // the OLT did not answer in time
};

// G.984 / G.987 / G.9807 ONU alarms as TR-181 TC.Alarms. names them; true = raised.
struct PonAlarms {
  bool los = false, lof = false, sf = false, sd = false, lcdg = false, tf = false, suf = false,
       mem = false, dact = false, dis = false, mis = false, pee = false, rdi = false, lods = false,
       rogue = false;
  bool operator==(const PonAlarms&) const = default;
};

// Counters since the ONU started (TR-181 TC.PM.*); they only grow until the ONU restarts.
struct PonCounters {
  // PHY
  std::uint64_t correctedFecBytes = 0, correctedFecCodewords = 0, uncorrectableFecCodewords = 0,
                totalFecCodewords = 0, psbdHecErrors = 0, headerHecErrors = 0, unknownProfile = 0;
  // GEM (XGEM) frames of the TC layer
  std::uint64_t gemFramesSent = 0, gemFramesReceived = 0, gemHeaderHecErrors = 0, gemKeyErrors = 0;
  // PLOAM
  std::uint64_t ploamMicErrors = 0, ploamDownstreamMessages = 0, ploamUpstreamMessages = 0,
                rangingTime = 0;  // rangingTime: the equalisation delay, in bits
  // OMCI
  std::uint64_t omciBaselineMessages = 0, omciExtendedMessages = 0, omciMicErrors = 0;
};

// One GEM (XGEM) port the OLT configured on the ONU.
struct GemPort {
  std::uint32_t portId = 0;
  std::string direction = "bidirectional";  // UNI-to-ANI, ANI-to-UNI, bidirectional
  std::string type = "unicast";             // unicast, multicast, broadcast
  std::uint64_t framesSent = 0, framesReceived = 0;
};

struct OnuStatus {
  bool present = false;  // there is an ONU; when false, nothing below is meaningful
  // Activation state: "O1".."O9" (G.984.3 O1-O7, G.9807.1 / G.989.3 O1-O9, "O2-3"), the
  // TR-181 ONUState enumeration. EPON has no such states; its backend maps them
  // (hal/README.md): unregistered O1, discovery O2-3, registered O5.
  std::string state = "O1";
  PonMode mode = PonMode::Unknown;
  std::string vendorId;      // 4 characters of the serial number ("SIMC")
  std::string serialNumber;  // the ONU serial number as the OLT sees it ("SIMC12345678")
  std::uint32_t onuId = 0;   // assigned by the OLT in ranging; meaningless before O4
  bool onuIdAssigned = false;
  std::string equipmentId;  // OMCI ONU-G equipment ID
  std::string version;      // OMCI ONU2-G / ONU-G version
  LoidAuth auth = LoidAuth::None;
  PonAlarms alarms;
  // BER thresholds of TC.PerformanceThresholds: the exponent x of 10^-x (G.988 ANI-G).
  std::uint32_t signalFailThreshold = 5, signalDegradeThreshold = 9;
  PonCounters counters;
  std::vector<GemPort> gemPorts;
  // The ONU's user ports (Ethernet UNIs) as NetworkDevices interface names.
  std::vector<std::string> uniPorts;
  // The OpticalTransceivers name of the module on the ANI ("" when it has none known).
  std::string transceiver;
};

// The LOID credentials and the ONU's PLOAM password (registration ID), as the ACS set them.
struct PonCredentials {
  std::string loid;
  std::string loidPassword;
  std::string password;              // TR-181 TC.Authentication.Password
  bool hexadecimalPassword = false;  // `password` is hex digits rather than ASCII
};

// Thread-safety: call from the daemon's main loop only. Methods throw HalError on failure.
class Pon {
 public:
  virtual ~Pon() = default;
  // The ONU now; present == false on a box without one (no exception).
  [[nodiscard]] virtual OnuStatus status() = 0;
  // Hands the credentials to the ONU and restarts its authentication with the OLT.
  virtual void setCredentials(const PonCredentials& credentials) = 0;
};

[[nodiscard]] constexpr std::string_view toString(LoidAuth a) noexcept {
  switch (a) {
    case LoidAuth::None: return "none";
    case LoidAuth::InProgress: return "in_progress";
    case LoidAuth::Success: return "success";
    case LoidAuth::LoidUnknown: return "loid_unknown";
    case LoidAuth::PasswordWrong: return "password_wrong";
    case LoidAuth::LoidConflict: return "loid_conflict";
    case LoidAuth::Timeout: return "timeout";
  }
  return "none";
}

// TR-181 PONMode text ("G-PON", ...; "Unknown" for EPON, which TR-181 does not list).
[[nodiscard]] constexpr std::string_view toString(PonMode m) noexcept {
  switch (m) {
    case PonMode::GPON: return "G-PON";
    case PonMode::XGPON: return "XG-PON";
    case PonMode::NGPON2: return "NG-PON2";
    case PonMode::XGSPON: return "XGS-PON";
    case PonMode::EPON:
    case PonMode::Unknown: return "Unknown";
  }
  return "Unknown";
}

}  // namespace cwmpd::hal
