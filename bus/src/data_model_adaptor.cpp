#include "data_model_adaptor.hpp"

#include <cstring>
#include <string_view>

#if defined(CWMPD_BUS_SD_BUS)
#include <systemd/sd-bus.h>
#endif

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

// A string that is not valid UTF-8, or holds a NUL byte, which a D-Bus string cannot hold
// (validUtf8 repairs both).
struct NeedsRepair {};

// Calls f(name, type, value) for each change of a list.
template <typename F>
void forEachChange(const std::vector<core::CommittedChange>& changes, F&& f) {
  for (const auto& change : changes) f(change.name, change.type, change.value);
}
template <typename F>
void forEachChange(const PackedChanges& changes, F&& f) {
  changes.forEach(std::forward<F>(f));
}

#if defined(CWMPD_BUS_SD_BUS)
// sdbus-c++ 1.2 does not hand out the sd_bus_message under a Message: its member is
// protected. A pointer to that member, formed in a class derived from Message, is an
// ordinary `void* Message::*` that reaches it in any Message.
struct MessageAccess : sdbus::Message {
  using Member = void* sdbus::Message::*;
  static Member member() { return &MessageAccess::msg_; }
};

sd_bus_message* rawMessage(sdbus::Message& message) {
  return static_cast<sd_bus_message*>(message.*MessageAccess::member());
}

void check(int r, const char* what) {
  if (r < 0) throw sdbus::createError(-r, what);
}

// Appends `changes` to `signal` as a(sss), straight through sd-bus (issue 15): sdbus-c++'s
// operator<< is sd_bus_message_append_basic, which checks every string's UTF-8 a character
// at a time (13 M instructions of a set of 10,000 values). The strings are checked here
// instead (isValidUtf8: ASCII 16 bytes at a time), and each is copied into the space
// sd_bus_message_append_string_space makes for it. `repair`: each string through validUtf8
// first; otherwise a string that is not valid UTF-8, or holds a NUL, throws NeedsRepair.
template <typename Changes>
void appendChanges(sdbus::Signal& signal, const Changes& changes, bool repair) {
  sd_bus_message* m = rawMessage(signal);
  const auto put = [&](std::string_view text) {
    char* space = nullptr;
    check(sd_bus_message_append_string_space(m, text.size(), &space), "ValueChanged string");
    std::memcpy(space, text.data(), text.size());
  };
  const auto putChecked = [&](std::string_view text) {
    if (repair) {
      put(validUtf8(std::string(text)));
    } else {
      if (!isValidUtf8(text)) throw NeedsRepair{};
      put(text);
    }
  };
  check(sd_bus_message_open_container(m, SD_BUS_TYPE_ARRAY, "(sss)"), "ValueChanged array");
  forEachChange(changes, [&](std::string_view name, sdk::ParamType type, std::string_view value) {
    check(sd_bus_message_open_container(m, SD_BUS_TYPE_STRUCT, "sss"), "ValueChanged struct");
    putChecked(name);
    put(sdk::xsdTypeName(type));  // ASCII constants
    putChecked(value);
    check(sd_bus_message_close_container(m), "ValueChanged struct");
  });
  check(sd_bus_message_close_container(m), "ValueChanged array");
}
#else
// Appends `changes` to `signal` as a(sss). `repair`: each string through validUtf8 first;
// otherwise a string that is not valid UTF-8, or holds a NUL, throws NeedsRepair.
template <typename Changes>
void appendChanges(sdbus::Signal& signal, const Changes& changes, bool repair) {
  const auto put = [&](std::string_view text) {
    if (repair) {
      signal << validUtf8(std::string(text));
      return;
    }
    if (!isValidUtf8(text)) throw NeedsRepair{};
    signal << std::string(text);
  };
  signal.openContainer("(sss)");
  forEachChange(changes, [&](std::string_view name, sdk::ParamType type, std::string_view value) {
    signal.openStruct("sss");
    put(name);
    signal << sdk::xsdTypeName(type);
    put(value);
    signal.closeStruct();
  });
  signal.closeContainer();
}
#endif

// Written straight into the signal (issue 15): a set of 10,000 values used to copy every
// name and value into a vector of triples, which sdbus-c++ then serialized. Values from
// hardware may hold any bytes, so the rare change list that holds one that is not UTF-8
// is written again with the invalid bytes repaired.
template <typename Changes>
void sendValueChanged(sdbus::IObject& object, const Changes& changes) {
  try {
    auto signal =
        object.createSignal(org::cwmpd::DataModel1_adaptor::INTERFACE_NAME, "ValueChanged");
    appendChanges(signal, changes, false);
    object.emitSignal(signal);
    return;
  } catch (const NeedsRepair&) {
  } catch (const sdbus::Error& e) {
    // sd-bus refuses a few strings the check above lets through (noncharacters such as
    // U+FFFE); the repaired list is refused alike and the error goes to the caller.
    if (e.getName() != "org.freedesktop.DBus.Error.InvalidArgs") throw;
  }
  auto signal = object.createSignal(org::cwmpd::DataModel1_adaptor::INTERFACE_NAME, "ValueChanged");
  appendChanges(signal, changes, true);
  object.emitSignal(signal);
}

}  // namespace

PackedChanges::PackedChanges(const std::vector<core::CommittedChange>& changes) {
  std::size_t bytes = 0;
  for (const auto& change : changes) bytes += change.name.size() + change.value.size();
  text_.reserve(bytes);
  items_.reserve(changes.size());
  for (const auto& change : changes) {
    text_ += change.name;
    text_ += change.value;
    items_.push_back({change.name.size(), change.value.size(), change.type});
  }
}

void DataModelAdaptor::emitChanges(const std::vector<core::CommittedChange>& changes) {
  sendValueChanged(getObject(), changes);
}

void DataModelAdaptor::emitChanges(const PackedChanges& changes) {
  sendValueChanged(getObject(), changes);
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
