// One root's view of Wi-Fi: TR-181 Device.WiFi. or TR-098 WLANConfiguration.
#pragma once

#include <cwmpd/sdk/object_snapshot.hpp>
#include <cwmpd/sdk/periodic.hpp>
#include <cwmpd/sdk/plugin.hpp>
#include <cwmpd/sdk/root_model.hpp>
#include <memory>

#include "wifi_state.hpp"

namespace cwmpd::plugins::wifi {

using sdk::ChangeWatch;

// start() creates the rows of what the HAL has; refresh() makes the associated-device rows
// follow the HAL and reports Status changes seen since the last refresh.
using WifiModel = sdk::RootModel;

std::unique_ptr<WifiModel> makeTr181Model(WifiState& state);
std::unique_ptr<WifiModel> makeTr098Model(WifiState& state);

// Both roots refuse a change that cannot work before anything is applied (9007).
[[noreturn]] void refuse(const sdk::Change& c, const std::string& why);
// Refuses a KeyPassphrase / PreSharedKey the HAL would not take.
void checkSecret(const sdk::Change& c);

// Associated devices of one access point as rows of `table` (a path ending in
// "AssociatedDevice."), keyed by MAC address.
class StationRows {
 public:
  // Adds rows for new stations and removes those that left. `macs` empty when the access
  // point is gone.
  void sync(sdk::Host& host, const std::string& table, const std::vector<std::string>& macs);
  // Forgets a table whose parent row was deleted.
  void forget(const std::string& table) { rows_.erase(table); }

 private:
  std::map<std::string, std::map<std::string, std::uint32_t>> rows_;  // table -> mac -> number
};

// The effective view of one object, fetched once per object and request and shared by
// the getters of its fields (cwmpd/sdk/object_snapshot.hpp).
template <typename Info>
using Fetch = std::shared_ptr<sdk::ObjectSnapshot<Info>>;
using sdk::objectSnapshot;

// A getter reading one field of an effective HAL object; `fallback` when it is gone.
template <typename Info, typename Fn>
sdk::Getter live(const Fetch<Info>& fetch, Fn fn, std::string fallback) {
  return sdk::fieldGetter(fetch, std::move(fn), std::move(fallback));
}

// An apply handler over `one`, which stages a change through WifiState (or leaves it to
// the core, which stores it): a staged change reaches the HAL only with the flush, so the
// ACS gets SetParameterValues Status 1 for it (sdk::stagedApply).
template <typename Fn>
sdk::ReportingChangeHandler stagedApply(WifiState& state, Fn one) {
  return sdk::stagedApply(state.staged(), std::move(one));
}

// The station `mac` of access point `ap` (effective view), if it is associated.
std::optional<hal::AssociatedDevice> station(WifiState& state, const std::string& ap,
                                             const std::string& mac);

}  // namespace cwmpd::plugins::wifi
