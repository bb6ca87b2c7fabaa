// The "package" execution environment (issue 20): Debian packages installed, updated and
// removed with dpkg for ChangeDUState (TR-069 Annex H) and Device.SoftwareModules.
// README.md says how DUs and EUs map to packages and how opkg would fit the same shape.
//
// Off unless configured: without `[swm_dpkg] root` the plugin registers no EE, so a daemon
// that loads every plugin of its folder does not show the machine's packages as DUs.
//
// dpkg is slow (seconds) and the main loop must not wait for it: every dpkg call runs on
// one worker thread of the EE, one at a time (dpkg allows one writer per database), and
// posts its outcome back. list() answers from the last listing the worker made.
#include <sys/stat.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <cwmpd/sdk/config_keys.hpp>
#include <cwmpd/sdk/exec_env.hpp>
#include <cwmpd/sdk/fault.hpp>
#include <cwmpd/sdk/plugin.hpp>

#include "dpkg.hpp"

namespace cwmpd::swm_dpkg {
namespace {

using sdk::FaultCode;

// TR-069 A.5 fault of each failure (README.md has the table and the reasons).
int faultFor(DpkgErrc code) {
  switch (code) {
    case DpkgErrc::CorruptedArchive: return static_cast<int>(FaultCode::DownloadFailureCorrupted);
    case DpkgErrc::ArchitectureMismatch:
    case DpkgErrc::DependencyFailure:
    case DpkgErrc::Conflict:
    case DpkgErrc::PackageMismatch:
      return static_cast<int>(FaultCode::DeploymentUnitEnvironmentMismatch);
    case DpkgErrc::RequiredByOther: return static_cast<int>(FaultCode::InvalidDeploymentUnitState);
    case DpkgErrc::AlreadyInstalled: return static_cast<int>(FaultCode::DuplicateDeploymentUnit);
    case DpkgErrc::UnknownPackage: return static_cast<int>(FaultCode::UnknownDeploymentUnit);
    case DpkgErrc::Downgrade:
      return static_cast<int>(FaultCode::DeploymentUnitDowngradeNotPermitted);
    case DpkgErrc::SameVersion: return static_cast<int>(FaultCode::DeploymentUnitVersionExists);
    case DpkgErrc::NoSpace: return static_cast<int>(FaultCode::SystemResourcesExceeded);
    case DpkgErrc::ScriptFailed:
    case DpkgErrc::Busy:
    case DpkgErrc::Timeout:
    case DpkgErrc::Internal: return static_cast<int>(FaultCode::RequestDenied);
  }
  return static_cast<int>(FaultCode::RequestDenied);
}

// One DU per package, one EU per package (README.md: a package is not a process).
sdk::DeploymentUnitInfo toUnit(const PackageInfo& p) {
  const std::string vendor = p.vendor.empty() ? p.maintainer : p.vendor;
  // dpkg not finished with it (a maintainer script failed during an update): Idle, faulted.
  const bool done = p.installed();
  return sdk::DeploymentUnitInfo{
      .duid = p.name,
      .name = p.name,
      .version = p.version,
      .vendor = vendor,
      .description = p.summary,
      .executionUnits = {sdk::ExecutionUnitInfo{
          .euid = p.name,
          .name = p.name,
          .execEnvLabel = p.name,
          .version = p.version,
          .vendor = vendor,
          .description = p.summary,
          .status = done ? sdk::EuStatus::Active : sdk::EuStatus::Idle,
          .autoStart = true,
          .fault = done ? sdk::EuFault::NoFault : sdk::EuFault::UnStartable,
          .faultMessage = done ? std::string() : "dpkg status: " + p.status}}};
}

// What tells a change to the database apart: the status file's size and time.
struct Stamp {
  std::int64_t seconds = 0, nanoseconds = 0, size = -1;
  bool operator==(const Stamp& o) const {
    return seconds == o.seconds && nanoseconds == o.nanoseconds && size == o.size;
  }
  bool operator!=(const Stamp& o) const { return !(*this == o); }
};

Stamp stampOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {static_cast<std::int64_t>(st.st_mtim.tv_sec),
          static_cast<std::int64_t>(st.st_mtim.tv_nsec), static_cast<std::int64_t>(st.st_size)};
}

class PackageEe final : public sdk::ExecutionEnvironment {
 public:
  PackageEe(sdk::Host& host, Dpkg::Options options, std::string name)
      : host_(host),
        statusFile_(options.root == "/" ? std::string("/var/lib/dpkg/status")
                                        : options.root + "/var/lib/dpkg/status"),
        dpkg_(std::move(options)),
        name_(std::move(name)) {}
  PackageEe(const PackageEe&) = delete;
  PackageEe& operator=(const PackageEe&) = delete;
  ~PackageEe() override { shutdown(); }

  // Runs before the core's first list(): the rows must come from the real database, not
  // from an empty cache that would make the core drop every DU it persisted.
  void start() {
    dpkg_.prepareRoot();
    stamp_ = stampOf(statusFile_);
    units_ = listUnits(dpkg_.list());
    worker_ = std::thread([this] { run(); });
  }

  void shutdown() {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (worker_.joinable()) worker_.join();
  }

  [[nodiscard]] sdk::ExecEnvInfo info() const override {
    sdk::ExecEnvInfo i;
    i.name = name_;
    i.type = "Debian package";
    i.vendor = "cwmpd";
    i.version = "1.0";
    return i;
  }
  void bind(sdk::ExecEnvEvents& events) override { events_ = &events; }
  [[nodiscard]] std::vector<sdk::DeploymentUnitInfo> list() override { return units_; }

  void install(const sdk::DuInstall& request, sdk::DuDone done) override {
    operate(std::move(done), [file = request.file](Dpkg& dpkg) { return dpkg.install(file); });
  }

  void update(const sdk::DuUpdate& request, sdk::DuDone done) override {
    operate(std::move(done), [request](Dpkg& dpkg) {
      requireVersion(dpkg, request.duid, request.version);
      return dpkg.update(request.duid, request.file);
    });
  }

  void uninstall(const sdk::DuUninstall& request, sdk::DuDone done) override {
    operate(std::move(done), [request](Dpkg& dpkg) {
      PackageInfo removed = requireVersion(dpkg, request.duid, request.version);
      dpkg.remove(request.duid);
      return removed;
    });
  }

  // A package's EU is the installed package: Active while it is installed. Starting it is
  // a no-op; stopping it means uninstalling the DU, which is ChangeDUState's business.
  void start(std::string_view euid) override { (void)findUnit(euid); }
  void stop(std::string_view euid) override {
    (void)findUnit(euid);
    throw sdk::Fault(FaultCode::RequestDenied,
                     "the execution unit of a package is the installed package: uninstall the DU");
  }

  // From the periodic timer: someone else (apt, a person) changed the database.
  void pollForeignChanges() {
    if (pending_ > 0 || events_ == nullptr || stampOf(statusFile_) == stamp_) return;
    ++pending_;
    enqueue([this] {
      std::vector<PackageInfo> now;
      Stamp stamp;
      try {
        stamp = stampOf(statusFile_);
        now = dpkg_.list();
      } catch (const std::exception& e) {
        host_.post([this, what = std::string(e.what())] {
          --pending_;
          host_.log(sdk::LogLevel::Warning, "cannot list the packages: " + what);
        });
        return;
      }
      host_.post([this, stamp, units = listUnits(now)]() mutable {
        --pending_;
        stamp_ = stamp;
        reportForeign(std::move(units));
      });
    });
  }

 private:
  using Operation = std::function<PackageInfo(Dpkg& dpkg)>;

  // The installed package `name`, in `version` when the ACS named one (TR-069 A.4.1.10
  // and A.4.1.11: an empty Version means whichever is installed).
  static PackageInfo requireVersion(Dpkg& dpkg, const std::string& name,
                                    const std::string& version) {
    auto p = dpkg.find(name);
    if (!p) throw DpkgError(DpkgErrc::UnknownPackage, name + " is not installed");
    if (!version.empty() && version != p->version) {
      throw DpkgError(DpkgErrc::UnknownPackage,
                      name + " " + version + " is not installed (" + p->version + " is)");
    }
    return *p;
  }

  static std::vector<sdk::DeploymentUnitInfo> listUnits(const std::vector<PackageInfo>& packages) {
    std::vector<sdk::DeploymentUnitInfo> out;
    out.reserve(packages.size());
    for (const auto& p : packages) out.push_back(toUnit(p));
    return out;
  }

  const sdk::DeploymentUnitInfo& findUnit(std::string_view euid) const {
    for (const auto& du : units_) {
      if (du.duid == euid) return du;
    }
    throw sdk::Fault(FaultCode::InvalidArguments, "no execution unit " + std::string(euid));
  }

  // Runs `op` on the worker, then on the main loop: the new listing, the outcome.
  void operate(sdk::DuDone done, Operation op) {
    ++pending_;
    enqueue([this, done = std::move(done), op = std::move(op)]() mutable {
      sdk::DuOutcome outcome;
      try {
        outcome.unit = toUnit(op(dpkg_));
      } catch (const DpkgError& e) {
        outcome.faultCode = faultFor(e.code());
        outcome.faultString = e.what();
      } catch (const std::exception& e) {
        outcome.faultCode = static_cast<int>(FaultCode::RequestDenied);
        outcome.faultString = e.what();
      }
      std::vector<sdk::DeploymentUnitInfo> units;
      bool listed = false;
      Stamp stamp;
      try {
        stamp = stampOf(statusFile_);
        units = listUnits(dpkg_.list());
        listed = true;
      } catch (const std::exception&) {
        // Keep the last listing; the next operation or poll lists again.
      }
      host_.post([this, done = std::move(done), outcome = std::move(outcome), listed, stamp,
                  units = std::move(units)]() mutable {
        --pending_;
        if (listed) {
          units_ = std::move(units);
          stamp_ = stamp;
        }
        if (outcome.faultCode != 0) {
          host_.log(sdk::LogLevel::Warning, outcome.faultString);
        }
        done(std::move(outcome));
      });
    });
  }

  // Tells the core what changed between our last listing and `now`, package by package.
  void reportForeign(std::vector<sdk::DeploymentUnitInfo> now) {
    std::map<std::string, const sdk::DeploymentUnitInfo*> before;
    for (const auto& du : units_) before[du.duid] = &du;
    std::vector<std::pair<sdk::DuOperation, sdk::DuOutcome>> changes;
    for (const auto& du : now) {
      const auto it = before.find(du.duid);
      if (it == before.end()) {
        changes.emplace_back(sdk::DuOperation::Install, sdk::DuOutcome{0, {}, du});
      } else {
        if (it->second->version != du.version) {
          changes.emplace_back(sdk::DuOperation::Update, sdk::DuOutcome{0, {}, du});
        }
        before.erase(it);
      }
    }
    for (const auto& [duid, du] : before) {
      changes.emplace_back(sdk::DuOperation::Uninstall, sdk::DuOutcome{0, {}, *du});
    }
    units_ = std::move(now);
    for (const auto& [operation, outcome] : changes) events_->autonomousChange(operation, outcome);
    events_->changed();
  }

  void enqueue(std::function<void()> job) {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
  }

  void run() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (stopping_) return;  // a dpkg already running finishes; queued ones are dropped
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }

  sdk::Host& host_;
  const std::string statusFile_;
  Dpkg dpkg_;  // the worker's only, once started
  const std::string name_;
  sdk::ExecEnvEvents* events_ = nullptr;
  // Main loop state.
  std::vector<sdk::DeploymentUnitInfo> units_;
  Stamp stamp_;
  int pending_ = 0;  // operations or listings on their way: the poll waits for them
  // The worker.
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread worker_;
};

class SwmDpkgPlugin final : public sdk::Plugin {
 public:
  void registerModel(sdk::Registrar& reg) override {
    sdk::Host& host = reg.host();
    Dpkg::Options o;
    o.root = host.config("swm_dpkg", "root");
    if (o.root.empty()) return;  // not configured: no EE
    const auto timeout = std::stoul(host.config("swm_dpkg", "timeout", "300"));
    if (timeout > 0) o.timeout = std::chrono::seconds(timeout);
    ee_ = std::make_shared<PackageEe>(host, std::move(o),
                                      host.config("swm_dpkg", "name", "Debian packages"));
    reg.executionEnvironment(ee_);
  }

  void start(sdk::Host& host) override {
    if (!ee_) return;
    ee_->start();
    const std::string poll = host.config("swm_dpkg", "poll_interval", "30");
    const auto seconds = std::stoul(poll);
    if (seconds > 0) {
      host.startPeriodicTimer(std::chrono::seconds(seconds),
                              [ee = ee_.get()] { ee->pollForeignChanges(); });
    }
  }

  void stop() override {
    if (ee_) ee_->shutdown();
  }

 private:
  std::shared_ptr<PackageEe> ee_;
};

}  // namespace
}  // namespace cwmpd::swm_dpkg

CWMPD_PLUGIN(cwmpd::swm_dpkg::SwmDpkgPlugin, "swm_dpkg", "1.0")
CWMPD_PLUGIN_CONFIG_KEYS({"swm_dpkg", "root", cwmpd::sdk::ConfigType::Path},
                         {"swm_dpkg", "name", cwmpd::sdk::ConfigType::String},
                         {"swm_dpkg", "timeout", cwmpd::sdk::ConfigType::Unsigned},
                         {"swm_dpkg", "poll_interval", cwmpd::sdk::ConfigType::Unsigned})
