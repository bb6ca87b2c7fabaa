// TR-069 Annex G against the real cwmpd: UDP Connection Requests sent by the test to the
// daemon's Connection Request port, and the STUN client against coturn (Debian's
// turnserver, run by the test as an unprivileged process on a loopback port) and against
// a STUN responder of the test's own that moves the binding.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "it_support.hpp"

namespace cwmpd::test {
namespace {

using namespace std::chrono_literals;

const std::string kMs = "Device.ManagementServer.";

std::string hmacSha1Hex(const std::string& key, const std::string& text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int n = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(), md.data(), &n);
  std::string out;
  char hex[3];
  for (unsigned int i = 0; i < n; ++i) {
    std::snprintf(hex, sizeof hex, "%02x", md[i]);
    out += hex;
  }
  return out;
}

// A UDP socket on 127.0.0.1 (ephemeral port) for the test's own datagrams.
class UdpSocket {
 public:
  UdpSocket() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  ~UdpSocket() { ::close(fd_); }
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;
  [[nodiscard]] std::uint16_t port() const {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    return ntohs(a.sin_port);
  }
  void sendTo(std::uint16_t port, const void* data, std::size_t size) const {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    ::sendto(fd_, data, size, 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  void sendTo(std::uint16_t port, const std::string& s) const { sendTo(port, s.data(), s.size()); }
  // One datagram within `timeout`, with its sender's port; empty on timeout.
  std::vector<std::uint8_t> receive(std::chrono::milliseconds timeout, std::uint16_t* from) const {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return {};
    std::vector<std::uint8_t> buf(2048);
    sockaddr_in a{};
    socklen_t len = sizeof a;
    const auto n =
        ::recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&a), &len);
    if (n <= 0) return {};
    buf.resize(static_cast<std::size_t>(n));
    if (from) *from = ntohs(a.sin_port);
    return buf;
  }

 private:
  int fd_ = -1;
};

std::uint16_t portOf(const std::string& url) {
  const auto colon = url.rfind(':');
  return static_cast<std::uint16_t>(std::stoi(url.substr(colon + 1)));
}

std::string udpRequest(std::uint64_t ts, const std::string& id, const std::string& un,
                       const std::string& cn, const std::string& key, std::uint16_t port) {
  const std::string sig = hmacSha1Hex(key, std::to_string(ts) + id + un + cn);
  const std::string host = "127.0.0.1:" + std::to_string(port);
  return "GET http://" + host + "?ts=" + std::to_string(ts) + "&id=" + id + "&un=" + un +
         "&cn=" + cn + "&sig=" + sig + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
}

std::string setValues(const std::vector<std::pair<std::string, std::string>>& values,
                      const std::string& ms = kMs) {
  std::string xml =
      "<cwmp:SetParameterValues><ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[" +
      std::to_string(values.size()) + "]\">";
  for (const auto& [name, value] : values) {
    const bool number = name.find("Port") != std::string::npos ||
                        name.find("Period") != std::string::npos ||
                        name.find("Limit") != std::string::npos;
    const char* type = name.find("Enable") != std::string::npos             ? "xsd:boolean"
                       : name.find("MaximumKeepAlive") != std::string::npos ? "xsd:int"
                       : number                                             ? "xsd:unsignedInt"
                                                                            : "xsd:string";
    xml += "<ParameterValueStruct><Name>" + ms + name + "</Name><Value xsi:type=\"" + type + "\">" +
           value + "</Value></ParameterValueStruct>";
  }
  return xml + "</ParameterList><ParameterKey>stun</ParameterKey></cwmp:SetParameterValues>";
}

std::string activeNotification(const std::string& name, const std::string& ms = kMs) {
  return "<cwmp:SetParameterAttributes><ParameterList "
         "soap-enc:arrayType=\"cwmp:SetParameterAttributesStruct[1]\">"
         "<SetParameterAttributesStruct><Name>" +
         ms + name +
         "</Name><NotificationChange>true</NotificationChange><Notification>2</Notification>"
         "<AccessListChange>false</AccessListChange><AccessList "
         "soap-enc:arrayType=\"xsd:string[0]\"></AccessList></SetParameterAttributesStruct>"
         "</ParameterList></cwmp:SetParameterAttributes>";
}

long occurrences(const std::string& text, const std::string& needle) {
  long n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class AnnexG : public DaemonIt {
 protected:
  // Starts the daemon (again: `mark` is the log size before) and waits for its boot
  // session.
  void startDaemon(std::size_t mark = 0) {
    daemon_->start();
    ASSERT_TRUE(daemon_->waitForLog("UDP connection requests on port", 10s, mark));
    ASSERT_TRUE(daemon_->waitForLog("connection requests on http", 10s, mark));
    port_ = portOf(daemon_->connectionRequestUrl());
    ASSERT_TRUE(mark == 0 ? waitSessions(1) : daemon_->waitForLog("session 1 ended", 10s, mark));
  }
  void send(const std::string& datagram) { client_.sendTo(port_, datagram); }
  std::string request(std::uint64_t ts, const std::string& id) {
    return udpRequest(ts, id, "cr-user", "XTGRWIPC6D3IPXS3", "cr-secret", port_);
  }
  std::uint16_t port_ = 0;
  UdpSocket client_;
};

TEST_F(AnnexG, ASignedUdpConnectionRequestStartsASessionWith6ConnectionRequest) {
  ASSERT_NO_FATAL_FAILURE(startDaemon());
  send(request(1'700'000'000, "1"));
  ASSERT_TRUE(waitSessions(2));
  const auto all = informs(*acs_);
  const auto codes = eventCodes(all.at(1));
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "6 CONNECTION REQUEST"), 1);
}

TEST_F(AnnexG, ReplayedStaleUnsignedAndWronglySignedRequestsStartNoSession) {
  ASSERT_NO_FATAL_FAILURE(startDaemon());
  const std::string first = request(1'700'000'100, "a1");
  send(first);
  ASSERT_TRUE(waitSessions(2));
  const auto mark = daemon_->logSize();
  send(first);                         // replayed as is
  send(request(1'700'000'099, "a2"));  // older than the last accepted
  send(udpRequest(1'700'000'200, "a3", "cr-user", "c", "not-the-password", port_));
  send(udpRequest(1'700'000'200, "a4", "intruder", "c", "cr-secret", port_));
  std::string unsignedOne = request(1'700'000'200, "a5");
  unsignedOne.replace(unsignedOne.find("&sig="), 45, "");
  send(unsignedOne);
  // Every datagram is handled in order on the daemon's loop: once the last refusal is
  // logged, an acceptance among them would have been logged before it.
  ASSERT_TRUE(daemon_->waitForLog("wrong username", 5s, mark));
  const std::string log = daemon_->log().substr(mark);
  EXPECT_EQ(occurrences(log, "UDP connection request accepted"), 0);
  EXPECT_EQ(occurrences(log, "id already accepted"), 1);
  EXPECT_EQ(occurrences(log, "timestamp older than the last accepted"), 1);
  EXPECT_EQ(occurrences(log, "bad signature"), 1);
  EXPECT_EQ(acs_->sessions().size(), 2u);
  // The listener still works: a fresh request gets its session.
  send(request(1'700'000'300, "a6"));
  ASSERT_TRUE(waitSessions(3));
}

TEST_F(AnnexG, ARequestReplayedAfterARestartStartsNoSession) {
  ASSERT_NO_FATAL_FAILURE(startDaemon());
  const std::string first = request(1'700'000'100, "r1");
  send(first);
  ASSERT_TRUE(waitSessions(2));
  daemon_->stop();
  ASSERT_NO_FATAL_FAILURE(startDaemon(daemon_->logSize()));
  ASSERT_TRUE(waitSessions(3));  // its boot session
  const auto mark = daemon_->logSize();
  send(first);
  ASSERT_TRUE(daemon_->waitForLog("timestamp older than the last accepted", 5s, mark));
  EXPECT_EQ(occurrences(daemon_->log().substr(mark), "UDP connection request accepted"), 0);
  send(request(1'700'000'101, "r2"));
  ASSERT_TRUE(waitSessions(4));
}

TEST_F(AnnexG, TenThousandGarbageDatagramsStartNoSessionAndDoNoHarm) {
  ASSERT_NO_FATAL_FAILURE(startDaemon());
  std::mt19937 rng(21);
  const std::string valid = request(1'700'000'000, "g");
  for (int i = 0; i < 10'000; ++i) {
    std::string d;
    switch (i % 5) {
      case 0:  // random bytes, STUN-looking or not
        d.resize(rng() % 600);
        for (auto& c : d) c = static_cast<char>(rng());
        break;
      case 1:  // a valid request cut short
        d = valid.substr(0, rng() % valid.size());
        break;
      case 2: {  // a valid request with one signed byte changed (the host is not signed)
        d = valid;
        const std::size_t from = d.find('?') + 1, to = d.find(" HTTP/1.1");
        const std::size_t at = from + rng() % (to - from);
        char c = static_cast<char>(rng());
        if (std::tolower(static_cast<unsigned char>(c)) ==
            std::tolower(static_cast<unsigned char>(d[at])))
          c = '\x01';
        d[at] = c;
        break;
      }
      case 3:  // STUN header claiming more than it has
        d = std::string("\x01\x01\x04\x00\x21\x12\xa4\x42", 8) + std::string(12, 'x');
        break;
      default: d = "GET /?ts=&id=&un=&cn=&sig= HTTP/1.1\r\n\r\n";
    }
    if (d == valid) continue;
    send(d);
    if (i % 500 == 0) std::this_thread::sleep_for(1ms);  // the socket buffer keeps up
  }
  const auto mark = daemon_->logSize();
  // The flood may overrun the socket's buffer while the daemon works through it: the
  // valid request is sent until it gets through (its copies are replays).
  const std::string after = request(1'700'000'500, "after");
  bool started = false;
  for (int i = 0; i < 20 && !started; ++i) {
    send(after);
    started = waitSessions(2, 1s);
  }
  ASSERT_TRUE(started);
  EXPECT_TRUE(daemon_->running());
  EXPECT_EQ(occurrences(daemon_->log(), "UDP connection request accepted"), 1);
  EXPECT_GE(daemon_->logSize(), mark);
  EXPECT_EQ(acs_->sessions().size(), 2u);
}

// ---------------- STUN ----------------

std::uint16_t freeUdpPort() {
  UdpSocket s;
  return s.port();
}

// A TCP listener on 127.0.0.1:`port` (when that port is free for TCP), for as long as it
// lives.
class TcpListener {
 public:
  explicit TcpListener(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) ::listen(fd_, 1);
  }
  ~TcpListener() { ::close(fd_); }
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

 private:
  int fd_ = -1;
};

// coturn's turnserver in STUN-only mode on 127.0.0.1:`port`, UDP only, as user nobody when
// the test runs as root; stopped with SIGTERM. UDP only (--no-tcp): turnserver otherwise
// also binds a TCP listener on the same port number and, while any TCP socket holds that
// number (the suite's many loopback connections and their TIME_WAIT), retries that bind
// forever without ever answering on UDP.
class Coturn {
 public:
  Coturn(const std::string& dir, std::uint16_t port)
      : port_(port), log_(dir + "/turnserver-" + std::to_string(port) + ".log") {
    // Everything the child needs is built before fork(): it only execs.
    const std::vector<std::string> args = {
        "turnserver",
        "-n",
        "--listening-ip=127.0.0.1",
        "--listening-port=" + std::to_string(port),
        "--stun-only",
        "--no-tcp",
        "--no-tls",
        "--no-dtls",
        "--no-cli",
        "--log-file=stdout",
        "--simple-log",
        "--pidfile=" + dir + "/turnserver-" + std::to_string(port) + ".pid"};
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    if (::geteuid() == 0) {
      argv.push_back("--proc-user=nobody");
      argv.push_back("--proc-group=nogroup");
    }
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::execvp("turnserver", const_cast<char* const*>(argv.data()));
      ::_exit(127);
    }
  }
  ~Coturn() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Coturn(const Coturn&) = delete;
  Coturn& operator=(const Coturn&) = delete;
  [[nodiscard]] std::uint16_t port() const { return port_; }
  // Waits until it answers a Binding Request; false at once when it reports that it
  // cannot bind its port (taken since the test chose it) or has exited.
  [[nodiscard]] bool ready(std::chrono::milliseconds timeout) {
    UdpSocket s;
    const std::uint8_t request[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1,  2,
                                      3,    4,    5,    6,    7,    8,    9,    10,   11, 12};
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      s.sendTo(port_, request, sizeof request);
      if (!s.receive(100ms, nullptr).empty()) return true;
      if (log().find("Cannot bind") != std::string::npos) return false;
      if (pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
    }
    return false;
  }
  [[nodiscard]] std::string log() const {
    std::ifstream in(log_);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

 private:
  std::uint16_t port_;
  std::string log_;
  pid_t pid_ = -1;
};

TEST_F(AnnexG, LearnsItsMappingFromCoturnWithoutNatOnLoopback) {
  // A port free for UDP when chosen; another process may take it before turnserver binds
  // it, and then the next one is tried. The same number is held for TCP meanwhile, as
  // the suite's own connections often do by chance: turnserver must serve STUN over UDP
  // all the same.
  std::unique_ptr<TcpListener> tcpTwin;
  std::unique_ptr<Coturn> coturn;
  std::string failures;
  for (int attempt = 0; attempt < 3 && !coturn; ++attempt) {
    const std::uint16_t port = freeUdpPort();
    tcpTwin = std::make_unique<TcpListener>(port);
    coturn = std::make_unique<Coturn>(dir_, port);
    if (!coturn->ready(10s)) {
      failures += "turnserver on port " + std::to_string(port) + ":\n" + coturn->log();
      coturn.reset();
    }
  }
  ASSERT_TRUE(coturn) << "turnserver did not answer:\n" << failures;
  const std::uint16_t stunPort = coturn->port();
  acs_->addRpc(setValues({{"STUNServerAddress", "127.0.0.1"},
                          {"STUNServerPort", std::to_string(stunPort)},
                          {"STUNEnable", "true"}}));
  ASSERT_NO_FATAL_FAILURE(startDaemon());
  const std::string mapped = "127.0.0.1:" + std::to_string(port_);
  ASSERT_TRUE(daemon_->waitForLog(
      "public address 127.0.0.1 port " + std::to_string(port_) + " (no NAT)", 10s));
  acs_->addRpc(
      "<cwmp:GetParameterValues><ParameterNames soap-enc:arrayType=\"xsd:string[2]\">"
      "<string>Device.ManagementServer.NATDetected</string>"
      "<string>Device.ManagementServer.UDPConnectionRequestAddress</string>"
      "</ParameterNames></cwmp:GetParameterValues>");
  send(request(1'700'000'000, "s1"));
  ASSERT_TRUE(waitSessions(2));
  const auto inform = informs(*acs_).at(1);
  EXPECT_EQ(parameterValue(inform, kMs + "UDPConnectionRequestAddress").value_or("-"), mapped);
  ASSERT_TRUE(acs_->waitFor("results", 2, 5s));  // the SetParameterValues, then this
  std::string answer;
  for (const auto& r : acs_->results())
    if (r.get<std::string>("method", "") == "GetParameterValuesResponse")
      answer = r.get<std::string>("body", "");
  EXPECT_EQ(parameterValue(answer, kMs + "NATDetected").value_or("-"), "false") << answer;
  EXPECT_EQ(parameterValue(answer, kMs + "UDPConnectionRequestAddress").value_or("-"), mapped);
}

// A STUN server of the test's own: answers Binding Requests with MAPPED-ADDRESS
// 198.51.100.7 and port `firstPort` until told to move the binding, then `movedPort`;
// with `requireIntegrity`, requests without MESSAGE-INTEGRITY get a 401 error.
class MovingStunServer {
 public:
  struct Seen {
    bool connectionRequestBinding = false, bindingChange = false, integrity = false;
    bool integrityValid = false;
    std::string username;
    std::uint16_t mappedPortAnswered = 0;
  };
  MovingStunServer(bool requireIntegrity, std::string password)
      : requireIntegrity_(requireIntegrity), password_(std::move(password)) {
    thread_ = std::thread([this] { run(); });
  }
  ~MovingStunServer() {
    stop_ = true;
    thread_.join();
  }
  MovingStunServer(const MovingStunServer&) = delete;
  MovingStunServer& operator=(const MovingStunServer&) = delete;
  [[nodiscard]] std::uint16_t port() const { return socket_.port(); }
  void move() { moved_ = true; }
  std::vector<Seen> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }
  // Waits until a request matching `pred` arrived.
  template <typename Pred>
  bool waitFor(Pred pred, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      for (const auto& s : seen())
        if (pred(s)) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  static constexpr std::uint16_t firstPort = 40000, movedPort = 40001;

 private:
  static std::uint16_t get16(const std::vector<std::uint8_t>& d, std::size_t at) {
    return static_cast<std::uint16_t>((d[at] << 8) | d[at + 1]);
  }

  void run() {
    while (!stop_) {
      std::uint16_t from = 0;
      auto d = socket_.receive(50ms, &from);
      if (d.size() < 20 || get16(d, 0) != 0x0001) continue;
      Seen s;
      std::size_t at = 20;
      while (at + 4 <= d.size()) {
        const std::uint16_t type = get16(d, at), len = get16(d, at + 2);
        if (type == 0xC001) s.connectionRequestBinding = true;
        if (type == 0xC002) s.bindingChange = true;
        if (type == 0x0006) s.username.assign(d.begin() + at + 4, d.begin() + at + 4 + len);
        if (type == 0x0008 && len == 20 && at + 24 <= d.size()) {
          s.integrity = true;
          std::vector<std::uint8_t> covered(d.begin(), d.begin() + at);
          covered[2] = static_cast<std::uint8_t>((at - 20 + 24) >> 8);
          covered[3] = static_cast<std::uint8_t>((at - 20 + 24) & 0xff);
          std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
          unsigned int n = 0;
          HMAC(EVP_sha1(), password_.data(), static_cast<int>(password_.size()), covered.data(),
               covered.size(), md.data(), &n);
          s.integrityValid = std::memcmp(md.data(), d.data() + at + 4, 20) == 0;
        }
        at += 4 + ((len + 3u) & ~3u);
      }
      std::vector<std::uint8_t> answer(d.begin(), d.begin() + 20);
      if (requireIntegrity_ && !s.integrityValid) {
        answer[0] = 0x01;
        answer[1] = 0x11;
        const std::uint8_t error[] = {0x00, 0x09, 0x00, 0x04, 0, 0, 4, 1};  // 401
        answer.insert(answer.end(), std::begin(error), std::end(error));
      } else {
        s.mappedPortAnswered = moved_ ? movedPort : firstPort;
        answer[0] = 0x01;
        answer[1] = 0x01;
        const std::uint8_t mapped[] = {0x00,
                                       0x01,
                                       0x00,
                                       0x08,
                                       0,
                                       1,
                                       static_cast<std::uint8_t>(s.mappedPortAnswered >> 8),
                                       static_cast<std::uint8_t>(s.mappedPortAnswered & 0xff),
                                       198,
                                       51,
                                       100,
                                       7};
        answer.insert(answer.end(), std::begin(mapped), std::end(mapped));
      }
      const auto length = static_cast<std::uint16_t>(answer.size() - 20);
      answer[2] = static_cast<std::uint8_t>(length >> 8);
      answer[3] = static_cast<std::uint8_t>(length & 0xff);
      {
        std::lock_guard lock(mutex_);
        seen_.push_back(s);
      }
      socket_.sendTo(from, answer.data(), answer.size());
    }
  }

  bool requireIntegrity_;
  std::string password_;
  UdpSocket socket_;
  std::atomic<bool> stop_{false}, moved_{false};
  std::mutex mutex_;
  std::vector<Seen> seen_;
  std::thread thread_;
};

TEST_F(AnnexG, AMovedBindingIsSentWithBindingChangeAndNotifiedToTheAcs) {
  MovingStunServer server(false, "");
  // The ACS turns active notification on for the address, then STUN on, with a
  // keep-alive every second.
  acs_->addRpc(activeNotification("UDPConnectionRequestAddress"));
  acs_->addRpc(setValues({{"STUNServerAddress", "127.0.0.1"},
                          {"STUNServerPort", std::to_string(server.port())},
                          {"STUNMaximumKeepAlivePeriod", "1"},
                          {"STUNEnable", "true"}}));
  ASSERT_NO_FATAL_FAILURE(startDaemon());
  const std::string first = "198.51.100.7:" + std::to_string(MovingStunServer::firstPort);
  const std::string moved = "198.51.100.7:" + std::to_string(MovingStunServer::movedPort);
  // The first mapping is a change of the (active) address: a session tells the ACS.
  ASSERT_TRUE(waitSessions(2));
  auto all = informs(*acs_);
  EXPECT_EQ(parameterValue(all.at(1), kMs + "UDPConnectionRequestAddress").value_or("-"), first);
  const auto codes = eventCodes(all.at(1));
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "4 VALUE CHANGE"), 1);
  for (const auto& s : server.seen()) {
    EXPECT_TRUE(s.connectionRequestBinding);
    EXPECT_FALSE(s.bindingChange);
    EXPECT_FALSE(s.integrity) << "no STUNUsername: no MESSAGE-INTEGRITY";
  }

  server.move();
  ASSERT_TRUE(server.waitFor([](const MovingStunServer::Seen& s) { return s.bindingChange; }, 10s))
      << "no Binding Request with BINDING-CHANGE after the binding moved";
  ASSERT_TRUE(waitSessions(3));
  all = informs(*acs_);
  EXPECT_EQ(parameterValue(all.at(2), kMs + "UDPConnectionRequestAddress").value_or("-"), moved);
  // The BINDING-CHANGE request came right after the answer that moved the binding, and
  // the requests after its answer go without it again.
  const auto seen = server.seen();
  const auto movedAt = std::find_if(seen.begin(), seen.end(), [](const auto& s) {
    return s.mappedPortAnswered == MovingStunServer::movedPort;
  });
  ASSERT_NE(movedAt, seen.end());
  ASSERT_NE(movedAt + 1, seen.end());
  EXPECT_FALSE(movedAt->bindingChange);
  EXPECT_TRUE((movedAt + 1)->bindingChange);
}

TEST_F(AnnexG, AServerAskingForIntegrityGetsUsernameAndMessageIntegrity) {
  MovingStunServer server(true, "stun-secret");
  acs_->addRpc(setValues({{"STUNServerAddress", "127.0.0.1"},
                          {"STUNServerPort", std::to_string(server.port())},
                          {"STUNUsername", "cpe-stun"},
                          {"STUNPassword", "stun-secret"},
                          {"STUNEnable", "true"}}));
  ASSERT_NO_FATAL_FAILURE(startDaemon());
  ASSERT_TRUE(server.waitFor([](const auto& s) { return s.mappedPortAnswered != 0; }, 10s));
  const auto seen = server.seen();
  EXPECT_FALSE(seen.front().integrity) << "integrity only once the server asks for it";
  const auto& answered = *std::find_if(seen.begin(), seen.end(),
                                       [](const auto& s) { return s.mappedPortAnswered != 0; });
  EXPECT_TRUE(answered.integrityValid);
  EXPECT_EQ(answered.username, "cpe-stun");
  ASSERT_TRUE(daemon_->waitForLog("public address 198.51.100.7 port 40000 (behind a NAT)", 5s));
}

TEST_F(AnnexG, TheNotificationLimitHoldsANewAddressBack) {
  // TR-098 UDPConnectionRequestAddressNotificationLimit: the address published at start
  // stays for an hour, so the mapping STUN learns right after is not notified yet.
  const std::string ms = "InternetGatewayDevice.ManagementServer.";
  daemon_->set("cpe", "root", "InternetGatewayDevice");
  MovingStunServer server(false, "");
  acs_->addRpc(activeNotification("UDPConnectionRequestAddress", ms));
  acs_->addRpc(setValues({{"UDPConnectionRequestAddressNotificationLimit", "3600"},
                          {"STUNServerAddress", "127.0.0.1"},
                          {"STUNServerPort", std::to_string(server.port())},
                          {"STUNEnable", "true"}},
                         ms));
  ASSERT_NO_FATAL_FAILURE(startDaemon());
  // The address is published (or held back) in the same step that logs the mapping.
  ASSERT_TRUE(daemon_->waitForLog("public address 198.51.100.7 port 40000 (behind a NAT)", 10s));
  send(request(1'700'000'000, "n1"));
  ASSERT_TRUE(waitSessions(2));
  const auto inform = informs(*acs_).at(1);
  EXPECT_EQ(parameterValue(inform, ms + "UDPConnectionRequestAddress").value_or("-"),
            "127.0.0.1:" + std::to_string(port_));
  const auto codes = eventCodes(inform);
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "4 VALUE CHANGE"), 0);
}

}  // namespace
}  // namespace cwmpd::test
