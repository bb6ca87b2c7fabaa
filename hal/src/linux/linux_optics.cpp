#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "common/files.hpp"
#include "common/kv_objects.hpp"
#include "common/optics_status.hpp"
#include "cwmpd/hal/error.hpp"
#include "linux/linux_hal.hpp"

namespace cwmpd::hal::linux_backend {

using namespace detail;
namespace fs = std::filesystem;

namespace {

struct EepromResult {
  std::optional<sff8472::Page> a0h, a2h;
  bool supported = false;  // the driver answered the ioctls
};

// `ethtool -m` without ethtool: ETHTOOL_GMODULEINFO tells the layout, then
// ETHTOOL_GMODULEEEPROM reads it. SFF-8079 modules expose A0h only (256 bytes), SFF-8472
// ones A0h followed by A2h (512 bytes).
EepromResult readEeprom(const std::string& netdev) {
  EepromResult r;
  if (netdev.empty() || netdev.size() >= IFNAMSIZ) return r;
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return r;
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, netdev.c_str(), netdev.size());
  ethtool_modinfo info{};
  info.cmd = ETHTOOL_GMODULEINFO;
  ifr.ifr_data = reinterpret_cast<char*>(&info);
  if (::ioctl(fd, SIOCETHTOOL, &ifr) != 0 ||
      (info.type != ETH_MODULE_SFF_8079 && info.type != ETH_MODULE_SFF_8472)) {
    ::close(fd);
    return r;
  }
  const std::uint32_t len = info.type == ETH_MODULE_SFF_8472 ? 512 : 256;
  std::vector<std::uint8_t> buf(sizeof(ethtool_eeprom) + len);
  auto* ee = reinterpret_cast<ethtool_eeprom*>(buf.data());
  ee->cmd = ETHTOOL_GMODULEEEPROM;
  ee->offset = 0;
  ee->len = len;
  ifr.ifr_data = reinterpret_cast<char*>(ee);
  const bool ok = ::ioctl(fd, SIOCETHTOOL, &ifr) == 0;
  ::close(fd);
  r.supported = true;
  if (!ok) return r;  // the cage answered but no module could be read: empty
  const std::uint8_t* data = buf.data() + sizeof(ethtool_eeprom);
  sff8472::Page page{};
  std::copy_n(data, 256, page.begin());
  r.a0h = page;
  if (len == 512) {
    std::copy_n(data + 256, 256, page.begin());
    r.a2h = page;
  }
  return r;
}

}  // namespace

std::vector<std::string> LinuxOptics::transceivers() {
  std::set<std::string> names;
  for (const auto& [name, netdev] : config_.transceivers) names.insert(name);
  if (!config_.sfpSysfsBase.empty()) {
    for (const auto& n : listDir(config_.sfpSysfsBase)) {
      std::error_code ec;
      if (isSafeName(n) && fs::is_directory(fs::path(config_.sfpSysfsBase) / n, ec)) {
        names.insert(n);
      }
    }
  }
  return {names.begin(), names.end()};
}

LinuxOptics::Pages LinuxOptics::read(std::string_view name) const {
  const std::string n(name);
  const auto configured = config_.transceivers.find(n);
  const fs::path dir = config_.sfpSysfsBase.empty() || !isSafeName(n)
                           ? fs::path()
                           : fs::path(config_.sfpSysfsBase) / n;
  std::error_code ec;
  if (configured == config_.transceivers.end() && (dir.empty() || !fs::is_directory(dir, ec))) {
    throw HalError("unknown transceiver '" + n + "'");
  }
  if (configured != config_.transceivers.end()) {
    EepromResult r = readEeprom(configured->second);
    if (r.supported) return {r.a0h, r.a2h};
  }
  Pages p;
  if (dir.empty()) return p;
  if (fs::exists(dir / "a0h.bin", ec)) {
    p.a0h = readPage(dir / "a0h.bin");
    if (fs::exists(dir / "a2h.bin", ec)) p.a2h = readPage(dir / "a2h.bin");
  } else if (auto eeprom = tryReadFile(dir / "eeprom")) {
    // One dump of A0h then A2h, as `ethtool -m DEV raw on` prints it.
    if (eeprom->size() != 256 && eeprom->size() != 512) {
      throw HalError((dir / "eeprom").string() + ": expected 256 or 512 bytes");
    }
    sff8472::Page page{};
    std::copy_n(reinterpret_cast<const std::uint8_t*>(eeprom->data()), 256, page.begin());
    p.a0h = page;
    if (eeprom->size() == 512) {
      std::copy_n(reinterpret_cast<const std::uint8_t*>(eeprom->data()) + 256, 256, page.begin());
      p.a2h = page;
    }
  }
  return p;
}

sff8472::Page LinuxOptics::readA0h(std::string_view name) {
  auto p = read(name);
  if (!p.a0h) throw HalError("transceiver '" + std::string(name) + "': no module");
  return *p.a0h;
}

sff8472::Page LinuxOptics::readA2h(std::string_view name) {
  auto p = read(name);
  if (!p.a2h) throw HalError("transceiver '" + std::string(name) + "' has no diagnostics page");
  return *p.a2h;
}

TransceiverStatus LinuxOptics::status(std::string_view name) {
  auto p = read(name);
  const auto it = config_.transceivers.find(std::string(name));
  return makeTransceiverStatus(std::string(name),
                               it == config_.transceivers.end() ? "" : it->second, p.a0h, p.a2h);
}

}  // namespace cwmpd::hal::linux_backend
