#include "cwmpd/core/transfer_manager.hpp"

#include "transfer/transfer_internal.hpp"

namespace cwmpd::core {

using namespace transfer_detail;

TransferManager::TransferManager(boost::asio::io_context& io, Store& state, TransferOptions options,
                                 TransferHooks hooks)
    : io_(io),
      state_(state),
      options_(std::move(options)),
      hooks_(std::move(hooks)),
      clock_(options_.clock ? options_.clock : makeLoopClock(io)),
      timer_(clock_->timer()),
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
  rpc.provide<soap::GetQueuedTransfers>([this](const soap::GetQueuedTransfers&) {
    return soap::GetQueuedTransfersResponse{queuedTransfers()};
  });
  rpc.provide<soap::GetAllQueuedTransfers>([this](const soap::GetAllQueuedTransfers&) {
    return soap::GetAllQueuedTransfersResponse{allQueuedTransfers()};
  });
  session.addCpeRequestListener(
      [this](const soap::Body& b, int code) { onCpeRequestOutcome(b, code); });
  SessionEngine* s = &session;
  hooks_.queueCpeRequest = [s](const soap::Body& b) { s->queueCpeRequest(b); };
  hooks_.cpeMethodSupported = [s](const std::string& m) { return s->cpeMethodSupported(m); };
  hooks_.addEvent = [s](const std::string& code, const std::string& key, bool startSession) {
    if (startSession)
      s->raiseEvent(code, key);
    else
      s->events().add(code, key);
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
  hooks_.publishVendorFile =
      [m](const std::string& table, const std::string& key,
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
    CWMPD_LOG(Notice, kLog,
              "BOOTSTRAP: transfer " << id << " (" << records_[id].commandKey
                                     << ") of the old ACS dropped");
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
         {"Description",
          "Parameter values, instances and attributes set through the agent (secrets excluded)"},
         {"UseForBackupRestore", "true"}});
    if (options_.logFile.empty()) return;
    // TR-181: Name is the path, or a shorter name derived from it (64 characters at most).
    const fs::path log(options_.logFile);
    std::string logName =
        log.string().size() <= 64 ? log.string() : log.filename().string().substr(0, 64);
    vendorLogInstance_ = hooks_.publishVendorFile(
        "VendorLogFile", kLogKey,
        {{"Name", logName},
         {"MaximumSize", "0"},  // the agent does not bound a log it does not write itself: unknown
         {"Persistent",
          persistentFileSystem(log.parent_path().empty() ? "." : log.parent_path().string())
              ? "true"
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
    throw Fault(FaultCode::ResourcesExceeded, "file of " + std::to_string(bytes) +
                                                  " bytes exceeds the limit of " +
                                                  std::to_string(options_.maxSize));
  struct statvfs st {};
  if (!options_.dir.empty() && ::statvfs(options_.dir.c_str(), &st) == 0) {
    const std::uint64_t free = static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
    if (bytes > free)
      throw Fault(FaultCode::ResourcesExceeded, "not enough free space for the file");
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
      CWMPD_LOG(
          Info, kLog,
          "transfer " << r.id << " (" << r.commandKey << ") was interrupted; starting it again");
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
  const std::string code =
      r.kind == Kind::Autonomous ? "10 AUTONOMOUS TRANSFER COMPLETE" : "7 TRANSFER COMPLETE";
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
                                    const std::string& targetFileName,
                                    std::uint32_t fileSize) const {
  if (url.empty()) throw Fault(FaultCode::InvalidArguments, "empty URL");
  if (transferScheme(url).empty())
    throw Fault(FaultCode::UnsupportedTransferProtocol, "unsupported protocol in URL");
  if (!standardDownloadType(fileType) && !fileTypes_.count(fileType))
    throw Fault(FaultCode::InvalidArguments, "unsupported FileType '" + fileType + "'");
  if (fileType == kConfigFile && !hooks_.importConfiguration)
    throw Fault(FaultCode::InvalidArguments, "configuration files cannot be applied here");
  if (!targetFileName.empty() && !sanitizeFileName(targetFileName))
    throw Fault(FaultCode::InvalidArguments, "unusable TargetFileName");
  if (activeCount() >= options_.maxQueued)
    throw Fault(FaultCode::ResourcesExceeded, "transfer queue full");
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
  if (transferScheme(u.url).empty())
    throw Fault(FaultCode::UnsupportedTransferProtocol, "unsupported protocol in URL");
  // TR-069 A.4.1.5: "3 Vendor Configuration File <i>" / "4 Vendor Log File <i>" name an
  // instance of DeviceInfo.VendorConfigFile / VendorLogFile; this agent has one of each
  // (its own configuration and log). Another number names nothing: invalid arguments.
  const std::uint32_t configInstance = instanceOf(u.fileType, "3 Vendor Configuration File ");
  const std::uint32_t logInstance = instanceOf(u.fileType, "4 Vendor Log File ");
  if ((configInstance && configInstance != vendorConfigInstance_) ||
      (logInstance && logInstance != vendorLogInstance_))
    throw Fault(FaultCode::InvalidArguments,
                "no " + u.fileType.substr(2, u.fileType.rfind(' ') - 2) + " instance " +
                    u.fileType.substr(u.fileType.rfind(' ') + 1));
  const bool config = u.fileType == "1 Vendor Configuration File" || configInstance;
  const bool log = u.fileType == "2 Vendor Log File" || logInstance;
  if (!config && !log)
    throw Fault(FaultCode::InvalidArguments, "unsupported FileType '" + u.fileType + "'");
  if (config && !hooks_.exportConfiguration)
    throw Fault(FaultCode::InvalidArguments, "configuration export is not available");
  if (activeCount() >= options_.maxQueued)
    throw Fault(FaultCode::ResourcesExceeded, "transfer queue full");
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
    if (w.mode.starts_with('3'))
      CWMPD_LOG(
          Notice, kLog,
          "time window mode '" << w.mode << "' is treated as '1 At Any Time' (no idle detection)");
    else if (w.mode.starts_with('4'))
      CWMPD_LOG(
          Notice, kLog,
          "time window mode '" << w.mode << "' is skipped: nobody can confirm on this device");
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
  if (ids.empty())
    throw Fault(FaultCode::InvalidArguments, "no queued transfer with this CommandKey");
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
                                         const std::string& targetFileName,
                                         const std::string& username, const std::string& password) {
  if (transferScheme(url).empty())
    throw Fault(FaultCode::UnsupportedTransferProtocol, "unsupported protocol in URL");
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

}  // namespace cwmpd::core
