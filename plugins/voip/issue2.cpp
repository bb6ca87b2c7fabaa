// TR-104 issue 2 (VoiceService:2.0) under Device.Services.VoiceService.{i}.
//
// One VoiceService row (key "1"). Per HAL line: a SIP.Client row and a CallControl.Line
// row (both keyed by the line name); per FXS port: a POTS.FXS row and a
// CallControl.Extension row (keyed by the port name). One SIP.Network row (key "1") holds
// the SIP server settings, seeded from the first provisioned line; every client refers to
// it at first boot. The ACS may add more networks and point clients at them; lines,
// clients, extensions and ports follow the hardware, so adding or deleting those is refused.
//
// The HAL has no place for ProxyServer (used only when OutboundProxy is empty),
// UserAgentDomain, RegistrationPeriod, FXS DialType/ClipGeneration or the extension
// settings: the core stores and persists them. The HAL counts dropped calls and call time
// for both directions together; they are reported under IncomingCalls, OutgoingCalls shows 0.
#include <map>

#include "voip_state.hpp"

namespace cwmpd::plugins::voip {
namespace {

using sdk::Change;
using sdk::Fault;
using sdk::FaultCode;
using sdk::InstanceRef;

class Issue2 final : public LineModel {
 public:
  explicit Issue2(VoipState& s) : LineModel(s) {}

  void registerModel(sdk::Registrar& reg) override {
    const std::string vs = vs_ + "{i}.";
    using L = hal::VoiceLine;
    using S = hal::CallStats;

    reg.object(vs + "SIP.Client.{i}.")
        .get("Enable", line([](const L& l) { return boolText(l.enabled); }, "false"))
        .get("Status",
             line([](const L& l) { return hal::toString(l.status); }, "Error_Misconfigured"))
        .get("AuthUserName", line([](const L& l) { return l.authUserName; }, ""))
        .get("AuthPassword", [](const InstanceRef&) { return std::string(); })  // write-only
        .get("RegisterURI", line([](const L& l) { return l.sipUri; }, ""))
        .validate([this](const std::vector<Change>& changes) {
          s_.staged().beginTransaction();
          for (const auto& c : changes) {
            if (c.parameter == "Network" && !networkExists(c.value))
              refuse(c, "Network must name a " + vs_ + "1.SIP.Network row");
            if (c.parameter == "RegisterURI" && !c.value.empty() && c.value.rfind("sip:", 0) != 0 &&
                c.value.rfind("sips:", 0) != 0 && c.value.rfind("tel:", 0) != 0)
              refuse(c, "RegisterURI must be a sip:, sips: or tel: URI");
            if (hasControl(c.value)) refuse(c, "control characters are not allowed");
          }
        })
        .apply(lineApply([this](const std::string& n, const Change& c) {
          const std::optional<LineField> f =
              c.parameter == "Enable"         ? LineField::Enable
              : c.parameter == "AuthUserName" ? LineField::AuthUserName
              : c.parameter == "AuthPassword" ? LineField::AuthPassword
              : c.parameter == "RegisterURI"  ? LineField::SipUri
              : c.parameter == "Network"      ? LineField::Network
                                              : std::optional<LineField>();
          if (f) s_.stage(n, *f, *f == LineField::Network ? networkPath(c.value) : c.value);
        }))
        .rollback([this](const std::vector<Change>&) { s_.staged().rollback(); })
        .onAdd(refuseAdd("SIP clients"))
        .onDelete(refuseDelete("SIP clients"));

    reg.object(vs + "SIP.Network.{i}.")
        .get("Status",
             [this](const InstanceRef& r) -> std::string {
               if (s_.host().value(r.path + "Enable") != "true") return "Disabled";
               return s_.host().value(r.path + "RegistrarServer").empty() ? "Error_Other" : "Up";
             })
        .validate([this](const std::vector<Change>& changes) {
          s_.staged().beginTransaction();
          for (const auto& c : changes) validateNetworkChange(c);
        })
        .apply(sdk::stagedApply(s_.staged(), [this](const Change& c) { s_.stageNetwork(c); }))
        .rollback([this](const std::vector<Change>&) { s_.staged().rollback(); })
        .onDelete([this](const InstanceRef& r) {
          if (!linesUsing(r.path).empty())
            throw Fault(FaultCode::RequestDenied, "a SIP client still uses " + r.path);
        });

    reg.object(vs + "CallControl.Line.{i}.")
        .get("Enable", line([](const L& l) { return boolText(l.enabled); }, "false"))
        .get("Status", line([](const L& l) { return lineStatus(l.status); }, "Error"))
        .get("CallStatus", line([](const L& l) { return callStatus(l.callState); }, "Idle"))
        .get("DirectoryNumber", line([](const L& l) { return l.directoryNumber; }, ""))
        .validate([this](const std::vector<Change>& changes) {
          s_.staged().beginTransaction();
          for (const auto& c : changes)
            if (hasControl(c.value)) refuse(c, "control characters are not allowed");
        })
        .apply(lineApply([this](const std::string& n, const Change& c) {
          if (c.parameter == "Enable")
            s_.stage(n, LineField::Enable, c.value);
          else if (c.parameter == "DirectoryNumber")
            s_.stage(n, LineField::DirectoryNumber, c.value);
        }))
        .rollback([this](const std::vector<Change>&) { s_.staged().rollback(); })
        .onAdd(refuseAdd("lines"))
        .onDelete(refuseDelete("lines"));
    reg.object(vs + "CallControl.Line.{i}.Stats.IncomingCalls.")
        .get("CallsReceived", stat(&S::incomingCallsReceived))
        .get("CallsConnected", stat(&S::incomingCallsConnected))
        .get("CallsFailed", stat(&S::incomingCallsFailed))
        .get("CallsDropped", stat(&S::callsDropped))
        .get("TotalCallTime", stat(&S::totalCallTimeSeconds));
    reg.object(vs + "CallControl.Line.{i}.Stats.OutgoingCalls.")
        .get("CallsAttempted", stat(&S::outgoingCallsAttempted))
        .get("CallsConnected", stat(&S::outgoingCallsConnected))
        .get("CallsFailed", stat(&S::outgoingCallsFailed));
    reg.object(vs + "CallControl.Line.{i}.Stats.RTP.")
        .get("PacketsReceived", stat64(&S::rtpPacketsReceived))
        .get("PacketsSent", stat64(&S::rtpPacketsSent))
        .get("PacketsLost", stat64(&S::rtpPacketsLost))
        .get("BytesSent", stat64(&S::rtpBytesSent))
        .get("BytesReceived", stat64(&S::rtpBytesReceived));

    using P = hal::FxsPort;
    auto fxs = sdk::objectSnapshot<P>([this](const InstanceRef& r) { return s_.fxs(r.key); });
    auto port = [fxs](auto fn, std::string fallback) {
      return sdk::fieldGetter(fxs, std::move(fn), std::move(fallback));
    };
    reg.object(vs + "POTS.FXS.{i}.")
        .get("Status", port([](const P& p) { return p.status; }, "Error"))
        .get("Name", [](const InstanceRef& r) { return r.key; })
        // Issue 2 has no hook state; a port is active while off hook.
        .get("Active",
             port([](const P& p) { return boolText(p.hook == hal::HookState::OffHook); }, "false"));
    reg.object(vs + "CallControl.Extension.{i}.")
        .get("Status", port([](const P& p) { return p.status; }, "Error"))
        .onAdd(refuseAdd("extensions"))
        .onDelete(refuseDelete("extensions"));
  }

  void start() override {
    auto& host = s_.host();
    const std::string vs = vs_ + std::to_string(host.ensureInstance(vs_, "1")) + ".";
    const auto lines = s_.hal().lines();
    host.update(vs + "Capabilities.MaxLineCount", std::to_string(lines.size()));
    host.update(vs + "Capabilities.MaxSessionCount", std::to_string(lines.size()));
    host.update(vs + "Capabilities.MaxSessionsPerLine", "1");
    const auto ports = s_.hal().fxsPorts();
    host.update(vs + "Capabilities.MaxExtensionCount", std::to_string(ports.size()));

    network_ =
        vs + "SIP.Network." + std::to_string(host.ensureInstance(vs + "SIP.Network.", "1")) + ".";
    host.setInitial(network_ + "Enable", "true");
    host.setInitial(network_ + "RegistrationPeriod", "3600");
    seedNetwork(s_, network_);

    std::map<std::string, std::string> numberOfPort;
    for (const auto& l : lines) {
      const std::string client = row(vs + "SIP.Client.", l.name);
      const std::string ccLine = row(vs + "CallControl.Line.", l.name);
      host.setInitial(client + "Network", network_.substr(0, network_.size() - 1));
      host.setInitial(ccLine + "Provider", client.substr(0, client.size() - 1));
      if (!l.fxsPort.empty()) numberOfPort[l.fxsPort] = l.directoryNumber;
    }
    for (const auto& p : ports) {
      const std::string fxs = row(vs + "POTS.FXS.", p.name);
      host.setInitial(fxs + "Enable", boolText(p.enabled));
      host.setInitial(fxs + "DialType", "Tone");
      host.setInitial(fxs + "ClipGeneration", "true");
      const std::string ext = row(vs + "CallControl.Extension.", p.name);
      host.setInitial(ext + "Enable", boolText(p.enabled));
      host.setInitial(ext + "Name", p.name);
      host.setInitial(ext + "ExtensionNumber", numberOfPort[p.name]);
      host.setInitial(ext + "Provider", fxs.substr(0, fxs.size() - 1));
    }
    clients_ = vs + "SIP.Client.";
    lines_ = vs + "CallControl.Line.";
    s_.linesOf = [this](const std::string& path) { return linesUsing(path); };
    s_.networkFor = [this](const std::string& line) -> std::string {
      for (const auto& [n, l] : clientLines_)
        if (l == line)
          return networkPath(s_.host().value(clients_ + std::to_string(n) + ".Network"));
      return {};
    };
  }

  void refresh() override {
    for (const auto& [n, l] : clientLines_)
      observe(clients_ + std::to_string(n) + ".", "Status", l,
              [](const hal::VoiceLine& v) { return std::string(hal::toString(v.status)); });
    for (const auto& [n, l] : ccLines_)
      observe(lines_ + std::to_string(n) + ".", "Status", l,
              [](const hal::VoiceLine& v) { return std::string(lineStatus(v.status)); });
  }

 private:
  std::string network_;                               // the seeded SIP.Network row
  std::string lines_;                                 // "...VoiceService.1.CallControl.Line."
  std::string clients_;                               // "...VoiceService.1.SIP.Client."
  std::map<std::uint32_t, std::string> clientLines_;  // SIP.Client number -> line
  std::map<std::uint32_t, std::string> ccLines_;      // CallControl.Line number -> line

  std::string row(const std::string& table, const std::string& key) {
    const std::uint32_t n = s_.host().ensureInstance(table, key);
    if (table.ends_with("SIP.Client.")) clientLines_[n] = key;
    if (table.ends_with("CallControl.Line.")) ccLines_[n] = key;
    return table + std::to_string(n) + ".";
  }

  std::string lineOf(const std::string& path) override {
    const auto nums = instanceNumbers(path);
    const bool client = path.find(".SIP.Client.") != std::string::npos;
    const auto& m = client ? clientLines_ : ccLines_;
    auto it = nums.size() >= 2 ? m.find(nums[1]) : m.end();
    return it == m.end() ? std::string() : it->second;
  }

  static std::string networkPath(const std::string& ref) {
    return ref.empty() || ref.back() == '.' ? ref : ref + ".";
  }
  bool networkExists(const std::string& ref) {
    if (ref.empty() || rowNumber(ref, network_.substr(0, network_.rfind("Network.") + 8)) == 0)
      return false;
    try {
      (void)s_.host().value(networkPath(ref) + "Enable");
      return true;
    } catch (const Fault&) {
      return false;
    }
  }

  std::vector<std::string> linesUsing(const std::string& networkRow) {
    std::vector<std::string> out;
    for (const auto& [n, line] : clientLines_) {
      try {
        if (networkPath(s_.host().value(clients_ + std::to_string(n) + ".Network")) == networkRow)
          out.push_back(line);
      } catch (const Fault&) {
      }
    }
    return out;
  }

  static sdk::InstanceHandler refuseAdd(const std::string& what) {
    return [what](const InstanceRef&) {
      throw Fault(FaultCode::ResourcesExceeded, "the voice hardware has no more " + what);
    };
  }
  static sdk::InstanceHandler refuseDelete(const std::string& what) {
    return [what](const InstanceRef&) {
      throw Fault(FaultCode::RequestDenied,
                  what + " follow the voice hardware and cannot be deleted");
    };
  }

  static const char* lineStatus(hal::RegistrationStatus s) {
    switch (s) {
      case hal::RegistrationStatus::Up: return "Up";
      case hal::RegistrationStatus::Disabled: return "Disabled";
      case hal::RegistrationStatus::ErrorMisconfigured:
      case hal::RegistrationStatus::ErrorNetwork:
      case hal::RegistrationStatus::ErrorRegistration: return "Error";
      default: return "Quiescent";  // (de)registering: no calls for now
    }
  }

  // Issue 1 call states (what the HAL reports) in issue 2 CallStatus terms.
  static std::string callStatus(const std::string& v1) {
    if (v1 == "Calling") return "Dialing";
    if (v1 == "Ringing") return "Alerting";
    if (v1 == "Connecting") return "Delivered";
    if (v1 == "InCall" || v1 == "Hold") return "Connected";
    if (v1 == "Disconnecting") return "Disconnected";
    return "Idle";
  }
};

}  // namespace

std::unique_ptr<VoipModel> makeIssue2Model(VoipState& state) {
  return std::make_unique<Issue2>(state);
}

}  // namespace cwmpd::plugins::voip
