// The bash completion of cwmpctl (config/completion/cwmpctl.bash, issue 19 item 7), driven
// the way bash drives it (COMP_WORDS, COMP_CWORD, the function, COMPREPLY) in a real bash,
// against the real daemon on a private bus: commands and options from the script,
// parameter and object paths from the running agent.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "bus_daemon_it.hpp"

namespace cwmpd::test {
namespace {

using ::testing::Contains;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

class Completion : public BusDaemonIt {
 protected:
  void SetUp() override {
    BusDaemonIt::SetUp();
    ASSERT_TRUE(startAndRead("Device.DeviceInfo.Manufacturer")) << "the daemon is not on the bus";
  }

  // COMPREPLY for the command line `words` (the last one is being completed), with
  // --address of the test bus inserted after the program name when `withAddress`.
  std::vector<std::string> complete(std::vector<std::string> words, bool withAddress = true) {
    if (withAddress) words.insert(words.begin(), {"--address", bus_->address()});
    words.insert(words.begin(), CWMPD_TEST_CWMPCTL_BINARY);
    const std::string script = dir_ + "/complete.sh";
    {
      std::ofstream out(script);
      out << "source '" << CWMPD_COMPLETION_SCRIPT << "'\nCOMP_WORDS=(";
      for (const auto& w : words) out << " '" << w << "'";
      out << " )\nCOMP_CWORD=" << words.size() - 1
          << "\n_cwmpctl\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n";
    }
    FILE* p = ::popen(("bash --norc --noprofile " + script + " 2>&1").c_str(), "r");
    std::vector<std::string> lines;
    if (p == nullptr) return lines;
    char buffer[4096];
    while (std::fgets(buffer, sizeof buffer, p) != nullptr) {
      std::string line(buffer);
      if (!line.empty() && line.back() == '\n') line.pop_back();
      if (!line.empty()) lines.push_back(line);
    }
    ::pclose(p);
    return lines;
  }
};

TEST_F(Completion, CommandsAndOptions) {
  EXPECT_THAT(complete({"s"}), ElementsAre("set", "setattr", "schedule-inform", "status"));
  EXPECT_THAT(complete({"--j"}, false), ElementsAre("--json"));
  EXPECT_THAT(complete({"names", "Device.", "--n"}), ElementsAre("--next-level"));
}

TEST_F(Completion, PathsComeFromTheRunningAgent) {
  EXPECT_THAT(complete({"get", ""}), ElementsAre("Device."));
  EXPECT_THAT(complete({"get", "Device.DeviceI"}), ElementsAre("Device.DeviceInfo."));
  const auto info = complete({"get", "Device.DeviceInfo."});
  EXPECT_THAT(info, Contains("Device.DeviceInfo.Manufacturer"));
  EXPECT_THAT(info, Contains("Device.DeviceInfo.SoftwareVersion"));
  EXPECT_THAT(info, Each(StartsWith("Device.DeviceInfo.")));
  EXPECT_THAT(complete({"get", "Device.DeviceInfo.Manuf"}),
              ElementsAre("Device.DeviceInfo.Manufacturer", "Device.DeviceInfo.ManufacturerOUI"));
  EXPECT_THAT(complete({"get", "Device.DeviceInfo.ManufacturerO"}),
              ElementsAre("Device.DeviceInfo.ManufacturerOUI"));
}

TEST_F(Completion, SetOffersParameterEqualsAndAddOffersObjectsOnly) {
  EXPECT_THAT(complete({"set", "Device.ManagementServer.PeriodicInformInt"}),
              ElementsAre("Device.ManagementServer.PeriodicInformInterval="));
  const auto objects = complete({"add", "Device."});
  EXPECT_THAT(objects, Not(IsEmpty()));
  EXPECT_THAT(objects, Each(::testing::EndsWith(".")));
  // A value is the user's to type.
  EXPECT_THAT(complete({"set", "Device.ManagementServer.PeriodicInformInterval", "=", ""}),
              IsEmpty());
}

TEST_F(Completion, NoAgentNoPathsAndNoErrors) {
  daemon_->stop();
  EXPECT_THAT(complete({"get", "Device."}), IsEmpty());
}

}  // namespace
}  // namespace cwmpd::test
