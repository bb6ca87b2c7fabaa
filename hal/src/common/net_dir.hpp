// Reading an interface directory laid out like /sys/class/net/<if>/. The sim backend uses
// the same layout with a few human-friendly extras, so both backends share this code.
#pragma once

#include <filesystem>

#include "cwmpd/hal/network.hpp"

namespace cwmpd::hal::detail {

// `dir` is /sys/class/net/<name> or <sim_dir>/net/<name>. Reads address, mtu, operstate,
// flags (hex, or the sim's "enabled" 0/1), carrier, speed, duplex, and the kind from
// the sim's "kind" file or from type/wireless/bridge as sysfs has them.
[[nodiscard]] InterfaceInfo readInterfaceDir(const std::filesystem::path& dir);
// statistics/<counter> files (see InterfaceCounters for the derived ones).
[[nodiscard]] InterfaceCounters readStatisticsDir(const std::filesystem::path& statsDir);
// "up" -> OperStatus::Up and so on, for the kernel's operstate values.
[[nodiscard]] OperStatus parseOperState(std::string_view text);

}  // namespace cwmpd::hal::detail
