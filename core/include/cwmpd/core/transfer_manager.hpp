// File transfers (TR-069 Amendment 6, A.3.2.8 Download, A.4.1.5 Upload, A.4.1.8
// ScheduleDownload, A.4.1.9 CancelTransfer, A.4.1.4/A.4.1.7 Get(All)QueuedTransfers) and
// what follows them: applying the file, and the TransferComplete /
// AutonomousTransferComplete the ACS gets in a later session.
//
// Every accepted transfer is a persisted record (keys "t:<id>:<field>" in the state
// store), so that a crash, a kill -9 or the reboot that installs a firmware image loses
// none: a record not yet started (state 1) is re-armed, one interrupted in flight
// (state 2) starts again, and a completed one (state 3) has its TransferComplete queued
// again until the ACS acknowledged it.
//
// One transfer runs at a time, on a worker thread (libcurl, streaming to a file in a
// bounded directory); its result is posted back to the main loop, which owns the
// records, the model and the session. Threading: every public method on the main loop.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>
#include <utility>

#include <boost/asio/io_context.hpp>

#include "cwmpd/core/clock.hpp"
#include "cwmpd/core/event_queue.hpp"
#include "cwmpd/core/soap/messages.hpp"
#include "cwmpd/core/store.hpp"
#include "cwmpd/sdk/plugin.hpp"

namespace cwmpd::core {

class PluginModel;
class SessionEngine;

struct TransferOptions {
  std::string dir;       // temporary space for downloads and uploads ([transfers] dir)
  std::string storeDir;  // where web content, tone and ringer files end up ([transfers] store_dir)
  std::uint64_t maxSize = 128ull << 20;  // largest file accepted ([transfers] max_size)
  std::size_t maxQueued = 16;            // transfers not yet completed ([transfers] max_queued)
  // TLS towards file servers: the same rules as towards the ACS ([acs] ca_file, ...).
  std::string caFile, clientCert, clientKey;
  bool verifyPeer = true;
  std::chrono::seconds connectTimeout{30};
  std::chrono::seconds timeout{3600};  // a whole transfer ([transfers] timeout)
  bool uploadWithPost = false;         // [transfers] upload_method = post
  std::string logFile;                 // what "2 Vendor Log File" uploads ([transfers] log_file)
  // Time and the scheduling timer (null: the system's clocks on the io_context).
  std::shared_ptr<Clock> clock;
};

// What the manager needs from the rest of the daemon. attach() fills the session parts
// from a SessionEngine; the daemon adds the HAL and engine parts; tests use fakes.
struct TransferHooks {
  // The CPE's own request for the next session (SessionEngine::queueCpeRequest).
  std::function<void(const soap::Body&)> queueCpeRequest;
  std::function<bool(const std::string& method)> cpeMethodSupported;
  // Queues an Inform event; `startSession` false only persists it (used right before a
  // restart, so that no session carries the TransferComplete before the reboot).
  std::function<void(const std::string& code, const std::string& key, bool startSession)> addEvent;
  std::function<void(const std::string& code)> removeEvent;
  std::function<std::vector<QueuedEvent>()> pendingEvents;
  // Installs a firmware image; may end in a restart (HAL firmware-apply action). Throws
  // on refusal.
  std::function<void(const std::string& imagePath)> applyFirmware;
  // Restart after a configuration file was imported.
  std::function<void()> reboot;
  // Runs a step that restarts the box (applying a firmware image or a configuration
  // file) now when no session with the ACS is open, else once it ended: a restart must
  // not cut the session (the daemon's RestartGate). Unset: the step runs at once.
  std::function<void(const std::string& what, std::function<void()> step)> whenIdle;
  // The persisted configuration as text (secrets excluded) and its atomic replacement
  // (throws sdk::Fault when the text is not a valid configuration for this model).
  std::function<std::string()> exportConfiguration;
  std::function<void(const std::string& text)> importConfiguration;
  // Whether AutonomousTransferComplete should be sent for this transfer
  // (ManagementServer.AutonomousTransferCompletePolicy); unset = always.
  std::function<bool(const soap::AutonomousTransferComplete&)> autonomousPolicy;
  // DeviceInfo.VendorConfigFile.{i} / VendorLogFile.{i} (named by the Upload FileTypes
  // "3 Vendor Configuration File <i>" / "4 Vendor Log File <i>", TR-069 A.4.1.5): makes
  // sure the instance for `key` exists in `table` ("VendorConfigFile" or "VendorLogFile"),
  // sets the listed parameters the model has, and returns the instance number; 0 when the
  // model has no such table. attachModel() fills it from the model (PluginModel: the same host
  // services a plugin uses).
  std::function<std::uint32_t(const std::string& table, const std::string& key,
                              const std::vector<std::pair<std::string, std::string>>& values)>
      publishVendorFile;
};

// A time window of ScheduleDownload, in absolute seconds since the epoch.
struct TransferWindow {
  std::int64_t start = 0;
  std::int64_t end = 0;
  std::string mode;
  int maxRetries = 0;  // TR-069 A.4.1.8 MaxRetries: -1 = as the CPE sees fit
  bool operator==(const TransferWindow&) const = default;
};

// The persisted form of one transfer.
struct TransferRecord {
  enum class Kind { Download, Upload, ScheduleDownload, Autonomous };
  std::uint64_t id = 0;
  Kind kind = Kind::Download;
  std::string commandKey, fileType, url, username, password, targetFileName;
  std::uint32_t fileSize = 0;
  std::int64_t notBefore = 0;  // earliest start, seconds since the epoch
  std::vector<TransferWindow> windows;
  int state = 1;  // 1 not yet started, 2 in progress, 3 completed (TransferComplete pending)
  bool isDownload = true;
  bool applying = false;  // completed and being applied across a restart
  int deliveries = 0;     // TransferComplete attempts the ACS refused
  int retryWindow = -1;   // ScheduleDownload: the window whose retries `retries` counts
  int retries = 0;        // failed attempts retried in that window
  std::uint32_t faultCode = 0;
  std::string faultString;
  std::string startTime = "0001-01-01T00:00:00Z";
  std::string completeTime = "0001-01-01T00:00:00Z";
  std::string announceUrl;  // autonomous transfers
  bool operator==(const TransferRecord&) const = default;
};

// ---- pieces exposed for unit tests ----------------------------------------------------

// A file name safe to create inside a directory: the last path element, only
// [A-Za-z0-9._-], not starting with '.', at most 128 characters. nullopt when nothing
// usable remains ("../../etc/passwd" -> "passwd"; ".." -> nullopt).
[[nodiscard]] std::optional<std::string> sanitizeFileName(std::string_view name);
// "http", "https" or "ftp" (lower case) for a URL the manager can fetch; "" otherwise.
[[nodiscard]] std::string transferScheme(std::string_view url);
// The start time of the first window (from `now` on) a transfer may still start in;
// nullopt when every window has passed.
[[nodiscard]] std::optional<std::int64_t> nextWindowStart(
    const std::vector<TransferWindow>& windows, std::int64_t now);
// TR-069 A.4.1.8 checks of a TimeWindowList made absolute from `now`: one or two windows,
// each ending after it starts, in order and not overlapping. Throws sdk::Fault 9003.
[[nodiscard]] std::vector<TransferWindow> makeWindows(
    const std::vector<soap::TimeWindowStruct>& list, std::int64_t now);
// Store (de)serialisation of records under "t:".
void saveRecord(Store& store, const TransferRecord& record);
void eraseRecord(Store& store, std::uint64_t id);
[[nodiscard]] std::vector<TransferRecord> loadRecords(const Store& store);
// "2026-11-25T13:40:00Z"
[[nodiscard]] std::string isoTime(std::int64_t epochSeconds);
// TR-069 A.4.1.8 MaxRetries after a failed attempt at `now`: the time of the next attempt
// (a retry in the window the attempt failed in while its MaxRetries allow, after a pause
// growing from 10 s; else the start of the next window), updating the record's retry
// count; nullopt when no window is left.
[[nodiscard]] std::optional<std::int64_t> nextAttempt(TransferRecord& record, std::int64_t now);

// A vendor FileType as TR-069 A.3.2.8 (and the schema's DownloadFileType) admits it:
// "X <OUI> <name>" with the OUI in six upper-case hex digits, or "X <organisation> <name>";
// printable ASCII, at most 64 characters. Throws std::invalid_argument naming the problem.
void checkVendorFileType(std::string_view type);

// Applies a downloaded file of a vendor type registered by a plugin (the SDK's handler).
// Throws sdk::Fault (its code goes into TransferComplete) when the file is refused.
using FileTypeHandler = sdk::FileTypeHandler;

class TransferManager {
 public:
  TransferManager(boost::asio::io_context& io, Store& state, TransferOptions options,
                  TransferHooks hooks);
  ~TransferManager();
  TransferManager(const TransferManager&) = delete;
  TransferManager& operator=(const TransferManager&) = delete;

  // Wires the manager into a session engine: the RPC actions (Download, Upload,
  // ScheduleDownload, CancelTransfer, GetQueuedTransfers, GetAllQueuedTransfers), the
  // CPE request listener and the event and request hooks. Call before start().
  void attach(SessionEngine& session);
  // Keeps DeviceInfo.VendorConfigFile / VendorLogFile of `model` in step with the agent's
  // own configuration and log (the publishVendorFile hook). Call before start().
  void attachModel(PluginModel& model);
  TransferHooks& hooks() { return hooks_; }

  // Loads the persisted records: re-arms waiting transfers, restarts interrupted ones,
  // queues the TransferComplete of completed ones (once, with their events).
  void start();
  // Aborts a running transfer (it stays in state 2 and starts again next time) and
  // joins the worker.
  void stop();

  // A vendor file type ("X 00D09E MyType") and what to do with such a file. Throws
  // std::invalid_argument for a type checkVendorFileType() refuses.
  void registerFileType(const std::string& fileType, FileTypeHandler handler);

  // The RPCs. Each throws sdk::Fault for what the spec answers with a SOAP fault.
  soap::DownloadResponse download(const soap::Download& request);
  soap::UploadResponse upload(const soap::Upload& request);
  void scheduleDownload(const soap::ScheduleDownload& request);
  void cancelTransfer(const std::string& commandKey);
  [[nodiscard]] std::vector<soap::QueuedTransferStruct> queuedTransfers() const;
  [[nodiscard]] std::vector<soap::AllQueuedTransferStruct> allQueuedTransfers() const;

  // A download the device decided itself (a plugin, the bus): fetched like any other and
  // reported with AutonomousTransferComplete and "10 AUTONOMOUS TRANSFER COMPLETE".
  void autonomousDownload(const std::string& url, const std::string& fileType,
                          const std::string& targetFileName, const std::string& username = {},
                          const std::string& password = {});
  // A transfer the device already completed by other means: reported only.
  void reportAutonomousTransfer(const soap::AutonomousTransferComplete& done);

  // The ACS's answer to a TransferComplete / AutonomousTransferComplete (0 = acknowledged).
  void onCpeRequestOutcome(const soap::Body& request, int faultCode);

  // A BOOTSTRAP (new ACS URL, factory reset; attach() wires it to the session engine):
  // every transfer the old ACS asked for goes, waiting, running (aborted) or completed
  // with its TransferComplete still pending, with its persisted record and its events.
  // The device's own (autonomous) transfers stay.
  void discardForBootstrap();

  // Records, for tests and diagnostics.
  [[nodiscard]] std::vector<TransferRecord> records() const;
  // The DeviceInfo.VendorConfigFile / VendorLogFile instances of the agent's own
  // configuration and log (0: none in this model).
  [[nodiscard]] std::uint32_t vendorConfigInstance() const { return vendorConfigInstance_; }
  [[nodiscard]] std::uint32_t vendorLogInstance() const { return vendorLogInstance_; }

 private:
  [[nodiscard]] std::int64_t now() const { return clock_->seconds(); }
  struct Job;
  void admit(TransferRecord record);
  void pump();
  void arm();
  void launch(TransferRecord& record);
  void finished(std::uint64_t id, std::uint32_t faultCode, std::string faultString,
                const std::string& file);
  void complete(TransferRecord& record, bool beforeRestart);
  void deliver(const TransferRecord& record);
  void ensureEvents(const TransferRecord& record);
  void sessionEnded();
  void publishVendorFiles();
  void configurationApplied(const TransferRecord& record);
  void apply(TransferRecord& record, const std::string& file);
  static std::string nameImage(const TransferRecord& record, const std::string& file);
  TransferRecord* find(std::uint64_t id);
  std::size_t activeCount() const;
  void checkSpace(std::uint64_t bytes) const;
  template <typename Request>
  TransferRecord downloadRecord(TransferRecord::Kind kind, const Request& request) const;
  void checkDownload(const std::string& url, const std::string& fileType,
                     const std::string& targetFileName, std::uint32_t fileSize) const;
  std::string prepareUpload(const TransferRecord& record);
  void persist(const TransferRecord& record);
  void forget(std::uint64_t id);

  boost::asio::io_context& io_;
  Store& state_;
  TransferOptions options_;
  TransferHooks hooks_;
  std::shared_ptr<Clock> clock_;
  std::unique_ptr<Timer> timer_;
  std::map<std::uint64_t, TransferRecord> records_;
  std::map<std::string, FileTypeHandler> fileTypes_;
  std::uint64_t nextId_ = 1;
  std::thread worker_;
  std::uint64_t running_ = 0;  // id of the record in flight, 0 = none
  std::shared_ptr<std::atomic<bool>> abort_;
  std::shared_ptr<bool> alive_;
  std::shared_ptr<bool> life_ = std::make_shared<bool>(true);  // the object, for listeners
  std::uint32_t vendorConfigInstance_ = 0;
  std::uint32_t vendorLogInstance_ = 0;
  bool stopped_ = false;
};

}  // namespace cwmpd::core
