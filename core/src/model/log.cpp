#include "cwmpd/core/log.hpp"

#include <syslog.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace cwmpd::core {
namespace {
std::atomic<LogLevel> g_level{LogLevel::Info};
std::atomic<bool> g_syslog{false};
std::mutex g_mutex;

const char* levelName(LogLevel l) {
  switch (l) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Notice: return "notice";
    case LogLevel::Warning: return "warning";
    case LogLevel::Error: return "error";
  }
  return "?";
}
int syslogPriority(LogLevel l) {
  switch (l) {
    case LogLevel::Debug: return LOG_DEBUG;
    case LogLevel::Info: return LOG_INFO;
    case LogLevel::Notice: return LOG_NOTICE;
    case LogLevel::Warning: return LOG_WARNING;
    case LogLevel::Error: return LOG_ERR;
  }
  return LOG_INFO;
}
}  // namespace

bool parseLogLevel(std::string_view t, LogLevel& out) {
  if (t == "debug")
    out = LogLevel::Debug;
  else if (t == "info")
    out = LogLevel::Info;
  else if (t == "notice")
    out = LogLevel::Notice;
  else if (t == "warning" || t == "warn")
    out = LogLevel::Warning;
  else if (t == "error")
    out = LogLevel::Error;
  else
    return false;
  return true;
}

void Log::setLevel(LogLevel level) { g_level = level; }
LogLevel Log::level() { return g_level; }
void Log::useSyslog(bool on) {
  if (on && !g_syslog) openlog("cwmpd", LOG_PID, LOG_DAEMON);
  g_syslog = on;
}

void Log::write(LogLevel level, std::string_view component, std::string_view message) {
  if (level < g_level) return;
  if (g_syslog) {
    syslog(syslogPriority(level), "[%.*s] %.*s", static_cast<int>(component.size()),
           component.data(), static_cast<int>(message.size()), message.data());
    return;
  }
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
  std::lock_guard<std::mutex> lock(g_mutex);
  std::fprintf(stderr, "%s.%03d %-7s [%.*s] %.*s\n", stamp, static_cast<int>(ms), levelName(level),
               static_cast<int>(component.size()), component.data(),
               static_cast<int>(message.size()), message.data());
}

namespace detail {
LogLine::LogLine() = default;
LogLine::~LogLine() = default;
void LogLine::write(LogLevel level, std::string_view component) {
  Log::write(level, component, os_.str());
}
}  // namespace detail

}  // namespace cwmpd::core
