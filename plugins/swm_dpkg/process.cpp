#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace cwmpd::swm_dpkg {
namespace {

// Closes the descriptors it owns whatever way the run ends.
class Fd {
 public:
  Fd() = default;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_ = -1;
};

void makePipe(Fd& readEnd, Fd& writeEnd) {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  }
  readEnd.reset(fds[0]);
  writeEnd.reset(fds[1]);
}

// posix_spawnp would search the daemon's own PATH; the child's environment decides here.
std::string resolve(const std::string& program, const std::vector<std::string>& env) {
  if (program.find('/') != std::string::npos) return program;
  std::string_view path = "/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& e : env) {
    if (e.rfind("PATH=", 0) == 0) path = std::string_view(e).substr(5);
  }
  while (!path.empty()) {
    const auto colon = path.find(':');
    const std::string dir(path.substr(0, colon));
    path = colon == std::string_view::npos ? std::string_view{} : path.substr(colon + 1);
    if (dir.empty()) continue;
    std::string candidate = dir;
    candidate.append("/").append(program);
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return {};
}

// Reads what is there; false once the stream is at its end (or broken).
bool drain(int fd, std::string& into, std::size_t limit) {
  std::array<char, 8192> buf{};
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n > 0) {
      const auto keep = std::min(static_cast<std::size_t>(n), limit - std::min(limit, into.size()));
      into.append(buf.data(), keep);
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

int decodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

ProcessResult runProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                         const ProcessLimits& limits) {
  ProcessResult result;
  if (argv.empty()) return result;
  const std::string program = resolve(argv[0], env);
  if (program.empty()) {
    result.err = argv[0] + ": not found";
    return result;
  }
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  envp.reserve(env.size() + 1);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  Fd outRead, outWrite, errRead, errWrite;
  makePipe(outRead, outWrite);
  makePipe(errRead, errWrite);
  for (const int fd : {outRead.get(), errRead.get()}) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  }

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, outWrite.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, errWrite.get(), STDERR_FILENO);
  // The daemon's signal dispositions and mask are its own business: the child starts from
  // the defaults (a blocked SIGTERM or an ignored SIGPIPE would change how dpkg behaves).
  sigset_t none;
  sigset_t defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (const int s : {SIGPIPE, SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) {
    sigaddset(&defaults, s);
  }
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  const int spawned =
      ::posix_spawn(&pid, program.c_str(), &actions, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  outWrite.reset();
  errWrite.reset();
  if (spawned != 0) {
    result.err = program + ": " + std::strerror(spawned);
    return result;
  }
  result.started = true;

  // Waits for the program itself, reading both streams meanwhile. The streams' end is not
  // the program's: something it started (a service a maintainer script launched) may keep
  // them open long after it exited, and must not hold the EE up.
  const auto deadline = std::chrono::steady_clock::now() + limits.timeout;
  bool outOpen = true;
  bool errOpen = true;
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) {
      if (r < 0) status = -1;  // reaped elsewhere (SIGCHLD ignored): the status is lost
      break;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timedOut = true;
      ::kill(-pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    std::array<pollfd, 2> fds{pollfd{outOpen ? outRead.get() : -1, POLLIN, 0},
                              pollfd{errOpen ? errRead.get() : -1, POLLIN, 0}};
    // A short slice: the exit is noticed by waitpid, which poll cannot wait for.
    const int slice = static_cast<int>(std::min<long long>(left.count(), 25));
    if (::poll(fds.data(), fds.size(), slice) > 0) {
      if (outOpen && fds[0].revents != 0)
        outOpen = drain(outRead.get(), result.out, limits.maxStdout);
      if (errOpen && fds[1].revents != 0)
        errOpen = drain(errRead.get(), result.err, limits.maxStderr);
    }
  }
  // What the program wrote just before exiting is still in the pipes.
  if (outOpen) drain(outRead.get(), result.out, limits.maxStdout);
  if (errOpen) drain(errRead.get(), result.err, limits.maxStderr);
  result.exitCode = status < 0 ? -1 : decodeStatus(status);
  return result;
}

}  // namespace cwmpd::swm_dpkg
