// Protocol-neutral faults. Plugins and the core throw cwmpd::sdk::Fault; one place
// (core/src/fault_map.cpp) turns them into CWMP 9xxx SOAP faults and bus/ into
// org.cwmpd.Fault.* D-Bus errors.
#pragma once

#include <stdexcept>
#include <string>

namespace cwmpd::sdk {

// CPE fault codes of TR-069 Amendment 6, Table A.5.1 (9800-9899 are vendor codes).
enum class FaultCode : int {
  MethodNotSupported = 9000,
  RequestDenied = 9001,
  InternalError = 9002,
  InvalidArguments = 9003,
  ResourcesExceeded = 9004,
  InvalidParameterName = 9005,
  InvalidParameterType = 9006,
  InvalidParameterValue = 9007,
  NonWritableParameter = 9008,
  NotificationRequestRejected = 9009,
  DownloadFailure = 9010,
  UploadFailure = 9011,
  FileTransferAuthFailure = 9012,
  UnsupportedTransferProtocol = 9013,
  DownloadFailureMulticastJoin = 9014,
  DownloadFailureContactServer = 9015,
  DownloadFailureAccessFile = 9016,
  DownloadFailureComplete = 9017,
  DownloadFailureCorrupted = 9018,
  DownloadFailureAuthentication = 9019,
};

// The fault string the spec gives for a code ("Method not supported", ...).
const char* faultString(int code) noexcept;

// Thrown by handlers and by the engine. `detail` is a human-readable reason that the
// ACS sees after the standard fault string; it must never contain secrets.
class Fault : public std::runtime_error {
 public:
  Fault(FaultCode code, const std::string& detail = {})
      : Fault(static_cast<int>(code), detail) {}
  Fault(int code, const std::string& detail = {})
      : std::runtime_error(detail.empty() ? std::string(faultString(code)) : detail), code_(code) {}
  [[nodiscard]] int code() const noexcept { return code_; }

 private:
  int code_;
};

}  // namespace cwmpd::sdk
