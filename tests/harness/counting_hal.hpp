// A HAL between the plugins and the sim backend that counts the reads of one object's
// structure (a radio, an SSID, an access point, an interface's state or counters, a voice
// line): the tests of the plugins' getters prove one read per object and request with it.
//
//   CountingHal* counting = nullptr;
//   PluginHarness h("Device", {"wifi"}, "", "", countingHal(counting));
//   h.engine->getValues({"Device.WiFi."});
//   counting->reads("radio/radio0")   // how many times WiFi::radio("radio0") ran
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cwmpd/hal/hal.hpp"

namespace cwmpd::testing {

class CountingHal final : public hal::Hal {
 public:
  explicit CountingHal(std::unique_ptr<hal::Hal> inner)
      : inner_(std::move(inner)), wifi_(*this), network_(*this), voice_(*this) {}

  // Reads of "radio/<name>", "ssid/<name>", "ap/<name>", "info/<if>", "counters/<if>",
  // "line/<name>" since the start or the last reset().
  [[nodiscard]] int reads(const std::string& what) const {
    auto it = reads_.find(what);
    return it == reads_.end() ? 0 : it->second;
  }
  // Sum of the reads whose key starts with `prefix` ("radio/", "counters/").
  [[nodiscard]] int readsOf(const std::string& prefix) const {
    int n = 0;
    for (const auto& [k, v] : reads_)
      if (k.compare(0, prefix.size(), prefix) == 0) n += v;
    return n;
  }
  void reset() { reads_.clear(); }

  [[nodiscard]] const char* backend() const noexcept override { return inner_->backend(); }
  hal::NetworkDevices& network() override { return network_; }
  hal::OpticalTransceivers& optics() override { return inner_->optics(); }
  hal::WiFi& wifi() override { return wifi_; }
  hal::Voice& voice() override { return voice_; }
  hal::System& system() override { return inner_->system(); }
  hal::Pon& pon() override { return inner_->pon(); }
  hal::Diagnostics& diagnostics() override { return inner_->diagnostics(); }

 private:
  void count(const char* kind, std::string_view name) {
    ++reads_[std::string(kind) + "/" + std::string(name)];
  }

  class WiFi final : public hal::WiFi {
   public:
    explicit WiFi(CountingHal& h) : h_(h) {}
    std::vector<hal::RadioInfo> radios() override { return h_.inner_->wifi().radios(); }
    std::vector<hal::SsidInfo> ssids() override { return h_.inner_->wifi().ssids(); }
    std::vector<hal::AccessPointInfo> accessPoints() override {
      return h_.inner_->wifi().accessPoints();
    }
    hal::RadioInfo radio(std::string_view name) override {
      h_.count("radio", name);
      return h_.inner_->wifi().radio(name);
    }
    hal::SsidInfo ssid(std::string_view name) override {
      h_.count("ssid", name);
      return h_.inner_->wifi().ssid(name);
    }
    hal::AccessPointInfo accessPoint(std::string_view name) override {
      h_.count("ap", name);
      return h_.inner_->wifi().accessPoint(name);
    }
    void apply(const hal::WifiConfig& config) override { h_.inner_->wifi().apply(config); }

   private:
    CountingHal& h_;
  };

  class Network final : public hal::NetworkDevices {
   public:
    explicit Network(CountingHal& h) : h_(h) {}
    std::vector<std::string> interfaces() override { return net().interfaces(); }
    hal::InterfaceInfo info(std::string_view name) override {
      h_.count("info", name);
      return net().info(name);
    }
    hal::InterfaceCounters counters(std::string_view name) override {
      h_.count("counters", name);
      return net().counters(name);
    }
    std::vector<hal::IpAddress> ipv4Addresses(std::string_view name) override {
      return net().ipv4Addresses(name);
    }
    std::vector<hal::IpAddress> ipv6Addresses(std::string_view name) override {
      return net().ipv6Addresses(name);
    }
    std::vector<std::string> dnsServers() override { return net().dnsServers(); }
    void configure(std::string_view name, const hal::InterfaceConfig& config) override {
      net().configure(name, config);
    }
    void setDnsServers(const std::vector<std::string>& servers) override {
      net().setDnsServers(servers);
    }

   private:
    hal::NetworkDevices& net() { return h_.inner_->network(); }
    CountingHal& h_;
  };

  class Voice final : public hal::Voice {
   public:
    explicit Voice(CountingHal& h) : h_(h) {}
    std::vector<hal::VoiceLine> lines() override { return h_.inner_->voice().lines(); }
    hal::VoiceLine line(std::string_view name) override {
      h_.count("line", name);
      return h_.inner_->voice().line(name);
    }
    std::vector<hal::FxsPort> fxsPorts() override { return h_.inner_->voice().fxsPorts(); }
    std::vector<std::string> supportedCodecs() override {
      return h_.inner_->voice().supportedCodecs();
    }
    void apply(const hal::VoiceConfig& config) override { h_.inner_->voice().apply(config); }

   private:
    CountingHal& h_;
  };

  std::unique_ptr<hal::Hal> inner_;
  WiFi wifi_;
  Network network_;
  Voice voice_;
  std::map<std::string, int> reads_;
};

// A PluginHarness HalWrapper that leaves the CountingHal's address in `out`.
inline auto countingHal(CountingHal*& out) {
  return [&out](std::unique_ptr<hal::Hal> inner) -> std::unique_ptr<hal::Hal> {
    auto h = std::make_unique<CountingHal>(std::move(inner));
    out = h.get();
    return h;
  };
}

}  // namespace cwmpd::testing
