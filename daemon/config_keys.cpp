#include "config_keys.hpp"

namespace cwmpd {

const std::vector<core::ConfigKeySpec>& coreConfigKeys() {
  using T = sdk::ConfigType;
  // Types only: ranges and allowed words are readSettings()'s checks (daemon/main.cpp),
  // next to where each value is used.
  static const std::vector<core::ConfigKeySpec> keys = [] {
    const struct {
      const char* section;
      const char* key;
      T type;
    } table[] = {
        {"acs", "url", T::String},
        {"acs", "username", T::String},
        {"acs", "password", T::String},
        {"acs", "periodic_inform_enable", T::Bool},
        {"acs", "periodic_inform_interval", T::Unsigned},
        {"acs", "periodic_inform_time", T::String},
        {"acs", "ca_file", T::Path},
        {"acs", "client_cert", T::Path},
        {"acs", "client_key", T::Path},
        {"acs", "verify_peer", T::Bool},
        {"acs", "timeout", T::Unsigned},
        {"acs", "gzip_threshold", T::Unsigned},
        {"cpe", "root", T::String},
        {"cpe", "connection_request_enable", T::Bool},
        {"cpe", "connection_request_port", T::Unsigned},
        {"cpe", "connection_request_path", T::String},
        {"cpe", "connection_request_username", T::String},
        {"cpe", "connection_request_password", T::String},
        {"cpe", "connection_request_address", T::String},
        {"cpe", "connection_request_host", T::String},
        {"cpe", "connection_request_interface", T::String},
        {"cpe", "connection_request_min_interval", T::Unsigned},
        {"cpe", "connection_request_burst", T::Unsigned},
        {"cpe", "inform_parameters", T::List},
        {"cpe", "vendor_events", T::String},
        {"bus", "address", T::String},
        {"bus", "provider_timeout_ms", T::Unsigned},
        {"hal", "backend", T::String},
        {"hal", "sim_dir", T::Path},
        {"hal", "reboot_command", T::String},
        {"hal", "factory_reset_command", T::String},
        {"hal", "firmware_apply_command", T::String},
        {"hal", "wifi_apply_command", T::String},
        {"hal", "voice_apply_command", T::String},
        {"hal", "command_timeout", T::Unsigned},
        {"hal", "read_cache_ms", T::Unsigned},
        {"hal", "wifi_status_dir", T::Path},
        {"hal", "voice_status_dir", T::Path},
        {"hal", "pon_status_command", T::String},
        {"hal", "pon_auth_command", T::String},
        {"hal", "pon_status_dir", T::Path},
        {"hal", "sfp_dir", T::Path},
        {"hal", "transceivers", T::List},
        {"store", "dir", T::Path},
        {"plugins", "dir", T::Path},
        {"plugins", "enable", T::List},
        {"log", "level", T::String},
        {"log", "syslog", T::Bool},
        {"session", "max_body_bytes", T::Unsigned},
        {"notifications", "sample_interval_ms", T::Unsigned},
        {"transfers", "dir", T::Path},
        {"transfers", "store_dir", T::Path},
        {"transfers", "max_size", T::Int},
        {"transfers", "max_queued", T::Unsigned},
        {"transfers", "timeout", T::Unsigned},
        {"transfers", "upload_method", T::String},
        {"transfers", "log_file", T::Path},
    };
    std::vector<core::ConfigKeySpec> out;
    for (const auto& k : table) out.push_back({k.section, k.key, k.type, "core"});
    return out;
  }();
  return keys;
}

}  // namespace cwmpd
