#include "common/voice_dir.hpp"

#include <algorithm>

#include "common/files.hpp"
#include "common/kv_file.hpp"
#include "common/kv_objects.hpp"
#include "cwmpd/hal/error.hpp"

namespace cwmpd::hal::detail {
namespace {

RegistrationStatus parseRegistration(std::string_view s) {
  if (s == "Up") return RegistrationStatus::Up;
  if (s == "Initializing") return RegistrationStatus::Initializing;
  if (s == "Registering") return RegistrationStatus::Registering;
  if (s == "Deregistering" || s == "Unregistering") return RegistrationStatus::Deregistering;
  if (s == "Error_Misconfigured") return RegistrationStatus::ErrorMisconfigured;
  if (s == "Error_Network") return RegistrationStatus::ErrorNetwork;
  if (s == "Error_Registration" || s == "Error") return RegistrationStatus::ErrorRegistration;
  if (s == "Quiescent") return RegistrationStatus::Quiescent;
  return RegistrationStatus::Disabled;
}

std::uint32_t u32(const KvFile& f, const char* key) {
  return static_cast<std::uint32_t>(f.u64(key));
}

CallStats readStats(const KvFile& f) {
  CallStats s;
  s.incomingCallsReceived = u32(f, "incoming_calls_received");
  s.incomingCallsAnswered = u32(f, "incoming_calls_answered");
  s.incomingCallsConnected = u32(f, "incoming_calls_connected");
  s.incomingCallsFailed = u32(f, "incoming_calls_failed");
  s.outgoingCallsAttempted = u32(f, "outgoing_calls_attempted");
  s.outgoingCallsAnswered = u32(f, "outgoing_calls_answered");
  s.outgoingCallsConnected = u32(f, "outgoing_calls_connected");
  s.outgoingCallsFailed = u32(f, "outgoing_calls_failed");
  s.callsDropped = u32(f, "calls_dropped");
  s.totalCallTimeSeconds = u32(f, "total_call_time");
  s.rtpPacketsSent = f.u64("rtp_packets_sent");
  s.rtpPacketsReceived = f.u64("rtp_packets_received");
  s.rtpPacketsLost = f.u64("rtp_packets_lost");
  s.rtpBytesSent = f.u64("rtp_bytes_sent");
  s.rtpBytesReceived = f.u64("rtp_bytes_received");
  return s;
}

std::uint16_t port(const KvFile& f, const char* key) {
  const auto v = f.u64(key, 5060);
  if (v == 0 || v > 65535) throw HalError(f.path().string() + ": " + key + " out of range");
  return static_cast<std::uint16_t>(v);
}

bool hasControl(const std::string& s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20; });
}

}  // namespace

VoiceLine VoiceDir::line(std::string_view name) const {
  const KvFile f = loadObject(base_ / "line", name, "voice line");
  VoiceLine l;
  l.name = std::string(name);
  l.enabled = f.boolean("enable");
  l.status = parseRegistration(f.str("status", "Disabled"));
  l.callState = f.str("call_state", "Idle");
  l.directoryNumber = f.str("directory_number");
  l.sipUri = f.str("sip_uri");
  l.authUserName = f.str("auth_user_name");
  l.registrar = f.str("registrar");
  l.registrarPort = port(f, "registrar_port");
  l.proxy = f.str("proxy");
  l.proxyPort = port(f, "proxy_port");
  l.transport = f.str("transport", "UDP");
  l.codecs = f.list("codecs");
  l.fxsPort = f.str("fxs_port");
  l.stats = readStats(f);
  return l;
}

std::vector<VoiceLine> VoiceDir::lines() const {
  std::vector<VoiceLine> out;
  for (const auto& n : iniNames(base_ / "line")) out.push_back(line(n));
  return out;
}

std::vector<FxsPort> VoiceDir::fxsPorts() const {
  std::vector<FxsPort> out;
  for (const auto& n : iniNames(base_ / "fxs")) {
    const KvFile f = loadObject(base_ / "fxs", n, "FXS port");
    FxsPort p;
    p.name = n;
    p.enabled = f.boolean("enable");
    p.status = f.str("status", p.enabled ? "Up" : "Disabled");
    p.hook = f.str("hook", "on") == "off" ? HookState::OffHook : HookState::OnHook;
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<std::string> VoiceDir::supportedCodecs() const {
  std::error_code ec;
  if (!fs::exists(base_ / "voice.ini", ec)) return {};
  return KvFile::load(base_ / "voice.ini").list("supported_codecs");
}

void VoiceDir::validate(const VoiceConfig& c) const {
  const auto names = iniNames(base_ / "line");
  const auto codecs = supportedCodecs();
  for (const auto& l : c.lines) {
    const std::string what = "voice line '" + l.name + "'";
    if (std::find(names.begin(), names.end(), l.name) == names.end()) {
      throw HalError("unknown " + what);
    }
    for (const auto* s : {&l.directoryNumber, &l.sipUri, &l.authUserName, &l.authPassword,
                          &l.registrar, &l.proxy}) {
      if (*s && hasControl(**s)) throw HalError(what + ": control character in a value");
    }
    if (l.sipUri && !l.sipUri->empty() && !l.sipUri->starts_with("sip:") &&
        !l.sipUri->starts_with("sips:") && !l.sipUri->starts_with("tel:")) {
      throw HalError(what + ": URI must start with sip:, sips: or tel:");
    }
    if ((l.registrarPort && *l.registrarPort == 0) || (l.proxyPort && *l.proxyPort == 0)) {
      throw HalError(what + ": port 0");
    }
    if (l.transport && *l.transport != "UDP" && *l.transport != "TCP" && *l.transport != "TLS") {
      throw HalError(what + ": transport must be UDP, TCP or TLS");
    }
    if (l.codecs) {
      for (const auto& codec : *l.codecs) {
        if (!codecs.empty() && std::find(codecs.begin(), codecs.end(), codec) == codecs.end()) {
          // Once: the throw ends the loop.
          // NOLINTNEXTLINE(performance-inefficient-string-concatenation)
          throw HalError(what + ": codec '" + codec + "' not supported");
        }
      }
    }
  }
}

void VoiceDir::write(const VoiceConfig& c) const {
  for (const auto& l : c.lines) {
    KvFile f = loadObject(base_ / "line", l.name, "voice line");
    if (l.enabled) f.setBool("enable", *l.enabled);
    if (l.directoryNumber) f.set("directory_number", *l.directoryNumber);
    if (l.sipUri) f.set("sip_uri", *l.sipUri);
    if (l.authUserName) f.set("auth_user_name", *l.authUserName);
    if (l.authPassword) f.set("auth_password", *l.authPassword);
    if (l.registrar) f.set("registrar", *l.registrar);
    if (l.registrarPort) f.set("registrar_port", std::uint64_t{*l.registrarPort});
    if (l.proxy) f.set("proxy", *l.proxy);
    if (l.proxyPort) f.set("proxy_port", std::uint64_t{*l.proxyPort});
    if (l.transport) f.set("transport", *l.transport);
    if (l.codecs) f.setList("codecs", *l.codecs);
    if (!f.boolean("enable")) {
      f.set("status", "Disabled");
    } else if (f.str("registrar").empty() || f.str("sip_uri").empty()) {
      f.set("status", "Error_Misconfigured");
    } else {
      f.set("status", "Up");
    }
    f.save();
  }
}

std::string renderVoiceConfig(const VoiceConfig& c, bool withSecrets) {
  std::string out;
  for (const auto& l : c.lines) {
    out += "[line " + l.name + "]\n";
    const auto kv = [&](const char* k, const std::optional<std::string>& v) {
      if (v) out += std::string(k) + " = " + *v + "\n";
    };
    if (l.enabled) out += std::string("enable = ") + (*l.enabled ? "1" : "0") + "\n";
    kv("directory_number", l.directoryNumber);
    kv("sip_uri", l.sipUri);
    kv("auth_user_name", l.authUserName);
    if (l.authPassword)
      out += std::string("auth_password = ") + (withSecrets ? *l.authPassword : "***") + "\n";
    kv("registrar", l.registrar);
    if (l.registrarPort) out += "registrar_port = " + std::to_string(*l.registrarPort) + "\n";
    kv("proxy", l.proxy);
    if (l.proxyPort) out += "proxy_port = " + std::to_string(*l.proxyPort) + "\n";
    kv("transport", l.transport);
    if (l.codecs) out += "codecs = " + joinList(*l.codecs) + "\n";
  }
  return out;
}

}  // namespace cwmpd::hal::detail
