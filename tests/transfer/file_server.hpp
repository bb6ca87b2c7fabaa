// Starts tests/transfer/file_server.py (a loopback HTTP/HTTPS/FTP file server) for a
// test and stops it on destruction. Header-only: the unit and the daemon tests share it.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "../support/first_line_child.hpp"

namespace cwmpd::test {

struct FileServerOptions {
  std::string tlsCert, tlsKey;
  bool ftp = false;
  std::string username = "user";
  std::string password = "secret";
};

// The Debian interpreter carries python3-pyftpdlib; another python3 on PATH may not.
inline std::string filesPython() {
  if (const char* p = std::getenv("CWMPD_PYTHON")) return p;
  if (::access("/usr/bin/python3", X_OK) == 0) return "/usr/bin/python3";
  return "python3";
}

inline bool ftpServerAvailable() {
  std::string cmd = filesPython() + " -c 'import pyftpdlib' 2>/dev/null";
  return std::system(cmd.c_str()) == 0;
}

class FileServer {
 public:
  // `dir` is private to the test: files are served from dir/root, uploads land in dir/uploads.
  FileServer(const std::string& dir, FileServerOptions o = {})
      : root_(dir + "/root"), uploads_(dir + "/uploads") {
    std::filesystem::create_directories(root_);
    std::filesystem::create_directories(uploads_);
    std::vector<std::string> args = {filesPython(), script(),  "--root",     root_,
                                     "--uploads",   uploads_,  "--username", o.username,
                                     "--password",  o.password};
    if (!o.tlsCert.empty())
      args.insert(args.end(), {"--tls-cert", o.tlsCert, "--tls-key", o.tlsKey});
    if (o.ftp) args.push_back("--ftp");
    const std::string line = cwmpd::testing::spawnAndReadFirstLine(std::move(args), pid_);
    auto number = [&](const std::string& key) {
      auto at = line.find("\"" + key + "\": ");
      return at == std::string::npos ? 0 : std::atoi(line.c_str() + at + key.size() + 4);
    };
    httpPort_ = number("http_port");
    ftpPort_ = number("ftp_port");
    scheme_ = line.find("\"https\"") != std::string::npos ? "https" : "http";
    if (!httpPort_) throw std::runtime_error("file server did not start: '" + line + "'");
  }
  ~FileServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  FileServer(const FileServer&) = delete;
  FileServer& operator=(const FileServer&) = delete;

  // The script: from the build (CWMPD_FILE_SERVER_SCRIPT) or $CWMPD_SOURCE_DIR.
  static std::string script() {
#ifdef CWMPD_FILE_SERVER_SCRIPT
    return CWMPD_FILE_SERVER_SCRIPT;
#else
    const char* src = std::getenv("CWMPD_SOURCE_DIR");
    if (!src) throw std::runtime_error("CWMPD_SOURCE_DIR is not set");
    return std::string(src) + "/tests/transfer/file_server.py";
#endif
  }

  // "http://127.0.0.1:PORT" + path
  [[nodiscard]] std::string url(const std::string& path) const {
    return scheme_ + "://127.0.0.1:" + std::to_string(httpPort_) + path;
  }
  [[nodiscard]] std::string ftpUrl(const std::string& name) const {
    return "ftp://127.0.0.1:" + std::to_string(ftpPort_) + "/" + name;
  }
  // Writes a file the server offers.
  void put(const std::string& name, const std::string& content) const {
    std::ofstream(root_ + "/" + name, std::ios::binary) << content;
  }
  [[nodiscard]] std::string uploaded(const std::string& name) const {
    return read(uploads_ + "/" + name);
  }
  [[nodiscard]] std::string served(const std::string& name) const {
    return read(root_ + "/" + name);
  }
  [[nodiscard]] const std::string& uploadsDir() const { return uploads_; }
  // How many GET requests for `path` ("/files/x.bin") the server received.
  [[nodiscard]] int requests(const std::string& path) const {
    std::ifstream in(uploads_ + "/.requests");
    int n = 0;
    for (std::string line; std::getline(in, line);) n += line == path;
    return n;
  }

 private:
  static std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  std::string root_, uploads_, scheme_;
  int httpPort_ = 0, ftpPort_ = 0;
  pid_t pid_ = -1;
};

}  // namespace cwmpd::test
