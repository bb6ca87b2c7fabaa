#include "common/net_dir.hpp"

#include <net/if.h>

#include <cstdlib>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/files.hpp"
#include "cwmpd/hal/error.hpp"

namespace cwmpd::hal::detail {

OperStatus parseOperState(std::string_view text) {
  // RFC 2863 ifOperStatus as the kernel names it; "testing" has no TR-181 counterpart
  // we report, so it reads as Unknown.
  if (text == "up") return OperStatus::Up;
  if (text == "down") return OperStatus::Down;
  if (text == "dormant") return OperStatus::Dormant;
  if (text == "notpresent") return OperStatus::NotPresent;
  if (text == "lowerlayerdown") return OperStatus::LowerLayerDown;
  return OperStatus::Unknown;
}

namespace {

InterfaceKind kindFromName(std::string_view k) {
  if (k == "ethernet") return InterfaceKind::Ethernet;
  if (k == "loopback") return InterfaceKind::Loopback;
  if (k == "ppp") return InterfaceKind::Ppp;
  if (k == "wifi") return InterfaceKind::WiFi;
  if (k == "bridge") return InterfaceKind::Bridge;
  return InterfaceKind::Other;
}

InterfaceKind kindFromSysfs(const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir / "bridge", ec)) return InterfaceKind::Bridge;
  if (fs::exists(dir / "wireless", ec) || fs::exists(dir / "phy80211", ec)) {
    return InterfaceKind::WiFi;
  }
  switch (tryReadU64(dir / "type").value_or(0)) {
    case 1: return InterfaceKind::Ethernet;    // ARPHRD_ETHER
    case 772: return InterfaceKind::Loopback;  // ARPHRD_LOOPBACK
    case 512: return InterfaceKind::Ppp;       // ARPHRD_PPP
    default: return InterfaceKind::Other;
  }
}

}  // namespace

InterfaceInfo readInterfaceDir(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw HalError("no such interface: " + dir.filename().string());
  InterfaceInfo info;
  info.name = dir.filename().string();
  if (auto k = tryReadLine(dir / "kind")) {
    info.kind = kindFromName(*k);
  } else {
    info.kind = kindFromSysfs(dir);
  }
  info.mac = tryReadLine(dir / "address").value_or("");
  // A loopback or tunnel has an all-zero or empty hardware address: report none.
  if (info.mac == "00:00:00:00:00:00") info.mac.clear();
  info.mtu = static_cast<std::uint32_t>(tryReadU64(dir / "mtu").value_or(0));
  if (auto flags = tryReadLine(dir / "flags")) {
    info.enabled = (std::strtoul(flags->c_str(), nullptr, 16) & IFF_UP) != 0;
  } else if (auto enabled = tryReadLine(dir / "enabled")) {
    info.enabled = parseBool(*enabled, (dir / "enabled").string());
  }
  info.status = parseOperState(tryReadLine(dir / "operstate").value_or("unknown"));
  // Interfaces without carrier management (loopback, tunnels) report "unknown" while
  // passing traffic; when administratively up with carrier, TR-181 calls that Up.
  if (info.status == OperStatus::Unknown && info.enabled &&
      tryReadU64(dir / "carrier").value_or(0) == 1) {
    info.status = OperStatus::Up;
  }
  if (!info.enabled && info.status == OperStatus::Unknown) info.status = OperStatus::Down;
  // speed is -1 (or unreadable, EINVAL) when unknown or the link is down.
  if (auto speed = tryReadLine(dir / "speed"); speed && !speed->empty() && (*speed)[0] != '-') {
    try {
      info.speedMbps = static_cast<std::uint32_t>(parseU64(*speed, "speed"));
    } catch (const HalError&) {
    }
  }
  const std::string duplex = tryReadLine(dir / "duplex").value_or("");
  info.duplex = duplex == "full" ? Duplex::Full : duplex == "half" ? Duplex::Half : Duplex::Unknown;
  return info;
}

InterfaceCounters readStatisticsDir(const fs::path& s) {
  // Plugins read one counter per parameter (the WAN and XPON statistics): a whole-tree
  // GetParameterValues asked for the 13 files of one directory once per parameter. The
  // counters made of them are served again as long as the read cache would serve every
  // one of those files, so the result is the same, read once per request.
  struct Memo {
    ReadStamp stamp;
    InterfaceCounters counters;
  };
  static std::mutex mutex;
  static std::unordered_map<std::string, Memo> memo;
  {
    std::lock_guard lock(mutex);
    if (auto it = memo.find(s.native()); it != memo.end() && readCacheServes(it->second.stamp)) {
      return it->second.counters;
    }
  }
  ReadStamp stamp = readStamp();
  const auto get = [&](const char* name) { return tryReadU64(s / name, &stamp).value_or(0); };
  const auto sat = [](std::uint64_t a, std::uint64_t b) { return a > b ? a - b : 0; };
  InterfaceCounters c;
  c.bytesSent = get("tx_bytes");
  c.bytesReceived = get("rx_bytes");
  c.packetsSent = get("tx_packets");
  c.packetsReceived = get("rx_packets");
  c.errorsSent = get("tx_errors");
  c.errorsReceived = get("rx_errors");
  c.discardPacketsSent = get("tx_dropped");
  c.discardPacketsReceived = get("rx_dropped");
  c.multicastPacketsReceived = get("multicast");
  // Not in sysfs; the sim may provide them.
  c.multicastPacketsSent = get("tx_multicast");
  c.broadcastPacketsReceived = get("rx_broadcast");
  c.broadcastPacketsSent = get("tx_broadcast");
  // rx_nohandler counts frames no protocol handler wanted: TR-181 UnknownProtoPackets.
  c.unknownProtoPacketsReceived = get("rx_nohandler");
  c.unicastPacketsReceived =
      sat(c.packetsReceived, c.multicastPacketsReceived + c.broadcastPacketsReceived);
  c.unicastPacketsSent = sat(c.packetsSent, c.multicastPacketsSent + c.broadcastPacketsSent);
  if (stamp.cached) {
    constexpr std::size_t kMaxInterfaces = 256;
    std::lock_guard lock(mutex);
    if (memo.size() >= kMaxInterfaces) memo.clear();
    memo[s.native()] = {stamp, c};
  }
  return c;
}

}  // namespace cwmpd::hal::detail
