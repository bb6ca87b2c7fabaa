// cwmpd: the composition root. Parse config, open the store, bring up the HAL, load
// plugins, start the bus and the session engine, each step returning early with a clear
// message; then run the main loop until SIGTERM/SIGINT.
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
#include <string>
#include <vector>

#include "cwmpd/bus/dbus_service.hpp"
#include "cwmpd/core/config.hpp"
#include "cwmpd/core/engine.hpp"
#include "cwmpd/core/log.hpp"
#include "cwmpd/core/net/curl_acs_transport.hpp"
#include "cwmpd/core/notifications.hpp"
#include "cwmpd/core/plugin_host.hpp"
#include "cwmpd/core/session_engine.hpp"
#include "cwmpd/core/store.hpp"
#include "cwmpd/core/transfer_manager.hpp"
#include "cwmpd/hal/factory.hpp"
#include "config_keys.hpp"
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
    c.fail("plugins", "dir", "plugin directory " + core::Config::quote(pluginDir) + " does not exist");
  std::vector<core::ConfigKeySpec> keys = coreConfigKeys();
  for (auto& k : core::PluginHost::declaredConfigKeys(pluginDir)) keys.push_back(std::move(k));
  c.check(keys);
}

// A file a TLS key names must be there now, not at the first session hours later.
void requireFile(const core::Config& c, const char* section, const char* key, const std::string& path) {
  if (path.empty()) return;
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (!fs::exists(status)) c.fail(section, key, "file " + core::Config::quote(path) + " does not exist");
  if (fs::is_directory(status)) c.fail(section, key, core::Config::quote(path) + " is a directory, not a file");
}

struct Settings {
  std::string root;
  std::string storeDir;
  std::string pluginDir;
  std::vector<std::string> enable;
  std::string busAddress;
  hal::HalConfig hal;
  core::SessionOptions session;
  core::NotificationOptions notifications;
  core::TransferOptions transfers;
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
    c.fail("cpe", "root", "must be Device or InternetGatewayDevice, got " + core::Config::quote(s.root));
  s.storeDir = resolvePath(c, c.get("store", "dir", "/var/lib/cwmpd"));
  s.enable = c.getList("plugins", "enable");
  s.busAddress = c.get("bus", "address", "system");
  if (s.busAddress.empty()) c.fail("bus", "address", "must be system, session, none or a D-Bus address");
  if (s.busAddress != "system" && s.busAddress != "session" && s.busAddress != "none" &&
      s.busAddress.find(':') == std::string::npos)
    c.fail("bus", "address", "must be system, session, none or a D-Bus address like unix:path=/run/bus");
  s.hal.backend = c.get("hal", "backend", "linux");
  if (s.hal.backend != "linux" && s.hal.backend != "sim")
    c.fail("hal", "backend", "must be linux or sim, got " + core::Config::quote(s.hal.backend));
  s.hal.simDir = resolvePath(c, c.get("hal", "sim_dir"));
  if (s.hal.backend == "sim" && s.hal.simDir.empty()) c.fail("hal", "sim_dir", "is required with backend = sim");
  for (const char* a : {"reboot", "factory_reset", "firmware_apply", "wifi_apply", "voice_apply"}) {
    std::string v = c.get("hal", std::string(a) + "_command");
    if (!v.empty()) s.hal.commands[a] = v;
  }
  s.hal.commandTimeout = std::chrono::seconds(c.getInt("hal", "command_timeout", 60, 1, 3600));
  s.hal.readCacheTtl = std::chrono::milliseconds(c.getInt("hal", "read_cache_ms", 100, 0, 10000));
  s.hal.wifiStatusDir = resolvePath(c, c.get("hal", "wifi_status_dir"));
  s.hal.voiceStatusDir = resolvePath(c, c.get("hal", "voice_status_dir"));
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
    s.warnings.push_back("[acs] verify_peer = false: the certificates of the ACS and of file servers are not "
                         "verified; anyone on the path can pose as them");
  o.rpcTimeout = std::chrono::seconds(c.getInt("acs", "timeout", 30, 1, 600));
  o.connectionRequestEnabled = c.getBool("cpe", "connection_request_enable", true);
  o.connectionRequestAddress = c.get("cpe", "connection_request_address");
  o.connectionRequestHost = c.get("cpe", "connection_request_host");
  o.connectionRequestInterface = c.get("cpe", "connection_request_interface");
  o.connectionRequestPort = static_cast<std::uint16_t>(c.getInt("cpe", "connection_request_port", 7547, 0, 65535));
  o.connectionRequestPath = c.get("cpe", "connection_request_path", "/");
  if (o.connectionRequestPath.empty() || o.connectionRequestPath[0] != '/')
    c.fail("cpe", "connection_request_path", "must start with '/'");
  // Flood limit (token bucket): a burst of requests, then one more per min_interval ms.
  o.connectionRequestBurst = static_cast<unsigned>(c.getInt("cpe", "connection_request_burst", 5, 1, 1000));
  o.connectionRequestRefillInterval =
      std::chrono::milliseconds(c.getInt("cpe", "connection_request_min_interval", 2000, 0, 3600000));
  s.notifications.sampleInterval =
      std::chrono::milliseconds(c.getInt("notifications", "sample_interval_ms", 30000, 100, 86400000));
  if (c.find("cpe", "inform_parameters")) {
    o.extraInformParameters = c.getList("cpe", "inform_parameters");
  } else if (s.root == "Device") {
    // The WAN side's address: that of the IP interface marked Upstream, whatever its
    // instance number (TR-098 marks ExternalIPAddress forced-inform itself).
    o.informUpstreamAddress = true;
  }
  for (const auto& code : c.getVendorEvents("cpe", "vendor_events")) o.vendorEvents.insert(code);
  o.maxBodyBytes = static_cast<std::size_t>(c.getInt("session", "max_body_bytes", 4 << 20, 64 << 10, 64 << 20));
  // Values the management plugin seeds the model with: check them here so a typo is a
  // config error, not a silent fault later.
  (void)c.getInt("acs", "periodic_inform_interval", 3600, 1, 4294967295LL);
  (void)c.getBool("acs", "periodic_inform_enable", true);
  if (auto url = c.find("acs", "url"); url && !url->empty() && url->rfind("http://", 0) != 0 &&
                                        url->rfind("https://", 0) != 0)
    c.fail("acs", "url", "must be an http:// or https:// URL");

  std::string lvl = c.get("log", "level", "info");
  if (!core::parseLogLevel(lvl, s.level)) c.fail("log", "level", "must be debug, info, notice, warning or error");
  s.syslog = c.getBool("log", "syslog", false);

  // File transfers: temporary space (put it on tmpfs on flash-based boxes), limits, and
  // the ACS's TLS settings for HTTPS file servers.
  auto& t = s.transfers;
  t.dir = resolvePath(c, c.get("transfers", "dir", s.storeDir + "/transfers"));
  t.storeDir = resolvePath(c, c.get("transfers", "store_dir", s.storeDir + "/files"));
  t.maxSize = static_cast<std::uint64_t>(c.getInt("transfers", "max_size", 128LL << 20, 1024, 1LL << 40));
  t.maxQueued = static_cast<std::size_t>(c.getInt("transfers", "max_queued", 16, 3, 1024));
  t.timeout = std::chrono::seconds(c.getInt("transfers", "timeout", 3600, 10, 86400));
  const std::string method = c.get("transfers", "upload_method", "put");
  if (method != "put" && method != "post") c.fail("transfers", "upload_method", "must be put or post");
  t.uploadWithPost = method == "post";
  t.logFile = resolvePath(c, c.get("transfers", "log_file"));
  t.caFile = o.caFile;
  t.clientCert = o.clientCert;
  t.clientKey = o.clientKey;
  t.verifyPeer = o.verifyPeer;
  return s;
}

// The sim backend's reboot: the same process image again, same pid, same arguments.
// Returns only when exec failed.
// The stores: an exclusive lock on the directory, then model.db (what the ACS configured)
// and session.db (events, session and transfer state).
bool openStores(const std::string& dir, std::unique_ptr<core::StoreLock>& lock, core::Store& modelStore,
                core::Store& sessionStore) {
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
      CWMPD_LOG(Error, kLog, "main loop: a handler failed with a non-standard exception, continuing");
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  tuneMalloc();
  std::string configPath, levelOverride;
  bool checkOnly = false, syslogFlag = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "cwmpd: " << name << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      usage(std::cout);
      return 0;
    } else if (a == "-V" || a == "--version") {
      std::cout << "cwmpd " << CWMPD_VERSION << " (plugin SDK ABI " << sdk::kAbiVersion << ")\n";
      return 0;
    } else if (a == "-c" || a == "--config") {
      configPath = value("--config");
    } else if (a.rfind("--config=", 0) == 0) {
      configPath = a.substr(9);
    } else if (a == "-l" || a == "--log-level") {
      levelOverride = value("--log-level");
    } else if (a == "--syslog") {
      syslogFlag = true;
    } else if (a == "--check-config") {
      checkOnly = true;
    } else if (a == "--foreground" || a == "-f") {
      // Always in the foreground; accepted for init systems that pass it.
    } else {
      std::cerr << "cwmpd: unknown option '" << a << "'\n";
      usage(std::cerr);
      return 2;
    }
  }
  if (configPath.empty()) {
    std::cerr << "cwmpd: --config FILE is required\n";
    usage(std::cerr);
    return 2;
  }

  // 1. Configuration.
  core::Config config;
  Settings settings;
  try {
    config = core::Config::load(configPath);
    settings = readSettings(config);
  } catch (const core::ConfigError& e) {
    std::cerr << "cwmpd: " << e.what() << "\n";
    return 2;
  }
  if (!levelOverride.empty() && !core::parseLogLevel(levelOverride, settings.level)) {
    std::cerr << "cwmpd: unknown log level '" << levelOverride << "'\n";
    return 2;
  }
  if (checkOnly) {
    for (const auto& w : settings.warnings) std::cerr << "cwmpd: warning: " << w << "\n";
    std::cout << "cwmpd: " << configPath << ": configuration is valid\n";
    return 0;
  }
  core::Log::setLevel(settings.level);
  core::Log::useSyslog(settings.syslog || syslogFlag);
  CWMPD_LOG(Info, kLog, "cwmpd " << CWMPD_VERSION << " starting, root " << settings.root);
  for (const auto& w : settings.warnings) CWMPD_LOG(Warning, kLog, w);

  // 2. Store.
  std::error_code ec;
  fs::create_directories(settings.storeDir, ec);
  if (ec) {
    CWMPD_LOG(Error, kLog, "cannot create store directory " << settings.storeDir << ": " << ec.message());
    return 1;
  }
  ::chmod(settings.storeDir.c_str(), 0700);  // the store holds secrets
  core::Store modelStore(settings.storeDir + "/model.db");
  core::Store sessionStore(settings.storeDir + "/session.db");
  std::unique_ptr<core::StoreLock> storeLock;
  if (!openStores(settings.storeDir, storeLock, modelStore, sessionStore)) return 1;

  boost::asio::io_context io;
  bool reexec = false;
  const std::shared_ptr<core::Clock> clock = daemon::makeDaemonClock(io);
  settings.session.clock = clock;
  settings.notifications.clock = clock;
  settings.transfers.clock = clock;

  // 3. HAL. Disruptive actions end the main loop; the sim backend "reboots" by
  //    re-executing the daemon in place so tests see a real restart.
  settings.hal.hooks.reboot = [&] {
    boost::asio::post(io, [&] {
      reexec = settings.hal.backend == "sim";
      io.stop();
    });
  };
  settings.hal.hooks.factoryReset = settings.hal.hooks.reboot;
  settings.hal.hooks.firmwareApplied = [&](const std::string&) { settings.hal.hooks.reboot(); };
  std::unique_ptr<hal::Hal> hal;
  try {
    hal = hal::makeHal(settings.hal);
  } catch (const std::exception& e) {
    CWMPD_LOG(Error, kLog, "HAL: " << e.what());
    return 1;
  }

  // 4. Data model and plugins.
  auto engine = std::make_unique<core::Engine>(settings.root, modelStore);
  core::SessionEngine* sessionPtr = nullptr;
  auto plugins = std::make_unique<core::PluginHost>(
      *engine, config, *hal,
      core::PluginHostServices{[&io](std::function<void()> f) { boost::asio::post(io, std::move(f)); },
                               [&sessionPtr](const std::string& code, const std::string& key) {
                                 if (sessionPtr) sessionPtr->raiseEvent(code, key);
                               },
                               &io});
  std::size_t loaded = plugins->loadDirectory(settings.pluginDir, settings.enable);
  if (loaded == 0) {
    // Nothing to manage: running would only answer the ACS with an empty model.
    CWMPD_LOG(Error, kLog, "no plugin loaded from " << settings.pluginDir << "; refusing to run without a data model");
    return 1;
  }
  try {
    engine->finalize();
  } catch (const std::exception& e) {
    CWMPD_LOG(Error, kLog, "data model: " << e.what());
    return 1;
  }
  plugins->startAll();

  // 5. Session engine (ACS side) and connection requests.
  core::net::initHttpClient();
  auto session = std::make_unique<core::SessionEngine>(
      io, *engine, sessionStore, std::make_unique<core::net::CurlAcsTransport>(), settings.session,
      core::SessionHooks{[&] { hal->system().reboot(); }, [&] { hal->system().factoryReset(); }});
  sessionPtr = session.get();
  session->setPluginNames(plugins->names());
  session->addSessionListener([](bool started) {
    if (!started) releaseFreedMemory();
  });
  core::NotificationTracker notifications(io, *engine, sessionStore, settings.notifications);
  session->setNotificationTracker(&notifications);

  // 6. D-Bus.
  bus::BusOptions busOptions;
  busOptions.address = settings.busAddress;
  busOptions.log = [](bus::LogLevel l, const std::string& m) {
    sdk::LogLevel level = l == bus::LogLevel::Error     ? sdk::LogLevel::Error
                          : l == bus::LogLevel::Warning ? sdk::LogLevel::Warning
                          : l == bus::LogLevel::Info    ? sdk::LogLevel::Info
                                                        : sdk::LogLevel::Debug;
    core::Log::write(level, "bus", m);
  };
  auto dbus = std::make_unique<bus::DbusService>(io, *engine, *session, busOptions);
  dbus->start();

  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& e, int sig) {
    if (e) return;
    CWMPD_LOG(Info, kLog, "signal " << sig << ": stopping");
    io.stop();
  });
  // 5b. File transfers: their RPCs, queue and TransferComplete reports.
  core::TransferHooks transferHooks;
  transferHooks.applyFirmware = [&](const std::string& path) { hal->system().applyFirmware(path); };
  transferHooks.reboot = [&] { hal->system().reboot(); };
  transferHooks.exportConfiguration = [&] { return engine->vendorConfiguration().exportConfiguration(); };
  transferHooks.importConfiguration = [&](const std::string& text) { engine->vendorConfiguration().importConfiguration(text); };
  transferHooks.autonomousPolicy = [&](const core::soap::AutonomousTransferComplete&) {
    const std::string p = settings.root + ".ManagementServer.AutonomousTransferCompletePolicy.Enable";
    return !engine->exists(p) || engine->rawValue(p) == "true";
  };
  auto transfers = std::make_unique<core::TransferManager>(io, sessionStore, settings.transfers, transferHooks);
  transfers->attach(*session);
  transfers->attachModel(*engine);
  // Vendor file types the plugins declared (Registrar::fileType); checked at registration.
  for (const auto& type : plugins->fileTypes()) {
    transfers->registerFileType(type.type, type.handler);
    CWMPD_LOG(Info, kLog, "file type '" << type.type << "' handled by plugin " << type.plugin);
  }
  transfers->start();
  session->start();
  notifications.start([&] { session->raiseEvent("4 VALUE CHANGE", ""); });
  CWMPD_LOG(Notice, kLog, "ready: " << loaded << " plugins, bus " << settings.busAddress
                                    << ", connection requests on port " << session->connectionRequestPort());

  runMainLoop(io);

  // Orderly shutdown: the session first (it may still need the loop), then the bus, the
  // plugins, and the model before the plugin libraries that hold its handlers' code.
  signals.cancel();
  notifications.stop();
  transfers->stop();
  if (!session->stop()) {
    // A session is blocked on a slow ACS and its worker still uses the loop and the
    // engine: end here rather than destroy them under it. The stores are committed on
    // every change, so nothing is lost; the interrupted session's events are still
    // queued and go in the next Inform.
    CWMPD_LOG(Notice, kLog, (reexec ? "restarting (simulated reboot)" : "stopped") << " without waiting for the ACS");
    if (reexec) reexecSelf(argv);
    std::_Exit(reexec ? 1 : 0);
  }
  dbus.reset();
  transfers.reset();
  session.reset();
  plugins->stopAll();
  engine.reset();
  plugins.reset();
  hal.reset();
  if (reexec) {
    CWMPD_LOG(Notice, kLog, "restarting (simulated reboot)");
    reexecSelf(argv);
    return 1;
  }
  CWMPD_LOG(Info, kLog, "stopped");
  return 0;
}
