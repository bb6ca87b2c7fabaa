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

namespace detail {
// One CWMPD_LOG line being written. Its stream is built and destroyed out of line, and the
// line handed to Log::write from there: each of the ~200 CWMPD_LOGs is the stream's `<<`
// calls and three calls, not the stream's construction, its str() copy and the
// destructions of both (about 50 bytes less code a line, and fewer unwind entries).
class LogLine {
 public:
  LogLine();
  ~LogLine();
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;
  std::ostream& stream() { return os_; }
  void write(LogLevel level, std::string_view component);

 private:
  std::ostringstream os_;
};
}  // namespace detail

}  // namespace cwmpd::core

// CWMPD_LOG(Info, "store", "loaded " << n << " values")
#define CWMPD_LOG(lvl, component, expr)                              \
  do {                                                               \
    if (::cwmpd::core::Log::enabled(::cwmpd::sdk::LogLevel::lvl)) {  \
      ::cwmpd::core::detail::LogLine cwmpd_log_line_;                \
      cwmpd_log_line_.stream() << expr;                              \
      cwmpd_log_line_.write(::cwmpd::sdk::LogLevel::lvl, component); \
    }                                                                \
  } while (0)
