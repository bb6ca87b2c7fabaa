// Runs an engine call for a D-Bus method and turns what it throws into the contract's
// org.cwmpd.Fault.* errors (sdbus-c++ sends a thrown sdbus::Error as the error reply).
#pragma once

#include <sdbus-c++/Error.h>

#include <exception>
#include <string>
#include <utility>

#include "cwmpd/bus/dbus_service.hpp"
#include "cwmpd/bus/fault_names.hpp"

namespace cwmpd::bus {

// Throws the exception being handled as the sdbus::Error the caller gets: a SetFault or
// sdk::Fault as its org.cwmpd.Fault.* error, an sdbus::Error as it is, anything else as
// 9002 with the reason in the log. Called from a catch handler only (it rethrows with
// `throw;`); one copy of the handlers for every translateFaults below.
[[noreturn]] void rethrowAsBusError(const Logger& log, const char* method);

template <typename Call>
auto translateFaults(const Logger& log, const char* method, Call&& call) -> decltype(call()) {
  try {
    return std::forward<Call>(call)();
  } catch (...) {
    rethrowAsBusError(log, method);
  }
}

}  // namespace cwmpd::bus
