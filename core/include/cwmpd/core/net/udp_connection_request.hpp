// UDP Connection Requests of TR-069 Annex G (G.2.2): an HTTP GET carried in one UDP
// datagram, whose Request-URI query holds ts (seconds since the epoch), id (a message
// id), un (ConnectionRequestUsername), cn (a random cnonce) and sig, the HMAC-SHA1 of
// ts, id, un and cn concatenated, keyed with ConnectionRequestPassword, in hex.
// Nothing is ever answered (G.2.2.3): a datagram that does not pass is dropped silently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace cwmpd::core::net {

struct UdpConnectionRequest {
  std::uint64_t ts = 0;
  std::string id, un, cn;
  std::string sig;  // 40 hex digits, as received
};

// Reads one datagram strictly: "GET <uri> HTTP/1.1" CRLF, header lines, an empty line
// and nothing after it; the URI's query names each of ts, id, un, cn and sig exactly once
// (percent-decoded; other names are ignored), ts is decimal, sig is 40 hex digits.
// nullopt for anything else.
[[nodiscard]] std::optional<UdpConnectionRequest> parseUdpConnectionRequest(
    std::string_view datagram);

// HMAC-SHA1(password, ts + id + un + cn) in lowercase hex: the sig an ACS sends.
[[nodiscard]] std::string udpConnectionRequestSignature(std::uint64_t ts, std::string_view id,
                                                        std::string_view un, std::string_view cn,
                                                        std::string_view password);

// The checks of G.2.2.3 with their memory: a request passes when its signature is right
// for `password`, its un is `username` (never with an empty username), its ts is not
// older than the last accepted one and its id was not accepted before (the last
// kRememberedIds ids are kept: a replay carries an old id and an old or equal ts).
class UdpConnectionRequestGuard {
 public:
  static constexpr std::size_t kRememberedIds = 64;
  enum class Verdict { Accepted, BadSignature, WrongUsername, Stale, Replayed };

  Verdict check(const UdpConnectionRequest& request, std::string_view username,
                std::string_view password);
  // The ts last accepted before a restart (the ids of that time are forgotten): from now
  // on only later ones pass, so that no request of before the restart can be replayed.
  void restore(std::uint64_t lastAcceptedTs);
  [[nodiscard]] std::optional<std::uint64_t> lastAcceptedTs() const { return lastTs_; }

 private:
  std::optional<std::uint64_t> lastTs_;
  std::optional<std::uint64_t> restoredTs_;
  std::deque<std::string> ids_;
};

[[nodiscard]] const char* toString(UdpConnectionRequestGuard::Verdict v);

}  // namespace cwmpd::core::net
