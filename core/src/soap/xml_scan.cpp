#include "soap/xml_scan.hpp"

#include <array>
#include <cstring>
#include <utility>

namespace cwmpd::core::soap::detail {

namespace {

enum : std::uint8_t {
  kNameStart = 1,  // A-Z a-z _ (a name never starts with ':' here)
  kName = 2,       // and 0-9 . - :
  kText = 4,       // character data as it stands: printable ASCII but < & ], tab, LF
  kValue = 8,      // an attribute value as it stands: printable ASCII but < & (and quotes)
  kSpace = 16,     // space, tab, LF (a CR is never accepted: line ends are normalised)
};

constexpr std::array<std::uint8_t, 256> makeClasses() {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0x20; c <= 0x7E; ++c) {
    if (c != '<' && c != '&') t[c] |= kValue;
    if (c != '<' && c != '&' && c != ']') t[c] |= kText;
  }
  t['\t'] |= kText | kSpace;
  t['\n'] |= kText | kSpace;
  t[' '] |= kSpace;
  for (int c = 'a'; c <= 'z'; ++c) t[c] |= kNameStart | kName;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] |= kNameStart | kName;
  t['_'] |= kNameStart | kName;
  for (int c = '0'; c <= '9'; ++c) t[c] |= kName;
  t['.'] |= kName;
  t['-'] |= kName;
  t[':'] |= kName;
  return t;
}

constexpr std::array<std::uint8_t, 256> kClasses = makeClasses();

bool is(char c, std::uint8_t cls) { return (kClasses[static_cast<unsigned char>(c)] & cls) != 0; }

// Pass 1: reads the whole document without building anything; false at the first thing
// outside the subset.
class Validator {
 public:
  Validator(std::string_view doc, std::size_t maxDepth)
      : begin_(doc.data()), p_(doc.data()), end_(doc.data() + doc.size()), maxDepth_(maxDepth) {}

  bool run() {
    if (startsWith("<?xml") && !declaration()) return false;
    spaces();
    if (!at('<') || p_ + 1 == end_ || !is(p_[1], kNameStart)) return false;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> open;  // offsets and lengths
    for (;;) {
      // p_ is at a '<'.
      if (p_ + 1 == end_) return false;
      if (p_[1] == '/') {
        p_ += 2;
        const auto [offset, length] = open.back();
        if (!sameName(begin_ + offset, length)) return false;
        spaces();
        if (!at('>')) return false;
        ++p_;
        open.pop_back();
        if (open.empty()) break;
      } else {
        const char* n = ++p_;
        if (!name()) return false;
        const auto length = static_cast<std::uint32_t>(p_ - n);
        bool empty = false;
        if (!attributes(empty)) return false;
        if (!empty) {
          // The Handler refuses the element at depth maxDepth + 1 itself; deeper than that,
          // Xerces reads the document (and the Handler refuses it the same way).
          if (open.size() > maxDepth_) return false;
          open.emplace_back(static_cast<std::uint32_t>(n - begin_), length);
        } else if (open.empty()) {
          break;
        }
      }
      if (!text()) return false;
    }
    spaces();
    return p_ == end_;
  }

 private:
  [[nodiscard]] bool at(char c) const { return p_ != end_ && *p_ == c; }
  [[nodiscard]] bool startsWith(std::string_view s) const {
    return static_cast<std::size_t>(end_ - p_) >= s.size() &&
           std::memcmp(p_, s.data(), s.size()) == 0;
  }
  // Skips S; true when there was any.
  bool spaces() {
    const char* from = p_;
    while (p_ != end_ && is(*p_, kSpace)) ++p_;
    return p_ != from;
  }

  // A name of the conservative set: [A-Za-z_][A-Za-z0-9._:-]*, with at most one colon,
  // not at its end.
  bool name() {
    if (p_ == end_ || !is(*p_, kNameStart)) return false;
    unsigned colons = 0;
    p_ += scan::nameRun(p_, end_, colons);
    return colons <= 1 && p_[-1] != ':';
  }

  // The end tag's name at p_ is `length` bytes at `open` (a name read before): p_ moves
  // past it.
  bool sameName(const char* open, std::size_t length) {
    if (static_cast<std::size_t>(end_ - p_) <= length) return false;
    std::size_t i = 0;
    for (; i + 8 <= length; i += 8) {
      std::uint64_t a = 0;
      std::uint64_t b = 0;
      std::memcpy(&a, open + i, 8);
      std::memcpy(&b, p_ + i, 8);
      if (a != b) return false;
    }
    for (; i < length; ++i) {
      if (open[i] != p_[i]) return false;
    }
    if (is(p_[length], kName)) return false;  // a longer name
    p_ += length;
    return true;
  }

  // <?xml version="1.0" (encoding="UTF-8")? (standalone="yes|no")? ?> at offset 0.
  bool declaration() {
    p_ += 5;
    if (!spaces()) return false;
    if (!pseudoAttribute("version", [](std::string_view v) { return v == "1.0"; })) return false;
    bool space = spaces();
    if (space && startsWith("encoding")) {
      if (!pseudoAttribute("encoding", [](std::string_view v) {
            return v.size() == 5 && (v[0] | 0x20) == 'u' && (v[1] | 0x20) == 't' &&
                   (v[2] | 0x20) == 'f' && v[3] == '-' && v[4] == '8';
          })) {
        return false;
      }
      space = spaces();
    }
    if (space && startsWith("standalone")) {
      if (!pseudoAttribute("standalone",
                           [](std::string_view v) { return v == "yes" || v == "no"; })) {
        return false;
      }
      spaces();
    }
    if (!startsWith("?>")) return false;
    p_ += 2;
    return true;
  }

  // S? '=' S? and the opening quote of a value (out: which one).
  bool equalsQuote(char& quote) {
    spaces();
    if (!at('=')) return false;
    ++p_;
    spaces();
    if (!at('"') && !at('\'')) return false;
    quote = *p_++;
    return true;
  }

  template <class Accept>
  bool pseudoAttribute(std::string_view key, Accept accept) {
    if (!startsWith(key)) return false;
    p_ += key.size();
    char quote = 0;
    if (!equalsQuote(quote)) return false;
    const char* v = p_;
    while (p_ != end_ && *p_ != quote && is(*p_, kName)) ++p_;
    if (!at(quote)) return false;
    const std::string_view value(v, static_cast<std::size_t>(p_ - v));
    ++p_;
    return accept(value);
  }

  // The attributes of a start tag up to its '>' or '/>' (empty: the latter).
  bool attributes(bool& empty) {
    std::size_t count = 0;
    for (;;) {
      const bool space = spaces();
      if (p_ == end_) return false;
      if (*p_ == '>') {
        ++p_;
        return true;
      }
      if (*p_ == '/') {
        if (p_ + 1 == end_ || p_[1] != '>') return false;
        p_ += 2;
        empty = true;
        return true;
      }
      if (!space) return false;
      const char* n = p_;
      if (!name()) return false;
      const std::string_view attribute(n, static_cast<std::size_t>(p_ - n));
      if (count == seen_.size()) return false;
      for (std::size_t i = 0; i < count; ++i) {
        if (seen_[i] == attribute) return false;
      }
      seen_[count++] = attribute;
      char quote = 0;
      if (!equalsQuote(quote)) return false;
      for (;;) {
        if (p_ == end_) return false;
        const char c = *p_;
        if (c == quote) break;
        if (c == '&') {
          if (!reference()) return false;
        } else if (is(c, kValue)) {
          ++p_;
        } else {
          return false;  // <, a tab, LF or CR (normalised to spaces), a control character
        }
      }
      ++p_;
    }
  }

  // Character data up to the next '<'.
  bool text() {
    for (;;) {
      skipText();
      if (p_ == end_) return false;
      const char c = *p_;
      if (c == '<') return true;
      if (c == '&') {
        if (!reference()) return false;
      } else if (c == ']') {
        if (end_ - p_ >= 3 && p_[1] == ']' && p_[2] == '>') return false;
        ++p_;
      } else if (c == '\t' || c == '\n') {
        ++p_;
      } else {
        return false;  // a CR, a control character, DEL
      }
    }
  }

  // Skips the plain printable characters at p_.
  void skipText() {
#if defined(__SSE2__)
    // 16 at a time while none is below ' ' (nor above '~': signed, they are negative),
    // DEL, '<', '&' or ']'.
    const __m128i space = _mm_set1_epi8(' ');
    const __m128i del = _mm_set1_epi8(0x7F);
    const __m128i lt = _mm_set1_epi8('<');
    const __m128i amp = _mm_set1_epi8('&');
    const __m128i bracket = _mm_set1_epi8(']');
    while (end_ - p_ >= 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p_));
      __m128i stop = _mm_cmplt_epi8(v, space);
      stop = _mm_or_si128(stop, _mm_cmpeq_epi8(v, del));
      stop = _mm_or_si128(stop, _mm_cmpeq_epi8(v, lt));
      stop = _mm_or_si128(stop, _mm_cmpeq_epi8(v, amp));
      stop = _mm_or_si128(stop, _mm_cmpeq_epi8(v, bracket));
      const int mask = _mm_movemask_epi8(stop);
      if (mask != 0) {
        p_ += __builtin_ctz(static_cast<unsigned>(mask));
        return;
      }
      p_ += 16;
    }
#endif
    while (p_ != end_ && is(*p_, kText) && *p_ != '\t' && *p_ != '\n') ++p_;
  }

  // &lt; &gt; &amp; &quot; &apos;, or a character reference to a tab, an LF or a printable
  // ASCII character.
  bool reference() {
    ++p_;
    if (at('#')) {
      ++p_;
      unsigned v = 0;
      int digits = 0;
      if (at('x')) {
        for (++p_; p_ != end_; ++p_) {
          const char d = *p_;
          unsigned digit = 0;
          if (d >= '0' && d <= '9') {
            digit = static_cast<unsigned>(d - '0');
          } else if ((d | 0x20) >= 'a' && (d | 0x20) <= 'f') {
            digit = static_cast<unsigned>((d | 0x20) - 'a' + 10);
          } else {
            break;
          }
          if (++digits > 6) return false;
          v = v * 16 + digit;
        }
      } else {
        for (; p_ != end_ && *p_ >= '0' && *p_ <= '9'; ++p_) {
          if (++digits > 7) return false;
          v = v * 10 + static_cast<unsigned>(*p_ - '0');
        }
      }
      if (digits == 0 || !at(';')) return false;
      ++p_;
      return v == '\t' || v == '\n' || (v >= 0x20 && v <= 0x7E);
    }
    for (const std::string_view known : {"lt;", "gt;", "amp;", "quot;", "apos;"}) {
      if (startsWith(known)) {
        p_ += known.size();
        return true;
      }
    }
    return false;
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  std::size_t maxDepth_;
  // The attribute names of the start tag being read, to refuse a duplicate.
  std::array<std::string_view, 16> seen_{};
};

}  // namespace

bool scannable(std::string_view doc, std::size_t maxDepth) {
  return Validator(doc, maxDepth).run();
}

}  // namespace cwmpd::core::soap::detail
