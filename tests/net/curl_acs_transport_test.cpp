// CurlAcsTransport against the real loopback test ACS (tests/acs/test_acs.py).
#include "cwmpd/core/net/curl_acs_transport.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "test_acs.hpp"

namespace cwmpd::core::net {
namespace {

using cwmpd::test::Json;
using cwmpd::test::TestAcs;
using cwmpd::test::TestAcsOptions;

constexpr const char* kInform =
    "<soap-env:Envelope xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\" "
    "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\"><soap-env:Header>"
    "<cwmp:ID soap-env:mustUnderstand=\"1\">42</cwmp:ID></soap-env:Header><soap-env:Body>"
    "<cwmp:Inform><Event><EventStruct><EventCode>1 BOOT</EventCode><CommandKey></CommandKey>"
    "</EventStruct></Event></cwmp:Inform></soap-env:Body></soap-env:Envelope>";

constexpr const char* kGetRpcMethodsResponse =
    "<soap-env:Envelope xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\" "
    "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\"><soap-env:Body><cwmp:GetRPCMethodsResponse>"
    "</cwmp:GetRPCMethodsResponse></soap-env:Body></soap-env:Envelope>";

// Options of a plain HTTP test ACS on `address`.
TestAcsOptions listeningOn(const std::string& address) {
  TestAcsOptions options;
  options.address = address;
  return options;
}

std::string header(const Json& request, const std::string& name) {
  return request.get<std::string>("headers." + name, "<absent>");
}

class CurlAcsTransportTest : public ::testing::Test {
 protected:
  void SetUp() override { acs_ = std::make_unique<TestAcs>(); }

  AcsEndpoint endpoint(const std::string& path = "/acs") const {
    AcsEndpoint ep;
    ep.url = acs_->url(path);
    ep.username = "cpe";
    ep.password = "secret";
    ep.connectTimeout = std::chrono::seconds(5);
    ep.timeout = std::chrono::seconds(10);
    return ep;
  }

  // Inform and empty POST in one session, then the Inform of the next one.
  void runTwoSessions() {
    transport_.beginSession(endpoint());
    ASSERT_EQ(transport_.post(kInform, "\"\"").status, 200);
    ASSERT_EQ(transport_.post("", "").status, 204);
    transport_.endSession();
    transport_.beginSession(endpoint());
    ASSERT_EQ(transport_.post(kInform, "\"\"").status, 200);
    transport_.endSession();
  }

  std::unique_ptr<TestAcs> acs_;
  CurlAcsTransport transport_;
};

TEST_F(CurlAcsTransportTest, SendsContentTypeAndSoapActionWithARequestAndNeitherOnAnEmptyPost) {
  acs_->addRpc("<cwmp:GetRPCMethods></cwmp:GetRPCMethods>");
  transport_.beginSession(endpoint());
  const HttpResult inform = transport_.post(kInform, "\"\"");
  ASSERT_EQ(inform.status, 200) << inform.error;
  EXPECT_NE(inform.body.find("InformResponse"), std::string::npos);
  EXPECT_NE(inform.contentType.find("text/xml"), std::string::npos);
  const HttpResult request = transport_.post("", "");
  EXPECT_NE(request.body.find("GetRPCMethods"), std::string::npos);
  const HttpResult end = transport_.post(kGetRpcMethodsResponse, "");
  EXPECT_EQ(end.status, 204);
  EXPECT_TRUE(end.emptyAnswer());
  transport_.endSession();

  const auto log = acs_->requests();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(header(log[0], "content-type"), "text/xml; charset=\"utf-8\"");
  EXPECT_EQ(header(log[0], "soapaction"), "\"\"");
  EXPECT_EQ(header(log[0], "expect"), "<absent>");
  EXPECT_EQ(header(log[0], "user-agent"), "cwmpd");
  // TR-069 3.4.1: an empty POST has neither header...
  EXPECT_EQ(header(log[1], "content-type"), "<absent>");
  EXPECT_EQ(header(log[1], "soapaction"), "<absent>");
  EXPECT_EQ(header(log[1], "content-length"), "0");
  EXPECT_EQ(log[1].get<std::string>("body"), "");
  // ...and a response to an ACS request carries a body but no SOAPAction.
  EXPECT_EQ(header(log[2], "content-type"), "text/xml; charset=\"utf-8\"");
  EXPECT_EQ(header(log[2], "soapaction"), "<absent>");
  EXPECT_EQ(acs_->results().at(0).get<std::string>("method"), "GetRPCMethodsResponse");
}

TEST_F(CurlAcsTransportTest, QuotesASoapActionGivenWithoutQuotes) {
  transport_.beginSession(endpoint());
  ASSERT_EQ(transport_.post(kInform, "urn:dslforum-org:cwmp-1-2#Inform").status, 200);
  EXPECT_EQ(header(acs_->requests().at(0), "soapaction"), "\"urn:dslforum-org:cwmp-1-2#Inform\"");
}

// The ACS demands `scheme` auth; the Inform must reach it whole twice, the second
// time with credentials of that scheme, and be accepted then.
class CurlAcsTransportAuthTest : public CurlAcsTransportTest,
                                 public ::testing::WithParamInterface<std::string> {};

TEST_P(CurlAcsTransportAuthTest, ResendsTheWholeBodyAfterTheChallenge) {
  const std::string scheme = GetParam();
  acs_->configure("{\"auth\": \"" + scheme + "\"}");
  transport_.beginSession(endpoint());
  const HttpResult result = transport_.post(kInform, "\"\"");
  ASSERT_EQ(result.status, 200) << result.error;
  EXPECT_FALSE(result.authFailure);
  EXPECT_NE(result.body.find("InformResponse"), std::string::npos);

  const auto log = acs_->requests();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].get<int>("status"), 401);
  EXPECT_EQ(log[0].get<std::string>("body"), kInform);
  EXPECT_EQ(log[1].get<int>("status"), 200);
  EXPECT_EQ(log[1].get<std::string>("body"), kInform);
  const std::string expected = scheme == "digest" ? "Digest " : "Basic ";
  EXPECT_EQ(header(log[1], "authorization").rfind(expected, 0), 0u);
}

INSTANTIATE_TEST_SUITE_P(BasicAndDigest, CurlAcsTransportAuthTest,
                         ::testing::Values("basic", "digest"));

TEST_F(CurlAcsTransportTest, ReportsRefusedCredentialsAsAnAuthFailure) {
  acs_->configure(R"({"auth": "digest", "password": "not-the-cpe-one"})");
  transport_.beginSession(endpoint());
  const HttpResult result = transport_.post(kInform, "\"\"");
  EXPECT_EQ(result.status, 401);
  EXPECT_TRUE(result.authFailure);
  EXPECT_FALSE(result.transportError);
  EXPECT_EQ(acs_->sessions().size(), 0u);
}

TEST_F(CurlAcsTransportTest, ReturnsTheSessionCookieAndForgetsItAfterTheSession) {
  // The ACS answers 403 to a request of the session that lacks the cookie.
  acs_->configure(R"({"cookie": true})");
  runTwoSessions();

  const auto log = acs_->requests();
  const auto sessions = acs_->sessions();
  ASSERT_EQ(log.size(), 3u);
  ASSERT_EQ(sessions.size(), 2u);
  EXPECT_EQ(header(log[0], "cookie"), "<absent>");
  EXPECT_EQ(header(log[1], "cookie"), "session=" + sessions[0].get<std::string>("cookie"));
  EXPECT_EQ(header(log[2], "cookie"), "<absent>");
}

TEST_F(CurlAcsTransportTest, KeepsOneConnectionForTheWholeSession) {
  acs_->configure(R"({"auth": "digest"})");
  runTwoSessions();

  const auto log = acs_->requests();
  ASSERT_GE(log.size(), 4u);
  const std::string first = log[0].get<std::string>("conn");
  EXPECT_EQ(log[1].get<std::string>("conn"), first);
  EXPECT_EQ(log[2].get<std::string>("conn"), first);
  EXPECT_NE(log.back().get<std::string>("conn"), first);
}

TEST_F(CurlAcsTransportTest, FollowsRedirectsWithTheBodyAndStaysAtTheTargetForTheSession) {
  acs_->configure(R"({"redirect_hops": 2, "redirect_status": 307})");
  transport_.beginSession(endpoint());
  const HttpResult result = transport_.post(kInform, "\"\"");
  ASSERT_EQ(result.status, 200) << result.error;
  EXPECT_NE(result.body.find("InformResponse"), std::string::npos);
  EXPECT_EQ(transport_.post("", "").status, 204);

  const auto log = acs_->requests();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[0].get<std::string>("path"), "/acs");
  EXPECT_EQ(log[1].get<std::string>("path"), "/hop/1");
  EXPECT_EQ(log[2].get<std::string>("path"), "/hop/2");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(log[i].get<std::string>("method"), "POST");
    EXPECT_EQ(log[i].get<std::string>("body"), kInform);
  }
  // The empty POST went straight to where the session was redirected (TR-069 3.4.5).
  EXPECT_EQ(log[3].get<std::string>("path"), "/hop/2");
}

TEST_F(CurlAcsTransportTest, FollowsAtMostFiveRedirects) {
  acs_->configure(R"({"redirect_hops": 5, "redirect_status": 302})");
  transport_.beginSession(endpoint());
  const HttpResult five = transport_.post(kInform, "\"\"");
  EXPECT_EQ(five.status, 200) << five.error;
  EXPECT_EQ(acs_->requests().back().get<std::string>("body"), kInform);
  transport_.endSession();

  acs_->configure(R"({"redirect_hops": 6})");
  transport_.beginSession(endpoint());
  const HttpResult six = transport_.post(kInform, "\"\"");
  EXPECT_TRUE(six.transportError);
  EXPECT_FALSE(six.error.empty());
  const auto log = acs_->requests();
  // 6 requests for the first session, then the original and 5 follows for the second.
  ASSERT_EQ(log.size(), 12u);
  EXPECT_EQ(log.back().get<std::string>("path"), "/hop/5");
  EXPECT_EQ(acs_->sessions().size(), 1u);
}

// TR-069 3.4.5 redirects to another ACS: the credentials go along, but only in a form
// that does not reveal the password to whoever sits on a plain HTTP path.
TEST_F(CurlAcsTransportTest, AnswersTheDigestChallengeOfTheHostItWasRedirectedTo) {
  TestAcs other(listeningOn("127.0.0.2"));
  other.configure(R"({"auth": "digest"})");
  acs_->configure("{\"redirect_url\": " + cwmpd::test::jsonQuote(other.url("/acs")) + "}");
  transport_.beginSession(endpoint());
  const HttpResult result = transport_.post(kInform, "\"\"");
  ASSERT_EQ(result.status, 200) << result.error;
  EXPECT_FALSE(result.authFailure);
  EXPECT_NE(result.body.find("InformResponse"), std::string::npos);
  // The rest of the session goes to the new host, still authenticated.
  EXPECT_EQ(transport_.post("", "").status, 204);

  ASSERT_EQ(acs_->requests().size(), 1u);
  const auto log = other.requests();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].get<int>("status"), 401);
  EXPECT_EQ(header(log[0], "authorization"), "<absent>");
  EXPECT_EQ(log[0].get<std::string>("body"), kInform);
  EXPECT_EQ(log[1].get<std::string>("body"), kInform);
  EXPECT_EQ(header(log[1], "authorization").rfind("Digest ", 0), 0u);
  EXPECT_EQ(header(log[2], "authorization").rfind("Digest ", 0), 0u);
}

TEST_F(CurlAcsTransportTest, NeverSendsBasicCredentialsOverPlainHttpToAnotherHost) {
  TestAcs other(listeningOn("127.0.0.2"));
  other.configure(R"({"auth": "basic"})");
  // The session authenticated with Basic at the configured ACS first...
  acs_->configure(R"({"auth": "basic"})");
  transport_.beginSession(endpoint());
  ASSERT_EQ(transport_.post(kInform, "\"\"").status, 200);
  // ...then the ACS sends it elsewhere.
  acs_->configure("{\"redirect_url\": " + cwmpd::test::jsonQuote(other.url("/acs")) + "}");
  const HttpResult result = transport_.post("", "");
  EXPECT_EQ(result.status, 401);
  EXPECT_TRUE(result.authFailure);

  const auto log = other.requests();
  ASSERT_FALSE(log.empty());
  for (const auto& r : log) EXPECT_EQ(header(r, "authorization"), "<absent>");
}

TEST_F(CurlAcsTransportTest, TreatsA204AndAnEmpty200AsTheEndOfTheAcsSide) {
  acs_->addResponses(R"([{"status": 204}, {"status": 200}, {"status": 200, "body": "<x/>"}])");
  transport_.beginSession(endpoint());
  const HttpResult noContent = transport_.post("", "");
  EXPECT_EQ(noContent.status, 204);
  EXPECT_TRUE(noContent.emptyAnswer());
  const HttpResult emptyOk = transport_.post("", "");
  EXPECT_EQ(emptyOk.status, 200);
  EXPECT_TRUE(emptyOk.emptyAnswer());
  const HttpResult withBody = transport_.post("", "");
  EXPECT_EQ(withBody.body, "<x/>");
  EXPECT_FALSE(withBody.emptyAnswer());
}

TEST_F(CurlAcsTransportTest,
       ReportsServerErrorsAsHttpStatusAndDroppedConnectionsAsTransportErrors) {
  // The drop comes first: on a kept-alive connection libcurl would (rightly) retry once
  // on a fresh connection, which the next canned answer would then serve.
  acs_->addResponses(R"([{"drop": true}, {"status": 500, "body": "boom"}])");
  transport_.beginSession(endpoint());
  const HttpResult dropped = transport_.post(kInform, "\"\"");
  EXPECT_TRUE(dropped.transportError);
  EXPECT_FALSE(dropped.error.empty());
  const HttpResult serverError = transport_.post(kInform, "\"\"");
  EXPECT_EQ(serverError.status, 500);
  EXPECT_FALSE(serverError.transportError);
}

TEST_F(CurlAcsTransportTest, ReportsAnUnreachableAcsAsATransportError) {
  AcsEndpoint ep = endpoint();
  acs_.reset();  // nobody listens on that port any more
  transport_.beginSession(ep);
  const HttpResult result = transport_.post(kInform, "\"\"");
  EXPECT_TRUE(result.transportError);
  EXPECT_EQ(result.status, 0);
}

TEST_F(CurlAcsTransportTest, GivesUpWhenTheAcsDoesNotAnswerInTime) {
  acs_->addResponses(R"([{"delay": 3, "status": 204}])");
  AcsEndpoint ep = endpoint();
  ep.timeout = std::chrono::milliseconds(300);
  transport_.beginSession(ep);
  const HttpResult result = transport_.post(kInform, "\"\"");
  EXPECT_TRUE(result.transportError);
}

TEST(CurlAcsTransport, RefusesAResponseBodyOverTheLimitWithOrWithoutContentLength) {
  TestAcs acs;
  CurlAcsTransport transport(CurlAcsTransportOptions{.maxResponseBytes = 1000});
  acs.addResponses(
      R"([{"body_size": 1000}, {"body_size": 1001}, {"body_size": 200000, "chunked": true}])");
  AcsEndpoint ep;
  ep.url = acs.url();
  transport.beginSession(ep);
  const HttpResult atLimit = transport.post("", "");
  EXPECT_EQ(atLimit.body.size(), 1000u);
  EXPECT_FALSE(atLimit.transportError);
  const HttpResult declared = transport.post("", "");
  EXPECT_TRUE(declared.transportError);
  EXPECT_TRUE(declared.bodyTooLarge);
  EXPECT_TRUE(declared.body.empty());
  transport.beginSession(ep);  // the aborted transfer left the connection unusable
  const HttpResult streamed = transport.post("", "");
  EXPECT_TRUE(streamed.transportError);
  EXPECT_TRUE(streamed.bodyTooLarge);
}

// Issue 15: a body with a Content-Length is received into one buffer of that size, not
// grown by doubling (which copies it at every step and holds up to three times its size).
TEST(CurlAcsTransport, ReceivesABodyOfAnnouncedLengthIntoOneBufferOfThatSize) {
  TestAcs acs;
  constexpr std::size_t kSize = 3000000;
  acs.addResponses(R"([{"body_size": 3000000}])");
  CurlAcsTransport transport;
  AcsEndpoint ep;
  ep.url = acs.url();
  transport.beginSession(ep);
  const HttpResult big = transport.post("", "");
  ASSERT_FALSE(big.transportError) << big.error;
  EXPECT_EQ(big.body.size(), kSize);
  EXPECT_EQ(big.body.capacity(), kSize);
}

// An ACS of one connection that answers whatever comes with `head` and `bodyBytes` bytes,
// then waits `linger` and closes: a Content-Length it does not keep.
class LyingAcs {
 public:
  LyingAcs(std::string head, std::size_t bodyBytes, std::chrono::milliseconds linger) {
    listen_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_, 1))
      throw std::runtime_error("lying ACS: bind/listen");
    socklen_t len = sizeof a;
    ::getsockname(listen_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, head = std::move(head), bodyBytes, linger] {
      const int fd = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      std::string in;
      char buf[4096];
      while (in.find("\r\n\r\n") == std::string::npos) {
        const ssize_t r = ::recv(fd, buf, sizeof buf, 0);
        if (r <= 0) break;
        in.append(buf, static_cast<std::size_t>(r));
      }
      const std::string out = head + std::string(bodyBytes, 'x');
      (void)::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
      std::this_thread::sleep_for(linger);
      residentWhileWaitingKb = residentKb();
      ::close(fd);
    });
  }
  LyingAcs(const LyingAcs&) = delete;
  LyingAcs& operator=(const LyingAcs&) = delete;
  ~LyingAcs() {
    ::shutdown(listen_, SHUT_RDWR);
    thread_.join();
    ::close(listen_);
  }
  [[nodiscard]] std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/acs";
  }
  // This process's VmRSS, kB.
  static long residentKb() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
  }
  long residentWhileWaitingKb = -1;  // measured before the connection closes

 private:
  int listen_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

// Issue 15: a Content-Length within the body limit that the ACS does not keep costs no
// memory while the transfer waits for the bytes (the reserved block's pages come with the
// bytes), and the failed transfer gives the reservation back.
TEST(CurlAcsTransport, AContentLengthTheAcsDoesNotKeepCostsNoMemoryAndIsGivenBack) {
  constexpr std::size_t kAnnounced = 12 << 20;
  LyingAcs acs("HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: " +
                   std::to_string(kAnnounced) + "\r\n\r\n",
               1000, std::chrono::milliseconds(300));
  CurlAcsTransport transport(CurlAcsTransportOptions{.maxResponseBytes = 16 << 20});
  AcsEndpoint ep;
  ep.url = acs.url();
  transport.beginSession(ep);
  const long before = LyingAcs::residentKb();
  const HttpResult lie = transport.post("", "");
  EXPECT_TRUE(lie.transportError);
  EXPECT_FALSE(lie.bodyTooLarge);
  EXPECT_TRUE(lie.body.empty());
  EXPECT_EQ(lie.body.capacity(), std::string().capacity()) << "the reservation was kept";
  ASSERT_GT(acs.residentWhileWaitingKb, 0);
  EXPECT_LT(acs.residentWhileWaitingKb - before, 2048) << "resident while waiting for the body";
}

// A Content-Length over the limit: refused before the body, nothing reserved for it.
TEST(CurlAcsTransport, AContentLengthOverTheLimitIsRefusedWithoutReservingIt) {
  LyingAcs acs("HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 1099511627776\r\n\r\n",
               1000, std::chrono::milliseconds(0));
  CurlAcsTransport transport(CurlAcsTransportOptions{.maxResponseBytes = 16 << 20});
  AcsEndpoint ep;
  ep.url = acs.url();
  transport.beginSession(ep);
  const HttpResult huge = transport.post("", "");
  EXPECT_TRUE(huge.transportError);
  EXPECT_TRUE(huge.bodyTooLarge);
  EXPECT_EQ(huge.body.capacity(), std::string().capacity());
}

TEST(CurlAcsTransport, RefusesToPostOutsideASession) {
  CurlAcsTransport transport;
  EXPECT_THROW((void)transport.post("", ""), std::logic_error);
}

// HTTPS, with TLS material made by tests/acs/make-ca.sh once for the suite.
class CurlAcsTransportTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = cwmpd::test::makeTempDir("cwmpd-net-tls-");
    cwmpd::test::makeTestCa(dir_);
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }

  static std::unique_ptr<TestAcs> startAcs(const std::string& cert,
                                           const std::string& clientCa = {}) {
    TestAcsOptions options;
    options.tlsCert = dir_ + "/" + cert + ".pem";
    options.tlsKey = dir_ + "/" + cert + ".key";
    if (!clientCa.empty()) options.tlsClientCa = dir_ + "/" + clientCa;
    return std::make_unique<TestAcs>(options);
  }

  static AcsEndpoint endpoint(const TestAcs& acs, const std::string& ca = "ca.pem") {
    AcsEndpoint ep;
    ep.url = acs.url();
    ep.caFile = dir_ + "/" + ca;
    ep.timeout = std::chrono::seconds(10);
    return ep;
  }

  static inline std::string dir_;
  CurlAcsTransport transport_;
};

TEST_F(CurlAcsTransportTlsTest, TalksToAnAcsCertifiedByTheConfiguredCa) {
  auto acs = startAcs("server");
  ASSERT_EQ(acs->url().rfind("https://", 0), 0u);
  transport_.beginSession(endpoint(*acs));
  const HttpResult result = transport_.post(kInform, "\"\"");
  ASSERT_EQ(result.status, 200) << result.error;
  EXPECT_EQ(acs->requests().at(0).get<std::string>("tls"), "true");
}

TEST_F(CurlAcsTransportTlsTest, RefusesARedirectFromHttpsToPlainHttp) {
  auto secure = startAcs("server");
  TestAcs plain;
  secure->configure("{\"redirect_url\": " + cwmpd::test::jsonQuote(plain.url("/acs")) + "}");
  transport_.beginSession(endpoint(*secure));
  const HttpResult result = transport_.post(kInform, "\"\"");
  EXPECT_TRUE(result.transportError);
  EXPECT_NE(result.error.find("plain HTTP"), std::string::npos) << result.error;
  // Not a byte of the Inform in plaintext.
  EXPECT_TRUE(plain.requests().empty());
  ASSERT_EQ(secure->requests().size(), 1u);
  EXPECT_EQ(secure->requests()[0].get<int>("status"), 307);
}

TEST_F(CurlAcsTransportTlsTest, TakesTheCredentialsAlongToAnotherHttpsAcs) {
  auto first = startAcs("server");
  auto second = startAcs("server");  // another port: another origin
  second->configure(R"({"auth": "basic"})");
  first->configure("{\"redirect_url\": " + cwmpd::test::jsonQuote(second->url("/acs")) + "}");
  AcsEndpoint ep = endpoint(*first);
  ep.username = "cpe";
  ep.password = "secret";
  transport_.beginSession(ep);
  const HttpResult result = transport_.post(kInform, "\"\"");
  ASSERT_EQ(result.status, 200) << result.error;
  const auto log = second->requests();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(header(log[1], "authorization").rfind("Basic ", 0), 0u);
  EXPECT_EQ(log[1].get<std::string>("body"), kInform);
}

TEST_F(CurlAcsTransportTlsTest, RefusesACertificateIssuedForAnotherHostName) {
  auto acs = startAcs("wrong-host");
  transport_.beginSession(endpoint(*acs));
  const HttpResult result = transport_.post(kInform, "\"\"");
  EXPECT_TRUE(result.transportError);
  EXPECT_TRUE(acs->sessions().empty());
}

TEST_F(CurlAcsTransportTlsTest, RefusesACertificateFromAnUnknownCa) {
  auto acs = startAcs("server");
  transport_.beginSession(endpoint(*acs, "other-ca.pem"));
  const HttpResult result = transport_.post(kInform, "\"\"");
  EXPECT_TRUE(result.transportError);
  EXPECT_TRUE(acs->sessions().empty());
}

TEST_F(CurlAcsTransportTlsTest, PresentsTheClientCertificateWhenTheAcsAsksForOne) {
  auto acs = startAcs("server", "ca.pem");
  transport_.beginSession(endpoint(*acs));
  EXPECT_TRUE(transport_.post(kInform, "\"\"").transportError);

  AcsEndpoint ep = endpoint(*acs);
  ep.clientCert = dir_ + "/client.pem";
  ep.clientKey = dir_ + "/client.key";
  transport_.beginSession(ep);
  const HttpResult result = transport_.post(kInform, "\"\"");
  EXPECT_EQ(result.status, 200) << result.error;
}

}  // namespace
}  // namespace cwmpd::core::net
