// The data models' value patterns (<pattern> facets) are checked with the C library's
// regexec on a POSIX translation (model/values.cpp, posixPattern); until the tenth session
// they were ECMAScript std::regex. These tests hold the translation to std::regex_match
// (test-only use of std::regex): every pattern of every model the daemon loads (the
// plugins', the core's, the official TR-181 2.17, TR-098 and TR-104 documents), on strings
// generated to match each pattern and on mutations of them that mostly do not.
#include <gtest/gtest.h>

#include <algorithm>
#include <bitset>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cwmpd/core/log.hpp"
#include "model/definitions.hpp"
#include "model/values.hpp"

namespace {

namespace fs = std::filesystem;
using cwmpd::core::model::checkValue;
using cwmpd::core::model::compilePatterns;
using cwmpd::core::model::matchesPatterns;
using cwmpd::core::model::parseDocument;
using cwmpd::core::model::posixPattern;
using cwmpd::core::model::TypeSpec;

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// The value of every <pattern value="..."> in a document, XML entities decoded: the scan
// does not depend on the loader it checks (the loader's patterns are compared with it).
std::set<std::string> scanPatterns(const std::string& xml) {
  std::set<std::string> out;
  static const std::regex facet(R"re(<pattern\s+value="([^"]*)")re");
  static const std::regex entity("&(amp|lt|gt|quot|apos|#([0-9]+)|#x([0-9A-Fa-f]+));");
  for (std::sregex_iterator it(xml.begin(), xml.end(), facet), end; it != end; ++it) {
    std::string raw = (*it)[1], value;
    std::size_t last = 0;
    for (std::sregex_iterator e(raw.begin(), raw.end(), entity); e != end; ++e) {
      value.append(raw, last, static_cast<std::size_t>(e->position()) - last);
      std::string name = (*e)[1];
      if (name == "amp")
        value += '&';
      else if (name == "lt")
        value += '<';
      else if (name == "gt")
        value += '>';
      else if (name == "quot")
        value += '"';
      else if (name == "apos")
        value += '\'';
      else {
        unsigned long code =
            (*e)[2].matched ? std::stoul((*e)[2]) : std::stoul((*e)[3], nullptr, 16);
        EXPECT_LT(code, 0x80U) << "a non-ASCII character reference in a pattern: " << raw;
        value += static_cast<char>(code);
      }
      last = static_cast<std::size_t>(e->position() + e->length());
    }
    value.append(raw, last);
    out.insert(value);
  }
  return out;
}

// The data models the daemon loads: the plugins' (every one built, installed or not) and
// the core's own, always; the official ones when CWMPD_BBF_DIR has them (CI does).
struct ModelFile {
  fs::path path;
  bool official;
};

std::vector<ModelFile> modelFiles() {
  std::vector<ModelFile> out;
  const fs::path src = env("CWMPD_SOURCE_DIR");
  for (const auto& d : fs::directory_iterator(src / "plugins"))
    if (fs::exists(d.path() / "model.xml")) out.push_back({d.path() / "model.xml", false});
  out.push_back({src / "core/src/swm/model.xml", false});
  const fs::path bbf = env("CWMPD_BBF_DIR");
  for (const char* f : {"tr-181-2-17-0-cwmp-full.xml", "tr-098-1-8-0-full.xml",
                        "tr-104-1-1-0-full.xml", "tr-104-2-0-2-cwmp-full.xml"})
    out.push_back({bbf / f, true});
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.path < b.path; });
  return out;
}

// The bytes the strings are made of: printable ASCII, the controls \s and '.' treat
// apart, NUL, and bytes of multibyte UTF-8.
const std::string& alphabet() {
  static const std::string a = [] {
    std::string s;
    for (int c = 0x20; c < 0x7f; ++c) s += static_cast<char>(c);
    s += std::string("\t\n\r\v\f\x01\xc3\xa9\xe2\x82\xac\xff", 13);
    s += '\0';
    return s;
  }();
  return a;
}

// A random string generator for the patterns (its own small parser of the XML Schema
// syntax the models use, independent of the translation under test).
class Generator {
 public:
  Generator(const std::string& pattern, std::mt19937& rng) : p_(pattern), rng_(rng) {
    root_ = alternation();
    ok_ = at_ == p_.size();
  }
  [[nodiscard]] bool ok() const { return ok_; }
  std::string make() {
    std::string out;
    generate(root_, out);
    return out;
  }

 private:
  struct Node {
    enum Kind { Alt, Seq, Set, Repeat } kind;
    explicit Node(Kind k) : kind(k) {}
    std::vector<Node> kids;
    std::bitset<256> set;
    unsigned min = 1, max = 1;
  };
  std::string p_;
  std::size_t at_ = 0;
  std::mt19937& rng_;
  Node root_{Node::Seq};
  bool ok_ = true;

  Node alternation() {
    Node alt(Node::Alt);
    alt.kids.push_back(sequence());
    while (at_ < p_.size() && p_[at_] == '|') {
      ++at_;
      alt.kids.push_back(sequence());
    }
    return alt;
  }
  Node sequence() {
    Node seq(Node::Seq);
    while (ok_ && at_ < p_.size() && p_[at_] != '|' && p_[at_] != ')') {
      Node a = atom();
      seq.kids.push_back(quantified(std::move(a)));
    }
    return seq;
  }
  Node quantified(Node a) {
    if (at_ >= p_.size()) return a;
    Node r(Node::Repeat);
    char c = p_[at_];
    if (c == '?')
      r.min = 0, r.max = 1;
    else if (c == '*')
      r.min = 0, r.max = 3;
    else if (c == '+')
      r.min = 1, r.max = 4;
    else if (c == '{') {
      std::size_t close = p_.find('}', at_);
      std::string q = p_.substr(at_ + 1, close - at_ - 1);
      std::size_t comma = q.find(',');
      r.min = static_cast<unsigned>(std::stoul(q.substr(0, comma)));
      r.max = comma == std::string::npos ? r.min
              : comma + 1 == q.size()    ? r.min + 3
                                         : static_cast<unsigned>(std::stoul(q.substr(comma + 1)));
      at_ = close;
    } else {
      return a;
    }
    ++at_;
    if (at_ < p_.size() && p_[at_] == '?') ++at_;  // lazy
    r.kids.push_back(std::move(a));
    return r;
  }
  std::bitset<256> escape(char c) {
    std::bitset<256> s;
    auto range = [&](char lo, char hi) {
      for (int b = static_cast<unsigned char>(lo); b <= static_cast<unsigned char>(hi); ++b)
        s.set(b);
    };
    switch (c) {
      case 'n': s.set('\n'); return s;
      case 'r': s.set('\r'); return s;
      case 't': s.set('\t'); return s;
      case 'd':
      case 'D': range('0', '9'); break;
      case 's':
      case 'S':
        for (char w : std::string(" \t\n\v\f\r")) s.set(static_cast<unsigned char>(w));
        break;
      case 'w':
      case 'W':
        range('0', '9');
        range('A', 'Z');
        range('a', 'z');
        s.set('_');
        break;
      default: s.set(static_cast<unsigned char>(c)); return s;
    }
    if (c >= 'A' && c <= 'Z') s.flip();
    return s;
  }
  Node atom() {
    Node n(Node::Set);
    char c = p_[at_++];
    if (c == '(') {
      n = alternation();
      if (at_ >= p_.size() || p_[at_] != ')') ok_ = false;
      ++at_;
    } else if (c == '.') {
      n.set.set().reset('\n').reset('\r');
    } else if (c == '\\') {
      n.set = escape(p_[at_++]);
    } else if (c == '[') {
      bool neg = p_[at_] == '^';
      if (neg) ++at_;
      while (at_ < p_.size() && p_[at_] != ']') {
        int lo = -1;
        std::bitset<256> m;
        if (p_[at_] == '\\') {
          m = escape(p_[at_ + 1]);
          at_ += 2;
        } else {
          m.set(static_cast<unsigned char>(p_[at_++]));
        }
        if (m.count() == 1)
          for (int b = 0; b < 256; ++b)
            if (m[b]) lo = b;
        if (at_ + 1 < p_.size() && p_[at_] == '-' && p_[at_ + 1] != ']' && lo >= 0) {
          ++at_;
          int hi = static_cast<unsigned char>(p_[at_] == '\\' ? p_[++at_] : p_[at_]);
          ++at_;
          for (int b = lo; b <= hi; ++b) m.set(b);
        }
        n.set |= m;
      }
      ++at_;
      if (neg) n.set.flip();
    } else {
      n.set.set(static_cast<unsigned char>(c));
    }
    return n;
  }
  void generate(const Node& n, std::string& out) {
    switch (n.kind) {
      case Node::Alt:
        generate(n.kids[std::uniform_int_distribution<std::size_t>(0, n.kids.size() - 1)(rng_)],
                 out);
        break;
      case Node::Seq:
        for (const auto& k : n.kids) generate(k, out);
        break;
      case Node::Repeat:
        for (unsigned i = 0, times = std::uniform_int_distribution<unsigned>(n.min, n.max)(rng_);
             i < times; ++i)
          generate(n.kids[0], out);
        break;
      case Node::Set: {
        std::string from;  // mostly the alphabet's bytes, sometimes any of the set
        for (char c : alphabet())
          if (n.set[static_cast<unsigned char>(c)]) from += c;
        if (from.empty() || rng_() % 8 == 0)
          for (int b = 0; b < 256; ++b)
            if (n.set[b]) from += static_cast<char>(b);
        out += from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(rng_)];
        break;
      }
    }
  }
};

// A type with the one pattern, compiled as the tree compiles its parameters' types.
TypeSpec typeWith(const std::string& pattern) {
  TypeSpec t;
  t.patterns.push_back(pattern);
  compilePatterns(t, "Test.");
  return t;
}

struct Verdicts {
  int accepted = 0, rejected = 0;
};

// The translated pattern accepts exactly what std::regex_match accepts, on `tries` strings
// made to match (each checked to match by std::regex: the generator's own test), mutations
// of each (a byte removed, replaced, inserted; doubled, cut) and random strings.
Verdicts expectSameAsEcmaScript(const std::string& pattern, int tries) {
  Verdicts v;
  const std::regex ecma(pattern, std::regex::ECMAScript);
  const TypeSpec t = typeWith(pattern);
  std::string ere, why;
  EXPECT_TRUE(posixPattern(pattern, ere, why)) << pattern << ": " << why;
  EXPECT_TRUE(t.compiled) << pattern << " not compiled";
  std::mt19937 rng(static_cast<std::mt19937::result_type>(std::hash<std::string>()(pattern)));
  Generator gen(pattern, rng);
  EXPECT_TRUE(gen.ok()) << "the test's generator cannot read " << pattern;
  auto byte = [&] {
    return alphabet()[std::uniform_int_distribution<std::size_t>(0, alphabet().size() - 1)(rng)];
  };
  auto pos = [&](const std::string& s) {
    return std::uniform_int_distribution<std::size_t>(0, s.size())(rng);
  };
  auto check = [&](const std::string& s) {
    bool expected = std::regex_match(s, ecma);
    EXPECT_EQ(matchesPatterns(t, s), expected) << "pattern '" << pattern << "' as '" << ere
                                               << "' on '" << s << "' (" << s.size() << " bytes)";
    ++(expected ? v.accepted : v.rejected);
  };
  for (int i = 0; i < tries; ++i) {
    const std::string s = gen.make();
    EXPECT_TRUE(std::regex_match(s, ecma)) << "generated '" << s << "' for " << pattern;
    check(s);
    std::string m = s;
    if (!m.empty()) m.erase(std::min(pos(m), m.size() - 1), 1);
    check(m);
    m = s;
    if (!m.empty()) m[std::min(pos(m), m.size() - 1)] = byte();
    check(m);
    m = s;
    m.insert(pos(m), 1, byte());
    check(m);
    check(s + s);
    check(s.substr(0, pos(s)));
    std::string r;
    for (std::size_t n = pos(s) + 1; n > 0; --n) r += byte();
    check(r);
  }
  check("");
  return v;
}

TEST(ValuePatterns, EveryModelPatternIsTranslatedAndAcceptsWhatStdRegexAccepted) {
  std::map<std::string, std::string> patterns;  // pattern -> first file
  for (const auto& f : modelFiles()) {
    if (!fs::exists(f.path)) {
      ASSERT_TRUE(f.official) << f.path;
      ADD_FAILURE() << "*** official model " << f.path
                    << " not found (CWMPD_BBF_DIR; CI has ../shared/bbf) ***";
      continue;
    }
    const std::string xml = readFile(f.path);
    const std::set<std::string> scanned = scanPatterns(xml);
    // The loader's patterns (every parameter's, data types resolved) are among the scanned
    // ones: the scan sees what the daemon checks.
    for (const auto& model : parseDocument(xml, ""))
      for (const auto& o : model.objects)
        for (const auto& p : o.params)
          for (const auto& pat : p.type.patterns)
            EXPECT_TRUE(scanned.count(pat))
                << f.path << ": " << o.pattern << p.name << " '" << pat << "' missed by the scan";
    for (const auto& p : scanned) patterns.emplace(p, f.path.filename().string());
  }
  // The models hold 58 distinct patterns today (the official ones most); a scan that finds
  // few is broken.
  EXPECT_GE(patterns.size(), 50U);
  for (const auto& [pattern, file] : patterns) {
    SCOPED_TRACE("pattern '" + pattern + "' of " + file);
    Verdicts v = expectSameAsEcmaScript(pattern, 60);
    EXPECT_GT(v.accepted, 60) << pattern;
    EXPECT_GT(v.rejected, 0) << pattern << ": no string rejected, the comparison proves little";
  }
}

// Every construct the translation writes differently from its input: escapes, classes with
// the bracket syntax's own special bytes, NUL (regcomp takes none: a set holding it is
// written as a complement), the any-byte class, empty groups and branches, counts, lazy
// quantifiers, bytes of multibyte characters as literals.
TEST(ValuePatterns, EveryTranslatedConstructAcceptsWhatStdRegexAccepted) {
  for (const char* p : {
           "",
           "a|",
           "|a",
           "()",
           "(|a)+",
           "(a|b|)*c",
           "a{0}",
           "a{2,}",
           "a{0,0}b",
           "x{1,3}?y",
           "a*?b",
           "a+?",
           "a??",
           "\\d\\D\\s\\S\\w\\W",
           "[\\d\\s]+",
           "[^\\w]",
           "[\\W]",
           "[\\s\\S]",
           "[\\d\\D]x",
           ".*",
           ".{2}",
           "[^a]",
           "[^\\n]",
           "[\\]^a-]x",
           "[\\]\\^\\-\\[]+",
           "[\\]]",
           "[\\^]",
           "[\\^-]",
           "[-a]",
           "[a-]",
           "[^-]",
           "[^^]",
           "[!-/]+",
           "[*-.]",
           "[:a]",
           "[.=]",
           "[\\[:]",
           "[a\\-z]",
           "[\\\\]",
           "\\\\",
           "\\|\\.\\?\\*\\+\\(\\)\\{\\}\\-\\[\\]\\^",
           "\\n\\r\\t",
           "[\\n\\r\\t]",
           "a.b",
           "[ -~]{3}",
           "[\x80-\xff]",
           "\xc3\xa9+",
           "caf\xc3\xa9",
           "[^\x01-\x7f]",
           "((a|b)c)+d?",
           "(a(b(c)))",
           "[0-9A-F]{2}(:[0-9A-F]{2}){5}",
           "a,b",
           "a=b",
           "a/b",
           "a'b\"c",
           "a b",
           "#",
           "&<>",
           "_",
           "~",
       }) {
    std::string pattern(p);
    SCOPED_TRACE("pattern '" + pattern + "'");
    Verdicts v = expectSameAsEcmaScript(pattern, 40);
    EXPECT_GT(v.accepted, 0);
  }
}

// Strings of NUL and the bytes around it: regexec reads the value's length, not up to a NUL.
TEST(ValuePatterns, AValueWithNulIsMatchedWhole) {
  EXPECT_TRUE(matchesPatterns(typeWith("a.b"), std::string("a\0b", 3)));
  EXPECT_FALSE(matchesPatterns(typeWith("a"), std::string("a\0b", 3)));
  EXPECT_TRUE(matchesPatterns(typeWith("[^x]"), std::string("\0", 1)));
  EXPECT_TRUE(matchesPatterns(typeWith("[\\s\\S]*"), std::string("\0\n\xff", 3)));
  EXPECT_FALSE(matchesPatterns(typeWith("[a-z]"), std::string("\0", 1)));
}

// What cannot be translated faithfully is refused, and the type's patterns are then not
// checked at all (a warning names the parameter): what the daemon did for the patterns
// std::regex could not compile. For those the translation must refuse too, or a value
// accepted before would be refused now.
TEST(ValuePatterns, WhatStdRegexCouldNotCompileIsRefusedAndLeavesTheValueUnchecked) {
  for (const char* p :
       {"\\p{L}+", "\\P{Nd}", "\\c", "a{,3}", "a{3", "a{3,1}", "\\1", "(a)\\2", "[\\d-z]",
        "[a-\\w]", "[z-a]", "(a", "a)", "[a", "a\\", "(?:a)(", "a{2,3"}) {
    SCOPED_TRACE(p);
    EXPECT_THROW(std::regex(p, std::regex::ECMAScript), std::regex_error);
    std::string ere, why;
    EXPECT_FALSE(posixPattern(p, ere, why)) << "translated to " << ere;
    EXPECT_FALSE(why.empty());
    TypeSpec t;
    t.patterns = {"[0-9]+", p};  // one refused pattern: none of the type's is checked
    testing::internal::CaptureStderr();
    compilePatterns(t, "Device.X_Test.Value");
    const std::string log = testing::internal::GetCapturedStderr();
    EXPECT_NE(log.find("Device.X_Test.Value: pattern '" + std::string(p) + "' not checked"),
              std::string::npos)
        << log;
    std::string canonical;
    EXPECT_TRUE(checkValue(t, "not a number", canonical, why)) << why;
  }
}

// XML Schema constructs std::regex compiled with another meaning, and ECMAScript syntax
// that is not XML Schema's: refused (before, the first kind checked values against a
// reading the model's author did not mean).
TEST(ValuePatterns, ConstructsXmlSchemaAndEcmaScriptReadDifferentlyAreRefused) {
  for (const char* p : {
           "\\i\\c*",        // XML name characters; std::regex: the letters i and c
           "[a-z-[aeiou]]",  // subtraction; std::regex: [a-z\-\[aeiou] then ']'
           "^[0-9]+$",
           "a^b",
           "a$",  // anchors to ECMAScript, characters to XML Schema
           "(?:ab)+",
           "(?=a)a",
           "\\bab",
           "\\x41",
           "\\u0041",
           "\\$",
           "\\/",
           "\\f",  // not XML Schema
           "[]",
           "[^]",
           "[[:alpha:]]",
           "[a[]",
           "[a-c-e]",
           "a**",
           "a+*",
           "a{2}{3}",
           "a??+",
           "}",
           "a]",
           "{1}",
           "*a",
           "|*",
       }) {
    SCOPED_TRACE(p);
    std::string ere, why;
    EXPECT_FALSE(posixPattern(p, ere, why)) << "translated to " << ere;
    EXPECT_FALSE(why.empty());
  }
  std::string ere, why;
  ASSERT_FALSE(posixPattern("\\i", ere, why));
  EXPECT_NE(why.find("XML Schema's"), std::string::npos) << why;
  ASSERT_FALSE(posixPattern("[a-z-[aeiou]]", ere, why));
  EXPECT_NE(why.find("subtraction"), std::string::npos) << why;
}

// Where XML Schema means something else by the same escape, ECMAScript's meaning stays
// (values.cpp lists them): \w takes '_' and not '$', \d only ASCII digits, counts of '.'
// count bytes.
TEST(ValuePatterns, EscapesKeepTheirEcmaScriptMeaning) {
  EXPECT_TRUE(matchesPatterns(typeWith("\\w+"), "a_1"));
  EXPECT_FALSE(matchesPatterns(typeWith("\\w"), "$"));
  EXPECT_FALSE(matchesPatterns(typeWith("\\d"), "\xd9\xa3"));  // ARABIC-INDIC DIGIT THREE
  EXPECT_TRUE(matchesPatterns(typeWith("\\s"), "\v"));
  EXPECT_FALSE(matchesPatterns(typeWith(".{2}"), "\xc3\xa9x"));  // 2 characters, 3 bytes
  EXPECT_TRUE(matchesPatterns(typeWith(".{3}"), "\xc3\xa9x"));
  EXPECT_FALSE(matchesPatterns(typeWith("."), "\n"));
  EXPECT_FALSE(matchesPatterns(typeWith("a.b"), "a\rb"));
}

// The translation is what checkValue applies: a value a model's pattern refuses is refused
// with the pattern's reason, any one of several patterns may match, and a list checks each
// item.
TEST(ValuePatterns, CheckValueRefusesAValueNoPatternMatches) {
  TypeSpec t;
  t.patterns = {"[0-9A-F]{6}", "X [0-9A-F]{6} .*"};
  compilePatterns(t);
  std::string canonical, why;
  EXPECT_TRUE(checkValue(t, "00D09E", canonical, why)) << why;
  EXPECT_EQ(canonical, "00D09E");
  EXPECT_TRUE(checkValue(t, "X 00D09E vendor", canonical, why)) << why;
  EXPECT_FALSE(checkValue(t, "00d09e", canonical, why));
  EXPECT_EQ(why, "does not match the required pattern");
  EXPECT_FALSE(checkValue(t, "00D09E ", canonical, why));  // anchored at both ends
  EXPECT_FALSE(checkValue(t, " 00D09E", canonical, why));
  t.list = true;
  EXPECT_TRUE(checkValue(t, "00D09E, 0A0B0C", canonical, why)) << why;
  EXPECT_FALSE(checkValue(t, "00D09E,0a0b0c", canonical, why));
  EXPECT_NE(why.find("0a0b0c"), std::string::npos) << why;
}

}  // namespace
