// The example plugin: a third-party plugin in miniature. Its parameters are declared in
// model.xml (X_00005E_Example under either root); this file adds only behaviour:
//  - Counter is read live through a getter;
//  - Greeting is stored and persisted by the core; validate refuses what we cannot show;
//  - Enable going to true raises the vendor event "X 00005E TRIGGERED", but only once
//    the transaction committed (onFlush), so a set that is rolled back raises nothing;
//    the apply handler reports that change as applied at the session's end
//    (sdk::Effect::AtSessionEnd), so the ACS gets SetParameterValues Status 1;
//  - the vendor file type "X 00005E Example Text": a Download of that type hands the
//    downloaded file to a handler here, which checks it (printable text) and moves it
//    into the folder [example] file_dir names, under its TargetFileName;
//  - a periodic Host timer (sdk::PeriodicTask) every `[example] tick_interval` seconds
//    (default 60, 0 = off) counts Ticks and tells the core (Host::valueChanged), so an
//    ACS that asked for active notification on Ticks gets a "4 VALUE CHANGE" Inform. The
//    timer runs on the daemon's main loop (no thread of our own, no locking) and the host
//    cancels it when the plugin stops.
#include <cwmpd/sdk/config_keys.hpp>
#include <cwmpd/sdk/model_xml.hpp>
#include <cwmpd/sdk/periodic.hpp>
#include <cwmpd/sdk/plugin.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

namespace {

using namespace cwmpd::sdk;  // the SDK is what a plugin is written in

constexpr const char* kEvent = "X 00005E TRIGGERED";
// Vendor FileTypes follow TR-069 A.3.2.8: "X <your OUI> <name>".
constexpr const char* kFileType = "X 00005E Example Text";
constexpr std::uint64_t kMaxText = std::uint64_t{64} * 1024;

class ExamplePlugin : public cwmpd::sdk::Plugin {
 public:
  void registerModel(cwmpd::sdk::Registrar& reg) override {
    host_ = &reg.host();
    reg.definitions(cwmpd_plugin_model_xml);
    reg.vendorEvent(kEvent);
    reg.object(std::string(host_->root()) + ".X_00005E_Example.")
        .get("Counter", [this](const InstanceRef&) { return std::to_string(raised_); })
        .get("Ticks", [this](const InstanceRef&) { return std::to_string(ticks_); })
        .validate([](const std::vector<Change>& changes) {
          // The model already bounds the length; printable ASCII is our own rule, because
          // the greeting ends up in a log line.
          for (const auto& c : changes)
            if (c.parameter == "Greeting")
              for (unsigned char ch : c.value)
                if (ch < 0x20 || ch > 0x7e)
                  throw Fault(FaultCode::InvalidParameterValue, "Greeting must be printable ASCII");
        })
        .apply([this](const std::vector<Change>& changes, cwmpd::sdk::ApplyReport& report) {
          for (std::size_t i = 0; i < changes.size(); ++i) {
            if (changes[i].parameter != "Enable")
              continue;  // Greeting: stored by the core, in effect now
            pending_ = changes[i].value == "true" || changes[i].value == "1";
            // Acted on by onFlush, at the end of the ACS session.
            report.effects[i] = cwmpd::sdk::Effect::AtSessionEnd;
          }
        })
        .rollback([this](const std::vector<Change>&) { pending_ = false; });
    reg.onFlush([this] {
      if (!pending_) return;
      pending_ = false;
      ++raised_;
      host_->raiseEvent(kEvent);
    });
    reg.fileType(kFileType, [this](const cwmpd::sdk::DownloadedFile& file) { store(file); });
  }

  // Runs on the main loop once the core downloaded the file (size, credentials and TLS
  // were its business). A Fault's code goes into TransferComplete.
  void store(const cwmpd::sdk::DownloadedFile& file) {
    namespace fs = std::filesystem;
    const std::string dir = host_->config("example", "file_dir");
    if (dir.empty()) throw Fault(FaultCode::RequestDenied, "no [example] file_dir configured");
    // The core bounded the download by [transfers] max_size; a plugin applies its own
    // limit before reading a file whole.
    if (file.size > kMaxText)
      throw Fault(FaultCode::DownloadFailure, "an example text file is at most 64 KiB");
    std::ifstream in(file.path, std::ios::binary);
    const std::string text{std::istreambuf_iterator<char>(in), {}};
    for (unsigned char c : text)
      if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c > 0x7e)
        throw Fault(FaultCode::DownloadFailureCorrupted,
                    "an example text file holds printable text only");
    // The core already reduced TargetFileName to a safe name (no directories).
    const fs::path target =
        fs::path(dir) / (file.targetFileName.empty() ? "example.txt" : file.targetFileName);
    std::error_code ec;
    fs::create_directories(dir, ec);
    // Written beside the target, then renamed: a reader never sees half a file.
    const fs::path partial = target.string() + ".part";
    {
      std::ofstream out(partial, std::ios::binary | std::ios::trunc);
      if (!(out << text).flush())
        throw Fault(FaultCode::InternalError, "cannot write " + partial.string());
    }
    fs::rename(partial, target, ec);
    if (ec)
      throw Fault(FaultCode::InternalError,
                  "cannot store " + target.string() + ": " + ec.message());
    host_->log(LogLevel::Info,
               "stored " + std::to_string(text.size()) + " bytes as " + target.string());
  }

  void start(cwmpd::sdk::Host& host) override {
    const std::string base = std::string(host.root()) + ".X_00005E_Example.";
    host.log(LogLevel::Info, "greeting: " + host.value(base + "Greeting"));
    ticker_.start(host, cwmpd::sdk::configSeconds(host, "example", "tick_interval", 60),
                  [this, base] {
                    ++ticks_;
                    // A getter-read value changes behind the core's back: say so, for notifications.
                    host_->valueChanged(base + "Ticks");
                  });
  }

  // The host cancels the plugin's timers anyway; stopping here keeps the object honest.
  void stop() override { ticker_.stop(); }

 private:
  cwmpd::sdk::Host* host_ = nullptr;
  bool pending_ = false;
  std::uint32_t raised_ = 0;
  std::uint32_t ticks_ = 0;
  cwmpd::sdk::PeriodicTask ticker_;
};

}  // namespace

CWMPD_PLUGIN(ExamplePlugin, "example", "1.0")

// The config keys this plugin reads (Host::config): any other key is a config error.
CWMPD_PLUGIN_CONFIG_KEYS({"example", "file_dir", cwmpd::sdk::ConfigType::Path},
                         {"example", "tick_interval", cwmpd::sdk::ConfigType::Unsigned})
