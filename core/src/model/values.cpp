#include "model/values.hpp"

#include <arpa/inet.h>

#include <map>

namespace cwmpd::core::model {
namespace {

using sdk::ParamType;

TypeSpec str(std::size_t maxLen, const char* name) {
  TypeSpec t;
  t.base = ParamType::String;
  t.maxLength = maxLen;
  t.dataType = name;
  return t;
}

const std::map<std::string, TypeSpec>& builtins() {
  static const std::map<std::string, TypeSpec> table = [] {
    std::map<std::string, TypeSpec> m;
    // Facts from TR-106 / the TR-181 data types.
    m["IPAddress"] = str(45, "IPAddress");
    m["IPv4Address"] = str(15, "IPv4Address");
    m["IPv6Address"] = str(45, "IPv6Address");
    m["IPPrefix"] = str(49, "IPPrefix");
    m["IPv4Prefix"] = str(18, "IPv4Prefix");
    m["IPv6Prefix"] = str(49, "IPv6Prefix");
    m["MACAddress"] = str(17, "MACAddress");
    m["Alias"] = str(64, "Alias");
    m["_AliasCommon"] = str(64, "_AliasCommon");
    m["_AliasCWMP"] = str(64, "_AliasCWMP");
    m["URI"] = str(2048, "URI");
    m["URL"] = str(2048, "URL");
    m["IEEE_EUI64"] = str(23, "IEEE_EUI64");
    m["UUID"] = str(36, "UUID");
    m["UUID"].minLength = 36;
    m["DiagnosticsState"] = str(0, "DiagnosticsState");
    m["DiagnosticsState"].maxLength.reset();
    m["ZigBeeNetworkAddress"] = str(4, "ZigBeeNetworkAddress");
    TypeSpec c32;
    c32.base = ParamType::UnsignedInt;
    c32.dataType = "StatsCounter32";
    m["StatsCounter32"] = c32;
    TypeSpec c64;
    c64.base = ParamType::UnsignedLong;
    c64.dataType = "StatsCounter64";
    m["StatsCounter64"] = c64;
    TypeSpec dbm;
    dbm.base = ParamType::Int;
    dbm.dataType = "Dbm1000";
    m["Dbm1000"] = dbm;
    TypeSpec order;
    order.base = ParamType::UnsignedInt;
    order.dataType = "Order";
    order.ranges.push_back(Range{Wide{1}, std::nullopt, 1});
    m["Order"] = order;
    return m;
  }();
  return table;
}

std::size_t utf8Length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool validUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra = c < 0x80             ? 0
                        : (c & 0xE0) == 0xC0 ? 1
                        : (c & 0xF0) == 0xE0 ? 2
                        : (c & 0xF8) == 0xF0 ? 3
                                             : 9;
    if (extra == 9 || i + extra >= s.size() + (extra == 0 ? 1 : 0) ||
        (extra && i + extra > s.size() - 1))
      return false;
    for (std::size_t k = 1; k <= extra; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += extra + 1;
  }
  return true;
}

bool parseInteger(std::string_view s, Wide& out) {
  std::size_t i = 0;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    i = 1;
  }
  if (i == s.size() || s.size() - i > 21) return false;
  Wide v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = neg ? -v : v;
  return true;
}

std::string wideToString(Wide v) {
  if (v == 0) return "0";
  bool neg = v < 0;
  if (neg) v = -v;
  std::string s;
  while (v > 0) {
    s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  return neg ? "-" + s : s;
}

bool digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return false;
  for (std::size_t i = pos; i < pos + n; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}
int num(std::string_view s, std::size_t pos, std::size_t n) {
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) v = v * 10 + (s[i] - '0');
  return v;
}

// xsd:dateTime as TR-069 uses it: with or without fractional seconds, with Z, an offset
// or no zone (the spec's "unknown time" 0001-01-01T00:00:00Z included).
bool validDateTime(std::string_view s) {
  if (s.size() < 19 || !digits(s, 0, 4) || s[4] != '-' || !digits(s, 5, 2) || s[7] != '-' ||
      !digits(s, 8, 2) || s[10] != 'T' || !digits(s, 11, 2) || s[13] != ':' || !digits(s, 14, 2) ||
      s[16] != ':' || !digits(s, 17, 2))
    return false;
  int mo = num(s, 5, 2), d = num(s, 8, 2), h = num(s, 11, 2), mi = num(s, 14, 2),
      se = num(s, 17, 2);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 24 || mi > 59 || se > 60) return false;
  std::size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    std::size_t start = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start) return false;
  }
  if (i == s.size()) return true;
  if (s[i] == 'Z') return i + 1 == s.size();
  if ((s[i] == '+' || s[i] == '-') && i + 6 == s.size() && digits(s, i + 1, 2) && s[i + 3] == ':' &&
      digits(s, i + 4, 2))
    return num(s, i + 1, 2) <= 14 && num(s, i + 4, 2) <= 59;
  return false;
}

bool validBase64(std::string_view s) {
  std::size_t n = 0, pad = 0;
  for (char c : s) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '+' || c == '/';
    if (c == '=') {
      ++pad;
    } else if (!alpha || pad) {
      return false;
    }
    ++n;
  }
  return n % 4 == 0 && pad <= 2;
}

std::size_t base64Bytes(std::string_view s) {
  std::size_t n = 0, pad = 0;
  for (char c : s) {
    if (c == '=')
      ++pad;
    else if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
      ++n;
  }
  return (n + pad) / 4 * 3 - pad;
}

bool validHex(std::string_view s) {
  if (s.size() % 2) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

bool validMac(std::string_view s) {
  if (s.size() != 17) return false;
  for (std::size_t i = 0; i < 17; ++i) {
    char c = s[i];
    if (i % 3 == 2) {
      if (c != ':') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

bool validIp(std::string_view s, int family) {
  std::string z(s);
  unsigned char buf[16];
  if (family != AF_INET6 && inet_pton(AF_INET, z.c_str(), buf) == 1) return true;
  if (family != AF_INET && inet_pton(AF_INET6, z.c_str(), buf) == 1) return true;
  return false;
}

bool validPrefix(std::string_view s, int family) {
  auto slash = s.find('/');
  if (slash == std::string_view::npos) return false;
  Wide len;
  if (!parseInteger(s.substr(slash + 1), len) || len < 0) return false;
  std::string addr(s.substr(0, slash));
  unsigned char buf[16];
  if (family != AF_INET6 && inet_pton(AF_INET, addr.c_str(), buf) == 1) return len <= 32;
  if (family != AF_INET && inet_pton(AF_INET6, addr.c_str(), buf) == 1) return len <= 128;
  return false;
}

bool checkNamed(const std::string& name, std::string_view v, std::string& why) {
  if (v.empty()) return true;  // the named address types all allow "no address"
  bool ok = true;
  if (name == "IPAddress")
    ok = validIp(v, AF_UNSPEC);
  else if (name == "IPv4Address")
    ok = validIp(v, AF_INET);
  else if (name == "IPv6Address")
    ok = validIp(v, AF_INET6);
  else if (name == "IPPrefix")
    ok = validPrefix(v, AF_UNSPEC);
  else if (name == "IPv4Prefix")
    ok = validPrefix(v, AF_INET);
  else if (name == "IPv6Prefix")
    ok = validPrefix(v, AF_INET6);
  else if (name == "MACAddress")
    ok = validMac(v);
  if (!ok) why = "not a valid " + name;
  return ok;
}

bool checkItem(const TypeSpec& t, std::string_view in, std::string& out, std::string& why) {
  switch (t.base) {
    case ParamType::Boolean:
      if (in == "1" || in == "true")
        out = "true";
      else if (in == "0" || in == "false")
        out = "false";
      else {
        why = "not a boolean (0, 1, true, false)";
        return false;
      }
      return true;
    case ParamType::Int:
    case ParamType::UnsignedInt:
    case ParamType::Long:
    case ParamType::UnsignedLong: {
      Wide v;
      if (!parseInteger(in, v)) {
        why = "not an integer";
        return false;
      }
      Wide lo, hi;
      switch (t.base) {
        case ParamType::Int:
          lo = INT32_MIN;
          hi = INT32_MAX;
          break;
        case ParamType::UnsignedInt:
          lo = 0;
          hi = UINT32_MAX;
          break;
        case ParamType::Long:
          lo = INT64_MIN;
          hi = INT64_MAX;
          break;
        default:
          lo = 0;
          hi = static_cast<Wide>(UINT64_MAX);
          break;
      }
      if (v < lo || v > hi) {
        why = "out of the type's range";
        return false;
      }
      if (!t.ranges.empty()) {
        bool any = false;
        for (const auto& r : t.ranges) {
          if (r.min && v < *r.min) continue;
          if (r.max && v > *r.max) continue;
          if (r.step > 1 && ((v - (r.min ? *r.min : 0)) % r.step) != 0) continue;
          any = true;
          break;
        }
        if (!any) {
          why = "outside the allowed range";
          return false;
        }
      }
      out = wideToString(v);
      return true;
    }
    case ParamType::DateTime:
      if (!validDateTime(in)) {
        why = "not an ISO 8601 dateTime";
        return false;
      }
      out.assign(in);
      return true;
    case ParamType::Base64:
      if (!validBase64(in)) {
        why = "not base64";
        return false;
      }
      if ((t.maxLength && base64Bytes(in) > *t.maxLength) ||
          (t.minLength && base64Bytes(in) < *t.minLength)) {
        why = "decoded length outside the allowed size";
        return false;
      }
      out.assign(in);
      return true;
    case ParamType::HexBinary:
      if (!validHex(in)) {
        why = "not hexBinary";
        return false;
      }
      if ((t.maxLength && in.size() / 2 > *t.maxLength) ||
          (t.minLength && in.size() / 2 < *t.minLength)) {
        why = "length outside the allowed size";
        return false;
      }
      out.assign(in);
      return true;
    case ParamType::String: {
      if (!validUtf8(in)) {
        why = "not valid UTF-8";
        return false;
      }
      std::size_t len = utf8Length(in);
      if (t.maxLength && len > *t.maxLength) {
        why = "longer than " + std::to_string(*t.maxLength) + " characters";
        return false;
      }
      if (t.minLength && len < *t.minLength) {
        why = "shorter than " + std::to_string(*t.minLength) + " characters";
        return false;
      }
      if (!t.enumerations.empty()) {
        bool found = false;
        for (const auto& e : t.enumerations) found = found || e == in;
        if (!found) {
          why = "not one of the enumerated values";
          return false;
        }
      }
      if (t.compiled && !t.compiled->empty()) {
        bool match = false;
        std::string s(in);
        for (const auto& re : *t.compiled) match = match || std::regex_match(s, re);
        if (!match) {
          why = "does not match the required pattern";
          return false;
        }
      }
      if (!t.dataType.empty() && !checkNamed(t.dataType, in, why)) return false;
      out.assign(in);
      return true;
    }
  }
  why = "unknown type";
  return false;
}

}  // namespace

const TypeSpec* builtinDataType(const std::string& name) {
  const auto& b = builtins();
  auto it = b.find(name);
  return it == b.end() ? nullptr : &it->second;
}

void compilePatterns(TypeSpec& t) {
  if (t.patterns.empty()) return;
  auto v = std::make_shared<std::vector<std::regex>>();
  for (const auto& p : t.patterns) {
    try {
      v->emplace_back(p, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error&) {
      // XML Schema constructs (\i, \c, \p{...}) that ECMAScript lacks: a pattern we cannot
      // check must not make every value invalid, so drop all patterns of this type.
      v->clear();
      break;
    }
  }
  t.compiled = v;
}

bool checkValue(const TypeSpec& t, std::string_view in, std::string& canonical, std::string& why) {
  if (!t.list) return checkItem(t, in, canonical, why);
  if (t.listMaxLength && in.size() > *t.listMaxLength) {
    why = "list longer than " + std::to_string(*t.listMaxLength) + " characters";
    return false;
  }
  canonical.clear();
  if (in.empty()) return true;
  std::size_t start = 0;
  std::string item;
  while (start <= in.size()) {
    auto comma = in.find(',', start);
    std::string_view raw =
        in.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    while (!raw.empty() && raw.front() == ' ') raw.remove_prefix(1);
    while (!raw.empty() && raw.back() == ' ') raw.remove_suffix(1);
    if (!checkItem(t, raw, item, why)) {
      why = std::string("list item '").append(raw).append("': ").append(why);
      return false;
    }
    if (!canonical.empty() || start > 0) canonical += ',';
    canonical += item;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return true;
}

std::string zeroValue(const TypeSpec& t) {
  if (t.list) return {};
  switch (t.base) {
    case ParamType::Boolean: return "false";
    case ParamType::Int:
    case ParamType::UnsignedInt:
    case ParamType::Long:
    case ParamType::UnsignedLong:
      if (!t.ranges.empty() && t.ranges.front().min && *t.ranges.front().min > 0)
        return wideToString(*t.ranges.front().min);
      return "0";
    case ParamType::DateTime: return "0001-01-01T00:00:00Z";
    default: return {};
  }
}

}  // namespace cwmpd::core::model
