// Optical transceivers (SFP / PON ONU modules) from the HAL's SFF-8472 decoding.
//
// TR-181: Device.Optical.Interface.{i}., one row per transceiver (ensureInstance key = the
// transceiver name). TR-098: the operator-style vendor object
// InternetGatewayDevice.WANDevice.{i}.X_CT-COM_GponInterfaceConfig. on the WAN device row;
// the row is looked up with the wan plugin's key, the WAN interface name ([wan] interface,
// default the first Ethernet interface), and fed by the transceiver whose netdev is that
// interface.
//
// Status of an optical interface (TR-181 has no finer optical state; documented choice):
//   NotPresent  the cage is empty (no A0h answer)
//   Unknown     a module without digital diagnostics (nothing tells whether light arrives)
//   Down        loss of signal, or received power below the module's low Rx power alarm
//   Up          otherwise
// Optical is the lowest layer, so LowerLayerDown is never reported.
//
// Alarms (issue 6 item 3): a periodic Host timer runs a check on the main loop every
// [pon] poll_interval seconds (default 10; decimals allowed; 0 = no polling). It reads every
// transceiver and, when the received or transmitted power enters or leaves its alarm band (below
// the low or above the high alarm threshold of A2h, or the module's own alarm flags; LOS counts as
// Rx low), calls Host::valueChanged for OpticalSignalLevel or TransmitOpticalLevel (and Status)
// under TR-181, RXPower or TXPower (and Status) of X_CT-COM_GponInterfaceConfig under TR-098.
// stop() cancels the timer.
#include <algorithm>
#include <iterator>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cwmpd/hal/hal.hpp>
#include <cwmpd/sdk/config_keys.hpp>
#include <cwmpd/sdk/model_xml.hpp>
#include <cwmpd/sdk/object_snapshot.hpp>
#include <cwmpd/sdk/plugin.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "onu.hpp"

namespace {

using namespace cwmpd::sdk;  // the SDK is what a plugin is written in
namespace hal = cwmpd::hal;
namespace sff = cwmpd::hal::sff8472;

// Rounds `v` to the nearest integer and clamps it to [lo, hi].
std::int64_t clampRound(double v, std::int64_t lo, std::int64_t hi) {
  if (!std::isfinite(v)) return lo;
  return std::clamp<std::int64_t>(std::llround(v), lo, hi);
}

// TR-181 Lower/UpperOpticalThreshold and Lower/UpperTransmitPowerThreshold are Dbm1000 values
// restricted to steps of 500 (0.5 dB) within a range; the HAL gives 0.002 dB steps.
std::int32_t thresholdStep(std::int32_t dbm1000, std::int32_t lo, std::int32_t hi) {
  const auto v = static_cast<std::int32_t>(clampRound(dbm1000 / 500.0, lo / 500, hi / 500)) * 500;
  return std::clamp(v, lo, hi);
}

std::string text(std::int64_t v) { return std::to_string(v); }

// Which way a power reading lies against its alarm thresholds.
struct AlarmState {
  bool rxLow = false, rxHigh = false, txLow = false, txHigh = false;
};

AlarmState alarmsOf(const hal::TransceiverStatus& s) {
  AlarmState a;
  if (!s.present || !s.diagnostics) return a;
  const sff::Diagnostics& d = *s.diagnostics;
  a.rxLow =
      d.rxLos || d.alarms.rxPowerLow || d.current.rxPowerMicroWatts < d.alarmLow.rxPowerMicroWatts;
  a.rxHigh = d.alarms.rxPowerHigh || d.current.rxPowerMicroWatts > d.alarmHigh.rxPowerMicroWatts;
  a.txLow = d.alarms.txPowerLow || d.current.txPowerMicroWatts < d.alarmLow.txPowerMicroWatts;
  a.txHigh = d.alarms.txPowerHigh || d.current.txPowerMicroWatts > d.alarmHigh.txPowerMicroWatts;
  return a;
}

hal::OperStatus opticalStatus(const hal::TransceiverStatus& s) {
  if (!s.present) return hal::OperStatus::NotPresent;
  if (!s.diagnostics) return hal::OperStatus::Unknown;
  return alarmsOf(s).rxLow ? hal::OperStatus::Down : hal::OperStatus::Up;
}

// Optical.Interface.{i}.Stats. (TR-181): these counters of the network interface the
// module feeds (0 when there is none), names and widths from the HAL's table.
constexpr std::string_view kOpticalStats[] = {
    "BytesSent",  "BytesReceived",  "PacketsSent",        "PacketsReceived",
    "ErrorsSent", "ErrorsReceived", "DiscardPacketsSent", "DiscardPacketsReceived"};

constexpr const char* kBindEvent = "X CT-COM BIND";

class PonPlugin : public cwmpd::sdk::Plugin {
 public:
  void registerModel(Registrar& reg) override {
    host_ = &reg.host();
    reg.definitions(cwmpd_plugin_model_xml);
    // The China Telecom ONT's "the ONU is bound to the OLT" event (CT-COM's TR-069
    // extensions): declared so that operators and the bus can raise it.
    reg.vendorEvent(kBindEvent);
    if (host_->root() == "Device") {
      registerTr181(reg);
    } else {
      registerTr098(reg);
    }
    onu_.registerModel(reg);
  }

  void start(Host& host) override {
    host_ = &host;
    auto& optics = host.hal().optics();
    const std::string wan = wanInterface();
    for (const auto& name : optics.transceivers()) {
      const auto s = optics.status(name);
      last_[name] = {alarmsOf(s), opticalStatus(s), 0};
      if (host.root() == "Device") {
        const std::string table = "Device.Optical.Interface.";
        const std::string row = table + std::to_string(host.ensureInstance(table, name)) + ".";
        rows_[name] = row;
        host.setInitial(row + "Enable", "true");
      } else if (!wan.empty() && s.netdev == wan) {
        const std::string table = "InternetGatewayDevice.WANDevice.";
        const std::uint32_t n = host.ensureInstance(table, wan);
        wanRows_[n] = name;
        rows_[name] = table + std::to_string(n) + ".X_CT-COM_GponInterfaceConfig.";
      }
    }
    const bool onu = onu_.start(host);
    double seconds = 10;
    try {
      seconds = std::stod(host.config("pon", "poll_interval", "10"));
    } catch (const std::exception&) {
      host.log(LogLevel::Warning, "[pon] poll_interval is not a number; using 10 seconds");
    }
    if (seconds > 0 && (!last_.empty() || onu)) {
      auto interval = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::duration<double>(seconds));
      if (interval.count() < 1) interval = std::chrono::milliseconds(1);
      timer_ = host.startPeriodicTimer(interval, [this] { check(); });
    }
  }

  void stop() override {
    if (timer_) host_->cancelTimer(timer_);
    timer_ = 0;
  }

 private:
  hal::OpticalTransceivers& optics() { return host_->hal().optics(); }

  // The HAL's upstream rule (cwmpd/hal/network.hpp), the one the wan plugin uses too.
  std::string wanInterface() {
    try {
      return hal::upstreamInterface(host_->hal().network(), host_->config("wan", "interface"));
    } catch (const hal::HalError& e) {
      host_->log(LogLevel::Warning, std::string("network interfaces: ") + e.what());
    }
    return {};
  }

  // ------------------------------------------------------------ polling

  // On the main loop: compares every transceiver with what was seen last, then the ONU.
  void check() {
    checkOptics();
    onu_.check();
  }

  void checkOptics() {
    for (auto& [name, seen] : last_) {
      hal::TransceiverStatus s;
      try {
        s = optics().status(name);
      } catch (const hal::HalError& e) {
        host_->log(LogLevel::Warning, std::string("transceiver check: ") + e.what());
        continue;
      }
      const AlarmState now = alarmsOf(s);
      const bool rx = now.rxLow != seen.alarms.rxLow || now.rxHigh != seen.alarms.rxHigh;
      const bool tx = now.txLow != seen.alarms.txLow || now.txHigh != seen.alarms.txHigh;
      seen.alarms = now;
      const bool status = noteStatus(name, opticalStatus(s));
      auto row = rows_.find(name);
      if (row == rows_.end()) continue;
      const bool tr181 = host_->root() == "Device";
      if (rx) host_->valueChanged(row->second + (tr181 ? "OpticalSignalLevel" : "RXPower"));
      if (tx) host_->valueChanged(row->second + (tr181 ? "TransmitOpticalLevel" : "TXPower"));
      if (status) host_->valueChanged(row->second + "Status");
    }
  }

  struct Seen {
    AlarmState alarms;
    hal::OperStatus status = hal::OperStatus::Unknown;
    std::uint64_t since = 0;  // system uptime at the last status change (0: since boot)
  };

  // Records the status; true when it changed.
  bool noteStatus(const std::string& name, hal::OperStatus s) {
    Seen& seen = last_[name];
    if (seen.status == s) return false;
    seen.status = s;
    seen.since = host_->hal().system().uptimeSeconds();
    return true;
  }

  // ------------------------------------------------------------ TR-181

  hal::TransceiverStatus statusOf(const std::string& name) {
    auto s = optics().status(name);
    noteStatus(name, opticalStatus(s));
    return s;
  }

  std::string nameOf(const InstanceRef& r) const {
    if (!r.key.empty()) return r.key;
    // Stats. is a sub-object: its row is the first instance number.
    for (const auto& [name, row] : rows_)
      if (r.path.compare(0, row.size(), row) == 0) return name;
    throw Fault(FaultCode::InternalError, r.path + " has no transceiver");
  }

  // A transceiver as its object's getters see it: read once per object and request
  // (cwmpd/sdk/object_snapshot.hpp).
  struct Module {
    std::string name;
    hal::TransceiverStatus status;
  };

  void registerTr181(Registrar& reg) {
    const std::string oi = "Device.Optical.Interface.{i}.";
    using Diag = const sff::Diagnostics&;
    auto module = cwmpd::sdk::objectSnapshot<Module>([this](const InstanceRef& r) {
      std::string name = nameOf(r);
      hal::TransceiverStatus s = statusOf(name);
      return Module{std::move(name), std::move(s)};
    });
    auto get = [module](auto fn) { return cwmpd::sdk::fieldGetter(module, std::move(fn), ""); };
    auto diag = [get](std::int64_t (*f)(Diag)) {
      return get([f](const Module& m) {
        return text(m.status.diagnostics ? f(*m.status.diagnostics) : 0);
      });
    };
    auto level = [get](std::int32_t (*f)(const hal::TransceiverStatus&)) {
      return get([f](const Module& m) { return text(f(m.status)); });
    };
    auto identity = [get](std::string sff::Identity::*member) {
      return get([member](const Module& m) { return m.status.identity.*member; });
    };
    reg.object(oi)
        .get("Status", get([](const Module& m) { return toString(opticalStatus(m.status)); }))
        .get("Name", [this](const InstanceRef& r) { return nameOf(r); })
        .get("LastChange", get([this](const Module& m) {
               const std::uint64_t now = host_->hal().system().uptimeSeconds();
               const std::uint64_t since = last_[m.name].since;
               return text(static_cast<std::int64_t>(
                   std::min<std::uint64_t>(now > since ? now - since : 0, 0xFFFFFFFFu)));
             }))
        .get("Upstream", get([this](const Module& m) {
               const std::string wan = wanInterface();
               return std::string(!wan.empty() && m.status.netdev == wan ? "true" : "false");
             }))
        .get("OpticalSignalLevel",
             level([](const hal::TransceiverStatus& s) { return s.opticalSignalLevel; }))
        .get("TransmitOpticalLevel",
             level([](const hal::TransceiverStatus& s) { return s.transmitOpticalLevel; }))
        .get("LowerOpticalThreshold", level([](const hal::TransceiverStatus& s) {
               return thresholdStep(s.lowerOpticalThreshold, -127000, 0);
             }))
        .get("UpperOpticalThreshold", level([](const hal::TransceiverStatus& s) {
               return thresholdStep(s.upperOpticalThreshold, -127000, 0);
             }))
        .get("LowerTransmitPowerThreshold", level([](const hal::TransceiverStatus& s) {
               return thresholdStep(s.lowerTransmitPowerThreshold, -63500, 63500);
             }))
        .get("UpperTransmitPowerThreshold", level([](const hal::TransceiverStatus& s) {
               return thresholdStep(s.upperTransmitPowerThreshold, -63500, 63500);
             }))
        // Vendor units (plugins/pon/model.xml): 0.001 degC, microvolts, microamperes.
        .get("X_CWMPD_Temperature", diag([](Diag d) {
               return clampRound(d.current.temperatureC * 1000.0, -128000, 128000);
             }))
        .get("X_CWMPD_SupplyVoltage",
             diag([](Diag d) { return clampRound(d.current.vccVolts * 1e6, 0, 6553500); }))
        .get("X_CWMPD_BiasCurrent",
             diag([](Diag d) { return clampRound(d.current.txBiasMilliAmps * 1000.0, 0, 131070); }))
        .get("X_CWMPD_VendorName", identity(&sff::Identity::vendorName))
        .get("X_CWMPD_VendorPartNumber", identity(&sff::Identity::vendorPartNumber))
        .get("X_CWMPD_VendorSerialNumber", identity(&sff::Identity::vendorSerialNumber))
        .get("X_CWMPD_Wavelength",
             get([](const Module& m) { return text(m.status.identity.wavelengthNm); }))
        .validate([](const std::vector<Change>& cs) {
          for (const auto& c : cs)
            if (c.parameter == "Enable" && c.value != "true")
              throw Fault(FaultCode::InvalidParameterValue,
                          c.path() + ": the transceiver cannot be switched off through this HAL");
        });

    auto& stats = reg.object(oi + "Stats.");
    auto counters = cwmpd::sdk::objectSnapshot<hal::InterfaceCounters>(
        [this](const InstanceRef& r) -> std::optional<hal::InterfaceCounters> {
          const std::string netdev = statusOf(nameOf(r)).netdev;
          if (netdev.empty()) return std::nullopt;  // every counter reads 0
          try {
            return host_->hal().network().counters(netdev);
          } catch (const hal::HalError&) {
            return std::nullopt;  // the module feeds no interface the HAL knows
          }
        });
    for (const auto& f : hal::kInterfaceCounterFields) {
      if (std::find(std::begin(kOpticalStats), std::end(kOpticalStats), f.name) ==
          std::end(kOpticalStats))
        continue;
      stats.get(f.name, cwmpd::sdk::fieldGetter(
                            counters,
                            [member = f.member, wide = f.wide](const hal::InterfaceCounters& c) {
                              const std::uint64_t v = c.*member;
                              return std::to_string(wide ? v : (v & 0xFFFFFFFFu));
                            },
                            "0"));
    }
  }

  // ------------------------------------------------------------ TR-098

  // The transceiver feeding the WAN device `r` belongs to, if any.
  std::optional<hal::TransceiverStatus> gponOf(const InstanceRef& r) {
    if (r.numbers.empty()) return std::nullopt;
    auto it = wanRows_.find(r.numbers.front());
    if (it == wanRows_.end()) return std::nullopt;
    return statusOf(it->second);
  }

  void registerTr098(Registrar& reg) {
    using Diag = const sff::Diagnostics&;
    // Raw SFF-8472 units, as operator ACSs expect them (see plugins/pon/model.xml).
    // One read of the transceiver per object and request (cwmpd/sdk/object_snapshot.hpp).
    auto gpon = cwmpd::sdk::objectSnapshot<hal::TransceiverStatus>(
        [this](const InstanceRef& r) { return gponOf(r); });
    auto raw = [gpon](std::int64_t (*f)(Diag)) {
      return cwmpd::sdk::fieldGetter(
          gpon,
          [f](const hal::TransceiverStatus& s) {
            return text(s.diagnostics ? f(*s.diagnostics) : 0);
          },
          text(0));
    };
    reg.object("InternetGatewayDevice.WANDevice.{i}.X_CT-COM_GponInterfaceConfig.")
        .get("Status", cwmpd::sdk::fieldGetter(
                           gpon,
                           [](const hal::TransceiverStatus& s) {
                             if (!s.present) return std::string("Error");
                             if (s.diagnostics && !s.diagnostics->dataReady)
                               return std::string("Initializing");
                             return std::string(
                                 opticalStatus(s) == hal::OperStatus::Down ? "NoSignal" : "Up");
                           },
                           "Error"))
        .get("TXPower",
             raw([](Diag d) { return clampRound(d.current.txPowerMicroWatts * 10.0, 0, 65535); }))
        .get("RXPower",
             raw([](Diag d) { return clampRound(d.current.rxPowerMicroWatts * 10.0, 0, 65535); }))
        .get("SupplyVoltage",
             raw([](Diag d) { return clampRound(d.current.vccVolts * 1e4, 0, 65535); }))
        .get("Temperature",
             raw([](Diag d) { return clampRound(d.current.temperatureC * 256.0, -32768, 32767); }))
        .get("BiasCurrent",
             raw([](Diag d) { return clampRound(d.current.txBiasMilliAmps * 500.0, 0, 65535); }));
  }

  Host* host_ = nullptr;
  std::map<std::string, Seen> last_;              // transceiver -> last seen state
  std::map<std::string, std::string> rows_;       // transceiver -> object path (either root)
  std::map<std::uint32_t, std::string> wanRows_;  // TR-098 WANDevice number -> transceiver
  cwmpd::sdk::TimerId timer_ = 0;                 // the poll (Host::startPeriodicTimer)
  // The ONU (onu.hpp); under TR-098 its GPON object is the row of the ANI's transceiver.
  cwmpd_pon::Onu onu_{[this](const std::string& transceiver) {
    auto it = rows_.find(transceiver);
    return it == rows_.end() ? std::string() : it->second;
  }};
};

}  // namespace

CWMPD_PLUGIN(PonPlugin, "pon", "1.0")

// The config keys this plugin reads (Host::config): any other key is a config error.
CWMPD_PLUGIN_CONFIG_KEYS({"pon", "poll_interval", cwmpd::sdk::ConfigType::Number},
                         {"wan", "interface", cwmpd::sdk::ConfigType::String})
