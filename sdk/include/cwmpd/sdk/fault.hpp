// Protocol-neutral faults. Plugins and the core throw cwmpd::sdk::Fault; the one table of
// fault codes below says what each code is called, its SOAP faultcode and its fault
// string. The SOAP encoder (core/src/soap/fault_map.cpp) and the D-Bus errors
// (bus/, org.cwmpd.Fault.<Name>) both read it.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace cwmpd::sdk {

// The one table of fault codes: TR-069 Amendment 6, A.5.1 (CPE faults 9000-9032, with
// the 9020-9032 transfer and deployment-unit faults of Amendments 3-6 as the
// cwmp-1-2 schema lists them) and A.5.2 (ACS faults 8000-8006; 8006 came with
// cwmp-1-4).
//
// Columns: code, name, SOAP faultcode, fault string. The name is the FaultCode
// enumerator and the D-Bus error "org.cwmpd.Fault.<name>": a public contract, never
// renamed (a D-Bus name element: letters, digits and '_', not starting with a digit).
// The fault strings are the ones the agent has always sent; where the schema's wording
// differs ("Request denied (no reason specified)") the shorter one is kept.
//
// Adding a code: one ROW here. Everything else (FaultCode, faultString, the SOAP
// faultcode, the D-Bus error name) follows.
#define CWMPD_SDK_FAULT_TABLE(ROW)                                                            \
  ROW(9000, MethodNotSupported, Server, "Method not supported")                               \
  ROW(9001, RequestDenied, Server, "Request denied")                                          \
  ROW(9002, InternalError, Server, "Internal error")                                          \
  ROW(9003, InvalidArguments, Client, "Invalid arguments")                                    \
  ROW(9004, ResourcesExceeded, Server, "Resources exceeded")                                  \
  ROW(9005, InvalidParameterName, Client, "Invalid parameter name")                           \
  ROW(9006, InvalidParameterType, Client, "Invalid parameter type")                           \
  ROW(9007, InvalidParameterValue, Client, "Invalid parameter value")                         \
  ROW(9008, NonWritableParameter, Client, "Attempt to set a non-writable parameter")          \
  ROW(9009, NotificationRequestRejected, Server, "Notification request rejected")             \
  ROW(9010, DownloadFailure, Server, "Download failure")                                      \
  ROW(9011, UploadFailure, Server, "Upload failure")                                          \
  ROW(9012, FileTransferAuthFailure, Server, "File transfer server authentication failure")   \
  ROW(9013, UnsupportedTransferProtocol, Server, "Unsupported protocol for file transfer")    \
  ROW(9014, DownloadFailureMulticastJoin, Server,                                             \
      "Download failure: unable to join multicast group")                                     \
  ROW(9015, DownloadFailureContactServer, Server,                                             \
      "Download failure: unable to contact file server")                                      \
  ROW(9016, DownloadFailureAccessFile, Server, "Download failure: unable to access file")     \
  ROW(9017, DownloadFailureComplete, Server, "Download failure: unable to complete download") \
  ROW(9018, DownloadFailureCorrupted, Server, "Download failure: file corrupted")             \
  ROW(9019, DownloadFailureAuthentication, Server,                                            \
      "Download failure: file authentication failure")                                        \
  ROW(9020, DownloadFailureTimeWindows, Server,                                               \
      "Download failure: unable to complete download within specified time windows")          \
  ROW(9021, CancelTransferNotPermitted, Client,                                               \
      "Cancelation of file transfer not permitted in current transfer state")                 \
  ROW(9022, InvalidUuidFormat, Server, "Invalid UUID Format")                                 \
  ROW(9023, UnknownExecutionEnvironment, Server, "Unknown Execution Environment")             \
  ROW(9024, DisabledExecutionEnvironment, Server, "Disabled Execution Environment")           \
  ROW(9025, DeploymentUnitEnvironmentMismatch, Server,                                        \
      "Deployment Unit to Execution Environment Mismatch")                                    \
  ROW(9026, DuplicateDeploymentUnit, Server, "Duplicate Deployment Unit")                     \
  ROW(9027, SystemResourcesExceeded, Server, "System Resources Exceeded")                     \
  ROW(9028, UnknownDeploymentUnit, Server, "Unknown Deployment Unit")                         \
  ROW(9029, InvalidDeploymentUnitState, Server, "Invalid Deployment Unit State")              \
  ROW(9030, DeploymentUnitDowngradeNotPermitted, Server,                                      \
      "Invalid Deployment Unit Update - Downgrade not permitted")                             \
  ROW(9031, DeploymentUnitVersionNotSpecified, Server,                                        \
      "Invalid Deployment Unit Update - Version not specified")                               \
  ROW(9032, DeploymentUnitVersionExists, Server,                                              \
      "Invalid Deployment Unit Update - Version already exists")                              \
  ROW(8000, AcsMethodNotSupported, Server, "Method not supported")                            \
  ROW(8001, AcsRequestDenied, Server, "Request denied")                                       \
  ROW(8002, AcsInternalError, Server, "Internal error")                                       \
  ROW(8003, AcsInvalidArguments, Client, "Invalid arguments")                                 \
  ROW(8004, AcsResourcesExceeded, Server, "Resources exceeded")                               \
  ROW(8005, AcsRetryRequest, Server, "Retry request")                                         \
  ROW(8006, AcsVersionIncompatible, Server, "ACS version incompatible with CPE")

#define CWMPD_SDK_FAULT_ENUMERATOR(code, name, faultcode, text) name = code,
// Every code of the table, by name (FaultCode::InvalidParameterName == 9005).
enum class FaultCode : int { CWMPD_SDK_FAULT_TABLE(CWMPD_SDK_FAULT_ENUMERATOR) };
#undef CWMPD_SDK_FAULT_ENUMERATOR

// The SOAP 1.1 faultcode TR-069 gives a code: the ACS's mistake or the CPE's trouble.
enum class SoapFaultcode : std::uint8_t { Client, Server };

// One row of the table.
struct FaultInfo {
  int code = 0;
  std::string_view name;  // "InvalidParameterName"; "Vendor" for the vendor ranges
  SoapFaultcode soapFaultcode = SoapFaultcode::Server;
  std::string_view string;  // "Invalid parameter name"
};

#define CWMPD_SDK_FAULT_INFO(code, name, faultcode, text) \
  FaultInfo{code, #name, SoapFaultcode::faultcode, text},
inline constexpr FaultInfo kFaults[] = {CWMPD_SDK_FAULT_TABLE(CWMPD_SDK_FAULT_INFO)};
#undef CWMPD_SDK_FAULT_INFO

// The vendor ranges (TR-069 A.5.1/A.5.2): one name and string for the whole range.
struct FaultRange {
  int first = 0;
  int last = 0;
  FaultInfo info;
};
inline constexpr FaultRange kVendorFaults[] = {
    {9800, 9899, {9800, "Vendor", SoapFaultcode::Server, "Vendor defined fault"}},
    {8800, 8899, {8800, "Vendor", SoapFaultcode::Server, "Vendor defined fault"}},
};

// The row of `code` (for a vendor code, its range's row), or
// nullptr for a code outside the table (9033-9799 are reserved, 42 is no fault).
[[nodiscard]] inline const FaultInfo* findFault(int code) noexcept {
  for (const auto& f : kFaults)
    if (f.code == code) return &f;
  for (const auto& r : kVendorFaults)
    if (code >= r.first && code <= r.last) return &r.info;
  return nullptr;
}

// The fault string the table gives for a code ("Method not supported", ...), or
// "Unknown fault". Inline: the SDK is header-only, plugins link nothing of the core.
[[nodiscard]] inline const char* faultString(int code) noexcept {
  const FaultInfo* f = findFault(code);
  // The table's strings are literals: data() is NUL-terminated.
  return f != nullptr ? f->string.data() : "Unknown fault";
}

// Thrown by handlers and by the engine. `detail` is a human-readable reason that the
// ACS sees after the standard fault string; it must never contain secrets.
class Fault : public std::runtime_error {
 public:
  Fault(FaultCode code, const std::string& detail = {}) : Fault(static_cast<int>(code), detail) {}
  Fault(int code, const std::string& detail = {})
      : std::runtime_error(detail.empty() ? std::string(faultString(code)) : detail), code_(code) {}
  [[nodiscard]] int code() const noexcept { return code_; }

 private:
  int code_;
};

}  // namespace cwmpd::sdk
