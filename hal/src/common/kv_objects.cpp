#include "common/kv_objects.hpp"

#include <chrono>

#include "common/files.hpp"
#include "cwmpd/hal/error.hpp"

namespace cwmpd::hal::detail {

bool isSafeName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] == '.') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

void requireSafeName(std::string_view name, const std::string& what) {
  if (!isSafeName(name)) throw HalError("invalid " + what + " name '" + std::string(name) + "'");
}

std::vector<std::string> iniNames(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : listDir(dir)) {
    if (entry.size() > 4 && entry.ends_with(".ini") && isSafeName(entry)) {
      names.push_back(entry.substr(0, entry.size() - 4));
    }
  }
  return names;
}

KvFile loadObject(const fs::path& dir, std::string_view name, const std::string& what) {
  if (!isSafeName(name)) throw HalError("unknown " + what + " '" + std::string(name) + "'");
  const fs::path path = dir / (std::string(name) + ".ini");
  std::error_code ec;
  if (!fs::exists(path, ec)) throw HalError("unknown " + what + " '" + std::string(name) + "'");
  return KvFile::load(path);
}

InterfaceCounters readCounters(const KvFile& f) {
  InterfaceCounters c;
  c.bytesSent = f.u64("bytes_sent");
  c.bytesReceived = f.u64("bytes_received");
  c.packetsSent = f.u64("packets_sent");
  c.packetsReceived = f.u64("packets_received");
  c.errorsSent = f.u64("errors_sent");
  c.errorsReceived = f.u64("errors_received");
  c.unicastPacketsSent = f.u64("unicast_packets_sent");
  c.unicastPacketsReceived = f.u64("unicast_packets_received");
  c.discardPacketsSent = f.u64("discard_packets_sent");
  c.discardPacketsReceived = f.u64("discard_packets_received");
  c.multicastPacketsSent = f.u64("multicast_packets_sent");
  c.multicastPacketsReceived = f.u64("multicast_packets_received");
  c.broadcastPacketsSent = f.u64("broadcast_packets_sent");
  c.broadcastPacketsReceived = f.u64("broadcast_packets_received");
  c.unknownProtoPacketsReceived = f.u64("unknown_proto_packets_received");
  return c;
}

OperStatus parseStatus(std::string_view s) {
  if (s == "Up") return OperStatus::Up;
  if (s == "Down") return OperStatus::Down;
  if (s == "Dormant") return OperStatus::Dormant;
  if (s == "NotPresent") return OperStatus::NotPresent;
  if (s == "LowerLayerDown") return OperStatus::LowerLayerDown;
  return OperStatus::Unknown;
}

void recordApply(const fs::path& path, const std::string& line) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  const auto count = tryReadU64(path).value_or(0) + 1;
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const fs::path log = path.string() + ".log";
  std::string text = tryReadFile(log).value_or("");
  text += std::to_string(count) + " " + std::to_string(now) + " " + line + "\n";
  writeFileAtomic(log, text);
  writeFileAtomic(path, std::to_string(count) + "\n");
}

}  // namespace cwmpd::hal::detail
