// The HAL seen from a plugin: a library built with hidden visibility that links only the
// HAL headers reaches the daemon's HAL through virtual calls and catches its HalError.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include "cwmpd/hal/factory.hpp"
#include "hal_test_util.hpp"

namespace cwmpd::hal {
namespace {

TEST(HalPluginBoundary, AHiddenVisibilityPluginCallsTheHalAndCatchesHalError) {
  test::TempDir tmp;
  HalConfig c;
  c.backend = "sim";
  c.simDir = test::copyDemoSim(tmp).string();
  auto hal = makeHal(c);

  void* lib = ::dlopen(CWMPD_HAL_PROBE_PLUGIN, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(lib, nullptr) << ::dlerror();
  using Probe = int (*)(Hal&, int*);
  auto probe = reinterpret_cast<Probe>(::dlsym(lib, "cwmpdHalProbe"));
  ASSERT_NE(probe, nullptr) << ::dlerror();
  int caught = -1;
  EXPECT_EQ(probe(*hal, &caught), hal->optics().status("pon0").opticalSignalLevel);
  EXPECT_EQ(caught, 1);
  ::dlclose(lib);
}

}  // namespace
}  // namespace cwmpd::hal
