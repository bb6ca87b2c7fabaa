// XMPP Connection Requests (TR-069 Annex K, issue 21) against the real cwmpd, a real
// Prosody on loopback (test-written config, test-generated certificate, accounts for the
// CPE, the ACS and an intruder) and the loopback test ACS. The ACS provisions the
// XMPP.Connection over CWMP, learns ConnReqJabberID from an Inform, and asks for sessions
// over XMPP with tests/xmpp_it/xmpp_acs.py (slixmpp). One Prosody serves the whole suite.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "it_support.hpp"
#include "../support/loopback_port.hpp"

namespace cwmpd::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kDomain = "cwmp.test";

// Runs `command` with /bin/sh; its stdout.
std::string capture(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  ::pclose(p);
  return out;
}

bool acceptsConnections(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// Prosody as an unprivileged child process of the test, with everything in `dir`.
class Prosody {
 public:
  Prosody() {
    std::string tmpl = (fs::temp_directory_path() / "cwmpd-prosody-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    port_ = cwmpd::testing::unusedLoopbackPort(SOCK_STREAM);
    fs::create_directories(dir_ + "/data");
    fs::create_directories(dir_ + "/certs");
    const std::string cert =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
        "-nodes -days 2 -subj /CN=" +
        std::string(kDomain) + " -addext subjectAltName=DNS:" + kDomain + " -keyout " + dir_ +
        "/key.pem -out " + caFile() + " 2>/dev/null";
    if (std::system(cert.c_str()) != 0) throw std::runtime_error("openssl req failed");
    std::ofstream cfg(config());
    // run_as_root: a CI container runs the tests as root; Prosody would switch to its own
    // user, which cannot read this directory.
    cfg << "run_as_root = true\n"
        << "pidfile = \"" << dir_ << "/prosody.pid\"\n"
        << "data_path = \"" << dir_ << "/data\"\n"
        << "certificates = \"" << dir_ << "/certs\"\n"
        << "interfaces = { \"127.0.0.1\" }\n"
        << "c2s_ports = { " << port_ << " }\n"
        << "c2s_direct_tls_ports = { }\nlegacy_ssl_ports = { }\ns2s_ports = { }\n"
        << "modules_enabled = { \"saslauth\", \"tls\", \"posix\" }\n"
        << "modules_disabled = { \"s2s\" }\n"
        << "authentication = \"internal_hashed\"\n"
        << "c2s_require_encryption = true\n"
        << "log = { info = \"" << dir_ << "/prosody.log\" }\n"
        << "VirtualHost \"" << kDomain << "\"\n"
        << "  ssl = { certificate = \"" << caFile() << "\", key = \"" << dir_ << "/key.pem\" }\n";
    cfg.close();
    for (const auto& [user, password] :
         {std::pair{"cpe", "cpe-secret"}, {"acs", "acs-secret"}, {"intruder", "intruder-secret"}}) {
      const std::string reg = "prosodyctl --config " + config() + " register " + user + " " +
                              kDomain + " " + password + " >/dev/null 2>&1";
      if (std::system(reg.c_str()) != 0) throw std::runtime_error("prosodyctl register failed");
    }
    start();
  }
  ~Prosody() {
    stop(SIGTERM);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  Prosody(const Prosody&) = delete;
  Prosody& operator=(const Prosody&) = delete;

  void start() {
    pid_ = ::fork();
    if (pid_ == 0) {
      const std::string out = dir_ + "/stdout.log";
      FILE* f = std::freopen(out.c_str(), "a", stdout);
      (void)f;
      ::dup2(STDOUT_FILENO, STDERR_FILENO);
      ::execlp("prosody", "prosody", "--config", config().c_str(), "-F", nullptr);
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    while (!acceptsConnections(port_) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(20ms);
  }
  void stop(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::string caFile() const { return dir_ + "/cert.pem"; }
  [[nodiscard]] std::string config() const { return dir_ + "/prosody.cfg.lua"; }

 private:
  std::string dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

std::string value(const std::string& name, const std::string& type, const std::string& v) {
  return "<ParameterValueStruct><Name>" + name + "</Name><Value xsi:type=\"" + type + "\">" + v +
         "</Value></ParameterValueStruct>";
}

std::string addObject(const std::string& object) {
  return "<cwmp:AddObject><ObjectName>" + object +
         "</ObjectName><ParameterKey></ParameterKey></cwmp:AddObject>";
}

std::string getValues(const std::vector<std::string>& names) {
  std::string s = "<cwmp:GetParameterValues><ParameterNames soap-enc:arrayType=\"xsd:string[" +
                  std::to_string(names.size()) + "]\">";
  for (const auto& n : names) s += "<string>" + n + "</string>";
  return s + "</ParameterNames></cwmp:GetParameterValues>";
}

class XmppConnectionRequests : public DaemonIt {
 protected:
  static void SetUpTestSuite() { prosody_ = new Prosody(); }
  static void TearDownTestSuite() {
    delete prosody_;
    prosody_ = nullptr;
  }

  void SetUp() override {
    DaemonIt::SetUp();
    daemon_->set("plugins", "enable", "deviceinfo, management, wan, xmpp");
    // The server's certificate is checked like the ACS's ([acs] ca_file).
    daemon_->set("acs", "ca_file", prosody_->caFile());
  }

  // The boot session provisions Device.XMPP.Connection.1 (TLS, the Server table on the
  // test's Prosody, a 1 s retry without growth) and points ConnReqXMPPConnection at it;
  // once connected, ConnReqJabberID (active notification by default) opens a session
  // whose Inform carries the bound JID. Returns that JID.
  std::string provision(const std::string& allowedJids = "", const std::string& root = "Device") {
    const std::string c = root + ".XMPP.Connection.1.";
    const std::string ms = root + ".ManagementServer.";
    acs_->addRpc(addObject(root + ".XMPP.Connection."));
    acs_->addRpc(addObject(c + "Server."));
    acs_->addRpc(
        "<cwmp:SetParameterValues><ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[16]\">" +
        value(c + "Username", "xsd:string", "cpe") +
        value(c + "Password", "xsd:string", "cpe-secret") +
        value(c + "Domain", "xsd:string", kDomain) + value(c + "Resource", "xsd:string", "cwmpd") +
        value(c + "UseTLS", "xsd:boolean", "true") +
        value(c + "ServerConnectAlgorithm", "xsd:string", "ServerTable") +
        value(c + "ServerRetryInitialInterval", "xsd:unsignedInt", "1") +
        value(c + "ServerRetryIntervalMultiplier", "xsd:unsignedInt", "1000") +
        value(c + "ServerRetryMaxInterval", "xsd:unsignedInt", "1") +
        value(c + "Server.1.Enable", "xsd:boolean", "true") +
        value(c + "Server.1.ServerAddress", "xsd:string", "127.0.0.1") +
        value(c + "Server.1.Port", "xsd:unsignedInt", std::to_string(prosody_->port())) +
        value(c + "Enable", "xsd:boolean", "true") +
        value(ms + "ConnReqAllowedJabberIDs", "xsd:string", allowedJids) +
        value(ms + "ConnReqXMPPConnection", "xsd:string", root + ".XMPP.Connection.1") +
        value(ms + "PeriodicInformEnable", "xsd:boolean", "false") +
        "</ParameterList><ParameterKey>xmpp</ParameterKey></cwmp:SetParameterValues>");
    daemon_->start();
    EXPECT_TRUE(waitSessions(2, 20s)) << "no session after the XMPP connection came up";
    for (const auto& r : acs_->results())
      EXPECT_NE(r.get<std::string>("method"), "Fault") << "a provisioning RPC failed";
    const auto all = informs(*acs_);
    if (all.size() < 2) return {};
    const auto codes = eventCodes(all[1]);
    EXPECT_NE(std::find(codes.begin(), codes.end(), "4 VALUE CHANGE"), codes.end());
    return parameterValue(all[1], ms + "ConnReqJabberID").value_or("");
  }

  // The ACS (or `account`) asks `to` for a session; the outcome line of xmpp_acs.py.
  std::string request(const std::string& to, const std::string& account = "acs",
                      const std::string& crPassword = "cr-secret") {
    return capture(std::string(CWMPD_TEST_XMPP_PYTHON) + " " + CWMPD_TEST_XMPP_ACS + " --port " +
                   std::to_string(prosody_->port()) + " --jid " + account + "@" + kDomain +
                   "/acs --password " + account + "-secret --ca " + prosody_->caFile() + " --to " +
                   to + " --username cr-user --cr-password " + crPassword + " --timeout 5");
  }

  // The values of `names` read by the ACS in a session it asks for over XMPP.
  std::string readOverXmpp(const std::string& jid, const std::vector<std::string>& names) {
    const auto before = informs(*acs_).size();
    acs_->addRpc(getValues(names));
    EXPECT_EQ(request(jid), "{\"type\": \"result\"}\n");
    EXPECT_TRUE(waitSessions(static_cast<int>(before) + 1));
    const auto results = acs_->results();
    return results.empty() ? std::string() : results.back().get<std::string>("body", "");
  }

  static Prosody* prosody_;
};

Prosody* XmppConnectionRequests::prosody_ = nullptr;

TEST_F(XmppConnectionRequests, AnAllowedRequestGetsTheResultAndASessionWithConnectionRequest) {
  const std::string jid = provision("acs@cwmp.test");
  ASSERT_EQ(jid, "cpe@cwmp.test/cwmpd");
  EXPECT_EQ(request(jid), "{\"type\": \"result\"}\n");
  ASSERT_TRUE(waitSessions(3));
  const auto all = informs(*acs_);
  const auto codes = eventCodes(all.at(2));
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "6 CONNECTION REQUEST"), 1);
  // Every Inform carries ConnReqJabberID, as TR-069 Annex K wants the ACS to know it.
  EXPECT_EQ(parameterValue(all.at(2), "Device.ManagementServer.ConnReqJabberID"), jid);

  const std::string c = "Device.XMPP.Connection.1.";
  const std::string body =
      readOverXmpp(jid, {c + "Status", c + "JabberID", c + "TLSEstablished", c + "LastChangeDate",
                         c + "Stats.ReceivedMessages", c + "Stats.TransmittedMessages"});
  EXPECT_EQ(parameterValue(body, c + "Status"), "Enabled");
  EXPECT_EQ(parameterValue(body, c + "JabberID"), jid);
  EXPECT_EQ(parameterValue(body, c + "TLSEstablished"), "true");
  EXPECT_NE(parameterValue(body, c + "LastChangeDate").value_or("0001"), "0001-01-01T00:00:00Z");
  // Two requests answered so far (this one included); the server may have sent more.
  EXPECT_GE(std::stoul(parameterValue(body, c + "Stats.ReceivedMessages").value_or("0")), 2u);
  EXPECT_EQ(parameterValue(body, c + "Stats.TransmittedMessages"), "2");
}

TEST_F(XmppConnectionRequests, AWrongPasswordIsNotAuthorizedAndStartsNoSession) {
  const std::string jid = provision();
  ASSERT_FALSE(jid.empty());
  const auto mark = daemon_->logSize();
  EXPECT_EQ(request(jid, "acs", "wrong"),
            "{\"type\": \"error\", \"condition\": \"not-authorized\", \"error_type\": \"auth\"}\n");
  EXPECT_TRUE(daemon_->waitForLog("refused: bad credentials", 5s, mark));
  // A valid request after it gets its session, and it is the only one since.
  EXPECT_EQ(request(jid), "{\"type\": \"result\"}\n");
  ASSERT_TRUE(waitSessions(3));
  EXPECT_EQ(informs(*acs_).size(), 3u);
}

TEST_F(XmppConnectionRequests, AJidNotAllowedIsRefusedServiceUnavailableAndStartsNoSession) {
  const std::string jid = provision("acs@cwmp.test");
  ASSERT_FALSE(jid.empty());
  const auto mark = daemon_->logSize();
  EXPECT_EQ(request(jid, "intruder"),
            "{\"type\": \"error\", \"condition\": \"service-unavailable\", \"error_type\": "
            "\"cancel\"}\n");
  // The refusal is the agent's, not the server's for an absent resource.
  EXPECT_TRUE(daemon_->waitForLog("refused: JID not allowed", 5s, mark));
  EXPECT_EQ(request(jid), "{\"type\": \"result\"}\n");
  ASSERT_TRUE(waitSessions(3));
  EXPECT_EQ(informs(*acs_).size(), 3u);
}

TEST_F(XmppConnectionRequests, AfterTheServerRestartsTheAgentReconnectsWithinTheRetryPolicy) {
  const std::string jid = provision();
  ASSERT_FALSE(jid.empty());
  const auto mark = daemon_->logSize();
  prosody_->stop(SIGKILL);
  ASSERT_TRUE(daemon_->waitForLog("disconnected", 10s, mark));
  // Refused while the server is away: the retries run (1 s apart at most).
  ASSERT_TRUE(daemon_->waitForLog("reconnecting in", 5s, mark));
  const auto down = daemon_->logSize();
  ASSERT_TRUE(daemon_->waitForLog("reconnecting in", 5s, down));
  prosody_->start();
  const auto restarted = daemon_->logSize();
  ASSERT_TRUE(daemon_->waitForLog("connected as " + jid, 10s, restarted));
  const std::string c = "Device.XMPP.Connection.1.";
  const std::string body = readOverXmpp(jid, {c + "Status", c + "JabberID"});
  EXPECT_EQ(parameterValue(body, c + "Status"), "Enabled");
  EXPECT_EQ(parameterValue(body, c + "JabberID"), jid);
}

TEST_F(XmppConnectionRequests, TheConfigurationIsPersistedAndTheAgentReconnectsAfterARestart) {
  const std::string jid = provision();
  ASSERT_FALSE(jid.empty());
  ASSERT_EQ(daemon_->stop(), 0);
  const auto mark = daemon_->logSize();
  daemon_->start();
  ASSERT_TRUE(daemon_->waitForLog("connected as " + jid, 10s, mark));
  const auto before = informs(*acs_).size();
  EXPECT_EQ(request(jid), "{\"type\": \"result\"}\n");
  ASSERT_TRUE(waitSessions(static_cast<int>(before) + 1));
  const auto codes = eventCodes(informs(*acs_).back());
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "6 CONNECTION REQUEST"), 1);
}

TEST_F(XmppConnectionRequests, UnderInternetGatewayDeviceTheTr098ParametersDoTheSame) {
  daemon_->set("cpe", "root", "InternetGatewayDevice");
  const std::string jid = provision("acs@cwmp.test", "InternetGatewayDevice");
  ASSERT_EQ(jid, "cpe@cwmp.test/cwmpd");
  EXPECT_EQ(request(jid), "{\"type\": \"result\"}\n");
  ASSERT_TRUE(waitSessions(3));
  const auto codes = eventCodes(informs(*acs_).at(2));
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "6 CONNECTION REQUEST"), 1);
}

// The client's thread may sit in a DNS lookup that nothing interrupts (here one that
// hangs for 30 s, tests/xmpp_it/slow_dns_preload.c). Stopping the client, which the main
// loop does when the ACS reconfigures XMPP and when the daemon stops, must not wait for it.
class XmppSlowDns : public DaemonIt {
 protected:
  void SetUp() override {
    DaemonIt::SetUp();
    daemon_->set("plugins", "enable", "deviceinfo, management, wan, xmpp");
    daemon_->setEnv("LD_PRELOAD", CWMPD_SLOW_DNS_SHIM);
    daemon_->setEnv("CWMPD_SLOW_DNS_NAME", "slow.xmpp.test");
    daemon_->setEnv("CWMPD_SLOW_DNS_MARK", lookups());
    // Under ASan the shim comes before the sanitizer runtime; that is fine here.
    const char* asan = std::getenv("ASAN_OPTIONS");
    daemon_->setEnv("ASAN_OPTIONS", std::string(asan ? asan : "") + (asan && *asan ? ":" : "") +
                                        "verify_asan_link_order=0");
  }
  [[nodiscard]] std::string lookups() const { return dir_ + "/dns-lookups"; }
  // How many lookups of the slow name have started.
  [[nodiscard]] std::size_t lookupsStarted() const {
    std::ifstream in(lookups());
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
  }
  bool waitLookups(std::size_t n) const {
    for (auto end = std::chrono::steady_clock::now() + 15s; std::chrono::steady_clock::now() < end;
         std::this_thread::sleep_for(50ms))
      if (lookupsStarted() >= n) return true;
    return false;
  }
  void setEnable(const std::string& enable) {
    acs_->addRpc(
        "<cwmp:SetParameterValues><ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[1]\">" +
        value("Device.XMPP.Connection.1.Enable", "xsd:boolean", enable) +
        "</ParameterList><ParameterKey>enable</ParameterKey></cwmp:SetParameterValues>");
  }
  void kick() {
    auto r = acs_->connectionRequest(daemon_->connectionRequestUrl(), "cr-user", "cr-secret");
    EXPECT_EQ(r.get<std::string>("status", ""), "200");
  }
};

TEST_F(XmppSlowDns, AHangingDnsLookupHoldsNeitherAReconfigurationNorTheShutdown) {
  const std::string c = "Device.XMPP.Connection.1.";
  acs_->addRpc(addObject("Device.XMPP.Connection."));
  acs_->addRpc(addObject(c + "Server."));
  acs_->addRpc(
      "<cwmp:SetParameterValues><ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[9]\">" +
      value(c + "Username", "xsd:string", "cpe") + value(c + "Password", "xsd:string", "secret") +
      value(c + "Domain", "xsd:string", kDomain) +
      value(c + "ServerConnectAlgorithm", "xsd:string", "ServerTable") +
      value(c + "Server.1.Enable", "xsd:boolean", "true") +
      value(c + "Server.1.ServerAddress", "xsd:string", "slow.xmpp.test") +
      value(c + "Enable", "xsd:boolean", "true") +
      value("Device.ManagementServer.ConnReqXMPPConnection", "xsd:string",
            "Device.XMPP.Connection.1") +
      value("Device.ManagementServer.PeriodicInformEnable", "xsd:boolean", "false") +
      "</ParameterList><ParameterKey>xmpp</ParameterKey></cwmp:SetParameterValues>");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1, 15s));
  for (const auto& r : acs_->results()) ASSERT_NE(r.get<std::string>("method"), "Fault");
  ASSERT_TRUE(waitLookups(1)) << "the client never looked the server up";

  // The ACS turns the connection off while the lookup hangs: the commit stops the client
  // on the main loop, and the session goes on at once (it would wait 30 s for the lookup).
  setEnable("false");
  const auto asked = std::chrono::steady_clock::now();
  kick();
  ASSERT_TRUE(waitSessions(2, 8s)) << "the session waited for the DNS lookup";
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 8s);

  // On again (a new lookup hangs), then SIGTERM: the daemon exits cleanly, promptly.
  setEnable("true");
  kick();
  ASSERT_TRUE(waitSessions(3, 8s));
  ASSERT_TRUE(waitLookups(2));
  EXPECT_EQ(daemon_->stop(4s), 0) << "the stop waited for the DNS lookup";
}

}  // namespace
}  // namespace cwmpd::test
