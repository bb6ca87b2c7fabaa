// The wifi plugin under the TR-098 root (WLANConfiguration), on the sim HAL.
#include <gtest/gtest.h>

#include "sim_test_support.hpp"

namespace cwmpd::testing {
namespace {

class WifiTr098 : public ::testing::Test {
 protected:
  PluginHarness h{"InternetGatewayDevice", {"wifi"}, "[wifi]\nstation_refresh_interval = 0\n"};
  std::string sim(const std::string& rel) { return h.dir + "/sim/wifi/" + rel; }
  std::string wlan(const std::string& ssidFile) {
    return findRow(h, "InternetGatewayDevice.LANDevice.1.WLANConfiguration.", "BSSID",
                   readIni(sim("ssid/" + ssidFile + ".ini"))["mac"]);
  }
};

TEST_F(WifiTr098, OneLanDeviceHoldsOneWlanConfigurationPerSsid) {
  EXPECT_EQ(h.value("InternetGatewayDevice.LANDeviceNumberOfEntries"), "1");
  EXPECT_EQ(h.value("InternetGatewayDevice.LANDevice.1.LANWLANConfigurationNumberOfEntries"), "2");
}

TEST_F(WifiTr098, RowsMatchTheSimFiles) {
  const std::string w = wlan("wlan0");
  auto ssid = readIni(sim("ssid/wlan0.ini"));
  auto radio = readIni(sim("radio/radio0.ini"));
  EXPECT_EQ(h.value(w + "SSID"), ssid["ssid"]);
  EXPECT_EQ(h.value(w + "Enable"), "true");
  EXPECT_EQ(h.value(w + "Status"), "Up");
  EXPECT_EQ(h.value(w + "Channel"), radio["channel"]);
  EXPECT_EQ(h.value(w + "PossibleChannels"), radio["possible_channels"]);
  EXPECT_EQ(h.value(w + "RadioEnabled"), "true");
  EXPECT_EQ(h.value(w + "Standard"), "n");
  EXPECT_EQ(h.value(w + "TotalBytesSent"), ssid["bytes_sent"]);
  EXPECT_EQ(h.value(w + "TotalAssociations"), "2");
  EXPECT_EQ(h.value(w + "KeyPassphrase"), "");
  EXPECT_EQ(h.value(w + "PreSharedKey.1.KeyPassphrase"), "");
  const std::string d =
      findRow(h, w + "AssociatedDevice.", "AssociatedDeviceMACAddress", "02:11:22:33:44:02");
  EXPECT_EQ(h.value(d + "AssociatedDeviceAuthenticationState"), "true");
}

TEST_F(WifiTr098, ThirtyTwoBitCountersWrap) {
  const std::string w = wlan("wlan1");
  const auto bytes = std::stoull(readIni(sim("ssid/wlan1.ini"))["bytes_sent"]);
  ASSERT_GT(bytes, 0xffffffffULL) << "the demo data should exercise the wrap";
  EXPECT_EQ(h.value(w + "TotalBytesSent"), std::to_string(bytes % (1ULL << 32)));
}

TEST_F(WifiTr098, SecurityParametersShowTheAccessPointMode) {
  const std::string w0 = wlan("wlan0"), w1 = wlan("wlan1");
  ASSERT_EQ(readIni(sim("ap/ap0.ini"))["security_mode"], "WPA2-Personal");
  EXPECT_EQ(h.value(w0 + "BeaconType"), "11i");
  EXPECT_EQ(h.value(w0 + "IEEE11iEncryptionModes"), "AESEncryption");
  EXPECT_EQ(h.value(w0 + "IEEE11iAuthenticationMode"), "PSKAuthentication");
  EXPECT_EQ(h.value(w1 + "BeaconType"), "11i")
      << "WPA3 transition has no TR-098 name; 11i is closest";
}

TEST_F(WifiTr098, ASessionAppliesSsidPassphraseAndChannelAsOneBatch) {
  const std::string w = wlan("wlan0");
  h.engine->beginSession();
  h.engine->setValues({{w + "SSID", "igd-name"}, {w + "KeyPassphrase", "igd-passphrase"}},
                      sdk::Source::Acs);
  h.engine->setValues({{w + "Channel", "1"}}, sdk::Source::Acs);
  EXPECT_EQ(applyCount(h, "wifi"), 0);
  h.engine->endSession();
  EXPECT_EQ(applyCount(h, "wifi"), 1);
  EXPECT_EQ(readIni(sim("ssid/wlan0.ini"))["ssid"], "igd-name");
  EXPECT_EQ(readIni(sim("ap/ap0.ini"))["passphrase"], "igd-passphrase");
  EXPECT_EQ(readIni(sim("radio/radio0.ini"))["channel"], "1");
  EXPECT_EQ(h.value(w + "KeyPassphrase"), "");
}

TEST_F(WifiTr098, BeaconTypeChangesTheModeWhenTheAccessPointSupportsIt) {
  const std::string w = wlan("wlan0");
  EXPECT_EQ(setFaultCode(h, {{w + "BeaconType", "WPA"}}), 9007) << "WPA-Personal is not supported";
  EXPECT_EQ(setFaultCode(h, {{w + "Channel", "40"}}), 9007);
  EXPECT_EQ(applyCount(h, "wifi"), 0);
  h.engine->setValues({{w + "BeaconType", "Basic"}, {w + "BasicEncryptionModes", "None"}},
                      sdk::Source::Acs);
  EXPECT_EQ(readIni(sim("ap/ap0.ini"))["security_mode"], "None");
  h.engine->setValues({{w + "BeaconType", "11i"}}, sdk::Source::Acs);
  EXPECT_EQ(readIni(sim("ap/ap0.ini"))["security_mode"], "WPA2-Personal");
  EXPECT_EQ(applyCount(h, "wifi"), 2);
}

TEST_F(WifiTr098, TheDefaultPreSharedKeySetsThePassphrase) {
  const std::string w = wlan("wlan1");
  EXPECT_EQ(setFaultCode(h, {{w + "PreSharedKey.2.KeyPassphrase", "per-station-key"}}), 9007);
  h.engine->setValues({{w + "PreSharedKey.1.KeyPassphrase", "default-key-1"}}, sdk::Source::Acs);
  EXPECT_EQ(readIni(sim("ap/ap1.ini"))["passphrase"], "default-key-1");
  EXPECT_EQ(applyCount(h, "wifi"), 1);
}

}  // namespace
}  // namespace cwmpd::testing

namespace cwmpd::testing {
namespace {

TEST(WifiTr098WithWan, WlanConfigurationsHangBelowTheWanPluginsLanDevice) {
  PluginHarness h("InternetGatewayDevice", {"wan", "wifi"},
                  "[wifi]\nstation_refresh_interval = 0\n");
  EXPECT_EQ(h.value("InternetGatewayDevice.LANDeviceNumberOfEntries"), "1");
  EXPECT_EQ(h.value("InternetGatewayDevice.LANDevice.1.LANWLANConfigurationNumberOfEntries"), "2");
  const std::string w = findRow(h, "InternetGatewayDevice.LANDevice.1.WLANConfiguration.", "BSSID",
                                readIni(h.dir + "/sim/wifi/ssid/wlan0.ini")["mac"]);
  EXPECT_EQ(h.value(w + "SSID"), readIni(h.dir + "/sim/wifi/ssid/wlan0.ini")["ssid"]);
}

TEST(WifiTr098WithWan, TheWholeTreeReadsWithoutAFaultAndShowsNoSecret) {
  PluginHarness h("InternetGatewayDevice", {"wan", "wifi", "voip"},
                  "[wifi]\nstation_refresh_interval = 0\n");
  const auto all = h.engine->getValues({"InternetGatewayDevice."});
  EXPECT_GT(all.size(), 100u);
  for (const auto& pv : all) {
    const bool secret = pv.name.find("KeyPassphrase") != std::string::npos ||
                        pv.name.find("PreSharedKey.") != std::string::npos ||
                        pv.name.find("AuthPassword") != std::string::npos;
    if (secret) {
      EXPECT_EQ(pv.value, "") << pv.name;
    }
  }
}

}  // namespace
}  // namespace cwmpd::testing
