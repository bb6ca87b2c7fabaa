#include "provider_registry.hpp"

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
                 const std::string& object, std::chrono::milliseconds timeout)
      : proxy_(sdbus::createProxy(connection, sender, object)), timeout_(timeout) {}

  sdbus::IProxy& proxy() { return *proxy_; }

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

  // A synchronous call with the timeout. (The agent's loop waits for it, at most the
  // timeout: see bus/README.md, "Providers".)
  template <typename Args, typename Results>
  void call(const char* method, Args&& args, Results&& results) {
    try {
      auto m = proxy_->createMethodCall(kProviderInterface, method);
      args(m);
      auto reply = proxy_->callMethod(
          m, static_cast<std::uint64_t>(
                 std::chrono::duration_cast<std::chrono::microseconds>(timeout_).count()));
      results(reply);
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
};

}  // namespace

struct ProviderRegistry::Provider {
  core::RemoteSubtrees::MountId id = 0;
  std::shared_ptr<RemoteProvider> participant;
};

ProviderRegistry::ProviderRegistry(sdbus::IConnection& connection, core::RemoteSubtrees& mounts,
                                   std::chrono::milliseconds timeout, Logger log)
    : AdaptorInterfaces(connection, kDataModelPath),
      connection_(connection),
      mounts_(mounts),
      timeout_(timeout),
      log_(std::move(log)) {
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
  for (auto& [key, p] : providers_) mounts_.unmount(p->id);
}

std::string ProviderRegistry::caller() const {
  const sdbus::Message* m = getObject().getCurrentlyProcessedMessage();
  return m ? m->getSender() : std::string();
}

void ProviderRegistry::Register(const std::string& definitions, const sdbus::ObjectPath& object) {
  translateFaults(log_, "Register", [&] {
    const std::string sender = caller();
    const auto key = std::make_pair(sender, std::string(object));
    if (providers_.count(key))
      throw sdk::Fault(sdk::FaultCode::RequestDenied,
                       "Request denied: " + sender + " " + object + " is registered already");
    auto p = std::make_unique<Provider>();
    p->participant = std::make_shared<RemoteProvider>(connection_, sender, object, timeout_);
    p->id = mounts_.mount("provider " + sender + object, definitions, p->participant);
    const auto id = p->id;
    p->participant->proxy()
        .uponSignal("ValuesChanged")
        .onInterface(kProviderInterface)
        .call([this, id](const std::vector<std::string>& names) {
          try {
            mounts_.remoteValuesChanged(id, names);
          } catch (const std::exception& e) {
            log_(LogLevel::Warning, std::string("ValuesChanged: ") + e.what());
          }
        });
    p->participant->proxy().finishRegistration();
    providers_[key] = std::move(p);
    log_(LogLevel::Info, "provider " + sender + " " + object + " registered");
  });
}

void ProviderRegistry::Unregister(const sdbus::ObjectPath& object) {
  translateFaults(log_, "Unregister", [&] {
    auto it = providers_.find({caller(), std::string(object)});
    if (it == providers_.end())
      throw sdk::Fault(sdk::FaultCode::InvalidArguments,
                       "no provider " + std::string(object) + " of this caller");
    mounts_.unmount(it->second->id);
    providers_.erase(it);
  });
}

// A provider that leaves the bus (exit, crash) loses its subtree at once.
void ProviderRegistry::onNameOwnerChanged(const std::string& name, const std::string& newOwner) {
  if (!newOwner.empty()) return;
  for (auto it = providers_.begin(); it != providers_.end();) {
    if (it->first.first != name) {
      ++it;
      continue;
    }
    log_(LogLevel::Info, "provider " + name + " " + it->first.second + " left the bus");
    mounts_.unmount(it->second->id);
    it = providers_.erase(it);
  }
}

}  // namespace cwmpd::bus
