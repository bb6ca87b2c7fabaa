// The real cwmpd (sim HAL, no bus) against the real GenieACS that
// ../shared/acs/genieacs/genieacs.sh starts on loopback (CWMPD_GENIEACS_DIR): it
// bootstraps with GenieACS's default provisions and no fault, then the operator's tasks,
// posted back to back through the NBI with ?connection_request, each complete (HTTP 200)
// under both roots. Without GenieACS the suite skips with a loud message.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>

#include "daemon_process.hpp"
#include "genieacs.hpp"
#include "it_support.hpp"
#include "schema_validator.hpp"
#include "test_acs.hpp"

namespace cwmpd::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

struct RootCase {
  std::string root;    // Device or InternetGatewayDevice
  std::string serial;  // a '-' in it: GenieACS writes it %2D inside the device id
  // A table the ACS may add rows to (NBI form: no final dot). Under TR-098 the sim box's
  // standard tables follow its hardware (AddObject is 9001), so there it is the synthetic
  // plugin's vendor table.
  std::string addObject;
  std::string plugins;
};

std::ostream& operator<<(std::ostream& os, const RootCase& rc) { return os << rc.root; }

// GenieACS's device document field `path` ("Device.DeviceInfo.SoftwareVersion") ->
// its _value, "" when absent.
std::string documentValue(const Json& device, const std::string& path) {
  std::string p = path;
  std::replace(p.begin(), p.end(), '.', '/');
  return device.get<std::string>(Json::path_type(p + "/_value", '/'), "");
}

class GenieAcsInterop : public ::testing::TestWithParam<RootCase> {
 protected:
  void SetUp() override {
    const fs::path dir = env("CWMPD_GENIEACS_DIR");
    if (dir.empty() || !fs::exists(dir / "genieacs.sh")) {
      GTEST_SKIP() << "\n\n*** INTEROP NOT CHECKED: GenieACS not found in '" << dir.string()
                   << "' (CWMPD_GENIEACS_DIR; CI has ../shared/acs/genieacs). ***\n";
    }
    if (std::system("command -v node >/dev/null 2>&1") != 0) {
      GTEST_SKIP() << "\n\n*** INTEROP NOT CHECKED: node is not installed (scripts/setup.sh "
                      "installs nodejs and npm). ***\n";
    }
    const RootCase& rc = GetParam();
    // One work folder per root, kept in the build tree: `npm ci` runs once, later starts
    // take a few seconds.
    const fs::path work = fs::path(env("CWMPD_BUILD_DIR")) / "interop" / ("genieacs-" + rc.root);
    fs::create_directories(work);
    acs_ = std::make_unique<GenieAcs>(dir.string(), work.string());
    std::fprintf(stderr, "GenieACS up in %.1f s (work folder %s)\n", acs_->startSeconds(),
                 work.c_str());

    dir_ = makeTempDir("cwmpd-interop-");
    daemon_ = std::make_unique<DaemonProcess>(dir_);
    daemon_->set("acs", "url", acs_->cwmpUrl());
    daemon_->set("cpe", "root", rc.root);
    daemon_->set("plugins", "enable", rc.plugins);
    daemon_->set("synthetic", "instances", "1");
    daemon_->set("device", "serial_number", rc.serial);
    daemon_->set("device", "software_version", "");  // the sim HAL's, changed by an upgrade
    daemon_->set("transfers", "dir", dir_ + "/transfer-tmp");
    daemon_->set("transfers", "store_dir", dir_ + "/transfer-files");
    deviceId_ = "0A5C00-ONT-" + deviceIdPart(rc.serial);
    root_ = rc.root;
  }

  void TearDown() override {
    if (daemon_) daemon_->stop(5s);
    if (acs_) {
      EXPECT_TRUE(everyMessageValid());
    }
    if (HasFailure()) {
      if (daemon_) {
        std::string log = daemon_->log();
        if (log.size() > 20000) log = "...\n" + log.substr(log.size() - 20000);
        std::fprintf(stderr, "---- cwmpd log (%s) ----\n%s---- end of log ----\n", dir_.c_str(),
                     log.c_str());
      }
      if (acs_) std::fprintf(stderr, "---- GenieACS logs ----\n%s", acs_->logTail().c_str());
    }
    daemon_.reset();
    acs_.reset();
    if (!dir_.empty() && !HasFailure()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  // The device's document in the NBI (only `projection` fields), nullopt while unknown.
  std::optional<Json> device(const std::string& projection = "_id") {
    const auto r =
        acs_->nbi("GET", "/devices/?query=" + uriComponent("{\"_id\":\"" + deviceId_ + "\"}") +
                             "&projection=" + uriComponent(projection));
    if (r.status != 200) return std::nullopt;
    const Json list = parseJson(r.body);
    if (list.empty()) return std::nullopt;
    return list.begin()->second;
  }

  // Waits until `accept(document)` holds for the device's document.
  template <typename Accept>
  bool waitDevice(const std::string& projection, Accept accept, std::chrono::seconds limit = 40s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (auto d = device(projection); d && accept(*d)) return true;
      std::this_thread::sleep_for(200ms);
    }
    return false;
  }

  // Every message the daemon sent to GenieACS is valid CWMP (BBF schemas).
  ::testing::AssertionResult everyMessageValid() {
    if (bbfDir().empty()) {
      std::fprintf(stderr, "*** schema validation SKIPPED: set CWMPD_BBF_DIR ***\n");
      return ::testing::AssertionSuccess();
    }
    int checked = 0;
    for (const auto& body : acs_->cpeMessages()) {
      if (body.find_first_not_of(" \t\r\n") == std::string::npos) continue;
      const std::string method = bodyMethod(body);
      const auto check = sharedValidator().validate(body, method);
      if (!check.valid)
        return ::testing::AssertionFailure()
               << "message " << checked + 1 << " (" << method << ") is not valid CWMP:\n"
               << check.errors << "\n"
               << body;
      ++checked;
    }
    if (checked == 0) return ::testing::AssertionFailure() << "no message in GenieACS's debug dump";
    std::fprintf(stderr, "%d messages cwmpd sent to GenieACS are valid CWMP\n", checked);
    return ::testing::AssertionSuccess() << checked << " messages valid";
  }

  // GenieACS's /faults/ as text.
  std::string faults() { return acs_->nbi("GET", "/faults/").body; }
  // Passes when GenieACS holds no fault (of any device).
  ::testing::AssertionResult noFault() {
    const auto r = acs_->nbi("GET", "/faults/");
    if (r.status == 200 && parseJson(r.body).empty()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "GenieACS's /faults/ (HTTP " << r.status << "): " << r.body;
  }

  // POST /devices/<id>/tasks?connection_request: HTTP 200 means GenieACS reached the
  // device and the task ran to its end in that session.
  ::testing::AssertionResult task(const std::string& json) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto r =
        acs_->nbi("POST", "/devices/" + uriComponent(deviceId_) + "/tasks?connection_request", json,
                  {"Content-Type: application/json"});
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "task %s: HTTP %ld %s (%.2f s)\n", json.c_str(), r.status,
                 r.reason.c_str(), s);
    if (r.status == 200) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "task " << json << ": HTTP " << r.status << " "
                                         << r.reason << " " << r.error << "; faults: " << faults();
  }

  std::string param(const std::string& relative) const { return root_ + "." + relative; }

  std::unique_ptr<GenieAcs> acs_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::string dir_;
  std::string deviceId_;
  std::string root_;
};

TEST_P(GenieAcsInterop, BootstrapsWithTheDefaultProvisionsThenBackToBackTasksEachComplete) {
  const RootCase& rc = GetParam();
  daemon_->start();

  // 1. Bootstrap: the device is listed once its first session ended, without a fault,
  // and the inform provision's SetParameterValues took: the connection-request username
  // is the device id.
  const std::string user = param("ManagementServer.ConnectionRequestUsername");
  ASSERT_TRUE(waitDevice(user, [&](const Json& d) { return documentValue(d, user) == deviceId_; }))
      << "the device " << deviceId_ << " did not show up with " << user
      << " = its id; faults: " << faults();
  EXPECT_TRUE(noFault());
  // The connection-request server dropped the credentials of the config at once.
  const std::string crUrl = daemon_->connectionRequestUrl();
  ASSERT_FALSE(crUrl.empty());
  EXPECT_EQ(digestGet(crUrl, "cr-user", "cr-secret"), 401) << "the old credentials still work";

  // 2. The operator's tasks, back to back, each with its own connection request.
  ASSERT_TRUE(task(R"({"name":"getParameterValues","parameterNames":[")" +
                   param("DeviceInfo.SoftwareVersion") + R"(",")" +
                   param("ManagementServer.ConnectionRequestURL") + R"("]})"));
  ASSERT_TRUE(task(R"({"name":"setParameterValues","parameterValues":[[")" +
                   param("DeviceInfo.ProvisioningCode") + R"(","interop-1","xsd:string"]]})"));
  const std::string code = param("DeviceInfo.ProvisioningCode");
  auto doc = device(code);
  ASSERT_TRUE(doc);
  EXPECT_EQ(documentValue(*doc, code), "interop-1");
  ASSERT_TRUE(task(R"({"name":"addObject","objectName":")" + rc.addObject + R"("})"));
  ASSERT_TRUE(task(R"({"name":"refreshObject","objectName":")" + root_ + R"("})"));
  EXPECT_TRUE(noFault());

  // 3. A firmware upgrade from GenieACS's file server: the sim box applies the image and
  // reboots; its next Inform carries the new version.
  const std::string file = "fw-interop-" + rc.root + ".bin";
  const std::string image = "version=7.7.7-interop\n" + std::string(20000, 'F');
  const auto put =
      acs_->nbi("PUT", "/files/" + file, image,
                {"fileType: 1 Firmware Upgrade Image", "oui: 0A5C00", "productClass: ONT",
                 "version: 7.7.7-interop", "Content-Type: application/octet-stream"});
  ASSERT_EQ(put.status, 201) << put.body;
  ASSERT_TRUE(task(R"({"name":"download","file":")" + file + R"("})"));
  const std::string version = param("DeviceInfo.SoftwareVersion");
  EXPECT_TRUE(waitDevice(
      version, [&](const Json& d) { return documentValue(d, version) == "7.7.7-interop"; }))
      << "the new firmware's version never reached GenieACS; faults: " << faults();
  EXPECT_TRUE(noFault());

  // 4. Reboot: GenieACS records the boot of the next session.
  const auto before = device("_lastBoot");
  ASSERT_TRUE(before);
  const std::string lastBoot = before->get<std::string>("_lastBoot", "");
  ASSERT_TRUE(task(R"({"name":"reboot"})"));
  EXPECT_TRUE(waitDevice("_lastBoot", [&](const Json& d) {
    return d.get<std::string>("_lastBoot", "") != lastBoot;
  })) << "no session with 1 BOOT after the reboot task";
  EXPECT_TRUE(noFault());
}

INSTANTIATE_TEST_SUITE_P(Roots, GenieAcsInterop,
                         ::testing::Values(RootCase{"Device", "GA-DEV", "Device.WiFi.SSID",
                                                    "deviceinfo, management, wan, wifi"},
                                           RootCase{
                                               "InternetGatewayDevice", "GA-IGD",
                                               "InternetGatewayDevice.X_CWMPD_Synthetic.Item",
                                               "deviceinfo, management, wan, wifi, synthetic"}),
                         [](const auto& info) { return info.param.root; });

}  // namespace
}  // namespace cwmpd::test
