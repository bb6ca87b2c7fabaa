// Runs the real cwmpd binary for integration tests: writes its INI config into a private
// directory (with a copy of the demo sim box and a fresh store), starts it with
// fork/exec with stdout and stderr appended to a log file, and stops it with SIGTERM or
// SIGKILL, every wait bounded.
//
// The binary, the plugin folder and the demo sim data come from compile definitions set
// by tests/session_it/CMakeLists.txt (target cwmpd_test_daemon).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <ctime>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace cwmpd::test {

using namespace std::chrono_literals;

class DaemonProcess {
 public:
  // `dir` must exist and be private to the test: the config, store (dir/store), sim box
  // (dir/sim) and log (dir/cwmpd.log) go there. The config starts with defaults fit for
  // tests: no bus, sim HAL, connection requests on an ephemeral loopback port, debug log.
  explicit DaemonProcess(std::string dir);
  ~DaemonProcess();  // SIGKILL if still running
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  // Sets an INI value for the next start(); an empty value removes the key.
  void set(const std::string& section, const std::string& key, const std::string& value);
  // Sets an environment variable of the daemon from the next start() on (e.g. LD_PRELOAD).
  void setEnv(const std::string& name, const std::string& value) { env_[name] = value; }
  // Makes the daemon's time pass 1/scale times faster from the next start() on (the test
  // hook of daemon/test_hooks.hpp; not a configuration key). Every start of this daemon
  // shares one origin, so that due times it persisted keep their meaning after a restart.
  void setTimeScale(double scale);
  // The daemon's time now (seconds since the epoch): accelerated after setTimeScale().
  [[nodiscard]] std::time_t clockNow() const;
  // Loads one more plugin (a .so outside the build's plugin folder, e.g. the example
  // plugin): the daemon then gets a private plugin folder of symbolic links.
  void addPlugin(const std::string& soPath, const std::string& name);
  [[nodiscard]] const std::string& dir() const { return dir_; }
  [[nodiscard]] std::string storeDir() const { return dir_ + "/store"; }
  [[nodiscard]] std::string simDir() const { return dir_ + "/sim"; }
  [[nodiscard]] std::string configPath() const { return dir_ + "/cwmpd.conf"; }

  // Writes the config and starts the daemon; throws std::runtime_error if fork fails.
  void start();
  // SIGTERM, then waits up to `grace`; SIGKILL after it. Returns the exit status
  // (WEXITSTATUS) of a clean exit, or -1 when it had to be killed or died of a signal.
  int stop(std::chrono::milliseconds grace = 5s);
  // kill -9 and reap.
  void kill9();
  // Waits for the process to exit on its own; its exit code, or nullopt on timeout.
  std::optional<int> waitExit(std::chrono::milliseconds timeout);
  [[nodiscard]] bool running();
  [[nodiscard]] pid_t pid() const { return pid_; }

  // The whole log so far.
  [[nodiscard]] std::string log() const;
  // Waits until the log, from byte `from` on, contains `needle`.
  bool waitForLog(std::string_view needle, std::chrono::milliseconds timeout,
                  std::size_t from = 0) const;
  // Byte size of the log now (a mark for waitForLog after a restart).
  [[nodiscard]] std::size_t logSize() const;
  // The URL the daemon published for connection requests ("" if not seen within the
  // timeout); the last one logged, so it follows restarts.
  [[nodiscard]] std::string connectionRequestUrl(std::chrono::milliseconds timeout = 10s) const;

 private:
  std::string dir_;
  std::map<std::string, std::map<std::string, std::string>> ini_;
  std::map<std::string, std::string> env_;
  double timeScale_ = 1.0;
  std::time_t timeOrigin_ = 0;
  pid_t pid_ = -1;
};

}  // namespace cwmpd::test
