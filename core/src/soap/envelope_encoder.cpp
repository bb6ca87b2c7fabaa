// encode(const Envelope&): the SOAP envelope and the body of every message type. The
// pre-encoded lists of the big answers, the escaping and ListWriter are in encoder.cpp: the
// small build compiles that file alone at -O2 (cmake/small_hot_paths.cmake), the envelopes
// of the other messages with the rest of the daemon for size.
#include "cwmpd/core/soap/encoder.hpp"

#include <array>
#include <charconv>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "soap/method_names.hpp"

namespace cwmpd::core::soap {
namespace {

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void raw(std::string_view s) { out_.append(s); }
  std::string& buffer() { return out_; }
  void open(std::string_view tag) {
    out_ += '<';
    out_ += tag;
    out_ += '>';
  }
  void close(std::string_view tag) {
    out_ += "</";
    out_ += tag;
    out_ += '>';
  }
  void text(std::string_view tag, std::string_view value) {
    open(tag);
    appendEscaped(out_, value);
    close(tag);
  }
  template <class Int>
  requires std::is_integral_v<Int>
  void number(std::string_view tag, Int value) {
    open(tag);
    std::array<char, 24> buf{};
    auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
    (void)ec;  // 24 bytes hold any 64-bit integer
    out_.append(buf.data(), end);
    close(tag);
  }
  // xsd:boolean; "1"/"0" is the form every ACS parser accepts.
  void boolean(std::string_view tag, bool value) { text(tag, value ? "1" : "0"); }
  // <tag SOAP-ENC:arrayType="itemType[count]">
  void openArray(std::string_view tag, std::string_view itemType, std::size_t count) {
    out_ += '<';
    out_ += tag;
    out_ += " SOAP-ENC:arrayType=\"";
    out_ += itemType;
    out_ += '[';
    out_ += std::to_string(count);
    out_ += "]\">";
  }
  void stringArray(std::string_view tag, const std::vector<std::string>& items) {
    openArray(tag, "xsd:string", items.size());
    for (const auto& s : items) text("string", s);
    close(tag);
  }
  // Big lists are written into one allocation: growing by doubling would copy megabytes
  // and hold two buffers at the peak.
  void reserve(std::size_t more) { out_.reserve(out_.size() + more); }
  // `encoded` holds `encodedCount` more structs, already XML (see messages.hpp).
  void parameterValues(std::string_view tag, const std::vector<ParameterValueStruct>& list,
                       std::string_view encoded = {}, std::size_t encodedCount = 0) {
    std::size_t estimate = encoded.size();
    for (const auto& p : list) estimate += p.name.size() + p.value.size() + 110;
    reserve(estimate);
    openArray(tag, "cwmp:ParameterValueStruct", list.size() + encodedCount);
    for (const auto& p : list) appendParameterValueStruct(out_, p.name, p.type, p.value);
    raw(encoded);
    close(tag);
  }

 private:
  std::string& out_;
};

// ---- one body writer per message type ---------------------------------------------------

void writeFields(Writer&, const GetRPCMethods&) {}
void writeFields(Writer& w, const SetParameterValues& m) {
  w.parameterValues("ParameterList", m.parameterList);
  w.text("ParameterKey", m.parameterKey);
}
void writeFields(Writer& w, const GetParameterValues& m) {
  w.stringArray("ParameterNames", m.parameterNames);
}
void writeFields(Writer& w, const GetParameterNames& m) {
  w.text("ParameterPath", m.parameterPath);
  w.boolean("NextLevel", m.nextLevel);
}
void writeFields(Writer& w, const SetParameterAttributes& m) {
  w.openArray("ParameterList", "cwmp:SetParameterAttributesStruct", m.parameterList.size());
  for (const auto& s : m.parameterList) {
    w.open("SetParameterAttributesStruct");
    w.text("Name", s.name);
    w.boolean("NotificationChange", s.notificationChange);
    w.number("Notification", s.notification);
    w.boolean("AccessListChange", s.accessListChange);
    w.stringArray("AccessList", s.accessList);
    w.close("SetParameterAttributesStruct");
  }
  w.close("ParameterList");
}
void writeFields(Writer& w, const GetParameterAttributes& m) {
  w.stringArray("ParameterNames", m.parameterNames);
}
void writeFields(Writer& w, const AddObject& m) {
  w.text("ObjectName", m.objectName);
  w.text("ParameterKey", m.parameterKey);
}
void writeFields(Writer& w, const DeleteObject& m) {
  w.text("ObjectName", m.objectName);
  w.text("ParameterKey", m.parameterKey);
}
void writeFields(Writer& w, const Reboot& m) { w.text("CommandKey", m.commandKey); }
void writeFields(Writer&, const FactoryReset&) {}
// CommandKey, FileType, URL, Username, Password: the start of Download, Upload and
// ScheduleDownload alike.
template <class Transfer>
void writeTransferStart(Writer& w, const Transfer& m) {
  w.text("CommandKey", m.commandKey);
  w.text("FileType", m.fileType);
  w.text("URL", m.url);
  w.text("Username", m.username);
  w.text("Password", m.password);
}
void writeFields(Writer& w, const Download& m) {
  writeTransferStart(w, m);
  w.number("FileSize", m.fileSize);
  w.text("TargetFileName", m.targetFileName);
  w.number("DelaySeconds", m.delaySeconds);
  w.text("SuccessURL", m.successUrl);
  w.text("FailureURL", m.failureUrl);
}
void writeFields(Writer& w, const Upload& m) {
  writeTransferStart(w, m);
  w.number("DelaySeconds", m.delaySeconds);
}
void writeFields(Writer& w, const ScheduleInform& m) {
  w.number("DelaySeconds", m.delaySeconds);
  w.text("CommandKey", m.commandKey);
}
void writeFields(Writer& w, const ScheduleDownload& m) {
  writeTransferStart(w, m);
  w.number("FileSize", m.fileSize);
  w.text("TargetFileName", m.targetFileName);
  w.openArray("TimeWindowList", "cwmp:TimeWindowStruct", m.timeWindowList.size());
  for (const auto& t : m.timeWindowList) {
    w.open("TimeWindowStruct");
    w.number("WindowStart", t.windowStart);
    w.number("WindowEnd", t.windowEnd);
    w.text("WindowMode", t.windowMode);
    w.text("UserMessage", t.userMessage);
    w.number("MaxRetries", t.maxRetries);
    w.close("TimeWindowStruct");
  }
  w.close("TimeWindowList");
}
void writeFields(Writer& w, const CancelTransfer& m) { w.text("CommandKey", m.commandKey); }
void writeFields(Writer&, const GetQueuedTransfers&) {}
void writeFields(Writer&, const GetAllQueuedTransfers&) {}

// Optional elements of the DU operation structs are written only when non-empty.
void optionalText(Writer& w, std::string_view tag, const std::string& value) {
  if (!value.empty()) w.text(tag, value);
}
void writeOperation(Writer& w, const InstallOp& op) {
  w.raw("<Operations xsi:type=\"cwmp:InstallOpStruct\">");
  w.text("URL", op.url);
  optionalText(w, "UUID", op.uuid);
  optionalText(w, "Username", op.username);
  optionalText(w, "Password", op.password);
  optionalText(w, "ExecutionEnvRef", op.executionEnvRef);
  w.close("Operations");
}
void writeOperation(Writer& w, const UpdateOp& op) {
  w.raw("<Operations xsi:type=\"cwmp:UpdateOpStruct\">");
  optionalText(w, "UUID", op.uuid);
  optionalText(w, "Version", op.version);
  optionalText(w, "URL", op.url);
  optionalText(w, "Username", op.username);
  optionalText(w, "Password", op.password);
  w.close("Operations");
}
void writeOperation(Writer& w, const UninstallOp& op) {
  w.raw("<Operations xsi:type=\"cwmp:UninstallOpStruct\">");
  w.text("UUID", op.uuid);
  optionalText(w, "Version", op.version);
  optionalText(w, "ExecutionEnvRef", op.executionEnvRef);
  w.close("Operations");
}
void writeFields(Writer& w, const ChangeDUState& m) {
  for (const auto& op : m.operations) {
    std::visit([&](const auto& o) { writeOperation(w, o); }, op);
  }
  w.text("CommandKey", m.commandKey);
}
void writeArguments(Writer& w, const std::vector<ArgStruct>& args) {
  for (const auto& a : args) w.text(a.name, a.value);
}
void writeFields(Writer& w, const VendorMethod& m) { writeArguments(w, m.arguments); }
void writeFields(Writer& w, const VendorMethodResponse& m) { writeArguments(w, m.arguments); }

void writeFields(Writer& w, const GetRPCMethodsResponse& m) {
  w.stringArray("MethodList", m.methodList);
}
void writeFields(Writer& w, const SetParameterValuesResponse& m) { w.number("Status", m.status); }
void writeFields(Writer& w, const GetParameterValuesResponse& m) {
  w.parameterValues("ParameterList", m.parameterList, m.encoded, m.encodedCount);
}
void writeFields(Writer& w, const GetParameterNamesResponse& m) {
  std::size_t estimate = m.encoded.size();
  for (const auto& p : m.parameterList) estimate += p.name.size() + 90;
  w.reserve(estimate);
  w.openArray("ParameterList", "cwmp:ParameterInfoStruct", m.parameterList.size() + m.encodedCount);
  for (const auto& p : m.parameterList) appendParameterInfoStruct(w.buffer(), p.name, p.writable);
  w.raw(m.encoded);
  w.close("ParameterList");
}
void writeFields(Writer&, const SetParameterAttributesResponse&) {}
void writeFields(Writer& w, const GetParameterAttributesResponse& m) {
  w.openArray("ParameterList", "cwmp:ParameterAttributeStruct", m.parameterList.size());
  for (const auto& p : m.parameterList) {
    w.open("ParameterAttributeStruct");
    w.text("Name", p.name);
    w.number("Notification", p.notification);
    w.stringArray("AccessList", p.accessList);
    w.close("ParameterAttributeStruct");
  }
  w.close("ParameterList");
}
void writeFields(Writer& w, const AddObjectResponse& m) {
  w.number("InstanceNumber", m.instanceNumber);
  w.number("Status", m.status);
}
void writeFields(Writer& w, const DeleteObjectResponse& m) { w.number("Status", m.status); }
void writeFields(Writer&, const RebootResponse&) {}
void writeFields(Writer&, const FactoryResetResponse&) {}
template <class TransferResponse>
void writeTransferResponse(Writer& w, const TransferResponse& m) {
  w.number("Status", m.status);
  w.text("StartTime", m.startTime);
  w.text("CompleteTime", m.completeTime);
}
void writeFields(Writer& w, const DownloadResponse& m) { writeTransferResponse(w, m); }
void writeFields(Writer& w, const UploadResponse& m) { writeTransferResponse(w, m); }
void writeFields(Writer&, const ScheduleInformResponse&) {}
void writeFields(Writer&, const ScheduleDownloadResponse&) {}
void writeFields(Writer&, const CancelTransferResponse&) {}
void writeFields(Writer& w, const GetQueuedTransfersResponse& m) {
  w.openArray("TransferList", "cwmp:QueuedTransferStruct", m.transferList.size());
  for (const auto& t : m.transferList) {
    w.open("QueuedTransferStruct");
    w.text("CommandKey", t.commandKey);
    w.number("State", t.state);
    w.close("QueuedTransferStruct");
  }
  w.close("TransferList");
}
void writeFields(Writer& w, const GetAllQueuedTransfersResponse& m) {
  w.openArray("TransferList", "cwmp:AllQueuedTransferStruct", m.transferList.size());
  for (const auto& t : m.transferList) {
    w.open("AllQueuedTransferStruct");
    w.text("CommandKey", t.commandKey);
    w.number("State", t.state);
    w.boolean("IsDownload", t.isDownload);
    w.text("FileType", t.fileType);
    w.number("FileSize", t.fileSize);
    w.text("TargetFileName", t.targetFileName);
    w.close("AllQueuedTransferStruct");
  }
  w.close("TransferList");
}
void writeFields(Writer&, const ChangeDUStateResponse&) {}

void writeTransferFault(Writer& w, const TransferFaultStruct& f) {
  w.open("FaultStruct");
  w.number("FaultCode", f.faultCode);
  w.text("FaultString", f.faultString);
  w.close("FaultStruct");
}
void writeFields(Writer& w, const Inform& m) {
  w.open("DeviceId");
  w.text("Manufacturer", m.deviceId.manufacturer);
  w.text("OUI", m.deviceId.oui);
  w.text("ProductClass", m.deviceId.productClass);
  w.text("SerialNumber", m.deviceId.serialNumber);
  w.close("DeviceId");
  w.openArray("Event", "cwmp:EventStruct", m.events.size());
  for (const auto& e : m.events) {
    w.open("EventStruct");
    w.text("EventCode", e.eventCode);
    w.text("CommandKey", e.commandKey);
    w.close("EventStruct");
  }
  w.close("Event");
  w.number("MaxEnvelopes", m.maxEnvelopes);
  w.text("CurrentTime", m.currentTime);
  w.number("RetryCount", m.retryCount);
  w.parameterValues("ParameterList", m.parameterList);
}
void writeFields(Writer& w, const TransferComplete& m) {
  w.text("CommandKey", m.commandKey);
  writeTransferFault(w, m.fault);
  w.text("StartTime", m.startTime);
  w.text("CompleteTime", m.completeTime);
}
void writeFields(Writer& w, const AutonomousTransferComplete& m) {
  w.text("AnnounceURL", m.announceUrl);
  w.text("TransferURL", m.transferUrl);
  w.boolean("IsDownload", m.isDownload);
  w.text("FileType", m.fileType);
  w.number("FileSize", m.fileSize);
  w.text("TargetFileName", m.targetFileName);
  writeTransferFault(w, m.fault);
  w.text("StartTime", m.startTime);
  w.text("CompleteTime", m.completeTime);
}
void writeFields(Writer& w, const RequestDownload& m) {
  w.text("FileType", m.fileType);
  w.openArray("FileTypeArg", "cwmp:ArgStruct", m.fileTypeArg.size());
  for (const auto& a : m.fileTypeArg) {
    w.open("ArgStruct");
    w.text("Name", a.name);
    w.text("Value", a.value);
    w.close("ArgStruct");
  }
  w.close("FileTypeArg");
}
void writeFields(Writer& w, const Kicked& m) {
  w.text("Command", m.command);
  w.text("Referer", m.referer);
  w.text("Arg", m.arg);
  w.text("Next", m.next);
}
void writeOpResult(Writer& w, const OpResultStruct& r, bool autonomous) {
  w.open("Results");
  w.text("UUID", r.uuid);
  w.text("DeploymentUnitRef", r.deploymentUnitRef);
  w.text("Version", r.version);
  w.text("CurrentState", r.currentState);
  w.boolean("Resolved", r.resolved);
  w.text("ExecutionUnitRefList", r.executionUnitRefList);
  w.text("StartTime", r.startTime);
  w.text("CompleteTime", r.completeTime);
  w.open("Fault");
  w.number("FaultCode", r.fault.faultCode);
  w.text("FaultString", r.fault.faultString);
  w.close("Fault");
  if (autonomous) w.text("OperationPerformed", r.operationPerformed);
  w.close("Results");
}
void writeFields(Writer& w, const DUStateChangeComplete& m) {
  for (const auto& r : m.results) writeOpResult(w, r, false);
  w.text("CommandKey", m.commandKey);
}
void writeFields(Writer& w, const AutonomousDUStateChangeComplete& m) {
  for (const auto& r : m.results) writeOpResult(w, r, true);
}

void writeFields(Writer& w, const InformResponse& m) { w.number("MaxEnvelopes", m.maxEnvelopes); }
void writeFields(Writer&, const TransferCompleteResponse&) {}
void writeFields(Writer&, const AutonomousTransferCompleteResponse&) {}
void writeFields(Writer&, const RequestDownloadResponse&) {}
void writeFields(Writer& w, const KickedResponse& m) { w.text("NextURL", m.nextUrl); }
void writeFields(Writer&, const DUStateChangeCompleteResponse&) {}
void writeFields(Writer&, const AutonomousDUStateChangeCompleteResponse&) {}

// SOAP 1.1 section 4.4 Fault, with the cwmp:Fault detail of TR-069 A.5.
void writeFault(Writer& w, const Fault& f) {
  w.open("SOAP-ENV:Fault");
  w.text("faultcode", f.faultcode);
  w.text("faultstring", f.faultstring);
  if (f.code == 0) {
    // SOAP 1.1 section 4.4: a fault about a header entry carries no detail element.
    w.close("SOAP-ENV:Fault");
    return;
  }
  w.open("detail");
  w.open("cwmp:Fault");
  w.number("FaultCode", f.code);
  w.text("FaultString", f.message);
  for (const auto& p : f.setParameterValuesFaults) {
    w.open("SetParameterValuesFault");
    w.text("ParameterName", p.parameterName);
    w.number("FaultCode", p.faultCode);
    w.text("FaultString", p.faultString);
    w.close("SetParameterValuesFault");
  }
  w.close("cwmp:Fault");
  w.close("detail");
  w.close("SOAP-ENV:Fault");
}

void writeHeader(Writer& w, const Header& h) {
  const bool any = h.id || h.holdRequests || h.noMoreRequests || h.sessionTimeout ||
                   h.supportedCwmpVersions || h.useCwmpVersion;
  if (!any) return;
  w.open("SOAP-ENV:Header");
  if (h.id) {
    // TR-069 A.4.1: mustUnderstand is fixed to 1 for cwmp:ID and HoldRequests.
    w.raw("<cwmp:ID SOAP-ENV:mustUnderstand=\"1\">");
    std::string escaped;
    appendEscaped(escaped, *h.id);
    w.raw(escaped);
    w.close("cwmp:ID");
  }
  if (h.holdRequests) {
    w.raw("<cwmp:HoldRequests SOAP-ENV:mustUnderstand=\"1\">");
    w.raw(*h.holdRequests ? "1" : "0");
    w.close("cwmp:HoldRequests");
  }
  if (h.noMoreRequests) w.boolean("cwmp:NoMoreRequests", *h.noMoreRequests);
  if (h.sessionTimeout) w.number("cwmp:SessionTimeout", *h.sessionTimeout);
  if (h.supportedCwmpVersions) {
    w.raw("<cwmp:SupportedCWMPVersions SOAP-ENV:mustUnderstand=\"0\">");
    std::string escaped;
    appendEscaped(escaped, *h.supportedCwmpVersions);
    w.raw(escaped);
    w.close("cwmp:SupportedCWMPVersions");
  }
  if (h.useCwmpVersion) {
    w.raw("<cwmp:UseCWMPVersion SOAP-ENV:mustUnderstand=\"1\">");
    std::string escaped;
    appendEscaped(escaped, *h.useCwmpVersion);
    w.raw(escaped);
    w.close("cwmp:UseCWMPVersion");
  }
  w.close("SOAP-ENV:Header");
}

}  // namespace

std::string encode(const Envelope& envelope) {
  std::string out;
  if (std::holds_alternative<Empty>(envelope.body)) return out;
  out.reserve(1024);
  Writer w(out);
  w.raw(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" "
      "xmlns:SOAP-ENC=\"http://schemas.xmlsoap.org/soap/encoding/\" "
      "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "
      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:cwmp=\"");
  w.raw(namespaceUrn(envelope.ns));
  w.raw("\">");
  writeHeader(w, envelope.header);
  w.open("SOAP-ENV:Body");
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Empty>) {
          // handled above
        } else if constexpr (std::is_same_v<T, Fault>) {
          writeFault(w, m);
        } else {
          std::string tag = "cwmp:";
          if constexpr (std::is_same_v<T, VendorMethod> ||
                        std::is_same_v<T, VendorMethodResponse>) {
            tag += m.name;
          } else {
            tag += detail::methodName<T>();
          }
          w.open(tag);
          writeFields(w, m);
          w.close(tag);
        }
      },
      envelope.body);
  w.close("SOAP-ENV:Body");
  w.close("SOAP-ENV:Envelope");
  return out;
}

}  // namespace cwmpd::core::soap
