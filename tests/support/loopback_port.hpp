// A port of 127.0.0.1 that nothing uses right now: bound by the kernel's choice, read and
// freed. For a server the test starts next, or for one that must find nobody listening.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

namespace cwmpd::testing {

// type: SOCK_STREAM or SOCK_DGRAM.
inline std::uint16_t unusedLoopbackPort(int type) {
  const int fd = ::socket(AF_INET, type, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace cwmpd::testing
