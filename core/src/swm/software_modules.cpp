#include "cwmpd/core/software_modules.hpp"

#include <boost/asio/post.hpp>
#include <filesystem>
#include <random>
#include <set>
#include <tuple>
#include <type_traits>
#include <variant>

#include "cwmpd/core/log.hpp"
#include "cwmpd/core/session_engine.hpp"
#include "cwmpd/core/transfer_manager.hpp"
#include "transfer/file_transfer.hpp"

// core/src/swm/model.xml, embedded by core/CMakeLists.txt.
extern const std::string_view cwmpd_swm_model_xml;

namespace cwmpd::core {

namespace fs = std::filesystem;
using sdk::Fault;
using Type = DuOperationRecord::Type;

namespace {

constexpr const char* kLog = "swm";
constexpr const char* kUnknownTime = "0001-01-01T00:00:00Z";
constexpr const char* kEvent = "11 DU STATE CHANGE COMPLETE";
constexpr const char* kMethodEvent = "M ChangeDUState";
constexpr const char* kAutonomousEvent = "12 AUTONOMOUS DU STATE CHANGE COMPLETE";
constexpr std::size_t kMaxPending = 16;  // requests not yet reported
constexpr std::size_t kMaxOperations = 16;
constexpr std::size_t kMaxFaultString = 256;
constexpr std::size_t kMaxVersion = 32;

// A version 4 (random) UUID, only where a result needs one and no DU is known to derive
// it from (a failed install the ACS named no UUID for). A DU's own UUID is name-based:
// deploymentUnitUuid().
std::string makeUuid() {
  static std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<int> hex(0, 15);
  const char* digits = "0123456789abcdef";
  std::string u;
  for (int i = 0; i < 36; ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      u += '-';
    } else if (i == 14) {
      u += '4';
    } else if (i == 19) {
      u += digits[8 + hex(rng) % 4];
    } else {
      u += digits[hex(rng)];
    }
  }
  return u;
}

// The codes DUStateChangeComplete may carry (cwmp-1-2.xsd DeploymentUnitCPEFaultCodeType,
// plus the vendor range); anything else is "request denied".
std::uint32_t duFault(int code) {
  if (code == 9001 || code == 9003 || code == 9012 || code == 9013 ||
      (code >= 9015 && code <= 9018) || (code >= 9022 && code <= 9032) ||
      (code >= 9800 && code <= 9899))
    return static_cast<std::uint32_t>(code);
  return 9001;
}

// A download failure of the transfer machinery as DUStateChangeComplete can say it.
std::uint32_t downloadFault(std::uint32_t code) {
  if (code == 9012 || code == 9013 || (code >= 9015 && code <= 9018)) return code;
  return 9017;
}

const char* statusName(sdk::EuStatus s) {
  switch (s) {
    case sdk::EuStatus::Idle: return "Idle";
    case sdk::EuStatus::Starting: return "Starting";
    case sdk::EuStatus::Active: return "Active";
    case sdk::EuStatus::Stopping: return "Stopping";
  }
  return "Idle";
}

const char* faultName(sdk::EuFault f) {
  switch (f) {
    case sdk::EuFault::NoFault: return "NoFault";
    case sdk::EuFault::FailureOnStart: return "FailureOnStart";
    case sdk::EuFault::FailureOnAutoStart: return "FailureOnAutoStart";
    case sdk::EuFault::FailureOnStop: return "FailureOnStop";
    case sdk::EuFault::FailureWhileActive: return "FailureWhileActive";
    case sdk::EuFault::DependencyFailure: return "DependencyFailure";
    case sdk::EuFault::UnStartable: return "UnStartable";
  }
  return "NoFault";
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

}  // namespace

class SoftwareModules::Impl {
 public:
  // What one EE reports, with its name.
  class Events final : public sdk::ExecEnvEvents {
   public:
    Events(Impl& impl, std::string env) : impl_(impl), env_(std::move(env)) {}
    // Deferred to the loop: an EE may report from inside a call of ours (a start() in a
    // SetParameterValues transaction), where the rows must not change under the engine.
    void changed() override {
      if (!impl_.started_ || impl_.refreshQueued_) return;
      impl_.refreshQueued_ = true;
      impl_.later([&impl = impl_] {
        impl.refreshQueued_ = false;
        impl.refresh();
      });
    }
    void autonomousChange(sdk::DuOperation op, const sdk::DuOutcome& outcome) override {
      if (!impl_.started_) return;
      // The row as it is now: an uninstalled DU's UUID and path are gone after a refresh.
      DuRow before;
      auto it = impl_.dus_.find(env_ + "/" + outcome.unit.duid);
      if (it != impl_.dus_.end()) before = it->second;
      impl_.later([&impl = impl_, env = env_, op, outcome, before] {
        impl.autonomous(env, op, outcome, before);
      });
    }

   private:
    Impl& impl_;
    std::string env_;
  };

  struct Env {
    std::string name;
    std::shared_ptr<sdk::ExecutionEnvironment> ee;
    std::shared_ptr<Events> events;
    sdk::ExecEnvInfo info;
    std::uint32_t number = 0;
    std::vector<sdk::DeploymentUnitInfo> dus;
    int runLevel = 0;  // CurrentRunLevel: InitialRunLevel at start, then RequestedRunLevel
  };
  struct DuRow {
    Env* env = nullptr;
    sdk::DeploymentUnitInfo info;
    std::uint32_t number = 0;
    std::string uuid, url;
  };
  struct EuRow {
    Env* env = nullptr;
    sdk::ExecutionUnitInfo info;
    std::uint32_t number = 0;
  };

  Impl(boost::asio::io_context& io, Store& state, SoftwareModulesOptions options)
      : io_(io), state_(state), options_(std::move(options)) {
    clock_ = options_.clock ? options_.clock : makeLoopClock(io);
  }

  // ---- AutonomousDUStateChangeComplete -----------------------------------------------------
  // TR-181 ManagementServer.DUStateChangeComplPolicy: whether the ACS wants to hear of a
  // change the device made itself (TR-069 A.4.2.7). Without the object, never.
  bool policyAllows(sdk::DuOperation op, std::uint32_t fault) const {
    const std::string p = root_ + ".ManagementServer.DUStateChangeComplPolicy.";
    auto read = [&](const char* name) {
      try {
        return host_->value(p + name);
      } catch (const std::exception&) {
        return std::string();
      }
    };
    if (read("Enable") != "true") return false;
    auto listed = [](const std::string& list, const std::string& item) {
      std::size_t start = 0;
      while (start <= list.size()) {
        std::size_t end = list.find(',', start);
        if (end == std::string::npos) end = list.size();
        std::string one = list.substr(start, end - start);
        one.erase(0, one.find_first_not_of(' '));
        one.erase(one.find_last_not_of(' ') + 1);
        if (one == item) return true;
        start = end + 1;
      }
      return false;
    };
    const char* name = op == sdk::DuOperation::Install  ? "Install"
                       : op == sdk::DuOperation::Update ? "Update"
                                                        : "Uninstall";
    if (!listed(read("OperationTypeFilter"), name)) return false;
    const std::string results = read("ResultTypeFilter");
    if (results == "Success" && fault != 0) return false;
    if (results == "Failure" && fault == 0) return false;
    // FaultCodeFilter narrows the failures reported; empty: all of them.
    const std::string faults = read("FaultCodeFilter");
    return fault == 0 || faults.empty() || listed(faults, std::to_string(fault));
  }

  void autonomous(const std::string& envName, sdk::DuOperation op, const sdk::DuOutcome& out,
                  const DuRow& before) {
    Env* env = envByKey(envName);
    if (env == nullptr) return;
    const std::string key = duKey(*env, out.unit.duid);
    soap::OpResultStruct r;
    r.startTime = isoTime(clock_->seconds());
    r.completeTime = r.startTime;
    if (before.number != 0) {
      r.uuid = before.uuid;
      r.deploymentUnitRef = duPath(before.number);
    }
    refresh();
    auto after = dus_.find(key);
    if (after != dus_.end()) {
      r.uuid = after->second.uuid;
      r.deploymentUnitRef = duPath(after->second.number);
      r.version = after->second.info.version;
      r.currentState = "Installed";
      r.resolved = true;
      r.executionUnitRefList = join(euRefs(*env, after->second.info));
    } else {
      r.currentState =
          op == sdk::DuOperation::Uninstall && out.faultCode == 0 ? "Uninstalled" : "Failed";
      r.version = out.unit.version;
    }
    if (!validUuid(r.uuid))
      r.uuid =
          out.unit.name.empty() ? makeUuid() : deploymentUnitUuid(out.unit.name, out.unit.vendor);
    if (r.version.size() > kMaxVersion) r.version.resize(kMaxVersion);
    r.operationPerformed = op == sdk::DuOperation::Install  ? "Install"
                           : op == sdk::DuOperation::Update ? "Update"
                                                            : "Uninstall";
    if (out.faultCode != 0) {
      r.fault.faultCode = duFault(out.faultCode);
      r.fault.faultString = out.faultString.substr(0, kMaxFaultString);
    }
    CWMPD_LOG(Info, kLog,
              "EE " << envName << ": " << r.operationPerformed << " of " << out.unit.duid
                    << " made locally, fault " << r.fault.faultCode);
    if (!policyAllows(op, r.fault.faultCode)) return;
    // Kept until the ACS acknowledged it, like a ChangeDUState's report.
    DuRequestRecord record;
    record.id = nextId_++;
    record.autonomous = true;
    record.complete = true;
    DuOperationRecord o;
    o.type = op == sdk::DuOperation::Install  ? Type::Install
             : op == sdk::DuOperation::Update ? Type::Update
                                              : Type::Uninstall;
    o.done = true;
    o.result = std::move(r);
    record.operations.push_back(std::move(o));
    records_[record.id] = record;
    saveDuRequest(state_, record);
    state_.tryCommit();
    deliver(record);
  }

  static sdk::DuOperation sdkOperation(Type t) {
    return t == Type::Install  ? sdk::DuOperation::Install
           : t == Type::Update ? sdk::DuOperation::Update
                               : sdk::DuOperation::Uninstall;
  }

  // ---- changes asked for on the box ------------------------------------------------------
  void localChange(const LocalDuChange& c) {
    auto bad = [](const char* why) { throw Fault(sdk::FaultCode::InvalidArguments, why); };
    // The limits of the ChangeDUState operation structures (cwmp-1-2.xsd).
    if (c.url.size() > 1024 || c.uuid.size() > 36 || c.version.size() > 32 ||
        c.executionEnvRef.size() > 256)
      bad("an argument is too long");
    if (!c.uuid.empty() && !validUuid(c.uuid)) bad("not a UUID");
    if (c.type == LocalDuChange::Type::Install && c.url.empty()) bad("Install needs a URL");
    if (c.type == LocalDuChange::Type::Uninstall && c.uuid.empty()) bad("Uninstall needs a UUID");
    if (c.type == LocalDuChange::Type::Update && c.uuid.empty() && c.url.empty())
      bad("Update needs a UUID or a URL");
    if (envs_.empty()) throw Fault(sdk::FaultCode::MethodNotSupported, "no execution environment");
    if (records_.size() >= kMaxPending)
      throw Fault(sdk::FaultCode::ResourcesExceeded, "too many DU changes pending");
    DuRequestRecord r;
    r.id = nextId_++;
    r.autonomous = true;
    DuOperationRecord o;
    o.type = c.type == LocalDuChange::Type::Install  ? Type::Install
             : c.type == LocalDuChange::Type::Update ? Type::Update
                                                     : Type::Uninstall;
    o.url = c.url;
    o.uuid = c.uuid;
    o.version = c.version;
    if (o.type != Type::Update) o.executionEnvRef = c.executionEnvRef;
    r.operations.push_back(std::move(o));
    records_[r.id] = r;
    saveDuRequest(state_, r);
    state_.tryCommit();
    CWMPD_LOG(Info, kLog, "local DU change queued");
    later([this] { pump(); });
  }

  // ---- rows -----------------------------------------------------------------------------
  static std::string duKey(const Env& e, const std::string& duid) { return e.name + "/" + duid; }
  std::string eePath(const Env& e) const { return eeTable_ + std::to_string(e.number); }
  std::string duPath(std::uint32_t n) const { return duTable_ + std::to_string(n); }
  std::string euPath(std::uint32_t n) const { return euTable_ + std::to_string(n); }

  // The persisted UUID and URL of a DU ("swm:du:<key>" = "uuid url").
  std::pair<std::string, std::string> meta(const std::string& key) const {
    const std::string* v = state_.get("swm:du:" + key);
    if (v == nullptr) return {};
    const auto sp = v->find(' ');
    if (sp == std::string::npos) return {*v, ""};
    return {v->substr(0, sp), v->substr(sp + 1)};
  }
  void setMeta(const std::string& key, const std::string& uuid, const std::string& url) {
    state_.set("swm:du:" + key, uuid + " " + url);
  }

  // Rebuilds the rows from what every EE lists now.
  void refresh() {
    if (host_ == nullptr) return;
    std::map<std::string, DuRow> dus;
    std::map<std::string, EuRow> eus;
    for (auto& env : envs_) {
      try {
        env.info = env.ee->info();
        env.dus = env.ee->list();
      } catch (const std::exception& e) {
        CWMPD_LOG(Warning, kLog, "EE " << env.name << ": " << e.what());
      }
      for (const auto& du : env.dus) {
        const std::string key = duKey(env, du.duid);
        DuRow row{&env, du, 0, {}, {}};
        std::tie(row.uuid, row.url) = meta(key);
        if (!validUuid(row.uuid)) {
          // Installed without the ACS (or before the core knew it): the DU gets a UUID.
          row.uuid = deploymentUnitUuid(du.name, du.vendor);
          setMeta(key, row.uuid, row.url);
        }
        try {
          row.number = host_->ensureInstance(duTable_, key);
        } catch (const std::exception& e) {
          CWMPD_LOG(Warning, kLog, "no row for DU " << key << ": " << e.what());
          continue;
        }
        for (const auto& eu : du.executionUnits) {
          const std::string ekey = duKey(env, eu.euid);
          try {
            const std::uint32_t n = host_->ensureInstance(euTable_, ekey);
            auto old = eus_.find(ekey);
            if (old == eus_.end() || old->second.info.status != eu.status) {
              if (old == eus_.end()) {
                host_->setInitial(euPath(n) + ".RequestedState", "Idle");
                host_->setInitial(euPath(n) + ".AutoStart", "false");
                // TR-181: RunLevel starts as the EE's InitialExecutionUnitRunLevel.
                host_->setInitial(euPath(n) + ".RunLevel",
                                  std::to_string(std::max(
                                      0, intValue(eePath(env) + ".InitialExecutionUnitRunLevel"))));
              }
              notifyStatus_.push_back(euPath(n) + ".Status");
            }
            eus[ekey] = EuRow{&env, eu, n};
          } catch (const std::exception& e) {
            CWMPD_LOG(Warning, kLog, "no row for EU " << ekey << ": " << e.what());
          }
        }
        dus[key] = std::move(row);
      }
    }
    // Rows of what is gone: the model's instance, the persisted row and the DU's UUID.
    for (const auto& [key, row] : dus_)
      if (!dus.count(key)) {
        removeRow(duPath(row.number));
        state_.erase("swm:du:" + key);
        state_.erase("swm:row:du:" + key);
      }
    for (const auto& [key, row] : eus_)
      if (!eus.count(key)) {
        removeRow(euPath(row.number));
        state_.erase("swm:row:eu:" + key);
      }
    for (const auto& [key, row] : dus) state_.set("swm:row:du:" + key, std::to_string(row.number));
    for (const auto& [key, row] : eus) state_.set("swm:row:eu:" + key, std::to_string(row.number));
    state_.tryCommit();
    dus_ = std::move(dus);
    eus_ = std::move(eus);
    euByNumber_.clear();
    for (const auto& [key, row] : eus_) euByNumber_[row.number] = key;
    for (const auto& path : notifyStatus_) {
      try {
        host_->valueChanged(path);
      } catch (const std::exception&) {
      }
    }
    notifyStatus_.clear();
  }

  void removeRow(const std::string& path) {
    try {
      host_->removeInstance(path + ".");
    } catch (const std::exception& e) {
      CWMPD_LOG(Debug, kLog, "remove " << path << ": " << e.what());
    }
  }

  // Rows persisted by an earlier run whose DU or EU is no longer listed (removed while
  // the daemon was down): gone from the model too.
  void dropStaleRows() {
    std::vector<std::pair<std::string, std::string>> stale;
    for (const char* t : {"du", "eu"}) {
      const std::string prefix = std::string("swm:row:") + t + ":";
      state_.forEach(prefix, [&](const std::string& key, const std::string& value) {
        stale.emplace_back(std::string(t) + ":" + key.substr(prefix.size()), value);
      });
    }
    for (const auto& [tk, number] : stale) {
      const bool du = tk.compare(0, 3, "du:") == 0;
      const std::string key = tk.substr(3);
      if (du ? dus_.count(key) != 0 : eus_.count(key) != 0) continue;
      removeRow((du ? duTable_ : euTable_) + number);
      state_.erase("swm:row:" + tk);
      if (du) state_.erase("swm:du:" + key);
    }
    state_.tryCommit();
  }

  std::vector<std::string> euRefs(const Env& env, const sdk::DeploymentUnitInfo& du) const {
    std::vector<std::string> out;
    for (const auto& eu : du.executionUnits) {
      auto it = eus_.find(duKey(env, eu.euid));
      if (it != eus_.end()) out.push_back(euPath(it->second.number));
    }
    return out;
  }

  // ---- the model ------------------------------------------------------------------------
  Env* envByKey(const std::string& name) {
    for (auto& e : envs_)
      if (e.name == name) return &e;
    return nullptr;
  }
  const DuRow* du(const sdk::InstanceRef& r) const {
    auto it = dus_.find(r.key);
    return it == dus_.end() ? nullptr : &it->second;
  }
  const EuRow* eu(const sdk::InstanceRef& r) const {
    auto it = eus_.find(r.key);
    return it == eus_.end() ? nullptr : &it->second;
  }

  void registerModel(sdk::Registrar& reg) {
    host_ = &reg.host();
    // TR-181 Device.SoftwareModules. or TR-098 InternetGatewayDevice.SoftwareModules.
    root_ = std::string(reg.host().root());
    base_ = root_ + ".SoftwareModules.";
    eeTable_ = base_ + "ExecEnv.";
    duTable_ = base_ + "DeploymentUnit.";
    euTable_ = base_ + "ExecutionUnit.";
    reg.definitions(cwmpd_swm_model_xml);
    auto& ee = reg.object(eeTable_ + "{i}.");
    using Ref = const sdk::InstanceRef&;
    auto eeField = [this](auto f) {
      return [this, f](Ref r) {
        Env* e = envByKey(r.key);
        return e == nullptr ? std::string() : std::string(f(*e));
      };
    };
    ee.get("Status", eeField([this](const Env& e) {
             return !e.info.enabled ? "Error" : enabled(e) ? "Up" : "Disabled";
           }));
    ee.get("Name", eeField([](const Env& e) { return e.info.name; }));
    ee.get("Type", eeField([](const Env& e) { return e.info.type; }));
    ee.get("Vendor", eeField([](const Env& e) { return e.info.vendor; }));
    ee.get("Version", eeField([](const Env& e) { return e.info.version; }));
    ee.get("CurrentRunLevel", eeField([](const Env& e) { return std::to_string(e.runLevel); }));
    // TR-181 ExecEnv.{i}.RequestedRunLevel: CurrentRunLevel follows it, and the EUs with
    // AutoStart start or stop as their RunLevel is within it or not.
    ee.apply([this](const std::vector<sdk::Change>& changes) {
      for (const auto& c : changes) {
        if (c.parameter != "RequestedRunLevel") continue;
        for (auto& e : envs_)
          if (eePath(e) + "." == c.object) {
            e.runLevel = std::stoi(c.value);
            later([this, name = e.name] { applyRunLevel(name, true); });
          }
      }
    });
    ee.get("ActiveExecutionUnits", eeField([this](const Env& e) {
             std::vector<std::string> active;
             for (const auto& [key, row] : eus_)
               if (row.env == &e && row.info.status == sdk::EuStatus::Active)
                 active.push_back(euPath(row.number));
             return join(active);
           }));

    auto& d = reg.object(duTable_ + "{i}.");
    auto duField = [this](auto f) {
      return [this, f](Ref r) {
        const DuRow* row = du(r);
        return row == nullptr ? std::string() : std::string(f(*row));
      };
    };
    d.get("UUID", duField([](const DuRow& r) { return r.uuid; }));
    d.get("DUID", duField([](const DuRow& r) { return r.info.duid; }));
    d.get("Name", duField([](const DuRow& r) { return r.info.name; }));
    d.get("Status", duField([this](const DuRow& r) {
            auto busy = busyStatus_.find(duKey(*r.env, r.info.duid));
            return busy != busyStatus_.end() ? busy->second : std::string("Installed");
          }));
    d.get("Resolved", duField([](const DuRow&) { return "true"; }));
    d.get("URL", duField([](const DuRow& r) { return r.url; }));
    d.get("Description", duField([](const DuRow& r) { return r.info.description; }));
    d.get("Vendor", duField([](const DuRow& r) { return r.info.vendor; }));
    d.get("Version", duField([](const DuRow& r) { return r.info.version; }));
    d.get("ExecutionUnitList",
          duField([this](const DuRow& r) { return join(euRefs(*r.env, r.info)); }));
    d.get("ExecutionEnvRef", duField([this](const DuRow& r) { return eePath(*r.env); }));

    auto& u = reg.object(euTable_ + "{i}.");
    auto euField = [this](auto f) {
      return [this, f](Ref r) {
        const EuRow* row = eu(r);
        return row == nullptr ? std::string() : std::string(f(*row));
      };
    };
    u.get("EUID", euField([](const EuRow& r) { return r.info.euid; }));
    u.get("Name", euField([](const EuRow& r) { return r.info.name; }));
    u.get("ExecEnvLabel", euField([](const EuRow& r) { return r.info.execEnvLabel; }));
    u.get("Status", euField([](const EuRow& r) { return statusName(r.info.status); }));
    u.get("ExecutionFaultCode", euField([](const EuRow& r) { return faultName(r.info.fault); }));
    u.get("ExecutionFaultMessage", euField([](const EuRow& r) { return r.info.faultMessage; }));
    u.get("Vendor", euField([](const EuRow& r) { return r.info.vendor; }));
    u.get("Version", euField([](const EuRow& r) { return r.info.version; }));
    u.get("Description", euField([](const EuRow& r) { return r.info.description; }));
    u.get("ExecutionEnvRef", euField([this](const EuRow& r) { return eePath(*r.env); }));
    // TR-181 ExecutionUnit.{i}.RequestedState: Active starts the EU, Idle stops it.
    u.apply([this](const std::vector<sdk::Change>& changes) {
      for (const auto& c : changes) {
        if (c.parameter == "AutoStart" || c.parameter == "RunLevel") {
          const EuRow* row = euAt(c.object);
          if (row != nullptr) later([this, name = row->env->name] { applyRunLevel(name, false); });
          continue;
        }
        if (c.parameter != "RequestedState") continue;
        const EuRow* row = euAt(c.object);
        if (row == nullptr) throw Fault(sdk::FaultCode::InvalidParameterValue, "no such EU");
        if (c.value == "Active")
          row->env->ee->start(row->info.euid);
        else
          row->env->ee->stop(row->info.euid);
      }
    });
  }

  const EuRow* euAt(const std::string& object) const {
    const std::string digits = object.substr(euTable_.size(), object.size() - euTable_.size() - 1);
    std::uint32_t n = 0;
    try {
      n = static_cast<std::uint32_t>(std::stoul(digits));
    } catch (const std::exception&) {
      return nullptr;
    }
    auto k = euByNumber_.find(n);
    if (k == euByNumber_.end()) return nullptr;
    auto it = eus_.find(k->second);
    return it == eus_.end() ? nullptr : &it->second;
  }

  int intValue(const std::string& path) const {
    try {
      return std::stoi(host_->value(path));
    } catch (const std::exception&) {
      return 0;
    }
  }

  // TR-181 run levels: an EU with AutoStart runs when its RunLevel is at most the EE's
  // CurrentRunLevel. Starts those (and, after a RequestedRunLevel change, stops the
  // AutoStart ones above the new level).
  void applyRunLevel(const std::string& envName, bool stopAbove) {
    Env* env = envByKey(envName);
    if (env == nullptr || host_ == nullptr || !enabled(*env)) return;
    for (const auto& [key, row] : eus_) {
      if (row.env != env) continue;
      const std::string path = euPath(row.number);
      bool autoStart = false;
      try {
        autoStart = host_->value(path + ".AutoStart") == "true";
      } catch (const std::exception&) {
      }
      if (!autoStart) continue;
      const bool within = intValue(path + ".RunLevel") <= env->runLevel;
      try {
        if (within && row.info.status == sdk::EuStatus::Idle)
          env->ee->start(row.info.euid);
        else if (!within && stopAbove && row.info.status == sdk::EuStatus::Active)
          env->ee->stop(row.info.euid);
      } catch (const std::exception& e) {
        CWMPD_LOG(Warning, kLog, "EU " << row.info.euid << ": " << e.what());
      }
    }
  }

  // ExecEnv.{i}.Enable: stored by the core, true unless the ACS said otherwise.
  bool enabled(const Env& e) const {
    try {
      return host_->value(eePath(e) + ".Enable") != "false";
    } catch (const std::exception&) {
      return true;
    }
  }

  // ---- ChangeDUState ----------------------------------------------------------------------
  soap::ChangeDUStateResponse changeDuState(const soap::ChangeDUState& request) {
    if (request.commandKey.size() > 32)
      throw Fault(sdk::FaultCode::InvalidArguments, "CommandKey longer than 32 characters");
    if (request.operations.empty() || request.operations.size() > kMaxOperations)
      throw Fault(sdk::FaultCode::InvalidArguments, "between 1 and 16 operations");
    if (records_.size() >= kMaxPending)
      throw Fault(sdk::FaultCode::ResourcesExceeded, "too many ChangeDUState requests pending");
    DuRequestRecord r;
    r.id = nextId_++;
    r.commandKey = request.commandKey;
    for (const auto& op : request.operations) {
      DuOperationRecord o;
      std::visit(
          [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, soap::InstallOp>) {
              o.type = Type::Install;
              o.url = x.url;
              o.uuid = x.uuid;
              o.username = x.username;
              o.password = x.password;
              o.executionEnvRef = x.executionEnvRef;
              if (x.url.empty())
                throw Fault(sdk::FaultCode::InvalidArguments, "Install without URL");
            } else if constexpr (std::is_same_v<T, soap::UpdateOp>) {
              o.type = Type::Update;
              o.url = x.url;
              o.uuid = x.uuid;
              o.username = x.username;
              o.password = x.password;
              o.version = x.version;
            } else {
              o.type = Type::Uninstall;
              o.uuid = x.uuid;
              o.version = x.version;
              o.executionEnvRef = x.executionEnvRef;
            }
          },
          op);
      r.operations.push_back(std::move(o));
    }
    records_[r.id] = r;
    saveDuRequest(state_, r);
    state_.tryCommit();
    CWMPD_LOG(Info, kLog,
              "ChangeDUState '" << r.commandKey << "': " << r.operations.size()
                                << " operation(s), after the session");
    return {};
  }

  // Runs the next operation when nothing runs and no session is open (TR-069 A.4.1.10:
  // the CPE applies the operations after the session that carried them).
  void pump() {
    if (!started_ || stopped_ || sessionOpen_ || busy_) return;
    for (auto& [id, r] : records_) {
      if (r.complete) continue;
      for (std::size_t i = 0; i < r.operations.size(); ++i)
        if (!r.operations[i].done) {
          busy_ = true;
          run(id, i);
          return;
        }
      r.complete = true;
      if (r.autonomous) {
        std::erase_if(r.operations, [this](const DuOperationRecord& o) {
          return !policyAllows(sdkOperation(o.type), o.result.fault.faultCode);
        });
      }
      saveDuRequest(state_, r);
      state_.tryCommit();
      deliver(r);
    }
  }

  void later(std::function<void()> f) {
    boost::asio::post(io_, [life = std::weak_ptr<bool>(life_), f = std::move(f)] {
      if (!life.expired()) f();
    });
  }

  DuOperationRecord* op(std::uint64_t id, std::size_t i) {
    auto it = records_.find(id);
    if (it == records_.end() || i >= it->second.operations.size()) return nullptr;
    return &it->second.operations[i];
  }

  Env* resolveEnv(const std::string& ref) {
    if (ref.empty()) return envs_.empty() ? nullptr : &envs_.front();
    std::string r = ref;
    if (!r.empty() && r.back() == '.') r.pop_back();
    for (auto& e : envs_)
      if (eePath(e) == r) return &e;
    return nullptr;
  }

  // The installed DUs an operation names: by UUID (else URL), Version and EE where given.
  // TR-181 Annex C: one UUID may be installed at several versions (and in several EEs).
  std::vector<DuRow*> findDus(const std::string& uuid, const std::string& url,
                              const std::string& version, Env* env) {
    std::vector<DuRow*> out;
    for (auto& [key, row] : dus_) {
      if (env != nullptr && row.env != env) continue;
      if (!uuid.empty() ? row.uuid != uuid : row.url != url) continue;
      if (!version.empty() && row.info.version != version) continue;
      out.push_back(&row);
    }
    return out;
  }

  // TR-069 A.4.1.10 UpdateOpStruct: an Update with neither UUID nor URL updates every
  // installed DU, each from its own URL. It becomes one operation per DU (persisted, so a
  // restart resumes the expansion), each with its own result in DUStateChangeComplete.
  void updateAll(std::uint64_t id, std::size_t i) {
    std::vector<const DuRow*> rows;
    for (const auto& [key, row] : dus_) rows.push_back(&row);
    if (rows.empty()) return failUnknown(id, i, "no deployment unit is installed");
    runEach(id, i, rows);
  }

  // Operation i of request id becomes one operation per DU in `rows`, each naming its
  // DU's UUID, Version and EE, and the first of them runs.
  void runEach(std::uint64_t id, std::size_t i, const std::vector<const DuRow*>& rows) {
    auto& ops = records_[id].operations;
    std::vector<DuOperationRecord> each;
    for (const DuRow* row : rows) {
      DuOperationRecord u = ops[i];
      u.uuid = row->uuid;
      u.version = row->info.version;
      u.executionEnvRef = eePath(*row->env);
      each.push_back(std::move(u));
    }
    ops.erase(ops.begin() + static_cast<std::ptrdiff_t>(i));
    ops.insert(ops.begin() + static_cast<std::ptrdiff_t>(i), each.begin(), each.end());
    saveDuRequest(state_, records_[id]);
    state_.tryCommit();
    run(id, i);
  }

  void run(std::uint64_t id, std::size_t i) {
    DuOperationRecord& o = *op(id, i);
    o.result = {};
    o.result.startTime = isoTime(clock_->seconds());
    if (o.type == Type::Install) {
      // No UUID from the ACS: the DU's name-based one once the EE knows its Name and Vendor.
      o.result.uuid = validUuid(o.uuid) ? o.uuid : makeUuid();
      o.result.currentState = "Failed";
      if (!o.uuid.empty() && !validUuid(o.uuid))
        return finish(id, i, 9022, "invalid UUID " + o.uuid);
      Env* env = resolveEnv(o.executionEnvRef);
      if (env == nullptr)
        return finish(id, i, 9023, "unknown execution environment " + o.executionEnvRef);
      if (!enabled(*env) || !env->info.enabled)
        return finish(id, i, 9024, "execution environment " + env->name + " is disabled");
      // A DU with this UUID may be installed already at another version (TR-181 Annex C):
      // the EE refuses a duplicate (9026) once it knows the archive's version.
      const std::string envName = env->name;
      fetch(id, i, [this, id, i, envName](const std::string& file) {
        DuOperationRecord& o = *op(id, i);
        Env* env = envByKey(envName);
        call(
            id, i,
            [&](sdk::DuDone done) {
              env->ee->install({o.uuid, o.url, file}, std::move(done));
            },
            file,
            [this, id, i, envName](const sdk::DuOutcome& out) {
              DuOperationRecord& o = *op(id, i);
              Env* env = envByKey(envName);
              if (o.uuid.empty()) o.uuid = deploymentUnitUuid(out.unit.name, out.unit.vendor);
              o.result.uuid = o.uuid;
              setMeta(duKey(*env, out.unit.duid), o.uuid, o.url);
              state_.tryCommit();
              installed(o, *env, out.unit.duid);
            });
      });
      return;
    }
    if (o.type == Type::Update && o.uuid.empty() && o.url.empty()) return updateAll(id, i);
    // An Uninstall may name its EE; an Update only does after updateAll() expanded it.
    Env* env = nullptr;
    if (!o.executionEnvRef.empty() && (env = resolveEnv(o.executionEnvRef)) == nullptr) {
      o.result.uuid = validUuid(o.uuid) ? o.uuid : makeUuid();
      o.result.currentState = "Failed";
      return finish(id, i, 9023, "unknown execution environment " + o.executionEnvRef);
    }
    std::vector<DuRow*> rows;
    if (o.type == Type::Update || !o.uuid.empty()) rows = findDus(o.uuid, o.url, o.version, env);
    if (rows.empty()) return failUnknown(id, i, "no such deployment unit");
    // cwmp-1-2.xsd UninstallOpStruct: with no Version, every installed version of the DU
    // is uninstalled (one result each, like "update all").
    if (rows.size() > 1 && o.type == Type::Uninstall)
      return runEach(id, i, std::vector<const DuRow*>(rows.begin(), rows.end()));
    // UpdateOpStruct (A.4.1.10), fault 9031: the UUID matches several installed versions
    // and the Update named none; which one was meant is unknown.
    if (rows.size() > 1) {
      o.result.uuid = rows.front()->uuid;
      o.result.currentState = "Failed";
      return finish(id, i, 9031,
                    std::to_string(rows.size()) +
                        " versions of the DU are installed; "
                        "the operation names no Version");
    }
    DuRow* row = rows.front();
    o.result.uuid = row->uuid;
    o.result.deploymentUnitRef = duPath(row->number);
    o.result.version = row->info.version;
    o.result.currentState = "Installed";
    o.result.resolved = true;
    o.result.executionUnitRefList = join(euRefs(*row->env, row->info));
    const std::string envName = row->env->name;
    const std::string duid = row->info.duid;
    const std::string key = duKey(*row->env, duid);
    if (!enabled(*row->env))
      return finish(id, i, 9024, "execution environment " + envName + " is disabled");
    if (o.type == Type::Uninstall) {
      busyStatus_[key] = "Uninstalling";
      call(
          id, i,
          [&](sdk::DuDone done) {
            row->env->ee->uninstall({duid, o.version}, std::move(done));
          },
          {},
          [this, id, i, key](const sdk::DuOutcome&) {
            DuOperationRecord& o = *op(id, i);
            state_.erase("swm:du:" + key);
            state_.tryCommit();
            refresh();
            o.result.currentState = "Uninstalled";
            o.result.resolved = false;
            o.result.executionUnitRefList.clear();
          });
      return;
    }
    if (o.url.empty()) o.url = row->url;
    o.uuid = row->uuid;
    busyStatus_[key] = "Updating";
    fetch(id, i, [this, id, i, envName, duid](const std::string& file) {
      DuOperationRecord& o = *op(id, i);
      Env* env = envByKey(envName);
      call(
          id, i,
          [&](sdk::DuDone done) {
            env->ee->update({duid, o.uuid, o.url, file, o.version}, std::move(done));
          },
          file,
          [this, id, i, envName, duid](const sdk::DuOutcome&) {
            DuOperationRecord& o = *op(id, i);
            Env* env = envByKey(envName);
            setMeta(duKey(*env, duid), o.uuid, o.url);
            state_.tryCommit();
            installed(o, *env, duid);
          });
    });
  }

  void failUnknown(std::uint64_t id, std::size_t i, const std::string& why) {
    DuOperationRecord& o = *op(id, i);
    o.result.uuid = validUuid(o.uuid) ? o.uuid : makeUuid();
    o.result.version = o.version;
    o.result.currentState = "Failed";
    finish(id, i, 9028, why);
  }

  // The rows after a successful install or update, into the result.
  void installed(DuOperationRecord& o, Env& env, const std::string& duid) {
    busyStatus_.erase(duKey(env, duid));
    refresh();
    auto it = dus_.find(duKey(env, duid));
    o.result.currentState = "Installed";
    o.result.resolved = true;
    if (it == dus_.end()) return;
    o.result.deploymentUnitRef = duPath(it->second.number);
    o.result.version = it->second.info.version;
    o.result.executionUnitRefList = join(euRefs(env, it->second.info));
  }

  // Calls the EE with a DuDone that finishes the operation (on success after `ok`).
  void call(std::uint64_t id, std::size_t i, const std::function<void(sdk::DuDone)>& invoke,
            const std::string& file, std::function<void(const sdk::DuOutcome&)> ok) {
    auto once = std::make_shared<bool>(false);
    sdk::DuDone done = [this, id, i, file, ok = std::move(ok), once,
                        life = std::weak_ptr<bool>(life_)](const sdk::DuOutcome& out) {
      if (life.expired() || *once) return;
      *once = true;
      if (!file.empty()) {
        std::error_code ec;
        fs::remove(file, ec);
      }
      if (op(id, i) == nullptr) return;
      busyStatus_.clear();  // one operation runs at a time
      if (out.faultCode == 0) {
        ok(out);
        finish(id, i, 0, {});
      } else {
        finish(id, i, out.faultCode, out.faultString);
      }
    };
    try {
      invoke(done);
    } catch (const Fault& f) {
      sdk::DuOutcome out;
      out.faultCode = f.code();
      out.faultString = f.what();
      done(out);
    }
  }

  // Downloads the operation's URL into the temporary space, then `then(file)`; a failed
  // download finishes the operation with its fault.
  void fetch(std::uint64_t id, std::size_t i, std::function<void(const std::string&)> then) {
    const DuOperationRecord& o = *op(id, i);
    if (transferScheme(o.url).empty()) return finish(id, i, 9013, "unsupported URL " + o.url);
    std::error_code ec;
    fs::create_directories(options_.dir, ec);
    const std::string file =
        options_.dir + "/du-" + std::to_string(id) + "-" + std::to_string(i) + ".part";
    transfer::FileTransferRequest req;
    req.url = o.url;
    req.username = o.username;
    req.password = o.password;
    transfer::applyServerSettings(req, options_);
    req.maxBytes = options_.maxSize;
    if (worker_.joinable()) worker_.join();
    abort_ = std::make_shared<std::atomic<bool>>(false);
    req.abort = abort_.get();
    worker_ = std::thread([this, req, file, id, i, abort = abort_, then = std::move(then),
                           life = std::weak_ptr<bool>(life_)]() mutable {
      const auto result = transfer::fetchToFile(req, file);
      boost::asio::post(io_, [this, result, file, id, i, then = std::move(then), life] {
        if (life.expired() || stopped_) return;
        if (result.faultCode != 0) {
          std::error_code ec;
          fs::remove(file, ec);
          return finish(id, i, static_cast<int>(downloadFault(result.faultCode)),
                        result.faultString);
        }
        then(file);
      });
    });
  }

  void finish(std::uint64_t id, std::size_t i, int code, const std::string& why) {
    DuOperationRecord* o = op(id, i);
    if (o == nullptr) return;
    o->done = true;
    o->result.completeTime = isoTime(clock_->seconds());
    if (o->result.startTime.empty()) o->result.startTime = o->result.completeTime;
    if (o->result.version.size() > kMaxVersion) o->result.version.resize(kMaxVersion);
    if (code != 0) {
      o->result.fault.faultCode = duFault(code);
      o->result.fault.faultString =
          (why.empty() ? std::string(sdk::faultString(code)) : why).substr(0, kMaxFaultString);
      CWMPD_LOG(Notice, kLog, "DU operation failed: " << code << " " << why);
    } else {
      o->result.fault = {};
    }
    saveDuRequest(state_, records_[id]);
    state_.tryCommit();
    busy_ = false;
    later([this] { pump(); });
  }

  soap::DUStateChangeComplete report(const DuRequestRecord& r) const {
    soap::DUStateChangeComplete m;
    m.commandKey = r.commandKey;
    for (const auto& o : r.operations) m.results.push_back(o.result);
    return m;
  }

  bool eventPending(const std::string& code, const std::string& key) const {
    for (const auto& e : session_->events().pending())
      if (e.code == code && e.commandKey == key) return true;
    return false;
  }

  // A change made on the box, as reported (what the policy lets through, TR-069 A.4.2.7:
  // filtered once, when the change completes).
  soap::AutonomousDUStateChangeComplete autonomousReport(const DuRequestRecord& r) const {
    soap::AutonomousDUStateChangeComplete m;
    for (const auto& o : r.operations) {
      soap::OpResultStruct res = o.result;
      res.operationPerformed = o.type == Type::Install  ? "Install"
                               : o.type == Type::Update ? "Update"
                                                        : "Uninstall";
      m.results.push_back(std::move(res));
    }
    return m;
  }

  // DUStateChangeComplete for the next session, with its events (TR-069 Table 7);
  // AutonomousDUStateChangeComplete for a change made on the box, or nothing when the
  // ACS's policy wants to hear of none of it.
  void deliver(const DuRequestRecord& r) {
    if (session_ == nullptr) return;
    if (r.autonomous) {
      auto m = autonomousReport(r);
      if (m.results.empty()) {
        later([this, id = r.id] { forget(id); });
        return;
      }
      session_->queueCpeRequest(m);
      return;
    }
    if (!eventPending(kMethodEvent, r.commandKey))
      session_->events().add(kMethodEvent, r.commandKey);
    session_->queueCpeRequest(report(r));
  }

  void forget(std::uint64_t id) {
    if (records_.erase(id) == 0) return;
    state_.erase("swm:req:" + std::to_string(id));
    state_.tryCommit();
  }

  void acknowledged(const soap::Body& body, int code) {
    const auto* m = std::get_if<soap::DUStateChangeComplete>(&body);
    const auto* a = std::get_if<soap::AutonomousDUStateChangeComplete>(&body);
    if (m == nullptr && a == nullptr) return;
    for (const auto& [id, r] : records_) {
      if (!r.complete || r.autonomous != (a != nullptr)) continue;
      if (a != nullptr ? !(autonomousReport(r) == *a) : !(report(r) == *m)) continue;
      if (code != 0)
        CWMPD_LOG(Warning, kLog, "the ACS refused " << soap::methodName(body) << " with " << code);
      forget(id);
      return;
    }
  }

  // A session ended with reports still unacknowledged: their events travel again.
  void sessionEnded() {
    for (const auto& [id, r] : records_) {
      if (!r.complete || session_ == nullptr) continue;
      if (r.autonomous) {
        if (!session_->events().contains(kAutonomousEvent))
          session_->events().add(kAutonomousEvent);
        continue;
      }
      if (!session_->events().contains(kEvent)) session_->events().add(kEvent);
      if (!eventPending(kMethodEvent, r.commandKey))
        session_->events().add(kMethodEvent, r.commandKey);
    }
    pump();
  }

  void start() {
    for (auto& env : envs_) {
      try {
        env.info = env.ee->info();
        env.events = std::make_shared<Events>(*this, env.name);
        env.ee->bind(*env.events);
        if (host_ != nullptr) {
          env.number = host_->ensureInstance(eeTable_, env.name);
          host_->setInitial(eePath(env) + ".Enable", "true");
          host_->setInitial(eePath(env) + ".InitialRunLevel", "0");
          host_->setInitial(eePath(env) + ".RequestedRunLevel", "0");
          host_->setInitial(eePath(env) + ".InitialExecutionUnitRunLevel", "0");
          env.runLevel = intValue(eePath(env) + ".InitialRunLevel");
        }
      } catch (const std::exception& e) {
        CWMPD_LOG(Warning, kLog, "EE " << env.name << ": " << e.what());
      }
    }
    started_ = true;
    // What the last run knew of the rows, so that what vanished meanwhile goes.
    state_.forEach("swm:row:du:", [&](const std::string& key, const std::string& value) {
      try {
        dus_[key.substr(11)].number = static_cast<std::uint32_t>(std::stoul(value));
      } catch (const std::exception&) {
      }
    });
    refresh();
    dropStaleRows();
    // TR-181 ExecutionUnit.{i}.AutoStart: the daemon's start is the EEs' start.
    for (const auto& env : envs_) applyRunLevel(env.name, false);
    for (auto& r : loadDuRequests(state_)) {
      nextId_ = std::max(nextId_, r.id + 1);
      records_[r.id] = r;
    }
    for (const auto& [id, r] : records_)
      if (r.complete) deliver(r);
    pump();
  }

  void stop() {
    stopped_ = true;
    if (abort_) abort_->store(true);
    if (worker_.joinable()) worker_.join();
  }

  boost::asio::io_context& io_;
  Store& state_;
  SoftwareModulesOptions options_;
  std::shared_ptr<Clock> clock_;
  sdk::Host* host_ = nullptr;
  SessionEngine* session_ = nullptr;
  // The model's paths under the configured root (registerModel()).
  std::string root_ = "Device";
  std::string base_ = "Device.SoftwareModules.";
  std::string eeTable_ = base_ + "ExecEnv.";
  std::string duTable_ = base_ + "DeploymentUnit.";
  std::string euTable_ = base_ + "ExecutionUnit.";
  std::vector<Env> envs_;  // reserved at start: rows point into it
  std::map<std::string, DuRow> dus_;
  std::map<std::string, EuRow> eus_;
  std::map<std::uint32_t, std::string> euByNumber_;
  std::map<std::string, std::string> busyStatus_;  // DU key -> Updating / Uninstalling
  std::vector<std::string> notifyStatus_;
  std::map<std::uint64_t, DuRequestRecord> records_;
  std::uint64_t nextId_ = 1;
  bool started_ = false;
  bool stopped_ = false;
  bool sessionOpen_ = false;
  bool busy_ = false;
  bool refreshQueued_ = false;
  std::thread worker_;
  std::shared_ptr<std::atomic<bool>> abort_;
  std::shared_ptr<bool> life_ = std::make_shared<bool>(true);
};

namespace {

// The built-in plugin that serves Device.SoftwareModules.
class ModelPlugin : public sdk::Plugin {
 public:
  explicit ModelPlugin(SoftwareModules::Impl& impl) : impl_(impl) {}
  void registerModel(sdk::Registrar& reg) override { impl_.registerModel(reg); }

 private:
  SoftwareModules::Impl& impl_;
};

}  // namespace

SoftwareModules::SoftwareModules(boost::asio::io_context& io, Store& state,
                                 SoftwareModulesOptions options)
    : impl_(std::make_unique<Impl>(io, state, std::move(options))) {}

SoftwareModules::~SoftwareModules() { impl_->stop(); }

void SoftwareModules::addEnvironment(std::shared_ptr<sdk::ExecutionEnvironment> environment) {
  Impl::Env env;
  env.info = environment->info();
  env.name = env.info.name;
  env.ee = std::move(environment);
  impl_->envs_.push_back(std::move(env));
}

std::unique_ptr<sdk::Plugin> SoftwareModules::modelPlugin() {
  return std::make_unique<ModelPlugin>(*impl_);
}

void SoftwareModules::attach(SessionEngine& session) {
  impl_->session_ = &session;
  session.dispatcher().provide<soap::ChangeDUState>(
      [this](const soap::ChangeDUState& r) { return changeDuState(r); });
  session.setDuChangeHandler([this](const LocalDuChange& c) { localChange(c); });
  session.addCpeRequestListener([impl = impl_.get(), life = std::weak_ptr<bool>(impl_->life_)](
                                    const soap::Body& b, int code) {
    if (!life.expired()) impl->acknowledged(b, code);
  });
  session.addSessionListener(
      [impl = impl_.get(), life = std::weak_ptr<bool>(impl_->life_)](bool started) {
        if (life.expired()) return;
        impl->sessionOpen_ = started;
        if (!started) impl->sessionEnded();
      });
}

void SoftwareModules::start() { impl_->start(); }

void SoftwareModules::stop() { impl_->stop(); }

soap::ChangeDUStateResponse SoftwareModules::changeDuState(const soap::ChangeDUState& request) {
  return impl_->changeDuState(request);
}

void SoftwareModules::localChange(const LocalDuChange& change) { impl_->localChange(change); }

}  // namespace cwmpd::core
