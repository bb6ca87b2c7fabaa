// The linux backend on this machine's real interfaces and /proc, compared with what the
// kernel says at that moment.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <set>
#include <sstream>

#include "cwmpd/hal/factory.hpp"
#include "hal_test_util.hpp"

namespace cwmpd::hal {
namespace {

using test::slurp;
using test::spit;
using test::TempDir;
namespace fs = std::filesystem;

std::unique_ptr<Hal> linuxHal(HalConfig c = {}) {
  c.backend = "linux";
  return makeHal(c);
}

std::uint64_t sysfsCounter(const std::string& iface, const std::string& name) {
  return std::stoull(slurp("/sys/class/net/" + iface + "/statistics/" + name));
}

// Puts a few datagrams through the loopback so that its counters move during the test.
void loopbackTraffic() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(9);  // discard; nobody needs to listen for the counters to count
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < 5; ++i) {
    (void)::sendto(fd, "cwmpd", 5, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  }
  ::close(fd);
}

std::set<std::string> kernelAddresses(const std::string& iface, int family) {
  std::set<std::string> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (auto* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != family || iface != i->ifa_name) continue;
    char text[INET6_ADDRSTRLEN];
    const void* raw =
        family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr)
            : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr);
    ::inet_ntop(family, raw, text, sizeof text);
    int bits = 0;
    if (family == AF_INET) {
      bits = std::popcount(reinterpret_cast<sockaddr_in*>(i->ifa_netmask)->sin_addr.s_addr);
    } else {
      for (auto b : reinterpret_cast<sockaddr_in6*>(i->ifa_netmask)->sin6_addr.s6_addr) {
        bits += std::popcount(static_cast<unsigned>(b));
      }
    }
    out.insert(std::string(text) + "/" + std::to_string(bits));
  }
  ::freeifaddrs(list);
  return out;
}

// CAP_NET_ADMIN (bit 12) in this process's effective capabilities.
bool hasNetAdmin() {
  std::istringstream in(slurp("/proc/self/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("CapEff:", 0) == 0) return (std::stoull(line.substr(7), nullptr, 16) >> 12) & 1;
  }
  return false;
}

std::set<std::string> asSet(const std::vector<IpAddress>& v) {
  std::set<std::string> out;
  for (const auto& a : v) out.insert(a.address + "/" + std::to_string(a.prefixLength));
  return out;
}

TEST(LinuxNetwork, ListsExactlyTheInterfacesOfSysClassNet) {
  std::vector<std::string> expected;
  for (const auto& e : fs::directory_iterator("/sys/class/net")) {
    if (e.is_directory()) expected.push_back(e.path().filename().string());
  }
  std::sort(expected.begin(), expected.end());
  auto hal = linuxHal();
  EXPECT_EQ(hal->network().interfaces(), expected);
  EXPECT_NE(std::find(expected.begin(), expected.end(), "lo"), expected.end());
}

TEST(LinuxNetwork, DescribesTheLoopbackAsTheKernelDoes) {
  auto hal = linuxHal();
  const InterfaceInfo lo = hal->network().info("lo");
  EXPECT_EQ(lo.name, "lo");
  EXPECT_EQ(lo.kind, InterfaceKind::Loopback);
  EXPECT_EQ(lo.mtu, std::stoul(slurp("/sys/class/net/lo/mtu")));
  EXPECT_TRUE(lo.enabled);
  EXPECT_EQ(lo.status, OperStatus::Up);  // sysfs says "unknown" with carrier: TR-181 Up
  EXPECT_TRUE(lo.mac.empty());           // 00:00:00:00:00:00 is no address
  EXPECT_THROW((void)hal->network().info("no-such-if0"), HalError);
  EXPECT_THROW((void)hal->network().counters("../lo"), HalError);
}

TEST(LinuxNetwork, LoopbackCountersLieBetweenTwoSysfsReadings) {
  auto hal = linuxHal();
  const char* names[] = {"rx_bytes", "tx_bytes", "rx_packets", "tx_packets"};
  std::uint64_t before[4], after[4];
  loopbackTraffic();
  for (int i = 0; i < 4; ++i) before[i] = sysfsCounter("lo", names[i]);
  loopbackTraffic();
  const InterfaceCounters c = hal->network().counters("lo");
  loopbackTraffic();
  for (int i = 0; i < 4; ++i) after[i] = sysfsCounter("lo", names[i]);
  const std::uint64_t got[] = {c.bytesReceived, c.bytesSent, c.packetsReceived, c.packetsSent};
  for (int i = 0; i < 4; ++i) {
    EXPECT_GE(got[i], before[i]) << names[i];
    EXPECT_LE(got[i], after[i]) << names[i];
  }
  EXPECT_GT(after[2], before[2]) << "the test traffic did not reach the loopback counters";
  EXPECT_LE(c.unicastPacketsReceived, c.packetsReceived);
}

TEST(LinuxNetwork, LoopbackAddressesMatchGetifaddrs) {
  auto hal = linuxHal();
  const auto v4 = asSet(hal->network().ipv4Addresses("lo"));
  EXPECT_EQ(v4, kernelAddresses("lo", AF_INET));
  EXPECT_TRUE(v4.count("127.0.0.1/8"));
  EXPECT_EQ(asSet(hal->network().ipv6Addresses("lo")), kernelAddresses("lo", AF_INET6));
}

TEST(LinuxNetwork, EveryInterfaceReadsConsistentlyWithSysfs) {
  auto hal = linuxHal();
  for (const auto& name : hal->network().interfaces()) {
    const InterfaceInfo i = hal->network().info(name);
    EXPECT_EQ(i.mtu, std::stoul(slurp("/sys/class/net/" + name + "/mtu"))) << name;
    const std::string mac = slurp("/sys/class/net/" + name + "/address");
    if (!i.mac.empty()) {
      EXPECT_EQ(i.mac, mac.substr(0, i.mac.size())) << name;
    }
    EXPECT_EQ(asSet(hal->network().ipv4Addresses(name)), kernelAddresses(name, AF_INET)) << name;
  }
}

TEST(LinuxNetwork, ReadsAndRewritesTheConfiguredResolvConf) {
  TempDir tmp;
  const fs::path resolv = tmp.path() / "resolv.conf";
  spit(resolv,
       "# generated\nsearch lan\nnameserver 10.0.0.1\nnameserver\t10.0.0.2\noptions ndots:1\n");
  HalConfig c;
  c.resolvConf = resolv.string();
  auto hal = linuxHal(c);
  EXPECT_EQ(hal->network().dnsServers(), (std::vector<std::string>{"10.0.0.1", "10.0.0.2"}));
  hal->network().setDnsServers({"2001:db8::1", "192.0.2.1"});
  EXPECT_EQ(
      slurp(resolv),
      "# generated\nsearch lan\nnameserver 2001:db8::1\nnameserver 192.0.2.1\noptions ndots:1\n");
}

TEST(LinuxNetwork, SettingTheLoopbackMtuToItsValueGoesThroughTheKernel) {
  auto hal = linuxHal();
  const std::uint32_t mtu = hal->network().info("lo").mtu;
  InterfaceConfig c;
  c.mtu = mtu;
  c.enabled = true;
  if (!hasNetAdmin()) {
    EXPECT_THROW(hal->network().configure("lo", c), HalError);  // EPERM without CAP_NET_ADMIN
  } else {
    hal->network().configure("lo", c);
    EXPECT_EQ(hal->network().info("lo").mtu, mtu);
  }
  c.mtu = 10;  // refused before any ioctl
  EXPECT_THROW(hal->network().configure("lo", c), HalError);
  c.mtu.reset();
  c.staticIpv4 = std::vector<IpAddress>{{"10.1.1.1", 8}, {"10.2.2.2", 8}};
  EXPECT_THROW(hal->network().configure("lo", c), HalError);
}

TEST(LinuxSystem, UptimeLiesBetweenTwoProcReadings) {
  auto hal = linuxHal();
  const auto read = [] { return std::stod(slurp("/proc/uptime")); };
  const double before = read();
  const std::uint64_t up = hal->system().uptimeSeconds();
  const double after = read();
  EXPECT_GE(static_cast<double>(up), std::floor(before));
  EXPECT_LE(static_cast<double>(up), after);
}

TEST(LinuxSystem, MemoryMatchesProcMeminfo) {
  std::istringstream in(slurp("/proc/meminfo"));
  std::string key, unit;
  std::uint64_t value = 0, total = 0;
  while (in >> key >> value && std::getline(in, unit)) {
    if (key == "MemTotal:") total = value;
  }
  auto hal = linuxHal();
  const MemoryInfo m = hal->system().memory();
  EXPECT_EQ(m.totalKiB, total);
  EXPECT_GT(m.freeKiB, 0u);
  EXPECT_LE(m.freeKiB, m.totalKiB);
  EXPECT_LE(m.availableKiB, m.totalKiB);
}

TEST(LinuxSystem, ReportsPlausibleLoadCpuAndProcesses) {
  auto hal = linuxHal();
  auto& sys = hal->system();
  EXPECT_LE(sys.cpuUsagePercent(), 100u);
  EXPECT_LE(sys.cpuUsagePercent(), 100u);
  const LoadAverage l = sys.loadAverage();
  std::istringstream in(slurp("/proc/loadavg"));
  double one = 0;
  in >> one;
  EXPECT_GE(l.one, 0.0);
  EXPECT_NEAR(l.one, one, 5.0);
  // This very process is one of them.
  EXPECT_GE(sys.processCount(), 1u);
  EXPECT_TRUE(fs::exists("/proc/" + std::to_string(::getpid())));
}

TEST(LinuxSystem, IdentifiesTheKernelHostAndBoot) {
  auto hal = linuxHal();
  auto& sys = hal->system();
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  EXPECT_EQ(sys.hostname(), host);
  EXPECT_EQ(sys.bootId() + "\n", slurp("/proc/sys/kernel/random/boot_id"));
  EXPECT_EQ(sys.kernelVersion() + "\n", slurp("/proc/sys/kernel/osrelease"));
}

TEST(LinuxSystem, ReportsTheRunningSystemAsItsOneFirmwareBank) {
  auto hal = linuxHal();
  auto& sys = hal->system();
  const auto banks = sys.firmwareBanks();
  ASSERT_EQ(banks.size(), 1u);
  EXPECT_FALSE(banks[0].name.empty());
  EXPECT_EQ(banks[0].version, sys.identity().softwareVersion);
  EXPECT_TRUE(banks[0].active);
  EXPECT_TRUE(banks[0].boot);
}

TEST(LinuxOptics, FallsBackToAnEepromDumpWhenTheDriverHasNoModuleInterface) {
  TempDir tmp;
  const fs::path demo = test::sourceDir() / "config/sim/optics/pon0";
  fs::create_directories(tmp.path() / "pon0");
  // `ethtool -m DEV raw on` layout: A0h then A2h.
  spit(tmp.path() / "pon0/eeprom", slurp(demo / "a0h.bin") + slurp(demo / "a2h.bin"));
  HalConfig c;
  c.transceivers = {{"pon0", "lo"}};  // lo answers no module ioctl
  c.sfpSysfsBase = tmp.path().string();
  auto hal = linuxHal(c);
  EXPECT_EQ(hal->optics().transceivers(), std::vector<std::string>{"pon0"});
  const TransceiverStatus s = hal->optics().status("pon0");
  ASSERT_TRUE(s.present);
  EXPECT_EQ(s.netdev, "lo");
  EXPECT_EQ(s.identity.vendorName, "SIMPHOTONICS");
  EXPECT_EQ(s.opticalSignalLevel, sff8472::toDbm1000(14.5));
  EXPECT_THROW((void)hal->optics().status("pon1"), HalError);
}

TEST(LinuxOptics, ReportsAnEmptyCageWhenNothingAnswers) {
  HalConfig c;
  c.transceivers = {{"sfp0", "lo"}};
  auto hal = linuxHal(c);
  EXPECT_FALSE(hal->optics().status("sfp0").present);
  EXPECT_THROW((void)hal->optics().readA0h("sfp0"), HalError);
}

TEST(LinuxWifiVoice, AreEmptyWhenThePlatformExportsNothing) {
  auto hal = linuxHal();
  EXPECT_TRUE(hal->wifi().radios().empty());
  EXPECT_TRUE(hal->wifi().ssids().empty());
  EXPECT_TRUE(hal->voice().lines().empty());
  EXPECT_THROW(hal->wifi().apply(WifiConfig{}), HalError);  // no wifi_apply command
  EXPECT_THROW(hal->voice().apply(VoiceConfig{}), HalError);
}

}  // namespace
}  // namespace cwmpd::hal
