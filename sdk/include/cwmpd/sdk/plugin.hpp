// The plugin SDK: everything a parameter plugin sees of cwmpd.
//
// Threading: every call into a plugin (registerModel, start, stop, handlers) happens on
// the daemon's single main loop thread, and every Host/Registrar method must be called
// from that thread too, except Host::post(), which is thread-safe. Handlers must not
// block: slow hardware work belongs on a thread of the plugin's that posts back.
//
// Errors: a handler refuses with cwmpd::sdk::Fault (e.g. 9007 for a value the hardware
// cannot take). Every call into a plugin (registerModel, start, stop, getters, handlers,
// posted work, timers, file-type handlers) passes the host's firewall: any other
// exception is logged with the plugin's name and answered 9002 where an answer is due;
// it never takes the daemon down. A plugin that fails 5 times within 60 seconds, or whose
// start() throws, is disabled until the daemon restarts: none of its code is called any
// more and its parameters answer 9002, while the rest of the agent carries on.
//
// Timers (since ABI 4): Host::startTimer / startPeriodicTimer run work on the main loop;
// the host cancels a plugin's timers when it stops. No plugin needs a thread of its own
// just to wake up now and then.
//
// Files of its own (since ABI 6): a plugin that keeps state outside the parameters the core
// stores (bookkeeping such as which credentials last raised "X CT-COM BIND") keeps it in
// Host::stateDir(). That directory belongs to the store: a factory reset removes it with
// the store, so the box forgets everything it learnt, as a real device does.
//
// Vendor file types (since ABI 2): a plugin that can use a file the ACS sends with
// Download declares its FileType and a handler, e.g.
//   reg.fileType("X 00005E Example Text", [](const cwmpd::sdk::DownloadedFile& f) {
//     /* check f.path, then move or copy it where it belongs */
//   });
// The daemon downloads the file (URL, credentials, FileSize, limits, TLS: all the core's
// business) into its temporary space and calls the handler on the main loop. Returning
// means applied: TransferComplete carries FaultCode 0. Throwing sdk::Fault puts its code
// into TransferComplete (a code TransferComplete cannot carry becomes 9010; 9018 "file
// corrupted" suits a file that fails the plugin's checks); any other exception is 9002.
// A Download of a vendor type nobody registered is refused at once with 9003.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cwmpd/sdk/entry_point.hpp"

#include "cwmpd/sdk/exec_env.hpp"
#include "cwmpd/sdk/fault.hpp"
#include "cwmpd/sdk/types.hpp"

namespace cwmpd::hal {
class Hal;  // cwmpd/hal/hal.hpp
}

namespace cwmpd::sdk {

// Bumped whenever a type in cwmpd/sdk/ or cwmpd/hal/ changes in a way that breaks a
// compiled plugin. The host refuses plugins built against another value.
// 2: Registrar::fileType (vendor file types for Download), hal::System::firmwareBanks.
// 3: ObjectBinding::apply(ReportingChangeHandler) (a new virtual: the vtable changed),
//    sdk::Effect and sdk::ApplyReport.
// 4: Host timers (startTimer, startPeriodicTimer, cancelTimer); the shared plugin
//    helpers cwmpd/sdk/staging.hpp, periodic.hpp and values.hpp.
// 5: the SDK is its own include root (sdk/include: cwmpd/sdk and cwmpd/hal only, nothing of
//    core); the upstream-interface rule and the interface counter table in the HAL
//    (cwmpd/hal/network.hpp); hal::Hal::pon() and hal::Hal::diagnostics() (new virtuals),
//    cwmpd/hal/pon.hpp and diagnostics.hpp; cwmpd/sdk/root_model.hpp (RootModel,
//    StagedRootPlugin) and hal_read.hpp.
// 6: Host::stateDir() (a new virtual: the vtable changed), a plugin's own files that a
//    factory reset removes.
// 7: Registrar::executionEnvironment (a new virtual) and cwmpd/sdk/exec_env.hpp: software
//    module management's execution environments.
// 8: InstanceRef::readId (the struct's layout changed) and cwmpd/sdk/object_snapshot.hpp:
//    the getters of one object read the hardware once per request.
inline constexpr std::uint32_t kAbiVersion = 8;

#if defined(__clang__)
inline constexpr const char* kToolchain = "clang-libstdc++";
#else
inline constexpr const char* kToolchain = "gcc-libstdc++";
#endif

struct PluginInfo {
  const char* name;
  const char* version;
  const char* toolchain;  // kToolchain of the plugin's build; must match the host's
};

enum class LogLevel : std::uint8_t { Debug, Info, Notice, Warning, Error };

// Reads a live value for one parameter of one instance.
using Getter = std::function<std::string(const InstanceRef& object)>;
// Receives all changes of one transaction that fall on instances of one object.
using ChangeHandler = std::function<void(const std::vector<Change>& changes)>;
// An apply handler that also says when each change takes effect (report.effects has one
// entry per change, all Effect::Now on entry).
using ReportingChangeHandler =
    std::function<void(const std::vector<Change>& changes, ApplyReport& report)>;
using InstanceHandler = std::function<void(const InstanceRef& object)>;

// A file of a vendor type, downloaded for the plugin that registered the type.
struct DownloadedFile {
  std::string path;            // in the daemon's temporary space; the handler may move it
  std::string fileType;        // the registered type, "X 00005E Example Text"
  std::string targetFileName;  // the ACS's TargetFileName, reduced to a safe file name; may be ""
  std::uint64_t size = 0;      // bytes
};
// Applies a downloaded file. Runs on the main loop: a slow apply belongs on a thread of
// the plugin's, but the outcome must be known when the handler returns. What is left at
// `path` afterwards is deleted.
using FileTypeHandler = std::function<void(const DownloadedFile& file)>;

// Behaviour bound to one object definition ("Device.WiFi.SSID.{i}."). Returned by
// Registrar::object(); calls chain.
class ObjectBinding {
 public:
  virtual ~ObjectBinding() = default;
  // The parameter's value is read live through `getter` (hardware state, counters).
  // Parameters without a getter are stored by the core: writable ones are persisted and
  // start from the definition's default (or the config) until first set.
  virtual ObjectBinding& get(std::string_view parameter, Getter getter) = 0;
  // Phase 1 of a set: throw Fault to refuse. Nothing may change here.
  virtual ObjectBinding& validate(ChangeHandler handler) = 0;
  // Phase 2: make the change real (or queue it for the flush). Throwing aborts the whole
  // transaction: the core then calls `rollback` for every batch already applied.
  virtual ObjectBinding& apply(ChangeHandler handler) = 0;
  // The same, for a plugin whose changes do not all run at once: it stages them for its
  // flush (Effect::AtSessionEnd) or for the next boot (Effect::AfterReboot), and says so
  // per change; the ACS then gets SetParameterValues Status 1. A deferred apply that fails
  // later cannot fault the committed request: the plugin logs it and, where the object
  // has a Status parameter, shows "Error" there.
  //   .apply([this](const std::vector<Change>& changes, ApplyReport& report) {
  //     for (const auto& c : changes) stage(c);
  //     report.setAll(Effect::AtSessionEnd);
  //   })
  virtual ObjectBinding& apply(ReportingChangeHandler handler) = 0;
  // Undo an applied batch. The changes carry the values to return to in `value` (and
  // the abandoned ones in `oldValue`). Without a rollback handler the core calls `apply`
  // with those reversed changes.
  virtual ObjectBinding& rollback(ChangeHandler handler) = 0;
  // AddObject created an instance / DeleteObject is about to remove one. Throw to refuse.
  virtual ObjectBinding& onAdd(InstanceHandler handler) = 0;
  virtual ObjectBinding& onDelete(InstanceHandler handler) = 0;
};

// Names one timer of a plugin (Host::startTimer); never 0.
using TimerId = std::uint64_t;

// Services the daemon offers a plugin for its whole life.
class Host {
 public:
  virtual ~Host() = default;
  // "Device" (TR-181) or "InternetGatewayDevice" (TR-098): the configured root.
  [[nodiscard]] virtual std::string_view root() const = 0;
  // A value from the daemon's config file ([section] key), or `fallback`.
  [[nodiscard]] virtual std::string config(std::string_view section, std::string_view key,
                                           std::string_view fallback = {}) const = 0;
  // The hardware abstraction. Plugins reach hardware only through it.
  virtual hal::Hal& hal() = 0;
  // Makes sure the multi-instance table `table` ("Device.Ethernet.Interface.") has an
  // instance for `key` ("eth0") and returns its number. Numbers are persisted: the same
  // key gets the same number after a restart, and a number is never reused. `parent`
  // instance numbers come first in the table path ("...WANDevice.1.WANConnectionDevice.").
  // Outside start(), a new number that cannot be persisted (full disk) throws Fault 9002
  // and creates nothing: ask again at the next refresh.
  virtual std::uint32_t ensureInstance(std::string_view table, std::string_view key) = 0;
  // Removes a plugin-managed instance (hardware went away).
  virtual void removeInstance(std::string_view instancePath) = 0;
  // A live value changed (pushed by the plugin): drives notifications and D-Bus signals.
  virtual void valueChanged(std::string_view parameterPath) = 0;
  // First-boot value of a core-stored parameter (from the plugin's config, the HAL...).
  // Ignored when the store already holds a value set by the ACS or over D-Bus: once
  // set, the store wins. Throws Fault 9005/9007 for an unknown path or a bad value.
  virtual void setInitial(std::string_view parameterPath, std::string_view value) = 0;
  // Updates a core-stored parameter of the plugin's own (read-only ones included), as a
  // change with the plugin as source (notifications, D-Bus signal). Not persisted.
  virtual void update(std::string_view parameterPath, std::string_view value) = 0;
  // Queues an event for the next Inform ("X CT-COM BIND", "8 DIAGNOSTICS COMPLETE").
  virtual void raiseEvent(std::string_view code, std::string_view commandKey = {}) = 0;
  // Reads any parameter of the tree (another plugin's included). Throws Fault 9005.
  [[nodiscard]] virtual std::string value(std::string_view parameterPath) = 0;
  // Runs `work` on the main loop. The only thread-safe call of this interface. Work
  // still queued when the plugin stops is dropped.
  virtual void post(std::function<void()> work) = 0;
  // Runs `work` once on the main loop after `delay` (since ABI 4).
  virtual TimerId startTimer(std::chrono::milliseconds delay, std::function<void()> work) = 0;
  // Runs `work` on the main loop every `interval` (> 0; the first run after one
  // interval) until cancelled. A run that falls behind is not repeated to catch up.
  virtual TimerId startPeriodicTimer(std::chrono::milliseconds interval,
                                     std::function<void()> work) = 0;
  // Cancels a timer of this plugin: its work does not run again. Unknown or finished ids
  // are ignored. The host cancels every timer of a plugin that stops or is disabled.
  virtual void cancelTimer(TimerId id) = 0;
  // A directory of this plugin's own, inside the daemon's store ("<[store] dir>/plugins/
  // <plugin name>"), created when asked for; "" when the host has no store (nothing then
  // survives a restart). A factory reset removes it with everything in it, before the
  // reboot (since ABI 6). Write files there atomically (temporary file, rename): the
  // daemon may be killed at any moment.
  [[nodiscard]] virtual std::string stateDir() { return {}; }
  virtual void log(LogLevel level, std::string_view message) = 0;
};

// Handed to Plugin::registerModel(): the plugin declares its part of the tree here.
class Registrar {
 public:
  virtual ~Registrar() = default;
  virtual Host& host() = 0;
  // Loads object and parameter definitions from a Broadband Forum data model document
  // (cwmp-datamodel XML). Of its models, the one for the configured root is used; a
  // service model (isService="true", e.g. VoiceService:2.0) mounts under "<root>.Services.".
  // Throws std::runtime_error naming the problem when the document is invalid.
  virtual void definitions(std::string_view xml) = 0;
  // Binds behaviour to a defined object. Throws std::invalid_argument if not defined.
  virtual ObjectBinding& object(std::string_view pattern) = 0;
  // Declares a vendor event code ("X CT-COM BIND") this plugin may raise.
  virtual void vendorEvent(std::string_view code) = 0;
  // Called after a transaction commits outside an ACS session, and at the end of every
  // ACS session that changed something of this plugin: apply batched config here.
  virtual void onFlush(std::function<void()> flush) = 0;
  // Declares a vendor FileType for Download and what to do with such a file (see the top
  // of this header). The type must read "X <OUI> <name>" (TR-069 A.3.2.8: OUI six
  // upper-case hex digits) or "X <organisation> <name>" (e.g. "X CT-COM Bundle"), at most
  // 64 characters of printable ASCII. Throws std::invalid_argument for another form or a
  // type another plugin already declared. Hosts that take no files (a bare data model)
  // keep this default, which refuses.
  // By value: the sink signature overrides move from; only this default ignores it.
  // NOLINTNEXTLINE(performance-unnecessary-value-param)
  virtual void fileType(std::string_view type, FileTypeHandler handler) {
    (void)handler;
    throw std::invalid_argument("this host takes no file types: " + std::string(type));
  }
  // Declares an execution environment for software modules (since ABI 7; see
  // cwmpd/sdk/exec_env.hpp). Its info().name must be unique among the EEs; throws
  // std::invalid_argument for a name another EE took. The object must not call into the
  // core before its bind(). Hosts without software module management keep this default.
  // NOLINTNEXTLINE(performance-unnecessary-value-param)
  virtual void executionEnvironment(std::shared_ptr<ExecutionEnvironment> environment) {
    (void)environment;
    throw std::invalid_argument("this host takes no execution environments");
  }
};

class Plugin {
 public:
  virtual ~Plugin() = default;
  virtual void registerModel(Registrar& registrar) = 0;
  // After every plugin registered and the store was loaded: create instances, start I/O.
  virtual void start(Host& host) { (void)host; }
  // Before the daemon exits; the plugin object is destroyed before its library unloads.
  virtual void stop() {}
};

}  // namespace cwmpd::sdk

// Exports the three entry points the host looks for, in this order: ABI version, info,
// factory. Use once per plugin, at namespace scope:
//   CWMPD_PLUGIN(MyPlugin, "myplugin", "1.0")
#define CWMPD_PLUGIN(PluginClass, name_, version_)                                           \
  namespace cwmpd_plugin_entry {                                                             \
  std::uint32_t abiVersion() { return ::cwmpd::sdk::kAbiVersion; }                           \
  const ::cwmpd::sdk::PluginInfo& info() {                                                   \
    static const ::cwmpd::sdk::PluginInfo i{name_, version_, ::cwmpd::sdk::kToolchain};      \
    return i;                                                                                \
  }                                                                                          \
  std::unique_ptr<::cwmpd::sdk::Plugin> create() { return std::make_unique<PluginClass>(); } \
  }                                                                                          \
  CWMPD_ENTRY_POINT(cwmpd_plugin_entry::abiVersion, cwmpd_plugin_abi_version)                \
  CWMPD_ENTRY_POINT(cwmpd_plugin_entry::info, cwmpd_plugin_info)                             \
  CWMPD_ENTRY_POINT(cwmpd_plugin_entry::create, cwmpd_plugin_create)
