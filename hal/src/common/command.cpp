#include "common/command.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/files.hpp"
#include "cwmpd/hal/error.hpp"

extern char** environ;

namespace cwmpd::hal::detail {

std::vector<std::string> splitCommandLine(std::string_view line) {
  std::vector<std::string> argv;
  std::string word;
  bool inWord = false, quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '\\' && i + 1 < line.size()) {
      word.push_back(line[++i]);
      inWord = true;
    } else if (c == '"') {
      quoted = !quoted;
      inWord = true;
    } else if (!quoted && (c == ' ' || c == '\t')) {
      if (inWord) argv.push_back(std::move(word));
      word.clear();
      inWord = false;
    } else {
      word.push_back(c);
      inWord = true;
    }
  }
  if (quoted) throw HalError("unbalanced quote in command line: " + std::string(line));
  if (inWord) argv.push_back(std::move(word));
  return argv;
}

namespace {

constexpr std::size_t kMaxOutput = std::size_t{64} * 1024;

std::string lastLine(const std::string& output) {
  const std::string t = trim(output);
  const auto nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

}  // namespace

CommandResult runCommand(const std::string& what, const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env,
                         std::chrono::milliseconds timeout) {
  if (argv.empty()) throw HalError(what + ": empty command");
  // Everything the child needs is prepared before fork: after it, only async-signal-safe
  // calls are allowed in a process that may have threads.
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> envStrings;
  for (char** e = environ; *e; ++e) {
    const std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (env.count(std::string(entry.substr(0, eq))) == 0) envStrings.emplace_back(entry);
  }
  for (const auto& [k, v] : env) envStrings.emplace_back(k).append(1, '=').append(v);
  std::vector<char*> envp;
  envp.reserve(envStrings.size() + 1);
  for (auto& e : envStrings) envp.push_back(e.data());
  envp.push_back(nullptr);

  int pipeFds[2];
  if (::pipe2(pipeFds, O_CLOEXEC) != 0) {
    throw HalError(what + ": pipe: " + std::strerror(errno));
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(pipeFds[0]);
    ::close(pipeFds[1]);
    throw HalError(what + ": fork: " + std::strerror(errno));
  }
  if (pid == 0) {
    ::setpgid(0, 0);  // own process group, so a timeout kills the command's children too
    const int devNull = ::open("/dev/null", O_RDONLY);
    if (devNull >= 0) ::dup2(devNull, STDIN_FILENO);
    ::dup2(pipeFds[1], STDOUT_FILENO);
    ::dup2(pipeFds[1], STDERR_FILENO);
    ::execvpe(args[0], args.data(), envp.data());
    static const char msg[] = "exec failed\n";
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent, whichever runs first
  ::close(pipeFds[1]);

  CommandResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto readSome = [&]() -> bool {  // false at EOF
    char buf[4096];
    const ssize_t n = ::read(pipeFds[0], buf, sizeof buf);
    if (n < 0) return errno == EINTR || errno == EAGAIN;
    if (n == 0) return false;
    if (result.output.size() < kMaxOutput) {
      result.output.append(
          buf, std::min(static_cast<std::size_t>(n), kMaxOutput - result.output.size()));
    }
    return true;
  };
  // Wait for the command itself to exit, collecting its output meanwhile. The pipe's EOF
  // is not the end: a command may close its output and keep running, or leave a daemon
  // behind that inherited the pipe (a Wi-Fi restart script), which must not be waited for.
  int status = 0;
  bool timedOut = false, pipeOpen = true;
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) break;  // ECHILD: someone else reaped it (SIGCHLD ignored)
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timedOut = true;
      break;
    }
    const int wait = static_cast<int>(std::min<long long>(left.count(), 20));
    if (!pipeOpen) {
      ::usleep(static_cast<useconds_t>(wait) * 1000);
      continue;
    }
    pollfd p{pipeFds[0], POLLIN, 0};
    if (::poll(&p, 1, wait) > 0) pipeOpen = readSome();
  }
  if (timedOut) {
    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  } else {
    // What the command wrote before exiting is still in the pipe.
    pollfd p{pipeFds[0], POLLIN, 0};
    while (pipeOpen && ::poll(&p, 1, 0) > 0 && (p.revents & POLLIN)) pipeOpen = readSome();
  }
  ::close(pipeFds[0]);
  if (timedOut) {
    throw HalError(what + ": timed out after " + std::to_string(timeout.count()) + " ms");
  }
  if (WIFEXITED(status)) {
    result.exitCode = WEXITSTATUS(status);
  } else {
    result.exitCode = 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  }
  if (result.exitCode != 0) {
    throw HalError(what + ": '" + argv[0] + "' exited with status " +
                   std::to_string(result.exitCode) + ": " + lastLine(result.output));
  }
  return result;
}

}  // namespace cwmpd::hal::detail
