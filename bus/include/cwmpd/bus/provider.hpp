// The client library for providers (issue 18): a process that serves a subtree of cwmpd's
// data model over D-Bus implements org.cwmpd.Provider1 with these handlers and registers
// with org.cwmpd.Providers1 (bus/README.md, "Providers"). CMake target cwmpd::provider;
// bus/examples/example_provider.cpp shows it whole.
//
// Threading: everything runs on the thread that runs the connection (processPendingRequest
// or enterEventLoop); handlers are called there. A handler may block only as long as the
// agent's timeout ([bus] provider_timeout_ms, default 2 s).
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace cwmpd::bus {

// Thrown by a handler to refuse: cwmpd gets org.cwmpd.Fault.<Name> "<code> <message>"
// (9007 for a value the provider cannot take). Any other exception is answered 9002.
class ProviderFault : public std::runtime_error {
 public:
  ProviderFault(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  [[nodiscard]] int code() const noexcept { return code_; }

 private:
  int code_;
};

using Changes = std::vector<std::pair<std::string, std::string>>;  // (name, value)

struct ProviderHandlers {
  // Live values of the named parameters (full instance paths, the provider's keys).
  std::function<Changes(const std::vector<std::string>& names)> get;
  // The two phases of a set and its undo (rollback carries the values to return to).
  std::function<void(const Changes&changes)> validate, apply, rollback;
  // Multi-instance tables: the keys of `table` ("Device.X.Line."), a new instance's key,
  // deleting "Device.X.Line.7.".
  std::function<std::vector<std::uint32_t>(const std::string& table)> instances;
  std::function<std::uint32_t(const std::string& table)> add;
  std::function<void(const std::string& instance)> remove;
};

class Provider {
 public:
  // Publishes org.cwmpd.Provider1 at `objectPath` on `connection`. A handler left empty
  // answers 9000 (method not supported).
  Provider(sdbus::IConnection& connection, std::string objectPath, ProviderHandlers handlers);
  ~Provider();
  Provider(const Provider&) = delete;
  Provider& operator=(const Provider&) = delete;

  // Sends Register(definitions, objectPath) to `service` without waiting: cwmpd calls
  // Instances before it answers, so the caller must keep running the connection. `done`
  // runs on the connection's thread with the error, or nullptr once registered.
  using Done = std::function<void(const sdbus::Error* error)>;
  void registerAsync(const std::string& definitions, Done done,
                     const std::string& service = "org.cwmpd");
  // Unregister, waiting for the answer.
  void unregister(const std::string& service = "org.cwmpd");
  // Signal ValuesChanged: cwmpd reads the named parameters again and notifies.
  void valuesChanged(const std::vector<std::string>& names);

 private:
  class Adaptor;
  sdbus::IConnection& connection_;
  std::string path_;
  std::unique_ptr<Adaptor> adaptor_;
  std::unique_ptr<sdbus::IProxy> registry_;
};

}  // namespace cwmpd::bus
