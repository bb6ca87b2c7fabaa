// The keys of the daemon's own config sections ([acs], [cpe], [bus], [hal], [store],
// [plugins], [log], [session], [notifications], [transfers]) with their types. With the
// keys the plugins declare (cwmpd/sdk/config_keys.hpp) they are every key a config file
// may hold: anything else is an error before anything starts.
#pragma once

#include <vector>

#include "cwmpd/core/config.hpp"

namespace cwmpd {

[[nodiscard]] const std::vector<core::ConfigKeySpec>& coreConfigKeys();

}  // namespace cwmpd
