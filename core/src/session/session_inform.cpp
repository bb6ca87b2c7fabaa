// SessionEngine: opening a session: its endpoint, events and Inform.
#include "session_impl.hpp"

namespace cwmpd::core {

using namespace session_detail;

void SessionEngine::Impl::startSession() {
  if (running_ || stopping_) return;
  if (events_.empty() && !forceSession_ && !heartbeatDue_) return;
  SessionPlan plan;
  // TR-069 Annex O: "14 HEARTBEAT" travels alone, in a session of its own: no other
  // event, no changed parameter, no request of ours. What else is pending goes in the
  // session that follows it.
  plan.heartbeat = heartbeatDue_;
  if (!plan.heartbeat) forceSession_ = false;
  try {
    plan.endpoint.url = model_.rawValue(ms_ + "URL");
    if (model_.exists(ms_ + "EnableCWMP") && model_.rawValue(ms_ + "EnableCWMP") == "false") {
      CWMPD_LOG(Info, kLog, "EnableCWMP is false: no session");
      return;
    }
    plan.endpoint.username = model_.rawValue(ms_ + "Username");
    plan.endpoint.password = model_.rawValue(ms_ + "Password");
  } catch (const sdk::Fault& f) {
    CWMPD_LOG(Error, kLog,
              "no ManagementServer in the model (" << f.what() << "): cannot reach an ACS");
    return;
  }
  if (plan.endpoint.url.empty()) {
    CWMPD_LOG(Warning, kLog, "ManagementServer.URL is empty: waiting for an ACS URL");
    return;
  }
  // TR-069 3.2.2: the Inform names a ConnectionRequestURL the ACS can reach, found
  // before the Inform is built (its change then travels with this very Inform).
  if (!refreshConnectionRequestUrl(plan.endpoint.url)) return;  // resolving the ACS host
  if (options_.informUpstreamAddress) {
    extraInformParameters_ = options_.extraInformParameters;
    for (auto& p : upstreamAddressParameters()) extraInformParameters_.push_back(std::move(p));
  }
  plan.endpoint.caFile = options_.caFile;
  plan.endpoint.clientCert = options_.clientCert;
  plan.endpoint.clientKey = options_.clientKey;
  plan.endpoint.verifyPeer = options_.verifyPeer;
  plan.endpoint.verifyHost = options_.verifyPeer;
  plan.endpoint.timeout = options_.rpcTimeout;
  if (plan.heartbeat) {
    heartbeatDue_ = false;
    plan.events = {QueuedEvent{"14 HEARTBEAT", ""}};
  } else if (tracker_) {
    // The changed values are read with the Inform (buildInform, on the worker): a
    // provider's parameter then holds this session, not the loop (issue 18).
    if (events_.contains("0 BOOTSTRAP")) {
      // A BOOTSTRAP Inform makes the ACS learn the device anew (TR-069 3.7.1.5), so
      // changes since an earlier baseline (typically ConnectionRequestURL after a
      // restart that never reached the ACS) mean nothing to it: they count as
      // delivered with this Inform but are not reported as "4 VALUE CHANGE".
      plan.notifiedSilently = true;
      events_.remove("4 VALUE CHANGE");
    } else if (tracker_->hasPending() && !events_.contains("4 VALUE CHANGE")) {
      // TR-069 3.2.1: changed parameters travel with "4 VALUE CHANGE".
      events_.add("4 VALUE CHANGE");
    }
  }
  if (!plan.heartbeat) plan.events = events_.pending();
  if (plan.events.empty()) {
    // TR-069 A.3.3.1: an Inform never has an empty Event list. Whatever asked for this
    // session (a retry whose only event was "6 CONNECTION REQUEST", discarded on
    // failure by TR-069 3.2.1.1; a CPE request without its event) has nothing to say.
    CWMPD_LOG(Info, kLog, "no event to report: no session");
    state(SessionState::Idle);
    return;
  }
  plan.id = ++sessionCounter_;
  plan.cwmp10 = !cwmp10Acs_.empty() && cwmp10Acs_ == plan.endpoint.url;
  if (!plan.heartbeat) plan.cpeRequests = cpeRequests_;
  running_ = true;
  // After a heartbeat, the session for whatever else waits.
  again_ = plan.heartbeat && (!events_.empty() || forceSession_);
  crDuringSession_ = false;
  state(SessionState::Connecting);
  model_.beginSession();
  for (auto& l : listeners_) l(true);
  CWMPD_LOG(
      Info, kLog,
      "session " << plan.id << " to " << plan.endpoint.url << " with " << describe(plan.events));
  joinWorker();
  workerDone_ = false;
  worker_ = std::thread([self = shared_from_this(), plan = std::move(plan)]() mutable {
    Outcome o = Outcome::Failed;
    try {
      // Built with the model lent to the worker: a provider's forced parameter then
      // holds this session, not the loop (ModelLoan, issue 18).
      plan.informXml = self->onMain([&] {
        if (!plan.heartbeat && self->tracker_) plan.notified = self->tracker_->pending();
        return self->buildInform(plan);
      });
      o = self->runSession(plan);
    } catch (const std::exception& e) {
      CWMPD_LOG(Error, kLog, "session " << plan.id << " aborted: " << e.what());
    }
    try {
      self->transport_->endSession();
    } catch (...) {
    }
    asio::post(self->io_, [self, o, id = plan.id, after = plan.retryAfter] {
      self->finishSession(o, id, after);
    });
    self->workerDone_ = true;
  });
}

std::string SessionEngine::Impl::describe(const std::vector<QueuedEvent>& evs) {
  std::string s;
  for (const auto& e : evs) s += (s.empty() ? "" : ", ") + e.code;
  return s.empty() ? "no events" : s;
}

std::string SessionEngine::Impl::buildInform(const SessionPlan& plan) {
  soap::Envelope env;
  env.header.id = "cwmpd-" + std::to_string(plan.id);
  if (plan.cwmp10) {
    // An ACS of CWMP 1.0 knows neither header below (both are cwmp-1-2 elements).
    env.ns = soap::CwmpNamespace::V1_0;
  } else {
    env.ns = soap::CwmpNamespace::V1_2;
    // TR-069 A.4.1: the CPE offers what it supports; the ACS picks with UseCWMPVersion.
    env.header.supportedCwmpVersions = "1.0,1.1,1.2,1.3,1.4";
    // TR-069 A.4.1 (CWMP 1.3): the CPE tells the ACS how long it waits for each answer.
    env.header.sessionTimeout =
        static_cast<std::uint32_t>((options_.rpcTimeout.count() + 999) / 1000);
  }
  soap::Inform inf;
  const std::string di = root_ + ".DeviceInfo.";
  auto value = [&](const std::string& p) {
    try {
      return model_.rawValue(p);
    } catch (const sdk::Fault&) {
      return std::string();
    }
  };
  inf.deviceId = {value(di + "Manufacturer"), value(di + "ManufacturerOUI"),
                  value(di + "ProductClass"), value(di + "SerialNumber")};
  for (const auto& e : plan.events) inf.events.push_back({e.code, e.commandKey});
  inf.maxEnvelopes = 1;
  inf.currentTime = isoTime(clock_->now());
  inf.retryCount = retryCount_;
  std::vector<std::string> names = model_.forcedInformParameters();
  // TR-069 Table 7 (forced inform parameters): these are in every Inform even where a
  // plugin's data model document forgot forcedInform="true".
  const std::vector<std::string> required = requiredInformParameters();
  auto add = [&](const std::vector<std::string>& more) {
    for (const auto& n : more)
      if (std::find(names.begin(), names.end(), n) == names.end() && model_.exists(n))
        names.push_back(n);
  };
  add(required);
  add(extraInformParameters_);
  // TR-069 Annex G: with STUN on, the ACS learns where to send UDP Connection Requests.
  if (udpCr_ && stunEnabled()) add({ms_ + "UDPConnectionRequestAddress"});
  // One by one: a getter that fails costs its own parameter only, never the list.
  for (const auto& n : names) {
    try {
      for (auto& v : model_.getValues({n}))
        inf.parameterList.push_back({v.name, v.value, sdk::xsdTypeName(v.type)});
    } catch (const sdk::Fault& f) {
      const bool mustHave = std::find(required.begin(), required.end(), n) != required.end();
      CWMPD_LOG(Warning, "plugin " + model_.pluginOf(n),
                "forced-inform parameter "
                    << n << " could not be read (" << f.what() << ")"
                    << (mustHave ? "; sent empty" : "; left out of the Inform"));
      // The Table 7 parameters are all strings; an ACS expects them in every Inform.
      if (mustHave)
        inf.parameterList.push_back({n, std::string(), sdk::xsdTypeName(sdk::ParamType::String)});
    }
  }
  for (const auto& v : plan.notifiedSilently ? std::vector<ParameterValue>{} : plan.notified) {
    bool dup = false;
    for (const auto& p : inf.parameterList) dup = dup || p.name == v.name;
    if (!dup) inf.parameterList.push_back({v.name, v.value, sdk::xsdTypeName(v.type)});
  }
  // TR-069 3.6.1: in InstanceMode InstanceAlias the Inform names rows by alias too, in
  // its names and in the values that are paths (references).
  if (model_.instanceAliasMode()) {
    for (auto& p : inf.parameterList) {
      p.value = model_.aliasValue(p.name, p.value);
      p.name = model_.aliasPath(p.name);
    }
  }
  env.body = std::move(inf);
  return soap::encode(env);
}

// TR-069 Table 7, "Forced Inform parameters", for the configured root.
std::vector<std::string> SessionEngine::Impl::requiredInformParameters() const {
  const std::string di = root_ + ".DeviceInfo.";
  std::vector<std::string> out = {di + "HardwareVersion", di + "SoftwareVersion",
                                  di + "ProvisioningCode", ms_ + "ParameterKey",
                                  ms_ + "ConnectionRequestURL"};
  // TR-069 Annex K: where the ACS reaches the CPE over XMPP (when the model has it).
  if (model_.exists(ms_ + "ConnReqJabberID")) out.push_back(ms_ + "ConnReqJabberID");
  if (root_ == "InternetGatewayDevice") {
    out.push_back(root_ + ".DeviceSummary");
    out.push_back(di + "SpecVersion");
  }
  return out;
}

// TR-181: the WAN address ACSs expect in every Inform (TR-069 3.7.1.1) is the first
// IPv4 address of the upstream IP interface: the Device.IP.Interface row whose
// LowerLayers lead down to an interface marked Upstream (Ethernet, Optical, DSL...),
// whatever its instance number.
std::vector<std::string> SessionEngine::Impl::upstreamAddressParameters() {
  try {
    for (const auto& i : model_.getNames(root_ + ".IP.Interface.", true)) {
      if (i.name.back() != '.' || !leadsUpstream(i.name.substr(0, i.name.size() - 1), 0)) continue;
      for (const auto& a : model_.getNames(i.name + "IPv4Address.", true))
        if (a.name.back() == '.' && model_.exists(a.name + "IPAddress"))
          return {a.name + "IPAddress"};
      return {};
    }
  } catch (const sdk::Fault& f) {
    CWMPD_LOG(Debug, kLog, "no upstream IP interface: " << f.what());
  }
  return {};
}

// `object` (no trailing dot) is marked Upstream or stacked on one that is.
bool SessionEngine::Impl::leadsUpstream(const std::string& object, int depth) {
  if (depth > 8 || !model_.exists(object + ".")) return false;  // a loop, or a dangling reference
  auto value = [this](const std::string& p) {
    return model_.exists(p) ? model_.getValues({p}).at(0).value : std::string();
  };
  if (value(object + ".Upstream") == "true") return true;
  std::string lower = value(object + ".LowerLayers");
  std::size_t from = 0;
  while (from < lower.size()) {
    std::size_t comma = lower.find(',', from);
    if (comma == std::string::npos) comma = lower.size();
    std::string ref = lower.substr(from, comma - from);
    from = comma + 1;
    ref.erase(0, ref.find_first_not_of(' '));
    while (!ref.empty() && (ref.back() == ' ' || ref.back() == '.')) ref.pop_back();
    if (!ref.empty() && leadsUpstream(ref, depth + 1)) return true;
  }
  return false;
}

}  // namespace cwmpd::core
