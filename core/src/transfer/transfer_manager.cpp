#include "cwmpd/core/transfer_manager.hpp"

#include <sys/statfs.h>
#include <sys/statvfs.h>

#include <boost/asio/post.hpp>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cwmpd/core/plugin_model.hpp"
#include "cwmpd/core/log.hpp"
#include "cwmpd/core/session_engine.hpp"
#include "cwmpd/sdk/fault.hpp"
#include "transfer/file_transfer.hpp"

namespace cwmpd::core {

namespace fs = std::filesystem;
using sdk::Fault;
using sdk::FaultCode;
using Kind = TransferRecord::Kind;

namespace {

constexpr const char* kLog = "transfer";
constexpr int kMaxDeliveries = 3;  // TransferComplete attempts the ACS may refuse (not 8000)
constexpr std::size_t kMaxFaultString = 256;

const char* const kFirmware = "1 Firmware Upgrade Image";
const char* const kConfigFile = "3 Vendor Configuration File";
// The agent's own entries of DeviceInfo.VendorConfigFile / VendorLogFile (their keys for
// the persisted instance numbers) and what is remembered of the configuration's last
// replacement (session store).
const char* const kConfigKey = "cwmpd-config";
const char* const kLogKey = "cwmpd-log";
const char* const kConfigNameState = "vcf:name";
const char* const kConfigDateState = "vcf:date";
const char* const kUnknownTime = "0001-01-01T00:00:00Z";  // TR-106: an unknown dateTime

// TR-069 A.3.3.2 (schema TransferCompleteCPEFaultCodeType): the codes TransferComplete
// may carry. Anything else becomes the generic failure of its direction.
std::uint32_t transferFault(std::uint32_t code, bool download) {
  if (code == 0 || code == 9001 || code == 9002 || (code >= 9010 && code <= 9020 && code != 9013) ||
      (code >= 9800 && code <= 9899))
    return code;
  return download ? 9010 : 9011;
}

const char* eventMethod(Kind k) {
  switch (k) {
    case Kind::Download: return "M Download";
    case Kind::Upload: return "M Upload";
    case Kind::ScheduleDownload: return "M ScheduleDownload";
    case Kind::Autonomous: return "";
  }
  return "";
}

bool standardDownloadType(const std::string& t) {
  return t == kFirmware || t == "2 Web Content" || t == kConfigFile || t == "4 Tone File" || t == "5 Ringer File";
}

soap::Body requestFor(const TransferRecord& r) {
  soap::TransferFaultStruct fault{r.faultCode, r.faultCode ? r.faultString.substr(0, kMaxFaultString) : std::string()};
  if (r.kind == Kind::Autonomous) {
    soap::AutonomousTransferComplete a;
    a.announceUrl = r.announceUrl;
    a.transferUrl = r.url;
    a.isDownload = r.isDownload;
    a.fileType = r.fileType;
    a.fileSize = r.fileSize;
    a.targetFileName = r.targetFileName;
    a.fault = fault;
    a.startTime = r.startTime;
    a.completeTime = r.completeTime;
    return a;
  }
  soap::TransferComplete t;
  t.commandKey = r.commandKey;
  t.fault = fault;
  t.startTime = r.startTime;
  t.completeTime = r.completeTime;
  return t;
}

// The number ending an Upload FileType "3 Vendor Configuration File 2" after `prefix`;
// 0 when the type is not of that form.
std::uint32_t instanceOf(const std::string& type, const std::string& prefix) {
  if (type.size() <= prefix.size() || type.compare(0, prefix.size(), prefix) != 0) return 0;
  const std::string digits = type.substr(prefix.size());
  if (digits.size() > 9 || digits[0] == '0') return 0;
  for (char c : digits)
    if (c < '0' || c > '9') return 0;
  return static_cast<std::uint32_t>(std::stoul(digits));
}

// The last path element of a URL, without its query or fragment ("" for ".../").
std::string urlFileName(const std::string& url) {
  const std::string path = url.substr(0, url.find_first_of("?#"));
  return path.substr(path.find_last_of('/') + 1);
}

// Whether a file in `dir` outlives a reboot: not on tmpfs or ramfs (OpenWrt's /tmp, /var).
bool persistentFileSystem(const std::string& dir) {
  struct statfs st {};
  if (::statfs(dir.c_str(), &st) != 0) return true;
  constexpr unsigned long kTmpfs = 0x01021994, kRamfs = 0x858458f6;
  const auto type = static_cast<unsigned long>(st.f_type);
  return type != kTmpfs && type != kRamfs;
}

}  // namespace

TransferManager::TransferManager(boost::asio::io_context& io, Store& state, TransferOptions options,
                                 TransferHooks hooks)
    : io_(io), state_(state), options_(std::move(options)), hooks_(std::move(hooks)),
      clock_(options_.clock ? options_.clock : makeLoopClock(io)), timer_(clock_->timer()),
      alive_(std::make_shared<bool>(true)) {
  std::error_code ec;
  for (const auto& d : {options_.dir, options_.storeDir}) {
    if (d.empty()) continue;
    fs::create_directories(d, ec);
    if (ec) CWMPD_LOG(Warning, kLog, "cannot create " << d << ": " << ec.message());
  }
}

TransferManager::~TransferManager() { stop(); }

void TransferManager::attach(SessionEngine& session) {
  auto& rpc = session.dispatcher();
  rpc.provide<soap::Download>([this](const soap::Download& d) { return download(d); });
  rpc.provide<soap::Upload>([this](const soap::Upload& u) { return upload(u); });
  rpc.provide<soap::ScheduleDownload>([this](const soap::ScheduleDownload& s) {
    scheduleDownload(s);
    return soap::ScheduleDownloadResponse{};
  });
  rpc.provide<soap::CancelTransfer>([this](const soap::CancelTransfer& c) {
    cancelTransfer(c.commandKey);
    return soap::CancelTransferResponse{};
  });
  rpc.provide<soap::GetQueuedTransfers>(
      [this](const soap::GetQueuedTransfers&) { return soap::GetQueuedTransfersResponse{queuedTransfers()}; });
  rpc.provide<soap::GetAllQueuedTransfers>(
      [this](const soap::GetAllQueuedTransfers&) { return soap::GetAllQueuedTransfersResponse{allQueuedTransfers()}; });
  session.setCpeRequestListener([this](const soap::Body& b, int code) { onCpeRequestOutcome(b, code); });
  SessionEngine* s = &session;
  hooks_.queueCpeRequest = [s](const soap::Body& b) { s->queueCpeRequest(b); };
  hooks_.cpeMethodSupported = [s](const std::string& m) { return s->cpeMethodSupported(m); };
  hooks_.addEvent = [s](const std::string& code, const std::string& key, bool startSession) {
    if (startSession) s->raiseEvent(code, key);
    else s->events().add(code, key);
  };
  hooks_.removeEvent = [s](const std::string& code) { s->events().remove(code); };
  hooks_.pendingEvents = [s] { return s->events().pending(); };
  // TR-069 3.7.1.5: "M Download" (and its kin) count as delivered with the InformResponse,
  // but must travel again until the TransferComplete itself was acknowledged. A session
  // that ended (failed, or the ACS closed it) with a report still pending gets them back.
  session.addSessionListener([this, life = std::weak_ptr<bool>(life_)](bool started) {
    if (!started && !life.expired()) sessionEnded();
  });
  session.addBootstrapListener([this, life = std::weak_ptr<bool>(life_)] {
    if (!life.expired()) discardForBootstrap();
  });
}

void TransferManager::attachModel(PluginModel& model) {
  PluginModel* m = &model;
  hooks_.publishVendorFile = [m](const std::string& table, const std::string& key,
                                 const std::vector<std::pair<std::string, std::string>>& values) -> std::uint32_t {
    const std::string path = m->root() + ".DeviceInfo." + table + ".";
    if (!m->exists(path)) return 0;
    const std::uint32_t n = m->ensureInstance(path, key);
    const std::string instance = path + std::to_string(n) + ".";
    for (const auto& [name, value] : values)
      if (m->exists(instance + name)) m->setInternal(instance + name, value, false);
    return n;
  };
}

void TransferManager::registerFileType(const std::string& fileType, FileTypeHandler handler) {
  checkVendorFileType(fileType);
  fileTypes_[fileType] = std::move(handler);
}

void TransferManager::discardForBootstrap() {
  std::vector<std::uint64_t> ids;
  for (const auto& [id, r] : records_)
    if (r.kind != Kind::Autonomous) ids.push_back(id);
  if (ids.empty()) return;
  for (auto id : ids) {
    CWMPD_LOG(Notice, kLog, "BOOTSTRAP: transfer " << id << " (" << records_[id].commandKey << ") of the old ACS dropped");
    // A running one is aborted; its worker still reports, and finished() finds no record.
    if (id == running_ && abort_) abort_->store(true);
    records_.erase(id);
    eraseRecord(state_, id);
  }
  state_.tryCommit();  // on failure the store logs once and the next commit retries
  if (hooks_.removeEvent)
    for (const char* code : {"7 TRANSFER COMPLETE", "M Download", "M Upload", "M ScheduleDownload"})
      hooks_.removeEvent(code);
  arm();
}

void TransferManager::sessionEnded() {
  for (const auto& [id, r] : records_)
    if (r.state == 3 && !r.applying) ensureEvents(r);
}

// The agent's own configuration is VendorConfigFile instance "cwmpd-config"; its log (when
// [transfers] log_file names one) is VendorLogFile "cwmpd-log". Their numbers are what
// Upload "3 Vendor Configuration File <i>" / "4 Vendor Log File <i>" accept.
void TransferManager::publishVendorFiles() {
  if (!hooks_.publishVendorFile) return;
  try {
    const std::string* name = state_.get(kConfigNameState);
    const std::string* date = state_.get(kConfigDateState);
    vendorConfigInstance_ = hooks_.publishVendorFile(
        "VendorConfigFile", kConfigKey,
        {{"Name", name ? *name : std::string(kConfigKey)},
         {"Version", ""},
         {"Date", date ? *date : std::string(kUnknownTime)},
         {"Description", "Parameter values, instances and attributes set through the agent (secrets excluded)"},
         {"UseForBackupRestore", "true"}});
    if (options_.logFile.empty()) return;
    // TR-181: Name is the path, or a shorter name derived from it (64 characters at most).
    const fs::path log(options_.logFile);
    std::string logName = log.string().size() <= 64 ? log.string() : log.filename().string().substr(0, 64);
    vendorLogInstance_ = hooks_.publishVendorFile(
        "VendorLogFile", kLogKey,
        {{"Name", logName},
         {"MaximumSize", "0"},  // the agent does not bound a log it does not write itself: unknown
         {"Persistent", persistentFileSystem(log.parent_path().empty() ? "." : log.parent_path().string()) ? "true"
                                                                                                             : "false"}});
  } catch (const std::exception& e) {
    CWMPD_LOG(Warning, kLog, "cannot publish the vendor configuration and log files: " << e.what());
  }
}

// TR-181 VendorConfigFile: Name from the URL the file came from, Date when it was applied.
void TransferManager::configurationApplied(const TransferRecord& r) {
  std::string name = sanitizeFileName(urlFileName(r.url)).value_or(kConfigKey);
  state_.set(kConfigNameState, name.substr(0, 64));
  state_.set(kConfigDateState, isoTime(now()));
  state_.tryCommit();  // on failure the store logs once and the next commit retries
}

// ---------------- persistence ----------------

void TransferManager::persist(const TransferRecord& r) {
  saveRecord(state_, r);
  state_.tryCommit();  // on failure the store logs once and the next commit retries
}

void TransferManager::forget(std::uint64_t id) {
  records_.erase(id);
  eraseRecord(state_, id);
  state_.tryCommit();  // on failure the store logs once and the next commit retries
}

TransferRecord* TransferManager::find(std::uint64_t id) {
  auto it = records_.find(id);
  return it == records_.end() ? nullptr : &it->second;
}

std::vector<TransferRecord> TransferManager::records() const {
  std::vector<TransferRecord> out;
  for (const auto& [id, r] : records_) out.push_back(r);
  return out;
}

std::size_t TransferManager::activeCount() const {
  std::size_t n = 0;
  for (const auto& [id, r] : records_) n += r.state != 3;
  return n;
}

void TransferManager::checkSpace(std::uint64_t bytes) const {
  if (bytes > options_.maxSize)
    throw Fault(FaultCode::ResourcesExceeded, "file of " + std::to_string(bytes) + " bytes exceeds the limit of " +
                                                  std::to_string(options_.maxSize));
  struct statvfs st {};
  if (!options_.dir.empty() && ::statvfs(options_.dir.c_str(), &st) == 0) {
    const std::uint64_t free = static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
    if (bytes > free) throw Fault(FaultCode::ResourcesExceeded, "not enough free space for the file");
  }
}

// ---------------- life cycle ----------------

void TransferManager::start() {
  stopped_ = false;
  if (!alive_) alive_ = std::make_shared<bool>(true);
  for (auto& r : loadRecords(state_)) {
    nextId_ = std::max(nextId_, r.id + 1);
    if (r.state == 2) {
      // Interrupted by a crash or a restart: it starts again from the beginning.
      CWMPD_LOG(Info, kLog, "transfer " << r.id << " (" << r.commandKey << ") was interrupted; starting it again");
      r.state = 1;
      r.notBefore = std::min(r.notBefore, now());
      persist(r);
    }
    auto& rec = records_[r.id] = r;
    if (rec.state != 3) continue;
    if (rec.applying) {
      // The restart that applied it happened: now the transfer is complete (A.3.3.2
      // CompleteTime: when the file was applied).
      rec.applying = false;
      rec.completeTime = isoTime(now());
      persist(rec);
    }
    ensureEvents(rec);
    deliver(rec);
  }
  publishVendorFiles();
  CWMPD_LOG(Info, kLog, records_.size() << " transfer(s) in the queue");
  pump();
}

// The events a pending report travels with, added again where they went missing (a
// restart, or an Inform that delivered "M Download" before the ACS refused the report).
void TransferManager::ensureEvents(const TransferRecord& r) {
  if (!hooks_.addEvent || !hooks_.pendingEvents) return;
  const auto pending = hooks_.pendingEvents();
  auto has = [&](const std::string& code, const std::string& key) {
    for (const auto& e : pending)
      if (e.code == code && (key.empty() || e.commandKey == key)) return true;
    return false;
  };
  const std::string code = r.kind == Kind::Autonomous ? "10 AUTONOMOUS TRANSFER COMPLETE" : "7 TRANSFER COMPLETE";
  if (!has(code, "")) hooks_.addEvent(code, "", false);
  const std::string m = eventMethod(r.kind);
  if (!m.empty() && !has(m, r.commandKey)) hooks_.addEvent(m, r.commandKey, false);
}

void TransferManager::stop() {
  stopped_ = true;
  alive_.reset();  // results posted from now on are ignored: the record stays in state 2
  timer_->cancel();
  if (abort_) abort_->store(true);
  if (worker_.joinable()) worker_.join();
  running_ = 0;
}

// ---------------- RPCs ----------------

// What Download and ScheduleDownload refuse with a SOAP fault rather than a failed
// TransferComplete: the protocol (9013 is not a TransferComplete code), the type, the
// name, and a file that cannot fit or a full queue (9004).
void TransferManager::checkDownload(const std::string& url, const std::string& fileType,
                                    const std::string& targetFileName, std::uint32_t fileSize) const {
  if (url.empty()) throw Fault(FaultCode::InvalidArguments, "empty URL");
  if (transferScheme(url).empty()) throw Fault(FaultCode::UnsupportedTransferProtocol, "unsupported protocol in URL");
  if (!standardDownloadType(fileType) && !fileTypes_.count(fileType))
    throw Fault(FaultCode::InvalidArguments, "unsupported FileType '" + fileType + "'");
  if (fileType == kConfigFile && !hooks_.importConfiguration)
    throw Fault(FaultCode::InvalidArguments, "configuration files cannot be applied here");
  if (!targetFileName.empty() && !sanitizeFileName(targetFileName))
    throw Fault(FaultCode::InvalidArguments, "unusable TargetFileName");
  if (activeCount() >= options_.maxQueued) throw Fault(FaultCode::ResourcesExceeded, "transfer queue full");
  checkSpace(fileSize);
}

// The fields Download and ScheduleDownload share, checked (SOAP faults) and recorded.
template <typename Request>
TransferRecord TransferManager::downloadRecord(Kind kind, const Request& q) const {
  checkDownload(q.url, q.fileType, q.targetFileName, q.fileSize);
  TransferRecord r;
  r.kind = kind;
  r.commandKey = q.commandKey;
  r.fileType = q.fileType;
  r.url = q.url;
  r.username = q.username;
  r.password = q.password;
  r.fileSize = q.fileSize;
  r.targetFileName = q.targetFileName;
  return r;
}

soap::DownloadResponse TransferManager::download(const soap::Download& d) {
  TransferRecord r = downloadRecord(Kind::Download, d);
  r.notBefore = now() + static_cast<std::int64_t>(d.delaySeconds);
  // SuccessURL / FailureURL are for a browser of the CPE's user: an agent has none.
  if (!d.successUrl.empty() || !d.failureUrl.empty())
    CWMPD_LOG(Debug, kLog, "SuccessURL/FailureURL ignored (no user interface)");
  admit(std::move(r));
  // TR-069 A.3.2.8: Status 1, the download is queued and TransferComplete follows.
  soap::DownloadResponse resp;
  resp.status = 1;
  return resp;
}

soap::UploadResponse TransferManager::upload(const soap::Upload& u) {
  if (u.url.empty()) throw Fault(FaultCode::InvalidArguments, "empty URL");
  if (transferScheme(u.url).empty()) throw Fault(FaultCode::UnsupportedTransferProtocol, "unsupported protocol in URL");
  // TR-069 A.4.1.5: "3 Vendor Configuration File <i>" / "4 Vendor Log File <i>" name an
  // instance of DeviceInfo.VendorConfigFile / VendorLogFile; this agent has one of each
  // (its own configuration and log). Another number names nothing: invalid arguments.
  const std::uint32_t configInstance = instanceOf(u.fileType, "3 Vendor Configuration File ");
  const std::uint32_t logInstance = instanceOf(u.fileType, "4 Vendor Log File ");
  if ((configInstance && configInstance != vendorConfigInstance_) || (logInstance && logInstance != vendorLogInstance_))
    throw Fault(FaultCode::InvalidArguments, "no " + u.fileType.substr(2, u.fileType.rfind(' ') - 2) + " instance " +
                                                 u.fileType.substr(u.fileType.rfind(' ') + 1));
  const bool config = u.fileType == "1 Vendor Configuration File" || configInstance;
  const bool log = u.fileType == "2 Vendor Log File" || logInstance;
  if (!config && !log) throw Fault(FaultCode::InvalidArguments, "unsupported FileType '" + u.fileType + "'");
  if (config && !hooks_.exportConfiguration)
    throw Fault(FaultCode::InvalidArguments, "configuration export is not available");
  if (activeCount() >= options_.maxQueued) throw Fault(FaultCode::ResourcesExceeded, "transfer queue full");
  TransferRecord r;
  r.kind = Kind::Upload;
  r.isDownload = false;
  r.commandKey = u.commandKey;
  r.fileType = u.fileType;
  r.url = u.url;
  r.username = u.username;
  r.password = u.password;
  r.notBefore = now() + static_cast<std::int64_t>(u.delaySeconds);
  admit(std::move(r));
  soap::UploadResponse resp;
  resp.status = 1;
  return resp;
}

void TransferManager::scheduleDownload(const soap::ScheduleDownload& s) {
  auto windows = makeWindows(s.timeWindowList, now());
  for (const auto& w : windows) {
    if (w.mode.rfind("3", 0) == 0)
      CWMPD_LOG(Notice, kLog, "time window mode '" << w.mode << "' is treated as '1 At Any Time' (no idle detection)");
    else if (w.mode.rfind("4", 0) == 0)
      CWMPD_LOG(Notice, kLog, "time window mode '" << w.mode << "' is skipped: nobody can confirm on this device");
  }
  TransferRecord r = downloadRecord(Kind::ScheduleDownload, s);
  r.windows = std::move(windows);
  r.notBefore = r.windows.front().start;
  admit(std::move(r));
}

void TransferManager::cancelTransfer(const std::string& commandKey) {
  std::vector<std::uint64_t> ids;
  for (const auto& [id, r] : records_) {
    if (r.kind == Kind::Autonomous || r.commandKey != commandKey) continue;
    // TR-069 A.4.1.9: a transfer in progress or completed cannot be cancelled.
    if (r.state != 1)
      throw Fault(9021, "Cancelation of file transfer not permitted in current transfer state");
    ids.push_back(id);
  }
  if (ids.empty()) throw Fault(FaultCode::InvalidArguments, "no queued transfer with this CommandKey");
  for (auto id : ids) {
    CWMPD_LOG(Info, kLog, "transfer " << id << " (" << commandKey << ") cancelled");
    forget(id);
  }
  arm();
}

std::vector<soap::QueuedTransferStruct> TransferManager::queuedTransfers() const {
  std::vector<soap::QueuedTransferStruct> out;
  for (const auto& [id, r] : records_)
    if (r.kind != Kind::Autonomous) out.push_back({r.commandKey, r.state});
  return out;
}

std::vector<soap::AllQueuedTransferStruct> TransferManager::allQueuedTransfers() const {
  std::vector<soap::AllQueuedTransferStruct> out;
  for (const auto& [id, r] : records_)
    out.push_back({r.commandKey, r.state, r.isDownload, r.fileType, r.fileSize, r.targetFileName});
  return out;
}

void TransferManager::autonomousDownload(const std::string& url, const std::string& fileType,
                                         const std::string& targetFileName, const std::string& username,
                                         const std::string& password) {
  if (transferScheme(url).empty()) throw Fault(FaultCode::UnsupportedTransferProtocol, "unsupported protocol in URL");
  TransferRecord r;
  r.kind = Kind::Autonomous;
  r.url = url;
  r.fileType = fileType;
  r.targetFileName = targetFileName;
  r.username = username;
  r.password = password;
  r.notBefore = now();
  admit(std::move(r));
}

void TransferManager::reportAutonomousTransfer(const soap::AutonomousTransferComplete& done) {
  TransferRecord r;
  r.id = nextId_++;
  r.kind = Kind::Autonomous;
  r.announceUrl = done.announceUrl;
  r.url = done.transferUrl;
  r.isDownload = done.isDownload;
  r.fileType = done.fileType;
  r.fileSize = done.fileSize;
  r.targetFileName = done.targetFileName;
  r.faultCode = done.fault.faultCode;
  r.faultString = done.fault.faultString;
  r.startTime = done.startTime;
  r.completeTime = done.completeTime;
  auto& rec = records_[r.id] = std::move(r);
  complete(rec, false);
}

// ---------------- running ----------------

void TransferManager::admit(TransferRecord record) {
  record.id = nextId_++;
  record.state = 1;
  auto& r = records_[record.id] = std::move(record);
  persist(r);
  CWMPD_LOG(Info, kLog, "transfer " << r.id << " queued: " << (r.isDownload ? "download " : "upload ") << r.fileType
                                    << " (" << r.commandKey << ")");
  pump();
}

void TransferManager::arm() {
  if (stopped_) return;
  std::optional<std::int64_t> next;
  for (const auto& [id, r] : records_)
    if (r.state == 1 && (!next || r.notBefore < *next)) next = r.notBefore;
  timer_->cancel();
  if (!next || running_) return;
  const std::int64_t wait = std::max<std::int64_t>(0, *next - now());
  // The timer belongs to this manager: its work never outlives it.
  timer_->start(std::chrono::seconds(wait) + std::chrono::milliseconds(20), [this] { pump(); });
}

void TransferManager::pump() {
  if (stopped_ || running_) return;
  const std::int64_t t = now();
  TransferRecord* due = nullptr;
  for (auto& [id, r] : records_) {
    if (r.state != 1) continue;
    if (!r.windows.empty()) {
      // Not before a retry's pause is over (nextAttempt), nor before the window opens.
      auto start = nextWindowStart(r.windows, std::max(t, r.notBefore));
      if (!start) {
        // TR-069 A.4.1.8: none of the windows is left (the CPE was down through them).
        r.faultCode = 9020;
        r.faultString = "File transfer failure: unable to complete download within specified time windows";
        complete(r, false);
        return pump();
      }
      if (*start != r.notBefore) {
        r.notBefore = *start;
        persist(r);
      }
    }
    if (r.notBefore > t) continue;
    if (!due || r.notBefore < due->notBefore) due = &r;
  }
  if (due) launch(*due);
  arm();
}

std::string TransferManager::prepareUpload(const TransferRecord& r) {
  const std::string path = (fs::path(options_.dir) / ("upload-" + std::to_string(r.id))).string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (r.fileType.find("Configuration") != std::string::npos) {
    out << hooks_.exportConfiguration();
  } else {
    // The daemon's log where one is configured: its last part, bounded.
    std::ifstream in(options_.logFile, std::ios::binary);
    if (!options_.logFile.empty() && in) {
      in.seekg(0, std::ios::end);
      const std::streamoff size = in.tellg();
      const std::streamoff keep = std::min<std::streamoff>(size, static_cast<std::streamoff>(
                                                                     std::min<std::uint64_t>(options_.maxSize, 4u << 20)));
      in.seekg(size - keep);
      out << in.rdbuf();
    } else {
      out << "cwmpd: no log file configured ([transfers] log_file); logs go to stderr or syslog\n";
    }
  }
  if (!out.flush()) throw Fault(FaultCode::InternalError, "cannot write the upload file");
  return path;
}

void TransferManager::launch(TransferRecord& r) {
  if (worker_.joinable()) worker_.join();
  r.state = 2;
  r.startTime = isoTime(now());
  persist(r);
  std::string file;
  try {
    file = r.isDownload ? (fs::path(options_.dir) / ("download-" + std::to_string(r.id))).string() : prepareUpload(r);
  } catch (const std::exception& e) {
    CWMPD_LOG(Error, kLog, "transfer " << r.id << ": " << e.what());
    finished(r.id, 9002, "Internal error: cannot prepare the file", {});
    return;
  }
  transfer::FileTransferRequest req;
  req.url = r.url;
  req.username = r.username;
  req.password = r.password;
  req.caFile = options_.caFile;
  req.clientCert = options_.clientCert;
  req.clientKey = options_.clientKey;
  req.verifyPeer = options_.verifyPeer;
  req.connectTimeout = options_.connectTimeout;
  req.timeout = options_.timeout;
  req.usePost = options_.uploadWithPost;
  req.expectedSize = r.fileSize;
  req.maxBytes = options_.maxSize;
  struct statvfs st {};
  if (::statvfs(options_.dir.c_str(), &st) == 0)
    req.maxBytes = std::min<std::uint64_t>(req.maxBytes, static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize);
  abort_ = std::make_shared<std::atomic<bool>>(false);
  req.abort = abort_.get();
  running_ = r.id;
  CWMPD_LOG(Info, kLog, "transfer " << r.id << " started (" << (r.isDownload ? "download" : "upload") << ")");
  const bool download = r.isDownload;
  worker_ = std::thread([this, req, file, download, id = r.id, abort = abort_,
                         alive = std::weak_ptr<bool>(alive_)] {
    transfer::FileTransferResult res = download ? transfer::fetchToFile(req, file) : transfer::sendFile(req, file);
    // Aborted by stop(): nobody listens any more. Aborted by a BOOTSTRAP: finished()
    // frees the slot and the file.
    if (res.aborted && alive.expired()) return;
    boost::asio::post(io_, [this, res, file, id, alive] {
      if (alive.expired()) return;
      finished(id, res.faultCode, res.faultString, file);
    });
  });
}

void TransferManager::finished(std::uint64_t id, std::uint32_t faultCode, std::string faultString, std::string file) {
  if (worker_.joinable() && worker_.get_id() != std::this_thread::get_id()) worker_.join();
  running_ = 0;
  TransferRecord* r = find(id);
  std::error_code ec;
  if (!r) {
    if (!file.empty()) fs::remove(file, ec);
    return pump();
  }
  CWMPD_LOG(Info, kLog, "transfer " << id << " ended: " << (faultCode ? faultString : std::string("success")));
  if (faultCode && !r->windows.empty()) {
    // A failed scheduled download tries again: in its window while MaxRetries allow, else
    // in the next window, if any (TR-069 A.4.1.8).
    if (auto at = nextAttempt(*r, now())) {
      CWMPD_LOG(Info, kLog, "transfer " << id << " tries again in " << (*at - now()) << " s");
      r->state = 1;
      r->notBefore = *at;
      persist(*r);
      if (!file.empty()) fs::remove(file, ec);
      return pump();
    }
  }
  if (faultCode) {
    r->faultCode = transferFault(faultCode, r->isDownload);
    r->faultString = faultString;
    if (!file.empty()) fs::remove(file, ec);
    complete(*r, false);
  } else if (r->isDownload) {
    apply(*r, file);
  } else {
    fs::remove(file, ec);
    complete(*r, false);
  }
  pump();
}

// A firmware image is handed over under the name the ACS gave it (TargetFileName, else the
// URL's last path element), so that the HAL and DeviceInfo.FirmwareImage.{i}.Name show
// that rather than our temporary download name. Unusable names keep the temporary one.
std::string TransferManager::nameImage(const TransferRecord& r, const std::string& file) {
  const auto safe = sanitizeFileName(r.targetFileName.empty() ? urlFileName(r.url) : r.targetFileName);
  if (!safe) return file;
  const fs::path target = fs::path(file).parent_path() / *safe;
  std::error_code ec;
  if (target == fs::path(file) || fs::exists(target, ec)) return file;
  fs::rename(file, target, ec);
  return ec ? file : target.string();
}

void TransferManager::apply(TransferRecord& r, const std::string& file) {
  std::error_code ec;
  auto failWith = [&](std::uint32_t code, const std::string& why) {
    CWMPD_LOG(Warning, kLog, "transfer " << r.id << ": " << why);
    r.applying = false;
    r.faultCode = transferFault(code, true);
    r.faultString = why;
    r.completeTime = isoTime(now());
    fs::remove(file, ec);
    complete(r, false);
  };
  // Completed before the restart that applies it: persisted first, so that it arrives
  // after the reboot with "1 BOOT" (TR-069 A.3.2.8: TransferComplete follows the reboot).
  auto beforeRestart = [&] {
    r.applying = true;
    r.completeTime = isoTime(now());
    complete(r, true);
  };
  if (r.fileType == kFirmware) {
    if (!hooks_.applyFirmware) return failWith(9010, "no firmware apply action on this device");
    const std::string image = nameImage(r, file);
    beforeRestart();
    try {
      CWMPD_LOG(Notice, kLog, "installing firmware image " << image << " from transfer " << r.id);
      hooks_.applyFirmware(image);
    } catch (const std::exception& e) {
      fs::remove(image, ec);
      failWith(9010, std::string("firmware image refused: ") + e.what());
    }
    return;
  }
  if (r.fileType == kConfigFile) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    fs::remove(file, ec);
    try {
      hooks_.importConfiguration(text.str());
    } catch (const Fault& f) {
      return failWith(f.code() == 9002 ? 9002 : 9018, std::string("configuration file refused: ") + f.what());
    } catch (const std::exception& e) {
      return failWith(9002, std::string("configuration import failed: ") + e.what());
    }
    configurationApplied(r);
    CWMPD_LOG(Notice, kLog, "configuration imported from transfer " << r.id << "; restarting");
    if (!hooks_.reboot) {
      publishVendorFiles();
      r.completeTime = isoTime(now());
      return complete(r, false);
    }
    beforeRestart();
    hooks_.reboot();
    return;
  }
  if (auto it = fileTypes_.find(r.fileType); it != fileTypes_.end()) {
    sdk::DownloadedFile f;
    f.path = file;
    f.fileType = r.fileType;
    f.targetFileName = r.targetFileName.empty() ? std::string() : sanitizeFileName(r.targetFileName).value_or("");
    f.size = fs::file_size(file, ec);
    try {
      it->second(f);
    } catch (const Fault& fault) {
      // transferFault() turns a code TransferComplete cannot carry into 9010.
      return failWith(static_cast<std::uint32_t>(fault.code()), fault.what());
    } catch (const std::exception& e) {
      return failWith(9002, std::string("file type handler failed: ") + e.what());
    } catch (...) {
      return failWith(9002, "file type handler failed");
    }
    CWMPD_LOG(Info, kLog, "transfer " << r.id << " applied by the handler of '" << r.fileType << "'");
    fs::remove(file, ec);
    r.completeTime = isoTime(now());
    return complete(r, false);
  }
  // Web content, tone and ringer files: kept under store_dir with a safe name.
  std::string name = r.targetFileName;
  if (name.empty()) {
    std::string path = r.url.substr(0, r.url.find_first_of("?#"));
    name = path.substr(path.find_last_of('/') + 1);
  }
  std::string safe = sanitizeFileName(name).value_or("file-" + std::to_string(r.id));
  const fs::path target = fs::path(options_.storeDir) / safe;
  fs::rename(file, target, ec);
  if (ec) {
    fs::copy_file(file, target, fs::copy_options::overwrite_existing, ec);
    std::error_code ignored;
    fs::remove(file, ignored);
    if (ec) return failWith(9002, "cannot store the file: " + ec.message());
  }
  CWMPD_LOG(Info, kLog, "transfer " << r.id << " stored as " << target.string());
  r.completeTime = isoTime(now());
  complete(r, false);
}

// ---------------- TransferComplete ----------------

void TransferManager::complete(TransferRecord& r, bool beforeRestart) {
  r.state = 3;
  if (r.completeTime.rfind("0001-", 0) == 0) r.completeTime = isoTime(now());
  persist(r);
  if (hooks_.addEvent) {
    // TR-069 3.7.1.5: TransferComplete travels in a session whose Inform carries
    // "7 TRANSFER COMPLETE" (or "10 AUTONOMOUS TRANSFER COMPLETE") and "M <method>".
    const bool kick = !beforeRestart;
    try {
      if (r.kind == Kind::Autonomous) {
        hooks_.addEvent("10 AUTONOMOUS TRANSFER COMPLETE", "", kick);
      } else {
        hooks_.addEvent("7 TRANSFER COMPLETE", "", false);
        hooks_.addEvent(eventMethod(r.kind), r.commandKey, kick);
      }
    } catch (const std::exception& e) {
      CWMPD_LOG(Error, kLog, "cannot queue the transfer's events: " << e.what());
    }
  }
  if (!beforeRestart) deliver(r);
}

void TransferManager::deliver(const TransferRecord& r) {
  if (r.kind == Kind::Autonomous && hooks_.autonomousPolicy) {
    soap::Body b = requestFor(r);
    if (!hooks_.autonomousPolicy(std::get<soap::AutonomousTransferComplete>(b))) {
      CWMPD_LOG(Info, kLog, "autonomous transfer " << r.id << " not reported (AutonomousTransferCompletePolicy)");
      onCpeRequestOutcome(b, 0);
      return;
    }
  }
  soap::Body body = requestFor(r);
  const std::string method = r.kind == Kind::Autonomous ? "AutonomousTransferComplete" : "TransferComplete";
  if (hooks_.cpeMethodSupported && !hooks_.cpeMethodSupported(method)) {
    CWMPD_LOG(Warning, kLog, "the ACS does not support " << method << "; transfer " << r.id << " not reported");
    onCpeRequestOutcome(body, 8000);
    return;
  }
  if (hooks_.queueCpeRequest) hooks_.queueCpeRequest(body);
}

void TransferManager::onCpeRequestOutcome(const soap::Body& request, int faultCode) {
  const bool tc = std::holds_alternative<soap::TransferComplete>(request);
  const bool atc = std::holds_alternative<soap::AutonomousTransferComplete>(request);
  if (!tc && !atc) return;
  TransferRecord* match = nullptr;
  for (auto& [id, r] : records_) {
    if (r.state == 3 && !r.applying && requestFor(r) == request) {
      match = &r;
      break;
    }
  }
  if (!match) return;
  if (faultCode != 0 && faultCode != 8000) {
    // Another refusal: try again in a later session, a bounded number of times.
    if (++match->deliveries < kMaxDeliveries) {
      CWMPD_LOG(Warning, kLog, "ACS refused the report of transfer " << match->id << " with " << faultCode
                                                                      << "; trying again");
      persist(*match);
      ensureEvents(*match);
      if (hooks_.queueCpeRequest) hooks_.queueCpeRequest(request);
      return;
    }
    CWMPD_LOG(Error, kLog, "ACS refused the report of transfer " << match->id << " " << kMaxDeliveries
                                                                  << " times; dropping it");
  } else if (faultCode == 8000) {
    CWMPD_LOG(Warning, kLog, "ACS does not support the report of transfer " << match->id << "; dropping it");
  }
  const Kind kind = match->kind;
  forget(match->id);
  if (!hooks_.removeEvent) return;
  // "7 TRANSFER COMPLETE" stays while any other completed transfer still waits for its
  // report.
  bool sameKind = false, anyTc = false, anyAtc = false;
  for (const auto& [id, r] : records_) {
    if (r.state != 3) continue;
    sameKind = sameKind || r.kind == kind;
    anyTc = anyTc || r.kind != Kind::Autonomous;
    anyAtc = anyAtc || r.kind == Kind::Autonomous;
  }
  if (kind == Kind::Autonomous) {
    if (!anyAtc) hooks_.removeEvent("10 AUTONOMOUS TRANSFER COMPLETE");
    return;
  }
  if (!anyTc) hooks_.removeEvent("7 TRANSFER COMPLETE");
  // "M <method>" events carry the CommandKey: all of them go, and those of the reports
  // still pending come back, so that the acknowledged one's key is not announced again.
  hooks_.removeEvent(eventMethod(kind));
  if (!sameKind) return;
  for (const auto& [id, r] : records_)
    if (r.state == 3 && r.kind == kind) ensureEvents(r);
}

}  // namespace cwmpd::core
