#include "cwmpd/bus/fault_names.hpp"

#include "cwmpd/bus/names.hpp"

namespace cwmpd::bus {

const char* faultName(int code) noexcept {
  // TR-069 Amendment 6, Table A.5.1 (CPE fault codes).
  switch (code) {
    case 9000:
      return "MethodNotSupported";
    case 9001:
      return "RequestDenied";
    case 9002:
      return "InternalError";
    case 9003:
      return "InvalidArguments";
    case 9004:
      return "ResourcesExceeded";
    case 9005:
      return "InvalidParameterName";
    case 9006:
      return "InvalidParameterType";
    case 9007:
      return "InvalidParameterValue";
    case 9008:
      return "NonWritableParameter";
    case 9009:
      return "NotificationRequestRejected";
    case 9010:
      return "DownloadFailure";
    case 9011:
      return "UploadFailure";
    case 9012:
      return "FileTransferAuthFailure";
    case 9013:
      return "UnsupportedTransferProtocol";
    case 9014:
      return "DownloadFailureMulticastJoin";
    case 9015:
      return "DownloadFailureContactServer";
    case 9016:
      return "DownloadFailureAccessFile";
    case 9017:
      return "DownloadFailureComplete";
    case 9018:
      return "DownloadFailureCorrupted";
    case 9019:
      return "DownloadFailureAuthentication";
    default:
      break;
  }
  if (code >= 9800 && code <= 9899) return "Vendor";
  return "InternalError";
}

std::string faultErrorName(int code) { return std::string(kFaultErrorPrefix) + faultName(code); }

std::string faultErrorMessage(int code, std::string_view detail) {
  const std::string_view standard = sdk::faultString(code);
  std::string message = std::to_string(code);
  message += ' ';
  message += standard;
  if (detail.empty() || detail == standard) return message;
  // Details that already begin with the standard string ("Invalid parameter value: not an
  // integer") are not prefixed with it a second time.
  if (detail.substr(0, standard.size()) == standard) {
    message += detail.substr(standard.size());
  } else {
    message += ": ";
    message += detail;
  }
  return message;
}

std::string faultErrorMessage(const sdk::Fault& fault) {
  return faultErrorMessage(fault.code(), fault.what());
}

std::string faultErrorMessage(const core::SetFault& fault) {
  std::string message = faultErrorMessage(fault.code(), fault.what());
  for (const auto& parameter : fault.parameters()) {
    message += "\n  ";
    message += parameter.name;
    message += ": ";
    message += faultErrorMessage(parameter.code, parameter.message);
  }
  return message;
}

}  // namespace cwmpd::bus
