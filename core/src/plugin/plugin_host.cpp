#include "cwmpd/core/plugin_host.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/dll/shared_library.hpp>
#include <filesystem>
#include <deque>
#include <map>
#include <mutex>

#include "cwmpd/core/log.hpp"
#include "cwmpd/core/transfer_manager.hpp"
#include "plugin/firewall.hpp"

namespace cwmpd::core {

namespace fs = std::filesystem;

struct PluginHost::Loaded {
  // Declaration order matters: the plugin object (and the host adapter it may keep)
  // must die before the library that holds its code is unmapped.
  boost::dll::shared_library library;
  std::string file;
  std::string name;
  std::string version;
  std::unique_ptr<HostAdapter> host;
  std::unique_ptr<sdk::Plugin> plugin;
  bool started = false;
};

class PluginHost::HostAdapter : public sdk::Host {
 public:
  HostAdapter(PluginHost& owner, std::string name) : owner_(owner), name_(std::move(name)) {}
  ~HostAdapter() override { shutDown(); }
  HostAdapter(const HostAdapter&) = delete;
  HostAdapter& operator=(const HostAdapter&) = delete;
  std::string_view root() const override { return owner_.engine_.root(); }
  std::string config(std::string_view section, std::string_view key,
                     std::string_view fallback) const override {
    return owner_.config_.get(section, key, fallback);
  }
  hal::Hal& hal() override { return owner_.hal_; }
  std::uint32_t ensureInstance(std::string_view table, std::string_view key) override {
    return owner_.engine_.ensureInstance(table, key);
  }
  void removeInstance(std::string_view path) override { owner_.engine_.removeInstance(path); }
  void valueChanged(std::string_view path) override { owner_.engine_.pluginValueChanged(path); }
  void setInitial(std::string_view path, std::string_view value) override {
    owner_.engine_.setInitial(path, value);
  }
  void update(std::string_view path, std::string_view value) override {
    owner_.engine_.setInternal(path, value, false, sdk::Source::Plugin);
  }
  void raiseEvent(std::string_view code, std::string_view commandKey) override {
    const std::string c(code);
    if (c.compare(0, 2, "X ") == 0 && !owner_.engine_.vendorEvents().count(c))
      throw sdk::Fault(sdk::FaultCode::InvalidArguments,
                       "vendor event '" + c + "' was not declared");
    if (owner_.services_.raiseEvent)
      owner_.services_.raiseEvent(c, std::string(commandKey));
    else
      CWMPD_LOG(Warning, "plugin " + name_,
                "event " << c << " raised before the session engine runs");
  }
  std::string value(std::string_view path) override { return owner_.engine_.rawValue(path); }
  // Thread-safe. The work waits in the plugin's mailbox, not in the loop's queue: when the
  // plugin stops, what has not run is destroyed at once, while the plugin's code (that of
  // the work's captures too) is still loaded. The loop gets a token that runs one item.
  void post(std::function<void()> work) override {
    if (!owner_.services_.post || !work) return;
    {
      std::lock_guard lock(mailbox_->mutex);
      if (!mailbox_->open) return;
      mailbox_->work.push_back(std::move(work));
    }
    owner_.services_.post([this, box = mailbox_] {
      std::function<void()> next;
      {
        std::lock_guard lock(box->mutex);
        if (!box->open || box->work.empty()) return;
        next = std::move(box->work.front());
        box->work.pop_front();
      }
      firewall().run(name_, "posted work", next);
    });
  }
  sdk::TimerId startTimer(std::chrono::milliseconds delay, std::function<void()> work) override {
    return addTimer(delay, std::chrono::milliseconds(0), std::move(work));
  }
  sdk::TimerId startPeriodicTimer(std::chrono::milliseconds interval,
                                  std::function<void()> work) override {
    if (interval.count() <= 0)
      throw std::invalid_argument("a periodic timer needs a positive interval");
    return addTimer(interval, interval, std::move(work));
  }
  void cancelTimer(sdk::TimerId id) override { timers_.erase(id); }
  std::string stateDir() override {
    if (owner_.stateRoot_.empty()) return {};
    std::string dir = owner_.stateRoot_ + "/" + name_;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
      // The plugin then keeps its state in memory only; a restart forgets it.
      CWMPD_LOG(Warning, "plugin " + name_, "cannot create " << dir << ": " << ec.message());
      return {};
    }
    return dir;
  }
  void log(sdk::LogLevel level, std::string_view message) override {
    Log::write(level, "plugin " + name_, message);
  }

  // The plugin stopped (or is disabled): its timers end and its queued work is dropped.
  void shutDown() {
    alive_ = false;
    timers_.clear();
    std::deque<std::function<void()>> dropped;
    {
      std::lock_guard lock(mailbox_->mutex);
      mailbox_->open = false;
      dropped.swap(mailbox_->work);
    }
  }

 private:
  struct Mailbox {
    std::mutex mutex;
    std::deque<std::function<void()>> work;
    bool open = true;
  };

  struct Timer {
    std::unique_ptr<core::Timer> timer;
    std::chrono::milliseconds interval{0};  // 0: one-shot
    std::chrono::steady_clock::time_point due;
    std::function<void()> work;
  };

  PluginFirewall& firewall() { return owner_.engine_.firewall(); }

  sdk::TimerId addTimer(std::chrono::milliseconds delay, std::chrono::milliseconds interval,
                        std::function<void()> work) {
    if (!owner_.clock_) throw std::logic_error("this host runs no timers");
    if (!work) throw std::invalid_argument("a timer without work");
    const sdk::TimerId id = ++nextTimer_;
    auto t = std::make_shared<Timer>();
    t->timer = owner_.clock_->timer();
    t->interval = interval;
    t->work = std::move(work);
    delay = std::max(delay, std::chrono::milliseconds(0));
    t->due = owner_.clock_->steadyNow() + delay;
    timers_[id] = t;
    arm(id, *t, delay);
    return id;
  }

  // The timer owns its wait (cancelled when the timer dies), and the wait holds the timer
  // weakly: cancelling (erasing it) destroys the work at once, while the plugin's code is
  // still loaded.
  void arm(sdk::TimerId id, Timer& t, std::chrono::nanoseconds delay) {
    t.timer->start(delay, [this, id] {
      auto found = timers_.find(id);
      if (found == timers_.end() || !alive_) return;
      const std::shared_ptr<Timer> timer = found->second;  // the work may cancel it
      if (timer->interval.count() == 0) timers_.erase(id);
      const bool ok = firewall().run(name_, "timer", timer->work);
      if (!ok && firewall().disabled(name_)) {
        shutDown();
        return;
      }
      if (timer->interval.count() == 0 || !timers_.count(id)) return;
      // Fixed rate without catching up: the next run one interval after this one was due,
      // or one interval from now when the work ran late.
      const auto now = owner_.clock_->steadyNow();
      timer->due += timer->interval;
      if (timer->due <= now) timer->due = now + timer->interval;
      arm(id, *timer, timer->due - now);
    });
  }

  PluginHost& owner_;
  std::string name_;
  bool alive_ = true;  // false once the plugin stopped or was disabled
  std::shared_ptr<Mailbox> mailbox_ = std::make_shared<Mailbox>();
  sdk::TimerId nextTimer_ = 0;
  std::map<sdk::TimerId, std::shared_ptr<Timer>> timers_;
};

namespace {

// An execution environment as the core sees it: every call through the firewall with
// its plugin's name, and the plugin's completions and events likewise.
class GuardedExecEnv final : public sdk::ExecutionEnvironment {
 public:
  GuardedExecEnv(std::shared_ptr<sdk::ExecutionEnvironment> inner, std::string plugin,
                 PluginFirewall& firewall)
      : inner_(std::move(inner)), plugin_(std::move(plugin)), firewall_(firewall) {}
  sdk::ExecEnvInfo info() const override {
    return firewall_.call(plugin_, "execution environment info", [&] { return inner_->info(); });
  }
  void bind(sdk::ExecEnvEvents& events) override {
    firewall_.call(plugin_, "execution environment bind", [&] { inner_->bind(events); });
  }
  std::vector<sdk::DeploymentUnitInfo> list() override {
    return firewall_.call(plugin_, "execution environment list", [&] { return inner_->list(); });
  }
  void install(const sdk::DuInstall& r, sdk::DuDone done) override {
    firewall_.call(plugin_, "install", [&] { inner_->install(r, std::move(done)); });
  }
  void update(const sdk::DuUpdate& r, sdk::DuDone done) override {
    firewall_.call(plugin_, "update", [&] { inner_->update(r, std::move(done)); });
  }
  void uninstall(const sdk::DuUninstall& r, sdk::DuDone done) override {
    firewall_.call(plugin_, "uninstall", [&] { inner_->uninstall(r, std::move(done)); });
  }
  void start(std::string_view euid) override {
    firewall_.call(plugin_, "start", [&] { inner_->start(euid); });
  }
  void stop(std::string_view euid) override {
    firewall_.call(plugin_, "stop", [&] { inner_->stop(euid); });
  }

 private:
  std::shared_ptr<sdk::ExecutionEnvironment> inner_;
  std::string plugin_;
  PluginFirewall& firewall_;
};

}  // namespace

// What a plugin sees while it registers: the engine's registrar for the data model, plus
// the registrations the host keeps itself (vendor file types). File types are taken over
// only when the whole registration succeeded.
class PluginHost::RegistrarAdapter : public sdk::Registrar {
 public:
  RegistrarAdapter(PluginHost& owner, sdk::Registrar& model, std::string plugin)
      : owner_(owner), model_(model), plugin_(std::move(plugin)) {}
  sdk::Host& host() override { return model_.host(); }
  void definitions(std::string_view xml) override { model_.definitions(xml); }
  sdk::ObjectBinding& object(std::string_view pattern) override { return model_.object(pattern); }
  void vendorEvent(std::string_view code) override { model_.vendorEvent(code); }
  void onFlush(std::function<void()> flush) override { model_.onFlush(std::move(flush)); }
  void fileType(std::string_view type, sdk::FileTypeHandler handler) override {
    const std::string t(type);
    checkVendorFileType(t);
    if (!handler) throw std::invalid_argument("file type '" + t + "' without a handler");
    for (const auto& known : owner_.fileTypes_)
      if (known.type == t)
        throw std::invalid_argument("file type '" + t + "' is already handled by plugin " +
                                    known.plugin);
    for (const auto& mine : pending_)
      if (mine.type == t) throw std::invalid_argument("file type '" + t + "' declared twice");
    // Only sdk::Fault leaves the firewall: the transfer manager reports it.
    auto guarded = [h = std::move(handler), plugin = plugin_,
                    &firewall = owner_.engine_.firewall()](const sdk::DownloadedFile& f) {
      firewall.call(plugin, "file type handler", [&] { h(f); });
    };
    pending_.push_back({t, plugin_, std::move(guarded)});
  }
  void executionEnvironment(std::shared_ptr<sdk::ExecutionEnvironment> environment) override {
    if (!environment) throw std::invalid_argument("no execution environment");
    const std::string name = environment->info().name;
    if (name.empty()) throw std::invalid_argument("an execution environment without a name");
    auto taken = [&](const std::vector<ExecEnv>& list) {
      return std::any_of(list.begin(), list.end(),
                         [&](const ExecEnv& e) { return e.environment->info().name == name; });
    };
    if (taken(owner_.execEnvs_) || taken(pendingEnvs_))
      throw std::invalid_argument("execution environment '" + name + "' is already declared");
    pendingEnvs_.push_back(
        {plugin_, std::make_shared<GuardedExecEnv>(std::move(environment), plugin_,
                                                   owner_.engine_.firewall())});
  }
  void commit() {
    for (auto& f : pending_) owner_.fileTypes_.push_back(std::move(f));
    pending_.clear();
    for (auto& e : pendingEnvs_) owner_.execEnvs_.push_back(std::move(e));
    pendingEnvs_.clear();
  }

 private:
  PluginHost& owner_;
  sdk::Registrar& model_;
  std::string plugin_;
  std::vector<FileType> pending_;
  std::vector<ExecEnv> pendingEnvs_;
};

PluginHost::PluginHost(PluginModel& engine, const Config& config, hal::Hal& hal,
                       PluginHostServices services)
    : engine_(engine),
      config_(config),
      hal_(hal),
      services_(std::move(services)),
      clock_(services_.clock  ? services_.clock
             : services_.loop ? makeLoopClock(*services_.loop)
                              : nullptr) {
  // The firewall counts failures on the same time as the plugins' timers run.
  if (clock_) engine_.firewall().setClock(clock_);
}

PluginHost::~PluginHost() { stopAll(); }

void PluginHost::setEventSink(std::function<void(const std::string&, const std::string&)> sink) {
  services_.raiseEvent = std::move(sink);
}

std::size_t PluginHost::loadDirectory(const std::string& dir,
                                      const std::vector<std::string>& enable) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".so") files.push_back(e.path());
  if (ec) {
    CWMPD_LOG(Error, "plugins", "cannot read plugin directory " << dir << ": " << ec.message());
    return 0;
  }
  std::sort(files.begin(), files.end());
  for (const auto& want : enable) {
    bool found = false;
    for (const auto& f : files) found = found || f.stem() == want;
    if (!found) CWMPD_LOG(Error, "plugins", "enabled plugin '" << want << "' not found in " << dir);
  }
  std::size_t n = 0;
  for (const auto& f : files) {
    if (!enable.empty() &&
        std::find(enable.begin(), enable.end(), f.stem().string()) == enable.end())
      continue;
    n += loadFile(f.string()) ? 1 : 0;
  }
  return n;
}

std::vector<ConfigKeySpec> PluginHost::declaredConfigKeys(const std::string& dir) {
  std::vector<ConfigKeySpec> keys;
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".so") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    try {
      boost::dll::shared_library library(
          file.string(), boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
      // The same gate as loadFile(): no call into code built for another ABI or toolchain.
      if (!library.has("cwmpd_plugin_abi_version") || !library.has("cwmpd_plugin_info") ||
          !library.has("cwmpd_plugin_config_keys"))
        continue;
      if (library.get_alias<std::uint32_t()>("cwmpd_plugin_abi_version")() != sdk::kAbiVersion)
        continue;
      const sdk::PluginInfo& info =
          library.get_alias<const sdk::PluginInfo&()>("cwmpd_plugin_info")();
      if (!info.name || !info.toolchain || std::string(info.toolchain) != sdk::kToolchain) continue;
      const sdk::ConfigKeys& declared =
          library.get_alias<const sdk::ConfigKeys&()>("cwmpd_plugin_config_keys")();
      for (std::size_t i = 0; i < declared.count; ++i) {
        const sdk::ConfigKey& k = declared.keys[i];
        if (k.section && k.key)
          keys.push_back({k.section, k.key, k.type, std::string("plugin ") + info.name});
      }
    } catch (const std::exception& e) {
      // loadFile() reports it when the plugin is enabled.
      CWMPD_LOG(Debug, "plugins",
                "no config keys from " << file.filename().string() << ": " << e.what());
    } catch (...) {
      CWMPD_LOG(Debug, "plugins", "no config keys from " << file.filename().string());
    }
  }
  return keys;
}

bool PluginHost::loadFile(const std::string& path) {
  const std::string file = fs::path(path).filename().string();
  auto fail = [&](const std::string& why) {
    lastError_ = file + ": " + why;
    CWMPD_LOG(Error, "plugins", "skipping plugin " << lastError_);
    return false;
  };
  auto loaded = std::make_unique<Loaded>();
  loaded->file = file;
  try {
    loaded->library.load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    return fail(std::string("cannot load: ") + e.what());
  }
  for (const char* sym : {"cwmpd_plugin_abi_version", "cwmpd_plugin_info", "cwmpd_plugin_create"})
    if (!loaded->library.has(sym))
      return fail(std::string("missing symbol ") + sym + " (not a cwmpd plugin?)");
  try {
    std::uint32_t abi = loaded->library.get_alias<std::uint32_t()>("cwmpd_plugin_abi_version")();
    if (abi != sdk::kAbiVersion)
      return fail("built for SDK ABI " + std::to_string(abi) + ", this cwmpd has ABI " +
                  std::to_string(sdk::kAbiVersion) + "; rebuild the plugin");
    const sdk::PluginInfo& info =
        loaded->library.get_alias<const sdk::PluginInfo&()>("cwmpd_plugin_info")();
    if (!info.name || !*info.name) return fail("plugin has no name");
    if (std::string(info.toolchain ? info.toolchain : "") != sdk::kToolchain)
      return fail(std::string("built with toolchain '") + (info.toolchain ? info.toolchain : "?") +
                  "', cwmpd uses '" + sdk::kToolchain + "'");
    loaded->name = info.name;
    loaded->version = info.version ? info.version : "";
    for (const auto& p : plugins_)
      if (p->name == loaded->name)
        return fail("a plugin named '" + loaded->name + "' is already loaded");
    loaded->plugin =
        loaded->library.get_alias<std::unique_ptr<sdk::Plugin>()>("cwmpd_plugin_create")();
    if (!loaded->plugin) return fail("factory returned no plugin");
  } catch (const std::exception& e) {
    return fail(std::string("initialisation failed: ") + e.what());
  } catch (...) {
    return fail("initialisation failed");
  }
  return registerPlugin(std::move(loaded));
}

bool PluginHost::addBuiltin(std::unique_ptr<sdk::Plugin> plugin, const std::string& name) {
  auto loaded = std::make_unique<Loaded>();
  loaded->file = "(built-in)";
  loaded->name = name;
  loaded->plugin = std::move(plugin);
  return registerPlugin(std::move(loaded));
}

bool PluginHost::registerPlugin(std::unique_ptr<Loaded> loaded) {
  loaded->host = std::make_unique<HostAdapter>(*this, loaded->name);
  RegistrarAdapter reg(*this, engine_.beginRegistration(loaded->name, *loaded->host), loaded->name);
  std::string why;
  try {
    engine_.firewall().call(loaded->name, "registerModel",
                            [&] { loaded->plugin->registerModel(reg); });
  } catch (const std::exception& e) {
    why = e.what();
  }
  if (!why.empty()) {
    engine_.endRegistration(false);
    loaded->plugin.reset();
    lastError_ = loaded->file + ": registration failed: " + why;
    CWMPD_LOG(Error, "plugins", "skipping plugin " << lastError_);
    return false;
  }
  engine_.endRegistration(true);
  reg.commit();
  CWMPD_LOG(Info, "plugins",
            "loaded " << loaded->name << " " << loaded->version << " (" << loaded->file << ")");
  plugins_.push_back(std::move(loaded));
  return true;
}

void PluginHost::startAll() {
  engine_.holdCommits(true);
  struct Release {
    PluginModel& e;
    ~Release() {
      try {
        e.holdCommits(false);
      } catch (const std::exception& ex) {
        CWMPD_LOG(Error, "plugins", "cannot persist what plugins created at start: " << ex.what());
      }
    }
  } release{engine_};
  auto& firewall = engine_.firewall();
  for (auto& p : plugins_) {
    if (p->started || firewall.disabled(p->name)) continue;
    if (firewall.run(p->name, "start", [&] { p->plugin->start(*p->host); })) {
      p->started = true;
      continue;
    }
    // Half started: nothing of it can be trusted to answer. Its stop() still runs at
    // the end, so that what it did start is released.
    firewall.disable(p->name, "start failed");
    p->host->shutDown();
    p->started = true;
  }
}

void PluginHost::stopAll() {
  for (auto it = plugins_.rbegin(); it != plugins_.rend(); ++it) {
    auto& p = *it;
    if (!p->started) continue;
    p->started = false;
    p->host->shutDown();
    engine_.firewall().release(p->name, "stop", [&] { p->plugin->stop(); });
  }
}

std::vector<std::string> PluginHost::names() const {
  std::vector<std::string> out;
  for (const auto& p : plugins_) out.push_back(p->name + " " + p->version);
  return out;
}

}  // namespace cwmpd::core
