// What both TR-104 flavours share: the lines' changes staged for the next Voice::apply(),
// the effective view of a line (HAL state with staged changes laid over it), and the
// SIP server settings ("network": a TR-104 issue 2 SIP.Network row or an issue 1
// VoiceProfile.{i}.SIP object), which the core stores and the flush copies to every line
// that uses them.
#pragma once

#include <cwmpd/hal/hal.hpp>
#include <cwmpd/sdk/hal_read.hpp>
#include <cwmpd/sdk/object_snapshot.hpp>
#include <cwmpd/sdk/periodic.hpp>
#include <cwmpd/sdk/plugin.hpp>
#include <cwmpd/sdk/root_model.hpp>
#include <cwmpd/sdk/staging.hpp>
#include <cwmpd/sdk/values.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cwmpd::plugins::voip {

// The SDK's shared plugin helpers.
using sdk::boolText;
using sdk::ChangeWatch;
using sdk::instanceNumbers;
using sdk::joinList;
using sdk::rowNumber;
using sdk::splitList;
using sdk::StagedChanges;

// What a change can stage for a line: a field of the HAL's hal::VoiceLineConfig, or
// Network, the path of the SIP network object whose server settings the line takes.
enum class LineField : std::uint8_t {
  Enable,
  DirectoryNumber,
  SipUri,
  AuthUserName,
  AuthPassword,
  Network
};

class VoipState : public sdk::StagedState {
 public:
  using StagedState::StagedState;
  hal::Voice& hal() { return host_.hal().voice(); }

  // Effective line; nullopt when the HAL does not have it.
  std::optional<hal::VoiceLine> line(const std::string& name);
  std::optional<hal::FxsPort> fxs(const std::string& name);
  // Throws Fault 9002 when the HAL no longer has the line: a change cannot be applied.
  void requireLine(const std::string& name);

  void stage(const std::string& line, LineField f, std::string value);
  // A SIP server setting of the network object changed: every line using it gets it with
  // the flush. The settings the HAL has no place for (RegistrationPeriod, UserAgentDomain,
  // ...) are the core's alone: nothing is staged for them, they are in effect at once.
  void stageNetwork(const sdk::Change& change);

  // The lines that use the network object at `path`, and the network object a line uses
  // (empty when none); set by the root's model.
  std::function<std::vector<std::string>(const std::string& path)> linesOf;
  std::function<std::string(const std::string& line)> networkFor;

  // Pushes everything staged as ONE Voice::apply(). Every line in the batch carries the
  // SIP server settings of the network it uses, so a line enabled after its server was
  // configured registers with it.
  void flush();

 private:
  void addNetworkSettings(hal::VoiceLineConfig& cfg, const std::string& path);
};

// One root's voice objects.
// refresh() reports registration status changes seen since the last call.
using VoipModel = sdk::RootModel;

// What both models' line rows share: getters over the effective HAL line.
class LineModel : public VoipModel {
 protected:
  explicit LineModel(VoipState& s)
      : s_(s),
        vs_(std::string(s.host().root()) + ".Services.VoiceService."),
        line_(sdk::objectSnapshot<hal::VoiceLine>(
            [this](const sdk::InstanceRef& r) { return s_.line(lineOf(r.path)); })) {}
  // The HAL line behind a row of this model or one of its sub-objects ("" when none).
  virtual std::string lineOf(const std::string& path) = 0;

  // A getter of a field of the effective line: the getters of one object read the line
  // once per request (cwmpd/sdk/object_snapshot.hpp).
  template <typename Fn>
  sdk::Getter line(Fn fn, std::string fallback) {
    return sdk::fieldGetter(line_, std::move(fn), std::move(fallback));
  }
  // The apply handler of a line object: `fn(line, change)` stages a change of HAL line
  // `line`, refused with 9002 when the HAL no longer has it; what it staged waits for the
  // flush (SetParameterValues Status 1, sdk::stagedApply).
  template <typename Fn>
  sdk::ReportingChangeHandler lineApply(Fn fn) {
    return sdk::stagedApply(s_.staged(), [this, fn](const sdk::Change& c) {
      const std::string n = lineOf(c.object);
      s_.requireLine(n);
      fn(n, c);
    });
  }
  sdk::Getter stat(std::uint32_t hal::CallStats::*m) {
    return line([m](const hal::VoiceLine& l) { return std::to_string(l.stats.*m); }, "0");
  }
  // 64-bit HAL counters in the 32-bit TR-104 parameters wrap.
  sdk::Getter stat64(std::uint64_t hal::CallStats::*m) {
    return line([m](const hal::VoiceLine& l) { return std::to_string(l.stats.*m & 0xffffffffULL); },
                "0");
  }

  // Reports `parameter` of `row` when the line's live value changed since last seen.
  template <typename Fn>
  void observe(const std::string& row, const std::string& parameter, const std::string& line,
               Fn fn) {
    if (auto l = s_.line(line)) watch_.observe(s_.host(), row + parameter, fn(*l));
  }

  VoipState& s_;
  std::string vs_;  // "<root>.Services.VoiceService."
  ChangeWatch watch_;

 private:
  std::shared_ptr<sdk::ObjectSnapshot<hal::VoiceLine>> line_;
};

std::unique_ptr<VoipModel> makeIssue2Model(VoipState& state);  // Device.Services (TR-104 i2)
std::unique_ptr<VoipModel> makeIssue1Model(
    VoipState& state);  // InternetGatewayDevice.Services (i1)

// Shared by both models.
[[noreturn]] void refuse(const sdk::Change& c, const std::string& why);
bool hasControl(const std::string& s);
// Validates a change of a SIP server settings object (same names in both issues).
void validateNetworkChange(const sdk::Change& c);
// First-boot SIP server settings at `path` from the first provisioned HAL line.
void seedNetwork(VoipState& state, const std::string& path);

}  // namespace cwmpd::plugins::voip
