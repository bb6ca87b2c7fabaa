// The one place that turns protocol-neutral faults into CWMP SOAP faults
// (TR-069 Amendment 6, A.5.1 and Table "Fault codes").
#pragma once

#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "cwmpd/core/data_model.hpp"
#include "cwmpd/core/soap/decoder.hpp"
#include "cwmpd/core/soap/messages.hpp"
#include "cwmpd/sdk/fault.hpp"

namespace cwmpd::core::soap {

// "Client" or "Server": the SOAP faultcode of the fault table (cwmpd/sdk/fault.hpp) for
// a CPE (9xxx) or ACS (8xxx) fault code. Vendor codes (9800-9899, 8800-8899) and codes
// outside the table give "Server".
[[nodiscard]] const char* soapFaultcode(int code) noexcept;

// A SOAP Fault for `code`, FaultString = `detail` or the spec's string for the code.
[[nodiscard]] Fault makeFault(int code, std::string_view detail = {});

// sdk::Fault, and core::SetFault with one SetParameterValuesFault per failing parameter.
// Chosen by the static type (no dynamic_cast: the small build has no RTTI), so a SetFault
// held as an sdk::Fault& goes through the exception_ptr form, which catches it as itself.
[[nodiscard]] Fault toSoapFault(const sdk::Fault& fault);
[[nodiscard]] Fault toSoapFault(const SetFault& fault);

// Whatever a handler threw: Fault/SetFault as above, any other exception 9002.
[[nodiscard]] Fault toSoapFault(const std::exception_ptr& error);

// SOAP 1.1 section 4.2.3: the answer to a message with header entries marked
// mustUnderstand="1" that we do not know (`headers`, their local names): faultcode
// MustUnderstand, no cwmp:Fault detail, and the message is not processed.
[[nodiscard]] Fault mustUnderstandFault(const std::vector<std::string>& headers);

// The fault to answer a message that could not be decoded with. Precondition:
// error.kind != Refused (that one closes the session instead).
[[nodiscard]] Fault toSoapFault(const DecodeError& error);

}  // namespace cwmpd::core::soap
