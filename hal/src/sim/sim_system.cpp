#include <cstdio>
#include <random>

#include "common/files.hpp"
#include "common/kv_file.hpp"
#include "common/kv_objects.hpp"
#include "cwmpd/hal/error.hpp"
#include "sim/sim_hal.hpp"

namespace cwmpd::hal::sim {

using namespace detail;

namespace {

std::string randomUuid() {
  std::random_device rd;
  std::uniform_int_distribution<unsigned> byte(0, 255);
  unsigned char b[16];
  for (auto& x : b) x = static_cast<unsigned char>(byte(rd));
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

// The "version=..." line a sim firmware image carries in its first 4 KiB, if any.
std::string imageVersion(const fs::path& image) {
  std::string head = tryReadFile(image).value_or("").substr(0, 4096);
  for (const auto& line : splitList(head, '\n')) {
    if (line.starts_with("version=")) return trim(line.substr(8));
  }
  return {};
}

}  // namespace

SimSystem::SimSystem(fs::path dir, SystemHooks hooks)
    : dir_(std::move(dir)),
      hooks_(std::move(hooks)),
      started_(std::chrono::steady_clock::now()),
      bootId_(randomUuid()) {}

namespace {
KvFile systemIni(const fs::path& dir) {
  std::error_code ec;
  const fs::path p = dir / "system.ini";
  return fs::exists(p, ec) ? KvFile::load(p) : KvFile::empty(p);
}
}  // namespace

std::uint64_t SimSystem::uptimeSeconds() {
  // A simulated boot is the creation of this HAL (the daemon re-executes on reboot);
  // system.ini's uptime_offset lets a demo start from a long-running box.
  const auto up =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_);
  return systemIni(dir_).u64("uptime_offset") + static_cast<std::uint64_t>(up.count());
}

MemoryInfo SimSystem::memory() {
  const KvFile f = systemIni(dir_);
  MemoryInfo m;
  m.totalKiB = f.u64("memory_total_kib");
  m.freeKiB = f.u64("memory_free_kib");
  m.availableKiB = f.u64("memory_available_kib", m.freeKiB);
  if (m.freeKiB > m.totalKiB || m.availableKiB > m.totalKiB) {
    throw HalError(f.path().string() + ": free memory exceeds the total");
  }
  return m;
}

std::uint32_t SimSystem::cpuUsagePercent() {
  const auto v = systemIni(dir_).u64("cpu_usage_percent");
  if (v > 100) throw HalError("system.ini: cpu_usage_percent above 100");
  return static_cast<std::uint32_t>(v);
}

LoadAverage SimSystem::loadAverage() {
  const KvFile f = systemIni(dir_);
  const auto parts = splitList(f.str("load_average", "0 0 0"), ' ');
  if (parts.size() != 3) throw HalError(f.path().string() + ": load_average needs 3 numbers");
  LoadAverage l;
  try {
    l.one = std::stod(parts[0]);
    l.five = std::stod(parts[1]);
    l.fifteen = std::stod(parts[2]);
  } catch (const std::exception&) {
    throw HalError(f.path().string() + ": load_average is not numeric");
  }
  return l;
}

std::uint32_t SimSystem::processCount() {
  return static_cast<std::uint32_t>(systemIni(dir_).u64("process_count"));
}

std::string SimSystem::hostname() { return systemIni(dir_).str("hostname", "cwmpd-sim"); }

std::string SimSystem::kernelVersion() { return systemIni(dir_).str("kernel_version"); }

std::string SimSystem::bootId() { return bootId_; }

DeviceIdentity SimSystem::identity() {
  const KvFile f = systemIni(dir_);
  DeviceIdentity id;
  id.manufacturer = f.str("manufacturer");
  id.manufacturerOui = f.str("manufacturer_oui");
  id.modelName = f.str("model_name");
  id.productClass = f.str("product_class");
  id.serialNumber = f.str("serial_number");
  id.hardwareVersion = f.str("hardware_version");
  id.softwareVersion = f.str("software_version");
  return id;
}

std::vector<FirmwareBank> SimSystem::firmwareBanks() {
  // One bank holding the running image: its name is the file name of the last image
  // applied (system.ini firmware_image), its version the box's software version.
  const KvFile f = systemIni(dir_);
  FirmwareBank bank;
  bank.name = f.str("firmware_image", "firmware");
  bank.version = f.str("software_version");
  bank.active = bank.boot = true;
  return {bank};
}

void SimSystem::reboot() {
  recordApply(dir_ / "run" / "reboots", "reboot");
  if (hooks_.reboot) hooks_.reboot();
}

void SimSystem::factoryReset() {
  recordApply(dir_ / "run" / "factory_resets", "factory_reset");
  if (hooks_.factoryReset) hooks_.factoryReset();
}

void SimSystem::applyFirmware(const std::string& imagePath) {
  std::error_code ec;
  if (!fs::is_regular_file(imagePath, ec)) {
    throw HalError("firmware image not found: " + imagePath);
  }
  const std::string version = imageVersion(imagePath);
  const fs::path target = dir_ / "firmware" / fs::path(imagePath).filename();
  fs::create_directories(target.parent_path(), ec);
  invalidateReadCache();
  fs::rename(imagePath, target, ec);
  if (ec) {  // another file system: copy, then remove the original
    std::error_code ec2;
    fs::copy_file(imagePath, target, fs::copy_options::overwrite_existing, ec2);
    if (ec2) throw HalError("cannot install firmware image: " + ec2.message());
    fs::remove(imagePath, ec2);
  }
  {
    // The sim box has one bank: the installed image replaces the running one.
    KvFile f = systemIni(dir_);
    f.set("firmware_image", target.filename().string());
    if (!version.empty()) f.set("software_version", version);
    f.save();
  }
  recordApply(dir_ / "run" / "firmware_applied",
              target.filename().string() + (version.empty() ? "" : " version=" + version));
  // Installing firmware ends in a reboot on a real box: the daemon's hook decides how to
  // restart, and without one the sim simulates the reboot itself.
  if (hooks_.firmwareApplied) {
    hooks_.firmwareApplied(target.string());
  } else {
    reboot();
  }
}

}  // namespace cwmpd::hal::sim
