// NSLookupDiagnostics (TR-181 and TR-098) against a loopback dnsmasq started by the test
// with its own zone, a port where nothing listens and a server that never answers.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "../harness/plugin_harness.hpp"

namespace cwmpd::testing {
namespace {

using namespace std::chrono_literals;

const std::string kNs = "Device.DNS.Diagnostics.NSLookupDiagnostics.";
const std::string kNs098 = "InternetGatewayDevice.NSLookupDiagnostics.";

// A UDP socket bound to 127.0.0.1 on an ephemeral port; it never reads.
struct SilentServer {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  std::uint16_t port = 0;
  SilentServer() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      throw std::runtime_error("bind");
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~SilentServer() { ::close(fd); }
};

// dnsmasq on 127.0.0.1, authoritative for the zone diag.test only.
class Dnsmasq {
 public:
  // The probe's port is free when it is closed, but a test running beside this one may
  // take it before dnsmasq binds it: then dnsmasq exits, and another port is tried.
  Dnsmasq() {
    for (int attempt = 0; attempt < 5; ++attempt)
      if (start()) return;
    throw std::runtime_error("dnsmasq did not start (is dnsmasq-base installed?)");
  }
  ~Dnsmasq() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  Dnsmasq(const Dnsmasq&) = delete;
  Dnsmasq& operator=(const Dnsmasq&) = delete;
  std::uint16_t port = 0;

 private:
  bool exited() { return ::waitpid(pid_, nullptr, WNOHANG) == pid_; }

  bool start() {
    {
      SilentServer probe;  // an ephemeral port nobody uses, freed for dnsmasq
      port = probe.port;
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      const std::string portArg = "--port=" + std::to_string(port);
      ::execlp("dnsmasq", "dnsmasq", "--keep-in-foreground", portArg.c_str(),
               "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
               "--conf-file=/dev/null", "--pid-file=", "--local=/diag.test/",
               "--host-record=www.diag.test,192.0.2.10,2001:db8::10",
               "--cname=alias.diag.test,www.diag.test", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Listening once the port is taken and dnsmasq is still up a moment later (had
    // someone else taken it, dnsmasq fails to bind and exits at once).
    const auto end = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < end) {
      if (exited()) return false;
      int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(port);
      const bool taken = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0;
      ::close(fd);
      if (taken) {
        std::this_thread::sleep_for(100ms);
        return !exited();
      }
      std::this_thread::sleep_for(20ms);
    }
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    return false;
  }

  pid_t pid_ = -1;
};

std::string portConfig(std::uint16_t port) {
  return "[diagnostics]\ndns_port = " + std::to_string(port) + "\n";
}

std::string awaitEnd(PluginHarness& h, const std::string& object) {
  h.runUntil([&] { return h.value(object + "DiagnosticsState") != "Requested"; }, 20s);
  return h.value(object + "DiagnosticsState");
}

void lookup(PluginHarness& h, const std::string& object, const std::string& name,
            const std::string& reps, const std::string& timeout = "2000") {
  h.engine->setValues({{object + "HostName", name},
                       {object + "DNSServer", "127.0.0.1"},
                       {object + "NumberOfRepetitions", reps},
                       {object + "Timeout", timeout},
                       {object + "DiagnosticsState", "Requested"}},
                      sdk::Source::Acs);
}

TEST(NSLookup, ReturnsTheZonesAddressesFromLoopbackDnsmasq) {
  Dnsmasq dns;
  PluginHarness h{"Device", {"wan", "diagnostics"}, portConfig(dns.port)};
  lookup(h, kNs, "alias.diag.test", "2");
  ASSERT_EQ(awaitEnd(h, kNs), "Complete");
  EXPECT_EQ(h.value(kNs + "SuccessCount"), "2");
  ASSERT_EQ(h.value(kNs + "ResultNumberOfEntries"), "2");
  for (const char* r : {"Result.1.", "Result.2."}) {
    const std::string row = kNs + r;
    EXPECT_EQ(h.value(row + "Status"), "Success");
    EXPECT_EQ(h.value(row + "HostNameReturned"), "www.diag.test");  // the CNAME's target
    EXPECT_EQ(h.value(row + "IPAddresses"), "192.0.2.10,2001:db8::10");
    EXPECT_EQ(h.value(row + "DNSServerIP"), "127.0.0.1");
    EXPECT_NE(h.value(row + "AnswerType"), "None");
  }
  ASSERT_EQ(h.events.size(), 1U);

  // A name of the zone that does not exist.
  lookup(h, kNs, "nobody.diag.test", "1");
  ASSERT_EQ(awaitEnd(h, kNs), "Complete");
  EXPECT_EQ(h.value(kNs + "SuccessCount"), "0");
  EXPECT_EQ(h.value(kNs + "Result.1.Status"), "Error_HostNameNotResolved");
  EXPECT_EQ(h.value(kNs + "Result.1.IPAddresses"), "");
  h.runUntil([&] { return h.value(kNs + "ResultNumberOfEntries") == "1"; }, 5s);
  EXPECT_EQ(h.value(kNs + "ResultNumberOfEntries"), "1");
}

TEST(NSLookup, AServerThatNeverAnswersIsATimeout) {
  SilentServer silent;
  PluginHarness h{"Device", {"wan", "diagnostics"}, portConfig(silent.port)};
  lookup(h, kNs, "www.diag.test", "1", "300");
  ASSERT_EQ(awaitEnd(h, kNs), "Complete");
  EXPECT_EQ(h.value(kNs + "SuccessCount"), "0");
  EXPECT_EQ(h.value(kNs + "Result.1.Status"), "Error_Timeout");
}

TEST(NSLookup, NoServerOnThePortIsNotAvailableAndABadServerNameNotResolved) {
  std::uint16_t port;
  {
    SilentServer gone;
    port = gone.port;
  }
  PluginHarness h{"Device", {"wan", "diagnostics"}, portConfig(port)};
  lookup(h, kNs, "www.diag.test", "1");
  ASSERT_EQ(awaitEnd(h, kNs), "Complete");
  EXPECT_EQ(h.value(kNs + "Result.1.Status"), "Error_DNSServerNotAvailable");
  h.engine->setValues(
      {{kNs + "DNSServer", "no-such-server.invalid"}, {kNs + "DiagnosticsState", "Requested"}},
      sdk::Source::Acs);
  EXPECT_EQ(awaitEnd(h, kNs), "Error_DNSServerNotResolved");
  EXPECT_EQ(h.setFaultCode(kNs + "NumberOfRepetitions", "0"), 9007);
  EXPECT_EQ(h.setFaultCode(kNs + "NumberOfRepetitions", "101"), 9007);
}

TEST(NSLookupTr098, ReturnsTheZonesAddresses) {
  Dnsmasq dns;
  PluginHarness h{"InternetGatewayDevice", {"diagnostics"}, portConfig(dns.port)};
  lookup(h, kNs098, "www.diag.test", "1");
  ASSERT_EQ(awaitEnd(h, kNs098), "Complete");
  EXPECT_EQ(h.value(kNs098 + "SuccessCount"), "1");
  EXPECT_EQ(h.value(kNs098 + "Result.1.IPAddresses"), "192.0.2.10,2001:db8::10");
}

}  // namespace
}  // namespace cwmpd::testing
