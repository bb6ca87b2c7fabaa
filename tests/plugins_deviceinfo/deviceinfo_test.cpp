// The deviceinfo plugin (the real .so) in a real engine on the sim HAL: the TR-181
// firmware images (DeviceInfo.FirmwareImage.{i}., ActiveFirmwareImage, BootFirmwareImage)
// follow the HAL's firmware banks, and TR-098 has none.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "harness/plugin_harness.hpp"
#include "plugins_wan/sim_state_dir.hpp"

namespace {

namespace fs = std::filesystem;
using cwmpd::testing::PluginHarness;
using cwmpd::testing::SimStateDir;

const std::string kInfo = "Device.DeviceInfo.";
const std::string kImage1 = "Device.DeviceInfo.FirmwareImage.1";

TEST(DeviceInfoFirmware, TheRunningImageIsTheOneActiveAndBootImageAndCarriesTheSoftwareVersion) {
  PluginHarness h("Device", {"deviceinfo"});
  EXPECT_EQ(h.value(kInfo + "FirmwareImageNumberOfEntries"), "1");
  EXPECT_EQ(h.value(kInfo + "ActiveFirmwareImage"), kImage1);
  EXPECT_EQ(h.value(kInfo + "BootFirmwareImage"), kImage1);
  EXPECT_EQ(h.value(kImage1 + ".Name"), "firmware");  // the demo box never applied an image
  EXPECT_EQ(h.value(kImage1 + ".Version"), "0.1.0-sim");
  EXPECT_EQ(h.value(kImage1 + ".Version"), h.value(kInfo + "SoftwareVersion"));
  EXPECT_EQ(h.value(kImage1 + ".Status"), "Active");
  EXPECT_EQ(h.value(kImage1 + ".Available"), "true");
  EXPECT_EQ(h.value(kImage1 + ".BootFailureLog"), "");
  EXPECT_EQ(h.value(kImage1 + ".Alias"), "cpe-1");
}

TEST(DeviceInfoFirmware, TheActiveImagesVersionFollowsAConfiguredSoftwareVersion) {
  // TR-181: while an image is active, SoftwareVersion MUST equal its Version.
  PluginHarness h("Device", {"deviceinfo"}, "[device]\nsoftware_version = 7.1.2\n");
  EXPECT_EQ(h.value(kInfo + "SoftwareVersion"), "7.1.2");
  EXPECT_EQ(h.value(kImage1 + ".Version"), "7.1.2");
}

TEST(DeviceInfoFirmware, AnAppliedImageShowsItsNameAndVersionAfterTheRestart) {
  SimStateDir s;
  const fs::path image = s.path / "cwmpd-fw-2.0.img";
  std::ofstream(image) << "CWMPD-SIM-IMAGE\nversion=2.0.0\n";
  {
    PluginHarness h("Device", {"deviceinfo"}, "", s.path.string());
    EXPECT_EQ(h.value(kImage1 + ".Version"), "0.1.0-sim");
    h.hal->system().applyFirmware(image.string());
  }
  PluginHarness h("Device", {"deviceinfo"}, "", s.path.string());
  EXPECT_EQ(h.value(kInfo + "FirmwareImageNumberOfEntries"), "1");
  EXPECT_EQ(h.value(kImage1 + ".Name"), "cwmpd-fw-2.0.img");
  EXPECT_EQ(h.value(kImage1 + ".Version"), "2.0.0");
  EXPECT_EQ(h.value(kInfo + "SoftwareVersion"), "2.0.0");
  EXPECT_EQ(h.value(kImage1 + ".Status"), "Active");
  EXPECT_EQ(h.value(kInfo + "ActiveFirmwareImage"), kImage1);
}

TEST(DeviceInfoFirmware, BootFirmwareImageTakesOnlyAnExistingAvailableImage) {
  PluginHarness h("Device", {"deviceinfo"});
  const std::string boot = kInfo + "BootFirmwareImage";
  EXPECT_EQ(h.setFaultCode(boot, "Device.DeviceInfo.FirmwareImage.2"), 9007);
  EXPECT_EQ(h.setFaultCode(boot, ""), 9007);
  EXPECT_EQ(h.setFaultCode(boot, "Device.DeviceInfo.VendorConfigFile.1"), 9007);
  EXPECT_EQ(h.setFaultCode(boot, "Device.DeviceInfo.FirmwareImage.01"), 9007);
  EXPECT_EQ(h.value(boot), kImage1);  // refused sets change nothing
  EXPECT_EQ(h.setFaultCode(boot, kImage1), 0);
  EXPECT_EQ(h.setFaultCode(boot, kImage1 + "."), 0);  // the object form some ACSs send
  EXPECT_EQ(h.value(boot), kImage1 + ".");
}

TEST(DeviceInfoFirmware, TheBootImageTheAcsSetIsKeptAcrossARestart) {
  SimStateDir s;
  {
    PluginHarness h("Device", {"deviceinfo"}, "", s.path.string());
    ASSERT_EQ(h.setFaultCode(kInfo + "BootFirmwareImage", kImage1 + "."), 0);
  }
  PluginHarness h("Device", {"deviceinfo"}, "", s.path.string());
  EXPECT_EQ(h.value(kInfo + "BootFirmwareImage"), kImage1 + ".");
  EXPECT_EQ(h.value(kInfo + "ActiveFirmwareImage"), kImage1);
}

TEST(DeviceInfoFirmware, TheRunningImageCannotBeMadeUnavailable) {
  PluginHarness h("Device", {"deviceinfo"});
  EXPECT_EQ(h.setFaultCode(kImage1 + ".Available", "false"), 9007);
  EXPECT_EQ(h.value(kImage1 + ".Available"), "true");
  EXPECT_EQ(h.setFaultCode(kImage1 + ".Available", "1"), 0);
  EXPECT_EQ(h.value(kImage1 + ".Available"), "true");
}

TEST(DeviceInfoFirmware, Tr098HasNoFirmwareImages) {
  PluginHarness h("InternetGatewayDevice", {"deviceinfo"});
  EXPECT_FALSE(h.value("InternetGatewayDevice.DeviceInfo.SoftwareVersion").empty());
  bool fault9005 = false;
  try {
    (void)h.engine->getValues({"InternetGatewayDevice.DeviceInfo.FirmwareImage."});
  } catch (const cwmpd::sdk::Fault& f) {
    fault9005 = f.code() == 9005;
  }
  EXPECT_TRUE(fault9005);
}

}  // namespace
