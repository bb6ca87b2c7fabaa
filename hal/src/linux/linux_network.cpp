#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>

#include "common/files.hpp"
#include "common/kv_objects.hpp"
#include "common/net_dir.hpp"
#include "common/resolv_conf.hpp"
#include "cwmpd/hal/error.hpp"
#include "linux/linux_hal.hpp"

namespace cwmpd::hal::linux_backend {

using namespace detail;

namespace {

std::uint8_t prefixOf(const sockaddr* mask, int family) {
  if (!mask) return family == AF_INET ? 32 : 128;
  int bits = 0;
  if (family == AF_INET) {
    bits = std::popcount(reinterpret_cast<const sockaddr_in*>(mask)->sin_addr.s_addr);
  } else {
    for (auto b : reinterpret_cast<const sockaddr_in6*>(mask)->sin6_addr.s6_addr) {
      bits += std::popcount(static_cast<unsigned>(b));
    }
  }
  return static_cast<std::uint8_t>(bits);
}

// One AF_INET datagram socket for the SIOC* interface ioctls.
class IoctlSocket {
 public:
  IoctlSocket() : fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    if (fd_ < 0) throw HalError(std::string("socket: ") + std::strerror(errno));
  }
  ~IoctlSocket() { ::close(fd_); }
  IoctlSocket(const IoctlSocket&) = delete;
  IoctlSocket& operator=(const IoctlSocket&) = delete;
  void call(unsigned long request, ifreq& ifr, const char* what) const {
    if (::ioctl(fd_, request, &ifr) != 0) {
      throw HalError(std::string(what) + " on " + ifr.ifr_name + ": " + std::strerror(errno));
    }
  }
  [[nodiscard]] int fd() const { return fd_; }

 private:
  int fd_;
};

ifreq request(const std::string& name) {
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.c_str(), std::min(name.size(), sizeof ifr.ifr_name - 1));
  return ifr;
}

void setIpv4(const IoctlSocket& s, const std::string& name, unsigned long req, in_addr addr,
             const char* what) {
  ifreq ifr = request(name);
  auto* sin = reinterpret_cast<sockaddr_in*>(&ifr.ifr_addr);
  sin->sin_family = AF_INET;
  sin->sin_addr = addr;
  s.call(req, ifr, what);
}

}  // namespace

std::string LinuxNetwork::checkedName(std::string_view name) const {
  std::error_code ec;
  if (name.size() >= IFNAMSIZ || !isSafeName(name) ||
      !std::filesystem::is_directory(
          std::filesystem::path(config_.sysClassNetDir) / std::string(name), ec)) {
    throw HalError("unknown interface '" + std::string(name) + "'");
  }
  return std::string(name);
}

std::vector<std::string> LinuxNetwork::interfaces() {
  // Entries are symlinks to device directories; skip plain files such as the bonding
  // driver's "bonding_masters".
  std::vector<std::string> out;
  for (const auto& n : listDir(config_.sysClassNetDir)) {
    std::error_code ec;
    if (std::filesystem::is_directory(std::filesystem::path(config_.sysClassNetDir) / n, ec)) {
      out.push_back(n);
    }
  }
  return out;
}

InterfaceInfo LinuxNetwork::info(std::string_view name) {
  return readInterfaceDir(std::filesystem::path(config_.sysClassNetDir) / checkedName(name));
}

InterfaceCounters LinuxNetwork::counters(std::string_view name) {
  return readStatisticsDir(std::filesystem::path(config_.sysClassNetDir) / checkedName(name) /
                           "statistics");
}

std::vector<IpAddress> LinuxNetwork::addresses(std::string_view name, int family) const {
  const std::string n = checkedName(name);
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) throw HalError(std::string("getifaddrs: ") + std::strerror(errno));
  std::vector<IpAddress> out;
  for (const ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != family) continue;
    // IPv4 alias labels ("eth0:1") belong to their interface.
    const std::string_view label(i->ifa_name);
    if (label != n &&
        !(label.starts_with(n) && label.size() > n.size() && label[n.size()] == ':')) {
      continue;
    }
    char text[INET6_ADDRSTRLEN] = {};
    const void* raw =
        family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr)
            : static_cast<const void*>(
                  &reinterpret_cast<const sockaddr_in6*>(i->ifa_addr)->sin6_addr);
    if (!::inet_ntop(family, raw, text, sizeof text)) continue;
    out.push_back({text, prefixOf(i->ifa_netmask, family)});
  }
  ::freeifaddrs(list);
  return out;
}

std::vector<IpAddress> LinuxNetwork::ipv4Addresses(std::string_view name) {
  return addresses(name, AF_INET);
}

std::vector<IpAddress> LinuxNetwork::ipv6Addresses(std::string_view name) {
  return addresses(name, AF_INET6);
}

std::vector<std::string> LinuxNetwork::dnsServers() { return readNameservers(config_.resolvConf); }

void LinuxNetwork::configure(std::string_view name, const InterfaceConfig& config) {
  const std::string n = checkedName(name);
  const std::string what = "interface '" + n + "'";
  // Validate the whole batch first.
  if (config.mtu && (*config.mtu < 68 || *config.mtu > 65536)) {
    throw HalError(what + ": MTU must be 68..65536");
  }
  in_addr addr{}, mask{};
  if (config.staticIpv4) {
    // The SIOCSIFADDR family manages one (primary) address per interface.
    if (config.staticIpv4->size() > 1) {
      throw HalError(what + ": only one static IPv4 address is supported on Linux");
    }
    if (!config.staticIpv4->empty()) {
      const auto& a = config.staticIpv4->front();
      if (::inet_pton(AF_INET, a.address.c_str(), &addr) != 1 || a.prefixLength > 32) {
        throw HalError(what + ": bad IPv4 address '" + a.address + "'");
      }
      mask.s_addr = a.prefixLength == 0 ? 0 : htonl(~std::uint32_t{0} << (32 - a.prefixLength));
    }
  }
  const IoctlSocket s;
  if (config.mtu) {
    ifreq ifr = request(n);
    ifr.ifr_mtu = static_cast<int>(*config.mtu);
    s.call(SIOCSIFMTU, ifr, "set MTU");
  }
  if (config.staticIpv4) {
    setIpv4(s, n, SIOCSIFADDR, addr, "set address");
    if (!config.staticIpv4->empty()) setIpv4(s, n, SIOCSIFNETMASK, mask, "set netmask");
  }
  if (config.enabled) {
    ifreq ifr = request(n);
    s.call(SIOCGIFFLAGS, ifr, "get flags");
    if (*config.enabled) {
      ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    } else {
      ifr.ifr_flags = static_cast<short>(ifr.ifr_flags & ~IFF_UP);
    }
    s.call(SIOCSIFFLAGS, ifr, "set flags");
  }
}

void LinuxNetwork::setDnsServers(const std::vector<std::string>& servers) {
  writeNameservers(config_.resolvConf, servers);
}

}  // namespace cwmpd::hal::linux_backend
