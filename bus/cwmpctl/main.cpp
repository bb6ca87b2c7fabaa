// cwmpctl: the cwmpd data model and agent from the command line, over D-Bus.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <thread>
#include <memory>
#include <string>
#include <vector>

#include "cli.hpp"
#include "cwmpd/bus/connection.hpp"
#include "cwmpd/bus/fault_code.hpp"
#include "cwmpd/bus/names.hpp"
#include "cwmpd/bus/proxies.hpp"
#include "output.hpp"

namespace cwmpd::cwmpctl {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitUsage = 1;
constexpr int kExitUnreachable = 2;
constexpr int kExitFault = 3;

std::vector<ValueRow> valueRows(const std::vector<bus::ValueTuple>& tuples) {
  std::vector<ValueRow> rows;
  rows.reserve(tuples.size());
  for (const auto& t : tuples) rows.push_back({t.get<0>(), t.get<1>(), t.get<2>()});
  return rows;
}

std::string getValues(sdbus::IConnection& connection, const Invocation& invocation) {
  bus::DataModelProxy model(connection);
  return formatValues(valueRows(model.GetParameterValues(invocation.args)), invocation.json);
}

std::string setValues(sdbus::IConnection& connection, const Invocation& invocation) {
  std::vector<sdbus::Struct<std::string, std::string>> values;
  for (const auto& operand : invocation.args) {
    auto [name, value] = splitAssignment(operand);
    values.emplace_back(std::move(name), std::move(value));
  }
  bus::DataModelProxy model(connection);
  model.SetParameterValues(values);
  return formatDone(invocation.json);
}

std::string getNames(sdbus::IConnection& connection, const Invocation& invocation) {
  bus::DataModelProxy model(connection);
  const std::string path = invocation.args.empty() ? std::string() : invocation.args.front();
  std::vector<NameRow> rows;
  for (const auto& t : model.GetParameterNames(path, invocation.nextLevel)) {
    rows.push_back({t.get<0>(), t.get<1>()});
  }
  return formatNames(rows, invocation.json);
}

std::string getAttributes(sdbus::IConnection& connection, const Invocation& invocation) {
  bus::DataModelProxy model(connection);
  std::vector<AttributeRow> rows;
  for (const auto& t : model.GetParameterAttributes(invocation.args)) {
    rows.push_back({t.get<0>(), t.get<1>(), t.get<2>()});
  }
  return formatAttributes(rows, invocation.json);
}

std::string setAttributes(sdbus::IConnection& connection, const Invocation& invocation) {
  const auto& args = invocation.args;
  const int notification = std::stoi(args[1]);  // checked by parseCommandLine
  std::vector<std::string> accessList(args.begin() + 2, args.end());
  bus::DataModelProxy model(connection);
  model.SetParameterAttributes({{args[0], notification, accessList}});
  return formatDone(invocation.json);
}

std::string addObject(sdbus::IConnection& connection, const Invocation& invocation) {
  std::string object = invocation.args.front();
  bus::DataModelProxy model(connection);
  const std::uint32_t instance = model.AddObject(object);
  if (object.back() != '.') object += '.';
  return formatAdded(object, instance, invocation.json);
}

std::string deleteObject(sdbus::IConnection& connection, const Invocation& invocation) {
  bus::DataModelProxy model(connection);
  model.DeleteObject(invocation.args.front());
  return formatDone(invocation.json);
}

std::string inform(sdbus::IConnection& connection, const Invocation& invocation) {
  bus::AgentProxy agent(connection);
  agent.Inform(invocation.args);
  return formatDone(invocation.json);
}

std::string scheduleInform(sdbus::IConnection& connection, const Invocation& invocation) {
  const auto delay = static_cast<std::uint32_t>(std::stoul(invocation.args[0]));
  const std::string key = invocation.args.size() > 1 ? invocation.args[1] : std::string();
  bus::AgentProxy agent(connection);
  agent.ScheduleInform(delay, key);
  return formatDone(invocation.json);
}

std::string requestDownload(sdbus::IConnection& connection, const Invocation& invocation) {
  std::vector<sdbus::Struct<std::string, std::string>> args;
  for (std::size_t i = 1; i < invocation.args.size(); ++i) {
    auto [name, value] = splitAssignment(invocation.args[i]);
    args.emplace_back(std::move(name), std::move(value));
  }
  bus::AgentProxy agent(connection);
  agent.RequestDownload(invocation.args[0], args);
  return formatDone(invocation.json);
}

std::string kicked(sdbus::IConnection& connection, const Invocation& invocation) {
  const auto& a = invocation.args;
  bus::AgentProxy agent(connection);
  agent.Kicked(a[0], a[1], a[2], a[3]);
  return formatDone(invocation.json);
}

// Software module changes on the box's behalf: the operands in order, "" for the rest.
std::string duChange(sdbus::IConnection& connection, const Invocation& invocation) {
  auto a = invocation.args;
  a.resize(3);
  bus::AgentProxy agent(connection);
  if (invocation.command == Command::DuInstall)
    agent.InstallDU(a[0], a[1], a[2]);
  else if (invocation.command == Command::DuUpdate)
    agent.UpdateDU(a[0], a[1], a[2]);
  else
    agent.UninstallDU(a[0], a[1], a[2]);
  return formatDone(invocation.json);
}

std::string reboot(sdbus::IConnection& connection, const Invocation& invocation) {
  bus::AgentProxy agent(connection);
  agent.Reboot();
  return formatDone(invocation.json);
}

std::string status(sdbus::IConnection& connection, const Invocation& invocation) {
  bus::AgentProxy agent(connection);
  const std::vector<StatusRow> rows = {
      {"AcsUrl", {agent.AcsUrl()}, false},
      {"SessionState", {agent.SessionState()}, false},
      {"LastInformTime", {agent.LastInformTime()}, false},
      {"PendingEvents", agent.PendingEvents(), true},
      {"Plugins", agent.Plugins(), true},
  };
  return formatStatus(rows, invocation.json);
}

// Prints each ValueChanged as it arrives, until `--count` signals or the bus goes away.
std::string monitor(sdbus::IConnection& connection, const Invocation& invocation) {
  unsigned seen = 0;
  bus::DataModelProxy model(connection, [&](const std::vector<bus::ValueTuple>& changes) {
    std::cout << formatValues(valueRows(changes), invocation.json) << std::flush;
    if (invocation.count && ++seen >= *invocation.count) connection.leaveEventLoop();
  });
  if (invocation.count && *invocation.count == 0) return {};
  // Tells a script (or a test) that the subscription is in place.
  std::cerr << "monitoring org.cwmpd value changes\n";
  connection.enterEventLoop();
  return {};
}

// A diagnostic that ended in an Error_... state: its results, printed all the same.
struct DiagnosticFailed {
  std::string output;
  std::string state;
};

// Seconds since the epoch of a dateTime with microseconds ("2008-04-09T15:01:05.123456Z").
double epochSeconds(const std::string& v) {
  std::tm tm{};
  int micros = 0;
  if (std::sscanf(v.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &micros) < 6)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<double>(::timegm(&tm)) + micros / 1e6;
}

// The throughput line of a TR-143 test: its test bytes over EOMTime - BOMTime.
std::string throughputLine(const std::vector<bus::ValueTuple>& values, const std::string& object) {
  std::map<std::string, std::string> v;
  for (const auto& t : values) v[t.get<0>()] = t.get<2>();
  const std::string bytes = v.count(object + "TestBytesReceived") ? v[object + "TestBytesReceived"]
                                                                  : v[object + "TestBytesSent"];
  const double seconds = epochSeconds(v[object + "EOMTime"]) - epochSeconds(v[object + "BOMTime"]);
  if (bytes.empty() || seconds <= 0) return {};
  char line[160];
  std::snprintf(line, sizeof line, "%s bytes in %.6f s: %.1f Mbit/s\n", bytes.c_str(), seconds,
                std::stod(bytes) * 8 / seconds / 1e6);
  return line;
}

// Runs one of the diagnostics plugin's tests: its parameters and DiagnosticsState =
// "Requested" in one set (outside an ACS session the test starts at once), then
// DiagnosticsState is read until it leaves "Requested", and the object is printed.
std::string diagnostic(sdbus::IConnection& connection, const Invocation& invocation) {
  struct Paths {
    const char* tr181;
    const char* tr098;
  };
  Paths paths{};
  std::vector<std::pair<std::string, std::string>> params;
  const auto& args = invocation.args;
  switch (invocation.command) {
    case Command::Ping:
      paths = {"Device.IP.Diagnostics.IPPing.", "InternetGatewayDevice.IPPingDiagnostics."};
      params = {{"Host", args[0]}, {"NumberOfRepetitions", args.size() > 1 ? args[1] : "3"}};
      break;
    case Command::TraceRoute:
      paths = {"Device.IP.Diagnostics.TraceRoute.", "InternetGatewayDevice.TraceRouteDiagnostics."};
      params = {{"Host", args[0]}};
      break;
    case Command::Download:
      paths = {"Device.IP.Diagnostics.DownloadDiagnostics.",
               "InternetGatewayDevice.DownloadDiagnostics."};
      params = {{"DownloadURL", args[0]}};
      break;
    case Command::Upload:
      paths = {"Device.IP.Diagnostics.UploadDiagnostics.",
               "InternetGatewayDevice.UploadDiagnostics."};
      params = {{"UploadURL", args[0]}, {"TestFileLength", args[1]}};
      break;
    default:
      paths = {"Device.DNS.Diagnostics.NSLookupDiagnostics.",
               "InternetGatewayDevice.NSLookupDiagnostics."};
      params = {{"HostName", args[0]}, {"DNSServer", args.size() > 1 ? args[1] : ""}};
      break;
  }
  bus::DataModelProxy model(connection);
  // The root the daemon serves: the TR-181 object, else the TR-098 one.
  std::string object = paths.tr181;
  try {
    (void)model.GetParameterValues({object + "DiagnosticsState"});
  } catch (const sdbus::Error&) {
    object = paths.tr098;
  }
  // Several connections: TR-181 only (TR-098 has one).
  const bool transfer =
      invocation.command == Command::Download || invocation.command == Command::Upload;
  const std::size_t connectionsArg = invocation.command == Command::Download ? 1 : 2;
  if (transfer && args.size() > connectionsArg && object == paths.tr181)
    params.emplace_back("NumberOfConnections", args[connectionsArg]);
  std::vector<sdbus::Struct<std::string, std::string>> values;
  values.reserve(params.size() + 1);
  for (const auto& [name, value] : params) values.emplace_back(object + name, value);
  values.emplace_back(object + "DiagnosticsState", "Requested");
  model.SetParameterValues(values);
  std::string state = "Requested";
  // The progress line of the throughput tests (the result line follows at the end).
  if (transfer) std::cerr << "running " << object << "\n";
  while (state == "Requested") {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto v = model.GetParameterValues({object + "DiagnosticsState"});
    state = v.empty() ? std::string() : v.front().get<2>();
  }
  const auto results = model.GetParameterValues({object});
  std::string out = formatValues(valueRows(results), invocation.json);
  // TR-098's throughput tests say "Completed".
  if (state != "Complete" && state != "Completed") throw DiagnosticFailed{std::move(out), state};
  if (transfer) std::cerr << throughputLine(results, object);
  return out;
}

std::string run(sdbus::IConnection& connection, const Invocation& invocation) {
  switch (invocation.command) {
    case Command::Get: return getValues(connection, invocation);
    case Command::Set: return setValues(connection, invocation);
    case Command::Names: return getNames(connection, invocation);
    case Command::Attrs: return getAttributes(connection, invocation);
    case Command::SetAttr: return setAttributes(connection, invocation);
    case Command::Add: return addObject(connection, invocation);
    case Command::Del: return deleteObject(connection, invocation);
    case Command::Inform: return inform(connection, invocation);
    case Command::ScheduleInform: return scheduleInform(connection, invocation);
    case Command::RequestDownload: return requestDownload(connection, invocation);
    case Command::Kicked: return kicked(connection, invocation);
    case Command::DuInstall:
    case Command::DuUpdate:
    case Command::DuUninstall: return duChange(connection, invocation);
    case Command::Reboot: return reboot(connection, invocation);
    case Command::Status: return status(connection, invocation);
    case Command::Monitor: return monitor(connection, invocation);
    case Command::Ping:
    case Command::TraceRoute:
    case Command::NsLookup:
    case Command::Download:
    case Command::Upload: return diagnostic(connection, invocation);
    case Command::Help: break;
  }
  return usageText();
}

int reportError(const sdbus::Error& error, const Invocation& invocation, const char* context) {
  const std::string& name = error.getName();
  const std::string& message = error.getMessage();
  const bool isFault = name.rfind(bus::kFaultErrorPrefix, 0) == 0;
  const auto code = isFault ? bus::parseFaultCode(message) : std::nullopt;
  if (invocation.json) std::cout << formatErrorJson(name, message, code);
  if (isFault) {
    std::cerr << "error: " << message << '\n';
    return kExitFault;
  }
  std::cerr << "error: " << context << ": " << name << ": " << message << '\n';
  return kExitUnreachable;
}

int main(const std::vector<std::string>& args) {
  Invocation invocation;
  try {
    invocation = parseCommandLine(args);
  } catch (const UsageError& e) {
    std::cerr << "cwmpctl: " << e.what() << "\nTry 'cwmpctl --help'.\n";
    return kExitUsage;
  }
  if (invocation.command == Command::Help) {
    std::cout << usageText();
    return kExitOk;
  }

  std::unique_ptr<sdbus::IConnection> connection;
  try {
    connection = bus::openBusConnection(invocation.address);
  } catch (const sdbus::Error& e) {
    const std::string context = "cannot connect to the D-Bus bus (" + invocation.address + ")";
    return reportError(e, invocation, context.c_str());
  }
  try {
    std::cout << run(*connection, invocation);
  } catch (const sdbus::Error& e) {
    return reportError(e, invocation, "D-Bus call to org.cwmpd failed");
  } catch (const DiagnosticFailed& f) {
    std::cout << f.output;
    std::cerr << "error: the diagnostic ended in " << f.state << '\n';
    return kExitFault;
  }
  return kExitOk;
}

}  // namespace
}  // namespace cwmpd::cwmpctl

int main(int argc, char** argv) {
  return cwmpd::cwmpctl::main(std::vector<std::string>(argv + 1, argv + argc));
}
