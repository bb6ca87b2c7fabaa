// The box itself: uptime, memory, CPU, identity and the disruptive actions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cwmpd::hal {

struct MemoryInfo {
  std::uint64_t totalKiB = 0;
  std::uint64_t freeKiB = 0;       // MemFree: not used at all
  std::uint64_t availableKiB = 0;  // MemAvailable: could be used without swapping
};

struct LoadAverage {
  double one = 0, five = 0, fifteen = 0;
};

// What the box says about itself; empty strings where the platform does not know
// (the daemon's config fills TR-069 DeviceInfo gaps).
struct DeviceIdentity {
  std::string manufacturer;
  std::string manufacturerOui;  // six upper-case hex digits
  std::string modelName;
  std::string productClass;
  std::string serialNumber;
  std::string hardwareVersion;
  std::string softwareVersion;
};

// One firmware bank of the box (TR-181 DeviceInfo.FirmwareImage.{i}).
struct FirmwareBank {
  std::string name;     // the image's name or file name; "" for an empty bank
  std::string version;  // the image's software version; "" when unknown or empty
  bool active = false;  // the image running now
  bool boot = false;    // the image the next boot loads
};

// Thread-safety: call from the daemon's main loop only. Methods throw HalError on
// failure.
class System {
 public:
  virtual ~System() = default;

  [[nodiscard]] virtual std::uint64_t uptimeSeconds() = 0;
  [[nodiscard]] virtual MemoryInfo memory() = 0;
  // Percentage of CPU time not idle since the previous call (since boot on the first).
  [[nodiscard]] virtual std::uint32_t cpuUsagePercent() = 0;
  [[nodiscard]] virtual LoadAverage loadAverage() = 0;
  [[nodiscard]] virtual std::uint32_t processCount() = 0;
  [[nodiscard]] virtual std::string hostname() = 0;
  [[nodiscard]] virtual std::string kernelVersion() = 0;
  // Changes at every boot (Linux: /proc/sys/kernel/random/boot_id).
  [[nodiscard]] virtual std::string bootId() = 0;
  [[nodiscard]] virtual DeviceIdentity identity() = 0;

  // The disruptive actions. Each performs the backend's action (Linux: the configured
  // command; sim: marker files) and then calls the matching hook of SystemHooks
  // (cwmpd/hal/factory.hpp), through which the daemon decides what "restart" means.
  // They return once the action was started; the box may go down at any moment after.
  // In the daemon everyone (plugins included) calls them through a view that makes them
  // wait for the end of an open ACS session (cwmpd/core/restart_gate.hpp).
  virtual void reboot() = 0;
  virtual void factoryReset() = 0;
  // Installs the firmware image at `imagePath` (Linux: e.g. OpenWrt sysupgrade through
  // the `firmware_apply` command; sim: the file is moved into the sim directory, the
  // software version updated from a "version=..." line in the image, then the
  // firmwareApplied hook runs, or reboot() when that hook is unset).
  virtual void applyFirmware(const std::string& imagePath) = 0;

  // The box's firmware banks in a stable order (the first bank first), as they are now.
  // A single-bank box has one: the running image, active and boot. Read-only: which bank
  // boots next cannot be chosen through the HAL. (Added in SDK ABI 2.)
  [[nodiscard]] virtual std::vector<FirmwareBank> firmwareBanks() = 0;
};

}  // namespace cwmpd::hal
