// The voip plugin: TR-104 voice service over hal::Voice, issue 2 (SIP.Client/Network,
// CallControl, POTS) under Device.Services. and issue 1 (VoiceProfile/Line) under
// InternetGatewayDevice.Services. (the document's cwmpd:mount picks the model).
//
// Changes are staged by the apply handlers and pushed to the HAL as ONE Voice::apply() in
// the flush at the end of the ACS session (or right after a transaction made outside a
// session); until then a change is not in effect, so the ACS gets SetParameterValues
// Status 1 for it, as from the wifi plugin (sdk::stagedApply). An apply handler refuses (9002) a
// change to a line the HAL no longer has, so the whole SetParameterValues, other plugins' changes
// included, is rolled back. Registration status, call state and statistics are read live from the
// HAL; registration status changes are reported (Host::valueChanged, for active notification) after
// each flush and every `[voip] status_poll_interval` seconds (default 30, 0 = off), from a periodic
// Host timer on the main loop (sdk::PeriodicTask).
#include <cwmpd/sdk/root_model.hpp>

#include "voip_state.hpp"

CWMPD_STAGED_ROOT_PLUGIN(cwmpd::plugins::voip::VoipState, "voip", "1.0",
                         cwmpd::plugins::voip::makeIssue2Model,
                         cwmpd::plugins::voip::makeIssue1Model, "status_poll_interval", 30)
