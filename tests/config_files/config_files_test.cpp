// The configuration files we ship (config/cwmpd.conf, config/demo.conf, the OpenWrt UCI
// defaults) against the keys of the daemon's configuration contract
// (../shared/docs/ARCHITECTURE.md), and the daemon's handling of bad configuration.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cwmpd/core/config.hpp"

namespace {

namespace fs = std::filesystem;
using cwmpd::core::Config;
using cwmpd::core::ConfigError;

// The configuration contract: every section and key the daemon documents.
const std::map<std::string, std::vector<std::string>>& knownKeys() {
  static const std::map<std::string, std::vector<std::string>> keys{
      {"acs",
       {"url", "username", "password", "periodic_inform_interval", "periodic_inform_enable",
        "ca_file", "client_cert", "client_key"}},
      {"cpe",
       {"root", "connection_request_port", "connection_request_path", "connection_request_username",
        "connection_request_password", "connection_request_address"}},
      {"bus", {"address"}},
      {"hal", {"backend", "sim_dir"}},
      {"store", {"dir"}},
      {"plugins", {"dir", "enable"}},
      {"log", {"level", "syslog"}},
      {"device",
       {"manufacturer", "oui", "model_name", "product_class", "serial_number", "hardware_version",
        "software_version", "provisioning_code"}},
  };
  return keys;
}

fs::path sourceDir() {
  const char* s = std::getenv("CWMPD_SOURCE_DIR");
  return s && *s ? fs::path(s) : fs::path(".");
}

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Checks what every shipped config must hold; returns the loaded config.
Config loadShipped(const std::string& name) {
  const fs::path path = sourceDir() / "config" / name;
  Config cfg = Config::load(path.string());
  for (const auto& section : cfg.sections()) {
    auto it = knownKeys().find(section);
    EXPECT_NE(it, knownKeys().end()) << name << ": unknown section [" << section << "]";
    if (it != knownKeys().end()) {
      EXPECT_NO_THROW(cfg.requireKnownKeys(section, it->second));
    }
  }
  const std::string root = cfg.get("cpe", "root");
  EXPECT_TRUE(root == "Device" || root == "InternetGatewayDevice") << name << ": root " << root;
  const std::string bus = cfg.get("bus", "address");
  EXPECT_TRUE(bus == "system" || bus == "session" || bus == "none" ||
              bus.find('=') != std::string::npos)
      << name << ": bus address " << bus;
  const std::string backend = cfg.get("hal", "backend");
  EXPECT_TRUE(backend == "linux" || backend == "sim") << name << ": backend " << backend;
  EXPECT_FALSE(cfg.get("store", "dir").empty()) << name;
  EXPECT_FALSE(cfg.get("plugins", "dir").empty()) << name;
  const std::string url = cfg.get("acs", "url");
  EXPECT_TRUE(url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0) << name << ": " << url;
  EXPECT_NO_THROW((void)cfg.getInt("acs", "periodic_inform_interval", 0, 1, 0xffffffffLL));
  EXPECT_NO_THROW((void)cfg.getBool("acs", "periodic_inform_enable", false));
  EXPECT_NO_THROW((void)cfg.getInt("cpe", "connection_request_port", 0, 1, 65535));
  EXPECT_NO_THROW((void)cfg.getBool("log", "syslog", false));
  const std::set<std::string> levels{"debug", "info", "notice", "warning", "error"};
  EXPECT_TRUE(levels.count(cfg.get("log", "level")))
      << name << ": level " << cfg.get("log", "level");
  return cfg;
}

TEST(ShippedConfig, DefaultConfigIsForARealBoxOnTheSystemBus) {
  Config cfg = loadShipped("cwmpd.conf");
  EXPECT_EQ(cfg.get("hal", "backend"), "linux");
  EXPECT_EQ(cfg.get("bus", "address"), "system");
  EXPECT_EQ(cfg.get("store", "dir"), "/var/lib/cwmpd");
  EXPECT_EQ(cfg.get("plugins", "dir"), "/usr/lib/cwmpd/plugins");
  // A real box verifies the ACS certificate: a CA bundle is configured.
  EXPECT_FALSE(cfg.get("acs", "ca_file").empty());
}

TEST(ShippedConfig, DemoConfigRunsOnTheSimulatedBoxShippedInTheRepository) {
  Config cfg = loadShipped("demo.conf");
  EXPECT_EQ(cfg.get("hal", "backend"), "sim");
  const fs::path sim = sourceDir() / "config" / cfg.get("hal", "sim_dir");
  EXPECT_TRUE(fs::is_directory(sim)) << sim;
  EXPECT_TRUE(fs::exists(sim / "system.ini")) << sim;
  // The demo talks to a loopback ACS only.
  EXPECT_EQ(cfg.get("acs", "url").rfind("http://127.0.0.1:", 0), 0u) << cfg.get("acs", "url");
  // Its state stays inside the (git-ignored) build tree, never in the sources.
  EXPECT_EQ(cfg.get("store", "dir").rfind("../build", 0), 0u) << cfg.get("store", "dir");
}

// The OpenWrt init script writes each UCI option of /etc/config/cwmpd as a key of the
// section of the same name: the UCI defaults must use the daemon's keys.
TEST(ShippedConfig, OpenWrtUciDefaultsUseOnlyKnownSectionsAndKeys) {
  std::istringstream in(readFile(sourceDir() / "config/openwrt/cwmpd.uci"));
  const std::regex sectionRe(R"(^config\s+(\w+)\s+'(\w+)'\s*$)");
  const std::regex optionRe(R"(^\s+option\s+(\w+)\s+'[^']*'\s*$)");
  std::string line, section;
  int options = 0;
  std::set<std::string> sections;
  while (std::getline(in, line)) {
    std::smatch m;
    if (line.empty() || line[0] == '#') continue;
    if (std::regex_match(line, m, sectionRe)) {
      section = m[2];
      EXPECT_EQ(m[1], m[2]) << "section type and name differ: " << line;
      EXPECT_TRUE(knownKeys().count(section)) << "unknown section: " << line;
      sections.insert(section);
    } else if (std::regex_match(line, m, optionRe)) {
      ++options;
      auto it = knownKeys().find(section);
      ASSERT_NE(it, knownKeys().end()) << "option outside a known section: " << line;
      EXPECT_NE(std::find(it->second.begin(), it->second.end(), m[1].str()), it->second.end())
          << "unknown key in [" << section << "]: " << line;
    } else {
      ADD_FAILURE() << "not a UCI line: " << line;
    }
  }
  EXPECT_GT(options, 10);
  EXPECT_TRUE(sections.count("cpe") && sections.count("acs") && sections.count("store"));
  // The init script renders every option as it is (no list of keys to keep in step):
  // tests/openwrt runs it and has the daemon check the result.
}

TEST(ShippedConfig, SystemdUnitRunsTheDaemonWithTheInstalledConfig) {
  const std::string unit = readFile(sourceDir() / "config/systemd/cwmpd.service.in");
  EXPECT_NE(
      unit.find("ExecStart=@CWMPD_FULL_BINDIR@/cwmpd --config @CWMPD_FULL_CONFDIR@/cwmpd.conf"),
      std::string::npos);
  // A bad config (exit code 2) must not be restarted in a loop.
  EXPECT_NE(unit.find("RestartPreventExitStatus=2"), std::string::npos);
  EXPECT_NE(unit.find("StateDirectory=cwmpd"), std::string::npos);
}

#ifdef CWMPD_DAEMON

struct DaemonRun {
  int status = -1;
  std::string output;  // stdout and stderr
};

// Runs the daemon with `args` (no shell), collecting both output streams.
DaemonRun runDaemon(const std::vector<std::string>& args) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> argv;
    std::string exe = CWMPD_DAEMON;
    argv.push_back(exe.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    alarm(10);  // a daemon that should have refused its config and runs instead ends here
    execv(exe.c_str(), argv.data());
    _exit(127);
  }
  close(fds[1]);
  DaemonRun r;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) r.output.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

class BadConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "cwmpd-conf-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  // A valid base config (no bus, sim HAL, the build's plugins, a private store) with `line`
  // inserted as line 4, in [cpe], and `tail` (more sections) at the end.
  std::string write(const std::string& line, const std::string& tail = "",
                    const std::string& head = "") {
    const fs::path p = dir_ / "bad.conf";
    std::ofstream(p, std::ios::binary) << head << base(line) << tail;
    return p.string();
  }
  std::string base(const std::string& line) const {
    return "[acs]\nurl = http://127.0.0.1:9/acs\n[cpe]\n" + line +
           "\nroot = Device\n[bus]\naddress = none\n[hal]\nbackend = sim\nsim_dir = " +
           (sourceDir() / "config/sim").string() + "\n[store]\ndir = " + (dir_ / "store").string() +
           "\n[plugins]\ndir = " + CWMPD_PLUGIN_DIR + "\n";
  }
  // Exit code 2 and a one-line "FILE:LINE: ..." error that names the key.
  void expectRefused(const std::string& line, const std::string& key) {
    const std::string file = write(line);
    DaemonRun r = runDaemon({"--config", file});
    EXPECT_EQ(r.status, 2) << r.output;
    // The message may carry the program name first ("cwmpd: FILE:LINE: ...").
    const std::regex re("(^|\n)(cwmpd: )?" +
                        std::regex_replace(file, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                        R"(:4: [^\n]*)" + key);
    EXPECT_TRUE(std::regex_search(r.output, re)) << "for line '" << line << "' got:\n" << r.output;
  }
  // The config `tail` appended to the base is refused, by --check-config and by a real
  // start alike, with exit code 2 and the line "FILE:LINE: message" where LINE is the
  // line of the base + tail that holds `at`.
  void expectTailRefused(const std::string& tail, const std::string& at,
                         const std::string& message) {
    const std::string file = write("", tail);
    const std::string text = base("") + tail;
    const int line = 1 + static_cast<int>(std::count(
                             text.begin(), text.begin() + static_cast<long>(text.find(at)), '\n'));
    const std::string expected = file + ":" + std::to_string(line) + ": " + message;
    for (bool check : {true, false}) {
      DaemonRun r =
          check ? runDaemon({"--check-config", "--config", file}) : runDaemon({"--config", file});
      EXPECT_EQ(r.status, 2) << (check ? "--check-config" : "start") << ":\n" << r.output;
      EXPECT_NE(r.output.find(expected), std::string::npos)
          << (check ? "--check-config" : "start") << ": expected '" << expected << "' in:\n"
          << r.output;
    }
  }
  // --check-config accepts the config; returns what it printed.
  std::string expectAccepted(const std::string& file) {
    DaemonRun r = runDaemon({"--check-config", "--config", file});
    EXPECT_EQ(r.status, 0) << r.output;
    return r.output;
  }
  fs::path dir_;
};

TEST_F(BadConfig, UnknownKeyIsRefusedWithExitCodeTwoNamingFileLineAndKey) {
  expectRefused("conection_request_port = 7547", "conection_request_port");
}

TEST_F(BadConfig, OutOfRangePortIsRefusedWithExitCodeTwoNamingFileLineAndKey) {
  expectRefused("connection_request_port = 70000", "connection_request_port");
}

TEST_F(BadConfig, NonNumericPortIsRefusedWithExitCodeTwoNamingFileLineAndKey) {
  expectRefused("connection_request_port = many", "connection_request_port");
}

TEST_F(BadConfig, AVendorEventThatIsNotXOuiNameIsRefusedWithExitCodeTwoNamingFileLineAndKey) {
  expectRefused("vendor_events = X CT-COM BIND, CT-COM ALARM", "vendor_events");
  expectRefused("vendor_events = X CT-COM", "vendor_events");
}

TEST_F(BadConfig, MissingConfigFileIsRefusedWithExitCodeTwo) {
  DaemonRun r = runDaemon({"--config", (dir_ / "absent.conf").string()});
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("absent.conf"), std::string::npos) << r.output;
}

// Issue 14 item 8: the keys of every section are declared (the core's own, each
// plugin's), so a typo anywhere is an error before anything starts.
TEST_F(BadConfig, ATypoInAKeyOfAPluginsSectionIsAnUnknownKey) {
  expectTailRefused("[device]\nserial_number = X1\nserial_numbr = X\n", "serial_numbr",
                    "[device] serial_numbr: unknown key");
  expectTailRefused("[pon]\npoll_intervl = 5\n", "poll_intervl", "[pon] poll_intervl: unknown key");
}

TEST_F(BadConfig, ATypoInAKeyOfACoreSectionIsAnUnknownKey) {
  expectTailRefused("[log]\nlevel = info\nsyslg = true\n", "syslg", "[log] syslg: unknown key");
}

TEST_F(BadConfig, ASectionNobodyDeclaresIsAnUnknownSection) {
  expectTailRefused("[acss]\nurl = http://127.0.0.1:9/acs\n", "[acss]", "[acss]: unknown section");
  expectTailRefused("[empty]\n", "[empty]", "[empty]: unknown section");
}

TEST_F(BadConfig, PluginValuesAreTypeCheckedUpFront) {
  expectTailRefused("[pon]\npoll_interval = soon\n", "poll_interval",
                    "[pon] poll_interval: expected a number >= 0, got 'soon'");
  expectTailRefused("[wifi]\nstation_refresh_interval = -5\n", "station_refresh_interval",
                    "[wifi] station_refresh_interval: expected an integer 0..4294967295, got '-5'");
  expectTailRefused("[voip]\nstatus_poll_interval =\n", "status_poll_interval",
                    "[voip] status_poll_interval: empty value");
}

TEST_F(BadConfig, DeclaredPluginKeysWithGoodValuesPassEvenForAPluginThatIsNotEnabled) {
  // [plugins] is the base's last section: `enable` goes on.
  const std::string file =
      write("",
            "enable = deviceinfo, management\n"
            "[pon]\npoll_interval = 0.5\n[wan]\ninterface = eth0\n"
            "[wifi]\nstation_refresh_interval = 0\n[device]\nserial_number = X1\n");
  expectAccepted(file);
}

TEST_F(BadConfig, AConfigPathThatIsADirectoryIsRefused) {
  DaemonRun r = runDaemon({"--check-config", "--config", dir_.string()});
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find(dir_.string() + ": is a directory"), std::string::npos) << r.output;
  r = runDaemon({"--config", dir_.string()});
  EXPECT_EQ(r.status, 2) << r.output;
}

TEST_F(BadConfig, AMissingPluginDirectoryIsRefused) {
  const std::string file = write("");
  std::string text = base("");
  text.replace(text.find(CWMPD_PLUGIN_DIR), std::string(CWMPD_PLUGIN_DIR).size(),
               (dir_ / "no-plugins").string());
  std::ofstream(file, std::ios::binary) << text;
  const int line =
      1 + static_cast<int>(std::count(
              text.begin(), text.begin() + static_cast<long>(text.find("no-plugins")), '\n'));
  for (bool check : {true, false}) {
    DaemonRun r =
        check ? runDaemon({"--check-config", "--config", file}) : runDaemon({"--config", file});
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(
        r.output.find(file + ":" + std::to_string(line) + ": [plugins] dir: plugin directory"),
        std::string::npos)
        << r.output;
  }
}

TEST_F(BadConfig, TlsFilesThatDoNotExistAreRefused) {
  std::ofstream(dir_ / "client.pem") << "not checked here\n";
  const std::string absent = (dir_ / "absent.pem").string();
  // [acs] keys at line 3, right after the URL.
  auto refused = [&](const std::string& acsLines, const std::string& message) {
    const std::string file = (dir_ / "tls.conf").string();
    const std::string text = "[acs]\nurl = https://127.0.0.1:9/acs\n" + acsLines +
                             base("").substr(base("").find("[cpe]"));
    std::ofstream(file, std::ios::binary) << text;
    for (bool check : {true, false}) {
      DaemonRun r =
          check ? runDaemon({"--check-config", "--config", file}) : runDaemon({"--config", file});
      EXPECT_EQ(r.status, 2) << acsLines << "\n" << r.output;
      EXPECT_NE(r.output.find(file + ":3: " + message), std::string::npos) << acsLines << "\n"
                                                                           << r.output;
    }
  };
  refused("ca_file = " + absent + "\n", "[acs] ca_file: file '" + absent + "' does not exist");
  refused("client_cert = " + absent + "\nclient_key = " + (dir_ / "client.pem").string() + "\n",
          "[acs] client_cert: file '" + absent + "' does not exist");
  refused("client_key = " + absent + "\nclient_cert = " + (dir_ / "client.pem").string() + "\n",
          "[acs] client_key: file '" + absent + "' does not exist");
  refused("client_cert = " + (dir_ / "client.pem").string() + "\n",
          "[acs] client_cert: needs client_key");
  refused("client_key = " + (dir_ / "client.pem").string() + "\n",
          "[acs] client_key: needs client_cert");
}

TEST_F(BadConfig, VerifyPeerFalseIsAcceptedWithAWarning) {
  const std::string file = (dir_ / "insecure.conf").string();
  std::ofstream(file, std::ios::binary) << "[acs]\nverify_peer = false\n"
                                        << base("").substr(base("").find("[cpe]"));
  const std::string out = expectAccepted(file);
  EXPECT_NE(out.find("warning: [acs] verify_peer = false"), std::string::npos) << out;
}

TEST_F(BadConfig, AUtf8ByteOrderMarkAtTheStartIsAccepted) {
  const std::string file = write("", "", "\xEF\xBB\xBF");
  expectAccepted(file);
  // Line numbers are not shifted by it.
  write("conection_request_port = 7547", "", "\xEF\xBB\xBF");
  expectRefused("conection_request_port = 7547", "conection_request_port");
}

TEST_F(BadConfig, ErrorLinesAreCutToASaneLength) {
  const std::string huge(10000, '7');
  const std::string hugeKey(10000, 'k');
  for (const std::string& line : {"connection_request_port = " + huge, hugeKey + " = 1",
                                  "connection_request_enable = \x1b[2J" + huge}) {
    const std::string file = write(line);
    DaemonRun r = runDaemon({"--config", file});
    EXPECT_EQ(r.status, 2) << r.output.substr(0, 400);
    EXPECT_NE(r.output.find(file + ":4: [cpe] "), std::string::npos) << r.output.substr(0, 400);
    EXPECT_LT(r.output.size(), 400u) << r.output.substr(0, 400) << "...";
    EXPECT_EQ(r.output.find('\x1b'), std::string::npos);
  }
}

// The shipped configs as installed: with the plugins they will find (the build's here).
// demo.conf's relative paths are made absolute for the copy.
TEST(DaemonCommandLine, ShippedConfigsPassTheDaemonsOwnCheck) {
  std::string tmpl = (fs::temp_directory_path() / "cwmpd-shipped-XXXXXX").string();
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  for (const char* name : {"cwmpd.conf", "demo.conf"}) {
    std::istringstream in(readFile(sourceDir() / "config" / name));
    std::ostringstream out;
    std::string line, section;
    while (std::getline(in, line)) {
      if (line.rfind("[", 0) == 0) section = line;
      if (section == "[plugins]" && line.rfind("dir =", 0) == 0)
        line = std::string("dir = ") + CWMPD_PLUGIN_DIR;
      if (section == "[hal]" && line.rfind("sim_dir =", 0) == 0)
        line = "sim_dir = " + (sourceDir() / "config/sim").string();
      if (section == "[store]" && line.rfind("dir =", 0) == 0) line = "dir = " + tmpl + "/store";
      out << line << "\n";
    }
    const std::string file = tmpl + "/" + name;
    std::ofstream(file) << out.str();
    DaemonRun r = runDaemon({"--check-config", "--config", file});
    EXPECT_EQ(r.status, 0) << file << ":\n" << r.output;
  }
  std::error_code ec;
  fs::remove_all(tmpl, ec);
}

TEST(DaemonCommandLine, HelpListsEveryOption) {
  DaemonRun r = runDaemon({"--help"});
  EXPECT_EQ(r.status, 0) << r.output;
  for (const char* opt : {"--config", "--log-level", "--help", "--version"})
    EXPECT_NE(r.output.find(opt), std::string::npos) << opt << " missing from:\n" << r.output;
}

TEST(DaemonCommandLine, VersionPrintsTheProjectVersion) {
  DaemonRun r = runDaemon({"--version"});
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex(R"(\d+\.\d+\.\d+)"))) << r.output;
}

#else
TEST(DaemonCommandLine, BadConfigChecksNeedTheDaemon) {
  GTEST_SKIP() << "the cwmpd target does not exist in this tree yet (daemon/)";
}
#endif

}  // namespace
