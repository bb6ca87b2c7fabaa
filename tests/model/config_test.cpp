#include "cwmpd/core/config.hpp"

#include <gtest/gtest.h>

using cwmpd::core::Config;
using cwmpd::core::ConfigError;

namespace {

std::string errorOf(const std::string& text) {
  try {
    Config c = Config::parse(text, "test.conf");
    c.requireKnownKeys("acs", {"url", "periodic_inform_interval", "periodic_inform_enable"});
    (void)c.getInt("acs", "periodic_inform_interval", 300, 1, 86400);
    (void)c.getBool("acs", "periodic_inform_enable", true);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST(Config, ReadsSectionsKeysCommentsAndQuotes) {
  Config c = Config::parse("# comment\n[acs]\nurl = \"http://127.0.0.1:7547/\"\n"
                           "periodic_inform_interval = 60 # a minute\n[plugins]\nenable = wifi, wan pon\n",
                           "x.conf");
  EXPECT_EQ(c.get("acs", "url"), "http://127.0.0.1:7547/");
  EXPECT_EQ(c.getInt("acs", "periodic_inform_interval", 0, 1, 100), 60);
  EXPECT_EQ(c.getList("plugins", "enable"), (std::vector<std::string>{"wifi", "wan", "pon"}));
  EXPECT_EQ(c.get("acs", "missing", "fallback"), "fallback");
}

TEST(Config, ErrorsNameTheFileTheLineAndTheKey) {
  EXPECT_EQ(errorOf("[acs]\nurl = x\n\nperiodic_inform_interval = soon\n"),
            "test.conf:4: [acs] periodic_inform_interval: expected an integer, got 'soon'");
  EXPECT_EQ(errorOf("[acs]\nperiodic_inform_interval = 0\n"),
            "test.conf:2: [acs] periodic_inform_interval: value 0 is out of range 1..86400");
  EXPECT_EQ(errorOf("[acs]\nperiodic_inform_enable = maybe\n"),
            "test.conf:2: [acs] periodic_inform_enable: expected a boolean (true/false, 1/0, yes/no), got 'maybe'");
  EXPECT_EQ(errorOf("[acs]\nulr = x\n"), "test.conf:2: [acs] ulr: unknown key");
  EXPECT_NE(errorOf("[acs\nurl = x\n").find("test.conf:1:"), std::string::npos);
  EXPECT_NE(errorOf("[acs]\nurl = a\nurl = b\n").find("test.conf:3:"), std::string::npos);
  EXPECT_EQ(errorOf("url = x\n"), "test.conf:1: key 'url' is outside any [section]");
}

// Issue 13 item 15: vendor event codes hold spaces, so the list splits at each "X".
TEST(Config, VendorEventListsSplitAtEachXWhateverTheSeparators) {
  Config c = Config::parse("[cpe]\nvendor_events = X CT-COM BIND, X 00D09E REBOOTED  X ACME LINK UP\n", "v.conf");
  EXPECT_EQ(c.getVendorEvents("cpe", "vendor_events"),
            (std::vector<std::string>{"X CT-COM BIND", "X 00D09E REBOOTED", "X ACME LINK UP"}));
  EXPECT_TRUE(c.getVendorEvents("cpe", "missing").empty());
  auto error = [](const std::string& value) {
    try {
      (void)Config::parse("[cpe]\nvendor_events = " + value + "\n", "v.conf").getVendorEvents("cpe", "vendor_events");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(error("BIND"), "v.conf:2: [cpe] vendor_events: 'BIND' does not start a vendor event code (X <OUI> <NAME>)");
  EXPECT_EQ(error("X CT-COM BIND, CT-COM ALARM"),
            "v.conf:2: [cpe] vendor_events: 'CT-COM ALARM' does not start a vendor event code (X <OUI> <NAME>)");
  EXPECT_EQ(error("X CT-COM"), "v.conf:2: [cpe] vendor_events: 'X CT-COM' is not a vendor event code (X <OUI> <NAME>)");
  EXPECT_NE(error("X CT-COM BIND, X " + std::string(70, 'A') + " B"), "");
}
