// The sim backend: the whole box as a directory of small files (hal/README.md).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "cwmpd/hal/factory.hpp"
#include "common/pon_status.hpp"
#include "cwmpd/hal/hal.hpp"

namespace cwmpd::hal::sim {

[[nodiscard]] std::unique_ptr<Hal> makeSimHal(const HalConfig& config);

class SimNetwork final : public NetworkDevices {
 public:
  explicit SimNetwork(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::vector<std::string> interfaces() override;
  InterfaceInfo info(std::string_view name) override;
  InterfaceCounters counters(std::string_view name) override;
  std::vector<IpAddress> ipv4Addresses(std::string_view name) override;
  std::vector<IpAddress> ipv6Addresses(std::string_view name) override;
  std::vector<std::string> dnsServers() override;
  void configure(std::string_view name, const InterfaceConfig& config) override;
  void setDnsServers(const std::vector<std::string>& servers) override;

 private:
  [[nodiscard]] std::filesystem::path interfaceDir(std::string_view name) const;
  std::filesystem::path dir_;  // <sim_dir>
};

class SimOptics final : public OpticalTransceivers {
 public:
  explicit SimOptics(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::vector<std::string> transceivers() override;
  sff8472::Page readA0h(std::string_view name) override;
  sff8472::Page readA2h(std::string_view name) override;
  TransceiverStatus status(std::string_view name) override;

 private:
  [[nodiscard]] std::filesystem::path moduleDir(std::string_view name) const;
  std::filesystem::path dir_;  // <sim_dir>/optics
};

// <sim_dir>/pon/: onu.ini and gem/<n>.ini (hal/README.md). setCredentials() writes
// pon/credentials.ini, sets loid_auth = in_progress and counts run/pon_auth_restarts.
class SimPon final : public Pon {
 public:
  explicit SimPon(const std::filesystem::path& dir) : dir_(dir / "pon"), run_(dir / "run") {}
  OnuStatus status() override;
  void setCredentials(const PonCredentials& credentials) override;

 private:
  std::filesystem::path dir_;  // <sim_dir>/pon
  std::filesystem::path run_;  // <sim_dir>/run
  detail::OnuStatusCache parsed_;
};

class SimSystem final : public System {
 public:
  SimSystem(std::filesystem::path dir, SystemHooks hooks);
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
  std::filesystem::path dir_;  // <sim_dir>
  SystemHooks hooks_;
  std::chrono::steady_clock::time_point started_;
  std::string bootId_;
};

}  // namespace cwmpd::hal::sim
