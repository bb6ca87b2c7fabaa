// cwmpctl's command-line parsing and output formats, without a bus.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli.hpp"
#include "output.hpp"

namespace cwmpd::cwmpctl {
namespace {

using ::testing::ElementsAre;

TEST(CwmpctlCommandLine, GlobalOptionsMayComeBeforeOrAfterTheCommand) {
  const auto inv = parseCommandLine(
      {"get", "--json", "Device.DeviceInfo.", "--address", "unix:path=/tmp/x", "Device.Time."});
  EXPECT_EQ(inv.command, Command::Get);
  EXPECT_TRUE(inv.json);
  EXPECT_EQ(inv.address, "unix:path=/tmp/x");
  EXPECT_THAT(inv.args, ElementsAre("Device.DeviceInfo.", "Device.Time."));
}

TEST(CwmpctlCommandLine, TheSystemBusIsTheDefault) {
  EXPECT_EQ(parseCommandLine({"status"}).address, "system");
  EXPECT_EQ(parseCommandLine({"--session", "status"}).address, "session");
  EXPECT_EQ(parseCommandLine({"--address=unix:path=/run/b", "status"}).address, "unix:path=/run/b");
}

TEST(CwmpctlCommandLine, NamesTakesNextLevel) {
  const auto inv = parseCommandLine({"names", "Device.", "--next-level"});
  EXPECT_EQ(inv.command, Command::Names);
  EXPECT_TRUE(inv.nextLevel);
  EXPECT_THROW((void)parseCommandLine({"get", "Device.", "--next-level"}), UsageError);
}

TEST(CwmpctlCommandLine, WrongArgumentsAreUsageErrors) {
  EXPECT_THROW((void)parseCommandLine({}), UsageError);
  EXPECT_THROW((void)parseCommandLine({"frobnicate"}), UsageError);
  EXPECT_THROW((void)parseCommandLine({"get"}), UsageError);
  EXPECT_THROW((void)parseCommandLine({"set", "Device.X"}), UsageError);
  EXPECT_THROW((void)parseCommandLine({"set", "=1"}), UsageError);
  EXPECT_THROW((void)parseCommandLine({"add", "A.", "B."}), UsageError);
  EXPECT_THROW((void)parseCommandLine({"setattr", "Device.X", "3"}), UsageError);
  EXPECT_THROW((void)parseCommandLine({"schedule-inform", "soon"}), UsageError);
  EXPECT_THROW((void)parseCommandLine({"--bogus", "status"}), UsageError);
  EXPECT_THROW((void)parseCommandLine({"status", "--address"}), UsageError);
}

TEST(CwmpctlCommandLine, AValueMayContainEqualsSigns) {
  EXPECT_EQ(splitAssignment("Device.X.Y=a=b"),
            (std::pair<std::string, std::string>{"Device.X.Y", "a=b"}));
  EXPECT_EQ(splitAssignment("Device.X.Y="),
            (std::pair<std::string, std::string>{"Device.X.Y", ""}));
}

TEST(CwmpctlCommandLine, DoubleDashEndsOptions) {
  const auto inv = parseCommandLine({"set", "--", "Device.X=--json"});
  EXPECT_FALSE(inv.json);
  EXPECT_THAT(inv.args, ElementsAre("Device.X=--json"));
}

TEST(CwmpctlOutput, JsonStringsEscapeQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(jsonString("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(jsonString("line\nnext\ttab"), "\"line\\nnext\\ttab\"");
  EXPECT_EQ(jsonString(std::string("\x01\x1f", 2)), "\"\\u0001\\u001f\"");
  EXPECT_EQ(jsonString("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
}

TEST(CwmpctlOutput, ValuesAreAlignedOnTheEqualsSign) {
  EXPECT_EQ(
      formatValues({{"Device.A", "xsd:string", "1"}, {"Device.Longer", "xsd:int", "2"}}, false),
      "Device.A      = 1\n"
      "Device.Longer = 2\n");
}

TEST(CwmpctlOutput, ValuesInJsonCarryNameTypeAndValue) {
  EXPECT_EQ(formatValues({{"Device.A", "xsd:string", "say \"hi\""}}, true),
            "[{\"name\":\"Device.A\",\"type\":\"xsd:string\",\"value\":\"say \\\"hi\\\"\"}]\n");
  EXPECT_EQ(formatValues({}, true), "[]\n");
}

TEST(CwmpctlOutput, NamesAndAttributesInBothFormats) {
  EXPECT_EQ(formatNames({{"Device.X.", false}, {"Device.X.Y", true}}, false),
            "Device.X.   read-only\n"
            "Device.X.Y  writable\n");
  EXPECT_EQ(formatNames({{"Device.X.Y", true}}, true),
            "[{\"name\":\"Device.X.Y\",\"writable\":true}]\n");
  EXPECT_EQ(formatAttributes({{"Device.X.Y", 2, {"Subscriber"}}}, false),
            "Device.X.Y  notification=2 access=Subscriber\n");
  EXPECT_EQ(formatAttributes({{"Device.X.Y", 0, {}}}, true),
            "[{\"name\":\"Device.X.Y\",\"notification\":0,\"accessList\":[]}]\n");
}

TEST(CwmpctlOutput, StatusListsAreJoinedForPeopleAndArraysForScripts) {
  const std::vector<StatusRow> rows = {{"SessionState", {"Idle"}, false},
                                       {"PendingEvents", {"1 BOOT", "X CT-COM BIND"}, true}};
  EXPECT_EQ(formatStatus(rows, false),
            "SessionState  = Idle\n"
            "PendingEvents = 1 BOOT, X CT-COM BIND\n");
  EXPECT_EQ(formatStatus(rows, true),
            "{\"SessionState\":\"Idle\",\"PendingEvents\":[\"1 BOOT\",\"X CT-COM BIND\"]}\n");
}

TEST(CwmpctlOutput, ErrorsInJsonCarryTheCwmpCode) {
  EXPECT_EQ(
      formatErrorJson("org.cwmpd.Fault.InvalidParameterName", "9005 Invalid parameter name", 9005),
      "{\"error\":{\"name\":\"org.cwmpd.Fault.InvalidParameterName\",\"code\":9005,"
      "\"message\":\"9005 Invalid parameter name\"}}\n");
}

}  // namespace
}  // namespace cwmpd::cwmpctl
