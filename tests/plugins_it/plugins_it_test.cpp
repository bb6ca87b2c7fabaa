// The ACS reads Device. whole, sets an SSID, its passphrase and a SIP line in one
// SetParameterValues, adds an SSID, and the sim box shows each change applied once for
// the session (one Wi-Fi batch, one voice batch).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "it_support.hpp"

namespace cwmpd::test {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The file of `dir` whose text holds `needle`, or "" when none does.
std::string fileContaining(const std::string& dir, const std::string& needle) {
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (slurp(e.path().string()).find(needle) != std::string::npos) return e.path().string();
  return {};
}

int countFiles(const std::string& dir, const std::string& ext) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.path().extension() == ext;
  return n;
}

int applied(const std::string& file) {
  std::string s = slurp(file);
  return s.empty() ? 0 : std::stoi(s);
}

class Plugins : public DaemonIt {
 protected:
  void SetUp() override {
    DaemonIt::SetUp();
    daemon_->set("plugins", "enable", "deviceinfo, management, wan, pon, wifi, voip");
  }
};

TEST_F(Plugins, AnAtomicWifiAndVoiceChangeIsAppliedOncePerSession) {
  acs_->addRpc(
      R"(<cwmp:GetParameterValues><ParameterNames soap-enc:arrayType="xsd:string[1]"><string>Device.</string></ParameterNames></cwmp:GetParameterValues>)");
  acs_->addRpc(
      R"(<cwmp:SetParameterValues><ParameterList soap-enc:arrayType="cwmp:ParameterValueStruct[3]">)"
      R"(<ParameterValueStruct><Name>Device.WiFi.SSID.1.SSID</Name><Value xsi:type="xsd:string">it-ssid</Value></ParameterValueStruct>)"
      R"(<ParameterValueStruct><Name>Device.WiFi.AccessPoint.1.Security.KeyPassphrase</Name><Value xsi:type="xsd:string">it-passphrase-1</Value></ParameterValueStruct>)"
      R"(<ParameterValueStruct><Name>Device.Services.VoiceService.1.SIP.Client.1.AuthUserName</Name><Value xsi:type="xsd:string">it-user</Value></ParameterValueStruct>)"
      R"(</ParameterList><ParameterKey>it-1</ParameterKey></cwmp:SetParameterValues>)");
  acs_->addRpc(
      R"(<cwmp:AddObject><ObjectName>Device.WiFi.SSID.</ObjectName><ParameterKey>it-2</ParameterKey></cwmp:AddObject>)");
  acs_->addRpc(
      R"(<cwmp:GetParameterValues><ParameterNames soap-enc:arrayType="xsd:string[2]"><string>Device.WiFi.AccessPoint.1.Security.KeyPassphrase</string><string>Device.ManagementServer.ParameterKey</string></ParameterNames></cwmp:GetParameterValues>)");
  const int ssidsBefore = countFiles(daemon_->simDir() + "/wifi/ssid", ".ini");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1, std::chrono::seconds(30)));
  auto results = acs_->results();
  ASSERT_EQ(results.size(), 4u);
  for (const auto& r : results) {
    const auto fc = r.get<std::string>("fault_code", "");
    EXPECT_TRUE(fc.empty() || fc == "null") << r.get<std::string>("body", "");
  }
  const std::string whole = results[0].get<std::string>("body", "");
  for (const char* p : {"Device.DeviceInfo.SerialNumber", "Device.WiFi.Radio.1.Channel",
                        "Device.Ethernet.Interface.1.Stats.BytesSent",
                        "Device.Optical.Interface.1.OpticalSignalLevel",
                        "Device.Services.VoiceService.1.SIP.Client.1.Status",
                        "Device.IP.Interface.1.IPv4Address.1.IPAddress"})
    EXPECT_NE(whole.find(p), std::string::npos) << p << " missing from the whole-tree read";
  // Wi-Fi and voice changes are staged for the flush at the end of the session: committed
  // but not yet applied, TR-069 A.3.2.1 Status 1.
  EXPECT_NE(results[1].get<std::string>("body", "").find("<Status>1</Status>"), std::string::npos)
      << results[1].get<std::string>("body", "");
  EXPECT_NE(results[2].get<std::string>("body", "").find("<InstanceNumber>"), std::string::npos);
  // Secrets read back empty; the ParameterKey is the AddObject's.
  const std::string after = results[3].get<std::string>("body", "");
  EXPECT_NE(after.find("KeyPassphrase</Name><Value xsi:type=\"xsd:string\"></Value>"),
            std::string::npos)
      << after;
  EXPECT_NE(after.find(">it-2<"), std::string::npos) << after;

  // The batch goes to the hardware when the daemon closes the session, just after the
  // ACS saw its end.
  ASSERT_TRUE(daemon_->waitForLog("session 1 ended", std::chrono::seconds(10)));
  const std::string sim = daemon_->simDir();
  EXPECT_NE(fileContaining(sim + "/wifi/ssid", "ssid = it-ssid"), "");
  EXPECT_NE(fileContaining(sim + "/wifi/ap", "passphrase = it-passphrase-1"), "");
  EXPECT_NE(fileContaining(sim + "/voice/line", "auth_user_name = it-user"), "");
  EXPECT_EQ(countFiles(sim + "/wifi/ssid", ".ini"), ssidsBefore + 1);
  // One batch per session for each subsystem, not one per parameter.
  EXPECT_EQ(applied(sim + "/run/wifi_applied"), 1);
  EXPECT_EQ(applied(sim + "/run/voice_applied"), 1);
}

TEST_F(Plugins, TheWholeTreeIsNamedAndReadUnderTheOtherRootToo) {
  daemon_->set("cpe", "root", "InternetGatewayDevice");
  acs_->addRpc(
      R"(<cwmp:GetParameterNames><ParameterPath>InternetGatewayDevice.</ParameterPath><NextLevel>false</NextLevel></cwmp:GetParameterNames>)");
  acs_->addRpc(
      R"(<cwmp:GetParameterValues><ParameterNames soap-enc:arrayType="xsd:string[1]"><string>InternetGatewayDevice.</string></ParameterNames></cwmp:GetParameterValues>)");
  daemon_->start();
  ASSERT_TRUE(waitSessions(1, std::chrono::seconds(30)));
  auto results = acs_->results();
  ASSERT_EQ(results.size(), 2u);
  const std::string names = results[0].get<std::string>("body", "");
  const std::string values = results[1].get<std::string>("body", "");
  for (const char* p : {"InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID",
                        "InternetGatewayDevice.WANDevice.1.",
                        "InternetGatewayDevice.Services.VoiceService.1.VoiceProfile.1.Line.1.",
                        "InternetGatewayDevice.DeviceSummary"}) {
    EXPECT_NE(names.find(p), std::string::npos) << p;
    EXPECT_NE(values.find(p), std::string::npos) << p;
  }
}

}  // namespace
}  // namespace cwmpd::test
