// For plugins that serve both roots from one state: the TR-181 (Device.) and the TR-098
// (InternetGatewayDevice.) views are two RootModels over that state, and the plugin picks
// one at registration (forRoot). The wifi and voip plugins are built this way.
//
// Part of the SDK (header-only, since ABI 5).
#pragma once

#include <memory>
#include <string_view>

#include "cwmpd/sdk/config_keys.hpp"
#include "cwmpd/sdk/model_xml.hpp"
#include "cwmpd/sdk/periodic.hpp"
#include "cwmpd/sdk/plugin.hpp"

namespace cwmpd::sdk {

// One root's view of a plugin's objects.
class RootModel {
 public:
  virtual ~RootModel() = default;
  // Binds the handlers of this root's objects (Plugin::registerModel).
  virtual void registerModel(Registrar& reg) = 0;
  // Creates the rows of what the HAL has (Plugin::start).
  virtual void start() = 0;
  // Brings what follows the HAL up to date and reports changes of live values
  // (Host::valueChanged). Main loop only, never from a getter: the core walks the rows
  // while it calls getters.
  virtual void refresh() = 0;
};

// `tr181()` on a Device. root, `tr098()` on an InternetGatewayDevice. one.
template <typename Tr181, typename Tr098>
auto forRoot(Host& host, Tr181&& tr181, Tr098&& tr098) {
  return host.root() == "Device" ? tr181() : tr098();
}

// A plugin made of a State staged until the flush and one RootModel over it per root:
// declares `definitions` (the plugin's model document), creates the State (from the Host)
// and the model of the host's root, flushes the State (State::flush(), pushing what the
// handlers staged to the HAL) at the end of every transaction (an ACS session's end) and
// refreshes the model after it, at start, and every `[section] key` seconds on a periodic
// Host timer (0: never). The wifi and voip plugins are this (CWMPD_STAGED_ROOT_PLUGIN below).
template <typename State>
class StagedRootPlugin : public Plugin {
 public:
  using ModelFactory = std::unique_ptr<RootModel> (*)(State&);
  // The config key of the periodic refresh and its default, in seconds.
  struct Refresh {
    const char* section;
    const char* key;
    long fallbackSeconds;
  };

  StagedRootPlugin(std::string_view definitions, ModelFactory tr181, ModelFactory tr098,
                   Refresh refresh)
      : definitions_(definitions), tr181_(tr181), tr098_(tr098), refresh_(refresh) {}

  void registerModel(Registrar& reg) override {
    state_ = std::make_unique<State>(reg.host());
    reg.definitions(definitions_);
    model_ = forRoot(
        reg.host(), [&] { return tr181_(*state_); }, [&] { return tr098_(*state_); });
    model_->registerModel(reg);
    reg.onFlush([this] {
      state_->flush();
      model_->refresh();
    });
  }

  void start(Host& host) override {
    model_->start();
    model_->refresh();
    timer_.start(host,
                 configSeconds(host, refresh_.section, refresh_.key, refresh_.fallbackSeconds),
                 [this] { model_->refresh(); });
  }

  void stop() override { timer_.stop(); }

 private:
  std::string_view definitions_;
  ModelFactory tr181_, tr098_;
  Refresh refresh_;
  std::unique_ptr<State> state_;  // before model_: the model refers to it
  std::unique_ptr<RootModel> model_;
  PeriodicTask timer_;
};

}  // namespace cwmpd::sdk

// A whole StagedRootPlugin, entry points included, at namespace scope instead of
// CWMPD_PLUGIN: its State, name and version, the factories of the two roots' models (names
// as seen from the global namespace), the document embedded by cwmpd_add_plugin(... MODEL),
// and the key of the refresh period in the plugin's own section (seconds; declared as the
// plugin's config key, CWMPD_PLUGIN_CONFIG_KEYS). The wifi plugin:
//   CWMPD_STAGED_ROOT_PLUGIN(cwmpd::plugins::wifi::WifiState, "wifi", "1.0",
//                            cwmpd::plugins::wifi::makeTr181Model,
//                            cwmpd::plugins::wifi::makeTr098Model, "station_refresh_interval", 30)
#define CWMPD_STAGED_ROOT_PLUGIN(State, name_, version_, tr181_, tr098_, refreshKey_, \
                                 refreshSeconds_)                                     \
  namespace cwmpd_plugin_staged {                                                     \
  class Plugin final : public ::cwmpd::sdk::StagedRootPlugin<State> {                 \
   public:                                                                            \
    Plugin()                                                                          \
        : StagedRootPlugin(cwmpd_plugin_model_xml, tr181_, tr098_,                    \
                           {name_, refreshKey_, refreshSeconds_}) {}                  \
  };                                                                                  \
  }                                                                                   \
  CWMPD_PLUGIN(cwmpd_plugin_staged::Plugin, name_, version_)                          \
  CWMPD_PLUGIN_CONFIG_KEYS({name_, refreshKey_, ::cwmpd::sdk::ConfigType::Unsigned})
