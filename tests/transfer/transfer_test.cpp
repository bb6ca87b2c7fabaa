// Unit tests of the transfer manager's pieces and of the manager itself against a real
// loopback file server (tests/transfer/file_server.py), with fake session hooks.
#include <gtest/gtest.h>
#include <sys/vfs.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include "cwmpd/core/engine.hpp"
#include "cwmpd/core/transfer_manager.hpp"
#include "cwmpd/sdk/fault.hpp"
#include "file_server.hpp"
#include "manual_clock.hpp"

namespace cwmpd::core {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct TempDir {
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "cwmpd-transfer-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string path;
};

std::string readFile(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

int faultOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const sdk::Fault& e) {
    return e.code();
  }
  return 0;
}

// ---------------- pure pieces ----------------

TEST(SanitizeFileName, KeepsOnlyTheLastElementAndSafeCharacters) {
  EXPECT_EQ(sanitizeFileName("image.bin"), "image.bin");
  EXPECT_EQ(sanitizeFileName("../../etc/passwd"), "passwd");
  EXPECT_EQ(sanitizeFileName("dir\\evil.txt"), "evil.txt");
  EXPECT_EQ(sanitizeFileName("ring tone;rm -rf.wav"), "ring_tone_rm_-rf.wav");
  EXPECT_EQ(sanitizeFileName("..hidden"), "hidden");
  EXPECT_EQ(sanitizeFileName(".."), std::nullopt);
  EXPECT_EQ(sanitizeFileName("a/"), std::nullopt);
  EXPECT_EQ(sanitizeFileName(""), std::nullopt);
  EXPECT_EQ(sanitizeFileName(std::string(200, 'a')), std::nullopt);
}

TEST(TransferScheme, AcceptsHttpHttpsAndFtpInAnyCase) {
  EXPECT_EQ(transferScheme("http://a/b"), "http");
  EXPECT_EQ(transferScheme("HTTPS://a/b"), "https");
  EXPECT_EQ(transferScheme("ftp://a/b"), "ftp");
  EXPECT_EQ(transferScheme("file:///etc/passwd"), "");
  EXPECT_EQ(transferScheme("tftp://a/b"), "");
  EXPECT_EQ(transferScheme("no-scheme"), "");
}

TEST(TimeWindows, AreMadeAbsoluteAndCheckedForOrderAndOverlap) {
  auto w = makeWindows({{10, 20, "1 At Any Time", "", -1}, {30, 40, "2 Immediately", "", 0}}, 1000);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].start, 1010);
  EXPECT_EQ(w[0].end, 1020);
  EXPECT_EQ(w[1].mode, "2 Immediately");
  EXPECT_EQ(faultOf([] { (void)makeWindows({}, 0); }), 9003);
  EXPECT_EQ(faultOf([] { (void)makeWindows({{5, 5, "1 At Any Time", "", 0}}, 0); }), 9003);
  EXPECT_EQ(
      faultOf([] {
        (void)makeWindows({{0, 20, "1 At Any Time", "", 0}, {10, 30, "1 At Any Time", "", 0}}, 0);
      }),
      9003);
  std::vector<soap::TimeWindowStruct> three(3, {0, 1, "1 At Any Time", "", 0});
  EXPECT_EQ(faultOf([&] { (void)makeWindows(three, 0); }), 9003);
}

TEST(TimeWindows, NextStartIsNowInsideAWindowTheNextWindowBetweenThemAndNothingAfter) {
  std::vector<TransferWindow> w = {{100, 200, "1 At Any Time"}, {300, 400, "1 At Any Time"}};
  EXPECT_EQ(nextWindowStart(w, 50), 100);
  EXPECT_EQ(nextWindowStart(w, 150), 150);
  EXPECT_EQ(nextWindowStart(w, 250), 300);
  EXPECT_EQ(nextWindowStart(w, 400), std::nullopt);
}

TEST(TimeWindows, AConfirmationNeededWindowIsNeverUsedByAHeadlessAgent) {
  std::vector<TransferWindow> w = {{100, 200, "4 Confirmation Needed"}, {300, 400, "3 When Idle"}};
  EXPECT_EQ(nextWindowStart(w, 50), 300);
  EXPECT_EQ(nextWindowStart(w, 150), 300);
  w.pop_back();
  EXPECT_EQ(nextWindowStart(w, 50), std::nullopt);
}

TEST(TimeWindows, MaxRetriesAllowsRetriesInsideTheFailedWindowThenMovesToTheNext) {
  TransferRecord r;
  r.windows = {{100, 200, "1 At Any Time", 2}, {300, 400, "1 At Any Time", 0}};
  // Two retries in the first window, after 10 s and then 20 s...
  EXPECT_EQ(nextAttempt(r, 110), 120);
  EXPECT_EQ(r.retries, 1);
  EXPECT_EQ(nextAttempt(r, 125), 145);
  // ...then its MaxRetries are used up: the next window, with a fresh count.
  EXPECT_EQ(nextAttempt(r, 150), 300);
  EXPECT_EQ(r.retryWindow, 1);
  EXPECT_EQ(r.retries, 0);
  // MaxRetries 0 in the last window: nothing is left.
  EXPECT_EQ(nextAttempt(r, 310), std::nullopt);
}

TEST(TimeWindows, MaxRetriesMinusOneRetriesABoundedNumberOfTimesAndNeverPastTheWindowEnd) {
  TransferRecord r;
  r.windows = {{0, 100000, "1 At Any Time", -1}};
  int retries = 0;
  std::int64_t t = 10;
  while (auto at = nextAttempt(r, t)) {
    ASSERT_GT(*at, t);
    t = *at + 1;
    ++retries;
    ASSERT_LT(retries, 100);
  }
  EXPECT_GE(retries, 1);
  EXPECT_LE(retries, 5);
  // A pause that would end after the window: no retry in it.
  TransferRecord late;
  late.windows = {{0, 105, "1 At Any Time", 5}};
  EXPECT_EQ(nextAttempt(late, 100), std::nullopt);
}

TEST(VendorFileTypes, FollowTheOuiOrOrganisationFormAndAnythingElseIsRefused) {
  EXPECT_NO_THROW(checkVendorFileType("X 00005E Example Text"));
  EXPECT_NO_THROW(checkVendorFileType("X 00D09E Bundle"));
  EXPECT_NO_THROW(checkVendorFileType("X CT-COM Bundle"));
  for (const std::string& bad : std::vector<std::string>{
           "1 Firmware Upgrade Image", "X 00005e Lower Case OUI", "X 00005E", "X 00005E ",
           "X  Name", "Y 00005E Name", "X 00005E Tab\there", "X 00005E " + std::string(60, 'n'),
           std::string("X 00005E caf\xc3\xa9")}) {
    EXPECT_THROW(checkVendorFileType(bad), std::invalid_argument) << bad;
  }
}

TEST(TransferRecords, SurviveAStoreWrittenToDiskAndReadBack) {
  TempDir dir;
  TransferRecord r;
  r.id = 7;
  r.kind = TransferRecord::Kind::ScheduleDownload;
  r.commandKey = "key with\ttab";
  r.fileType = "1 Firmware Upgrade Image";
  r.url = "https://127.0.0.1/x";
  r.username = "u";
  r.password = "p";
  r.fileSize = 1234;
  r.targetFileName = "fw.bin";
  r.notBefore = 99;
  r.windows = {{1, 2, "1 At Any Time", -1}, {3, 4, "2 Immediately", 2}};
  r.retryWindow = 1;
  r.retries = 2;
  r.state = 3;
  r.applying = true;
  r.deliveries = 2;
  r.faultCode = 9016;
  r.faultString = "not found";
  r.startTime = "2026-01-01T00:00:00Z";
  {
    Store s(dir.path + "/s.db");
    saveRecord(s, r);
    s.commit();
  }
  Store s(dir.path + "/s.db");
  s.load();
  auto loaded = loadRecords(s);
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0], r);
  eraseRecord(s, 7);
  EXPECT_TRUE(loadRecords(s).empty());
}

// ---------------- the manager against a real file server ----------------

class TransferManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<test::FileServer>(dir_.path + "/server");
    store_.load();
    makeManager();
  }
  void TearDown() override {
    if (manager_) manager_->stop();
  }

  void makeManager(std::uint64_t maxSize = 1 << 20, bool post = false) {
    if (manager_) manager_->stop();
    manager_.reset();
    TransferOptions o;
    o.dir = dir_.path + "/tmp";
    o.storeDir = dir_.path + "/files";
    o.maxSize = maxSize;
    o.maxQueued = 4;
    o.connectTimeout = 5s;
    o.timeout = 30s;
    o.clock = clock_;
    o.uploadWithPost = post;
    TransferHooks h;
    h.queueCpeRequest = [this](const soap::Body& b) { requests_.push_back(b); };
    h.cpeMethodSupported = [this](const std::string& m) { return m != unsupported_; };
    h.addEvent = [this](const std::string& c, const std::string& k, bool) {
      events_.push_back({c, k});
    };
    h.removeEvent = [this](const std::string& c) {
      std::erase_if(events_, [&](const QueuedEvent& e) { return e.code == c; });
    };
    h.pendingEvents = [this] { return events_; };
    h.applyFirmware = [this](const std::string& path) {
      firmware_ = readFile(path);
      firmwareName_ = std::filesystem::path(path).filename().string();
    };
    h.reboot = [this] { ++reboots_; };
    h.exportConfiguration = [] { return std::string("exported configuration\n"); };
    h.importConfiguration = [this](const std::string& text) {
      if (text.rfind("cwmpd-config", 0) != 0) throw sdk::Fault(9018, "not a configuration");
      imported_ = text;
    };
    o.logFile = logFile_;
    manager_ = std::make_unique<TransferManager>(io_, store_, o, h);
    for (const auto& [type, handler] : fileTypes_) manager_->registerFileType(type, handler);
    if (model_) manager_->attachModel(*model_);
    manager_->start();
  }

  // Runs the loop (transfers themselves take real time on their thread) until `done`.
  // The manager's time moves only here, from one timer to the next (a retry's pause, a
  // short delay) while they are near; far ones (DelaySeconds 100000) stay in the future.
  bool runUntil(const std::function<bool()>& done, std::chrono::seconds limit = 15s) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < end) {
      io_.restart();
      io_.run_for(20ms);
      if (!done() && clock_->nextDue() <= std::chrono::nanoseconds(60s)) clock_->advanceToNext();
    }
    return done();
  }

  soap::TransferComplete waitTransferComplete(std::chrono::seconds limit = 15s) {
    EXPECT_TRUE(runUntil([&] { return !requests_.empty(); }, limit));
    if (requests_.empty()) return {};
    auto* tc = std::get_if<soap::TransferComplete>(&requests_.back());
    EXPECT_NE(tc, nullptr);
    return tc ? *tc : soap::TransferComplete{};
  }

  soap::Download download(const std::string& url, const std::string& type = "2 Web Content") {
    soap::Download d;
    d.commandKey = "ck";
    d.fileType = type;
    d.url = url;
    d.username = "user";
    d.password = "secret";
    return d;
  }

  bool hasEvent(const std::string& code, const std::string& key = {}) {
    for (const auto& e : events_)
      if (e.code == code && (key.empty() || e.commandKey == key)) return true;
    return false;
  }

  TempDir dir_;
  std::unique_ptr<test::FileServer> server_;
  boost::asio::io_context io_;
  std::shared_ptr<test::ManualClock> clock_ = std::make_shared<test::ManualClock>();
  Store store_{dir_.path + "/state.db"};
  std::unique_ptr<TransferManager> manager_;
  std::vector<soap::Body> requests_;
  std::vector<QueuedEvent> events_;
  std::string unsupported_, firmware_, firmwareName_, imported_;
  int reboots_ = 0;
  std::map<std::string, FileTypeHandler> fileTypes_;  // registered by makeManager()
  Engine* model_ = nullptr;                           // attached by makeManager()
  std::string logFile_;
};

TEST_F(TransferManagerTest, RefusesUnsupportedProtocolsTypesNamesAndSizesBeforeQueueing) {
  EXPECT_EQ(faultOf([&] { (void)manager_->download(download("tftp://127.0.0.1/x")); }), 9013);
  EXPECT_EQ(
      faultOf([&] { (void)manager_->download(download(server_->url("/files/x"), "9 Nonsense")); }),
      9003);
  auto bad = download(server_->url("/files/x"));
  bad.targetFileName = "..";
  EXPECT_EQ(faultOf([&] { (void)manager_->download(bad); }), 9003);
  auto big = download(server_->url("/files/x"));
  big.fileSize = (1 << 20) + 1;
  EXPECT_EQ(faultOf([&] { (void)manager_->download(big); }), 9004);
  EXPECT_TRUE(manager_->records().empty());
}

TEST_F(TransferManagerTest, StoresWebContentUnderASanitisedNameAndReportsSuccess) {
  server_->put("page.html", "<html>hello</html>");
  auto d = download(server_->url("/digest/page.html"));
  d.targetFileName = "../../escape.html";
  d.fileSize = 18;
  auto resp = manager_->download(d);
  EXPECT_EQ(resp.status, 1);
  auto tc = waitTransferComplete();
  EXPECT_EQ(tc.commandKey, "ck");
  EXPECT_EQ(tc.fault.faultCode, 0u) << tc.fault.faultString;
  EXPECT_EQ(readFile(dir_.path + "/files/escape.html"), "<html>hello</html>");
  EXPECT_FALSE(fs::exists(dir_.path + "/escape.html"));
  EXPECT_NE(tc.startTime.rfind("0001-", 0), 0u);
  EXPECT_TRUE(hasEvent("7 TRANSFER COMPLETE"));
  EXPECT_TRUE(hasEvent("M Download", "ck"));
  // The ACS acknowledges: the record and the events go.
  manager_->onCpeRequestOutcome(requests_.back(), 0);
  EXPECT_TRUE(manager_->records().empty());
  EXPECT_FALSE(hasEvent("7 TRANSFER COMPLETE"));
}

TEST_F(TransferManagerTest, MapsServerFailuresOntoTransferCompleteFaults) {
  server_->put("f.bin", std::string(100, 'x'));
  struct Case {
    std::string url;
    std::uint32_t size;
    std::uint32_t fault;
  };
  const std::vector<Case> cases = {
      {server_->url("/files/missing.bin"), 0, 9016},  // 404
      {"http://127.0.0.1:1/f.bin", 0, 9015},          // nothing listens
      {server_->url("/files/f.bin"), 150, 9017},      // fewer bytes than FileSize
      {server_->url("/files/f.bin"), 50, 9010},       // more bytes than FileSize
      {server_->url("/short/f.bin"), 0, 9017},        // connection closed early
  };
  for (const auto& c : cases) {
    requests_.clear();
    auto d = download(c.url);
    d.fileSize = c.size;
    manager_->download(d);
    auto tc = waitTransferComplete();
    EXPECT_EQ(tc.fault.faultCode, c.fault) << c.url << ": " << tc.fault.faultString;
    EXPECT_FALSE(tc.fault.faultString.empty());
    manager_->onCpeRequestOutcome(requests_.back(), 0);
  }
  // Bad credentials.
  requests_.clear();
  auto d = download(server_->url("/basic/f.bin"));
  d.password = "wrong";
  manager_->download(d);
  EXPECT_EQ(waitTransferComplete().fault.faultCode, 9012u);
}

TEST_F(TransferManagerTest, RefusesAFileLargerThanTheLimitWhileDownloading) {
  makeManager(1024);
  server_->put("big.bin", std::string(4096, 'b'));
  manager_->download(download(server_->url("/files/big.bin")));
  auto tc = waitTransferComplete();
  EXPECT_EQ(tc.fault.faultCode, 9010u) << tc.fault.faultString;
  EXPECT_TRUE(fs::is_empty(dir_.path + "/tmp"));
}

TEST_F(TransferManagerTest, PersistsTheCompletedFirmwareBeforeApplyingItAndReportsAfterTheRestart) {
  server_->put("fw.img", "version=2.0.0\nimage bytes");
  manager_->download(download(server_->url("/files/fw.img"), "1 Firmware Upgrade Image"));
  ASSERT_TRUE(runUntil([&] { return !firmware_.empty(); }));
  EXPECT_EQ(firmware_, "version=2.0.0\nimage bytes");
  EXPECT_EQ(firmwareName_, "fw.img") << "the image keeps the name of the URL";
  // Nothing goes to the ACS before the restart, but the events are persisted.
  EXPECT_TRUE(requests_.empty());
  EXPECT_TRUE(hasEvent("7 TRANSFER COMPLETE"));
  auto recs = manager_->records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_TRUE(recs[0].applying);
  // The "reboot": a new manager over the same store.
  makeManager();
  ASSERT_EQ(requests_.size(), 1u);
  auto* tc = std::get_if<soap::TransferComplete>(&requests_[0]);
  ASSERT_NE(tc, nullptr);
  EXPECT_EQ(tc->fault.faultCode, 0u);
  EXPECT_EQ(tc->commandKey, "ck");
}

TEST_F(TransferManagerTest, ImportsAConfigurationFileAndRefusesACorruptOne) {
  server_->put("good.cfg", "cwmpd-config 1 Device\n");
  server_->put("bad.cfg", "garbage");
  manager_->download(download(server_->url("/files/bad.cfg"), "3 Vendor Configuration File"));
  EXPECT_EQ(waitTransferComplete().fault.faultCode, 9018u);
  requests_.clear();
  manager_->download(download(server_->url("/files/good.cfg"), "3 Vendor Configuration File"));
  ASSERT_TRUE(runUntil([&] { return reboots_ == 1; }));
  EXPECT_EQ(imported_, "cwmpd-config 1 Device\n");
}

TEST_F(TransferManagerTest, UploadsTheConfigurationWithPutBehindDigest) {
  soap::Upload u;
  u.commandKey = "up";
  u.fileType = "1 Vendor Configuration File";
  u.url = server_->url("/digest/upload/config.txt");
  u.username = "user";
  u.password = "secret";
  EXPECT_EQ(manager_->upload(u).status, 1);
  auto tc = waitTransferComplete();
  EXPECT_EQ(tc.fault.faultCode, 0u) << tc.fault.faultString;
  EXPECT_EQ(server_->uploaded("config.txt"), "exported configuration\n");
  EXPECT_TRUE(hasEvent("M Upload", "up"));
  u.fileType = "2 Vendor Log File";
  u.url = server_->url("/basic/upload/log.txt");
  u.password = "bad";
  requests_.clear();
  manager_->upload(u);
  EXPECT_EQ(waitTransferComplete().fault.faultCode, 9012u);
  u.fileType = "5 Something";
  EXPECT_EQ(faultOf([&] { (void)manager_->upload(u); }), 9003);
}

TEST_F(TransferManagerTest, UploadsWithPutByDefaultAndPostWhenConfigured) {
  soap::Upload u;
  u.fileType = "1 Vendor Configuration File";
  u.url = server_->url("/upload/put.cfg");
  manager_->upload(u);
  EXPECT_EQ(waitTransferComplete().fault.faultCode, 0u);
  EXPECT_EQ(server_->uploaded("put.cfg.method"), "PUT");
  makeManager(1 << 20, true);
  requests_.clear();
  u.url = server_->url("/upload/post.cfg");
  manager_->upload(u);
  EXPECT_EQ(waitTransferComplete().fault.faultCode, 0u);
  EXPECT_EQ(server_->uploaded("post.cfg"), "exported configuration\n");
  EXPECT_EQ(server_->uploaded("post.cfg.method"), "POST");
}

TEST_F(TransferManagerTest, FtpDownloadAndUploadWorkWhenAnFtpServerIsAvailable) {
  if (!test::ftpServerAvailable()) GTEST_SKIP() << "pyftpdlib (python3-pyftpdlib) is not installed";
  test::FileServerOptions o;
  o.ftp = true;
  test::FileServer ftp(dir_.path + "/ftp", o);
  ftp.put("tone.wav", "RIFFtone");
  auto d = download(ftp.ftpUrl("tone.wav"), "4 Tone File");
  manager_->download(d);
  auto tc = waitTransferComplete();
  EXPECT_EQ(tc.fault.faultCode, 0u) << tc.fault.faultString;
  EXPECT_EQ(readFile(dir_.path + "/files/tone.wav"), "RIFFtone");
  requests_.clear();
  manager_->download(download(ftp.ftpUrl("missing.wav"), "4 Tone File"));
  EXPECT_EQ(waitTransferComplete().fault.faultCode, 9016u);
  requests_.clear();
  soap::Upload u;
  u.fileType = "1 Vendor Configuration File";
  u.url = ftp.ftpUrl("sent.cfg");
  u.username = "user";
  u.password = "secret";
  manager_->upload(u);
  EXPECT_EQ(waitTransferComplete().fault.faultCode, 0u);
  EXPECT_EQ(ftp.served("sent.cfg"), "exported configuration\n");
}

TEST_F(TransferManagerTest, TheQueueSurvivesARestartAndCancelRemovesOnlyWaitingTransfers) {
  auto d = download(server_->url("/files/x"));
  d.delaySeconds = 100000;
  d.commandKey = "later";
  manager_->download(d);
  makeManager();
  auto q = manager_->queuedTransfers();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].commandKey, "later");
  EXPECT_EQ(q[0].state, 1);
  auto all = manager_->allQueuedTransfers();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].fileType, "2 Web Content");
  EXPECT_TRUE(all[0].isDownload);
  EXPECT_EQ(faultOf([&] { manager_->cancelTransfer("nothing"); }), 9003);
  EXPECT_EQ(faultOf([&] { manager_->cancelTransfer("later"); }), 0);
  EXPECT_TRUE(manager_->queuedTransfers().empty());
  // A completed transfer waiting for its report cannot be cancelled.
  manager_->download(download(server_->url("/files/missing")));
  waitTransferComplete();
  EXPECT_EQ(faultOf([&] { manager_->cancelTransfer("ck"); }), 9021);
}

soap::ScheduleDownload scheduled(const std::string& url, int maxRetries) {
  soap::ScheduleDownload s;
  s.commandKey = "retry";
  s.fileType = "2 Web Content";
  s.url = url;
  s.timeWindowList = {{0, 100000, "1 At Any Time", "", maxRetries}};
  return s;
}

// Issue 13 item 12: a BOOTSTRAP drops what the old ACS asked for, whatever its state, with
// its record and events; the device's own (autonomous) reports stay.
TEST_F(TransferManagerTest, ABootstrapDropsTheOldAcsTransfersInEveryStateButNotAutonomousOnes) {
  manager_->download(download(server_->url("/files/missing")));  // completed, report pending
  waitTransferComplete();
  ASSERT_TRUE(hasEvent("M Download", "ck"));
  soap::AutonomousTransferComplete own;
  own.transferUrl = "http://example.invalid/own";
  own.fileType = "2 Web Content";
  manager_->reportAutonomousTransfer(own);
  server_->put("big.bin", std::string(40 * 1024, 'b'));  // 8 s on /slow/
  auto running = download(server_->url("/slow/big.bin"));
  running.commandKey = "old-running";
  manager_->download(running);
  auto waiting = download(server_->url("/files/x"));
  waiting.delaySeconds = 100000;
  waiting.commandKey = "old-waiting";
  manager_->download(waiting);
  manager_->scheduleDownload(scheduled(server_->url("/files/x"), 0));
  ASSERT_TRUE(runUntil([&] {
    for (const auto& q : manager_->queuedTransfers())
      if (q.commandKey == "old-running" && q.state == 2) return true;
    return false;
  }));

  manager_->discardForBootstrap();
  EXPECT_TRUE(manager_->queuedTransfers().empty());
  ASSERT_EQ(manager_->records().size(), 1u);
  EXPECT_EQ(manager_->records()[0].kind, TransferRecord::Kind::Autonomous);
  EXPECT_FALSE(hasEvent("M Download"));
  EXPECT_FALSE(hasEvent("M ScheduleDownload"));
  EXPECT_FALSE(hasEvent("7 TRANSFER COMPLETE"));
  EXPECT_TRUE(hasEvent("10 AUTONOMOUS TRANSFER COMPLETE"));
  // The aborted download frees its slot and its file well before it would have ended.
  EXPECT_TRUE(runUntil([&] { return fs::is_empty(dir_.path + "/tmp"); }, 3s));
  server_->put("new.bin", "new");
  requests_.clear();
  auto fresh = download(server_->url("/files/new.bin"));
  fresh.commandKey = "new-acs";
  manager_->download(fresh);
  EXPECT_EQ(waitTransferComplete(3s).commandKey, "new-acs");
  // Gone from the store too.
  makeManager();
  std::vector<std::string> keys;
  for (const auto& r : manager_->records()) keys.push_back(r.commandKey);
  EXPECT_EQ(keys, (std::vector<std::string>{"", "new-acs"}));
}

TEST_F(TransferManagerTest, AFullQueueIsResourcesExceeded) {
  auto d = download(server_->url("/files/x"));
  d.delaySeconds = 100000;
  for (int i = 0; i < 4; ++i) manager_->download(d);
  EXPECT_EQ(faultOf([&] { (void)manager_->download(d); }), 9004);
}

TEST_F(TransferManagerTest, AScheduledDownloadWaitsForItsWindowAndFailsWith9020WhenAllPassed) {
  server_->put("late.bin", "late");
  soap::ScheduleDownload s;
  s.commandKey = "sched";
  s.fileType = "2 Web Content";
  s.url = server_->url("/files/late.bin");
  s.timeWindowList = {{200, 100000, "1 At Any Time", "", -1}};
  manager_->scheduleDownload(s);
  EXPECT_EQ(manager_->queuedTransfers().at(0).state, 1);
  // Nothing before the window opens, 200 s from now.
  clock_->advance(199s);
  io_.restart();
  io_.poll();
  EXPECT_EQ(manager_->queuedTransfers().at(0).state, 1);
  EXPECT_TRUE(requests_.empty());
  clock_->advance(2s);
  auto tc = waitTransferComplete();
  EXPECT_EQ(tc.fault.faultCode, 0u);
  EXPECT_TRUE(hasEvent("M ScheduleDownload", "sched"));
  manager_->onCpeRequestOutcome(requests_.back(), 0);
  // A window that is over by the time the manager starts again: 9020.
  requests_.clear();
  s.timeWindowList = {{100, 200, "3 When Idle", "", 0}};
  manager_->scheduleDownload(s);
  manager_->stop();
  clock_->advance(300s);
  makeManager();
  EXPECT_EQ(waitTransferComplete().fault.faultCode, 9020u);
}

TEST_F(TransferManagerTest, RefusedReportsAreRetriedBoundedlyAndDroppedOn8000) {
  manager_->download(download(server_->url("/files/missing")));
  auto tc = waitTransferComplete();
  soap::Body body = requests_.back();
  std::erase_if(events_, [](const QueuedEvent& e) {
    return e.code == "M Download";
  });  // an Inform delivered it
  manager_->onCpeRequestOutcome(body, 8002);
  EXPECT_EQ(requests_.size(), 2u);  // queued again, with its events
  EXPECT_TRUE(hasEvent("M Download", "ck"));
  manager_->onCpeRequestOutcome(body, 8002);
  manager_->onCpeRequestOutcome(body, 8002);
  EXPECT_TRUE(manager_->records().empty());
  EXPECT_FALSE(hasEvent("7 TRANSFER COMPLETE"));
  requests_.clear();
  manager_->download(download(server_->url("/files/missing")));
  waitTransferComplete();
  manager_->onCpeRequestOutcome(requests_.back(), 8000);
  EXPECT_TRUE(manager_->records().empty());
}

TEST_F(TransferManagerTest, AnAcknowledgedReportTakesOnlyItsOwnMethodEventAlong) {
  auto a = download(server_->url("/files/missing-a"));
  a.commandKey = "a";
  auto b = download(server_->url("/files/missing-b"));
  b.commandKey = "b";
  manager_->download(a);
  manager_->download(b);
  ASSERT_TRUE(runUntil([&] { return requests_.size() == 2; }));
  EXPECT_TRUE(hasEvent("M Download", "a"));
  EXPECT_TRUE(hasEvent("M Download", "b"));
  const soap::Body first = requests_[0];
  ASSERT_EQ(std::get<soap::TransferComplete>(first).commandKey, "a");
  manager_->onCpeRequestOutcome(first, 0);
  EXPECT_FALSE(hasEvent("M Download", "a"));
  EXPECT_TRUE(hasEvent("M Download", "b"));
  EXPECT_TRUE(hasEvent("7 TRANSFER COMPLETE"));
  manager_->onCpeRequestOutcome(requests_[1], 0);
  EXPECT_FALSE(hasEvent("M Download"));
  EXPECT_FALSE(hasEvent("7 TRANSFER COMPLETE"));
}

TEST_F(TransferManagerTest, AutonomousTransfersAreReportedWithTheirOwnEventAndMethod) {
  server_->put("auto.bin", "auto");
  manager_->autonomousDownload(server_->url("/files/auto.bin"), "2 Web Content", "auto.bin");
  ASSERT_TRUE(runUntil([&] { return !requests_.empty(); }));
  auto* atc = std::get_if<soap::AutonomousTransferComplete>(&requests_.back());
  ASSERT_NE(atc, nullptr);
  EXPECT_EQ(atc->fault.faultCode, 0u);
  EXPECT_EQ(atc->transferUrl, server_->url("/files/auto.bin"));
  EXPECT_TRUE(atc->isDownload);
  EXPECT_TRUE(hasEvent("10 AUTONOMOUS TRANSFER COMPLETE"));
  EXPECT_FALSE(hasEvent("7 TRANSFER COMPLETE"));
  EXPECT_EQ(manager_->queuedTransfers().size(), 0u);  // not the ACS's
  manager_->onCpeRequestOutcome(requests_.back(), 0);
  EXPECT_FALSE(hasEvent("10 AUTONOMOUS TRANSFER COMPLETE"));
  // An ACS without AutonomousTransferComplete: nothing is queued.
  unsupported_ = "AutonomousTransferComplete";
  requests_.clear();
  soap::AutonomousTransferComplete done;
  done.transferUrl = "http://example.invalid/x";
  done.fileType = "1 Firmware Upgrade Image";
  manager_->reportAutonomousTransfer(done);
  EXPECT_TRUE(requests_.empty());
  EXPECT_TRUE(manager_->records().empty());
}

TEST_F(TransferManagerTest,
       AVendorFileTypeHandlerGetsTheFileAndItsOutcomeGoesIntoTransferComplete) {
  std::vector<sdk::DownloadedFile> seen;
  std::string content;
  std::function<void(const std::string&)> outcome;  // what the handler does after reading
  fileTypes_["X 00005E Example Text"] = [&](const sdk::DownloadedFile& f) {
    seen.push_back(f);
    content = readFile(f.path);
    if (outcome) outcome(f.path);
  };
  makeManager();
  server_->put("notes.txt", "vendor notes");
  // Unknown vendor types are refused at once; so is registering a malformed one.
  EXPECT_EQ(
      faultOf([&] {
        (void)manager_->download(download(server_->url("/files/notes.txt"), "X 00005E Other"));
      }),
      9003);
  EXPECT_THROW(manager_->registerFileType("X 00005e Example", [](const sdk::DownloadedFile&) {}),
               std::invalid_argument);

  auto d = download(server_->url("/files/notes.txt"), "X 00005E Example Text");
  d.targetFileName = "../../etc/notes.txt";
  manager_->download(d);
  auto tc = waitTransferComplete();
  EXPECT_EQ(tc.fault.faultCode, 0u) << tc.fault.faultString;
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(content, "vendor notes");
  EXPECT_EQ(seen[0].fileType, "X 00005E Example Text");
  EXPECT_EQ(seen[0].targetFileName, "notes.txt");  // no directory of the ACS's choosing
  EXPECT_EQ(seen[0].size, 12u);
  EXPECT_TRUE(fs::is_empty(dir_.path + "/tmp"));  // what the handler left is removed

  // A refusal with a TransferComplete code keeps it; another code becomes 9010; any
  // other exception is an internal error.
  const std::vector<std::pair<std::function<void(const std::string&)>, std::uint32_t>> refusals = {
      {[](const std::string&) {
         throw sdk::Fault(sdk::FaultCode::DownloadFailureCorrupted, "bad");
       },
       9018},
      {[](const std::string&) { throw sdk::Fault(sdk::FaultCode::InvalidParameterValue, "odd"); },
       9010},
      {[](const std::string&) { throw std::runtime_error("bug"); }, 9002},
  };
  for (const auto& [what, code] : refusals) {
    outcome = what;
    requests_.clear();
    manager_->download(download(server_->url("/files/notes.txt"), "X 00005E Example Text"));
    EXPECT_EQ(waitTransferComplete().fault.faultCode, code);
    manager_->onCpeRequestOutcome(requests_.back(), 0);
    EXPECT_TRUE(fs::is_empty(dir_.path + "/tmp"));
  }
}

TEST_F(TransferManagerTest, AScheduledDownloadIsRetriedInItsWindowAsOftenAsMaxRetriesAllows) {
  server_->put("flaky.bin", "finally");
  // The server fails twice; MaxRetries 2 lets the third attempt through.
  manager_->scheduleDownload(scheduled(server_->url("/flaky/2/flaky.bin"), 2));
  auto tc = waitTransferComplete();
  EXPECT_EQ(tc.fault.faultCode, 0u) << tc.fault.faultString;
  EXPECT_EQ(server_->requests("/flaky/2/flaky.bin"), 3);
  EXPECT_EQ(readFile(dir_.path + "/files/flaky.bin"), "finally");
  manager_->onCpeRequestOutcome(requests_.back(), 0);

  // MaxRetries 0: one attempt, and its failure is final.
  requests_.clear();
  manager_->scheduleDownload(scheduled(server_->url("/flaky/1/flaky.bin"), 0));
  EXPECT_EQ(waitTransferComplete().fault.faultCode, 9016u);
  EXPECT_EQ(server_->requests("/flaky/1/flaky.bin"), 1);
  manager_->onCpeRequestOutcome(requests_.back(), 0);

  // MaxRetries -1 against a server that never recovers: a bounded number of attempts.
  requests_.clear();
  manager_->scheduleDownload(scheduled(server_->url("/files/never.bin"), -1));
  EXPECT_EQ(waitTransferComplete(30s).fault.faultCode, 9016u);
  const int attempts = server_->requests("/files/never.bin");
  EXPECT_GE(attempts, 2);
  EXPECT_LE(attempts, 6);
}

TEST_F(TransferManagerTest, RetriesOfAScheduledDownloadSurviveARestart) {
  manager_->scheduleDownload(scheduled(server_->url("/files/never.bin"), 1));
  ASSERT_TRUE(runUntil([&] { return server_->requests("/files/never.bin") == 1; }));
  ASSERT_TRUE(runUntil([&] {
    auto r = manager_->records();
    return !r.empty() && r[0].retries == 1 && r[0].state == 1;
  }));
  makeManager();  // the retry count is persisted: one retry, not a fresh allowance
  EXPECT_EQ(waitTransferComplete().fault.faultCode, 9016u);
  EXPECT_EQ(server_->requests("/files/never.bin"), 2);
}

// The model's DeviceInfo.VendorConfigFile / VendorLogFile (the deviceinfo plugin's
// document) kept by the manager, and the Upload types 3 and 4 that name their instances.
class VendorFilesTest : public TransferManagerTest {
 protected:
  void SetUp() override {
    modelStore_.load();
    engine_ = std::make_unique<Engine>("Device", modelStore_);
    std::ifstream in(CWMPD_DEVICEINFO_MODEL);
    engine_->addDefinitions(std::string(std::istreambuf_iterator<char>(in), {}));
    engine_->finalize();
    model_ = engine_.get();
    logFile_ = dir_.path + "/agent.log";
    std::ofstream(logFile_) << "log line 1\nlog line 2\n";
    TransferManagerTest::SetUp();
  }
  std::string value(const std::string& p) { return engine_->rawValue("Device.DeviceInfo." + p); }
  soap::Upload upload(const std::string& type, const std::string& name) {
    soap::Upload u;
    u.commandKey = name;
    u.fileType = type;
    u.url = server_->url("/upload/" + name);
    return u;
  }

  Store modelStore_{dir_.path + "/model.db"};
  std::unique_ptr<Engine> engine_;
};

TEST_F(VendorFilesTest, TheAgentsConfigurationAndLogAreInstancesOfTheModel) {
  EXPECT_EQ(manager_->vendorConfigInstance(), 1u);
  EXPECT_EQ(manager_->vendorLogInstance(), 1u);
  EXPECT_EQ(value("VendorConfigFileNumberOfEntries"), "1");
  EXPECT_EQ(value("VendorLogFileNumberOfEntries"), "1");
  EXPECT_EQ(value("VendorConfigFile.1.Name"), "cwmpd-config");
  EXPECT_EQ(value("VendorConfigFile.1.Date"), "0001-01-01T00:00:00Z");  // never replaced
  EXPECT_EQ(value("VendorConfigFile.1.UseForBackupRestore"), "true");
  EXPECT_FALSE(value("VendorConfigFile.1.Description").empty());
  EXPECT_EQ(value("VendorLogFile.1.Name"), logFile_);
  EXPECT_EQ(value("VendorLogFile.1.MaximumSize"), "0");
  // A log on tmpfs is lost with a reboot.
  struct statfs st {};
  if (::statfs("/dev/shm", &st) == 0 && st.f_type == 0x01021994) {
    logFile_ = "/dev/shm/cwmpd-test.log";
    makeManager();
    EXPECT_EQ(value("VendorLogFile.1.Persistent"), "false");
    EXPECT_EQ(value("VendorLogFile.1.Name"), logFile_);
  }
}

TEST_F(VendorFilesTest, UploadTypesThreeAndFourNameTheirInstancesAndOthersAreInvalidArguments) {
  manager_->upload(upload("3 Vendor Configuration File 1", "config.txt"));
  EXPECT_EQ(waitTransferComplete().fault.faultCode, 0u);
  EXPECT_EQ(server_->uploaded("config.txt"), "exported configuration\n");
  manager_->onCpeRequestOutcome(requests_.back(), 0);
  requests_.clear();
  manager_->upload(upload("4 Vendor Log File 1", "log.txt"));
  EXPECT_EQ(waitTransferComplete().fault.faultCode, 0u);
  EXPECT_EQ(server_->uploaded("log.txt"), "log line 1\nlog line 2\n");
  for (const std::string& type : std::vector<std::string>{
           "3 Vendor Configuration File 2", "4 Vendor Log File 7", "3 Vendor Configuration File 01",
           "4 Vendor Log File", "3 Vendor Configuration File x"})
    EXPECT_EQ(faultOf([&] { (void)manager_->upload(upload(type, "no.txt")); }), 9003) << type;
}

TEST_F(VendorFilesTest, WithoutALogFileThereIsNoLogInstanceToUpload) {
  logFile_.clear();
  Store fresh(dir_.path + "/model2.db");
  fresh.load();
  Engine other("Device", fresh);
  std::ifstream in(CWMPD_DEVICEINFO_MODEL);
  other.addDefinitions(std::string(std::istreambuf_iterator<char>(in), {}));
  other.finalize();
  model_ = &other;
  makeManager();
  EXPECT_EQ(manager_->vendorLogInstance(), 0u);
  EXPECT_EQ(other.rawValue("Device.DeviceInfo.VendorLogFileNumberOfEntries"), "0");
  EXPECT_EQ(faultOf([&] { (void)manager_->upload(upload("4 Vendor Log File 1", "no.txt")); }),
            9003);
  manager_->stop();
  model_ = nullptr;
}

TEST_F(VendorFilesTest, ADownloadedConfigurationRenamesAndDatesTheConfigurationInstance) {
  server_->put("site-42.cfg", "cwmpd-config 1 Device\n");
  const auto before = clock_->seconds();  // the manager's time
  manager_->download(
      download(server_->url("/files/site-42.cfg?v=2"), "3 Vendor Configuration File"));
  ASSERT_TRUE(runUntil([&] { return reboots_ == 1; }));
  makeManager();  // the restart that follows an imported configuration
  EXPECT_EQ(value("VendorConfigFile.1.Name"), "site-42.cfg");
  const std::string date = value("VendorConfigFile.1.Date");
  EXPECT_GE(date, isoTime(before)) << date;
  EXPECT_LE(date, isoTime(clock_->seconds())) << date;
  EXPECT_EQ(manager_->vendorConfigInstance(), 1u);  // the same instance, not a new one
  EXPECT_EQ(value("VendorConfigFileNumberOfEntries"), "1");
}

// ---------------- configuration export / import of the engine ----------------

class EngineConfiguration : public ::testing::Test {
 protected:
  std::unique_ptr<Engine> make(Store& s) {
    s.load();
    auto e = std::make_unique<Engine>("Device", s);
    std::ifstream in(CWMPD_TEST_MODEL);
    e->addDefinitions(std::string(std::istreambuf_iterator<char>(in), {}));
    e->finalize();
    return e;
  }
  TempDir dir_;
};

TEST_F(EngineConfiguration, RoundTripsValuesInstancesAndAttributesButNotSecrets) {
  std::string text;
  {
    Store s(dir_.path + "/a.db");
    auto e = make(s);
    e->setValues({{"Device.Test.Name", "tab\there"},
                  {"Device.Test.Level", "-3"},
                  {"Device.Test.Secret", "pw"}},
                 sdk::Source::Acs);
    auto n = e->addObject("Device.Test.Item.", sdk::Source::Acs);
    e->setValues({{"Device.Test.Item." + std::to_string(n) + ".Value", "v"}}, sdk::Source::Acs);
    e->setAttributes({{"Device.Test.Level", true, 2, false, {}}});
    text = e->vendorConfiguration().exportConfiguration();
  }
  EXPECT_EQ(text.find("pw"), std::string::npos);
  Store s(dir_.path + "/b.db");
  {
    auto e = make(s);
    e->setValues({{"Device.Test.Secret", "mine"}, {"Device.Test.Flag", "true"}}, sdk::Source::Acs);
    e->vendorConfiguration().importConfiguration(text);
  }
  auto e = make(s);  // the restart
  auto v = e->getValues(
      {"Device.Test.Name", "Device.Test.Level", "Device.Test.Item.1.Value", "Device.Test.Flag"});
  EXPECT_EQ(v[0].value, "tab\there");
  EXPECT_EQ(v[1].value, "-3");
  EXPECT_EQ(v[2].value, "v");
  EXPECT_EQ(v[3].value, "false");  // replaced, not merged
  EXPECT_EQ(e->rawValue("Device.Test.Secret"), "mine");
  EXPECT_EQ(e->getAttributes({"Device.Test.Level"})[0].notification, 2);
  EXPECT_EQ(e->vendorConfiguration().exportConfiguration(), text);
}

TEST_F(EngineConfiguration, RefusesAnInvalidFileWithoutChangingAnything) {
  Store s(dir_.path + "/a.db");
  auto e = make(s);
  e->setValues({{"Device.Test.Name", "keep"}}, sdk::Source::Acs);
  const std::string before = e->vendorConfiguration().exportConfiguration();
  for (const std::string& bad : {
           std::string("nonsense"), std::string("cwmpd-config 1 InternetGatewayDevice\n"),
           std::string("cwmpd-config 1 Device\nV\tDevice.Test.Level\t99\n"),   // out of range
           std::string("cwmpd-config 1 Device\nV\tDevice.Test.Counter\t1\n"),  // read-only
           std::string(
               "cwmpd-config 1 Device\nV\tDevice.Test.Item.5.Value\tx\n"),  // no such instance
           std::string("cwmpd-config 1 Device\nV\tDevice.Nope\tx\n"),
           std::string("cwmpd-config 1 Device\nO\tDevice.Test.Port.1.\n"),  // not a writable table
       }) {
    EXPECT_EQ(faultOf([&] {
                e->vendorConfiguration().importConfiguration("V\tDevice.Test.Name\tnew\n" + bad);
              }),
              9018)
        << bad;
    EXPECT_EQ(faultOf([&] { e->vendorConfiguration().importConfiguration(bad); }), 9018) << bad;
  }
  EXPECT_EQ(e->vendorConfiguration().exportConfiguration(), before);
}

}  // namespace
}  // namespace cwmpd::core
