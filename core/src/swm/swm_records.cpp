// The persisted form of ChangeDUState requests (keys "swm:req:<id>" of the state store):
// one line per request, then one line per operation, fields separated by spaces and
// percent-encoded.
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <array>
#include <cstdio>
#include <sstream>

#include "cwmpd/core/software_modules.hpp"

namespace cwmpd::core {

namespace {

constexpr std::string_view kPrefix = "swm:req:";

std::string enc(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 1);
  out += '=';  // never an empty field
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == ':' || c == '/') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string dec(std::string_view s) {
  if (!s.empty() && s[0] == '=') s.remove_prefix(1);
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<std::string> fields(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string f;
  while (in >> f) out.push_back(dec(f));
  return out;
}

}  // namespace

bool validUuid(std::string_view uuid) {
  if (uuid.size() != 36) return false;
  for (std::size_t i = 0; i < uuid.size(); ++i) {
    const char c = uuid[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

std::string nameBasedUuid(std::string_view ns, std::string_view name) {
  if (!validUuid(ns)) return {};
  auto nibble = [](char c) {
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;  // validUuid: hex digits only
  };
  std::string data;
  for (std::size_t i = 0; i + 1 < ns.size(); ++i) {
    if (ns[i] == '-') continue;
    data += static_cast<char>(nibble(ns[i]) << 4 | nibble(ns[i + 1]));
    ++i;
  }
  data.append(name);
  std::array<unsigned char, 20> hash{};  // SHA-1's size
  if (gnutls_hash_fast(GNUTLS_DIG_SHA1, data.data(), data.size(), hash.data()) != 0)
    return {};  // no SHA-1 here: no UUID, as for a bad namespace
  hash[6] = static_cast<unsigned char>((hash[6] & 0x0f) | 0x50);  // version 5
  hash[8] = static_cast<unsigned char>((hash[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string out;
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    char buf[3];
    std::snprintf(buf, sizeof buf, "%02x", hash[i]);
    out += buf;
  }
  return out;
}

std::string deploymentUnitUuid(std::string_view name, std::string_view vendor) {
  // RFC 4122 Appendix C: the name space of fully-qualified domain names.
  constexpr std::string_view kDnsNamespace = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
  return nameBasedUuid(nameBasedUuid(kDnsNamespace, vendor), name);
}

void saveDuRequest(Store& store, const DuRequestRecord& r) {
  std::string text = enc(std::to_string(r.id)) + " " + enc(r.commandKey) + " " +
                     enc(r.complete ? "1" : "0") + " " + enc(r.autonomous ? "1" : "0") + "\n";
  for (const auto& op : r.operations) {
    const auto& res = op.result;
    for (const std::string& f :
         {std::to_string(static_cast<int>(op.type)), op.url, op.uuid, op.username, op.password,
          op.executionEnvRef, op.version, std::string(op.done ? "1" : "0"), res.uuid,
          res.deploymentUnitRef, res.version, res.currentState,
          std::string(res.resolved ? "1" : "0"), res.executionUnitRefList, res.startTime,
          res.completeTime, std::to_string(res.fault.faultCode), res.fault.faultString})
      text += enc(f) + " ";
    text += "\n";
  }
  store.set(std::string(kPrefix) + std::to_string(r.id), text);
}

std::vector<DuRequestRecord> loadDuRequests(const Store& store) {
  std::vector<DuRequestRecord> out;
  store.forEach(kPrefix, [&](std::string_view, std::string_view value) {
    std::istringstream in{std::string(value)};
    std::string line;
    if (!std::getline(in, line)) return;
    const auto head = fields(line);
    // Three fields before autonomous records existed.
    if (head.size() != 3 && head.size() != 4) return;
    DuRequestRecord r;
    try {
      r.id = std::stoull(head[0]);
      r.commandKey = head[1];
      r.complete = head[2] == "1";
      r.autonomous = head.size() == 4 && head[3] == "1";
      while (std::getline(in, line)) {
        const auto f = fields(line);
        if (f.size() != 18) return;
        DuOperationRecord op;
        const int type = std::stoi(f[0]);
        if (type < 0 || type > 2) return;
        op.type = static_cast<DuOperationRecord::Type>(type);
        op.url = f[1];
        op.uuid = f[2];
        op.username = f[3];
        op.password = f[4];
        op.executionEnvRef = f[5];
        op.version = f[6];
        op.done = f[7] == "1";
        auto& res = op.result;
        res.uuid = f[8];
        res.deploymentUnitRef = f[9];
        res.version = f[10];
        res.currentState = f[11];
        res.resolved = f[12] == "1";
        res.executionUnitRefList = f[13];
        res.startTime = f[14];
        res.completeTime = f[15];
        res.fault.faultCode = static_cast<std::uint32_t>(std::stoul(f[16]));
        res.fault.faultString = f[17];
        r.operations.push_back(std::move(op));
      }
    } catch (const std::exception&) {
      return;  // a damaged record is dropped
    }
    if (!r.operations.empty()) out.push_back(std::move(r));
  });
  return out;
}

}  // namespace cwmpd::core
