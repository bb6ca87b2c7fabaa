#include "test_acs.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/property_tree/json_parser.hpp>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <utility>

extern char** environ;

namespace cwmpd::test {

namespace {

std::string sourceFile(const char* relative) {
  const char* root = std::getenv("CWMPD_SOURCE_DIR");
  if (root == nullptr) throw std::runtime_error("CWMPD_SOURCE_DIR is not set");
  return std::string(root) + "/" + relative;
}

size_t appendToString(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

std::vector<Json> children(const Json& array) {
  std::vector<Json> out;
  for (const auto& [key, value] : array) out.push_back(value);
  return out;
}

}  // namespace

std::string jsonQuote(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

Json parseJson(const std::string& text) {
  std::istringstream in(text);
  Json tree;
  boost::property_tree::read_json(in, tree);
  return tree;
}

std::string makeTempDir(std::string_view prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ =
      std::string(tmp != nullptr ? tmp : "/tmp") + "/" + std::string(prefix) + "XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return templ;
}

void makeTestCa(const std::string& dir) {
  const std::string command = "sh '" + sourceFile("tests/acs/make-ca.sh") + "' '" + dir + "'";
  if (std::system(command.c_str()) != 0) throw std::runtime_error("make-ca.sh failed");
}

TestAcs::TestAcs(TestAcsOptions options) {
  std::vector<std::string> args = {"python3", sourceFile("tests/acs/test_acs.py")};
  const std::pair<const char*, const std::string*> flags[] = {
      {"--tls-cert", &options.tlsCert},          {"--tls-key", &options.tlsKey},
      {"--tls-client-ca", &options.tlsClientCa}, {"--log", &options.logFile},
      {"--script", &options.scriptFile},         {"--address", &options.address}};
  for (const auto& [flag, value] : flags) {
    if (value->empty()) continue;
    args.push_back(flag);
    args.push_back(*value);
  }
  host_ = options.address.find(':') != std::string::npos ? "[" + options.address + "]"
                                                         : options.address;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int pipeFds[2];
  if (pipe2(pipeFds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipeFds[1], STDOUT_FILENO);
  const int rc = posix_spawnp(&pid_, "python3", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipeFds[1]);
  if (rc != 0) {
    close(pipeFds[0]);
    throw std::runtime_error("cannot spawn python3");
  }

  // The ACS prints one JSON line with its ports once it listens.
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{pipeFds[0], POLLIN, 0};
    if (poll(&pfd, 1, 200) <= 0) continue;
    char buf[256];
    const ssize_t n = read(pipeFds[0], buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  close(pipeFds[0]);
  try {
    const Json info = parseJson(line);
    port_ = info.get<std::uint16_t>("port");
    controlPort_ = info.get<std::uint16_t>("control_port");
    scheme_ = info.get<std::string>("scheme");
  } catch (const std::exception& e) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    throw std::runtime_error("test ACS did not start: '" + line + "'");
  }
}

TestAcs::~TestAcs() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
}

std::string TestAcs::url(std::string_view path) const {
  return scheme_ + "://" + host_ + ":" + std::to_string(port_) + std::string(path);
}

std::string TestAcs::control(std::string_view method, std::string_view path,
                             std::string_view body) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) throw std::runtime_error("curl_easy_init failed");
  const std::string target = "http://127.0.0.1:" + std::to_string(controlPort_) + std::string(path);
  const std::string data(body);
  const std::string verb(method);
  std::string answer;
  curl_easy_setopt(curl, CURLOPT_URL, target.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, verb.c_str());
  if (verb == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, data.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(data.size()));
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &appendToString);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  const CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK || status != 200) {
    throw std::runtime_error("test ACS control " + verb + " " + std::string(path) + " failed (" +
                             std::to_string(status) + "): " + answer);
  }
  return answer;
}

void TestAcs::configure(std::string_view jsonObject) { control("POST", "/config", jsonObject); }

void TestAcs::addRpc(std::string_view soapBody) {
  control("POST", "/rpcs", "{\"rpcs\": [" + jsonQuote(soapBody) + "]}");
}

void TestAcs::addResponses(std::string_view jsonArray) {
  control("POST", "/responses", "{\"responses\": " + std::string(jsonArray) + "}");
}

void TestAcs::reset() { control("POST", "/reset", "{}"); }

void TestAcs::release(std::string_view holdName) {
  control("POST", "/release", "{\"name\": " + jsonQuote(holdName) + "}");
}

void TestAcs::behaveLikeGenieAcs() { configure(R"({"mode": "genieacs"})"); }

std::vector<Json> TestAcs::requests(std::size_t since) {
  return children(parseJson(control("GET", "/requests?since=" + std::to_string(since), "")));
}

std::vector<Json> TestAcs::sessions() {
  return children(parseJson(control("GET", "/sessions", "")));
}

std::vector<Json> TestAcs::results() { return children(parseJson(control("GET", "/results", ""))); }

bool TestAcs::waitFor(std::string_view what, int count, std::chrono::seconds timeout) {
  const Json answer =
      parseJson(control("GET",
                        "/wait?what=" + std::string(what) + "&count=" + std::to_string(count) +
                            "&timeout=" + std::to_string(timeout.count()),
                        ""));
  return answer.get<std::string>("ok") == "true";
}

Json TestAcs::connectionRequest(std::string_view cpeUrl, std::string_view username,
                                std::string_view password, int count) {
  return parseJson(control("POST", "/connection-request",
                           "{\"url\": " + jsonQuote(cpeUrl) + ", \"username\": " +
                               jsonQuote(username) + ", \"password\": " + jsonQuote(password) +
                               ", \"count\": " + std::to_string(count) + "}"));
}

}  // namespace cwmpd::test
