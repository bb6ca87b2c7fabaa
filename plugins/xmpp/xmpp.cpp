// XMPP. under either root (TR-069 Annex K): the connections the core's XMPP client uses
// for Connection Requests. This plugin only declares the objects: their values are
// stored by the core, which reads the configuration and writes the state (Status,
// JabberID, TLSEstablished, LastChangeDate, Stats) itself.
#include <cwmpd/sdk/model_xml.hpp>
#include <cwmpd/sdk/plugin.hpp>

#include <string>

namespace {

class XmppPlugin : public cwmpd::sdk::Plugin {
 public:
  void registerModel(cwmpd::sdk::Registrar& reg) override {
    reg.definitions(cwmpd_plugin_model_xml);
    const std::string root(reg.host().root());
    // TR-098 has no such parameter. The core's client resolves the domain by SRV records
    // (libstrophe), by the domain itself on 5222, or through the Server table.
    if (root == "Device")
      reg.object("Device.XMPP.")
          .get("SupportedServerConnectAlgorithms", [](const cwmpd::sdk::InstanceRef&) {
            return std::string("DNS-SRV,DNS,ServerTable");
          });
  }
};

}  // namespace

CWMPD_PLUGIN(XmppPlugin, "xmpp", "1.0")
