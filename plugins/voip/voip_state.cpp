#include "voip_state.hpp"

#include <algorithm>
#include <iterator>
#include <map>

namespace cwmpd::plugins::voip {

namespace {

// "line/<line>/<field number>"; the flush reads the field back from the number.
std::string lineKey(const std::string& line, LineField f) {
  return "line/" + line + "/" + std::to_string(static_cast<unsigned>(f));
}

}  // namespace

std::optional<hal::VoiceLine> VoipState::line(const std::string& name) {
  auto l = sdk::halRead([&] { return hal().line(name); });
  if (!l) return l;
  auto f = [&](LineField n) { return staged_.get(lineKey(name, n)); };
  if (auto v = f(LineField::Enable)) l->enabled = *v == "true";
  if (auto v = f(LineField::DirectoryNumber)) l->directoryNumber = *v;
  if (auto v = f(LineField::SipUri)) l->sipUri = *v;
  if (auto v = f(LineField::AuthUserName)) l->authUserName = *v;
  return l;
}

std::optional<hal::FxsPort> VoipState::fxs(const std::string& name) {
  try {
    for (auto& p : hal().fxsPorts())
      if (p.name == name) return p;
  } catch (const hal::HalError&) {
  }
  return std::nullopt;
}

void VoipState::requireLine(const std::string& name) {
  try {
    (void)hal().line(name);
  } catch (const hal::HalError& e) {
    throw sdk::Fault(sdk::FaultCode::InternalError,
                     std::string("voice line unavailable: ") + e.what());
  }
}

void VoipState::stage(const std::string& line, LineField f, std::string value) {
  staged_.set(lineKey(line, f), std::move(value));
}

void VoipState::stageNetwork(const sdk::Change& change) {
  // What addNetworkSettings() hands the lines.
  static const char* const kLineSettings[] = {"RegistrarServer", "RegistrarServerPort",
                                              "OutboundProxy",   "OutboundProxyPort",
                                              "ProxyServer",     "ProxyServerPort"};
  if (std::find(std::begin(kLineSettings), std::end(kLineSettings), change.parameter) ==
      std::end(kLineSettings))
    return;
  staged_.set("network/" + change.object + "/changed", "1");
}

void VoipState::addNetworkSettings(hal::VoiceLineConfig& cfg, const std::string& path) {
  auto get = [&](const char* p) { return host_.value(path + p); };
  auto port = [&](const char* p) { return static_cast<std::uint16_t>(std::stoul(get(p))); };
  cfg.registrar = get("RegistrarServer");
  cfg.registrarPort = port("RegistrarServerPort");
  // The HAL's proxy is the outbound proxy; without one, the proxy server is the first hop.
  if (!get("OutboundProxy").empty()) {
    cfg.proxy = get("OutboundProxy");
    cfg.proxyPort = port("OutboundProxyPort");
  } else {
    cfg.proxy = get("ProxyServer");
    cfg.proxyPort = port("ProxyServerPort");
  }
}

void VoipState::flush() {
  std::map<std::string, hal::VoiceLineConfig> lines;
  std::map<std::string, std::string> networkOf;  // line -> network path
  auto cfg = [&](const std::string& name) -> hal::VoiceLineConfig& {
    auto& c = lines[name];
    c.name = name;
    return c;
  };
  for (const auto& [k, v] : staged_.entries()) {
    const auto a = k.find('/'), b = k.rfind('/');
    const std::string kind = k.substr(0, a), name = k.substr(a + 1, b - a - 1), f = k.substr(b + 1);
    if (kind == "network") {
      if (linesOf)
        for (const auto& l : linesOf(name)) networkOf[l] = name;
      continue;
    }
    hal::VoiceLineConfig& c = cfg(name);
    switch (static_cast<LineField>(std::stoul(f))) {
      case LineField::Enable: c.enabled = v == "true"; break;
      case LineField::DirectoryNumber: c.directoryNumber = v; break;
      case LineField::SipUri: c.sipUri = v; break;
      case LineField::AuthUserName: c.authUserName = v; break;
      case LineField::AuthPassword: c.authPassword = v; break;
      case LineField::Network: networkOf[name] = v; break;
    }
  }
  staged_.clear();
  if (networkFor)
    for (const auto& [name, c] : lines)
      if (!networkOf.count(name))
        if (auto path = networkFor(name); !path.empty()) networkOf[name] = path;
  for (const auto& [line, path] : networkOf) {
    try {
      addNetworkSettings(cfg(line), path);
    } catch (const std::exception& e) {
      host_.log(sdk::LogLevel::Warning, "SIP settings at " + path + " unreadable: " + e.what());
    }
  }
  if (lines.empty()) return;
  hal::VoiceConfig batch;
  for (auto& [name, c] : lines) batch.lines.push_back(std::move(c));
  try {
    hal().apply(batch);
    host_.log(sdk::LogLevel::Info, "voice configuration applied");
  } catch (const hal::HalError& e) {
    // The session already committed: nothing stays staged, so the live values show what
    // the voice platform really runs.
    host_.log(sdk::LogLevel::Error, std::string("voice apply failed: ") + e.what());
  }
}

void refuse(const sdk::Change& c, const std::string& why) {
  throw sdk::Fault(sdk::FaultCode::InvalidParameterValue, c.path() + ": " + why);
}

bool hasControl(const std::string& s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20; });
}

void validateNetworkChange(const sdk::Change& c) {
  const std::string& p = c.parameter;
  if (p.size() > 4 && p.compare(p.size() - 4, 4, "Port") == 0) {
    if (c.value == "0") refuse(c, "port 0 is not usable");
  } else if (p == "ProxyServer" || p == "RegistrarServer" || p == "OutboundProxy" ||
             p == "UserAgentDomain") {
    if (hasControl(c.value) || c.value.find(' ') != std::string::npos)
      refuse(c, "a host name or address without blanks or control characters");
  }
}

void seedNetwork(VoipState& state, const std::string& path) {
  auto& host = state.host();
  std::optional<hal::VoiceLine> from;
  for (const auto& l : state.hal().lines())
    if (!l.registrar.empty()) {
      from = l;
      break;
    }
  host.setInitial(path + "RegistrarServer", from ? from->registrar : "");
  host.setInitial(path + "RegistrarServerPort", std::to_string(from ? from->registrarPort : 5060));
  host.setInitial(path + "OutboundProxy", from ? from->proxy : "");
  host.setInitial(path + "OutboundProxyPort", std::to_string(from ? from->proxyPort : 5060));
}

}  // namespace cwmpd::plugins::voip
