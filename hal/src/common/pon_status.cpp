#include "common/pon_status.hpp"

#include <algorithm>
#include <array>
#include <sstream>
#include <utility>

#include "common/files.hpp"
#include "cwmpd/hal/error.hpp"

namespace cwmpd::hal::detail {
namespace {

// The TR-181 ONUState enumeration (G.984.3 O1-O7, G.989.3 / G.9807.1 O1-O9 with O2-3).
constexpr std::array<std::string_view, 10> kStates = {"O1", "O2", "O3", "O2-3", "O4",
                                                      "O5", "O6", "O7", "O8",   "O9"};

using Counter = std::uint64_t PonCounters::*;
constexpr std::pair<std::string_view, Counter> kCounters[] = {
    {"corrected_fec_bytes", &PonCounters::correctedFecBytes},
    {"corrected_fec_codewords", &PonCounters::correctedFecCodewords},
    {"uncorrectable_fec_codewords", &PonCounters::uncorrectableFecCodewords},
    {"total_fec_codewords", &PonCounters::totalFecCodewords},
    {"psbd_hec_errors", &PonCounters::psbdHecErrors},
    {"header_hec_errors", &PonCounters::headerHecErrors},
    {"unknown_profile", &PonCounters::unknownProfile},
    {"gem_frames_sent", &PonCounters::gemFramesSent},
    {"gem_frames_received", &PonCounters::gemFramesReceived},
    {"gem_header_hec_errors", &PonCounters::gemHeaderHecErrors},
    {"gem_key_errors", &PonCounters::gemKeyErrors},
    {"ploam_mic_errors", &PonCounters::ploamMicErrors},
    {"ploam_downstream_messages", &PonCounters::ploamDownstreamMessages},
    {"ploam_upstream_messages", &PonCounters::ploamUpstreamMessages},
    {"ranging_time", &PonCounters::rangingTime},
    {"omci_baseline_messages", &PonCounters::omciBaselineMessages},
    {"omci_extended_messages", &PonCounters::omciExtendedMessages},
    {"omci_mic_errors", &PonCounters::omciMicErrors},
};

using Alarm = bool PonAlarms::*;
constexpr std::pair<std::string_view, Alarm> kAlarms[] = {
    {"los", &PonAlarms::los}, {"lof", &PonAlarms::lof},   {"sf", &PonAlarms::sf},
    {"sd", &PonAlarms::sd},   {"lcdg", &PonAlarms::lcdg}, {"tf", &PonAlarms::tf},
    {"suf", &PonAlarms::suf}, {"mem", &PonAlarms::mem},   {"dact", &PonAlarms::dact},
    {"dis", &PonAlarms::dis}, {"mis", &PonAlarms::mis},   {"pee", &PonAlarms::pee},
    {"rdi", &PonAlarms::rdi}, {"lods", &PonAlarms::lods}, {"rogue", &PonAlarms::rogue},
};

constexpr std::pair<std::string_view, PonMode> kModes[] = {
    {"G-PON", PonMode::GPON},     {"XG-PON", PonMode::XGPON}, {"NG-PON2", PonMode::NGPON2},
    {"XGS-PON", PonMode::XGSPON}, {"EPON", PonMode::EPON},    {"Unknown", PonMode::Unknown},
};

constexpr LoidAuth kAuths[] = {
    LoidAuth::None,          LoidAuth::InProgress,   LoidAuth::Success, LoidAuth::LoidUnknown,
    LoidAuth::PasswordWrong, LoidAuth::LoidConflict, LoidAuth::Timeout};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

GemPort parseGemPort(const std::string& id, const std::string& value, const std::string& what) {
  GemPort g;
  const std::uint64_t n = parseU64(id, what);
  if (n > 0xFFFF) throw HalError(what + ": port ID out of range");
  g.portId = static_cast<std::uint32_t>(n);
  std::istringstream in(value);
  std::string sent, received;
  in >> g.direction >> g.type >> sent >> received;
  if (g.direction != "UNI-to-ANI" && g.direction != "ANI-to-UNI" && g.direction != "bidirectional")
    throw HalError(what + ": direction must be UNI-to-ANI, ANI-to-UNI or bidirectional");
  if (g.type != "unicast" && g.type != "multicast" && g.type != "broadcast")
    throw HalError(what + ": type must be unicast, multicast or broadcast");
  g.framesSent = sent.empty() ? 0 : parseU64(sent, what);
  g.framesReceived = received.empty() ? 0 : parseU64(received, what);
  return g;
}

}  // namespace

OnuStatus parseOnuStatus(const std::string& text, const std::string& where) {
  OnuStatus s;
  s.present = true;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    const auto eq = t.find('=');
    if (eq == std::string::npos)
      throw HalError(where + ": '" + t.substr(0, 40) + "' is not key = value");
    const std::string key = trim(t.substr(0, eq)), value = trim(t.substr(eq + 1));
    const std::string what = std::string(where).append(": ").append(key);
    if (key == "present") {
      s.present = parseBool(value, what);
    } else if (key == "state") {
      if (std::find(kStates.begin(), kStates.end(), value) == kStates.end())
        throw HalError(what + ": '" + value.substr(0, 16) + "' is not an activation state O1..O9");
      s.state = value;
    } else if (key == "pon_mode") {
      auto it = std::find_if(std::begin(kModes), std::end(kModes),
                             [&](const auto& m) { return m.first == value; });
      if (it == std::end(kModes)) throw HalError(what + ": unknown PON mode");
      s.mode = it->second;
    } else if (key == "vendor_id") {
      s.vendorId = value;
    } else if (key == "serial_number") {
      s.serialNumber = value;
    } else if (key == "onu_id") {
      s.onuIdAssigned = !value.empty();
      const std::uint64_t id = value.empty() ? 0 : parseU64(value, what);
      if (id > 0xFFFF) throw HalError(what + ": out of range");
      s.onuId = static_cast<std::uint32_t>(id);
    } else if (key == "equipment_id") {
      s.equipmentId = value;
    } else if (key == "version") {
      s.version = value;
    } else if (key == "loid_auth") {
      auto it = std::find_if(std::begin(kAuths), std::end(kAuths),
                             [&](LoidAuth a) { return toString(a) == value; });
      if (it == std::end(kAuths)) throw HalError(what + ": unknown authentication result");
      s.auth = *it;
    } else if (key == "alarms") {
      for (const auto& name : splitList(value)) {
        const std::string n = lower(trim(name));
        if (n.empty()) continue;
        auto it = std::find_if(std::begin(kAlarms), std::end(kAlarms),
                               [&](const auto& a) { return a.first == n; });
        if (it == std::end(kAlarms))
          throw HalError(what + ": unknown alarm '" + n.substr(0, 16) + "'");
        s.alarms.*(it->second) = true;
      }
    } else if (key == "signal_fail") {
      s.signalFailThreshold =
          static_cast<std::uint32_t>(std::min<std::uint64_t>(parseU64(value, what), 255));
    } else if (key == "signal_degrade") {
      s.signalDegradeThreshold =
          static_cast<std::uint32_t>(std::min<std::uint64_t>(parseU64(value, what), 255));
    } else if (key == "uni") {
      for (const auto& n : splitList(value))
        if (!trim(n).empty()) s.uniPorts.push_back(trim(n));
    } else if (key == "transceiver") {
      s.transceiver = value;
    } else if (key.compare(0, 9, "gem_port.") == 0) {
      s.gemPorts.push_back(parseGemPort(key.substr(9), value, what));
    } else {
      for (const auto& [name, member] : kCounters)
        if (key == name) s.counters.*member = parseU64(value, what);
    }
  }
  std::sort(s.gemPorts.begin(), s.gemPorts.end(),
            [](const GemPort& a, const GemPort& b) { return a.portId < b.portId; });
  return s;
}

std::string renderCredentials(const PonCredentials& c) {
  return "loid = " + c.loid + "\nloid_password = " + c.loidPassword + "\npassword = " + c.password +
         "\nhexadecimal_password = " + (c.hexadecimalPassword ? "1" : "0") + "\n";
}

}  // namespace cwmpd::hal::detail
