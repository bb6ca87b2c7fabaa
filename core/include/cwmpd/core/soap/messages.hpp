// The CWMP (TR-069 Amendment 6) message model: one plain struct per RPC, request and
// response, in both directions, so that the same model serves the CPE (decode ACS
// requests, encode answers) and test ACSs (decode what the CPE sends).
//
// Fields are kept as the wire carries them (dateTime as its lexical string, values as
// text with their xsi:type), so decode(encode(m)) == m for every message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace cwmpd::core::soap {

// The CWMP namespace of an envelope. CWMP 1.2, 1.3 and 1.4 all use cwmp-1-2; GenieACS
// also answers in the non-standard cwmp-1-3 namespace when a CPE uses it, so the
// decoder accepts -1-3 and -1-4 too (the encoder writes whatever is asked).
enum class CwmpNamespace : std::uint8_t { V1_0, V1_1, V1_2, V1_3, V1_4 };

// "urn:dslforum-org:cwmp-1-0" ...
[[nodiscard]] const char* namespaceUrn(CwmpNamespace ns) noexcept;
// The inverse; nullopt for anything that is not a CWMP namespace.
[[nodiscard]] std::optional<CwmpNamespace> namespaceFromUrn(std::string_view urn) noexcept;

// SOAP Header entries of TR-069 Amendment 6 section A.4.1.
struct Header {
  std::optional<std::string> id;  // cwmp:ID, echoed in the answer
  bool idMustUnderstand = true;
  std::optional<bool> holdRequests;                  // ACS -> CPE only
  std::optional<bool> noMoreRequests;                // deprecated (cwmp-1-0), still seen
  std::optional<std::uint32_t> sessionTimeout;       // CWMP 1.3+, CPE -> ACS in Inform
  std::optional<std::string> supportedCwmpVersions;  // "1.0,1.1,1.2,1.3,1.4", CPE -> ACS
  std::optional<std::string> useCwmpVersion;         // "1.4", ACS -> CPE
  // Header entries we do not know that carried mustUnderstand="1" (decode only): SOAP 1.1
  // section 4.2.3 says such a message must not be processed.
  std::vector<std::string> unknownMustUnderstand;
  bool operator==(const Header&) const = default;
};

// ---- Shared structs --------------------------------------------------------------------

struct ParameterValueStruct {
  std::string name;
  std::string value;
  std::string type;  // xsi:type as "xsd:string", "xsd:unsignedInt", ...; empty when absent
  bool operator==(const ParameterValueStruct&) const = default;
};

struct ParameterInfoStruct {
  std::string name;
  bool writable = false;
  bool operator==(const ParameterInfoStruct&) const = default;
};

struct ParameterAttributeStruct {
  std::string name;
  int notification = 0;
  std::vector<std::string> accessList;
  bool operator==(const ParameterAttributeStruct&) const = default;
};

struct SetParameterAttributesStruct {
  std::string name;  // a parameter or a partial path ending in "."
  bool notificationChange = false;
  int notification = 0;  // 0 when <Notification></Notification> is empty (GenieACS)
  bool accessListChange = false;
  std::vector<std::string> accessList;
  bool operator==(const SetParameterAttributesStruct&) const = default;
};

struct DeviceIdStruct {
  std::string manufacturer;
  std::string oui;
  std::string productClass;
  std::string serialNumber;
  bool operator==(const DeviceIdStruct&) const = default;
};

struct EventStruct {
  std::string eventCode;  // "0 BOOTSTRAP", "M Reboot", "X CT-COM BIND"
  std::string commandKey;
  bool operator==(const EventStruct&) const = default;
};

// FaultStruct of TransferComplete / AutonomousTransferComplete (0 = success).
struct TransferFaultStruct {
  std::uint32_t faultCode = 0;
  std::string faultString;
  bool operator==(const TransferFaultStruct&) const = default;
};

struct TimeWindowStruct {
  std::uint32_t windowStart = 0;
  std::uint32_t windowEnd = 0;
  std::string
      windowMode;  // "1 At Any Time", "2 Immediately", "3 When Idle", "4 Confirmation Needed"
  std::string userMessage;
  int maxRetries = 0;
  bool operator==(const TimeWindowStruct&) const = default;
};

struct QueuedTransferStruct {
  std::string commandKey;
  int state = 1;  // 1 not yet started, 2 in progress, 3 completed
  bool operator==(const QueuedTransferStruct&) const = default;
};

struct AllQueuedTransferStruct {
  std::string commandKey;
  int state = 1;
  bool isDownload = true;
  std::string fileType;
  std::uint32_t fileSize = 0;
  std::string targetFileName;
  bool operator==(const AllQueuedTransferStruct&) const = default;
};

struct ArgStruct {
  std::string name;
  std::string value;
  bool operator==(const ArgStruct&) const = default;
};

// ChangeDUState operations (TR-069 A.4.1.14): written as <Operations xsi:type="cwmp:...">.
struct InstallOp {
  std::string url;
  std::string uuid;
  std::string username;
  std::string password;
  std::string executionEnvRef;
  bool operator==(const InstallOp&) const = default;
};
struct UpdateOp {
  std::string uuid;
  std::string version;
  std::string url;
  std::string username;
  std::string password;
  bool operator==(const UpdateOp&) const = default;
};
struct UninstallOp {
  std::string uuid;
  std::string version;
  std::string executionEnvRef;
  bool operator==(const UninstallOp&) const = default;
};
using DuOperation = std::variant<InstallOp, UpdateOp, UninstallOp>;

struct DeploymentUnitFault {
  std::uint32_t faultCode = 0;
  std::string faultString;
  bool operator==(const DeploymentUnitFault&) const = default;
};

struct OpResultStruct {
  std::string uuid;
  std::string deploymentUnitRef;
  std::string version;
  std::string currentState;  // "Installed", "Uninstalled", "Failed"
  bool resolved = false;
  std::string executionUnitRefList;
  std::string startTime;
  std::string completeTime;
  DeploymentUnitFault fault;
  std::string operationPerformed;  // AutonomousDUStateChangeComplete only
  bool operator==(const OpResultStruct&) const = default;
};

// ---- CPE methods (ACS -> CPE requests) --------------------------------------------------

struct GetRPCMethods {
  bool operator==(const GetRPCMethods&) const = default;
};
struct SetParameterValues {
  // In document order; duplicates are kept so that the engine can answer 9003.
  std::vector<ParameterValueStruct> parameterList;
  std::string parameterKey;
  bool operator==(const SetParameterValues&) const = default;
};
struct GetParameterValues {
  std::vector<std::string> parameterNames;
  bool operator==(const GetParameterValues&) const = default;
};
struct GetParameterNames {
  std::string parameterPath;
  bool nextLevel = false;
  bool operator==(const GetParameterNames&) const = default;
};
struct SetParameterAttributes {
  std::vector<SetParameterAttributesStruct> parameterList;
  bool operator==(const SetParameterAttributes&) const = default;
};
struct GetParameterAttributes {
  std::vector<std::string> parameterNames;
  bool operator==(const GetParameterAttributes&) const = default;
};
struct AddObject {
  std::string objectName;
  std::string parameterKey;
  bool operator==(const AddObject&) const = default;
};
struct DeleteObject {
  std::string objectName;
  std::string parameterKey;
  bool operator==(const DeleteObject&) const = default;
};
struct Reboot {
  std::string commandKey;
  bool operator==(const Reboot&) const = default;
};
struct FactoryReset {
  bool operator==(const FactoryReset&) const = default;
};
struct Download {
  std::string commandKey;
  std::string fileType;
  std::string url;
  std::string username;
  std::string password;
  std::uint32_t fileSize = 0;
  std::string targetFileName;
  std::uint32_t delaySeconds = 0;
  std::string successUrl;
  std::string failureUrl;
  bool operator==(const Download&) const = default;
};
struct Upload {
  std::string commandKey;
  std::string fileType;
  std::string url;
  std::string username;
  std::string password;
  std::uint32_t delaySeconds = 0;
  bool operator==(const Upload&) const = default;
};
struct ScheduleInform {
  std::uint32_t delaySeconds = 0;
  std::string commandKey;
  bool operator==(const ScheduleInform&) const = default;
};
struct ScheduleDownload {
  std::string commandKey;
  std::string fileType;
  std::string url;
  std::string username;
  std::string password;
  std::uint32_t fileSize = 0;
  std::string targetFileName;
  std::vector<TimeWindowStruct> timeWindowList;
  bool operator==(const ScheduleDownload&) const = default;
};
struct CancelTransfer {
  std::string commandKey;
  bool operator==(const CancelTransfer&) const = default;
};
struct GetQueuedTransfers {
  bool operator==(const GetQueuedTransfers&) const = default;
};
struct GetAllQueuedTransfers {
  bool operator==(const GetAllQueuedTransfers&) const = default;
};
struct ChangeDUState {
  std::vector<DuOperation> operations;
  std::string commandKey;
  bool operator==(const ChangeDUState&) const = default;
};
// A vendor method ("X_<OUI>_Name", TR-069 A.3.1): its direct children as name/value
// pairs, in order (an element with children gives its concatenated text).
struct VendorMethod {
  std::string name;
  std::vector<ArgStruct> arguments;
  bool operator==(const VendorMethod&) const = default;
};

// ---- CPE responses (CPE -> ACS) ---------------------------------------------------------

struct GetRPCMethodsResponse {
  std::vector<std::string> methodList;
  bool operator==(const GetRPCMethodsResponse&) const = default;
};
struct SetParameterValuesResponse {
  int status = 0;
  bool operator==(const SetParameterValuesResponse&) const = default;
};
// A whole-tree answer is megabytes. Instead of parameterList, the dispatcher may fill
// `encoded` with `encodedCount` structs already written as XML (encoder.hpp's
// appendParameterValueStruct / appendParameterInfoStruct) while it walks the model, so
// that the values never exist twice; the encoder then writes them as they are, after
// any parameterList entries. The decoder always fills parameterList.
struct GetParameterValuesResponse {
  std::vector<ParameterValueStruct> parameterList;
  std::string encoded;
  std::size_t encodedCount = 0;
  bool operator==(const GetParameterValuesResponse&) const = default;
};
struct GetParameterNamesResponse {
  std::vector<ParameterInfoStruct> parameterList;
  std::string encoded;
  std::size_t encodedCount = 0;
  bool operator==(const GetParameterNamesResponse&) const = default;
};
struct SetParameterAttributesResponse {
  bool operator==(const SetParameterAttributesResponse&) const = default;
};
struct GetParameterAttributesResponse {
  std::vector<ParameterAttributeStruct> parameterList;
  bool operator==(const GetParameterAttributesResponse&) const = default;
};
struct AddObjectResponse {
  std::uint32_t instanceNumber = 0;
  int status = 0;
  bool operator==(const AddObjectResponse&) const = default;
};
struct DeleteObjectResponse {
  int status = 0;
  bool operator==(const DeleteObjectResponse&) const = default;
};
struct RebootResponse {
  bool operator==(const RebootResponse&) const = default;
};
struct FactoryResetResponse {
  bool operator==(const FactoryResetResponse&) const = default;
};
// Unknown times are "0001-01-01T00:00:00Z" (TR-069 A.4.1.5).
struct DownloadResponse {
  int status = 0;
  std::string startTime = "0001-01-01T00:00:00Z";
  std::string completeTime = "0001-01-01T00:00:00Z";
  bool operator==(const DownloadResponse&) const = default;
};
struct UploadResponse {
  int status = 0;
  std::string startTime = "0001-01-01T00:00:00Z";
  std::string completeTime = "0001-01-01T00:00:00Z";
  bool operator==(const UploadResponse&) const = default;
};
struct ScheduleInformResponse {
  bool operator==(const ScheduleInformResponse&) const = default;
};
struct ScheduleDownloadResponse {
  bool operator==(const ScheduleDownloadResponse&) const = default;
};
struct CancelTransferResponse {
  bool operator==(const CancelTransferResponse&) const = default;
};
struct GetQueuedTransfersResponse {
  std::vector<QueuedTransferStruct> transferList;
  bool operator==(const GetQueuedTransfersResponse&) const = default;
};
struct GetAllQueuedTransfersResponse {
  std::vector<AllQueuedTransferStruct> transferList;
  bool operator==(const GetAllQueuedTransfersResponse&) const = default;
};
struct ChangeDUStateResponse {
  bool operator==(const ChangeDUStateResponse&) const = default;
};
struct VendorMethodResponse {
  std::string name;  // "X_0000C0_FooResponse"
  std::vector<ArgStruct> arguments;
  bool operator==(const VendorMethodResponse&) const = default;
};

// ---- ACS methods (CPE -> ACS requests) --------------------------------------------------

struct Inform {
  DeviceIdStruct deviceId;
  std::vector<EventStruct> events;
  std::uint32_t maxEnvelopes = 1;
  std::string currentTime;
  std::uint32_t retryCount = 0;
  std::vector<ParameterValueStruct> parameterList;
  bool operator==(const Inform&) const = default;
};
struct TransferComplete {
  std::string commandKey;
  TransferFaultStruct fault;
  std::string startTime = "0001-01-01T00:00:00Z";
  std::string completeTime = "0001-01-01T00:00:00Z";
  bool operator==(const TransferComplete&) const = default;
};
struct AutonomousTransferComplete {
  std::string announceUrl;
  std::string transferUrl;
  bool isDownload = true;
  std::string fileType;
  std::uint32_t fileSize = 0;
  std::string targetFileName;
  TransferFaultStruct fault;
  std::string startTime = "0001-01-01T00:00:00Z";
  std::string completeTime = "0001-01-01T00:00:00Z";
  bool operator==(const AutonomousTransferComplete&) const = default;
};
struct RequestDownload {
  std::string fileType;
  std::vector<ArgStruct> fileTypeArg;
  bool operator==(const RequestDownload&) const = default;
};
struct Kicked {
  std::string command;
  std::string referer;
  std::string arg;
  std::string next;
  bool operator==(const Kicked&) const = default;
};
struct DUStateChangeComplete {
  std::vector<OpResultStruct> results;
  std::string commandKey;
  bool operator==(const DUStateChangeComplete&) const = default;
};
struct AutonomousDUStateChangeComplete {
  std::vector<OpResultStruct> results;  // operationPerformed is set on each
  bool operator==(const AutonomousDUStateChangeComplete&) const = default;
};

// ---- ACS responses (ACS -> CPE) ---------------------------------------------------------

struct InformResponse {
  std::uint32_t maxEnvelopes = 1;
  bool operator==(const InformResponse&) const = default;
};
struct TransferCompleteResponse {
  bool operator==(const TransferCompleteResponse&) const = default;
};
struct AutonomousTransferCompleteResponse {
  bool operator==(const AutonomousTransferCompleteResponse&) const = default;
};
struct RequestDownloadResponse {
  bool operator==(const RequestDownloadResponse&) const = default;
};
struct KickedResponse {
  std::string nextUrl;
  bool operator==(const KickedResponse&) const = default;
};
struct DUStateChangeCompleteResponse {
  bool operator==(const DUStateChangeCompleteResponse&) const = default;
};
struct AutonomousDUStateChangeCompleteResponse {
  bool operator==(const AutonomousDUStateChangeCompleteResponse&) const = default;
};

// ---- SOAP Fault (both directions: CPE 9xxx, ACS 8xxx) ----------------------------------

struct SetParameterValuesFault {
  std::string parameterName;
  int faultCode = 0;
  std::string faultString;
  bool operator==(const SetParameterValuesFault&) const = default;
};
struct Fault {
  std::string faultcode =
      "Server";  // SOAP faultcode: "Client", "Server", "SOAP-ENV:MustUnderstand"
  std::string faultstring = "CWMP fault";
  // cwmp:Fault FaultCode. 0: a plain SOAP fault without the cwmp:Fault detail, for a
  // header entry not understood (SOAP 1.1 section 4.4: detail is for Body errors only).
  int code = 0;
  std::string message;  // cwmp:Fault FaultString
  std::vector<SetParameterValuesFault> setParameterValuesFaults;
  bool operator==(const Fault&) const = default;
};

// An HTTP payload with no envelope (empty POST, or an envelope with an empty Body):
// TR-069 3.7.2.4 gives it its own meaning, the session layer handles it.
struct Empty {
  bool operator==(const Empty&) const = default;
};

using Body =
    std::variant<Empty, Fault,
                 // ACS -> CPE requests
                 GetRPCMethods, SetParameterValues, GetParameterValues, GetParameterNames,
                 SetParameterAttributes, GetParameterAttributes, AddObject, DeleteObject, Reboot,
                 FactoryReset, Download, Upload, ScheduleInform, ScheduleDownload, CancelTransfer,
                 GetQueuedTransfers, GetAllQueuedTransfers, ChangeDUState, VendorMethod,
                 // CPE -> ACS responses
                 GetRPCMethodsResponse, SetParameterValuesResponse, GetParameterValuesResponse,
                 GetParameterNamesResponse, SetParameterAttributesResponse,
                 GetParameterAttributesResponse, AddObjectResponse, DeleteObjectResponse,
                 RebootResponse, FactoryResetResponse, DownloadResponse, UploadResponse,
                 ScheduleInformResponse, ScheduleDownloadResponse, CancelTransferResponse,
                 GetQueuedTransfersResponse, GetAllQueuedTransfersResponse, ChangeDUStateResponse,
                 VendorMethodResponse,
                 // CPE -> ACS requests
                 Inform, TransferComplete, AutonomousTransferComplete, RequestDownload, Kicked,
                 DUStateChangeComplete, AutonomousDUStateChangeComplete,
                 // ACS -> CPE responses
                 InformResponse, TransferCompleteResponse, AutonomousTransferCompleteResponse,
                 RequestDownloadResponse, KickedResponse, DUStateChangeCompleteResponse,
                 AutonomousDUStateChangeCompleteResponse>;

struct Envelope {
  CwmpNamespace ns = CwmpNamespace::V1_0;
  Header header;
  Body body;
  bool operator==(const Envelope&) const = default;
};

// The element name of the body ("Inform", "Fault", "X_ACME_Foo"; "" for Empty).
[[nodiscard]] std::string methodName(const Body& body);

}  // namespace cwmpd::core::soap
