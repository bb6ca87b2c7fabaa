// A load generator for benchmarks: `[synthetic] instances = N` creates N rows of
// <root>.X_CWMPD_Synthetic.Item.{i}. with ten parameters each (mixed types, half
// writable). Without that key the plugin registers nothing, so shipping it is harmless.
// Read-only values are computed from the instance number (no memory per value); the
// writable ones are stored by the core like any real configuration.
#include <cwmpd/sdk/config_keys.hpp>
#include <cwmpd/sdk/model_xml.hpp>
#include <cwmpd/sdk/plugin.hpp>

#include <cstdio>
#include <string>

namespace {

using cwmpd::sdk::InstanceRef;

class SyntheticPlugin : public cwmpd::sdk::Plugin {
 public:
  void registerModel(cwmpd::sdk::Registrar& reg) override {
    const std::string n = reg.host().config("synthetic", "instances", "0");
    instances_ = std::strtoul(n.c_str(), nullptr, 10);
    if (instances_ == 0) return;
    if (instances_ > 1000000)
      throw std::invalid_argument("[synthetic] instances must be at most 1000000");
    reg.definitions(cwmpd_plugin_model_xml);
    table_ = std::string(reg.host().root()) + ".X_CWMPD_Synthetic.Item.";
    reg.object(table_ + "{i}.")
        .get("Counter", [](const InstanceRef& r) { return std::to_string(r.number * 7u); })
        .get("Balance",
             [](const InstanceRef& r) {
               return std::to_string(-static_cast<long long>(r.number) * 1000);
             })
        .get("Total",
             [](const InstanceRef& r) {
               return std::to_string(static_cast<unsigned long long>(r.number) << 33);
             })
        .get("Digest",
             [](const InstanceRef& r) {
               char buf[16];
               std::snprintf(buf, sizeof buf, "%08x", r.number * 2654435761u);
               return std::string(buf);
             })
        .get("Blob", [](const InstanceRef&) { return std::string("c3ludGhldGlj"); });
  }

  void start(cwmpd::sdk::Host& host) override {
    for (unsigned long i = 1; i <= instances_; ++i) host.ensureInstance(table_, std::to_string(i));
  }

 private:
  unsigned long instances_ = 0;
  std::string table_;
};

}  // namespace

CWMPD_PLUGIN(SyntheticPlugin, "synthetic", "1.0")

// The config keys this plugin reads (Host::config): any other key is a config error.
CWMPD_PLUGIN_CONFIG_KEYS({"synthetic", "instances", cwmpd::sdk::ConfigType::Unsigned})
