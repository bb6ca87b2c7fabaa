#include "common/wifi_dir.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <set>

#include "common/files.hpp"
#include "common/kv_objects.hpp"
#include "cwmpd/hal/error.hpp"

namespace cwmpd::hal::detail {
namespace {

const std::set<std::string> kBandwidths{"20MHz", "40MHz", "80MHz", "160MHz", "320MHz", "Auto"};
const std::set<std::string> kSecurityModes{"None",
                                           "WEP-64",
                                           "WEP-128",
                                           "WPA-Personal",
                                           "WPA2-Personal",
                                           "WPA3-Personal",
                                           "WPA-WPA2-Personal",
                                           "WPA2-PSK-WPA3-SAE",
                                           "WPA3-Personal-Transition",
                                           "WPA-Enterprise",
                                           "WPA2-Enterprise",
                                           "WPA3-Enterprise",
                                           "WPA-WPA2-Enterprise"};

template <typename T>
bool contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

RadioInfo toRadio(const std::string& name, const KvFile& f) {
  RadioInfo r;
  r.name = name;
  r.enabled = f.boolean("enable");
  r.status = parseStatus(f.str("status", r.enabled ? "Up" : "Down"));
  r.frequencyBand = f.str("frequency_band");
  r.supportedStandards = f.list("supported_standards");
  r.operatingStandards = f.list("operating_standards");
  r.channel = static_cast<std::uint32_t>(f.u64("channel"));
  r.autoChannel = f.boolean("auto_channel");
  for (const auto& c : f.list("possible_channels")) {
    r.possibleChannels.push_back(static_cast<std::uint32_t>(parseU64(c, f.path().string())));
  }
  r.channelBandwidth = f.str("channel_bandwidth", "Auto");
  r.transmitPower = static_cast<std::int32_t>(f.i64("transmit_power", -1));
  r.maxBitRateMbps = static_cast<std::uint32_t>(f.u64("max_bit_rate_mbps"));
  r.counters = readCounters(f);
  return r;
}

SsidInfo toSsid(const std::string& name, const KvFile& f) {
  SsidInfo s;
  s.name = name;
  s.ssid = f.str("ssid");
  s.enabled = f.boolean("enable");
  s.status = parseStatus(f.str("status", s.enabled ? "Up" : "Down"));
  s.mac = f.str("mac");
  s.radio = f.str("radio");
  s.counters = readCounters(f);
  return s;
}

// <ap>.stations: one associated device a line, "MAC SIGNAL_DBM DOWN_KBPS UP_KBPS".
std::vector<AssociatedDevice> readStations(const fs::path& path) {
  std::vector<AssociatedDevice> out;
  const std::string text = tryReadFile(path).value_or("");
  for (const auto& line : splitList(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    const auto f = splitList(line, ' ');
    if (f.size() < 4) throw HalError(path.string() + ": bad station line '" + line + "'");
    AssociatedDevice d;
    d.mac = f[0];
    d.signalStrengthDbm = static_cast<std::int32_t>(parseI64(f[1], path.string()));
    d.lastDataDownlinkRateKbps = static_cast<std::uint32_t>(parseU64(f[2], path.string()));
    d.lastDataUplinkRateKbps = static_cast<std::uint32_t>(parseU64(f[3], path.string()));
    out.push_back(std::move(d));
  }
  return out;
}

AccessPointInfo toAccessPoint(const std::string& name, const KvFile& f, const fs::path& dir) {
  AccessPointInfo a;
  a.name = name;
  a.ssid = f.str("ssid");
  a.enabled = f.boolean("enable");
  a.securityMode = f.str("security_mode", "None");
  a.supportedSecurityModes = f.list("supported_security_modes");
  a.ssidAdvertisementEnabled = f.boolean("ssid_advertisement", true);
  a.associatedDevices = readStations(dir / (name + ".stations"));
  return a;
}

bool validPassphrase(const std::string& p) {
  // IEEE 802.11i: 8..63 printable ASCII characters, or exactly 64 hex digits (the PSK).
  if (p.size() == 64) {
    return std::all_of(p.begin(), p.end(), [](char c) { return std::isxdigit(uint8_t(c)); });
  }
  return p.size() >= 8 && p.size() <= 63 &&
         std::all_of(p.begin(), p.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

std::string macFor(const std::string& radio, std::size_t index) {
  // A locally administered address derived from the radio and SSID number.
  unsigned h = 0;
  for (char c : radio) h = h * 31 + static_cast<unsigned char>(c);
  char buf[18];
  std::snprintf(buf, sizeof buf, "02:00:%02x:%02x:%02x:%02x", (h >> 8) & 0xff, h & 0xff,
                static_cast<unsigned>(index >> 8) & 0xff, static_cast<unsigned>(index) & 0xff);
  return buf;
}

}  // namespace

std::vector<RadioInfo> WifiDir::radios() const {
  std::vector<RadioInfo> out;
  for (const auto& n : iniNames(base_ / "radio")) out.push_back(radio(n));
  return out;
}

std::vector<SsidInfo> WifiDir::ssids() const {
  std::vector<SsidInfo> out;
  for (const auto& n : iniNames(base_ / "ssid")) out.push_back(ssid(n));
  return out;
}

std::vector<AccessPointInfo> WifiDir::accessPoints() const {
  std::vector<AccessPointInfo> out;
  for (const auto& n : iniNames(base_ / "ap")) out.push_back(accessPoint(n));
  return out;
}

RadioInfo WifiDir::radio(std::string_view name) const {
  return toRadio(std::string(name), loadObject(base_ / "radio", name, "radio"));
}

SsidInfo WifiDir::ssid(std::string_view name) const {
  return toSsid(std::string(name), loadObject(base_ / "ssid", name, "SSID"));
}

AccessPointInfo WifiDir::accessPoint(std::string_view name) const {
  return toAccessPoint(std::string(name), loadObject(base_ / "ap", name, "access point"),
                       base_ / "ap");
}

void WifiDir::validate(const WifiConfig& c) const {
  // The state after the batch, by name, to check references against.
  std::vector<std::string> radioNames = iniNames(base_ / "radio");
  std::vector<std::string> ssidNames = iniNames(base_ / "ssid");
  std::vector<std::string> apNames = iniNames(base_ / "ap");
  std::map<std::string, std::string> apSsid;  // access point -> SSID after the batch
  for (const auto& a : apNames) apSsid[a] = accessPoint(a).ssid;

  for (const auto& n : c.removeAccessPoints) {
    if (!contains(apNames, n)) throw HalError("unknown access point '" + n + "'");
    apSsid.erase(n);
    std::erase(apNames, n);
  }
  for (const auto& n : c.removeSsids) {
    if (!contains(ssidNames, n)) throw HalError("unknown SSID '" + n + "'");
    std::erase(ssidNames, n);
  }
  for (const auto& r : c.radios) {
    if (!contains(radioNames, r.name)) throw HalError("unknown radio '" + r.name + "'");
    const RadioInfo cur = radio(r.name);
    const bool autoChannel = r.autoChannel.value_or(cur.autoChannel);
    if (r.channel && !autoChannel && !cur.possibleChannels.empty() &&
        !contains(cur.possibleChannels, *r.channel)) {
      throw HalError("radio '" + r.name + "': channel " + std::to_string(*r.channel) +
                     " is not possible");
    }
    if (r.transmitPower && (*r.transmitPower < -1 || *r.transmitPower > 100)) {
      throw HalError("radio '" + r.name + "': transmit power must be -1..100 percent");
    }
    if (r.channelBandwidth && !kBandwidths.count(*r.channelBandwidth)) {
      throw HalError("radio '" + r.name + "': unknown bandwidth '" + *r.channelBandwidth + "'");
    }
    if (r.operatingStandards) {
      if (r.operatingStandards->empty()) {
        throw HalError("radio '" + r.name + "': no operating standard");
      }
      for (const auto& s : *r.operatingStandards) {
        if (!contains(cur.supportedStandards, s)) {
          throw HalError("radio '" + r.name + "': standard '" + s + "' not supported");
        }
      }
    }
  }
  for (const auto& s : c.ssids) {
    requireSafeName(s.name, "SSID");
    if (s.create) {
      if (contains(ssidNames, s.name)) throw HalError("SSID '" + s.name + "' already exists");
      if (!s.radio) throw HalError("new SSID '" + s.name + "' needs a radio");
      ssidNames.push_back(s.name);
    } else if (!contains(ssidNames, s.name)) {
      throw HalError("unknown SSID '" + s.name + "'");
    }
    if (s.radio && !contains(radioNames, *s.radio)) {
      throw HalError("SSID '" + s.name + "': unknown radio '" + *s.radio + "'");
    }
    if (s.ssid && (s.ssid->empty() || s.ssid->size() > 32 ||
                   std::any_of(s.ssid->begin(), s.ssid->end(),
                               [](char ch) { return static_cast<unsigned char>(ch) < 0x20; }))) {
      throw HalError("SSID '" + s.name +
                     "': the network name must be 1..32 bytes without control characters");
    }
  }
  for (const auto& a : c.accessPoints) {
    requireSafeName(a.name, "access point");
    if (a.create) {
      if (contains(apNames, a.name)) {
        throw HalError("access point '" + a.name + "' already exists");
      }
      if (!a.ssid) throw HalError("new access point '" + a.name + "' needs an SSID");
      apNames.push_back(a.name);
    } else if (!contains(apNames, a.name)) {
      throw HalError("unknown access point '" + a.name + "'");
    }
    if (a.ssid) apSsid[a.name] = *a.ssid;
    if (a.securityMode) {
      std::vector<std::string> supported;
      if (!a.create) supported = accessPoint(a.name).supportedSecurityModes;
      const bool ok = supported.empty() ? kSecurityModes.count(*a.securityMode) > 0
                                        : contains(supported, *a.securityMode);
      if (!ok) {
        throw HalError("access point '" + a.name + "': security mode '" + *a.securityMode +
                       "' not supported");
      }
    }
    if (a.passphrase && !validPassphrase(*a.passphrase)) {
      throw HalError("access point '" + a.name +
                     "': passphrase must be 8..63 printable characters or 64 hex digits");
    }
  }
  for (const auto& [ap, ssidName] : apSsid) {
    if (!contains(ssidNames, ssidName)) {
      // Once: the throw ends the loop.
      // NOLINTNEXTLINE(performance-inefficient-string-concatenation)
      throw HalError("access point '" + ap + "' refers to unknown SSID '" + ssidName + "'");
    }
  }
}

void WifiDir::write(const WifiConfig& c) const {
  std::error_code ec;
  for (const auto& n : c.removeAccessPoints) {
    fs::remove(base_ / "ap" / (n + ".ini"), ec);
    fs::remove(base_ / "ap" / (n + ".stations"), ec);
  }
  for (const auto& n : c.removeSsids) fs::remove(base_ / "ssid" / (n + ".ini"), ec);
  invalidateReadCache();

  for (const auto& r : c.radios) {
    KvFile f = loadObject(base_ / "radio", r.name, "radio");
    if (r.enabled) f.setBool("enable", *r.enabled);
    if (r.channel) f.set("channel", std::uint64_t{*r.channel});
    if (r.autoChannel) f.setBool("auto_channel", *r.autoChannel);
    if (r.operatingStandards) f.setList("operating_standards", *r.operatingStandards);
    if (r.channelBandwidth) f.set("channel_bandwidth", *r.channelBandwidth);
    if (r.transmitPower) f.set("transmit_power", std::to_string(*r.transmitPower));
    f.set("status", f.boolean("enable") ? "Up" : "Down");
    f.save();
  }
  fs::create_directories(base_ / "ssid", ec);
  for (const auto& s : c.ssids) {
    KvFile f = s.create ? KvFile::empty(base_ / "ssid" / (s.name + ".ini"))
                        : loadObject(base_ / "ssid", s.name, "SSID");
    if (s.create) {
      f.set("ssid", s.name);
      f.setBool("enable", false);
      f.set("mac", macFor(*s.radio, iniNames(base_ / "ssid").size() + 1));
    }
    if (s.ssid) f.set("ssid", *s.ssid);
    if (s.enabled) f.setBool("enable", *s.enabled);
    if (s.radio) f.set("radio", *s.radio);
    const bool radioUp = radio(f.str("radio")).enabled;
    f.set("status", f.boolean("enable") && radioUp ? "Up" : "Down");
    f.save();
  }
  fs::create_directories(base_ / "ap", ec);
  for (const auto& a : c.accessPoints) {
    KvFile f = a.create ? KvFile::empty(base_ / "ap" / (a.name + ".ini"))
                        : loadObject(base_ / "ap", a.name, "access point");
    if (a.create) {
      f.setBool("enable", false);
      f.set("security_mode", "None");
    }
    if (a.ssid) f.set("ssid", *a.ssid);
    if (a.enabled) f.setBool("enable", *a.enabled);
    if (a.securityMode) f.set("security_mode", *a.securityMode);
    if (a.passphrase) f.set("passphrase", *a.passphrase);
    if (a.ssidAdvertisementEnabled) f.setBool("ssid_advertisement", *a.ssidAdvertisementEnabled);
    f.save();
  }
}

std::string renderWifiConfig(const WifiConfig& c, bool withSecrets) {
  std::string out;
  const auto kv = [&](const char* k, const std::string& v) {
    out += std::string(k) + " = " + v + "\n";
  };
  const auto b = [](bool v) { return std::string(v ? "1" : "0"); };
  for (const auto& n : c.removeAccessPoints) out += "[remove_access_point " + n + "]\n";
  for (const auto& n : c.removeSsids) out += "[remove_ssid " + n + "]\n";
  for (const auto& r : c.radios) {
    out += "[radio " + r.name + "]\n";
    if (r.enabled) kv("enable", b(*r.enabled));
    if (r.channel) kv("channel", std::to_string(*r.channel));
    if (r.autoChannel) kv("auto_channel", b(*r.autoChannel));
    if (r.operatingStandards) kv("operating_standards", joinList(*r.operatingStandards));
    if (r.channelBandwidth) kv("channel_bandwidth", *r.channelBandwidth);
    if (r.transmitPower) kv("transmit_power", std::to_string(*r.transmitPower));
  }
  for (const auto& s : c.ssids) {
    out += "[ssid " + s.name + "]\n";
    if (s.create) kv("create", "1");
    if (s.enabled) kv("enable", b(*s.enabled));
    if (s.ssid) kv("ssid", *s.ssid);
    if (s.radio) kv("radio", *s.radio);
  }
  for (const auto& a : c.accessPoints) {
    out += "[access_point " + a.name + "]\n";
    if (a.create) kv("create", "1");
    if (a.enabled) kv("enable", b(*a.enabled));
    if (a.ssid) kv("ssid", *a.ssid);
    if (a.securityMode) kv("security_mode", *a.securityMode);
    if (a.passphrase) kv("passphrase", withSecrets ? *a.passphrase : "***");
    if (a.ssidAdvertisementEnabled) kv("ssid_advertisement", b(*a.ssidAdvertisementEnabled));
  }
  return out;
}

}  // namespace cwmpd::hal::detail
