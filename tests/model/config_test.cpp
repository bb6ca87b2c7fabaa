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
  Config c = Config::parse(
      "# comment\n[acs]\nurl = \"http://127.0.0.1:7547/\"\n"
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
  EXPECT_EQ(
      errorOf("[acs]\nperiodic_inform_enable = maybe\n"),
      "test.conf:2: [acs] periodic_inform_enable: expected a boolean (true/false, 1/0, yes/no), got 'maybe'");
  EXPECT_EQ(errorOf("[acs]\nulr = x\n"), "test.conf:2: [acs] ulr: unknown key");
  EXPECT_NE(errorOf("[acs\nurl = x\n").find("test.conf:1:"), std::string::npos);
  EXPECT_NE(errorOf("[acs]\nurl = a\nurl = b\n").find("test.conf:3:"), std::string::npos);
  EXPECT_EQ(errorOf("url = x\n"), "test.conf:1: key 'url' is outside any [section]");
}

// Issue 13 item 15: vendor event codes hold spaces, so the list splits at each "X".
TEST(Config, VendorEventListsSplitAtEachXWhateverTheSeparators) {
  Config c = Config::parse(
      "[cpe]\nvendor_events = X CT-COM BIND, X 00D09E REBOOTED  X ACME LINK UP\n", "v.conf");
  EXPECT_EQ(c.getVendorEvents("cpe", "vendor_events"),
            (std::vector<std::string>{"X CT-COM BIND", "X 00D09E REBOOTED", "X ACME LINK UP"}));
  EXPECT_TRUE(c.getVendorEvents("cpe", "missing").empty());
  auto error = [](const std::string& value) {
    try {
      (void)Config::parse("[cpe]\nvendor_events = " + value + "\n", "v.conf")
          .getVendorEvents("cpe", "vendor_events");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(
      error("BIND"),
      "v.conf:2: [cpe] vendor_events: 'BIND' does not start a vendor event code (X <OUI> <NAME>)");
  EXPECT_EQ(
      error("X CT-COM BIND, CT-COM ALARM"),
      "v.conf:2: [cpe] vendor_events: 'CT-COM ALARM' does not start a vendor event code (X <OUI> <NAME>)");
  EXPECT_EQ(
      error("X CT-COM"),
      "v.conf:2: [cpe] vendor_events: 'X CT-COM' is not a vendor event code (X <OUI> <NAME>)");
  EXPECT_NE(error("X CT-COM BIND, X " + std::string(70, 'A') + " B"), "");
}

// Issue 14 item 8: the whole file against declared keys and their types, in file order.
TEST(Config, CheckAgainstDeclaredKeysReportsTheFirstProblemInFileOrder) {
  using cwmpd::core::ConfigKeySpec;
  using T = cwmpd::sdk::ConfigType;
  const std::vector<ConfigKeySpec> known{
      {"acs", "url", T::String, "core"},        {"acs", "verify_peer", T::Bool, "core"},
      {"pon", "poll_interval", T::Number, "p"}, {"wifi", "refresh", T::Unsigned, "p"},
      {"hal", "offset", T::Int, "core"},        {"plugins", "enable", T::List, "core"},
      {"example", "file_dir", T::Path, "p"}};
  auto error = [&](const std::string& text) {
    try {
      Config::parse(text, "k.conf").check(known);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(
      error("[acs]\nurl = x\n[pon]\npoll_interval = 0.25\n[wifi]\nrefresh = 0\n[hal]\noffset = -3\n"
            "[plugins]\nenable =\n[example]\nfile_dir = files\n"),
      "");
  EXPECT_EQ(error("[pon]\npoll_intervl = 5\n[zzz]\n"), "k.conf:2: [pon] poll_intervl: unknown key");
  EXPECT_EQ(error("[acs]\nurl = x\n[zzz]\na = 1\n[pon]\npoll_intervl = 5\n"),
            "k.conf:3: [zzz]: unknown section");
  EXPECT_EQ(error("[acs]\n[empty]\n"), "k.conf:2: [empty]: unknown section");
  EXPECT_EQ(error("[acs]\nverify_peer = nah\n"),
            "k.conf:2: [acs] verify_peer: expected a boolean (true/false, 1/0, yes/no), got 'nah'");
  EXPECT_EQ(error("[acs]\nverify_peer =\n"),
            "k.conf:2: [acs] verify_peer: empty value; remove the line to get the default");
  EXPECT_EQ(error("[pon]\npoll_interval = -1\n"),
            "k.conf:2: [pon] poll_interval: expected a number >= 0, got '-1'");
  EXPECT_EQ(error("[pon]\npoll_interval = inf\n"),
            "k.conf:2: [pon] poll_interval: expected a number >= 0, got 'inf'");
  EXPECT_EQ(error("[wifi]\nrefresh = 4294967296\n"),
            "k.conf:2: [wifi] refresh: expected an integer 0..4294967295, got '4294967296'");
  EXPECT_EQ(error("[hal]\noffset = 1.5\n"),
            "k.conf:2: [hal] offset: expected an integer, got '1.5'");
  EXPECT_EQ(error("[hal]\noffset = 99999999999999999999\n"),
            "k.conf:2: [hal] offset: integer '99999999999999999999' is out of range");
}

TEST(Config, AByteOrderMarkIsSkippedAndErrorsStayOneShortLine) {
  Config c = Config::parse("\xEF\xBB\xBF[acs]\nurl = x\n", "bom.conf");
  EXPECT_EQ(c.get("acs", "url"), "x");
  try {
    (void)Config::parse("[acs]\nperiodic_inform_enable = " + std::string(10000, 'y') + "\x1b[2J\n",
                        "long.conf")
        .getBool("acs", "periodic_inform_enable", true);
    ADD_FAILURE() << "accepted";
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_LE(what.size(), 303u) << what;
    EXPECT_EQ(what.rfind("long.conf:2: [acs] periodic_inform_enable: expected a boolean", 0), 0u)
        << what;
    EXPECT_EQ(what.find('\x1b'), std::string::npos);
  }
  EXPECT_EQ(Config::quote("a\nb"), "'a?b'");
}
