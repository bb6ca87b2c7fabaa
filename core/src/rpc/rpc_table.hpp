// The one table of CWMP methods: a row per RPC, in both directions. The codec reads the
// element names and message types from it (soap/method_names.hpp), the dispatcher its
// handlers and GetRPCMethods its listing (rpc_dispatcher.cpp). How to add an RPC:
// core/README.md.
//
// Header only and free of handler code, so that the codec (and the fuzzer, which builds
// the codec alone) can read it.
#pragma once

#include <cstdint>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "cwmpd/core/soap/messages.hpp"

namespace cwmpd::core::rpc {

// The CWMP version (TR-069 Amendment 6, section 1.2: 1.0 to 1.4) whose schema first
// declares a method: cwmp-1-0.xsd for 1.0, cwmp-1-1.xsd for 1.1 ...
enum class CwmpVersion : std::uint8_t { V1_0, V1_1, V1_2, V1_3, V1_4 };

// Who answers a CPE method.
enum class Handler : std::uint8_t {
  // The dispatcher itself, on the data model: an `answer(Context&, const Request&)`
  // overload in rpc_dispatcher.cpp.
  Model,
  // A part of the agent that provides it at start-up with RpcDispatcher::provide<Request>()
  // (the session engine: Reboot, FactoryReset, ScheduleInform; the transfer manager:
  // Download, Upload, ...). Until then the method answers 9000 and is not listed.
  Agent,
};

// A method the ACS calls on the CPE (TR-069 Amendment 6, A.3.2 and A.4.1).
template <class Request, class Response>
struct CpeMethod {
  using RequestType = Request;
  using ResponseType = Response;  // element name: the method's name + "Response"
  std::string_view name;
  CwmpVersion since;
  Handler handler;
  bool listed;  // in GetRPCMethods' answer whenever it can be answered
};

// A method the CPE calls on the ACS (TR-069 Amendment 6, A.3.3 and A.4.2).
template <class Request, class Response>
struct AcsMethod {
  using RequestType = Request;
  using ResponseType = Response;
  std::string_view name;
  CwmpVersion since;
};

using enum CwmpVersion;
using enum Handler;
namespace s = soap;

// clang-format off
inline constexpr std::tuple kCpeMethods{
  //     request                    response                              name                     since  handler  listed
  CpeMethod<s::GetRPCMethods,          s::GetRPCMethodsResponse>         {"GetRPCMethods",          V1_0, Model, true},
  CpeMethod<s::SetParameterValues,     s::SetParameterValuesResponse>    {"SetParameterValues",     V1_0, Model, true},
  CpeMethod<s::GetParameterValues,     s::GetParameterValuesResponse>    {"GetParameterValues",     V1_0, Model, true},
  CpeMethod<s::GetParameterNames,      s::GetParameterNamesResponse>     {"GetParameterNames",      V1_0, Model, true},
  CpeMethod<s::SetParameterAttributes, s::SetParameterAttributesResponse>{"SetParameterAttributes", V1_0, Model, true},
  CpeMethod<s::GetParameterAttributes, s::GetParameterAttributesResponse>{"GetParameterAttributes", V1_0, Model, true},
  CpeMethod<s::AddObject,              s::AddObjectResponse>             {"AddObject",              V1_0, Model, true},
  CpeMethod<s::DeleteObject,           s::DeleteObjectResponse>          {"DeleteObject",           V1_0, Model, true},
  CpeMethod<s::Reboot,                 s::RebootResponse>                {"Reboot",                 V1_0, Agent, true},
  CpeMethod<s::FactoryReset,           s::FactoryResetResponse>          {"FactoryReset",           V1_0, Agent, true},
  CpeMethod<s::Download,               s::DownloadResponse>              {"Download",               V1_0, Agent, true},
  CpeMethod<s::Upload,                 s::UploadResponse>                {"Upload",                 V1_0, Agent, true},
  CpeMethod<s::ScheduleInform,         s::ScheduleInformResponse>        {"ScheduleInform",         V1_0, Agent, true},
  CpeMethod<s::ScheduleDownload,       s::ScheduleDownloadResponse>      {"ScheduleDownload",       V1_2, Agent, true},
  CpeMethod<s::CancelTransfer,         s::CancelTransferResponse>        {"CancelTransfer",         V1_2, Agent, true},
  CpeMethod<s::GetQueuedTransfers,     s::GetQueuedTransfersResponse>    {"GetQueuedTransfers",     V1_0, Agent, true},
  CpeMethod<s::GetAllQueuedTransfers,  s::GetAllQueuedTransfersResponse> {"GetAllQueuedTransfers",  V1_1, Agent, true},
  CpeMethod<s::ChangeDUState,          s::ChangeDUStateResponse>         {"ChangeDUState",          V1_2, Agent, true},
};

inline constexpr std::tuple kAcsMethods{
  //       request                              response                                       name                               since
  AcsMethod<s::Inform,                          s::InformResponse>                            {"Inform",                          V1_0},
  AcsMethod<s::TransferComplete,                s::TransferCompleteResponse>                  {"TransferComplete",                V1_0},
  AcsMethod<s::AutonomousTransferComplete,      s::AutonomousTransferCompleteResponse>        {"AutonomousTransferComplete",      V1_1},
  AcsMethod<s::RequestDownload,                 s::RequestDownloadResponse>                   {"RequestDownload",                 V1_0},
  AcsMethod<s::Kicked,                          s::KickedResponse>                            {"Kicked",                          V1_0},
  AcsMethod<s::DUStateChangeComplete,           s::DUStateChangeCompleteResponse>             {"DUStateChangeComplete",           V1_2},
  AcsMethod<s::AutonomousDUStateChangeComplete, s::AutonomousDUStateChangeCompleteResponse>   {"AutonomousDUStateChangeComplete", V1_2},
};
// clang-format on

// Calls f(row) for every row of a table, in order.
template <class Table, class F>
constexpr void forEachRow(const Table& table, F&& f) {
  std::apply([&](const auto&... row) { (f(row), ...); }, table);
}
template <class F>
constexpr void forEachMethod(F&& f) {
  forEachRow(kCpeMethods, f);
  forEachRow(kAcsMethods, f);
}

// True when T is the request or the response of some row.
template <class T>
inline constexpr bool kInTable = [] {
  bool found = false;
  forEachMethod([&](const auto& row) {
    using Row = std::decay_t<decltype(row)>;
    found = found || std::is_same_v<T, typename Row::RequestType> ||
            std::is_same_v<T, typename Row::ResponseType>;
  });
  return found;
}();

}  // namespace cwmpd::core::rpc
