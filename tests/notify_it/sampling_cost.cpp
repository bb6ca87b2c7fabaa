// Measures the idle CPU of the real daemon with every parameter of the tree under
// passive notification (so every live parameter is sampled), from /proc/<pid>/stat.
// A measurement, not a test (no pass/fail on speed): run it by hand,
//   notify_sampling_cost [seconds=60] [sample_interval_ms=30000] [synthetic_instances=1000]
// (the synthetic plugin gives ten parameters per instance).
// with CWMPD_SOURCE_DIR set (the test ACS lives there).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "daemon_process.hpp"
#include "test_acs.hpp"

using namespace cwmpd::test;

namespace {

// utime + stime of `pid`, in clock ticks.
long long cpuTicks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  return utime + stime;
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  const int seconds = argc > 1 ? std::atoi(argv[1]) : 60;
  const std::string interval = argc > 2 ? argv[2] : "30000";
  const std::string instances = argc > 3 ? argv[3] : "1000";
  const std::string plugins = "deviceinfo, management, wan, wifi, synthetic";
  const std::string dir = makeTempDir("cwmpd-sampling-");
  TestAcs acs;
  DaemonProcess daemon(dir);
  daemon.set("acs", "url", acs.url());
  daemon.set("plugins", "enable", plugins);
  daemon.set("log", "level", "notice");
  daemon.set("notifications", "sample_interval_ms", interval);
  daemon.set("synthetic", "instances", instances);
  acs.addRpc(
      "<cwmp:SetParameterAttributes><ParameterList "
      "soap-enc:arrayType=\"cwmp:SetParameterAttributesStruct[1]\">"
      "<SetParameterAttributesStruct><Name>Device.</Name><NotificationChange>true</"
      "NotificationChange>"
      "<Notification>1</Notification><AccessListChange>false</AccessListChange>"
      "<AccessList "
      "soap-enc:arrayType=\"xsd:string[0]\"></AccessList></SetParameterAttributesStruct>"
      "</ParameterList></cwmp:SetParameterAttributes>");
  acs.addRpc(
      "<cwmp:GetParameterNames><ParameterPath>Device.</ParameterPath><NextLevel>false</NextLevel>"
      "</cwmp:GetParameterNames>");
  daemon.start();
  if (!acs.waitFor("ended_sessions", 1, std::chrono::seconds(30))) {
    std::fprintf(stderr, "no session; log:\n%s\n", daemon.log().c_str());
    return 1;
  }
  auto results = acs.results();
  if (results.size() != 2) {
    std::fprintf(stderr, "unexpected results (%zu)\n", results.size());
    return 1;
  }
  const std::string spa = results[0].get<std::string>("method");
  const std::string names = results[1].get<std::string>("body");
  const std::size_t objects = count(names, ".</Name>");
  const std::size_t params = count(names, "</Name>") - objects;
  std::this_thread::sleep_for(std::chrono::seconds(2));  // let the start-up settle
  const long long t0 = cpuTicks(daemon.pid());
  const auto w0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  const long long t1 = cpuTicks(daemon.pid());
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  const double cpu = static_cast<double>(t1 - t0) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::printf("SetParameterAttributes Device. notification 1: %s\n", spa.c_str());
  std::printf("parameters in the tree (all under passive notification): %zu\n", params);
  std::printf("plugins: %s; sample_interval_ms: %s\n", plugins.c_str(), interval.c_str());
  std::printf("daemon CPU over %.1f s idle: %.3f s = %.3f %%\n", wall, cpu, 100.0 * cpu / wall);
  daemon.stop();
  std::filesystem::remove_all(dir);
  return 0;
}
