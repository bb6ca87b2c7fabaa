// The package EE in the real daemon: the loopback test ACS installs, updates and
// uninstalls a Debian package with ChangeDUState (TR-069 Annex H), the daemon downloads it
// from a loopback file server and the swm_dpkg plugin runs dpkg on a package root in the
// test's directory (`[swm_dpkg] root`), never the machine's own. Every message the daemon
// sent is checked against the BBF schemas (DaemonIt::TearDown).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "file_server.hpp"
#include "it_support.hpp"
#include "test_debs.hpp"

namespace cwmpd::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using swm_dpkg::test::buildDeb;
using swm_dpkg::test::DebSpec;
using swm_dpkg::test::readFile;

constexpr const char* kUuid = "9c1b2c1e-4f3a-5d6b-8e7f-0a1b2c3d4e5f";
const std::string kSm = "Device.SoftwareModules.";

// The text of the first <tag> element in `xml`.
std::string text(const std::string& xml, const std::string& tag) {
  std::smatch m;
  return std::regex_search(xml, m, std::regex("<" + tag + ">([^<]*)</" + tag + ">")) ? m.str(1)
                                                                                     : "";
}

// One operation of a ChangeDUState (cwmp-1-2.xsd OperationStruct subtypes).
std::string operation(const std::string& type, const std::string& inner) {
  return "<Operations xsi:type=\"cwmp:" + type + "\">" + inner + "</Operations>";
}
std::string install(const std::string& url) {
  return operation("InstallOpStruct", "<URL>" + url + "</URL><UUID>" + kUuid +
                                          "</UUID><Username></Username><Password></Password>"
                                          "<ExecutionEnvRef>" +
                                          kSm + "ExecEnv.1</ExecutionEnvRef>");
}
std::string update(const std::string& url) {
  return operation("UpdateOpStruct", std::string("<UUID>") + kUuid +
                                         "</UUID><Version></Version><URL>" + url +
                                         "</URL><Username></Username><Password></Password>");
}
std::string uninstall() {
  return operation("UninstallOpStruct",
                   std::string("<UUID>") + kUuid +
                       "</UUID><Version></Version><ExecutionEnvRef></ExecutionEnvRef>");
}

class DpkgEeIt : public DaemonIt {
 protected:
  void SetUp() override {
    DaemonIt::SetUp();
    files_ = std::make_unique<FileServer>(dir_ + "/files");
    root_ = dir_ + "/package-root";
    daemon_->set("transfers", "dir", dir_ + "/transfer-tmp");
    daemon_->set("cpe", "connection_request_min_interval", "0");
    daemon_->set("plugins", "enable", "deviceinfo, management, wan, wifi, swm_dpkg");
    daemon_->set("swm_dpkg", "root", root_);
    daemon_->set("swm_dpkg", "poll_interval", "0");
  }
  void TearDown() override {
    DaemonIt::TearDown();
    files_.reset();
  }

  // Puts a package on the file server; its URL.
  std::string serve(const DebSpec& spec, const std::string& as) {
    const fs::path deb = buildDeb(dir_, spec);
    fs::rename(deb, dir_ + "/files/root/" + as);
    return files_->url("/files/" + as);
  }

  // Opens a session with a connection request and has the ACS send `rpc` in it; the
  // daemon's answer.
  std::string call(const std::string& rpc) {
    const auto before = acs_->results().size();
    acs_->addRpc(rpc);
    EXPECT_EQ(acs_->connectionRequest(daemon_->connectionRequestUrl(), "cr-user", "cr-secret")
                  .get<std::string>("status", ""),
              "200");
    EXPECT_TRUE(acs_->waitFor("results", static_cast<int>(before + 1), 15s));
    const auto all = acs_->results();
    return all.size() > before ? all[before].get<std::string>("body", "") : "";
  }

  // The `n`th DUStateChangeComplete the daemon sent (1-based), awaited.
  std::string report(std::size_t n) {
    const auto until = std::chrono::steady_clock::now() + 30s;
    do {
      std::vector<std::string> seen;
      for (const auto& r : acs_->requests()) {
        const auto body = r.get<std::string>("body", "");
        if (bodyMethod(body) == "DUStateChangeComplete") seen.push_back(body);
      }
      if (seen.size() >= n) return seen[n - 1];
      std::this_thread::sleep_for(50ms);
    } while (std::chrono::steady_clock::now() < until);
    ADD_FAILURE() << "no DUStateChangeComplete #" << n;
    return "";
  }

  // ChangeDUState with one operation: the immediate answer is empty, the outcome comes
  // in DUStateChangeComplete number `n`.
  std::string change(const std::string& key, const std::string& op, std::size_t n) {
    const std::string answer = call("<cwmp:ChangeDUState>" + op + "<CommandKey>" + key +
                                    "</CommandKey></cwmp:ChangeDUState>");
    EXPECT_EQ(bodyMethod(answer), "ChangeDUStateResponse") << answer;
    const std::string done = report(n);
    EXPECT_EQ(text(done, "CommandKey"), key);
    return done;
  }

  // GetParameterValues of `names` in one session: name -> value ("<absent>" if missing).
  std::map<std::string, std::string> get(const std::vector<std::string>& names) {
    std::string list;
    for (const auto& n : names) list += "<string>" + n + "</string>";
    const std::string answer =
        call("<cwmp:GetParameterValues><ParameterNames soap-enc:arrayType=\"xsd:string[" +
             std::to_string(names.size()) + "]\">" + list +
             "</ParameterNames></cwmp:GetParameterValues>");
    std::map<std::string, std::string> out;
    for (const auto& n : names) out[n] = parameterValue(answer, n).value_or("<absent>");
    return out;
  }

  std::unique_ptr<FileServer> files_;
  std::string root_;
};

DebSpec hello(const std::string& version) {
  DebSpec s;
  s.version = version;
  s.files["usr/share/cwmpd-test-hello/version.txt"] = version + "\n";
  return s;
}

TEST_F(DpkgEeIt, AnAcsInstallsUpdatesAndUninstallsADebianPackageWithChangeDuState) {
  const std::string v10 = serve(hello("1.0"), "hello_1.0.deb");
  const std::string v11 = serve(hello("1.1"), "hello_1.1.deb");
  const std::string junk = files_->url("/files/junk.deb");
  swm_dpkg::test::writeFile(dir_ + "/files/root/junk.deb", "!<arch>\nnot really a package\n");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1, 15s));
  const std::string count = kSm + "DeploymentUnitNumberOfEntries";
  EXPECT_EQ(get({kSm + "ExecEnv.1.Type"})[kSm + "ExecEnv.1.Type"], "Debian package");

  // A damaged archive: 9018, and nothing in the root or the model.
  std::string done = change("bad", install(junk), 1);
  EXPECT_EQ(text(done, "FaultCode"), "9018") << done;
  EXPECT_EQ(text(done, "CurrentState"), "Failed");
  EXPECT_EQ(get({count})[count], "0");
  EXPECT_FALSE(fs::exists(root_ + "/usr"));

  done = change("install", install(v10), 2);
  EXPECT_EQ(text(done, "FaultCode"), "0") << done;
  EXPECT_EQ(text(done, "CurrentState"), "Installed");
  EXPECT_EQ(text(done, "Version"), "1.0");
  EXPECT_EQ(readFile(root_ + "/usr/share/cwmpd-test-hello/version.txt"), "1.0\n");
  const std::string du = kSm + "DeploymentUnit.1.";
  const std::string eu = kSm + "ExecutionUnit.1.Status";
  auto rows = get({du + "Name", du + "DUID", du + "Vendor", du + "Description", du + "UUID", eu});
  EXPECT_EQ(rows[du + "Name"], "cwmpd-test-hello");
  EXPECT_EQ(rows[du + "DUID"], "cwmpd-test-hello");
  EXPECT_EQ(rows[du + "Vendor"], "cwmpd tests <tests@example.invalid>");
  EXPECT_EQ(rows[du + "Description"], "a package of the cwmpd tests");
  EXPECT_EQ(rows[du + "UUID"], kUuid);
  EXPECT_EQ(rows[eu], "Active");

  done = change("update", update(v11), 3);
  EXPECT_EQ(text(done, "FaultCode"), "0") << done;
  EXPECT_EQ(text(done, "Version"), "1.1");
  EXPECT_EQ(readFile(root_ + "/usr/share/cwmpd-test-hello/version.txt"), "1.1\n");
  EXPECT_EQ(get({du + "Version"})[du + "Version"], "1.1");

  // The same version again: 9032, the package stays.
  done = change("again", update(v11), 4);
  EXPECT_EQ(text(done, "FaultCode"), "9032") << done;

  done = change("remove", uninstall(), 5);
  EXPECT_EQ(text(done, "FaultCode"), "0") << done;
  EXPECT_EQ(text(done, "CurrentState"), "Uninstalled");
  EXPECT_FALSE(fs::exists(root_ + "/usr/share/cwmpd-test-hello"));
  EXPECT_EQ(get({count})[count], "0");
}

}  // namespace
}  // namespace cwmpd::test
