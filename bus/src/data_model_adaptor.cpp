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

namespace {

// A string with a NUL byte, which a D-Bus string cannot hold (validUtf8 repairs it).
struct NeedsRepair {};

// Appends `changes` to `signal` as a(sss). `repair`: each string through validUtf8 first;
// otherwise as it is: sd-bus refuses one that is not valid UTF-8 (sdbus::Error), and one
// with a NUL throws NeedsRepair (sd-bus would cut it there).
void appendChanges(sdbus::Signal& signal, const std::vector<core::CommittedChange>& changes,
                   bool repair) {
  const auto put = [&](const std::string& text) {
    if (repair) {
      signal << validUtf8(text);
      return;
    }
    if (text.find('\0') != std::string::npos) throw NeedsRepair{};
    signal << text;
  };
  signal.openContainer("(sss)");
  for (const auto& change : changes) {
    signal.openStruct("sss");
    put(change.name);
    signal << sdk::xsdTypeName(change.type);
    put(change.value);
    signal.closeStruct();
  }
  signal.closeContainer();
}

}  // namespace

void DataModelAdaptor::emitChanges(const std::vector<core::CommittedChange>& changes) {
  // Written straight into the signal (issue 15): a set of 10,000 values used to copy every
  // name and value into a vector of triples, which sdbus-c++ then serialized. sd-bus checks
  // each string's UTF-8 as it appends it; values from hardware may hold any bytes, so the
  // rare change list that holds one is written again with the invalid bytes repaired.
  try {
    auto signal = getObject().createSignal(INTERFACE_NAME, "ValueChanged");
    appendChanges(signal, changes, false);
    getObject().emitSignal(signal);
    return;
  } catch (const NeedsRepair&) {
  } catch (const sdbus::Error& e) {
    if (e.getName() != "org.freedesktop.DBus.Error.InvalidArgs") throw;
  }
  auto signal = getObject().createSignal(INTERFACE_NAME, "ValueChanged");
  appendChanges(signal, changes, true);
  getObject().emitSignal(signal);
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
