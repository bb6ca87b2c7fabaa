#include "agent_adaptor.hpp"

#include "cwmpd/bus/names.hpp"
#include "fault_translation.hpp"

namespace cwmpd::bus {

namespace {
// The property values documented in org.cwmpd.Agent1.xml. Kept here rather than using
// core's sessionStateName() so that the bus contract cannot change with a core rename.
const char* sessionStateValue(core::SessionState state) {
  switch (state) {
    case core::SessionState::Idle: return "Idle";
    case core::SessionState::Connecting: return "Connecting";
    case core::SessionState::InSession: return "InSession";
    case core::SessionState::WaitingRetry: return "WaitingRetry";
  }
  return "Idle";
}
}  // namespace

AgentAdaptor::AgentAdaptor(sdbus::IConnection& connection, core::AgentControl& agent, Logger log,
                           std::function<void()> reboot)
    : AdaptorInterfaces(connection, kAgentPath),
      agent_(agent),
      log_(std::move(log)),
      reboot_(std::move(reboot)) {
  registerAdaptor();
}

AgentAdaptor::~AgentAdaptor() { unregisterAdaptor(); }

void AgentAdaptor::Inform(const std::vector<std::string>& events) {
  translateFaults(log_, "Inform", [&] { agent_.inform(events); });
}

void AgentAdaptor::ScheduleInform(const uint32_t& delay_seconds, const std::string& command_key) {
  translateFaults(log_, "ScheduleInform",
                  [&] { agent_.scheduleInform(delay_seconds, command_key); });
}

void AgentAdaptor::RequestDownload(
    const std::string& file_type,
    const std::vector<sdbus::Struct<std::string, std::string>>& file_type_args) {
  std::vector<std::pair<std::string, std::string>> args;
  args.reserve(file_type_args.size());
  for (const auto& a : file_type_args) args.emplace_back(a.get<0>(), a.get<1>());
  translateFaults(log_, "RequestDownload", [&] { agent_.requestDownload(file_type, args); });
}

void AgentAdaptor::Kicked(const std::string& command, const std::string& referer,
                          const std::string& arg, const std::string& next) {
  translateFaults(log_, "Kicked", [&] { agent_.kicked(command, referer, arg, next); });
}

void AgentAdaptor::InstallDU(const std::string& url, const std::string& uuid,
                             const std::string& execution_env_ref) {
  translateFaults(log_, "InstallDU", [&] {
    agent_.changeDu({core::LocalDuChange::Type::Install, url, uuid, {}, execution_env_ref});
  });
}

void AgentAdaptor::UpdateDU(const std::string& uuid, const std::string& url,
                            const std::string& version) {
  translateFaults(log_, "UpdateDU", [&] {
    agent_.changeDu({core::LocalDuChange::Type::Update, url, uuid, version, {}});
  });
}

void AgentAdaptor::UninstallDU(const std::string& uuid, const std::string& version,
                               const std::string& execution_env_ref) {
  translateFaults(log_, "UninstallDU", [&] {
    agent_.changeDu({core::LocalDuChange::Type::Uninstall, {}, uuid, version, execution_env_ref});
  });
}

void AgentAdaptor::Reboot() {
  translateFaults(log_, "Reboot", [&] {
    if (!reboot_) throw sdk::Fault(sdk::FaultCode::RequestDenied, "this agent cannot reboot");
    reboot_();
  });
}

std::string AgentAdaptor::AcsUrl() {
  return translateFaults(log_, "AcsUrl", [&] { return agent_.acsUrl(); });
}

std::string AgentAdaptor::SessionState() {
  return translateFaults(log_, "SessionState",
                         [&] { return std::string(sessionStateValue(agent_.sessionState())); });
}

std::string AgentAdaptor::LastInformTime() {
  return translateFaults(log_, "LastInformTime", [&] { return agent_.lastInformTime(); });
}

std::vector<std::string> AgentAdaptor::PendingEvents() {
  return translateFaults(log_, "PendingEvents", [&] { return agent_.pendingEvents(); });
}

std::vector<std::string> AgentAdaptor::Plugins() {
  return translateFaults(log_, "Plugins", [&] { return agent_.plugins(); });
}

}  // namespace cwmpd::bus
