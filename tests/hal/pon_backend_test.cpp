// The PON interface (hal/include/cwmpd/hal/pon.hpp) on both backends: the sim's pon/
// folder, and the linux backend through the documented example mapping
// (hal/examples/pon-*-debugfs.sh) run against a folder that mimics a driver's debugfs.
#include <gtest/gtest.h>

#include <algorithm>

#include "cwmpd/hal/error.hpp"
#include "cwmpd/hal/factory.hpp"
#include "hal_test_util.hpp"

namespace cwmpd::hal {
namespace {

using test::slurp;
using test::spit;
using test::TempDir;
namespace fs = std::filesystem;

std::unique_ptr<Hal> simHal(const fs::path& dir) {
  HalConfig c;
  c.backend = "sim";
  c.simDir = dir.string();
  return makeHal(c);
}

TEST(SimPon, ReadsTheDemoOnu) {
  TempDir tmp;
  auto hal = simHal(test::copyDemoSim(tmp));
  const OnuStatus s = hal->pon().status();
  ASSERT_TRUE(s.present);
  EXPECT_EQ(s.state, "O5");
  EXPECT_EQ(s.mode, PonMode::GPON);
  EXPECT_EQ(s.vendorId, "SIMC");
  EXPECT_EQ(s.serialNumber, "SIMC00000001");
  EXPECT_TRUE(s.onuIdAssigned);
  EXPECT_EQ(s.onuId, 1u);
  EXPECT_EQ(s.auth, LoidAuth::None);
  EXPECT_EQ(s.alarms, PonAlarms{});
  EXPECT_EQ(s.transceiver, "pon0");
  EXPECT_EQ(s.uniPorts, (std::vector<std::string>{"eth1", "eth2", "eth3"}));
  EXPECT_EQ(s.counters.totalFecCodewords, 1000000u);
  EXPECT_EQ(s.counters.omciBaselineMessages, 210u);
  ASSERT_EQ(s.gemPorts.size(), 2u);
  EXPECT_EQ(s.gemPorts[0].portId, 1025u);
  EXPECT_EQ(s.gemPorts[1].direction, "ANI-to-UNI");
  EXPECT_EQ(s.gemPorts[1].type, "multicast");
  EXPECT_EQ(s.gemPorts[1].framesReceived, 1000u);
}

TEST(SimPon, FollowsTheEditedFile) {
  TempDir tmp;
  const fs::path sim = test::copyDemoSim(tmp);
  auto hal = simHal(sim);
  spit(sim / "pon" / "onu.ini",
       "state = O2-3\npon_mode = XGS-PON\nonu_id =\nloid_auth = loid_unknown\nalarms = los, SF "
       ",rogue\n");
  const OnuStatus s = hal->pon().status();
  EXPECT_EQ(s.state, "O2-3");
  EXPECT_EQ(s.mode, PonMode::XGSPON);
  EXPECT_FALSE(s.onuIdAssigned);
  EXPECT_EQ(s.auth, LoidAuth::LoidUnknown);
  EXPECT_TRUE(s.alarms.los);
  EXPECT_TRUE(s.alarms.sf);
  EXPECT_TRUE(s.alarms.rogue);
  EXPECT_FALSE(s.alarms.lof);
}

// The backend keeps the last text's parse (the plugin reads the ONU field by field): every
// read still follows the file, and a file that does not parse fails every read.
TEST(SimPon, EveryReadFollowsTheFileThroughTheParseCache) {
  TempDir tmp;
  const fs::path sim = test::copyDemoSim(tmp);
  auto hal = simHal(sim);
  const OnuStatus first = hal->pon().status();
  EXPECT_EQ(hal->pon().status().serialNumber, first.serialNumber);
  const std::string original = slurp(sim / "pon" / "onu.ini");
  spit(sim / "pon" / "onu.ini", "state = O2-3\n");
  EXPECT_EQ(hal->pon().status().state, "O2-3");
  EXPECT_EQ(hal->pon().status().serialNumber, "");
  spit(sim / "pon" / "onu.ini", "state = O10\n");
  EXPECT_THROW((void)hal->pon().status(), HalError);
  EXPECT_THROW((void)hal->pon().status(), HalError);
  spit(sim / "pon" / "onu.ini", original);
  EXPECT_EQ(hal->pon().status().state, first.state);
  EXPECT_EQ(hal->pon().status().serialNumber, first.serialNumber);
}

TEST(SimPon, NoOnuFileMeansNoOnu) {
  TempDir tmp;
  const fs::path sim = test::copyDemoSim(tmp);
  fs::remove_all(sim / "pon");
  auto hal = simHal(sim);
  EXPECT_FALSE(hal->pon().status().present);
  EXPECT_THROW(hal->pon().setCredentials({"loid", "pw", "", false}), HalError);
}

TEST(SimPon, BadValuesAreHalErrorsNamingTheKey) {
  TempDir tmp;
  const fs::path sim = test::copyDemoSim(tmp);
  auto hal = simHal(sim);
  for (const char* bad :
       {"state = O10\n", "pon_mode = DOCSIS\n", "loid_auth = maybe\n", "alarms = los,fire\n",
        "onu_id = 70000\n", "gem_port.1 = sideways unicast\n", "total_fec_codewords = -1\n",
        "just text\n"}) {
    spit(sim / "pon" / "onu.ini", bad);
    try {
      (void)hal->pon().status();
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const HalError& e) {
      EXPECT_NE(std::string(e.what()).find("onu.ini"), std::string::npos) << e.what();
    }
  }
}

TEST(SimPon, CredentialsRestartTheAuthentication) {
  TempDir tmp;
  const fs::path sim = test::copyDemoSim(tmp);
  auto hal = simHal(sim);
  hal->pon().setCredentials({"LOID-0001", "secret", "1234567890", false});
  const std::string creds = slurp(sim / "pon" / "credentials.ini");
  EXPECT_NE(creds.find("loid = LOID-0001\n"), std::string::npos);
  EXPECT_NE(creds.find("loid_password = secret\n"), std::string::npos);
  EXPECT_NE(creds.find("password = 1234567890\n"), std::string::npos);
  EXPECT_EQ(fs::status(sim / "pon" / "credentials.ini").permissions() & fs::perms::others_read,
            fs::perms::none);
  EXPECT_EQ(hal->pon().status().auth, LoidAuth::InProgress);
  EXPECT_EQ(slurp(sim / "run" / "pon_auth_restarts"), "1\n");
  // The rest of the file is kept (comments included).
  EXPECT_NE(slurp(sim / "pon" / "onu.ini").find("# The simulated ONU"), std::string::npos);
}

// ------------------------------------------------------------------ linux: example mapping

fs::path example(const char* name) { return test::sourceDir() / "hal" / "examples" / name; }

// A folder shaped like the example driver's debugfs (hal/examples/pon-status-debugfs.sh).
void mimicDebugfs(const fs::path& d) {
  fs::create_directories(d / "gem");
  spit(d / "onu_state", "5\n");
  spit(d / "onu_id", "17\n");
  spit(d / "sn", "ABCD0000002A\n");
  spit(d / "mode", "xgspon\n");
  spit(d / "loid_status", "2\n");
  spit(d / "alarm_mask", "0x5\n");  // LOS and SF
  spit(d / "ber_sf", "4\n");
  spit(d / "ber_sd", "8\n");
  spit(d / "stats",
       "fec_corrected_bytes 11\nfec_corrected_cw 12\nfec_uncorrectable_cw 13\nfec_total_cw 14\n"
       "hec_errors 15\ngem_tx 16\ngem_rx 17\nploam_mic_errors 18\nploam_rx 19\nploam_tx 20\n"
       "omci_rx 21\nomci_mic_errors 22\n");
  spit(d / "gem" / "1030", "UNI-to-ANI unicast 5 6\n");
}

std::unique_ptr<Hal> linuxPonHal(const fs::path& debugfs) {
  HalConfig c;
  c.backend = "linux";
  c.commands["pon_status"] =
      "sh " + example("pon-status-debugfs.sh").string() + " " + debugfs.string();
  c.commands["pon_auth"] = "sh " + example("pon-auth-debugfs.sh").string() + " " + debugfs.string();
  return makeHal(c);
}

TEST(LinuxPon, TheExampleMappingReadsAMimickedDebugfs) {
  TempDir tmp;
  const fs::path d = tmp.path() / "pon";
  mimicDebugfs(d);
  auto hal = linuxPonHal(d);
  const OnuStatus s = hal->pon().status();
  ASSERT_TRUE(s.present);
  EXPECT_EQ(s.state, "O5");
  EXPECT_EQ(s.onuId, 17u);
  EXPECT_TRUE(s.onuIdAssigned);
  EXPECT_EQ(s.serialNumber, "ABCD0000002A");
  EXPECT_EQ(s.vendorId, "ABCD");
  EXPECT_EQ(s.mode, PonMode::XGSPON);
  EXPECT_EQ(s.auth, LoidAuth::Success);
  EXPECT_TRUE(s.alarms.los);
  EXPECT_FALSE(s.alarms.lof);
  EXPECT_TRUE(s.alarms.sf);
  EXPECT_EQ(s.signalFailThreshold, 4u);
  EXPECT_EQ(s.signalDegradeThreshold, 8u);
  EXPECT_EQ(s.counters.correctedFecBytes, 11u);
  EXPECT_EQ(s.counters.totalFecCodewords, 14u);
  EXPECT_EQ(s.counters.headerHecErrors, 15u);
  EXPECT_EQ(s.counters.gemFramesReceived, 17u);
  EXPECT_EQ(s.counters.ploamUpstreamMessages, 20u);
  EXPECT_EQ(s.counters.omciMicErrors, 22u);
  ASSERT_EQ(s.gemPorts.size(), 1u);
  EXPECT_EQ(s.gemPorts[0].portId, 1030u);
  EXPECT_EQ(s.gemPorts[0].direction, "UNI-to-ANI");
  EXPECT_EQ(s.gemPorts[0].framesReceived, 6u);
}

TEST(LinuxPon, UnassignedOnuIdAndMissingFolder) {
  TempDir tmp;
  const fs::path d = tmp.path() / "pon";
  mimicDebugfs(d);
  spit(d / "onu_state", "1\n");
  spit(d / "onu_id", "255\n");
  EXPECT_EQ(linuxPonHal(d)->pon().status().state, "O1");
  EXPECT_FALSE(linuxPonHal(d)->pon().status().onuIdAssigned);
  EXPECT_FALSE(linuxPonHal(tmp.path() / "absent")->pon().status().present);
}

TEST(LinuxPon, ABrokenDriverValueIsAHalError) {
  TempDir tmp;
  const fs::path d = tmp.path() / "pon";
  mimicDebugfs(d);
  spit(d / "onu_state", "12\n");
  EXPECT_THROW((void)linuxPonHal(d)->pon().status(), HalError);
}

TEST(LinuxPon, TheExampleAuthMappingGetsTheCredentialsThroughTheEnvironment) {
  TempDir tmp;
  const fs::path d = tmp.path() / "pon";
  mimicDebugfs(d);
  linuxPonHal(d)->pon().setCredentials({"LOID 42", "pa ss", "31323334", true});
  EXPECT_EQ(slurp(d / "loid"), "LOID 42\n");
  EXPECT_EQ(slurp(d / "loid_password"), "pa ss\n");
  EXPECT_EQ(slurp(d / "ploam_password"), "31323334\n");
  EXPECT_EQ(slurp(d / "ploam_password_hex"), "1\n");
  EXPECT_EQ(slurp(d / "auth_restart"), "1\n");
}

TEST(LinuxPon, StatusDirAndNothingConfigured) {
  TempDir tmp;
  HalConfig c;
  c.backend = "linux";
  EXPECT_FALSE(makeHal(c)->pon().status().present);
  EXPECT_THROW(makeHal(c)->pon().setCredentials({}), HalError);
  c.ponStatusDir = tmp.path().string();
  EXPECT_FALSE(makeHal(c)->pon().status().present);
  spit(tmp.path() / "onu.ini", "state = O3\n");
  EXPECT_EQ(makeHal(c)->pon().status().state, "O3");
}

}  // namespace
}  // namespace cwmpd::hal
