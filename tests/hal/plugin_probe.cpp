// A stand-in for a plugin: built like one (MODULE, hidden visibility, HAL headers only, no
// HAL library), loaded by plugin_boundary_test.cpp with dlopen.
#include "cwmpd/hal/hal.hpp"

extern "C" __attribute__((visibility("default"))) int cwmpdHalProbe(cwmpd::hal::Hal& hal,
                                                                    int* caught) {
  *caught = 0;
  try {
    (void)hal.network().info("no-such-interface");
  } catch (const cwmpd::hal::HalError&) {
    *caught = 1;  // the daemon's HalError matched the plugin's catch clause
  } catch (...) {
    *caught = 2;
  }
  return hal.optics().status("pon0").opticalSignalLevel;
}
