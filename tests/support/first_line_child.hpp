// Helper servers written in Python (file, FTP) print where they listen as their first line.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace cwmpd::testing {

// Starts `args` (argv[0] looked up in PATH) with its stdout on a pipe, sets `pid` and
// returns the first line it prints (empty if it exits before printing one).
inline std::string spawnAndReadFirstLine(std::vector<std::string> args, pid_t& pid) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::close(fds[1]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string line;
  char c = 0;
  while (::read(fds[0], &c, 1) == 1 && c != '\n') line += c;
  ::close(fds[0]);
  return line;
}

}  // namespace cwmpd::testing
