// org.cwmpd.DataModel1 at /org/cwmpd/DataModel: the generated adaptor's methods forwarded to
// the engine. Lives as long as one bus connection. Every method is answered through
// DeferredCalls: at once, or later when it waits for a provider (issue 18).
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "cwmpd/bus/dbus_service.hpp"
#include "cwmpd/bus/generated/data_model1_adaptor.h"
#include "deferred_calls.hpp"

namespace cwmpd::bus {

// Committed changes copied into one buffer (names and values back to back) for a
// ValueChanged that the loop sends later (DbusService): one allocation, not two per change.
class PackedChanges {
 public:
  explicit PackedChanges(const std::vector<core::CommittedChange>& changes);
  // Calls f(name, type, value) for each change, in order.
  template <typename F>
  void forEach(F&& f) const {
    std::size_t at = 0;
    for (const Item& item : items_) {
      const std::string_view name(text_.data() + at, item.name);
      at += item.name;
      const std::string_view value(text_.data() + at, item.value);
      at += item.value;
      f(name, item.type, value);
    }
  }

 private:
  struct Item {
    std::size_t name;
    std::size_t value;
    sdk::ParamType type;
  };
  std::string text_;
  std::vector<Item> items_;
};

class DataModelAdaptor final : public sdbus::AdaptorInterfaces<org::cwmpd::DataModel1_adaptor> {
 public:
  using ValueTuple = sdbus::Struct<std::string, std::string, std::string>;
  using AttributeTuple = sdbus::Struct<std::string, int32_t, std::vector<std::string>>;

  // `wake` as for DeferredCalls.
  DataModelAdaptor(sdbus::IConnection& connection, boost::asio::io_context& io,
                   core::DataModel& model, Logger log, std::function<void()> wake);
  ~DataModelAdaptor();

  void emitChanges(const std::vector<core::CommittedChange>& changes);
  void emitChanges(const PackedChanges& changes);
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
