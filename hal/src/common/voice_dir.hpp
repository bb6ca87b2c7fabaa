// Voice state kept as files: <base>/voice.ini (supported_codecs), <base>/line/<name>.ini
// and <base>/fxs/<name>.ini (see hal/README.md). Read and written by the sim backend;
// read by the Linux backend as the platform's status export.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "cwmpd/hal/voice.hpp"

namespace cwmpd::hal::detail {

class VoiceDir {
 public:
  explicit VoiceDir(std::filesystem::path base) : base_(std::move(base)) {}

  [[nodiscard]] std::vector<VoiceLine> lines() const;
  [[nodiscard]] VoiceLine line(std::string_view name) const;
  [[nodiscard]] std::vector<FxsPort> fxsPorts() const;
  [[nodiscard]] std::vector<std::string> supportedCodecs() const;

  void validate(const VoiceConfig& config) const;
  // Writes a validated batch and derives the registration status the way a SIP stack
  // would end up: Disabled, Error_Misconfigured without registrar or URI, else Up.
  void write(const VoiceConfig& config) const;

 private:
  std::filesystem::path base_;
};

// [line NAME] sections with the set keys; the password is "***" unless `withSecrets`.
[[nodiscard]] std::string renderVoiceConfig(const VoiceConfig& config, bool withSecrets);

}  // namespace cwmpd::hal::detail
