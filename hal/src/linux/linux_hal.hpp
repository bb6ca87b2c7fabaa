// The linux backend: /proc, /sys/class/net, getifaddrs, the ethtool module EEPROM ioctls
// and configured commands.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cwmpd/hal/factory.hpp"
#include "common/pon_status.hpp"
#include "cwmpd/hal/hal.hpp"

namespace cwmpd::hal::linux_backend {

[[nodiscard]] std::unique_ptr<Hal> makeLinuxHal(const HalConfig& config);

// Runs commands[key] with `args` appended and `env` added; HalError when not configured.
// Returns the command's output (stdout and stderr, at most 64 KiB).
std::string runConfigured(const HalConfig& config, const std::string& key,
                          const std::vector<std::string>& args,
                          const std::map<std::string, std::string>& env);
[[nodiscard]] bool hasCommand(const HalConfig& config, const std::string& key);

class LinuxNetwork final : public NetworkDevices {
 public:
  explicit LinuxNetwork(const HalConfig& config) : config_(config) {}
  std::vector<std::string> interfaces() override;
  InterfaceInfo info(std::string_view name) override;
  InterfaceCounters counters(std::string_view name) override;
  std::vector<IpAddress> ipv4Addresses(std::string_view name) override;
  std::vector<IpAddress> ipv6Addresses(std::string_view name) override;
  std::vector<std::string> dnsServers() override;
  void configure(std::string_view name, const InterfaceConfig& config) override;
  void setDnsServers(const std::vector<std::string>& servers) override;

 private:
  [[nodiscard]] std::string checkedName(std::string_view name) const;
  [[nodiscard]] std::vector<IpAddress> addresses(std::string_view name, int family) const;
  const HalConfig& config_;
};

class LinuxOptics final : public OpticalTransceivers {
 public:
  explicit LinuxOptics(const HalConfig& config) : config_(config) {}
  std::vector<std::string> transceivers() override;
  sff8472::Page readA0h(std::string_view name) override;
  sff8472::Page readA2h(std::string_view name) override;
  TransceiverStatus status(std::string_view name) override;

 private:
  struct Pages {
    std::optional<sff8472::Page> a0h, a2h;
  };
  [[nodiscard]] Pages read(std::string_view name) const;
  const HalConfig& config_;
};

// The ONU: the pon_status command's output, else <ponStatusDir>/onu.ini (both in the sim
// format, hal/README.md "PON"), else no ONU. Command output is kept for readCacheTtl.
class LinuxPon final : public Pon {
 public:
  explicit LinuxPon(const HalConfig& config) : config_(config) {}
  OnuStatus status() override;
  void setCredentials(const PonCredentials& credentials) override;

 private:
  const HalConfig& config_;
  std::string cached_;
  std::chrono::steady_clock::time_point cachedAt_{};
  bool haveCache_ = false;
  detail::OnuStatusCache parsed_;
};

class LinuxSystem final : public System {
 public:
  explicit LinuxSystem(const HalConfig& config) : config_(config) {}
  std::uint64_t uptimeSeconds() override;
  MemoryInfo memory() override;
  std::uint32_t cpuUsagePercent() override;
  LoadAverage loadAverage() override;
  std::uint32_t processCount() override;
  std::string hostname() override;
  std::string kernelVersion() override;
  std::string bootId() override;
  DeviceIdentity identity() override;
  void reboot() override;
  void factoryReset() override;
  void applyFirmware(const std::string& imagePath) override;
  std::vector<FirmwareBank> firmwareBanks() override;

 private:
  const HalConfig& config_;
  std::uint64_t lastTotal_ = 0, lastIdle_ = 0;
};

}  // namespace cwmpd::hal::linux_backend
