// The "sim" execution environment (issue 20): software modules without a package
// manager, for tests and demonstrations. A DU is a tar archive holding a file `manifest`:
//
//   name=hello                 the DU's DUID and Name (letters, digits, '.', '_', '-')
//   version=1.0
//   vendor=Example             (optional)
//   description=...            (optional)
//   unit=hello:bin/hello       an execution unit: its name and the program it runs,
//                              relative to the DU's directory (any number of lines)
//
// Installing unpacks the archive into a staging directory of the plugin's state dir and
// renames it to du/<name> once the manifest checks out: a failed install leaves nothing.
// Another version of an installed DU goes beside it, into du/<name>@<version> (its DUID),
// as TR-181 allows several versions of one DU (one UUID); the same version twice is 9026.
// Starting an EU runs its program as a child process (working directory: the DU's);
// a 100 ms timer reaps it, so ExecutionUnit Status follows the real process (Active while
// it runs, Idle once it exited; an exit nobody asked for is FailureWhileActive).
//
// Local changes, as a package manager on the box would make them: an archive dropped into
// the inbox (<state dir>/inbox/NAME.tar) is installed, or updates the DU of its name; a
// file <duid>.remove there uninstalls that DU. The inbox is read every 250 ms; each such
// change is reported as autonomous (AutonomousDUStateChangeComplete, when the ACS's
// policy asks for it).
//
// Only for tests: it runs whatever an ACS sends. It is built into lib/test-plugins of the
// build tree, not the plugin folder the daemon loads by default, and is never installed.
#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <cwmpd/sdk/exec_env.hpp>
#include <cwmpd/sdk/plugin.hpp>

namespace {

using namespace cwmpd::sdk;
namespace fs = std::filesystem;

constexpr std::chrono::milliseconds kReapInterval{100};
constexpr int kStopGraceTicks = 30;  // SIGKILL after 3 s of SIGTERM
constexpr std::chrono::milliseconds kInboxInterval{250};

struct Manifest {
  std::string name, version, vendor, description;
  std::vector<std::pair<std::string, std::string>> units;  // name, program
};

bool safeName(const std::string& s) {
  if (s.empty() || s.size() > 64 || s[0] == '.') return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return false;
  return true;
}

// A relative path inside the DU's directory.
bool safeProgram(const std::string& s) {
  if (s.empty() || s[0] == '/') return false;
  for (const auto& part : fs::path(s))
    if (part == "..") return false;
  return true;
}

std::optional<Manifest> readManifest(const fs::path& dir) {
  std::ifstream in(dir / "manifest");
  if (!in) return std::nullopt;
  Manifest m;
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq);
    const std::string value = line.substr(eq + 1);
    if (key == "name") m.name = value;
    if (key == "version") m.version = value;
    if (key == "vendor") m.vendor = value;
    if (key == "description") m.description = value;
    if (key == "unit") {
      const auto colon = value.find(':');
      if (colon == std::string::npos) return std::nullopt;
      m.units.emplace_back(value.substr(0, colon), value.substr(colon + 1));
    }
  }
  if (!safeName(m.name) || m.version.empty()) return std::nullopt;
  for (const auto& [unit, program] : m.units)
    if (!safeName(unit) || !safeProgram(program)) return std::nullopt;
  return m;
}

// Runs `argv` and waits for it; true when it exited with status 0. Its output goes nowhere.
bool runTool(const std::vector<std::string>& argv) {
  const pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, 1);
      ::dup2(null, 2);
    }
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

class SimEe;

class SimPlugin : public Plugin {
 public:
  void registerModel(Registrar& reg) override;
  void start(Host& host) override;
  void stop() override;

 private:
  std::shared_ptr<SimEe> ee_;
};

class SimEe final : public ExecutionEnvironment {
 public:
  explicit SimEe(std::string name) : name_(std::move(name)) {}

  void setHost(Host& host) {
    host_ = &host;
    dir_ = host.stateDir();
    if (dir_.empty()) return;
    std::error_code ec;
    fs::create_directories(fs::path(dir_) / "inbox", ec);
    host.startPeriodicTimer(kInboxInterval, [this] { readInbox(); });
  }

  ExecEnvInfo info() const override { return {name_, "cwmpd sim", "cwmpd", "1.0", true}; }
  void bind(ExecEnvEvents& events) override { events_ = &events; }

  std::vector<DeploymentUnitInfo> list() override {
    std::vector<DeploymentUnitInfo> out;
    std::error_code ec;
    if (dir_.empty()) return out;
    std::vector<fs::path> dirs;
    for (const auto& e : fs::directory_iterator(duRoot(), ec))
      if (e.is_directory()) dirs.push_back(e.path());
    std::sort(dirs.begin(), dirs.end());
    for (const auto& d : dirs)
      if (auto m = readManifest(d)) out.push_back(describe(*m, d.filename().string()));
    return out;
  }

  void install(const DuInstall& request, DuDone done) override {
    DuOutcome o;
    auto m = unpack(request.file, o);
    std::string duid;
    if (m) {
      const auto first = readManifest(duRoot() / m->name);
      duid = !first ? m->name : m->name + "@" + m->version;
      if ((first && first->version == m->version) || fs::exists(duRoot() / duid) ||
          !safeName(m->version))
        fail(o, 9026, "DU " + m->name + " " + m->version + " is installed");
    }
    if (o.faultCode == 0) commit(*m, duid, o);
    removeStaging();
    done(o);
  }

  void update(const DuUpdate& request, DuDone done) override {
    DuOutcome o;
    const auto current = readManifest(duRoot() / request.duid);
    if (!current) fail(o, 9028, "no DU " + request.duid);
    std::optional<Manifest> m;
    if (o.faultCode == 0) m = unpack(request.file, o);
    if (m && m->name != current->name)
      fail(o, 9025, "the archive holds DU " + m->name + ", not " + current->name);
    if (m && o.faultCode == 0 && m->version == current->version)
      fail(o, 9032, "version " + m->version + " is installed");
    if (o.faultCode == 0) {
      // The new version replaces the old one; its units start again if they ran.
      std::vector<std::string> running;
      for (const auto& [unit, p] : current->units) {
        const std::string euid = request.duid + ":" + unit;
        if (procs_.count(euid)) running.push_back(unit);
        kill(euid);
      }
      std::error_code ec;
      fs::remove_all(duRoot() / request.duid, ec);
      commit(*m, request.duid, o);
      for (const auto& unit : running) start(request.duid + ":" + unit);
    }
    removeStaging();
    done(o);
  }

  void uninstall(const DuUninstall& request, DuDone done) override {
    DuOutcome o;
    const auto current = readManifest(duRoot() / request.duid);
    if (!current) {
      fail(o, 9028, "no DU " + request.duid);
    } else if (!request.version.empty() && request.version != current->version) {
      fail(o, 9028, "DU " + request.duid + " is not at version " + request.version);
    } else {
      o.unit = describe(*current, request.duid);
      for (const auto& [unit, p] : current->units) kill(request.duid + ":" + unit);
      std::error_code ec;
      fs::remove_all(duRoot() / request.duid, ec);
    }
    done(o);
  }

  void start(std::string_view euid) override {
    const auto [du, unit] = split(euid);
    const auto m = readManifest(duRoot() / du);
    const std::string* program = nullptr;
    if (m)
      for (const auto& [name, p] : m->units)
        if (name == unit) program = &p;
    if (program == nullptr) throw Fault(9003, "no execution unit " + std::string(euid));
    if (procs_.count(std::string(euid))) return;
    const fs::path cwd = duRoot() / du;
    const std::string path = (cwd / *program).string();
    const pid_t pid = ::fork();
    if (pid < 0) throw Fault(9002, "cannot start " + std::string(euid));
    if (pid == 0) {
      ::setpgid(0, 0);
      const int null = ::open("/dev/null", O_RDWR);
      if (null >= 0) {
        ::dup2(null, 0);
        ::dup2(null, 1);
        ::dup2(null, 2);
      }
      if (::chdir(cwd.c_str()) != 0) ::_exit(126);
      ::execl(path.c_str(), path.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    procs_[std::string(euid)] = Proc{pid, false, 0};
    faults_.erase(std::string(euid));
    watch();
    changed();
  }

  void stop(std::string_view euid) override {
    auto it = procs_.find(std::string(euid));
    if (it == procs_.end()) return;
    it->second.stopping = true;
    ::kill(it->second.pid, SIGTERM);
    changed();
  }

  // Local installs, updates and removals (see the top of this file).
  void readInbox() {
    if (events_ == nullptr) return;
    std::vector<fs::path> files;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(fs::path(dir_) / "inbox", ec))
      if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      const std::string name = f.filename().string();
      DuOutcome outcome;
      DuOperation op = DuOperation::Install;
      if (f.extension() == ".remove") {
        op = DuOperation::Uninstall;
        uninstall({f.stem().string(), ""}, [&](DuOutcome o) { outcome = std::move(o); });
        if (outcome.unit.duid.empty()) outcome.unit.duid = f.stem().string();
      } else if (f.extension() == ".tar") {
        // The archive's DU name decides between a new install and an update.
        DuOutcome probe;
        auto m = unpack(f.string(), probe);
        removeStaging();
        if (m && fs::exists(duRoot() / m->name)) {
          op = DuOperation::Update;
          update({m->name, "", "", f.string(), ""}, [&](DuOutcome o) { outcome = std::move(o); });
        } else {
          install({"", "", f.string()}, [&](DuOutcome o) { outcome = std::move(o); });
        }
        if (outcome.unit.duid.empty() && m) outcome.unit.duid = m->name;
      } else {
        continue;
      }
      fs::remove(f, ec);
      if (host_ != nullptr) host_->log(LogLevel::Info, "inbox: " + name + " handled");
      if (events_ != nullptr) events_->autonomousChange(op, outcome);
    }
  }

  // The plugin stops: its processes end with it.
  void shutDown() {
    for (auto& [euid, p] : procs_) ::kill(p.pid, SIGKILL);
    for (auto& [euid, p] : procs_) {
      int status = 0;
      while (::waitpid(p.pid, &status, 0) < 0 && errno == EINTR) {
      }
    }
    procs_.clear();
    events_ = nullptr;
  }

 private:
  struct Proc {
    pid_t pid = 0;
    bool stopping = false;
    int ticks = 0;  // reaper ticks since SIGTERM
  };

  fs::path duRoot() const { return fs::path(dir_) / "du"; }
  fs::path staging() const { return fs::path(dir_) / "staging"; }

  static std::pair<std::string, std::string> split(std::string_view euid) {
    const auto colon = euid.find(':');
    if (colon == std::string_view::npos) return {std::string(euid), ""};
    return {std::string(euid.substr(0, colon)), std::string(euid.substr(colon + 1))};
  }

  static void fail(DuOutcome& o, int code, std::string why) {
    if (o.faultCode != 0) return;
    o.faultCode = code;
    o.faultString = std::move(why);
  }

  void removeStaging() {
    std::error_code ec;
    fs::remove_all(staging(), ec);
  }

  // Unpacks `file` into the staging directory; the manifest, or a fault in `o`.
  std::optional<Manifest> unpack(const std::string& file, DuOutcome& o) {
    if (dir_.empty()) {
      fail(o, 9001, "the sim EE has no state directory");
      return std::nullopt;
    }
    removeStaging();
    std::error_code ec;
    fs::create_directories(staging(), ec);
    fs::create_directories(duRoot(), ec);
    if (ec) {
      fail(o, 9027, "cannot create " + staging().string() + ": " + ec.message());
      return std::nullopt;
    }
    // GNU tar refuses members with ".." and strips leading '/': nothing lands outside.
    if (!runTool({"tar", "-xf", file, "-C", staging().string(), "--no-same-owner"})) {
      fail(o, 9018, "not a tar archive");
      return std::nullopt;
    }
    auto m = readManifest(staging());
    if (!m) fail(o, 9018, "no valid manifest in the archive");
    return m;
  }

  void commit(const Manifest& m, const std::string& duid, DuOutcome& o) {
    std::error_code ec;
    fs::rename(staging(), duRoot() / duid, ec);
    if (ec) {
      fail(o, 9027, "cannot install " + duid + ": " + ec.message());
      return;
    }
    o.unit = describe(m, duid);
  }

  // The DU in du/<duid>.
  DeploymentUnitInfo describe(const Manifest& m, const std::string& duid) const {
    DeploymentUnitInfo du{duid, m.name, m.version, m.vendor, m.description, {}};
    for (const auto& [unit, program] : m.units) {
      ExecutionUnitInfo eu;
      eu.euid = duid;
      eu.euid += ':';
      eu.euid += unit;
      eu.name = unit;
      eu.execEnvLabel = unit;
      eu.version = m.version;
      eu.vendor = m.vendor;
      auto p = procs_.find(eu.euid);
      if (p != procs_.end()) eu.status = p->second.stopping ? EuStatus::Stopping : EuStatus::Active;
      auto f = faults_.find(eu.euid);
      if (f != faults_.end()) {
        eu.fault = EuFault::FailureWhileActive;
        eu.faultMessage = f->second;
      }
      du.executionUnits.push_back(std::move(eu));
    }
    return du;
  }

  void kill(const std::string& euid) {
    auto it = procs_.find(euid);
    if (it == procs_.end()) return;
    ::kill(it->second.pid, SIGKILL);
    int status = 0;
    while (::waitpid(it->second.pid, &status, 0) < 0 && errno == EINTR) {
    }
    procs_.erase(it);
  }

  void changed() {
    if (events_ != nullptr) events_->changed();
  }

  void watch() {
    if (timer_ != 0 || host_ == nullptr) return;
    timer_ = host_->startPeriodicTimer(kReapInterval, [this] { reap(); });
  }

  void reap() {
    bool any = false;
    for (auto it = procs_.begin(); it != procs_.end();) {
      int status = 0;
      const pid_t r = ::waitpid(it->second.pid, &status, WNOHANG);
      if (r == it->second.pid || (r < 0 && errno == ECHILD)) {
        if (!it->second.stopping)
          faults_[it->first] = "exited with status " + std::to_string(WEXITSTATUS(status));
        it = procs_.erase(it);
        any = true;
        continue;
      }
      if (it->second.stopping && ++it->second.ticks > kStopGraceTicks)
        ::kill(it->second.pid, SIGKILL);
      ++it;
    }
    if (procs_.empty() && timer_ != 0) {
      host_->cancelTimer(timer_);
      timer_ = 0;
    }
    if (any) changed();
  }

  std::string name_;
  Host* host_ = nullptr;
  std::string dir_;
  ExecEnvEvents* events_ = nullptr;
  std::map<std::string, Proc> procs_;
  std::map<std::string, std::string> faults_;  // euid -> why it stopped on its own
  TimerId timer_ = 0;
};

void SimPlugin::registerModel(Registrar& reg) {
  ee_ = std::make_shared<SimEe>("sim");
  reg.executionEnvironment(ee_);
}

void SimPlugin::start(Host& host) { ee_->setHost(host); }

void SimPlugin::stop() { ee_->shutDown(); }

}  // namespace

CWMPD_PLUGIN(SimPlugin, "swm_sim", "1.0")
