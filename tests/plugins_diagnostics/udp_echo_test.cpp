// UDPEchoConfig (the box's UDP echo server with the TR-143 A.1 UDP Echo Plus fields, TR-181
// and TR-098) and UDPEchoDiagnostics (the client, TR-181) over loopback: the client talks to
// the plugin's own server.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "../harness/plugin_harness.hpp"
#include "../support/loopback_port.hpp"

namespace cwmpd::testing {
namespace {

using namespace std::chrono_literals;

const std::string kCfg = "Device.IP.Diagnostics.UDPEchoConfig.";
const std::string kCfg098 = "InternetGatewayDevice.UDPEchoConfig.";
const std::string kEcho = "Device.IP.Diagnostics.UDPEchoDiagnostics.";

std::uint16_t freeUdpPort() { return unusedLoopbackPort(SOCK_DGRAM); }

std::uint32_t field(const std::vector<std::uint8_t>& p, std::size_t i) {
  std::uint32_t v = 0;
  std::memcpy(&v, p.data() + 4 * i, 4);
  return ntohl(v);
}

// A UDP Echo Plus client of the test: sends 24-byte packets with TestGenSN.
class EchoClient {
 public:
  explicit EchoClient(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  ~EchoClient() { ::close(fd_); }
  EchoClient(const EchoClient&) = delete;
  EchoClient& operator=(const EchoClient&) = delete;

  // One packet; its answer, if one comes within `wait`.
  std::optional<std::vector<std::uint8_t>> echo(std::uint32_t sn, std::chrono::milliseconds wait) {
    std::vector<std::uint8_t> out(24, 0);
    const std::uint32_t n = htonl(sn);
    std::memcpy(out.data(), &n, 4);
    ::send(fd_, out.data(), out.size(), 0);
    pollfd p{fd_, POLLIN, 0};
    while (::poll(&p, 1, static_cast<int>(wait.count())) > 0) {
      std::vector<std::uint8_t> in(1500);
      const ssize_t r = ::recv(fd_, in.data(), in.size(), 0);
      if (r < 0) return std::nullopt;  // refused: nothing listens
      in.resize(static_cast<std::size_t>(r));
      if (in.size() >= 4 && field(in, 0) == sn) return in;
    }
    return std::nullopt;
  }
  // Turns the main loop (the plugin's flush starts the server on a thread of its own) and
  // sends until the server answers: the answer.
  std::optional<std::vector<std::uint8_t>> awaitServer(PluginHarness& h, std::uint32_t& sn) {
    std::optional<std::vector<std::uint8_t>> answer;
    h.runUntil([&] { return (answer = echo(++sn, 20ms)).has_value(); }, 5s);
    return answer;
  }

 private:
  int fd_ = -1;
};

std::string awaitEnd(PluginHarness& h, const std::string& object) {
  h.runUntil([&] { return h.value(object + "DiagnosticsState") != "Requested"; }, 20s);
  return h.value(object + "DiagnosticsState");
}

class UdpEcho : public ::testing::Test {
 protected:
  PluginHarness h{"Device", {"wan", "diagnostics"}};
  std::uint16_t port = freeUdpPort();
  void enable(const std::vector<std::pair<std::string, std::string>>& extra = {}) {
    std::vector<std::pair<std::string, std::string>> v = {{kCfg + "Enable", "true"},
                                                          {kCfg + "UDPPort", std::to_string(port)}};
    for (const auto& [k, val] : extra) v.emplace_back(kCfg + k, val);
    h.engine->setValues(v, sdk::Source::Acs);
  }
};

TEST_F(UdpEcho, ServerAnswersWithTheEchoPlusFieldsAndCounts) {
  EXPECT_EQ(h.value(kCfg + "Enable"), "false");
  EXPECT_EQ(h.value(kCfg + "EchoPlusSupported"), "true");
  EXPECT_EQ(h.value(kCfg + "TimeFirstPacketReceived"), "0001-01-01T00:00:00Z");
  enable({{"EchoPlusEnabled", "true"}});
  EchoClient client(port);
  std::uint32_t sn = 100;
  const auto first = client.awaitServer(h, sn);
  ASSERT_TRUE(first) << "the UDP echo server did not answer";
  EXPECT_EQ(first->size(), 24U);
  EXPECT_EQ(field(*first, 1), 1U);                // TestRespSN: the server's first answer
  EXPECT_LE(field(*first, 2), field(*first, 3));  // received, then replied
  EXPECT_EQ(field(*first, 4), 0U);                // no reply failures
  const auto second = client.echo(++sn, 2000ms);
  ASSERT_TRUE(second);
  EXPECT_EQ(field(*second, 1), 2U);
  // The server counts an answer once sendto() returned: it may come after the answer did.
  h.runUntil([&] { return h.value(kCfg + "BytesResponded") == std::to_string(2 * (24 + 8)); }, 2s);
  EXPECT_EQ(h.value(kCfg + "PacketsReceived"), "2");
  EXPECT_EQ(h.value(kCfg + "PacketsResponded"), "2");
  EXPECT_EQ(h.value(kCfg + "BytesReceived"), std::to_string(2 * (24 + 8)));  // UDP header too
  EXPECT_EQ(h.value(kCfg + "BytesResponded"), std::to_string(2 * (24 + 8)));
  EXPECT_LE(h.value(kCfg + "TimeFirstPacketReceived"), h.value(kCfg + "TimeLastPacketReceived"));
  EXPECT_EQ(h.value(kCfg + "TimeLastPacketReceived").size(), 27U);  // with microseconds

  // Without Echo Plus the packet comes back as it was sent (RFC 862).
  enable({{"EchoPlusEnabled", "false"}});
  const auto plain = client.awaitServer(h, sn);
  ASSERT_TRUE(plain);
  EXPECT_EQ(field(*plain, 1), 0U);
  EXPECT_EQ(h.value(kCfg + "PacketsReceived"), "1");  // a restart clears the counters
}

TEST_F(UdpEcho, SourceIPAddressFiltersAndDisableStops) {
  enable({{"SourceIPAddress", "127.0.0.1"}});
  EchoClient client(port);
  std::uint32_t sn = 0;
  ASSERT_TRUE(client.awaitServer(h, sn));
  // Another source only: loopback packets are neither answered nor counted.
  enable({{"SourceIPAddress", "192.0.2.1"}});
  h.runUntil([] { return false; }, 200ms);  // the flush restarts the server
  EXPECT_FALSE(client.echo(++sn, 300ms));
  EXPECT_EQ(h.value(kCfg + "PacketsReceived"), "0");
  h.engine->setValues({{kCfg + "Enable", "false"}}, sdk::Source::Acs);
  h.engine->setValues({{kCfg + "SourceIPAddress", ""}}, sdk::Source::Acs);
  h.runUntil([] { return false; }, 200ms);
  EXPECT_FALSE(client.echo(++sn, 300ms));
}

TEST_F(UdpEcho, DiagnosticsAgainstTheBoxsOwnServer) {
  enable({{"EchoPlusEnabled", "true"}});
  {
    EchoClient probe(port);
    std::uint32_t sn = 1000;
    ASSERT_TRUE(probe.awaitServer(h, sn));
  }
  // Every probe the server took is in PacketsReceived once one was answered (loopback keeps
  // order); PacketsResponded follows each sendto(), so wait for it to catch up.
  h.runUntil(
      [&] { return h.value(kCfg + "PacketsResponded") == h.value(kCfg + "PacketsReceived"); }, 2s);
  const std::string before = h.value(kCfg + "PacketsResponded");
  h.engine->setValues({{kEcho + "Host", "127.0.0.1"},
                       {kEcho + "Port", std::to_string(port)},
                       {kEcho + "NumberOfRepetitions", "3"},
                       {kEcho + "InterTransmissionTime", "10"},
                       {kEcho + "EnableIndividualPacketResults", "true"},
                       {kEcho + "DiagnosticsState", "Requested"}},
                      sdk::Source::Acs);
  ASSERT_EQ(awaitEnd(h, kEcho), "Complete");
  EXPECT_EQ(h.value(kEcho + "SuccessCount"), "3");
  EXPECT_EQ(h.value(kEcho + "FailureCount"), "0");
  EXPECT_EQ(h.value(kEcho + "IPAddressUsed"), "127.0.0.1");
  EXPECT_GT(std::stoul(h.value(kEcho + "MinimumResponseTime")), 0U);
  EXPECT_LE(std::stoul(h.value(kEcho + "MinimumResponseTime")),
            std::stoul(h.value(kEcho + "AverageResponseTime")));
  EXPECT_LE(std::stoul(h.value(kEcho + "AverageResponseTime")),
            std::stoul(h.value(kEcho + "MaximumResponseTime")));
  ASSERT_EQ(h.value(kEcho + "IndividualPacketResultNumberOfEntries"), "3");
  const unsigned base = static_cast<unsigned>(std::stoul(before));
  for (unsigned i = 1; i <= 3; ++i) {
    const std::string row = kEcho + "IndividualPacketResult." + std::to_string(i) + ".";
    EXPECT_EQ(h.value(row + "PacketSuccess"), "true");
    EXPECT_EQ(h.value(row + "TestGenSN"), std::to_string(i));
    EXPECT_EQ(h.value(row + "TestRespSN"), std::to_string(base + i));  // the server's count
    EXPECT_LE(h.value(row + "PacketSendTime"), h.value(row + "PacketReceiveTime"));
  }
  h.runUntil([&] { return h.value(kCfg + "PacketsResponded") == std::to_string(base + 3); }, 2s);
  EXPECT_EQ(h.value(kCfg + "PacketsResponded"), std::to_string(base + 3));

  // IPv6: the server listens on both families.
  h.engine->setValues({{kEcho + "Host", "::1"},
                       {kEcho + "NumberOfRepetitions", "1"},
                       {kEcho + "DiagnosticsState", "Requested"}},
                      sdk::Source::Acs);
  ASSERT_EQ(awaitEnd(h, kEcho), "Complete");
  EXPECT_EQ(h.value(kEcho + "SuccessCount"), "1");
  EXPECT_EQ(h.value(kEcho + "IPAddressUsed"), "::1");
}

TEST_F(UdpEcho, DiagnosticsFailures) {
  // Nothing listens: every packet fails, the test itself completes.
  h.engine->setValues({{kEcho + "Host", "127.0.0.1"},
                       {kEcho + "Port", std::to_string(port)},
                       {kEcho + "NumberOfRepetitions", "2"},
                       {kEcho + "Timeout", "200"},
                       {kEcho + "InterTransmissionTime", "10"},
                       {kEcho + "DiagnosticsState", "Requested"}},
                      sdk::Source::Acs);
  ASSERT_EQ(awaitEnd(h, kEcho), "Complete");
  EXPECT_EQ(h.value(kEcho + "SuccessCount"), "0");
  EXPECT_EQ(h.value(kEcho + "FailureCount"), "2");
  h.engine->setValues(
      {{kEcho + "Host", "no-such-host.invalid"}, {kEcho + "DiagnosticsState", "Requested"}},
      sdk::Source::Acs);
  EXPECT_EQ(awaitEnd(h, kEcho), "Error_CannotResolveHostName");
  EXPECT_EQ(h.setFaultCode(kEcho + "Port", "0"), 9007);
  EXPECT_EQ(h.setFaultCode(kEcho + "NumberOfRepetitions", "10001"), 9007);
  EXPECT_EQ(h.setFaultCode(kCfg + "UDPPort", "70000"), 9007);
  EXPECT_EQ(h.setFaultCode(kCfg + "SourceIPAddress", "not-an-address"), 9007);
  EXPECT_EQ(h.setFaultCode(kCfg + "Interface", "Device.IP.Interface.99."), 9007);
  EXPECT_EQ(h.value("Device.IP.Diagnostics.IPv4UDPEchoDiagnosticsSupported"), "true");
}

TEST(UdpEchoTr098, ServerAnswersUnderTheTr098Root) {
  PluginHarness h{"InternetGatewayDevice", {"diagnostics"}};
  const std::uint16_t port = freeUdpPort();
  h.engine->setValues({{kCfg098 + "Enable", "true"},
                       {kCfg098 + "UDPPort", std::to_string(port)},
                       {kCfg098 + "EchoPlusEnabled", "true"}},
                      sdk::Source::Acs);
  EchoClient client(port);
  std::uint32_t sn = 0;
  const auto answer = client.awaitServer(h, sn);
  ASSERT_TRUE(answer);
  EXPECT_EQ(field(*answer, 1), 1U);
  h.runUntil([&] { return h.value(kCfg098 + "PacketsResponded") == "1"; }, 2s);
  EXPECT_EQ(h.value(kCfg098 + "PacketsResponded"), "1");
}

// ServerSelectionDiagnostics with Protocol "UDP Echo" against the plugin's own server:
// both loopback hosts are tried (the server counts their packets), the unresolvable one is
// skipped, and the fastest is one of the two.
TEST_F(UdpEcho, ServerSelectionOverUdpEchoTriesEveryHost) {
  const std::string sel = "Device.IP.Diagnostics.ServerSelectionDiagnostics.";
  enable();
  {
    EchoClient probe(port);
    std::uint32_t sn = 0;
    ASSERT_TRUE(probe.awaitServer(h, sn));
  }
  h.runUntil(
      [&] { return h.value(kCfg + "PacketsResponded") == h.value(kCfg + "PacketsReceived"); }, 2s);
  const auto before = std::stoul(h.value(kCfg + "PacketsReceived"));
  const std::string p = std::to_string(port);
  h.engine->setValues(
      {{sel + "Protocol", "UDP Echo"},
       {sel + "HostList", "127.0.0.1:" + p + ",[::1]:" + p + ",no-such-host.invalid:" + p},
       {sel + "NumberOfRepetitions", "3"},
       {sel + "Timeout", "10000"},
       {sel + "DiagnosticsState", "Requested"}},
      sdk::Source::Acs);
  ASSERT_EQ(awaitEnd(h, sel), "Complete");
  const std::string fastest = h.value(sel + "FastestHost");
  EXPECT_TRUE(fastest == "127.0.0.1:" + p || fastest == "[::1]:" + p) << fastest;
  EXPECT_EQ(h.value(sel + "IPAddressUsed"), fastest[0] == '[' ? "::1" : "127.0.0.1");
  EXPECT_GT(std::stoul(h.value(sel + "MinimumResponseTime")), 0U);
  EXPECT_LE(std::stoul(h.value(sel + "MinimumResponseTime")),
            std::stoul(h.value(sel + "AverageResponseTime")));
  EXPECT_LE(std::stoul(h.value(sel + "AverageResponseTime")),
            std::stoul(h.value(sel + "MaximumResponseTime")));
  h.runUntil([&] { return std::stoul(h.value(kCfg + "PacketsReceived")) >= before + 6; }, 2s);
  EXPECT_EQ(std::stoul(h.value(kCfg + "PacketsReceived")), before + 6);  // 3 to each host

  // A host that takes the packets and never answers: no result, all zeros, still Complete.
  const int mute = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(mute, reinterpret_cast<sockaddr*>(&a), len), 0);
  ::getsockname(mute, reinterpret_cast<sockaddr*>(&a), &len);
  const std::string silent = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  h.engine->setValues({{sel + "HostList", silent},
                       {sel + "NumberOfRepetitions", "1"},
                       {sel + "Timeout", "200"},
                       {sel + "DiagnosticsState", "Requested"}},
                      sdk::Source::Acs);
  ASSERT_EQ(awaitEnd(h, sel), "Complete");
  EXPECT_EQ(h.value(sel + "FastestHost"), "");
  EXPECT_EQ(h.value(sel + "AverageResponseTime"), "0");

  // A set during the test (100 packets of 10 s each to the mute host) cancels it at once.
  h.engine->setValues({{sel + "NumberOfRepetitions", "100"},
                       {sel + "Timeout", "10000"},
                       {sel + "DiagnosticsState", "Requested"}},
                      sdk::Source::Acs);
  h.runUntil([] { return false; }, 200ms);
  EXPECT_EQ(h.value(sel + "DiagnosticsState"), "Requested");
  h.engine->setValues({{sel + "Timeout", "500"}}, sdk::Source::Acs);
  EXPECT_EQ(h.value(sel + "DiagnosticsState"), "None");
  ::close(mute);
  // The next request runs (the cancelled worker let go within its 50 ms).
  h.engine->setValues({{sel + "HostList", "127.0.0.1:" + p},
                       {sel + "NumberOfRepetitions", "1"},
                       {sel + "DiagnosticsState", "Requested"}},
                      sdk::Source::Acs);
  ASSERT_EQ(awaitEnd(h, sel), "Complete");
  EXPECT_EQ(h.value(sel + "FastestHost"), "127.0.0.1:" + p);
}

}  // namespace
}  // namespace cwmpd::testing
