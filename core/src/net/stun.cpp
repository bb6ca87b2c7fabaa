#include "cwmpd/core/net/stun.hpp"

#include <arpa/inet.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <algorithm>
#include <random>
#include <stdexcept>

namespace cwmpd::core::net::stun {

namespace {

constexpr std::size_t kIntegritySize = 20;  // HMAC-SHA1

std::uint16_t get16(std::span<const std::uint8_t> d, std::size_t at) {
  return static_cast<std::uint16_t>((d[at] << 8) | d[at + 1]);
}

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xff));
}

void set16(std::vector<std::uint8_t>& out, std::size_t at, std::uint16_t v) {
  out[at] = static_cast<std::uint8_t>(v >> 8);
  out[at + 1] = static_cast<std::uint8_t>(v & 0xff);
}

void putAttribute(std::vector<std::uint8_t>& out, std::uint16_t type, std::string_view value) {
  put16(out, type);
  put16(out, static_cast<std::uint16_t>(value.size()));
  out.insert(out.end(), value.begin(), value.end());
  while (out.size() % 4 != 0) out.push_back(0);
}

// (XOR-)MAPPED-ADDRESS: reserved byte, family (1 IPv4, 2 IPv6), port, address.
std::optional<Endpoint> readAddress(std::span<const std::uint8_t> v, bool xored,
                                    const TransactionId& tid) {
  if (v.size() < 4) return std::nullopt;
  const std::uint8_t family = v[1];
  const std::size_t length = family == 1 ? 4 : family == 2 ? 16 : 0;
  if (length == 0 || v.size() != 4 + length) return std::nullopt;
  std::uint16_t port = get16(v, 2);
  std::array<std::uint8_t, 16> address{};
  for (std::size_t i = 0; i < length; ++i) {
    address[i] = v[4 + i];
    // RFC 5389 15.2: the port is XORed with the cookie's top half, the address with
    // the cookie followed by the transaction id (the first 16 bytes of `tid`).
    if (xored) address[i] ^= tid[i];
  }
  if (xored) port ^= static_cast<std::uint16_t>(kMagicCookie >> 16);
  char text[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(family == 1 ? AF_INET : AF_INET6, address.data(), text, sizeof text) == nullptr)
    return std::nullopt;
  return Endpoint{text, port};
}

// Nothing when GnuTLS cannot compute it (a policy without SHA-1): a zero MAC would sign
// nothing and would match a zero MAC sent by anyone.
std::optional<std::array<std::uint8_t, kIntegritySize>> hmac(std::span<const std::uint8_t> data,
                                                             std::string_view key) {
  std::array<std::uint8_t, kIntegritySize> out{};
  if (gnutls_hmac_fast(GNUTLS_MAC_SHA1, key.data(), key.size(), data.data(), data.size(),
                       out.data()) != 0)
    return std::nullopt;
  return out;
}

}  // namespace

std::optional<Message> decode(std::span<const std::uint8_t> d) {
  if (d.size() < kHeaderSize || d.size() > kMaxMessage) return std::nullopt;
  Message m;
  m.type = get16(d, 0);
  if ((m.type & 0xC000) != 0) return std::nullopt;  // RFC 5389 6: the top two bits are zero
  const std::size_t length = get16(d, 2);
  if (length != d.size() - kHeaderSize || length % 4 != 0) return std::nullopt;
  std::copy_n(d.begin() + 4, m.transaction.size(), m.transaction.begin());
  bool haveXor = false;
  std::size_t at = kHeaderSize;
  while (at < d.size()) {
    if (d.size() - at < 4) return std::nullopt;
    const std::uint16_t type = get16(d, at);
    const std::size_t size = get16(d, at + 2);
    const std::size_t padded = (size + 3) & ~std::size_t{3};
    if (padded > d.size() - at - 4) return std::nullopt;
    const auto value = d.subspan(at + 4, size);
    // RFC 5389 15.4: only FINGERPRINT may follow MESSAGE-INTEGRITY.
    if (m.integrityOffset && type != kFingerprint) return std::nullopt;
    switch (type) {
      case kMappedAddress:
        if (!haveXor) {
          m.mapped = readAddress(value, false, m.transaction);
          if (!m.mapped) return std::nullopt;
        }
        break;
      case kXorMappedAddress:
        m.mapped = readAddress(value, true, m.transaction);
        if (!m.mapped) return std::nullopt;
        haveXor = true;
        break;
      case kErrorCode: {
        if (size < 4) return std::nullopt;
        const int cls = value[2] & 0x07;
        const int number = value[3];
        if (cls < 3 || cls > 6 || number > 99) return std::nullopt;
        m.errorCode = cls * 100 + number;
        break;
      }
      case kUsername:
        if (size > 513) return std::nullopt;
        m.username = std::string(value.begin(), value.end());
        break;
      case kMessageIntegrity:
        if (size != kIntegritySize) return std::nullopt;
        m.integrityOffset = at;
        break;
      case kConnectionRequestBinding:
        if (std::string_view(reinterpret_cast<const char*>(value.data()), value.size()) !=
            kConnectionRequestBindingValue)
          return std::nullopt;
        m.connectionRequestBinding = true;
        break;
      case kBindingChange:
        if (size != 0) return std::nullopt;
        m.bindingChange = true;
        break;
      default: break;  // not ours: skipped
    }
    at += 4 + padded;
  }
  return m;
}

std::vector<std::uint8_t> encode(const BindingRequest& r) {
  std::vector<std::uint8_t> out;
  out.reserve(128);
  put16(out, kBindingRequest);
  put16(out, 0);  // the length, set below
  out.insert(out.end(), r.transaction.begin(), r.transaction.end());
  if (r.connectionRequestBinding)
    putAttribute(out, kConnectionRequestBinding, kConnectionRequestBindingValue);
  if (r.bindingChange) putAttribute(out, kBindingChange, {});
  if (!r.username.empty()) {
    putAttribute(out, kUsername, r.username);
    // The length covers MESSAGE-INTEGRITY while the hash is computed (RFC 5389 15.4).
    set16(out, 2, static_cast<std::uint16_t>(out.size() - kHeaderSize + 4 + kIntegritySize));
    const auto mac = hmac(out, r.password);
    if (!mac) throw std::runtime_error("STUN: cannot compute MESSAGE-INTEGRITY (HMAC-SHA1)");
    put16(out, kMessageIntegrity);
    put16(out, static_cast<std::uint16_t>(kIntegritySize));
    out.insert(out.end(), mac->begin(), mac->end());
  }
  set16(out, 2, static_cast<std::uint16_t>(out.size() - kHeaderSize));
  return out;
}

bool integrityValid(std::span<const std::uint8_t> d, const Message& m, std::string_view password) {
  if (!m.integrityOffset || *m.integrityOffset + 4 + kIntegritySize > d.size()) return false;
  const std::size_t at = *m.integrityOffset;
  std::vector<std::uint8_t> covered(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(at));
  const auto length = static_cast<std::uint16_t>(at - kHeaderSize + 4 + kIntegritySize);
  set16(covered, 2, length);
  const auto mac = hmac(covered, password);
  return mac && gnutls_memcmp(mac->data(), d.data() + at + 4, kIntegritySize) == 0;
}

TransactionId newTransaction() {
  TransactionId t{};
  t[0] = static_cast<std::uint8_t>(kMagicCookie >> 24);
  t[1] = static_cast<std::uint8_t>((kMagicCookie >> 16) & 0xff);
  t[2] = static_cast<std::uint8_t>((kMagicCookie >> 8) & 0xff);
  t[3] = static_cast<std::uint8_t>(kMagicCookie & 0xff);
  if (gnutls_rnd(GNUTLS_RND_NONCE, t.data() + 4, t.size() - 4) != 0) {
    std::random_device entropy;
    for (std::size_t i = 4; i < t.size(); ++i) t[i] = static_cast<std::uint8_t>(entropy());
  }
  return t;
}

}  // namespace cwmpd::core::net::stun
