#include "data_model_adaptor.hpp"

#include "cwmpd/bus/names.hpp"
#include "fault_translation.hpp"
#include "utf8.hpp"

namespace cwmpd::bus {

DataModelAdaptor::DataModelAdaptor(sdbus::IConnection& connection, boost::asio::io_context& io,
                                   core::DataModel& model, Logger log, std::function<void()> wake)
    : AdaptorInterfaces(connection, kDataModelPath),
      model_(model),
      log_(std::move(log)),
      calls_(io, log_, std::move(wake), {}) {
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

// The work below may run on another thread (DeferredCalls): it captures the engine, never
// this adaptor.

void DataModelAdaptor::GetParameterValues(sdbus::Result<std::vector<ValueTuple>>&& result,
                                          std::vector<std::string> names) {
  calls_.serve("GetParameterValues", DeferredCalls::Kind::Read, std::move(result),
               [model = &model_, names = std::move(names)] {
                 const auto values = model->getValues(names);
                 std::vector<ValueTuple> out;
                 out.reserve(values.size());
                 for (const auto& value : values) {
                   out.emplace_back(validUtf8(value.name), sdk::xsdTypeName(value.type),
                                    validUtf8(value.value));
                 }
                 return out;
               });
}

void DataModelAdaptor::SetParameterValues(sdbus::Result<>&& result, std::vector<Pair> values) {
  std::vector<std::pair<std::string, std::string>> pairs;
  pairs.reserve(values.size());
  for (auto& value : values)
    pairs.emplace_back(std::move(value.get<0>()), std::move(value.get<1>()));
  calls_.serve("SetParameterValues", DeferredCalls::Kind::Change, std::move(result),
               [model = &model_, pairs = std::move(pairs)] {
                 // A change made over D-Bus is an "external cause" for the ACS's
                 // notifications (TR-069 A.3.2.4): Source::Bus, never Source::Acs.
                 (void)model->setValues(pairs, sdk::Source::Bus);
               });
}

void DataModelAdaptor::GetParameterNames(sdbus::Result<std::vector<NameInfo>>&& result,
                                         std::string path, bool next_level) {
  calls_.serve("GetParameterNames", DeferredCalls::Kind::Read, std::move(result),
               [model = &model_, path = std::move(path), next_level] {
                 const auto names = model->getNames(path, next_level);
                 std::vector<NameInfo> out;
                 out.reserve(names.size());
                 for (const auto& info : names) out.emplace_back(info.name, info.writable);
                 return out;
               });
}

void DataModelAdaptor::GetParameterAttributes(sdbus::Result<std::vector<AttributeTuple>>&& result,
                                              std::vector<std::string> names) {
  calls_.serve("GetParameterAttributes", DeferredCalls::Kind::Read, std::move(result),
               [model = &model_, names = std::move(names)] {
                 const auto attributes = model->getAttributes(names);
                 std::vector<AttributeTuple> out;
                 out.reserve(attributes.size());
                 for (const auto& attribute : attributes) {
                   out.emplace_back(attribute.name, attribute.notification, attribute.accessList);
                 }
                 return out;
               });
}

void DataModelAdaptor::SetParameterAttributes(sdbus::Result<>&& result,
                                              std::vector<AttributeTuple> attributes) {
  // The contract's (name, notification, access list) has no NotificationChange or
  // AccessListChange flags: every entry sets both.
  std::vector<core::AttributeUpdate> updates;
  updates.reserve(attributes.size());
  for (auto& attribute : attributes) {
    core::AttributeUpdate update;
    update.name = std::move(attribute.get<0>());
    update.notificationChange = true;
    update.notification = attribute.get<1>();
    update.accessListChange = true;
    update.accessList = std::move(attribute.get<2>());
    updates.push_back(std::move(update));
  }
  calls_.serve("SetParameterAttributes", DeferredCalls::Kind::Change, std::move(result),
               [model = &model_, updates = std::move(updates)] { model->setAttributes(updates); });
}

void DataModelAdaptor::AddObject(sdbus::Result<uint32_t>&& result, std::string object) {
  calls_.serve("AddObject", DeferredCalls::Kind::Change, std::move(result),
               [model = &model_, object = std::move(object)] {
                 return model->addObject(object, sdk::Source::Bus);
               });
}

void DataModelAdaptor::DeleteObject(sdbus::Result<>&& result, std::string object) {
  calls_.serve("DeleteObject", DeferredCalls::Kind::Change, std::move(result),
               [model = &model_, object = std::move(object)] {
                 model->deleteObject(object, sdk::Source::Bus);
               });
}

}  // namespace cwmpd::bus
