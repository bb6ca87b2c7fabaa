// What both roots' Wi-Fi objects share: the mapping between instance numbers and HAL
// names, the changes staged for the next WiFi::apply(), and the "effective" view of each
// radio, SSID and access point (the HAL's state with the staged changes laid over it, so
// that a value set earlier in an ACS session reads back before the flush).
#pragma once

#include <cstdint>
#include <cwmpd/hal/hal.hpp>
#include <cwmpd/sdk/hal_read.hpp>
#include <cwmpd/sdk/plugin.hpp>
#include <cwmpd/sdk/staging.hpp>
#include <cwmpd/sdk/values.hpp>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace cwmpd::plugins::wifi {

// The SDK's shared plugin helpers.
using sdk::boolText;
using sdk::instanceNumbers;
using sdk::joinList;
using sdk::parseBool;
using sdk::rowNumber;
using sdk::splitList;
using sdk::StagedChanges;

enum class Kind { Radio, Ssid, AccessPoint };

// Fields a batch can carry, as staging keys "<kind>/<name>/<field>".
namespace field {
inline constexpr const char* kCreate = "create";
inline constexpr const char* kRemove = "remove";
inline constexpr const char* kEnable = "enable";
// radio
inline constexpr const char* kChannel = "channel";
inline constexpr const char* kAutoChannel = "auto_channel";
inline constexpr const char* kStandards = "standards";
inline constexpr const char* kBandwidth = "bandwidth";
inline constexpr const char* kPower = "power";
// SSID
inline constexpr const char* kSsid = "ssid";  // also the access point's SSID (a HAL name)
inline constexpr const char* kRadio = "radio";
// access point
inline constexpr const char* kMode = "mode";  // HAL security mode name
inline constexpr const char* kPassphrase = "passphrase";
inline constexpr const char* kAdvertise = "advertise";
}  // namespace field

// Instance number <-> HAL name for one table.
class NameMap {
 public:
  void add(std::uint32_t number, const std::string& name) {
    byNumber_[number] = name;
    byName_[name] = number;
  }
  void remove(std::uint32_t number) {
    auto it = byNumber_.find(number);
    if (it == byNumber_.end()) return;
    byName_.erase(it->second);
    byNumber_.erase(it);
  }
  [[nodiscard]] std::optional<std::string> name(std::uint32_t number) const {
    auto it = byNumber_.find(number);
    return it == byNumber_.end() ? std::nullopt : std::optional(it->second);
  }
  [[nodiscard]] std::optional<std::uint32_t> number(const std::string& name) const {
    auto it = byName_.find(name);
    return it == byName_.end() ? std::nullopt : std::optional(it->second);
  }
  [[nodiscard]] const std::map<std::uint32_t, std::string>& all() const { return byNumber_; }

 private:
  std::map<std::uint32_t, std::string> byNumber_;
  std::map<std::string, std::uint32_t> byName_;
};

class WifiState : public sdk::StagedState {
 public:
  using StagedState::StagedState;
  hal::WiFi& hal() { return host_.hal().wifi(); }

  NameMap radios;
  NameMap ssids;
  NameMap accessPoints;

  // The HAL name of an ACS-created SSID / access point: derived from its instance number,
  // so that the row finds its HAL object again after a restart.
  static std::string acsName(Kind kind, std::uint32_t number);
  // Parses acsName(); 0 when `name` is not one.
  static std::uint32_t acsNumber(Kind kind, const std::string& name);
  // The HAL name behind an instance number (ACS-created rows not yet mapped get acsName()).
  std::string nameOf(Kind kind, std::uint32_t number);

  // Effective views; nullopt when the object is neither in the HAL nor being created,
  // or is being removed.
  std::optional<hal::RadioInfo> radio(const std::string& name);
  std::optional<hal::SsidInfo> ssid(const std::string& name);
  std::optional<hal::AccessPointInfo> accessPoint(const std::string& name);
  // The access point serving SSID `ssidName` (effective view).
  std::optional<std::string> accessPointFor(const std::string& ssidName);
  // Effective access point names / SSID names (HAL + created - removed).
  std::vector<std::string> accessPointNames();
  std::vector<std::string> ssidNames();

  [[nodiscard]] std::optional<std::string> stagedField(Kind kind, const std::string& name,
                                                       const char* f) const;
  // Stages one field. An SSID or access point the HAL does not have is created by the
  // same batch (a row whose creation never reached the HAL heals itself this way).
  void stage(Kind kind, const std::string& name, const char* f, std::string value);
  // True while the last flush that carried this object failed: its Status reads "Error"
  // (the SetParameterValues was answered long before, so this is where the ACS sees it).
  [[nodiscard]] bool applyFailed(Kind kind, const std::string& name) const;
  void stageCreate(Kind kind, const std::string& name);
  // Stages the removal, or forgets the creation when the object never reached the HAL.
  void stageRemove(Kind kind, const std::string& name);

  // Pushes everything staged as ONE WiFi::apply(). Incomplete objects (a new access
  // point with no SSID to serve) stay staged for a later flush.
  void flush();

  // TR-181 LastChange: seconds since `object` was first seen in `status` (since boot for
  // the status it had when first read). Status changes are noticed when read.
  std::string lastChange(const std::string& object, const std::string& status);

 private:
  static std::string key(Kind kind, const std::string& name, const char* f);
  std::vector<std::string> names(Kind kind, std::vector<std::string> inHal);
  bool inHal(Kind kind, const std::string& name);

  std::set<std::string> applyFailed_;  // "radio/wlan0", "ssid/...", "ap/..." of the failed batch
  std::map<std::string, std::pair<std::string, std::uint64_t>>
      statusSince_;  // object -> status, uptime
};

// The TR-181 security mode name for a HAL one and back (the HAL's "WPA2-PSK-WPA3-SAE" is
// TR-181's "WPA3-Personal-Transition").
std::string toTr181Mode(const std::string& halMode);
std::string toHalMode(const std::string& tr181Mode, const std::vector<std::string>& halSupported);
// IEEE 802.11i passphrase: 8..63 printable ASCII characters.
bool validPassphrase(const std::string& p);
// A 256-bit pre-shared key as 64 hex digits (TR-181 PreSharedKey is hexBinary of 32 bytes).
bool validPsk(const std::string& hex);
// Counters of the 32-bit TR-069 types wrap (StatsCounter32).
inline std::string u32(std::uint64_t v) { return std::to_string(v & 0xffffffffULL); }

}  // namespace cwmpd::plugins::wifi
