// TR-069 Annex G parsers on any datagram: the STUN decoder (and the MESSAGE-INTEGRITY
// check of what it accepts) and the UDP Connection Request reader (and the checks of
// what it accepts). Both see every input, as the daemon's UDP socket hands each datagram
// to one of them. Seeds: fuzz/seeds-annex-g.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "cwmpd/core/net/stun.hpp"
#include "cwmpd/core/net/udp_connection_request.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace net = cwmpd::core::net;
  const std::span<const std::uint8_t> bytes(data, size);
  if (auto m = net::stun::decode(bytes)) {
    (void)net::stun::integrityValid(bytes, *m, "secret");
    // What decodes re-encodes as a request without crashing, whatever its fields.
    net::stun::BindingRequest r;
    r.transaction = m->transaction;
    r.bindingChange = m->bindingChange;
    if (m->username) r.username = *m->username;
    r.password = "secret";
    if (r.username.size() < 512) (void)net::stun::decode(net::stun::encode(r));
  }
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto r = net::parseUdpConnectionRequest(text)) {
    net::UdpConnectionRequestGuard guard;
    (void)guard.check(*r, r->un, "secret");
    (void)guard.check(*r, r->un, "secret");
  }
  return 0;
}
