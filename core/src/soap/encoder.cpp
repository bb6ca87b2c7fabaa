#include "cwmpd/core/soap/encoder.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace cwmpd::core::soap {
namespace {

// Bytes that can be copied as they are: printable ASCII other than the markup
// characters, plus tab and line feed. Everything else takes the slow path.
constexpr std::array<bool, 256> makePlainTable() {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x80; ++c) t[c] = true;
  t['&'] = t['<'] = t['>'] = t['"'] = false;
  t['\t'] = t['\n'] = true;
  return t;
}
constexpr std::array<bool, 256> kPlain = makePlainTable();

#if defined(__SSE2__)
// One bit per byte of v that needs a look: below 0x20 or from 0x80 on (negative as a signed
// char), or a markup character. Tab and line feed are set too; the byte loop lets them pass.
unsigned stopMask(__m128i v) {
  __m128i stop = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
  stop = _mm_or_si128(stop, _mm_cmpeq_epi8(v, _mm_set1_epi8('&')));
  stop = _mm_or_si128(stop, _mm_cmpeq_epi8(v, _mm_set1_epi8('<')));
  stop = _mm_or_si128(stop, _mm_cmpeq_epi8(v, _mm_set1_epi8('>')));
  stop = _mm_or_si128(stop, _mm_cmpeq_epi8(v, _mm_set1_epi8('"')));
  return static_cast<unsigned>(_mm_movemask_epi8(stop));
}

template <class Word>
Word load(const unsigned char* p) {
  Word w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// Where the first byte of p[0..n) that needs a look is, or n: 16 bytes at a time, and the
// rest (or a string shorter than 16 bytes, as most values and types are) in one more
// check of loads that overlap what was checked, never past the end. The bytes an
// overlapping load sees twice were found plain the first time, so the first bit set is
// still the first byte to look at.
std::size_t firstStop(const unsigned char* p, std::size_t n) {
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    if (const unsigned m = stopMask(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i))))
      return i + static_cast<std::size_t>(__builtin_ctz(m));
  }
  if (i == n) return n;
  if (n >= 16) {
    const unsigned m = stopMask(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + n - 16)));
    return m == 0 ? n : n - 16 + static_cast<std::size_t>(__builtin_ctz(m));
  }
  if (n >= 8) {
    const unsigned m =
        stopMask(_mm_set_epi64x(static_cast<long long>(load<std::uint64_t>(p + n - 8)),
                                static_cast<long long>(load<std::uint64_t>(p))));
    if (m == 0) return n;
    return (m & 0xFFu) != 0 ? static_cast<std::size_t>(__builtin_ctz(m))
                            : n - 8 + static_cast<std::size_t>(__builtin_ctz(m >> 8));
  }
  if (n >= 4) {
    // Lanes 8 to 15 are zero (below 0x20): only the low 8 bits count.
    const unsigned m =
        stopMask(_mm_set_epi32(0, 0, static_cast<int>(load<std::uint32_t>(p + n - 4)),
                               static_cast<int>(load<std::uint32_t>(p)))) &
        0xFFu;
    if (m == 0) return n;
    return (m & 0xFu) != 0 ? static_cast<std::size_t>(__builtin_ctz(m))
                           : n - 4 + static_cast<std::size_t>(__builtin_ctz(m >> 4));
  }
  return 0;  // one to three bytes: the byte loop
}
#endif

// How many bytes at the start of p[0..n) are plain. Names and values are almost always
// plain from end to end, and a whole-tree answer escapes ~3 MB of them: where the CPU
// has SSE2 (every x86-64), 16 bytes are checked at once (firstStop); the byte loop then
// decides from the first byte that needs a look (tab and line feed are plain).
std::size_t plainRun(const unsigned char* p, std::size_t n) {
  std::size_t i = 0;
#if defined(__SSE2__)
  i = firstStop(p, n);
#endif
  while (i < n && kPlain[p[i]]) ++i;
  return i;
}

// Length of the valid UTF-8 sequence at p (n bytes left) that XML 1.0 allows, or 0.
std::size_t validUtf8Length(const unsigned char* p, std::size_t n) {
  const unsigned char c = p[0];
  std::size_t len;
  std::uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
    cp = c & 0x1Fu;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    cp = c & 0x0Fu;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    cp = c & 0x07u;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    if ((p[k] & 0xC0u) != 0x80u) return 0;
    cp = (cp << 6) | (p[k] & 0x3Fu);
  }
  const bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
  const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
  if (overlong || surrogate || cp > 0x10FFFF || cp == 0xFFFE || cp == 0xFFFF) return 0;
  return len;
}

}  // namespace

void appendEscaped(std::string& out, std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    const std::size_t start = i;
    i += plainRun(p + i, n - i);
    out.append(text.data() + start, i - start);
    if (i >= n) break;
    const unsigned char c = p[i];
    switch (c) {
      case '&':
        out += "&amp;";
        ++i;
        continue;
      case '<':
        out += "&lt;";
        ++i;
        continue;
      case '>':
        out += "&gt;";
        ++i;
        continue;
      case '"':
        out += "&quot;";
        ++i;
        continue;
      case '\r':
        out += "&#xD;";
        ++i;
        continue;  // survives end-of-line normalisation
      default: break;
    }
    if (c < 0x80) {  // a control character XML 1.0 cannot carry at all
      ++i;
      continue;
    }
    if (const std::size_t len = validUtf8Length(p + i, n - i); len != 0) {
      out.append(text.data() + i, len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++i;
    }
  }
}

namespace {
bool plain(std::string_view s) {
  return plainRun(reinterpret_cast<const unsigned char*>(s.data()), s.size()) == s.size();
}
// An empty view may hold no pointer at all (the object part of a name given whole), and
// memcpy's source must not be null even for no bytes.
char* put(char* p, std::string_view s) {
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

constexpr std::string_view kValueOpen = "<ParameterValueStruct><Name>";
constexpr std::string_view kUntyped = "</Name><Value>";
constexpr std::string_view kTyped = "</Name><Value xsi:type=\"";
constexpr std::string_view kValueClose = "</Value></ParameterValueStruct>";
constexpr std::string_view kInfoOpen = "<ParameterInfoStruct><Name>";
constexpr std::string_view kWritable = "</Name><Writable>1</Writable></ParameterInfoStruct>";
constexpr std::string_view kReadOnly = "</Name><Writable>0</Writable></ParameterInfoStruct>";

// A ParameterValueStruct of the name object + leaf with nothing to escape: its length is
// known, and it is written in one piece instead of seven appends.
std::size_t valueStructSize(std::size_t name, std::string_view xsdType, std::size_t value) {
  const std::size_t typed = xsdType.empty() ? kUntyped.size() : kTyped.size() + xsdType.size() + 2;
  return kValueOpen.size() + name + typed + value + kValueClose.size();
}
void plainValueStruct(char* p, std::string_view object, std::string_view leaf,
                      std::string_view xsdType, std::string_view value) {
  p = put(put(put(p, kValueOpen), object), leaf);
  if (xsdType.empty()) {
    p = put(p, kUntyped);
  } else {
    p = put(put(put(p, kTyped), xsdType), "\">");
  }
  put(put(p, value), kValueClose);
}

static_assert(kWritable.size() == kReadOnly.size());
std::size_t infoStructSize(std::size_t name) {
  return kInfoOpen.size() + name + kWritable.size();  // kReadOnly's size too
}
void plainInfoStruct(char* p, std::string_view object, std::string_view leaf, bool writable) {
  put(put(put(put(p, kInfoOpen), object), leaf), writable ? kWritable : kReadOnly);
}

// Room for `n` more bytes at the end of `out`.
char* grow(std::string& out, std::size_t n) {
  const std::size_t at = out.size();
  out.resize(at + n);
  return out.data() + at;
}

}  // namespace

void appendParameterValueStruct(std::string& out, std::string_view name, std::string_view xsdType,
                                std::string_view value) {
  if (plain(name) && plain(value) && plain(xsdType)) {
    // Nothing to escape (nearly every struct of an answer).
    plainValueStruct(grow(out, valueStructSize(name.size(), xsdType, value.size())), name, {},
                     xsdType, value);
    return;
  }
  out.append(kValueOpen);
  appendEscaped(out, name);
  if (xsdType.empty()) {
    out.append(kUntyped);
  } else {
    out.append(kTyped);
    appendEscaped(out, xsdType);
    out.append("\">", 2);
  }
  appendEscaped(out, value);
  out.append(kValueClose);
}

void appendParameterInfoStruct(std::string& out, std::string_view name, bool writable) {
  if (plain(name)) {
    plainInfoStruct(grow(out, infoStructSize(name.size())), name, {}, writable);
    return;
  }
  out.append(kInfoOpen);
  appendEscaped(out, name);
  out.append(writable ? kWritable : kReadOnly);
}

bool ListWriter::plainObject(std::string_view object) {
  if (object.data() != object_.data() || object.size() != object_.size()) {
    object_ = object;
    objectPlain_ = plain(object);
  }
  return objectPlain_;
}

std::string_view ListWriter::whole(std::string_view object, std::string_view leaf) {
  name_.assign(object);
  name_ += leaf;
  return name_;
}

void ListWriter::makeRoom(std::size_t n) {
  // A stretch ahead, within the capacity reserved when there is some left; past it,
  // std::string's own growth. Small enough that its zero fill is a few vector stores
  // (glibc's memset takes `rep stosb` from 2 KB on).
  constexpr std::size_t kStretch = 1536;
  if (!ahead_) {  // finished: `out` may have been written on since
    end_ = out_.size();
    ahead_ = true;
  }
  if (out_.size() - end_ >= n) return;
  std::size_t size = end_ + n + kStretch;
  if (end_ + n <= out_.capacity()) size = std::min(size, out_.capacity());
  out_.resize(size);
}

void ListWriter::value(std::string_view object, std::string_view leaf, std::string_view plainType,
                       std::string_view value) {
  if (plainObject(object) && plain(leaf) && plain(value)) {
    const std::size_t n = valueStructSize(object.size() + leaf.size(), plainType, value.size());
    plainValueStruct(room(n), object, leaf, plainType, value);
    end_ += n;
    return;
  }
  finish();
  appendParameterValueStruct(out_, whole(object, leaf), plainType, value);
  end_ = out_.size();
}

void ListWriter::info(std::string_view object, std::string_view leaf, bool writable) {
  if (plainObject(object) && plain(leaf)) {
    const std::size_t n = infoStructSize(object.size() + leaf.size());
    plainInfoStruct(room(n), object, leaf, writable);
    end_ += n;
    return;
  }
  finish();
  appendParameterInfoStruct(out_, whole(object, leaf), writable);
  end_ = out_.size();
}

std::string encode(Envelope&& envelope) {
  std::string* list = nullptr;
  if (auto* r = std::get_if<GetParameterValuesResponse>(&envelope.body)) list = &r->encoded;
  if (auto* r = std::get_if<GetParameterNamesResponse>(&envelope.body)) list = &r->encoded;
  if (list == nullptr || list->empty()) return encode(std::as_const(envelope));
  // The envelope around a pre-encoded list is small: write it without the list, then put
  // it around the list's own buffer, so a megabyte answer is never copied into a second one.
  std::string big = std::move(*list);
  list->clear();
  const std::string frame = encode(std::as_const(envelope));
  const auto at = frame.rfind("</ParameterList>");
  big.insert(0, frame, 0, at);
  big.append(frame, at, std::string::npos);
  return big;
}

}  // namespace cwmpd::core::soap
