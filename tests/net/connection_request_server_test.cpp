// ConnectionRequestServer on real loopback sockets, driven by libcurl and by the test ACS.
#include "cwmpd/core/net/connection_request_server.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "cwmpd/core/net/curl_acs_transport.hpp"
#include "manual_clock.hpp"
#include "test_acs.hpp"

namespace cwmpd::core::net {
namespace {

using namespace std::chrono_literals;

struct Answer {
  long status = 0;
  std::string wwwAuthenticate;
};

size_t ignoreBody(char*, size_t size, size_t count, void*) { return size * count; }

size_t keepChallenge(char* data, size_t size, size_t count, void* out) {
  std::string line(data, size * count);
  if (line.rfind("WWW-Authenticate:", 0) == 0) *static_cast<std::string*>(out) = line;
  return size * count;
}

// One request on a fresh connection, as an ACS would send it.
Answer request(const std::string& url, const std::string& user, const std::string& password,
               const char* method = "GET") {
  CURL* curl = curl_easy_init();
  Answer answer;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &ignoreBody);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &keepChallenge);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &answer.wwwAuthenticate);
  if (!user.empty()) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_DIGEST));
    curl_easy_setopt(curl, CURLOPT_USERNAME, user.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, password.c_str());
  }
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.status);
  }
  curl_easy_cleanup(curl);
  return answer;
}

// A TCP connection to the server that sends nothing; closed by the destructor.
class SilentClient {
 public:
  // `from`: the loopback address to connect from ("" = any).
  explicit SilentClient(std::uint16_t port, const std::string& from = "")
      : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    if (!from.empty()) {
      sockaddr_in local{};
      local.sin_family = AF_INET;
      inet_pton(AF_INET, from.c_str(), &local.sin_addr);
      if (bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) return;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  // Sends `text`; false once the server closed the connection.
  bool send(std::string_view text) {
    return ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
  }
  ~SilentClient() { close(fd_); }
  SilentClient(const SilentClient&) = delete;
  SilentClient& operator=(const SilentClient&) = delete;
  [[nodiscard]] bool connected() const { return connected_; }
  // True when the server closes the connection within `limit`.
  [[nodiscard]] bool closedByServerWithin(std::chrono::milliseconds limit) const {
    pollfd pfd{fd_, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(limit.count())) <= 0) return false;
    char byte;
    return recv(fd_, &byte, 1, 0) <= 0;
  }

 private:
  int fd_;
  bool connected_ = false;
};

class ConnectionRequestServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { initHttpClient(); }

  void start(const std::function<void(ConnectionRequestServerConfig&)>& tweak = {}) {
    ConnectionRequestServerConfig config;
    config.address = "127.0.0.1";
    config.port = 0;
    config.path = "/cr";
    if (tweak) tweak(config);
    server_ = std::make_unique<ConnectionRequestServer>(config, [this] { ++triggers_; });
    server_->setCredentials("acs", "s3cret");
    server_->start();
    ASSERT_NE(server_->port(), 0);
  }

  std::string url(const std::string& path = "/cr", const std::string& host = "127.0.0.1") const {
    return "http://" + host + ":" + std::to_string(server_->port()) + path;
  }

  std::atomic<int> triggers_{0};
  std::unique_ptr<ConnectionRequestServer> server_;
};

TEST_F(ConnectionRequestServerTest, AnswersAnAuthenticatedGetWith200AndTriggersASession) {
  start();
  const Answer answer = request(url(), "acs", "s3cret");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(triggers_.load(), 1);
  EXPECT_EQ(server_->stats().accepted, 1u);
}

TEST_F(ConnectionRequestServerTest, ChallengesWithDigestInItsRealm) {
  start();
  const Answer answer = request(url(), "", "");
  EXPECT_EQ(answer.status, 401);
  EXPECT_NE(answer.wwwAuthenticate.find("Digest"), std::string::npos);
  EXPECT_NE(answer.wwwAuthenticate.find("realm=\"cwmpd\""), std::string::npos);
  EXPECT_EQ(triggers_.load(), 0);
}

TEST_F(ConnectionRequestServerTest, RefusesWrongCredentialsWith401AndDoesNotTrigger) {
  start();
  EXPECT_EQ(request(url(), "acs", "wrong").status, 401);
  EXPECT_EQ(request(url(), "someone", "s3cret").status, 401);
  EXPECT_EQ(triggers_.load(), 0);
}

TEST_F(ConnectionRequestServerTest, RefusesEveryoneWhileNoUsernameIsConfigured) {
  start();
  server_->setCredentials("", "");
  EXPECT_EQ(request(url(), "", "").status, 401);
  EXPECT_EQ(request(url(), "acs", "s3cret").status, 401);
  EXPECT_EQ(triggers_.load(), 0);
}

TEST_F(ConnectionRequestServerTest, AppliesCredentialsChangedAtRuntimeToTheNextRequest) {
  start([](auto& c) { c.refillInterval = 0ms; });
  EXPECT_EQ(request(url(), "acs", "s3cret").status, 200);
  server_->setCredentials("genieacs", "n3w");
  EXPECT_EQ(request(url(), "acs", "s3cret").status, 401);
  EXPECT_EQ(request(url(), "genieacs", "n3w").status, 200);
  EXPECT_EQ(triggers_.load(), 2);
}

TEST_F(ConnectionRequestServerTest, Answers404OnOtherPathsAnd405ToOtherMethods) {
  start();
  EXPECT_EQ(request(url("/other"), "acs", "s3cret").status, 404);
  EXPECT_EQ(request(url("/cr/"), "acs", "s3cret").status, 404);
  EXPECT_EQ(request(url(), "acs", "s3cret", "POST").status, 405);
  EXPECT_EQ(request(url(), "acs", "s3cret", "DELETE").status, 405);
  EXPECT_EQ(triggers_.load(), 0);
  EXPECT_EQ(server_->stats().rejected, 4u);
}

TEST_F(ConnectionRequestServerTest, AcceptsTheDigestAnswerOnANewConnection) {
  // Python's urllib, as some ACSs do, sends the authenticated retry on a new TCP
  // connection: the nonce from the first connection must still be accepted.
  start();
  cwmpd::test::TestAcs acs;
  const auto answer = acs.connectionRequest(url(), "acs", "s3cret");
  EXPECT_EQ(answer.get<int>("status"), 200);
  EXPECT_EQ(triggers_.load(), 1);
}

TEST_F(ConnectionRequestServerTest, AnswersRequestsInQuickSuccessionWith200) {
  // An operator's tasks come back to back, each with its own Connection Request; GenieACS
  // reads a 503 as "device offline". With the default limits every one is accepted.
  start();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(request(url(), "acs", "s3cret").status, 200) << i;
  EXPECT_EQ(triggers_.load(), 5);
  EXPECT_EQ(server_->stats().rateLimited, 0u);
}

TEST_F(ConnectionRequestServerTest, AnswersA503OnlyOnceTheBurstIsSpent) {
  start([](auto& c) {
    c.burst = 3;
    c.refillInterval = 10min;
  });
  std::map<long, int> statuses;
  for (int i = 0; i < 300; ++i) ++statuses[request(url(), "acs", "s3cret").status];
  EXPECT_EQ(statuses[200], 3);
  EXPECT_EQ(triggers_.load(), 3);
  // TR-069 3.2.2: the ones refused to limit the rate get 503.
  EXPECT_EQ(statuses[503], 297);
  EXPECT_EQ(server_->stats().rateLimited, 297u);
}

TEST_F(ConnectionRequestServerTest, AcceptsAgainOnceTheBucketGainedAToken) {
  // The bucket runs on the configured clock: the test moves it instead of waiting.
  auto clock = std::make_shared<cwmpd::test::ManualClock>();
  start([&](auto& c) {
    c.burst = 1;
    c.refillInterval = 10min;
    c.clock = clock;
  });
  EXPECT_EQ(request(url(), "acs", "s3cret").status, 200);
  EXPECT_EQ(request(url(), "acs", "s3cret").status, 503);
  clock->advance(9min);
  EXPECT_EQ(request(url(), "acs", "s3cret").status, 503);
  clock->advance(1min);
  EXPECT_EQ(request(url(), "acs", "s3cret").status, 200);
  EXPECT_EQ(triggers_.load(), 2);
}

TEST_F(ConnectionRequestServerTest, IgnoresAConnectionRequestWithWrongCredentialsFromTheAcs) {
  start();
  cwmpd::test::TestAcs acs;
  const auto answer = acs.connectionRequest(url(), "acs", "guess");
  EXPECT_EQ(answer.get<int>("status"), 401);
  EXPECT_EQ(triggers_.load(), 0);
}

TEST_F(ConnectionRequestServerTest, DropsAConnectionThatStaysSilent) {
  start([](auto& c) { c.connectionTimeout = 1s; });
  SilentClient idle(server_->port());
  ASSERT_TRUE(idle.connected());
  EXPECT_TRUE(idle.closedByServerWithin(10s));
}

TEST_F(ConnectionRequestServerTest, CapsTheConnectionsOneAddressMayHoldOpen) {
  start([](auto& c) { c.perIpLimit = 2; });
  {
    SilentClient first(server_->port());
    SilentClient second(server_->port());
    ASSERT_TRUE(first.connected() && second.connected());
    // The kernel accepts the third connection; the server closes it at once.
    SilentClient third(server_->port());
    EXPECT_TRUE(third.closedByServerWithin(10s));
    EXPECT_NE(request(url(), "acs", "s3cret").status, 200);
  }
  // Once the silent ones are gone, the server has room again.
  long status = 0;
  for (int attempt = 0; attempt < 50 && status != 200; ++attempt) {
    std::this_thread::sleep_for(20ms);
    status = request(url(), "acs", "s3cret").status;
  }
  EXPECT_EQ(status, 200);
  EXPECT_EQ(triggers_.load(), 1);
}

TEST_F(ConnectionRequestServerTest, DropsAClientThatTricklesItsRequestPastTheRequestTimeout) {
  // A byte every 100 ms keeps the connection from ever being idle; the request as a whole
  // must still arrive within requestTimeout.
  start([](auto& c) {
    c.connectionTimeout = 30s;
    c.requestTimeout = 1s;
  });
  SilentClient slow(server_->port());
  ASSERT_TRUE(slow.connected());
  ASSERT_TRUE(slow.send("GET /cr HTTP/1.1\r\n"));
  const auto giveUp = std::chrono::steady_clock::now() + 10s;
  bool closed = false;
  while (!closed && std::chrono::steady_clock::now() < giveUp) {
    closed = !slow.send("X") || slow.closedByServerWithin(100ms);
  }
  EXPECT_TRUE(closed);
  EXPECT_GE(server_->stats().shed, 1u);
}

TEST_F(ConnectionRequestServerTest, LetsAValidRequestInWhileHalfOpenClientsHoldEverySlot) {
  // 100 half-open connections from 100 loopback addresses, more than the server has
  // slots and each within the per-address limit: the ACS still gets in at once, long
  // before any of them times out.
  start([](auto& c) {
    c.connectionTimeout = 60s;
    c.requestTimeout = 60s;
  });
  std::vector<std::unique_ptr<SilentClient>> crowd;
  for (int i = 0; i < 100; ++i) {
    crowd.push_back(
        std::make_unique<SilentClient>(server_->port(), "127.0.0." + std::to_string(2 + i)));
    ASSERT_TRUE(crowd.back()->connected());
    crowd.back()->send("GET /cr HTTP/1.1\r\nHost: cpe\r\n");
  }
  EXPECT_EQ(request(url(), "acs", "s3cret").status, 200);
  EXPECT_EQ(triggers_.load(), 1);
}

TEST_F(ConnectionRequestServerTest, RefusesADigestNonceCountThatIsNotAboveTheHighestSeen) {
  // A captured request replayed, or one with an nc below a later one, is refused even
  // though its digest is right: only increasing nonce counts are accepted. Before each,
  // the sender asks for a new challenge: libmicrohttpd then forgets the nc it saw.
  start([](auto& c) { c.refillInterval = 0ms; });
  cwmpd::test::TestAcs acs;
  const auto answer = cwmpd::test::parseJson(
      acs.control("POST", "/connection-request",
                  R"({"url": ")" + url() +
                      R"(", "username": "acs", "password": "s3cret", "nc": [1, 3, 2, 1, 3, 4], )"
                      R"("rechallenge": true})"));
  std::vector<int> statuses;
  for (const auto& [key, value] : answer.get_child("nc_statuses"))
    statuses.push_back(value.get_value<int>());
  EXPECT_EQ(statuses, (std::vector<int>{200, 200, 401, 401, 401, 200}));
  EXPECT_EQ(triggers_.load(), 3);
  EXPECT_GE(server_->stats().replayed, 1u);
}

TEST_F(ConnectionRequestServerTest, ListensOnIpv4AndIpv6WhenNoAddressIsGiven) {
  ConnectionRequestServerConfig config;
  config.port = 0;
  config.path = "/cr";
  config.refillInterval = 0ms;
  ConnectionRequestServer server(config, [this] { ++triggers_; });
  server.setCredentials("acs", "s3cret");
  server.start();
  const std::string port = std::to_string(server.port());
  EXPECT_EQ(request("http://127.0.0.1:" + port + "/cr", "acs", "s3cret").status, 200);
  EXPECT_EQ(request("http://[::1]:" + port + "/cr", "acs", "s3cret").status, 200);
  EXPECT_EQ(triggers_.load(), 2);
}

TEST_F(ConnectionRequestServerTest, ServesFromTheOwnersLoopWithoutAThreadOfItsOwn) {
  start([](auto& c) { c.internalThread = false; });
  const int fd = server_->pollFd();
  ASSERT_GE(fd, 0);
  std::atomic<bool> done{false};
  // Stands in for the daemon's event loop: wait on the descriptor, then run().
  std::thread loop([&] {
    while (!done) {
      const auto wait = server_->timeout().value_or(100ms);
      pollfd pfd{fd, POLLIN, 0};
      poll(&pfd, 1, static_cast<int>(std::min<std::chrono::milliseconds>(wait, 100ms).count()));
      server_->run();
    }
  });
  const Answer answer = request(url(), "acs", "s3cret");
  done = true;
  loop.join();
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(triggers_.load(), 1);
}

TEST(TokenBucket, AllowsABurstThenOneRequestPerInterval) {
  TokenBucket bucket(3, 1000ms);
  const auto t0 = TokenBucket::Clock::time_point{} + 1h;
  EXPECT_TRUE(bucket.take(t0));
  EXPECT_TRUE(bucket.take(t0 + 1ms));
  EXPECT_TRUE(bucket.take(t0 + 2ms));
  EXPECT_FALSE(bucket.take(t0 + 3ms));
  EXPECT_FALSE(bucket.take(t0 + 999ms));
  EXPECT_TRUE(bucket.take(t0 + 1000ms));
  EXPECT_FALSE(bucket.take(t0 + 1001ms));
  EXPECT_TRUE(bucket.take(t0 + 2000ms));
}

TEST(TokenBucket, RefillsNoFurtherThanTheBurst) {
  TokenBucket bucket(2, 100ms);
  const auto t0 = TokenBucket::Clock::time_point{} + 1h;
  EXPECT_TRUE(bucket.take(t0));
  // A long quiet spell gives the burst back, not more.
  const auto later = t0 + 10min;
  EXPECT_TRUE(bucket.take(later));
  EXPECT_TRUE(bucket.take(later));
  EXPECT_FALSE(bucket.take(later));
}

TEST(TokenBucket, AZeroIntervalMeansNoLimit) {
  TokenBucket bucket(1, 0ms);
  const auto t0 = TokenBucket::Clock::time_point{} + 1h;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(bucket.take(t0));
}

TEST(ConnectionRequestUrl, BracketsIpv6LiteralsAndStartsThePathWithASlash) {
  EXPECT_EQ(connectionRequestUrl("192.0.2.7", 7547, "/cr"), "http://192.0.2.7:7547/cr");
  EXPECT_EQ(connectionRequestUrl("2001:db8::7", 7547, "cr"), "http://[2001:db8::7]:7547/cr");
  EXPECT_EQ(connectionRequestUrl("cpe.example", 30005, ""), "http://cpe.example:30005/");
}

TEST(ConnectionRequestServer, ReportsAPortThatCannotBeBound) {
  ConnectionRequestServerConfig config;
  config.address = "127.0.0.1";
  config.port = 0;
  ConnectionRequestServer first(config, {});
  first.start();
  config.port = first.port();
  ConnectionRequestServer second(config, {});
  EXPECT_THROW(second.start(), std::runtime_error);
}

TEST(ConnectionRequestServer, RejectsAnAddressThatIsNotAnIpLiteral) {
  ConnectionRequestServerConfig config;
  config.address = "not-an-address";
  ConnectionRequestServer server(config, {});
  EXPECT_THROW(server.start(), std::runtime_error);
}

}  // namespace
}  // namespace cwmpd::core::net
