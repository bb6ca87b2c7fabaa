// org.cwmpd.DataModel1 at /org/cwmpd/DataModel: the generated adaptor's methods forwarded to
// the engine. Lives as long as one bus connection.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include "cwmpd/bus/dbus_service.hpp"
#include "cwmpd/bus/generated/data_model1_adaptor.h"

namespace cwmpd::bus {

class DataModelAdaptor final : public sdbus::AdaptorInterfaces<org::cwmpd::DataModel1_adaptor> {
 public:
  using ValueTuple = sdbus::Struct<std::string, std::string, std::string>;
  using AttributeTuple = sdbus::Struct<std::string, int32_t, std::vector<std::string>>;

  DataModelAdaptor(sdbus::IConnection& connection, core::DataModel& model, Logger log);
  ~DataModelAdaptor();

  void emitChanges(const std::vector<core::CommittedChange>& changes);

 private:
  std::vector<ValueTuple> GetParameterValues(const std::vector<std::string>& names) override;
  void SetParameterValues(
      const std::vector<sdbus::Struct<std::string, std::string>>& values) override;
  std::vector<sdbus::Struct<std::string, bool>> GetParameterNames(const std::string& path,
                                                                  const bool& next_level) override;
  std::vector<AttributeTuple> GetParameterAttributes(const std::vector<std::string>& names) override;
  void SetParameterAttributes(const std::vector<AttributeTuple>& attributes) override;
  uint32_t AddObject(const std::string& object) override;
  void DeleteObject(const std::string& object) override;

  core::DataModel& model_;
  Logger log_;
};

}  // namespace cwmpd::bus
