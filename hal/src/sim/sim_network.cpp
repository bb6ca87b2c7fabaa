#include <arpa/inet.h>

#include "common/files.hpp"
#include "common/kv_objects.hpp"
#include "common/net_dir.hpp"
#include "common/resolv_conf.hpp"
#include "cwmpd/hal/error.hpp"
#include "sim/sim_hal.hpp"

namespace cwmpd::hal::sim {

using namespace detail;

namespace {

// <sim>/net/<if>/ipv4 and ipv6: one "address/prefix" a line.
std::vector<IpAddress> readAddressFile(const fs::path& path, bool v6) {
  std::vector<IpAddress> out;
  for (const auto& line : splitList(tryReadFile(path).value_or(""), '\n')) {
    if (line[0] == '#') continue;
    const auto slash = line.find('/');
    IpAddress a;
    a.address = line.substr(0, slash);
    const auto prefix = slash == std::string::npos
                            ? (v6 ? 128 : 32)
                            : parseU64(line.substr(slash + 1), path.string());
    if ((v6 ? !isIpv6(a.address) : !isIpv4(a.address)) || prefix > (v6 ? 128u : 32u)) {
      throw HalError(path.string() + ": bad address '" + line + "'");
    }
    a.prefixLength = static_cast<std::uint8_t>(prefix);
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

fs::path SimNetwork::interfaceDir(std::string_view name) const {
  fs::path d = dir_ / "net" / std::string(name);
  std::error_code ec;
  if (!isSafeName(name) || !fs::is_directory(d, ec)) {
    throw HalError("unknown interface '" + std::string(name) + "'");
  }
  return d;
}

std::vector<std::string> SimNetwork::interfaces() {
  std::vector<std::string> out;
  for (const auto& n : listDir(dir_ / "net")) {
    std::error_code ec;
    if (isSafeName(n) && fs::is_directory(dir_ / "net" / n, ec)) out.push_back(n);
  }
  return out;
}

InterfaceInfo SimNetwork::info(std::string_view name) {
  return readInterfaceDir(interfaceDir(name));
}

InterfaceCounters SimNetwork::counters(std::string_view name) {
  return readStatisticsDir(interfaceDir(name) / "statistics");
}

std::vector<IpAddress> SimNetwork::ipv4Addresses(std::string_view name) {
  return readAddressFile(interfaceDir(name) / "ipv4", false);
}

std::vector<IpAddress> SimNetwork::ipv6Addresses(std::string_view name) {
  return readAddressFile(interfaceDir(name) / "ipv6", true);
}

std::vector<std::string> SimNetwork::dnsServers() { return readNameservers(dir_ / "resolv.conf"); }

void SimNetwork::configure(std::string_view name, const InterfaceConfig& config) {
  const fs::path d = interfaceDir(name);
  const std::string what = "interface '" + std::string(name) + "'";
  // Validate everything before the first write.
  if (config.mtu && (*config.mtu < 68 || *config.mtu > 65536)) {
    throw HalError(what + ": MTU must be 68..65536");
  }
  std::string v4;
  if (config.staticIpv4) {
    for (const auto& a : *config.staticIpv4) {
      if (!isIpv4(a.address) || a.prefixLength > 32) {
        throw HalError(what + ": bad IPv4 address '" + a.address + "/" +
                       std::to_string(a.prefixLength) + "'");
      }
      v4 += a.address + "/" + std::to_string(a.prefixLength) + "\n";
    }
  }
  if (config.mtu) writeFileAtomic(d / "mtu", std::to_string(*config.mtu) + "\n");
  if (config.staticIpv4) writeFileAtomic(d / "ipv4", v4);
  if (config.enabled) {
    writeFileAtomic(d / "enabled", *config.enabled ? "1\n" : "0\n");
    // The simulated link follows the administrative state.
    writeFileAtomic(d / "operstate", *config.enabled ? "up\n" : "down\n");
  }
}

void SimNetwork::setDnsServers(const std::vector<std::string>& servers) {
  writeNameservers(dir_ / "resolv.conf", servers);
}

}  // namespace cwmpd::hal::sim
