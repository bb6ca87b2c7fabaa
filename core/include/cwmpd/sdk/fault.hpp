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

// The fault string the spec gives for a code ("Method not supported", ...). Inline: the
// SDK is header-only, plugins link nothing of the core.
inline const char* faultString(int code) noexcept {
  switch (code) {
    case 9000: return "Method not supported";
    case 9001: return "Request denied";
    case 9002: return "Internal error";
    case 9003: return "Invalid arguments";
    case 9004: return "Resources exceeded";
    case 9005: return "Invalid parameter name";
    case 9006: return "Invalid parameter type";
    case 9007: return "Invalid parameter value";
    case 9008: return "Attempt to set a non-writable parameter";
    case 9009: return "Notification request rejected";
    case 9010: return "Download failure";
    case 9011: return "Upload failure";
    case 9012: return "File transfer server authentication failure";
    case 9013: return "Unsupported protocol for file transfer";
    case 9014: return "Download failure: unable to join multicast group";
    case 9015: return "Download failure: unable to contact file server";
    case 9016: return "Download failure: unable to access file";
    case 9017: return "Download failure: unable to complete download";
    case 9018: return "Download failure: file corrupted";
    case 9019: return "Download failure: file authentication failure";
    // Amendment 6 additions used by ScheduleDownload and CancelTransfer.
    case 9020: return "Download failure: unable to complete download within specified time windows";
    case 9021: return "Cancelation of file transfer not permitted in current transfer state";
    default: break;
  }
  if (code >= 9800 && code <= 9899) return "Vendor defined fault";
  if (code >= 8000 && code <= 8005) {
    switch (code) {
      case 8000: return "Method not supported";
      case 8001: return "Request denied";
      case 8002: return "Internal error";
      case 8003: return "Invalid arguments";
      case 8004: return "Resources exceeded";
      case 8005: return "Retry request";
    }
  }
  return "Unknown fault";
}

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
