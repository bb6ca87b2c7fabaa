// Logging: levels, a prefix per component ("core", "plugin wifi", "session 12"),
// stderr by default or syslog. Secrets must never be passed in.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

#include "cwmpd/sdk/plugin.hpp"

namespace cwmpd::core {

using sdk::LogLevel;

// Parses "debug", "info", "notice", "warning", "error"; false when unknown.
bool parseLogLevel(std::string_view text, LogLevel& out);

class Log {
 public:
  static void setLevel(LogLevel level);
  static LogLevel level();
  static void useSyslog(bool on);
  static bool enabled(LogLevel level) { return level >= Log::level(); }
  static void write(LogLevel level, std::string_view component, std::string_view message);
};

}  // namespace cwmpd::core

// CWMPD_LOG(Info, "store", "loaded " << n << " values")
#define CWMPD_LOG(lvl, component, expr)                                                       \
  do {                                                                                        \
    if (::cwmpd::core::Log::enabled(::cwmpd::sdk::LogLevel::lvl)) {                           \
      std::ostringstream cwmpd_log_os_;                                                       \
      cwmpd_log_os_ << expr;                                                                  \
      ::cwmpd::core::Log::write(::cwmpd::sdk::LogLevel::lvl, component, cwmpd_log_os_.str()); \
    }                                                                                         \
  } while (0)
