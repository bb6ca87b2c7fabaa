// The store with the real daemon (issue 14): a damaged or lost model.db is set aside and
// the agent asks to be provisioned again with "0 BOOTSTRAP"; a second daemon on the same
// store refuses to start; a full disk faults the changes it cannot keep (9002) and never
// stops the agent, which catches up when space returns.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "it_support.hpp"

namespace cwmpd::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kInterval = "Device.ManagementServer.PeriodicInformInterval";

std::string setValue(const std::string& name, const std::string& value) {
  return "<cwmp:SetParameterValues><ParameterList "
         "soap-enc:arrayType=\"cwmp:ParameterValueStruct[1]\">"
         "<ParameterValueStruct><Name>" +
         name + "</Name><Value xsi:type=\"xsd:unsignedInt\">" + value +
         "</Value></ParameterValueStruct></ParameterList><ParameterKey>k</ParameterKey></"
         "cwmp:SetParameterValues>";
}

std::string getValue(const std::string& name) {
  return "<cwmp:GetParameterValues><ParameterNames soap-enc:arrayType=\"xsd:string[1]\"><string>" +
         name + "</string></ParameterNames></cwmp:GetParameterValues>";
}

bool hasCode(const std::string& inform, const std::string& code) {
  auto codes = eventCodes(inform);
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

std::vector<std::string> setAside(const std::string& storeDir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(storeDir))
    if (e.path().filename().string().rfind("model.db.bad-", 0) == 0)
      out.push_back(e.path().string());
  return out;
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class StoreIt : public DaemonIt {
 protected:
  void SetUp() override {
    DaemonIt::SetUp();
    // The configuration's value: what a box that lost its store starts from.
    daemon_->set("acs", "periodic_inform_interval", "600");
  }

  // Session 1 bootstraps and the ACS sets PeriodicInformInterval to 1234, stored in
  // model.db; the daemon is then stopped.
  void provision() {
    acs_->addRpc(setValue(kInterval, "1234"));
    daemon_->start();
    ASSERT_TRUE(waitSessions(1));
    ASSERT_EQ(acs_->results().at(0).get<std::string>("method"), "SetParameterValuesResponse");
    ASSERT_TRUE(hasCode(informs(*acs_).at(0), "0 BOOTSTRAP"));
    ASSERT_EQ(daemon_->stop(), 0);
  }

  // Restarts the daemon, asks for PeriodicInformInterval in session 2; the Inform and the value.
  std::pair<std::string, std::string> restartAndRead() {
    acs_->addRpc(getValue(kInterval));
    daemon_->start();
    if (!waitSessions(2)) return {};
    auto results = acs_->results();
    return {informs(*acs_).at(1),
            parameterValue(results.back().get<std::string>("body"), kInterval).value_or("")};
  }
};

enum class Damage { ZeroBytes, Truncated, Garbage };

class DamagedModelStore : public StoreIt, public ::testing::WithParamInterface<Damage> {};

TEST_P(DamagedModelStore, IsSetAsideWholeAndTheNextInformIsBootstrapWithTheConfiguredValues) {
  provision();
  const std::string db = daemon_->storeDir() + "/model.db";
  std::string content;
  {
    std::ifstream in(db, std::ios::binary);
    content.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_NE(content.find(kInterval), std::string::npos);
  switch (GetParam()) {
    case Damage::ZeroBytes: content.clear(); break;
    case Damage::Truncated: content.resize(content.size() - 10); break;
    case Damage::Garbage: content = "\x01\x02 this is not a store \xff\n"; break;
  }
  std::ofstream(db, std::ios::binary | std::ios::trunc) << content;

  auto [inform, interval] = restartAndRead();
  ASSERT_FALSE(inform.empty()) << "no second session";
  EXPECT_TRUE(hasCode(inform, "0 BOOTSTRAP")) << inform;
  EXPECT_EQ(interval, "600")
      << "the configuration's value, not the lost store's nor the type minimum";
  auto aside = setAside(daemon_->storeDir());
  ASSERT_EQ(aside.size(), 1u);
  EXPECT_EQ(fs::file_size(aside[0]), content.size()) << "set aside whole";
  EXPECT_EQ(count(daemon_->log(), "set aside as"), 1u);
  // Provisioned again, it does not bootstrap a second time.
  ASSERT_EQ(daemon_->stop(), 0);
  daemon_->start();
  ASSERT_TRUE(waitSessions(3));
  EXPECT_FALSE(hasCode(informs(*acs_).at(2), "0 BOOTSTRAP")) << informs(*acs_).at(2);
}

INSTANTIATE_TEST_SUITE_P(Store, DamagedModelStore,
                         ::testing::Values(Damage::ZeroBytes, Damage::Truncated, Damage::Garbage),
                         [](const ::testing::TestParamInfo<Damage>& i) {
                           switch (i.param) {
                             case Damage::ZeroBytes: return "ZeroBytes";
                             case Damage::Truncated: return "Truncated";
                             default: return "Garbage";
                           }
                         });

TEST_F(StoreIt, AStoredValueThatNoLongerValidatesFallsBackToTheConfiguredValue) {
  provision();
  const std::string db = daemon_->storeDir() + "/model.db";
  std::string content;
  {
    std::ifstream in(db, std::ios::binary);
    content.assign(std::istreambuf_iterator<char>(in), {});
  }
  // Same length, so the file stays well-formed: only the value is bad.
  auto at = content.find(std::string(kInterval) + "\t1234\n");
  ASSERT_NE(at, std::string::npos);
  content.replace(at + std::strlen(kInterval) + 1, 4, "oops");
  std::ofstream(db, std::ios::binary | std::ios::trunc) << content;

  auto [inform, interval] = restartAndRead();
  ASSERT_FALSE(inform.empty()) << "no second session";
  EXPECT_EQ(interval, "600") << "not the type minimum (1)";
  EXPECT_TRUE(setAside(daemon_->storeDir()).empty())
      << "one bad value does not cost the whole store";
}

TEST_F(StoreIt, ASecondDaemonOnTheSameStoreRefusesToStart) {
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  const std::string otherDir = dir_ + "/second";
  fs::create_directories(otherDir);
  DaemonProcess second(otherDir);
  second.set("acs", "url", acs_->url());
  second.set("store", "dir", daemon_->storeDir());
  second.start();
  auto code = second.waitExit(10s);
  ASSERT_TRUE(code.has_value()) << "the second daemon kept running:\n" << second.log();
  EXPECT_NE(*code, 0);
  EXPECT_NE(second.log().find("another cwmpd is running on this store"), std::string::npos)
      << second.log();
  EXPECT_TRUE(daemon_->running());
  EXPECT_EQ(acs_->sessions().size(), 1u) << "the second daemon must not have contacted the ACS";
}

// The store directory on a tmpfs of its own, filled up by the test.
class FullDisk : public StoreIt {
 protected:
  void SetUp() override {
    StoreIt::SetUp();
    if (::mount("tmpfs", daemon_->storeDir().c_str(), "tmpfs", 0, "size=1m,mode=0700") != 0)
      GTEST_SKIP() << "cannot mount a tmpfs (" << std::strerror(errno) << "); needs root";
    mounted_ = true;
    bus_ = std::make_unique<PrivateDbus>(dir_);
    daemon_->set("bus", "address", bus_->address());
    daemon_->set("cpe", "connection_request_min_interval", "0");
  }
  void TearDown() override {
    if (daemon_) daemon_->stop(5s);
    if (mounted_) ::umount2(daemon_->storeDir().c_str(), MNT_DETACH);
    DaemonIt::TearDown();
    bus_.reset();
  }
  // Fills the file system until a write fails.
  void fill() {
    std::ofstream out(daemon_->storeDir() + "/filler", std::ios::binary);
    std::string block(4096, 'x');
    while (out.write(block.data(), static_cast<std::streamsize>(block.size())) && out.flush()) {
    }
  }
  void makeRoom() { fs::remove(daemon_->storeDir() + "/filler"); }
  std::pair<int, std::string> ctl(const std::vector<std::string>& args) {
    return runCwmpctl(bus_->address(), args);
  }
  ::testing::AssertionResult waitForBus() {
    for (int i = 0; i < 200; ++i) {
      if (ctl({"get", kInterval}).first == 0) return ::testing::AssertionSuccess();
      std::this_thread::sleep_for(50ms);
    }
    return ::testing::AssertionFailure() << "cwmpd never answered on the bus";
  }
  bool mounted_ = false;
  std::unique_ptr<PrivateDbus> bus_;
};

TEST_F(FullDisk,
       SessionsConnectionRequestsAndReadsGoOnSetsFault9002AndSpaceReturningPersistsTheRightState) {
  daemon_->start();
  ASSERT_TRUE(waitSessions(1));
  ASSERT_TRUE(waitForBus());
  ASSERT_EQ(ctl({"set", std::string(kInterval) + "=700"}).first, 0);
  // A clean stop folds each store's journal into its snapshot. Full from the start
  // below, every commit then needs space of its own (a journal's last block has room for
  // a few more small records, which a full disk still takes, durably).
  ASSERT_EQ(daemon_->stop(), 0);
  fill();
  daemon_->start();
  ASSERT_TRUE(waitSessions(2)) << "the daemon did not start on a full disk";
  ASSERT_TRUE(waitForBus());

  // A connection request: the event cannot be written, the session happens anyway.
  acs_->addRpc(setValue(kInterval, "800"));
  acs_->connectionRequest(daemon_->connectionRequestUrl(), "cr-user", "cr-secret");
  ASSERT_TRUE(waitSessions(3)) << "the daemon did not survive the connection request";
  EXPECT_TRUE(hasCode(informs(*acs_).at(2), "6 CONNECTION REQUEST"));
  auto results = acs_->results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].get<std::string>("method"), "Fault");
  EXPECT_EQ(results[0].get<int>("fault_code", 0), 9002) << results[0].get<std::string>("body");

  // D-Bus: reads work, a set faults and changes nothing.
  auto set = ctl({"set", std::string(kInterval) + "=900"});
  EXPECT_NE(set.first, 0) << set.second;
  EXPECT_NE(set.second.find("9002"), std::string::npos) << set.second;
  auto get = ctl({"get", kInterval});
  ASSERT_EQ(get.first, 0) << get.second;
  EXPECT_NE(get.second.find("700"), std::string::npos) << get.second;

  // A second connection request while still full.
  acs_->connectionRequest(daemon_->connectionRequestUrl(), "cr-user", "cr-secret");
  ASSERT_TRUE(waitSessions(4));
  EXPECT_TRUE(daemon_->running());
  const std::string log = daemon_->log();
  // Once per store file (model.db and session.db), not once per attempt.
  EXPECT_EQ(count(log, "serving from memory"), 2u) << log;

  // Space returns: the next change is written, with the right state around it.
  makeRoom();
  const std::string enable = "Device.ManagementServer.PeriodicInformEnable";
  const bool on = ctl({"get", enable}).second.find("true") != std::string::npos;
  ASSERT_EQ(ctl({"set", enable + (on ? "=false" : "=true")}).first, 0);  // an unrelated change
  ASSERT_EQ(daemon_->stop(), 0);
  acs_->addRpc(getValue(kInterval));
  daemon_->start();
  ASSERT_TRUE(waitSessions(5));
  results = acs_->results();
  EXPECT_EQ(parameterValue(results.back().get<std::string>("body"), kInterval), "700")
      << "neither the 9002 values nor the configuration's";
  EXPECT_FALSE(hasCode(informs(*acs_).at(4), "0 BOOTSTRAP"));
}

}  // namespace
}  // namespace cwmpd::test
