// The example plugin: a third-party plugin in miniature. Its parameters are declared in
// model.xml (X_00005E_Example under either root); this file adds only behaviour:
//  - Counter is read live through a getter;
//  - Greeting is stored and persisted by the core; validate refuses what we cannot show;
//  - Enable going to true raises the vendor event "X 00005E TRIGGERED", but only once
//    the transaction committed (onFlush), so a set that is rolled back raises nothing.
#include <cwmpd/sdk/model_xml.hpp>
#include <cwmpd/sdk/plugin.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace {

using cwmpd::sdk::Change;
using cwmpd::sdk::Fault;
using cwmpd::sdk::FaultCode;
using cwmpd::sdk::InstanceRef;
using cwmpd::sdk::LogLevel;

constexpr const char* kEvent = "X 00005E TRIGGERED";

class ExamplePlugin : public cwmpd::sdk::Plugin {
 public:
  void registerModel(cwmpd::sdk::Registrar& reg) override {
    host_ = &reg.host();
    reg.definitions(cwmpd_plugin_model_xml);
    reg.vendorEvent(kEvent);
    reg.object(std::string(host_->root()) + ".X_00005E_Example.")
        .get("Counter", [this](const InstanceRef&) { return std::to_string(raised_); })
        .validate([](const std::vector<Change>& changes) {
          // The model already bounds the length; printable ASCII is our own rule, because
          // the greeting ends up in a log line.
          for (const auto& c : changes)
            if (c.parameter == "Greeting")
              for (unsigned char ch : c.value)
                if (ch < 0x20 || ch > 0x7e)
                  throw Fault(FaultCode::InvalidParameterValue, "Greeting must be printable ASCII");
        })
        .apply([this](const std::vector<Change>& changes) {
          for (const auto& c : changes)
            if (c.parameter == "Enable") pending_ = c.value == "true" || c.value == "1";
        })
        .rollback([this](const std::vector<Change>&) { pending_ = false; });
    reg.onFlush([this] {
      if (!pending_) return;
      pending_ = false;
      ++raised_;
      host_->raiseEvent(kEvent);
    });
  }

  void start(cwmpd::sdk::Host& host) override {
    host.log(LogLevel::Info,
             "greeting: " + host.value(std::string(host.root()) + ".X_00005E_Example.Greeting"));
  }

 private:
  cwmpd::sdk::Host* host_ = nullptr;
  bool pending_ = false;
  std::uint32_t raised_ = 0;
};

}  // namespace

CWMPD_PLUGIN(ExamplePlugin, "example", "1.0")
