// Creating the HAL: for the daemon (and tests) only, not part of the plugin SDK.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cwmpd/hal/hal.hpp"

namespace cwmpd::hal {

// What the daemon does after the backend performed a disruptive action (see System).
// Unset hooks do nothing. On the sim backend, `reboot` is where the daemon re-executes
// itself; on Linux the command normally takes the box down and the hook lets the daemon
// flush its state first. `firmwareApplied` gets the installed image's path and is the
// daemon's cue to restart; when it is unset, the sim backend's applyFirmware() ends with
// reboot() (so with the reboot hook) instead.
struct SystemHooks {
  std::function<void()> reboot;
  std::function<void()> factoryReset;
  std::function<void(const std::string& imagePath)> firmwareApplied;
};

struct HalConfig {
  std::string backend = "linux";  // "linux" or "sim"
  std::string simDir;             // sim: the directory of files (see hal/README.md)

  // Linux: command lines for the actions, split on white space into argv and run without
  // a shell (double quotes group words). Keys: reboot, factory_reset, firmware_apply
  // (image path appended as last argument), wifi_apply and voice_apply (path of the
  // written config file appended). Each also gets its argument in the environment
  // (CWMPD_FIRMWARE_IMAGE, CWMPD_CONFIG_FILE); pon_status and pon_auth (see ponStatusDir).
  std::map<std::string, std::string> commands;
  std::chrono::milliseconds commandTimeout{std::chrono::seconds(60)};

  // Linux: transceivers, name -> network interface asked through the ethtool module
  // EEPROM ioctls (e.g. {"pon0", "eth1"}). When the ioctl is not supported the pages are
  // read from <sfpSysfsBase>/<name>/a0h.bin and a2h.bin (or one 512-byte "eeprom" file
  // holding A0h then A2h).
  std::map<std::string, std::string> transceivers;
  std::string sfpSysfsBase;

  // Linux: Wi-Fi and voice have no standard kernel interface. Status is read from these
  // directories, which use the sim layout (wifi/ and voice/, see hal/README.md), written
  // by the platform's own daemons; empty means "no Wi-Fi" / "no voice" (empty lists).
  std::string wifiStatusDir;
  std::string voiceStatusDir;
  // Linux: the ONU. The "pon_status" command (when configured) prints the ONU status in
  // the sim's pon/onu.ini format, else <ponStatusDir>/onu.ini is read; neither means no
  // ONU. The "pon_auth" command gets new LOID credentials in the environment
  // (CWMPD_PON_LOID, CWMPD_PON_LOID_PASSWORD, CWMPD_PON_PASSWORD, CWMPD_PON_PASSWORD_HEX)
  // and restarts the authentication. hal/README.md "PON" has the contract.
  std::string ponStatusDir;
  // Where apply() writes the batch (INI) before running wifi_apply/voice_apply; empty
  // means a file in the system temp directory.
  std::string wifiConfigFile;
  std::string voiceConfigFile;

  // Linux: where the data comes from; overridable for tests and containers.
  std::string procDir = "/proc";
  std::string sysClassNetDir = "/sys/class/net";
  std::string resolvConf = "/etc/resolv.conf";

  // How long a file read by the backend (sysfs, /proc, the sim files) may be served again
  // from memory. Plugins read one value per parameter, so without it one whole-tree
  // GetParameterValues reads each statistics file once per parameter; values within one
  // request then also form one snapshot. 0 = always read.
  std::chrono::milliseconds readCacheTtl{0};

  SystemHooks hooks;
};

// Builds the configured backend. Throws HalError for a backend that is unknown or not built
// in (backendError's text) or a sim directory that does not exist.
[[nodiscard]] std::unique_ptr<Hal> makeHal(const HalConfig& config);

// The backends this build has, of "linux" and "sim" (CMake option CWMPD_HAL_BACKENDS: a
// box's build leaves the sim backend out).
[[nodiscard]] const std::vector<std::string>& builtBackends();

// Why `name` cannot be the backend, with `built` the backends built in ("must be linux or
// sim", or which one this build leaves out); the caller adds the name. Empty when it can.
[[nodiscard]] std::string backendError(const std::string& name,
                                       const std::vector<std::string>& built = builtBackends());

}  // namespace cwmpd::hal
