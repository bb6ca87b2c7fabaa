#include "cwmpd/core/net/local_address.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace cwmpd::core::net {

namespace {

std::string urlPart(const std::string& url, CURLUPart what, unsigned int flags) {
  std::string out;
  CURLU* u = curl_url();
  if (u == nullptr) return out;
  char* text = nullptr;
  if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
      curl_url_get(u, what, &text, flags) == CURLUE_OK && text != nullptr)
    out = text;
  curl_free(text);
  curl_url_cleanup(u);
  return out;
}

std::string numericText(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
  } else if (sa->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
  }
  return buf;
}

}  // namespace

std::string urlHost(const std::string& url) {
  std::string host = urlPart(url, CURLUPART_HOST, 0);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  // A zone id ("fe80::1%25eth0") is not part of the address.
  if (auto pct = host.find('%'); pct != std::string::npos) host.resize(pct);
  return host;
}

int urlPort(const std::string& url) {
  const std::string port = urlPart(url, CURLUPART_PORT, CURLU_DEFAULT_PORT);
  return port.empty() ? 0 : std::atoi(port.c_str());
}

bool isNumericAddress(const std::string& host) {
  in6_addr v6{};
  in_addr v4{};
  return inet_pton(AF_INET, host.c_str(), &v4) == 1 || inet_pton(AF_INET6, host.c_str(), &v6) == 1;
}

std::string sourceAddressTowards(const std::string& address) {
  sockaddr_storage peer{};
  socklen_t peerLen = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&peer);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&peer);
  if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(9);  // any port: connect() on UDP only chooses the route
    peerLen = sizeof *v4;
  } else if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(9);
    peerLen = sizeof *v6;
  } else {
    return {};
  }
  const int fd = ::socket(peer.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {};
  std::string out;
  sockaddr_storage local{};
  socklen_t localLen = sizeof local;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&peer), peerLen) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &localLen) == 0)
    out = numericText(reinterpret_cast<sockaddr*>(&local));
  ::close(fd);
  return out;
}

std::string interfaceAddress(const std::string& name, int family) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return {};
  std::string preferred, other;
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || name != i->ifa_name) continue;
    const int f = i->ifa_addr->sa_family;
    if (f != AF_INET && f != AF_INET6) continue;
    if (f == AF_INET6 &&
        IN6_IS_ADDR_LINKLOCAL(&reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr))
      continue;
    std::string& slot = f == family ? preferred : other;
    if (slot.empty()) slot = numericText(i->ifa_addr);
  }
  freeifaddrs(list);
  return preferred.empty() ? other : preferred;
}

std::string urlHostPart(const std::string& address) {
  if (address.find(':') != std::string::npos && address.front() != '[') return "[" + address + "]";
  return address;
}

}  // namespace cwmpd::core::net
