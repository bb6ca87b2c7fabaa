// Where CWMP fault codes become D-Bus errors and back (CONVENTIONS 6), by the one fault
// table of cwmpd/sdk/fault.hpp.
//
// A fault travels as the D-Bus error "org.cwmpd.Fault.<Name>" whose message starts with the
// CWMP code: "9005 Invalid parameter name: Device.Foo.". Clients read the code from the
// message (parseFaultCode), so the name is for humans and policy, the code for programs.
#pragma once

#include <string>
#include <string_view>

#include "cwmpd/bus/fault_code.hpp"
#include "cwmpd/core/data_model.hpp"
#include "cwmpd/sdk/fault.hpp"

namespace cwmpd::bus {

// The name column of the fault table (cwmpd/sdk/fault.hpp): "InvalidParameterName" for
// 9005, "CancelTransferNotPermitted" for 9021, "Vendor" for 9800-9899 and 8800-8899;
// "InternalError" for codes outside the table.
[[nodiscard]] const char* faultName(int code) noexcept;

// "org.cwmpd.Fault.InvalidParameterName".
[[nodiscard]] std::string faultErrorName(int code);

// "9005 Invalid parameter name: Device.Foo." from the code and the fault's detail (the
// standard fault string is not repeated when the detail is just that string).
[[nodiscard]] std::string faultErrorMessage(int code, std::string_view detail);
[[nodiscard]] std::string faultErrorMessage(const sdk::Fault& fault);
// A refused SetParameterValues: the overall fault on the first line, then one line per
// refused parameter ("  Device.X.Y: 9007 Invalid parameter value: not a number"), so a
// D-Bus caller sees what an ACS sees in SetParameterValuesFault.
[[nodiscard]] std::string faultErrorMessage(const core::SetFault& fault);

}  // namespace cwmpd::bus
