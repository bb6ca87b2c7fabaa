#include "genieacs.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <deque>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>

extern char** environ;

namespace cwmpd::test {
namespace {

size_t appendBody(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// Keeps the reason phrase of the (last) status line.
size_t keepReason(char* data, size_t size, size_t count, void* out) {
  std::string line(data, size * count);
  if (line.starts_with("HTTP/")) {
    auto sp = line.find(' ');
    auto sp2 = sp == std::string::npos ? sp : line.find(' ', sp + 1);
    std::string reason = sp2 == std::string::npos ? std::string() : line.substr(sp2 + 1);
    while (!reason.empty() && (reason.back() == '\r' || reason.back() == '\n')) reason.pop_back();
    *static_cast<std::string*>(out) = reason;
  }
  return size * count;
}

// Five distinct free loopback ports, all held at once while they are picked.
std::array<std::uint16_t, 5> freePorts() {
  std::array<int, 5> fds{};
  std::array<std::uint16_t, 5> ports{};
  for (std::size_t i = 0; i < fds.size(); ++i) {
    fds[i] = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fds[i] < 0 || ::bind(fds[i], reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fds[i], reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::runtime_error("cannot pick a free loopback port");
    ports[i] = ntohs(a.sin_port);
  }
  for (int fd : fds) ::close(fd);
  return ports;
}

// `text` with every byte but ASCII letters, digits and `keep` written as %XX.
std::string percentEncode(const std::string& text, std::string_view keep) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) != 0 || keep.find(static_cast<char>(c)) != std::string_view::npos) {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// The value of a YAML block scalar (`>-` folded or `|-` literal, as js-yaml writes long
// strings) from its content lines, indentation removed. Folding: a line break between
// two text lines is a space, each empty line one newline; more-indented lines keep theirs.
std::string blockScalar(const std::vector<std::string>& lines, bool folded) {
  std::string out;
  std::size_t empty = 0;
  bool first = true;
  bool previousMore = false;
  for (const auto& line : lines) {
    if (line.empty()) {
      ++empty;
      continue;
    }
    const bool more = line[0] == ' ' || line[0] == '\t';
    if (!folded) {
      if (!first) out += '\n';
      out += std::string(empty, '\n');
    } else if (first) {
      out += std::string(empty, '\n');
    } else if (empty == 0) {
      out += (more || previousMore) ? '\n' : ' ';
    } else {
      out += std::string(empty + ((more || previousMore) ? 1 : 0), '\n');
    }
    out += line;
    empty = 0;
    first = false;
    previousMore = more;
  }
  return out;
}

std::string tail(const std::string& path, std::size_t lines) {
  std::ifstream in(path);
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    last.push_back(line);
    if (last.size() > lines) last.pop_front();
  }
  std::string out;
  for (const auto& l : last) out += "  | " + l + "\n";
  return out;
}

}  // namespace

HttpReply httpRequest(const std::string& method, const std::string& url, const std::string& body,
                      const std::vector<std::string>& headers) {
  HttpReply reply;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) throw std::runtime_error("curl_easy_init failed");
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  if (method == "POST" || method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  if (list != nullptr) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &appendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &keepReason);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply.reason);
  // A task with ?connection_request waits for the CPE's whole session.
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 180L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  const CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  } else {
    reply.error = curl_easy_strerror(rc);
  }
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return reply;
}

long digestGet(const std::string& url, const std::string& username, const std::string& password) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) throw std::runtime_error("curl_easy_init failed");
  std::string ignored;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_DIGEST);
  curl_easy_setopt(curl, CURLOPT_USERNAME, username.c_str());
  curl_easy_setopt(curl, CURLOPT_PASSWORD, password.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &appendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &ignored);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  long status = 0;
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  return status;
}

std::string uriComponent(const std::string& text) { return percentEncode(text, "-_.!~*'()"); }

std::string deviceIdPart(const std::string& text) { return percentEncode(text, "_"); }

GenieAcs::GenieAcs(std::string scriptDir, std::string workDir)
    : scriptDir_(std::move(scriptDir)), workDir_(std::move(workDir)) {
  const auto t0 = std::chrono::steady_clock::now();
  std::string failures;
  for (int attempt = 1;; ++attempt) {
    const auto ports = freePorts();
    cwmpPort_ = ports[0];
    nbiPort_ = ports[1];
    fsPort_ = ports[2];
    dbPort_ = ports[3];
    uiPort_ = ports[4];
    std::string output;
    if (runScript("start", output) == 0) break;
    failures += "attempt " + std::to_string(attempt) + ":\n" + output;
    // The script stops what it started when it fails. Another process may have taken a
    // port between our pick and the start, or a service died early on a loaded machine:
    // try again on new ports.
    if (attempt < 3) continue;
    throw std::runtime_error("genieacs.sh start " + workDir_ + " failed:\n" + failures);
  }
  started_ = true;
  startSeconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

GenieAcs::~GenieAcs() {
  if (!started_) return;
  std::string output;
  runScript("stop", output);
}

int GenieAcs::runScript(const std::string& command, std::string& output) const {
  const std::string outFile = workDir_ + "/genieacs-sh-" + command + ".out";
  const std::string script = scriptDir_ + "/genieacs.sh";
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  env.push_back("GENIEACS_CWMP_PORT=" + std::to_string(cwmpPort_));
  env.push_back("GENIEACS_NBI_PORT=" + std::to_string(nbiPort_));
  env.push_back("GENIEACS_FS_PORT=" + std::to_string(fsPort_));
  env.push_back("CONGODB_PORT=" + std::to_string(dbPort_));
  env.push_back("GENIEACS_SEED_UI_PORT=" + std::to_string(uiPort_));
  env.push_back("GENIEACS_DEBUG=1");
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string bash = "bash";
  std::string cmd = command;
  std::string script_ = script;
  std::string work = workDir_;
  std::array<char*, 5> argv{bash.data(), script_.data(), cmd.data(), work.data(), nullptr};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, outFile.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, "bash", &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    output = "cannot run bash";
    return -1;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::ifstream in(outFile);
  std::stringstream ss;
  ss << in.rdbuf();
  output = ss.str();
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string GenieAcs::cwmpUrl() const {
  return "http://127.0.0.1:" + std::to_string(cwmpPort_) + "/";
}

HttpReply GenieAcs::nbi(const std::string& method, const std::string& path, const std::string& body,
                        const std::vector<std::string>& headers) const {
  return httpRequest(method, "http://127.0.0.1:" + std::to_string(nbiPort_) + path, body, headers);
}

std::vector<std::string> GenieAcs::cpeMessages() const {
  std::ifstream in(workDir_ + "/logs/cwmp-debug.yaml");
  std::vector<std::string> out;
  bool incoming = false;
  std::string line;
  bool pending = std::getline(in, line).good();
  while (pending) {
    if (line == "---") {
      incoming = false;
    } else if (line == "event: incoming HTTP request") {
      incoming = true;
    } else if (incoming && line.starts_with("body:")) {
      const std::string style = line.substr(5);
      if (style == " >-" || style == " >" || style == " |-" || style == " |") {
        std::vector<std::string> block;
        while ((pending = std::getline(in, line).good()) &&
               (line.empty() || line.starts_with("  ")))
          block.push_back(line.empty() ? line : line.substr(2));
        out.push_back(blockScalar(block, style[1] == '>'));
        incoming = false;
        continue;  // `line` is the next key, not read yet
      }
      // "" or null: an empty POST
      out.emplace_back();
      incoming = false;
    }
    pending = std::getline(in, line).good();
  }
  return out;
}

std::string GenieAcs::logTail(std::size_t lines) const {
  return "genieacs-cwmp.log:\n" + tail(workDir_ + "/logs/genieacs-cwmp.log", lines) +
         "genieacs-nbi.log:\n" + tail(workDir_ + "/logs/genieacs-nbi.log", lines);
}

}  // namespace cwmpd::test
