// A compact element tree filled by a hardened Xerces-C SAX2 reader: the decoder reads
// CWMP arguments from it. It keeps only what CWMP needs (local names, a namespace
// class, text, xsi:type, mustUnderstand), in one flat vector, so that building it
// costs little more than the SAX parse itself.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cwmpd/core/soap/decoder.hpp"

namespace cwmpd::core::soap::detail {

// Thrown while parsing or reading the tree; becomes a DecodeError.
struct DecodeFailure {
  DecodeError::Kind kind;
  std::string message;
};

enum class NsClass : std::uint8_t { None, SoapEnvelope, Cwmp, Other, Unknown };

struct XmlNode {
  static constexpr std::uint32_t kNone = 0xFFFFFFFFu;
  std::string_view name;  // local name, interned in the tree
  NsClass ns = NsClass::None;
  std::optional<CwmpNamespace> cwmpNs;  // when ns == Cwmp
  bool mustUnderstand = false;          // SOAP-ENV:mustUnderstand="1" (Header entries)
  // A list whose items were handed to a NameSink instead of the tree (a name list item
  // by item, a struct list one complete item at a time): childCount counts them, but
  // they have no nodes.
  bool streamed = false;
  // Character data and xsi:type ("xsd:string" when the prefix maps to XML Schema, else
  // as written) live in the tree's text arena: offsets keep the node small.
  std::uint32_t textOffset = 0;
  std::uint32_t textLength = 0;
  std::uint32_t typeOffset = 0;
  std::uint32_t typeLength = 0;
  std::uint32_t firstChild = kNone;
  std::uint32_t lastChild = kNone;
  std::uint32_t next = kNone;
  std::uint32_t childCount = 0;
};

class XmlTree {
 public:
  [[nodiscard]] bool empty() const noexcept { return nodes_.empty(); }
  [[nodiscard]] const XmlNode& root() const { return nodes_.front(); }
  [[nodiscard]] const XmlNode& at(std::uint32_t i) const { return nodes_[i]; }
  [[nodiscard]] const XmlNode* firstChild(const XmlNode& n) const {
    return n.firstChild == XmlNode::kNone ? nullptr : &nodes_[n.firstChild];
  }
  [[nodiscard]] const XmlNode* nextSibling(const XmlNode& n) const {
    return n.next == XmlNode::kNone ? nullptr : &nodes_[n.next];
  }
  [[nodiscard]] std::string_view text(const XmlNode& n) const {
    return std::string_view(text_).substr(n.textOffset, n.textLength);
  }
  [[nodiscard]] std::string_view xsiType(const XmlNode& n) const {
    return std::string_view(text_).substr(n.typeOffset, n.typeLength);
  }
  // Empties the tree but keeps its memory for the next message.
  void clear() {
    streamFailure_.reset();
    nodes_.clear();
    text_.clear();
    rootAttributes_.clear();
    index_.clear();
    names_.clear();
  }
  // Gives the memory back when a large message left more than `keepBytes` allocated: a
  // 1 MB request of 20,000 names grows the tree to ~3 MB, which would otherwise stay
  // allocated (and resident) for the life of the daemon.
  void release(std::size_t keepBytes) {
    if (nodes_.capacity() * sizeof(XmlNode) + text_.capacity() <= keepBytes) return;
    std::vector<XmlNode>().swap(nodes_);
    std::string().swap(text_);
  }
  // First child called `name` (any namespace), or nullptr.
  [[nodiscard]] const XmlNode* child(const XmlNode& parent, std::string_view name) const;

  // The error of the first item of a streamed struct list that could not be read: the
  // reader of the list throws it where reading the items from the tree would have.
  void throwStreamFailure() const {
    if (streamFailure_) throw *streamFailure_;
  }

  // Filled by the parser.
  std::vector<XmlNode> nodes_;
  std::string text_;
  std::string_view intern(std::string_view name);
  // Attributes of the root element (xmlns declarations in non-namespace mode).
  std::vector<std::pair<std::string, std::string>> rootAttributes_;
  std::optional<DecodeFailure> streamFailure_;

 private:
  std::deque<std::string> names_;
  std::unordered_map<std::string_view, std::string_view> index_;
};

// A reusable SAX2 reader with the security settings of docs/SETUP-NOTES.md.
class XmlParser {
 public:
  explicit XmlParser(const DecodeLimits& limits);
  ~XmlParser();
  XmlParser(const XmlParser&) = delete;
  XmlParser& operator=(const XmlParser&) = delete;

  // Parses `payload` into `tree`. `namespaces` false is the fallback mode: names are
  // split at their last ':' and every element has NsClass::Unknown. Throws DecodeFailure.
  // With a `sink` (namespace mode only), the items of the request's name list that the
  // sink accepts (NameSink::begin) are handed to it as they are parsed, with the same
  // checks and limits, and not kept in the tree; so are those of its struct list
  // (NameSink::beginStructs), each read from the tree when it ends (streamedItem), then
  // dropped from it.
  void parse(std::string_view payload, bool namespaces, XmlTree& tree, NameSink* sink = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Tests and fuzzers only: true makes this thread's parses go to Xerces whatever the
// message (the byte scanner's reference, xml_scan.hpp); scannedParses() counts the
// thread's parses the byte scanner read.
void useXercesOnly(bool only);
[[nodiscard]] std::size_t scannedParses();

// Reads the complete `item` of the streamed ParameterList of `method` and hands it to
// `sink` (decoder_readers.cpp, with the readers of the same items in the tree). Throws
// DecodeFailure as reading the item from the tree would.
void streamedItem(NameSink& sink, std::string_view method, const XmlTree& tree,
                  const XmlNode& item);

}  // namespace cwmpd::core::soap::detail
