// TR-069 Annex G pieces without a daemon: the STUN codec (against the RFC 5769 test
// vectors) and the UDP Connection Request reader and its checks (signatures computed
// with `openssl dgst -sha1 -hmac`, not with our own code).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cwmpd/core/net/stun.hpp"
#include "cwmpd/core/net/udp_connection_request.hpp"

namespace {

using namespace cwmpd::core::net;

// RFC 5769 2.2, "Sample IPv4 Response": XOR-MAPPED-ADDRESS 192.0.2.1 port 32853,
// MESSAGE-INTEGRITY keyed with "VOkJxbRl1RmTxUk/WvJxBt", then FINGERPRINT.
const std::vector<std::uint8_t> kRfc5769Response = {
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
    0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9,
    0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96};

TEST(Stun, DecodesTheRfc5769ResponseAndChecksItsIntegrity) {
  const auto m = stun::decode(kRfc5769Response);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, stun::kBindingResponse);
  ASSERT_TRUE(m->mapped);
  EXPECT_EQ(m->mapped->address, "192.0.2.1");
  EXPECT_EQ(m->mapped->port, 32853);
  EXPECT_TRUE(stun::integrityValid(kRfc5769Response, *m, "VOkJxbRl1RmTxUk/WvJxBt"));
  EXPECT_FALSE(stun::integrityValid(kRfc5769Response, *m, "VOkJxbRl1RmTxUk/WvJxBT"));
}

TEST(Stun, RefusesMalformedMessages) {
  auto bad = kRfc5769Response;
  bad[3] = 0x40;  // length beyond the datagram
  EXPECT_FALSE(stun::decode(bad));
  bad = kRfc5769Response;
  bad[0] = 0x41;  // top bits set: not STUN
  EXPECT_FALSE(stun::decode(bad));
  bad = kRfc5769Response;
  bad[39] = 0x20;  // XOR-MAPPED-ADDRESS attribute claims 0x20 bytes
  EXPECT_FALSE(stun::decode(bad));
  EXPECT_FALSE(stun::decode(std::vector<std::uint8_t>(19, 0)));
  const std::vector<std::uint8_t> truncated(kRfc5769Response.begin(), kRfc5769Response.end() - 2);
  EXPECT_FALSE(stun::decode(truncated));
}

TEST(Stun, BindingRequestCarriesTheAnnexGAttributesAndIntegrity) {
  stun::BindingRequest r;
  r.transaction = stun::newTransaction();
  r.bindingChange = true;
  r.username = "cpe-user";
  r.password = "stun-secret";
  const auto bytes = stun::encode(r);
  const auto m = stun::decode(bytes);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, stun::kBindingRequest);
  EXPECT_EQ(m->transaction, r.transaction);
  EXPECT_TRUE(m->connectionRequestBinding);
  EXPECT_TRUE(m->bindingChange);
  EXPECT_EQ(m->username.value_or(""), "cpe-user");
  EXPECT_TRUE(stun::integrityValid(bytes, *m, "stun-secret"));
  EXPECT_FALSE(stun::integrityValid(bytes, *m, "other"));

  r.username.clear();
  r.bindingChange = false;
  const auto plain = stun::decode(stun::encode(r));
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->bindingChange);
  EXPECT_FALSE(plain->integrityOffset);
  EXPECT_FALSE(plain->username);
}

// ts=1120673700 id=1234 un=cr-user cn=XTGRWIPC6D3IPXS3, key cr-secret.
constexpr const char* kSig = "7f91f6846a02ecf06b462e930c1870d5b5f74b3e";

std::string request(const std::string& query) {
  return "GET http://10.1.1.1:7547?" + query + " HTTP/1.1\r\nHost: 10.1.1.1:7547\r\n\r\n";
}

TEST(UdpConnectionRequest, ReadsTheAnnexGExampleAndItsSignatureMatchesOpenssl) {
  const auto r = parseUdpConnectionRequest(
      request(std::string("ts=1120673700&id=1234&un=cr-user&cn=XTGRWIPC6D3IPXS3&sig=") + kSig));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ts, 1120673700u);
  EXPECT_EQ(r->id, "1234");
  EXPECT_EQ(r->un, "cr-user");
  EXPECT_EQ(r->cn, "XTGRWIPC6D3IPXS3");
  EXPECT_EQ(udpConnectionRequestSignature(r->ts, r->id, r->un, r->cn, "cr-secret"), kSig);
}

TEST(UdpConnectionRequest, RefusesWhatIsNotStrictlyOne) {
  const std::string good = std::string("ts=1&id=1&un=u&cn=c&sig=") + kSig;
  EXPECT_TRUE(parseUdpConnectionRequest(request(good)));
  EXPECT_FALSE(parseUdpConnectionRequest("POST http://h?" + good + " HTTP/1.1\r\n\r\n"));
  EXPECT_FALSE(parseUdpConnectionRequest("GET http://h?" + good + " HTTP/1.0\r\n\r\n"));
  EXPECT_FALSE(parseUdpConnectionRequest("GET http://h?" + good + " HTTP/1.1\r\n"));
  EXPECT_FALSE(parseUdpConnectionRequest(request(good) + "x"));
  EXPECT_FALSE(parseUdpConnectionRequest(request(good + "&ts=2")));         // twice
  EXPECT_FALSE(parseUdpConnectionRequest(request("ts=1&id=1&un=u&cn=c")));  // no sig
  EXPECT_FALSE(parseUdpConnectionRequest(request("ts=x&id=1&un=u&cn=c&sig=") + kSig));
  EXPECT_FALSE(parseUdpConnectionRequest(request("ts=1&id=1&un=u&cn=c&sig=abc")));
  EXPECT_FALSE(parseUdpConnectionRequest(request("ts=1&id=1&un=%4&cn=c&sig=") + kSig));
  EXPECT_FALSE(parseUdpConnectionRequest(request("ts=1&id=1&un=%0a&cn=c&sig=") + kSig));
  EXPECT_FALSE(parseUdpConnectionRequest(""));
}

TEST(UdpConnectionRequest, GuardAcceptsOnceAndRefusesReplaysStaleAndForgedOnes) {
  auto signedRequest = [](std::uint64_t ts, const std::string& id, const std::string& un,
                          const std::string& key) {
    UdpConnectionRequest r{ts, id, un, "cnonce", {}};
    r.sig = udpConnectionRequestSignature(ts, id, un, r.cn, key);
    return r;
  };
  using V = UdpConnectionRequestGuard::Verdict;
  UdpConnectionRequestGuard g;
  EXPECT_EQ(g.check(signedRequest(100, "a", "cr-user", "cr-secret"), "cr-user", "cr-secret"),
            V::Accepted);
  EXPECT_EQ(g.check(signedRequest(100, "a", "cr-user", "cr-secret"), "cr-user", "cr-secret"),
            V::Replayed);
  EXPECT_EQ(g.check(signedRequest(99, "b", "cr-user", "cr-secret"), "cr-user", "cr-secret"),
            V::Stale);
  EXPECT_EQ(g.check(signedRequest(101, "c", "cr-user", "wrong"), "cr-user", "cr-secret"),
            V::BadSignature);
  EXPECT_EQ(g.check(signedRequest(101, "c", "other", "cr-secret"), "cr-user", "cr-secret"),
            V::WrongUsername);
  EXPECT_EQ(g.check(signedRequest(100, "d", "cr-user", "cr-secret"), "cr-user", "cr-secret"),
            V::Accepted);  // same second, new id
  auto upper = signedRequest(102, "e", "cr-user", "cr-secret");
  for (auto& c : upper.sig) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(g.check(upper, "cr-user", "cr-secret"), V::Accepted);
  EXPECT_EQ(g.check(signedRequest(103, "f", "", "cr-secret"), "", "cr-secret"), V::WrongUsername);
}

TEST(UdpConnectionRequest, AfterARestoreOnlyLaterTimestampsPass) {
  UdpConnectionRequest r{100, "x", "cr-user", "c", {}};
  r.sig = udpConnectionRequestSignature(r.ts, r.id, r.un, r.cn, "cr-secret");
  UdpConnectionRequestGuard g;
  g.restore(100);
  EXPECT_EQ(g.check(r, "cr-user", "cr-secret"), UdpConnectionRequestGuard::Verdict::Stale)
      << "the ids of before the restart are forgotten: the same second is refused";
  r.ts = 101;
  r.sig = udpConnectionRequestSignature(r.ts, r.id, r.un, r.cn, "cr-secret");
  EXPECT_EQ(g.check(r, "cr-user", "cr-secret"), UdpConnectionRequestGuard::Verdict::Accepted);
  EXPECT_EQ(g.lastAcceptedTs(), 101u);
}

}  // namespace
