// The wifi plugin: TR-181 Device.WiFi. or TR-098 WLANConfiguration over hal::WiFi.
//
// Every change is staged by the apply handlers and pushed to the HAL as ONE WiFi::apply()
// in the flush the core runs at the end of the ACS session (or right after a transaction
// made outside a session): one driver reload per session, not one per parameter.
//
// Associated devices are rows that follow the HAL. They are refreshed at start, after
// every flush, and every `[wifi] station_refresh_interval` seconds (default 30, 0 = off)
// by a timer thread that posts the refresh to the main loop: the core walks the rows
// while it calls getters, so a getter must never add or remove rows itself.
#include <chrono>
#include <condition_variable>
#include <cwmpd/sdk/model_xml.hpp>
#include <cwmpd/sdk/plugin.hpp>
#include <memory>
#include <mutex>
#include <stop_token>
#include <thread>

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
    state_->afterFlush = [this] { model_->refreshStations(); };
    reg.onFlush([this] { state_->flush(); });
  }

  void start(cwmpd::sdk::Host& host) override {
    model_->start();
    long interval = 30;
    try {
      interval = std::stol(host.config("wifi", "station_refresh_interval", "30"));
    } catch (const std::exception&) {
      host.log(cwmpd::sdk::LogLevel::Warning,
               "[wifi] station_refresh_interval is not a number; using 30");
    }
    if (interval <= 0) return;
    auto alive = alive_;
    timer_ = std::jthread([this, &host, interval, alive](std::stop_token stop) {
      std::mutex m;
      std::condition_variable_any cv;
      std::unique_lock lock(m);
      while (!cv.wait_for(lock, stop, std::chrono::seconds(interval), [] { return false; })) {
        if (stop.stop_requested()) break;
        host.post([this, alive] {
          if (*alive) model_->refreshStations();
        });
      }
    });
  }

  void stop() override {
    *alive_ = false;
    if (timer_.joinable()) {
      timer_.request_stop();
      timer_.join();
    }
  }

 private:
  std::unique_ptr<WifiState> state_;
  std::unique_ptr<WifiModel> model_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::jthread timer_;
};

}  // namespace

CWMPD_PLUGIN(WifiPlugin, "wifi", "1.0")
