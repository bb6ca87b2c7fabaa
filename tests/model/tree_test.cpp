// The tree's one helper from an instance path to its definition pattern, shared by the
// definition lookup and the vendor configuration file (issue 14: no copy of it).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/tree.hpp"

namespace {

using cwmpd::core::model::Tree;

TEST(TreePattern, InstanceNumbersBecomeTheirPlaceholderAndNothingElseDoes) {
  EXPECT_EQ(Tree::patternOf("Device.WiFi.SSID.2.SSID"), "Device.WiFi.SSID.{i}.SSID");
  EXPECT_EQ(Tree::patternOf("Device.IP.Interface.1.IPv4Address.12."),
            "Device.IP.Interface.{i}.IPv4Address.{i}.");
  EXPECT_EQ(Tree::patternOf("Device.DeviceInfo.X_00005E_2G"), "Device.DeviceInfo.X_00005E_2G");
  EXPECT_EQ(Tree::patternOf("Device."), "Device.");
  EXPECT_EQ(Tree::patternOf(""), "");
}

TEST(TreePattern, ListsTheInstancePrefixesOutermostFirst) {
  std::vector<std::string> instances;
  EXPECT_EQ(Tree::patternOf("Device.IP.Interface.1.IPv4Address.12.Enable", &instances),
            "Device.IP.Interface.{i}.IPv4Address.{i}.Enable");
  EXPECT_EQ(instances, (std::vector<std::string>{"Device.IP.Interface.1.",
                                                 "Device.IP.Interface.1.IPv4Address.12."}));
  instances.clear();
  (void)Tree::patternOf("Device.WiFi.Radio.7", &instances);  // a number that ends the path
  EXPECT_TRUE(instances.empty());
}

}  // namespace
