// One reader per CWMP message type: the arguments of a method element, read from the
// element tree into the message struct of messages.hpp.
#include <cstdint>
#include <type_traits>
#include <unordered_map>

#include "soap/decoder_args.hpp"
#include "soap/method_names.hpp"

namespace cwmpd::core::soap::detail {

namespace {

ParameterValueStruct parameterValue(const Args& a, const XmlNode& item) {
  const Args s = a.of(item);
  const XmlNode& value = s.node("Value");
  return {s.str("Name"), std::string(a.text(value)), std::string(a.xsiType(value))};
}

std::vector<ParameterValueStruct> parameterValues(const Args& a, std::string_view name) {
  std::vector<ParameterValueStruct> out;
  const XmlNode& list = a.node(name);
  if (!list.streamed) out.reserve(list.childCount);
  a.forEachChild(list, [&](const XmlNode& item) { out.push_back(parameterValue(a, item)); });
  return out;
}

SetParameterAttributesStruct setAttributesStruct(const Args& a, const XmlNode& item) {
  const Args s = a.of(item);
  SetParameterAttributesStruct p;
  p.name = s.str("Name");
  p.notificationChange = s.boolean("NotificationChange");
  // GenieACS sends <Notification></Notification> when NotificationChange is false.
  const std::string_view notification = s.text(s.node("Notification"));
  if (p.notificationChange || !trimmed(notification).empty()) {
    p.notification = Args::parseNumber<int>(notification, "Notification");
  }
  p.accessListChange = s.boolean("AccessListChange");
  if (s.optionalNode("AccessList") != nullptr || p.accessListChange) {
    p.accessList = s.strings("AccessList");
  }
  return p;
}

std::vector<ArgStruct> argStructs(const Args& a, std::string_view name) {
  std::vector<ArgStruct> out;
  a.forEachItem(name, [&](const XmlNode& item) {
    const Args s = a.of(item);
    out.push_back({s.str("Name"), s.str("Value")});
  });
  return out;
}

TransferFaultStruct transferFault(const Args& a) {
  const Args f = a.sub("FaultStruct");
  return {f.number<std::uint32_t>("FaultCode"), f.optionalStr("FaultString")};
}

std::vector<OpResultStruct> opResults(const Args& a, const XmlNode& method, bool autonomous) {
  std::vector<OpResultStruct> out;
  a.forEachChild(method, [&](const XmlNode& item) {
    if (item.name != "Results") return;
    const Args r = a.of(item);
    OpResultStruct o;
    o.uuid = r.str("UUID");
    o.deploymentUnitRef = r.str("DeploymentUnitRef");
    o.version = r.str("Version");
    o.currentState = r.str("CurrentState");
    o.resolved = r.boolean("Resolved");
    o.executionUnitRefList = r.str("ExecutionUnitRefList");
    o.startTime = r.str("StartTime");
    o.completeTime = r.str("CompleteTime");
    const Args f = r.sub("Fault");
    o.fault = {f.number<std::uint32_t>("FaultCode"), f.optionalStr("FaultString")};
    if (autonomous) o.operationPerformed = r.str("OperationPerformed");
    out.push_back(std::move(o));
  });
  return out;
}

DuOperation duOperation(const Args& a, const XmlNode& op) {
  const Args o = a.of(op);
  // The operation type is its xsi:type; fall back on the fields when it is missing.
  std::string_view type = a.xsiType(op);
  if (auto colon = type.rfind(':'); colon != std::string_view::npos) type.remove_prefix(colon + 1);
  if (type.empty()) {
    type = o.optionalNode("URL") == nullptr ? "UninstallOpStruct"
           : o.optionalNode("ExecutionEnvRef") != nullptr || o.optionalNode("Version") == nullptr
               ? "InstallOpStruct"
               : "UpdateOpStruct";
  }
  if (type == "InstallOpStruct") {
    return InstallOp{o.str("URL"), o.optionalStr("UUID"), o.optionalStr("Username"),
                     o.optionalStr("Password"), o.optionalStr("ExecutionEnvRef")};
  }
  if (type == "UpdateOpStruct") {
    return UpdateOp{o.optionalStr("UUID"), o.optionalStr("Version"), o.optionalStr("URL"),
                    o.optionalStr("Username"), o.optionalStr("Password")};
  }
  if (type == "UninstallOpStruct") {
    return UninstallOp{o.str("UUID"), o.optionalStr("Version"), o.optionalStr("ExecutionEnvRef")};
  }
  invalid("unknown ChangeDUState operation type");
}

// ---- one reader per message type --------------------------------------------------------

template <class T>
T read(const Args& a, const XmlNode& method);

template <>
GetRPCMethods read(const Args&, const XmlNode&) {
  return {};
}
template <>
SetParameterValues read(const Args& a, const XmlNode&) {
  return {parameterValues(a, "ParameterList"), a.str("ParameterKey")};
}
template <>
GetParameterValues read(const Args& a, const XmlNode&) {
  return {a.strings("ParameterNames")};
}
template <>
GetParameterNames read(const Args& a, const XmlNode&) {
  return {a.str("ParameterPath"), a.boolean("NextLevel")};
}
template <>
SetParameterAttributes read(const Args& a, const XmlNode&) {
  SetParameterAttributes m;
  a.forEachItem("ParameterList", [&](const XmlNode& item) {
    m.parameterList.push_back(setAttributesStruct(a, item));
  });
  return m;
}
template <>
GetParameterAttributes read(const Args& a, const XmlNode&) {
  return {a.strings("ParameterNames")};
}
template <>
AddObject read(const Args& a, const XmlNode&) {
  return {a.str("ObjectName"), a.str("ParameterKey")};
}
template <>
DeleteObject read(const Args& a, const XmlNode&) {
  return {a.str("ObjectName"), a.str("ParameterKey")};
}
template <>
Reboot read(const Args& a, const XmlNode&) {
  return {a.str("CommandKey")};
}
template <>
FactoryReset read(const Args&, const XmlNode&) {
  return {};
}
// CommandKey, FileType, URL, Username, Password: the start of Download, Upload and
// ScheduleDownload alike. Username and Password may be absent (empty is the same).
template <class Transfer>
Transfer readTransferStart(const Args& a) {
  Transfer m;
  m.commandKey = a.str("CommandKey");
  m.fileType = a.str("FileType");
  m.url = a.str("URL");
  m.username = a.optionalStr("Username");
  m.password = a.optionalStr("Password");
  return m;
}
template <>
Download read(const Args& a, const XmlNode&) {
  auto m = readTransferStart<Download>(a);
  m.fileSize = a.number<std::uint32_t>("FileSize");
  m.targetFileName = a.optionalStr("TargetFileName");
  m.delaySeconds = a.number<std::uint32_t>("DelaySeconds");
  m.successUrl = a.optionalStr("SuccessURL");
  m.failureUrl = a.optionalStr("FailureURL");
  return m;
}
template <>
Upload read(const Args& a, const XmlNode&) {
  auto m = readTransferStart<Upload>(a);
  m.delaySeconds = a.number<std::uint32_t>("DelaySeconds");
  return m;
}
template <>
ScheduleInform read(const Args& a, const XmlNode&) {
  return {a.number<std::uint32_t>("DelaySeconds"), a.str("CommandKey")};
}
template <>
ScheduleDownload read(const Args& a, const XmlNode&) {
  auto m = readTransferStart<ScheduleDownload>(a);
  m.fileSize = a.number<std::uint32_t>("FileSize");
  m.targetFileName = a.optionalStr("TargetFileName");
  a.forEachItem("TimeWindowList", [&](const XmlNode& item) {
    const Args t = a.of(item);
    m.timeWindowList.push_back({t.number<std::uint32_t>("WindowStart"),
                                t.number<std::uint32_t>("WindowEnd"), t.str("WindowMode"),
                                t.optionalStr("UserMessage"), t.number<int>("MaxRetries")});
  });
  // TR-069 A.4.1.9: one or two time windows.
  if (m.timeWindowList.empty() || m.timeWindowList.size() > 2) {
    invalid("TimeWindowList must hold one or two windows");
  }
  return m;
}
template <>
CancelTransfer read(const Args& a, const XmlNode&) {
  return {a.str("CommandKey")};
}
template <>
GetQueuedTransfers read(const Args&, const XmlNode&) {
  return {};
}
template <>
GetAllQueuedTransfers read(const Args&, const XmlNode&) {
  return {};
}
template <>
ChangeDUState read(const Args& a, const XmlNode& method) {
  ChangeDUState m;
  a.forEachChild(method, [&](const XmlNode& item) {
    if (item.name == "Operations") m.operations.push_back(duOperation(a, item));
  });
  if (m.operations.empty()) invalid("missing argument Operations");
  m.commandKey = a.optionalStr("CommandKey");
  return m;
}
template <>
GetRPCMethodsResponse read(const Args& a, const XmlNode&) {
  return {a.strings("MethodList")};
}
template <>
SetParameterValuesResponse read(const Args& a, const XmlNode&) {
  return {a.number<int>("Status")};
}
template <>
GetParameterValuesResponse read(const Args& a, const XmlNode&) {
  GetParameterValuesResponse m;
  m.parameterList = parameterValues(a, "ParameterList");
  return m;
}
template <>
GetParameterNamesResponse read(const Args& a, const XmlNode&) {
  GetParameterNamesResponse m;
  a.forEachItem("ParameterList", [&](const XmlNode& item) {
    const Args s = a.of(item);
    m.parameterList.push_back({s.str("Name"), s.boolean("Writable")});
  });
  return m;
}
template <>
SetParameterAttributesResponse read(const Args&, const XmlNode&) {
  return {};
}
template <>
GetParameterAttributesResponse read(const Args& a, const XmlNode&) {
  GetParameterAttributesResponse m;
  a.forEachItem("ParameterList", [&](const XmlNode& item) {
    const Args s = a.of(item);
    m.parameterList.push_back(
        {s.str("Name"), s.number<int>("Notification"), s.strings("AccessList")});
  });
  return m;
}
template <>
AddObjectResponse read(const Args& a, const XmlNode&) {
  return {a.number<std::uint32_t>("InstanceNumber"), a.number<int>("Status")};
}
template <>
DeleteObjectResponse read(const Args& a, const XmlNode&) {
  return {a.number<int>("Status")};
}
template <>
RebootResponse read(const Args&, const XmlNode&) {
  return {};
}
template <>
FactoryResetResponse read(const Args&, const XmlNode&) {
  return {};
}
template <class TransferResponse>
TransferResponse readTransferResponse(const Args& a) {
  return {a.number<int>("Status"), a.str("StartTime"), a.str("CompleteTime")};
}
template <>
DownloadResponse read(const Args& a, const XmlNode&) {
  return readTransferResponse<DownloadResponse>(a);
}
template <>
UploadResponse read(const Args& a, const XmlNode&) {
  return readTransferResponse<UploadResponse>(a);
}
template <>
ScheduleInformResponse read(const Args&, const XmlNode&) {
  return {};
}
template <>
ScheduleDownloadResponse read(const Args&, const XmlNode&) {
  return {};
}
template <>
CancelTransferResponse read(const Args&, const XmlNode&) {
  return {};
}
template <>
GetQueuedTransfersResponse read(const Args& a, const XmlNode&) {
  GetQueuedTransfersResponse m;
  a.forEachItem("TransferList", [&](const XmlNode& item) {
    const Args s = a.of(item);
    m.transferList.push_back({s.str("CommandKey"), s.number<int>("State")});
  });
  return m;
}
template <>
GetAllQueuedTransfersResponse read(const Args& a, const XmlNode&) {
  GetAllQueuedTransfersResponse m;
  a.forEachItem("TransferList", [&](const XmlNode& item) {
    const Args s = a.of(item);
    m.transferList.push_back({s.str("CommandKey"), s.number<int>("State"), s.boolean("IsDownload"),
                              s.str("FileType"), s.number<std::uint32_t>("FileSize"),
                              s.optionalStr("TargetFileName")});
  });
  return m;
}
template <>
ChangeDUStateResponse read(const Args&, const XmlNode&) {
  return {};
}
template <>
Inform read(const Args& a, const XmlNode&) {
  Inform m;
  const Args d = a.sub("DeviceId");
  m.deviceId = {d.str("Manufacturer"), d.str("OUI"), d.str("ProductClass"), d.str("SerialNumber")};
  a.forEachItem("Event", [&](const XmlNode& item) {
    const Args e = a.of(item);
    m.events.push_back({e.str("EventCode"), e.optionalStr("CommandKey")});
  });
  m.maxEnvelopes = a.number<std::uint32_t>("MaxEnvelopes");
  m.currentTime = a.str("CurrentTime");
  m.retryCount = a.number<std::uint32_t>("RetryCount");
  m.parameterList = parameterValues(a, "ParameterList");
  return m;
}
template <>
TransferComplete read(const Args& a, const XmlNode&) {
  return {a.str("CommandKey"), transferFault(a), a.str("StartTime"), a.str("CompleteTime")};
}
template <>
AutonomousTransferComplete read(const Args& a, const XmlNode&) {
  AutonomousTransferComplete m;
  m.announceUrl = a.optionalStr("AnnounceURL");
  m.transferUrl = a.optionalStr("TransferURL");
  m.isDownload = a.boolean("IsDownload");
  m.fileType = a.str("FileType");
  m.fileSize = a.number<std::uint32_t>("FileSize");
  m.targetFileName = a.optionalStr("TargetFileName");
  m.fault = transferFault(a);
  m.startTime = a.str("StartTime");
  m.completeTime = a.str("CompleteTime");
  return m;
}
template <>
RequestDownload read(const Args& a, const XmlNode&) {
  return {a.str("FileType"), argStructs(a, "FileTypeArg")};
}
template <>
Kicked read(const Args& a, const XmlNode&) {
  return {a.str("Command"), a.str("Referer"), a.str("Arg"), a.str("Next")};
}
template <>
DUStateChangeComplete read(const Args& a, const XmlNode& method) {
  return {opResults(a, method, false), a.optionalStr("CommandKey")};
}
template <>
AutonomousDUStateChangeComplete read(const Args& a, const XmlNode& method) {
  return {opResults(a, method, true)};
}
template <>
InformResponse read(const Args& a, const XmlNode&) {
  return {a.number<std::uint32_t>("MaxEnvelopes")};
}
template <>
TransferCompleteResponse read(const Args&, const XmlNode&) {
  return {};
}
template <>
AutonomousTransferCompleteResponse read(const Args&, const XmlNode&) {
  return {};
}
template <>
RequestDownloadResponse read(const Args&, const XmlNode&) {
  return {};
}
template <>
KickedResponse read(const Args& a, const XmlNode&) {
  return {a.str("NextURL")};
}
template <>
DUStateChangeCompleteResponse read(const Args&, const XmlNode&) {
  return {};
}
template <>
AutonomousDUStateChangeCompleteResponse read(const Args&, const XmlNode&) {
  return {};
}

}  // namespace

// faultcode may carry a prefix ("SOAP-ENV:Client"); it is kept as sent.
Fault readFault(const Args& a) {
  Fault f;
  f.faultcode = std::string(trimmed(a.str("faultcode")));
  f.faultstring = a.optionalStr("faultstring");
  const Args detail = a.sub("detail");
  const Args cwmp = detail.sub("Fault");
  f.code = cwmp.number<int>("FaultCode");
  f.message = cwmp.optionalStr("FaultString");
  const XmlNode& cwmpNode = detail.node("Fault");
  cwmp.forEachChild(cwmpNode, [&](const XmlNode& item) {
    if (item.name != "SetParameterValuesFault") return;
    const Args p = cwmp.of(item);
    f.setParameterValuesFaults.push_back(
        {p.str("ParameterName"), p.number<int>("FaultCode"), p.optionalStr("FaultString")});
  });
  return f;
}

namespace {

template <class T>
void addReader(std::unordered_map<std::string_view, Reader>& readers) {
  readers.emplace(detail::methodName<T>(),
                  [](const Args& a, const XmlNode& n) -> Body { return read<T>(a, n); });
}

// The element names of the RPC table (rpc/rpc_table.hpp), requests and responses, both
// directions: the decoder serves the CPE and test ACSs alike.
const std::unordered_map<std::string_view, Reader>& readers() {
  static const auto table = [] {
    std::unordered_map<std::string_view, Reader> r;
    rpc::forEachMethod([&](const auto& row) {
      using Row = std::decay_t<decltype(row)>;
      addReader<typename Row::RequestType>(r);
      addReader<typename Row::ResponseType>(r);
    });
    return r;
  }();
  return table;
}

}  // namespace

void streamedItem(NameSink& sink, std::string_view method, const XmlTree& tree,
                  const XmlNode& item) {
  const Args a(tree, item);
  if (method == methodName<SetParameterValues>()) {
    // Read as parameterValue() reads it (the first child of each name; the same errors, in
    // the same order), as views, in one pass over the item's children.
    const XmlNode* name = nullptr;
    const XmlNode* value = nullptr;
    for (const XmlNode* c = tree.firstChild(item);
         c != nullptr && (name == nullptr || value == nullptr); c = tree.nextSibling(*c)) {
      if (value == nullptr && c->name == "Value") {
        value = c;
      } else if (name == nullptr && c->name == "Name") {
        name = c;
      }
    }
    if (value == nullptr) invalid("missing argument Value");
    if (name == nullptr) invalid("missing argument Name");
    sink.valueItem(a.text(*name), a.text(*value), a.xsiType(*value));
  } else if (method == methodName<SetParameterAttributes>()) {
    sink.attributes(setAttributesStruct(a, item));
  }
}

const Reader* findReader(std::string_view method) {
  const auto& table = readers();
  const auto it = table.find(method);
  return it == table.end() ? nullptr : &it->second;
}

}  // namespace cwmpd::core::soap::detail
