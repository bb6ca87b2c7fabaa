// The WAN/LAN side of the box from the HAL's network interfaces.
//
// TR-181: Device.Ethernet.Interface (one row per Ethernet-kind interface), Device.IP.Interface
// (every interface except Wi-Fi ones, loopback included with Type "Loopback"), Device.PPP.Interface
// (Ppp-kind interfaces) and Device.DNS.Client. TR-098: WANDevice (the WAN interface), its
// WANConnectionDevice with one WANIPConnection and a WANPPPConnection per PPP interface, and one
// LANDevice holding the other Ethernet interfaces.
//
// Keys given to Host::ensureInstance (other plugins hang objects below these rows and must
// look them up with the same table and key):
//   InternetGatewayDevice.WANDevice.        key = the WAN interface name ([wan] interface,
//                                           default the first Ethernet interface)
//   InternetGatewayDevice.LANDevice.        key = "lan" (the one LAN device)
//   Device.Ethernet/IP/PPP.Interface.       key = the interface name
//   ...IPv4Address. / IPv6Address. / DNS.Client.Server.   key = position in the HAL's list
//
// Live state (status, counters, MAC, LastChange, addresses of read-only rows) comes from
// getters. Configuration is stored by the core: seeded from the HAL with Host::setInitial at
// start, so values the ACS set win over what the box booted with. Applying a change recomputes
// the whole configuration of the interface from the stored values and pushes only what differs
// from the HAL (NetworkDevices::configure); start() does the same so that ACS-set values are
// re-applied after a reboot. An interface is administratively up only when every Enable bound
// to it (link and IP layer, or their TR-098 counterparts) is true.
#include <arpa/inet.h>

#include <algorithm>
#include <cstdint>
#include <cwmpd/hal/hal.hpp>
#include <cwmpd/sdk/config_keys.hpp>
#include <cwmpd/sdk/model_xml.hpp>
#include <cwmpd/sdk/object_snapshot.hpp>
#include <cwmpd/sdk/plugin.hpp>
#include <cwmpd/sdk/root_model.hpp>
#include <cwmpd/sdk/staging.hpp>
#include <cwmpd/sdk/values.hpp>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace cwmpd::sdk;  // the SDK is what a plugin is written in
namespace hal = cwmpd::hal;

// ---------------------------------------------------------------- value helpers

std::string num(std::uint64_t v) { return std::to_string(v); }
// TR-098 counters and TR-181 StatsCounter32 are unsignedInt: they wrap at 2^32.
std::string num32(std::uint64_t v) { return std::to_string(v & 0xFFFFFFFFu); }

std::optional<std::uint32_t> parseIpv4(const std::string& s) {
  in_addr a{};
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) return std::nullopt;
  return ntohl(a.s_addr);
}

std::string formatIpv4(std::uint32_t v) {
  in_addr a{};
  a.s_addr = htonl(v);
  char buf[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

bool isIpAddress(const std::string& s) {
  in6_addr a6{};
  return parseIpv4(s) || inet_pton(AF_INET6, s.c_str(), &a6) == 1;
}

std::uint32_t prefixMask(unsigned prefix) {
  return prefix == 0 ? 0 : prefix >= 32 ? 0xFFFFFFFFu : ~(0xFFFFFFFFu >> prefix);
}

std::string maskText(unsigned prefix) { return formatIpv4(prefixMask(prefix)); }

// A dotted mask with contiguous ones ("255.255.255.0") as a prefix length.
std::optional<std::uint8_t> maskPrefix(const std::string& s) {
  auto m = parseIpv4(s);
  if (!m) return std::nullopt;
  std::uint8_t p = 0;
  while (p < 32 && (*m & (0x80000000u >> p))) ++p;
  if (prefixMask(p) != *m) return std::nullopt;
  return p;
}

[[noreturn]] void refuse(const Change& c, const std::string& why) {
  throw Fault(FaultCode::InvalidParameterValue, c.path() + ": " + why);
}

// ---------------------------------------------------------------- validators

using Check = std::function<void(const Change&)>;

Check onlyValue(std::string allowed, std::string why) {
  return [allowed = std::move(allowed), why = std::move(why)](const Change& c) {
    if (c.value != allowed) refuse(c, why);
  };
}

// For parameters the data model makes writable but this hardware cannot change.
Check unchangeable(std::string why) {
  return [why = std::move(why)](const Change& c) {
    if (c.value != c.oldValue) refuse(c, why);
  };
}

void checkMtu(const Change& c) {
  // RFC 791: every IPv4 link must carry 68-octet datagrams; below that IP cannot work.
  if (std::stoul(c.value) < 68) refuse(c, "must be at least 68 (RFC 791)");
}

void checkUnicastIpv4(const Change& c) {
  auto a = parseIpv4(c.value);
  if (!a || *a == 0 || *a >= 0xE0000000u || (*a >> 24) == 127)
    refuse(c, "not a unicast IPv4 address");
}

void checkIpv4OrEmpty(const Change& c) {
  if (!c.value.empty() && !parseIpv4(c.value)) refuse(c, "not an IPv4 address");
}

void checkMask(const Change& c) {
  if (!maskPrefix(c.value)) refuse(c, "not a contiguous IPv4 subnet mask");
}

void checkMaskOrEmpty(const Change& c) {
  if (!c.value.empty()) checkMask(c);
}

void checkIpList(const Change& c) {
  for (const auto& a : splitList(c.value))
    if (!isIpAddress(a)) refuse(c, "'" + a + "' is not an IP address");
}

void checkIpv4List(const Change& c) {
  for (const auto& a : splitList(c.value))
    if (!parseIpv4(a)) refuse(c, "'" + a + "' is not an IPv4 address");
}

void checkIpAddress(const Change& c) {
  if (!isIpAddress(c.value)) refuse(c, "not an IP address");
}

const char* const kFixedRate = "the link rate cannot be forced on this hardware";
const char* const kFixedDuplex = "the duplex mode cannot be forced on this hardware";
const char* const kKeepEnabled =
    "rows follow the hardware's list; change or replace the address instead of disabling it";

// ---------------------------------------------------------------- counters

// The interface counters and their TR-181 names and widths: the HAL's table.
constexpr auto& kCounters = hal::kInterfaceCounterFields;

// ---------------------------------------------------------------- the plugin

// What of the stored model makes up one interface's configuration (full parameter paths).
struct DeviceConfig {
  std::vector<std::string> enables;  // administratively up when all are true
  std::string mtu;                   // empty: not configured from the model
  struct Address {
    std::string address, mask;
  };
  std::vector<Address> ipv4;  // by position in the HAL's list; later HAL entries are kept
};

class WanPlugin : public cwmpd::sdk::Plugin {
 public:
  void registerModel(Registrar& reg) override {
    host_ = &reg.host();
    reg.definitions(cwmpd_plugin_model_xml);
    forRoot(
        *host_, [&] { registerTr181(reg); }, [&] { registerTr098(reg); });
  }

  void start(Host& host) override {
    host_ = &host;
    auto& net = host.hal().network();
    for (const auto& name : net.interfaces()) infos_[name] = net.info(name);
    wan_ = hal::upstreamInterface(net, host.config("wan", "interface"));
    if (!wan_.empty() && !infos_.count(wan_))
      host.log(LogLevel::Warning, "[wan] interface '" + wan_ + "' does not exist");
    if (host.root() == "Device") {
      startTr181();
    } else {
      startTr098();
    }
    // Push configuration the ACS set earlier (it survives reboots of the box).
    for (const auto& [name, cfg] : config_) {
      try {
        syncDevice(name);
      } catch (const hal::HalError& e) {
        host.log(LogLevel::Warning, std::string("cannot apply stored configuration: ") + e.what());
      }
    }
    try {
      syncDns();
    } catch (const hal::HalError& e) {
      host.log(LogLevel::Warning, std::string("cannot apply stored DNS servers: ") + e.what());
    }
  }

 private:
  // ------------------------------------------------------------ plumbing

  hal::NetworkDevices& net() { return host_->hal().network(); }

  // The interface an instance (or any object below it) belongs to.
  std::optional<std::string> deviceOf(const std::string& objectPath) const {
    std::string p = objectPath;
    while (!p.empty()) {
      if (auto it = owner_.find(p); it != owner_.end()) return it->second;
      // Drop the last "segment." of the path.
      p.pop_back();
      const auto dot = p.rfind('.');
      p = dot == std::string::npos ? std::string() : p.substr(0, dot + 1);
    }
    return std::nullopt;
  }

  std::string dev(const InstanceRef& r) const {
    auto d = deviceOf(r.path);
    if (!d) throw Fault(FaultCode::InternalError, r.path + " has no interface");
    return *d;
  }

  std::size_t position(const std::map<std::string, std::size_t>& index,
                       const InstanceRef& r) const {
    auto it = index.find(r.path);
    if (it == index.end()) throw Fault(FaultCode::InternalError, r.path + " is not a known row");
    return it->second;
  }

  hal::InterfaceInfo info(const std::string& name) {
    auto i = net().info(name);
    track(name, i.status);
    return i;
  }

  // Status history for LastChange/Uptime. A transition is noticed on the first read after
  // it happened; the first observation is dated at boot (uptime 0).
  struct Track {
    hal::OperStatus status = hal::OperStatus::Unknown;
    std::uint64_t since = 0;  // system uptime at the change
  };
  void track(const std::string& name, hal::OperStatus s) {
    auto [it, fresh] = tracks_.try_emplace(name);
    if (fresh) {
      it->second.status = s;
      return;
    }
    if (it->second.status != s) {
      it->second.status = s;
      it->second.since = host_->hal().system().uptimeSeconds();
    }
  }
  std::uint64_t secondsSinceChange(const std::string& name) {
    info(name);
    return secondsSinceTracked(name);
  }
  // Since the change track() last saw (the caller read the status just now).
  std::uint64_t secondsSinceTracked(const std::string& name) {
    const std::uint64_t now = host_->hal().system().uptimeSeconds();
    const std::uint64_t since = tracks_[name].since;
    return now > since ? now - since : 0;
  }
  static std::string lastChangeText(std::uint64_t seconds) {
    return num32(std::min<std::uint64_t>(seconds, 0xFFFFFFFFu));
  }
  std::string lastChange(const std::string& name) {
    return lastChangeText(secondsSinceChange(name));
  }

  // The getters of one object read the HAL once per request (cwmpd/sdk/object_snapshot.hpp):
  // its interface's state (and status history) or its counters.
  struct Iface {
    std::string name;
    hal::InterfaceInfo info;
  };
  std::shared_ptr<ObjectSnapshot<Iface>> iface_ =
      objectSnapshot<Iface>([this](const InstanceRef& r) {
        std::string d = dev(r);
        hal::InterfaceInfo i = info(d);
        return Iface{std::move(d), std::move(i)};
      });
  std::shared_ptr<ObjectSnapshot<hal::InterfaceCounters>> counters_ =
      objectSnapshot<hal::InterfaceCounters>(
          [this](const InstanceRef& r) { return net().counters(dev(r)); });
  template <typename Fn>
  Getter ifaceGetter(Fn fn) {
    return fieldGetter(iface_, std::move(fn), "");
  }
  template <typename Fn>
  Getter counterGetter(Fn fn) {
    return fieldGetter(counters_, std::move(fn), "");
  }
  Getter lastChangeGetter() {
    return ifaceGetter(
        [this](const Iface& i) { return lastChangeText(secondsSinceTracked(i.name)); });
  }
  std::string upSeconds(const std::string& name) {
    auto i = info(name);
    if (i.status != hal::OperStatus::Up) return "0";
    return lastChange(name);
  }

  std::string firstIpv4(const std::string& name, bool mask) {
    auto v4 = net().ipv4Addresses(name);
    if (v4.empty()) return {};
    return mask ? maskText(v4[0].prefixLength) : v4[0].address;
  }

  // Every writable parameter of `pattern` is checked by `checks` (by parameter name) and any
  // accepted change is pushed to the HAL by recomputing the interfaces it touches.
  void bindConfig(Registrar& reg, const std::string& pattern, std::map<std::string, Check> checks,
                  std::optional<std::pair<std::string, std::string>> addressPair = std::nullopt) {
    reg.object(pattern)
        .validate([this, checks = std::move(checks),
                   addressPair = std::move(addressPair)](const std::vector<Change>& cs) {
          for (const auto& c : cs)
            if (auto it = checks.find(c.parameter); it != checks.end()) it->second(c);
          if (addressPair) checkAddressPair(cs, addressPair->first, addressPair->second);
        })
        .apply([this](const std::vector<Change>& cs) { applyChanges(cs); })
        .onAdd([](const InstanceRef& r) {
          throw Fault(FaultCode::RequestDenied,
                      r.path + ": the rows of this table follow the hardware");
        })
        .onDelete([](const InstanceRef& r) {
          throw Fault(FaultCode::RequestDenied,
                      r.path + ": the rows of this table follow the hardware");
        });
  }

  // An address needs a mask: refuse a set that would leave one of them empty.
  void checkAddressPair(const std::vector<Change>& cs, const std::string& addr,
                        const std::string& mask) {
    std::set<std::string> objects;
    for (const auto& c : cs) objects.insert(c.object);
    for (const auto& o : objects) {
      std::string a = host_->value(o + addr), m = host_->value(o + mask);
      const Change* last = nullptr;
      for (const auto& c : cs) {
        if (c.object != o) continue;
        if (c.parameter == addr) a = c.value;
        if (c.parameter == mask) m = c.value;
        last = &c;
      }
      if (last && a.empty() != m.empty())
        refuse(*last, "an address needs a subnet mask and vice versa");
    }
  }

  // One batch is all-or-nothing on the hardware too: when an interface refuses its part,
  // those already changed in this batch get their previous settings back.
  void applyChanges(const std::vector<Change>& cs) {
    std::set<std::string> devices;
    bool dns = false;
    for (const auto& c : cs) {
      if (dnsObjects_.count(c.object)) dns = true;
      if (auto d = deviceOf(c.object)) devices.insert(*d);
    }
    std::vector<std::pair<std::string, hal::InterfaceConfig>> undo;
    try {
      for (const auto& d : devices)
        if (auto before = syncDevice(d)) undo.emplace_back(d, std::move(*before));
      if (dns) syncDns();
    } catch (const hal::HalError& e) {
      for (auto it = undo.rbegin(); it != undo.rend(); ++it) {
        try {
          net().configure(it->first, it->second);
        } catch (const hal::HalError& again) {
          host_->log(LogLevel::Error,
                     std::string("cannot restore ") + it->first + ": " + again.what());
        }
      }
      throw Fault(FaultCode::InvalidParameterValue, e.what());
    }
  }

  // Makes the interface match the stored model; only what differs is sent to the HAL.
  // Returns the previous settings of what it changed (nothing when nothing changed).
  std::optional<hal::InterfaceConfig> syncDevice(const std::string& name) {
    auto it = config_.find(name);
    if (it == config_.end()) return std::nullopt;
    const DeviceConfig& cfg = it->second;
    const auto cur = net().info(name);
    hal::InterfaceConfig change, before;
    if (!cfg.enables.empty()) {
      bool on = std::all_of(cfg.enables.begin(), cfg.enables.end(),
                            [&](const std::string& p) { return host_->value(p) == "true"; });
      if (on != cur.enabled) {
        change.enabled = on;
        before.enabled = cur.enabled;
      }
    }
    if (!cfg.mtu.empty()) {
      auto mtu = static_cast<std::uint32_t>(std::stoul(host_->value(cfg.mtu)));
      if (mtu != modelMtu(cur.mtu)) {
        change.mtu = mtu;
        before.mtu = cur.mtu;
      }
    }
    if (!cfg.ipv4.empty()) {
      const auto now = net().ipv4Addresses(name);
      std::vector<hal::IpAddress> want;
      for (const auto& ip : cfg.ipv4) {
        const std::string a = host_->value(ip.address);
        if (a.empty()) continue;
        want.push_back({a, maskPrefix(host_->value(ip.mask)).value_or(32)});
      }
      for (std::size_t i = cfg.ipv4.size(); i < now.size(); ++i) want.push_back(now[i]);
      if (want != now) {
        change.staticIpv4 = want;
        before.staticIpv4 = now;
      }
    }
    if (!change.enabled && !change.mtu && !change.staticIpv4) return std::nullopt;
    net().configure(name, change);
    return before;
  }

  void syncDns() {
    if (dnsSources_.empty()) return;
    std::vector<std::string> want;
    for (const auto& p : dnsSources_)
      for (auto& s : splitList(host_->value(p)))
        if (std::find(want.begin(), want.end(), s) == want.end()) want.push_back(std::move(s));
    if (want != net().dnsServers()) net().setDnsServers(want);
  }

  // A value the data model refuses (an odd interface) costs that value only, not the start.
  void seed(const std::string& path, const std::string& value) {
    try {
      host_->setInitial(path, value);
    } catch (const Fault& f) {
      host_->log(LogLevel::Warning, f.what());
    }
  }

  // MaxMTUSize/MaxMRUSize stop at 65535; Linux loopback has 65536.
  static std::uint32_t modelMtu(std::uint32_t mtu) { return std::min<std::uint32_t>(mtu, 65535); }

  std::string row(const std::string& table, const std::string& key) {
    return table + std::to_string(host_->ensureInstance(table, key)) + ".";
  }

  // Registers the counters of `names` on `pattern`; `prefix` is prepended to the names
  // (TR-098 "Ethernet"); `all32` makes every counter wrap at 2^32.
  void bindCounters(Registrar& reg, const std::string& pattern,
                    const std::vector<std::string>& names, const std::string& prefix, bool all32) {
    auto& b = reg.object(pattern);
    for (const auto& f : kCounters) {
      if (std::find(names.begin(), names.end(), f.name) == names.end()) continue;
      const bool wide = f.wide && !all32;
      b.get(prefix + f.name,
            counterGetter([member = f.member, wide](const hal::InterfaceCounters& c) {
              const std::uint64_t v = c.*member;
              return wide ? num(v) : num32(v);
            }));
    }
  }

  static std::vector<std::string> allCounters() {
    std::vector<std::string> v;
    for (const auto& f : kCounters) v.emplace_back(f.name);
    return v;
  }

  // ------------------------------------------------------------ TR-181

  void registerTr181(Registrar& reg) {
    const std::string eth = "Device.Ethernet.Interface.{i}.";
    reg.object(eth)
        .get("Status", ifaceGetter([](const Iface& i) { return toString(i.info.status); }))
        .get("Name", [this](const InstanceRef& r) { return dev(r); })
        .get("LastChange", lastChangeGetter())
        .get("Upstream", [this](const InstanceRef& r) { return boolText(dev(r) == wan_); })
        .get("MACAddress", ifaceGetter([](const Iface& i) { return i.info.mac; }))
        .get("CurrentBitRate",
             ifaceGetter([](const Iface& i) { return num(i.info.speedMbps.value_or(0)); }));
    bindConfig(reg, eth,
               {{"MaxBitRate", onlyValue("-1", kFixedRate)},
                {"DuplexMode", onlyValue("Auto", kFixedDuplex)}});
    bindCounters(reg, eth + "Stats.", allCounters(), "", false);

    const std::string ppp = "Device.PPP.Interface.{i}.";
    reg.object(ppp)
        .get("Status", ifaceGetter([](const Iface& i) { return toString(i.info.status); }))
        .get("Name", [this](const InstanceRef& r) { return dev(r); })
        .get("LastChange", lastChangeGetter())
        .get("ConnectionStatus",
             ifaceGetter([](const Iface& i) { return pppConnectionStatus(i.info); }));
    bindConfig(reg, ppp, {{"MaxMRUSize", checkMtu}});
    reg.object(ppp + "IPCP.")
        .get("LocalIPAddress", [this](const InstanceRef& r) { return firstIpv4(dev(r), false); })
        .get("RemoteIPAddress", [](const InstanceRef&) { return std::string(); })
        .get("DNSServers", [this](const InstanceRef&) {
          std::vector<std::string> v4;
          for (const auto& s : net().dnsServers())
            if (parseIpv4(s)) v4.push_back(s);
          return joinList(v4);
        });
    bindCounters(reg, ppp + "Stats.",
                 {"BytesSent", "BytesReceived", "PacketsSent", "PacketsReceived", "ErrorsSent",
                  "ErrorsReceived", "DiscardPacketsSent", "DiscardPacketsReceived"},
                 "", false);

    const std::string ip = "Device.IP.Interface.{i}.";
    reg.object(ip)
        .get("Status", ifaceGetter([](const Iface& i) { return toString(i.info.status); }))
        .get("Name", [this](const InstanceRef& r) { return dev(r); })
        .get("LastChange", lastChangeGetter());
    bindConfig(reg, ip, {{"MaxMTUSize", checkMtu}});
    bindCounters(reg, ip + "Stats.", allCounters(), "", false);

    reg.object(ip + "IPv4Address.{i}.").get("Status", [](const InstanceRef&) {
      return std::string("Enabled");  // rows exist only for addresses the interface holds
    });
    bindConfig(reg, ip + "IPv4Address.{i}.",
               {{"Enable", onlyValue("true", kKeepEnabled)},
                {"IPAddress", checkUnicastIpv4},
                {"SubnetMask", checkMask}},
               std::make_pair(std::string("IPAddress"), std::string("SubnetMask")));

    const std::string v6 = ip + "IPv6Address.{i}.";
    reg.object(v6)
        .get("Status", [](const InstanceRef&) { return std::string("Enabled"); })
        .get("IPAddressStatus", [](const InstanceRef&) { return std::string("Preferred"); })
        .get("IPAddress", [this](const InstanceRef& r) {
          auto list = net().ipv6Addresses(dev(r));
          const std::size_t i = position(v6Index_, r);
          return i < list.size() ? list[i].address : std::string();
        });
    const char* v6why = "IPv6 addresses are not configurable on this device";
    bindConfig(reg, v6,
               {{"Enable", onlyValue("true", kKeepEnabled)},
                {"IPAddress", unchangeable(v6why)},
                {"Prefix", unchangeable(v6why)}});

    reg.object("Device.DNS.Client.").get("Status", [this](const InstanceRef&) {
      return std::string(host_->value("Device.DNS.Client.Enable") == "true" ? "Enabled"
                                                                            : "Disabled");
    });
    bindConfig(reg, "Device.DNS.Client.",
               {{"Enable", onlyValue("true", "the resolver cannot be turned off")}});
    reg.object("Device.DNS.Client.Server.{i}.").get("Status", [](const InstanceRef&) {
      return std::string("Enabled");
    });
    bindConfig(reg, "Device.DNS.Client.Server.{i}.",
               {{"Enable", onlyValue("true", kKeepEnabled)}, {"DNSServer", checkIpAddress}});
  }

  std::string pppConnectionStatus(const std::string& name) {
    return pppConnectionStatus(info(name));
  }
  static std::string pppConnectionStatus(const hal::InterfaceInfo& i) {
    if (!i.enabled) return "Disconnected";
    return i.status == hal::OperStatus::Up ? "Connected" : "Connecting";
  }

  void startTr181() {
    std::map<std::string, std::string> lower;  // interface -> its link layer row
    for (const auto& [name, i] : infos_) {
      if (i.kind == hal::InterfaceKind::Ethernet) {
        const std::string p = row("Device.Ethernet.Interface.", name);
        owner_[p] = name;
        seed(p + "Enable", boolText(i.enabled));
        seed(p + "MaxBitRate", "-1");
        seed(p + "DuplexMode", "Auto");
        config_[name].enables.push_back(p + "Enable");
        lower[name] = p.substr(0, p.size() - 1);
        linkOptics(name, p);
      } else if (i.kind == hal::InterfaceKind::Ppp) {
        const std::string p = row("Device.PPP.Interface.", name);
        owner_[p] = name;
        seed(p + "Enable", boolText(i.enabled));
        // The MRU is negotiated by the PPP daemon: stored for the ACS, not pushed.
        seed(p + "MaxMRUSize", num(modelMtu(i.mtu)));
        config_[name].enables.push_back(p + "Enable");
        lower[name] = p.substr(0, p.size() - 1);
      }
    }
    std::string wanIp;
    for (const auto& [name, i] : infos_) {
      if (i.kind == hal::InterfaceKind::WiFi) continue;  // Wi-Fi carries IP through a bridge
      const std::string p = row("Device.IP.Interface.", name);
      if (name == wan_) wanIp = p.substr(0, p.size() - 1);
      owner_[p] = name;
      DeviceConfig& cfg = config_[name];
      seed(p + "Enable", boolText(i.enabled));
      seed(p + "IPv4Enable", "true");
      seed(p + "IPv6Enable", "true");
      seed(p + "MaxMTUSize", num(modelMtu(i.mtu)));
      if (auto l = lower.find(name); l != lower.end()) seed(p + "LowerLayers", l->second);
      if (i.kind == hal::InterfaceKind::Loopback) host_->update(p + "Type", "Loopback");
      cfg.enables.push_back(p + "Enable");
      cfg.mtu = p + "MaxMTUSize";
      const auto v4 = net().ipv4Addresses(name);
      for (std::size_t k = 0; k < v4.size(); ++k) {
        const std::string a = row(p + "IPv4Address.", std::to_string(k));
        seed(a + "Enable", "true");
        seed(a + "IPAddress", v4[k].address);
        seed(a + "SubnetMask", maskText(v4[k].prefixLength));
        cfg.ipv4.push_back({a + "IPAddress", a + "SubnetMask"});
      }
      const auto v6 = net().ipv6Addresses(name);
      for (std::size_t k = 0; k < v6.size(); ++k) {
        const std::string a = row(p + "IPv6Address.", std::to_string(k));
        v6Index_[a] = k;
        seed(a + "Enable", "true");
        // fe80::/10 is formed by the kernel from the MAC (RFC 4862).
        const bool linkLocal =
            v6[k].address.rfind("fe8", 0) == 0 || v6[k].address.rfind("fe9", 0) == 0 ||
            v6[k].address.rfind("fea", 0) == 0 || v6[k].address.rfind("feb", 0) == 0;
        host_->update(a + "Origin", linkLocal ? "AutoConfigured" : "Static");
      }
    }
    seed("Device.DNS.Client.Enable", "true");
    const auto servers = net().dnsServers();
    for (std::size_t k = 0; k < servers.size(); ++k) {
      const std::string s = row("Device.DNS.Client.Server.", std::to_string(k));
      dnsObjects_.insert(s);
      dnsSources_.push_back(s + "DNSServer");
      seed(s + "Enable", "true");
      seed(s + "DNSServer", servers[k]);
      if (!wanIp.empty()) seed(s + "Interface", wanIp);
    }
  }

  // Ethernet.Interface.LowerLayers names the optical interface that feeds it, when the pon
  // plugin serves Device.Optical (same table and key as pon uses: the transceiver name).
  void linkOptics(const std::string& name, const std::string& ethRow) {
    std::vector<std::string> optical;
    try {
      auto& optics = host_->hal().optics();
      for (const auto& t : optics.transceivers())
        if (optics.status(t).netdev == name)
          optical.push_back("Device.Optical.Interface." +
                            std::to_string(host_->ensureInstance("Device.Optical.Interface.", t)));
    } catch (const Fault&) {
      return;  // no pon plugin: Device.Optical is not in the tree
    } catch (const hal::HalError& e) {
      host_->log(LogLevel::Warning, std::string("transceivers: ") + e.what());
      return;
    }
    if (!optical.empty()) seed(ethRow + "LowerLayers", joinList(optical));
  }

  // ------------------------------------------------------------ TR-098

  static std::string ethStatus098(const hal::InterfaceInfo& i) {
    if (!i.enabled) return "Disabled";
    return i.status == hal::OperStatus::Up ? "Up" : "NoLink";
  }

  std::string connectionStatus098(const std::string& name) {
    auto i = info(name);
    return i.enabled && i.status == hal::OperStatus::Up ? "Connected" : "Disconnected";
  }

  void registerTr098(Registrar& reg) {
    const std::string igd = "InternetGatewayDevice.";
    const std::string wd = igd + "WANDevice.{i}.";
    const std::string fixedMac = "the MAC address cannot be changed";
    const std::string fixedPpp = "assigned by the PPP peer";

    reg.object(wd + "WANCommonInterfaceConfig.")
        .get("WANAccessType", [](const InstanceRef&) { return std::string("Ethernet"); })
        .get("Layer1UpstreamMaxBitRate",
             [this](const InstanceRef& r) { return layer1Rate(dev(r)); })
        .get("Layer1DownstreamMaxBitRate",
             [this](const InstanceRef& r) { return layer1Rate(dev(r)); })
        .get("PhysicalLinkStatus",
             [this](const InstanceRef& r) {
               return std::string(info(dev(r)).status == hal::OperStatus::Up ? "Up" : "Down");
             })
        .get("TotalBytesSent",
             counterGetter([](const hal::InterfaceCounters& c) { return num32(c.bytesSent); }))
        .get("TotalBytesReceived",
             counterGetter([](const hal::InterfaceCounters& c) { return num32(c.bytesReceived); }))
        .get("TotalPacketsSent",
             counterGetter([](const hal::InterfaceCounters& c) { return num32(c.packetsSent); }))
        .get("TotalPacketsReceived", counterGetter([](const hal::InterfaceCounters& c) {
               return num32(c.packetsReceived);
             }));

    const std::string wec = wd + "WANEthernetInterfaceConfig.";
    reg.object(wec)
        .get("Status", [this](const InstanceRef& r) { return ethStatus098(info(dev(r))); })
        .get("MACAddress", [this](const InstanceRef& r) { return info(dev(r)).mac; });
    bindConfig(reg, wec,
               {{"MaxBitRate", onlyValue("Auto", kFixedRate)},
                {"DuplexMode", onlyValue("Auto", kFixedDuplex)}});
    bindCounters(reg, wec + "Stats.",
                 {"BytesSent", "BytesReceived", "PacketsSent", "PacketsReceived"}, "", true);

    const std::string cd = wd + "WANConnectionDevice.{i}.";
    bindConfig(reg, cd, {});
    const std::string ipc = cd + "WANIPConnection.{i}.";
    reg.object(ipc)
        .get("ConnectionStatus",
             [this](const InstanceRef& r) { return connectionStatus098(dev(r)); })
        .get("Uptime", [this](const InstanceRef& r) { return upSeconds(dev(r)); })
        .get("MACAddress", [this](const InstanceRef& r) { return info(dev(r)).mac; });
    bindConfig(reg, ipc,
               {{"ConnectionType", onlyValue("IP_Routed", "only routed connections are supported")},
                {"ExternalIPAddress",
                 [](const Change& c) {
                   if (!c.value.empty()) checkUnicastIpv4(c);
                 }},
                {"SubnetMask", checkMaskOrEmpty},
                {"DefaultGateway", checkIpv4OrEmpty},
                {"DNSServers", checkIpList},
                {"MACAddress", unchangeable(fixedMac)}},
               std::make_pair(std::string("ExternalIPAddress"), std::string("SubnetMask")));
    bindCounters(reg, ipc + "Stats.", allCounters(), "Ethernet", true);

    const std::string pppc = cd + "WANPPPConnection.{i}.";
    reg.object(pppc)
        .get("ConnectionStatus",
             [this](const InstanceRef& r) { return pppConnectionStatus(dev(r)); })
        .get("Uptime", [this](const InstanceRef& r) { return upSeconds(dev(r)); })
        .get("ExternalIPAddress", [this](const InstanceRef& r) { return firstIpv4(dev(r), false); })
        .get("DNSServers", [this](const InstanceRef&) { return joinList(net().dnsServers()); })
        .get("MACAddress", [this](const InstanceRef& r) { return info(dev(r)).mac; });
    bindConfig(reg, pppc,
               {{"ConnectionType", onlyValue("IP_Routed", "only routed connections are supported")},
                {"ExternalIPAddress", unchangeable(fixedPpp)},
                {"DNSServers", unchangeable(fixedPpp)},
                {"MACAddress", unchangeable(fixedMac)}});

    const std::string ld = igd + "LANDevice.{i}.";
    bindConfig(reg, ld, {});
    bindConfig(reg, ld + "LANHostConfigManagement.",
               {{"MinAddress", checkIpv4OrEmpty},
                {"MaxAddress", checkIpv4OrEmpty},
                {"SubnetMask", checkMaskOrEmpty},
                {"DNSServers", checkIpv4List},
                {"IPRouters", checkIpv4List}});
    bindConfig(
        reg, ld + "LANHostConfigManagement.IPInterface.{i}.",
        {{"Enable", onlyValue("true", kKeepEnabled)},
         {"IPInterfaceIPAddress", checkUnicastIpv4},
         {"IPInterfaceSubnetMask", checkMask},
         {"IPInterfaceAddressingType",
          onlyValue("Static", "only static LAN addresses are supported")}},
        std::make_pair(std::string("IPInterfaceIPAddress"), std::string("IPInterfaceSubnetMask")));
    const std::string lec = ld + "LANEthernetInterfaceConfig.{i}.";
    reg.object(lec)
        .get("Status", [this](const InstanceRef& r) { return ethStatus098(info(dev(r))); })
        .get("Name", [this](const InstanceRef& r) { return dev(r); })
        .get("MACAddress", [this](const InstanceRef& r) { return info(dev(r)).mac; });
    bindConfig(reg, lec,
               {{"MaxBitRate", onlyValue("Auto", kFixedRate)},
                {"DuplexMode", onlyValue("Auto", kFixedDuplex)}});
    bindCounters(reg, lec + "Stats.", allCounters(), "", true);
  }

  // TR-098 Layer1*MaxBitRate are in bits per second (unsignedInt, saturating).
  std::string layer1Rate(const std::string& name) {
    const std::uint64_t bps = std::uint64_t{info(name).speedMbps.value_or(0)} * 1000000u;
    return num(std::min<std::uint64_t>(bps, std::numeric_limits<std::uint32_t>::max()));
  }

  void startTr098() {
    const std::string igd = "InternetGatewayDevice.";
    if (!wan_.empty() && infos_.count(wan_)) {
      const auto& w = infos_[wan_];
      const std::string wd = row(igd + "WANDevice.", wan_);
      owner_[wd] = wan_;
      DeviceConfig& cfg = config_[wan_];
      seed(wd + "WANCommonInterfaceConfig.EnabledForInternet", "true");
      const std::string wec = wd + "WANEthernetInterfaceConfig.";
      seed(wec + "Enable", boolText(w.enabled));
      seed(wec + "MaxBitRate", "Auto");
      seed(wec + "DuplexMode", "Auto");
      cfg.enables.push_back(wec + "Enable");

      const std::string cd = row(wd + "WANConnectionDevice.", wan_);
      const std::string ipc = row(cd + "WANIPConnection.", wan_);
      owner_[ipc] = wan_;
      seed(ipc + "Enable", boolText(w.enabled));
      seed(ipc + "ConnectionType", "IP_Routed");
      host_->update(ipc + "PossibleConnectionTypes", "IP_Routed");
      seed(ipc + "Name", wan_);
      seed(ipc + "NATEnabled", "true");
      seed(ipc + "AddressingType", "Static");
      seed(ipc + "ExternalIPAddress", firstIpv4(wan_, false));
      seed(ipc + "SubnetMask", firstIpv4(wan_, true));
      seed(ipc + "DNSServers", joinList(net().dnsServers()));
      cfg.enables.push_back(ipc + "Enable");
      cfg.ipv4.push_back({ipc + "ExternalIPAddress", ipc + "SubnetMask"});
      dnsObjects_.insert(ipc);
      dnsSources_.push_back(ipc + "DNSServers");

      for (const auto& [name, i] : infos_) {
        if (i.kind != hal::InterfaceKind::Ppp) continue;
        const std::string p = row(cd + "WANPPPConnection.", name);
        owner_[p] = name;
        seed(p + "Enable", boolText(i.enabled));
        seed(p + "ConnectionType", "IP_Routed");
        seed(p + "Name", name);
        config_[name].enables.push_back(p + "Enable");
      }
    }

    const std::string ld = row(igd + "LANDevice.", "lan");
    bool hostConfigSeeded = false;
    for (const auto& [name, i] : infos_) {
      if (i.kind != hal::InterfaceKind::Ethernet || name == wan_) continue;
      const std::string e = row(ld + "LANEthernetInterfaceConfig.", name);
      owner_[e] = name;
      seed(e + "Enable", boolText(i.enabled));
      seed(e + "MaxBitRate", "Auto");
      seed(e + "DuplexMode", "Auto");
      config_[name].enables.push_back(e + "Enable");
      const auto v4 = net().ipv4Addresses(name);
      if (v4.empty()) continue;
      const std::string ipi = row(ld + "LANHostConfigManagement.IPInterface.", name);
      owner_[ipi] = name;
      seed(ipi + "Enable", "true");
      seed(ipi + "IPInterfaceIPAddress", v4[0].address);
      seed(ipi + "IPInterfaceSubnetMask", maskText(v4[0].prefixLength));
      seed(ipi + "IPInterfaceAddressingType", "Static");
      config_[name].ipv4.push_back({ipi + "IPInterfaceIPAddress", ipi + "IPInterfaceSubnetMask"});
      if (!hostConfigSeeded) {
        hostConfigSeeded = true;
        seedHostConfig(ld + "LANHostConfigManagement.", v4[0]);
      }
    }
  }

  // First-boot DHCP pool of the LAN: the rest of the LAN subnet above the box's address, the
  // box as router and DNS proxy. Stored by the core only: this HAL has no DHCP server.
  void seedHostConfig(const std::string& hc, const hal::IpAddress& lan) {
    auto addr = parseIpv4(lan.address);
    if (!addr || lan.prefixLength > 30) return;
    const std::uint32_t mask = prefixMask(lan.prefixLength);
    const std::uint32_t network = *addr & mask, broadcast = network | ~mask;
    const std::uint32_t first = *addr + 1 < broadcast ? *addr + 1 : network + 1;
    seed(hc + "SubnetMask", formatIpv4(mask));
    seed(hc + "MinAddress", formatIpv4(first));
    seed(hc + "MaxAddress", formatIpv4(broadcast - 1));
    seed(hc + "IPRouters", lan.address);
    seed(hc + "DNSServers", lan.address);
  }

  Host* host_ = nullptr;
  std::string wan_;
  std::map<std::string, hal::InterfaceInfo> infos_;  // as seen at start
  std::map<std::string, std::string> owner_;         // instance path -> interface name
  std::map<std::string, DeviceConfig> config_;       // interface name -> its stored config
  std::map<std::string, std::size_t> v6Index_;       // IPv6Address row -> HAL list position
  std::set<std::string> dnsObjects_;                 // instances whose changes move DNS servers
  std::vector<std::string> dnsSources_;              // parameters listing the DNS servers
  std::map<std::string, Track> tracks_;
};

}  // namespace

CWMPD_PLUGIN(WanPlugin, "wan", "1.0")

// The config keys this plugin reads (Host::config): any other key is a config error.
CWMPD_PLUGIN_CONFIG_KEYS({"wan", "interface", cwmpd::sdk::ConfigType::String})
