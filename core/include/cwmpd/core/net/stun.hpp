// The few STUN messages TR-069 Annex G needs, encoded and decoded by hand: Binding
// Requests (RFC 5389 header with the magic cookie, which RFC 3489 servers read as part of
// their 128-bit transaction id) carrying the Annex G attributes CONNECTION-REQUEST-BINDING
// and BINDING-CHANGE, USERNAME and MESSAGE-INTEGRITY; Binding Responses and Binding Error
// Responses. Debian ships no C or C++ STUN library (only Go, Erlang and Java ones, and
// libnice's ICE agent, which hides the attributes we must add), so this is our own, small
// and strict: the decoder refuses anything malformed (fuzzed: fuzz/stun_fuzzer.cpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cwmpd::core::net::stun {

inline constexpr std::uint16_t kBindingRequest = 0x0001;
inline constexpr std::uint16_t kBindingResponse = 0x0101;
inline constexpr std::uint16_t kBindingErrorResponse = 0x0111;
inline constexpr std::uint32_t kMagicCookie = 0x2112A442;

inline constexpr std::uint16_t kMappedAddress = 0x0001;
inline constexpr std::uint16_t kUsername = 0x0006;
inline constexpr std::uint16_t kMessageIntegrity = 0x0008;
inline constexpr std::uint16_t kErrorCode = 0x0009;
inline constexpr std::uint16_t kXorMappedAddress = 0x0020;
inline constexpr std::uint16_t kFingerprint = 0x8028;
// TR-069 Annex G, Table "STUN attributes": the value of CONNECTION-REQUEST-BINDING is
// this fixed 20-byte string; BINDING-CHANGE has none.
inline constexpr std::uint16_t kConnectionRequestBinding = 0xC001;
inline constexpr std::uint16_t kBindingChange = 0xC002;
inline constexpr std::string_view kConnectionRequestBindingValue = "dslforum.org/TR-111 ";

inline constexpr std::size_t kHeaderSize = 20;
// Anything bigger is no answer to a Binding Request.
inline constexpr std::size_t kMaxMessage = 1024;

using TransactionId = std::array<std::uint8_t, 16>;  // cookie + 96 random bits

struct Endpoint {
  std::string address;  // numeric IPv4 or IPv6
  std::uint16_t port = 0;
  bool operator==(const Endpoint&) const = default;
};

struct Message {
  std::uint16_t type = 0;
  TransactionId transaction{};
  std::optional<Endpoint> mapped;  // XOR-MAPPED-ADDRESS if present, else MAPPED-ADDRESS
  std::optional<int> errorCode;    // ERROR-CODE as class * 100 + number
  std::optional<std::string> username;
  bool connectionRequestBinding = false;
  bool bindingChange = false;
  // Offset of the MESSAGE-INTEGRITY attribute in the datagram (see integrityValid()).
  std::optional<std::size_t> integrityOffset;
};

// The datagram decoded, or nullopt: a message type with one of the two top bits set, a
// length field that disagrees with the datagram, an attribute running past the end or a
// known attribute of the wrong size. Unknown attributes are skipped.
[[nodiscard]] std::optional<Message> decode(std::span<const std::uint8_t> datagram);

struct BindingRequest {
  TransactionId transaction{};
  bool connectionRequestBinding = true;
  bool bindingChange = false;
  // Non-empty: USERNAME and MESSAGE-INTEGRITY (HMAC-SHA1 keyed with `password`, RFC 5389
  // 15.4: over the message up to the attribute, the length field counting it).
  std::string username, password;
};
// Throws std::runtime_error when MESSAGE-INTEGRITY cannot be computed (no HMAC-SHA1).
[[nodiscard]] std::vector<std::uint8_t> encode(const BindingRequest& request);

// True when the message's MESSAGE-INTEGRITY is the HMAC-SHA1 of `datagram` keyed with
// `password` (as encode() computes it).
[[nodiscard]] bool integrityValid(std::span<const std::uint8_t> datagram, const Message& message,
                                  std::string_view password);

// A fresh transaction id: the magic cookie, then 12 random bytes.
[[nodiscard]] TransactionId newTransaction();

}  // namespace cwmpd::core::net::stun
