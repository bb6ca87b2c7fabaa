#include "cwmpd/bus/provider.hpp"

#include "cwmpd/bus/generated/provider1_adaptor.h"
#include "cwmpd/sdk/fault.hpp"

namespace cwmpd::bus {

namespace {

constexpr const char* kRegistryInterface = "org.cwmpd.Providers1";
constexpr const char* kRegistryPath = "/org/cwmpd/DataModel";
using Pair = sdbus::Struct<std::string, std::string>;

sdbus::Error faultError(int code, const std::string& message) {
  const sdk::FaultInfo* f = sdk::findFault(code);
  return sdbus::Error(
      std::string("org.cwmpd.Fault.").append(f ? f->name : std::string_view("InternalError")),
      std::to_string(code) + " " + message);
}

// Runs a handler; what it throws becomes the contract's error.
template <typename F>
auto guarded(const char* method, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const ProviderFault& e) {
    throw faultError(e.code(), e.what());
  } catch (const sdbus::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw faultError(static_cast<int>(sdk::FaultCode::InternalError),
                     std::string(method) + ": " + e.what());
  }
}

template <typename H>
const H& require(const H& handler, const char* method) {
  if (!handler)
    throw faultError(static_cast<int>(sdk::FaultCode::MethodNotSupported),
                     std::string(method) + " is not supported by this provider");
  return handler;
}

Changes fromPairs(const std::vector<Pair>& pairs) {
  Changes out;
  out.reserve(pairs.size());
  for (const auto& p : pairs) out.emplace_back(p.get<0>(), p.get<1>());
  return out;
}

}  // namespace

class Provider::Adaptor final : public sdbus::AdaptorInterfaces<org::cwmpd::Provider1_adaptor> {
 public:
  Adaptor(sdbus::IConnection& connection, const std::string& path, ProviderHandlers h)
      : AdaptorInterfaces(connection, path), h_(std::move(h)) {
    registerAdaptor();
  }
  ~Adaptor() { unregisterAdaptor(); }
  using org::cwmpd::Provider1_adaptor::emitValuesChanged;

 private:
  std::vector<Pair> Get(const std::vector<std::string>& names) override {
    return guarded("Get", [&] {
      std::vector<Pair> out;
      for (auto& [n, v] : require(h_.get, "Get")(names)) out.emplace_back(n, v);
      return out;
    });
  }
  void Validate(const std::vector<Pair>& changes) override {
    guarded("Validate", [&] { require(h_.validate, "Validate")(fromPairs(changes)); });
  }
  void Apply(const std::vector<Pair>& changes) override {
    guarded("Apply", [&] { require(h_.apply, "Apply")(fromPairs(changes)); });
  }
  void Rollback(const std::vector<Pair>& changes) override {
    guarded("Rollback", [&] { require(h_.rollback, "Rollback")(fromPairs(changes)); });
  }
  std::vector<uint32_t> Instances(const std::string& table) override {
    return guarded("Instances", [&] {
      return h_.instances ? h_.instances(table) : std::vector<std::uint32_t>{};
    });
  }
  uint32_t Add(const std::string& table) override {
    return guarded("Add", [&] { return require(h_.add, "Add")(table); });
  }
  void Delete(const std::string& instance) override {
    guarded("Delete", [&] { require(h_.remove, "Delete")(instance); });
  }

  ProviderHandlers h_;
};

Provider::Provider(sdbus::IConnection& connection, std::string objectPath,
                   ProviderHandlers handlers)
    : connection_(connection),
      path_(std::move(objectPath)),
      adaptor_(std::make_unique<Adaptor>(connection, path_, std::move(handlers))) {}

Provider::~Provider() = default;

void Provider::registerAsync(const std::string& definitions, Done done,
                             const std::string& service) {
  registry_ = sdbus::createProxy(connection_, service, kRegistryPath);
  registry_->callMethodAsync("Register")
      .onInterface(kRegistryInterface)
      .withArguments(definitions, sdbus::ObjectPath(path_))
      .uponReplyInvoke([done = std::move(done)](const sdbus::Error* error) {
        if (done) done(error);
      });
}

void Provider::unregister(const std::string& service) {
  if (!registry_) registry_ = sdbus::createProxy(connection_, service, kRegistryPath);
  registry_->callMethod("Unregister")
      .onInterface(kRegistryInterface)
      .withArguments(sdbus::ObjectPath(path_));
}

void Provider::valuesChanged(const std::vector<std::string>& names) {
  adaptor_->emitValuesChanged(names);
}

}  // namespace cwmpd::bus
