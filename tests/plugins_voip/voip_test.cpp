// The voip plugin under both roots on the sim HAL, alone and together with the wifi
// plugin (one transaction spanning both, rollback when voip's apply fails).
#include <gtest/gtest.h>

#include "../harness/counting_hal.hpp"
#include "../plugins_wifi/sim_test_support.hpp"

namespace cwmpd::testing {
namespace {

// Plugin timer threads would run work on their own thread in the harness (its post runs
// work at once): tests trigger refreshes through flushes instead.
const char* kNoTimer = "[wifi]\nstation_refresh_interval = 0\n[voip]\nstatus_poll_interval = 0\n";
const std::string kVs = "Device.Services.VoiceService.1.";
const std::string kProfile = "InternetGatewayDevice.Services.VoiceService.1.VoiceProfile.1.";

std::string lineFile(const PluginHarness& h, const std::string& line) {
  return h.dir + "/sim/voice/line/" + line + ".ini";
}

// The row of `table` serving HAL line `line` (found through a value the sim file holds).
std::string clientOf(PluginHarness& h, const std::string& line) {
  return findRow(h, kVs + "SIP.Client.", "RegisterURI", readIni(lineFile(h, line))["sip_uri"]);
}

class VoipIssue2 : public ::testing::Test {
 protected:
  PluginHarness h{"Device", {"voip"}, kNoTimer};
};

TEST_F(VoipIssue2, ClientsLinesAndPortsMatchTheSimFiles) {
  EXPECT_EQ(h.value("Device.Services.VoiceServiceNumberOfEntries"), "1");
  EXPECT_EQ(h.value(kVs + "SIP.ClientNumberOfEntries"), "2");
  EXPECT_EQ(h.value(kVs + "CallControl.LineNumberOfEntries"), "2");
  EXPECT_EQ(h.value(kVs + "POTS.FXSNumberOfEntries"), "2");
  EXPECT_EQ(h.value(kVs + "Capabilities.MaxLineCount"), "2");
  auto ini = readIni(lineFile(h, "line1"));
  const std::string c = clientOf(h, "line1");
  EXPECT_EQ(h.value(c + "Status"), ini["status"]);
  EXPECT_EQ(h.value(c + "AuthUserName"), ini["auth_user_name"]);
  EXPECT_EQ(h.value(c + "Enable"), "true");
  EXPECT_FALSE(ini["auth_password"].empty());
  EXPECT_EQ(h.value(c + "AuthPassword"), "");
  const std::string net = h.value(c + "Network") + ".";
  EXPECT_EQ(h.value(net + "RegistrarServer"), ini["registrar"]);
  EXPECT_EQ(h.value(net + "OutboundProxy"), ini["proxy"]);
  EXPECT_EQ(h.value(net + "Status"), "Up");

  const std::string l =
      findRow(h, kVs + "CallControl.Line.", "DirectoryNumber", ini["directory_number"]);
  EXPECT_EQ(h.value(l + "Provider"), c.substr(0, c.size() - 1));
  EXPECT_EQ(h.value(l + "Status"), "Up");
  EXPECT_EQ(h.value(l + "CallStatus"), "Idle");
  EXPECT_EQ(h.value(l + "Stats.IncomingCalls.CallsReceived"), ini["incoming_calls_received"]);
  EXPECT_EQ(h.value(l + "Stats.OutgoingCalls.CallsAttempted"), ini["outgoing_calls_attempted"]);
  EXPECT_EQ(h.value(l + "Stats.RTP.PacketsLost"), ini["rtp_packets_lost"]);
  EXPECT_EQ(h.value(l + "Stats.RTP.BytesSent"), ini["rtp_bytes_sent"]);

  const std::string c2 = findRow(h, kVs + "SIP.Client.", "Status", "Disabled");
  EXPECT_EQ(h.value(c2 + "Enable"), "false");
  const std::string p = findRow(h, kVs + "POTS.FXS.", "Name", "fxs1");
  EXPECT_EQ(h.value(p + "Status"), readIni(h.dir + "/sim/voice/fxs/fxs1.ini")["status"]);
  EXPECT_EQ(h.value(p + "Active"), "false");
}

// The getters of one object read the line once per request (cwmpd/sdk/object_snapshot.hpp):
// a line's RTP statistics are one HAL read, not one per counter.
TEST(VoipIssue2Reads, TheGettersOfOneObjectReadTheLineOncePerRequest) {
  CountingHal* hal = nullptr;
  PluginHarness h{"Device", {"voip"}, kNoTimer, {}, countingHal(hal)};
  auto ini = readIni(lineFile(h, "line1"));
  const std::string l =
      findRow(h, kVs + "CallControl.Line.", "DirectoryNumber", ini["directory_number"]);
  hal->reset();
  const auto rtp = h.engine->getValues({l + "Stats.RTP."});
  EXPECT_EQ(rtp.size(), 5u);
  EXPECT_EQ(hal->reads("line/line1"), 1);
  EXPECT_EQ(hal->readsOf("line/"), 1);
  for (const auto& pv : rtp) {
    if (pv.name == l + "Stats.RTP.PacketsLost") {
      EXPECT_EQ(pv.value, ini["rtp_packets_lost"]);
    }
    if (pv.name == l + "Stats.RTP.BytesSent") {
      EXPECT_EQ(pv.value, ini["rtp_bytes_sent"]);
    }
  }
  EXPECT_EQ(h.value(l + "Stats.RTP.BytesSent"), ini["rtp_bytes_sent"]);
  EXPECT_EQ(hal->reads("line/line1"), 2) << "another request reads the line again";
}

TEST_F(VoipIssue2, RegistrationStatusAndHookStateAreLive) {
  const std::string c = clientOf(h, "line1");
  const std::string p = findRow(h, kVs + "POTS.FXS.", "Name", "fxs1");
  std::string text = readText(lineFile(h, "line1"));
  text.replace(text.find("status = Up"), 11, "status = Error_Registration");
  writeText(lineFile(h, "line1"), text);
  writeText(h.dir + "/sim/voice/fxs/fxs1.ini", "enable = 1\nstatus = Up\nhook = off\n");
  EXPECT_EQ(h.value(c + "Status"), "Error_Registration");
  const std::string l = findRow(h, kVs + "CallControl.Line.", "DirectoryNumber",
                                readIni(lineFile(h, "line1"))["directory_number"]);
  EXPECT_EQ(h.value(l + "Status"), "Error");
  EXPECT_EQ(h.value(p + "Active"), "true");
}

TEST_F(VoipIssue2, ANetworkChangeReachesEveryClientUsingItInOneApply) {
  const std::string net = h.value(clientOf(h, "line1") + "Network") + ".";
  h.engine->beginSession();
  h.engine->setValues({{net + "RegistrarServer", "sip2.example.net"}}, sdk::Source::Acs);
  h.engine->setValues({{net + "RegistrarServerPort", "5070"}, {net + "RegistrationPeriod", "600"}},
                      sdk::Source::Acs);
  EXPECT_EQ(applyCount(h, "voice"), 0);
  h.engine->endSession();
  EXPECT_EQ(applyCount(h, "voice"), 1);
  for (const char* line : {"line1", "line2"}) {
    auto ini = readIni(lineFile(h, line));
    EXPECT_EQ(ini["registrar"], "sip2.example.net") << line;
    EXPECT_EQ(ini["registrar_port"], "5070") << line;
  }
  EXPECT_EQ(h.value(net + "RegistrationPeriod"), "600");
}

TEST_F(VoipIssue2, CredentialsAreAppliedButNeverReadBack) {
  const std::string c = clientOf(h, "line1");
  h.engine->setValues({{c + "AuthUserName", "alice"}, {c + "AuthPassword", "s3cret-pw"}},
                      sdk::Source::Acs);
  EXPECT_EQ(applyCount(h, "voice"), 1);
  auto ini = readIni(lineFile(h, "line1"));
  EXPECT_EQ(ini["auth_user_name"], "alice");
  EXPECT_EQ(ini["auth_password"], "s3cret-pw");
  EXPECT_EQ(h.value(c + "AuthPassword"), "");
  EXPECT_EQ(applyLog(h, "voice")[0].find("s3cret-pw"), std::string::npos);
}

TEST_F(VoipIssue2, EnablingAnUnprovisionedLineGivesItTheNetworkSettings) {
  const std::string c2 = findRow(h, kVs + "SIP.Client.", "Status", "Disabled");
  h.engine->setValues(
      {{c2 + "Enable", "true"}, {c2 + "RegisterURI", "sip:+33123450002@voip.example.net"}},
      sdk::Source::Acs);
  auto ini = readIni(lineFile(h, "line2"));
  EXPECT_EQ(ini["registrar"], readIni(lineFile(h, "line1"))["registrar"]);
  EXPECT_EQ(h.value(c2 + "Status"), "Up");
}

TEST_F(VoipIssue2, InvalidValuesAreRefusedWith9007AndNothingIsApplied) {
  const std::string c = clientOf(h, "line1");
  const std::string net = h.value(c + "Network") + ".";
  EXPECT_EQ(setFaultCode(h, {{c + "RegisterURI", "http://example.net/"}}), 9007);
  EXPECT_EQ(setFaultCode(h, {{c + "Network", kVs + "SIP.Network.9"}}), 9007);
  EXPECT_EQ(setFaultCode(h, {{net + "RegistrarServerPort", "0"}}), 9007);
  EXPECT_EQ(setFaultCode(h, {{net + "RegistrarServer", "two words"}}), 9007);
  EXPECT_EQ(applyCount(h, "voice"), 0);
}

TEST_F(VoipIssue2, LinesFollowTheHardwareSoAddAndDeleteAreRefused) {
  try {
    (void)h.engine->addObject(kVs + "SIP.Client.", sdk::Source::Acs);
    ADD_FAILURE() << "a SIP client was added";
  } catch (const sdk::Fault& f) {
    EXPECT_EQ(f.code(), 9004);
  }
  EXPECT_EQ(h.value(kVs + "SIP.ClientNumberOfEntries"), "2");
  const std::string net = h.value(clientOf(h, "line1") + "Network") + ".";
  try {
    h.engine->deleteObject(net, sdk::Source::Acs);
    ADD_FAILURE() << "a network in use was deleted";
  } catch (const sdk::Fault& f) {
    EXPECT_EQ(f.code(), 9001);
  }
}

TEST_F(VoipIssue2, AClientMovedToANewNetworkTakesItsServer) {
  const std::string c = clientOf(h, "line1");
  const auto n = h.engine->addObject(kVs + "SIP.Network.", sdk::Source::Acs);
  const std::string net = kVs + "SIP.Network." + std::to_string(n);
  h.engine->beginSession();
  h.engine->setValues({{net + ".RegistrarServer", "other.example.org"}, {net + ".Enable", "true"}},
                      sdk::Source::Acs);
  h.engine->setValues({{c + "Network", net}}, sdk::Source::Acs);
  h.engine->endSession();
  EXPECT_EQ(readIni(lineFile(h, "line1"))["registrar"], "other.example.org");
  EXPECT_EQ(readIni(lineFile(h, "line2"))["registrar"], "");
  EXPECT_EQ(applyCount(h, "voice"), 1);
}

// ------------------------------------------------------------------ with the wifi plugin

class VoipWithWifi : public ::testing::Test {
 protected:
  PluginHarness h{"Device", {"wifi", "voip"}, kNoTimer};
  std::string ssid0() { return findRow(h, "Device.WiFi.SSID.", "Name", "wlan0"); }
  std::string radio0() { return findRow(h, "Device.WiFi.Radio.", "Name", "radio0"); }
  std::string wifiFile(const std::string& rel) { return h.dir + "/sim/wifi/" + rel; }
};

TEST_F(VoipWithWifi, ASipLineAndAWifiChangeCommitTogetherAndApplyOnceEach) {
  const std::string s = ssid0(), c = clientOf(h, "line1");
  h.engine->beginSession();
  h.engine->setValues({{s + "SSID", "together"},
                       {c + "AuthUserName", "bob"},
                       {c + "AuthPassword", "bob-password"},
                       {c + "RegisterURI", "sip:bob@voip.example.net"}},
                      sdk::Source::Acs);
  EXPECT_EQ(applyCount(h, "wifi") + applyCount(h, "voice"), 0);
  h.engine->endSession();
  EXPECT_EQ(applyCount(h, "wifi"), 1);
  EXPECT_EQ(applyCount(h, "voice"), 1);
  EXPECT_EQ(readIni(wifiFile("ssid/wlan0.ini"))["ssid"], "together");
  auto ini = readIni(lineFile(h, "line1"));
  EXPECT_EQ(ini["auth_user_name"], "bob");
  EXPECT_EQ(ini["auth_password"], "bob-password");
  EXPECT_EQ(ini["sip_uri"], "sip:bob@voip.example.net");
}

TEST_F(VoipWithWifi, WhenVoipCannotApplyTheWifiChangeOfTheSameTransactionIsDiscarded) {
  const std::string s = ssid0(), c = clientOf(h, "line1");
  const std::string before = readIni(wifiFile("ssid/wlan0.ini"))["ssid"];
  std::filesystem::remove(lineFile(h, "line1"));  // the voice hardware lost the line
  EXPECT_EQ(setFaultCode(h, {{s + "SSID", "must-not-stick"}, {c + "AuthUserName", "carol"}}), 9002);
  EXPECT_EQ(applyCount(h, "wifi"), 0);
  EXPECT_EQ(h.value(s + "SSID"), before);
  // A later, unrelated change flushes: the discarded SSID must not ride along.
  h.engine->setValues({{radio0() + "Channel", "11"}}, sdk::Source::Acs);
  EXPECT_EQ(applyCount(h, "wifi"), 1);
  EXPECT_EQ(readIni(wifiFile("ssid/wlan0.ini"))["ssid"], before);
  EXPECT_EQ(applyLog(h, "wifi")[0].find("must-not-stick"), std::string::npos);
}

TEST_F(VoipWithWifi, ARolledBackTransactionKeepsWhatEarlierOnesOfTheSessionStaged) {
  const std::string s = ssid0(), r = radio0(), c = clientOf(h, "line1");
  h.engine->beginSession();
  h.engine->setValues({{s + "SSID", "kept"}}, sdk::Source::Acs);
  std::filesystem::remove(lineFile(h, "line1"));
  EXPECT_EQ(setFaultCode(
                h, {{s + "SSID", "dropped"}, {r + "Channel", "11"}, {c + "AuthUserName", "dave"}}),
            9002);
  EXPECT_EQ(h.value(s + "SSID"), "kept");
  h.engine->endSession();
  EXPECT_EQ(applyCount(h, "wifi"), 1);
  EXPECT_EQ(readIni(wifiFile("ssid/wlan0.ini"))["ssid"], "kept");
  EXPECT_EQ(readIni(wifiFile("radio/radio0.ini"))["channel"], "6");
}

// ------------------------------------------------------------------ TR-104 issue 1

// Issue 14: SetParameterValuesResponse Status tells whether the change is in effect
// (TR-069 A.3.2.1: 1 = committed but not yet applied). Staged VoIP and Wi-Fi changes reach
// the hardware only with the flush at the end of the ACS session: both answer 1 then, and
// the hardware indeed still runs the old values. Outside a session the flush follows the
// transaction at once: both answer 0, and the hardware has the new values.
TEST_F(VoipWithWifi, StagedVoipAndWifiChangesBothAnswerStatusOneUntilTheSessionEnds) {
  const std::string s = ssid0(), c = clientOf(h, "line1");
  const std::string user = readIni(lineFile(h, "line1"))["auth_user_name"];
  const std::string name = readIni(wifiFile("ssid/wlan0.ini"))["ssid"];
  h.engine->beginSession();
  EXPECT_EQ(h.engine->setValues({{c + "AuthUserName", "erin"}}, sdk::Source::Acs), 1);
  EXPECT_EQ(h.engine->setValues({{s + "SSID", "erin-net"}}, sdk::Source::Acs), 1);
  EXPECT_EQ(readIni(lineFile(h, "line1"))["auth_user_name"], user);
  EXPECT_EQ(readIni(wifiFile("ssid/wlan0.ini"))["ssid"], name);
  h.engine->endSession();
  EXPECT_EQ(readIni(lineFile(h, "line1"))["auth_user_name"], "erin");
  EXPECT_EQ(readIni(wifiFile("ssid/wlan0.ini"))["ssid"], "erin-net");

  EXPECT_EQ(h.engine->setValues({{c + "AuthUserName", "frank"}}, sdk::Source::Acs), 0);
  EXPECT_EQ(readIni(lineFile(h, "line1"))["auth_user_name"], "frank");
  EXPECT_EQ(h.engine->setValues({{s + "SSID", "frank-net"}}, sdk::Source::Acs), 0);
  EXPECT_EQ(readIni(wifiFile("ssid/wlan0.ini"))["ssid"], "frank-net");
}

// A SIP network setting the lines take waits for the flush (1); one the HAL has no place
// for is the core's alone and in effect at once (0), with no voice apply for it.
TEST_F(VoipIssue2, ANetworkSettingAnswersOneOnlyWhenTheLinesTakeIt) {
  const std::string net = h.value(clientOf(h, "line1") + "Network") + ".";
  h.engine->beginSession();
  EXPECT_EQ(h.engine->setValues({{net + "RegistrationPeriod", "900"}}, sdk::Source::Acs), 0);
  EXPECT_EQ(h.engine->setValues({{net + "RegistrarServer", "sip3.example.net"}}, sdk::Source::Acs),
            1);
  h.engine->endSession();
  EXPECT_EQ(applyCount(h, "voice"), 1);
  EXPECT_EQ(readIni(lineFile(h, "line1"))["registrar"], "sip3.example.net");
  h.engine->beginSession();
  EXPECT_EQ(h.engine->setValues({{net + "RegistrationPeriod", "1200"}}, sdk::Source::Acs), 0);
  h.engine->endSession();
  EXPECT_EQ(applyCount(h, "voice"), 1);
}

class VoipIssue1 : public ::testing::Test {
 protected:
  PluginHarness h{"InternetGatewayDevice", {"voip"}, kNoTimer};
  std::string line(const std::string& name) {
    return findRow(h, kProfile + "Line.", "DirectoryNumber",
                   readIni(lineFile(h, name))["directory_number"]);
  }
};

TEST_F(VoipIssue1, LinesOfTheProfileMatchTheSimFiles) {
  EXPECT_EQ(h.value("InternetGatewayDevice.Services.VoiceServiceNumberOfEntries"), "1");
  EXPECT_EQ(h.value(kProfile + "NumberOfLines"), "2");
  auto ini = readIni(lineFile(h, "line1"));
  EXPECT_EQ(h.value(kProfile + "SIP.RegistrarServer"), ini["registrar"]);
  EXPECT_EQ(h.value(kProfile + "SIP.OutboundProxy"), ini["proxy"]);
  const std::string l = line("line1");
  EXPECT_EQ(h.value(l + "Enable"), "Enabled");
  EXPECT_EQ(h.value(l + "Status"), "Up");
  EXPECT_EQ(h.value(l + "CallState"), ini["call_state"]);
  EXPECT_EQ(h.value(l + "SIP.URI"), ini["sip_uri"]);
  EXPECT_EQ(h.value(l + "SIP.AuthUserName"), ini["auth_user_name"]);
  EXPECT_EQ(h.value(l + "SIP.AuthPassword"), "");
  EXPECT_EQ(h.value(l + "Stats.IncomingCallsReceived"), ini["incoming_calls_received"]);
  EXPECT_EQ(h.value(l + "Stats.OutgoingCallsFailed"), ini["outgoing_calls_failed"]);
  EXPECT_EQ(h.value(l + "Stats.PacketsLost"), ini["rtp_packets_lost"]);
}

TEST_F(VoipIssue1, TheErrorStatusesCollapseToTheIssue1Names) {
  std::string text = readText(lineFile(h, "line1"));
  text.replace(text.find("status = Up"), 11, "status = Error_Network");
  writeText(lineFile(h, "line1"), text);
  EXPECT_EQ(h.value(line("line1") + "Status"), "Error");
}

TEST_F(VoipIssue1, ASessionAppliesLineAndProfileSettingsOnce) {
  const std::string l = line("line1");
  h.engine->beginSession();
  // Staged until the session ends: Status 1 (TR-069 A.3.2.1).
  EXPECT_EQ(h.engine->setValues(
                {{l + "SIP.AuthUserName", "igd-user"}, {l + "SIP.AuthPassword", "igd-pass"}},
                sdk::Source::Acs),
            1);
  EXPECT_EQ(h.engine->setValues({{kProfile + "SIP.OutboundProxy", "edge.example.net"},
                                 {kProfile + "SIP.OutboundProxyPort", "5080"}},
                                sdk::Source::Acs),
            1);
  EXPECT_EQ(h.engine->setValues({{l + "Enable", "Disabled"}}, sdk::Source::Acs), 1);
  EXPECT_EQ(applyCount(h, "voice"), 0);
  EXPECT_EQ(setFaultCode(h, {{l + "Enable", "Quiescent"}}), 9007);
  h.engine->endSession();
  EXPECT_EQ(applyCount(h, "voice"), 1);
  auto ini = readIni(lineFile(h, "line1"));
  EXPECT_EQ(ini["auth_user_name"], "igd-user");
  EXPECT_EQ(ini["auth_password"], "igd-pass");
  EXPECT_EQ(ini["proxy"], "edge.example.net");
  EXPECT_EQ(ini["proxy_port"], "5080");
  EXPECT_EQ(readIni(lineFile(h, "line2"))["proxy"], "edge.example.net");
  EXPECT_EQ(h.value(l + "SIP.AuthPassword"), "");
  EXPECT_EQ(h.value(l + "Enable"), "Disabled");
}

}  // namespace
}  // namespace cwmpd::testing

namespace cwmpd::testing {
namespace {

TEST_F(VoipIssue2, ARegistrationStatusChangeIsReportedAfterAFlush) {
  PluginChanges changes(h);
  const std::string c = clientOf(h, "line1");
  std::string text = readText(lineFile(h, "line1"));
  text.replace(text.find("status = Up"), 11, "status = Registering");
  writeText(lineFile(h, "line1"), text);
  // A change that reaches no line (the sim recomputes the status of every line it applies).
  h.engine->setValues({{c + "Alias", "office"}}, sdk::Source::Acs);
  EXPECT_EQ(applyCount(h, "voice"), 0);
  EXPECT_TRUE(changes.has(c + "Status=Registering"));
}

}  // namespace
}  // namespace cwmpd::testing
