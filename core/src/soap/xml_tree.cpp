#include "soap/xml_tree.hpp"

#include "soap/xml_scan.hpp"

#include <xercesc/sax/InputSource.hpp>
#include <xercesc/util/BinInputStream.hpp>
#include <xercesc/sax/SAXParseException.hpp>
#include <xercesc/sax2/Attributes.hpp>
#include <xercesc/sax2/DefaultHandler.hpp>
#include <xercesc/sax2/SAX2XMLReader.hpp>
#include <xercesc/sax2/XMLReaderFactory.hpp>
#include <xercesc/util/PlatformUtils.hpp>
#include <xercesc/util/SecurityManager.hpp>
#include <xercesc/util/TransENameMap.hpp>
#include <xercesc/util/TransService.hpp>
#include <xercesc/util/TranscodingException.hpp>
#include <xercesc/util/XMLExceptMsgs.hpp>
#include <xercesc/util/XMLException.hpp>
#include <xercesc/util/XMLUni.hpp>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>

namespace cwmpd::core::soap::detail {

namespace x = XERCES_CPP_NAMESPACE;

namespace {

constexpr std::string_view kSoapEnvUri = "http://schemas.xmlsoap.org/soap/envelope/";
constexpr std::string_view kCwmpUriPrefix = "urn:dslforum-org:cwmp-1-";
constexpr std::string_view kXsdUri = "http://www.w3.org/2001/XMLSchema";
constexpr std::string_view kXsiUri = "http://www.w3.org/2001/XMLSchema-instance";

std::u16string_view view(const XMLCh* s) {
  return s == nullptr ? std::u16string_view{} : std::u16string_view(s);
}

// Narrows the ASCII prefix of s[0, n) into p; returns its length. CWMP text is almost
// always ASCII (names, numbers, addresses): this is the path a large message takes.
std::size_t narrowAscii(const XMLCh* s, std::size_t n, char* p) {
  std::size_t i = 0;
#if defined(__SSE2__)
  // 16 units at a time: all below 0x80, then packed to bytes.
  const __m128i high = _mm_set1_epi16(static_cast<short>(0xFF80));
  const __m128i zero = _mm_setzero_si128();
  for (; i + 16 <= n; i += 16) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i + 8));
    const __m128i any = _mm_and_si128(_mm_or_si128(a, b), high);
    if (_mm_movemask_epi8(_mm_cmpeq_epi16(any, zero)) != 0xFFFF) break;
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p + i), _mm_packus_epi16(a, b));
  }
#endif
  for (; i < n && s[i] < 0x80; ++i) p[i] = static_cast<char>(s[i]);
  return i;
}

// True when every byte is below 0x80.
bool isAscii(std::string_view s) {
  std::size_t i = 0;
#if defined(__SSE2__)
  __m128i any = _mm_setzero_si128();
  for (; i + 16 <= s.size(); i += 16) {
    any = _mm_or_si128(any, _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i)));
  }
  if (_mm_movemask_epi8(any) != 0) return false;
#endif
  for (; i < s.size(); ++i) {
    if (static_cast<unsigned char>(s[i]) >= 0x80) return false;
  }
  return true;
}

// An ASCII message whose XML declaration, if it has one, declares UTF-8 (any case) or no
// encoding: what nearly every ACS sends. The declaration must open the document (XML 1.0
// section 2.8); one elsewhere is an error the parser reports either way.
bool asciiUtf8(std::string_view payload) {
  if (!isAscii(payload)) return false;
  if (!payload.starts_with("<?xml")) return true;
  const std::string_view decl = payload.substr(0, payload.find("?>"));
  const auto at = decl.find("encoding");
  if (at == std::string_view::npos) return true;
  std::string_view rest = decl.substr(at + 8);
  const auto quote = rest.find_first_of("\"'");
  if (quote == std::string_view::npos) return false;
  const char mark = rest[quote];
  rest.remove_prefix(quote + 1);
  const std::string_view name = rest.substr(0, rest.find(mark));
  return name.size() == 5 && (name[0] | 0x20) == 'u' && (name[1] | 0x20) == 't' &&
         (name[2] | 0x20) == 'f' && name[3] == '-' && name[4] == '8';
}

// The encoding Xerces is told for such a message: ISO-8859-1 (every byte is the code
// point of the same value), by a transcoder of our own that widens 16 bytes at a time.
// Xerces' own Latin-1 transcoder goes byte by byte and was 6 M instructions of a 1.2 MB
// name list (issue 15). The name is ours, so no other document can select it.
constexpr XMLCh kWideLatin1[] = u"X-CWMPD-LATIN1";

class WideLatin1Transcoder final : public x::XMLTranscoder {
 public:
  WideLatin1Transcoder(const XMLCh* name, XMLSize_t blockSize, x::MemoryManager* manager)
      : x::XMLTranscoder(name, blockSize, manager) {}

  XMLSize_t transcodeFrom(const XMLByte* src, XMLSize_t srcCount, XMLCh* toFill, XMLSize_t maxChars,
                          XMLSize_t& bytesEaten, unsigned char* charSizes) override {
    const XMLSize_t n = std::min(srcCount, maxChars);
    XMLSize_t i = 0;
#if defined(__SSE2__)
    const __m128i zero = _mm_setzero_si128();
    for (; i + 16 <= n; i += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(toFill + i), _mm_unpacklo_epi8(v, zero));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(toFill + i + 8), _mm_unpackhi_epi8(v, zero));
    }
#endif
    for (; i < n; ++i) toFill[i] = src[i];
    std::memset(charSizes, 1, n);
    bytesEaten = n;
    return n;
  }

  // Back to bytes (Xerces does not write documents here; kept exact all the same).
  XMLSize_t transcodeTo(const XMLCh* src, XMLSize_t srcCount, XMLByte* toFill, XMLSize_t maxBytes,
                        XMLSize_t& charsEaten, UnRepOpts options) override {
    const XMLSize_t n = std::min(srcCount, maxBytes);
    for (XMLSize_t i = 0; i < n; ++i) {
      if (src[i] > 0xFF) {
        if (options == UnRep_Throw) {
          throw x::TranscodingException(__FILE__, __LINE__, x::XMLExcepts::Trans_Unrepresentable,
                                        getMemoryManager());
        }
        toFill[i] = '?';
      } else {
        toFill[i] = static_cast<XMLByte>(src[i]);
      }
    }
    charsEaten = n;
    return n;
  }

  bool canTranscodeTo(unsigned int toCheck) override { return toCheck <= 0xFF; }
};

class WideLatin1Mapping final : public x::ENameMap {
 public:
  WideLatin1Mapping() : x::ENameMap(kWideLatin1) {}
  x::XMLTranscoder* makeNew(XMLSize_t blockSize, x::MemoryManager* manager) const override {
    return new (manager) WideLatin1Transcoder(getKey(), blockSize, manager);
  }
};

// UTF-16 (what Xerces hands out) to UTF-8, appended to `out`. Unpaired surrogates
// cannot come out of a conforming parser; they become U+FFFD all the same.
void appendUtf8(std::string& out, const XMLCh* s, std::size_t n) {
  // The ASCII prefix first, sized for exactly that; then, from the first other unit on,
  // sized for the worst case once and written through a pointer: character data is the
  // bulk of a large message and push_back per byte showed in profiles.
  const std::size_t old = out.size();
  out.resize(old + n);
  const std::size_t ascii = narrowAscii(s, n, out.data() + old);
  if (ascii == n) return;
  out.resize(old + ascii + 3 * (n - ascii));
  char* p = out.data() + old + ascii;
  for (std::size_t i = ascii; i < n; ++i) {
    std::uint32_t c = s[i];
    if (c < 0x80) {
      *p++ = static_cast<char>(c);
      continue;
    }
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < n && s[i + 1] >= 0xDC00 && s[i + 1] <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10) + (static_cast<std::uint32_t>(s[i + 1]) - 0xDC00);
      ++i;  // two UTF-16 units give at most four bytes: still within 3 * n
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      c = 0xFFFD;
    }
    if (c < 0x800) {
      *p++ = static_cast<char>(0xC0 | (c >> 6));
      *p++ = static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      *p++ = static_cast<char>(0xE0 | (c >> 12));
      *p++ = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      *p++ = static_cast<char>(0x80 | (c & 0x3F));
    } else {
      *p++ = static_cast<char>(0xF0 | (c >> 18));
      *p++ = static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      *p++ = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      *p++ = static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  out.resize(static_cast<std::size_t>(p - out.data()));
}

std::string toUtf8(std::u16string_view s) {
  std::string out;
  appendUtf8(out, s.data(), s.size());
  return out;
}

// Xerces keeps global state; it is initialised once per process and never terminated
// (other users in the process may still need it at exit).
void ensureXercesInitialized() {
  static const bool initialized = [] {
    x::XMLPlatformUtils::Initialize();
    // Xerces owns the mapping from here on.
    x::XMLTransService::addEncoding(kWideLatin1, new WideLatin1Mapping);
    return true;
  }();
  (void)initialized;
}

std::optional<CwmpNamespace> cwmpFromUri(std::string_view uri) {
  if (uri.size() != kCwmpUriPrefix.size() + 1 || !uri.starts_with(kCwmpUriPrefix)) {
    return std::nullopt;
  }
  const char last = uri.back();
  if (last < '0' || last > '4') return std::nullopt;
  return static_cast<CwmpNamespace>(last - '0');
}

// Gives back the pages of the message's text already read, as the parse goes on, when
// `discard` says so (issue 15: the text of a megabyte request is not held while its answer
// is written). Neither front end reads a byte twice: Xerces keeps what it has read in its
// own buffer, the byte scanner only goes forward.
class PageDiscard {
 public:
  using Discard = std::function<bool()>;
  PageDiscard(std::string_view bytes, const Discard& discard) : bytes_(bytes), discard_(discard) {}

  // Everything before `pos` has been read.
  void read(std::size_t pos) {
    if (pos - discarded_ >= kStep && discard_ && discard_()) discardRead(pos);
  }

 private:
  // Given back a few times per megabyte: each is a system call (and a TLB flush on the
  // other CPUs that run this process).
  static constexpr std::size_t kStep = std::size_t{128} * 1024;

  // The whole pages of what was read and not yet given back: MADV_DONTNEED frees them at
  // once (they read as zeros afterwards); the partial pages at either end stay, as does
  // anything malloc keeps beside the text.
  void discardRead(std::size_t pos) {
#if defined(__linux__)
    static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    const auto base = reinterpret_cast<std::uintptr_t>(bytes_.data());
    const std::uintptr_t from = (base + discarded_ + page - 1) & ~(page - 1);
    const std::uintptr_t to = (base + pos) & ~(page - 1);
    if (to > from) {
      // NOLINTNEXTLINE(performance-no-int-to-ptr): the address of the caller's own text
      (void)::madvise(reinterpret_cast<void*>(from), to - from, MADV_DONTNEED);
      discarded_ = to - base;
    }
#else
    (void)pos;
#endif
  }

  std::string_view bytes_;
  const Discard& discard_;
  std::size_t discarded_ = 0;
};

// The message's bytes as Xerces reads them: in place, as MemBufInputSource reads them (a
// copy would be one more megabyte at the peak of a large request), the pages read given
// back as PageDiscard says.
class MessageStream final : public x::BinInputStream {
 public:
  using Discard = PageDiscard::Discard;
  MessageStream(std::string_view bytes, const Discard& discard)
      : bytes_(bytes), discard_(bytes, discard) {}

  XMLFilePos curPos() const override { return pos_; }
  XMLSize_t readBytes(XMLByte* const toFill, const XMLSize_t maxToRead) override {
    const std::size_t n = std::min<std::size_t>(maxToRead, bytes_.size() - pos_);
    std::memcpy(toFill, bytes_.data() + pos_, n);
    pos_ += n;
    discard_.read(pos_);
    return n;
  }
  const XMLCh* getContentType() const override { return nullptr; }

 private:
  std::string_view bytes_;
  PageDiscard discard_;
  std::size_t pos_ = 0;
};

class MessageSource final : public x::InputSource {
 public:
  MessageSource(std::string_view bytes, MessageStream::Discard discard)
      : x::InputSource("cwmp-message"), bytes_(bytes), discard_(std::move(discard)) {}
  x::BinInputStream* makeStream() const override { return new MessageStream(bytes_, discard_); }

 private:
  std::string_view bytes_;
  MessageStream::Discard discard_;
};

// Builds the tree from the events of a namespace-less SAX parse, in UTF-8: element starts
// (QName and attributes in document order), element ends, and character data in any
// chunks. The Xerces front end (XercesEvents) and the byte scanner call the same code, so
// that both give the same tree, the same NameSink calls and the same errors.
class Handler {
 public:
  explicit Handler(const DecodeLimits& limits) : limits_(limits) {}

  // Whether the request's list is being handed to the sink (NameSink::discardsRead may
  // be asked from then on).
  [[nodiscard]] bool streaming() const {
    return streamList_ != XmlNode::kNone || structList_ != XmlNode::kNone;
  }

  void reset(XmlTree& tree, bool namespaces, NameSink* sink) {
    tree_ = &tree;
    namespaces_ = namespaces;
    sink_ = namespaces ? sink : nullptr;
    streamList_ = XmlNode::kNone;
    structList_ = XmlNode::kNone;
    streamCounts_.clear();
    lastPlainItem_.clear();
    stack_.clear();
    bindings_.clear();
    // The caches of resolved names below hold interned names of the old tree: a new
    // generation makes them all stale.
    ++bindingsGeneration_;
    // Interned names point into the tree: forget them when the tree changes.
    for (auto& entry : recentNames_) entry = {};
  }

  // Xerces runs with namespaces off (its namespace processing cost about 15% of a large
  // decode); the handler resolves prefixes itself, with the same strictness: a prefix
  // must be bound and a name has at most one colon.
  void startElement(std::string_view qname, Attrs attrs) {
    if (stack_.size() >= limits_.maxDepth) {
      throw DecodeFailure{DecodeError::Kind::Refused, "element nesting deeper than the limit"};
    }
    if (!streamCounts_.empty() || (!stack_.empty() && stack_.back() == streamList_)) {
      return startStreamed(qname, attrs);
    }
    auto& nodes = tree_->nodes_;
    // An item of a streamed struct list: what it adds to the tree goes once it is read.
    if (!stack_.empty() && stack_.back() == structList_) itemArena_ = tree_->text_.size();
    if (!stack_.empty()) {
      XmlNode& parent = nodes[stack_.back()];
      if (++parent.childCount > limits_.maxArrayItems) {
        throw DecodeFailure{DecodeError::Kind::ResourcesExceeded,
                            "more child elements than the array limit"};
      }
      parent.textLength = 0;  // whitespace between child elements
    } else if (!nodes.empty()) {
      throw DecodeFailure{DecodeError::Kind::InvalidArguments, "more than one root element"};
    }
    const auto index = static_cast<std::uint32_t>(nodes.size());
    XmlNode& node = nodes.emplace_back();
    std::string_view local = qname;
    if (namespaces_) {
      declareNamespaces(attrs);
      resolveElementName(node, local);
    } else {
      if (auto colon = local.rfind(':'); colon != std::string_view::npos) {
        local.remove_prefix(colon + 1);
      }
      node.ns = NsClass::Unknown;
      node.name = internName(local);
    }
    readAttributes(node, attrs);
    node.textOffset = static_cast<std::uint32_t>(tree_->text_.size());
    if (sink_ != nullptr && streamList_ == XmlNode::kNone &&
        isRequestList(node, "ParameterNames")) {
      node.streamed = sink_->begin(nodes[stack_[2]].name);
      if (node.streamed) streamList_ = index;
    } else if (sink_ != nullptr && structList_ == XmlNode::kNone &&
               isRequestList(node, "ParameterList")) {
      node.streamed = sink_->beginStructs(nodes[stack_[2]].name);
      if (node.streamed) {
        structList_ = index;
        structMethod_ = nodes[stack_[2]].name;
      }
    }
    const bool shrink = node.streamed;
    if (!stack_.empty()) {
      XmlNode& parent = nodes[stack_.back()];
      if (parent.lastChild == XmlNode::kNone) {
        parent.firstChild = index;
      } else {
        nodes[parent.lastChild].next = index;
      }
      parent.lastChild = index;
    }
    stack_.push_back(index);
    // parse() sized the tree for a message of this many bytes in elements; the items of
    // a streamed list never come to the tree (or one at a time), so that reservation goes
    // back.
    if (shrink) nodes.shrink_to_fit();
  }

  void endElement() {
    if (!streamCounts_.empty()) {
      streamCounts_.pop_back();
      if (streamCounts_.empty()) sink_->name(itemText_);
    }
    if (stack_.size() >= 2 && stack_[stack_.size() - 2] == structList_) endStructItem();
    if (!stack_.empty()) stack_.pop_back();
    while (!bindings_.empty() && bindings_.back().depth >= stack_.size()) {
      bindings_.pop_back();
      ++bindingsGeneration_;
    }
  }

  // Character data in UTF-8, in any chunks.
  void characters(std::string_view chars) {
    if (stack_.empty()) return;
    if (stack_.back() == kStreamed) {
      // Only an item's own text counts, as for a tree node: none once it has children.
      if (streamCounts_.size() == 1 && !itemHasChildren_) itemText_ += chars;
      return;
    }
    XmlNode& node = tree_->nodes_[stack_.back()];
    if (node.childCount != 0) return;  // text between children means nothing in CWMP
    // A leaf's character data arrives in consecutive calls with nothing else written to
    // the arena in between, so it stays one contiguous slice.
    tree_->text_ += chars;
    node.textLength += static_cast<std::uint32_t>(chars.size());
  }

 private:
  // On the stack for an element of a streamed name list (an item or what it contains).
  static constexpr std::uint32_t kStreamed = XmlNode::kNone - 1;

  // Whether `node`, about to become a child of the top of the stack, is the list the
  // Interpreter would read a request's `list` argument from: the first ParameterNames
  // (ParameterList) of the first element of the first SOAP Body of the Envelope, in a
  // CWMP method. Decided when the element starts, from what came before it, exactly as
  // the Interpreter will choose.
  [[nodiscard]] bool isRequestList(const XmlNode& node, std::string_view list) const {
    if (stack_.size() != 3 || node.name != list) return false;
    const auto& nodes = tree_->nodes_;
    const XmlNode& envelope = nodes[stack_[0]];
    const XmlNode& body = nodes[stack_[1]];
    const XmlNode& method = nodes[stack_[2]];
    if (envelope.name != "Envelope" || envelope.ns != NsClass::SoapEnvelope) return false;
    if (body.name != "Body" || body.ns != NsClass::SoapEnvelope) return false;
    for (std::uint32_t c = envelope.firstChild; c != stack_[1]; c = nodes[c].next) {
      if (nodes[c].name == "Body" && nodes[c].ns == NsClass::SoapEnvelope) return false;
    }
    if (body.firstChild != stack_[2] || method.ns != NsClass::Cwmp) return false;
    for (std::uint32_t c = method.firstChild; c != XmlNode::kNone; c = nodes[c].next) {
      if (nodes[c].name == list) return false;
    }
    return true;
  }

  // The item on top of the stack, a child of the streamed struct list, has ended: it is
  // read as the tree reader reads it, handed to the sink, and dropped from the tree, so
  // that the tree never holds more than one item. After the first item that cannot be
  // read, the others are still parsed (the XML's own errors come first) but not read.
  void endStructItem() {
    auto& nodes = tree_->nodes_;
    const std::uint32_t item = stack_.back();
    if (!tree_->streamFailure_) {
      try {
        streamedItem(*sink_, structMethod_, *tree_, nodes[item]);
      } catch (const DecodeFailure& f) {
        tree_->streamFailure_ = f;
      }
    }
    nodes.resize(item);
    tree_->text_.resize(itemArena_);
    XmlNode& list = nodes[structList_];
    list.firstChild = XmlNode::kNone;
    list.lastChild = XmlNode::kNone;
  }

  // An element inside a streamed list: the same checks, limits and errors as
  // startElement, in the same order, but nothing is added to the tree.
  void startStreamed(std::string_view qn, Attrs attrs) {
    if (streamCounts_.empty()) {
      XmlNode& list = tree_->nodes_[streamList_];
      if (++list.childCount > limits_.maxArrayItems) {
        throw DecodeFailure{DecodeError::Kind::ResourcesExceeded,
                            "more child elements than the array limit"};
      }
      list.textLength = 0;
      itemText_.clear();
      itemHasChildren_ = false;
    } else {
      if (++streamCounts_.back() > limits_.maxArrayItems) {
        throw DecodeFailure{DecodeError::Kind::ResourcesExceeded,
                            "more child elements than the array limit"};
      }
      if (streamCounts_.size() == 1) {
        itemHasChildren_ = true;  // text between an item's children means nothing
        itemText_.clear();
      }
    }
    // Items of a list are alike ("<string>" 20,000 times). An item without attributes is
    // checked against the list's own namespace bindings, which do not change while the
    // list is read: the same name as the previous such item is known to pass.
    const bool plainItem = streamCounts_.empty() && attrs.empty();
    if (!plainItem || qn != lastPlainItem_) {
      declareNamespaces(attrs);
      std::string_view local = qn;
      checkedName(local);
      // The attributes are checked (bound prefixes) but not kept.
      const std::size_t arena = tree_->text_.size();
      XmlNode scratch;
      readAttributes(scratch, attrs);
      tree_->text_.resize(arena);
      if (plainItem) lastPlainItem_.assign(qn);
    }
    streamCounts_.push_back(0);
    stack_.push_back(kStreamed);
  }

  void readAttributes(XmlNode& node, Attrs attrs) {
    if (attrs.empty()) return;
    if (!namespaces_) {
      // Fallback mode: keep the root's attributes (its xmlns declarations) and
      // recognise xsi:type and mustUnderstand by their local names.
      for (const Attr& a : attrs) {
        if (stack_.empty()) tree_->rootAttributes_.emplace_back(a.qname, a.value);
        const auto colon = a.qname.rfind(':');
        const std::string_view local =
            colon == std::string_view::npos ? a.qname : a.qname.substr(colon + 1);
        if (local == "type") setType(node, {}, a.value);
        if (local == "mustUnderstand") node.mustUnderstand = isTrue(a.value);
      }
      return;
    }
    for (const Attr& a : attrs) {
      switch (attributeKind(a.qname)) {
        case AttributeKind::Ignored: break;
        case AttributeKind::Type: resolveType(node, a.value); break;
        case AttributeKind::MustUnderstand: node.mustUnderstand = isTrue(a.value); break;
      }
    }
  }

  enum class AttributeKind : std::uint8_t { Ignored, Type, MustUnderstand };

  // What an attribute of this QName means here (namespace mode); throws for an unbound
  // prefix.
  [[nodiscard]] AttributeKind attributeKindOf(std::string_view qn) const {
    const auto colon = qn.find(':');
    if (colon == std::string_view::npos) return AttributeKind::Ignored;  // no namespace
    const std::string_view prefix = qn.substr(0, colon);
    const std::string_view local = qn.substr(colon + 1);
    if (prefix == "xmlns" || prefix == "xml") return AttributeKind::Ignored;
    const Binding* b = lookup(prefix);
    if (b == nullptr) {
      throw DecodeFailure{DecodeError::Kind::InvalidArguments, "unbound attribute prefix"};
    }
    if (b->xsi && local == "type") return AttributeKind::Type;
    if (b->ns == NsClass::SoapEnvelope && local == "mustUnderstand") {
      return AttributeKind::MustUnderstand;
    }
    return AttributeKind::Ignored;
  }

  // attributeKindOf, remembered for the last QName while the bindings stay as they were
  // (xsi:type on every Value of a ParameterList).
  AttributeKind attributeKind(std::string_view qn) {
    if (knownAttribute_.generation == bindingsGeneration_ && knownAttribute_.qname == qn) {
      return knownAttribute_.kind;
    }
    const AttributeKind kind = attributeKindOf(qn);
    knownAttribute_.qname.assign(qn);
    knownAttribute_.generation = bindingsGeneration_;
    knownAttribute_.kind = kind;
    return kind;
  }

  // An element's local name, namespace class and CWMP namespace, from its QName (checked
  // by checkedName). The elements of a large list repeat a few names thousands of times
  // (ParameterValueStruct, Name, Value), under bindings that do not change: the names
  // resolved last are remembered with the bindings' generation.
  void resolveElementName(XmlNode& node, std::string_view qname) {
    for (const KnownElement& k : knownElements_) {
      if (k.generation == bindingsGeneration_ && k.qname == qname) {
        node.ns = k.ns;
        node.cwmpNs = k.cwmp;
        node.name = k.name;
        return;
      }
    }
    std::string_view local = qname;
    const Binding* b = checkedName(local);
    node.ns = b == nullptr ? NsClass::None : b->ns;
    if (b != nullptr) node.cwmpNs = b->cwmp;
    node.name = internName(local);
    knownElements_[nextKnown_] = {std::string(qname), bindingsGeneration_, node.name, node.ns,
                                  node.cwmpNs};
    nextKnown_ = (nextKnown_ + 1) % knownElements_.size();
  }

  struct Binding {
    std::string prefix;  // empty for the default namespace
    NsClass ns = NsClass::None;
    std::optional<CwmpNamespace> cwmp;
    bool xsd = false;
    bool xsi = false;
    std::size_t depth = 0;  // of the element that declared it
  };

  // xmlns and xmlns:p attributes of the element being started.
  void declareNamespaces(Attrs attrs) {
    for (const Attr& a : attrs) {
      const std::string_view qn = a.qname;
      if (!qn.starts_with("xmlns")) continue;
      Binding b;
      if (qn.size() == 5) {
        // default namespace ("" undeclares it)
      } else if (qn[5] == ':' && qn.size() > 6) {
        b.prefix = qn.substr(6);
      } else {
        continue;  // an attribute that merely starts with "xmlns"
      }
      const std::string_view uri = a.value;
      if (uri.empty()) {
        b.ns = NsClass::None;
      } else if (uri == kSoapEnvUri) {
        b.ns = NsClass::SoapEnvelope;
      } else if ((b.cwmp = cwmpFromUri(uri))) {
        b.ns = NsClass::Cwmp;
      } else {
        b.ns = NsClass::Other;
      }
      b.xsd = uri == kXsdUri;
      b.xsi = uri == kXsiUri;
      b.depth = stack_.size();
      bindings_.push_back(std::move(b));
      ++bindingsGeneration_;
    }
  }

  // Splits an element's QName (in: the QName, out: its local part) and checks it: one colon
  // at most, a bound prefix. Returns the prefix's binding (null: no prefix, no default).
  const Binding* checkedName(std::string_view& local) const {
    const auto colon = local.find(':');
    const std::string_view prefix =
        colon == std::string_view::npos ? std::string_view{} : local.substr(0, colon);
    if (colon != std::string_view::npos) local.remove_prefix(colon + 1);
    if (local.empty() || local.find(':') != std::string_view::npos) {
      throw DecodeFailure{DecodeError::Kind::InvalidArguments,
                          "element name is not namespace-well-formed"};
    }
    const Binding* b = lookup(prefix);
    if (b == nullptr && !prefix.empty()) {
      throw DecodeFailure{DecodeError::Kind::InvalidArguments, "unbound namespace prefix"};
    }
    return b;
  }

  [[nodiscard]] const Binding* lookup(std::string_view prefix) const {
    for (auto it = bindings_.rbegin(); it != bindings_.rend(); ++it) {
      if (it->prefix == prefix) return &*it;
    }
    return nullptr;
  }

  void setType(XmlNode& node, std::string_view prefix, std::string_view rest) {
    std::string& arena = tree_->text_;
    node.typeOffset = static_cast<std::uint32_t>(arena.size());
    arena += prefix;
    arena += rest;
    node.typeLength = static_cast<std::uint32_t>(arena.size() - node.typeOffset);
  }

  // Element names repeat (ParameterValueStruct, Name, Value, ...): a few recent names
  // are checked before the tree's hash map.
  std::string_view internName(std::string_view local) {
    for (const auto& [key, interned] : recentNames_) {
      if (key == local) return interned;
    }
    const std::string_view interned = tree_->intern(local);
    recentNames_[nextRecent_] = {std::string(local), interned};
    nextRecent_ = (nextRecent_ + 1) % recentNames_.size();
    return interned;
  }

  static bool isTrue(std::string_view v) { return v == "1" || v == "true"; }

  // xsi:type is a QName: give XML Schema types the usual "xsd:" prefix whatever prefix
  // the sender bound, and CWMP types "cwmp:", so that callers compare plain strings.
  void resolveType(XmlNode& node, std::string_view qname) {
    // A type resolved lately under the same bindings (a ParameterList states a few types
    // thousands of times): its bytes again.
    std::string& arena = tree_->text_;
    for (const KnownType& k : knownTypes_) {
      if (k.generation == bindingsGeneration_ && k.qname == qname) {
        node.typeOffset = static_cast<std::uint32_t>(arena.size());
        arena += k.resolved;
        node.typeLength = static_cast<std::uint32_t>(k.resolved.size());
        return;
      }
    }
    resolveTypeOnce(node, qname);
    KnownType& k = knownTypes_[nextType_];
    nextType_ = (nextType_ + 1) % knownTypes_.size();
    k.qname.assign(qname);
    k.generation = bindingsGeneration_;
    k.resolved.assign(arena, node.typeOffset, node.typeLength);
  }

  void resolveTypeOnce(XmlNode& node, std::string_view qname) {
    const auto colon = qname.find(':');
    if (colon != std::string_view::npos) {
      if (const Binding* b = lookup(qname.substr(0, colon))) {
        if (b->xsd) return setType(node, "xsd:", qname.substr(colon + 1));
        if (b->cwmp) return setType(node, "cwmp:", qname.substr(colon + 1));
      }
    }
    setType(node, {}, qname);
  }

  const DecodeLimits& limits_;
  XmlTree* tree_ = nullptr;
  bool namespaces_ = true;
  // The streamed name list (issue 15): its node, the child counts of the open elements
  // inside it (one per level, the item first), and the text of the current item.
  NameSink* sink_ = nullptr;
  std::uint32_t streamList_ = XmlNode::kNone;
  // The streamed struct list: its node, its method's name, and where the text arena
  // stood when its current item started.
  std::uint32_t structList_ = XmlNode::kNone;
  std::string_view structMethod_;
  std::size_t itemArena_ = 0;
  std::vector<std::uint32_t> streamCounts_;
  std::string itemText_;
  bool itemHasChildren_ = false;
  std::string lastPlainItem_;  // element name of the last item checked without attributes
  std::vector<std::uint32_t> stack_;
  std::vector<Binding> bindings_;
  // Moves on with every change of bindings_ (and every new message): what is remembered
  // below holds for the generation it was resolved in.
  std::uint64_t bindingsGeneration_ = 1;
  struct KnownElement {
    std::string qname;
    std::uint64_t generation = 0;
    std::string_view name;  // interned in the tree
    NsClass ns = NsClass::None;
    std::optional<CwmpNamespace> cwmp;
  };
  std::array<KnownElement, 8> knownElements_{};
  std::size_t nextKnown_ = 0;
  struct KnownAttribute {
    std::string qname;
    std::uint64_t generation = 0;
    AttributeKind kind = AttributeKind::Ignored;
  } knownAttribute_;
  struct KnownType {
    std::string qname;
    std::uint64_t generation = 0;
    std::string resolved;
  };
  std::array<KnownType, 8> knownTypes_{};
  std::size_t nextType_ = 0;
  std::array<std::pair<std::string, std::string_view>, 8> recentNames_{};
  std::size_t nextRecent_ = 0;
};

// Xerces' SAX2 events, in UTF-16, turned into the Handler's: names, values and text in
// UTF-8. Also the refusals only Xerces can meet (DOCTYPE, entities) and its errors.
class XercesEvents final : public x::DefaultHandler {
 public:
  explicit XercesEvents(Handler& handler) : handler_(handler) {}

  void startElement(const XMLCh*, const XMLCh*, const XMLCh* qname,
                    const x::Attributes& attrs) override {
    const XMLSize_t n = attrs.getLength();
    // Every name and value in one buffer, then the views into it.
    utf8_.clear();
    appendUtf8(utf8_, qname, std::char_traits<XMLCh>::length(qname));
    const std::size_t qnameEnd = utf8_.size();
    bounds_.clear();
    for (XMLSize_t i = 0; i < n; ++i) {
      const XMLCh* qn = attrs.getQName(i);
      const XMLCh* value = attrs.getValue(i);
      appendUtf8(utf8_, qn, std::char_traits<XMLCh>::length(qn));
      bounds_.push_back(utf8_.size());
      appendUtf8(utf8_, value, std::char_traits<XMLCh>::length(value));
      bounds_.push_back(utf8_.size());
    }
    attrs_.clear();
    std::size_t at = qnameEnd;
    for (std::size_t i = 0; i < bounds_.size(); i += 2) {
      const std::string_view all(utf8_);
      attrs_.push_back(
          {all.substr(at, bounds_[i] - at), all.substr(bounds_[i], bounds_[i + 1] - bounds_[i])});
      at = bounds_[i + 1];
    }
    handler_.startElement(std::string_view(utf8_).substr(0, qnameEnd), attrs_);
  }

  void endElement(const XMLCh*, const XMLCh*, const XMLCh*) override { handler_.endElement(); }

  void characters(const XMLCh* chars, const XMLSize_t length) override {
    text_.clear();
    appendUtf8(text_, chars, length);
    handler_.characters(text_);
  }

  // No DOCTYPE at all: it is where entities (XXE, billion laughs) are declared, and
  // SOAP 1.1 section 3 forbids it in a SOAP message.
  void startDTD(const XMLCh*, const XMLCh*, const XMLCh*) override {
    throw DecodeFailure{DecodeError::Kind::Refused, "DOCTYPE is not allowed"};
  }
  void startEntity(const XMLCh*) override {
    throw DecodeFailure{DecodeError::Kind::Refused, "entities are not allowed"};
  }
  x::InputSource* resolveEntity(const XMLCh*, const XMLCh*) override {
    throw DecodeFailure{DecodeError::Kind::Refused, "external entities are not allowed"};
  }

  void fatalError(const x::SAXParseException& e) override { fail(e); }
  void error(const x::SAXParseException& e) override { fail(e); }
  void warning(const x::SAXParseException&) override {}

 private:
  [[noreturn]] static void fail(const x::SAXParseException& e) {
    std::string msg = "malformed XML at line " + std::to_string(e.getLineNumber()) + ": ";
    msg += toUtf8(view(e.getMessage()));
    throw DecodeFailure{DecodeError::Kind::InvalidArguments, std::move(msg)};
  }

  Handler& handler_;
  std::string utf8_;
  std::vector<std::size_t> bounds_;
  std::vector<Attr> attrs_;
  std::string text_;
};
}  // namespace

const XmlNode* XmlTree::child(const XmlNode& parent, std::string_view name) const {
  for (const XmlNode* c = firstChild(parent); c != nullptr; c = nextSibling(*c)) {
    if (c->name == name) return c;
  }
  return nullptr;
}

std::string_view XmlTree::intern(std::string_view name) {
  if (auto it = index_.find(name); it != index_.end()) return it->second;
  const std::string& stored = names_.emplace_back(name);
  index_.emplace(stored, stored);
  return stored;
}

struct XmlParser::Impl {
  explicit Impl(const DecodeLimits& limits)
      : handler(limits), events(handler), maxDepth(limits.maxDepth) {
    ensureXercesInitialized();
    // Expansion limit: belt and braces, declared entities never get this far (DOCTYPE is
    // refused). Xerces also counts the predefined ones (&amp; ...), at least 4 bytes each,
    // so a limit of one per byte of the largest body never bites a legitimate message.
    security.setEntityExpansionLimit(
        static_cast<XMLSize_t>(std::min<std::size_t>(limits.maxBodyBytes, 0xFFFFFFFFu)));
    reader.reset(x::XMLReaderFactory::createXMLReader());
    reader->setContentHandler(&events);
    reader->setErrorHandler(&events);
    reader->setLexicalHandler(&events);
    reader->setEntityResolver(&events);
    reader->setFeature(x::XMLUni::fgSAX2CoreNameSpacePrefixes, false);
    reader->setFeature(x::XMLUni::fgSAX2CoreValidation, false);
    reader->setFeature(x::XMLUni::fgXercesDynamic, false);
    reader->setFeature(x::XMLUni::fgXercesSchema, false);
    reader->setFeature(x::XMLUni::fgXercesSchemaFullChecking, false);
    reader->setFeature(x::XMLUni::fgXercesLoadSchema, false);
    reader->setFeature(x::XMLUni::fgXercesLoadExternalDTD, false);
    reader->setFeature(x::XMLUni::fgXercesDisableDefaultEntityResolution, true);
    reader->setFeature(x::XMLUni::fgXercesCacheGrammarFromParse, false);
    reader->setFeature(x::XMLUni::fgXercesUseCachedGrammarInParse, false);
    reader->setFeature(x::XMLUni::fgXercesCalculateSrcOfs, false);
    reader->setFeature(x::XMLUni::fgXercesContinueAfterFatalError, false);
    reader->setProperty(x::XMLUni::fgXercesSecurityManager, &security);
    // The well-formedness-only scanner: no validation machinery at all, about twice as
    // fast as the default scanner on large ParameterLists.
    reader->setProperty(x::XMLUni::fgXercesScannerName,
                        const_cast<XMLCh*>(x::XMLUni::fgWFXMLScanner));
  }

  Handler handler;
  XercesEvents events;
  std::size_t maxDepth;
  Scanner scanner;
  x::SecurityManager security;
  std::unique_ptr<x::SAX2XMLReader> reader;
};

XmlParser::XmlParser(const DecodeLimits& limits) : impl_(std::make_unique<Impl>(limits)) {}
XmlParser::~XmlParser() = default;

namespace {

thread_local bool xercesOnly = false;
thread_local std::size_t scannedCount = 0;

// The byte scanner's events, handed to the Handler; the pages read go back as with Xerces.
struct ScanEvents {
  Handler& handler;
  PageDiscard discard;
  void start(std::string_view qname, Attrs attrs) { handler.startElement(qname, attrs); }
  void end() { handler.endElement(); }
  void characters(std::string_view text) { handler.characters(text); }
  void advanced(std::size_t pos) { discard.read(pos); }
};

}  // namespace

void useXercesOnly(bool only) { xercesOnly = only; }
std::size_t scannedParses() { return scannedCount; }

void XmlParser::parse(std::string_view payload, bool namespaces, XmlTree& tree, NameSink* sink) {
  impl_->handler.reset(tree, namespaces, sink);
  tree.nodes_.reserve(payload.size() / 48 + 16);
  MessageStream::Discard discard;
  if (sink != nullptr && namespaces)
    discard = [this, sink] { return impl_->handler.streaming() && sink->discardsRead(); };
  const bool ascii = asciiUtf8(payload);
  // Plain ASCII XML (nearly every message) is read by the byte scanner, which only takes a
  // message Xerces reads with the same events (xml_scan.hpp); anything else by Xerces.
  if (namespaces && ascii && !xercesOnly && scannable(payload, impl_->maxDepth)) {
    ++scannedCount;
    ScanEvents events{impl_->handler, PageDiscard(payload, discard)};
    impl_->scanner.scan(payload, events);
    return;
  }
  impl_->reader->setFeature(x::XMLUni::fgSAX2CoreNameSpaces, false);
  MessageSource source(payload, std::move(discard));
  // Xerces turns the bytes into UTF-16 before it scans them; its UTF-8 decoder was a
  // sixth of a large decode. ASCII bytes decode to the same characters as Latin-1, whose
  // decoder only widens them (ours, 16 bytes at a time): used when the message is ASCII and
  // says it is UTF-8 (or says nothing), so that any other declaration is read as before.
  if (ascii) source.setEncoding(kWideLatin1);
  try {
    impl_->reader->parse(source);
  } catch (const DecodeFailure&) {
    throw;
  } catch (const x::SAXException& e) {
    throw DecodeFailure{DecodeError::Kind::InvalidArguments,
                        "malformed XML: " + toUtf8(view(e.getMessage()))};
  } catch (const x::XMLException& e) {
    throw DecodeFailure{DecodeError::Kind::InvalidArguments,
                        "malformed XML: " + toUtf8(view(e.getMessage()))};
  }
  if (tree.nodes_.empty()) {
    throw DecodeFailure{DecodeError::Kind::InvalidArguments, "no root element"};
  }
}

}  // namespace cwmpd::core::soap::detail
