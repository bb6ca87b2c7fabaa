// resolv.conf: the DNS servers of Linux and of the sim (<sim_dir>/resolv.conf).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace cwmpd::hal::detail {

// "nameserver" addresses in file order; empty when the file is missing.
[[nodiscard]] std::vector<std::string> readNameservers(const std::filesystem::path& path);
// Replaces the nameserver lines (keeping every other line) atomically. Each server must
// be a literal IPv4 or IPv6 address (HalError otherwise).
void writeNameservers(const std::filesystem::path& path, const std::vector<std::string>& servers);

// Literal address checks (inet_pton).
[[nodiscard]] bool isIpv4(const std::string& text);
[[nodiscard]] bool isIpv6(const std::string& text);

}  // namespace cwmpd::hal::detail
