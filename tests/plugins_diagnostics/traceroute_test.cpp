// TraceRoute (TR-181) and TraceRouteDiagnostics (TR-098): real UDP probes to loopback,
// one RouteHops row per hop, rows replaced by the next run and removed by a cancel.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>

#include "../harness/plugin_harness.hpp"

namespace cwmpd::testing {
namespace {

using namespace std::chrono_literals;

const std::string kTr = "Device.IP.Diagnostics.TraceRoute.";
const std::string kTr098 = "InternetGatewayDevice.TraceRouteDiagnostics.";

std::string awaitEnd(PluginHarness& h, const std::string& object) {
  h.runUntil([&] { return h.value(object + "DiagnosticsState") != "Requested"; }, 20s);
  return h.value(object + "DiagnosticsState");
}

TEST(TraceRoute, ToIPv4LoopbackIsOneHop) {
  PluginHarness h{"Device", {"wan", "diagnostics"}};
  h.engine->setValues({{kTr + "Host", "127.0.0.1"},
                       {kTr + "NumberOfTries", "2"},
                       {kTr + "DiagnosticsState", "Requested"}},
                      sdk::Source::Acs);
  ASSERT_EQ(awaitEnd(h, kTr), "Complete");
  EXPECT_EQ(h.value(kTr + "RouteHopsNumberOfEntries"), "1");
  EXPECT_EQ(h.value(kTr + "RouteHops.1.HostAddress"), "127.0.0.1");
  EXPECT_FALSE(h.value(kTr + "RouteHops.1.Host").empty());
  EXPECT_EQ(h.value(kTr + "RouteHops.1.ErrorCode"), "0");
  const std::string rtt = h.value(kTr + "RouteHops.1.RTTimes");
  EXPECT_EQ(std::count(rtt.begin(), rtt.end(), ','), 1) << rtt;  // two tries, two times
  EXPECT_EQ(h.value(kTr + "IPAddressUsed"), "127.0.0.1");
  ASSERT_EQ(h.events.size(), 1U);
  EXPECT_EQ(h.events[0], "8 DIAGNOSTICS COMPLETE");

  // Run again: the row is replaced, still number 1. Then a parameter set clears it.
  h.engine->setValues({{kTr + "DiagnosticsState", "Requested"}}, sdk::Source::Acs);
  ASSERT_EQ(awaitEnd(h, kTr), "Complete");
  EXPECT_EQ(h.value(kTr + "RouteHopsNumberOfEntries"), "1");
  EXPECT_EQ(h.value(kTr + "RouteHops.1.HostAddress"), "127.0.0.1");
  h.engine->setValues({{kTr + "MaxHopCount", "5"}}, sdk::Source::Acs);
  EXPECT_EQ(h.value(kTr + "DiagnosticsState"), "None");
  h.runUntil([&] { return h.value(kTr + "RouteHopsNumberOfEntries") == "0"; }, 5s);
  EXPECT_EQ(h.value(kTr + "RouteHopsNumberOfEntries"), "0");
}

TEST(TraceRoute, ToIPv6LoopbackIsOneHop) {
  PluginHarness h{"Device", {"wan", "diagnostics"}};
  h.engine->setValues({{kTr + "Host", "::1"},
                       {kTr + "ProtocolVersion", "IPv6"},
                       {kTr + "NumberOfTries", "1"},
                       {kTr + "DiagnosticsState", "Requested"}},
                      sdk::Source::Acs);
  ASSERT_EQ(awaitEnd(h, kTr), "Complete");
  EXPECT_EQ(h.value(kTr + "RouteHopsNumberOfEntries"), "1");
  EXPECT_EQ(h.value(kTr + "RouteHops.1.HostAddress"), "::1");
}

TEST(TraceRoute, UnresolvableHostAndBoundsOfTheModel) {
  PluginHarness h{"Device", {"wan", "diagnostics"}};
  EXPECT_EQ(h.setFaultCode(kTr + "MaxHopCount", "65"), 9007);
  EXPECT_EQ(h.setFaultCode(kTr + "NumberOfTries", "4"), 9007);
  h.engine->setValues(
      {{kTr + "Host", "no-such-host.invalid"}, {kTr + "DiagnosticsState", "Requested"}},
      sdk::Source::Acs);
  EXPECT_EQ(awaitEnd(h, kTr), "Error_CannotResolveHostName");
  EXPECT_EQ(h.value(kTr + "RouteHopsNumberOfEntries"), "0");
}

TEST(TraceRouteTr098, ToLoopbackIsOneHop) {
  PluginHarness h{"InternetGatewayDevice", {"diagnostics"}};
  h.engine->setValues({{kTr098 + "Host", "127.0.0.1"},
                       {kTr098 + "NumberOfTries", "1"},
                       {kTr098 + "DiagnosticsState", "Requested"}},
                      sdk::Source::Acs);
  ASSERT_EQ(awaitEnd(h, kTr098), "Complete");
  EXPECT_EQ(h.value(kTr098 + "RouteHopsNumberOfEntries"), "1");
  EXPECT_EQ(h.value(kTr098 + "RouteHops.1.HopHostAddress"), "127.0.0.1");
  EXPECT_EQ(h.value(kTr098 + "RouteHops.1.HopErrorCode"), "0");
}

}  // namespace
}  // namespace cwmpd::testing
