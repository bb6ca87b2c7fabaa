// TR-098 InternetGatewayDevice.LANDevice.{i}.WLANConfiguration.{i}.: one row per HAL SSID
// (key = SSID name) under the wan plugin's LANDevice row (key "lan"), each row showing its
// SSID, the radio it runs on and the access point serving it.
//
// The TR-098 security parameters (BeaconType, Basic/WPA/IEEE11i modes) are a view of the
// access point's one security mode: a set recomputes the mode from the row's resulting
// values. The encryption modes (TKIP/AES) are read from the mode and accepted on write, but
// the HAL picks the cipher from the mode. TR-098 has no WPA3: WPA3 modes read as "11i", and
// setting "11i" keeps a WPA3 mode rather than downgrade it.
#include <algorithm>
#include <cwmpd/hal/hal.hpp>
#include <map>

#include "wifi_model.hpp"

namespace cwmpd::plugins::wifi {
namespace {

using sdk::Change;
using sdk::InstanceRef;

constexpr const char* kLanTable = "InternetGatewayDevice.LANDevice.";
constexpr const char* kLanKey = "lan";  // the wan plugin's key for the one LANDevice
constexpr const char* kWlan = "InternetGatewayDevice.LANDevice.{i}.WLANConfiguration.{i}.";
constexpr int kPreSharedKeys = 10;  // PreSharedKey.{i}. has exactly 10 rows (TR-098)

struct Security {
  std::string beaconType = "Basic";
  std::string basicEncryption = "None";
  std::string basicAuthentication = "None";
  std::string wpaEncryption = "TKIPEncryption";
  std::string wpaAuthentication = "PSKAuthentication";
  std::string ieeeEncryption = "AESEncryption";
  std::string ieeeAuthentication = "PSKAuthentication";

  std::string* field(const std::string& parameter) {
    if (parameter == "BeaconType") return &beaconType;
    if (parameter == "BasicEncryptionModes") return &basicEncryption;
    if (parameter == "BasicAuthenticationMode") return &basicAuthentication;
    if (parameter == "WPAEncryptionModes") return &wpaEncryption;
    if (parameter == "WPAAuthenticationMode") return &wpaAuthentication;
    if (parameter == "IEEE11iEncryptionModes") return &ieeeEncryption;
    if (parameter == "IEEE11iAuthenticationMode") return &ieeeAuthentication;
    return nullptr;
  }
};

bool oneOf(const std::string& v, std::initializer_list<const char*> set) {
  return std::any_of(set.begin(), set.end(), [&](const char* s) { return v == s; });
}

Security fromMode(const std::string& m) {
  Security s;
  if (oneOf(m, {"WEP-64", "WEP-128"})) {
    s.basicEncryption = "WEPEncryption";
  } else if (oneOf(m, {"WPA-Personal", "WPA-Enterprise"})) {
    s.beaconType = "WPA";
    if (m == "WPA-Enterprise") s.wpaAuthentication = "EAPAuthentication";
  } else if (oneOf(m, {"WPA2-Personal", "WPA3-Personal", "WPA2-PSK-WPA3-SAE",
                       "WPA3-Personal-Transition", "WPA2-Enterprise", "WPA3-Enterprise"})) {
    s.beaconType = "11i";
    if (m.find("Enterprise") != std::string::npos) s.ieeeAuthentication = "EAPAuthentication";
  } else if (oneOf(m, {"WPA-WPA2-Personal", "WPA-WPA2-Enterprise"})) {
    s.beaconType = "WPAand11i";
    s.wpaEncryption = "TKIPandAESEncryption";
    if (m == "WPA-WPA2-Enterprise") {
      s.wpaAuthentication = "EAPAuthentication";
      s.ieeeAuthentication = "EAPAuthentication";
    }
  }
  return s;
}

// The HAL mode for TR-098 values; empty when they describe no mode the HAL knows.
std::string toMode(const Security& s, const std::string& current) {
  const bool wpaEap = s.wpaAuthentication == "EAPAuthentication";
  const bool ieeeEap = s.ieeeAuthentication != "PSKAuthentication";
  if (s.beaconType == "None") return "None";
  if (s.beaconType == "Basic") {
    if (s.basicEncryption != "WEPEncryption") return "None";
    return oneOf(current, {"WEP-64", "WEP-128"}) ? current : "WEP-128";
  }
  if (s.beaconType == "WPA") return wpaEap ? "WPA-Enterprise" : "WPA-Personal";
  if (s.beaconType == "11i") {
    if (ieeeEap)
      return oneOf(current, {"WPA2-Enterprise", "WPA3-Enterprise"}) ? current : "WPA2-Enterprise";
    return oneOf(current, {"WPA2-Personal", "WPA3-Personal", "WPA2-PSK-WPA3-SAE",
                           "WPA3-Personal-Transition"})
               ? current
               : "WPA2-Personal";
  }
  if (s.beaconType == "WPAand11i")
    return wpaEap || ieeeEap ? "WPA-WPA2-Enterprise" : "WPA-WPA2-Personal";
  return {};  // the obsoleted Basicand... combinations
}

// TR-098 Standard from the radio's operating standards.
std::string standardOf(const std::vector<std::string>& ops) {
  auto has = [&](const char* s) { return std::find(ops.begin(), ops.end(), s) != ops.end(); };
  if (has("n") || has("ac") || has("ax") || has("be")) return "n";
  if (has("g")) return has("b") ? "g" : "g-only";
  if (has("b")) return "b";
  return "a";
}

// Where the row's plain parameters go (Enable goes to the SSID and its access point).
struct Target {
  const char* parameter;
  Kind kind;
  const char* field;
};
const Target kTargets[] = {{"SSID", Kind::Ssid, field::kSsid},
                           {"Channel", Kind::Radio, field::kChannel},
                           {"AutoChannelEnable", Kind::Radio, field::kAutoChannel},
                           {"RadioEnabled", Kind::Radio, field::kEnable},
                           {"TransmitPower", Kind::Radio, field::kPower},
                           {"KeyPassphrase", Kind::AccessPoint, field::kPassphrase},
                           {"SSIDAdvertisementEnabled", Kind::AccessPoint, field::kAdvertise}};

// What one WLANConfiguration row stands for.
struct Row {
  std::string ssid;                // HAL SSID name
  std::optional<hal::SsidInfo> s;  // effective views
  std::optional<hal::RadioInfo> r;
  std::optional<hal::AccessPointInfo> a;
};

// "Error" too while the last flush that carried the row's SSID failed (the change was
// accepted with Status 1 and could not be applied later).
std::string rowStatus(const WifiState& state, const Row& w) {
  if (state.applyFailed(Kind::Ssid, w.ssid)) return "Error";
  if (!w.s->enabled) return "Disabled";
  return w.s->status == hal::OperStatus::Up ? "Up" : "Error";
}

class Tr098 final : public WifiModel {
 public:
  explicit Tr098(WifiState& s) : s_(s) {}

  void registerModel(sdk::Registrar& reg) override {
    auto row = objectSnapshot<Row>(
        [this](const InstanceRef& r) -> std::optional<Row> { return load(r.numbers.at(1)); });
    auto radio = [](auto fn, std::string fallback) {
      return [fn, fallback = std::move(fallback)](const Row& w) {
        return w.r ? std::string(fn(*w.r)) : fallback;
      };
    };
    auto ap = [](auto fn, std::string fallback) {
      return [fn, fallback = std::move(fallback)](const Row& w) {
        return w.a ? std::string(fn(*w.a)) : fallback;
      };
    };
    auto sec = [](std::string Security::*member) {
      return [member](const Row& w) { return fromMode(w.a ? w.a->securityMode : "None").*member; };
    };
    auto counter = [](std::uint64_t hal::InterfaceCounters::*m) {
      return [m](const Row& w) { return u32(w.s->counters.*m); };
    };
    using R = hal::RadioInfo;
    using A = hal::AccessPointInfo;
    reg.object(kWlan)
        .get("Enable", live(
                           row, [](const Row& w) { return boolText(w.s->enabled); }, "false"))
        .get("Status", live(
                           row, [this](const Row& w) { return rowStatus(s_, w); }, "Error"))
        .get("BSSID", live(
                          row, [](const Row& w) { return w.s->mac; }, ""))
        .get("Channel",
             live(row, radio([](const R& r) { return std::to_string(r.channel); }, "0"), "0"))
        .get("SSID", live(
                         row, [](const Row& w) { return w.s->ssid; }, ""))
        .get("BeaconType", live(row, sec(&Security::beaconType), "Basic"))
        .get(
            "Standard",
            live(row, radio([](const R& r) { return standardOf(r.operatingStandards); }, "n"), "n"))
        .get("KeyPassphrase", [](const InstanceRef&) { return std::string(); })
        .get("BasicEncryptionModes", live(row, sec(&Security::basicEncryption), "None"))
        .get("BasicAuthenticationMode", live(row, sec(&Security::basicAuthentication), "None"))
        .get("WPAEncryptionModes", live(row, sec(&Security::wpaEncryption), "TKIPEncryption"))
        .get("WPAAuthenticationMode",
             live(row, sec(&Security::wpaAuthentication), "PSKAuthentication"))
        .get("IEEE11iEncryptionModes", live(row, sec(&Security::ieeeEncryption), "AESEncryption"))
        .get("IEEE11iAuthenticationMode",
             live(row, sec(&Security::ieeeAuthentication), "PSKAuthentication"))
        .get("PossibleChannels",
             live(row, radio([](const R& r) { return joinList(r.possibleChannels); }, ""), ""))
        .get("SSIDAdvertisementEnabled",
             live(row, ap([](const A& a) { return boolText(a.ssidAdvertisementEnabled); }, "false"),
                  "false"))
        .get("RadioEnabled",
             live(row, radio([](const R& r) { return boolText(r.enabled); }, "false"), "false"))
        .get("TransmitPower",
             live(row,
                  radio(
                      [](const R& r) {
                        // TR-098 has no "auto" (-1): full power is the nearest truth.
                        return std::to_string(r.transmitPower < 0 ? 100 : r.transmitPower);
                      },
                      "100"),
                  "100"))
        .get("AutoChannelEnable",
             live(row, radio([](const R& r) { return boolText(r.autoChannel); }, "false"), "false"))
        .get("TotalBytesSent", live(row, counter(&hal::InterfaceCounters::bytesSent), "0"))
        .get("TotalBytesReceived", live(row, counter(&hal::InterfaceCounters::bytesReceived), "0"))
        .get("TotalPacketsSent", live(row, counter(&hal::InterfaceCounters::packetsSent), "0"))
        .get("TotalPacketsReceived",
             live(row, counter(&hal::InterfaceCounters::packetsReceived), "0"))
        .validate([this](const std::vector<Change>& changes) {
          s_.staged().beginTransaction();
          for (const auto& [object, group] : byObject(changes)) validateRow(object, group);
        })
        .apply([this](const std::vector<Change>& changes, sdk::ApplyReport& report) {
          // Staged for the flush at the end of the session: SetParameterValues Status 1.
          const std::uint64_t before = s_.staged().writes();
          for (const auto& [object, group] : byObject(changes)) applyRow(object, group);
          if (s_.staged().writes() != before) report.setAll(sdk::Effect::AtSessionEnd);
        })
        .rollback([this](const std::vector<Change>&) { s_.staged().rollback(); });

    reg.object(std::string(kWlan) + "PreSharedKey.{i}.")
        .get("PreSharedKey", [](const InstanceRef&) { return std::string(); })
        .get("KeyPassphrase", [](const InstanceRef&) { return std::string(); })
        .validate([this](const std::vector<Change>& changes) {
          s_.staged().beginTransaction();
          for (const auto& c : changes) {
            const auto nums = instanceNumbers(c.object);
            if (nums.at(2) != 1)
              refuse(c, "only PreSharedKey.1 (the key for every station) is supported");
            auto w = load(nums.at(1));
            if (!w || !w->a) refuse(c, "no access point serves this SSID");
            checkSecret(c);
          }
        })
        .apply(stagedApply(s_,
                           [this](const Change& c) {
                             Row w = load(instanceNumbers(c.object).at(1)).value();
                             s_.stage(Kind::AccessPoint, w.a->name, field::kPassphrase, c.value);
                           }))
        .rollback([this](const std::vector<Change>&) { s_.staged().rollback(); });

    using D = hal::AssociatedDevice;
    auto dev = objectSnapshot<D>([this](const InstanceRef& r) -> std::optional<D> {
      auto w = load(r.numbers.at(1));
      if (!w || !w->a) return std::nullopt;
      return station(s_, w->a->name, r.key);
    });
    reg.object(std::string(kWlan) + "AssociatedDevice.{i}.")
        .get("AssociatedDeviceMACAddress", [](const InstanceRef& r) { return r.key; })
        // The HAL knows stations by MAC only; their addresses are the DHCP server's business.
        .get("AssociatedDeviceIPAddress", [](const InstanceRef&) { return std::string(); })
        .get("AssociatedDeviceAuthenticationState",
             live(
                 dev, [](const D& d) { return boolText(d.authenticated); }, "false"));
  }

  void start() override {
    auto& host = s_.host();
    lan_ = std::string(kLanTable) + std::to_string(host.ensureInstance(kLanTable, kLanKey)) + ".";
    std::uint32_t i = 0;
    for (const auto& r : s_.hal().radios()) s_.radios.add(++i, r.name);
    for (const auto& sd : s_.hal().ssids()) {
      const std::uint32_t n = host.ensureInstance(lan_ + "WLANConfiguration.", sd.name);
      s_.ssids.add(n, sd.name);
      for (int k = 1; k <= kPreSharedKeys; ++k)
        (void)host.ensureInstance(wlanRow(n) + "PreSharedKey.", std::to_string(k));
      // Values the HAL does not hold: sensible first-boot values.
      host.setInitial(wlanRow(n) + "MaxBitRate", "Auto");
      host.setInitial(wlanRow(n) + "WEPKeyIndex", "1");
    }
    refresh();
  }

  void refresh() override {
    for (const auto& [number, name] : s_.ssids.all()) {
      if (auto w = load(number))
        watch_.observe(s_.host(), wlanRow(number) + "Status", rowStatus(s_, *w));
      std::vector<std::string> macs;
      if (auto apName = s_.accessPointFor(name))
        if (auto a = s_.accessPoint(*apName))
          for (const auto& d : a->associatedDevices) macs.push_back(d.mac);
      stations_.sync(s_.host(), wlanRow(number) + "AssociatedDevice.", macs);
      watch_.observe(s_.host(), wlanRow(number) + "TotalAssociations", std::to_string(macs.size()));
    }
  }

 private:
  WifiState& s_;
  StationRows stations_;
  ChangeWatch watch_;
  std::string lan_;

  std::string wlanRow(std::uint32_t n) const {
    return lan_ + "WLANConfiguration." + std::to_string(n) + ".";
  }

  std::optional<Row> load(std::uint32_t number) {
    Row w;
    w.ssid = s_.nameOf(Kind::Ssid, number);
    w.s = s_.ssid(w.ssid);
    if (!w.s) return std::nullopt;
    w.r = s_.radio(w.s->radio);
    if (auto apName = s_.accessPointFor(w.ssid)) w.a = s_.accessPoint(*apName);
    return w;
  }

  static std::map<std::string, std::vector<Change>> byObject(const std::vector<Change>& changes) {
    std::map<std::string, std::vector<Change>> out;
    for (const auto& c : changes) out[c.object].push_back(c);
    return out;
  }

  // The access point mode the group's security parameters ask for ("" = none of them set).
  static std::string wantedMode(const Row& w, const std::vector<Change>& group, bool& touched) {
    const std::string current = w.a ? w.a->securityMode : "None";
    Security s = fromMode(current);
    touched = false;
    for (const auto& c : group)
      if (std::string* f = s.field(c.parameter)) {
        *f = c.value;
        touched = true;
      }
    return touched ? toMode(s, current) : current;
  }

  void validateRow(const std::string& object, const std::vector<Change>& group) {
    auto w = load(instanceNumbers(object).at(1));
    for (const auto& c : group) {
      if (!w) refuse(c, "the SSID is not present");
      const bool needsAp = c.parameter == "KeyPassphrase" ||
                           c.parameter == "SSIDAdvertisementEnabled" ||
                           Security().field(c.parameter);
      const bool needsRadio = c.parameter == "Channel" || c.parameter == "AutoChannelEnable" ||
                              c.parameter == "RadioEnabled" || c.parameter == "TransmitPower";
      if (needsAp && !w->a) refuse(c, "no access point serves this SSID");
      if (needsRadio && !w->r) refuse(c, "the SSID's radio is not present");
      if (c.parameter == "SSID" && (c.value.empty() || c.value.size() > 32 ||
                                    std::any_of(c.value.begin(), c.value.end(), [](char ch) {
                                      return static_cast<unsigned char>(ch) < 0x20;
                                    })))
        refuse(c, "an SSID is 1..32 characters without control characters");
      checkSecret(c);
      if (c.parameter == "Channel") {
        const auto ch = static_cast<std::uint32_t>(std::stoul(c.value));
        const auto& pc = w->r->possibleChannels;
        if (!pc.empty() && std::find(pc.begin(), pc.end(), ch) == pc.end())
          refuse(c,
                 "channel " + c.value + " is not one of PossibleChannels (" + joinList(pc) + ")");
      }
    }
    if (!w || !w->a) return;
    bool touched = false;
    const std::string mode = wantedMode(*w, group, touched);
    if (!touched) return;
    const auto& supported = w->a->supportedSecurityModes;
    if (mode.empty() || std::find(supported.begin(), supported.end(), mode) == supported.end()) {
      for (const auto& c : group)
        if (Security().field(c.parameter))
          refuse(c, "the resulting security mode " + (mode.empty() ? std::string("(none)") : mode) +
                        " is not supported by this access point");
    }
  }

  void applyRow(const std::string& object, const std::vector<Change>& group) {
    Row w = load(instanceNumbers(object).at(1)).value();
    bool touched = false;
    const std::string mode = wantedMode(w, group, touched);
    for (const auto& c : group) {
      const std::string& p = c.parameter;
      if (p == "Enable") {
        s_.stage(Kind::Ssid, w.ssid, field::kEnable, c.value);
        if (w.a) s_.stage(Kind::AccessPoint, w.a->name, field::kEnable, c.value);
        continue;
      }
      for (const auto& t : kTargets) {
        if (p != t.parameter) continue;
        const std::string& target = t.kind == Kind::Radio  ? w.r->name
                                    : t.kind == Kind::Ssid ? w.ssid
                                                           : w.a->name;
        s_.stage(t.kind, target, t.field, c.value);
      }
    }
    if (touched && w.a && mode != w.a->securityMode)
      s_.stage(Kind::AccessPoint, w.a->name, field::kMode, mode);
  }
};

}  // namespace

std::unique_ptr<WifiModel> makeTr098Model(WifiState& state) {
  return std::make_unique<Tr098>(state);
}

}  // namespace cwmpd::plugins::wifi
