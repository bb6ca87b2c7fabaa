// TR-104 issue 1 (VoiceService:1.1) under InternetGatewayDevice.Services.VoiceService.{i}.,
// the VoiceProfile/Line layout TR-098 operators use.
//
// One VoiceService row (key "1") with one VoiceProfile (key "1") holding every HAL line
// (Line rows keyed by the line name). The profile's SIP object holds the SIP server
// settings (stored by the core, seeded from the first provisioned line) and the flush
// copies them to every line of the profile. Lines follow the hardware: adding or deleting
// profiles and lines is refused.
#include <map>

#include "voip_state.hpp"

namespace cwmpd::plugins::voip {
namespace {

using sdk::Change;
using sdk::Fault;
using sdk::FaultCode;
using sdk::InstanceRef;

class Issue1 final : public LineModel {
 public:
  explicit Issue1(VoipState& s) : LineModel(s) {}

  void registerModel(sdk::Registrar& reg) override {
    const std::string profile = vs_ + "{i}.VoiceProfile.{i}.";
    using L = hal::VoiceLine;
    using S = hal::CallStats;
    auto refuseRows = [](const InstanceRef&) {
      throw Fault(FaultCode::RequestDenied, "voice profiles and lines follow the voice hardware");
    };

    reg.object(profile)
        .onAdd([](const InstanceRef&) {
          throw Fault(FaultCode::ResourcesExceeded, "one voice profile holds every line");
        })
        .onDelete(refuseRows);
    reg.object(profile + "SIP.")
        .validate([this](const std::vector<Change>& changes) {
          s_.staged().beginTransaction();
          for (const auto& c : changes) validateNetworkChange(c);
        })
        .apply(sdk::stagedApply(s_.staged(), [this](const Change& c) { s_.stageNetwork(c); }))
        .rollback([this](const std::vector<Change>&) { s_.staged().rollback(); });

    reg.object(profile + "Line.{i}.")
        .get("Enable",
             line([](const L& l) { return l.enabled ? "Enabled" : "Disabled"; }, "Disabled"))
        .get("DirectoryNumber", line([](const L& l) { return l.directoryNumber; }, ""))
        .get("Status", line([](const L& l) { return hal::toTr104v1String(l.status); }, "Error"))
        .get("CallState", line([](const L& l) { return l.callState; }, "Idle"))
        .validate([this](const std::vector<Change>& changes) {
          s_.staged().beginTransaction();
          for (const auto& c : changes) {
            if (c.parameter == "Enable" && c.value == "Quiescent")
              refuse(c, "Quiescent is not supported");
            if (hasControl(c.value)) refuse(c, "control characters are not allowed");
          }
        })
        .apply(lineApply([this](const std::string& n, const Change& c) {
          if (c.parameter == "Enable")
            s_.stage(n, LineField::Enable, c.value == "Enabled" ? "true" : "false");
          else if (c.parameter == "DirectoryNumber")
            s_.stage(n, LineField::DirectoryNumber, c.value);
        }))
        .rollback([this](const std::vector<Change>&) { s_.staged().rollback(); })
        .onAdd([](const InstanceRef&) {
          throw Fault(FaultCode::ResourcesExceeded, "the voice hardware has no more lines");
        })
        .onDelete(refuseRows);

    reg.object(profile + "Line.{i}.SIP.")
        .get("AuthUserName", line([](const L& l) { return l.authUserName; }, ""))
        .get("AuthPassword", [](const InstanceRef&) { return std::string(); })  // write-only
        .get("URI", line([](const L& l) { return l.sipUri; }, ""))
        .validate([this](const std::vector<Change>& changes) {
          s_.staged().beginTransaction();
          for (const auto& c : changes)
            if (hasControl(c.value)) refuse(c, "control characters are not allowed");
        })
        .apply(lineApply([this](const std::string& n, const Change& c) {
          const LineField f = c.parameter == "AuthUserName"   ? LineField::AuthUserName
                              : c.parameter == "AuthPassword" ? LineField::AuthPassword
                                                              : LineField::SipUri;
          s_.stage(n, f, c.value);
        }))
        .rollback([this](const std::vector<Change>&) { s_.staged().rollback(); });

    reg.object(profile + "Line.{i}.Stats.")
        .get("PacketsSent", stat64(&S::rtpPacketsSent))
        .get("PacketsReceived", stat64(&S::rtpPacketsReceived))
        .get("BytesSent", stat64(&S::rtpBytesSent))
        .get("BytesReceived", stat64(&S::rtpBytesReceived))
        .get("PacketsLost", stat64(&S::rtpPacketsLost))
        .get("IncomingCallsReceived", stat(&S::incomingCallsReceived))
        .get("IncomingCallsAnswered", stat(&S::incomingCallsAnswered))
        .get("IncomingCallsConnected", stat(&S::incomingCallsConnected))
        .get("IncomingCallsFailed", stat(&S::incomingCallsFailed))
        .get("OutgoingCallsAttempted", stat(&S::outgoingCallsAttempted))
        .get("OutgoingCallsAnswered", stat(&S::outgoingCallsAnswered))
        .get("OutgoingCallsConnected", stat(&S::outgoingCallsConnected))
        .get("OutgoingCallsFailed", stat(&S::outgoingCallsFailed));
  }

  void start() override {
    auto& host = s_.host();
    const std::string vs = vs_ + std::to_string(host.ensureInstance(vs_, "1")) + ".";
    const std::string profiles = vs + "VoiceProfile.";
    const std::string profile = profiles + std::to_string(host.ensureInstance(profiles, "1")) + ".";
    profile_ = profile;
    const auto lines = s_.hal().lines();
    bool anyEnabled = false;
    for (const auto& l : lines) {
      lines_[host.ensureInstance(profile + "Line.", l.name)] = l.name;
      anyEnabled = anyEnabled || l.enabled;
    }
    host.setInitial(profile + "Enable", anyEnabled ? "Enabled" : "Disabled");
    host.setInitial(profile + "Name", "SIP");
    host.setInitial(profile + "SignalingProtocol", "SIP");
    host.setInitial(profile + "MaxSessions", std::to_string(lines.size()));
    host.setInitial(profile + "SIP.RegisterExpires", "3600");
    seedNetwork(s_, profile + "SIP.");
    s_.networkFor = [sip = profile + "SIP."](const std::string&) { return sip; };
    s_.linesOf = [this](const std::string&) {
      std::vector<std::string> out;
      for (const auto& [n, name] : lines_) out.push_back(name);
      return out;
    };
  }

  void refresh() override {
    for (const auto& [n, l] : lines_)
      observe(profile_ + "Line." + std::to_string(n) + ".", "Status", l,
              [](const hal::VoiceLine& v) { return std::string(hal::toTr104v1String(v.status)); });
  }

 private:
  std::string profile_;
  std::map<std::uint32_t, std::string> lines_;  // Line number -> HAL line

  std::string lineOf(const std::string& path) override {
    const auto nums = instanceNumbers(path);  // {service, profile, line}
    auto it = nums.size() >= 3 ? lines_.find(nums[2]) : lines_.end();
    return it == lines_.end() ? std::string() : it->second;
  }
};

}  // namespace

std::unique_ptr<VoipModel> makeIssue1Model(VoipState& state) {
  return std::make_unique<Issue1>(state);
}

}  // namespace cwmpd::plugins::voip
