#include "cwmpd/core/restart_gate.hpp"

#include <boost/asio/post.hpp>

#include "cwmpd/core/log.hpp"

namespace cwmpd::core {

namespace {

constexpr const char* kLog = "restart";

// The System of the gated view: the disruptive actions wait for the session's end.
class GatedSystem final : public hal::System {
 public:
  GatedSystem(hal::System& inner, RestartGate& gate) : inner_(inner), gate_(gate) {}

  std::uint64_t uptimeSeconds() override { return inner_.uptimeSeconds(); }
  hal::MemoryInfo memory() override { return inner_.memory(); }
  std::uint32_t cpuUsagePercent() override { return inner_.cpuUsagePercent(); }
  hal::LoadAverage loadAverage() override { return inner_.loadAverage(); }
  std::uint32_t processCount() override { return inner_.processCount(); }
  std::string hostname() override { return inner_.hostname(); }
  std::string kernelVersion() override { return inner_.kernelVersion(); }
  std::string bootId() override { return inner_.bootId(); }
  hal::DeviceIdentity identity() override { return inner_.identity(); }
  std::vector<hal::FirmwareBank> firmwareBanks() override { return inner_.firmwareBanks(); }

  void reboot() override {
    gate_.whenIdle("reboot", [&inner = inner_] { inner.reboot(); });
  }
  void factoryReset() override {
    gate_.whenIdle("factory reset", [&inner = inner_] { inner.factoryReset(); });
  }
  // Outside a session the install runs now and its errors reach the caller (the transfer
  // manager reports them in TransferComplete); a waiting one can only log them.
  void applyFirmware(const std::string& imagePath) override {
    gate_.whenIdle("firmware install",
                   [&inner = inner_, imagePath] { inner.applyFirmware(imagePath); });
  }

 private:
  hal::System& inner_;
  RestartGate& gate_;
};

class GatedHal final : public hal::Hal {
 public:
  GatedHal(hal::Hal& inner, RestartGate& gate) : inner_(inner), system_(inner.system(), gate) {}

  const char* backend() const noexcept override { return inner_.backend(); }
  hal::NetworkDevices& network() override { return inner_.network(); }
  hal::OpticalTransceivers& optics() override { return inner_.optics(); }
  hal::WiFi& wifi() override { return inner_.wifi(); }
  hal::Voice& voice() override { return inner_.voice(); }
  hal::System& system() override { return system_; }
  hal::Pon& pon() override { return inner_.pon(); }
  hal::Diagnostics& diagnostics() override { return inner_.diagnostics(); }

 private:
  hal::Hal& inner_;
  GatedSystem system_;
};

}  // namespace

RestartGate::RestartGate(boost::asio::io_context& io) : io_(io) {}

RestartGate::~RestartGate() = default;

void RestartGate::attach(AgentControl& agent) {
  agent_ = &agent;
  agent.addSessionListener([this, life = std::weak_ptr<bool>(life_)](bool started) {
    if (started || life.expired() || waiting_.empty()) return;
    // After the listeners: the engine may start the next session right after this one
    // (more events queued), and that one must not be cut either.
    boost::asio::post(io_, [this, life] {
      if (!life.expired()) runWaiting();
    });
  });
}

bool RestartGate::sessionOpen() const {
  if (!agent_) return false;
  const SessionState s = agent_->sessionState();
  return s == SessionState::Connecting || s == SessionState::InSession;
}

void RestartGate::whenIdle(const std::string& what, std::function<void()> action) {
  if (!sessionOpen()) {
    action();
    return;
  }
  CWMPD_LOG(Notice, kLog, what << " waits for the end of the session with the ACS");
  waiting_.emplace_back(what, std::move(action));
}

void RestartGate::runWaiting() {
  if (sessionOpen()) return;  // a new session began: its end runs them
  auto due = std::move(waiting_);
  waiting_.clear();
  for (auto& [what, action] : due) {
    CWMPD_LOG(Notice, kLog, what << " now that the session ended");
    try {
      action();
    } catch (const std::exception& e) {
      CWMPD_LOG(Error, kLog, what << " failed: " << e.what());
    }
  }
}

std::unique_ptr<hal::Hal> RestartGate::gate(hal::Hal& hal) {
  return std::make_unique<GatedHal>(hal, *this);
}

}  // namespace cwmpd::core
