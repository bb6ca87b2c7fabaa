// Config keys a plugin reads: declared once, statically, so that the daemon knows every
// key of its config file before anything starts. A key of the config file that neither
// the core nor an installed plugin declares is an error ("FILE:LINE: [section] key:
// unknown key", exit code 2), and so is a value that does not fit its declared type;
// `cwmpd --check-config` reads these declarations too. Declare each key Host::config()
// reads, e.g. at namespace scope next to CWMPD_PLUGIN:
//
//   CWMPD_PLUGIN_CONFIG_KEYS({"example", "file_dir", cwmpd::sdk::ConfigType::Path},
//                            {"example", "verbose", cwmpd::sdk::ConfigType::Bool})
//
// Several plugins may declare the same key (a plugin that reads another's section), with
// the same type. A plugin that declares nothing reads no config. The declaration is an
// optional entry point of its own (cwmpd_plugin_config_keys): it changes nothing of the
// other entry points' ABI.
#pragma once

#include <cstddef>
#include <cstdint>

#include "cwmpd/sdk/entry_point.hpp"

namespace cwmpd::sdk {

// What a value must look like. Empty values are allowed for String, List and Path only.
enum class ConfigType : std::uint8_t {
  String,    // any text
  Bool,      // true/false, 1/0, yes/no, on/off
  Int,       // a decimal integer (64 bits)
  Unsigned,  // a decimal integer 0..4294967295
  Number,    // a decimal number >= 0, fractions allowed ("0.5" seconds)
  List,      // comma or space separated words
  Path,      // a file or directory; relative paths are relative to the config file
};

struct ConfigKey {
  const char* section;
  const char* key;
  ConfigType type;
};

struct ConfigKeys {
  const ConfigKey* keys;
  std::size_t count;
};

}  // namespace cwmpd::sdk

#define CWMPD_PLUGIN_CONFIG_KEYS(...)                                              \
  namespace cwmpd_plugin_config {                                                  \
  const ::cwmpd::sdk::ConfigKeys& keys() {                                         \
    static const ::cwmpd::sdk::ConfigKey list[] = {__VA_ARGS__};                   \
    static const ::cwmpd::sdk::ConfigKeys all{list, sizeof list / sizeof list[0]}; \
    return all;                                                                    \
  }                                                                                \
  }                                                                                \
  CWMPD_ENTRY_POINT(cwmpd_plugin_config::keys, cwmpd_plugin_config_keys)
