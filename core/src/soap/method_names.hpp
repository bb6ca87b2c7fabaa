// Element name of each message type, read from the RPC table (rpc/rpc_table.hpp): a
// request is its row's name, a response the name + "Response". Shared by the encoder and
// the decoder.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "cwmpd/core/soap/messages.hpp"
#include "rpc/rpc_table.hpp"

namespace cwmpd::core::soap::detail {

// Body alternatives that have no row: they have no fixed name.
template <class T>
inline constexpr bool kUnnamed =
    std::is_same_v<T, Empty> || std::is_same_v<T, Fault> || std::is_same_v<T, VendorMethod> ||
    std::is_same_v<T, VendorMethodResponse>;

// A message struct added to Body needs its row (and each row's types must be in Body).
template <class... T>
constexpr bool everyMessageHasARow(std::variant<T...>*) {
  return ((kUnnamed<T> || rpc::kInTable<T>)&&...);
}
static_assert(everyMessageHasARow(static_cast<Body*>(nullptr)),
              "a message type of soap::Body has no row in rpc/rpc_table.hpp");

template <class T>
requires(rpc::kInTable<T>) std::string_view methodName() {
  static const std::string name = [] {
    std::string out;
    rpc::forEachMethod([&](const auto& row) {
      using Row = std::decay_t<decltype(row)>;
      if constexpr (std::is_same_v<T, typename Row::RequestType>) {
        out = row.name;
      } else if constexpr (std::is_same_v<T, typename Row::ResponseType>) {
        out = std::string(row.name) + "Response";
      }
    });
    return out;
  }();
  return name;
}

}  // namespace cwmpd::core::soap::detail
