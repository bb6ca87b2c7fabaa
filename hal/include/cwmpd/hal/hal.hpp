// The hardware abstraction layer: the only way plugins reach the box.
//
// A plugin receives a cwmpd::hal::Hal& from Host::hal() and keeps it for its whole life.
// All HAL calls happen on the daemon's main loop thread (the one that calls plugin
// handlers); the HAL is not thread-safe. Reads are synchronous and meant to be cheap
// (a few small files or one ioctl); the apply() and action methods may run a command
// (bounded by the configured timeout). Every failure is reported as HalError.
#pragma once

#include "cwmpd/hal/diagnostics.hpp"
#include "cwmpd/hal/error.hpp"
#include "cwmpd/hal/network.hpp"
#include "cwmpd/hal/optics.hpp"
#include "cwmpd/hal/pon.hpp"
#include "cwmpd/hal/system.hpp"
#include "cwmpd/hal/voice.hpp"
#include "cwmpd/hal/wifi.hpp"

namespace cwmpd::hal {

class Hal {
 public:
  virtual ~Hal() = default;

  // "linux" or "sim".
  [[nodiscard]] virtual const char* backend() const noexcept = 0;
  virtual NetworkDevices& network() = 0;
  virtual OpticalTransceivers& optics() = 0;
  virtual WiFi& wifi() = 0;
  virtual Voice& voice() = 0;
  virtual System& system() = 0;
  // The PON ONU; status().present is false on a box without one.
  virtual Pon& pon() = 0;
  // Blocking, thread-safe tests for a plugin's own thread (see diagnostics.hpp).
  virtual Diagnostics& diagnostics() = 0;
};

}  // namespace cwmpd::hal
