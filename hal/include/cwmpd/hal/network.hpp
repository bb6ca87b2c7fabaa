// Network interfaces: what the wan plugin needs for Device.Ethernet/IP/PPP/DNS.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cwmpd::hal {

// TR-181 interface Status (the "Testing" and "Error" values are never reported).
enum class OperStatus : std::uint8_t { Up, Down, Unknown, Dormant, NotPresent, LowerLayerDown };

// The TR-181 string for `s` ("Up", "LowerLayerDown", ...).
[[nodiscard]] constexpr const char* toString(OperStatus s) noexcept {
  switch (s) {
    case OperStatus::Up: return "Up";
    case OperStatus::Down: return "Down";
    case OperStatus::Dormant: return "Dormant";
    case OperStatus::NotPresent: return "NotPresent";
    case OperStatus::LowerLayerDown: return "LowerLayerDown";
    case OperStatus::Unknown: break;
  }
  return "Unknown";
}

enum class Duplex : std::uint8_t { Unknown, Half, Full };

// What kind of link an interface is, so that plugins can pick theirs (Ethernet for
// Device.Ethernet.Interface, Ppp for Device.PPP.Interface...).
enum class InterfaceKind : std::uint8_t { Ethernet, Loopback, Ppp, WiFi, Bridge, Other };

struct InterfaceInfo {
  std::string name;  // kernel name, "eth0"
  InterfaceKind kind = InterfaceKind::Other;
  std::string mac;  // "02:00:00:00:00:01" lower case; empty if none
  std::uint32_t mtu = 0;
  OperStatus status = OperStatus::Unknown;
  bool enabled = false;                      // administrative state (Linux IFF_UP)
  std::optional<std::uint32_t> speedMbps{};  // current bit rate; empty when unknown/link down
  Duplex duplex = Duplex::Unknown;
};

// Interface statistics (TR-181 Stats names). Values count since the interface came up and
// wrap at 2^64. Counters the platform does not report are 0; on Linux
// unicastPacketsReceived is derived as packets - multicast (broadcast included) and the
// sent-side unicast equals packets sent, because the kernel keeps no finer counters.
struct InterfaceCounters {
  std::uint64_t bytesSent = 0;
  std::uint64_t bytesReceived = 0;
  std::uint64_t packetsSent = 0;
  std::uint64_t packetsReceived = 0;
  std::uint64_t errorsSent = 0;
  std::uint64_t errorsReceived = 0;
  std::uint64_t unicastPacketsSent = 0;
  std::uint64_t unicastPacketsReceived = 0;
  std::uint64_t discardPacketsSent = 0;
  std::uint64_t discardPacketsReceived = 0;
  std::uint64_t multicastPacketsSent = 0;
  std::uint64_t multicastPacketsReceived = 0;
  std::uint64_t broadcastPacketsSent = 0;
  std::uint64_t broadcastPacketsReceived = 0;
  std::uint64_t unknownProtoPacketsReceived = 0;
};

// Each counter with its TR-181 Stats parameter name. `wide`: unsignedLong (StatsCounter64)
// in TR-181; the others are unsignedInt (StatsCounter32) and wrap at 2^32. What every
// plugin that publishes interface statistics reads (Ethernet/IP interfaces, optical ones).
struct InterfaceCounterField {
  const char* name;
  std::uint64_t InterfaceCounters::*member;
  bool wide;
};
inline constexpr InterfaceCounterField kInterfaceCounterFields[] = {
    {"BytesSent", &InterfaceCounters::bytesSent, true},
    {"BytesReceived", &InterfaceCounters::bytesReceived, true},
    {"PacketsSent", &InterfaceCounters::packetsSent, true},
    {"PacketsReceived", &InterfaceCounters::packetsReceived, true},
    {"ErrorsSent", &InterfaceCounters::errorsSent, false},
    {"ErrorsReceived", &InterfaceCounters::errorsReceived, false},
    {"UnicastPacketsSent", &InterfaceCounters::unicastPacketsSent, true},
    {"UnicastPacketsReceived", &InterfaceCounters::unicastPacketsReceived, true},
    {"DiscardPacketsSent", &InterfaceCounters::discardPacketsSent, false},
    {"DiscardPacketsReceived", &InterfaceCounters::discardPacketsReceived, false},
    {"MulticastPacketsSent", &InterfaceCounters::multicastPacketsSent, true},
    {"MulticastPacketsReceived", &InterfaceCounters::multicastPacketsReceived, true},
    {"BroadcastPacketsSent", &InterfaceCounters::broadcastPacketsSent, true},
    {"BroadcastPacketsReceived", &InterfaceCounters::broadcastPacketsReceived, true},
    {"UnknownProtoPacketsReceived", &InterfaceCounters::unknownProtoPacketsReceived, false},
};

// One address of an interface, textual ("192.0.2.1", "fe80::1"; no "%scope" suffix).
struct IpAddress {
  std::string address;
  std::uint8_t prefixLength = 0;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// A batch of configuration changes for one interface; unset members stay as they are.
struct InterfaceConfig {
  std::optional<bool> enabled{};
  std::optional<std::uint32_t> mtu{};
  // Replaces the interface's static IPv4 addresses (an empty vector removes them).
  std::optional<std::vector<IpAddress>> staticIpv4{};
};

// Thread-safety: like every HAL interface, call from the daemon's main loop only.
// Every method throws HalError on failure; per-interface methods throw HalError for an
// unknown interface name.
class NetworkDevices {
 public:
  virtual ~NetworkDevices() = default;

  // Names of the interfaces present now, sorted.
  [[nodiscard]] virtual std::vector<std::string> interfaces() = 0;
  [[nodiscard]] virtual InterfaceInfo info(std::string_view name) = 0;
  [[nodiscard]] virtual InterfaceCounters counters(std::string_view name) = 0;
  [[nodiscard]] virtual std::vector<IpAddress> ipv4Addresses(std::string_view name) = 0;
  [[nodiscard]] virtual std::vector<IpAddress> ipv6Addresses(std::string_view name) = 0;
  // The resolver's DNS servers in order of preference.
  [[nodiscard]] virtual std::vector<std::string> dnsServers() = 0;

  // Applies a batch for one interface; nothing is changed if a value is refused.
  virtual void configure(std::string_view name, const InterfaceConfig& config) = 0;
  virtual void setDnsServers(const std::vector<std::string>& servers) = 0;
};

// The upstream (WAN) interface of the box, the one that faces the ISP: `configured` (the
// `[wan] interface` setting) when it is not empty, else the first Ethernet interface by
// name, else "" (none). The one rule for every plugin that needs it: the wan plugin's
// Device.IP/WANDevice rows and the pon plugin's binding of a transceiver to the WAN must
// name the same interface. `configured` is returned even if no such interface exists
// (the caller warns): the box may bring it up later. Throws HalError from the backend.
[[nodiscard]] inline std::string upstreamInterface(NetworkDevices& net,
                                                   std::string_view configured) {
  if (!configured.empty()) return std::string(configured);
  for (const auto& name : net.interfaces())  // sorted by the interface contract
    if (net.info(name).kind == InterfaceKind::Ethernet) return name;
  return {};
}

}  // namespace cwmpd::hal
