#include "cwmpd/core/soap/decoder.hpp"

#include <string>
#include <string_view>

#include "soap/decoder_args.hpp"
#include "soap/xml_tree.hpp"

namespace cwmpd::core::soap {

using detail::Args;
using detail::DecodeFailure;
using detail::findReader;
using detail::invalid;
using detail::NsClass;
using detail::readFault;
using detail::trimmed;
using detail::XmlNode;
using detail::XmlTree;

int DecodeError::faultCode() const noexcept {
  switch (kind) {
    case Kind::InvalidArguments: return 9003;
    case Kind::MethodNotSupported: return 9000;
    case Kind::ResourcesExceeded: return 9004;
    case Kind::Refused: return 0;
  }
  return 9003;
}

namespace {

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool isVendorName(std::string_view name) { return startsWith(name, "X_"); }

// Interprets the element tree. `strict` is false in the fallback (non-namespace) mode.
class Interpreter {
 public:
  Interpreter(const XmlTree& tree, bool strict, DecodeError& context)
      : tree_(tree), strict_(strict), context_(context) {}

  Envelope run() {
    const XmlNode& root = tree_.root();
    if (root.name != "Envelope" || (strict_ && root.ns != NsClass::SoapEnvelope)) {
      invalid("not a SOAP 1.1 envelope");
    }
    Envelope env;
    if (!strict_) env.ns = namespaceFromRootAttributes();
    const XmlNode* header = nullptr;
    const XmlNode* body = nullptr;
    for (const XmlNode* c = tree_.firstChild(root); c != nullptr; c = tree_.nextSibling(*c)) {
      if (strict_ && c->ns != NsClass::SoapEnvelope) continue;
      if (c->name == "Header" && header == nullptr && body == nullptr) header = c;
      if (c->name == "Body" && body == nullptr) body = c;
    }
    if (header != nullptr) readHeader(*header, env);
    if (body == nullptr) invalid("SOAP envelope without Body");
    const XmlNode* method = tree_.firstChild(*body);
    if (method == nullptr) {
      env.body = Empty{};
      return env;
    }
    context_.method = std::string(method->name);
    if (method->ns == NsClass::Cwmp) {
      env.ns = *method->cwmpNs;
      context_.ns = env.ns;
    }
    const Args args(tree_, *method);
    if (method->name == "Fault" &&
        (method->ns == NsClass::SoapEnvelope || method->ns == NsClass::Unknown)) {
      env.body = readFault(args);
      return env;
    }
    if (!strict_) invalid("malformed XML");  // the fallback only rescues Faults
    if (method->ns != NsClass::Cwmp) {
      throw DecodeFailure{DecodeError::Kind::MethodNotSupported,
                          "method element outside the CWMP namespace"};
    }
    if (const auto* reader = findReader(method->name)) {
      env.body = (*reader)(args, *method);
      return env;
    }
    if (isVendorName(method->name)) {
      std::vector<ArgStruct> arguments;
      args.forEachChild(*method, [&](const XmlNode& c) {
        arguments.push_back({std::string(c.name), allText(c)});
      });
      if (method->name.ends_with("Response")) {
        env.body = VendorMethodResponse{std::string(method->name), std::move(arguments)};
      } else {
        env.body = VendorMethod{std::string(method->name), std::move(arguments)};
      }
      return env;
    }
    throw DecodeFailure{DecodeError::Kind::MethodNotSupported, "unknown method"};
  }

 private:
  CwmpNamespace namespaceFromRootAttributes() const {
    for (const auto& [name, value] : tree_.rootAttributes_) {
      if (auto ns = namespaceFromUrn(value)) return *ns;
    }
    return CwmpNamespace::V1_0;
  }

  std::string allText(const XmlNode& n) const {
    std::string out(tree_.text(n));
    for (const XmlNode* c = tree_.firstChild(n); c != nullptr; c = tree_.nextSibling(*c)) {
      out += allText(*c);
    }
    return out;
  }

  // TR-069 A.4.1 header entries. Unknown entries are ignored unless mustUnderstand.
  void readHeader(const XmlNode& header, Envelope& env) {
    Header& h = env.header;
    for (const XmlNode* c = tree_.firstChild(header); c != nullptr; c = tree_.nextSibling(*c)) {
      const bool cwmp = c->ns == NsClass::Cwmp || c->ns == NsClass::Unknown;
      if (c->ns == NsClass::Cwmp) env.ns = *c->cwmpNs;
      const std::string_view n = c->name;
      if (cwmp && n == "ID") {
        h.id = std::string(tree_.text(*c));
        h.idMustUnderstand = c->mustUnderstand;
        context_.id = h.id;
      } else if (cwmp && n == "HoldRequests") {
        h.holdRequests = Args::parseBoolean(tree_.text(*c), n);
      } else if (cwmp && n == "NoMoreRequests") {
        h.noMoreRequests = Args::parseBoolean(tree_.text(*c), n);
      } else if (cwmp && n == "SessionTimeout") {
        h.sessionTimeout = Args::parseNumber<std::uint32_t>(tree_.text(*c), n);
      } else if (cwmp && n == "SupportedCWMPVersions") {
        h.supportedCwmpVersions = std::string(trimmed(tree_.text(*c)));
      } else if (cwmp && n == "UseCWMPVersion") {
        h.useCwmpVersion = std::string(trimmed(tree_.text(*c)));
      } else if (c->mustUnderstand) {
        h.unknownMustUnderstand.emplace_back(n);
      }
    }
    context_.ns = env.ns;
  }

  const XmlTree& tree_;
  bool strict_;
  DecodeError& context_;
};

bool isBlank(std::string_view s) { return trimmed(s).empty(); }

// True when the prolog (what comes before the root element) holds a DOCTYPE; entities
// can only be declared there. Comments and processing instructions are skipped.
bool hasDoctype(std::string_view s) {
  std::size_t i = 0;
  while ((i = s.find('<', i)) != std::string_view::npos) {
    const std::string_view rest = s.substr(i);
    if (rest.starts_with("<?")) {
      i = s.find("?>", i + 2);
    } else if (rest.starts_with("<!--")) {
      i = s.find("-->", i + 4);
    } else {
      return rest.starts_with("<!");  // "<!DOCTYPE" (or junk Xerces rejects anyway)
    }
    if (i == std::string_view::npos) return false;
  }
  return false;
}

// After a failure during parsing, the tree holds what came before it: usually the
// Header, so that the fault can still echo cwmp:ID (TR-069 3.5).
void describePartialTree(const XmlTree& tree, DecodeError& context) {
  if (tree.empty() || tree.root().name != "Envelope") return;
  const XmlNode& root = tree.root();
  if (const XmlNode* header = tree.child(root, "Header")) {
    if (const XmlNode* id = tree.child(*header, "ID");
        id != nullptr && id->ns == NsClass::Cwmp && id->childCount == 0) {
      context.id = std::string(tree.text(*id));
      context.ns = *id->cwmpNs;
    }
  }
  if (const XmlNode* body = tree.child(root, "Body")) {
    if (const XmlNode* method = tree.firstChild(*body)) context.method = std::string(method->name);
  }
}

}  // namespace

struct Decoder::Impl {
  explicit Impl(const DecodeLimits& limits) : parser(limits) {}
  detail::XmlParser parser;
  XmlTree tree;   // reused: keeps its memory between messages
  XmlTree loose;  // the fallback's tree
};

Decoder::Decoder(DecodeLimits limits) : limits_(limits), impl_(std::make_unique<Impl>(limits_)) {}
Decoder::~Decoder() = default;

DecodeResult Decoder::decode(std::string_view payload) { return decode(payload, nullptr); }

DecodeResult Decoder::decode(std::string_view payload, NameSink* sink) {
  // The trees are reused between messages, up to what a usual message needs: what one
  // large message needed goes back once it is read.
  struct Release {
    Impl& impl;
    ~Release() {
      constexpr std::size_t kKeep = std::size_t{256} * 1024;
      impl.tree.release(kKeep);
      impl.loose.release(kKeep);
    }
  } release{*impl_};
  DecodeError context;
  if (payload.size() > limits_.maxBodyBytes) {
    context.kind = DecodeError::Kind::Refused;
    context.message = "message larger than the body limit";
    return context;
  }
  if (isBlank(payload)) return Envelope{CwmpNamespace::V1_0, {}, Empty{}};
  // CWMP messages are UTF-8 (TR-069 3.4.1); a NUL byte means UTF-16/32 or binary junk,
  // where the byte-level DOCTYPE check below would see nothing.
  if (payload.find('\0') != std::string_view::npos) {
    context.kind = DecodeError::Kind::Refused;
    context.message = "message is not UTF-8";
    return context;
  }
  // SOAP 1.1 section 3: a SOAP message must not contain a Document Type Declaration.
  // Checked on the bytes as well as in the parser, whatever scanner Xerces uses.
  if (hasDoctype(payload)) {
    context.kind = DecodeError::Kind::Refused;
    context.message = "DOCTYPE is not allowed";
    return context;
  }
  try {
    XmlTree& tree = impl_->tree;
    tree.clear();
    try {
      impl_->parser.parse(payload, true, tree, sink);
    } catch (const DecodeFailure& strictFailure) {
      // GenieACS answers methods it does not support with <soap-env:Body:Fault>, which
      // is well-formed XML but not namespace-well-formed (docs/INTEROP-NOTES.md). Read
      // such a document again without namespaces; only a Fault is accepted that way.
      // A message whose list went to the sink is a request, never such a Fault (and its
      // bytes read may be gone: NameSink::discardsRead).
      if (strictFailure.kind != DecodeError::Kind::InvalidArguments ||
          (sink != nullptr && sink->discardsRead()) ||
          payload.find(":Fault") == std::string_view::npos) {
        throw;
      }
      XmlTree& loose = impl_->loose;
      loose.clear();
      try {
        impl_->parser.parse(payload, false, loose);
        DecodeError ignored;
        Envelope env = Interpreter(loose, false, ignored).run();
        if (std::holds_alternative<Fault>(env.body)) return env;
      } catch (const DecodeFailure&) {
      }
      throw;
    }
    return Interpreter(tree, true, context).run();
  } catch (const DecodeFailure& f) {
    context.kind = f.kind;
    context.message = f.message;
    if (!context.id) describePartialTree(impl_->tree, context);
    return context;
  } catch (const StopParse&) {
    context.kind = DecodeError::Kind::Refused;
    context.message = "parse stopped by the sink";
    return context;
  }
}

DecodeResult decode(std::string_view payload, const DecodeLimits& limits, NameSink* sink) {
  thread_local std::unique_ptr<Decoder> decoder;
  if (!decoder || decoder->limits().maxBodyBytes != limits.maxBodyBytes ||
      decoder->limits().maxDepth != limits.maxDepth ||
      decoder->limits().maxArrayItems != limits.maxArrayItems) {
    decoder = std::make_unique<Decoder>(limits);
  }
  return decoder->decode(payload, sink);
}

}  // namespace cwmpd::core::soap
