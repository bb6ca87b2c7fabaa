#include "cwmpd/bus/fault_names.hpp"

#include "cwmpd/bus/names.hpp"

namespace cwmpd::bus {

const char* faultName(int code) noexcept {
  // The name column of the fault table (cwmpd/sdk/fault.hpp); its names are literals, so
  // data() is NUL-terminated.
  const sdk::FaultInfo* f = sdk::findFault(code);
  return f != nullptr ? f->name.data() : "InternalError";
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
