#include "fault_translation.hpp"

namespace cwmpd::bus {

void rethrowAsBusError(const Logger& log, const char* method) {
  try {
    throw;
  } catch (const core::SetFault& fault) {
    throw sdbus::Error(faultErrorName(fault.code()), faultErrorMessage(fault));
  } catch (const sdk::Fault& fault) {
    throw sdbus::Error(faultErrorName(fault.code()), faultErrorMessage(fault));
  } catch (const sdbus::Error&) {
    throw;
  } catch (const std::exception& e) {
    // Not a fault: a bug or an unexpected failure in the engine. The caller gets the
    // generic 9002; the reason goes to the log, not to whoever is on the bus.
    log(LogLevel::Error, std::string(method) + " failed: " + e.what());
    constexpr int kInternalError = static_cast<int>(sdk::FaultCode::InternalError);
    throw sdbus::Error(faultErrorName(kInternalError), faultErrorMessage(kInternalError, {}));
  } catch (...) {
    // Not even a std::exception (a plugin's `throw 42` that got this far): still 9002,
    // never an exception through sdbus-c++'s dispatch.
    log(LogLevel::Error, std::string(method) + " failed with a non-standard exception");
    constexpr int kInternalError = static_cast<int>(sdk::FaultCode::InternalError);
    throw sdbus::Error(faultErrorName(kInternalError), faultErrorMessage(kInternalError, {}));
  }
}

}  // namespace cwmpd::bus
