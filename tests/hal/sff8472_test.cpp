// SFF-8472 rev 12 decoding. Expected values come from the specification's own encoding
// tables (temperature bit weights, full-scale ranges) and from hand calculations of its
// external calibration formulas, not from the decoder.
#include "cwmpd/hal/sff8472.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cstring>

namespace cwmpd::hal::sff8472 {
namespace {

void put16(Page& p, std::size_t at, std::uint16_t v) {
  p[at] = static_cast<std::uint8_t>(v >> 8);
  p[at + 1] = static_cast<std::uint8_t>(v & 0xff);
}

void putFloat(Page& p, std::size_t at, float f) {
  const auto bits = std::bit_cast<std::uint32_t>(f);
  for (int i = 0; i < 4; ++i) p[at + i] = static_cast<std::uint8_t>(bits >> (24 - 8 * i));
}

void putText(Page& p, std::size_t at, std::size_t len, const char* s) {
  for (std::size_t i = 0; i < len; ++i) p[at + i] = ' ';
  std::memcpy(&p[at], s, std::strlen(s));
}

Page a0hWith(std::uint8_t monitoringType) {
  Page p{};
  p[0] = 0x03;
  p[2] = 0x07;  // LC
  putText(p, 20, 16, "ACME OPTICS");
  p[37] = 0x00;
  p[38] = 0x90;
  p[39] = 0x65;
  putText(p, 40, 16, "SFP-1G-LX");
  putText(p, 56, 4, "A1");
  put16(p, 60, 1310);
  putText(p, 68, 16, "SN123456");
  putText(p, 84, 8, "24010100");
  unsigned sum = 0;
  for (int i = 0; i < 63; ++i) sum += p[i];
  p[63] = static_cast<std::uint8_t>(sum);
  p[92] = monitoringType;
  p[94] = 0x08;
  sum = 0;
  for (int i = 64; i < 95; ++i) sum += p[i];
  p[95] = static_cast<std::uint8_t>(sum);
  return p;
}

TEST(Sff8472A0h, DecodesTheSerialIdFieldsWithoutPadding) {
  const Identity id = decodeA0h(a0hWith(0x68));
  EXPECT_EQ(id.identifier, 0x03);
  EXPECT_EQ(id.identifierName, "SFP/SFP+/SFP28");
  EXPECT_EQ(id.connector, 0x07);
  EXPECT_EQ(id.vendorName, "ACME OPTICS");
  EXPECT_EQ(id.vendorOui, "00:90:65");
  EXPECT_EQ(id.vendorPartNumber, "SFP-1G-LX");
  EXPECT_EQ(id.vendorRevision, "A1");
  EXPECT_EQ(id.vendorSerialNumber, "SN123456");
  EXPECT_EQ(id.dateCode, "24010100");
  EXPECT_EQ(id.wavelengthNm, 1310);
  EXPECT_EQ(id.compliance, 0x08);
  EXPECT_TRUE(id.baseChecksumOk);
  EXPECT_TRUE(id.extendedChecksumOk);
}

TEST(Sff8472A0h, ReadsTheDiagnosticMonitoringTypeByte) {
  // Byte 92: bit 6 DDM implemented, bit 5 internal, bit 4 external, bit 3 average power,
  // bit 2 address change required.
  const Identity internal = decodeA0h(a0hWith(0x68));
  EXPECT_TRUE(internal.diagnosticsImplemented);
  EXPECT_EQ(internal.calibration, Calibration::Internal);
  EXPECT_TRUE(internal.rxPowerIsAverage);
  EXPECT_FALSE(internal.addressChangeRequired);

  const Identity external = decodeA0h(a0hWith(0x54));
  EXPECT_EQ(external.calibration, Calibration::External);
  EXPECT_FALSE(external.rxPowerIsAverage);
  EXPECT_TRUE(external.addressChangeRequired);

  EXPECT_EQ(decodeA0h(a0hWith(0x00)).calibration, Calibration::None);
  EXPECT_FALSE(decodeA0h(a0hWith(0x00)).diagnosticsImplemented);
}

TEST(Sff8472A0h, DetectsACorruptedChecksum) {
  Page p = a0hWith(0x68);
  p[25] ^= 0x01;  // inside the vendor name, covered by CC_BASE
  EXPECT_FALSE(decodeA0h(p).baseChecksumOk);
  EXPECT_TRUE(decodeA0h(p).extendedChecksumOk);
}

TEST(Sff8472A2h, DecodesTemperatureAsSignedSixteenthsOfADegreeFromTheSpecTable) {
  // SFF-8472 temperature examples: 0x7D00 = +125, 0x1900 = +25, 0x0001 = +1/256,
  // 0xFFFF = -1/256, 0xD800 = -40, 0x8000 = -128 degC.
  const std::pair<std::uint16_t, double> cases[] = {{0x7D00, 125.0},     {0x1900, 25.0},
                                                    {0x0001, 1.0 / 256}, {0xFFFF, -1.0 / 256},
                                                    {0xD800, -40.0},     {0x8000, -128.0}};
  for (const auto& [raw, celsius] : cases) {
    Page p{};
    put16(p, 96, raw);
    EXPECT_DOUBLE_EQ(decodeA2h(p, Calibration::Internal).current.temperatureC, celsius) << raw;
  }
}

TEST(Sff8472A2h, DecodesInternallyCalibratedValuesInTheSpecUnits) {
  Page p{};
  put16(p, 98, 32900);    // Vcc, 100 uV units -> 3.29 V
  put16(p, 100, 0xFFFF);  // bias, 2 uA units: full scale 131.07 mA
  put16(p, 102, 10000);   // Tx power, 0.1 uW units -> 1 mW = 0 dBm
  put16(p, 104, 0xFFFF);  // Rx power full scale 6.5535 mW (+8.16 dBm)
  const Diagnostics d = decodeA2h(p, Calibration::Internal);
  EXPECT_NEAR(d.current.vccVolts, 3.29, 1e-9);
  EXPECT_NEAR(d.current.txBiasMilliAmps, 131.07, 1e-9);
  EXPECT_NEAR(d.current.txPowerMicroWatts, 1000.0, 1e-9);
  EXPECT_NEAR(d.current.rxPowerMicroWatts, 6553.5, 1e-9);
  EXPECT_EQ(toDbm1000(d.current.txPowerMicroWatts), 0);
  EXPECT_EQ(toDbm1000(d.current.rxPowerMicroWatts), 8164);  // 8.1648 dBm on the 0.002 step
  EXPECT_EQ(toMicroVolts(d.current.vccVolts), 3290000u);
  EXPECT_EQ(toMicroAmps(d.current.txBiasMilliAmps), 131070u);
}

TEST(Sff8472A2h, DecodesTheThresholdBlockInItsOrder) {
  Page p{};
  put16(p, 0, 0x5A00);  // temp high alarm 90
  put16(p, 2, 0xD300);  // temp low alarm -45
  put16(p, 4, 0x5500);  // temp high warning 85
  put16(p, 6, 0xD800);  // temp low warning -40
  put16(p, 8, 36000);   // Vcc high alarm 3.6 V
  put16(p, 18, 1000);   // bias low alarm 2 mA
  put16(p, 24, 39811);  // Tx power high alarm 3981.1 uW (+6 dBm)
  put16(p, 34, 13);     // Rx power low alarm 1.3 uW
  put16(p, 36, 1585);   // Rx power high warning 158.5 uW (-8 dBm)
  const Diagnostics d = decodeA2h(p, Calibration::Internal);
  EXPECT_DOUBLE_EQ(d.alarmHigh.temperatureC, 90.0);
  EXPECT_DOUBLE_EQ(d.alarmLow.temperatureC, -45.0);
  EXPECT_DOUBLE_EQ(d.warningHigh.temperatureC, 85.0);
  EXPECT_DOUBLE_EQ(d.warningLow.temperatureC, -40.0);
  EXPECT_NEAR(d.alarmHigh.vccVolts, 3.6, 1e-9);
  EXPECT_NEAR(d.alarmLow.txBiasMilliAmps, 2.0, 1e-9);
  EXPECT_EQ(toDbm1000(d.alarmHigh.txPowerMicroWatts), 6000);
  EXPECT_NEAR(d.alarmLow.rxPowerMicroWatts, 1.3, 1e-9);
  EXPECT_EQ(toDbm1000(d.warningHigh.rxPowerMicroWatts), -8000);
}

TEST(Sff8472A2h, AppliesExternalCalibrationToValuesAndThresholds) {
  Page p{};
  // Rx_PWR(4..0) at 56..75: 0, 0, 1e-4, 0.5, 2.0 (IEEE-754 big endian).
  putFloat(p, 56, 0.0f);
  putFloat(p, 60, 0.0f);
  putFloat(p, 64, 1e-4f);
  putFloat(p, 68, 0.5f);
  putFloat(p, 72, 2.0f);
  put16(p, 76, 0x0200);  // Tx_I slope 2.0
  put16(p, 78, 0);       // Tx_I offset 0
  put16(p, 80, 0x0080);  // Tx_PWR slope 0.5
  put16(p, 82, 10);      // Tx_PWR offset +10
  put16(p, 84, 0x0180);  // T slope 1.5
  put16(p, 86, 0xFB00);  // T offset -1280
  put16(p, 88, 0x0100);  // V slope 1.0
  put16(p, 90, 100);     // V offset +100
  put16(p, 96, 4096);    // T raw
  put16(p, 98, 32800);   // Vcc raw
  put16(p, 100, 3000);   // bias raw
  put16(p, 102, 20000);  // Tx power raw
  put16(p, 104, 1000);   // Rx power A/D count
  put16(p, 34, 100);     // Rx power low alarm, A/D count
  const Diagnostics d = decodeA2h(p, Calibration::External);
  // Hand calculation with SFF-8472 9.3: value = slope * raw + offset, in internal units.
  EXPECT_DOUBLE_EQ(d.current.temperatureC, (1.5 * 4096 - 1280) / 256);  // 19 degC
  EXPECT_NEAR(d.current.vccVolts, 3.29, 1e-9);                          // 32900 * 100 uV
  EXPECT_NEAR(d.current.txBiasMilliAmps, 12.0, 1e-9);                   // 6000 * 2 uA
  EXPECT_NEAR(d.current.txPowerMicroWatts, 1001.0, 1e-9);               // 10010 * 0.1 uW
  // Rx: 1e-4*1000^2 + 0.5*1000 + 2 = 602 (0.1 uW) -> 60.2 uW -> -12.204 dBm.
  EXPECT_NEAR(d.current.rxPowerMicroWatts, 60.2, 1e-4);
  EXPECT_EQ(toDbm1000(d.current.rxPowerMicroWatts), -12204);
  // The threshold is calibrated like the measurement: 1e-4*100^2 + 50 + 2 = 53 -> 5.3 uW.
  EXPECT_NEAR(d.alarmLow.rxPowerMicroWatts, 5.3, 1e-4);
  EXPECT_FLOAT_EQ(d.constants.rxPower[1], 0.5f);
  EXPECT_EQ(d.constants.temperatureOffset, -1280);
}

TEST(Sff8472A2h, IgnoresCalibrationConstantsOfAnInternallyCalibratedModule) {
  Page p{};
  put16(p, 80, 0x0080);  // garbage slope that must not be used
  put16(p, 102, 20000);
  EXPECT_NEAR(decodeA2h(p, Calibration::Internal).current.txPowerMicroWatts, 2000.0, 1e-9);
}

TEST(Sff8472A2h, ReadsStatusAndAlarmWarningFlags) {
  Page p{};
  p[110] = 0x02 | 0x04 | 0x01;  // Rx LOS, Tx fault, data not ready
  p[112] = 0x40;                // temperature low alarm
  p[113] = 0x40;                // Rx power low alarm
  p[116] = 0x02;                // Tx power high warning
  p[117] = 0x80;                // Rx power high warning
  const Diagnostics d = decodeA2h(p, Calibration::Internal);
  EXPECT_TRUE(d.rxLos);
  EXPECT_TRUE(d.txFault);
  EXPECT_FALSE(d.txDisabled);
  EXPECT_FALSE(d.dataReady);
  EXPECT_TRUE(d.alarms.temperatureLow);
  EXPECT_FALSE(d.alarms.temperatureHigh);
  EXPECT_TRUE(d.alarms.rxPowerLow);
  EXPECT_TRUE(d.warnings.txPowerHigh);
  EXPECT_TRUE(d.warnings.rxPowerHigh);
  EXPECT_FALSE(d.warnings.rxPowerLow);
}

TEST(Sff8472Power, ZeroPowerMapsToTheDataModelMinimumInsteadOfMinusInfinity) {
  Page p{};  // Rx power raw 0: no light at all
  const Diagnostics d = decodeA2h(p, Calibration::Internal);
  EXPECT_EQ(d.current.rxPowerMicroWatts, 0.0);
  EXPECT_FALSE(toDbm(0.0).has_value());
  EXPECT_EQ(toDbm1000(d.current.rxPowerMicroWatts), kDbm1000Min);
  EXPECT_EQ(kDbm1000Min, -65536);
  // External calibration can produce a negative power from a small A/D count.
  EXPECT_EQ(toDbm1000(-3.0), kDbm1000Min);
}

TEST(Sff8472Power, ConvertsToThousandthsOfDbmOnTheEvenStepAndClamps) {
  EXPECT_EQ(toDbm1000(1000.0), 0);          // 1 mW
  EXPECT_EQ(toDbm1000(0.1), -40000);        // the smallest non-zero reading, 0.1 uW
  EXPECT_EQ(toDbm1000(14.5), -18386);       // -18.3863 dBm rounded to the 0.002 dB step
  EXPECT_EQ(toDbm1000(1e-4), kDbm1000Min);  // -70 dBm is below the range
  EXPECT_EQ(toDbm1000(1e10), kDbm1000Max);  // +70 dBm is above it
  EXPECT_NEAR(*toDbm(60.2), -12.204035, 1e-6);
}

TEST(Sff8472Units, ConvertsToTheDocumentedIntegerUnits) {
  EXPECT_EQ(toMilliCelsius(-40.0), -40000);
  EXPECT_EQ(toMilliCelsius(42.5), 42500);
  EXPECT_EQ(toMicroVolts(3.3), 3300000u);
  EXPECT_EQ(toMicroAmps(14.2), 14200u);
  EXPECT_EQ(toMicroAmps(-1.0), 0u);
}

}  // namespace
}  // namespace cwmpd::hal::sff8472
