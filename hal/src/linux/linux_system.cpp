#include <cerrno>
#include <cstring>
#include <sstream>

#include "common/command.hpp"
#include "common/files.hpp"
#include "cwmpd/hal/error.hpp"
#include "linux/linux_hal.hpp"

namespace cwmpd::hal::linux_backend {

using namespace detail;
namespace fs = std::filesystem;

bool hasCommand(const HalConfig& config, const std::string& key) {
  const auto it = config.commands.find(key);
  return it != config.commands.end() && !trim(it->second).empty();
}

std::string runConfigured(const HalConfig& config, const std::string& key,
                          const std::vector<std::string>& args,
                          const std::map<std::string, std::string>& env) {
  if (!hasCommand(config, key)) throw HalError("no '" + key + "' command configured");
  auto argv = splitCommandLine(config.commands.at(key));
  argv.insert(argv.end(), args.begin(), args.end());
  return runCommand(key, argv, env, config.commandTimeout).output;
}

namespace {

std::string procLine(const HalConfig& c, const char* rel) {
  auto line = tryReadLine(fs::path(c.procDir) / rel);
  if (!line) throw HalError("cannot read " + (fs::path(c.procDir) / rel).string());
  return *line;
}

// "KEY=value" or KEY="value" from an os-release style file.
std::string shellVar(const fs::path& file, const std::string& key) {
  for (const auto& line : splitList(tryReadFile(file).value_or(""), '\n')) {
    if (!line.starts_with(key + "=")) continue;
    std::string v = line.substr(key.size() + 1);
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
      v = v.substr(1, v.size() - 2);
    }
    return v;
  }
  return {};
}

}  // namespace

std::uint64_t LinuxSystem::uptimeSeconds() {
  // /proc/uptime: "seconds.hundredths idle.hundredths"
  const std::string line = procLine(config_, "uptime");
  return parseU64(line.substr(0, line.find('.')), "/proc/uptime");
}

MemoryInfo LinuxSystem::memory() {
  MemoryInfo m;
  bool haveAvailable = false;
  std::istringstream in(readFile(fs::path(config_.procDir) / "meminfo"));
  std::string key;
  std::uint64_t value = 0;
  std::string unit;
  while (in >> key >> value) {
    std::getline(in, unit);
    if (key == "MemTotal:") m.totalKiB = value;
    if (key == "MemFree:") m.freeKiB = value;
    if (key == "MemAvailable:") {
      m.availableKiB = value;
      haveAvailable = true;
    }
  }
  if (m.totalKiB == 0) throw HalError("/proc/meminfo: no MemTotal");
  if (!haveAvailable) m.availableKiB = m.freeKiB;  // kernels before 3.14
  return m;
}

std::uint32_t LinuxSystem::cpuUsagePercent() {
  // First line of /proc/stat: "cpu user nice system idle iowait irq softirq steal ...".
  std::istringstream in(procLine(config_, "stat"));
  std::string cpu;
  in >> cpu;
  if (cpu != "cpu") throw HalError("/proc/stat: unexpected format");
  std::uint64_t v[8] = {};
  for (auto& x : v) in >> x;
  std::uint64_t total = 0;
  for (auto x : v) total += x;  // guest time is already part of user time
  const std::uint64_t idle = v[3] + v[4];
  const std::uint64_t dTotal = total - lastTotal_, dIdle = idle - lastIdle_;
  lastTotal_ = total;
  lastIdle_ = idle;
  if (dTotal == 0) return 0;
  return static_cast<std::uint32_t>((100 * (dTotal - std::min(dIdle, dTotal)) + dTotal / 2) /
                                    dTotal);
}

LoadAverage LinuxSystem::loadAverage() {
  std::istringstream in(procLine(config_, "loadavg"));
  LoadAverage l;
  if (!(in >> l.one >> l.five >> l.fifteen)) throw HalError("/proc/loadavg: unexpected format");
  return l;
}

std::uint32_t LinuxSystem::processCount() {
  std::uint32_t n = 0;
  for (const auto& name : listDir(config_.procDir)) {
    if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos) ++n;
  }
  return n;
}

std::string LinuxSystem::hostname() { return procLine(config_, "sys/kernel/hostname"); }

std::string LinuxSystem::kernelVersion() { return procLine(config_, "sys/kernel/osrelease"); }

std::string LinuxSystem::bootId() { return procLine(config_, "sys/kernel/random/boot_id"); }

DeviceIdentity LinuxSystem::identity() {
  DeviceIdentity id;
  const fs::path dmi = "/sys/class/dmi/id";
  id.manufacturer = tryReadLine(dmi / "sys_vendor").value_or("");
  id.modelName = tryReadLine(dmi / "product_name").value_or("");
  id.serialNumber = tryReadLine(dmi / "product_serial").value_or("");
  id.hardwareVersion = tryReadLine(dmi / "product_version").value_or("");
  if (id.modelName.empty()) {
    // Device-tree boards (most routers): the model string is NUL-terminated.
    std::string model = tryReadFile("/proc/device-tree/model").value_or("");
    id.modelName = trim(model.substr(0, model.find('\0')));
  }
  // OpenWrt first, then any os-release distribution.
  id.softwareVersion = shellVar("/etc/openwrt_release", "DISTRIB_REVISION");
  if (id.softwareVersion.empty()) id.softwareVersion = shellVar("/etc/os-release", "VERSION_ID");
  return id;
}

std::vector<FirmwareBank> LinuxSystem::firmwareBanks() {
  // One bank: the running system. Boxes with A/B partitions name their banks in ways no
  // generic reader knows, so they are not told apart here.
  FirmwareBank bank;
  bank.name = shellVar("/etc/openwrt_release", "DISTRIB_DESCRIPTION");
  if (bank.name.empty()) bank.name = shellVar("/etc/os-release", "PRETTY_NAME");
  if (bank.name.empty()) bank.name = "firmware";
  bank.version = identity().softwareVersion;
  bank.active = bank.boot = true;
  return {bank};
}

void LinuxSystem::reboot() {
  // With only a hook, the daemon alone decides what a reboot is.
  if (hasCommand(config_, "reboot") || !config_.hooks.reboot) {
    runConfigured(config_, "reboot", {}, {});
  }
  if (config_.hooks.reboot) config_.hooks.reboot();
}

void LinuxSystem::factoryReset() {
  if (hasCommand(config_, "factory_reset") || !config_.hooks.factoryReset) {
    runConfigured(config_, "factory_reset", {}, {});
  }
  if (config_.hooks.factoryReset) config_.hooks.factoryReset();
}

void LinuxSystem::applyFirmware(const std::string& imagePath) {
  std::error_code ec;
  if (!fs::is_regular_file(imagePath, ec)) {
    throw HalError("firmware image not found: " + imagePath);
  }
  runConfigured(config_, "firmware_apply", {imagePath}, {{"CWMPD_FIRMWARE_IMAGE", imagePath}});
  if (config_.hooks.firmwareApplied) config_.hooks.firmwareApplied(imagePath);
}

}  // namespace cwmpd::hal::linux_backend
