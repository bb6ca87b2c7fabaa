// The byte scanner: a fast front end to the tree's Handler for the plain XML that nearly
// every ACS sends, with Xerces-C staying the reference for everything else (issue 15: the
// Xerces scanner was three quarters of the parse of a megabyte name list).
//
// It works in two passes over the message. scannable() is a pure validator: it accepts
// only a strict subset of XML that Xerces certainly accepts and reports with the very same
// SAX events (ASCII; an optional strict XML declaration; one root element; start tags,
// end tags and empty-element tags with quoted attributes; text of printable characters,
// tab and LF; the five predefined entities and character references to those same
// characters). Anything else (a comment, a PI, CDATA, a DOCTYPE, a CR, a control
// character, any other reference, a duplicate attribute, a literal tab or LF in an
// attribute value, a colon at the start or end of a name or twice in it, nesting beyond
// the depth limit, a truncated or malformed document) is refused, and the message goes to
// Xerces as before, with Xerces' own errors. Only when the whole message passes does
// scan() walk it again and hand the events to the Handler: so no event is ever emitted
// for a message that Xerces would have rejected later on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace cwmpd::core::soap::detail {

// One attribute of a start tag, in UTF-8, as the Handler receives it.
struct Attr {
  std::string_view qname;
  std::string_view value;
};
using Attrs = std::span<const Attr>;

// Whether `doc` (already known to be ASCII with no declared encoding but UTF-8) is in the
// subset described above, with elements nested at most `maxDepth` + 1 deep (the Handler
// refuses the element below the limit itself, as it does under Xerces).
[[nodiscard]] bool scannable(std::string_view doc, std::size_t maxDepth);

namespace scan {

// The first '<' or '&' at or after p (end if none).
inline const char* findMarkup(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i lt = _mm_set1_epi8('<');
  const __m128i amp = _mm_set1_epi8('&');
  for (; end - p >= 16; p += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const int mask = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, lt), _mm_cmpeq_epi8(v, amp)));
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
  }
#endif
  while (p != end && *p != '<' && *p != '&') ++p;
  return p;
}

inline bool isNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.' || c == ':';
}

// 0, 1 or 2 (two or more) for the bits of a mask of colons.
inline unsigned countColons(unsigned mask) {
  if (mask == 0) return 0;
  return (mask & (mask - 1)) == 0 ? 1 : 2;
}

// The length of the run of name characters ([A-Za-z0-9._:-]) at p (before end), and how
// many of them are colons. Tag names are most of a large list's markup ("ParameterValueStruct"
// four times an item): 16 at a time.
// Colons: 0, 1, or 2 for "more than one".
[[gnu::always_inline]] inline std::size_t nameRun(const char* p, const char* end,
                                                  unsigned& colons) {
  std::size_t n = 0;
  colons = 0;
#if defined(__SSE2__)
  const __m128i caseBit = _mm_set1_epi8(0x20);
  const __m128i beforeA = _mm_set1_epi8('a' - 1);
  const __m128i afterZ = _mm_set1_epi8('z' + 1);
  const __m128i before0 = _mm_set1_epi8('0' - 1);
  const __m128i after9 = _mm_set1_epi8('9' + 1);
  const __m128i colon = _mm_set1_epi8(':');
  while (end - p - static_cast<std::ptrdiff_t>(n) >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + n));
    const __m128i lower = _mm_or_si128(v, caseBit);  // A-Z to a-z; nothing else lands there
    const __m128i alpha =
        _mm_and_si128(_mm_cmpgt_epi8(lower, beforeA), _mm_cmplt_epi8(lower, afterZ));
    const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, before0), _mm_cmplt_epi8(v, after9));
    const __m128i colons16 = _mm_cmpeq_epi8(v, colon);
    const __m128i punct = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('_')), _mm_cmpeq_epi8(v, _mm_set1_epi8('-'))),
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('.')), colons16));
    const auto mask =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(alpha, digit), punct)));
    const auto colonMask = static_cast<unsigned>(_mm_movemask_epi8(colons16));
    if (mask != 0xFFFF) {
      const auto length = static_cast<unsigned>(__builtin_ctz(~mask));
      colons += countColons(colonMask & ((1U << length) - 1));
      return n + length;
    }
    colons += countColons(colonMask);
    n += 16;
  }
#endif
  for (; p + n != end && isNameChar(p[n]); ++n) colons += p[n] == ':' ? 1 : 0;
  return n;
}

inline bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n'; }

// The character a reference stands for; `p` is at its '&' and moves past its ';'. Only
// for a document scannable() accepted.
inline char reference(const char*& p) {
  ++p;
  char c = 0;
  if (*p == '#') {
    ++p;
    unsigned v = 0;
    if (*p == 'x') {
      for (++p; *p != ';'; ++p) {
        const char d = *p;
        v = v * 16 + static_cast<unsigned>(d <= '9' ? d - '0' : (d | 0x20) - 'a' + 10);
      }
    } else {
      for (; *p != ';'; ++p) v = v * 10 + static_cast<unsigned>(*p - '0');
    }
    c = static_cast<char>(v);
  } else if (p[0] == 'l') {
    c = '<';
  } else if (p[0] == 'g') {
    c = '>';
  } else if (p[1] == 'm') {
    c = '&';
  } else if (p[0] == 'q') {
    c = '"';
  } else {
    c = '\'';
  }
  while (*p != ';') ++p;
  ++p;
  return c;
}

}  // namespace scan

// The second pass over a document scannable() accepted: the events Xerces would report,
// in its order. `events` has start(qname, Attrs), end(), characters(text) (in any
// chunks) and advanced(offset) (everything before offset has been reported and is not
// read again).
class Scanner {
 public:
  template <class Events>
  void scan(std::string_view doc, Events& events) {
    const char* const begin = doc.data();
    const char* const end = begin + doc.size();
    end_ = end;
    const char* p = begin;
    if (doc.starts_with("<?xml")) p = begin + doc.find("?>") + 2;
    while (*p != '<') ++p;
    std::size_t depth = 0;
    for (;;) {
      // p is at a '<'.
      if (p[1] == '/') {
        unsigned colons = 0;
        p += 2;
        p += scan::nameRun(p, end, colons);
        while (*p != '>') ++p;
        ++p;
        events.end();
        events.advanced(static_cast<std::size_t>(p - begin));
        if (--depth == 0) return;
      } else {
        const bool empty = startTag(p);
        events.start(qname_, Attrs(attrs_));
        if (empty) {
          events.end();
          events.advanced(static_cast<std::size_t>(p - begin));
          if (depth == 0) return;
        } else {
          ++depth;
        }
      }
      // Character data up to the next tag.
      for (;;) {
        const char* q = scan::findMarkup(p, end);
        if (q != p) events.characters(std::string_view(p, static_cast<std::size_t>(q - p)));
        p = q;
        if (*p == '<') break;
        const char c = scan::reference(p);
        events.characters(std::string_view(&c, 1));
      }
    }
  }

 private:
  // Reads the start tag at p into qname_ and attrs_; p moves past it. True for an
  // empty-element tag.
  bool startTag(const char*& p) {
    unsigned colons = 0;
    const char* n = ++p;
    p += scan::nameRun(p, end_, colons);
    qname_ = std::string_view(n, static_cast<std::size_t>(p - n));
    attrs_.clear();
    decoded_.clear();
    decodedAt_.clear();
    for (;;) {
      while (scan::isSpace(*p)) ++p;
      if (*p == '>') {
        ++p;
        break;
      }
      if (*p == '/') {
        p += 2;
        finishAttributes();
        return true;
      }
      n = p;
      p += scan::nameRun(p, end_, colons);
      const std::string_view name(n, static_cast<std::size_t>(p - n));
      while (*p != '"' && *p != '\'') ++p;
      const char quote = *p++;
      const char* v = p;
      while (*p != quote && *p != '&') ++p;
      if (*p == quote) {
        attrs_.push_back({name, std::string_view(v, static_cast<std::size_t>(p - v))});
        ++p;
        continue;
      }
      // A value with references: decoded into decoded_, its view set once the tag is read
      // (decoded_ may grow meanwhile).
      const std::size_t from = decoded_.size();
      decoded_.append(v, static_cast<std::size_t>(p - v));
      while (*p != quote) {
        if (*p == '&') {
          decoded_ += scan::reference(p);
        } else {
          decoded_ += *p++;
        }
      }
      ++p;
      decodedAt_.push_back({attrs_.size(), from, decoded_.size() - from});
      attrs_.push_back({name, {}});
    }
    finishAttributes();
    return false;
  }

  void finishAttributes() {
    for (const Decoded& d : decodedAt_) {
      attrs_[d.attr].value = std::string_view(decoded_).substr(d.offset, d.length);
    }
  }

  struct Decoded {
    std::size_t attr;
    std::size_t offset;
    std::size_t length;
  };
  const char* end_ = nullptr;
  std::string_view qname_;
  std::vector<Attr> attrs_;
  std::string decoded_;
  std::vector<Decoded> decodedAt_;
};

}  // namespace cwmpd::core::soap::detail
