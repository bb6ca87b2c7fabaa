// The wifi plugin under the TR-181 root, on the sim HAL (a temp copy of config/sim).
#include <gtest/gtest.h>

#include "sim_test_support.hpp"

namespace cwmpd::testing {
namespace {

// Plugin timer threads would run work on their own thread in the harness (its post runs
// work at once): tests trigger refreshes through flushes instead.
const char* kNoTimer = "[wifi]\nstation_refresh_interval = 0\n[voip]\nstatus_poll_interval = 0\n";

class WifiTr181 : public ::testing::Test {
 protected:
  PluginHarness h{"Device", {"wifi"}, kNoTimer};
  std::string sim(const std::string& rel) { return h.dir + "/sim/wifi/" + rel; }
  std::string radio0() { return findRow(h, "Device.WiFi.Radio.", "Name", "radio0"); }
  std::string ssid0() { return findRow(h, "Device.WiFi.SSID.", "Name", "wlan0"); }
  std::string ap0() {
    std::string ref = ssid0();
    return findRow(h, "Device.WiFi.AccessPoint.", "SSIDReference", ref.substr(0, ref.size() - 1));
  }
};

TEST_F(WifiTr181, RadiosMatchTheSimFiles) {
  EXPECT_EQ(h.value("Device.WiFi.RadioNumberOfEntries"), "2");
  for (const char* name : {"radio0", "radio1"}) {
    auto ini = readIni(sim(std::string("radio/") + name + ".ini"));
    const std::string r = findRow(h, "Device.WiFi.Radio.", "Name", name);
    EXPECT_EQ(h.value(r + "Channel"), ini["channel"]);
    EXPECT_EQ(h.value(r + "OperatingFrequencyBand"), ini["frequency_band"]);
    EXPECT_EQ(h.value(r + "OperatingStandards"), ini["operating_standards"]);
    EXPECT_EQ(h.value(r + "SupportedStandards"), ini["supported_standards"]);
    EXPECT_EQ(h.value(r + "PossibleChannels"), ini["possible_channels"]);
    EXPECT_EQ(h.value(r + "AutoChannelEnable"), ini["auto_channel"] == "1" ? "true" : "false");
    EXPECT_EQ(h.value(r + "OperatingChannelBandwidth"), ini["channel_bandwidth"]);
    EXPECT_EQ(h.value(r + "Status"), ini["status"]);
    EXPECT_EQ(h.value(r + "MaxBitRate"), ini["max_bit_rate_mbps"]);
    EXPECT_EQ(h.value(r + "Stats.BytesSent"), ini["bytes_sent"]);
    EXPECT_EQ(h.value(r + "Stats.ErrorsReceived"), ini["errors_received"]);
  }
}

TEST_F(WifiTr181, SsidsAndAccessPointsMatchTheSimFiles) {
  EXPECT_EQ(h.value("Device.WiFi.SSIDNumberOfEntries"), "2");
  EXPECT_EQ(h.value("Device.WiFi.AccessPointNumberOfEntries"), "2");
  auto ini = readIni(sim("ssid/wlan0.ini"));
  const std::string s = ssid0();
  EXPECT_EQ(h.value(s + "SSID"), ini["ssid"]);
  EXPECT_EQ(h.value(s + "BSSID"), ini["mac"]);
  EXPECT_EQ(h.value(s + "LowerLayers") + ".", radio0());
  EXPECT_EQ(h.value(s + "Stats.BytesSent"), ini["bytes_sent"]);
  EXPECT_EQ(h.value(s + "Stats.BroadcastPacketsReceived"), ini["broadcast_packets_received"]);

  const std::string a = ap0();
  auto apIni = readIni(sim("ap/ap0.ini"));
  EXPECT_EQ(h.value(a + "Security.ModeEnabled"), apIni["security_mode"]);
  EXPECT_EQ(h.value(a + "Enable"), "true");
  EXPECT_EQ(h.value(a + "Status"), "Enabled");
  EXPECT_EQ(h.value(a + "Security.ModesSupported"),
            "None,WPA2-Personal,WPA3-Personal,WPA3-Personal-Transition");
  EXPECT_FALSE(apIni["passphrase"].empty());
  EXPECT_EQ(h.value(a + "Security.KeyPassphrase"), "");  // write-only: never read back
}

TEST_F(WifiTr181, TheHalTransitionModeReadsAsTheTr181Name) {
  const std::string s1 = findRow(h, "Device.WiFi.SSID.", "Name", "wlan1");
  const std::string a1 =
      findRow(h, "Device.WiFi.AccessPoint.", "SSIDReference", s1.substr(0, s1.size() - 1));
  ASSERT_EQ(readIni(sim("ap/ap1.ini"))["security_mode"], "WPA2-PSK-WPA3-SAE");
  EXPECT_EQ(h.value(a1 + "Security.ModeEnabled"), "WPA3-Personal-Transition");
}

TEST_F(WifiTr181, AssociatedDevicesAreRowsFromTheStationsFile) {
  const std::string a = ap0();
  EXPECT_EQ(h.value(a + "AssociatedDeviceNumberOfEntries"), "2");
  const std::string d = findRow(h, a + "AssociatedDevice.", "MACAddress", "02:11:22:33:44:01");
  EXPECT_EQ(h.value(d + "SignalStrength"), "-52");
  EXPECT_EQ(h.value(d + "LastDataDownlinkRate"), "144400");
  EXPECT_EQ(h.value(d + "Active"), "true");
}

TEST_F(WifiTr181, AssociatedDeviceRowsFollowTheHalAfterAFlush) {
  const std::string a = ap0();
  writeText(sim("ap/ap0.stations"),
            "02:11:22:33:44:02 -70 65000 24000\n02:11:22:33:44:03 -40 1000 1000\n");
  h.engine->setValues({{a + "SSIDAdvertisementEnabled", "false"}}, sdk::Source::Acs);
  EXPECT_EQ(h.value(a + "AssociatedDeviceNumberOfEntries"), "2");
  const std::string d = findRow(h, a + "AssociatedDevice.", "MACAddress", "02:11:22:33:44:03");
  EXPECT_EQ(h.value(d + "SignalStrength"), "-40");
  for (const auto& pv : h.engine->getValues({a + "AssociatedDevice."}))
    EXPECT_NE(pv.value, "02:11:22:33:44:01") << "a station that left keeps its row";
}

TEST_F(WifiTr181, ASessionAppliesSsidPassphraseAndChannelAsOneBatch) {
  const std::string s = ssid0(), a = ap0(), r = radio0();
  h.engine->beginSession();
  h.engine->setValues({{s + "SSID", "new-name"}}, sdk::Source::Acs);
  h.engine->setValues({{a + "Security.KeyPassphrase", "a-new-passphrase"}}, sdk::Source::Acs);
  h.engine->setValues({{r + "Channel", "11"}}, sdk::Source::Acs);
  EXPECT_EQ(applyCount(h, "wifi"), 0) << "nothing may reach the HAL before the session ends";
  EXPECT_EQ(h.value(s + "SSID"), "new-name") << "a staged value reads back";
  EXPECT_EQ(h.value(a + "Security.KeyPassphrase"), "");
  h.engine->endSession();

  EXPECT_EQ(applyCount(h, "wifi"), 1);
  EXPECT_EQ(applyLog(h, "wifi").size(), 1u);
  EXPECT_EQ(readIni(sim("ssid/wlan0.ini"))["ssid"], "new-name");
  EXPECT_EQ(readIni(sim("ap/ap0.ini"))["passphrase"], "a-new-passphrase");
  EXPECT_EQ(readIni(sim("radio/radio0.ini"))["channel"], "11");
  EXPECT_EQ(h.value(a + "Security.KeyPassphrase"), "");
  EXPECT_EQ(applyLog(h, "wifi")[0].find("a-new-passphrase"), std::string::npos)
      << "secrets are not logged";
}

TEST_F(WifiTr181, OutsideASessionASetAppliesOnceImmediately) {
  const std::string s = ssid0();
  h.engine->setValues({{s + "SSID", "right-away"}, {s + "Enable", "false"}}, sdk::Source::Acs);
  EXPECT_EQ(applyCount(h, "wifi"), 1);
  auto ini = readIni(sim("ssid/wlan0.ini"));
  EXPECT_EQ(ini["ssid"], "right-away");
  EXPECT_EQ(ini["enable"], "0");
  EXPECT_EQ(h.value(s + "Status"), "Down");
}

TEST_F(WifiTr181, AnImpossibleChannelIsRefusedWith9007AndNothingIsApplied) {
  const std::string r = radio0(), s = ssid0();
  const std::string before = readText(sim("radio/radio0.ini"));
  // One parameter fails: its code is the request's, and the valid SSID is not applied either.
  EXPECT_EQ(setFaultCode(h, {{s + "SSID", "not-this"}, {r + "Channel", "36"}}), 9007);
  EXPECT_EQ(setFaultCode(h, {{r + "Channel", "14"}}), 9007);
  EXPECT_EQ(applyCount(h, "wifi"), 0);
  EXPECT_EQ(readText(sim("radio/radio0.ini")), before);
  EXPECT_EQ(h.value(r + "Channel"), "6");
  EXPECT_EQ(h.value(s + "SSID"), readIni(sim("ssid/wlan0.ini"))["ssid"]);
}

TEST_F(WifiTr181, AnUnsupportedSecurityModeIsRefusedWith9007) {
  const std::string a = ap0();
  EXPECT_EQ(setFaultCode(h, {{a + "Security.ModeEnabled", "WEP-64"}}), 9007);
  EXPECT_EQ(setFaultCode(h, {{a + "Security.WEPKey", "0102030405"}}), 9007);
  EXPECT_EQ(setFaultCode(h, {{a + "Security.PreSharedKey", "0102"}}), 9007);
  EXPECT_EQ(applyCount(h, "wifi"), 0);
  EXPECT_EQ(h.engine->setValues({{a + "Security.ModeEnabled", "WPA3-Personal-Transition"}},
                                sdk::Source::Acs),
            0);
  EXPECT_EQ(readIni(sim("ap/ap0.ini"))["security_mode"], "WPA2-PSK-WPA3-SAE");
}

TEST_F(WifiTr181, AnotherRadioSettingsAreValidatedAgainstTheirOwnLists) {
  const std::string r = radio0();
  EXPECT_EQ(setFaultCode(h, {{r + "OperatingStandards", "ac"}}), 9007);
  EXPECT_EQ(setFaultCode(h, {{r + "OperatingFrequencyBand", "5GHz"}}), 9007);
  EXPECT_EQ(setFaultCode(h, {{r + "TransmitPower", "33"}}), 9007);
  EXPECT_EQ(setFaultCode(h, {{r + "OperatingChannelBandwidth", "7MHz"}}), 9007);
  EXPECT_EQ(applyCount(h, "wifi"), 0);
  h.engine->setValues({{r + "OperatingStandards", "n,ax"}, {r + "TransmitPower", "50"}},
                      sdk::Source::Acs);
  auto ini = readIni(sim("radio/radio0.ini"));
  EXPECT_EQ(ini["operating_standards"], "n,ax");
  EXPECT_EQ(ini["transmit_power"], "50");
}

TEST_F(WifiTr181, AddObjectOfAnSsidAndAnAccessPointCreatesThemAtTheFlush) {
  const std::string radio1 = findRow(h, "Device.WiFi.Radio.", "Name", "radio1");
  h.engine->beginSession();
  const auto sn = h.engine->addObject("Device.WiFi.SSID.", sdk::Source::Acs);
  const auto an = h.engine->addObject("Device.WiFi.AccessPoint.", sdk::Source::Acs);
  const std::string s = "Device.WiFi.SSID." + std::to_string(sn) + ".";
  const std::string a = "Device.WiFi.AccessPoint." + std::to_string(an) + ".";
  h.engine->setValues({{s + "SSID", "guest"},
                       {s + "Enable", "true"},
                       {s + "LowerLayers", radio1.substr(0, radio1.size() - 1)},
                       {a + "SSIDReference", s.substr(0, s.size() - 1)},
                       {a + "Enable", "true"},
                       {a + "Security.ModeEnabled", "WPA2-Personal"},
                       {a + "Security.KeyPassphrase", "guest-passphrase"}},
                      sdk::Source::Acs);
  EXPECT_EQ(h.value("Device.WiFi.SSIDNumberOfEntries"), "3");
  EXPECT_EQ(applyCount(h, "wifi"), 0);
  h.engine->endSession();

  EXPECT_EQ(applyCount(h, "wifi"), 1);
  const std::string halSsid = h.value(s + "Name");
  auto ssidIni = readIni(sim("ssid/" + halSsid + ".ini"));
  EXPECT_EQ(ssidIni["ssid"], "guest");
  EXPECT_EQ(ssidIni["radio"], "radio1");
  EXPECT_EQ(ssidIni["enable"], "1");
  std::string apFile;
  for (const auto& e : std::filesystem::directory_iterator(sim("ap")))
    if (e.path().extension() == ".ini" && readIni(e.path().string())["ssid"] == halSsid)
      apFile = e.path().string();
  ASSERT_FALSE(apFile.empty()) << "no access point serves the new SSID";
  auto apIni = readIni(apFile);
  EXPECT_EQ(apIni["security_mode"], "WPA2-Personal");
  EXPECT_EQ(apIni["passphrase"], "guest-passphrase");
  EXPECT_EQ(apIni["enable"], "1");
  EXPECT_EQ(h.value(a + "Status"), "Enabled");
  EXPECT_EQ(h.value(a + "SSIDReference"), s.substr(0, s.size() - 1));
}

TEST_F(WifiTr181, ANewAccessPointWithoutReferenceServesTheNewSsid) {
  h.engine->beginSession();
  const auto sn = h.engine->addObject("Device.WiFi.SSID.", sdk::Source::Acs);
  const auto an = h.engine->addObject("Device.WiFi.AccessPoint.", sdk::Source::Acs);
  h.engine->endSession();
  EXPECT_EQ(applyCount(h, "wifi"), 1);
  const std::string s = "Device.WiFi.SSID." + std::to_string(sn);
  EXPECT_EQ(h.value("Device.WiFi.AccessPoint." + std::to_string(an) + ".SSIDReference"), s);
}

TEST_F(WifiTr181, DeleteObjectRemovesTheAccessPointAndSsidFromTheSim) {
  const std::string s1 = findRow(h, "Device.WiFi.SSID.", "Name", "wlan1");
  const std::string a1 =
      findRow(h, "Device.WiFi.AccessPoint.", "SSIDReference", s1.substr(0, s1.size() - 1));
  try {
    h.engine->deleteObject(s1, sdk::Source::Acs);
    ADD_FAILURE() << "an SSID an access point serves was deleted";
  } catch (const sdk::Fault& f) {
    EXPECT_EQ(f.code(), 9001);
  }
  EXPECT_EQ(applyCount(h, "wifi"), 0);
  h.engine->beginSession();
  h.engine->deleteObject(a1, sdk::Source::Acs);
  h.engine->deleteObject(s1, sdk::Source::Acs);
  h.engine->endSession();
  EXPECT_EQ(applyCount(h, "wifi"), 1);
  EXPECT_FALSE(std::filesystem::exists(sim("ssid/wlan1.ini")));
  EXPECT_FALSE(std::filesystem::exists(sim("ap/ap1.ini")));
  EXPECT_TRUE(std::filesystem::exists(sim("ssid/wlan0.ini")));
  EXPECT_EQ(h.value("Device.WiFi.SSIDNumberOfEntries"), "1");
}

TEST(WifiTr181Restart, AnAcsCreatedSsidKeepsItsRowAfterARestart) {
  StateDir state;
  std::uint32_t sn = 0;
  {
    PluginHarness h("Device", {"wifi"}, kNoTimer, state.path);
    sn = h.engine->addObject("Device.WiFi.SSID.", sdk::Source::Acs);
    h.engine->setValues({{"Device.WiFi.SSID." + std::to_string(sn) + ".SSID", "kept"}},
                        sdk::Source::Acs);
  }
  PluginHarness h("Device", {"wifi"}, kNoTimer, state.path);
  EXPECT_EQ(h.value("Device.WiFi.SSIDNumberOfEntries"), "3");
  EXPECT_EQ(h.value("Device.WiFi.SSID." + std::to_string(sn) + ".SSID"), "kept");
}

}  // namespace
}  // namespace cwmpd::testing

namespace cwmpd::testing {
namespace {

TEST(WifiTr181WithOthers, TheWholeTreeReadsWithoutAFaultAndShowsNoSecret) {
  PluginHarness h("Device", {"wan", "wifi", "voip"}, kNoTimer);
  const auto all = h.engine->getValues({"Device."});
  EXPECT_GT(all.size(), 100u);
  int secrets = 0;
  for (const auto& pv : all)
    if (pv.name.find("KeyPassphrase") != std::string::npos ||
        pv.name.find("PreSharedKey") != std::string::npos ||
        pv.name.find("AuthPassword") != std::string::npos) {
      ++secrets;
      EXPECT_EQ(pv.value, "") << pv.name;
    }
  EXPECT_GT(secrets, 0);
}

}  // namespace
}  // namespace cwmpd::testing

namespace cwmpd::testing {
namespace {

TEST_F(WifiTr181, LastChangeCountsFromTheLastStatusChangeSeen) {
  const std::string s = ssid0();
  std::string sys = readText(h.dir + "/sim/system.ini");
  sys.replace(sys.find("uptime_offset = 0"), 17, "uptime_offset = 5000");
  writeText(h.dir + "/sim/system.ini", sys);
  EXPECT_GE(std::stoul(h.value(s + "LastChange")), 5000u) << "up since boot";
  std::string ini = readText(sim("ssid/wlan0.ini"));
  ini.replace(ini.find("status = Up"), 11, "status = Down");
  writeText(sim("ssid/wlan0.ini"), ini);
  EXPECT_EQ(h.value(s + "Status"), "Down");
  EXPECT_LT(std::stoul(h.value(s + "LastChange")), 5000u);
}

}  // namespace
}  // namespace cwmpd::testing

namespace cwmpd::testing {
namespace {

TEST_F(WifiTr181, AStatusChangeSeenByTheRefreshIsReportedForNotification) {
  PluginChanges changes(h);
  const std::string s0 = ssid0();
  const std::string s1 = findRow(h, "Device.WiFi.SSID.", "Name", "wlan1");
  std::string ini = readText(sim("ssid/wlan1.ini"));
  ini.replace(ini.find("status = Up"), 11, "status = Dormant");
  writeText(sim("ssid/wlan1.ini"), ini);
  EXPECT_TRUE(changes.seen.empty());
  h.engine->setValues({{s0 + "SSID", "flush-now"}}, sdk::Source::Acs);  // a flush refreshes
  EXPECT_TRUE(changes.has(s1 + "Status=Dormant"));
  EXPECT_FALSE(changes.has(s0 + "Status=Up")) << "an unchanged status is not reported";
  // Stations are counted by the core; a change of the count is reported too.
  const std::string a = ap0();
  writeText(sim("ap/ap0.stations"), "02:11:22:33:44:02 -70 65000 24000\n");
  h.engine->setValues({{s0 + "SSID", "flush-again"}}, sdk::Source::Acs);
  EXPECT_TRUE(changes.has(a + "AssociatedDeviceNumberOfEntries=1"));
}

}  // namespace
}  // namespace cwmpd::testing

namespace cwmpd::testing {
namespace {

TEST_F(WifiTr181, ABatchTheHalRefusesAtTheFlushIsDroppedNotRetriedForever) {
  const std::string s1 = findRow(h, "Device.WiFi.SSID.", "Name", "wlan1"), r = radio0();
  h.engine->beginSession();
  h.engine->setValues({{s1 + "SSID", "lost"}}, sdk::Source::Acs);
  // The 5 GHz SSID and its access point vanish under our feet.
  std::filesystem::remove(sim("ssid/wlan1.ini"));
  std::filesystem::remove(sim("ap/ap1.ini"));
  h.engine->endSession();  // the HAL refuses the batch: logged, dropped
  EXPECT_EQ(applyCount(h, "wifi"), 0);
  h.engine->setValues({{r + "Channel", "3"}}, sdk::Source::Acs);
  EXPECT_EQ(applyCount(h, "wifi"), 1);
  ASSERT_EQ(applyLog(h, "wifi").size(), 1u);
  EXPECT_EQ(applyLog(h, "wifi")[0].find("lost"), std::string::npos);
  EXPECT_EQ(readIni(sim("radio/radio0.ini"))["channel"], "3");
}

TEST_F(WifiTr181, ChangesStagedForTheFlushAnswerStatusOneAndAFailedFlushShowsErrorInStatus) {
  const std::string s1 = findRow(h, "Device.WiFi.SSID.", "Name", "wlan1"), r = radio0();
  const std::string statusBefore = h.value(r + "Status");
  ASSERT_NE(statusBefore, "Error");
  h.engine->beginSession();
  // Staged until the end of the session: committed, not yet applied (TR-069 A.3.2.1).
  EXPECT_EQ(h.engine->setValues({{s1 + "SSID", "lost"}, {r + "Channel", "3"}}, sdk::Source::Acs),
            1);
  std::filesystem::remove(sim("ssid/wlan1.ini"));
  std::filesystem::remove(sim("ap/ap1.ini"));
  h.engine->endSession();  // the HAL refuses the whole batch
  EXPECT_EQ(applyCount(h, "wifi"), 0);
  // The ACS was told Status 1 long ago; the radio of the failed batch now says so.
  EXPECT_EQ(h.value(r + "Status"), "Error");
  // The next batch the hardware takes clears it.
  h.engine->setValues({{r + "Channel", "3"}}, sdk::Source::Acs);
  EXPECT_EQ(applyCount(h, "wifi"), 1);
  EXPECT_EQ(h.value(r + "Status"), statusBefore);
}

}  // namespace
}  // namespace cwmpd::testing

#include "../harness/counting_hal.hpp"

namespace cwmpd::testing {
namespace {

// The getters of one object read its HAL structure once per request
// (cwmpd/sdk/object_snapshot.hpp): a radio's 17 getters, an SSID's 15 counters read the
// radio / SSID once, not once per parameter; the next request reads it again.
class WifiTr181Reads : public ::testing::Test {
 protected:
  CountingHal* hal = nullptr;
  PluginHarness h{"Device", {"wifi"}, kNoTimer, {}, countingHal(hal)};
  std::string sim(const std::string& rel) { return h.dir + "/sim/wifi/" + rel; }
};

TEST_F(WifiTr181Reads, AnSsidsCountersReadTheSsidOncePerRequest) {
  const std::string s = findRow(h, "Device.WiFi.SSID.", "Name", "wlan0");
  auto ini = readIni(sim("ssid/wlan0.ini"));
  hal->reset();
  const auto stats = h.engine->getValues({s + "Stats."});
  EXPECT_GT(stats.size(), 15u);  // the 15 the HAL counts, and those the core stores
  EXPECT_EQ(hal->reads("ssid/wlan0"), 1) << "one read for the object's 15 counters";
  EXPECT_EQ(hal->readsOf("ssid/"), 1);
  for (const auto& pv : stats) {
    if (pv.name == s + "Stats.BytesSent") {
      EXPECT_EQ(pv.value, ini["bytes_sent"]);
    }
    if (pv.name == s + "Stats.BroadcastPacketsReceived") {
      EXPECT_EQ(pv.value, ini["broadcast_packets_received"]);
    }
  }

  // The next request reads the hardware again and sees what changed there.
  std::string text = readText(sim("ssid/wlan0.ini"));
  const std::string old = "bytes_sent = " + ini["bytes_sent"];
  ASSERT_NE(text.find(old), std::string::npos);
  writeText(sim("ssid/wlan0.ini"), text.replace(text.find(old), old.size(), "bytes_sent = 4242"));
  ASSERT_EQ(readIni(sim("ssid/wlan0.ini"))["bytes_sent"], "4242");
  EXPECT_EQ(h.value(s + "Stats.BytesSent"), "4242");
  EXPECT_EQ(hal->reads("ssid/wlan0"), 2);
}

TEST_F(WifiTr181Reads, AWalkOfTheRadiosReadsEachRadioOncePerObject) {
  hal->reset();
  const auto all = h.engine->getValues({"Device.WiFi.Radio."});
  EXPECT_GT(all.size(), 2u * 25u);
  // Radio.{i}. and Radio.{i}.Stats. are two objects: one read each.
  EXPECT_EQ(hal->reads("radio/radio0"), 2);
  EXPECT_EQ(hal->reads("radio/radio1"), 2);
  // Every value is what a read of that one parameter gives (a reference of its own).
  for (const auto& pv : all) EXPECT_EQ(h.value(pv.name), pv.value) << pv.name;
}

TEST_F(WifiTr181Reads, ConsecutiveNamesOfOneObjectInAListShareOneRead) {
  const std::string r = findRow(h, "Device.WiFi.Radio.", "Name", "radio0");
  auto ini = readIni(sim("radio/radio0.ini"));
  hal->reset();
  const auto v = h.engine->getValues({r + "Channel", r + "OperatingStandards", r + "Status"});
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].value, ini["channel"]);
  EXPECT_EQ(v[1].value, ini["operating_standards"]);
  EXPECT_EQ(v[2].value, ini["status"]);
  EXPECT_EQ(hal->reads("radio/radio0"), 1);
}

}  // namespace
}  // namespace cwmpd::testing
