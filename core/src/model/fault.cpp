#include "cwmpd/sdk/fault.hpp"
#include "cwmpd/sdk/types.hpp"

namespace cwmpd::sdk {

const char* faultString(int code) noexcept {
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

const char* xsdTypeName(ParamType t) noexcept {
  switch (t) {
    case ParamType::String: return "xsd:string";
    case ParamType::Int: return "xsd:int";
    case ParamType::UnsignedInt: return "xsd:unsignedInt";
    case ParamType::Long: return "xsd:long";
    case ParamType::UnsignedLong: return "xsd:unsignedLong";
    case ParamType::Boolean: return "xsd:boolean";
    case ParamType::DateTime: return "xsd:dateTime";
    case ParamType::Base64: return "xsd:base64Binary";  // "base64" is not an XML Schema type; schema validation needs this
    case ParamType::HexBinary: return "xsd:hexBinary";
  }
  return "xsd:string";
}

}  // namespace cwmpd::sdk
