// Action commands on the linux backend: real scripts in a temporary directory.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>

#include "cwmpd/hal/factory.hpp"
#include "hal_test_util.hpp"

namespace cwmpd::hal {
namespace {

using namespace std::chrono_literals;
using test::slurp;
using test::spit;
using test::TempDir;
namespace fs = std::filesystem;

fs::path script(const TempDir& dir, const std::string& name, const std::string& body) {
  const fs::path p = dir.path() / name;
  spit(p, "#!/bin/sh\n" + body);
  fs::permissions(p, fs::perms::owner_all);
  return p;
}

class LinuxCommands : public ::testing::Test {
 protected:
  std::unique_ptr<Hal> make() {
    config_.backend = "linux";
    return makeHal(config_);
  }
  TempDir tmp_;
  HalConfig config_;
};

TEST_F(LinuxCommands, RebootRunsTheConfiguredCommandThenTheHook) {
  const fs::path out = tmp_.path() / "out";
  config_.commands["reboot"] =
      script(tmp_, "reboot.sh", "echo \"rebooting $#:$1\" > \"$OUT\"\n").string() +
      " \"now please\"";
  ::setenv("OUT", out.c_str(), 1);
  bool hookSawFile = false;
  config_.hooks.reboot = [&] { hookSawFile = fs::exists(out); };
  make()->system().reboot();
  EXPECT_EQ(slurp(out), "rebooting 1:now please\n");
  EXPECT_TRUE(hookSawFile);
  ::unsetenv("OUT");
}

TEST_F(LinuxCommands, ANonZeroExitIsAHalErrorCarryingTheLastOutputLine) {
  config_.commands["factory_reset"] =
      script(tmp_, "fail.sh", "echo starting\necho 'flash is locked' >&2\nexit 3\n").string();
  bool hookCalled = false;
  config_.hooks.factoryReset = [&] { hookCalled = true; };
  try {
    make()->system().factoryReset();
    FAIL() << "expected HalError";
  } catch (const HalError& e) {
    EXPECT_NE(std::string(e.what()).find("status 3"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("flash is locked"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(hookCalled);
}

TEST_F(LinuxCommands, ACommandThatOutlivesItsTimeoutIsKilledWithItsChildren) {
  const fs::path pids = tmp_.path() / "pids";
  config_.commands["reboot"] =
      script(tmp_, "hang.sh", "sleep 300 &\necho \"$$ $!\" > \"$1\"\nwait\n").string() + " " +
      pids.string();
  config_.commandTimeout = 300ms;
  EXPECT_THROW(make()->system().reboot(), HalError);
  int shell = 0, child = 0;
  std::ifstream(pids) >> shell >> child;
  ASSERT_GT(shell, 0);
  ASSERT_GT(child, 0);
  // The shell was reaped by the HAL; the orphaned sleep got SIGKILL with its group (it may
  // linger as a zombie until its new parent reaps it, but it no longer runs).
  const auto running = [](int pid) {
    const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
    return !stat.empty() && stat.find(") Z") == std::string::npos;
  };
  EXPECT_FALSE(running(shell));
  for (int i = 0; i < 100 && running(child); ++i) ::usleep(10000);
  EXPECT_FALSE(running(child));
}

TEST_F(LinuxCommands, TheTimeoutAlsoHoldsForACommandThatClosedItsOutput) {
  config_.commands["reboot"] =
      script(tmp_, "quiet.sh", "exec >/dev/null 2>&1\nsleep 300\n").string();
  config_.commandTimeout = 300ms;
  EXPECT_THROW(make()->system().reboot(), HalError);
}

TEST_F(LinuxCommands, ADaemonLeftBehindHoldingTheOutputDoesNotHoldTheCaller) {
  const fs::path pidFile = tmp_.path() / "daemon";
  // The background sleep inherits stdout (the HAL's pipe) and outlives the script.
  config_.commands["factory_reset"] =
      script(tmp_, "spawn.sh", "sleep 300 &\necho $! > \"$1\"\necho done\n").string() + " " +
      pidFile.string();
  config_.commandTimeout = 20s;
  // Waiting for the pipe's EOF would end in the timeout error instead.
  EXPECT_NO_THROW(make()->system().factoryReset());
  int daemon = 0;
  std::ifstream(pidFile) >> daemon;
  ASSERT_GT(daemon, 0);
  ::kill(daemon, SIGKILL);
}

TEST_F(LinuxCommands, ValuesReachTheCommandAsOneArgumentNeverThroughAShell) {
  const fs::path out = tmp_.path() / "args";
  const std::string marker = "cwmpd-injected-marker";
  config_.commands["firmware_apply"] =
      script(tmp_, "fw.sh",
             "printf '%s|%s|%s' \"$#\" \"$1\" \"$CWMPD_FIRMWARE_IMAGE\" > " + out.string() + "\n")
          .string();
  // Were this ever given to a shell, it would create `marker` in the working directory.
  const fs::path image = tmp_.path() / ("image; touch " + marker + " $(touch " + marker + ").bin");
  spit(image, "firmware");
  std::string applied;
  config_.hooks.firmwareApplied = [&](const std::string& p) { applied = p; };
  make()->system().applyFirmware(image.string());
  EXPECT_EQ(slurp(out), "1|" + image.string() + "|" + image.string());
  EXPECT_FALSE(fs::exists(marker));
  EXPECT_FALSE(fs::exists(tmp_.path() / marker));
  EXPECT_EQ(applied, image.string());
}

TEST_F(LinuxCommands, RefusesUnknownCommandKeysAndActionsWithoutCommandOrHook) {
  config_.commands["rebot"] = "/bin/true";
  EXPECT_THROW((void)make(), HalError);
  config_.commands.clear();
  auto hal = make();
  EXPECT_THROW(hal->system().reboot(), HalError);
  EXPECT_THROW(hal->system().applyFirmware((tmp_.path() / "none.bin").string()), HalError);
  config_.commands["reboot"] = "/nonexistent/reboot-cmd";
  EXPECT_THROW(make()->system().reboot(), HalError);
}

TEST_F(LinuxCommands, AHookAloneIsEnoughForReboot) {
  int calls = 0;
  config_.hooks.reboot = [&] { ++calls; };
  make()->system().reboot();
  EXPECT_EQ(calls, 1);
}

TEST_F(LinuxCommands, WifiApplyWritesOnePrivateBatchFileAndRunsTheCommandOnce) {
  const fs::path status = tmp_.path() / "wifi";
  fs::copy(test::sourceDir() / "config/sim/wifi", status, fs::copy_options::recursive);
  const fs::path batch = tmp_.path() / "wifi-batch.conf";
  const fs::path copy = tmp_.path() / "seen";
  const fs::path count = tmp_.path() / "count";
  config_.wifiStatusDir = status.string();
  config_.wifiConfigFile = batch.string();
  config_.commands["wifi_apply"] =
      script(tmp_, "wifi.sh",
             "cp \"$1\" " + copy.string() + "\necho x >> " + count.string() +
                 "\n[ \"$1\" = \"$CWMPD_CONFIG_FILE\" ]\n")
          .string();
  auto hal = make();
  EXPECT_EQ(hal->wifi().radios().size(), 2u);  // status from the platform's export
  WifiConfig c;
  c.ssids.push_back({.name = "wlan0", .ssid = "office"});
  c.accessPoints.push_back({.name = "ap0", .passphrase = "a long passphrase"});
  hal->wifi().apply(c);
  const std::string seen = slurp(copy);
  EXPECT_NE(seen.find("[ssid wlan0]\nssid = office\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find("passphrase = a long passphrase"), std::string::npos) << seen;
  EXPECT_EQ(slurp(count), "x\n");
  struct stat st {};
  ASSERT_EQ(::stat(batch.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // Validation against the exported state happens before the command runs.
  c.ssids = {{.name = "wlan9", .ssid = "x"}};
  EXPECT_THROW(hal->wifi().apply(c), HalError);
  EXPECT_EQ(slurp(count), "x\n");
}

TEST_F(LinuxCommands, VoiceApplyHandsTheSecretsToTheCommandOnlyThroughTheBatchFile) {
  const fs::path status = tmp_.path() / "voice";
  fs::copy(test::sourceDir() / "config/sim/voice", status, fs::copy_options::recursive);
  const fs::path seen = tmp_.path() / "seen";
  config_.voiceStatusDir = status.string();
  config_.commands["voice_apply"] =
      script(tmp_, "voice.sh", "cat \"$CWMPD_CONFIG_FILE\" > " + seen.string() + "\n").string();
  auto hal = make();
  EXPECT_EQ(hal->voice().lines().size(), 2u);
  VoiceConfig c;
  c.lines.push_back({.name = "line2", .enabled = true, .authPassword = "pa55word"});
  hal->voice().apply(c);
  EXPECT_EQ(slurp(seen), "[line line2]\nenable = 1\nauth_password = pa55word\n");
  // The status export is the platform's: the HAL does not write into it.
  EXPECT_EQ(hal->voice().line("line2").status, RegistrationStatus::Disabled);
  c.lines = {{.name = "line1", .transport = "SCTP"}};
  EXPECT_THROW(hal->voice().apply(c), HalError);
}

}  // namespace
}  // namespace cwmpd::hal
