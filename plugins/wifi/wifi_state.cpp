#include "wifi_state.hpp"

#include <algorithm>
#include <cctype>
#include <cwmpd/hal/error.hpp>
#include <cwmpd/hal/hal.hpp>
#include <set>

namespace cwmpd::plugins::wifi {

namespace {

const char* kindName(Kind k) {
  switch (k) {
    case Kind::Radio: return "radio";
    case Kind::Ssid: return "ssid";
    case Kind::AccessPoint: break;
  }
  return "ap";
}

// What a new access point offers until the HAL reports its own list.
const std::vector<std::string> kDefaultModes{"None", "WPA2-Personal", "WPA3-Personal",
                                             "WPA2-PSK-WPA3-SAE"};

std::uint32_t toU32(const std::string& s) { return static_cast<std::uint32_t>(std::stoul(s)); }

}  // namespace

std::string WifiState::key(Kind kind, const std::string& name, const char* f) {
  return std::string(kindName(kind)) + "/" + name + "/" + f;
}

std::string WifiState::acsName(Kind kind, std::uint32_t number) {
  return std::string(kind == Kind::Ssid ? "acs-ssid" : "acs-ap") + std::to_string(number);
}

std::uint32_t WifiState::acsNumber(Kind kind, const std::string& name) {
  const std::string prefix = kind == Kind::Ssid ? "acs-ssid" : "acs-ap";
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return 0;
  return rowNumber(name.substr(prefix.size()), "");
}

std::string WifiState::nameOf(Kind kind, std::uint32_t number) {
  NameMap& m = kind == Kind::Radio ? radios : kind == Kind::Ssid ? ssids : accessPoints;
  if (auto n = m.name(number)) return *n;
  return kind == Kind::Radio ? std::string() : acsName(kind, number);
}

std::optional<std::string> WifiState::stagedField(Kind kind, const std::string& name,
                                                  const char* f) const {
  return staged_.get(key(kind, name, f));
}

bool WifiState::inHal(Kind kind, const std::string& name) {
  try {
    switch (kind) {
      case Kind::Radio: (void)hal().radio(name); break;
      case Kind::Ssid: (void)hal().ssid(name); break;
      case Kind::AccessPoint: (void)hal().accessPoint(name); break;
    }
    return true;
  } catch (const hal::HalError&) {
    return false;
  }
}

std::optional<hal::RadioInfo> WifiState::radio(const std::string& name) {
  auto r = sdk::halRead([&] { return hal().radio(name); });
  if (!r) return r;
  auto f = [&](const char* n) { return stagedField(Kind::Radio, name, n); };
  if (auto v = f(field::kEnable)) r->enabled = parseBool(*v);
  if (auto v = f(field::kChannel)) r->channel = toU32(*v);
  if (auto v = f(field::kAutoChannel)) r->autoChannel = parseBool(*v);
  if (auto v = f(field::kStandards)) r->operatingStandards = splitList(*v);
  if (auto v = f(field::kBandwidth)) r->channelBandwidth = *v;
  if (auto v = f(field::kPower)) r->transmitPower = std::stoi(*v);
  return r;
}

std::optional<hal::SsidInfo> WifiState::ssid(const std::string& name) {
  auto f = [&](const char* n) { return stagedField(Kind::Ssid, name, n); };
  if (f(field::kRemove)) return std::nullopt;
  hal::SsidInfo s;
  if (f(field::kCreate)) {
    // What the HAL makes of a new SSID until told otherwise: disabled, named after itself.
    s.name = name;
    s.ssid = name;
    s.status = hal::OperStatus::Down;
  } else if (auto found = sdk::halRead([&] { return hal().ssid(name); })) {
    s = std::move(*found);
  } else {
    return std::nullopt;
  }
  if (auto v = f(field::kEnable)) s.enabled = parseBool(*v);
  if (auto v = f(field::kSsid)) s.ssid = *v;
  if (auto v = f(field::kRadio)) s.radio = *v;
  return s;
}

std::optional<hal::AccessPointInfo> WifiState::accessPoint(const std::string& name) {
  auto f = [&](const char* n) { return stagedField(Kind::AccessPoint, name, n); };
  if (f(field::kRemove)) return std::nullopt;
  hal::AccessPointInfo a;
  if (f(field::kCreate)) {
    a.name = name;
    a.securityMode = "None";
    auto existing = hal().accessPoints();
    a.supportedSecurityModes =
        existing.empty() ? kDefaultModes : existing.front().supportedSecurityModes;
  } else if (auto found = sdk::halRead([&] { return hal().accessPoint(name); })) {
    a = std::move(*found);
  } else {
    return std::nullopt;
  }
  if (auto v = f(field::kEnable)) a.enabled = parseBool(*v);
  if (auto v = f(field::kSsid)) a.ssid = *v;
  if (auto v = f(field::kMode)) a.securityMode = *v;
  if (auto v = f(field::kAdvertise)) a.ssidAdvertisementEnabled = parseBool(*v);
  return a;
}

std::vector<std::string> WifiState::names(Kind kind, std::vector<std::string> inHal) {
  // HAL objects, plus those being created ("<kind>/<name>/create"), minus those being removed.
  std::set<std::string> all(inHal.begin(), inHal.end());
  const std::string prefix = std::string(kindName(kind)) + "/",
                    suffix = std::string("/") + field::kCreate;
  for (const auto& [k, v] : staged_.entries())
    if (k.size() > prefix.size() + suffix.size() && k.compare(0, prefix.size(), prefix) == 0 &&
        k.compare(k.size() - suffix.size(), suffix.size(), suffix) == 0)
      all.insert(k.substr(prefix.size(), k.size() - prefix.size() - suffix.size()));
  std::vector<std::string> out;
  for (const auto& n : all)
    if (!stagedField(kind, n, field::kRemove)) out.push_back(n);
  return out;
}

std::vector<std::string> WifiState::accessPointNames() {
  std::vector<std::string> hal;
  for (const auto& a : this->hal().accessPoints()) hal.push_back(a.name);
  return names(Kind::AccessPoint, std::move(hal));
}

std::vector<std::string> WifiState::ssidNames() {
  std::vector<std::string> hal;
  for (const auto& s : this->hal().ssids()) hal.push_back(s.name);
  return names(Kind::Ssid, std::move(hal));
}

std::optional<std::string> WifiState::accessPointFor(const std::string& ssidName) {
  for (const auto& n : accessPointNames()) {
    auto a = accessPoint(n);
    if (a && a->ssid == ssidName) return n;
  }
  return std::nullopt;
}

void WifiState::stage(Kind kind, const std::string& name, const char* f, std::string value) {
  if (kind != Kind::Radio && !stagedField(kind, name, field::kCreate) && !inHal(kind, name))
    stageCreate(kind, name);
  staged_.set(key(kind, name, f), std::move(value));
}

bool WifiState::applyFailed(Kind kind, const std::string& name) const {
  return applyFailed_.count(std::string(kindName(kind)) + "/" + name) != 0;
}

void WifiState::stageCreate(Kind kind, const std::string& name) {
  staged_.erase(key(kind, name, field::kRemove));
  staged_.set(key(kind, name, field::kCreate), "1");
  if (kind == Kind::Ssid && !stagedField(kind, name, field::kRadio)) {
    // The HAL needs a radio for a new SSID; the first one until LowerLayers says otherwise.
    if (!radios.all().empty())
      staged_.set(key(kind, name, field::kRadio), radios.all().begin()->second);
  }
}

void WifiState::stageRemove(Kind kind, const std::string& name) {
  const bool created = stagedField(kind, name, field::kCreate).has_value();
  staged_.erasePrefix(std::string(kindName(kind)) + "/" + name + "/");
  if (!created) staged_.set(key(kind, name, field::kRemove), "1");
}

void WifiState::flush() {
  // Group the staged fields by object, in staging key order.
  std::map<std::pair<std::string, std::string>, std::map<std::string, std::string>> objects;
  for (const auto& [k, v] : staged_.entries()) {
    auto a = k.find('/');
    auto b = k.rfind('/');
    objects[{k.substr(0, a), k.substr(a + 1, b - a - 1)}][k.substr(b + 1)] = v;
  }
  // SSIDs without an access point, for new access points that were not given one.
  std::vector<std::string> unserved;
  std::vector<std::string> served;
  for (const auto& ap : accessPointNames())
    if (auto a = accessPoint(ap); a && !a->ssid.empty()) served.push_back(a->ssid);
  for (const auto& s : ssidNames())
    if (std::find(served.begin(), served.end(), s) == served.end()) unserved.push_back(s);
  // Newest first: ACS-created SSIDs by descending instance number, then the others.
  std::stable_sort(unserved.begin(), unserved.end(),
                   [](const std::string& x, const std::string& y) {
                     return acsNumber(Kind::Ssid, x) > acsNumber(Kind::Ssid, y);
                   });

  hal::WifiConfig batch;
  std::map<std::string, std::string> keep;
  // Named references, not structured bindings: the lambdas below capture `fields`, which
  // clang before 16 refuses for a binding (clang-tidy runs clang 14).
  for (auto& entry : objects) {
    const std::string& kind = entry.first.first;
    const std::string& name = entry.first.second;
    const auto& fields = entry.second;
    auto opt = [&](const char* f) -> std::optional<std::string> {
      auto it = fields.find(f);
      return it == fields.end() ? std::nullopt : std::optional(it->second);
    };
    auto optBool = [&](const char* f) -> std::optional<bool> {
      if (auto v = opt(f)) return parseBool(*v);
      return std::nullopt;
    };
    if (opt(field::kRemove)) {
      if (kind == "ap")
        batch.removeAccessPoints.push_back(name);
      else if (kind == "ssid")
        batch.removeSsids.push_back(name);
      continue;
    }
    if (kind == "radio") {
      hal::RadioConfig r;
      r.name = name;
      r.enabled = optBool(field::kEnable);
      if (auto v = opt(field::kChannel)) r.channel = toU32(*v);
      r.autoChannel = optBool(field::kAutoChannel);
      if (auto v = opt(field::kStandards)) r.operatingStandards = splitList(*v);
      r.channelBandwidth = opt(field::kBandwidth);
      if (auto v = opt(field::kPower)) r.transmitPower = std::stoi(*v);
      batch.radios.push_back(std::move(r));
    } else if (kind == "ssid") {
      hal::SsidConfig s;
      s.name = name;
      s.create = opt(field::kCreate).has_value();
      s.enabled = optBool(field::kEnable);
      s.ssid = opt(field::kSsid);
      s.radio = opt(field::kRadio);
      batch.ssids.push_back(std::move(s));
    } else {
      hal::AccessPointConfig a;
      a.name = name;
      a.create = opt(field::kCreate).has_value();
      a.enabled = optBool(field::kEnable);
      a.ssid = opt(field::kSsid);
      if (a.create && !a.ssid) {
        if (unserved.empty()) {
          // Nothing to serve yet: wait until SSIDReference is set or an SSID is added.
          for (const auto& [f, v] : fields) keep[key(Kind::AccessPoint, name, f.c_str())] = v;
          host_.log(sdk::LogLevel::Notice,
                    "access point " + name + " waits for an SSID before it is created");
          continue;
        }
        a.ssid = unserved.front();
        unserved.erase(unserved.begin());
      }
      a.securityMode = opt(field::kMode);
      a.passphrase = opt(field::kPassphrase);
      a.ssidAdvertisementEnabled = optBool(field::kAdvertise);
      batch.accessPoints.push_back(std::move(a));
    }
  }
  staged_.clear(std::move(keep));
  if (!batch.empty()) {
    try {
      hal().apply(batch);
      host_.log(sdk::LogLevel::Info, "Wi-Fi configuration applied");
      applyFailed_.clear();  // the hardware took a whole configuration again
    } catch (const hal::HalError& e) {
      // The session already committed (SetParameterValues said Status 1: applied
      // later); the model's live values now show what the hardware really runs, since
      // nothing stays staged, and the Status of every object of the batch says "Error".
      for (const auto& r : batch.radios)
        applyFailed_.insert(std::string(kindName(Kind::Radio)) + "/" + r.name);
      for (const auto& s : batch.ssids)
        applyFailed_.insert(std::string(kindName(Kind::Ssid)) + "/" + s.name);
      for (const auto& a : batch.accessPoints)
        applyFailed_.insert(std::string(kindName(Kind::AccessPoint)) + "/" + a.name);
      host_.log(sdk::LogLevel::Error, std::string("Wi-Fi apply failed: ") + e.what());
    }
  }
}

std::string WifiState::lastChange(const std::string& object, const std::string& status) {
  std::uint64_t now = 0;
  try {
    now = host_.hal().system().uptimeSeconds();
  } catch (const hal::HalError&) {
    return "0";
  }
  auto it = statusSince_.find(object);
  if (it == statusSince_.end()) {
    statusSince_[object] = {status, 0};
  } else if (it->second.first != status) {
    it->second = {status, now};
  }
  return u32(now - statusSince_[object].second);
}

std::string toTr181Mode(const std::string& halMode) {
  return halMode == "WPA2-PSK-WPA3-SAE" ? "WPA3-Personal-Transition" : halMode;
}

std::string toHalMode(const std::string& tr181Mode, const std::vector<std::string>& halSupported) {
  const bool native =
      std::find(halSupported.begin(), halSupported.end(), tr181Mode) != halSupported.end();
  if (!native && tr181Mode == "WPA3-Personal-Transition") return "WPA2-PSK-WPA3-SAE";
  return tr181Mode;
}

bool validPassphrase(const std::string& p) {
  return p.size() >= 8 && p.size() <= 63 &&
         std::all_of(p.begin(), p.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

bool validPsk(const std::string& hex) {
  return hex.size() == 64 && std::all_of(hex.begin(), hex.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c));
         });
}

}  // namespace cwmpd::plugins::wifi
