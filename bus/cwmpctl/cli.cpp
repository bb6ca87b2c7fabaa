#include "cli.hpp"

#include <charconv>
#include <map>

namespace cwmpd::cwmpctl {

namespace {

struct CommandSpec {
  Command command;
  std::size_t minArgs;
  std::size_t maxArgs;  // SIZE_MAX = unlimited
};

const std::map<std::string, CommandSpec>& commands() {
  constexpr std::size_t kMany = SIZE_MAX;
  static const std::map<std::string, CommandSpec> table = {
      {"get", {Command::Get, 1, kMany}},
      {"set", {Command::Set, 1, kMany}},
      {"names", {Command::Names, 0, 1}},
      {"attrs", {Command::Attrs, 1, kMany}},
      {"setattr", {Command::SetAttr, 2, kMany}},
      {"add", {Command::Add, 1, 1}},
      {"del", {Command::Del, 1, 1}},
      {"inform", {Command::Inform, 0, kMany}},
      {"schedule-inform", {Command::ScheduleInform, 1, 2}},
      {"request-download", {Command::RequestDownload, 1, kMany}},
      {"kicked", {Command::Kicked, 4, 4}},
      {"du-install", {Command::DuInstall, 1, 3}},
      {"du-update", {Command::DuUpdate, 1, 3}},
      {"du-uninstall", {Command::DuUninstall, 1, 3}},
      {"reboot", {Command::Reboot, 0, 0}},
      {"status", {Command::Status, 0, 0}},
      {"monitor", {Command::Monitor, 0, 0}},
      {"ping", {Command::Ping, 1, 2}},
      {"traceroute", {Command::TraceRoute, 1, 1}},
      {"nslookup", {Command::NsLookup, 1, 2}},
      {"download", {Command::Download, 1, 2}},
      {"upload", {Command::Upload, 2, 3}},
      {"help", {Command::Help, 0, 0}},
  };
  return table;
}

unsigned parseUnsigned(const std::string& text, const std::string& what) {
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size() || text.empty()) {
    throw UsageError(what + " must be a non-negative integer, not '" + text + "'");
  }
  return value;
}

}  // namespace

Invocation parseCommandLine(const std::vector<std::string>& args) {
  Invocation invocation;
  std::optional<std::string> commandName;
  bool optionsDone = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&](const std::string& option) -> std::string {
      if (i + 1 >= args.size()) throw UsageError(option + " needs a value");
      return args[++i];
    };
    if (!optionsDone && arg.size() > 1 && arg[0] == '-') {
      if (arg == "--") {
        optionsDone = true;
      } else if (arg == "-h" || arg == "--help") {
        invocation.command = Command::Help;
        return invocation;
      } else if (arg == "--system") {
        invocation.address = "system";
      } else if (arg == "--session") {
        invocation.address = "session";
      } else if (arg == "--address") {
        invocation.address = value(arg);
      } else if (arg.rfind("--address=", 0) == 0) {
        invocation.address = arg.substr(std::string("--address=").size());
      } else if (arg == "--json") {
        invocation.json = true;
      } else if (arg == "--next-level") {
        invocation.nextLevel = true;
      } else if (arg == "--count") {
        invocation.count = parseUnsigned(value(arg), "--count");
      } else {
        throw UsageError("unknown option " + arg);
      }
      continue;
    }
    if (!commandName) {
      commandName = arg;
    } else {
      invocation.args.push_back(arg);
    }
  }
  if (!commandName) throw UsageError("no command given");
  const auto found = commands().find(*commandName);
  if (found == commands().end()) throw UsageError("unknown command '" + *commandName + "'");
  const CommandSpec& spec = found->second;
  invocation.command = spec.command;
  if (invocation.args.size() < spec.minArgs || invocation.args.size() > spec.maxArgs) {
    throw UsageError("wrong number of arguments for '" + *commandName + "'");
  }
  if (invocation.nextLevel && spec.command != Command::Names) {
    throw UsageError("--next-level only applies to 'names'");
  }
  if (invocation.count && spec.command != Command::Monitor) {
    throw UsageError("--count only applies to 'monitor'");
  }
  if (invocation.address.empty()) throw UsageError("--address needs a D-Bus address");
  switch (spec.command) {
    case Command::Set:
      for (const auto& operand : invocation.args) (void)splitAssignment(operand);
      break;
    case Command::SetAttr: {
      const unsigned notification = parseUnsigned(invocation.args[1], "NOTIFICATION");
      if (notification > 2) throw UsageError("NOTIFICATION must be 0, 1 or 2");
      break;
    }
    case Command::ScheduleInform: (void)parseUnsigned(invocation.args[0], "DELAY"); break;
    case Command::RequestDownload:
      for (std::size_t i = 1; i < invocation.args.size(); ++i)
        (void)splitAssignment(invocation.args[i]);
      break;
    case Command::Ping:
      if (invocation.args.size() > 1 && parseUnsigned(invocation.args[1], "COUNT") == 0)
        throw UsageError("COUNT must be at least 1");
      break;
    case Command::Download:
      if (invocation.args.size() > 1 && parseUnsigned(invocation.args[1], "CONNECTIONS") == 0)
        throw UsageError("CONNECTIONS must be at least 1");
      break;
    case Command::Upload:
      if (invocation.args[1].empty() ||
          invocation.args[1].find_first_not_of("0123456789") != std::string::npos)
        throw UsageError("SIZE must be a number of bytes");
      if (invocation.args.size() > 2 && parseUnsigned(invocation.args[2], "CONNECTIONS") == 0)
        throw UsageError("CONNECTIONS must be at least 1");
      break;
    default: break;
  }
  return invocation;
}

std::pair<std::string, std::string> splitAssignment(const std::string& operand) {
  const auto equals = operand.find('=');
  if (equals == std::string::npos || equals == 0) {
    throw UsageError("'" + operand + "' is not PATH=VALUE");
  }
  return {operand.substr(0, equals), operand.substr(equals + 1)};
}

const char* usageText() noexcept {
  return R"(Usage: cwmpctl [--system | --session | --address ADDRESS] [--json] COMMAND [ARGS...]

Reads and changes the cwmpd data model and agent over D-Bus (service org.cwmpd).

Commands:
  get PATH...                   parameter values; a PATH ending in "." is a subtree
  set PATH=VALUE...             set values, all or nothing
  names [PATH] [--next-level]   parameter and object names below PATH (writable or not)
  attrs PATH...                 notification and access list
  setattr PATH NOTIFICATION [ACCESS...]
                                set notification (0 off, 1 passive, 2 active) and the
                                access list (e.g. Subscriber; none = ACS only)
  add OBJECT.                   create an instance, prints its path
  del OBJECT.N.                 delete an instance
  inform EVENT...               start a session with the ACS for these events
                                ("X CT-COM BIND", ...); an Inform always names one
  schedule-inform DELAY [KEY]   inform with "3 SCHEDULED" after DELAY seconds
  request-download FILETYPE [NAME=VALUE...]
                                ask the ACS for a download (RequestDownload, next session)
  kicked COMMAND REFERER ARG NEXT
                                tell the ACS a web page kicked the device (Kicked)
  du-install URL [UUID [EE]]    install a software module (DU) into EE (default the
                                first), reported to the ACS as an autonomous change
  du-update UUID [URL [VERSION]]
                                update an installed DU (from its own URL by default)
  du-uninstall UUID [VERSION [EE]]
                                uninstall a DU
  reboot                        reboot the box (after the end of an open ACS session)
  status                        the agent's state
  monitor [--count N]           print value changes as they happen (N of them, or forever)
  ping HOST [COUNT]             run the IPPing diagnostic (COUNT echo requests, default 3)
                                and print its results
  traceroute HOST               run the TraceRoute diagnostic and print its hops
  nslookup NAME [SERVER]        run the NSLookup diagnostic (against SERVER, default the
                                box's DNS server) and print its results
  download URL [CONNECTIONS]    run the TR-143 DownloadDiagnostics (http:// URL) and print
                                its results and throughput
  upload URL SIZE [CONNECTIONS] run the TR-143 UploadDiagnostics: PUT SIZE bytes to URL

Options:
  --system            the system bus (default; honours DBUS_SYSTEM_BUS_ADDRESS)
  --session           the session bus
  --address ADDRESS   a D-Bus address, e.g. unix:path=/run/cwmpd/bus
  --json              machine-readable output on stdout
  -h, --help          this text

Exit status: 0 success, 1 usage error, 2 bus or service not reachable (or the bus
refused the call), 3 CWMP fault (printed as "error: CODE message") or a diagnostic that
ended in an Error_... state (its results are printed all the same).
)";
}

}  // namespace cwmpd::cwmpctl
