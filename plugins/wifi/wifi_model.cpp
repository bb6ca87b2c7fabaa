#include "wifi_model.hpp"

#include <algorithm>

namespace cwmpd::plugins::wifi {

void refuse(const sdk::Change& c, const std::string& why) {
  throw sdk::Fault(sdk::FaultCode::InvalidParameterValue, c.path() + ": " + why);
}

void checkSecret(const sdk::Change& c) {
  if (c.parameter == "PreSharedKey" && !validPsk(c.value))
    refuse(c, "PreSharedKey must be 32 bytes (64 hex digits)");
  if (c.parameter == "KeyPassphrase" && !validPassphrase(c.value))
    refuse(c, "KeyPassphrase must be 8..63 printable ASCII characters");
}

void StationRows::sync(sdk::Host& host, const std::string& table,
                       const std::vector<std::string>& macs) {
  auto& rows = rows_[table];
  for (auto it = rows.begin(); it != rows.end();) {
    if (std::find(macs.begin(), macs.end(), it->first) != macs.end()) {
      ++it;
      continue;
    }
    try {
      host.removeInstance(table + std::to_string(it->second) + ".");
    } catch (const sdk::Fault&) {
      // already gone with its access point
    }
    it = rows.erase(it);
  }
  for (const auto& mac : macs) {
    if (rows.count(mac)) continue;
    try {
      rows[mac] = host.ensureInstance(table, mac);
    } catch (const sdk::Fault& f) {
      host.log(sdk::LogLevel::Warning, "station " + mac + ": " + f.what());
    }
  }
}

std::optional<hal::AssociatedDevice> station(WifiState& state, const std::string& ap,
                                             const std::string& mac) {
  auto a = state.accessPoint(ap);
  if (!a) return std::nullopt;
  for (const auto& d : a->associatedDevices)
    if (d.mac == mac) return d;
  return std::nullopt;
}

}  // namespace cwmpd::plugins::wifi
