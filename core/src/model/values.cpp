#include "model/values.hpp"

#include <arpa/inet.h>
#include <locale.h>
#include <regex.h>

#include <bitset>
#include <map>

#include "cwmpd/core/log.hpp"

namespace cwmpd::core::model {

// A type's patterns compiled by regcomp; a value must match one of them.
class PatternSet {
 public:
  explicit PatternSet(std::size_t n) { res_.reserve(n); }  // regex_t is not moved after regcomp
  PatternSet(const PatternSet&) = delete;
  PatternSet& operator=(const PatternSet&) = delete;
  ~PatternSet() {
    for (auto& r : res_) regfree(&r);
  }

  bool add(const std::string& ere, std::string& why) {
    // glibc's regcomp takes the character set of the thread's locale: in a UTF-8 one `.` and
    // [^...] would take a whole multibyte character, where std::regex took one byte. The
    // daemon calls no setlocale, a library might: compile in the C locale (regexec reads the
    // compiled form only).
    static const locale_t kC = newlocale(LC_ALL_MASK, "C", nullptr);
    locale_t old = uselocale(kC);
    int rc = regcomp(&res_.emplace_back(), ere.c_str(), REG_EXTENDED | REG_NOSUB);
    uselocale(old);
    if (rc == 0) return true;
    char msg[128];
    regerror(rc, &res_.back(), msg, sizeof msg);
    why = msg;
    res_.pop_back();  // a failed regcomp frees what it allocated
    return false;
  }
  [[nodiscard]] bool empty() const { return res_.empty(); }
  [[nodiscard]] bool matches(std::string_view s) const {
    for (const auto& r : res_) {
      regmatch_t m{};
      m.rm_eo = static_cast<regoff_t>(s.size());  // REG_STARTEND: no terminating NUL needed
      if (regexec(&r, s.data(), 1, &m, REG_STARTEND) == 0) return true;
    }
    return false;
  }

 private:
  std::vector<regex_t> res_;
};

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
      if (!matchesPatterns(t, in)) {
        why = "does not match the required pattern";
        return false;
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

// XML Schema patterns (XSD 1.0 part 2, appendix F) to POSIX extended expressions. Until the
// tenth session the daemon compiled them as ECMAScript std::regex (some 42 KB of the small
// daemon); the translation keeps that reading exactly (tests/model/value_patterns_test.cpp
// checks every pattern of every model the daemon loads against std::regex_match), so where
// XML Schema means something else by the same text, the daemon still reads it as before:
//   - matching is per byte, as std::regex on a std::string: `.`, [^...], \D, \S and \W take
//     one byte of a multibyte UTF-8 character, and a count ({n,m}) of them counts bytes
//     (XML Schema: characters; the models use them unbounded, `.*`, where it is the same);
//   - \d is [0-9] (XML Schema: every Unicode decimal digit), \w is [A-Za-z0-9_] (XML Schema:
//     every character but punctuation, separators and controls, so '$' and '+' but not '_'),
//     \s is space, \t, \n, \v, \f, \r (XML Schema: no \v or \f, which XML cannot carry);
//   - *? +? ?? {n,m}? are ECMAScript's lazy quantifiers (not XML Schema's; TR-181 writes
//     [0-9]{1,15}?): for a whole-string match they accept what the greedy ones accept.
// Refused (posixPattern false: the type's patterns are then not checked, as the patterns
// std::regex could not compile were): \i \c \p{..} and their complements (std::regex has
// none, or reads \i as 'i'), character class subtraction [a-z-[aeiou]] (std::regex reads
// "[a-z-[aeiou]" and a ']'), ^ and $ (anchors to ECMAScript, plain characters to XML
// Schema), and what is not XML Schema syntax: (?...), back-references and other escapes,
// empty classes, an unescaped [ in a class, a '-' in a class that is no range, two
// quantifiers on one atom, a lone { } or ].
namespace {

using ByteSet = std::bitset<256>;

class PatternTranslator {
 public:
  explicit PatternTranslator(std::string_view p) : p_(p) {}

  bool translate(std::string& ere, std::string& why) {
    std::string body;
    if (!regExp(body) || (more() && !fail("an unmatched )"))) {
      why = why_;
      return false;
    }
    ere = "^(" + body + ")$";  // XML Schema patterns match the whole value
    return true;
  }

 private:
  std::string_view p_;
  std::size_t at_ = 0;
  std::string why_;

  bool fail(const std::string& what) {
    why_ = what + " at offset " + std::to_string(at_);
    return false;
  }
  [[nodiscard]] bool more() const { return at_ < p_.size(); }
  [[nodiscard]] char peek() const { return p_[at_]; }
  [[nodiscard]] bool next(char c) const { return more() && peek() == c; }

  // regExp ::= branch ('|' branch)*, branch ::= (atom quantifier?)*
  bool regExp(std::string& out) {
    for (;;) {
      while (more() && peek() != '|' && peek() != ')')
        if (!atom(out) || !quantifier(out)) return false;
      if (!next('|')) return true;
      out += '|';
      ++at_;
    }
  }

  bool atom(std::string& out) {
    ByteSet s;
    char c = p_[at_++];
    switch (c) {
      case '(':
        if (next('?')) return fail("(? (not XML Schema)");
        out += '(';
        if (!regExp(out)) return false;
        if (!next(')')) return fail("an unmatched (");
        ++at_;
        out += ')';
        return true;
      case '[': return charClass(s) && emit(s, out);
      case '.':  // ECMAScript's: any byte but the line terminators
        s.set().reset('\n').reset('\r');
        return emit(s, out);
      case '\\': return escape(s) && emit(s, out);
      case '^':
      case '$':
        --at_;
        return fail(std::string(1, c) + " (an anchor to ECMAScript, a character to XML Schema)");
      case '?':
      case '*':
      case '+':
      case '{':
      case '}':
      case ']': --at_; return fail(std::string("a lone ") + c);
      default: s.set(static_cast<unsigned char>(c)); return emit(s, out);
    }
  }

  // After a backslash: XML Schema's single-character escapes, and \d \s \w and their
  // complements with ECMAScript's (byte) meaning.
  bool escape(ByteSet& s) {
    if (!more()) return fail("a trailing backslash");
    char c = p_[at_++];
    switch (c) {
      case 'n': s.set('\n'); return true;
      case 'r': s.set('\r'); return true;
      case 't': s.set('\t'); return true;
      case 'd':
      case 'D': setRange(s, '0', '9'); break;
      case 's':
      case 'S':
        for (char w : {' ', '\t', '\n', '\v', '\f', '\r'}) s.set(static_cast<unsigned char>(w));
        break;
      case 'w':
      case 'W':
        setRange(s, '0', '9');
        setRange(s, 'A', 'Z');
        setRange(s, 'a', 'z');
        s.set('_');
        break;
      default:
        if (std::string_view("\\|.?*+(){}-[]^").find(c) != std::string_view::npos) {
          s.set(static_cast<unsigned char>(c));
          return true;
        }
        --at_;
        return fail(std::string("\\") + c +
                    (std::string_view("iIcCpP").find(c) != std::string_view::npos
                         ? " (XML Schema's, not ECMAScript's)"
                         : " (not an XML Schema escape)"));
    }
    if (c >= 'A' && c <= 'Z') s.flip();
    return true;
  }

  static void setRange(ByteSet& s, unsigned char lo, unsigned char hi) {
    for (unsigned b = lo; b <= hi; ++b) s.set(b);
  }

  // One member of a class: a byte (single >= 0) or an escape's set (single < 0).
  bool classMember(ByteSet& s, int& single, std::size_t first) {
    char c = p_[at_];
    if (c == '[') return fail("an unescaped [ in a class");
    if (c == '-' && at_ != first && !(at_ + 1 < p_.size() && p_[at_ + 1] == ']'))
      return fail(at_ + 1 < p_.size() && p_[at_ + 1] == '[' ? "character class subtraction"
                                                            : "a - in a class that is no range");
    ++at_;
    if (c == '\\') {
      if (!escape(s)) return false;
    } else {
      s.set(static_cast<unsigned char>(c));
    }
    single = -1;
    if (s.count() == 1)
      for (int b = 0; b < 256; ++b)
        if (s[b]) single = b;
    return true;
  }

  // After '[': posCharGroup or negCharGroup up to its ']'.
  bool charClass(ByteSet& set) {
    bool negated = next('^');
    if (negated) ++at_;
    const std::size_t first = at_;
    for (;;) {
      if (!more()) return fail("an unmatched [");
      if (peek() == ']') {
        if (at_ == first) return fail("an empty class");
        ++at_;
        break;
      }
      ByteSet member;
      int lo = -1;
      if (!classMember(member, lo, first)) return false;
      if (next('-') && at_ + 1 < p_.size() && p_[at_ + 1] != ']') {  // a range
        ++at_;
        if (next('[')) return fail("character class subtraction");
        ByteSet end;
        int hi = -1;
        if (!classMember(end, hi, first)) return false;
        if (lo < 0 || hi < 0) return fail("a range with a class escape at an end");
        if (lo > hi) return fail("a reversed range");
        setRange(member, static_cast<unsigned char>(lo), static_cast<unsigned char>(hi));
      }
      set |= member;
    }
    if (negated) set.flip();
    return true;
  }

  // ?, *, +, {n}, {n,}, {n,m}, each maybe followed by ECMAScript's lazy '?'.
  bool quantifier(std::string& out) {
    if (!more()) return true;
    char c = peek();
    if (c == '?' || c == '*' || c == '+') {
      out += c;
      ++at_;
    } else if (c == '{') {
      ++at_;
      std::string q = "{";
      unsigned n = 0;
      if (!count(n, q)) return false;
      if (next(',')) {
        ++at_;
        q += ',';
        unsigned m = 0;
        if (more() && peek() != '}') {
          if (!count(m, q)) return false;
          if (m < n) return fail("a count {n,m} with m < n");
        }
      }
      if (!next('}')) return fail("a { that is no count");
      ++at_;
      out += q + '}';
    } else {
      return true;
    }
    if (next('?')) ++at_;  // lazy: the same strings for a whole-string match
    if (more() && std::string_view("?*+{").find(peek()) != std::string_view::npos)
      return fail("two quantifiers on one atom");
    return true;
  }

  bool count(unsigned& n, std::string& q) {
    std::size_t start = at_;
    while (more() && peek() >= '0' && peek() <= '9' && at_ - start < 6)
      n = n * 10 + static_cast<unsigned>(peek() - '0'), q += p_[at_++];
    if (at_ == start) return fail("a { that is no count");
    if (n > RE_DUP_MAX) return fail("a count above RE_DUP_MAX");
    return true;
  }

  // One atom of the POSIX expression matching one byte of `s`.
  bool emit(const ByteSet& s, std::string& out) {
    std::size_t n = s.count();
    if (n == 0) return fail("a class that matches nothing");
    if (n == 256) {
      out += "([^a]|a)";
      return true;
    }
    if (n == 1 && !s[0]) {
      for (int b = 1; b < 256; ++b)
        if (s[b]) {
          if (std::string_view(".[\\()*+?{|^$").find(static_cast<char>(b)) !=
              std::string_view::npos)
            out += '\\';
          out += static_cast<char>(b);
        }
      return true;
    }
    // regcomp takes no NUL, so a set holding it is written as the complement's [^...].
    const bool negate = s[0];
    const ByteSet m = negate ? ~s : s;
    // Bracket syntax: ']' first, '-' last, '^' not first, '[' never before ':', '.' or '='.
    auto special = [](int b) { return b == ']' || b == '^' || b == '-' || b == '['; };
    std::string body;
    if (m[']']) body += ']';
    for (int b = 1; b < 256; ++b) {
      if (!m[b] || special(b)) continue;
      int e = b;
      while (e + 1 < 256 && m[e + 1] && !special(e + 1)) ++e;
      body += static_cast<char>(b);
      if (e - b >= 2) body += '-';
      if (e > b) body += static_cast<char>(e);
      b = e;
    }
    for (char c : {'[', '^', '-'})
      if (m[static_cast<unsigned char>(c)]) body += c;
    if (!negate && body == "^-") body = "-^";
    out += negate ? "[^" : "[";
    out += body;
    out += ']';
    return true;
  }
};

}  // namespace

bool matchesPatterns(const TypeSpec& t, std::string_view value) {
  return !t.compiled || t.compiled->empty() || t.compiled->matches(value);
}

bool posixPattern(std::string_view xsd, std::string& ere, std::string& why) {
  return PatternTranslator(xsd).translate(ere, why);
}

void compilePatterns(TypeSpec& t, std::string_view where) {
  if (t.patterns.empty()) return;
  auto set = std::make_shared<PatternSet>(t.patterns.size());
  for (const auto& p : t.patterns) {
    std::string ere, why;
    if (!posixPattern(p, ere, why) || !set->add(ere, why)) {
      CWMPD_LOG(Warning, "model",
                where << (where.empty() ? "" : ": ") << "pattern '" << p
                      << "' not checked, nor the type's other patterns: " << why);
      set = std::make_shared<PatternSet>(0);
      break;
    }
  }
  t.compiled = std::move(set);
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
