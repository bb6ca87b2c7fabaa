#include "linux/linux_hal.hpp"

#include <unistd.h>

#include <algorithm>
#include <iterator>

#include "common/files.hpp"
#include "common/net_diagnostics.hpp"
#include "common/voice_dir.hpp"
#include "common/wifi_dir.hpp"
#include "cwmpd/hal/error.hpp"

namespace cwmpd::hal::linux_backend {
namespace {

using namespace detail;
namespace fs = std::filesystem;

// Where a batch is written for the apply command: the configured file, or a private
// file in the temp directory. Mode 0600: it holds passphrases and SIP passwords.
fs::path writeBatch(const std::string& configured, const char* stem, const std::string& text) {
  fs::path path = !configured.empty()
                      ? fs::path(configured)
                      : fs::temp_directory_path() /
                            (std::string(stem) + "-" + std::to_string(::getpid()) + ".conf");
  writeFileAtomic(path, text, 0600);
  return path;
}

// Wi-Fi has no standard kernel interface worth using here (nl80211 and hostapd differ per
// platform): status comes from a directory the platform exports in the sim layout, and
// changes go to the configured wifi_apply command.
class LinuxWifi final : public WiFi {
 public:
  explicit LinuxWifi(const HalConfig& c) : config_(c), dir_(c.wifiStatusDir) {}
  std::vector<RadioInfo> radios() override {
    return enabled() ? dir_.radios() : decltype(radios()){};
  }
  std::vector<SsidInfo> ssids() override { return enabled() ? dir_.ssids() : decltype(ssids()){}; }
  std::vector<AccessPointInfo> accessPoints() override {
    return enabled() ? dir_.accessPoints() : decltype(accessPoints()){};
  }
  RadioInfo radio(std::string_view name) override { return require().radio(name); }
  SsidInfo ssid(std::string_view name) override { return require().ssid(name); }
  AccessPointInfo accessPoint(std::string_view name) override {
    return require().accessPoint(name);
  }
  void apply(const WifiConfig& c) override {
    if (!hasCommand(config_, "wifi_apply"))
      throw HalError("wifi: no 'wifi_apply' command configured");
    if (enabled()) dir_.validate(c);
    const fs::path file =
        writeBatch(config_.wifiConfigFile, "cwmpd-wifi", renderWifiConfig(c, true));
    runConfigured(config_, "wifi_apply", {file.string()}, {{"CWMPD_CONFIG_FILE", file.string()}});
  }

 private:
  [[nodiscard]] bool enabled() const { return !config_.wifiStatusDir.empty(); }
  const WifiDir& require() const {
    if (!enabled()) throw HalError("wifi: no status directory configured");
    return dir_;
  }
  const HalConfig& config_;
  WifiDir dir_;
};

class LinuxVoice final : public Voice {
 public:
  explicit LinuxVoice(const HalConfig& c) : config_(c), dir_(c.voiceStatusDir) {}
  std::vector<VoiceLine> lines() override { return enabled() ? dir_.lines() : decltype(lines()){}; }
  VoiceLine line(std::string_view name) override {
    if (!enabled()) throw HalError("voice: no status directory configured");
    return dir_.line(name);
  }
  std::vector<FxsPort> fxsPorts() override {
    return enabled() ? dir_.fxsPorts() : decltype(fxsPorts()){};
  }
  std::vector<std::string> supportedCodecs() override {
    return enabled() ? dir_.supportedCodecs() : std::vector<std::string>{};
  }
  void apply(const VoiceConfig& c) override {
    if (!hasCommand(config_, "voice_apply"))
      throw HalError("voice: no 'voice_apply' command configured");
    if (enabled()) dir_.validate(c);
    const fs::path file =
        writeBatch(config_.voiceConfigFile, "cwmpd-voice", renderVoiceConfig(c, true));
    runConfigured(config_, "voice_apply", {file.string()}, {{"CWMPD_CONFIG_FILE", file.string()}});
  }

 private:
  [[nodiscard]] bool enabled() const { return !config_.voiceStatusDir.empty(); }
  const HalConfig& config_;
  VoiceDir dir_;
};

// Owns the configuration every part refers to.
class LinuxHal final : public Hal {
 public:
  explicit LinuxHal(HalConfig config)
      : config_(std::move(config)),
        network_(config_),
        optics_(config_),
        wifi_(config_),
        voice_(config_),
        system_(config_),
        pon_(config_) {}
  const char* backend() const noexcept override { return "linux"; }
  NetworkDevices& network() override { return network_; }
  OpticalTransceivers& optics() override { return optics_; }
  WiFi& wifi() override { return wifi_; }
  Voice& voice() override { return voice_; }
  System& system() override { return system_; }
  Pon& pon() override { return pon_; }
  Diagnostics& diagnostics() override { return diagnostics_; }

 private:
  const HalConfig config_;
  LinuxNetwork network_;
  LinuxOptics optics_;
  LinuxWifi wifi_;
  LinuxVoice voice_;
  LinuxSystem system_;
  LinuxPon pon_;
  common::SocketDiagnostics diagnostics_{
      [this](std::string_view name) { return network_.counters(name); }};
};

}  // namespace

std::unique_ptr<Hal> makeLinuxHal(const HalConfig& config) {
  for (const auto& [key, line] : config.commands) {
    (void)line;
    static const char* const kKnown[] = {"reboot",     "factory_reset", "firmware_apply",
                                         "wifi_apply", "voice_apply",   "pon_status",
                                         "pon_auth"};
    if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown)) {
      throw HalError("hal: unknown command key '" + key + "'");
    }
  }
  return std::make_unique<LinuxHal>(config);
}

}  // namespace cwmpd::hal::linux_backend
