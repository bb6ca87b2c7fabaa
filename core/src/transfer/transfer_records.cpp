// The pure pieces of the transfer manager: names, types, schemes, windows, persistence.
#include <cmath>
#include <ctime>
#include <map>
#include <stdexcept>

#include "cwmpd/core/transfer_manager.hpp"
#include "cwmpd/sdk/fault.hpp"

namespace cwmpd::core {

std::optional<std::string> sanitizeFileName(std::string_view name) {
  // Only the last element counts: no directory of the ACS's choosing, no traversal.
  auto slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  std::string out;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    out += ok ? c : '_';
  }
  while (!out.empty() && out.front() == '.') out.erase(out.begin());  // hidden files, "..", "."
  if (out.empty() || out.size() > 128) return std::nullopt;
  return out;
}

std::string transferScheme(std::string_view url) {
  auto colon = url.find("://");
  if (colon == std::string_view::npos) return {};
  std::string scheme;
  for (char c : url.substr(0, colon))
    scheme += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (scheme == "http" || scheme == "https" || scheme == "ftp") return scheme;
  return {};
}

std::optional<std::int64_t> nextWindowStart(const std::vector<TransferWindow>& windows,
                                            std::int64_t now) {
  for (const auto& w : windows) {
    // TR-069 A.4.1.8 "4 Confirmation Needed": no transfer without the user's confirmation,
    // and a headless agent has nobody to ask, so such a window is never used.
    if (w.mode.starts_with('4')) continue;
    if (now < w.end) return std::max(now, w.start);
  }
  return std::nullopt;
}

std::vector<TransferWindow> makeWindows(const std::vector<soap::TimeWindowStruct>& list,
                                        std::int64_t now) {
  using sdk::Fault;
  using sdk::FaultCode;
  // TR-069 A.4.1.8: TimeWindowList holds one or two windows, which must not overlap.
  if (list.empty() || list.size() > 2)
    throw Fault(FaultCode::InvalidArguments, "TimeWindowList must hold 1 or 2 windows");
  std::vector<TransferWindow> out;
  std::uint32_t previousEnd = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& t = list[i];
    if (t.windowEnd <= t.windowStart)
      throw Fault(FaultCode::InvalidArguments, "WindowEnd must be after WindowStart");
    if (i > 0 && t.windowStart < previousEnd)
      throw Fault(FaultCode::InvalidArguments, "time windows overlap");
    previousEnd = t.windowEnd;
    TransferWindow w;
    w.start = now + static_cast<std::int64_t>(t.windowStart);
    w.end = now + static_cast<std::int64_t>(t.windowEnd);
    if (w.end <= w.start) w.end = w.start + 1;
    w.mode = t.windowMode;
    w.maxRetries = t.maxRetries < -1 ? 0 : t.maxRetries;
    out.push_back(std::move(w));
  }
  return out;
}

std::optional<std::int64_t> nextAttempt(TransferRecord& r, std::int64_t now) {
  // MaxRetries -1 leaves the number to the CPE: a few, so that a server that stays broken
  // is not hammered for the rest of a long window.
  constexpr int kCpeRetries = 3;
  constexpr double kFirstPause = 10.0;  // seconds, doubled for every further retry
  for (std::size_t i = 0; i < r.windows.size(); ++i) {
    const TransferWindow& w = r.windows[i];
    const int index = static_cast<int>(i);
    if (now >= w.start && now < w.end) {
      if (r.retryWindow != index) {
        r.retryWindow = index;
        r.retries = 0;
      }
      const int allowed = w.maxRetries < 0 ? kCpeRetries : w.maxRetries;
      if (r.retries < allowed) {
        const double pause = kFirstPause * std::ldexp(1.0, std::min(r.retries, 16));
        const std::int64_t at =
            now + std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(pause)));
        if (at < w.end) {
          ++r.retries;
          return at;
        }
      }
    } else if (w.start > now) {
      r.retryWindow = index;
      r.retries = 0;
      return w.start;
    }
  }
  return std::nullopt;
}

void checkVendorFileType(std::string_view type) {
  const std::string t(type);
  auto refuse = [&](const std::string& why) {
    throw std::invalid_argument("file type '" + t + "': " + why);
  };
  if (t.size() > 64) refuse("longer than 64 characters");
  for (char c : t)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e)
      refuse("only printable ASCII is allowed");
  // TR-069 A.3.2.8: "X <OUI> <Vendor-specific identifier>"; the schema's DownloadFileType
  // also admits "X <organisation> <name>" (X \S+ .+).
  if (t.rfind("X ", 0) != 0) refuse("a vendor type starts with \"X \"");
  const auto sp = t.find(' ', 2);
  if (sp == std::string::npos || sp == 2) refuse("expected \"X <OUI> <name>\"");
  const std::string vendor = t.substr(2, sp - 2);
  if (sp + 1 >= t.size() || t[sp + 1] == ' ') refuse("the name after the vendor is missing");
  bool hex = vendor.size() == 6, upper = true;
  for (char c : vendor) {
    const bool digit = c >= '0' && c <= '9';
    hex = hex && (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
    upper = upper && !(c >= 'a' && c <= 'f');
  }
  // Six hex digits are an OUI, which TR-069 writes in upper case; "00d09e" is a typo an
  // ACS would never match.
  if (hex && !upper) refuse("the OUI must be upper-case hex digits");
}

std::string isoTime(std::int64_t epochSeconds) {
  std::time_t t = static_cast<std::time_t>(epochSeconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {

std::string key(std::uint64_t id, const char* field) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "t:%010llu:%s", static_cast<unsigned long long>(id), field);
  return buf;
}

const char* kindName(TransferRecord::Kind k) {
  switch (k) {
    case TransferRecord::Kind::Download: return "download";
    case TransferRecord::Kind::Upload: return "upload";
    case TransferRecord::Kind::ScheduleDownload: return "schedule";
    case TransferRecord::Kind::Autonomous: return "autonomous";
  }
  return "download";
}

std::string encodeWindows(const std::vector<TransferWindow>& ws) {
  std::string s;
  // "start end mode\tmaxRetries"; records written before MaxRetries lack the tab part.
  for (const auto& w : ws)
    s += std::to_string(w.start) + " " + std::to_string(w.end) + " " + w.mode + "\t" +
         std::to_string(w.maxRetries) + "\n";
  return s;
}

std::vector<TransferWindow> decodeWindows(const std::string& s) {
  std::vector<TransferWindow> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    auto nl = s.find('\n', pos);
    std::string line = s.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? s.size() : nl + 1;
    TransferWindow w;
    auto a = line.find(' ');
    auto b = a == std::string::npos ? a : line.find(' ', a + 1);
    if (b == std::string::npos) continue;
    w.start = std::atoll(line.substr(0, a).c_str());
    w.end = std::atoll(line.substr(a + 1, b - a - 1).c_str());
    w.mode = line.substr(b + 1);
    if (auto tab = w.mode.find('\t'); tab != std::string::npos) {
      w.maxRetries = std::atoi(w.mode.c_str() + tab + 1);
      w.mode.erase(tab);
    }
    out.push_back(std::move(w));
  }
  return out;
}

}  // namespace

void saveRecord(Store& store, const TransferRecord& r) {
  eraseRecord(store, r.id);
  auto set = [&](const char* f, const std::string& v) { store.set(key(r.id, f), v); };
  set("kind", kindName(r.kind));
  set("key", r.commandKey);
  set("type", r.fileType);
  set("url", r.url);
  set("user", r.username);
  set("pass", r.password);
  set("target", r.targetFileName);
  set("size", std::to_string(r.fileSize));
  set("notbefore", std::to_string(r.notBefore));
  set("windows", encodeWindows(r.windows));
  set("state", std::to_string(r.state));
  set("download", r.isDownload ? "1" : "0");
  set("applying", r.applying ? "1" : "0");
  set("deliveries", std::to_string(r.deliveries));
  set("retrywindow", std::to_string(r.retryWindow));
  set("retries", std::to_string(r.retries));
  set("fault", std::to_string(r.faultCode));
  set("faultstring", r.faultString);
  set("start", r.startTime);
  set("complete", r.completeTime);
  set("announce", r.announceUrl);
}

void eraseRecord(Store& store, std::uint64_t id) { store.erasePrefix(key(id, "")); }

std::vector<TransferRecord> loadRecords(const Store& store) {
  std::map<std::uint64_t, std::map<std::string, std::string>> fields;
  store.forEach("t:", [&](const std::string& k, const std::string& v) {
    // "t:0000000001:field"
    auto colon = k.find(':', 2);
    if (colon == std::string::npos) return;
    std::uint64_t id = std::strtoull(k.c_str() + 2, nullptr, 10);
    if (id) fields[id][k.substr(colon + 1)] = v;
  });
  std::vector<TransferRecord> out;
  for (auto& [id, f] : fields) {
    TransferRecord r;
    r.id = id;
    const std::string& kind = f["kind"];
    r.kind = kind == "upload"       ? TransferRecord::Kind::Upload
             : kind == "schedule"   ? TransferRecord::Kind::ScheduleDownload
             : kind == "autonomous" ? TransferRecord::Kind::Autonomous
                                    : TransferRecord::Kind::Download;
    r.commandKey = f["key"];
    r.fileType = f["type"];
    r.url = f["url"];
    r.username = f["user"];
    r.password = f["pass"];
    r.targetFileName = f["target"];
    r.fileSize = static_cast<std::uint32_t>(std::strtoul(f["size"].c_str(), nullptr, 10));
    r.notBefore = std::atoll(f["notbefore"].c_str());
    r.windows = decodeWindows(f["windows"]);
    r.state = std::atoi(f["state"].c_str());
    if (r.state < 1 || r.state > 3) r.state = 1;
    r.isDownload = f["download"] != "0";
    r.applying = f["applying"] == "1";
    r.deliveries = std::atoi(f["deliveries"].c_str());
    r.retryWindow = f.count("retrywindow") ? std::atoi(f["retrywindow"].c_str()) : -1;
    r.retries = std::atoi(f["retries"].c_str());
    r.faultCode = static_cast<std::uint32_t>(std::strtoul(f["fault"].c_str(), nullptr, 10));
    r.faultString = f["faultstring"];
    if (!f["start"].empty()) r.startTime = f["start"];
    if (!f["complete"].empty()) r.completeTime = f["complete"];
    r.announceUrl = f["announce"];
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace cwmpd::core
