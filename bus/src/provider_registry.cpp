#include "provider_registry.hpp"

#include <optional>
#include <set>

#include "cwmpd/bus/fault_code.hpp"
#include "cwmpd/bus/fault_names.hpp"
#include "cwmpd/bus/names.hpp"
#include "cwmpd/sdk/fault.hpp"
#include "fault_translation.hpp"

namespace cwmpd::bus {

namespace {

constexpr const char* kProviderInterface = "org.cwmpd.Provider1";
using Pair = sdbus::Struct<std::string, std::string>;

std::vector<Pair> toPairs(const core::NameValues& values) {
  std::vector<Pair> out;
  out.reserve(values.size());
  for (const auto& [n, v] : values) out.emplace_back(n, v);
  return out;
}

// The calls into one provider, with the timeout. Its answer as the core wants it: a
// value, or sdk::Fault (the provider's own org.cwmpd.Fault.* refusal keeps its code;
// anything else, a timeout or a provider gone, is 9002).
class RemoteProvider final : public core::RemoteParticipant {
 public:
  RemoteProvider(sdbus::IConnection& connection, const std::string& sender,
                 const std::string& object, std::chrono::milliseconds timeout,
                 std::function<void()> wake)
      : proxy_(sdbus::createProxy(connection, sender, object)),
        timeout_(timeout),
        wake_(std::move(wake)) {}

  sdbus::IProxy& proxy() { return *proxy_; }

  // The provider is gone (unregistered, left the bus, or the bus connection closes): the
  // proxy goes while its connection is still there, calls in flight end with 9002 at
  // once, and later calls fail the same way. The engine may keep this object a little
  // longer (an unmount waits for the suspended work).
  void disconnect() {
    proxy_.reset();  // its pending calls are cancelled: their handlers never run
    for (Pending* p : pending_) {
      p->error = sdbus::Error("org.cwmpd.Error.ProviderGone", "the provider has gone");
      p->resume();
    }
    pending_.clear();
  }

  core::NameValues get(const std::vector<std::string>& names) override {
    std::vector<Pair> values;
    call(
        "Get", [&](sdbus::MethodCall& m) { m << names; },
        [&](sdbus::MethodReply& r) { r >> values; });
    core::NameValues out;
    out.reserve(values.size());
    for (auto& v : values) out.emplace_back(std::move(v.get<0>()), std::move(v.get<1>()));
    return out;
  }
  void validate(const core::NameValues& changes) override { send("Validate", changes); }
  void apply(const core::NameValues& changes) override { send("Apply", changes); }
  void rollback(const core::NameValues& changes) override { send("Rollback", changes); }
  // Rollback sent without waiting: D-Bus delivers it after the late Apply.
  void restore(const core::NameValues& changes) override {
    try {
      if (!proxy_) return;
      auto m = proxy_->createMethodCall(kProviderInterface, "Rollback");
      m << toPairs(changes);
      m.dontExpectReply();
      (void)proxy_->callMethod(m);
      wake_();
    } catch (const sdbus::Error& e) {
      throw sdk::Fault(sdk::FaultCode::InternalError,
                       "provider Rollback not sent: " + e.getName() + ": " + e.getMessage());
    }
  }
  std::vector<std::uint32_t> instances(const std::string& table) override {
    std::vector<std::uint32_t> keys;
    call(
        "Instances", [&](sdbus::MethodCall& m) { m << table; },
        [&](sdbus::MethodReply& r) { r >> keys; });
    return keys;
  }
  std::uint32_t add(const std::string& table) override {
    std::uint32_t key = 0;
    call(
        "Add", [&](sdbus::MethodCall& m) { m << table; }, [&](sdbus::MethodReply& r) { r >> key; });
    return key;
  }
  void remove(const std::string& instance) override {
    call(
        "Delete", [&](sdbus::MethodCall& m) { m << instance; }, [](sdbus::MethodReply&) {});
  }

 private:
  void send(const char* method, const core::NameValues& changes) {
    call(
        method, [&](sdbus::MethodCall& m) { m << toPairs(changes); }, [](sdbus::MethodReply&) {});
  }

  // A call in flight for work the model is lent to (core::ModelLoan).
  struct Pending {
    std::optional<sdbus::MethodReply> reply;
    std::optional<sdbus::Error> error;
    std::function<void()> resume;
  };

  // A call with the timeout, from work the model is lent to (an ACS session's RPC, a
  // D-Bus call, a Register, a ValuesChanged re-read): it suspends that work and the loop
  // goes on serving everything else until the answer or the timeout. The loop itself
  // never waits for a provider (bus/README.md, "Providers"): what it would ask on its own
  // (a plugin's read, say) gets 9002 at once.
  template <typename Args, typename Results>
  void call(const char* method, Args&& args, Results&& results) {
    try {
      if (!proxy_) throw sdbus::Error("org.cwmpd.Error.ProviderGone", "the provider has gone");
      if (!core::ModelLoan::lent())
        throw sdbus::Error("org.cwmpd.Error.OnTheLoop",
                           "the main loop does not wait for a provider");
      auto m = proxy_->createMethodCall(kProviderInterface, method);
      args(m);
      const auto timeout = static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(timeout_).count());
      Pending pending;
      core::ModelLoan::suspend([&](std::function<void()> resume) {
        pending.resume = std::move(resume);
        proxy_->callMethod(
            m,
            [this, &pending](sdbus::MethodReply& reply, const sdbus::Error* error) {
              pending_.erase(&pending);
              if (error) {
                pending.error = *error;
              } else {
                pending.reply = reply;
              }
              pending.resume();
            },
            timeout);
        pending_.insert(&pending);
        // The loop must see the message to send and the call's deadline.
        wake_();
      });
      if (pending.error) throw *pending.error;
      results(*pending.reply);
    } catch (const sdbus::Error& e) {
      const std::string& name = e.getName();
      const std::string& message = e.getMessage();
      if (name.rfind(kFaultErrorPrefix, 0) == 0) {
        if (auto code = parseFaultCode(message)) {
          const auto space = message.find(' ');
          throw sdk::Fault(*code, space == std::string::npos ? "" : message.substr(space + 1));
        }
      }
      throw sdk::Fault(sdk::FaultCode::InternalError,
                       std::string("provider ") + method + " failed: " + name + ": " + message);
    }
  }

  std::unique_ptr<sdbus::IProxy> proxy_;
  std::chrono::milliseconds timeout_;
  std::function<void()> wake_;
  std::set<Pending*> pending_;
};

}  // namespace

struct ProviderRegistry::Provider {
  core::RemoteSubtrees::MountId id = 0;
  std::shared_ptr<RemoteProvider> participant;
};

struct ProviderRegistry::Registration {
  Provider provider;
  bool mounted = false;  // set by the mount's thread while it holds the model
  bool left = false;     // the provider left the bus meanwhile
};

ProviderRegistry::ProviderRegistry(sdbus::IConnection& connection, boost::asio::io_context& io,
                                   core::RemoteSubtrees& mounts, std::chrono::milliseconds timeout,
                                   Logger log, std::function<void()> wake)
    : AdaptorInterfaces(connection, kDataModelPath),
      connection_(connection),
      io_(io),
      mounts_(mounts),
      timeout_(timeout),
      log_(std::move(log)),
      wake_(std::move(wake)),
      calls_(io, log_, wake_, [] { return true; }) {
  busDaemon_ = sdbus::createProxy(connection, "org.freedesktop.DBus", "/org/freedesktop/DBus");
  busDaemon_->uponSignal("NameOwnerChanged")
      .onInterface("org.freedesktop.DBus")
      .call([this](const std::string& name, const std::string& /*old*/,
                   const std::string& newOwner) { onNameOwnerChanged(name, newOwner); });
  busDaemon_->finishRegistration();
  registerAdaptor();
}

ProviderRegistry::~ProviderRegistry() {
  unregisterAdaptor();
  for (auto& [key, p] : providers_) drop(*p);
  // A mount in progress fails at its next call into the provider (9002) and undoes itself;
  // one that is done but not yet answered is undone here.
  for (auto& [key, r] : registering_) {
    r->provider.participant->disconnect();
    if (r->mounted) mounts_.unmount(r->provider.id);
  }
}

void ProviderRegistry::drop(Provider& p) {
  p.participant->disconnect();
  mounts_.unmount(p.id);
}

std::string ProviderRegistry::caller() const {
  const sdbus::Message* m = getObject().getCurrentlyProcessedMessage();
  return m ? m->getSender() : std::string();
}

void ProviderRegistry::Register(sdbus::Result<>&& result, std::string definitions,
                                sdbus::ObjectPath object) {
  const std::string sender = caller();
  const auto key = std::make_pair(sender, std::string(object));
  if (providers_.count(key) || registering_.count(key)) {
    result.returnError(sdbus::Error(
        faultErrorName(static_cast<int>(sdk::FaultCode::RequestDenied)),
        faultErrorMessage(static_cast<int>(sdk::FaultCode::RequestDenied),
                          "Request denied: " + sender + " " + object + " is registered already")));
    return;
  }
  // The mount runs on a thread of its own (DeferredCalls): the provider's Instances calls
  // suspend it, not the loop; it is queued while an ACS session waits for a provider.
  auto r = std::make_shared<Registration>();
  r->provider.participant =
      std::make_shared<RemoteProvider>(connection_, sender, object, timeout_, wake_);
  registering_[key] = r;
  calls_.serve(
      "Register", DeferredCalls::Kind::Change, std::move(result),
      [mounts = &mounts_, r, definitions = std::move(definitions), name = sender + object] {
        r->provider.id = mounts->mount("provider " + name, definitions, r->provider.participant);
        r->mounted = true;
      },
      [this, key, r](bool ok) {
        registering_.erase(key);
        if (!ok) return;
        if (r->left) {
          drop(r->provider);
          throw sdk::Fault(sdk::FaultCode::RequestDenied, "Request denied: the provider has left");
        }
        const auto id = r->provider.id;
        auto p = std::make_unique<Provider>(r->provider);
        p->participant->proxy()
            .uponSignal("ValuesChanged")
            .onInterface(kProviderInterface)
            .call([this, id](const std::vector<std::string>& names) { valuesChanged(id, names); });
        p->participant->proxy().finishRegistration();
        providers_[key] = std::move(p);
        log_(LogLevel::Info, "provider " + key.first + " " + key.second + " registered");
      });
}

// The provider's ValuesChanged: the values are read again (on a thread of their own, as a
// D-Bus read) and reported like a plugin's.
void ProviderRegistry::valuesChanged(core::RemoteSubtrees::MountId id,
                                     const std::vector<std::string>& names) {
  core::RemoteSubtrees* mounts = &mounts_;
  Logger log = log_;
  try {
    core::ModelLoan::runAsync(
        io_,
        [mounts, id, names, log] {
          try {
            mounts->remoteValuesChanged(id, names);
          } catch (const std::exception& e) {
            log(LogLevel::Warning, std::string("ValuesChanged: ") + e.what());
          }
        },
        [] {});
  } catch (const std::exception& e) {
    log_(LogLevel::Warning, std::string("ValuesChanged: ") + e.what());
  }
}

void ProviderRegistry::Unregister(const sdbus::ObjectPath& object) {
  translateFaults(log_, "Unregister", [&] {
    auto it = providers_.find({caller(), std::string(object)});
    if (it == providers_.end())
      throw sdk::Fault(sdk::FaultCode::InvalidArguments,
                       "no provider " + std::string(object) + " of this caller");
    drop(*it->second);
    providers_.erase(it);
  });
}

// A provider that leaves the bus (exit, crash) loses its subtree at once.
void ProviderRegistry::onNameOwnerChanged(const std::string& name, const std::string& newOwner) {
  if (!newOwner.empty()) return;
  for (auto& [key, r] : registering_)
    if (key.first == name) {
      r->left = true;
      r->provider.participant->disconnect();
    }
  for (auto it = providers_.begin(); it != providers_.end();) {
    if (it->first.first != name) {
      ++it;
      continue;
    }
    log_(LogLevel::Info, "provider " + name + " " + it->first.second + " left the bus");
    drop(*it->second);
    it = providers_.erase(it);
  }
}

}  // namespace cwmpd::bus
