#include "sim/sim_hal.hpp"

#include <algorithm>

#include "common/kv_objects.hpp"
#include "common/net_diagnostics.hpp"
#include "common/voice_dir.hpp"
#include "common/wifi_dir.hpp"
#include "cwmpd/hal/error.hpp"

namespace cwmpd::hal::sim {
namespace {

using namespace detail;
namespace fs = std::filesystem;

// One line for the apply log: the batch with secrets masked, sections joined by "; ".
std::string oneLine(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

class SimWifi final : public WiFi {
 public:
  explicit SimWifi(const fs::path& dir) : wifi_(dir / "wifi"), run_(dir / "run") {}
  std::vector<RadioInfo> radios() override { return wifi_.radios(); }
  std::vector<SsidInfo> ssids() override { return wifi_.ssids(); }
  std::vector<AccessPointInfo> accessPoints() override { return wifi_.accessPoints(); }
  RadioInfo radio(std::string_view name) override { return wifi_.radio(name); }
  SsidInfo ssid(std::string_view name) override { return wifi_.ssid(name); }
  AccessPointInfo accessPoint(std::string_view name) override { return wifi_.accessPoint(name); }
  void apply(const WifiConfig& config) override {
    wifi_.validate(config);
    wifi_.write(config);
    recordApply(run_ / "wifi_applied", oneLine(renderWifiConfig(config, false)));
  }

 private:
  WifiDir wifi_;
  fs::path run_;
};

class SimVoice final : public Voice {
 public:
  explicit SimVoice(const fs::path& dir) : voice_(dir / "voice"), run_(dir / "run") {}
  std::vector<VoiceLine> lines() override { return voice_.lines(); }
  VoiceLine line(std::string_view name) override { return voice_.line(name); }
  std::vector<FxsPort> fxsPorts() override { return voice_.fxsPorts(); }
  std::vector<std::string> supportedCodecs() override { return voice_.supportedCodecs(); }
  void apply(const VoiceConfig& config) override {
    voice_.validate(config);
    voice_.write(config);
    recordApply(run_ / "voice_applied", oneLine(renderVoiceConfig(config, false)));
  }

 private:
  VoiceDir voice_;
  fs::path run_;
};

class SimHal final : public Hal {
 public:
  SimHal(const fs::path& dir, SystemHooks hooks)
      : network_(dir),
        optics_(dir / "optics"),
        wifi_(dir),
        voice_(dir),
        system_(dir, std::move(hooks)),
        pon_(dir) {}
  const char* backend() const noexcept override { return "sim"; }
  NetworkDevices& network() override { return network_; }
  OpticalTransceivers& optics() override { return optics_; }
  WiFi& wifi() override { return wifi_; }
  Voice& voice() override { return voice_; }
  System& system() override { return system_; }
  Pon& pon() override { return pon_; }
  Diagnostics& diagnostics() override { return diagnostics_; }

 private:
  SimNetwork network_;
  SimOptics optics_;
  SimWifi wifi_;
  SimVoice voice_;
  SimSystem system_;
  SimPon pon_;
  // The tests run on the machine's sockets; the counters are the simulated interfaces'.
  common::SocketDiagnostics diagnostics_{
      [this](std::string_view name) { return network_.counters(name); }};
};

}  // namespace

std::unique_ptr<Hal> makeSimHal(const HalConfig& config) {
  std::error_code ec;
  if (config.simDir.empty() || !fs::is_directory(config.simDir, ec)) {
    throw HalError("hal: sim_dir '" + config.simDir + "' is not a directory");
  }
  return std::make_unique<SimHal>(fs::path(config.simDir), config.hooks);
}

}  // namespace cwmpd::hal::sim
