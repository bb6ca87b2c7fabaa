// org.cwmpd.Agent1 at /org/cwmpd/Agent: informs and session state. Lives as long as one bus
// connection.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include "cwmpd/bus/dbus_service.hpp"
#include "cwmpd/bus/generated/agent1_adaptor.h"

namespace cwmpd::bus {

class AgentAdaptor final : public sdbus::AdaptorInterfaces<org::cwmpd::Agent1_adaptor> {
 public:
  AgentAdaptor(sdbus::IConnection& connection, core::AgentControl& agent, Logger log,
               std::function<void()> reboot);
  ~AgentAdaptor();

 private:
  void Inform(const std::vector<std::string>& events) override;
  void ScheduleInform(const uint32_t& delay_seconds, const std::string& command_key) override;
  void RequestDownload(
      const std::string& file_type,
      const std::vector<sdbus::Struct<std::string, std::string>>& file_type_args) override;
  void Kicked(const std::string& command, const std::string& referer, const std::string& arg,
              const std::string& next) override;
  void InstallDU(const std::string& url, const std::string& uuid,
                 const std::string& execution_env_ref) override;
  void UpdateDU(const std::string& uuid, const std::string& url,
                const std::string& version) override;
  void UninstallDU(const std::string& uuid, const std::string& version,
                   const std::string& execution_env_ref) override;
  void Reboot() override;
  std::string AcsUrl() override;
  std::string SessionState() override;
  std::string LastInformTime() override;
  std::vector<std::string> PendingEvents() override;
  std::vector<std::string> Plugins() override;

  core::AgentControl& agent_;
  Logger log_;
  std::function<void()> reboot_;
};

}  // namespace cwmpd::bus
