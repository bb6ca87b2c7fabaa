// The ONU status text both backends read: "key = value" lines (the sim's pon/onu.ini, a
// Linux status directory's onu.ini, or the output of the pon_status command). The keys
// are listed in hal/README.md ("PON").
#pragma once

#include <string>

#include "cwmpd/hal/pon.hpp"

namespace cwmpd::hal::detail {

// Parses `text`; HalError naming `where` and the key for a value that does not parse
// (an unknown activation state, mode, authentication result or alarm name included).
// Unknown keys are ignored, so a vendor script may print more than the HAL reads.
[[nodiscard]] OnuStatus parseOnuStatus(const std::string& text, const std::string& where);

// The last status text and what it parsed to. The plugin reads the ONU field by field (a
// whole-tree GetParameterValues asks ~200 of them), so each read would parse the same
// text again; an identical text gives the same status, and a text that fails to parse is
// not kept (the next read throws again).
class OnuStatusCache {
 public:
  [[nodiscard]] OnuStatus parse(const std::string& text, const std::string& where) {
    if (!valid_ || text != text_) {
      valid_ = false;
      status_ = parseOnuStatus(text, where);
      text_ = text;
      valid_ = true;
    }
    return status_;
  }
  void clear() { valid_ = false; }

 private:
  std::string text_;
  OnuStatus status_;
  bool valid_ = false;
};

// The environment the pon_auth command gets (and what the sim writes to credentials.ini).
[[nodiscard]] std::string renderCredentials(const PonCredentials& c);

}  // namespace cwmpd::hal::detail
