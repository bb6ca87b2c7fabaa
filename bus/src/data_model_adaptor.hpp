// org.cwmpd.DataModel1 at /org/cwmpd/DataModel: the generated adaptor's methods forwarded to
// the engine. Lives as long as one bus connection. Every method is answered through
// DeferredCalls: at once, or later when it waits for a provider (issue 18).
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include "cwmpd/bus/dbus_service.hpp"
#include "cwmpd/bus/generated/data_model1_adaptor.h"
#include "deferred_calls.hpp"

namespace cwmpd::bus {

class DataModelAdaptor final : public sdbus::AdaptorInterfaces<org::cwmpd::DataModel1_adaptor> {
 public:
  using ValueTuple = sdbus::Struct<std::string, std::string, std::string>;
  using AttributeTuple = sdbus::Struct<std::string, int32_t, std::vector<std::string>>;

  // `wake` as for DeferredCalls.
  DataModelAdaptor(sdbus::IConnection& connection, boost::asio::io_context& io,
                   core::DataModel& model, Logger log, std::function<void()> wake);
  ~DataModelAdaptor();

  void emitChanges(const std::vector<core::CommittedChange>& changes);
  // Whether some provider is registered: calls then run on a thread of their own.
  void remote(std::function<bool()> remote) { calls_.remote(std::move(remote)); }

 private:
  using Pair = sdbus::Struct<std::string, std::string>;
  using NameInfo = sdbus::Struct<std::string, bool>;
  void GetParameterValues(sdbus::Result<std::vector<ValueTuple>>&& result,
                          std::vector<std::string> names) override;
  void SetParameterValues(sdbus::Result<>&& result, std::vector<Pair> values) override;
  void GetParameterNames(sdbus::Result<std::vector<NameInfo>>&& result, std::string path,
                         bool next_level) override;
  void GetParameterAttributes(sdbus::Result<std::vector<AttributeTuple>>&& result,
                              std::vector<std::string> names) override;
  void SetParameterAttributes(sdbus::Result<>&& result,
                              std::vector<AttributeTuple> attributes) override;
  void AddObject(sdbus::Result<uint32_t>&& result, std::string object) override;
  void DeleteObject(sdbus::Result<>&& result, std::string object) override;

  core::DataModel& model_;
  Logger log_;
  DeferredCalls calls_;
};

}  // namespace cwmpd::bus
