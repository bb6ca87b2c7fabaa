// Optical transceivers (SFP/PON modules): what the pon plugin needs for Device.Optical.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cwmpd/hal/sff8472.hpp"

namespace cwmpd::hal {

// Everything known about one transceiver at one moment. Decoding is done by the HAL
// with the shared SFF-8472 decoder (cwmpd/hal/sff8472.hpp).
struct TransceiverStatus {
  std::string name;      // "pon0"
  std::string netdev;    // the network interface it feeds ("pon0", "eth0"); may be empty
  bool present = false;  // a module answered; when false, nothing below is meaningful
  sff8472::Page a0h{};
  std::optional<sff8472::Page> a2h;  // empty when the module has no diagnostics page
  sff8472::Identity identity;
  std::optional<sff8472::Diagnostics> diagnostics;  // decoded a2h

  // TR-181 Dbm1000 values (see sff8472::toDbm1000); kDbm1000Min without diagnostics.
  // All use the OpticalSignalLevel coding (0.002 dB step, -65536..65534); the data
  // model's threshold parameters have their own ranges and 0.5 dB step (Rx -127000..0,
  // Tx -63500..63500), which the plugin applies.
  std::int32_t opticalSignalLevel = sff8472::kDbm1000Min;           // received power
  std::int32_t transmitOpticalLevel = sff8472::kDbm1000Min;         // transmitted power
  std::int32_t lowerOpticalThreshold = sff8472::kDbm1000Min;        // Rx power low alarm
  std::int32_t upperOpticalThreshold = sff8472::kDbm1000Min;        // Rx power high alarm
  std::int32_t lowerTransmitPowerThreshold = sff8472::kDbm1000Min;  // Tx power low alarm
  std::int32_t upperTransmitPowerThreshold = sff8472::kDbm1000Min;  // Tx power high alarm
};

// Thread-safety: call from the daemon's main loop only. Methods throw HalError on
// failure and for an unknown transceiver name.
class OpticalTransceivers {
 public:
  virtual ~OpticalTransceivers() = default;

  // Names of the configured/present transceivers, sorted.
  [[nodiscard]] virtual std::vector<std::string> transceivers() = 0;
  // Raw pages as read from the module (256 bytes each). readA2h throws HalError when the
  // module implements no diagnostics page.
  [[nodiscard]] virtual sff8472::Page readA0h(std::string_view name) = 0;
  [[nodiscard]] virtual sff8472::Page readA2h(std::string_view name) = 0;
  // Reads both pages and decodes them. A missing module gives present == false rather
  // than an exception.
  [[nodiscard]] virtual TransceiverStatus status(std::string_view name) = 0;
};

}  // namespace cwmpd::hal
