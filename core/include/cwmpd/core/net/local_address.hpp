// Which of the box's own addresses an ACS can reach, for ConnectionRequestURL (TR-069
// 3.2.2): the source address of the route towards the ACS, or an interface's address.
// Plain system calls (no traffic is sent); thread-safe.
#pragma once

#include <string>

namespace cwmpd::core::net {

// The host part of `url` without brackets ("" when the URL does not parse).
[[nodiscard]] std::string urlHost(const std::string& url);
// The port of `url`, the scheme's default when none is written (0 when unparsable).
[[nodiscard]] int urlPort(const std::string& url);

// True for a numeric IPv4 or IPv6 address.
[[nodiscard]] bool isNumericAddress(const std::string& host);

// The local address the kernel picks for traffic to the numeric `address`: a UDP socket
// connect()ed to it reveals the route's source address without sending anything. ""
// when there is no route (or `address` is not numeric).
[[nodiscard]] std::string sourceAddressTowards(const std::string& address);

// An address of interface `name`: of `family` (AF_INET or AF_INET6) when the interface
// has one, else of the other family; IPv6 link-local addresses are skipped (a URL would
// need the zone). "" when the interface has no usable address or does not exist.
[[nodiscard]] std::string interfaceAddress(const std::string& name, int family);

// `address` as the host of a URL: an IPv6 address in brackets.
[[nodiscard]] std::string urlHostPart(const std::string& address);

}  // namespace cwmpd::core::net
