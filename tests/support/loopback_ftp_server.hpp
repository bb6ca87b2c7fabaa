// The loopback FTP server of the TR-143 diagnostics tests: tests/support/ftp_server.py
// (pyftpdlib) in a child process, serving a private temporary directory on 127.0.0.1.
// Needs CWMPD_FTP_SERVER_SCRIPT (the script's path) defined by the test's CMakeLists.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "first_line_child.hpp"

namespace cwmpd::testing {

class FtpServer {
 public:
  // What the server saw of one data connection (its own clock, seconds since the epoch).
  struct Transfer {
    std::string command;  // RETR or STOR
    std::uint64_t bytes = 0;
    double first = 0;
    double last = 0;
  };

  // `rate`: bytes a second each data connection is paced to (0: unpaced); `pause`: seconds
  // a download's data connection waits before its first byte.
  explicit FtpServer(double rate = 0, double pause = 0) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cwmpd-ftp-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    root_ = tmpl;
    std::vector<std::string> args = {
        python(),  CWMPD_FTP_SERVER_SCRIPT, root_, "--rate", std::to_string(rate),
        "--pause", std::to_string(pause)};
    const std::string line = spawnAndReadFirstLine(std::move(args), pid_);
    port = static_cast<std::uint16_t>(std::atoi(line.c_str()));
    if (port == 0) throw std::runtime_error("the FTP server did not start: '" + line + "'");
  }
  ~FtpServer() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  FtpServer(const FtpServer&) = delete;
  FtpServer& operator=(const FtpServer&) = delete;

  // ftp://127.0.0.1:PORT/name (anonymous), or with "user:secret@" when `login`.
  [[nodiscard]] std::string url(const std::string& name, const std::string& login = "") const {
    return "ftp://" + (login.empty() ? "" : login + "@") + "127.0.0.1:" + std::to_string(port) +
           "/" + name;
  }
  // A file of `size` bytes the server offers (sparse: zeros).
  void put(const std::string& name, std::uint64_t size) const {
    std::ofstream(root_ + "/" + name, std::ios::binary).close();
    std::filesystem::resize_file(root_ + "/" + name, size);
  }
  [[nodiscard]] std::uint64_t sizeOf(const std::string& name) const {
    std::error_code ec;
    const auto n = std::filesystem::file_size(root_ + "/" + name, ec);
    return ec ? 0 : n;
  }
  // The data connections so far, in the order they closed.
  [[nodiscard]] std::vector<Transfer> transfers() const {
    std::vector<Transfer> out;
    std::ifstream in(root_ + "/.transfers");
    for (std::string line; std::getline(in, line);) {
      std::istringstream fields(line);
      Transfer t;
      fields >> t.command >> t.bytes >> t.first >> t.last;
      out.push_back(t);
    }
    return out;
  }

  std::uint16_t port = 0;

 private:
  // The Debian interpreter carries python3-pyftpdlib; another python3 on PATH may not.
  static std::string python() {
    if (const char* p = std::getenv("CWMPD_PYTHON")) return p;
    return "/usr/bin/python3";
  }

  std::string root_;
  pid_t pid_ = -1;
};

}  // namespace cwmpd::testing
