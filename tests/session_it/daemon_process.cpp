#include "daemon_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace cwmpd::test {

namespace fs = std::filesystem;

DaemonProcess::DaemonProcess(std::string dir) : dir_(std::move(dir)) {
  fs::create_directories(storeDir());
  // The sim backend writes into its directory: every daemon gets its own copy.
  fs::copy(CWMPD_TEST_SIM_DIR, simDir(),
           fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  ini_["acs"]["periodic_inform_enable"] = "false";
  ini_["acs"]["periodic_inform_interval"] = "3600";
  ini_["acs"]["timeout"] = "10";
  ini_["cpe"]["root"] = "Device";
  ini_["cpe"]["connection_request_port"] = "0";
  ini_["cpe"]["connection_request_path"] = "/cr";
  ini_["cpe"]["connection_request_address"] = "127.0.0.1";
  ini_["cpe"]["connection_request_host"] = "127.0.0.1";
  ini_["cpe"]["connection_request_username"] = "cr-user";
  ini_["cpe"]["connection_request_password"] = "cr-secret";
  ini_["bus"]["address"] = "none";
  ini_["hal"]["backend"] = "sim";
  ini_["hal"]["sim_dir"] = simDir();
  ini_["store"]["dir"] = storeDir();
  ini_["plugins"]["dir"] = CWMPD_TEST_PLUGIN_DIR;
  ini_["plugins"]["enable"] = "deviceinfo, management, wan, wifi";
  ini_["log"]["level"] = "debug";
  ini_["device"]["manufacturer"] = "cwmpd tests";
  ini_["device"]["oui"] = "0A5C00";
  ini_["device"]["product_class"] = "ONT";
  ini_["device"]["serial_number"] = "IT0000001";
  ini_["device"]["hardware_version"] = "1.0";
  ini_["device"]["software_version"] = "0.1.0";
}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0) kill9();
}

void DaemonProcess::setTimeScale(double scale) {
  timeScale_ = scale;
  if (timeOrigin_ == 0) timeOrigin_ = std::time(nullptr);
  env_["CWMPD_TEST_TIME_SCALE"] = std::to_string(scale);
  env_["CWMPD_TEST_TIME_ORIGIN"] = std::to_string(static_cast<long long>(timeOrigin_));
}

std::time_t DaemonProcess::clockNow() const {
  const auto now = std::chrono::system_clock::now();
  if (timeOrigin_ == 0) return std::chrono::system_clock::to_time_t(now);
  const auto origin = std::chrono::system_clock::from_time_t(timeOrigin_);
  return std::chrono::system_clock::to_time_t(
      origin +
      std::chrono::duration_cast<std::chrono::system_clock::duration>((now - origin) / timeScale_));
}

void DaemonProcess::set(const std::string& section, const std::string& key,
                        const std::string& value) {
  if (value.empty())
    ini_[section].erase(key);
  else
    ini_[section][key] = value;
}

void DaemonProcess::addPlugin(const std::string& soPath, const std::string& name) {
  const fs::path own = dir_ + "/plugins";
  if (!fs::exists(own)) {
    fs::create_directories(own);
    for (const auto& e : fs::directory_iterator(CWMPD_TEST_PLUGIN_DIR))
      if (e.path().extension() == ".so") fs::create_symlink(e.path(), own / e.path().filename());
    ini_["plugins"]["dir"] = own.string();
  }
  fs::create_symlink(soPath, own / fs::path(soPath).filename());
  ini_["plugins"]["enable"] += ", " + name;
}

void DaemonProcess::start() {
  if (pid_ > 0) throw std::runtime_error("daemon already running");
  {
    std::ofstream out(configPath(), std::ios::trunc);
    for (const auto& [section, keys] : ini_) {
      out << "[" << section << "]\n";
      for (const auto& [k, v] : keys) out << k << " = " << v << "\n";
    }
  }
  const std::string logPath = dir_ + "/cwmpd.log";
  const std::string config = configPath();
  // The environment is built before fork: the child only execs.
  std::vector<std::string> envText;
  for (char** e = environ; *e; ++e) {
    const std::string entry(*e);
    if (!env_.count(entry.substr(0, entry.find('=')))) envText.push_back(entry);
  }
  for (const auto& [name, value] : env_) envText.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& e : envText) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int fd = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    const char* argv[] = {CWMPD_TEST_DAEMON_BINARY, "--config", config.c_str(), nullptr};
    ::execve(CWMPD_TEST_DAEMON_BINARY, const_cast<char* const*>(argv), envp.data());
    ::_exit(127);
  }
  pid_ = pid;
}

std::optional<int> DaemonProcess::waitExit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(10ms);
  }
}

int DaemonProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  if (auto code = waitExit(grace)) return *code;
  kill9();
  return -1;
}

void DaemonProcess::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

bool DaemonProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::string DaemonProcess::log() const {
  std::ifstream in(dir_ + "/cwmpd.log");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::size_t DaemonProcess::logSize() const {
  std::error_code ec;
  auto n = fs::file_size(dir_ + "/cwmpd.log", ec);
  return ec ? 0 : static_cast<std::size_t>(n);
}

bool DaemonProcess::waitForLog(std::string_view needle, std::chrono::milliseconds timeout,
                               std::size_t from) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::string text = log();
    if (text.size() > from && text.find(needle, from) != std::string::npos) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
}

std::string DaemonProcess::connectionRequestUrl(std::chrono::milliseconds timeout) const {
  constexpr std::string_view kMark = "connection requests on http";
  if (!waitForLog(kMark, timeout)) return {};
  std::string text = log();
  auto at = text.rfind(kMark);
  auto begin = at + kMark.size() - 4;
  auto end = text.find_first_of(" \n", begin);
  return text.substr(begin, end - begin);
}

}  // namespace cwmpd::test
