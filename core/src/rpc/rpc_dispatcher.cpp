#include "cwmpd/core/rpc_dispatcher.hpp"

#include <exception>
#include <type_traits>

#include "cwmpd/core/log.hpp"
#include "cwmpd/core/soap/encoder.hpp"
#include "cwmpd/core/soap/fault_map.hpp"

namespace cwmpd::core {

using sdk::Fault;
using sdk::FaultCode;
using sdk::Source;

namespace {

// Bytes reserved per struct of a GetParameterValues/Names answer: the tags (about 100 and
// 80 bytes) plus a typical name and value, rounded up.
constexpr std::size_t kValueStructGuess = 192;
constexpr std::size_t kInfoStructGuess = 160;

std::optional<std::string> keyOf(const std::string& k) { return k; }

// TR-069 A.3.2.1: ParameterKey is at most 32 characters; CommandKey likewise.
void checkKey(const std::string& key, const char* what) {
  if (key.size() > 32) throw Fault(FaultCode::InvalidArguments, std::string(what) + " longer than 32 characters");
}

// xsi:type of a SetParameterValues value against the parameter's type (9006): only
// checked when the ACS states a type we can compare.
bool typeMatches(const std::string& xsiType, sdk::ParamType t) {
  if (xsiType.empty()) return true;
  std::string local = xsiType.substr(xsiType.find(':') == std::string::npos ? 0 : xsiType.find(':') + 1);
  std::string want = sdk::xsdTypeName(t);
  want = want.substr(want.find(':') + 1);
  if (local == want) return true;
  if (local == "base64" && t == sdk::ParamType::Base64) return true;
  // Lenient where ACSs commonly differ: integer widths and "anySimpleType"/"string".
  auto integral = [](const std::string& s) {
    return s == "int" || s == "unsignedInt" || s == "long" || s == "unsignedLong";
  };
  if (integral(local) && (t == sdk::ParamType::Int || t == sdk::ParamType::UnsignedInt ||
                          t == sdk::ParamType::Long || t == sdk::ParamType::UnsignedLong))
    return true;
  return local == "anySimpleType" || local == "string";
}

}  // namespace

RpcDispatcher::RpcDispatcher(DataModel& model, RpcActions actions) : model_(model), actions_(std::move(actions)) {}

std::vector<std::string> RpcDispatcher::supportedMethods() const {
  std::vector<std::string> m = {"GetRPCMethods",          "SetParameterValues", "GetParameterValues",
                                "GetParameterNames",      "SetParameterAttributes",
                                "GetParameterAttributes", "AddObject",          "DeleteObject"};
  if (actions_.reboot) m.push_back("Reboot");
  if (actions_.factoryReset) m.push_back("FactoryReset");
  if (actions_.download) m.push_back("Download");
  if (actions_.upload) m.push_back("Upload");
  if (actions_.scheduleInform) m.push_back("ScheduleInform");
  if (actions_.scheduleDownload) m.push_back("ScheduleDownload");
  if (actions_.cancelTransfer) m.push_back("CancelTransfer");
  if (actions_.queuedTransfers) m.push_back("GetQueuedTransfers");
  if (actions_.allQueuedTransfers) m.push_back("GetAllQueuedTransfers");
  for (const auto& [name, fn] : actions_.vendor) m.push_back(name);
  return m;
}

soap::Body RpcDispatcher::handle(const soap::Body& request) {
  auto unsupported = [](const std::string& method) -> soap::Body {
    return soap::makeFault(static_cast<int>(FaultCode::MethodNotSupported), "Method not supported: " + method);
  };
  try {
    return std::visit(
        [&](const auto& r) -> soap::Body {
          using T = std::decay_t<decltype(r)>;
          if constexpr (std::is_same_v<T, soap::GetRPCMethods>) {
            return soap::GetRPCMethodsResponse{supportedMethods()};
          } else if constexpr (std::is_same_v<T, soap::GetParameterValues>) {
            // Written as XML while the model is walked: the values never exist twice. The
            // buffer is sized once from a count (a generous guess per struct: what is not
            // written stays untouched address space); growing it by doubling would copy
            // megabytes and fault in fresh pages each time.
            soap::GetParameterValuesResponse out;
            out.encoded.reserve(model_.countValues(r.parameterNames) * kValueStructGuess);
            model_.visitValues(r.parameterNames, [&](std::string_view name, sdk::ParamType type, std::string_view value) {
              soap::appendParameterValueStruct(out.encoded, name, sdk::xsdTypeName(type), value);
              ++out.encodedCount;
            });
            return out;
          } else if constexpr (std::is_same_v<T, soap::SetParameterValues>) {
            checkKey(r.parameterKey, "ParameterKey");
            if (r.parameterList.empty()) throw Fault(FaultCode::InvalidArguments, "empty ParameterList");
            // 9006 for a stated type that contradicts the definition.
            std::vector<ParameterFault> typeFaults;
            std::vector<std::pair<std::string, std::string>> values;
            values.reserve(r.parameterList.size());
            {
              for (const auto& p : r.parameterList) {
                values.emplace_back(p.name, p.value);
                if (p.type.empty()) continue;
                try {
                  auto cur = model_.getValues({p.name});
                  if (cur.size() == 1 && !typeMatches(p.type, cur[0].type))
                    typeFaults.push_back({p.name, static_cast<int>(FaultCode::InvalidParameterType),
                                          "Invalid parameter type: " + p.type});
                } catch (const Fault&) {
                  // Unknown names are reported by setValues with 9005.
                }
              }
            }
            if (!typeFaults.empty())
              throw SetFault(typeFaults.size() == 1 ? typeFaults[0].code : static_cast<int>(FaultCode::InvalidArguments),
                             typeFaults[0].message, typeFaults);
            int status = model_.setValues(values, Source::Acs, keyOf(r.parameterKey));
            return soap::SetParameterValuesResponse{status};
          } else if constexpr (std::is_same_v<T, soap::GetParameterNames>) {
            soap::GetParameterNamesResponse out;
            // A whole subtree has about as many names as parameters (objects add ~10%).
            if (!r.nextLevel)
              out.encoded.reserve(model_.countValues({r.parameterPath}) * kInfoStructGuess);
            model_.visitNames(r.parameterPath, r.nextLevel, [&](std::string_view name, bool writable) {
              soap::appendParameterInfoStruct(out.encoded, name, writable);
              ++out.encodedCount;
            });
            return out;
          } else if constexpr (std::is_same_v<T, soap::SetParameterAttributes>) {
            std::vector<AttributeUpdate> ups;
            for (const auto& s : r.parameterList)
              ups.push_back({s.name, s.notificationChange, s.notification, s.accessListChange, s.accessList});
            model_.setAttributes(ups);
            return soap::SetParameterAttributesResponse{};
          } else if constexpr (std::is_same_v<T, soap::GetParameterAttributes>) {
            soap::GetParameterAttributesResponse out;
            for (auto& a : model_.getAttributes(r.parameterNames))
              out.parameterList.push_back({std::move(a.name), a.notification, std::move(a.accessList)});
            return out;
          } else if constexpr (std::is_same_v<T, soap::AddObject>) {
            checkKey(r.parameterKey, "ParameterKey");
            auto n = model_.addObject(r.objectName, Source::Acs, keyOf(r.parameterKey));
            return soap::AddObjectResponse{n, 0};
          } else if constexpr (std::is_same_v<T, soap::DeleteObject>) {
            checkKey(r.parameterKey, "ParameterKey");
            model_.deleteObject(r.objectName, Source::Acs, keyOf(r.parameterKey));
            return soap::DeleteObjectResponse{0};
          } else if constexpr (std::is_same_v<T, soap::Reboot>) {
            if (!actions_.reboot) return unsupported("Reboot");
            checkKey(r.commandKey, "CommandKey");
            actions_.reboot(r.commandKey);
            return soap::RebootResponse{};
          } else if constexpr (std::is_same_v<T, soap::FactoryReset>) {
            if (!actions_.factoryReset) return unsupported("FactoryReset");
            actions_.factoryReset();
            return soap::FactoryResetResponse{};
          } else if constexpr (std::is_same_v<T, soap::ScheduleInform>) {
            if (!actions_.scheduleInform) return unsupported("ScheduleInform");
            checkKey(r.commandKey, "CommandKey");
            // TR-069 A.4.1.2: DelaySeconds must be greater than zero.
            if (r.delaySeconds == 0) throw Fault(FaultCode::InvalidArguments, "DelaySeconds must be greater than 0");
            actions_.scheduleInform(r.delaySeconds, r.commandKey);
            return soap::ScheduleInformResponse{};
          } else if constexpr (std::is_same_v<T, soap::Download>) {
            if (!actions_.download) return unsupported("Download");
            checkKey(r.commandKey, "CommandKey");
            return actions_.download(r);
          } else if constexpr (std::is_same_v<T, soap::Upload>) {
            if (!actions_.upload) return unsupported("Upload");
            checkKey(r.commandKey, "CommandKey");
            return actions_.upload(r);
          } else if constexpr (std::is_same_v<T, soap::ScheduleDownload>) {
            if (!actions_.scheduleDownload) return unsupported("ScheduleDownload");
            checkKey(r.commandKey, "CommandKey");
            actions_.scheduleDownload(r);
            return soap::ScheduleDownloadResponse{};
          } else if constexpr (std::is_same_v<T, soap::CancelTransfer>) {
            if (!actions_.cancelTransfer) return unsupported("CancelTransfer");
            actions_.cancelTransfer(r.commandKey);
            return soap::CancelTransferResponse{};
          } else if constexpr (std::is_same_v<T, soap::GetQueuedTransfers>) {
            if (!actions_.queuedTransfers) return unsupported("GetQueuedTransfers");
            return soap::GetQueuedTransfersResponse{actions_.queuedTransfers()};
          } else if constexpr (std::is_same_v<T, soap::GetAllQueuedTransfers>) {
            if (!actions_.allQueuedTransfers) return unsupported("GetAllQueuedTransfers");
            return soap::GetAllQueuedTransfersResponse{actions_.allQueuedTransfers()};
          } else if constexpr (std::is_same_v<T, soap::ChangeDUState>) {
            return unsupported("ChangeDUState");
          } else if constexpr (std::is_same_v<T, soap::VendorMethod>) {
            auto it = actions_.vendor.find(r.name);
            if (it == actions_.vendor.end()) return unsupported(r.name);
            return it->second(r);
          } else {
            // A response or an ACS-side method where a request was expected.
            return soap::makeFault(static_cast<int>(FaultCode::MethodNotSupported),
                                   "Not a CPE method: " + soap::methodName(soap::Body{r}));
          }
        },
        request);
  } catch (...) {
    return soap::toSoapFault(std::current_exception());
  }
}

}  // namespace cwmpd::core
