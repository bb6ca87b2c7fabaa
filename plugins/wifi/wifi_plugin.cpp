// The wifi plugin: TR-181 Device.WiFi. or TR-098 WLANConfiguration over hal::WiFi.
//
// Every change is staged by the apply handlers and pushed to the HAL as ONE WiFi::apply()
// in the flush the core runs at the end of the ACS session (or right after a transaction
// made outside a session): one driver reload per session, not one per parameter.
//
// Associated devices are rows that follow the HAL. They are refreshed at start, after
// every flush, and every `[wifi] station_refresh_interval` seconds (default 30, 0 = off)
// by a periodic Host timer on the main loop (sdk::PeriodicTask): the core walks the rows
// while it calls getters, so a getter must never add or remove rows itself. The same
// refresh reports Status changes of radios and SSIDs (Host::valueChanged), so that active
// notification works for them.
#include <cwmpd/sdk/root_model.hpp>

#include "wifi_model.hpp"

CWMPD_STAGED_ROOT_PLUGIN(cwmpd::plugins::wifi::WifiState, "wifi", "1.0",
                         cwmpd::plugins::wifi::makeTr181Model, cwmpd::plugins::wifi::makeTr098Model,
                         "station_refresh_interval", 30)
