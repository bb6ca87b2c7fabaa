// cwmpd: the composition root. main() at the bottom is the list of the steps, each a
// function below (parse the arguments, load and check the configuration, lock the store,
// bring up the HAL, load the plugins, build the session engine, start the bus, build the
// transfers, start serving, run the loop, shut down); a step that fails ends the program
// with a clear message and its exit code.
#include <sys/stat.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cwmpd/bus/dbus_service.hpp"
#include "cwmpd/core/config.hpp"
#include "cwmpd/core/engine.hpp"
#include "cwmpd/core/log.hpp"
#include "cwmpd/core/net/curl_acs_transport.hpp"
#include "cwmpd/core/notifications.hpp"
#include "cwmpd/core/plugin_host.hpp"
#include "cwmpd/core/remote_subtree.hpp"
#include "cwmpd/core/resident_memory.hpp"
#include "cwmpd/core/restart_gate.hpp"
#include "cwmpd/core/session_engine.hpp"
#include "cwmpd/core/store.hpp"
#include "cwmpd/core/software_modules.hpp"
#include "cwmpd/core/transfer_manager.hpp"
#include "cwmpd/hal/factory.hpp"
#include "config_keys.hpp"
#include "sd_notify.hpp"
#include "test_hooks.hpp"

#ifndef CWMPD_VERSION
#define CWMPD_VERSION "0.0.0"
#endif
#ifndef CWMPD_DEFAULT_PLUGIN_DIR
#define CWMPD_DEFAULT_PLUGIN_DIR "/usr/lib/cwmpd/plugins"
#endif

namespace fs = std::filesystem;
using namespace cwmpd;

namespace {

constexpr const char* kLog = "cwmpd";

void usage(std::ostream& out) {
  out << "Usage: cwmpd --config FILE [options]\n"
         "\n"
         "A TR-069 (CWMP) agent with its data model on D-Bus.\n"
         "\n"
         "Options:\n"
         "  -c, --config FILE     configuration file (INI), required\n"
         "  -l, --log-level LVL   debug, info, notice, warning or error (overrides [log] level)\n"
         "      --syslog          log to syslog instead of stderr\n"
         "      --check-config    parse and validate the configuration, then exit\n"
         "      --list-config-keys\n"
         "                        print every key a configuration file may hold (\"section.key\n"
         "                        type owner\"), with those of the plugins in [plugins] dir of\n"
         "                        --config FILE (or the default plugin directory), then exit\n"
         "  -h, --help            show this help\n"
         "  -V, --version         show the version\n"
         "\n"
         "Exit codes: 0 clean stop, 1 start-up failure, 2 bad configuration or usage.\n";
}

std::string resolvePath(const core::Config& c, const std::string& value) {
  if (value.empty() || value[0] == '/') return value;
  fs::path base = fs::path(c.file()).parent_path();
  return (base / value).lexically_normal().string();
}

// Every key of the file against what the core and the installed plugins declare, before
// any value is used. The plugins' declarations come from their libraries, so the plugin
// directory is checked first: an agent without plugins has no data model to serve.
void checkKeys(const core::Config& c, const std::string& pluginDir) {
  std::error_code ec;
  if (!fs::is_directory(pluginDir, ec))
    c.fail("plugins", "dir",
           "plugin directory " + core::Config::quote(pluginDir) + " does not exist");
  std::vector<core::ConfigKeySpec> keys = coreConfigKeys();
  for (auto& k : core::PluginHost::declaredConfigKeys(pluginDir)) keys.push_back(std::move(k));
  c.check(keys);
}

// A file a TLS key names must be there now, not at the first session hours later.
void requireFile(const core::Config& c, const char* section, const char* key,
                 const std::string& path) {
  if (path.empty()) return;
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (!fs::exists(status))
    c.fail(section, key, "file " + core::Config::quote(path) + " does not exist");
  if (fs::is_directory(status))
    c.fail(section, key, core::Config::quote(path) + " is a directory, not a file");
}

struct Settings {
  std::string root;
  std::string storeDir;
  std::string pluginDir;
  std::vector<std::string> enable;
  std::string busAddress;
  std::chrono::milliseconds providerTimeout{2000};
  hal::HalConfig hal;
  core::SessionOptions session;
  core::NotificationOptions notifications;
  core::TransferOptions transfers;
  std::size_t gzipThreshold = 0;  // [acs] gzip_threshold
  sdk::LogLevel level = sdk::LogLevel::Info;
  bool syslog = false;
  std::vector<std::string> warnings;  // allowed, but worth a line in the log
};

Settings readSettings(const core::Config& c) {
  Settings s;
  s.pluginDir = resolvePath(c, c.get("plugins", "dir", CWMPD_DEFAULT_PLUGIN_DIR));
  checkKeys(c, s.pluginDir);
  s.root = c.get("cpe", "root", "Device");
  if (s.root != "Device" && s.root != "InternetGatewayDevice")
    c.fail("cpe", "root",
           "must be Device or InternetGatewayDevice, got " + core::Config::quote(s.root));
  s.storeDir = resolvePath(c, c.get("store", "dir", "/var/lib/cwmpd"));
  s.enable = c.getList("plugins", "enable");
  s.busAddress = c.get("bus", "address", "system");
  if (s.busAddress.empty())
    c.fail("bus", "address", "must be system, session, none or a D-Bus address");
  if (s.busAddress != "system" && s.busAddress != "session" && s.busAddress != "none" &&
      s.busAddress.find(':') == std::string::npos)
    c.fail("bus", "address",
           "must be system, session, none or a D-Bus address like unix:path=/run/bus");
  s.providerTimeout =
      std::chrono::milliseconds(c.getInt("bus", "provider_timeout_ms", 2000, 10, 60000));
  s.hal.backend = c.get("hal", "backend", "linux");
  if (std::string why = hal::backendError(s.hal.backend); !why.empty())
    c.fail("hal", "backend", why + ", got " + core::Config::quote(s.hal.backend));
  s.hal.simDir = resolvePath(c, c.get("hal", "sim_dir"));
  if (s.hal.backend == "sim" && s.hal.simDir.empty())
    c.fail("hal", "sim_dir", "is required with backend = sim");
  for (const char* a : {"reboot", "factory_reset", "firmware_apply", "wifi_apply", "voice_apply",
                        "pon_status", "pon_auth"}) {
    std::string v = c.get("hal", std::string(a) + "_command");
    if (!v.empty()) s.hal.commands[a] = v;
  }
  s.hal.commandTimeout = std::chrono::seconds(c.getInt("hal", "command_timeout", 60, 1, 3600));
  s.hal.readCacheTtl = std::chrono::milliseconds(c.getInt("hal", "read_cache_ms", 100, 0, 10000));
  s.hal.wifiStatusDir = resolvePath(c, c.get("hal", "wifi_status_dir"));
  s.hal.voiceStatusDir = resolvePath(c, c.get("hal", "voice_status_dir"));
  s.hal.ponStatusDir = resolvePath(c, c.get("hal", "pon_status_dir"));
  s.hal.sfpSysfsBase = resolvePath(c, c.get("hal", "sfp_dir"));
  for (const auto& pair : c.getList("hal", "transceivers")) {
    auto eq = pair.find('=');
    if (eq == std::string::npos) c.fail("hal", "transceivers", "expected name=interface pairs");
    s.hal.transceivers[pair.substr(0, eq)] = pair.substr(eq + 1);
  }

  auto& o = s.session;
  o.caFile = resolvePath(c, c.get("acs", "ca_file"));
  o.clientCert = resolvePath(c, c.get("acs", "client_cert"));
  o.clientKey = resolvePath(c, c.get("acs", "client_key"));
  o.verifyPeer = c.getBool("acs", "verify_peer", true);
  requireFile(c, "acs", "ca_file", o.caFile);
  requireFile(c, "acs", "client_cert", o.clientCert);
  requireFile(c, "acs", "client_key", o.clientKey);
  if (!o.clientCert.empty() && o.clientKey.empty())
    c.fail("acs", "client_cert", "needs client_key, the private key of the client certificate");
  if (o.clientCert.empty() && !o.clientKey.empty())
    c.fail("acs", "client_key", "needs client_cert, the certificate of this private key");
  if (!o.verifyPeer)
    s.warnings.emplace_back(
        "[acs] verify_peer = false: the certificates of the ACS and of file servers are not "
        "verified; anyone on the path can pose as them");
  o.rpcTimeout = std::chrono::seconds(c.getInt("acs", "timeout", 30, 1, 600));
  s.gzipThreshold = static_cast<std::size_t>(c.getInt("acs", "gzip_threshold", 16384, 0, 64 << 20));
  o.connectionRequestEnabled = c.getBool("cpe", "connection_request_enable", true);
  o.connectionRequestAddress = c.get("cpe", "connection_request_address");
  o.connectionRequestHost = c.get("cpe", "connection_request_host");
  o.connectionRequestInterface = c.get("cpe", "connection_request_interface");
  o.connectionRequestPort =
      static_cast<std::uint16_t>(c.getInt("cpe", "connection_request_port", 7547, 0, 65535));
  o.connectionRequestPath = c.get("cpe", "connection_request_path", "/");
  if (o.connectionRequestPath.empty() || o.connectionRequestPath[0] != '/')
    c.fail("cpe", "connection_request_path", "must start with '/'");
  // Flood limit (token bucket): a burst of requests, then one more per min_interval ms.
  o.connectionRequestBurst =
      static_cast<unsigned>(c.getInt("cpe", "connection_request_burst", 5, 1, 1000));
  o.connectionRequestRefillInterval = std::chrono::milliseconds(
      c.getInt("cpe", "connection_request_min_interval", 2000, 0, 3600000));
  s.notifications.sampleInterval = std::chrono::milliseconds(
      c.getInt("notifications", "sample_interval_ms", 30000, 100, 86400000));
  if (c.find("cpe", "inform_parameters")) {
    o.extraInformParameters = c.getList("cpe", "inform_parameters");
  } else if (s.root == "Device") {
    // The WAN side's address: that of the IP interface marked Upstream, whatever its
    // instance number (TR-098 marks ExternalIPAddress forced-inform itself).
    o.informUpstreamAddress = true;
  }
  for (const auto& code : c.getVendorEvents("cpe", "vendor_events")) o.vendorEvents.insert(code);
  o.maxBodyBytes =
      static_cast<std::size_t>(c.getInt("session", "max_body_bytes", 4 << 20, 64 << 10, 64 << 20));
  // Values the management plugin seeds the model with: check them here so a typo is a
  // config error, not a silent fault later.
  (void)c.getInt("acs", "periodic_inform_interval", 3600, 1, 4294967295LL);
  (void)c.getBool("acs", "periodic_inform_enable", true);
  if (auto url = c.find("acs", "url");
      url && !url->empty() && url->rfind("http://", 0) != 0 && url->rfind("https://", 0) != 0)
    c.fail("acs", "url", "must be an http:// or https:// URL");

  std::string lvl = c.get("log", "level", "info");
  if (!core::parseLogLevel(lvl, s.level))
    c.fail("log", "level", "must be debug, info, notice, warning or error");
  s.syslog = c.getBool("log", "syslog", false);

  // File transfers: temporary space (put it on tmpfs on flash-based boxes), limits, and
  // the ACS's TLS settings for HTTPS file servers.
  auto& t = s.transfers;
  t.dir = resolvePath(c, c.get("transfers", "dir", s.storeDir + "/transfers"));
  t.storeDir = resolvePath(c, c.get("transfers", "store_dir", s.storeDir + "/files"));
  t.maxSize =
      static_cast<std::uint64_t>(c.getInt("transfers", "max_size", 128LL << 20, 1024, 1LL << 40));
  t.maxQueued = static_cast<std::size_t>(c.getInt("transfers", "max_queued", 16, 3, 1024));
  t.timeout = std::chrono::seconds(c.getInt("transfers", "timeout", 3600, 10, 86400));
  const std::string method = c.get("transfers", "upload_method", "put");
  if (method != "put" && method != "post")
    c.fail("transfers", "upload_method", "must be put or post");
  t.uploadWithPost = method == "post";
  t.logFile = resolvePath(c, c.get("transfers", "log_file"));
  t.caFile = o.caFile;
  t.clientCert = o.clientCert;
  t.clientKey = o.clientKey;
  t.verifyPeer = o.verifyPeer;
  return s;
}

// The stores: an exclusive lock on the directory, then model.db (what the ACS configured)
// and session.db (events, session and transfer state).
bool openStores(const std::string& dir, std::unique_ptr<core::StoreLock>& lock,
                core::Store& modelStore, core::Store& sessionStore) {
  try {
    lock = std::make_unique<core::StoreLock>(dir);
  } catch (const core::StoreError& e) {
    CWMPD_LOG(Error, kLog, e.what() << "; refusing to start");
    return false;
  }
  const bool modelWasThere = fs::exists(modelStore.path());
  const bool modelKept = modelStore.loadOrSetAside();
  sessionStore.loadOrSetAside();
  // TR-069 3.7.1.5: a CPE that lost its configuration tells the ACS with "0 BOOTSTRAP",
  // so that it is provisioned again. The model store is written at every start, so a
  // missing one next to a session store that remembers a bootstrap is a lost one too.
  if ((!modelKept || !modelWasThere) && sessionStore.get("bootstrap-url")) {
    CWMPD_LOG(Warning, kLog, modelStore.path() << " lost: the next Inform carries 0 BOOTSTRAP");
    sessionStore.erase("bootstrap-url");
    sessionStore.tryCommit();
  }
  return true;
}

// The sim backend's reboot: the same process image again, same pid, same arguments.
// Returns only when exec failed.
void reexecSelf(char** argv) {
  char self[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = 0;
    ::execv(self, argv);
  }
  CWMPD_LOG(Error, kLog, "re-exec failed: " << std::strerror(errno));
}

// Memory policy of a long-running daemon on a small box (glibc only; other C libraries
// keep their defaults). A whole-tree response is megabytes: with a fixed mmap threshold
// such blocks are mapped and unmapped, so they go back to the system when freed instead
// of raising glibc's dynamic threshold and staying in the heap after the session. Our few
// threads (session, transfer, bus) need no arenas of their own.
void tuneMalloc() {
#if defined(__GLIBC__)
  ::mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  ::mallopt(M_ARENA_MAX, 1);
#endif
}

// After a session: what the session freed in the middle of the heap goes back too.
void releaseFreedMemory() {
#if defined(__GLIBC__)
  ::malloc_trim(0);
#endif
}

// Start-up is over, no session has begun: the heap's free pages, and the pages of the
// program's and its libraries' files that start-up alone used (the loader's work, the
// libraries' constructors, Xerces-C's initialisation, the plugins' registration and model
// documents) go back: ~10 MB of the ~22.5 MB resident at 20,000 parameters (issue 15 item
// 3, BENCHMARKS.md). What the sessions use comes back from the page cache as minor faults.
void releaseStartupMemory() {
  releaseFreedMemory();
  const core::ReleasedPages released = core::releaseCleanFilePages();
  CWMPD_LOG(Debug, kLog,
            "start-up pages released: " << released.kb << " kB of " << released.mappings
                                        << " file mappings");
}

// The last resort behind the plugin firewall and every component's own handling: an
// exception that still escapes a handler is logged and the loop goes on with the next
// one (asio leaves the io_context runnable after a handler threw). The daemon ends only
// when something stops the loop.
void runMainLoop(boost::asio::io_context& io) {
  for (;;) {
    try {
      io.run();
      return;
    } catch (const std::exception& e) {
      CWMPD_LOG(Error, kLog, "main loop: a handler failed, continuing: " << e.what());
    } catch (...) {
      CWMPD_LOG(Error, kLog,
                "main loop: a handler failed with a non-standard exception, continuing");
    }
  }
}

// ---------------- the steps of main(), in order ----------------

struct CommandLine {
  std::string configPath;
  std::string levelOverride;
  bool checkOnly = false;
  bool listKeys = false;
  bool syslog = false;
};

// 1. The command line. Returns the exit code when the program ends here (help, version,
//    usage errors).
std::optional<int> parseArguments(int argc, char** argv, CommandLine& args) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> std::optional<std::string> {
      if (i + 1 >= argc) {
        std::cerr << "cwmpd: " << name << " needs a value\n";
        return std::nullopt;
      }
      return std::string(argv[++i]);
    };
    if (a == "-h" || a == "--help") {
      usage(std::cout);
      return 0;
    } else if (a == "-V" || a == "--version") {
      std::cout << "cwmpd " << CWMPD_VERSION << " (plugin SDK ABI " << sdk::kAbiVersion << ")\n";
      return 0;
    } else if (a == "-c" || a == "--config") {
      auto v = value("--config");
      if (!v) return 2;
      args.configPath = *v;
    } else if (a.rfind("--config=", 0) == 0) {
      args.configPath = a.substr(9);
    } else if (a == "-l" || a == "--log-level") {
      auto v = value("--log-level");
      if (!v) return 2;
      args.levelOverride = *v;
    } else if (a == "--syslog") {
      args.syslog = true;
    } else if (a == "--check-config") {
      args.checkOnly = true;
    } else if (a == "--list-config-keys") {
      args.listKeys = true;
    } else if (a == "--foreground" || a == "-f") {
      // Always in the foreground; accepted for init systems that pass it.
    } else {
      std::cerr << "cwmpd: unknown option '" << a << "'\n";
      usage(std::cerr);
      return 2;
    }
  }
  if (args.configPath.empty() && !args.listKeys) {
    std::cerr << "cwmpd: --config FILE is required\n";
    usage(std::cerr);
    return 2;
  }
  return std::nullopt;
}

const char* typeName(sdk::ConfigType type) {
  switch (type) {
    case sdk::ConfigType::String: return "string";
    case sdk::ConfigType::Bool: return "bool";
    case sdk::ConfigType::Int: return "int";
    case sdk::ConfigType::Unsigned: return "unsigned";
    case sdk::ConfigType::Number: return "number";
    case sdk::ConfigType::List: return "list";
    case sdk::ConfigType::Path: return "path";
  }
  return "string";
}

// --list-config-keys: the table checkKeys() validates against, so that the manual page of
// the configuration (man/cwmpd.conf.5.scd, checked by a test) cannot drift from it.
int listConfigKeys(const CommandLine& args) {
  std::string pluginDir = CWMPD_DEFAULT_PLUGIN_DIR;
  try {
    if (!args.configPath.empty()) {
      const auto config = core::Config::load(args.configPath);
      pluginDir = resolvePath(config, config.get("plugins", "dir", CWMPD_DEFAULT_PLUGIN_DIR));
    }
  } catch (const core::ConfigError& e) {
    std::cerr << "cwmpd: " << e.what() << "\n";
    return 2;
  }
  std::vector<core::ConfigKeySpec> keys = coreConfigKeys();
  for (auto& k : core::PluginHost::declaredConfigKeys(pluginDir)) keys.push_back(std::move(k));
  for (const auto& k : keys)
    std::cout << k.section << '.' << k.key << ' ' << typeName(k.type) << ' ' << k.owner << '\n';
  return 0;
}

// 2. The configuration: loaded and checked whole before anything starts. Returns the exit
//    code when the program ends here (a bad configuration, --check-config).
std::optional<int> loadConfiguration(const CommandLine& args, core::Config& config,
                                     Settings& settings) {
  try {
    config = core::Config::load(args.configPath);
    settings = readSettings(config);
  } catch (const core::ConfigError& e) {
    std::cerr << "cwmpd: " << e.what() << "\n";
    return 2;
  }
  if (!args.levelOverride.empty() && !core::parseLogLevel(args.levelOverride, settings.level)) {
    std::cerr << "cwmpd: unknown log level '" << args.levelOverride << "'\n";
    return 2;
  }
  if (args.checkOnly) {
    for (const auto& w : settings.warnings) std::cerr << "cwmpd: warning: " << w << "\n";
    std::cout << "cwmpd: " << args.configPath << ": configuration is valid\n";
    return 0;
  }
  return std::nullopt;
}

// 3. The log, as configured.
void startLogging(const CommandLine& args, const Settings& settings) {
  core::Log::setLevel(settings.level);
  core::Log::useSyslog(settings.syslog || args.syslog);
  CWMPD_LOG(Info, kLog, "cwmpd " << CWMPD_VERSION << " starting, root " << settings.root);
  for (const auto& w : settings.warnings) CWMPD_LOG(Warning, kLog, w);
}

struct Stores {
  std::unique_ptr<core::StoreLock> lock;
  std::unique_ptr<core::Store> model;    // model.db: what the ACS configured
  std::unique_ptr<core::Store> session;  // session.db: events, session and transfer state
};

// 4. The store directory, locked, and its stores.
bool lockStore(const std::string& dir, Stores& stores) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    CWMPD_LOG(Error, kLog, "cannot create store directory " << dir << ": " << ec.message());
    return false;
  }
  ::chmod(dir.c_str(), 0700);  // the store holds secrets
  stores.model = std::make_unique<core::Store>(dir + "/model.db");
  stores.session = std::make_unique<core::Store>(dir + "/session.db");
  return openStores(dir, stores.lock, *stores.model, *stores.session);
}

// The daemon's parts, in the order they are built (shutDown() takes them apart).
struct Daemon {
  boost::asio::io_context io;
  bool reexec = false;  // the sim backend's reboot: exec the daemon again after the stop
  std::shared_ptr<core::Clock> clock;
  std::unique_ptr<hal::Hal> hal;
  // Every reboot, factory reset and firmware install waits for the end of an open ACS
  // session: everyone reaches the HAL through the gated view.
  std::unique_ptr<core::RestartGate> gate;
  std::unique_ptr<hal::Hal> gatedHal;
  std::unique_ptr<core::Engine> engine;
  std::unique_ptr<core::PluginHost> plugins;
  std::size_t pluginsLoaded = 0;
  std::unique_ptr<core::SessionEngine> session;
  std::unique_ptr<core::NotificationTracker> notifications;
  std::unique_ptr<bus::DbusService> dbus;
  std::unique_ptr<boost::asio::signal_set> signals;
  std::unique_ptr<core::TransferManager> transfers;
  // Software modules (ChangeDUState, Device.SoftwareModules.): only when a plugin declared
  // an execution environment.
  std::unique_ptr<core::SoftwareModules> swm;
  // Readiness for the service manager (systemd Type=notify): both must hold.
  bool busPublished = false;  // org.cwmpd owned (or the bus disabled)
  bool serving = false;       // the first session scheduled
  bool readySent = false;

  // Takes apart what was built: the bus, transfers and session first, then the plugins
  // stopped, and the model before the plugin libraries that hold its handlers' code (the
  // members' own order would unload them first). shutDown() calls it; the destructor too,
  // for an early return or an exception out of a step of main().
  void tearDown() {
    dbus.reset();
    transfers.reset();
    swm.reset();
    session.reset();
    if (plugins) plugins->stopAll();
    engine.reset();
    plugins.reset();
    gatedHal.reset();
    gate.reset();
    hal.reset();
  }
  Daemon() = default;
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;
  ~Daemon() { tearDown(); }
};

// READY=1 once the name is on the bus and the first session is scheduled, whichever comes
// last: units ordered after cwmpd.service (and a `systemctl start` that waits) may then
// call org.cwmpd at once. A bus that comes up late delays it; the agent serves the ACS
// meanwhile.
void notifyReadyWhenDone(Daemon& d) {
  if (d.readySent || !d.busPublished || !d.serving) return;
  d.readySent = true;
  daemon::notifyServiceManager("READY=1\nSTATUS=serving, org.cwmpd on the bus");
}

// 5. The clock and the HAL. Disruptive actions end the main loop; the sim backend
//    "reboots" by re-executing the daemon in place so tests see a real restart.
bool startHal(Daemon& d, Settings& settings) {
  d.clock = daemon::makeDaemonClock(d.io);
  settings.session.clock = d.clock;
  settings.notifications.clock = d.clock;
  settings.transfers.clock = d.clock;
  const bool sim = settings.hal.backend == "sim";
  // Whoever called the backend went through the gate already (d.gatedHal); the restart
  // itself passes it too, so that not even a direct call cuts a session.
  settings.hal.hooks.reboot = [&d, sim] {
    auto restart = [&d, sim] {
      boost::asio::post(d.io, [&d, sim] {
        d.reexec = sim;
        d.io.stop();
      });
    };
    if (d.gate) {
      d.gate->whenIdle("restart", restart);
    } else {
      restart();
    }
  };
  settings.hal.hooks.factoryReset = settings.hal.hooks.reboot;
  settings.hal.hooks.firmwareApplied = [reboot = settings.hal.hooks.reboot](const std::string&) {
    reboot();
  };
  try {
    d.hal = hal::makeHal(settings.hal);
  } catch (const std::exception& e) {
    CWMPD_LOG(Error, kLog, "HAL: " << e.what());
    return false;
  }
  d.gate = std::make_unique<core::RestartGate>(d.io);
  d.gatedHal = d.gate->gate(*d.hal);
  return true;
}

// Software module management over the execution environments the plugins declared; its
// Device.SoftwareModules. is a built-in plugin of the model. Downloads as for transfers.
void addSoftwareModules(Daemon& d, const Settings& settings, core::Store& sessionStore) {
  const auto& ees = d.plugins->executionEnvironments();
  if (ees.empty()) return;
  const auto& t = settings.transfers;
  core::SoftwareModulesOptions o;
  o.dir = t.dir;
  o.maxSize = t.maxSize;
  o.caFile = t.caFile;
  o.clientCert = t.clientCert;
  o.clientKey = t.clientKey;
  o.verifyPeer = t.verifyPeer;
  o.connectTimeout = t.connectTimeout;
  o.timeout = t.timeout;
  o.clock = d.clock;
  d.swm = std::make_unique<core::SoftwareModules>(d.io, sessionStore, o);
  for (const auto& ee : ees) d.swm->addEnvironment(ee.environment);
  if (!d.plugins->addBuiltin(d.swm->modelPlugin(), "swm"))
    CWMPD_LOG(Error, kLog, "software modules: " << d.plugins->lastError());
}

// 6. The data model and the plugins that serve it.
bool loadPlugins(Daemon& d, const core::Config& config, const Settings& settings,
                 core::Store& modelStore, core::Store& sessionStore) {
  d.engine = std::make_unique<core::Engine>(settings.root, modelStore);
  // The plugins' own files belong to the store: a factory reset removes them with it.
  const std::string pluginState = settings.storeDir + "/plugins";
  modelStore.attachDirectory(pluginState);
  d.plugins = std::make_unique<core::PluginHost>(
      *d.engine, config, *d.gatedHal,
      core::PluginHostServices{
          [&d](std::function<void()> f) { boost::asio::post(d.io, std::move(f)); },
          [&d](const std::string& code, const std::string& key) {
            if (d.session) d.session->raiseEvent(code, key);
          },
          &d.io, d.clock});
  d.plugins->setStateRoot(pluginState);
  d.pluginsLoaded = d.plugins->loadDirectory(settings.pluginDir, settings.enable);
  if (d.pluginsLoaded == 0) {
    // Nothing to manage: running would only answer the ACS with an empty model.
    CWMPD_LOG(
        Error, kLog,
        "no plugin loaded from " << settings.pluginDir << "; refusing to run without a data model");
    return false;
  }
  addSoftwareModules(d, settings, sessionStore);
  try {
    d.engine->finalize();
  } catch (const std::exception& e) {
    CWMPD_LOG(Error, kLog, "data model: " << e.what());
    return false;
  }
  d.plugins->startAll();
  return true;
}

// 7. The session engine (ACS side, connection requests) and value-change notification.
void buildSessionEngine(Daemon& d, const Settings& settings, core::Store& sessionStore) {
  core::net::initHttpClient();
  d.session = std::make_unique<core::SessionEngine>(
      d.io, *d.engine, sessionStore,
      std::make_unique<core::net::CurlAcsTransport>(
          core::net::CurlAcsTransportOptions{.maxResponseBytes = settings.session.maxBodyBytes,
                                             .gzipThreshold = settings.gzipThreshold}),
      settings.session,
      core::SessionHooks{[&d] { d.gatedHal->system().reboot(); },
                         [&d] { d.gatedHal->system().factoryReset(); }});
  d.gate->attach(*d.session);
  d.session->setPluginNames(d.plugins->names());
  d.session->addSessionListener([](bool started) {
    if (!started) releaseFreedMemory();
  });
  d.notifications = std::make_unique<core::NotificationTracker>(d.io, *d.engine, sessionStore,
                                                                settings.notifications);
  d.session->setNotificationTracker(d.notifications.get());
}

// 8. D-Bus, and the signals that stop the daemon.
void startBus(Daemon& d, const Settings& settings) {
  bus::BusOptions busOptions;
  busOptions.address = settings.busAddress;
  busOptions.providers = d.engine.get();
  busOptions.providerTimeout = settings.providerTimeout;
  busOptions.reboot = [&d] { d.gatedHal->system().reboot(); };
  d.busPublished = settings.busAddress == "none";
  busOptions.published = [&d] {
    d.busPublished = true;
    notifyReadyWhenDone(d);
  };
  busOptions.log = [](bus::LogLevel l, const std::string& m) {
    sdk::LogLevel level = l == bus::LogLevel::Error     ? sdk::LogLevel::Error
                          : l == bus::LogLevel::Warning ? sdk::LogLevel::Warning
                          : l == bus::LogLevel::Info    ? sdk::LogLevel::Info
                                                        : sdk::LogLevel::Debug;
    core::Log::write(level, "bus", m);
  };
  d.dbus = std::make_unique<bus::DbusService>(d.io, *d.engine, *d.session, busOptions);
  d.dbus->start();
  d.signals = std::make_unique<boost::asio::signal_set>(d.io, SIGTERM, SIGINT);
  d.signals->async_wait([&d](const boost::system::error_code& e, int sig) {
    if (e) return;
    CWMPD_LOG(Info, kLog, "signal " << sig << ": stopping");
    d.io.stop();
  });
}

// 9. File transfers: their RPCs, queue and TransferComplete reports.
void buildTransfers(Daemon& d, const Settings& settings, core::Store& sessionStore) {
  core::TransferHooks hooks;
  hooks.applyFirmware = [&d](const std::string& path) { d.gatedHal->system().applyFirmware(path); };
  hooks.reboot = [&d] { d.gatedHal->system().reboot(); };
  hooks.whenIdle = [&d](const std::string& what, std::function<void()> step) {
    // After the session, and after any work that waits for a D-Bus provider: the step
    // (a configuration file's import) begins a transaction on the loop (issue 18).
    d.gate->whenIdle(what, [step = std::move(step)]() mutable {
      core::ModelLoan::queueOwnChange(std::move(step));
    });
  };
  hooks.exportConfiguration = [&d] {
    return d.engine->vendorConfiguration().exportConfiguration();
  };
  hooks.importConfiguration = [&d](const std::string& text) {
    d.engine->vendorConfiguration().importConfiguration(text);
  };
  hooks.autonomousPolicy = [&d,
                            root = settings.root](const core::soap::AutonomousTransferComplete&) {
    const std::string p = root + ".ManagementServer.AutonomousTransferCompletePolicy.Enable";
    return !d.engine->exists(p) || d.engine->rawValue(p) == "true";
  };
  d.transfers =
      std::make_unique<core::TransferManager>(d.io, sessionStore, settings.transfers, hooks);
  d.transfers->attach(*d.session);
  d.transfers->attachModel(*d.engine);
  if (d.swm) d.swm->attach(*d.session);
  // Vendor file types the plugins declared (Registrar::fileType); checked at registration.
  for (const auto& type : d.plugins->fileTypes()) {
    d.transfers->registerFileType(type.type, type.handler);
    CWMPD_LOG(Info, kLog, "file type '" << type.type << "' handled by plugin " << type.plugin);
  }
}

// 10. Everything built: transfers, sessions and notifications start.
void startServing(Daemon& d, const Settings& settings) {
  d.transfers->start();
  if (d.swm) d.swm->start();
  d.session->start();
  d.notifications->start([&d] { d.session->raiseEvent("4 VALUE CHANGE", ""); });
  d.serving = true;
  notifyReadyWhenDone(d);  // before the log line below: tests read the order from it
  CWMPD_LOG(Notice, kLog,
            "ready: " << d.pluginsLoaded << " plugins, bus " << settings.busAddress
                      << ", connection requests on port " << d.session->connectionRequestPort());
}

// 11. Orderly shutdown: the session first (it may still need the loop), then the bus, the
//     plugins, and the model before the plugin libraries that hold its handlers' code.
//     Returns the exit code (or re-executes the daemon after a simulated reboot).
int shutDown(Daemon& d, Stores& stores, char** argv) {
  daemon::notifyServiceManager("STOPPING=1");
  d.signals->cancel();
  d.notifications->stop();
  d.transfers->stop();
  if (d.swm) d.swm->stop();
  if (!d.session->stop()) {
    // A session is blocked on a slow ACS and its worker still uses the loop and the
    // engine: end here rather than destroy them under it. The stores are committed on
    // every change, so nothing is lost; the interrupted session's events are still
    // queued and go in the next Inform.
    CWMPD_LOG(Notice, kLog,
              (d.reexec ? "restarting (simulated reboot)" : "stopped")
                  << " without waiting for the ACS");
    if (d.reexec) reexecSelf(argv);
    std::_Exit(d.reexec ? 1 : 0);
  }
  d.tearDown();
  // A clean stop folds each store's journal into its snapshot: the next start replays
  // nothing, and model.db alone is the state. A failure only leaves the journal in place.
  stores.model->tryCompact();
  stores.session->tryCompact();
  if (d.reexec) {
    CWMPD_LOG(Notice, kLog, "restarting (simulated reboot)");
    reexecSelf(argv);
    return 1;
  }
  CWMPD_LOG(Info, kLog, "stopped");
  return 0;
}

// The steps of the daemon, from the command line to the exit code.
int run(int argc, char** argv) {
  tuneMalloc();
  core::net::initHttpClient();  // first: before Xerces-C initialises libcurl its own way
  CommandLine args;
  if (auto exit = parseArguments(argc, argv, args)) return *exit;
  if (args.listKeys) return listConfigKeys(args);
  core::Config config;
  Settings settings;
  if (auto exit = loadConfiguration(args, config, settings)) return *exit;
  startLogging(args, settings);
  Stores stores;
  if (!lockStore(settings.storeDir, stores)) return 1;
  Daemon agent;
  if (!startHal(agent, settings)) return 1;
  if (!loadPlugins(agent, config, settings, *stores.model, *stores.session)) return 1;
  buildSessionEngine(agent, settings, *stores.session);
  startBus(agent, settings);
  buildTransfers(agent, settings, *stores.session);
  startServing(agent, settings);
  releaseStartupMemory();
  runMainLoop(agent.io);  // until SIGTERM/SIGINT, or a reboot the ACS or the HAL asked for
  return shutDown(agent, stores, argv);
}

}  // namespace

int main(int argc, char** argv) {
  // The last resort: a step that throws (a port taken, a signal that cannot be watched) is
  // logged where the daemon logs and ends it with status 1, not left to std::terminate
  // (an abort, its reason on stderr only). Unwinding takes the daemon apart in order.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    CWMPD_LOG(Error, kLog, "cannot run: " << e.what());
  } catch (...) {
    CWMPD_LOG(Error, kLog, "cannot run: unknown exception");
  }
  return 1;
}
