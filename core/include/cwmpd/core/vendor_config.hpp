// The vendor configuration file ("3 Vendor Configuration File" of Download/Upload): the
// persisted values of writable parameters (secrets excluded), the attributes and the
// instances created through the ACS or the bus, as text (a "cwmpd-config 1 <root>"
// line, then one tab-separated O/V/A line each). Used by the daemon's transfer hooks
// (Upload exports, Download imports); the Engine hands out its implementation
// (core/src/model/vendor_config.cpp), which reads the definitions and the store only.
//
// Threading: main loop only.
#pragma once

#include <string>

namespace cwmpd::core {

class VendorConfiguration {
 public:
  virtual ~VendorConfiguration() = default;
  [[nodiscard]] virtual std::string exportConfiguration() = 0;
  // Replaces that persisted configuration with `text`, atomically: every line is checked
  // against the definitions first (Fault 9018 naming the first bad line; nothing
  // changes), then the store is rewritten in one transaction (9002 and nothing changed
  // when the store cannot keep it), keeping secrets and read-only values. The running
  // tree is not touched: the caller restarts the daemon.
  virtual void importConfiguration(const std::string& text) = 0;
};

}  // namespace cwmpd::core
