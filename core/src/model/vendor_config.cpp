#include "model/vendor_config.hpp"

#include <set>
#include <vector>

#include "cwmpd/core/log.hpp"
#include "model/values.hpp"

namespace cwmpd::core::model {

using sdk::Fault;
using sdk::FaultCode;

namespace {

constexpr std::string_view kConfigHeader = "cwmpd-config 1 ";

// Percent-encoding of '%' and the separators keeps each record on one line.
std::string escapeField(std::string_view in) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if (c == '%' || c == '\t' || c == '\n' || c == '\r') {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

bool unescapeField(std::string_view in, std::string& out) {
  out.clear();
  auto hex = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
  };
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

// One checked record of the file.
struct Entry {
  enum Kind { Object, Value, Attribute } kind;
  std::string path;
  std::string value;
};

}  // namespace

std::string VendorConfigFile::exportConfiguration() {
  const Persistence& stored = ctx_.stored;
  std::string out = std::string(kConfigHeader) + tree_.root() + "\n";
  stored.forEachCreated([&](const std::string& path) { out += "O\t" + escapeField(path) + "\n"; });
  stored.forEachValue([&](const std::string& path, const std::string& v) {
    ParamDef* p = tree_.paramDefOf(path);
    // Secrets never leave the box in a file (TR-069 A.3.2.8 leaves the format to the vendor).
    if (!p || p->secret || p->access == sdk::Access::ReadOnly || p->getter || p->builtin) return;
    out += "V\t" + escapeField(path) + "\t" + escapeField(v) + "\n";
  });
  stored.forEachAttribute([&](const std::string& path, const std::string& v) {
    if (!tree_.paramDefOf(path)) return;
    out += "A\t" + escapeField(path) + "\t" + escapeField(v) + "\n";
  });
  return out;
}

void VendorConfigFile::importConfiguration(const std::string& text) {
  const std::string& root = tree_.root();
  auto bad = [](std::size_t line, const std::string& why) {
    return Fault(FaultCode::DownloadFailureCorrupted,
                 "configuration file line " + std::to_string(line) + ": " + why);
  };
  std::vector<Entry> entries;
  std::set<std::string> objects;
  std::vector<std::pair<std::size_t, std::vector<std::string>>> needed;  // instances values live in
  std::size_t lineNo = 0, pos = 0;
  bool header = false;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    ++lineNo;
    if (line.empty()) continue;
    if (!header) {
      if (line != std::string(kConfigHeader) + root)
        throw bad(lineNo, "not a cwmpd configuration of " + root);
      header = true;
      continue;
    }
    std::vector<std::string> f;
    std::size_t s = 0;
    for (;;) {
      auto tab = line.find('\t', s);
      std::string raw = line.substr(s, tab == std::string::npos ? std::string::npos : tab - s), v;
      if (!unescapeField(raw, v)) throw bad(lineNo, "bad escape");
      f.push_back(std::move(v));
      if (tab == std::string::npos) break;
      s = tab + 1;
    }
    if (f[0] == "O" && f.size() == 2) {
      std::vector<std::string> inst;
      const std::string pattern = Tree::patternOf(f[1], &inst);
      if (f[1].size() < 2 || f[1].back() != '.' || pattern.size() < 5 ||
          pattern.compare(pattern.size() - 4, 4, "{i}.") != 0)
        throw bad(lineNo, "not an instance path: " + f[1]);
      ObjectDef* d = tree_.findDef(pattern);
      if (!d || !d->multi || !d->writable) throw bad(lineNo, "no writable table for " + f[1]);
      inst.pop_back();  // the object itself
      needed.emplace_back(lineNo, inst);
      objects.insert(f[1]);
      entries.push_back({Entry::Object, f[1], {}});
    } else if ((f[0] == "V" || f[0] == "A") && f.size() == 3) {
      std::vector<std::string> inst;
      (void)Tree::patternOf(f[1], &inst);  // only the instances it goes through
      ParamDef* p = tree_.paramDefOf(f[1]);
      if (!p) throw bad(lineNo, "unknown parameter " + f[1]);
      needed.emplace_back(lineNo, inst);
      if (f[0] == "V") {
        if (p->secret || p->access == sdk::Access::ReadOnly || p->getter || p->builtin)
          throw bad(lineNo, f[1] + " is not a stored writable parameter");
        std::string canon, why;
        if (!checkValue(p->type, f[2], canon, why)) throw bad(lineNo, f[1] + ": " + why);
        entries.push_back({Entry::Value, f[1], canon});
      } else {
        Attr a = decodeAttr(f[2]);
        if (a.notification < 0 || a.notification > 2)
          throw bad(lineNo, "bad notification for " + f[1]);
        for (const auto& s2 : a.accessList)
          if (s2 != "Subscriber") throw bad(lineNo, "bad access list for " + f[1]);
        entries.push_back({Entry::Attribute, f[1], encodeAttr(a)});
      }
    } else {
      throw bad(lineNo, "unknown record");
    }
  }
  if (!header) throw bad(1, "empty file");
  // Every instance a value lives in exists, or is created by the file.
  for (const auto& [line, inst] : needed)
    for (const auto& i : inst)
      if (!objects.count(i) && resolver_.resolve(i).kind != Location::Object)
        throw bad(line, "no instance " + i);
  // All checked: replace in one transaction, keeping what the file never carries.
  Persistence& stored = ctx_.stored;
  txn::Transaction tx(ctx_);
  std::vector<std::pair<std::string, std::string>> kept;
  stored.forEachValue([&](const std::string& path, const std::string& v) {
    ParamDef* p = tree_.paramDefOf(path);
    if (p && (p->secret || p->access == sdk::Access::ReadOnly)) kept.emplace_back(path, v);
  });
  stored.eraseConfiguration();
  for (const auto& [path, v] : kept) stored.setValue(path, v);
  for (const auto& e : entries) {
    switch (e.kind) {
      case Entry::Object: stored.markCreated(e.path); break;
      case Entry::Value: stored.setValue(e.path, e.value); break;
      case Entry::Attribute: stored.setAttribute(e.path, decodeAttr(e.value)); break;
    }
  }
  tx.commit();
  CWMPD_LOG(Notice, "model",
            "configuration imported: " << entries.size() << " entries; effective after restart");
}

}  // namespace cwmpd::core::model
