#include "cwmpd/bus/dbus_service.hpp"

#include <sdbus-c++/sdbus-c++.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>

#include "agent_adaptor.hpp"
#include "asio_bus_loop.hpp"
#include "cwmpd/bus/connection.hpp"
#include "cwmpd/bus/names.hpp"
#include "cwmpd/core/remote_subtree.hpp"
#include "data_model_adaptor.hpp"
#include "provider_registry.hpp"

namespace cwmpd::bus {

namespace {

const char* levelName(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warning: return "warning";
    case LogLevel::Error: return "error";
  }
  return "info";
}

Logger defaultLogger() {
  return [](LogLevel level, const std::string& message) {
    std::cerr << "cwmpd[bus] " << levelName(level) << ": " << message << '\n';
  };
}

}  // namespace

class DbusService::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(boost::asio::io_context& io, core::DataModel& model, core::AgentControl& agent,
       const BusOptions& options)
      : io_(io),
        model_(model),
        agent_(agent),
        options_(options),
        log_(options.log ? options.log : defaultLogger()),
        retryTimer_(io),
        retryDelay_(options.retryInitial) {}

  ~Impl() { stopNoThrow(); }

  bool start() {
    if (disabled()) {
      log_(LogLevel::Info, "D-Bus service disabled (address none)");
      return true;
    }
    stopped_ = false;
    addListenersOnce();
    if (connected()) return true;
    return connect();
  }

  void stop() {
    stopped_ = true;
    retryTimer_.cancel();
    teardown();
  }

  // For the destructors: sd-bus reports a failure to release the name or the objects as
  // an exception, which must not leave a destructor (std::terminate). The daemon is
  // leaving the bus anyway: logged, and the shutdown goes on.
  void stopNoThrow() noexcept {
    try {
      stop();
    } catch (const std::exception& e) {
      logNoThrow(std::string("leaving D-Bus failed: ") + e.what());
    } catch (...) {
      logNoThrow("leaving D-Bus failed: unknown exception");
    }
  }

  [[nodiscard]] bool connected() const noexcept { return connection_ != nullptr; }
  [[nodiscard]] bool disabled() const noexcept { return options_.address == "none"; }

 private:
  // DataModel and AgentControl have no way to remove a listener, and they may outlive this
  // service: the listeners hold a weak reference and go quiet once it is gone.
  void addListenersOnce() {
    if (listenersAdded_) return;
    listenersAdded_ = true;
    std::weak_ptr<Impl> weak = shared_from_this();
    model_.addChangeListener(
        [weak](const std::vector<core::CommittedChange>& changes, sdk::Source) {
          if (auto self = weak.lock()) self->onChanges(changes);
        });
    agent_.addSessionListener([weak](bool started) {
      if (auto self = weak.lock()) self->onSession(started);
    });
  }

  bool connect() {
    try {
      auto connection = openBusConnection(options_.address);
      auto wake = [this] {
        if (loop_) loop_->wake();
      };
      auto dataModel = std::make_unique<DataModelAdaptor>(*connection, io_, model_, log_, wake);
      auto agent = std::make_unique<AgentAdaptor>(*connection, agent_, log_, options_.reboot);
      std::unique_ptr<ProviderRegistry> registry;
      if (options_.providers) {
        registry = std::make_unique<ProviderRegistry>(*connection, io_, *options_.providers,
                                                      options_.providerTimeout, log_, wake);
        dataModel->remote([r = registry.get()] { return r->any(); });
      }
      // The objects exist before the name appears, so a client that waits for the name
      // never finds a half-published service.
      connection->requestName(kServiceName);
      connection_ = std::move(connection);
      dataModel_ = std::move(dataModel);
      agentObject_ = std::move(agent);
      registry_ = std::move(registry);
    } catch (const std::exception& e) {
      teardown();
      log_(LogLevel::Warning, "cannot publish " + std::string(kServiceName) + " on D-Bus (" +
                                  options_.address + "): " + e.what() + "; retrying in " +
                                  describe(retryDelay_));
      scheduleRetry();
      return false;
    }
    std::weak_ptr<Impl> weak = shared_from_this();
    loop_ = std::make_unique<AsioBusLoop>(io_, *connection_, [weak](const std::string& reason) {
      if (auto self = weak.lock()) self->onConnectionLost(reason);
    });
    loop_->start();
    log_(LogLevel::Info,
         std::string("published ") + kServiceName + " on D-Bus (" + options_.address + ")");
    retryDelay_ = options_.retryInitial;
    if (options_.published) options_.published();
    return true;
  }

  void onConnectionLost(const std::string& reason) {
    teardown();
    if (stopped_) return;
    log_(LogLevel::Warning, "lost the D-Bus connection (" + reason +
                                "); the agent keeps running, reconnecting in " +
                                describe(retryDelay_));
    scheduleRetry();
  }

  void scheduleRetry() {
    if (stopped_) return;
    retryTimer_.expires_after(retryDelay_);
    retryDelay_ = std::min(retryDelay_ * 2, options_.retryMax);
    std::weak_ptr<Impl> weak = shared_from_this();
    retryTimer_.async_wait([weak](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto self = weak.lock(); self && !self->stopped_ && !self->connected()) self->connect();
    });
  }

  void logNoThrow(const std::string& message) noexcept {
    try {
      log_(LogLevel::Error, message);
    } catch (...) {
      std::cerr << "cwmpd[bus] error: " << message << '\n';
    }
  }

  // Order matters: stop watching the fd, then drop the objects, then the connection that
  // owns the fd and that the objects are registered on.
  void teardown() {
    loop_.reset();
    if (dataModel_) dataModel_->remote({});  // it asked the registry
    registry_.reset();
    dataModel_.reset();
    agentObject_.reset();
    connection_.reset();
  }

  void onChanges(const std::vector<core::CommittedChange>& changes) {
    if (!dataModel_ || changes.empty()) return;
    if (!deferring()) {
      emit([&] { dataModel_->emitChanges(changes); });
      return;
    }
    defer([changes = std::make_shared<const PackedChanges>(changes)](Impl& self) {
      if (self.dataModel_) self.emit([&] { self.dataModel_->emitChanges(*changes); });
    });
  }

  void onSession(bool started) {
    if (!agentObject_) return;
    auto send = [started](Impl& self) {
      if (!self.agentObject_) return;
      self.emit([&] {
        if (started) {
          self.agentObject_->emitSessionStarted();
        } else {
          self.agentObject_->emitSessionEnded();
        }
      });
    };
    if (deferring()) {
      defer(send);
    } else {
      send(*this);
    }
  }

  // Signals of changes made on a thread the model is lent to (an ACS session's requests,
  // D-Bus calls served by lent workers) are written and sent by the loop once the model is
  // handed back, while that thread goes on answering its request (issue 15: the
  // ValueChanged of a set of 10,000 values was 23 M instructions before the set's answer).
  // While any waits, the loop's own signals wait behind it: the signals keep the order of
  // the changes, and a lent D-Bus call's reply (posted after its work) still follows them.
  bool deferring() {
    if (core::ModelLoan::lent()) return true;
    const std::lock_guard<std::mutex> lock(deferredMutex_);
    return !deferred_.empty();
  }

  void defer(std::function<void(Impl&)> send) {
    bool first = false;
    {
      const std::lock_guard<std::mutex> lock(deferredMutex_);
      first = deferred_.empty();
      deferred_.push_back(std::move(send));
    }
    if (!first) return;  // the drain already posted sends it
    std::weak_ptr<Impl> weak = shared_from_this();
    boost::asio::post(io_, [weak] {
      if (auto self = weak.lock()) self->sendDeferred();
    });
  }

  // On the loop: sends the deferred signals in order. Each leaves the queue once sent, so
  // that a signal of the loop's own made meanwhile still queues behind the rest.
  void sendDeferred() {
    for (;;) {
      std::function<void(Impl&)> send;
      {
        const std::lock_guard<std::mutex> lock(deferredMutex_);
        if (deferred_.empty()) return;
        send = deferred_.front();
      }
      send(*this);
      const std::lock_guard<std::mutex> lock(deferredMutex_);
      deferred_.pop_front();
    }
  }

  // Signals are best effort: a failure means the connection is going away, which the loop
  // finds out and handles on its next round.
  template <typename Emit>
  void emit(Emit&& doEmit) {
    try {
      doEmit();
    } catch (const std::exception& e) {
      log_(LogLevel::Debug, std::string("signal not sent: ") + e.what());
    }
    if (loop_) loop_->wake();
  }

  static std::string describe(std::chrono::milliseconds delay) {
    if (delay.count() % 1000 == 0) return std::to_string(delay.count() / 1000) + " s";
    return std::to_string(delay.count()) + " ms";
  }

  boost::asio::io_context& io_;
  core::DataModel& model_;
  core::AgentControl& agent_;
  BusOptions options_;
  Logger log_;
  boost::asio::steady_timer retryTimer_;
  std::chrono::milliseconds retryDelay_;
  bool listenersAdded_ = false;
  bool stopped_ = false;

  std::unique_ptr<sdbus::IConnection> connection_;
  std::unique_ptr<DataModelAdaptor> dataModel_;
  std::unique_ptr<AgentAdaptor> agentObject_;
  std::unique_ptr<ProviderRegistry> registry_;
  std::unique_ptr<AsioBusLoop> loop_;
  std::mutex deferredMutex_;
  std::deque<std::function<void(Impl&)>> deferred_;  // signals the loop sends next, in order
};

DbusService::DbusService(boost::asio::io_context& io, core::DataModel& model,
                         core::AgentControl& agent, const BusOptions& options)
    : impl_(std::make_shared<Impl>(io, model, agent, options)) {}

DbusService::~DbusService() { impl_->stopNoThrow(); }

bool DbusService::start() { return impl_->start(); }
void DbusService::stop() { impl_->stop(); }
bool DbusService::connected() const noexcept { return impl_->connected(); }
bool DbusService::disabled() const noexcept { return impl_->disabled(); }

}  // namespace cwmpd::bus
