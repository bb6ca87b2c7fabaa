#include "data_model_adaptor.hpp"

#include "cwmpd/bus/names.hpp"
#include "fault_translation.hpp"
#include "utf8.hpp"

namespace cwmpd::bus {

DataModelAdaptor::DataModelAdaptor(sdbus::IConnection& connection, core::DataModel& model,
                                   Logger log)
    : AdaptorInterfaces(connection, kDataModelPath), model_(model), log_(std::move(log)) {
  registerAdaptor();
}

DataModelAdaptor::~DataModelAdaptor() { unregisterAdaptor(); }

void DataModelAdaptor::emitChanges(const std::vector<core::CommittedChange>& changes) {
  std::vector<ValueTuple> values;
  values.reserve(changes.size());
  for (const auto& change : changes) {
    values.emplace_back(validUtf8(change.name), sdk::xsdTypeName(change.type),
                        validUtf8(change.value));
  }
  emitValueChanged(values);
}

std::vector<DataModelAdaptor::ValueTuple> DataModelAdaptor::GetParameterValues(
    const std::vector<std::string>& names) {
  return translateFaults(log_, "GetParameterValues", [&] {
    const auto values = model_.getValues(names);
    std::vector<ValueTuple> result;
    result.reserve(values.size());
    for (const auto& value : values) {
      result.emplace_back(validUtf8(value.name), sdk::xsdTypeName(value.type),
                          validUtf8(value.value));
    }
    return result;
  });
}

void DataModelAdaptor::SetParameterValues(
    const std::vector<sdbus::Struct<std::string, std::string>>& values) {
  translateFaults(log_, "SetParameterValues", [&] {
    std::vector<std::pair<std::string, std::string>> pairs;
    pairs.reserve(values.size());
    for (const auto& value : values) pairs.emplace_back(value.get<0>(), value.get<1>());
    // A change made over D-Bus is an "external cause" for the ACS's notifications
    // (TR-069 A.3.2.4): Source::Bus, never Source::Acs.
    (void)model_.setValues(pairs, sdk::Source::Bus);
  });
}

std::vector<sdbus::Struct<std::string, bool>> DataModelAdaptor::GetParameterNames(
    const std::string& path, const bool& next_level) {
  return translateFaults(log_, "GetParameterNames", [&] {
    const auto names = model_.getNames(path, next_level);
    std::vector<sdbus::Struct<std::string, bool>> result;
    result.reserve(names.size());
    for (const auto& info : names) result.emplace_back(info.name, info.writable);
    return result;
  });
}

std::vector<DataModelAdaptor::AttributeTuple> DataModelAdaptor::GetParameterAttributes(
    const std::vector<std::string>& names) {
  return translateFaults(log_, "GetParameterAttributes", [&] {
    const auto attributes = model_.getAttributes(names);
    std::vector<AttributeTuple> result;
    result.reserve(attributes.size());
    for (const auto& attribute : attributes) {
      result.emplace_back(attribute.name, attribute.notification, attribute.accessList);
    }
    return result;
  });
}

void DataModelAdaptor::SetParameterAttributes(const std::vector<AttributeTuple>& attributes) {
  translateFaults(log_, "SetParameterAttributes", [&] {
    // The contract's (name, notification, access list) has no NotificationChange or
    // AccessListChange flags: every entry sets both.
    std::vector<core::AttributeUpdate> updates;
    updates.reserve(attributes.size());
    for (const auto& attribute : attributes) {
      core::AttributeUpdate update;
      update.name = attribute.get<0>();
      update.notificationChange = true;
      update.notification = attribute.get<1>();
      update.accessListChange = true;
      update.accessList = attribute.get<2>();
      updates.push_back(std::move(update));
    }
    model_.setAttributes(updates);
  });
}

uint32_t DataModelAdaptor::AddObject(const std::string& object) {
  return translateFaults(log_, "AddObject",
                         [&] { return model_.addObject(object, sdk::Source::Bus); });
}

void DataModelAdaptor::DeleteObject(const std::string& object) {
  translateFaults(log_, "DeleteObject", [&] { model_.deleteObject(object, sdk::Source::Bus); });
}

}  // namespace cwmpd::bus
