// Reading CWMP arguments from the element tree (xml_tree.hpp): the accessors every
// message reader uses, and the table of readers (decoder_readers.cpp).
#pragma once

#include <charconv>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cwmpd/core/soap/decoder.hpp"
#include "soap/xml_tree.hpp"

namespace cwmpd::core::soap::detail {

[[noreturn]] inline void invalid(std::string message) {
  throw DecodeFailure{DecodeError::Kind::InvalidArguments, std::move(message)};
}

inline std::string_view trimmed(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(kSpace) - b + 1);
}

// Reads the arguments of one method element; every accessor throws DecodeFailure
// (9003) naming the argument that is missing or malformed.
class Args {
 public:
  Args(const XmlTree& tree, const XmlNode& node) : tree_(tree), node_(node) {}

  [[nodiscard]] const XmlNode& node(std::string_view name) const {
    const XmlNode* c = tree_.child(node_, name);
    if (c == nullptr) invalid("missing argument " + std::string(name));
    return *c;
  }
  [[nodiscard]] const XmlNode* optionalNode(std::string_view name) const {
    return tree_.child(node_, name);
  }
  [[nodiscard]] std::string_view text(const XmlNode& n) const { return tree_.text(n); }
  [[nodiscard]] std::string str(std::string_view name) const {
    return std::string(text(node(name)));
  }
  [[nodiscard]] std::string optionalStr(std::string_view name) const {
    const XmlNode* c = optionalNode(name);
    return c == nullptr ? std::string() : std::string(text(*c));
  }
  template <class Int>
  [[nodiscard]] Int number(std::string_view name) const {
    return parseNumber<Int>(text(node(name)), name);
  }
  [[nodiscard]] bool boolean(std::string_view name) const {
    return parseBoolean(text(node(name)), name);
  }
  [[nodiscard]] Args sub(std::string_view name) const { return Args(tree_, node(name)); }

  // Element children of `name` (array items; their element names are not checked, as
  // ACSs differ: "string", "xsd:string", ...).
  template <class F>
  void forEachItem(std::string_view name, F&& f) const {
    forEachChild(node(name), std::forward<F>(f));
  }
  // A streamed list (NameSink::beginStructs) has no items left in the tree: only the
  // error of the first one that could not be read.
  template <class F>
  void forEachChild(const XmlNode& parent, F&& f) const {
    if (parent.streamed) tree_.throwStreamFailure();
    for (const XmlNode* c = tree_.firstChild(parent); c != nullptr; c = tree_.nextSibling(*c)) {
      f(*c);
    }
  }
  [[nodiscard]] Args of(const XmlNode& n) const { return Args(tree_, n); }
  [[nodiscard]] std::string_view xsiType(const XmlNode& n) const { return tree_.xsiType(n); }
  [[nodiscard]] std::vector<std::string> strings(std::string_view name) const {
    std::vector<std::string> out;
    const XmlNode& list = node(name);
    if (list.streamed) return out;  // the items went to the NameSink while parsed
    out.reserve(list.childCount);
    forEachChild(list, [&](const XmlNode& item) { out.emplace_back(text(item)); });
    return out;
  }

  template <class Int>
  static Int parseNumber(std::string_view text, std::string_view name) {
    std::string_view t = trimmed(text);
    if (!t.empty() && t.front() == '+') t.remove_prefix(1);
    Int v{};
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc() || end != t.data() + t.size()) {
      invalid("argument " + std::string(name) + " is not a valid number");
    }
    return v;
  }
  // xsd:boolean: GenieACS sends 0/1 or true/false depending on its configuration.
  static bool parseBoolean(std::string_view text, std::string_view name) {
    const std::string_view t = trimmed(text);
    if (t == "1" || t == "true") return true;
    if (t == "0" || t == "false") return false;
    invalid("argument " + std::string(name) + " is not a boolean");
  }

 private:
  const XmlTree& tree_;
  const XmlNode& node_;
};

// The reader of a method element (requests and responses of the RPC table, both
// directions: the decoder serves the CPE and test ACSs alike), or nullptr.
using Reader = std::function<Body(const Args&, const XmlNode&)>;
[[nodiscard]] const Reader* findReader(std::string_view method);

// SOAP 1.1 Fault with the cwmp:Fault detail (TR-069 A.5).
[[nodiscard]] Fault readFault(const Args& a);

}  // namespace cwmpd::core::soap::detail
