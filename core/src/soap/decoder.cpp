#include "cwmpd/core/soap/decoder.hpp"

#include <charconv>
#include <functional>
#include <limits>
#include <type_traits>
#include <unordered_map>

#include "soap/method_names.hpp"
#include "soap/xml_tree.hpp"

namespace cwmpd::core::soap {

using detail::DecodeFailure;
using detail::NsClass;
using detail::XmlNode;
using detail::XmlTree;

int DecodeError::faultCode() const noexcept {
  switch (kind) {
    case Kind::InvalidArguments: return 9003;
    case Kind::MethodNotSupported: return 9000;
    case Kind::ResourcesExceeded: return 9004;
    case Kind::Refused: return 0;
  }
  return 9003;
}

namespace {

[[noreturn]] void invalid(std::string message) {
  throw DecodeFailure{DecodeError::Kind::InvalidArguments, std::move(message)};
}

std::string_view trimmed(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(kSpace) - b + 1);
}

// Reads the arguments of one method element; every accessor throws DecodeFailure
// (9003) naming the argument that is missing or malformed.
class Args {
 public:
  Args(const XmlTree& tree, const XmlNode& node) : tree_(tree), node_(node) {}

  [[nodiscard]] const XmlNode& node(std::string_view name) const {
    const XmlNode* c = tree_.child(node_, name);
    if (c == nullptr) invalid("missing argument " + std::string(name));
    return *c;
  }
  [[nodiscard]] const XmlNode* optionalNode(std::string_view name) const {
    return tree_.child(node_, name);
  }
  [[nodiscard]] std::string_view text(const XmlNode& n) const { return tree_.text(n); }
  [[nodiscard]] std::string str(std::string_view name) const {
    return std::string(text(node(name)));
  }
  [[nodiscard]] std::string optionalStr(std::string_view name) const {
    const XmlNode* c = optionalNode(name);
    return c == nullptr ? std::string() : std::string(text(*c));
  }
  template <class Int>
  [[nodiscard]] Int number(std::string_view name) const {
    return parseNumber<Int>(text(node(name)), name);
  }
  [[nodiscard]] bool boolean(std::string_view name) const {
    return parseBoolean(text(node(name)), name);
  }
  [[nodiscard]] Args sub(std::string_view name) const { return Args(tree_, node(name)); }

  // Element children of `name` (array items; their element names are not checked, as
  // ACSs differ: "string", "xsd:string", ...).
  template <class F>
  void forEachItem(std::string_view name, F&& f) const {
    forEachChild(node(name), std::forward<F>(f));
  }
  template <class F>
  void forEachChild(const XmlNode& parent, F&& f) const {
    for (const XmlNode* c = tree_.firstChild(parent); c != nullptr; c = tree_.nextSibling(*c)) {
      f(*c);
    }
  }
  [[nodiscard]] Args of(const XmlNode& n) const { return Args(tree_, n); }
  [[nodiscard]] std::string_view xsiType(const XmlNode& n) const { return tree_.xsiType(n); }
  [[nodiscard]] std::vector<std::string> strings(std::string_view name) const {
    std::vector<std::string> out;
    const XmlNode& list = node(name);
    out.reserve(list.childCount);
    forEachChild(list, [&](const XmlNode& item) { out.emplace_back(text(item)); });
    return out;
  }

  template <class Int>
  static Int parseNumber(std::string_view text, std::string_view name) {
    std::string_view t = trimmed(text);
    if (!t.empty() && t.front() == '+') t.remove_prefix(1);
    Int v{};
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc() || end != t.data() + t.size()) {
      invalid("argument " + std::string(name) + " is not a valid number");
    }
    return v;
  }
  // xsd:boolean: GenieACS sends 0/1 or true/false depending on its configuration.
  static bool parseBoolean(std::string_view text, std::string_view name) {
    const std::string_view t = trimmed(text);
    if (t == "1" || t == "true") return true;
    if (t == "0" || t == "false") return false;
    invalid("argument " + std::string(name) + " is not a boolean");
  }

 private:
  const XmlTree& tree_;
  const XmlNode& node_;
};

std::vector<ParameterValueStruct> parameterValues(const Args& a, std::string_view name) {
  std::vector<ParameterValueStruct> out;
  const XmlNode& list = a.node(name);
  out.reserve(list.childCount);
  a.forEachChild(list, [&](const XmlNode& item) {
    const Args s = a.of(item);
    const XmlNode& value = s.node("Value");
    out.push_back({s.str("Name"), std::string(a.text(value)), std::string(a.xsiType(value))});
  });
  return out;
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
    m.parameterList.push_back(std::move(p));
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

// SOAP 1.1 Fault with the cwmp:Fault detail (TR-069 A.5). faultcode may carry a prefix
// ("SOAP-ENV:Client"); it is kept as sent.
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

using Reader = std::function<Body(const Args&, const XmlNode&)>;

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

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool isVendorName(std::string_view name) { return startsWith(name, "X_"); }

// Interprets the element tree. `strict` is false in the fallback (non-namespace) mode.
class Interpreter {
 public:
  Interpreter(const XmlTree& tree, bool strict, DecodeError& context)
      : tree_(tree), strict_(strict), context_(context) {}

  Envelope run() {
    const XmlNode& root = tree_.root();
    if (root.name != "Envelope" || (strict_ && root.ns != NsClass::SoapEnvelope)) {
      invalid("not a SOAP 1.1 envelope");
    }
    Envelope env;
    if (!strict_) env.ns = namespaceFromRootAttributes();
    const XmlNode* header = nullptr;
    const XmlNode* body = nullptr;
    for (const XmlNode* c = tree_.firstChild(root); c != nullptr; c = tree_.nextSibling(*c)) {
      if (strict_ && c->ns != NsClass::SoapEnvelope) continue;
      if (c->name == "Header" && header == nullptr && body == nullptr) header = c;
      if (c->name == "Body" && body == nullptr) body = c;
    }
    if (header != nullptr) readHeader(*header, env);
    if (body == nullptr) invalid("SOAP envelope without Body");
    const XmlNode* method = tree_.firstChild(*body);
    if (method == nullptr) {
      env.body = Empty{};
      return env;
    }
    context_.method = std::string(method->name);
    if (method->ns == NsClass::Cwmp) {
      env.ns = *method->cwmpNs;
      context_.ns = env.ns;
    }
    const Args args(tree_, *method);
    if (method->name == "Fault" &&
        (method->ns == NsClass::SoapEnvelope || method->ns == NsClass::Unknown)) {
      env.body = readFault(args);
      return env;
    }
    if (!strict_) invalid("malformed XML");  // the fallback only rescues Faults
    if (method->ns != NsClass::Cwmp) {
      throw DecodeFailure{DecodeError::Kind::MethodNotSupported,
                          "method element outside the CWMP namespace"};
    }
    if (auto it = readers().find(method->name); it != readers().end()) {
      env.body = it->second(args, *method);
      return env;
    }
    if (isVendorName(method->name)) {
      std::vector<ArgStruct> arguments;
      args.forEachChild(*method, [&](const XmlNode& c) {
        arguments.push_back({std::string(c.name), allText(c)});
      });
      if (method->name.ends_with("Response")) {
        env.body = VendorMethodResponse{std::string(method->name), std::move(arguments)};
      } else {
        env.body = VendorMethod{std::string(method->name), std::move(arguments)};
      }
      return env;
    }
    throw DecodeFailure{DecodeError::Kind::MethodNotSupported, "unknown method"};
  }

 private:
  CwmpNamespace namespaceFromRootAttributes() const {
    for (const auto& [name, value] : tree_.rootAttributes_) {
      if (auto ns = namespaceFromUrn(value)) return *ns;
    }
    return CwmpNamespace::V1_0;
  }

  std::string allText(const XmlNode& n) const {
    std::string out(tree_.text(n));
    for (const XmlNode* c = tree_.firstChild(n); c != nullptr; c = tree_.nextSibling(*c)) {
      out += allText(*c);
    }
    return out;
  }

  // TR-069 A.4.1 header entries. Unknown entries are ignored unless mustUnderstand.
  void readHeader(const XmlNode& header, Envelope& env) {
    Header& h = env.header;
    for (const XmlNode* c = tree_.firstChild(header); c != nullptr; c = tree_.nextSibling(*c)) {
      const bool cwmp = c->ns == NsClass::Cwmp || c->ns == NsClass::Unknown;
      if (c->ns == NsClass::Cwmp) env.ns = *c->cwmpNs;
      const std::string_view n = c->name;
      if (cwmp && n == "ID") {
        h.id = std::string(tree_.text(*c));
        h.idMustUnderstand = c->mustUnderstand;
        context_.id = h.id;
      } else if (cwmp && n == "HoldRequests") {
        h.holdRequests = Args::parseBoolean(tree_.text(*c), n);
      } else if (cwmp && n == "NoMoreRequests") {
        h.noMoreRequests = Args::parseBoolean(tree_.text(*c), n);
      } else if (cwmp && n == "SessionTimeout") {
        h.sessionTimeout = Args::parseNumber<std::uint32_t>(tree_.text(*c), n);
      } else if (cwmp && n == "SupportedCWMPVersions") {
        h.supportedCwmpVersions = std::string(trimmed(tree_.text(*c)));
      } else if (cwmp && n == "UseCWMPVersion") {
        h.useCwmpVersion = std::string(trimmed(tree_.text(*c)));
      } else if (c->mustUnderstand) {
        h.unknownMustUnderstand.emplace_back(n);
      }
    }
    context_.ns = env.ns;
  }

  const XmlTree& tree_;
  bool strict_;
  DecodeError& context_;
};

bool isBlank(std::string_view s) { return trimmed(s).empty(); }

// True when the prolog (what comes before the root element) holds a DOCTYPE; entities
// can only be declared there. Comments and processing instructions are skipped.
bool hasDoctype(std::string_view s) {
  std::size_t i = 0;
  while ((i = s.find('<', i)) != std::string_view::npos) {
    const std::string_view rest = s.substr(i);
    if (rest.starts_with("<?")) {
      i = s.find("?>", i + 2);
    } else if (rest.starts_with("<!--")) {
      i = s.find("-->", i + 4);
    } else {
      return rest.starts_with("<!");  // "<!DOCTYPE" (or junk Xerces rejects anyway)
    }
    if (i == std::string_view::npos) return false;
  }
  return false;
}

// After a failure during parsing, the tree holds what came before it: usually the
// Header, so that the fault can still echo cwmp:ID (TR-069 3.5).
void describePartialTree(const XmlTree& tree, DecodeError& context) {
  if (tree.empty() || tree.root().name != "Envelope") return;
  const XmlNode& root = tree.root();
  if (const XmlNode* header = tree.child(root, "Header")) {
    if (const XmlNode* id = tree.child(*header, "ID");
        id != nullptr && id->ns == NsClass::Cwmp && id->childCount == 0) {
      context.id = std::string(tree.text(*id));
      context.ns = *id->cwmpNs;
    }
  }
  if (const XmlNode* body = tree.child(root, "Body")) {
    if (const XmlNode* method = tree.firstChild(*body)) context.method = std::string(method->name);
  }
}

}  // namespace

struct Decoder::Impl {
  explicit Impl(const DecodeLimits& limits) : parser(limits) {}
  detail::XmlParser parser;
  XmlTree tree;   // reused: keeps its memory between messages
  XmlTree loose;  // the fallback's tree
};

Decoder::Decoder(DecodeLimits limits) : limits_(limits), impl_(std::make_unique<Impl>(limits_)) {}
Decoder::~Decoder() = default;

DecodeResult Decoder::decode(std::string_view payload) {
  // The trees are reused between messages, up to what a usual message needs: what one
  // large message needed goes back once it is read.
  struct Release {
    Impl& impl;
    ~Release() {
      constexpr std::size_t kKeep = 256 * 1024;
      impl.tree.release(kKeep);
      impl.loose.release(kKeep);
    }
  } release{*impl_};
  DecodeError context;
  if (payload.size() > limits_.maxBodyBytes) {
    context.kind = DecodeError::Kind::Refused;
    context.message = "message larger than the body limit";
    return context;
  }
  if (isBlank(payload)) return Envelope{CwmpNamespace::V1_0, {}, Empty{}};
  // CWMP messages are UTF-8 (TR-069 3.4.1); a NUL byte means UTF-16/32 or binary junk,
  // where the byte-level DOCTYPE check below would see nothing.
  if (payload.find('\0') != std::string_view::npos) {
    context.kind = DecodeError::Kind::Refused;
    context.message = "message is not UTF-8";
    return context;
  }
  // SOAP 1.1 section 3: a SOAP message must not contain a Document Type Declaration.
  // Checked on the bytes as well as in the parser, whatever scanner Xerces uses.
  if (hasDoctype(payload)) {
    context.kind = DecodeError::Kind::Refused;
    context.message = "DOCTYPE is not allowed";
    return context;
  }
  try {
    XmlTree& tree = impl_->tree;
    tree.clear();
    try {
      impl_->parser.parse(payload, true, tree);
    } catch (const DecodeFailure& strictFailure) {
      // GenieACS answers methods it does not support with <soap-env:Body:Fault>, which
      // is well-formed XML but not namespace-well-formed (docs/INTEROP-NOTES.md). Read
      // such a document again without namespaces; only a Fault is accepted that way.
      if (strictFailure.kind != DecodeError::Kind::InvalidArguments ||
          payload.find(":Fault") == std::string_view::npos) {
        throw;
      }
      XmlTree& loose = impl_->loose;
      loose.clear();
      try {
        impl_->parser.parse(payload, false, loose);
        DecodeError ignored;
        Envelope env = Interpreter(loose, false, ignored).run();
        if (std::holds_alternative<Fault>(env.body)) return env;
      } catch (const DecodeFailure&) {
      }
      throw;
    }
    return Interpreter(tree, true, context).run();
  } catch (const DecodeFailure& f) {
    context.kind = f.kind;
    context.message = f.message;
    if (!context.id) describePartialTree(impl_->tree, context);
    return context;
  }
}

DecodeResult decode(std::string_view payload, const DecodeLimits& limits) {
  thread_local std::unique_ptr<Decoder> decoder;
  if (!decoder || decoder->limits().maxBodyBytes != limits.maxBodyBytes ||
      decoder->limits().maxDepth != limits.maxDepth ||
      decoder->limits().maxArrayItems != limits.maxArrayItems) {
    decoder = std::make_unique<Decoder>(limits);
  }
  return decoder->decode(payload);
}

}  // namespace cwmpd::core::soap
