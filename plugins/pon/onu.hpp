// The ONU part of the pon plugin (issue 16): Device.XPON. under TR-181, the ONU fields of
// X_CT-COM_GponInterfaceConfig. under TR-098, X_CT-COM_UserInfo. under both, and the
// "X CT-COM BIND" event. Everything comes from hal::Pon; see plugins/pon/README.md.
#pragma once

#include <cstdint>
#include <cwmpd/hal/hal.hpp>
#include <cwmpd/sdk/plugin.hpp>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cwmpd_pon {

namespace hal = cwmpd::hal;
namespace sdk = cwmpd::sdk;

// The alarms the plugin reports, after hysteresis: the HAL's flags, with SF and SD also
// raised by the module's received power (see Onu::evaluate).
using Alarms = hal::PonAlarms;

// X_CT-COM_UserInfo.Status values (plugins/pon/README.md).
enum class RegStatus : std::uint32_t {
  Registered = 0,
  InProgress = 1,
  LoidUnknown = 2,
  PasswordWrong = 3,
  LoidConflict = 4,
  Timeout = 5,
  NotStarted = 6,
};

class Onu {
 public:
  // `gponRow` gives the TR-098 X_CT-COM_GponInterfaceConfig. path of a transceiver ("" when
  // it sits on no WAN device).
  explicit Onu(std::function<std::string(const std::string&)> gponRow)
      : gponRow_(std::move(gponRow)) {}

  void registerModel(sdk::Registrar& reg);
  // Creates the rows; true when the box has an ONU (the plugin then polls it).
  bool start(sdk::Host& host);
  // On the poll: value changes for what moved since the last check, and the BIND event.
  void check();

 private:
  struct Snapshot {
    hal::OnuStatus onu;
    Alarms alarms;
    RegStatus reg = RegStatus::NotStarted;
    std::uint32_t progress = 0;
  };

  hal::Pon& pon() { return host_->hal().pon(); }
  bool tr181() const { return host_->root() == "Device"; }
  std::string userInfo() const { return std::string(host_->root()) + ".X_CT-COM_UserInfo."; }

  // Reads the ONU and updates the hysteresis state; what the getters and check() report.
  Snapshot evaluate();
  hal::OnuStatus status();
  Alarms applyHysteresis(const hal::OnuStatus& s);
  RegStatus registration(const hal::OnuStatus& s);
  void syncTables(const hal::OnuStatus& s);

  // The credentials as stored by the core (the ACS's last values).
  hal::PonCredentials storedCredentials();
  void onCredentialsChanged(const std::vector<sdk::Change>& changes);
  // The "X CT-COM BIND" bookkeeping: which credentials last produced a BIND.
  std::string fingerprint();
  void loadBound();
  void saveBound();

  void registerTr181(sdk::Registrar& reg);
  void registerTr098(sdk::Registrar& reg);
  void registerUserInfo(sdk::Registrar& reg);

  std::function<std::string(const std::string&)> gponRow_;
  sdk::Host* host_ = nullptr;
  bool present_ = false;
  Alarms held_;                       // hysteresis state
  std::optional<Snapshot> reported_;  // what the last check() reported
  bool registeredSeen_ = false;       // registered (O5, LOID accepted) at the last check
  std::string bound_;                 // fingerprint of the credentials of the last BIND
  std::string stateFile_;             // where bound_ is kept (Host::stateDir; "" = memory only)
  std::uint64_t lastChange_ = 0;      // uptime when the ANI's Status last changed

  // TR-181 rows.
  std::string onuRow_, aniRow_;  // "Device.XPON.ONU.1.", "Device.XPON.ONU.1.ANI.1."
  std::map<std::uint32_t, std::string> uniKeys_, gemKeys_, imageKeys_, transceiverKeys_;
};

}  // namespace cwmpd_pon
