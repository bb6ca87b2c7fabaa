// SFF-8472 (rev 12.x) decoding of an SFP/SFF transceiver's EEPROM: the A0h identity
// page and the A2h digital diagnostics page. Pure functions on 256-byte pages, shared by
// the linux and sim backends so that simulated and real modules decode identically.
//
// Plugins normally get decoded values from OpticalTransceivers::status(); the functions
// here are implemented in the cwmpd::hal library (not header-only).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace cwmpd::hal::sff8472 {

using Page = std::array<std::uint8_t, 256>;

// How the module reports its diagnostics (A0h byte 92 bits 5 and 4).
enum class Calibration : std::uint8_t { None, Internal, External };

// Decoded A0h: serial ID (SFF-8472 section 4, table 4-1) and the diagnostics options.
struct Identity {
  std::uint8_t identifier = 0;          // byte 0: 0x03 = SFP/SFP+/SFP28
  std::string identifierName;           // "SFP/SFP+/SFP28", "GBIC", ... or "Unknown (0xNN)"
  std::uint8_t connector = 0;           // byte 2 (SFF-8024 connector code)
  std::string vendorName;               // bytes 20-35, trailing spaces removed
  std::string vendorOui;                // bytes 37-39 as "00:90:65"
  std::string vendorPartNumber;         // bytes 40-55
  std::string vendorRevision;           // bytes 56-59
  std::string vendorSerialNumber;       // bytes 68-83
  std::string dateCode;                 // bytes 84-91 ("YYMMDDLL" as stored)
  std::uint16_t wavelengthNm = 0;       // bytes 60-61 (for optical modules)
  bool diagnosticsImplemented = false;  // byte 92 bit 6
  Calibration calibration = Calibration::None;
  bool rxPowerIsAverage = false;       // byte 92 bit 3: average power, else OMA
  bool addressChangeRequired = false;  // byte 92 bit 2
  std::uint8_t compliance = 0;         // byte 94: SFF-8472 revision compliance code
  bool baseChecksumOk = false;         // CC_BASE, byte 63 over bytes 0-62
  bool extendedChecksumOk = false;     // CC_EXT, byte 95 over bytes 64-94
};

// One set of diagnostic quantities in physical units.
struct Measurements {
  double temperatureC = 0;       // degrees Celsius
  double vccVolts = 0;           // supply voltage
  double txBiasMilliAmps = 0;    // laser bias current
  double txPowerMicroWatts = 0;  // transmitted optical power
  double rxPowerMicroWatts = 0;  // received optical power
};

// External calibration constants, A2h bytes 56-91 (SFF-8472 section 9.3). Slopes are
// unsigned 8.8 fixed point, offsets signed 16-bit, Rx_PWR(4..0) IEEE-754 single precision.
struct CalibrationConstants {
  std::array<float, 5> rxPower{};  // rxPower[n] is Rx_PWR(n), the coefficient of ADe^n
  double txBiasSlope = 1, txPowerSlope = 1, temperatureSlope = 1, vccSlope = 1;
  std::int16_t txBiasOffset = 0, txPowerOffset = 0, temperatureOffset = 0, vccOffset = 0;
};

// Bits of A2h bytes 112-113 (alarms) or 116-117 (warnings).
struct FlagSet {
  bool temperatureHigh = false, temperatureLow = false;
  bool vccHigh = false, vccLow = false;
  bool txBiasHigh = false, txBiasLow = false;
  bool txPowerHigh = false, txPowerLow = false;
  bool rxPowerHigh = false, rxPowerLow = false;
};

// Decoded A2h. Thresholds (bytes 0-39) and real-time values (bytes 96-105) are both
// converted with the module's calibration: in external mode the thresholds are A/D counts
// calibrated with the same constants as the measurements.
struct Diagnostics {
  Measurements current;
  Measurements alarmHigh, alarmLow, warningHigh, warningLow;
  CalibrationConstants constants;  // as read (defaults when internally calibrated)
  FlagSet alarms, warnings;
  bool txDisabled = false;  // byte 110 bit 7
  bool txFault = false;     // byte 110 bit 2
  bool rxLos = false;       // byte 110 bit 1
  bool dataReady = false;   // byte 110 bit 0 is Data_Ready_Bar (0 = ready)
};

// Decodes A0h. Never throws: unknown codes are reported as such.
[[nodiscard]] Identity decodeA0h(const Page& a0h);
// Decodes A2h with the calibration given by A0h byte 92. With Calibration::None the
// internal-calibration units are assumed.
[[nodiscard]] Diagnostics decodeA2h(const Page& a2h, Calibration calibration);

// TR-181 Dbm1000 units (Device.Optical.Interface.{i}.OpticalSignalLevel and friends):
// thousandths of a dBm, even (the data model's 0.002 dB step), clamped to
// [-65536, 65534]. Zero or negative power, whose logarithm is -infinity, maps to the
// range minimum -65536, as does anything below -65.536 dBm.
inline constexpr std::int32_t kDbm1000Min = -65536;
inline constexpr std::int32_t kDbm1000Max = 65534;
[[nodiscard]] std::int32_t toDbm1000(double microWatts) noexcept;
// 10*log10(mW); empty for zero or negative power.
[[nodiscard]] std::optional<double> toDbm(double microWatts) noexcept;

// Integer forms for vendor parameters: temperature in thousandths of a degree Celsius,
// voltage in microvolts, bias current in microamperes (each rounded to nearest).
[[nodiscard]] std::int32_t toMilliCelsius(double celsius) noexcept;
[[nodiscard]] std::uint32_t toMicroVolts(double volts) noexcept;
[[nodiscard]] std::uint32_t toMicroAmps(double milliAmps) noexcept;

}  // namespace cwmpd::hal::sff8472
