// ManagementServer under either root. Its values are stored by the core (the session
// engine reads them from the model); this plugin seeds them from the config file on
// first boot and refuses values the agent could not work with.
#include <cwmpd/sdk/model_xml.hpp>
#include <cwmpd/sdk/plugin.hpp>

#include <string>

namespace {

using cwmpd::sdk::Change;
using cwmpd::sdk::Fault;
using cwmpd::sdk::FaultCode;
using cwmpd::sdk::Host;

bool validAcsUrl(const std::string& url) {
  // TR-069 3.2: the ACS URL is an HTTP or HTTPS URL with a host.
  for (const char* scheme : {"http://", "https://"}) {
    std::string s(scheme);
    if (url.compare(0, s.size(), s) == 0) {
      std::string rest = url.substr(s.size());
      return !rest.empty() && rest[0] != '/' && rest.find_first_of(" \t\r\n") == std::string::npos;
    }
  }
  return false;
}

class ManagementPlugin : public cwmpd::sdk::Plugin {
 public:
  void registerModel(cwmpd::sdk::Registrar& reg) override {
    reg.definitions(cwmpd_plugin_model_xml);
    reg.object(std::string(reg.host().root()) + ".ManagementServer.")
        .validate([](const std::vector<Change>& changes) {
          for (const auto& c : changes) {
            if (c.parameter == "URL" && !validAcsUrl(c.value))
              throw Fault(FaultCode::InvalidParameterValue,
                          "URL must be an http:// or https:// URL");
          }
        });
  }

  void start(Host& host) override {
    const std::string ms = std::string(host.root()) + ".ManagementServer.";
    auto seed = [&](const char* section, const char* key, const char* param) {
      std::string v = host.config(section, key);
      if (!v.empty()) host.setInitial(ms + param, v);
    };
    seed("acs", "url", "URL");
    seed("acs", "username", "Username");
    seed("acs", "password", "Password");
    seed("acs", "periodic_inform_enable", "PeriodicInformEnable");
    seed("acs", "periodic_inform_interval", "PeriodicInformInterval");
    seed("acs", "periodic_inform_time", "PeriodicInformTime");
    seed("cpe", "connection_request_username", "ConnectionRequestUsername");
    seed("cpe", "connection_request_password", "ConnectionRequestPassword");
    // TR-098 gives EnableCWMP no default; an agent that ships disabled is useless.
    host.setInitial(ms + "EnableCWMP", "true");
    // TR-069 3.2.1.1 defaults of the retry back-off (the data model gives only ranges).
    host.setInitial(ms + "CWMPRetryMinimumWaitInterval", "5");
    host.setInitial(ms + "CWMPRetryIntervalMultiplier", "2000");
    // TR-069 Annex G: STUN is off until the ACS enables it; 3478 is the STUN port the
    // models name as the default. The core serves UDP connection requests either way.
    host.setInitial(ms + "STUNEnable", "false");
    host.setInitial(ms + "STUNServerPort", "3478");
    host.setInitial(ms + "STUNMaximumKeepAlivePeriod", "-1");
    host.setInitial(ms + "STUNMinimumKeepAlivePeriod", "0");
    host.setInitial(ms + "NATDetected", "false");
    if (host.root() == "InternetGatewayDevice")
      host.setInitial(ms + "UDPConnectionRequestAddressNotificationLimit", "0");
    // TR-069 Annex K: XMPP connection requests through the core's client (plugins/xmpp
    // declares the XMPP. object it uses).
    host.setInitial(ms + "SupportedConnReqMethods", "HTTP,STUN,XMPP");
    // TR-069 3.6.1: the core resolves "[alias]" in every RPC, follows InstanceMode and
    // AutoCreateInstances: the capability is the agent's, whatever the store says.
    host.update(ms + "AliasBasedAddressing", "true");
    if (host.root() == "Device") {
      // TR-069 Annex O: heartbeats are off until the ACS turns them on; the interval is
      // the range's minimum's hundredfold and the phase the Unknown Time (a random one).
      host.setInitial(ms + "HeartbeatPolicy.Enable", "false");
      host.setInitial(ms + "HeartbeatPolicy.ReportingInterval", "3600");
      host.setInitial(ms + "HeartbeatPolicy.InitiationTime", "0001-01-01T00:00:00Z");
    }
  }
};

}  // namespace

CWMPD_PLUGIN(ManagementPlugin, "management", "1.0")
