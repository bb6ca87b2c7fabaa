// One read of the hardware per object and request (part of the SDK, header-only, since
// ABI 8).
//
// An object's live parameters usually come from one HAL structure: a radio's state, an
// interface's counters, a voice line with its statistics. A getter per parameter that
// fetches that structure again costs a HAL read and a copy of the whole structure for
// each field it reads, and the fields of one answer may come from different moments.
//
// The core hands the getters of one object in one request (every object a
// GetParameterValues walks, the consecutive names of one object in a list) one
// InstanceRef, whose `readId` no other reference has; a read of a single parameter gets a
// reference of its own. An ObjectSnapshot keeps what its fetch returned for the last
// readId it saw, so the getters of one object read their fields from one fetch:
//
//   auto radio = sdk::objectSnapshot<hal::RadioInfo>([this](const sdk::InstanceRef& r) {
//     return sdk::halRead([&] { return host.hal().wifi().radio(nameOf(r)); });
//   });
//   reg.object("Device.WiFi.Radio.{i}.")
//       .get("Channel", sdk::fieldGetter(
//                           radio, [](const hal::RadioInfo& i) { return std::to_string(i.channel);
//                           }, "1"))
//       .get("Name", sdk::fieldGetter(radio, [](const hal::RadioInfo& i) { return i.name; }, ""));
//
// The next request (or any other reference) fetches again: values are as live as a
// getter's own read, and one answer shows each object as one read of the hardware.
// A fetch that throws keeps nothing (the object's next getter fetches again, as it would
// have without the snapshot); one that returns nullopt (the object is gone) is kept, and
// the getters answer their fallback. A snapshot holds one object's structure at a time;
// like every getter it is used only by the thread that holds the model (the core lends
// the model to one thread at a time), so it needs no lock of its own.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "cwmpd/sdk/plugin.hpp"
#include "cwmpd/sdk/types.hpp"

namespace cwmpd::sdk {

template <typename Info>
class ObjectSnapshot {
 public:
  // The object's structure for a reference; nullopt when the object is gone. A callable
  // that returns Info itself fits too.
  using Fetch = std::function<std::optional<Info>(const InstanceRef&)>;

  explicit ObjectSnapshot(Fetch fetch) : fetch_(std::move(fetch)) {}

  // What the fetch returned for `r`'s read (fetched now unless this snapshot already did
  // for the same readId); nullptr when it returned nullopt. Valid until the next call.
  const Info* of(const InstanceRef& r) {
    if (r.readId == 0 || r.readId != readId_) {
      readId_ = 0;  // while fetching: a fetch that throws leaves nothing kept
      value_ = fetch_(r);
      readId_ = r.readId;
    }
    return value_ ? &*value_ : nullptr;
  }

 private:
  Fetch fetch_;
  std::uint64_t readId_ = 0;
  std::optional<Info> value_;
};

// A snapshot shared by the getters that read its fields.
template <typename Info, typename F>
std::shared_ptr<ObjectSnapshot<Info>> objectSnapshot(F fetch) {
  return std::make_shared<ObjectSnapshot<Info>>(
      typename ObjectSnapshot<Info>::Fetch(std::move(fetch)));
}

// A getter reading one field of the object's snapshot: `fn(info)` as a string, or
// `fallback` when the object is gone.
template <typename Info, typename Fn>
Getter fieldGetter(std::shared_ptr<ObjectSnapshot<Info>> snapshot, Fn fn, std::string fallback) {
  return [snapshot = std::move(snapshot), fn = std::move(fn),
          fallback = std::move(fallback)](const InstanceRef& r) -> std::string {
    const Info* info = snapshot->of(r);
    return info != nullptr ? std::string(fn(*info)) : fallback;
  };
}

}  // namespace cwmpd::sdk
