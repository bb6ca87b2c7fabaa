#include "onu.hpp"

#include <cwmpd/sdk/hal_read.hpp>
#include <cwmpd/sdk/object_snapshot.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace cwmpd_pon {
namespace {

using sdk::Fault;
using sdk::FaultCode;
using sdk::InstanceRef;
using sdk::LogLevel;

constexpr const char* kBindEvent = "X CT-COM BIND";
constexpr const char* kNoState = "-";  // a bound_ no fingerprint equals

std::string text(std::uint64_t v) { return std::to_string(v); }
std::string boolText(bool b) { return b ? "true" : "false"; }

// The alarm parameters of TR-181 TC.Alarms., in the model's order.
using AlarmField = bool Alarms::*;
struct AlarmName {
  const char* name;
  AlarmField field;
};
constexpr AlarmName kAlarms[] = {
    {"LOS", &Alarms::los}, {"LOF", &Alarms::lof},   {"SF", &Alarms::sf},
    {"SD", &Alarms::sd},   {"LCDG", &Alarms::lcdg}, {"TF", &Alarms::tf},
    {"SUF", &Alarms::suf}, {"MEM", &Alarms::mem},   {"DACT", &Alarms::dact},
    {"DIS", &Alarms::dis}, {"MIS", &Alarms::mis},   {"PEE", &Alarms::pee},
    {"RDI", &Alarms::rdi}, {"LODS", &Alarms::lods}, {"ROGUE", &Alarms::rogue},
};
// The ones TR-098's X_CT-COM_GponInterfaceConfig. carries.
constexpr AlarmName kGponAlarms[] = {
    {"LOS", &Alarms::los}, {"LOF", &Alarms::lof}, {"SF", &Alarms::sf}, {"SD", &Alarms::sd}};

using CounterField = std::uint64_t hal::PonCounters::*;
struct CounterName {
  const char* object;  // below TC.PM.
  const char* name;
  CounterField field;
  bool wide;  // StatsCounter64; the others are StatsCounter32 and wrap at 2^32
};
using PC = hal::PonCounters;
constexpr CounterName kCounters[] = {
    {"PHY.", "CorrectedFECBytes", &PC::correctedFecBytes, true},
    {"PHY.", "CorrectedFECCodewords", &PC::correctedFecCodewords, true},
    {"PHY.", "UncorrectableFECCodewords", &PC::uncorrectableFecCodewords, true},
    {"PHY.", "TotalFECCodewords", &PC::totalFecCodewords, true},
    {"PHY.", "PSBdHECErrorCount", &PC::psbdHecErrors, false},
    {"PHY.", "HeaderHECErrorCount", &PC::headerHecErrors, false},
    {"PHY.", "UnknownProfile", &PC::unknownProfile, false},
    {"GEM.", "FramesSent", &PC::gemFramesSent, true},
    {"GEM.", "FramesReceived", &PC::gemFramesReceived, true},
    {"GEM.", "FrameHeaderHECErrors", &PC::gemHeaderHecErrors, false},
    {"GEM.", "KeyErrors", &PC::gemKeyErrors, false},
    {"PLOAM.", "MICErrors", &PC::ploamMicErrors, false},
    {"PLOAM.", "DownstreamMessageCount", &PC::ploamDownstreamMessages, true},
    {"PLOAM.", "RangingTime", &PC::rangingTime, true},
    {"PLOAM.", "UpstreamMessageCount", &PC::ploamUpstreamMessages, true},
    {"OMCI.", "BaselineMessagesReceived", &PC::omciBaselineMessages, true},
    {"OMCI.", "ExtendedMessagesReceived", &PC::omciExtendedMessages, true},
    {"OMCI.", "MICErrors", &PC::omciMicErrors, false},
};

std::string counter(std::uint64_t v, bool wide) { return text(wide ? v : (v & 0xFFFFFFFFu)); }

// Registration progress of X_CT-COM_UserInfo.Progress, in percent.
std::uint32_t progressOf(const hal::OnuStatus& s) {
  if (s.state == "O5") return s.auth == hal::LoidAuth::Success ? 100 : 80;
  if (s.state == "O4") return 60;
  if (s.state == "O3") return 40;
  if (s.state == "O2" || s.state == "O2-3" || s.state == "O8" || s.state == "O9") return 20;
  return 0;
}

// X_CT-COM_UserInfo.Result: 0 no result yet, 1 success, 2 failure.
std::uint32_t resultOf(RegStatus r) {
  if (r == RegStatus::Registered) return 1;
  return r == RegStatus::InProgress || r == RegStatus::NotStarted ? 0 : 2;
}

// TR-181 ANI Status from the activation state (plugins/pon/README.md).
std::string aniStatus(const hal::OnuStatus& s) {
  if (!s.present) return "NotPresent";
  if (s.state == "O5") return "Up";
  if (s.state == "O1" || s.state == "O6") return "Down";
  if (s.state == "O7") return "Error";
  return "Dormant";  // O2..O4, O2-3, O8, O9: activation in progress
}

// 64-bit FNV-1a: a stable fingerprint (std::hash is not stable across builds).
std::string fnv1a(const std::string& data) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// One dB above `microWatts`: the width of the hysteresis band where the module gives none.
double oneDbAbove(double microWatts) { return microWatts * 1.2589254117941673; }

}  // namespace

// ------------------------------------------------------------------ state

hal::OnuStatus Onu::status() {
  try {
    return pon().status();
  } catch (const hal::HalError& e) {
    host_->log(LogLevel::Warning, std::string("ONU status: ") + e.what());
    return {};
  }
}

// SF and SD follow the ONU's own BER alarms and, where the ANI's module has diagnostics,
// the received power against the module's thresholds (SFF-8472 A2h), with hysteresis:
//   SF raised below the low Rx power ALARM, cleared only at or above the low WARNING;
//   SD raised below the low Rx power WARNING, cleared only 1 dB above it.
// So a level dithering around one threshold gives one change, not one per reading.
// LOS is the ONU's flag or the module's Rx_LOS; the others are the HAL's flags as read.
Alarms Onu::applyHysteresis(const hal::OnuStatus& s) {
  Alarms a = s.alarms;
  std::optional<hal::sff8472::Diagnostics> d;
  if (!s.transceiver.empty()) {
    try {
      const auto t = host_->hal().optics().status(s.transceiver);
      if (t.present && t.diagnostics) d = t.diagnostics;
    } catch (const hal::HalError&) {
      d.reset();  // the module went away: the ONU's own flags only
    }
  }
  if (d) {
    a.los = a.los || d->rxLos;
    const double rx = d->current.rxPowerMicroWatts;
    const double alarmLow = d->alarmLow.rxPowerMicroWatts;
    double warnLow = d->warningLow.rxPowerMicroWatts;
    if (!(warnLow > alarmLow)) warnLow = oneDbAbove(alarmLow);  // no usable warning level
    const bool sfNow = d->rxLos || rx < alarmLow;
    const bool sfClear = !d->rxLos && rx >= warnLow;
    a.sf = s.alarms.sf || sfNow || (held_.sf && !sfClear);
    const bool sdNow = d->rxLos || rx < warnLow;
    const bool sdClear = !d->rxLos && rx >= oneDbAbove(warnLow);
    a.sd = s.alarms.sd || sdNow || (held_.sd && !sdClear);
  }
  held_ = a;
  return a;
}

RegStatus Onu::registration(const hal::OnuStatus& s) {
  switch (s.auth) {
    case hal::LoidAuth::Success:
      return s.state == "O5" ? RegStatus::Registered : RegStatus::InProgress;
    case hal::LoidAuth::InProgress: return RegStatus::InProgress;
    case hal::LoidAuth::LoidUnknown: return RegStatus::LoidUnknown;
    case hal::LoidAuth::PasswordWrong: return RegStatus::PasswordWrong;
    case hal::LoidAuth::LoidConflict: return RegStatus::LoidConflict;
    case hal::LoidAuth::Timeout: return RegStatus::Timeout;
    case hal::LoidAuth::None: break;
  }
  // No answer yet: in progress when there is a LOID to authenticate with.
  if (!s.present) return RegStatus::NotStarted;
  return storedCredentials().loid.empty() ? RegStatus::NotStarted : RegStatus::InProgress;
}

Onu::Snapshot Onu::evaluate() {
  Snapshot snap;
  snap.onu = status();
  snap.alarms = snap.onu.present ? applyHysteresis(snap.onu) : Alarms{};
  snap.reg = registration(snap.onu);
  snap.progress = snap.onu.present ? progressOf(snap.onu) : 0;
  return snap;
}

// ------------------------------------------------------------------ credentials and BIND

hal::PonCredentials Onu::storedCredentials() {
  hal::PonCredentials c;
  auto read = [this](const std::string& path) {
    try {
      return host_->value(path);
    } catch (const std::exception&) {
      return std::string();
    }
  };
  c.loid = read(userInfo() + "UserName");
  c.loidPassword = read(userInfo() + "Password");
  if (tr181() && !aniRow_.empty()) {
    c.password = read(aniRow_ + "TC.Authentication.Password");
    c.hexadecimalPassword = read(aniRow_ + "TC.Authentication.HexadecimalPassword") == "true";
  }
  return c;
}

// Vendor parameters the ACS writes are stored by the core (persisted); here the ONU gets
// them and authenticates anew (issue 16). The BIND that follows is raised by check().
void Onu::onCredentialsChanged(const std::vector<sdk::Change>& changes) {
  hal::PonCredentials c = storedCredentials();
  bool relevant = false;
  for (const auto& ch : changes) {
    if (ch.parameter == "UserName")
      c.loid = ch.value;
    else if (ch.parameter == "Password" && ch.object == userInfo())
      c.loidPassword = ch.value;
    else if (ch.parameter == "Password")
      c.password = ch.value;
    else if (ch.parameter == "HexadecimalPassword")
      c.hexadecimalPassword = ch.value == "true";
    else
      continue;
    relevant = true;
  }
  if (!relevant || !present_) return;
  // The ONU authenticates anew: its next success counts even if no poll sees it
  // unregistered in between.
  registeredSeen_ = false;
  try {
    pon().setCredentials(c);
  } catch (const hal::HalError& e) {
    throw Fault(FaultCode::InternalError,
                std::string("the ONU did not take the credentials: ") + e.what());
  }
}

std::string Onu::fingerprint() {
  const hal::PonCredentials c = storedCredentials();
  return fnv1a(c.loid + '\n' + c.loidPassword + '\n' + c.password + '\n' +
               (c.hexadecimalPassword ? "1" : "0"));
}

void Onu::loadBound() {
  bound_ = kNoState;
  if (stateFile_.empty()) return;
  std::ifstream in(stateFile_);
  std::string line;
  while (std::getline(in, line))
    if (line.compare(0, 8, "bound = ") == 0) bound_ = line.substr(8);
}

void Onu::saveBound() {
  if (stateFile_.empty()) return;
  const std::string tmp = stateFile_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "# pon plugin: fingerprint of the LOID credentials of the last X CT-COM BIND\n"
        << "bound = " << bound_ << "\n";
    if (!out) {
      host_->log(LogLevel::Warning, "cannot write " + tmp);
      return;
    }
  }
  if (std::rename(tmp.c_str(), stateFile_.c_str()) != 0)
    host_->log(LogLevel::Warning, "cannot write " + stateFile_);
}

// ------------------------------------------------------------------ start and check

bool Onu::start(sdk::Host& host) {
  host_ = &host;
  // In the plugin's directory of the store: a factory reset removes it, and the first
  // registration after it is a BIND again.
  const std::string dir = host.stateDir();
  stateFile_ = dir.empty() ? std::string() : dir + "/bind.state";
  loadBound();
  const hal::OnuStatus s = status();
  present_ = s.present;
  if (!present_) return false;
  if (tr181()) {
    const std::uint32_t onu = host.ensureInstance("Device.XPON.ONU.", "onu");
    onuRow_ = "Device.XPON.ONU." + text(onu) + ".";
    const std::uint32_t ani = host.ensureInstance(onuRow_ + "ANI.", "ani");
    aniRow_ = onuRow_ + "ANI." + text(ani) + ".";
    host.setInitial(onuRow_ + "Enable", "true");
    host.setInitial(aniRow_ + "Enable", "true");
    std::vector<hal::FirmwareBank> banks;
    try {
      banks = host.hal().system().firmwareBanks();
    } catch (const hal::HalError& e) {
      host.log(LogLevel::Warning, std::string("firmware banks: ") + e.what());
    }
    // TR-181 allows two images (ID 0 and 1), as OMCI's software image ME does.
    for (std::size_t i = 0; i < banks.size() && i < 2; ++i)
      imageKeys_[host.ensureInstance(onuRow_ + "SoftwareImage.", "bank" + text(i))] = text(i);
  }
  syncTables(s);
  held_ = {};
  Snapshot first = evaluate();
  reported_ = first;
  lastChange_ = host.hal().system().uptimeSeconds();
  return true;
}

// GEM ports, user ports and the ANI's module come and go with the OLT's configuration.
void Onu::syncTables(const hal::OnuStatus& s) {
  if (!tr181() || aniRow_.empty()) return;
  auto sync = [this](const std::string& table, const std::vector<std::string>& keys,
                     std::map<std::uint32_t, std::string>& rows) {
    std::map<std::uint32_t, std::string> now;
    for (const auto& k : keys) now[host_->ensureInstance(table, k)] = k;
    for (const auto& [n, k] : rows)
      if (!now.count(n)) host_->removeInstance(table + text(n) + ".");
    rows = std::move(now);
  };
  std::vector<std::string> gem;
  for (const auto& g : s.gemPorts) gem.push_back(text(g.portId));
  sync(aniRow_ + "TC.GEM.Port.", gem, gemKeys_);
  sync(onuRow_ + "EthernetUNI.", s.uniPorts, uniKeys_);
  std::vector<std::string> transceivers;
  if (!s.transceiver.empty()) transceivers.push_back(s.transceiver);
  sync(aniRow_ + "Transceiver.", transceivers, transceiverKeys_);
}

void Onu::check() {
  if (!present_ || !reported_) return;
  Snapshot now = evaluate();
  // An unreadable ONU (HalError, logged) changes nothing: compare with the last good read.
  if (!now.onu.present) return;
  const Snapshot before = *reported_;
  reported_ = now;
  try {
    syncTables(now.onu);
  } catch (const Fault& f) {
    host_->log(LogLevel::Warning, std::string("ONU tables: ") + f.what());
  }
  std::vector<std::string> changed;
  const bool stateMoved = now.onu.state != before.onu.state;
  if (tr181()) {
    const std::string act = aniRow_ + "TC.ONUActivation.";
    if (stateMoved) changed.push_back(act + "ONUState");
    if (now.onu.onuId != before.onu.onuId) changed.push_back(act + "ONUID");
    if (aniStatus(now.onu) != aniStatus(before.onu)) {
      lastChange_ = host_->hal().system().uptimeSeconds();
      changed.push_back(aniRow_ + "Status");
    }
    for (const auto& a : kAlarms)
      if (now.alarms.*a.field != before.alarms.*a.field)
        changed.push_back(aniRow_ + "TC.Alarms." + a.name);
  } else {
    const std::string g = gponRow_(now.onu.transceiver);
    if (!g.empty()) {
      if (stateMoved) changed.push_back(g + "ONUState");
      if (now.onu.onuId != before.onu.onuId) changed.push_back(g + "ONUID");
      for (const auto& a : kGponAlarms)
        if (now.alarms.*a.field != before.alarms.*a.field) changed.push_back(g + a.name);
    }
  }
  if (now.reg != before.reg) changed.push_back(userInfo() + "Status");
  if (resultOf(now.reg) != resultOf(before.reg)) changed.push_back(userInfo() + "Result");
  if (now.progress != before.progress) changed.push_back(userInfo() + "Progress");
  for (const auto& p : changed) host_->valueChanged(p);

  // "X CT-COM BIND": once per successful LOID registration with credentials that have not
  // been bound before (changed by the ACS, or wiped by a factory reset). Raised after the
  // value changes so that one Inform carries both.
  const bool registered = now.reg == RegStatus::Registered;
  if (registered && !registeredSeen_) {
    const std::string fp = fingerprint();
    if (fp != bound_) {
      host_->log(LogLevel::Notice, "LOID registration succeeded: raising X CT-COM BIND");
      host_->raiseEvent(kBindEvent);
      bound_ = fp;
      saveBound();
    }
  }
  registeredSeen_ = registered;
}

// ------------------------------------------------------------------ model

void Onu::registerModel(sdk::Registrar& reg) {
  host_ = &reg.host();
  registerUserInfo(reg);
  if (tr181())
    registerTr181(reg);
  else
    registerTr098(reg);
}

void Onu::registerUserInfo(sdk::Registrar& reg) {
  const std::string ui = userInfo();
  reg.object(ui)
      .get("Status",
           [this](const InstanceRef&) { return text(static_cast<std::uint32_t>(evaluate().reg)); })
      .get("Result", [this](const InstanceRef&) { return text(resultOf(evaluate().reg)); })
      .get("Progress", [this](const InstanceRef&) { return text(evaluate().progress); })
      .apply([this](const std::vector<sdk::Change>& cs) { onCredentialsChanged(cs); });
}

void Onu::registerTr181(sdk::Registrar& reg) {
  const std::string onu = "Device.XPON.ONU.{i}.";
  const std::string ani = onu + "ANI.{i}.";
  auto onlyTrue = [](const std::vector<sdk::Change>& cs) {
    for (const auto& c : cs)
      if (c.parameter == "Enable" && c.value != "true")
        throw Fault(FaultCode::InvalidParameterValue,
                    c.path() + ": the ONU cannot be switched off through this HAL");
  };
  // The getters of one object read the ONU (and a module, an interface) once per request
  // (cwmpd/sdk/object_snapshot.hpp).
  auto onuStatus =
      sdk::objectSnapshot<hal::OnuStatus>([this](const InstanceRef&) { return status(); });
  auto field = [onuStatus](std::string (*f)(const hal::OnuStatus&)) {
    return sdk::fieldGetter(onuStatus, f, "");
  };
  reg.object(onu)
      .get("Name", [](const InstanceRef& r) { return r.key; })
      .get("Version", field([](const hal::OnuStatus& s) { return s.version.substr(0, 14); }))
      .get("EquipmentID",
           field([](const hal::OnuStatus& s) { return s.equipmentId.substr(0, 20); }))
      .validate(onlyTrue);
  reg.object(onu + "SoftwareImage.{i}.")
      .get("ID",
           [this](const InstanceRef& r) {
             return imageKeys_.count(r.number) ? imageKeys_[r.number] : "0";
           })
      .get("Version",
           [this](const InstanceRef& r) {
             const auto banks = host_->hal().system().firmwareBanks();
             const std::size_t i =
                 imageKeys_.count(r.number) ? std::stoul(imageKeys_[r.number]) : 0;
             return i < banks.size() ? banks[i].version.substr(0, 14) : std::string();
           })
      .get("IsCommitted",
           [this](const InstanceRef& r) {
             const auto banks = host_->hal().system().firmwareBanks();
             const std::size_t i =
                 imageKeys_.count(r.number) ? std::stoul(imageKeys_[r.number]) : 0;
             return boolText(i < banks.size() && banks[i].boot);
           })
      .get("IsActive",
           [this](const InstanceRef& r) {
             const auto banks = host_->hal().system().firmwareBanks();
             const std::size_t i =
                 imageKeys_.count(r.number) ? std::stoul(imageKeys_[r.number]) : 0;
             return boolText(i < banks.size() && banks[i].active);
           })
      .get("IsValid", [this](const InstanceRef& r) {
        const auto banks = host_->hal().system().firmwareBanks();
        const std::size_t i = imageKeys_.count(r.number) ? std::stoul(imageKeys_[r.number]) : 0;
        return boolText(i < banks.size() && !banks[i].name.empty());
      });

  // EthernetUNI: the ONU's user ports, as the HAL's network interfaces.
  auto uniName = [this](const InstanceRef& r) {
    const std::uint32_t n = r.numbers.size() >= 2 ? r.numbers[1] : r.number;
    auto it = uniKeys_.find(n);
    return it == uniKeys_.end() ? std::string() : it->second;
  };
  auto uniInfo = sdk::objectSnapshot<hal::InterfaceInfo>([this, uniName](const InstanceRef& r) {
    return sdk::halRead([&] { return host_->hal().network().info(uniName(r)); });
  });
  reg.object(onu + "EthernetUNI.{i}.")
      .get("Enable", sdk::fieldGetter(
                         uniInfo, [](const hal::InterfaceInfo& i) { return boolText(i.enabled); },
                         boolText(false)))
      .get("Status",
           sdk::fieldGetter(
               uniInfo, [](const hal::InterfaceInfo& i) { return hal::toString(i.status); },
               "NotPresent"))
      .get("Name", uniName)
      .get("LastChange", [](const InstanceRef&) { return std::string("0"); })
      .get("LowerLayers", [](const InstanceRef&) { return std::string(); })
      .get("ANIs",
           [this](const InstanceRef&) {
             return aniRow_.empty() ? std::string() : aniRow_.substr(0, aniRow_.size() - 1);
           })
      .get("InterdomainID", [](const InstanceRef&) { return std::string(); })
      .get("InterdomainName", [](const InstanceRef&) { return std::string(); });
  auto& uniStats = reg.object(onu + "EthernetUNI.{i}.Stats.");
  auto uniCounters =
      sdk::objectSnapshot<hal::InterfaceCounters>([this, uniName](const InstanceRef& r) {
        return sdk::halRead([&] { return host_->hal().network().counters(uniName(r)); });
      });
  for (const auto& c : hal::kInterfaceCounterFields) {
    uniStats.get(c.name, sdk::fieldGetter(
                             uniCounters,
                             [f = c.member, wide = c.wide](const hal::InterfaceCounters& n) {
                               return counter(n.*f, wide);
                             },
                             "0"));
  }

  reg.object(ani)
      .get("Status", sdk::fieldGetter(
                         onuStatus, [](const hal::OnuStatus& s) { return aniStatus(s); }, ""))
      .get("Name", [](const InstanceRef& r) { return r.key; })
      .get("LastChange",
           [this](const InstanceRef&) {
             const std::uint64_t now = host_->hal().system().uptimeSeconds();
             return text(
                 std::min<std::uint64_t>(now > lastChange_ ? now - lastChange_ : 0, 0xFFFFFFFFu));
           })
      .get("PONMode",
           field([](const hal::OnuStatus& s) { return std::string(hal::toString(s.mode)); }))
      .validate(onlyTrue);
  // ANI Stats: the counters of the network interface the ANI's module feeds.
  auto& aniStats = reg.object(ani + "Stats.");
  auto aniCounters = sdk::objectSnapshot<hal::InterfaceCounters>(
      [this](const InstanceRef&) -> std::optional<hal::InterfaceCounters> {
        try {
          const std::string t = status().transceiver;
          const std::string netdev =
              t.empty() ? std::string() : host_->hal().optics().status(t).netdev;
          if (netdev.empty()) return std::nullopt;  // every counter reads 0
          return host_->hal().network().counters(netdev);
        } catch (const hal::HalError&) {
          return std::nullopt;
        }
      });
  for (const auto& c : hal::kInterfaceCounterFields) {
    aniStats.get(c.name, sdk::fieldGetter(
                             aniCounters,
                             [f = c.member, wide = c.wide](const hal::InterfaceCounters& n) {
                               return counter(n.*f, wide);
                             },
                             "0"));
  }

  reg.object(ani + "TC.ONUActivation.")
      .get("ONUState", field([](const hal::OnuStatus& s) { return s.state; }))
      .get("VendorID", field([](const hal::OnuStatus& s) { return s.vendorId.substr(0, 4); }))
      .get("SerialNumber",
           field([](const hal::OnuStatus& s) { return s.serialNumber.substr(0, 12); }))
      .get("ONUID", field([](const hal::OnuStatus& s) {
             return text(std::min<std::uint32_t>(s.onuId, 1022));
           }));
  // Password (secured) and HexadecimalPassword are stored by the core; a change goes to
  // the ONU with the LOID credentials.
  reg.object(ani + "TC.Authentication.").apply([this](const std::vector<sdk::Change>& cs) {
    onCredentialsChanged(cs);
  });
  for (const char* object : {"PHY.", "GEM.", "PLOAM.", "OMCI."}) {
    auto& pm = reg.object(ani + "TC.PM." + object);
    for (const auto& c : kCounters) {
      if (std::string(c.object) != object) continue;
      pm.get(c.name, sdk::fieldGetter(
                         onuStatus,
                         [f = c.field, wide = c.wide](const hal::OnuStatus& s) {
                           return counter(s.counters.*f, wide);
                         },
                         ""));
    }
  }
  auto gemPort = [this, onuStatus](const InstanceRef& r) {
    const std::uint32_t n = r.numbers.size() >= 3 ? r.numbers[2] : r.number;
    auto it = gemKeys_.find(n);
    hal::GemPort none;
    if (it == gemKeys_.end()) return none;
    for (const auto& g : onuStatus->of(r)->gemPorts)
      if (text(g.portId) == it->second) return g;
    return none;
  };
  reg.object(ani + "TC.GEM.Port.{i}.")
      .get("PortID",
           [gemPort](const InstanceRef& r) {
             return text(std::min<std::uint32_t>(gemPort(r).portId, 65534));
           })
      .get("Direction", [gemPort](const InstanceRef& r) { return gemPort(r).direction; })
      .get("PortType", [gemPort](const InstanceRef& r) { return gemPort(r).type; });
  reg.object(ani + "TC.GEM.Port.{i}.PM.")
      .get("FramesSent", [gemPort](const InstanceRef& r) { return text(gemPort(r).framesSent); })
      .get("FramesReceived",
           [gemPort](const InstanceRef& r) { return text(gemPort(r).framesReceived); });
  reg.object(ani + "TC.PerformanceThresholds.")
      .get("SignalFail", field([](const hal::OnuStatus& s) {
             return text(std::clamp<std::uint32_t>(s.signalFailThreshold, 3, 8));
           }))
      .get("SignalDegrade", field([](const hal::OnuStatus& s) {
             return text(std::clamp<std::uint32_t>(s.signalDegradeThreshold, 4, 10));
           }));
  auto& alarms = reg.object(ani + "TC.Alarms.");
  for (const auto& a : kAlarms)
    alarms.get(a.name,
               [this, f = a.field](const InstanceRef&) { return boolText(evaluate().alarms.*f); });

  // The ANI's module, from the SFF-8472 decoding the optical part already uses.
  auto module = sdk::objectSnapshot<hal::TransceiverStatus>([this](const InstanceRef& r) {
    const std::uint32_t n = r.numbers.size() >= 3 ? r.numbers[2] : r.number;
    auto it = transceiverKeys_.find(n);
    if (it == transceiverKeys_.end()) return hal::TransceiverStatus{};
    try {
      return host_->hal().optics().status(it->second);
    } catch (const hal::HalError&) {
      return hal::TransceiverStatus{};
    }
  });
  using TS = const hal::TransceiverStatus&;
  auto tx = [module](std::string (*f)(TS)) { return sdk::fieldGetter(module, f, ""); };
  // 0.1 dBm from the Dbm1000 levels; -65536 (no light, no diagnostics) stays the lowest.
  auto tenthDbm = [](std::int32_t dbm1000) { return std::to_string(std::lround(dbm1000 / 100.0)); };
  reg.object(ani + "Transceiver.{i}.")
      .get("ID", [](const InstanceRef&) { return std::string("0"); })
      .get("Identifier", tx([](TS s) { return text(s.identity.identifier); }))
      .get("VendorName", tx([](TS s) { return s.identity.vendorName; }))
      .get("VendorPartNumber", tx([](TS s) { return s.identity.vendorPartNumber; }))
      .get("VendorRevision", tx([](TS s) { return s.identity.vendorRevision; }))
      .get("PONMode",
           field([](const hal::OnuStatus& s) { return std::string(hal::toString(s.mode)); }))
      .get("Connector", tx([](TS s) {
             // SFF-8024 connector codes; the others have no TR-181 value.
             switch (s.identity.connector) {
               case 0x01: return std::string("SC");
               case 0x07: return std::string("LC");
               case 0x08: return std::string("MT-RJ");
               default: return std::string("Unknown");
             }
           }))
      .get("NominalBitRateDownstream", [](const InstanceRef&) { return std::string("0"); })
      .get("NominalBitRateUpstream", [](const InstanceRef&) { return std::string("0"); })
      .get("RxPower", sdk::fieldGetter(
                          module, [tenthDbm](TS s) { return tenthDbm(s.opticalSignalLevel); }, ""))
      .get("TxPower",
           sdk::fieldGetter(
               module, [tenthDbm](TS s) { return tenthDbm(s.transmitOpticalLevel); }, ""))
      .get("Voltage", tx([](TS s) {
             return text(s.diagnostics ? static_cast<std::uint64_t>(
                                             std::llround(s.diagnostics->current.vccVolts * 1000.0))
                                       : 0);
           }))
      .get("Bias", tx([](TS s) {
             return text(s.diagnostics ? static_cast<std::uint64_t>(std::llround(
                                             s.diagnostics->current.txBiasMilliAmps * 1000.0))
                                       : 0);
           }))
      .get("Temperature", tx([](TS s) {
             if (!s.diagnostics) return std::string("-274");
             const double t = s.diagnostics->current.temperatureC;
             return std::to_string(static_cast<long>(t < 0 ? t - 0.5 : t + 0.5));
           }));
}

void Onu::registerTr098(sdk::Registrar& reg) {
  const std::string g = "InternetGatewayDevice.WANDevice.{i}.X_CT-COM_GponInterfaceConfig.";
  // The getters of one object read the ONU once per request (cwmpd/sdk/object_snapshot.hpp).
  auto onuStatus =
      sdk::objectSnapshot<hal::OnuStatus>([this](const InstanceRef&) { return status(); });
  reg.object(g)
      .get("ONUState", sdk::fieldGetter(
                           onuStatus, [](const hal::OnuStatus& s) { return s.state; }, ""))
      .get("ONUID", sdk::fieldGetter(
                        onuStatus,
                        [](const hal::OnuStatus& s) {
                          return text(s.present ? std::min<std::uint32_t>(s.onuId, 1022) : 0);
                        },
                        ""));
  auto& gpon = reg.object(g);
  for (const auto& a : kGponAlarms)
    gpon.get(a.name,
             [this, f = a.field](const InstanceRef&) { return boolText(evaluate().alarms.*f); });
  struct Stat {
    const char* name;
    std::uint64_t (*f)(const hal::PonCounters&);
  };
  static constexpr Stat kStats[] = {
      {"CorrectedFECCodewords", [](const PC& c) { return c.correctedFecCodewords; }},
      {"UncorrectableFECCodewords", [](const PC& c) { return c.uncorrectableFecCodewords; }},
      {"TotalFECCodewords", [](const PC& c) { return c.totalFecCodewords; }},
      {"HECErrors", [](const PC& c) { return c.headerHecErrors; }},
      {"GEMFramesSent", [](const PC& c) { return c.gemFramesSent; }},
      {"GEMFramesReceived", [](const PC& c) { return c.gemFramesReceived; }},
      {"PLOAMMICErrors", [](const PC& c) { return c.ploamMicErrors; }},
      {"OMCIMessagesReceived",
       [](const PC& c) { return c.omciBaselineMessages + c.omciExtendedMessages; }},
  };
  auto& stats = reg.object(g + "Stats.");
  for (const auto& s : kStats)
    stats.get(s.name, sdk::fieldGetter(
                          onuStatus,
                          [f = s.f](const hal::OnuStatus& o) { return text(f(o.counters)); }, ""));
}

}  // namespace cwmpd_pon
