// Conformance of the registered data model with the official Broadband Forum models:
// every standard parameter (no X_ vendor segment) that the plugins of lib/plugins register
// must exist in the official model of its root with the same base type and the same
// writability. TR-104 (VoiceService) is mounted under <root>.Services. as the agent does.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cwmpd/core/config.hpp"
#include "cwmpd/core/engine.hpp"
#include "cwmpd/core/plugin_host.hpp"
#include "cwmpd/core/store.hpp"
#include "cwmpd/hal/factory.hpp"
#include "model/definitions.hpp"

namespace {

namespace fs = std::filesystem;
using cwmpd::sdk::Access;
using cwmpd::sdk::ParamType;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char* typeName(ParamType t) { return cwmpd::sdk::xsdTypeName(t); }

bool writable(Access a) { return a != Access::ReadOnly; }

struct Official {
  ParamType type;
  Access access;
};

struct RootCase {
  std::string root;
  std::vector<std::string> files;  // official documents that make up the root's model
};

// Test names show the root, not the struct's bytes.
void PrintTo(const RootCase& rc, std::ostream* os) { *os << rc.root; }

// Parameter pattern -> official facts, from the official documents of one root.
std::map<std::string, Official> officialModel(const RootCase& rc, const fs::path& bbf) {
  std::map<std::string, Official> out;
  for (const auto& file : rc.files) {
    for (const auto& model : cwmpd::core::model::parseDocument(readFile(bbf / file), rc.root))
      for (const auto& obj : model.objects)
        for (const auto& p : obj.params) out[obj.pattern + p.name] = {p.type.base, p.access};
  }
  return out;
}

bool isVendor(const std::string& pattern) {
  std::size_t start = 0;
  while (start < pattern.size()) {
    if (pattern.compare(start, 2, "X_") == 0) return true;
    auto dot = pattern.find('.', start);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return false;
}

// Every parameter definition the plugins of lib/plugins register under `root` (on a copy
// of the demo sim box); load failures are test failures.
std::vector<cwmpd::core::ParameterDefinitionInfo> registeredDefinitions(
    const std::string& root, std::size_t* pluginFiles = nullptr) {
  const std::string pluginDir = env("CWMPD_BUILD_DIR") + "/lib/plugins";
  EXPECT_TRUE(fs::is_directory(pluginDir)) << pluginDir;
  std::string tmpl = (fs::temp_directory_path() / "cwmpd-conf-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
    return {};
  }
  const fs::path dir = tmpl;
  fs::copy(env("CWMPD_SOURCE_DIR") + "/config/sim", dir / "sim", fs::copy_options::recursive);

  std::size_t files = 0;
  std::error_code dirError;
  for (const auto& e : fs::directory_iterator(pluginDir, dirError))
    files += e.path().extension() == ".so";
  if (pluginFiles) *pluginFiles = files;
  std::vector<cwmpd::core::ParameterDefinitionInfo> defs;
  std::vector<std::string> loadErrors;
  {
    auto config = cwmpd::core::Config::parse("[cpe]\nroot = " + root + "\n", "conformance.conf");
    cwmpd::core::Store store((dir / "model.db").string());
    store.load();
    cwmpd::hal::HalConfig hc;
    hc.backend = "sim";
    hc.simDir = (dir / "sim").string();
    auto hal = cwmpd::hal::makeHal(hc);
    auto engine = std::make_unique<cwmpd::core::Engine>(root, store);
    cwmpd::core::PluginHost host(*engine, config, *hal, {});
    std::size_t loaded = 0;
    for (const auto& e : fs::directory_iterator(pluginDir, dirError)) {
      if (e.path().extension() != ".so") continue;
      if (host.loadFile(e.path().string()))
        ++loaded;
      else
        loadErrors.push_back(host.lastError());
    }
    EXPECT_EQ(loaded, files);
    engine->finalize();
    defs = engine->definitions();
    engine.reset();  // handlers die before the plugin libraries unload
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  for (const auto& e : loadErrors) ADD_FAILURE() << "plugin not loaded: " << e;
  return defs;
}

class Conformance : public ::testing::TestWithParam<RootCase> {};

TEST_P(Conformance, EveryRegisteredStandardParameterMatchesTheOfficialModel) {
  const RootCase& rc = GetParam();
  const fs::path bbf = env("CWMPD_BBF_DIR");
  for (const auto& f : rc.files) {
    if (bbf.empty() || !fs::exists(bbf / f)) {
      GTEST_SKIP() << "\n\n*** CONFORMANCE NOT CHECKED: official model " << f << " not found in '"
                   << bbf.string() << "' (CWMPD_BBF_DIR; CI has ../shared/bbf). ***\n";
    }
  }
  std::size_t files = 0;
  const auto defs = registeredDefinitions(rc.root, &files);
  const auto official = officialModel(rc, bbf);
  ASSERT_GT(official.size(), 500u) << "the official model of " << rc.root << " looks truncated";

  std::vector<std::string> mismatches;
  std::size_t checked = 0;
  for (const auto& d : defs) {
    if (isVendor(d.pattern)) continue;
    ++checked;
    auto it = official.find(d.pattern);
    if (it == official.end()) {
      mismatches.push_back(d.pattern + " (" + d.plugin + "): not in the official model");
      continue;
    }
    if (it->second.type != d.type)
      mismatches.push_back(d.pattern + " (" + d.plugin + "): type " + typeName(d.type) +
                           ", official " + typeName(it->second.type));
    if (writable(it->second.access) != writable(d.access))
      mismatches.push_back(d.pattern + " (" + d.plugin +
                           "): " + (writable(d.access) ? "writable" : "read-only") + ", official " +
                           (writable(it->second.access) ? "writable" : "read-only"));
  }
  EXPECT_GT(checked, 50u) << "too few standard parameters registered under " << rc.root;
  std::ostringstream report;
  for (const auto& m : mismatches) report << "\n  " << m;
  EXPECT_TRUE(mismatches.empty()) << mismatches.size() << " of " << checked
                                  << " registered parameters differ from the official model under "
                                  << rc.root << ":" << report.str();
  std::cout << "[ checked  ] " << checked << " standard parameters under " << rc.root << " ("
            << files << " plugins)\n";
}

// TR-106 vendor extensions: every X_ segment reads X_<VENDOR>_<Name>, VENDOR an OUI (six
// upper-case hex digits) or an organisation/domain-like name ("CT-COM", "CWMPD").
bool wellFormedVendorSegments(const std::string& pattern) {
  static const std::regex kVendor(
      "X_([0-9A-F]{6}|[A-Za-z0-9][A-Za-z0-9-]*)_[A-Za-z][A-Za-z0-9_-]*");
  std::size_t start = 0;
  while (start < pattern.size()) {
    auto dot = pattern.find('.', start);
    const std::string seg =
        pattern.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (seg.compare(0, 2, "X_") == 0 && !std::regex_match(seg, kVendor)) return false;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return true;
}

// Issue 16: the ONU under both roots. TR-181: every official Device.XPON. parameter is
// served (names and types are then checked by the test above); TR-098: the operator-style
// vendor objects are there, and every vendor name under either root is well formed.
TEST_P(Conformance, TheOnuIsServedAndVendorNamesAreWellFormed) {
  const RootCase& rc = GetParam();
  const auto defs = registeredDefinitions(rc.root);
  std::set<std::string> registered;
  for (const auto& d : defs) {
    registered.insert(d.pattern);
    EXPECT_TRUE(wellFormedVendorSegments(d.pattern)) << d.pattern << " (" << d.plugin << ")";
  }
  std::vector<std::string> expected;
  for (const char* p : {"UserName", "Password", "UserId", "Status", "Result", "Progress"})
    expected.push_back(rc.root + ".X_CT-COM_UserInfo." + p);
  if (rc.root == "Device") {
    const fs::path bbf = env("CWMPD_BBF_DIR");
    if (bbf.empty() || !fs::exists(bbf / rc.files.front()))
      GTEST_SKIP() << "official model " << rc.files.front() << " not found in '" << bbf.string()
                   << "'";
    std::size_t xpon = 0;
    for (const auto& [pattern, facts] : officialModel(rc, bbf)) {
      (void)facts;
      if (pattern.compare(0, 12, "Device.XPON.") != 0) continue;
      expected.push_back(pattern);
      ++xpon;
    }
    EXPECT_GT(xpon, 100u) << "Device.XPON. of the official model looks truncated";
  } else {
    const std::string g = "InternetGatewayDevice.WANDevice.{i}.X_CT-COM_GponInterfaceConfig.";
    for (const char* p : {"Status", "RXPower", "ONUState", "ONUID", "LOS", "LOF", "SF", "SD",
                          "Stats.TotalFECCodewords", "Stats.OMCIMessagesReceived"})
      expected.push_back(g + p);
  }
  std::vector<std::string> missing;
  for (const auto& e : expected)
    if (!registered.count(e)) missing.push_back(e);
  std::ostringstream report;
  for (const auto& m : missing) report << "\n  " << m;
  EXPECT_TRUE(missing.empty()) << missing.size() << " ONU parameters not served under " << rc.root
                               << ":" << report.str();
}

// Issue 21, TR-069 Annex K: every parameter of the official XMPP. object (TR-181 2.17,
// TR-098 1.8) and the three ManagementServer parameters of XMPP connection requests are
// served under both roots (names, types and writability: the test above).
TEST_P(Conformance, TheXmppConnectionRequestParametersAreServed) {
  const RootCase& rc = GetParam();
  const fs::path bbf = env("CWMPD_BBF_DIR");
  if (bbf.empty() || !fs::exists(bbf / rc.files.front()))
    GTEST_SKIP() << "official model " << rc.files.front() << " not found in '" << bbf.string()
                 << "'";
  std::set<std::string> registered;
  for (const auto& d : registeredDefinitions(rc.root)) registered.insert(d.pattern);
  std::vector<std::string> expected;
  for (const char* p : {"ConnReqXMPPConnection", "ConnReqAllowedJabberIDs", "ConnReqJabberID"})
    expected.push_back(rc.root + ".ManagementServer." + p);
  const std::string xmpp = rc.root + ".XMPP.";
  std::size_t official = 0;
  for (const auto& [pattern, facts] : officialModel(rc, bbf)) {
    (void)facts;
    if (pattern.compare(0, xmpp.size(), xmpp) != 0) continue;
    expected.push_back(pattern);
    ++official;
  }
  EXPECT_GE(official, 29u) << xmpp << " of the official model looks truncated";
  std::vector<std::string> missing;
  for (const auto& e : expected)
    if (!registered.count(e)) missing.push_back(e);
  std::ostringstream report;
  for (const auto& m : missing) report << "\n  " << m;
  EXPECT_TRUE(missing.empty()) << missing.size() << " XMPP parameters not served under " << rc.root
                               << ":" << report.str();
}

INSTANTIATE_TEST_SUITE_P(
    Roots, Conformance,
    ::testing::Values(
        RootCase{"Device", {"tr-181-2-17-0-cwmp-full.xml", "tr-104-2-0-2-cwmp-full.xml"}},
        RootCase{"InternetGatewayDevice", {"tr-098-1-8-0-full.xml", "tr-104-1-1-0-full.xml"}}),
    [](const ::testing::TestParamInfo<RootCase>& info) { return info.param.root; });

}  // namespace
