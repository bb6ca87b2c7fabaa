// DeviceInfo under either root: identity from the [device] config section (operator
// branding) falling back to what the HAL knows, live figures (uptime, memory, CPU)
// from the HAL, ProvisioningCode stored and persisted by the core. Under Device. also
// the firmware images (TR-181 DeviceInfo.FirmwareImage.{i}.), one per HAL firmware bank.
#include <cwmpd/hal/hal.hpp>
#include <cwmpd/sdk/config_keys.hpp>
#include <cwmpd/sdk/model_xml.hpp>
#include <cwmpd/sdk/plugin.hpp>
#include <exception>
#include <map>
#include <string>
#include <vector>

namespace {

using namespace cwmpd::sdk;  // the SDK is what a plugin is written in

// References are written without a trailing dot, like the wan and wifi plugins'.
constexpr const char* kImageTable = "Device.DeviceInfo.FirmwareImage.";
constexpr const char* kBootImage = "Device.DeviceInfo.BootFirmwareImage";
constexpr std::size_t kMaxImageText = 64;  // Name and Version: string(64)

[[noreturn]] void refuse(const Change& c, const std::string& why) {
  throw Fault(FaultCode::InvalidParameterValue, c.path() + ": " + why);
}

// "Device.DeviceInfo.FirmwareImage.1." -> "Device.DeviceInfo.FirmwareImage.1".
std::string withoutDot(std::string path) {
  if (!path.empty() && path.back() == '.') path.pop_back();
  return path;
}

class DeviceInfoPlugin : public cwmpd::sdk::Plugin {
 public:
  void registerModel(cwmpd::sdk::Registrar& reg) override {
    host_ = &reg.host();
    reg.definitions(cwmpd_plugin_model_xml);
    const std::string base = std::string(host_->root()) + ".DeviceInfo.";
    auto& info = reg.object(base).get("UpTime", [this](const InstanceRef&) {
      return std::to_string(host_->hal().system().uptimeSeconds());
    });
    reg.object(base + "MemoryStatus.")
        .get("Total",
             [this](const InstanceRef&) {
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
    // TR-098 has no firmware image objects.
    if (host_->root() == "Device") bindFirmwareImages(reg, info);
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
    const std::string softwareVersion = pick("software_version", id.softwareVersion, "0.1.0");
    host.update(base + "Manufacturer", pick("manufacturer", id.manufacturer, "cwmpd"));
    host.update(base + "ManufacturerOUI", pick("oui", id.manufacturerOui, "000000"));
    host.update(base + "ModelName", pick("model_name", id.modelName, "cwmpd-gateway"));
    host.update(base + "Description", pick("description", "", "Home gateway managed by cwmpd"));
    host.update(base + "ProductClass", pick("product_class", id.productClass, "Gateway"));
    host.update(base + "SerialNumber", pick("serial_number", id.serialNumber, "0000000000"));
    host.update(base + "HardwareVersion", pick("hardware_version", id.hardwareVersion, "1.0"));
    host.update(base + "SoftwareVersion", softwareVersion);
    if (auto code = host.config("device", "provisioning_code"); !code.empty())
      host.setInitial(base + "ProvisioningCode", code);
    if (root == "Device") {
      host.update("Device.RootDataModelVersion", "2.17");
      publishFirmwareImages(host, softwareVersion);
    } else {
      host.update(root + ".DeviceSummary", "InternetGatewayDevice:1.14[](Baseline:1)");
      host.update(base + "SpecVersion", "1.0");
    }
  }

 private:
  // What start() learnt of one FirmwareImage row (keyed by its path without the dot).
  struct Image {
    bool active = false;
    bool boot = false;
  };

  void bindFirmwareImages(cwmpd::sdk::Registrar& reg, cwmpd::sdk::ObjectBinding& info) {
    info.validate([this](const std::vector<Change>& changes) {
      for (const auto& c : changes)
        if (c.path() == kBootImage) checkBootImage(c);
    });
    reg.object(std::string(kImageTable) + "{i}.")
        .validate([this](const std::vector<Change>& changes) {
          for (const auto& c : changes) {
            if (c.parameter != "Available" || c.value != "false") continue;
            // TR-181: Available "cannot be set to false if the firmware image is active or is
            // referenced by the BootFirmwareImage parameter".
            const std::string row = withoutDot(c.object);
            if (auto it = images_.find(row); it != images_.end() && it->second.active)
              refuse(c, "the running image stays available");
            if (withoutDot(host_->value(kBootImage)) == row)
              refuse(c, "the image is the one BootFirmwareImage names");
          }
        });
  }

  // TR-181 BootFirmwareImage: "must point to a valid and enabled FirmwareImage object
  // where the Available parameter is set to true ... MUST result in ... fault (9007)".
  void checkBootImage(const Change& c) {
    const std::string row = withoutDot(c.value);
    auto it = images_.find(row);
    if (it == images_.end()) refuse(c, "must name a row of " + std::string(kImageTable));
    if (host_->value(row + ".Available") != "true") refuse(c, row + " is not available");
    // The HAL cannot choose the boot bank: accepting another image would be a promise
    // the box does not keep.
    if (!it->second.boot)
      throw Fault(FaultCode::RequestDenied,
                  c.path() + ": this box cannot choose the image it boots");
  }

  // One row per HAL bank, as the box booted: the firmware only changes with a reboot,
  // which restarts the agent.
  void publishFirmwareImages(Host& host, const std::string& softwareVersion) {
    std::vector<cwmpd::hal::FirmwareBank> banks;
    try {
      banks = host.hal().system().firmwareBanks();
    } catch (const std::exception& e) {
      host.log(cwmpd::sdk::LogLevel::Warning,
               std::string("no firmware images: the HAL cannot list its banks: ") + e.what());
    }
    for (std::size_t i = 0; i < banks.size(); ++i) {
      const auto& bank = banks[i];
      const std::uint32_t n = host.ensureInstance(kImageTable, "bank" + std::to_string(i));
      const std::string row = kImageTable + std::to_string(n);
      const std::string p = row + ".";
      const bool empty = bank.name.empty() && bank.version.empty();
      host.update(p + "Name", bank.name.substr(0, kMaxImageText));
      // TR-181 Version: "Whenever this firmware image is active ... the value of the
      // SoftwareVersion parameter MUST be the same": the active row shows SoftwareVersion
      // itself, so an operator's [device] software_version cannot make them differ.
      host.update(p + "Version",
                  bank.active ? softwareVersion : bank.version.substr(0, kMaxImageText));
      host.update(p + "Status", bank.active ? "Active" : empty ? "NoImage" : "Available");
      host.update(p + "BootFailureLog", "");
      // The running image is usable by definition; the ACS may have withdrawn another.
      if (bank.active)
        host.update(p + "Available", "true");
      else
        host.setInitial(p + "Available", empty ? "false" : "true");
      if (bank.active) host.update("Device.DeviceInfo.ActiveFirmwareImage", row);
      // Set by the ACS, it stays: TR-181 forbids the CPE to repoint it after a failed boot.
      if (bank.boot) host.setInitial(kBootImage, row);
      images_[row] = {bank.active, bank.boot};
    }
  }

  Host* host_ = nullptr;
  std::map<std::string, Image> images_;
};

}  // namespace

CWMPD_PLUGIN(DeviceInfoPlugin, "deviceinfo", "1.0")

// The config keys this plugin reads (Host::config): any other key is a config error.
CWMPD_PLUGIN_CONFIG_KEYS({"device", "manufacturer", cwmpd::sdk::ConfigType::String},
                         {"device", "oui", cwmpd::sdk::ConfigType::String},
                         {"device", "model_name", cwmpd::sdk::ConfigType::String},
                         {"device", "description", cwmpd::sdk::ConfigType::String},
                         {"device", "product_class", cwmpd::sdk::ConfigType::String},
                         {"device", "serial_number", cwmpd::sdk::ConfigType::String},
                         {"device", "hardware_version", cwmpd::sdk::ConfigType::String},
                         {"device", "software_version", cwmpd::sdk::ConfigType::String},
                         {"device", "provisioning_code", cwmpd::sdk::ConfigType::String})
