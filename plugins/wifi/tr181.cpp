// TR-181 Device.WiFi.: Radio, SSID, AccessPoint (+ Security, AssociatedDevice).
//
// Rows: one per HAL radio / SSID / access point, keyed by the HAL name. SSIDs and access
// points the ACS adds get a HAL name derived from their instance number (acsName) and are
// created by the next flush. Live values (status, counters, configuration the HAL holds)
// come from getters over WifiState's effective view; values the HAL has no place for
// (Alias, LowerLayers of a radio, RegulatoryDomain, RekeyingInterval, ...) are stored by
// the core. References are written without a trailing dot, like the wan plugin's.
#include <algorithm>
#include <cwmpd/hal/hal.hpp>

#include "wifi_model.hpp"

namespace cwmpd::plugins::wifi {
namespace {

using sdk::Change;
using sdk::Fault;
using sdk::FaultCode;
using sdk::InstanceRef;

constexpr const char* kRadioTable = "Device.WiFi.Radio.";
constexpr const char* kSsidTable = "Device.WiFi.SSID.";
constexpr const char* kApTable = "Device.WiFi.AccessPoint.";

const std::vector<std::string> kBandwidths{"20MHz", "40MHz", "80MHz", "160MHz", "320MHz", "Auto"};
// Percent of full power; -1 is automatic (TR-181 TransmitPowerSupported).
const std::vector<std::string> kPowerLevels{"-1", "25", "50", "75", "100"};

// Binds the interface counters of the HAL's table (hal::kInterfaceCounterFields, TR-181
// Stats names) that `wanted` picks.
template <typename Info, typename Wanted>
void bindCounters(sdk::ObjectBinding& b, const Fetch<Info>& fetch, Wanted wanted) {
  for (const auto& c : hal::kInterfaceCounterFields) {
    if (!wanted(std::string_view(c.name))) continue;
    b.get(c.name, live(
                      fetch,
                      [c](const Info& i) {
                        const std::uint64_t v = i.counters.*(c.member);
                        return c.wide ? std::to_string(v) : u32(v);
                      },
                      "0"));
  }
}

// A Radio's Stats have the byte, packet, error and discard counters; an SSID's have every
// interface counter (TR-181 2.17 WiFi.Radio.{i}.Stats., WiFi.SSID.{i}.Stats.).
bool radioCounter(std::string_view name) {
  return name.find("cast") == std::string_view::npos &&  // Unicast, Multicast, Broadcast
         name != "UnknownProtoPacketsReceived";
}
bool anyCounter(std::string_view) { return true; }

class Tr181 final : public WifiModel {
 public:
  explicit Tr181(WifiState& s) : s_(s) {}

  void registerModel(sdk::Registrar& reg) override {
    bindRadio(reg);
    bindSsid(reg);
    bindAccessPoint(reg);
  }

  void start() override {
    auto& hal = s_.hal();
    for (const auto& r : hal.radios())
      s_.radios.add(s_.host().ensureInstance(kRadioTable, r.name), r.name);
    for (const auto& sd : hal.ssids()) s_.ssids.add(row(Kind::Ssid, kSsidTable, sd.name), sd.name);
    for (const auto& a : hal.accessPoints())
      s_.accessPoints.add(row(Kind::AccessPoint, kApTable, a.name), a.name);
    refresh();
  }

  void refresh() override {
    for (const auto& [number, name] : s_.radios.all())
      if (auto r = s_.radio(name))
        watch_.observe(s_.host(), kRadioTable + std::to_string(number) + ".Status",
                       radioStatus(*r));
    for (const auto& [number, name] : s_.ssids.all())
      if (auto sd = s_.ssid(name))
        watch_.observe(s_.host(), kSsidTable + std::to_string(number) + ".Status", ssidStatus(*sd));
    for (const auto& [number, name] : s_.accessPoints.all()) {
      std::vector<std::string> macs;
      if (auto a = s_.accessPoint(name))
        for (const auto& d : a->associatedDevices) macs.push_back(d.mac);
      stations_.sync(s_.host(), stationTable(number), macs);
      watch_.observe(s_.host(),
                     kApTable + std::to_string(number) + ".AssociatedDeviceNumberOfEntries",
                     std::to_string(macs.size()));
    }
  }

 private:
  WifiState& s_;
  StationRows stations_;
  ChangeWatch watch_;

  static std::string stationTable(std::uint32_t ap) {
    return std::string(kApTable) + std::to_string(ap) + ".AssociatedDevice.";
  }

  // The row of a HAL object. One the ACS created earlier (acsName) keeps its number when
  // the core still has that row; anything else is keyed by its name.
  std::uint32_t row(Kind kind, const char* table, const std::string& name) {
    if (std::uint32_t n = WifiState::acsNumber(kind, name)) {
      try {
        (void)s_.host().value(std::string(table) + std::to_string(n) + ".Alias");
        return n;
      } catch (const Fault&) {
        // the row is gone (e.g. the store was wiped): key it like any other
      }
    }
    return s_.host().ensureInstance(table, name);
  }

  std::string name(Kind kind, const std::string& objectPath) {
    return s_.nameOf(kind, instanceNumbers(objectPath).at(0));
  }
  std::string name(Kind kind, const InstanceRef& r) { return s_.nameOf(kind, r.numbers.at(0)); }

  std::string radioPath(const std::string& radio) {
    auto n = s_.radios.number(radio);
    return n ? kRadioTable + std::to_string(*n) : std::string();
  }
  std::string ssidPath(const std::string& ssid) {
    auto n = s_.ssids.number(ssid);
    return n ? kSsidTable + std::to_string(*n) : std::string();
  }

  // ---------------------------------------------------------------- Radio
  void bindRadio(sdk::Registrar& reg) {
    auto radio = objectSnapshot<hal::RadioInfo>(
        [this](const InstanceRef& r) { return s_.radio(name(Kind::Radio, r)); });
    using R = hal::RadioInfo;
    reg.object("Device.WiFi.Radio.{i}.")
        .get("Enable", live(
                           radio, [](const R& r) { return boolText(r.enabled); }, "false"))
        .get("Status", live(
                           radio, [this](const R& r) { return radioStatus(r); }, "NotPresent"))
        .get("Name", live(
                         radio, [](const R& r) { return r.name; }, ""))
        .get("LastChange", live(
                               radio,
                               [this](const R& r) {
                                 return s_.lastChange("radio/" + r.name, hal::toString(r.status));
                               },
                               "0"))
        .get("MaxBitRate",
             live(
                 radio, [](const R& r) { return std::to_string(r.maxBitRateMbps); }, "0"))
        .get("SupportedFrequencyBands", live(
                                            radio, [](const R& r) { return r.frequencyBand; }, ""))
        .get("OperatingFrequencyBand", live(
                                           radio, [](const R& r) { return r.frequencyBand; }, ""))
        .get("SupportedStandards",
             live(
                 radio, [](const R& r) { return joinList(r.supportedStandards); }, ""))
        .get("OperatingStandards",
             live(
                 radio, [](const R& r) { return joinList(r.operatingStandards); }, ""))
        .get("PossibleChannels",
             live(
                 radio, [](const R& r) { return joinList(r.possibleChannels); }, ""))
        .get("Channel", live(
                            radio, [](const R& r) { return std::to_string(r.channel); }, "1"))
        .get("AutoChannelSupported", [](const InstanceRef&) { return std::string("true"); })
        .get("AutoChannelEnable",
             live(
                 radio, [](const R& r) { return boolText(r.autoChannel); }, "false"))
        .get("OperatingChannelBandwidth",
             live(
                 radio, [](const R& r) { return r.channelBandwidth; }, "Auto"))
        .get("TransmitPowerSupported", [](const InstanceRef&) { return joinList(kPowerLevels); })
        .get("TransmitPower",
             live(
                 radio, [](const R& r) { return std::to_string(r.transmitPower); }, "-1"))
        .validate([this](const std::vector<Change>& changes) {
          s_.staged().beginTransaction();
          for (const auto& c : changes) validateRadio(c);
        })
        .apply(stagedApply(s_,
                           [this](const Change& c) {
                             const char* f =
                                 c.parameter == "Enable"                      ? field::kEnable
                                 : c.parameter == "Channel"                   ? field::kChannel
                                 : c.parameter == "AutoChannelEnable"         ? field::kAutoChannel
                                 : c.parameter == "OperatingStandards"        ? field::kStandards
                                 : c.parameter == "OperatingChannelBandwidth" ? field::kBandwidth
                                 : c.parameter == "TransmitPower"             ? field::kPower
                                                                              : nullptr;
                             if (f) s_.stage(Kind::Radio, name(Kind::Radio, c.object), f, c.value);
                           }))
        .rollback([this](const std::vector<Change>&) { s_.staged().rollback(); });
    bindCounters(reg.object("Device.WiFi.Radio.{i}.Stats."), radio, radioCounter);
  }

  // TR-181 Status: "Error" while the last flush that carried the object failed (its
  // changes were accepted with Status 1 and could not be applied later).
  std::string radioStatus(const hal::RadioInfo& r) const {
    return s_.applyFailed(Kind::Radio, r.name) ? "Error" : hal::toString(r.status);
  }
  std::string ssidStatus(const hal::SsidInfo& s) const {
    return s_.applyFailed(Kind::Ssid, s.name) ? "Error" : hal::toString(s.status);
  }

  void validateRadio(const Change& c) {
    auto r = s_.radio(name(Kind::Radio, c.object));
    if (!r) refuse(c, "the radio is not present");
    if (c.parameter == "Channel") {
      const auto ch = static_cast<std::uint32_t>(std::stoul(c.value));
      if (!r->possibleChannels.empty() &&
          std::find(r->possibleChannels.begin(), r->possibleChannels.end(), ch) ==
              r->possibleChannels.end())
        refuse(c, "channel " + c.value + " is not one of PossibleChannels (" +
                      joinList(r->possibleChannels) + ")");
    } else if (c.parameter == "OperatingStandards") {
      const auto list = splitList(c.value);
      if (list.empty()) refuse(c, "at least one standard is needed");
      for (const auto& st : list)
        if (std::find(r->supportedStandards.begin(), r->supportedStandards.end(), st) ==
            r->supportedStandards.end())
          refuse(c, "standard '" + st + "' is not in SupportedStandards");
    } else if (c.parameter == "OperatingFrequencyBand") {
      if (c.value != r->frequencyBand) refuse(c, "this radio only operates in " + r->frequencyBand);
    } else if (c.parameter == "OperatingChannelBandwidth") {
      if (std::find(kBandwidths.begin(), kBandwidths.end(), c.value) == kBandwidths.end())
        refuse(c, "unknown bandwidth '" + c.value + "'");
    } else if (c.parameter == "TransmitPower") {
      if (std::find(kPowerLevels.begin(), kPowerLevels.end(), c.value) == kPowerLevels.end())
        refuse(c, "not one of TransmitPowerSupported (" + joinList(kPowerLevels) + ")");
    }
  }

  // ---------------------------------------------------------------- SSID
  void bindSsid(sdk::Registrar& reg) {
    auto ssid = objectSnapshot<hal::SsidInfo>(
        [this](const InstanceRef& r) { return s_.ssid(name(Kind::Ssid, r)); });
    using S = hal::SsidInfo;
    reg.object("Device.WiFi.SSID.{i}.")
        .get("Enable", live(
                           ssid, [](const S& s) { return boolText(s.enabled); }, "false"))
        .get("Status", live(
                           ssid, [this](const S& s) { return ssidStatus(s); }, "NotPresent"))
        .get("Name", live(
                         ssid, [](const S& s) { return s.name; }, ""))
        .get("LastChange", live(
                               ssid,
                               [this](const S& s) {
                                 return s_.lastChange("ssid/" + s.name, hal::toString(s.status));
                               },
                               "0"))
        .get("LowerLayers", live(
                                ssid, [this](const S& s) { return radioPath(s.radio); }, ""))
        .get("BSSID", live(
                          ssid, [](const S& s) { return s.mac; }, ""))
        .get("MACAddress", live(
                               ssid, [](const S& s) { return s.mac; }, ""))
        .get("SSID", live(
                         ssid, [](const S& s) { return s.ssid; }, ""))
        .validate([this](const std::vector<Change>& changes) {
          s_.staged().beginTransaction();
          for (const auto& c : changes) {
            if (c.parameter == "SSID" && !validNetworkName(c.value))
              refuse(c, "an SSID is 1..32 characters without control characters");
            if (c.parameter == "LowerLayers" && !radioOf(c.value))
              refuse(c, "LowerLayers must name one Device.WiFi.Radio row");
          }
        })
        .apply(stagedApply(s_,
                           [this](const Change& c) {
                             const std::string n = name(Kind::Ssid, c.object);
                             if (c.parameter == "Enable")
                               s_.stage(Kind::Ssid, n, field::kEnable, c.value);
                             else if (c.parameter == "SSID")
                               s_.stage(Kind::Ssid, n, field::kSsid, c.value);
                             else if (c.parameter == "LowerLayers")
                               s_.stage(Kind::Ssid, n, field::kRadio, *radioOf(c.value));
                           }))
        .rollback([this](const std::vector<Change>&) { s_.staged().rollback(); })
        .onAdd([this](const InstanceRef& r) {
          const std::string n = WifiState::acsName(Kind::Ssid, r.number);
          s_.ssids.add(r.number, n);
          s_.stageCreate(Kind::Ssid, n);
        })
        .onDelete([this](const InstanceRef& r) {
          const std::string n = name(Kind::Ssid, r);
          if (auto ap = s_.accessPointFor(n)) {
            auto apNumber = s_.accessPoints.number(*ap);
            throw Fault(FaultCode::RequestDenied,
                        "SSID is still served by " +
                            (apNumber ? kApTable + std::to_string(*apNumber) : *ap) +
                            "; delete it first");
          }
          s_.stageRemove(Kind::Ssid, n);
          s_.ssids.remove(r.number);
        });
    bindCounters(reg.object("Device.WiFi.SSID.{i}.Stats."), ssid, anyCounter);
  }

  static bool validNetworkName(const std::string& v) {
    return !v.empty() && v.size() <= 32 && std::none_of(v.begin(), v.end(), [](char ch) {
      return static_cast<unsigned char>(ch) < 0x20;
    });
  }

  std::optional<std::string> radioOf(const std::string& ref) {
    auto n = rowNumber(ref, kRadioTable);
    if (!n) return std::nullopt;
    return s_.radios.name(n);
  }

  std::optional<std::string> ssidOf(const std::string& ref) {
    auto n = rowNumber(ref, kSsidTable);
    if (!n) return std::nullopt;
    auto name = s_.ssids.name(n);
    if (!name || !s_.ssid(*name)) return std::nullopt;
    return name;
  }

  // ---------------------------------------------------------------- AccessPoint
  void bindAccessPoint(sdk::Registrar& reg) {
    auto ap = objectSnapshot<hal::AccessPointInfo>(
        [this](const InstanceRef& r) { return s_.accessPoint(name(Kind::AccessPoint, r)); });
    using A = hal::AccessPointInfo;
    reg.object("Device.WiFi.AccessPoint.{i}.")
        .get("Enable", live(
                           ap, [](const A& a) { return boolText(a.enabled); }, "false"))
        .get("Status", live(
                           ap,
                           [this](const A& a) {
                             if (s_.applyFailed(Kind::AccessPoint, a.name)) return "Error";
                             if (!a.enabled) return "Disabled";
                             return s_.ssid(a.ssid) ? "Enabled" : "Error_Misconfigured";
                           },
                           "Disabled"))
        .get("SSIDReference", live(
                                  ap, [this](const A& a) { return ssidPath(a.ssid); }, ""))
        .get("SSIDAdvertisementEnabled",
             live(
                 ap, [](const A& a) { return boolText(a.ssidAdvertisementEnabled); }, "true"))
        .validate([this](const std::vector<Change>& changes) {
          s_.staged().beginTransaction();
          for (const auto& c : changes)
            if (c.parameter == "SSIDReference" && !ssidOf(c.value))
              refuse(c, "SSIDReference must name an existing Device.WiFi.SSID row");
        })
        .apply(stagedApply(s_,
                           [this](const Change& c) {
                             const std::string n = name(Kind::AccessPoint, c.object);
                             if (c.parameter == "Enable")
                               s_.stage(Kind::AccessPoint, n, field::kEnable, c.value);
                             else if (c.parameter == "SSIDReference")
                               s_.stage(Kind::AccessPoint, n, field::kSsid, *ssidOf(c.value));
                             else if (c.parameter == "SSIDAdvertisementEnabled")
                               s_.stage(Kind::AccessPoint, n, field::kAdvertise, c.value);
                           }))
        .rollback([this](const std::vector<Change>&) { s_.staged().rollback(); })
        .onAdd([this](const InstanceRef& r) {
          const std::string n = WifiState::acsName(Kind::AccessPoint, r.number);
          s_.accessPoints.add(r.number, n);
          s_.stageCreate(Kind::AccessPoint, n);
        })
        .onDelete([this](const InstanceRef& r) {
          s_.stageRemove(Kind::AccessPoint, name(Kind::AccessPoint, r));
          s_.accessPoints.remove(r.number);
          stations_.forget(stationTable(r.number));
        });

    reg.object("Device.WiFi.AccessPoint.{i}.Security.")
        .get("ModesSupported", live(
                                   ap,
                                   [](const A& a) {
                                     std::vector<std::string> modes;
                                     for (const auto& m : a.supportedSecurityModes)
                                       modes.push_back(toTr181Mode(m));
                                     return joinList(modes);
                                   },
                                   ""))
        .get("ModeEnabled", live(
                                ap, [](const A& a) { return toTr181Mode(a.securityMode); }, "None"))
        // Secrets: never read back (the HAL does not return them) and never kept by the core.
        .get("WEPKey", [](const InstanceRef&) { return std::string(); })
        .get("PreSharedKey", [](const InstanceRef&) { return std::string(); })
        .get("KeyPassphrase", [](const InstanceRef&) { return std::string(); })
        .validate([this](const std::vector<Change>& changes) {
          s_.staged().beginTransaction();
          for (const auto& c : changes) {
            if (c.parameter == "ModeEnabled") {
              auto a = s_.accessPoint(name(Kind::AccessPoint, c.object));
              if (!a) refuse(c, "the access point is not present");
              const std::string m = toHalMode(c.value, a->supportedSecurityModes);
              if (std::find(a->supportedSecurityModes.begin(), a->supportedSecurityModes.end(),
                            m) == a->supportedSecurityModes.end())
                refuse(c, "mode '" + c.value + "' is not in ModesSupported");
            } else if (c.parameter == "WEPKey") {
              refuse(c, "WEP is not supported");
            } else {
              checkSecret(c);
            }
          }
        })
        .apply(stagedApply(
            s_,
            [this](const Change& c) {
              const std::string n = name(Kind::AccessPoint, c.object);
              if (c.parameter == "ModeEnabled") {
                auto a = s_.accessPoint(n);
                s_.stage(
                    Kind::AccessPoint, n, field::kMode,
                    toHalMode(c.value, a ? a->supportedSecurityModes : std::vector<std::string>{}));
              } else if (c.parameter == "KeyPassphrase" || c.parameter == "PreSharedKey") {
                s_.stage(Kind::AccessPoint, n, field::kPassphrase, c.value);
              }
            }))
        .rollback([this](const std::vector<Change>&) { s_.staged().rollback(); });

    using D = hal::AssociatedDevice;
    auto dev = objectSnapshot<D>([this](const InstanceRef& r) {
      return station(s_, s_.nameOf(Kind::AccessPoint, r.numbers.at(0)), r.key);
    });
    reg.object("Device.WiFi.AccessPoint.{i}.AssociatedDevice.{i}.")
        .get("MACAddress", [](const InstanceRef& r) { return r.key; })
        .get("AuthenticationState",
             live(
                 dev, [](const D& d) { return boolText(d.authenticated); }, "false"))
        .get("LastDataDownlinkRate",
             live(
                 dev, [](const D& d) { return std::to_string(d.lastDataDownlinkRateKbps); }, "0"))
        .get("LastDataUplinkRate",
             live(
                 dev, [](const D& d) { return std::to_string(d.lastDataUplinkRateKbps); }, "0"))
        .get("SignalStrength",
             live(
                 dev, [](const D& d) { return std::to_string(d.signalStrengthDbm); }, "0"))
        .get("Active", live(
                           dev, [](const D&) { return "true"; }, "false"));
  }
};

}  // namespace

std::unique_ptr<WifiModel> makeTr181Model(WifiState& state) {
  return std::make_unique<Tr181>(state);
}

}  // namespace cwmpd::plugins::wifi
