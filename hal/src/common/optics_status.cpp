#include "common/optics_status.hpp"

namespace cwmpd::hal::detail {

TransceiverStatus makeTransceiverStatus(std::string name, std::string netdev,
                                        const std::optional<sff8472::Page>& a0h,
                                        const std::optional<sff8472::Page>& a2h) {
  TransceiverStatus s;
  s.name = std::move(name);
  s.netdev = std::move(netdev);
  if (!a0h) return s;
  s.present = true;
  s.a0h = *a0h;
  s.identity = sff8472::decodeA0h(*a0h);
  if (!a2h || !s.identity.diagnosticsImplemented) return s;
  s.a2h = *a2h;
  const auto& d = s.diagnostics.emplace(sff8472::decodeA2h(*a2h, s.identity.calibration));
  s.opticalSignalLevel = sff8472::toDbm1000(d.current.rxPowerMicroWatts);
  s.transmitOpticalLevel = sff8472::toDbm1000(d.current.txPowerMicroWatts);
  s.lowerOpticalThreshold = sff8472::toDbm1000(d.alarmLow.rxPowerMicroWatts);
  s.upperOpticalThreshold = sff8472::toDbm1000(d.alarmHigh.rxPowerMicroWatts);
  s.lowerTransmitPowerThreshold = sff8472::toDbm1000(d.alarmLow.txPowerMicroWatts);
  s.upperTransmitPowerThreshold = sff8472::toDbm1000(d.alarmHigh.txPowerMicroWatts);
  return s;
}

}  // namespace cwmpd::hal::detail
