// TR-069 Annex G on one UDP socket, on the main loop: the UDP Connection Request
// listener (G.2.2) and the STUN client (G.2.1) that keeps the NAT binding of that very
// socket alive and learns its public address. Datagrams whose first byte has the top two
// bits clear are STUN (RFC 5389 6); the rest are read as UDP Connection Requests. Nothing
// is ever answered to a Connection Request, valid or not.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "cwmpd/core/clock.hpp"
#include "cwmpd/core/net/stun.hpp"

namespace cwmpd::core::net {

struct StunSettings {
  bool enable = false;
  std::string server;  // host name or address; "" = no server (the client stays idle)
  std::uint16_t port = 3478;
  std::string username, password;  // username "": never MESSAGE-INTEGRITY
  // STUNMaximumKeepAlivePeriod (-1: none given) and STUNMinimumKeepAlivePeriod, seconds.
  std::int64_t maximumKeepAlive = -1;
  std::uint32_t minimumKeepAlive = 0;
  bool operator==(const StunSettings&) const = default;
};

struct UdpConnectionRequestStats {
  std::uint64_t accepted = 0;      // valid, and the token bucket had a token
  std::uint64_t rateLimited = 0;   // valid, beyond the flood limit
  std::uint64_t refused = 0;       // parsed but failed a check of G.2.2.3
  std::uint64_t ignored = 0;       // neither a Connection Request nor a STUN answer of ours
  std::uint64_t stunRequests = 0;  // Binding Requests sent (retransmissions included)
};

class UdpConnectionRequestServer {
 public:
  struct Callbacks {
    std::function<void()> onRequest;  // an accepted Connection Request
    // The public address STUN learned for the socket (first time and on every change),
    // and whether it differs from the socket's own address (NATDetected).
    std::function<void(const stun::Endpoint& mapped, bool natDetected)> onMapping;
  };
  struct Config {
    std::string address;  // bind address, "" = every address (dual stack when possible)
    std::uint16_t port = 0;
    unsigned burst = 5;  // the flood limit, as ConnectionRequestServerConfig
    std::chrono::milliseconds refillInterval{2'000};
    // The ts of the last request accepted before a restart (UdpConnectionRequestGuard::
    // restore()); nullopt for none.
    std::optional<std::uint64_t> lastAcceptedTs;
  };

  UdpConnectionRequestServer(boost::asio::io_context& io, std::shared_ptr<Clock> clock,
                             Config config, Callbacks callbacks);
  ~UdpConnectionRequestServer();
  UdpConnectionRequestServer(const UdpConnectionRequestServer&) = delete;
  UdpConnectionRequestServer& operator=(const UdpConnectionRequestServer&) = delete;

  // Binds and starts reading; throws std::runtime_error when the port is taken.
  void start();
  void stop();
  void setCredentials(std::string username, std::string password);
  // (Re)starts the STUN client with these settings, or stops it (enable false). The same
  // settings again change nothing.
  void configureStun(const StunSettings& settings);
  [[nodiscard]] std::uint16_t port() const;
  [[nodiscard]] UdpConnectionRequestStats stats() const;
  // The ts of the last accepted request (to persist), nullopt before the first.
  [[nodiscard]] std::optional<std::uint64_t> lastAcceptedTs() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace cwmpd::core::net
