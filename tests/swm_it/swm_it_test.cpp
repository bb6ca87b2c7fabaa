// Software module management (issue 20): ChangeDUState from the loopback test ACS to the
// real daemon with the sim execution environment (plugins/swm_sim), DUs served by a
// loopback file server (tests/transfer/file_server.py). Every message the daemon sent is
// checked against the BBF schemas (DaemonIt::TearDown).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "file_server.hpp"
#include "it_support.hpp"

namespace cwmpd::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kUuid = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
constexpr const char* kSm = "Device.SoftwareModules.";

std::string field(const std::string& xml, const std::string& tag) {
  std::smatch m;
  std::regex re("<" + tag + ">([^<]*)</" + tag + ">");
  return std::regex_search(xml, m, re) ? std::string(m[1]) : std::string();
}

// The <Results> elements of a DUStateChangeComplete, in order.
std::vector<std::string> results(const std::string& xml) {
  std::vector<std::string> out;
  std::regex re("<Results>([\\s\\S]*?)</Results>");
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), re); it != std::sregex_iterator();
       ++it)
    out.push_back((*it)[1]);
  return out;
}

std::string installOp(const std::string& url, const std::string& uuid,
                      const std::string& ee = "Device.SoftwareModules.ExecEnv.1",
                      const std::string& user = "", const std::string& password = "") {
  return "<Operations xsi:type=\"cwmp:InstallOpStruct\"><URL>" + url + "</URL><UUID>" + uuid +
         "</UUID><Username>" + user + "</Username><Password>" + password +
         "</Password><ExecutionEnvRef>" + ee + "</ExecutionEnvRef></Operations>";
}
// An xsd:boolean as the daemon writes it ("1"/"0"), or as text.
bool truth(const std::string& v) { return v == "1" || v == "true"; }
std::string updateOp(const std::string& url, const std::string& uuid,
                     const std::string& version = "") {
  return "<Operations xsi:type=\"cwmp:UpdateOpStruct\"><UUID>" + uuid + "</UUID><Version>" +
         version + "</Version><URL>" + url +
         "</URL><Username></Username><Password></Password></Operations>";
}
std::string uninstallOp(const std::string& uuid, const std::string& version = "") {
  return "<Operations xsi:type=\"cwmp:UninstallOpStruct\"><UUID>" + uuid + "</UUID><Version>" +
         version + "</Version><ExecutionEnvRef></ExecutionEnvRef></Operations>";
}
std::string changeDuState(const std::string& key, const std::vector<std::string>& ops) {
  std::string rpc = "<cwmp:ChangeDUState>";
  for (const auto& o : ops) rpc += o;
  return rpc + "<CommandKey>" + key + "</CommandKey></cwmp:ChangeDUState>";
}
std::string getValues(const std::vector<std::string>& names) {
  std::string rpc = "<cwmp:GetParameterValues><ParameterNames soap-enc:arrayType=\"xsd:string[" +
                    std::to_string(names.size()) + "]\">";
  for (const auto& n : names) rpc += "<string>" + n + "</string>";
  return rpc + "</ParameterNames></cwmp:GetParameterValues>";
}
std::string setValue(const std::string& name, const std::string& value) {
  return "<cwmp:SetParameterValues><ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[1]\">"
         "<ParameterValueStruct><Name>" +
         name + "</Name><Value xsi:type=\"xsd:string\">" + value +
         "</Value></ParameterValueStruct></ParameterList><ParameterKey>k</ParameterKey>"
         "</cwmp:SetParameterValues>";
}

class SwmIt : public DaemonIt {
 protected:
  void SetUp() override {
    DaemonIt::SetUp();
    files_ = std::make_unique<FileServer>(dir_ + "/files");
    daemon_->set("transfers", "dir", dir_ + "/transfer-tmp");
    daemon_->set("cpe", "connection_request_min_interval", "0");
    daemon_->addPlugin(CWMPD_TEST_SWM_SIM_PLUGIN, "swm_sim");
  }
  void TearDown() override {
    DaemonIt::TearDown();
    files_.reset();
    bus_.reset();
  }

  // A DU archive for the sim EE: a manifest and a program `run` that writes `marker`
  // into the DU's directory and stays up (`lifetime` seconds) or exits at once.
  void makeDu(const std::string& file, const std::string& version, int lifetime = 30) {
    const std::string src = dir_ + "/du-src-" + version;
    fs::create_directories(src + "/bin");
    std::ofstream(src + "/manifest") << "name=hello\nversion=" << version
                                     << "\nvendor=Example\ndescription=greets\n"
                                        "unit=greeter:bin/run\n";
    std::ofstream(src + "/bin/run")
        << "#!/bin/sh\necho " << version << " > marker\nexec sleep " << lifetime << "\n";
    fs::permissions(src + "/bin/run", fs::perms::owner_all);
    const std::string cmd = "tar -cf '" + dir_ + "/files/root/" + file + "' -C '" + src + "' .";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }

  void kick() {
    auto r = acs_->connectionRequest(daemon_->connectionRequestUrl(), "cr-user", "cr-secret");
    EXPECT_EQ(r.get<std::string>("status", ""), "200");
  }
  std::vector<std::string> sent(const std::string& method) {
    std::vector<std::string> out;
    for (const auto& r : acs_->requests()) {
      std::string b = r.get<std::string>("body", "");
      if (bodyMethod(b) == method) out.push_back(b);
    }
    return out;
  }
  bool waitSent(const std::string& method, std::size_t n, std::chrono::seconds limit = 20s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (sent(method).size() >= n) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
  // Runs one RPC in a session the test opens; its answer's body.
  std::string ask(const std::string& rpc) {
    const std::size_t before = acs_->results().size();
    acs_->addRpc(rpc);
    kick();
    EXPECT_TRUE(acs_->waitFor("results", static_cast<int>(before + 1), 15s));
    auto all = acs_->results();
    return all.size() > before ? all[before].get<std::string>("body", "") : std::string();
  }
  std::string value(const std::string& body, const std::string& name) {
    return parameterValue(body, name).value_or("<absent>");
  }
  // Sends ChangeDUState, checks its immediate empty answer, and returns the
  // DUStateChangeComplete number `n` (1-based) that follows.
  std::string change(const std::string& key, const std::vector<std::string>& ops, std::size_t n) {
    const std::string answer = ask(changeDuState(key, ops));
    EXPECT_EQ(bodyMethod(answer), "ChangeDUStateResponse") << answer;
    EXPECT_TRUE(waitSent("DUStateChangeComplete", n)) << "no DUStateChangeComplete " << n;
    auto all = sent("DUStateChangeComplete");
    return all.size() >= n ? all[n - 1] : std::string();
  }
  // Waits until GetParameterValues of `name` gives `want`; the last value read.
  std::string waitValue(const std::string& name, const std::string& want) {
    std::string v;
    for (int i = 0; i < 40; ++i) {
      v = value(ask(getValues({name})), name);
      if (v == want) break;
      std::this_thread::sleep_for(100ms);
    }
    return v;
  }
  std::string simDir() const { return daemon_->storeDir() + "/plugins/swm_sim"; }

  // TR-181 ManagementServer.DUStateChangeComplPolicy: enabled for these operations,
  // successful or not.
  void setPolicy(const std::string& operations) {
    const std::string policy = "Device.ManagementServer.DUStateChangeComplPolicy.";
    const std::string set = ask(
        "<cwmp:SetParameterValues><ParameterList "
        "soap-enc:arrayType=\"cwmp:ParameterValueStruct[3]\"><ParameterValueStruct><Name>" +
        policy +
        "Enable</Name><Value xsi:type=\"xsd:boolean\">true"
        "</Value></ParameterValueStruct><ParameterValueStruct><Name>" +
        policy + "OperationTypeFilter</Name><Value xsi:type=\"xsd:string\">" + operations +
        "</Value></ParameterValueStruct><ParameterValueStruct><Name>" + policy +
        "ResultTypeFilter</Name><Value xsi:type=\"xsd:string\">Both</Value></ParameterValueStruct>"
        "</ParameterList><ParameterKey>p</ParameterKey></cwmp:SetParameterValues>");
    ASSERT_EQ(bodyMethod(set), "SetParameterValuesResponse") << set;
  }
  // The results of the AutonomousDUStateChangeComplete number `n` (1-based) once it came.
  std::vector<std::string> autonomousResults(std::size_t n) {
    EXPECT_TRUE(waitSent("AutonomousDUStateChangeComplete", n)) << "no report " << n;
    const auto all = sent("AutonomousDUStateChangeComplete");
    return all.size() >= n ? results(all[n - 1]) : std::vector<std::string>{};
  }

  std::unique_ptr<FileServer> files_;
  std::unique_ptr<PrivateDbus> bus_;
};

TEST_F(SwmIt, InstallUpdateAndUninstallOfADuAreReportedAndShownInTheModel) {
  makeDu("hello-1.tar", "1.0");
  makeDu("hello-2.tar", "2.0");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1, 15s));

  // GetRPCMethods lists ChangeDUState.
  EXPECT_NE(ask("<cwmp:GetRPCMethods></cwmp:GetRPCMethods>").find("<string>ChangeDUState</string>"),
            std::string::npos);

  // Install: answered at once, done after the session, reported in the next one.
  const std::string installed =
      change("inst-1",
             {installOp(files_->url("/digest/hello-1.tar"), kUuid,
                        "Device.SoftwareModules.ExecEnv.1", "user", "secret")},
             1);
  EXPECT_EQ(field(installed, "CommandKey"), "inst-1");
  auto r = results(installed);
  ASSERT_EQ(r.size(), 1u) << installed;
  EXPECT_EQ(field(r[0], "UUID"), kUuid);
  EXPECT_EQ(field(r[0], "DeploymentUnitRef"), "Device.SoftwareModules.DeploymentUnit.1");
  EXPECT_EQ(field(r[0], "Version"), "1.0");
  EXPECT_EQ(field(r[0], "CurrentState"), "Installed");
  EXPECT_TRUE(truth(field(r[0], "Resolved")));
  EXPECT_EQ(field(r[0], "ExecutionUnitRefList"), "Device.SoftwareModules.ExecutionUnit.1");
  EXPECT_EQ(field(r[0], "FaultCode"), "0");
  // Its session's Inform carried both events.
  bool both = false;
  for (const auto& inform : informs(*acs_)) {
    const auto ev = informEvents(inform);
    both =
        both || (std::count(ev.begin(), ev.end(), SentEvent{"11 DU STATE CHANGE COMPLETE", ""}) &&
                 std::count(ev.begin(), ev.end(), SentEvent{"M ChangeDUState", "inst-1"}));
  }
  EXPECT_TRUE(both) << "no Inform with 11 DU STATE CHANGE COMPLETE and M ChangeDUState";

  const std::string du = std::string(kSm) + "DeploymentUnit.1.";
  const std::string eu = std::string(kSm) + "ExecutionUnit.1.";
  std::string rows = ask(getValues({du, eu, std::string(kSm) + "ExecEnv.1.Name"}));
  EXPECT_EQ(value(rows, du + "UUID"), kUuid);
  EXPECT_EQ(value(rows, du + "DUID"), "hello");
  EXPECT_EQ(value(rows, du + "Version"), "1.0");
  EXPECT_EQ(value(rows, du + "Status"), "Installed");
  EXPECT_EQ(value(rows, du + "URL"), files_->url("/digest/hello-1.tar"));
  EXPECT_EQ(value(rows, du + "ExecutionUnitList"), "Device.SoftwareModules.ExecutionUnit.1");
  EXPECT_EQ(value(rows, du + "ExecutionEnvRef"), "Device.SoftwareModules.ExecEnv.1");
  EXPECT_EQ(value(rows, eu + "Name"), "greeter");
  EXPECT_EQ(value(rows, eu + "Status"), "Idle");
  EXPECT_EQ(value(rows, eu + "ExecutionEnvRef"), "Device.SoftwareModules.ExecEnv.1");
  EXPECT_EQ(value(rows, std::string(kSm) + "ExecEnv.1.Name"), "sim");

  // RequestedState Active runs the EU's program; Idle stops it.
  EXPECT_EQ(bodyMethod(ask(setValue(eu + "RequestedState", "Active"))),
            "SetParameterValuesResponse");
  EXPECT_EQ(waitValue(eu + "Status", "Active"), "Active");
  bool ran = false;
  for (int i = 0; i < 100 && !ran; ++i) {
    ran = fs::exists(simDir() + "/du/hello/marker");
    if (!ran) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(ran) << "the program did not run";
  EXPECT_EQ(value(ask(getValues({std::string(kSm) + "ExecEnv.1.ActiveExecutionUnits"})),
                  std::string(kSm) + "ExecEnv.1.ActiveExecutionUnits"),
            "Device.SoftwareModules.ExecutionUnit.1");
  EXPECT_EQ(bodyMethod(ask(setValue(eu + "RequestedState", "Idle"))), "SetParameterValuesResponse");
  EXPECT_EQ(waitValue(eu + "Status", "Idle"), "Idle");

  // Update to 2.0: the same UUID and row, the new version.
  const std::string updated =
      change("upd-1", {updateOp(files_->url("/files/hello-2.tar"), kUuid)}, 2);
  r = results(updated);
  ASSERT_EQ(r.size(), 1u) << updated;
  EXPECT_EQ(field(updated, "CommandKey"), "upd-1");
  EXPECT_EQ(field(r[0], "UUID"), kUuid);
  EXPECT_EQ(field(r[0], "Version"), "2.0");
  EXPECT_EQ(field(r[0], "CurrentState"), "Installed");
  EXPECT_EQ(field(r[0], "DeploymentUnitRef"), "Device.SoftwareModules.DeploymentUnit.1");
  EXPECT_EQ(field(r[0], "FaultCode"), "0");
  rows = ask(getValues({du + "Version", du + "URL"}));
  EXPECT_EQ(value(rows, du + "Version"), "2.0");
  EXPECT_EQ(value(rows, du + "URL"), files_->url("/files/hello-2.tar"));

  // The rows and the DU's UUID survive a restart.
  daemon_->stop();
  const std::size_t mark = daemon_->logSize();
  daemon_->start();
  ASSERT_TRUE(daemon_->waitForLog("ready:", 10s, mark));
  EXPECT_EQ(waitValue(du + "UUID", kUuid), kUuid);

  // Uninstall: reported, the rows and the files gone.
  const std::string removed = change("rm-1", {uninstallOp(kUuid)}, 3);
  r = results(removed);
  ASSERT_EQ(r.size(), 1u) << removed;
  EXPECT_EQ(field(r[0], "UUID"), kUuid);
  EXPECT_EQ(field(r[0], "CurrentState"), "Uninstalled");
  EXPECT_EQ(field(r[0], "FaultCode"), "0");
  rows = ask(getValues({std::string(kSm) + "DeploymentUnitNumberOfEntries",
                        std::string(kSm) + "ExecutionUnitNumberOfEntries"}));
  EXPECT_EQ(value(rows, std::string(kSm) + "DeploymentUnitNumberOfEntries"), "0");
  EXPECT_EQ(value(rows, std::string(kSm) + "ExecutionUnitNumberOfEntries"), "0");
  EXPECT_FALSE(fs::exists(simDir() + "/du/hello"));
}

TEST_F(SwmIt, FailedInstallsReportTheirFaultAndLeaveNoTrace) {
  std::ofstream(dir_ + "/files/root/junk.tar") << "this is not a tar archive";
  makeDu("hello-1.tar", "1.0");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1, 15s));
  const std::string report =
      change("bad",
             {installOp(files_->url("/files/junk.tar"), ""),
              installOp(files_->url("/files/nowhere.tar"), ""),
              installOp(files_->url("/files/hello-1.tar"), "", "Device.SoftwareModules.ExecEnv.9")},
             1);
  const auto r = results(report);
  ASSERT_EQ(r.size(), 3u) << report;
  // TR-069 A.4.2.6 / cwmp-1-2.xsd: corrupted file, unable to access the file, unknown EE.
  EXPECT_EQ(field(r[0], "FaultCode"), "9018");
  EXPECT_EQ(field(r[1], "FaultCode"), "9016");
  EXPECT_EQ(field(r[2], "FaultCode"), "9023");
  for (const auto& one : r) {
    EXPECT_EQ(field(one, "CurrentState"), "Failed");
    EXPECT_EQ(field(one, "DeploymentUnitRef"), "");
    EXPECT_FALSE(truth(field(one, "Resolved")));
  }
  const std::string rows = ask(getValues({std::string(kSm) + "DeploymentUnitNumberOfEntries"}));
  EXPECT_EQ(value(rows, std::string(kSm) + "DeploymentUnitNumberOfEntries"), "0");
  // No unpacked files, no downloaded ones.
  std::size_t left = 0;
  for (const auto& d : {simDir(), dir_ + "/transfer-tmp"}) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(d, ec);
         it != fs::recursive_directory_iterator(); ++it)
      if (it->is_regular_file()) {
        ADD_FAILURE() << "left behind: " << it->path();
        ++left;
      }
  }
  EXPECT_EQ(left, 0u);
}

TEST_F(SwmIt, AnOperationInterruptedByACrashRunsAgainAfterTheRestart) {
  makeDu("hello-1.tar", "1.0");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1, 15s));
  // A slow download (1 KiB every 0.2 s): the daemon dies in the middle of it.
  const std::size_t mark = daemon_->logSize();
  EXPECT_EQ(
      bodyMethod(ask(changeDuState("crash", {installOp(files_->url("/slow/hello-1.tar"), kUuid)}))),
      "ChangeDUStateResponse");
  // The session that carried it ended: the download runs now.
  ASSERT_TRUE(daemon_->waitForLog("ended", 10s, mark));
  daemon_->kill9();
  EXPECT_TRUE(sent("DUStateChangeComplete").empty());
  daemon_->start();
  ASSERT_TRUE(waitSent("DUStateChangeComplete", 1, 30s));
  const std::string report = sent("DUStateChangeComplete")[0];
  EXPECT_EQ(field(report, "CommandKey"), "crash");
  const auto r = results(report);
  ASSERT_EQ(r.size(), 1u) << report;
  EXPECT_EQ(field(r[0], "UUID"), kUuid);
  EXPECT_EQ(field(r[0], "CurrentState"), "Installed");
  EXPECT_EQ(field(r[0], "FaultCode"), "0");
}

TEST_F(SwmIt, LocalChangesAreReportedAsAutonomousWhereThePolicyAsks) {
  makeDu("hello-1.tar", "1.0");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1, 15s));
  // TR-181 DUStateChangeComplPolicy: only uninstalls, successful or not.
  setPolicy("Uninstall");

  // A package manager installs (not reported: filtered out), then removes (reported).
  const std::string inbox = simDir() + "/inbox/";
  fs::copy_file(dir_ + "/files/root/hello-1.tar", inbox + "hello.part");
  fs::rename(inbox + "hello.part", inbox + "hello-1.tar");
  const std::string count = std::string(kSm) + "DeploymentUnitNumberOfEntries";
  ASSERT_EQ(waitValue(count, "1"), "1");
  std::ofstream(inbox + "hello.remove").close();
  ASSERT_TRUE(waitSent("AutonomousDUStateChangeComplete", 1)) << "no report of the removal";
  const std::string report = sent("AutonomousDUStateChangeComplete")[0];
  const auto r = results(report);
  ASSERT_EQ(r.size(), 1u) << report;
  EXPECT_EQ(field(r[0], "OperationPerformed"), "Uninstall");
  EXPECT_EQ(field(r[0], "CurrentState"), "Uninstalled");
  EXPECT_EQ(field(r[0], "Version"), "1.0");
  EXPECT_EQ(field(r[0], "FaultCode"), "0");
  bool event = false;
  for (const auto& inform : informs(*acs_))
    for (const auto& e : informEvents(inform))
      event = event || e.first == "12 AUTONOMOUS DU STATE CHANGE COMPLETE";
  EXPECT_TRUE(event) << "no Inform with 12 AUTONOMOUS DU STATE CHANGE COMPLETE";
  EXPECT_EQ(waitValue(count, "0"), "0");
}

// TR-069 A.4.1.10 / Annex H: one DU (one UUID) installed at two versions; an Update that
// names no Version is refused with 9031, a Version picks the one meant, an Update with
// neither UUID nor URL updates every DU from its own URL, and an Uninstall that names no
// Version uninstalls every version (cwmp-1-2.xsd UninstallOpStruct), one result each.
TEST_F(SwmIt, SeveralVersionsOfADuAndUpdatingEveryDu) {
  makeDu("hello-1.tar", "1.0");
  makeDu("hello-2.tar", "2.0");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1, 15s));
  const std::string both = change("two",
                                  {installOp(files_->url("/files/hello-1.tar"), kUuid),
                                   installOp(files_->url("/files/hello-2.tar"), kUuid)},
                                  1);
  auto r = results(both);
  ASSERT_EQ(r.size(), 2u) << both;
  for (const auto& one : r) {
    EXPECT_EQ(field(one, "FaultCode"), "0") << one;
    EXPECT_EQ(field(one, "UUID"), kUuid);
  }
  EXPECT_EQ(field(r[1], "Version"), "2.0");
  const std::string count = std::string(kSm) + "DeploymentUnitNumberOfEntries";
  EXPECT_EQ(value(ask(getValues({count})), count), "2");

  // No Version: which of the two is meant is unknown.
  const std::string ambiguous =
      change("amb", {updateOp(files_->url("/files/hello-2.tar"), kUuid)}, 2);
  r = results(ambiguous);
  ASSERT_EQ(r.size(), 1u) << ambiguous;
  EXPECT_EQ(field(r[0], "FaultCode"), "9031");
  EXPECT_EQ(value(ask(getValues({count})), count), "2");

  // Version 1.0 named: that one goes, 2.0 stays.
  const std::string removed = change("rm", {uninstallOp(kUuid, "1.0")}, 3);
  r = results(removed);
  ASSERT_EQ(r.size(), 1u) << removed;
  EXPECT_EQ(field(r[0], "FaultCode"), "0");
  EXPECT_EQ(field(r[0], "Version"), "1.0");
  EXPECT_EQ(field(r[0], "CurrentState"), "Uninstalled");
  const std::string rows = ask(getValues({std::string(kSm) + "DeploymentUnit."}));
  EXPECT_NE(rows.find(">2.0</Value>"), std::string::npos) << rows;
  EXPECT_EQ(rows.find(">1.0</Value>"), std::string::npos) << rows;

  // "Update all": the DU's own URL now serves 3.0.
  makeDu("hello-2.tar", "3.0");
  const std::string all = change("all", {updateOp("", "")}, 4);
  r = results(all);
  ASSERT_EQ(r.size(), 1u) << all;
  EXPECT_EQ(field(r[0], "FaultCode"), "0") << all;
  EXPECT_EQ(field(r[0], "UUID"), kUuid);
  EXPECT_EQ(field(r[0], "Version"), "3.0");
  EXPECT_EQ(field(r[0], "CurrentState"), "Installed");

  // 1.0 again beside 3.0; an Uninstall without a Version removes both.
  r = results(change("again", {installOp(files_->url("/files/hello-1.tar"), kUuid)}, 5));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(field(r[0], "FaultCode"), "0") << r[0];
  EXPECT_EQ(value(ask(getValues({count})), count), "2");
  const std::string gone = change("gone", {uninstallOp(kUuid)}, 6);
  r = results(gone);
  ASSERT_EQ(r.size(), 2u) << gone;
  std::set<std::string> versions;
  for (const auto& one : r) {
    EXPECT_EQ(field(one, "FaultCode"), "0") << one;
    EXPECT_EQ(field(one, "CurrentState"), "Uninstalled") << one;
    versions.insert(field(one, "Version"));
  }
  EXPECT_EQ(versions, (std::set<std::string>{"1.0", "3.0"}));
  EXPECT_EQ(value(ask(getValues({count})), count), "0");
}

// TR-181 DeploymentUnit.{i}.UUID, Annex C: a DU installed without a UUID from the ACS gets
// the version 5 UUID of its Name in its Vendor's name space, the same one for every
// version; so does a DU installed locally.
TEST_F(SwmIt, ADuInstalledWithoutAUuidGetsItsNameBasedUuid) {
  // python3 -c 'import uuid; print(uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_DNS, "Example"),
  // "hello"))'
  const std::string want = "f8871c79-437f-57df-99ea-06b3618db10b";
  makeDu("hello-1.tar", "1.0");
  makeDu("hello-2.tar", "2.0");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1, 15s));
  // Version 1.0 installed locally.
  const std::string inbox = simDir() + "/inbox/";
  fs::copy_file(dir_ + "/files/root/hello-1.tar", inbox + "hello.part");
  fs::rename(inbox + "hello.part", inbox + "hello-1.tar");
  const std::string count = std::string(kSm) + "DeploymentUnitNumberOfEntries";
  ASSERT_EQ(waitValue(count, "1"), "1");
  const std::string du = std::string(kSm) + "DeploymentUnit.";
  EXPECT_EQ(value(ask(getValues({du + "1.UUID"})), du + "1.UUID"), want);
  // Version 2.0 beside it by ChangeDUState without a UUID: the same UUID.
  const std::string report =
      change("nouuid", {installOp(files_->url("/files/hello-2.tar"), "")}, 1);
  const auto r = results(report);
  ASSERT_EQ(r.size(), 1u) << report;
  EXPECT_EQ(field(r[0], "FaultCode"), "0") << report;
  EXPECT_EQ(field(r[0], "UUID"), want);
  EXPECT_EQ(field(r[0], "Version"), "2.0");
  EXPECT_EQ(value(ask(getValues({du + "2.UUID"})), du + "2.UUID"), want);
}

// Issue 20: DU changes asked for on the box over D-Bus (org.cwmpd.Agent1 InstallDU,
// UninstallDU through cwmpctl) run like ChangeDUState operations and reach the ACS as
// AutonomousDUStateChangeComplete (TR-069 A.4.2.7) where its policy asks.
TEST_F(SwmIt, DuChangesOverDbusReachTheAcsAsAutonomousChanges) {
  bus_ = std::make_unique<PrivateDbus>(dir_);
  daemon_->set("bus", "address", bus_->address());
  makeDu("hello-1.tar", "1.0");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1, 15s));
  setPolicy("Install,Uninstall");
  auto [code, out] = runCwmpctl(bus_->address(), {"du-install", files_->url("/files/hello-1.tar"),
                                                  kUuid, "Device.SoftwareModules.ExecEnv.1"});
  ASSERT_EQ(code, 0) << out;
  auto r = autonomousResults(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(field(r[0], "OperationPerformed"), "Install");
  EXPECT_EQ(field(r[0], "UUID"), kUuid);
  EXPECT_EQ(field(r[0], "Version"), "1.0");
  EXPECT_EQ(field(r[0], "CurrentState"), "Installed");
  EXPECT_EQ(field(r[0], "DeploymentUnitRef"), "Device.SoftwareModules.DeploymentUnit.1");
  EXPECT_EQ(field(r[0], "FaultCode"), "0");
  EXPECT_TRUE(fs::exists(simDir() + "/du/hello/manifest"));
  // Refused at once: no UUID to uninstall, a malformed one.
  auto [bad, badOut] = runCwmpctl(bus_->address(), {"du-uninstall", "not-a-uuid"});
  EXPECT_NE(bad, 0);
  EXPECT_NE(badOut.find("9003"), std::string::npos) << badOut;
  auto [rm, rmOut] = runCwmpctl(bus_->address(), {"du-uninstall", kUuid});
  ASSERT_EQ(rm, 0) << rmOut;
  r = autonomousResults(2);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(field(r[0], "OperationPerformed"), "Uninstall");
  EXPECT_EQ(field(r[0], "CurrentState"), "Uninstalled");
  EXPECT_EQ(field(r[0], "FaultCode"), "0");
  EXPECT_FALSE(fs::exists(simDir() + "/du/hello"));
}

// Issue 20: an autonomous change's report is kept like a ChangeDUState's: the daemon killed
// after the change, before the report reached the ACS, sends it after the restart (once).
TEST_F(SwmIt, AnAutonomousReportSurvivesACrashBeforeTheAcsGotIt) {
  daemon_->setTimeScale(0.05);  // the retries' back-off
  makeDu("hello-1.tar", "1.0");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1, 15s));
  setPolicy("Install");
  // From now on the ACS refuses every Inform: nothing queued can be delivered.
  acs_->configure(R"({"cpe_method_faults": {"Inform": 8002}})");
  const std::size_t mark = daemon_->logSize();
  const std::string inbox = simDir() + "/inbox/";
  fs::copy_file(dir_ + "/files/root/hello-1.tar", inbox + "hello.part");
  fs::rename(inbox + "hello.part", inbox + "hello-1.tar");
  ASSERT_TRUE(daemon_->waitForLog("made locally", 10s, mark));
  ASSERT_TRUE(daemon_->waitForLog("ACS answered the Inform with fault 8002", 10s, mark));
  daemon_->kill9();
  EXPECT_TRUE(sent("AutonomousDUStateChangeComplete").empty());
  acs_->configure(R"({"cpe_method_faults": {}})");
  const int ended = static_cast<int>(acs_->sessions().size());
  daemon_->start();
  const auto r = autonomousResults(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(field(r[0], "OperationPerformed"), "Install");
  EXPECT_EQ(field(r[0], "Version"), "1.0");
  EXPECT_EQ(field(r[0], "CurrentState"), "Installed");
  // Acknowledged in that session: a further restart does not send it again.
  ASSERT_TRUE(waitSessions(ended + 1, 15s));
  ASSERT_EQ(daemon_->stop(), 0);
  daemon_->start();
  ASSERT_TRUE(waitSessions(ended + 2, 15s));
  EXPECT_EQ(sent("AutonomousDUStateChangeComplete").size(), 1u);
}

// TR-181 ExecutionUnit.{i}.AutoStart / RunLevel and ExecEnv.{i} run levels: an EU with
// AutoStart starts when the daemon (its EE) starts if its RunLevel is within the EE's
// CurrentRunLevel (InitialRunLevel at start); RequestedRunLevel moves CurrentRunLevel and
// starts or stops it.
TEST_F(SwmIt, AutoStartAndRunLevelsStartAndStopExecutionUnits) {
  makeDu("hello-1.tar", "1.0");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1, 15s));
  change("inst", {installOp(files_->url("/files/hello-1.tar"), kUuid)}, 1);
  const std::string ee = std::string(kSm) + "ExecEnv.1.";
  const std::string eu = std::string(kSm) + "ExecutionUnit.1.";
  std::string rows = ask(getValues({ee + "CurrentRunLevel", eu + "AutoStart", eu + "RunLevel"}));
  EXPECT_EQ(value(rows, ee + "CurrentRunLevel"), "0");
  EXPECT_TRUE(!truth(value(rows, eu + "AutoStart")));
  EXPECT_EQ(value(rows, eu + "RunLevel"), "0");
  const std::string set = ask(
      "<cwmp:SetParameterValues><ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[3]\">"
      "<ParameterValueStruct><Name>" +
      eu +
      "AutoStart</Name><Value xsi:type=\"xsd:boolean\">true"
      "</Value></ParameterValueStruct><ParameterValueStruct><Name>" +
      eu +
      "RunLevel</Name><Value xsi:type=\"xsd:unsignedInt\">2</Value></ParameterValueStruct>"
      "<ParameterValueStruct><Name>" +
      ee +
      "InitialRunLevel</Name><Value "
      "xsi:type=\"xsd:unsignedInt\">3</Value></ParameterValueStruct></ParameterList>"
      "<ParameterKey>r</ParameterKey></cwmp:SetParameterValues>");
  ASSERT_EQ(bodyMethod(set), "SetParameterValuesResponse") << set;
  // Level 0 still: RunLevel 2 is above it, nothing started.
  EXPECT_EQ(value(ask(getValues({eu + "Status"})), eu + "Status"), "Idle");
  // The restart: the EE starts at InitialRunLevel 3, the EU with it.
  daemon_->stop();
  const std::size_t mark = daemon_->logSize();
  daemon_->start();
  ASSERT_TRUE(daemon_->waitForLog("ready:", 10s, mark));
  EXPECT_EQ(waitValue(eu + "Status", "Active"), "Active");
  EXPECT_EQ(value(ask(getValues({ee + "CurrentRunLevel"})), ee + "CurrentRunLevel"), "3");
  // Requested level 1: below the EU's RunLevel, it stops.
  EXPECT_EQ(bodyMethod(ask("<cwmp:SetParameterValues><ParameterList "
                           "soap-enc:arrayType=\"cwmp:ParameterValueStruct[1]\">"
                           "<ParameterValueStruct><Name>" +
                           ee +
                           "RequestedRunLevel</Name><Value xsi:type=\"xsd:int\">1</Value>"
                           "</ParameterValueStruct></ParameterList><ParameterKey>l</ParameterKey>"
                           "</cwmp:SetParameterValues>")),
            "SetParameterValuesResponse");
  EXPECT_EQ(waitValue(eu + "Status", "Idle"), "Idle");
  EXPECT_EQ(value(ask(getValues({ee + "CurrentRunLevel"})), ee + "CurrentRunLevel"), "1");
}

// TR-098 1.8 (InternetGatewayDevice:1.14) defines SoftwareModules too: the same rows and
// references under the InternetGatewayDevice root.
TEST_F(SwmIt, SoftwareModulesUnderInternetGatewayDevice) {
  daemon_->set("cpe", "root", "InternetGatewayDevice");
  makeDu("hello-1.tar", "1.0");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1, 15s));
  const std::string sm = "InternetGatewayDevice.SoftwareModules.";
  const std::string report =
      change("igd", {installOp(files_->url("/files/hello-1.tar"), kUuid, sm + "ExecEnv.1")}, 1);
  const auto r = results(report);
  ASSERT_EQ(r.size(), 1u) << report;
  EXPECT_EQ(field(r[0], "FaultCode"), "0") << report;
  EXPECT_EQ(field(r[0], "DeploymentUnitRef"), sm + "DeploymentUnit.1");
  EXPECT_EQ(field(r[0], "ExecutionUnitRefList"), sm + "ExecutionUnit.1");
  const std::string du = sm + "DeploymentUnit.1.";
  const std::string rows =
      ask(getValues({du + "UUID", du + "ExecutionEnvRef", sm + "ExecEnv.1.Name"}));
  EXPECT_EQ(value(rows, du + "UUID"), kUuid);
  EXPECT_EQ(value(rows, du + "ExecutionEnvRef"), sm + "ExecEnv.1");
  EXPECT_EQ(value(rows, sm + "ExecEnv.1.Name"), "sim");
}

// TR-181 ExecEnv/DeploymentUnit/ExecutionUnit.{i}.Alias with alias-based addressing
// (TR-069 3.6.1): each row has a CPE-assigned "cpe-N" alias until the ACS sets one, and
// [alias] paths reach the rows in every RPC (answers name rows by number, InstanceMode's
// default).
TEST_F(SwmIt, SoftwareModuleRowsHaveAliasesThatAddressThem) {
  makeDu("hello-1.tar", "1.0");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1, 15s));
  const auto r = results(change("alias", {installOp(files_->url("/files/hello-1.tar"), kUuid)}, 1));
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(field(r[0], "FaultCode"), "0") << r[0];
  const std::string sm = kSm;
  std::string rows = ask(getValues({sm + "ExecEnv.1.Alias", sm + "DeploymentUnit.1.Alias",
                                    sm + "DeploymentUnit.[cpe-1].Version"}));
  EXPECT_EQ(value(rows, sm + "ExecEnv.1.Alias"), "cpe-1") << rows;
  EXPECT_EQ(value(rows, sm + "DeploymentUnit.1.Alias"), "cpe-1") << rows;
  // InstanceMode is InstanceNumber: the answer names the row by its number.
  EXPECT_EQ(value(rows, sm + "DeploymentUnit.1.Version"), "1.0") << rows;
  EXPECT_EQ(bodyMethod(ask(setValue(sm + "ExecutionUnit.1.Alias", "greeter"))),
            "SetParameterValuesResponse");
  EXPECT_EQ(bodyMethod(ask(setValue(sm + "ExecutionUnit.[greeter].RequestedState", "Active"))),
            "SetParameterValuesResponse");
  EXPECT_EQ(waitValue(sm + "ExecutionUnit.1.Status", "Active"), "Active");
  rows = ask(getValues({sm + "ExecutionUnit.[greeter].Name"}));
  EXPECT_EQ(value(rows, sm + "ExecutionUnit.1.Name"), "greeter") << rows;
}

}  // namespace
}  // namespace cwmpd::test
