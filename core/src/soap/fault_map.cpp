#include "cwmpd/core/soap/fault_map.hpp"

#include <new>

namespace cwmpd::core::soap {

// The SOAP faultcode column of the fault table (cwmpd/sdk/fault.hpp). Codes outside the
// table are the CPE's trouble: "Server".
const char* soapFaultcode(int code) noexcept {
  const sdk::FaultInfo* f = sdk::findFault(code);
  return f != nullptr && f->soapFaultcode == sdk::SoapFaultcode::Client ? "Client" : "Server";
}

Fault makeFault(int code, std::string_view detail) {
  Fault f;
  f.faultcode = soapFaultcode(code);
  f.faultstring = "CWMP fault";
  f.code = code;
  f.message = detail.empty() ? std::string(sdk::faultString(code)) : std::string(detail);
  return f;
}

Fault toSoapFault(const sdk::Fault& fault) { return makeFault(fault.code(), fault.what()); }

Fault toSoapFault(const SetFault& fault) {
  if (!fault.parameters().empty()) {
    // TR-069 A.5.1: SetParameterValuesFault entries are present only with FaultCode 9003,
    // so a fault that lists them says 9003 at the top, also for a single bad parameter
    // whose own code (9007, 9008, ...) the engine put on the SetFault.
    constexpr int kInvalidArguments = static_cast<int>(sdk::FaultCode::InvalidArguments);
    const bool own = fault.code() == kInvalidArguments;
    Fault f =
        makeFault(kInvalidArguments, own ? std::string_view(fault.what()) : std::string_view());
    // TR-069 A.5.1: one SetParameterValuesFault per parameter in error; the FaultString
    // of each is the spec's string for its code unless the engine said more.
    for (const auto& p : fault.parameters()) {
      f.setParameterValuesFaults.push_back(
          {p.name, p.code, p.message.empty() ? std::string(sdk::faultString(p.code)) : p.message});
    }
    return f;
  }
  return makeFault(fault.code(), fault.what());
}

Fault toSoapFault(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const SetFault& f) {
    return toSoapFault(f);
  } catch (const sdk::Fault& f) {
    return toSoapFault(f);
  } catch (const std::bad_alloc&) {
    return makeFault(static_cast<int>(sdk::FaultCode::ResourcesExceeded));
  } catch (...) {
    // Never leak an internal exception's text to the ACS.
    return makeFault(static_cast<int>(sdk::FaultCode::InternalError));
  }
}

Fault mustUnderstandFault(const std::vector<std::string>& headers) {
  Fault f;
  f.faultcode = "SOAP-ENV:MustUnderstand";  // the encoder declares SOAP-ENV
  f.faultstring = "Header entries not understood:";
  // Names from the network: a few are enough to act on, all of them could be megabytes.
  constexpr std::size_t kNamed = 8;
  for (std::size_t i = 0; i < headers.size() && i < kNamed; ++i) f.faultstring += " " + headers[i];
  if (headers.size() > kNamed) f.faultstring += " ...";
  f.code = 0;
  return f;
}

Fault toSoapFault(const DecodeError& error) {
  const int code = error.faultCode() == 0 ? 9003 : error.faultCode();
  return makeFault(code);
}

}  // namespace cwmpd::core::soap
