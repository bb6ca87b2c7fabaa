// cwmpctl's command line: what to do, on which bus, in which output format.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace cwmpd::cwmpctl {

enum class Command {
  Help,
  Get,
  Set,
  Names,
  Attrs,
  SetAttr,
  Add,
  Del,
  Inform,
  ScheduleInform,
  RequestDownload,
  Kicked,
  DuInstall,
  DuUpdate,
  DuUninstall,
  Reboot,
  Status,
  Monitor,
  Ping,
  TraceRoute,
  NsLookup,
  Download,
  Upload,
};

struct Invocation {
  // "system", "session" or a D-Bus address.
  std::string address = "system";
  bool json = false;
  Command command = Command::Help;
  std::vector<std::string> args;  // the command's operands, options removed
  bool nextLevel = false;         // names --next-level
  std::optional<unsigned> count;  // monitor --count N
};

// A command line that cannot be run: exit code 1 with this message and the usage.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses argv[1..]. Throws UsageError.
[[nodiscard]] Invocation parseCommandLine(const std::vector<std::string>& args);

// "set" operands: "Device.X.Y=value" -> {"Device.X.Y", "value"} (the value may contain "=").
[[nodiscard]] std::pair<std::string, std::string> splitAssignment(const std::string& operand);

[[nodiscard]] const char* usageText() noexcept;

}  // namespace cwmpd::cwmpctl
