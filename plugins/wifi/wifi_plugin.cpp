// The wifi plugin: TR-181 Device.WiFi. or TR-098 WLANConfiguration over hal::WiFi.
//
// Every change is staged by the apply handlers and pushed to the HAL as ONE WiFi::apply()
// in the flush the core runs at the end of the ACS session (or right after a transaction
// made outside a session): one driver reload per session, not one per parameter.
//
// Associated devices are rows that follow the HAL. They are refreshed at start, after
// every flush, and every `[wifi] station_refresh_interval` seconds (default 30, 0 = off)
// by a periodic Host timer on the main loop (sdk::PeriodicTask): the core walks the rows
// while it calls getters, so a getter must never add or remove rows itself. The same
// refresh reports Status changes of radios and SSIDs (Host::valueChanged), so that active
// notification works for them.
#include <cwmpd/sdk/config_keys.hpp>
#include <cwmpd/sdk/model_xml.hpp>
#include <cwmpd/sdk/periodic.hpp>
#include <cwmpd/sdk/plugin.hpp>
#include <memory>

#include "wifi_model.hpp"

namespace {

using namespace cwmpd::plugins::wifi;

class WifiPlugin : public cwmpd::sdk::Plugin {
 public:
  void registerModel(cwmpd::sdk::Registrar& reg) override {
    state_ = std::make_unique<WifiState>(reg.host());
    reg.definitions(cwmpd_plugin_model_xml);
    model_ = reg.host().root() == "Device" ? makeTr181Model(*state_) : makeTr098Model(*state_);
    model_->registerModel(reg);
    state_->afterFlush = [this] { model_->refresh(); };
    reg.onFlush([this] { state_->flush(); });
  }

  void start(cwmpd::sdk::Host& host) override {
    model_->start();
    timer_.start(host, cwmpd::sdk::configSeconds(host, "wifi", "station_refresh_interval", 30),
                 [this] { model_->refresh(); });
  }

  void stop() override { timer_.stop(); }

 private:
  std::unique_ptr<WifiState> state_;
  std::unique_ptr<WifiModel> model_;
  cwmpd::sdk::PeriodicTask timer_;
};

}  // namespace

CWMPD_PLUGIN(WifiPlugin, "wifi", "1.0")

// The config keys this plugin reads (Host::config): any other key is a config error.
CWMPD_PLUGIN_CONFIG_KEYS({"wifi", "station_refresh_interval", cwmpd::sdk::ConfigType::Unsigned})
