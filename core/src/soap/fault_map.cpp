#include "cwmpd/core/soap/fault_map.hpp"

#include <new>

namespace cwmpd::core::soap {

// TR-069 Amendment 6, A.5.1, Table "Fault codes": the SOAP faultcode column. The
// argument and name errors are the ACS's ("Client"); everything the CPE could not do,
// including a rejected notification request (9009) and the transfer failures, is the
// CPE's ("Server"). The deployment-unit codes 9021-9032 are "Client" except 9020.
const char* soapFaultcode(int code) noexcept {
  switch (code) {
    case 9003:
    case 9005:
    case 9006:
    case 9007:
    case 9008:
      return "Client";
    default:
      break;
  }
  if (code >= 9021 && code <= 9032) return "Client";
  // ACS faults (8000-8005) are all "Server" except invalid arguments.
  if (code == 8003) return "Client";
  return "Server";
}

Fault makeFault(int code, std::string_view detail) {
  Fault f;
  f.faultcode = soapFaultcode(code);
  f.faultstring = "CWMP fault";
  f.code = code;
  f.message = detail.empty() ? std::string(sdk::faultString(code)) : std::string(detail);
  return f;
}

Fault toSoapFault(const sdk::Fault& fault) {
  Fault f = makeFault(fault.code(), fault.what());
  if (const auto* set = dynamic_cast<const SetFault*>(&fault)) {
    // TR-069 A.5.1: one SetParameterValuesFault per parameter in error; the FaultString
    // of each is the spec's string for its code unless the engine said more.
    for (const auto& p : set->parameters()) {
      f.setParameterValuesFaults.push_back(
          {p.name, p.code, p.message.empty() ? std::string(sdk::faultString(p.code)) : p.message});
    }
  }
  return f;
}

Fault toSoapFault(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const sdk::Fault& f) {
    return toSoapFault(f);
  } catch (const std::bad_alloc&) {
    return makeFault(static_cast<int>(sdk::FaultCode::ResourcesExceeded));
  } catch (...) {
    // Never leak an internal exception's text to the ACS.
    return makeFault(static_cast<int>(sdk::FaultCode::InternalError));
  }
}

Fault toSoapFault(const DecodeError& error) {
  const int code = error.faultCode() == 0 ? 9003 : error.faultCode();
  return makeFault(code);
}

}  // namespace cwmpd::core::soap
