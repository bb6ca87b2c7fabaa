// The wan plugin (the real .so) in a real engine on the sim HAL, under both roots.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "harness/counting_hal.hpp"
#include "harness/plugin_harness.hpp"
#include "plugins_wan/sim_state_dir.hpp"

namespace {

namespace fs = std::filesystem;
using cwmpd::core::SetFault;
using cwmpd::sdk::Source;
using cwmpd::testing::PluginHarness;

std::string readFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

void writeFile(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

// A private state dir with helpers for the sim interface folders.
class StateDir : public cwmpd::testing::SimStateDir {
 public:
  fs::path net(const std::string& ifname) const { return sim() / "net" / ifname; }
};

// Adds a simulated PPP interface (sim layout of hal/README.md).
void addPpp(const StateDir& s) {
  const fs::path d = s.net("ppp0");
  writeFile(d / "kind", "ppp\n");
  writeFile(d / "address", "\n");
  writeFile(d / "mtu", "1492\n");
  writeFile(d / "operstate", "up\n");
  writeFile(d / "enabled", "1\n");
  writeFile(d / "speed", "-1\n");
  writeFile(d / "duplex", "unknown\n");
  writeFile(d / "ipv4", "203.0.113.9/32\n");
  writeFile(d / "ipv6", "");
  for (const char* c : {"rx_bytes", "tx_bytes", "rx_packets", "tx_packets", "rx_errors",
                        "tx_errors", "rx_dropped", "tx_dropped", "multicast"})
    writeFile(d / "statistics" / c, std::string(c) == "rx_bytes" ? "4242\n" : "0\n");
}

// The instance of `table` whose `param` equals `value`, as "table.N." (empty if none).
std::string findRow(PluginHarness& h, const std::string& table, const std::string& param,
                    const std::string& value) {
  for (const auto& pv : h.engine->getValues({table})) {
    const std::string suffix = "." + param;
    if (pv.name.size() > suffix.size() &&
        pv.name.compare(pv.name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        pv.value == value) {
      const std::string rest = pv.name.substr(table.size());
      if (rest.find('.') == rest.size() - suffix.size())
        return pv.name.substr(0, pv.name.size() - param.size());
    }
  }
  return {};
}

// ------------------------------------------------------------------ TR-181

TEST(WanPluginDevice, EthernetInterfacesMirrorTheSimInterfaces) {
  PluginHarness h("Device", {"wan"});
  const fs::path net = fs::path(h.dir) / "sim" / "net";
  EXPECT_EQ(h.value("Device.Ethernet.InterfaceNumberOfEntries"), "4");
  for (const char* name : {"eth0", "eth1", "eth2", "eth3"}) {
    const std::string row = findRow(h, "Device.Ethernet.Interface.", "Name", name);
    ASSERT_FALSE(row.empty()) << name;
    EXPECT_EQ(h.value(row + "MACAddress"), readFile(net / name / "address"));
    EXPECT_EQ(h.value(row + "Status"), readFile(net / name / "operstate") == "up" ? "Up" : "Down");
    EXPECT_EQ(h.value(row + "Enable"), readFile(net / name / "enabled") == "1" ? "true" : "false");
    EXPECT_EQ(h.value(row + "Stats.BytesSent"), readFile(net / name / "statistics" / "tx_bytes"));
    EXPECT_EQ(h.value(row + "Stats.BytesReceived"),
              readFile(net / name / "statistics" / "rx_bytes"));
    EXPECT_EQ(h.value(row + "Upstream"), std::string(name) == "eth0" ? "true" : "false");
  }
}

TEST(WanPluginDevice, CountersAndStatusAreReadLiveFromTheHal) {
  PluginHarness h("Device", {"wan"});
  const fs::path eth0 = fs::path(h.dir) / "sim" / "net" / "eth0";
  const std::string row = findRow(h, "Device.Ethernet.Interface.", "Name", "eth0");
  writeFile(eth0 / "statistics" / "tx_bytes", "123456789012\n");
  writeFile(eth0 / "operstate", "lowerlayerdown\n");
  EXPECT_EQ(h.value(row + "Stats.BytesSent"), "123456789012");
  EXPECT_EQ(h.value(row + "Status"), "LowerLayerDown");
  // ErrorsSent is a 32-bit counter in TR-181: it wraps.
  writeFile(eth0 / "statistics" / "tx_errors", "4294967301\n");
  EXPECT_EQ(h.value(row + "Stats.ErrorsSent"), "5");
}

// The getters of one object read the HAL once per request (cwmpd/sdk/object_snapshot.hpp):
// the 15 counters of an interface's Stats. are one counters read, its Status, LastChange,
// MACAddress and CurrentBitRate one state read; the next request reads again.
TEST(WanPluginDevice, TheGettersOfOneObjectReadTheInterfaceOncePerRequest) {
  cwmpd::testing::CountingHal* hal = nullptr;
  PluginHarness h("Device", {"wan"}, {}, {}, cwmpd::testing::countingHal(hal));
  const fs::path eth0 = fs::path(h.dir) / "sim" / "net" / "eth0";
  const std::string row = findRow(h, "Device.Ethernet.Interface.", "Name", "eth0");
  ASSERT_FALSE(row.empty());
  hal->reset();
  const auto stats = h.engine->getValues({row + "Stats."});
  EXPECT_EQ(stats.size(), 15u);
  EXPECT_EQ(hal->reads("counters/eth0"), 1);
  EXPECT_EQ(hal->readsOf("counters/"), 1);
  for (const auto& pv : stats)
    if (pv.name == row + "Stats.BytesReceived") {
      EXPECT_EQ(pv.value, readFile(eth0 / "statistics" / "rx_bytes"));
    }

  hal->reset();
  const auto v = h.engine->getValues(
      {row + "Status", row + "LastChange", row + "MACAddress", row + "CurrentBitRate"});
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0].value, readFile(eth0 / "operstate") == "up" ? "Up" : "Down");
  EXPECT_EQ(v[2].value, readFile(eth0 / "address"));
  EXPECT_EQ(hal->reads("info/eth0"), 1);

  writeFile(eth0 / "statistics" / "rx_bytes", "777\n");
  EXPECT_EQ(h.value(row + "Stats.BytesReceived"), "777");
  EXPECT_EQ(hal->reads("counters/eth0"), 1) << "another request reads the counters again";
}

TEST(WanPluginDevice, IpInterfacesCarryAddressesAndPointAtTheirLinkLayer) {
  PluginHarness h("Device", {"wan"});
  const std::string eth = findRow(h, "Device.Ethernet.Interface.", "Name", "eth0");
  const std::string ip = findRow(h, "Device.IP.Interface.", "Name", "eth0");
  ASSERT_FALSE(ip.empty());
  EXPECT_EQ(h.value(ip + "LowerLayers") + ".", eth);
  EXPECT_EQ(h.value(ip + "MaxMTUSize"), "1500");
  EXPECT_EQ(h.value(ip + "IPv4AddressNumberOfEntries"), "1");
  EXPECT_EQ(h.value(ip + "IPv4Address.1.IPAddress"), "198.51.100.23");
  EXPECT_EQ(h.value(ip + "IPv4Address.1.SubnetMask"), "255.255.255.0");
  EXPECT_EQ(h.value(ip + "IPv6AddressNumberOfEntries"), "2");
  EXPECT_EQ(h.value(ip + "IPv6Address.1.IPAddress"), "2001:db8:100::23");
  EXPECT_EQ(h.value(ip + "IPv6Address.1.Origin"), "Static");
  EXPECT_EQ(h.value(ip + "IPv6Address.2.Origin"), "AutoConfigured");
  const std::string lan = findRow(h, "Device.IP.Interface.", "Name", "eth1");
  EXPECT_EQ(h.value(lan + "IPv4Address.1.IPAddress"), "192.168.1.1");
  EXPECT_EQ(h.value(ip + "Stats.PacketsReceived"),
            readFile(fs::path(h.dir) / "sim/net/eth0/statistics/rx_packets"));
}

TEST(WanPluginDevice, DnsServersComeFromTheResolverAndCanBeReplaced) {
  PluginHarness h("Device", {"wan"});
  EXPECT_EQ(h.value("Device.DNS.Client.ServerNumberOfEntries"), "2");
  EXPECT_EQ(h.value("Device.DNS.Client.Server.1.DNSServer"), "192.0.2.53");
  EXPECT_EQ(h.value("Device.DNS.Client.Server.2.DNSServer"), "2001:db8::53");
  EXPECT_EQ(h.value("Device.DNS.Client.Status"), "Enabled");
  h.engine->setValues({{"Device.DNS.Client.Server.1.DNSServer", "198.51.100.53"}}, Source::Acs);
  const std::string resolv = readFile(fs::path(h.dir) / "sim" / "resolv.conf");
  EXPECT_NE(resolv.find("nameserver 198.51.100.53"), std::string::npos) << resolv;
  EXPECT_EQ(resolv.find("192.0.2.53"), std::string::npos) << resolv;
  EXPECT_EQ(h.setFaultCode("Device.DNS.Client.Server.1.DNSServer", "not-an-address"), 9007);
}

TEST(WanPluginDevice, EnableAndMtuAreAppliedToTheInterface) {
  PluginHarness h("Device", {"wan"});
  const fs::path eth1 = fs::path(h.dir) / "sim" / "net" / "eth1";
  const std::string ip = findRow(h, "Device.IP.Interface.", "Name", "eth1");
  h.engine->setValues({{ip + "MaxMTUSize", "1400"}}, Source::Acs);
  EXPECT_EQ(readFile(eth1 / "mtu"), "1400");
  EXPECT_EQ(h.value(ip + "MaxMTUSize"), "1400");
  h.engine->setValues({{ip + "Enable", "false"}}, Source::Acs);
  EXPECT_EQ(readFile(eth1 / "enabled"), "0");
  EXPECT_EQ(h.value(ip + "Status"), "Down");
  h.engine->setValues({{ip + "Enable", "true"}}, Source::Acs);
  EXPECT_EQ(readFile(eth1 / "enabled"), "1");
  // The link layer's Enable also gates the interface.
  const std::string eth = findRow(h, "Device.Ethernet.Interface.", "Name", "eth1");
  h.engine->setValues({{eth + "Enable", "false"}}, Source::Acs);
  EXPECT_EQ(readFile(eth1 / "enabled"), "0");
}

TEST(WanPluginDevice, InvalidValuesAreRefusedWith9007AndLeaveTheHardwareAlone) {
  PluginHarness h("Device", {"wan"});
  const fs::path eth0 = fs::path(h.dir) / "sim" / "net" / "eth0";
  const std::string ip = findRow(h, "Device.IP.Interface.", "Name", "eth0");
  const std::string mtuBefore = readFile(eth0 / "mtu"), v4Before = readFile(eth0 / "ipv4");
  EXPECT_EQ(h.setFaultCode(ip + "MaxMTUSize", "64"), 9007);     // type allows it, IP does not
  EXPECT_EQ(h.setFaultCode(ip + "MaxMTUSize", "70000"), 9007);  // outside the type's range
  EXPECT_EQ(h.setFaultCode(ip + "IPv4Address.1.SubnetMask", "255.0.255.0"), 9007);
  EXPECT_EQ(h.setFaultCode(ip + "IPv4Address.1.IPAddress", "224.0.0.1"), 9007);
  EXPECT_EQ(h.setFaultCode(ip + "IPv4Address.1.Enable", "false"), 9007);
  const std::string eth = findRow(h, "Device.Ethernet.Interface.", "Name", "eth0");
  EXPECT_EQ(h.setFaultCode(eth + "MaxBitRate", "100"), 9007);
  EXPECT_EQ(readFile(eth0 / "mtu"), mtuBefore);
  EXPECT_EQ(readFile(eth0 / "ipv4"), v4Before);
  EXPECT_EQ(h.value(ip + "MaxMTUSize"), mtuBefore);
}

TEST(WanPluginDevice, AHardwareRefusalUndoesTheWholeBatch) {
  PluginHarness h("Device", {"wan"});
  const fs::path net = fs::path(h.dir) / "sim" / "net";
  const std::string ip1 = findRow(h, "Device.IP.Interface.", "Name", "eth1");
  const std::string ip2 = findRow(h, "Device.IP.Interface.", "Name", "eth2");
  fs::remove_all(net / "eth2");  // the interface vanished behind the plugin's back
  int code = 0;
  try {
    h.engine->setValues({{ip1 + "MaxMTUSize", "1400"}, {ip2 + "MaxMTUSize", "1400"}}, Source::Acs);
  } catch (const SetFault& f) {
    code = f.code();
  }
  EXPECT_EQ(code, 9007);
  EXPECT_EQ(readFile(net / "eth1" / "mtu"), "1500");  // eth1's part was undone
  EXPECT_EQ(h.value(ip1 + "MaxMTUSize"), "1500");
}

TEST(WanPluginDevice, StaticAddressIsWrittenToTheInterface) {
  PluginHarness h("Device", {"wan"});
  const std::string ip = findRow(h, "Device.IP.Interface.", "Name", "eth1");
  h.engine->setValues({{ip + "IPv4Address.1.IPAddress", "10.1.2.1"},
                       {ip + "IPv4Address.1.SubnetMask", "255.255.0.0"}},
                      Source::Acs);
  EXPECT_EQ(readFile(fs::path(h.dir) / "sim/net/eth1/ipv4"), "10.1.2.1/16");
}

TEST(WanPluginDevice, InstanceNumbersAndSetValuesSurviveARestart) {
  StateDir s;
  std::string eth2Row, ip2Row;
  {
    PluginHarness h("Device", {"wan"}, "", s.path.string());
    eth2Row = findRow(h, "Device.Ethernet.Interface.", "Name", "eth2");
    ip2Row = findRow(h, "Device.IP.Interface.", "Name", "eth2");
    h.engine->setValues({{ip2Row + "MaxMTUSize", "1280"}}, Source::Acs);
  }
  // The box reboots: eth1 is gone and the kernel forgot the MTU.
  fs::remove_all(s.net("eth1"));
  writeFile(s.net("eth2") / "mtu", "1500\n");
  PluginHarness h("Device", {"wan"}, "", s.path.string());
  EXPECT_EQ(findRow(h, "Device.Ethernet.Interface.", "Name", "eth2"), eth2Row);
  EXPECT_EQ(findRow(h, "Device.IP.Interface.", "Name", "eth2"), ip2Row);
  EXPECT_EQ(h.value("Device.Ethernet.InterfaceNumberOfEntries"), "3");
  EXPECT_EQ(h.value(ip2Row + "MaxMTUSize"), "1280");
  EXPECT_EQ(readFile(s.net("eth2") / "mtu"), "1280");  // re-applied at start
}

TEST(WanPluginDevice, PppInterfacesGetTheirOwnRows) {
  StateDir s;
  addPpp(s);
  PluginHarness h("Device", {"wan"}, "", s.path.string());
  EXPECT_EQ(h.value("Device.PPP.InterfaceNumberOfEntries"), "1");
  EXPECT_EQ(h.value("Device.PPP.Interface.1.Name"), "ppp0");
  EXPECT_EQ(h.value("Device.PPP.Interface.1.ConnectionStatus"), "Connected");
  EXPECT_EQ(h.value("Device.PPP.Interface.1.IPCP.LocalIPAddress"), "203.0.113.9");
  EXPECT_EQ(h.value("Device.PPP.Interface.1.IPCP.DNSServers"), "192.0.2.53");
  EXPECT_EQ(h.value("Device.PPP.Interface.1.Stats.BytesReceived"), "4242");
  const std::string ip = findRow(h, "Device.IP.Interface.", "Name", "ppp0");
  EXPECT_EQ(h.value(ip + "LowerLayers"), "Device.PPP.Interface.1");
  h.engine->setValues({{"Device.PPP.Interface.1.Username", "user@isp"}}, Source::Acs);
  EXPECT_EQ(h.value("Device.PPP.Interface.1.Username"), "user@isp");
  h.engine->setValues({{"Device.PPP.Interface.1.Enable", "false"}}, Source::Acs);
  EXPECT_EQ(readFile(s.net("ppp0") / "enabled"), "0");
  EXPECT_EQ(h.value("Device.PPP.Interface.1.ConnectionStatus"), "Disconnected");
}

TEST(WanPluginDevice, HardwareRowsCannotBeAddedOrDeletedByTheAcs) {
  PluginHarness h("Device", {"wan"});
  EXPECT_THROW(h.engine->addObject("Device.IP.Interface.", Source::Acs), cwmpd::sdk::Fault);
  EXPECT_THROW(h.engine->deleteObject("Device.IP.Interface.1.", Source::Acs), cwmpd::sdk::Fault);
  EXPECT_EQ(findRow(h, "Device.IP.Interface.", "Name", "eth0").empty(), false);
}

TEST(WanPluginDevice, WorksWithoutInterfacesOrServers) {
  StateDir s;
  fs::remove_all(s.path / "sim" / "net");
  fs::create_directories(s.path / "sim" / "net");
  writeFile(s.path / "sim" / "resolv.conf", "");
  PluginHarness h("Device", {"wan"}, "", s.path.string());
  EXPECT_EQ(h.value("Device.Ethernet.InterfaceNumberOfEntries"), "0");
  EXPECT_EQ(h.value("Device.IP.InterfaceNumberOfEntries"), "0");
  EXPECT_EQ(h.value("Device.PPP.InterfaceNumberOfEntries"), "0");
  EXPECT_EQ(h.value("Device.DNS.Client.ServerNumberOfEntries"), "0");
}

TEST(WanPluginDevice, LoopbackIsTypedAndItsBigMtuIsNotPushedBack) {
  StateDir s;
  const fs::path lo = s.net("lo");
  writeFile(lo / "kind", "loopback\n");
  writeFile(lo / "address", "00:00:00:00:00:00\n");
  writeFile(lo / "mtu", "65536\n");  // Linux's loopback MTU, above MaxMTUSize's range
  writeFile(lo / "operstate", "unknown\n");
  writeFile(lo / "enabled", "1\n");
  writeFile(lo / "ipv4", "127.0.0.1/8\n");
  writeFile(lo / "ipv6", "::1/128\n");
  PluginHarness h("Device", {"wan"}, "", s.path.string());
  const std::string ip = findRow(h, "Device.IP.Interface.", "Name", "lo");
  ASSERT_FALSE(ip.empty());
  EXPECT_EQ(h.value(ip + "Type"), "Loopback");
  EXPECT_EQ(h.value(ip + "MaxMTUSize"), "65535");
  EXPECT_EQ(h.value(ip + "IPv4Address.1.SubnetMask"), "255.0.0.0");
  EXPECT_EQ(readFile(lo / "mtu"), "65536");
  EXPECT_EQ(findRow(h, "Device.Ethernet.Interface.", "Name", "lo"), "");
}

// ------------------------------------------------------------------ TR-098

constexpr const char* kWd = "InternetGatewayDevice.WANDevice.1.";
constexpr const char* kIpc =
    "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.";

TEST(WanPluginIgd, WanDeviceIsTheFirstEthernetInterface) {
  PluginHarness h("InternetGatewayDevice", {"wan"});
  const fs::path eth0 = fs::path(h.dir) / "sim" / "net" / "eth0";
  const std::string wd = kWd, ipc = kIpc;
  EXPECT_EQ(h.value("InternetGatewayDevice.WANDeviceNumberOfEntries"), "1");
  EXPECT_EQ(h.value(wd + "WANEthernetInterfaceConfig.MACAddress"), readFile(eth0 / "address"));
  EXPECT_EQ(h.value(wd + "WANEthernetInterfaceConfig.Status"), "Up");
  EXPECT_EQ(h.value(wd + "WANCommonInterfaceConfig.PhysicalLinkStatus"), "Up");
  EXPECT_EQ(h.value(wd + "WANCommonInterfaceConfig.Layer1DownstreamMaxBitRate"), "1000000000");
  EXPECT_EQ(h.value(wd + "WANCommonInterfaceConfig.TotalBytesSent"),
            std::to_string(std::stoull(readFile(eth0 / "statistics/tx_bytes")) & 0xFFFFFFFFull));
  EXPECT_EQ(h.value(wd + "WANEthernetInterfaceConfig.Stats.BytesReceived"),
            std::to_string(std::stoull(readFile(eth0 / "statistics/rx_bytes")) & 0xFFFFFFFFull));
  EXPECT_EQ(h.value(ipc + "ExternalIPAddress"), "198.51.100.23");
  EXPECT_EQ(h.value(ipc + "SubnetMask"), "255.255.255.0");
  EXPECT_EQ(h.value(ipc + "DefaultGateway"), "");
  EXPECT_EQ(h.value(ipc + "DNSServers"), "192.0.2.53,2001:db8::53");
  EXPECT_EQ(h.value(ipc + "MACAddress"), readFile(eth0 / "address"));
  EXPECT_EQ(h.value(ipc + "ConnectionStatus"), "Connected");
  EXPECT_EQ(h.value(wd + "WANConnectionDevice.1.WANPPPConnectionNumberOfEntries"), "0");
}

TEST(WanPluginIgd, LanDeviceHoldsTheOtherEthernetInterfaces) {
  PluginHarness h("InternetGatewayDevice", {"wan"});
  const std::string ld = "InternetGatewayDevice.LANDevice.1.";
  EXPECT_EQ(h.value("InternetGatewayDevice.LANDeviceNumberOfEntries"), "1");
  EXPECT_EQ(h.value(ld + "LANEthernetInterfaceNumberOfEntries"), "3");
  const std::string eth3 = findRow(h, ld + "LANEthernetInterfaceConfig.", "Name", "eth3");
  ASSERT_FALSE(eth3.empty());
  EXPECT_EQ(h.value(eth3 + "Status"), "Disabled");
  EXPECT_EQ(h.value(eth3 + "Enable"), "false");
  const std::string hc = ld + "LANHostConfigManagement.";
  EXPECT_EQ(h.value(hc + "IPInterfaceNumberOfEntries"), "1");
  EXPECT_EQ(h.value(hc + "IPInterface.1.IPInterfaceIPAddress"), "192.168.1.1");
  EXPECT_EQ(h.value(hc + "IPInterface.1.IPInterfaceSubnetMask"), "255.255.255.0");
  EXPECT_EQ(h.value(hc + "SubnetMask"), "255.255.255.0");
  EXPECT_EQ(h.value(hc + "MinAddress"), "192.168.1.2");
  EXPECT_EQ(h.value(hc + "MaxAddress"), "192.168.1.254");
  h.engine->setValues({{hc + "IPInterface.1.IPInterfaceIPAddress", "192.168.7.1"}}, Source::Acs);
  EXPECT_EQ(readFile(fs::path(h.dir) / "sim/net/eth1/ipv4"), "192.168.7.1/24");
}

TEST(WanPluginIgd, WanConfigurationIsAppliedAndValidated) {
  PluginHarness h("InternetGatewayDevice", {"wan"});
  const fs::path sim = fs::path(h.dir) / "sim";
  const std::string wd = kWd, ipc = kIpc;
  h.engine->setValues(
      {{ipc + "ExternalIPAddress", "198.51.100.77"}, {ipc + "SubnetMask", "255.255.255.128"}},
      Source::Acs);
  EXPECT_EQ(readFile(sim / "net/eth0/ipv4"), "198.51.100.77/25");
  h.engine->setValues({{ipc + "DNSServers", "9.9.9.9,149.112.112.112"}}, Source::Acs);
  EXPECT_EQ(readFile(sim / "resolv.conf").find("192.0.2.53"), std::string::npos);
  EXPECT_NE(readFile(sim / "resolv.conf").find("nameserver 149.112.112.112"), std::string::npos);
  EXPECT_EQ(h.setFaultCode(ipc + "MACAddress", "02:00:00:00:00:99"), 9007);
  EXPECT_EQ(h.setFaultCode(ipc + "ConnectionType", "IP_Bridged"), 9007);
  EXPECT_EQ(h.setFaultCode(ipc + "SubnetMask", "255.255.0.255"), 9007);
  EXPECT_EQ(readFile(sim / "net/eth0/ipv4"), "198.51.100.77/25");
  h.engine->setValues({{wd + "WANEthernetInterfaceConfig.Enable", "false"}}, Source::Acs);
  EXPECT_EQ(readFile(sim / "net/eth0/enabled"), "0");
  EXPECT_EQ(h.value(ipc + "ConnectionStatus"), "Disconnected");
  EXPECT_EQ(h.value(ipc + "Uptime"), "0");
}

TEST(WanPluginIgd, ConfiguredWanInterfaceAndPppConnection) {
  StateDir s;
  addPpp(s);
  PluginHarness h("InternetGatewayDevice", {"wan"}, "[wan]\ninterface = eth1\n", s.path.string());
  const std::string wd = kWd, ipc = kIpc;
  EXPECT_EQ(h.value(ipc + "ExternalIPAddress"), "192.168.1.1");
  EXPECT_EQ(h.value(ipc + "Name"), "eth1");
  const std::string ppp = wd + "WANConnectionDevice.1.WANPPPConnection.1.";
  EXPECT_EQ(h.value(ppp + "Name"), "ppp0");
  EXPECT_EQ(h.value(ppp + "ExternalIPAddress"), "203.0.113.9");
  EXPECT_EQ(h.value(ppp + "ConnectionStatus"), "Connected");
  h.engine->setValues({{ppp + "Username", "user@isp"}, {ppp + "Password", "secret"}}, Source::Acs);
  EXPECT_EQ(h.value(ppp + "Password"), "");  // hidden: reads back empty
  EXPECT_EQ(h.engine->rawValue(ppp + "Password"), "secret");
  EXPECT_EQ(h.setFaultCode(ppp + "ExternalIPAddress", "203.0.113.10"), 9007);
}

TEST(WanPluginIgd, WanDeviceNumberIsStableAcrossARestart) {
  StateDir s;
  {
    PluginHarness h("InternetGatewayDevice", {"wan"}, "", s.path.string());
    EXPECT_EQ(h.value(std::string(kWd) + "WANConnectionDevice.1.WANIPConnection.1.Name"), "eth0");
    h.engine->setValues({{std::string(kIpc) + "Name", "internet"}}, Source::Acs);
  }
  PluginHarness h("InternetGatewayDevice", {"wan"}, "", s.path.string());
  EXPECT_EQ(h.value("InternetGatewayDevice.WANDeviceNumberOfEntries"), "1");
  EXPECT_EQ(h.value(std::string(kIpc) + "Name"), "internet");
  EXPECT_EQ(h.value("InternetGatewayDevice.LANDevice.1.LANEthernetInterfaceNumberOfEntries"), "3");
}

}  // namespace
