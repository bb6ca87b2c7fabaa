// Wi-Fi state kept as files: <base>/radio/<name>.ini, <base>/ssid/<name>.ini,
// <base>/ap/<name>.ini and <base>/ap/<name>.stations (see hal/README.md). The sim backend
// reads and writes it; the Linux backend reads it as the platform's status export.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "cwmpd/hal/wifi.hpp"

namespace cwmpd::hal::detail {

class WifiDir {
 public:
  explicit WifiDir(std::filesystem::path base) : base_(std::move(base)) {}

  [[nodiscard]] std::vector<RadioInfo> radios() const;
  [[nodiscard]] std::vector<SsidInfo> ssids() const;
  [[nodiscard]] std::vector<AccessPointInfo> accessPoints() const;
  [[nodiscard]] RadioInfo radio(std::string_view name) const;
  [[nodiscard]] SsidInfo ssid(std::string_view name) const;
  [[nodiscard]] AccessPointInfo accessPoint(std::string_view name) const;

  // Throws HalError for the first problem of the batch against the current state.
  void validate(const WifiConfig& config) const;
  // Writes a validated batch into the files (the sim's "hardware").
  void write(const WifiConfig& config) const;

 private:
  std::filesystem::path base_;
};

// The batch as INI text ([radio NAME], [ssid NAME], [access_point NAME],
// [remove_ssid NAME], [remove_access_point NAME] sections), for the wifi_apply command.
// With `withSecrets` false the passphrase is replaced by "***" (for logs).
[[nodiscard]] std::string renderWifiConfig(const WifiConfig& config, bool withSecrets);

}  // namespace cwmpd::hal::detail
