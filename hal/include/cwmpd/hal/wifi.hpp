// Wi-Fi radios, SSIDs and access points: what the wifi plugin needs for Device.WiFi.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cwmpd/hal/network.hpp"

namespace cwmpd::hal {

struct RadioInfo {
  std::string name{};  // "radio0"
  bool enabled = false;
  OperStatus status = OperStatus::Unknown;
  std::string frequencyBand;  // TR-181 OperatingFrequencyBand: "2.4GHz", "5GHz", "6GHz"
  std::vector<std::string> supportedStandards;  // TR-181 values: "b", "g", "n", "ac", "ax"
  std::vector<std::string> operatingStandards;
  std::uint32_t channel = 0;
  bool autoChannel = false;
  std::vector<std::uint32_t> possibleChannels;
  std::string channelBandwidth;     // TR-181 OperatingChannelBandwidth: "20MHz", "80MHz", "Auto"
  std::int32_t transmitPower = -1;  // percent of the maximum (TR-181 TransmitPower), -1 = auto
  std::uint32_t maxBitRateMbps = 0;
  InterfaceCounters counters;
};

struct SsidInfo {
  std::string name{};  // the SSID object's key, usually its netdev ("wlan0")
  std::string ssid;    // the network name broadcast
  bool enabled = false;
  OperStatus status = OperStatus::Unknown;
  std::string mac;    // BSSID, "02:00:00:00:01:00"
  std::string radio;  // RadioInfo::name it runs on
  InterfaceCounters counters;
};

struct AssociatedDevice {
  std::string mac;
  std::int32_t signalStrengthDbm = 0;
  std::uint32_t lastDataDownlinkRateKbps = 0;
  std::uint32_t lastDataUplinkRateKbps = 0;
  bool authenticated = true;
};

// The passphrase is write-only: the HAL never returns it.
struct AccessPointInfo {
  std::string name{};  // "ap0"
  std::string ssid;    // SsidInfo::name it serves
  bool enabled = false;
  std::string securityMode;  // TR-181 ModeEnabled: "None", "WPA2-Personal", "WPA3-Personal", ...
  std::vector<std::string> supportedSecurityModes;
  bool ssidAdvertisementEnabled = true;
  std::vector<AssociatedDevice> associatedDevices;
};

// A whole Wi-Fi configuration change, applied in one WiFi::apply() call. Unset members
// keep their current value.
struct RadioConfig {
  std::string name{};  // must exist
  std::optional<bool> enabled{};
  std::optional<std::uint32_t> channel{};
  std::optional<bool> autoChannel{};
  std::optional<std::vector<std::string>> operatingStandards{};
  std::optional<std::string> channelBandwidth{};
  std::optional<std::int32_t> transmitPower{};
};

struct SsidConfig {
  std::string name{};
  bool create = false;  // true: a new SSID (name must be free and radio set); false: must exist
  std::optional<bool> enabled{};
  std::optional<std::string> ssid{};
  std::optional<std::string> radio{};
};

struct AccessPointConfig {
  std::string name{};
  bool create = false;  // true: a new access point (name must be free and ssid set)
  std::optional<bool> enabled{};
  std::optional<std::string> ssid{};
  std::optional<std::string> securityMode{};
  std::optional<std::string> passphrase{};  // write-only
  std::optional<bool> ssidAdvertisementEnabled{};
};

struct WifiConfig {
  // Applied in this order: removals, radios, SSIDs, access points.
  std::vector<std::string> removeAccessPoints;
  std::vector<std::string> removeSsids;
  std::vector<RadioConfig> radios;
  std::vector<SsidConfig> ssids;
  std::vector<AccessPointConfig> accessPoints;
  [[nodiscard]] bool empty() const {
    return removeAccessPoints.empty() && removeSsids.empty() && radios.empty() && ssids.empty() &&
           accessPoints.empty();
  }
};

// Thread-safety: call from the daemon's main loop only. Methods throw HalError on
// failure and for unknown names. On a platform with no Wi-Fi the lists are empty.
class WiFi {
 public:
  virtual ~WiFi() = default;

  [[nodiscard]] virtual std::vector<RadioInfo> radios() = 0;
  [[nodiscard]] virtual std::vector<SsidInfo> ssids() = 0;
  [[nodiscard]] virtual std::vector<AccessPointInfo> accessPoints() = 0;
  [[nodiscard]] virtual RadioInfo radio(std::string_view name) = 0;
  [[nodiscard]] virtual SsidInfo ssid(std::string_view name) = 0;
  [[nodiscard]] virtual AccessPointInfo accessPoint(std::string_view name) = 0;

  // Validates the whole batch, then applies it as one platform operation (one driver
  // reload / one `wifi_apply` command). Nothing changes if validation fails. The wifi
  // plugin calls this once per ACS session that changed Wi-Fi settings.
  virtual void apply(const WifiConfig& config) = 0;
};

}  // namespace cwmpd::hal
