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

#include "cwmpd/core/net/curl_acs_transport.hpp"
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
  explicit SilentClient(std::uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
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
  start([](auto& c) { c.minTriggerInterval = 0ms; });
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

TEST_F(ConnectionRequestServerTest, CoalescesAFloodOfAThousandRequestsIntoOneTrigger) {
  start([](auto& c) { c.minTriggerInterval = 10min; });
  std::map<long, int> statuses;
  for (int i = 0; i < 1000; ++i) ++statuses[request(url(), "acs", "s3cret").status];
  EXPECT_GE(triggers_.load(), 1);
  EXPECT_LE(triggers_.load(), 2);
  EXPECT_EQ(statuses[200], triggers_.load());
  // TR-069 3.2.2: the ones refused to limit the rate get 503.
  EXPECT_EQ(statuses[503], 1000 - triggers_.load());
  EXPECT_EQ(server_->stats().rateLimited, static_cast<std::uint64_t>(statuses[503]));
}

TEST_F(ConnectionRequestServerTest, TriggersAgainOnceTheIntervalHasPassed) {
  start([](auto& c) { c.minTriggerInterval = 200ms; });
  EXPECT_EQ(request(url(), "acs", "s3cret").status, 200);
  EXPECT_EQ(request(url(), "acs", "s3cret").status, 503);
  std::this_thread::sleep_for(250ms);
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

TEST_F(ConnectionRequestServerTest, ListensOnIpv4AndIpv6WhenNoAddressIsGiven) {
  ConnectionRequestServerConfig config;
  config.port = 0;
  config.path = "/cr";
  config.minTriggerInterval = 0ms;
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
