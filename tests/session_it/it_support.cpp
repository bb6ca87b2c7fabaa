#include "it_support.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "schema_validator.hpp"

namespace cwmpd::test {

namespace fs = std::filesystem;

namespace {

std::string unescapeXml(std::string s) {
  static const std::pair<const char*, const char*> kEntities[] = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}};
  for (const auto& [from, to] : kEntities) {
    for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + 1))
      s.replace(at, std::strlen(from), to);
  }
  return s;
}

}  // namespace

std::vector<SentEvent> informEvents(const std::string& xml) {
  static const std::regex kEvent(
      R"(<EventStruct>\s*<EventCode>([^<]*)</EventCode>\s*<CommandKey>([^<]*)</CommandKey>\s*</EventStruct>)");
  std::vector<SentEvent> out;
  for (std::sregex_iterator it(xml.begin(), xml.end(), kEvent), end; it != end; ++it)
    out.emplace_back(unescapeXml((*it)[1]), unescapeXml((*it)[2]));
  return out;
}

std::vector<std::string> eventCodes(const std::string& xml) {
  std::vector<std::string> out;
  for (auto& e : informEvents(xml)) out.push_back(e.first);
  return out;
}

std::optional<std::string> parameterValue(const std::string& xml, const std::string& name) {
  const std::string open = "<Name>" + name + "</Name>";
  auto at = xml.find(open);
  if (at == std::string::npos) return std::nullopt;
  auto v = xml.find("<Value", at);
  auto gt = xml.find('>', v);
  if (v == std::string::npos || gt == std::string::npos) return std::nullopt;
  if (xml[gt - 1] == '/') return std::string();
  auto close = xml.find("</Value>", gt);
  return unescapeXml(xml.substr(gt + 1, close - gt - 1));
}

int retryCount(const std::string& xml) {
  static const std::regex kRetry(R"(<RetryCount>(\d+)</RetryCount>)");
  std::smatch m;
  return std::regex_search(xml, m, kRetry) ? std::stoi(m[1]) : -1;
}

std::string bodyMethod(const std::string& xml) {
  static const std::regex kBody(
      R"(<([A-Za-z0-9_-]+:)?Body(\s[^>]*)?>\s*<([A-Za-z0-9_-]+:)?([A-Za-z0-9_]+))");
  std::smatch m;
  return std::regex_search(xml, m, kBody) ? std::string(m[4]) : std::string();
}

::testing::AssertionResult everyMessageValid(TestAcs& acs) {
  if (bbfDir().empty()) {
    std::fprintf(stderr, "*** schema validation SKIPPED: set CWMPD_BBF_DIR ***\n");
    return ::testing::AssertionSuccess();
  }
  int checked = 0;
  for (const auto& r : acs.requests()) {
    const std::string body = r.get<std::string>("body", "");
    if (body.find_first_not_of(" \t\r\n") == std::string::npos) continue;
    const std::string method = bodyMethod(body);
    auto check = sharedValidator().validate(body, method);
    if (!check.valid)
      return ::testing::AssertionFailure() << "request " << r.get<std::string>("seq", "?") << " ("
                                           << method << ") is not valid CWMP:\n"
                                           << check.errors << "\n"
                                           << body;
    ++checked;
  }
  return ::testing::AssertionSuccess() << checked << " messages valid";
}

std::vector<std::string> informs(TestAcs& acs) {
  std::vector<std::string> out;
  for (const auto& s : acs.sessions()) out.push_back(s.get<std::string>("inform", ""));
  return out;
}

PrivateDbus::PrivateDbus(const std::string& dir) {
  const std::string socket = dir + "/bus";
  const std::string cmd =
      "dbus-daemon --session --fork --print-address=1 --print-pid=1 --address=unix:path=" + socket +
      " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("cannot run dbus-daemon");
  char line[512] = {};
  std::string printed;
  if (std::fgets(line, sizeof line, p)) printed = line;
  if (std::fgets(line, sizeof line, p)) pid_ = std::atoi(line);
  ::pclose(p);
  if (pid_ <= 0) throw std::runtime_error("dbus-daemon did not start: " + printed);
  address_ = "unix:path=" + socket;
}

PrivateDbus::~PrivateDbus() {
  if (pid_ > 0) ::kill(pid_, SIGTERM);
}

std::pair<int, std::string> runCwmpctl(const std::string& busAddress,
                                       const std::vector<std::string>& args) {
  std::string cmd = std::string(CWMPD_TEST_CWMPCTL_BINARY) + " --address '" + busAddress + "'";
  for (const auto& a : args) cmd += " '" + a + "'";
  cmd += " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return {-1, "popen failed"};
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

void DaemonIt::SetUp() {
  dir_ = makeTempDir("cwmpd-it-");
  acs_ = std::make_unique<TestAcs>();
  daemon_ = std::make_unique<DaemonProcess>(dir_);
  daemon_->set("acs", "url", acs_->url());
}

void DaemonIt::TearDown() {
  if (daemon_) daemon_->stop(std::chrono::seconds(5));
  if (acs_ && validateMessages_) {
    EXPECT_TRUE(everyMessageValid(*acs_));
  }
  if (HasFailure() && daemon_) {
    std::string log = daemon_->log();
    if (log.size() > 20000) log = "...\n" + log.substr(log.size() - 20000);
    std::fprintf(stderr, "---- cwmpd log (%s) ----\n%s---- end of log ----\n", dir_.c_str(),
                 log.c_str());
  }
  daemon_.reset();
  acs_.reset();
  if (!HasFailure()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

void DaemonIt::restartAcs(TestAcsOptions options) {
  acs_.reset();
  acs_ = std::make_unique<TestAcs>(std::move(options));
}

::testing::AssertionResult DaemonIt::waitSessions(int count, std::chrono::seconds timeout) {
  if (acs_->waitFor("ended_sessions", count, timeout)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "the ACS did not see " << count << " ended sessions within " << timeout.count()
         << " s (saw " << acs_->sessions().size() << " sessions)";
}

}  // namespace cwmpd::test
