#include "cwmpd/core/net/udp_connection_request.hpp"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace cwmpd::core::net {

namespace {

constexpr std::size_t kSigHexLength = 40;  // SHA-1: 20 bytes
// A field longer than this is no Connection Request (un and cn are at most 256 in the
// models; ts and id are short).
constexpr std::size_t kMaxField = 256;

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding of one query value; false on a broken escape or a control character.
bool decode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = hexDigit(in[i + 1]);
      const int lo = hexDigit(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+') {
      c = ' ';
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
    out += c;
  }
  return out.size() <= kMaxField;
}

}  // namespace

std::optional<UdpConnectionRequest> parseUdpConnectionRequest(std::string_view datagram) {
  // Request line: G.2.2.1 requires HTTP 1.1 and the GET method.
  const std::size_t lineEnd = datagram.find("\r\n");
  if (lineEnd == std::string_view::npos) return std::nullopt;
  std::string_view line = datagram.substr(0, lineEnd);
  constexpr std::string_view kMethod = "GET ";
  constexpr std::string_view kVersion = " HTTP/1.1";
  if (line.size() < kMethod.size() + kVersion.size() || line.substr(0, kMethod.size()) != kMethod ||
      line.substr(line.size() - kVersion.size()) != kVersion)
    return std::nullopt;
  const std::string_view uri =
      line.substr(kMethod.size(), line.size() - kMethod.size() - kVersion.size());
  if (uri.empty() || uri.find_first_of(" \t") != std::string_view::npos) return std::nullopt;

  // Header lines, up to the empty line that ends the message; nothing may follow it.
  std::size_t pos = lineEnd + 2;
  for (;;) {
    const std::size_t end = datagram.find("\r\n", pos);
    if (end == std::string_view::npos) return std::nullopt;
    if (end == pos) {
      if (end + 2 != datagram.size()) return std::nullopt;
      break;
    }
    const std::string_view header = datagram.substr(pos, end - pos);
    const std::size_t colon = header.find(':');
    if (colon == 0 || colon == std::string_view::npos) return std::nullopt;
    for (char c : header)
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t') return std::nullopt;
    pos = end + 2;
  }

  const std::size_t question = uri.find('?');
  if (question == std::string_view::npos) return std::nullopt;
  std::string_view query = uri.substr(question + 1);
  if (const std::size_t hash = query.find('#'); hash != std::string_view::npos)
    query = query.substr(0, hash);

  UdpConnectionRequest r;
  std::array<bool, 5> seen{};
  std::string ts;
  std::string value;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const std::size_t eq = pair.find('=');
    const std::string_view name = pair.substr(0, eq);
    const std::string_view raw =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    static constexpr std::array<std::string_view, 5> kNames = {"ts", "id", "un", "cn", "sig"};
    const auto it = std::find(kNames.begin(), kNames.end(), name);
    if (it == kNames.end()) continue;
    const auto index = static_cast<std::size_t>(it - kNames.begin());
    if (seen[index] || eq == std::string_view::npos || !decode(raw, value)) return std::nullopt;
    seen[index] = true;
    switch (index) {
      case 0: ts = value; break;
      case 1: r.id = value; break;
      case 2: r.un = value; break;
      case 3: r.cn = value; break;
      default: r.sig = value; break;
    }
  }
  if (!std::all_of(seen.begin(), seen.end(), [](bool b) { return b; })) return std::nullopt;
  // ts: seconds since the epoch, a plain decimal that fits 64 bits.
  if (ts.empty() || ts.size() > 19 ||
      !std::all_of(ts.begin(), ts.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  r.ts = std::stoull(ts);
  if (r.id.empty() || r.cn.empty() || r.sig.size() != kSigHexLength ||
      !std::all_of(r.sig.begin(), r.sig.end(), [](char c) { return hexDigit(c) >= 0; }))
    return std::nullopt;
  return r;
}

std::string udpConnectionRequestSignature(std::uint64_t ts, std::string_view id,
                                          std::string_view un, std::string_view cn,
                                          std::string_view password) {
  const std::string text = std::to_string(ts) + std::string(id) + std::string(un) + std::string(cn);
  std::array<unsigned char, 20> digest{};  // SHA-1's size
  if (gnutls_hmac_fast(GNUTLS_MAC_SHA1, password.data(), password.size(), text.data(), text.size(),
                       digest.data()) != 0)
    return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(std::size_t{2} * digest.size());
  for (const unsigned char byte : digest) {
    out += kHex[byte >> 4];
    out += kHex[byte & 0x0f];
  }
  return out;
}

UdpConnectionRequestGuard::Verdict UdpConnectionRequestGuard::check(
    const UdpConnectionRequest& request, std::string_view username, std::string_view password) {
  std::string expected =
      udpConnectionRequestSignature(request.ts, request.id, request.un, request.cn, password);
  std::string got = request.sig;
  std::transform(got.begin(), got.end(), got.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  // Compared in constant time: the timing must not tell how much of a guess was right.
  if (expected.size() != got.size() || expected.empty() ||
      gnutls_memcmp(expected.data(), got.data(), expected.size()) != 0)
    return Verdict::BadSignature;
  if (username.empty() || request.un != username) return Verdict::WrongUsername;
  if ((lastTs_ && request.ts < *lastTs_) || (restoredTs_ && request.ts <= *restoredTs_))
    return Verdict::Stale;
  if (std::find(ids_.begin(), ids_.end(), request.id) != ids_.end()) return Verdict::Replayed;
  lastTs_ = request.ts;
  ids_.push_back(request.id);
  if (ids_.size() > kRememberedIds) ids_.pop_front();
  return Verdict::Accepted;
}

void UdpConnectionRequestGuard::restore(std::uint64_t lastAcceptedTs) {
  lastTs_ = lastAcceptedTs;
  restoredTs_ = lastAcceptedTs;
  ids_.clear();
}

const char* toString(UdpConnectionRequestGuard::Verdict v) {
  switch (v) {
    case UdpConnectionRequestGuard::Verdict::Accepted: return "accepted";
    case UdpConnectionRequestGuard::Verdict::BadSignature: return "bad signature";
    case UdpConnectionRequestGuard::Verdict::WrongUsername: return "wrong username";
    case UdpConnectionRequestGuard::Verdict::Stale: return "timestamp older than the last accepted";
    case UdpConnectionRequestGuard::Verdict::Replayed: return "id already accepted";
  }
  return "?";
}

}  // namespace cwmpd::core::net
