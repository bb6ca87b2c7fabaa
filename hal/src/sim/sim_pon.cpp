#include "common/files.hpp"
#include "common/kv_file.hpp"
#include "common/kv_objects.hpp"
#include "common/pon_status.hpp"
#include "sim/sim_hal.hpp"

namespace cwmpd::hal::sim {

using namespace detail;

OnuStatus SimPon::status() {
  // No pon/onu.ini: a box without an ONU.
  const fs::path file = dir_ / "onu.ini";
  const auto text = tryReadFile(file);
  if (!text) return {};
  return parsed_.parse(*text, file.string());
}

void SimPon::setCredentials(const PonCredentials& credentials) {
  writeFileAtomic(dir_ / "credentials.ini", renderCredentials(credentials), 0600);
  // The ONU starts authenticating anew: the OLT's answer is for the test to script.
  KvFile onu = KvFile::load(dir_ / "onu.ini");
  onu.set("loid_auth", toString(LoidAuth::InProgress));
  onu.save();
  recordApply(run_ / "pon_auth_restarts", "loid=" + credentials.loid);
}

}  // namespace cwmpd::hal::sim
