// TransferManager: running transfers (the worker), applying what they fetched,
// TransferComplete and its delivery.
#include "cwmpd/core/transfer_manager.hpp"

#include "transfer/transfer_internal.hpp"

namespace cwmpd::core {

using namespace transfer_detail;

// ---------------- running ----------------

void TransferManager::admit(TransferRecord record) {
  record.id = nextId_++;
  record.state = 1;
  auto& r = records_[record.id] = std::move(record);
  persist(r);
  CWMPD_LOG(Info, kLog,
            "transfer " << r.id << " queued: " << (r.isDownload ? "download " : "upload ")
                        << r.fileType << " (" << r.commandKey << ")");
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
        r.faultString =
            "File transfer failure: unable to complete download within specified time windows";
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
  std::string path = (fs::path(options_.dir) / ("upload-" + std::to_string(r.id))).string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (r.fileType.find("Configuration") != std::string::npos) {
    out << hooks_.exportConfiguration();
  } else {
    // The daemon's log where one is configured: its last part, bounded.
    std::ifstream in(options_.logFile, std::ios::binary);
    if (!options_.logFile.empty() && in) {
      in.seekg(0, std::ios::end);
      const std::streamoff size = in.tellg();
      const std::streamoff keep = std::min<std::streamoff>(
          size, static_cast<std::streamoff>(std::min<std::uint64_t>(options_.maxSize, 4u << 20)));
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
    file = r.isDownload ? (fs::path(options_.dir) / ("download-" + std::to_string(r.id))).string()
                        : prepareUpload(r);
  } catch (const std::exception& e) {
    CWMPD_LOG(Error, kLog, "transfer " << r.id << ": " << e.what());
    finished(r.id, 9002, "Internal error: cannot prepare the file", {});
    return;
  }
  transfer::FileTransferRequest req;
  req.url = r.url;
  req.username = r.username;
  req.password = r.password;
  transfer::applyServerSettings(req, options_);
  req.usePost = options_.uploadWithPost;
  req.expectedSize = r.fileSize;
  req.maxBytes = options_.maxSize;
  struct statvfs st {};
  if (::statvfs(options_.dir.c_str(), &st) == 0)
    req.maxBytes = std::min<std::uint64_t>(req.maxBytes,
                                           static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize);
  abort_ = std::make_shared<std::atomic<bool>>(false);
  req.abort = abort_.get();
  running_ = r.id;
  CWMPD_LOG(Info, kLog,
            "transfer " << r.id << " started (" << (r.isDownload ? "download" : "upload") << ")");
  const bool download = r.isDownload;
  worker_ = std::thread(
      [this, req, file, download, id = r.id, abort = abort_, alive = std::weak_ptr<bool>(alive_)] {
        transfer::FileTransferResult res =
            download ? transfer::fetchToFile(req, file) : transfer::sendFile(req, file);
        // Aborted by stop(): nobody listens any more. Aborted by a BOOTSTRAP: finished()
        // frees the slot and the file.
        if (res.aborted && alive.expired()) return;
        boost::asio::post(io_, [this, res, file, id, alive] {
          if (alive.expired()) return;
          finished(id, res.faultCode, res.faultString, file);
        });
      });
}

void TransferManager::finished(std::uint64_t id, std::uint32_t faultCode, std::string faultString,
                               const std::string& file) {
  if (worker_.joinable() && worker_.get_id() != std::this_thread::get_id()) worker_.join();
  running_ = 0;
  TransferRecord* r = find(id);
  std::error_code ec;
  if (!r) {
    if (!file.empty()) fs::remove(file, ec);
    return pump();
  }
  CWMPD_LOG(Info, kLog,
            "transfer " << id << " ended: " << (faultCode ? faultString : std::string("success")));
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
    r->faultString = std::move(faultString);
    if (!file.empty()) fs::remove(file, ec);
    complete(*r, false);
  } else if (r->isDownload && hooks_.whenIdle &&
             (r->fileType == kFirmware || r->fileType == kConfigFile)) {
    // Both restart the box: TR-069 lets the session end first (the ACS would see it cut).
    hooks_.whenIdle("transfer " + std::to_string(id),
                    [this, id, file, life = std::weak_ptr<bool>(life_)] {
                      if (life.expired()) return;
                      if (TransferRecord* rec = find(id)) return apply(*rec, file);
                      std::error_code gone;  // dropped meanwhile (a BOOTSTRAP)
                      fs::remove(file, gone);
                    });
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
  const auto safe =
      sanitizeFileName(r.targetFileName.empty() ? urlFileName(r.url) : r.targetFileName);
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
      return failWith(f.code() == 9002 ? 9002 : 9018,
                      std::string("configuration file refused: ") + f.what());
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
    f.targetFileName =
        r.targetFileName.empty() ? std::string() : sanitizeFileName(r.targetFileName).value_or("");
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
    CWMPD_LOG(Info, kLog,
              "transfer " << r.id << " applied by the handler of '" << r.fileType << "'");
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
      CWMPD_LOG(
          Info, kLog,
          "autonomous transfer " << r.id << " not reported (AutonomousTransferCompletePolicy)");
      onCpeRequestOutcome(b, 0);
      return;
    }
  }
  soap::Body body = requestFor(r);
  const std::string method =
      r.kind == Kind::Autonomous ? "AutonomousTransferComplete" : "TransferComplete";
  if (hooks_.cpeMethodSupported && !hooks_.cpeMethodSupported(method)) {
    CWMPD_LOG(Warning, kLog,
              "the ACS does not support " << method << "; transfer " << r.id << " not reported");
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
      CWMPD_LOG(Warning, kLog,
                "ACS refused the report of transfer " << match->id << " with " << faultCode
                                                      << "; trying again");
      persist(*match);
      ensureEvents(*match);
      if (hooks_.queueCpeRequest) hooks_.queueCpeRequest(request);
      return;
    }
    CWMPD_LOG(Error, kLog,
              "ACS refused the report of transfer " << match->id << " " << kMaxDeliveries
                                                    << " times; dropping it");
  } else if (faultCode == 8000) {
    CWMPD_LOG(Warning, kLog,
              "ACS does not support the report of transfer " << match->id << "; dropping it");
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
