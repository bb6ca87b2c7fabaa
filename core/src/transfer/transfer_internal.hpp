// What the files of the transfer manager share (private to core/src/transfer):
//   transfer_manager.cpp    life cycle, persistence, vendor files, the RPCs
//   transfer_execution.cpp  running transfers (the worker), applying what they fetched,
//                           TransferComplete and its delivery
#pragma once

#include <sys/statfs.h>
#include <sys/statvfs.h>

#include <boost/asio/post.hpp>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cwmpd/core/plugin_model.hpp"
#include "cwmpd/core/log.hpp"
#include "cwmpd/core/session_engine.hpp"
#include "cwmpd/sdk/fault.hpp"
#include "transfer/file_transfer.hpp"

namespace cwmpd::core::transfer_detail {

namespace fs = std::filesystem;
using sdk::Fault;
using sdk::FaultCode;
using Kind = TransferRecord::Kind;

inline constexpr const char* kLog = "transfer";
inline constexpr int kMaxDeliveries = 3;  // TransferComplete attempts the ACS may refuse (not 8000)
inline constexpr std::size_t kMaxFaultString = 256;

inline const char* const kFirmware = "1 Firmware Upgrade Image";
inline const char* const kConfigFile = "3 Vendor Configuration File";
// The agent's own entries of DeviceInfo.VendorConfigFile / VendorLogFile (their keys for
// the persisted instance numbers) and what is remembered of the configuration's last
// replacement (session store).
inline const char* const kConfigKey = "cwmpd-config";
inline const char* const kLogKey = "cwmpd-log";
inline const char* const kConfigNameState = "vcf:name";
inline const char* const kConfigDateState = "vcf:date";
inline const char* const kUnknownTime = "0001-01-01T00:00:00Z";  // TR-106: an unknown dateTime

// TR-069 A.3.3.2 (schema TransferCompleteCPEFaultCodeType): the codes TransferComplete
// may carry. Anything else becomes the generic failure of its direction.
inline std::uint32_t transferFault(std::uint32_t code, bool download) {
  if (code == 0 || code == 9001 || code == 9002 || (code >= 9010 && code <= 9020 && code != 9013) ||
      (code >= 9800 && code <= 9899))
    return code;
  return download ? 9010 : 9011;
}

inline const char* eventMethod(Kind k) {
  switch (k) {
    case Kind::Download: return "M Download";
    case Kind::Upload: return "M Upload";
    case Kind::ScheduleDownload: return "M ScheduleDownload";
    case Kind::Autonomous: return "";
  }
  return "";
}

inline bool standardDownloadType(const std::string& t) {
  return t == kFirmware || t == "2 Web Content" || t == kConfigFile || t == "4 Tone File" ||
         t == "5 Ringer File";
}

inline soap::Body requestFor(const TransferRecord& r) {
  soap::TransferFaultStruct fault{
      r.faultCode, r.faultCode ? r.faultString.substr(0, kMaxFaultString) : std::string()};
  if (r.kind == Kind::Autonomous) {
    soap::AutonomousTransferComplete a;
    a.announceUrl = r.announceUrl;
    a.transferUrl = r.url;
    a.isDownload = r.isDownload;
    a.fileType = r.fileType;
    a.fileSize = r.fileSize;
    a.targetFileName = r.targetFileName;
    a.fault = fault;
    a.startTime = r.startTime;
    a.completeTime = r.completeTime;
    return a;
  }
  soap::TransferComplete t;
  t.commandKey = r.commandKey;
  t.fault = fault;
  t.startTime = r.startTime;
  t.completeTime = r.completeTime;
  return t;
}

// The number ending an Upload FileType "3 Vendor Configuration File 2" after `prefix`;
// 0 when the type is not of that form.
inline std::uint32_t instanceOf(const std::string& type, const std::string& prefix) {
  if (type.size() <= prefix.size() || type.compare(0, prefix.size(), prefix) != 0) return 0;
  const std::string digits = type.substr(prefix.size());
  if (digits.size() > 9 || digits[0] == '0') return 0;
  for (char c : digits)
    if (c < '0' || c > '9') return 0;
  return static_cast<std::uint32_t>(std::stoul(digits));
}

// The last path element of a URL, without its query or fragment ("" for ".../").
inline std::string urlFileName(const std::string& url) {
  const std::string path = url.substr(0, url.find_first_of("?#"));
  return path.substr(path.find_last_of('/') + 1);
}

// Whether a file in `dir` outlives a reboot: not on tmpfs or ramfs (OpenWrt's /tmp, /var).
inline bool persistentFileSystem(const std::string& dir) {
  struct statfs st {};
  if (::statfs(dir.c_str(), &st) != 0) return true;
  constexpr unsigned long kTmpfs = 0x01021994, kRamfs = 0x858458f6;
  const auto type = static_cast<unsigned long>(st.f_type);
  return type != kTmpfs && type != kRamfs;
}

}  // namespace cwmpd::core::transfer_detail
