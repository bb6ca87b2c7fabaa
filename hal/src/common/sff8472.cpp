// SFF-8472 rev 12.x decoding. Byte offsets and units are those of the specification's
// tables 4-1 (A0h), 8-5 (diagnostic monitoring type) and 9-5 to 9-11 (A2h).
#include "cwmpd/hal/sff8472.hpp"

#include <bit>
#include <cmath>
#include <cstdio>
#include <limits>

namespace cwmpd::hal::sff8472 {
namespace {

std::uint16_t u16(const Page& p, std::size_t at) {
  return static_cast<std::uint16_t>((p[at] << 8) | p[at + 1]);
}
std::int16_t s16(const Page& p, std::size_t at) { return static_cast<std::int16_t>(u16(p, at)); }

// Printable ASCII field with the padding spaces (and NULs some vendors use) removed.
std::string text(const Page& p, std::size_t at, std::size_t len) {
  std::string s;
  for (std::size_t i = at; i < at + len; ++i) {
    const auto c = static_cast<char>(p[i]);
    s.push_back(p[i] >= 0x20 && p[i] < 0x7f ? c : ' ');
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

bool checksumOk(const Page& p, std::size_t from, std::size_t to, std::size_t at) {
  unsigned sum = 0;
  for (std::size_t i = from; i <= to; ++i) sum += p[i];
  return (sum & 0xffU) == p[at];
}

std::string identifierName(std::uint8_t id) {
  switch (id) {  // SFF-8024 table 4-1, the codes an SFF-8472 page can carry
    case 0x00: return "Unknown";
    case 0x01: return "GBIC";
    case 0x02: return "Soldered";
    case 0x03: return "SFP/SFP+/SFP28";
    case 0x0b: return "DWDM-SFP/SFP+";
    default: break;
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "Unknown (0x%02x)", id);
  return buf;
}

float ieee754(const Page& p, std::size_t at) {
  const std::uint32_t bits = (std::uint32_t{p[at]} << 24) | (std::uint32_t{p[at + 1]} << 16) |
                             (std::uint32_t{p[at + 2]} << 8) | p[at + 3];
  return std::bit_cast<float>(bits);
}

// Unsigned fixed point: most significant byte the integer part, least the 1/256ths.
double slope(const Page& p, std::size_t at) { return u16(p, at) / 256.0; }

// The five 16-bit words of one quantity: high alarm, low alarm, high warning, low warning
// at `thresholdAt` + 0/2/4/6, and the real-time value at `valueAt`.
struct Raw {
  std::array<double, 5> v{};  // 0..3 thresholds in the order above, 4 = current
};

Raw raw(const Page& p, std::size_t thresholdAt, std::size_t valueAt, bool isSigned) {
  Raw r;
  for (std::size_t i = 0; i < 4; ++i) {
    r.v[i] = isSigned ? s16(p, thresholdAt + 2 * i) : u16(p, thresholdAt + 2 * i);
  }
  r.v[4] = isSigned ? s16(p, valueAt) : u16(p, valueAt);
  return r;
}

void linear(Raw& r, double slopeValue, std::int16_t offset) {
  for (auto& x : r.v) x = slopeValue * x + offset;
}

// SFF-8472 9.3: Rx_PWR(uW*10) = Rx_PWR(4)*ADe^4 + ... + Rx_PWR(1)*ADe + Rx_PWR(0).
void polynomial(Raw& r, const std::array<float, 5>& c) {
  for (auto& x : r.v) {
    const double ad = x;
    double acc = 0;
    for (std::size_t n = c.size(); n-- > 0;) acc = acc * ad + c[n];
    x = acc;
  }
}

FlagSet flags(const Page& p, std::size_t at) {
  FlagSet f;
  f.temperatureHigh = p[at] & 0x80;
  f.temperatureLow = p[at] & 0x40;
  f.vccHigh = p[at] & 0x20;
  f.vccLow = p[at] & 0x10;
  f.txBiasHigh = p[at] & 0x08;
  f.txBiasLow = p[at] & 0x04;
  f.txPowerHigh = p[at] & 0x02;
  f.txPowerLow = p[at] & 0x01;
  f.rxPowerHigh = p[at + 1] & 0x80;
  f.rxPowerLow = p[at + 1] & 0x40;
  return f;
}

}  // namespace

Identity decodeA0h(const Page& p) {
  Identity id;
  id.identifier = p[0];
  id.identifierName = identifierName(p[0]);
  id.connector = p[2];
  id.vendorName = text(p, 20, 16);
  char oui[16];
  std::snprintf(oui, sizeof oui, "%02X:%02X:%02X", p[37], p[38], p[39]);
  id.vendorOui = oui;
  id.vendorPartNumber = text(p, 40, 16);
  id.vendorRevision = text(p, 56, 4);
  id.wavelengthNm = u16(p, 60);
  id.vendorSerialNumber = text(p, 68, 16);
  id.dateCode = text(p, 84, 8);
  const std::uint8_t type = p[92];
  id.diagnosticsImplemented = type & 0x40;
  // Bit 5 internal, bit 4 external; a module setting neither (or both) cannot be trusted
  // to report calibrated values in either form.
  if ((type & 0x20) && !(type & 0x10)) {
    id.calibration = Calibration::Internal;
  } else if ((type & 0x10) && !(type & 0x20)) {
    id.calibration = Calibration::External;
  }
  id.rxPowerIsAverage = type & 0x08;
  id.addressChangeRequired = type & 0x04;
  id.compliance = p[94];
  id.baseChecksumOk = checksumOk(p, 0, 62, 63);
  id.extendedChecksumOk = checksumOk(p, 64, 94, 95);
  return id;
}

Diagnostics decodeA2h(const Page& p, Calibration calibration) {
  Diagnostics d;
  Raw temperature = raw(p, 0, 96, true);
  Raw vcc = raw(p, 8, 98, false);
  Raw bias = raw(p, 16, 100, false);
  Raw txPower = raw(p, 24, 102, false);
  Raw rxPower = raw(p, 32, 104, false);

  if (calibration == Calibration::External) {
    auto& c = d.constants;
    for (std::size_t n = 0; n < 5; ++n) c.rxPower[n] = ieee754(p, 56 + 4 * (4 - n));
    c.txBiasSlope = slope(p, 76);
    c.txBiasOffset = s16(p, 78);
    c.txPowerSlope = slope(p, 80);
    c.txPowerOffset = s16(p, 82);
    c.temperatureSlope = slope(p, 84);
    c.temperatureOffset = s16(p, 86);
    c.vccSlope = slope(p, 88);
    c.vccOffset = s16(p, 90);
    linear(temperature, c.temperatureSlope, c.temperatureOffset);
    linear(vcc, c.vccSlope, c.vccOffset);
    linear(bias, c.txBiasSlope, c.txBiasOffset);
    linear(txPower, c.txPowerSlope, c.txPowerOffset);
    polynomial(rxPower, c.rxPower);
  }

  // Units after calibration: 1/256 degC, 100 uV, 2 uA, 0.1 uW, 0.1 uW.
  std::array<Measurements*, 5> sets{&d.alarmHigh, &d.alarmLow, &d.warningHigh, &d.warningLow,
                                    &d.current};
  for (std::size_t i = 0; i < sets.size(); ++i) {
    sets[i]->temperatureC = temperature.v[i] / 256.0;
    sets[i]->vccVolts = vcc.v[i] * 100e-6;
    sets[i]->txBiasMilliAmps = bias.v[i] * 2e-3;
    sets[i]->txPowerMicroWatts = txPower.v[i] * 0.1;
    sets[i]->rxPowerMicroWatts = rxPower.v[i] * 0.1;
  }

  d.txDisabled = p[110] & 0x80;
  d.txFault = p[110] & 0x04;
  d.rxLos = p[110] & 0x02;
  d.dataReady = !(p[110] & 0x01);
  d.alarms = flags(p, 112);
  d.warnings = flags(p, 116);
  return d;
}

std::optional<double> toDbm(double microWatts) noexcept {
  if (!(microWatts > 0) || !std::isfinite(microWatts)) return std::nullopt;
  return 10.0 * std::log10(microWatts / 1000.0);
}

std::int32_t toDbm1000(double microWatts) noexcept {
  const auto dbm = toDbm(microWatts);
  if (!dbm) return kDbm1000Min;
  // Round to the data model's 0.002 dB step.
  const double steps = std::round(*dbm * 500.0);
  if (steps <= kDbm1000Min / 2.0) return kDbm1000Min;
  if (steps >= kDbm1000Max / 2.0) return kDbm1000Max;
  return static_cast<std::int32_t>(steps) * 2;
}

std::int32_t toMilliCelsius(double celsius) noexcept {
  return static_cast<std::int32_t>(std::lround(celsius * 1000.0));
}

std::uint32_t toMicroVolts(double volts) noexcept {
  return volts <= 0 ? 0 : static_cast<std::uint32_t>(std::lround(volts * 1e6));
}

std::uint32_t toMicroAmps(double milliAmps) noexcept {
  return milliAmps <= 0 ? 0 : static_cast<std::uint32_t>(std::lround(milliAmps * 1e3));
}

}  // namespace cwmpd::hal::sff8472
