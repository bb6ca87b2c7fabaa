// Integration tests of file transfers (issue 8): the real cwmpd daemon on the sim HAL,
// the loopback test ACS, and a loopback file server (tests/transfer/file_server.py)
// started by each test. Every message the daemon sent is checked against the BBF schema
// (DaemonIt::TearDown).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "file_server.hpp"
#include "it_support.hpp"

namespace cwmpd::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string field(const std::string& xml, const std::string& tag) {
  std::smatch m;
  std::regex re("<" + tag + ">([^<]*)</" + tag + ">");
  return std::regex_search(xml, m, re) ? std::string(m[1]) : std::string();
}

std::string downloadRpc(const std::string& key, const std::string& type, const std::string& url,
                        std::uint64_t size = 0, const std::string& password = "secret",
                        int delay = 0) {
  return "<cwmp:Download><CommandKey>" + key + "</CommandKey><FileType>" + type +
         "</FileType><URL>" + url + "</URL><Username>user</Username><Password>" + password +
         "</Password><FileSize>" + std::to_string(size) +
         "</FileSize><TargetFileName></TargetFileName><DelaySeconds>" + std::to_string(delay) +
         "</DelaySeconds><SuccessURL></SuccessURL><FailureURL></FailureURL></cwmp:Download>";
}

std::string getValuesRpc(const std::vector<std::string>& names) {
  std::string rpc = "<cwmp:GetParameterValues><ParameterNames soap-enc:arrayType=\"xsd:string[" +
                    std::to_string(names.size()) + "]\">";
  for (const auto& n : names) rpc += "<string>" + n + "</string>";
  return rpc + "</ParameterNames></cwmp:GetParameterValues>";
}

std::string uploadRpc(const std::string& key, const std::string& type, const std::string& url) {
  return "<cwmp:Upload><CommandKey>" + key + "</CommandKey><FileType>" + type + "</FileType><URL>" +
         url +
         "</URL><Username>user</Username><Password>secret</Password><DelaySeconds>0</DelaySeconds></cwmp:Upload>";
}

class TransferIt : public DaemonIt {
 protected:
  void SetUp() override {
    DaemonIt::SetUp();
    files_ = std::make_unique<FileServer>(dir_ + "/files");
    daemon_->set("transfers", "dir", dir_ + "/transfer-tmp");
    daemon_->set("transfers", "store_dir", dir_ + "/transfer-files");
    daemon_->set("transfers", "log_file", dir_ + "/cwmpd.log");
    daemon_->set("cpe", "connection_request_min_interval", "0");
    // The HAL's identity, not the config, says which software runs (it changes with an upgrade).
    daemon_->set("device", "software_version", "");
  }
  void TearDown() override {
    DaemonIt::TearDown();
    files_.reset();
  }

  void startAndSettle() {
    daemon_->start();
    ASSERT_TRUE(waitSessions(1, 15s));
  }
  void kick() {
    auto r = acs_->connectionRequest(daemon_->connectionRequestUrl(), "cr-user", "cr-secret");
    EXPECT_EQ(r.get<std::string>("status", ""), "200");
  }
  // Waits for a session after the first `before` ones to end normally (sessions a stopped
  // daemon abandoned never end, so the ACS's ended count is no measure here).
  bool waitNewSession(std::size_t before, std::chrono::seconds limit = 20s) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      auto all = acs_->sessions();
      for (std::size_t i = before; i < all.size(); ++i)
        if (all[i].get<std::string>("end", "") == "204") return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }
  // Bodies of `method` the daemon sent, in order.
  std::vector<std::string> sent(const std::string& method) {
    std::vector<std::string> out;
    for (const auto& r : acs_->requests()) {
      std::string b = r.get<std::string>("body", "");
      if (bodyMethod(b) == method) out.push_back(b);
    }
    return out;
  }
  bool waitSent(const std::string& method, std::size_t n, std::chrono::seconds limit = 30s) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (sent(method).size() >= n) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }
  // The TransferComplete for `key`, "" when none arrived.
  std::string transferComplete(const std::string& key) {
    for (const auto& b : sent("TransferComplete"))
      if (field(b, "CommandKey") == key) return b;
    return {};
  }
  // Fault codes of the daemon's SOAP faults to the ACS's RPCs, in order.
  std::vector<std::string> faultCodes() {
    std::vector<std::string> out;
    for (const auto& r : acs_->results())
      if (r.get<std::string>("method", "") == "Fault")
        out.push_back(r.get<std::string>("fault_code", ""));
    return out;
  }
  static std::string readText(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  std::vector<std::string> resultsOf(const std::string& method) {
    std::vector<std::string> out;
    for (const auto& r : acs_->results())
      if (r.get<std::string>("method", "") == method) out.push_back(r.get<std::string>("body", ""));
    return out;
  }

  // A download of `type` served at once while the ACS keeps the session open (it holds
  // its answer to the DownloadResponse): the file is applied, with the restart that
  // follows, only once the session ended with the ACS's 204, and the Inform after the
  // restart reports it. `appliedNow` is what the daemon logs when it applies the file.
  void appliedOnlyAfterTheHeldSessionEnded(const std::string& type, const std::string& name,
                                           const std::string& content,
                                           const std::string& appliedNow,
                                           const std::string& simRecord) {
    files_->put(name, content);
    startAndSettle();
    acs_->addResponses(R"([{"match": "DownloadResponse", "hold": "download", "pass": true}])");
    acs_->addRpc(downloadRpc("held", type, files_->url("/files/" + name), content.size()));
    const std::size_t mark = daemon_->logSize();
    const std::size_t held = acs_->sessions().size();
    kick();
    ASSERT_TRUE(acs_->waitFor("held", 1, 15s)) << "the DownloadResponse never came";
    ASSERT_TRUE(daemon_->waitForLog(" ended: success", 15s, mark)) << "the download never ended";
    // The daemon decides in the same step that logged the end: apply now, or at the end.
    const std::string deferred = "waits for the end of the session";
    std::string log;
    for (auto end = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < end;
         std::this_thread::sleep_for(50ms)) {
      log = daemon_->log().substr(mark);
      if (log.find(deferred) != std::string::npos || log.find(appliedNow) != std::string::npos)
        break;
    }
    ASSERT_EQ(log.find(appliedNow), std::string::npos)
        << "applied while the ACS still held the session open";
    ASSERT_NE(log.find(deferred), std::string::npos);
    EXPECT_FALSE(fs::exists(daemon_->simDir() + "/run/" + simRecord));
    ASSERT_EQ(acs_->sessions().size(), held + 1);
    EXPECT_NE(acs_->sessions().back().get<std::string>("end", ""), "204");  // still open

    acs_->release("download");
    ASSERT_TRUE(waitSent("TransferComplete", 1, 30s)) << "no TransferComplete after the restart";
    EXPECT_EQ(field(transferComplete("held"), "FaultCode"), "0");
    EXPECT_TRUE(fs::exists(daemon_->simDir() + "/run/" + simRecord));
    const auto sessions = acs_->sessions();
    ASSERT_GE(sessions.size(), held + 2);
    // The session of the Download ended properly: the DownloadResponse got the 204.
    const Json& download = sessions[held];
    EXPECT_EQ(download.get<std::string>("end", ""), "204");
    for (const auto& r : acs_->requests()) {
      if (bodyMethod(r.get<std::string>("body", "")) == "DownloadResponse") {
        EXPECT_EQ(r.get<std::string>("status", ""), "204");
      }
    }
    // Then the restart, and its Inform: 1 BOOT, M Download, 7 TRANSFER COMPLETE.
    const Json& boot = sessions[held + 1];
    EXPECT_GE(boot.get<double>("started", 0), download.get<double>("ended", 1e18));
    const auto events = informEvents(boot.get<std::string>("inform", ""));
    auto has = [&](const std::string& code, const std::string& key) {
      return std::find(events.begin(), events.end(), SentEvent{code, key}) != events.end();
    };
    EXPECT_TRUE(has("1 BOOT", ""));
    EXPECT_TRUE(has("M Download", "held"));
    EXPECT_TRUE(has("7 TRANSFER COMPLETE", ""));
  }

  std::unique_ptr<FileServer> files_;
};

TEST_F(TransferIt, AFirmwareImageThatArrivesInAnOpenSessionIsAppliedAfterItsEnd) {
  appliedOnlyAfterTheHeldSessionEnded("1 Firmware Upgrade Image", "held.img",
                                      "version=7.7.7\n" + std::string(20000, 'F'),
                                      "installing firmware image", "firmware_applied");
}

TEST_F(TransferIt, AConfigurationFileThatArrivesInAnOpenSessionIsAppliedAfterItsEnd) {
  appliedOnlyAfterTheHeldSessionEnded(
      "3 Vendor Configuration File", "held.cfg",
      "cwmpd-config 1 Device\nV\tDevice.ManagementServer.PeriodicInformInterval\t4321\n",
      "configuration imported from transfer", "reboots");
}

TEST_F(TransferIt, AFirmwareUpgradeRebootsAndReportsWithBootTransferCompleteAndTheNewVersion) {
  const std::string image = "version=9.9.9\n" + std::string(50000, 'F');
  files_->put("fw.img", image);
  startAndSettle();
  acs_->addRpc(
      downloadRpc("fw-1", "1 Firmware Upgrade Image", files_->url("/digest/fw.img"), image.size()));
  kick();
  ASSERT_TRUE(waitSent("TransferComplete", 1, 40s)) << "no TransferComplete";
  const std::string tc = transferComplete("fw-1");
  ASSERT_FALSE(tc.empty());
  EXPECT_EQ(field(tc, "FaultCode"), "0");
  // The TransferComplete went in the session after the reboot, with 1 BOOT.
  bool found = false;
  for (const auto& s : acs_->sessions()) {
    const std::string inform = s.get<std::string>("inform", "");
    auto ev = informEvents(inform);
    bool boot = false, complete = false, method = false;
    for (const auto& [code, key] : ev) {
      boot = boot || code == "1 BOOT";
      complete = complete || code == "7 TRANSFER COMPLETE";
      method = method || (code == "M Download" && key == "fw-1");
    }
    if (boot && complete && method) {
      found = true;
      EXPECT_EQ(parameterValue(inform, "Device.DeviceInfo.SoftwareVersion"), "9.9.9");
    }
  }
  EXPECT_TRUE(found) << "no Inform with 1 BOOT, 7 TRANSFER COMPLETE and M Download";
  EXPECT_TRUE(fs::exists(daemon_->simDir() + "/firmware"));
  // Acknowledged: the next session carries no transfer event any more. The ACS also reads
  // the firmware image objects (issue 8 item 6): the one bank now holds the new image.
  std::this_thread::sleep_for(500ms);  // the reporting session ends
  const std::size_t before = acs_->sessions().size();
  const std::string row = "Device.DeviceInfo.FirmwareImage.1.";
  acs_->addRpc(getValuesRpc(
      {"Device.DeviceInfo.SoftwareVersion", "Device.DeviceInfo.ActiveFirmwareImage",
       "Device.DeviceInfo.BootFirmwareImage", row + "Version", row + "Name", row + "Status"}));
  kick();
  ASSERT_TRUE(waitNewSession(before));
  const auto codes = eventCodes(acs_->sessions().back().get<std::string>("inform", ""));
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "7 TRANSFER COMPLETE"), 0);
  const auto values = sent("GetParameterValuesResponse");
  ASSERT_EQ(values.size(), 1u);
  EXPECT_EQ(parameterValue(values[0], "Device.DeviceInfo.SoftwareVersion"), "9.9.9");
  EXPECT_EQ(parameterValue(values[0], row + "Version"), "9.9.9");
  // Name: the file the sim box installed the image as (the daemon's download file name).
  std::vector<std::string> installed;
  for (const auto& e : fs::directory_iterator(daemon_->simDir() + "/firmware"))
    installed.push_back(e.path().filename().string());
  ASSERT_EQ(installed.size(), 1u);
  EXPECT_EQ(parameterValue(values[0], row + "Name"), installed[0]);
  EXPECT_EQ(parameterValue(values[0], row + "Status"), "Active");
  EXPECT_EQ(parameterValue(values[0], "Device.DeviceInfo.ActiveFirmwareImage"),
            "Device.DeviceInfo.FirmwareImage.1");
  EXPECT_EQ(parameterValue(values[0], "Device.DeviceInfo.BootFirmwareImage"),
            "Device.DeviceInfo.FirmwareImage.1");
}

TEST_F(TransferIt, EachFailureGivesItsFaultInTransferComplete) {
  daemon_->set("transfers", "max_size", "20000");
  files_->put("small.bin", std::string(1000, 's'));
  files_->put("big.bin", std::string(50000, 'b'));
  startAndSettle();
  acs_->addRpc(downloadRpc("k404", "2 Web Content", files_->url("/files/nothing.bin")));
  acs_->addRpc(downloadRpc("ksize", "2 Web Content", files_->url("/files/small.bin"), 1500));
  acs_->addRpc(downloadRpc("kconn", "2 Web Content", "http://127.0.0.1:1/small.bin"));
  acs_->addRpc(downloadRpc("kauth", "2 Web Content", files_->url("/digest/small.bin"), 0, "wrong"));
  acs_->addRpc(downloadRpc("kbig", "2 Web Content", files_->url("/files/big.bin")));
  // Refused at once: larger than max_size, and an unsupported protocol.
  acs_->addRpc(downloadRpc("kfull", "2 Web Content", files_->url("/files/big.bin"), 50000));
  acs_->addRpc(downloadRpc("kproto", "2 Web Content", "tftp://127.0.0.1/x"));
  kick();
  ASSERT_TRUE(waitSent("TransferComplete", 5, 40s));
  EXPECT_EQ(field(transferComplete("k404"), "FaultCode"), "9016");
  EXPECT_EQ(field(transferComplete("ksize"), "FaultCode"), "9017");
  EXPECT_EQ(field(transferComplete("kconn"), "FaultCode"), "9015");
  EXPECT_EQ(field(transferComplete("kauth"), "FaultCode"), "9012");
  EXPECT_EQ(field(transferComplete("kbig"), "FaultCode"), "9010");
  std::vector<std::string> codes;
  for (const auto& r : acs_->results())
    if (r.get<std::string>("method", "") == "Fault")
      codes.push_back(r.get<std::string>("fault_code", ""));
  EXPECT_EQ(codes, (std::vector<std::string>{"9004", "9013"}));
}

TEST_F(TransferIt, DownloadsOverHttpsWithTheTestCa) {
  makeTestCa(dir_ + "/ca");
  FileServerOptions o;
  o.tlsCert = dir_ + "/ca/server.pem";
  o.tlsKey = dir_ + "/ca/server.key";
  FileServer tls(dir_ + "/tls", o);
  tls.put("page.html", "secure page");
  daemon_->set("acs", "ca_file", dir_ + "/ca/ca.pem");
  startAndSettle();
  acs_->addRpc(downloadRpc("tls", "2 Web Content", tls.url("/files/page.html")));
  kick();
  ASSERT_TRUE(waitSent("TransferComplete", 1));
  EXPECT_EQ(field(transferComplete("tls"), "FaultCode"), "0");
  std::ifstream in(dir_ + "/transfer-files/page.html");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "secure page");
  // A server whose certificate names another host is not contacted.
  FileServerOptions other;
  other.tlsCert = dir_ + "/ca/wrong-host.pem";
  other.tlsKey = dir_ + "/ca/wrong-host.key";
  FileServer wrong(dir_ + "/wrong", other);
  wrong.put("page.html", "impostor");
  acs_->addRpc(downloadRpc("wrong-host", "2 Web Content", wrong.url("/files/page.html")));
  kick();
  ASSERT_TRUE(waitSent("TransferComplete", 2));
  EXPECT_EQ(field(transferComplete("wrong-host"), "FaultCode"), "9015");
}

TEST_F(TransferIt, AConfigurationUploadedFromOneDaemonRecreatesItsModelInAFreshOne) {
  startAndSettle();
  acs_->addRpc(
      "<cwmp:SetParameterValues><ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[1]\">"
      "<ParameterValueStruct><Name>Device.ManagementServer.PeriodicInformInterval</Name>"
      "<Value xsi:type=\"xsd:unsignedInt\">4321</Value></ParameterValueStruct></ParameterList>"
      "<ParameterKey>pk</ParameterKey></cwmp:SetParameterValues>");
  acs_->addRpc(
      uploadRpc("up-a", "1 Vendor Configuration File", files_->url("/digest/upload/a.cfg")));
  acs_->addRpc(uploadRpc("log-a", "2 Vendor Log File", files_->url("/upload/a.log")));
  kick();
  ASSERT_TRUE(waitSent("TransferComplete", 2));
  EXPECT_EQ(field(transferComplete("up-a"), "FaultCode"), "0");
  EXPECT_EQ(field(transferComplete("log-a"), "FaultCode"), "0");
  const std::string config = files_->uploaded("a.cfg");
  EXPECT_NE(config.find("PeriodicInformInterval\t4321"), std::string::npos) << config;
  EXPECT_NE(files_->uploaded("a.log").find("cwmpd"), std::string::npos);
  daemon_->stop();

  // A fresh daemon (new store) downloads it, restarts, and exports the same configuration.
  const std::string second = dir_ + "/second";
  fs::create_directories(second);
  daemon_ = std::make_unique<DaemonProcess>(second);
  daemon_->set("acs", "url", acs_->url());
  daemon_->set("cpe", "connection_request_min_interval", "0");
  daemon_->set("transfers", "dir", second + "/tmp");
  files_->put("a.cfg", config);
  const std::size_t sessions = acs_->sessions().size();
  daemon_->start();
  ASSERT_TRUE(waitNewSession(sessions));
  acs_->addRpc(downloadRpc("cfg-b", "3 Vendor Configuration File", files_->url("/files/a.cfg"),
                           config.size()));
  kick();
  ASSERT_TRUE(waitSent("TransferComplete", 3, 40s));
  EXPECT_EQ(field(transferComplete("cfg-b"), "FaultCode"), "0");
  acs_->addRpc(uploadRpc("up-b", "1 Vendor Configuration File", files_->url("/upload/b.cfg")));
  acs_->addRpc(
      "<cwmp:GetParameterValues><ParameterNames soap-enc:arrayType=\"xsd:string[1]\">"
      "<string>Device.ManagementServer.PeriodicInformInterval</string></ParameterNames></cwmp:GetParameterValues>");
  kick();
  ASSERT_TRUE(waitSent("TransferComplete", 4, 40s));
  EXPECT_EQ(files_->uploaded("b.cfg"), config);
  auto gpv = sent("GetParameterValuesResponse");
  ASSERT_FALSE(gpv.empty());
  EXPECT_EQ(parameterValue(gpv.back(), "Device.ManagementServer.PeriodicInformInterval"), "4321");
}

TEST_F(TransferIt, TheQueueSurvivesKill9AndScheduledDownloadsWaitForTheirWindow) {
  files_->put("sched.bin", "scheduled");
  startAndSettle();
  acs_->addRpc(
      "<cwmp:ScheduleDownload><CommandKey>sd</CommandKey><FileType>2 Web Content</FileType><URL>" +
      files_->url("/files/sched.bin") +
      "</URL><Username></Username><Password></Password><FileSize>9</FileSize><TargetFileName>sched.bin"
      "</TargetFileName><TimeWindowList soap-enc:arrayType=\"cwmp:TimeWindowStruct[1]\"><TimeWindowStruct>"
      "<WindowStart>6</WindowStart><WindowEnd>3600</WindowEnd><WindowMode>1 At Any Time</WindowMode>"
      "<UserMessage></UserMessage><MaxRetries>-1</MaxRetries></TimeWindowStruct></TimeWindowList>"
      "</cwmp:ScheduleDownload>");
  acs_->addRpc(
      downloadRpc("later", "2 Web Content", files_->url("/files/sched.bin"), 0, "secret", 3600));
  acs_->addRpc("<cwmp:GetQueuedTransfers></cwmp:GetQueuedTransfers>");
  kick();
  ASSERT_TRUE(waitSessions(2, 15s));
  auto queued = sent("GetQueuedTransfersResponse");
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_NE(queued[0].find("<CommandKey>sd</CommandKey>"), std::string::npos);
  EXPECT_NE(queued[0].find("<CommandKey>later</CommandKey>"), std::string::npos);
  EXPECT_TRUE(transferComplete("sd").empty());  // its window has not opened yet

  daemon_->kill9();
  daemon_->start();
  ASSERT_TRUE(waitSessions(3, 15s));
  acs_->addRpc("<cwmp:GetAllQueuedTransfers></cwmp:GetAllQueuedTransfers>");
  acs_->addRpc("<cwmp:CancelTransfer><CommandKey>later</CommandKey></cwmp:CancelTransfer>");
  acs_->addRpc("<cwmp:CancelTransfer><CommandKey>later</CommandKey></cwmp:CancelTransfer>");
  kick();
  ASSERT_TRUE(waitSessions(4, 15s));
  auto all = sent("GetAllQueuedTransfersResponse");
  ASSERT_EQ(all.size(), 1u);
  EXPECT_NE(all[0].find("<CommandKey>later</CommandKey>"), std::string::npos);
  EXPECT_NE(all[0].find("<CommandKey>sd</CommandKey>"), std::string::npos);
  EXPECT_EQ(sent("CancelTransferResponse").size(), 1u);
  std::vector<std::string> faults;
  for (const auto& r : acs_->results())
    if (r.get<std::string>("method", "") == "Fault")
      faults.push_back(r.get<std::string>("fault_code", ""));
  EXPECT_EQ(faults, std::vector<std::string>{"9003"});

  // The scheduled download runs in its window and is reported with M ScheduleDownload.
  ASSERT_TRUE(waitSent("TransferComplete", 1, 30s));
  EXPECT_EQ(field(transferComplete("sd"), "FaultCode"), "0");
  EXPECT_TRUE(transferComplete("later").empty());
  bool method = false;
  for (const auto& s : acs_->sessions())
    for (const auto& [code, key] : informEvents(s.get<std::string>("inform", "")))
      method = method || (code == "M ScheduleDownload" && key == "sd");
  EXPECT_TRUE(method);
}

TEST_F(TransferIt, AnAcsThatRefusesTransferCompleteWith8000IsNotAskedAgain) {
  files_->put("x.bin", "x");
  startAndSettle();
  // HTTP 200 for the fault: the session engine currently ends a session on an HTTP 500
  // before reading the SOAP fault in it (reported to the session engine's owner).
  acs_->configure(R"({"cpe_method_faults": {"TransferComplete": 8000}, "fault_http_status": 200})");
  acs_->addRpc(downloadRpc("refused", "2 Web Content", files_->url("/files/x.bin")));
  kick();
  ASSERT_TRUE(waitSent("TransferComplete", 1, 30s));
  std::this_thread::sleep_for(2s);
  const std::size_t sessions = acs_->sessions().size();
  kick();
  ASSERT_TRUE(waitNewSession(sessions));
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(sent("TransferComplete").size(), 1u);
}

}  // namespace
}  // namespace cwmpd::test

namespace cwmpd::test {
namespace {

#ifdef CWMPD_TEST_EXAMPLE_PLUGIN
// Issue 8 item 1: a plugin's vendor FileType (the SDK example plugin's "X 00005E Example
// Text") is downloaded by the core and applied by the plugin's handler.
TEST_F(TransferIt, AVendorFileTypeOfAPluginIsAppliedByItAndAnUnknownOneIsRefused) {
  daemon_->addPlugin(CWMPD_TEST_EXAMPLE_PLUGIN, "example");
  daemon_->set("example", "file_dir", dir_ + "/example-files");
  files_->put("note.txt", "hello from the ACS\n");
  files_->put("binary.bin", std::string("\x7f"
                                        "ELF\x01\x00",
                                        6));
  startAndSettle();
  ASSERT_TRUE(
      daemon_->waitForLog("file type 'X 00005E Example Text' handled by plugin example", 1s));
  acs_->addRpc(
      downloadRpc("vendor-ok", "X 00005E Example Text", files_->url("/digest/note.txt"), 19));
  acs_->addRpc(
      downloadRpc("vendor-bad", "X 00005E Example Text", files_->url("/files/binary.bin")));
  acs_->addRpc(
      downloadRpc("vendor-unknown", "X 00005E No Such Type", files_->url("/files/note.txt")));
  kick();
  ASSERT_TRUE(waitSent("TransferComplete", 2, 40s));
  EXPECT_EQ(field(transferComplete("vendor-ok"), "FaultCode"), "0");
  // The handler's effect: the file where the plugin's configuration says.
  EXPECT_EQ(readText(dir_ + "/example-files/example.txt"), "hello from the ACS\n");
  // The plugin refused the binary as corrupted; the unknown type never got queued.
  EXPECT_EQ(field(transferComplete("vendor-bad"), "FaultCode"), "9018");
  EXPECT_TRUE(transferComplete("vendor-unknown").empty());
  EXPECT_EQ(faultCodes(), std::vector<std::string>{"9003"});
}
#endif

#ifdef CWMPD_TEST_THROWING_FILE_TYPE_PLUGIN
// Issue 14 item 5: a plugin's file-type handler that throws (not a Fault) passes the
// plugin firewall: the Download ends in a TransferComplete with 9002, the log names the
// plugin, and the daemon goes on with the next session.
TEST_F(TransferIt, AFileTypeHandlerThatThrowsGivesATransferCompleteWith9002AndTheDaemonCarriesOn) {
  daemon_->addPlugin(CWMPD_TEST_THROWING_FILE_TYPE_PLUGIN, "throwing_file_type");
  files_->put("fw.bin", "firmware");
  startAndSettle();
  acs_->addRpc(downloadRpc("broken", "X 00005E Broken Firmware", files_->url("/files/fw.bin")));
  kick();
  ASSERT_TRUE(waitSent("TransferComplete", 1, 40s));
  EXPECT_EQ(field(transferComplete("broken"), "FaultCode"), "9002");
  EXPECT_TRUE(daemon_->waitForLog("plugin throwing_file_type", 1s));
  EXPECT_TRUE(daemon_->waitForLog("flash write failed", 1s));
  ASSERT_TRUE(daemon_->running());
  const std::size_t before = acs_->sessions().size();
  acs_->addRpc(getValuesRpc({"Device.DeviceInfo.Manufacturer"}));
  kick();
  ASSERT_TRUE(waitNewSession(before));
  EXPECT_EQ(sent("GetParameterValuesResponse").size(), 1u);
}
#endif

// Issue 8 item 2, TR-069 3.7.1.5: "M Download" is delivered with the InformResponse, but a
// session that then fails before the ACS acknowledged the TransferComplete must not lose
// it: the next Inform carries "7 TRANSFER COMPLETE" and "M Download" again.
TEST_F(TransferIt, ATransferCompleteLostWithItsSessionComesBackWithBothEvents) {
  daemon_->setTimeScale(0.1);  // the failed session is retried within a second
  files_->put("x.bin", "x");
  startAndSettle();
  // The ACS drops the connection when the TransferComplete arrives (after its
  // InformResponse). Twice: libcurl sends a request again, once, on a fresh connection when
  // a reused one dies without an answer; the second drop fails the session.
  acs_->addResponses(
      R"([{"match": "TransferComplete", "drop": true}, {"match": "TransferComplete", "drop": true}])");
  acs_->addRpc(downloadRpc("dropped", "2 Web Content", files_->url("/files/x.bin")));
  kick();
  ASSERT_TRUE(waitSent("TransferComplete", 3, 40s));
  ASSERT_TRUE(daemon_->waitForLog("failed; retry 1", 1s));
  // Every Inform after the download carries both events, the retried one included.
  std::vector<std::string> withReport;
  for (const auto& inform : informs(*acs_)) {
    bool complete = false, method = false;
    for (const auto& [code, key] : informEvents(inform)) {
      complete = complete || code == "7 TRANSFER COMPLETE";
      method = method || (code == "M Download" && key == "dropped");
    }
    if (complete || method) {
      EXPECT_TRUE(complete && method) << inform;
      withReport.push_back(inform);
    }
  }
  EXPECT_GE(withReport.size(), 2u);
  // The second TransferComplete was acknowledged: the next session carries neither.
  for (const auto& b : sent("TransferComplete")) EXPECT_EQ(field(b, "CommandKey"), "dropped");
  std::this_thread::sleep_for(500ms);
  const std::size_t before = acs_->sessions().size();
  kick();
  ASSERT_TRUE(waitNewSession(before));
  const auto codes = eventCodes(acs_->sessions().back().get<std::string>("inform", ""));
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "7 TRANSFER COMPLETE"), 0);
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "M Download"), 0);
  EXPECT_EQ(sent("TransferComplete").size(), 3u);
}

// Issue 8 item 3, TR-069 A.4.1.5: Upload "3 Vendor Configuration File <i>" and "4 Vendor Log
// File <i>" name DeviceInfo.VendorConfigFile / VendorLogFile instances; a downloaded
// configuration renames and dates its instance.
TEST_F(TransferIt, UploadTypesThreeAndFourSendTheConfigurationAndLogTheirInstancesName) {
  startAndSettle();
  const std::string di = "Device.DeviceInfo.";
  acs_->addRpc(
      getValuesRpc({di + "VendorConfigFileNumberOfEntries", di + "VendorConfigFile.1.Name",
                    di + "VendorConfigFile.1.Date", di + "VendorConfigFile.1.UseForBackupRestore",
                    di + "VendorLogFile.1.Name", di + "VendorLogFile.1.Persistent"}));
  acs_->addRpc(
      uploadRpc("cfg-3", "3 Vendor Configuration File 1", files_->url("/upload/three.cfg")));
  acs_->addRpc(uploadRpc("log-4", "4 Vendor Log File 1", files_->url("/digest/upload/four.log")));
  acs_->addRpc(
      uploadRpc("cfg-none", "3 Vendor Configuration File 2", files_->url("/upload/none.cfg")));
  kick();
  ASSERT_TRUE(waitSent("TransferComplete", 2, 40s));
  auto gpv = sent("GetParameterValuesResponse");
  ASSERT_EQ(gpv.size(), 1u);
  EXPECT_EQ(parameterValue(gpv[0], di + "VendorConfigFileNumberOfEntries"), "1");
  EXPECT_EQ(parameterValue(gpv[0], di + "VendorConfigFile.1.Name"), "cwmpd-config");
  EXPECT_EQ(parameterValue(gpv[0], di + "VendorConfigFile.1.Date"), "0001-01-01T00:00:00Z");
  EXPECT_EQ(parameterValue(gpv[0], di + "VendorConfigFile.1.UseForBackupRestore"), "true");
  EXPECT_EQ(parameterValue(gpv[0], di + "VendorLogFile.1.Name"), dir_ + "/cwmpd.log");
  EXPECT_TRUE(parameterValue(gpv[0], di + "VendorLogFile.1.Persistent").has_value());
  EXPECT_EQ(field(transferComplete("cfg-3"), "FaultCode"), "0");
  EXPECT_EQ(field(transferComplete("log-4"), "FaultCode"), "0");
  const std::string config = files_->uploaded("three.cfg");
  EXPECT_EQ(config.rfind("cwmpd-config 1 Device\n", 0), 0u) << config;
  EXPECT_NE(files_->uploaded("four.log").find("session"),
            std::string::npos);  // the daemon's own log
  EXPECT_EQ(faultCodes(), std::vector<std::string>{"9003"});

  // The uploaded configuration comes back as "3 Vendor Configuration File": after the
  // restart that applies it, instance 1 carries its name and the time it was applied.
  files_->put("site-7.cfg", config);
  acs_->addRpc(downloadRpc("cfg-back", "3 Vendor Configuration File",
                           files_->url("/files/site-7.cfg"), config.size()));
  kick();
  ASSERT_TRUE(waitSent("TransferComplete", 3, 40s));
  EXPECT_EQ(field(transferComplete("cfg-back"), "FaultCode"), "0");
  acs_->addRpc(getValuesRpc({di + "VendorConfigFileNumberOfEntries", di + "VendorConfigFile.1.Name",
                             di + "VendorConfigFile.1.Date"}));
  kick();
  ASSERT_TRUE(waitSent("GetParameterValuesResponse", 2));
  gpv = sent("GetParameterValuesResponse");
  EXPECT_EQ(parameterValue(gpv[1], di + "VendorConfigFileNumberOfEntries"), "1");
  EXPECT_EQ(parameterValue(gpv[1], di + "VendorConfigFile.1.Name"), "site-7.cfg");
  const auto date = parameterValue(gpv[1], di + "VendorConfigFile.1.Date");
  ASSERT_TRUE(date.has_value());
  EXPECT_NE(*date, "0001-01-01T00:00:00Z");
}

// Issue 8 item 4, TR-069 A.4.1.8: a download that fails in its window is retried there
// while the window's MaxRetries allow.
TEST_F(TransferIt, AScheduledDownloadIsRetriedInItsWindowUpToMaxRetries) {
  daemon_->setTimeScale(0.1);  // retry pauses of a second
  files_->put("flaky.bin", "after two failures");
  startAndSettle();
  acs_->addRpc(
      "<cwmp:ScheduleDownload><CommandKey>flaky</CommandKey><FileType>2 Web Content</FileType><URL>" +
      files_->url("/flaky/2/flaky.bin") +
      "</URL><Username></Username><Password></Password><FileSize>0</FileSize><TargetFileName>flaky.bin"
      "</TargetFileName><TimeWindowList soap-enc:arrayType=\"cwmp:TimeWindowStruct[1]\"><TimeWindowStruct>"
      "<WindowStart>0</WindowStart><WindowEnd>3600</WindowEnd><WindowMode>1 At Any Time</WindowMode>"
      "<UserMessage></UserMessage><MaxRetries>2</MaxRetries></TimeWindowStruct></TimeWindowList>"
      "</cwmp:ScheduleDownload>");
  kick();
  ASSERT_TRUE(waitSent("TransferComplete", 1, 40s));
  EXPECT_EQ(field(transferComplete("flaky"), "FaultCode"), "0");
  EXPECT_EQ(files_->requests("/flaky/2/flaky.bin"), 3);
  EXPECT_EQ(readText(dir_ + "/transfer-files/flaky.bin"), "after two failures");
}

}  // namespace
}  // namespace cwmpd::test
