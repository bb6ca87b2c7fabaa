// The ONU end to end (issue 16): the real cwmpd with the pon plugin on the sim HAL, a
// private dbus-daemon, the loopback test ACS. The test plays the OLT by editing
// <sim_dir>/pon/onu.ini; what it checks is what an operator sees: ValueChanged signals on
// D-Bus, the Informs (with "X CT-COM BIND" and "4 VALUE CHANGE"), the LOID registration
// status. Every message the daemon sends is checked against the CWMP schemas (TearDown).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "cwmpd/bus/proxies.hpp"
#include "it_support.hpp"
#include "wait.hpp"

namespace cwmpd::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kOnuState = "Device.XPON.ONU.1.ANI.1.TC.ONUActivation.ONUState";
constexpr const char* kLos = "Device.XPON.ONU.1.ANI.1.TC.Alarms.LOS";
constexpr const char* kUserInfo = "Device.X_CT-COM_UserInfo.";
constexpr const char* kBind = "X CT-COM BIND";
constexpr const char* kValueChange = "4 VALUE CHANGE";

// SetParameterAttributes: active notification (2) for every name.
std::string activeNotification(const std::vector<std::string>& names) {
  std::string body =
      "<cwmp:SetParameterAttributes><ParameterList soap-enc:arrayType=\"cwmp:"
      "SetParameterAttributesStruct[" +
      std::to_string(names.size()) + "]\">";
  for (const auto& n : names)
    body += "<SetParameterAttributesStruct><Name>" + n +
            "</Name><NotificationChange>true</NotificationChange><Notification>2</Notification>"
            "<AccessListChange>false</AccessListChange><AccessList soap-enc:arrayType=\"xsd:"
            "string[0]\"></AccessList></SetParameterAttributesStruct>";
  return body + "</ParameterList></cwmp:SetParameterAttributes>";
}

// SetParameterValues of string values (the agent converts to the parameter's type).
std::string setValues(const std::vector<std::pair<std::string, std::string>>& values) {
  std::string body =
      "<cwmp:SetParameterValues><ParameterList soap-enc:arrayType=\"cwmp:"
      "ParameterValueStruct[" +
      std::to_string(values.size()) + "]\">";
  for (const auto& [name, value] : values)
    body += "<ParameterValueStruct><Name>" + name + "</Name><Value xsi:type=\"xsd:string\">" +
            value + "</Value></ParameterValueStruct>";
  return body + "</ParameterList><ParameterKey>pon</ParameterKey></cwmp:SetParameterValues>";
}

bool carries(const std::string& inform, const std::string& code) {
  const auto codes = eventCodes(inform);
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

class PonIt : public DaemonIt {
 protected:
  void SetUp() override {
    DaemonIt::SetUp();
    bus_ = std::make_unique<PrivateDbus>(dir_);
    daemon_->set("bus", "address", bus_->address());
    daemon_->set("plugins", "enable", "deviceinfo, management, wan, pon");
    daemon_->set("pon", "poll_interval", "0.05");
    sim_ = daemon_->simDir();
  }
  void TearDown() override {
    model_.reset();
    connection_.reset();
    DaemonIt::TearDown();
    bus_.reset();
  }

  // Rewrites keys of the sim's ONU file atomically (the daemon reads it at any time).
  void setOnu(const std::map<std::string, std::string>& kv) {
    const fs::path file = fs::path(sim_) / "pon" / "onu.ini";
    std::ifstream in(file);
    std::ostringstream out;
    std::map<std::string, std::string> left = kv;
    for (std::string line; std::getline(in, line);) {
      const auto eq = line.find(" = ");
      const std::string key = eq == std::string::npos ? "" : line.substr(0, eq);
      if (left.count(key)) {
        out << key << " = " << left[key] << "\n";
        left.erase(key);
      } else {
        out << line << "\n";
      }
    }
    for (const auto& [k, v] : left) out << k << " = " << v << "\n";
    std::ofstream(file.string() + ".tmp") << out.str();
    fs::rename(file.string() + ".tmp", file);
  }

  // Subscribes to ValueChanged once the daemon is on the bus; records every change.
  ::testing::AssertionResult subscribe() {
    connection_ = sdbus::createSessionBusConnectionWithAddress(bus_->address());
    const bool up = cwmpd::testing::eventually(
        [&] {
          return runCwmpctl(bus_->address(), {"get", kOnuState}).first == 0;
        },
        20s);
    if (!up) return ::testing::AssertionFailure() << "cwmpd never answered on the bus";
    model_ = std::make_unique<bus::DataModelProxy>(*connection_, [this](const auto& changes) {
      for (const auto& c : changes) seen_.emplace_back(std::get<0>(c), std::get<2>(c));
    });
    return ::testing::AssertionSuccess();
  }
  std::vector<std::string> seenValues(const std::string& name) const {
    std::vector<std::string> out;
    for (const auto& [n, v] : seen_)
      if (n == name) out.push_back(v);
    return out;
  }
  bool waitSeen(const std::string& name, const std::string& value,
                std::chrono::milliseconds t = 20s) {
    return cwmpd::testing::pumpUntil(
        *connection_,
        [&] {
          const auto v = seenValues(name);
          return std::find(v.begin(), v.end(), value) != v.end();
        },
        t);
  }
  std::vector<std::string> informsWith(const std::string& code) {
    std::vector<std::string> out;
    for (const auto& i : informs(*acs_))
      if (carries(i, code)) out.push_back(i);
    return out;
  }
  bool waitInformsWith(const std::string& code, std::size_t count, std::chrono::seconds t = 30s) {
    return cwmpd::testing::eventually([&] { return informsWith(code).size() >= count; }, t);
  }

  std::unique_ptr<PrivateDbus> bus_;
  std::unique_ptr<sdbus::IConnection> connection_;
  std::unique_ptr<bus::DataModelProxy> model_;
  std::vector<std::pair<std::string, std::string>> seen_;  // (name, value) from ValueChanged
  std::string sim_;
};

// Done-when 1: O1 -> O5 with a LOID set by the ACS in between; ONUState on D-Bus; one
// Inform with BIND and VALUE CHANGE; UserInfo status/result; no BIND after a reboot; a new
// one after a LOID change.
TEST_F(PonIt, ScriptedRegistrationBindsOnceAndAgainOnlyAfterALoidChange) {
  setOnu({{"state", "O1"}, {"onu_id", ""}, {"loid_auth", "none"}});
  acs_->addRpc(activeNotification({kOnuState, kLos}));
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  ASSERT_TRUE(subscribe());

  for (const char* s : {"O2", "O3"}) {
    setOnu({{"state", s}});
    ASSERT_TRUE(waitSeen(kOnuState, s)) << s;
  }
  // The ACS sets the LOID in the session the O3 change opened (or the next one).
  ASSERT_TRUE(cwmpd::testing::eventually([&] { return acs_->sessions().size() >= 2; }, 20s));
  acs_->addRpc(setValues({{std::string(kUserInfo) + "UserName", "LOID-IT-0001"},
                          {std::string(kUserInfo) + "Password", "loid-secret"}}));
  setOnu({{"state", "O4"}, {"onu_id", "7"}});
  ASSERT_TRUE(waitSeen(kOnuState, "O4"));
  ASSERT_TRUE(cwmpd::testing::eventually(
      [&] {
        for (const auto& r : acs_->results())
          if (r.get<std::string>("method") == "SetParameterValuesResponse") return true;
        return false;
      },
      30s));
  // The HAL got the LOID and restarted the authentication.
  {
    std::ifstream in(fs::path(sim_) / "pon" / "credentials.ini");
    std::stringstream creds;
    creds << in.rdbuf();
    EXPECT_NE(creds.str().find("loid = LOID-IT-0001\n"), std::string::npos) << creds.str();
  }
  ASSERT_TRUE(waitSeen(std::string(kUserInfo) + "Status", "1"));

  setOnu({{"state", "O5"}, {"loid_auth", "success"}});
  ASSERT_TRUE(waitSeen(kOnuState, "O5"));
  ASSERT_TRUE(waitInformsWith(kBind, 1));
  EXPECT_EQ(seenValues(kOnuState), (std::vector<std::string>{"O2", "O3", "O4", "O5"}));
  EXPECT_TRUE(waitSeen(std::string(kUserInfo) + "Result", "1"));
  EXPECT_TRUE(waitSeen(std::string(kUserInfo) + "Status", "0"));
  const std::string bindInform = informsWith(kBind).front();
  EXPECT_TRUE(carries(bindInform, kValueChange)) << bindInform;
  EXPECT_EQ(parameterValue(bindInform, std::string(kUserInfo) + "Status"), "0");
  EXPECT_EQ(parameterValue(bindInform, std::string(kUserInfo) + "Result"), "1");

  // An ordinary reboot (daemon restart), the ONU registered all along: no BIND. A LOS
  // after the boot session marks a later poll; BIND would have come before it. The BIND's
  // session ends first: a stop in the middle of it is not what this step is about.
  ASSERT_TRUE(waitSessions(static_cast<int>(acs_->sessions().size())));
  daemon_->stop();
  const std::size_t before = acs_->sessions().size();
  daemon_->start();
  ASSERT_TRUE(waitSessions(static_cast<int>(before) + 1));
  setOnu({{"alarms", "los"}});
  ASSERT_TRUE(cwmpd::testing::eventually(
      [&] {
        for (const auto& i : informs(*acs_))
          if (parameterValue(i, kLos) == std::optional<std::string>("true")) return true;
        return false;
      },
      30s));
  EXPECT_EQ(informsWith(kBind).size(), 1u);

  // A new LOID: the ONU authenticates anew; its success is a second BIND.
  acs_->addRpc(setValues({{std::string(kUserInfo) + "UserName", "LOID-IT-0002"}}));
  setOnu({{"alarms", ""}});
  ASSERT_TRUE(cwmpd::testing::eventually(
      [&] {
        std::ifstream in(fs::path(sim_) / "pon" / "credentials.ini");
        std::stringstream creds;
        creds << in.rdbuf();
        return creds.str().find("loid = LOID-IT-0002\n") != std::string::npos;
      },
      30s));
  // The sim restarted the authentication (it rewrites onu.ini): only then does the OLT answer.
  ASSERT_TRUE(cwmpd::testing::eventually(
      [&] {
        std::ifstream in(fs::path(sim_) / "pon" / "onu.ini");
        std::stringstream onu;
        onu << in.rdbuf();
        return onu.str().find("loid_auth = in_progress\n") != std::string::npos;
      },
      30s));
  setOnu({{"loid_auth", "success"}});
  ASSERT_TRUE(waitInformsWith(kBind, 2));
  EXPECT_EQ(informsWith(kBind).size(), 2u);
}

// Issue 16: "raised once ... on first registration after a factory reset". The ACS
// provisions the same LOID again after the reset (0 BOOTSTRAP): the ONU's registration with
// it is a BIND again, exactly one, because the reset wiped the plugin's BIND bookkeeping
// with the store.
TEST_F(PonIt, AFactoryResetMakesTheSameLoidBindAgain) {
  const std::string loid = std::string(kUserInfo) + "UserName";
  const std::string password = std::string(kUserInfo) + "Password";
  auto spvAnswers = [&] {
    std::size_t n = 0;
    for (const auto& r : acs_->results())
      if (r.get<std::string>("method") == "SetParameterValuesResponse") ++n;
    return n;
  };
  auto halHasLoidAuthInProgress = [&] {
    std::ifstream in(fs::path(sim_) / "pon" / "onu.ini");
    std::stringstream onu;
    onu << in.rdbuf();
    return onu.str().find("loid_auth = in_progress\n") != std::string::npos;
  };
  setOnu({{"state", "O1"}, {"onu_id", ""}, {"loid_auth", "none"}});
  daemon_->set("cpe", "connection_request_min_interval", "0");
  acs_->addRpc(setValues({{loid, "LOID-IT-0001"}, {password, "loid-secret"}}));
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  ASSERT_EQ(spvAnswers(), 1u);
  ASSERT_TRUE(cwmpd::testing::eventually(halHasLoidAuthInProgress, 20s));
  setOnu({{"state", "O5"}, {"onu_id", "7"}, {"loid_auth", "success"}});
  ASSERT_TRUE(waitInformsWith(kBind, 1));

  // The OLT loses the ONU, and the ACS resets the box to its factory state.
  setOnu({{"state", "O1"}, {"onu_id", ""}, {"loid_auth", "none"}});
  acs_->addRpc("<cwmp:FactoryReset></cwmp:FactoryReset>");
  (void)acs_->connectionRequest(daemon_->connectionRequestUrl(), "cr-user", "cr-secret");
  // The reset (in the BIND's session or the next), then the (simulated) reboot: the first
  // Inform after it carries 0 BOOTSTRAP, as the very first one did.
  ASSERT_TRUE(waitInformsWith("0 BOOTSTRAP", 2));
  EXPECT_EQ(informsWith(kBind).size(), 1u);

  // The ACS provisions the same LOID again; the ONU registers with it: one new BIND.
  acs_->addRpc(setValues({{loid, "LOID-IT-0001"}, {password, "loid-secret"}}));
  (void)acs_->connectionRequest(daemon_->connectionRequestUrl(), "cr-user", "cr-secret");
  ASSERT_TRUE(cwmpd::testing::eventually([&] { return spvAnswers() == 2; }, 30s));
  ASSERT_TRUE(cwmpd::testing::eventually(halHasLoidAuthInProgress, 20s));
  setOnu({{"state", "O5"}, {"onu_id", "7"}, {"loid_auth", "success"}});
  ASSERT_TRUE(waitInformsWith(kBind, 2));
  EXPECT_EQ(informsWith(kBind).size(), 2u);
}

// Done-when 2: LOS flapping at 10 Hz gives value changes, but the Informs they cause stay
// within the notification throttle (TR-069 DefaultActiveNotificationThrottle).
TEST_F(PonIt, FlappingLosGivesABoundedNumberOfInforms) {
  acs_->addRpc(activeNotification({kLos}));
  acs_->addRpc(setValues({{"Device.ManagementServer.DefaultActiveNotificationThrottle", "2"}}));
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  ASSERT_TRUE(subscribe());
  const auto start = std::chrono::steady_clock::now();
  bool raised = false;
  // The input, not an assertion: 30 crossings at 10 Hz (3 s).
  for (int i = 0; i < 30; ++i) {
    raised = !raised;
    setOnu({{"alarms", raised ? "los" : ""}});
    std::this_thread::sleep_for(100ms);
    while (connection_->processPendingRequest()) {
    }
  }
  setOnu({{"alarms", ""}});
  // The last Inform tells the final state (LOS cleared).
  ASSERT_TRUE(cwmpd::testing::eventually(
      [&] {
        const auto all = informsWith(kValueChange);
        return !all.empty() &&
               parameterValue(all.back(), kLos) == std::optional<std::string>("false");
      },
      30s));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto valueChangeInforms = informsWith(kValueChange).size();
  // Many crossings were seen, each one value change...
  ASSERT_TRUE(cwmpd::testing::pumpUntil(
      *connection_, [&] { return seenValues(kLos).size() >= 5; }, 5s));
  // ...but at most one Inform per throttle period (2 s), plus the first.
  EXPECT_GE(valueChangeInforms, 1u);
  EXPECT_LE(valueChangeInforms, static_cast<std::size_t>(seconds / 2.0) + 2) << seconds << " s";
  EXPECT_LT(valueChangeInforms, seenValues(kLos).size());
}

}  // namespace
}  // namespace cwmpd::test
