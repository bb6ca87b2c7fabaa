// DeviceInfo under either root: identity from the [device] config section (operator
// branding) falling back to what the HAL knows, live figures (uptime, memory, CPU)
// from the HAL, ProvisioningCode stored and persisted by the core.
#include <cwmpd/hal/hal.hpp>
#include <cwmpd/sdk/model_xml.hpp>
#include <cwmpd/sdk/plugin.hpp>

#include <string>

namespace {

using cwmpd::sdk::Host;
using cwmpd::sdk::InstanceRef;

class DeviceInfoPlugin : public cwmpd::sdk::Plugin {
 public:
  void registerModel(cwmpd::sdk::Registrar& reg) override {
    host_ = &reg.host();
    reg.definitions(cwmpd_plugin_model_xml);
    const std::string base = std::string(host_->root()) + ".DeviceInfo.";
    reg.object(base).get("UpTime", [this](const InstanceRef&) {
      return std::to_string(host_->hal().system().uptimeSeconds());
    });
    reg.object(base + "MemoryStatus.")
        .get("Total", [this](const InstanceRef&) {
          return std::to_string(host_->hal().system().memory().totalKiB);
        })
        .get("Free", [this](const InstanceRef&) {
          auto m = host_->hal().system().memory();
          // "Free" in TR-181 means available to applications, which is MemAvailable.
          return std::to_string(m.availableKiB ? m.availableKiB : m.freeKiB);
        });
    reg.object(base + "ProcessStatus.").get("CPUUsage", [this](const InstanceRef&) {
      return std::to_string(host_->hal().system().cpuUsagePercent());
    });
  }

  void start(Host& host) override {
    const std::string root(host.root());
    const std::string base = root + ".DeviceInfo.";
    auto id = host.hal().system().identity();
    auto pick = [&](const char* key, const std::string& fromHal, const char* fallback) {
      std::string v = host.config("device", key);
      if (v.empty()) v = fromHal;
      return v.empty() ? std::string(fallback) : v;
    };
    host.update(base + "Manufacturer", pick("manufacturer", id.manufacturer, "cwmpd"));
    host.update(base + "ManufacturerOUI", pick("oui", id.manufacturerOui, "000000"));
    host.update(base + "ModelName", pick("model_name", id.modelName, "cwmpd-gateway"));
    host.update(base + "Description", pick("description", "", "Home gateway managed by cwmpd"));
    host.update(base + "ProductClass", pick("product_class", id.productClass, "Gateway"));
    host.update(base + "SerialNumber", pick("serial_number", id.serialNumber, "0000000000"));
    host.update(base + "HardwareVersion", pick("hardware_version", id.hardwareVersion, "1.0"));
    host.update(base + "SoftwareVersion", pick("software_version", id.softwareVersion, "0.1.0"));
    if (auto code = host.config("device", "provisioning_code"); !code.empty())
      host.setInitial(base + "ProvisioningCode", code);
    if (root == "Device") {
      host.update("Device.RootDataModelVersion", "2.17");
    } else {
      host.update(root + ".DeviceSummary", "InternetGatewayDevice:1.14[](Baseline:1)");
      host.update(base + "SpecVersion", "1.0");
    }
  }

 private:
  Host* host_ = nullptr;
};

}  // namespace

CWMPD_PLUGIN(DeviceInfoPlugin, "deviceinfo", "1.0")
