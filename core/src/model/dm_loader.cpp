// Loader for Broadband Forum data model documents (cwmp-datamodel-1-x). It reads the
// subset that plugin documents and the official "full" files use: dataType, model,
// object, parameter, syntax (list, base types, dataType ref, size, range, enumeration,
// pattern), default. Descriptions are ignored.
#include <xercesc/dom/DOM.hpp>
#include <xercesc/framework/MemBufInputSource.hpp>
#include <xercesc/parsers/XercesDOMParser.hpp>
#include <xercesc/sax/HandlerBase.hpp>
#include <xercesc/util/PlatformUtils.hpp>
#include <xercesc/util/SecurityManager.hpp>
#include <xercesc/util/XMLString.hpp>

#include <map>
#include <mutex>
#include <stdexcept>

#include "model/definitions.hpp"

namespace cwmpd::core::model {
namespace x = xercesc;

namespace {

void initXerces() {
  static std::once_flag once;
  std::call_once(once, [] { x::XMLPlatformUtils::Initialize(); });
}

std::string str(const XMLCh* s) {
  if (!s) return {};
  char* c = x::XMLString::transcode(s);
  std::string out(c ? c : "");
  x::XMLString::release(&c);
  return out;
}

struct XStr {
  explicit XStr(const char* s) : p(x::XMLString::transcode(s)) {}
  ~XStr() { x::XMLString::release(&p); }
  XMLCh* p;
};

std::string localName(const x::DOMNode* n) {
  const XMLCh* ln = n->getLocalName();
  std::string s = str(ln ? ln : n->getNodeName());
  auto colon = s.find(':');
  return colon == std::string::npos ? s : s.substr(colon + 1);
}

std::string attr(const x::DOMElement* e, const char* name) {
  XStr n(name);
  return str(e->getAttribute(n.p));
}

bool hasAttr(const x::DOMElement* e, const char* name) {
  XStr n(name);
  return e->hasAttribute(n.p);
}

std::vector<const x::DOMElement*> children(const x::DOMElement* e) {
  std::vector<const x::DOMElement*> out;
  for (auto* c = e->getFirstChild(); c; c = c->getNextSibling())
    if (c->getNodeType() == x::DOMNode::ELEMENT_NODE)
      out.push_back(static_cast<const x::DOMElement*>(c));
  return out;
}

// Refuses DOCTYPEs: data model documents never need one, and refusing it closes the
// door on entity tricks even for documents from third-party plugins.
class NoDoctypeParser : public x::XercesDOMParser {
 public:
  using x::XercesDOMParser::XercesDOMParser;
  void doctypeDecl(const x::DTDElementDecl&, const XMLCh* const, const XMLCh* const, const bool,
                   const bool) override {
    throw std::runtime_error("DOCTYPE is not allowed in a data model document");
  }
};

class ThrowingErrors : public x::HandlerBase {
 public:
  void error(const x::SAXParseException& e) override { fail(e); }
  void fatalError(const x::SAXParseException& e) override { fail(e); }
  void warning(const x::SAXParseException&) override {}

 private:
  [[noreturn]] static void fail(const x::SAXParseException& e) {
    throw std::runtime_error("line " + std::to_string(e.getLineNumber()) + ": " +
                             str(e.getMessage()));
  }
};

bool parseWide(const std::string& s, Wide& out) {
  if (s.empty()) return false;
  std::size_t i = 0;
  bool neg = false;
  if (s[0] == '-' || s[0] == '+') {
    neg = s[0] == '-';
    i = 1;
  }
  if (i == s.size()) return false;
  Wide v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
    if (v > (static_cast<Wide>(1) << 70)) return false;
  }
  out = neg ? -v : v;
  return true;
}

bool baseTypeFromName(const std::string& n, sdk::ParamType& t) {
  if (n == "string")
    t = sdk::ParamType::String;
  else if (n == "int")
    t = sdk::ParamType::Int;
  else if (n == "unsignedInt")
    t = sdk::ParamType::UnsignedInt;
  else if (n == "long")
    t = sdk::ParamType::Long;
  else if (n == "unsignedLong")
    t = sdk::ParamType::UnsignedLong;
  else if (n == "boolean")
    t = sdk::ParamType::Boolean;
  else if (n == "dateTime")
    t = sdk::ParamType::DateTime;
  else if (n == "base64")
    t = sdk::ParamType::Base64;
  else if (n == "hexBinary")
    t = sdk::ParamType::HexBinary;
  else
    return false;
  return true;
}

class Loader {
 public:
  explicit Loader(std::string root) : root_(std::move(root)) {}

  std::vector<ParsedModel> run(const x::DOMElement* doc) {
    if (localName(doc) != "document") throw std::runtime_error("root element is not dm:document");
    for (auto* c : children(doc))
      if (localName(c) == "dataType") readDataType(c);
    std::vector<ParsedModel> out;
    for (auto* c : children(doc)) {
      if (localName(c) != "model") continue;
      std::string name = attr(c, "name");
      bool service = attr(c, "isService") == "true";
      std::string prefix;
      if (!root_.empty()) {
        if (service) {
          prefix = root_ + ".Services.";
        } else if (name.rfind(root_ + ":", 0) != 0) {
          continue;  // a model for the other root
        }
      }
      if (service && !root_.empty()) {
        // cwmpd:mount says which root a service model is for (a document may carry
        // TR-104 issue 2 for Device and issue 1 for InternetGatewayDevice).
        bool skip = false;
        for (auto* mnt : children(c))
          if (localName(mnt) == "mount" && attr(mnt, "root") != root_) skip = true;
        if (skip) continue;
      }
      ParsedModel m;
      m.name = name;
      ParsedObject
          modelLevel;  // parameters of a service model's parent (VoiceServiceNumberOfEntries)
      modelLevel.pattern = prefix;
      for (auto* o : children(c)) {
        if (localName(o) == "object")
          m.objects.push_back(readObject(o, prefix));
        else if (localName(o) == "parameter" && !prefix.empty())
          modelLevel.params.push_back(readParam(o, prefix));
      }
      if (!modelLevel.params.empty()) m.objects.insert(m.objects.begin(), std::move(modelLevel));
      out.push_back(std::move(m));
    }
    return out;
  }

 private:
  std::string root_;
  std::map<std::string, TypeSpec> dataTypes_;

  void applyFacets(const x::DOMElement* e, TypeSpec& t) {
    for (auto* f : children(e)) {
      std::string n = localName(f);
      if (n == "size") {
        if (hasAttr(f, "minLength")) t.minLength = std::stoul(attr(f, "minLength"));
        if (hasAttr(f, "maxLength")) t.maxLength = std::stoul(attr(f, "maxLength"));
      } else if (n == "range") {
        Range r;
        Wide v;
        if (hasAttr(f, "minInclusive") && parseWide(attr(f, "minInclusive"), v)) r.min = v;
        if (hasAttr(f, "maxInclusive") && parseWide(attr(f, "maxInclusive"), v)) r.max = v;
        if (hasAttr(f, "step") && parseWide(attr(f, "step"), v) && v > 0) r.step = v;
        t.ranges.push_back(r);
      } else if (n == "enumeration") {
        t.enumerations.push_back(attr(f, "value"));
      } else if (n == "pattern") {
        t.patterns.push_back(attr(f, "value"));
      } else if (n == "pathRef") {
        t.pathRef = true;
      }
    }
  }

  // Resolves a named type: the document's own definitions first, then the built-ins.
  TypeSpec resolve(const std::string& name) {
    if (auto it = dataTypes_.find(name); it != dataTypes_.end()) return it->second;
    if (const TypeSpec* b = builtinDataType(name)) return *b;
    throw std::runtime_error("unknown dataType '" + name + "'");
  }

  void readDataType(const x::DOMElement* e) {
    std::string name = attr(e, "name");
    TypeSpec t;
    if (hasAttr(e, "base")) t = resolve(attr(e, "base"));
    for (auto* c : children(e)) {
      std::string n = localName(c);
      sdk::ParamType bt;
      if (n == "list") {
        t.list = true;
        for (auto* s : children(c))
          if (localName(s) == "size" && hasAttr(s, "maxLength"))
            t.listMaxLength = std::stoul(attr(s, "maxLength"));
      } else if (baseTypeFromName(n, bt)) {
        t.base = bt;
        applyFacets(c, t);
      }
    }
    applyFacets(e, t);  // facets directly on a derived dataType
    t.dataType = name;
    dataTypes_[name] = t;
  }

  TypeSpec readSyntax(const x::DOMElement* syntax, bool& secret) {
    TypeSpec t;
    secret = attr(syntax, "hidden") == "true" || attr(syntax, "secured") == "true";
    bool list = false;
    std::optional<std::size_t> listMax;
    for (auto* c : children(syntax)) {
      std::string n = localName(c);
      sdk::ParamType bt;
      if (n == "list") {
        list = true;
        for (auto* s : children(c))
          if (localName(s) == "size" && hasAttr(s, "maxLength"))
            listMax = std::stoul(attr(s, "maxLength"));
      } else if (n == "dataType") {
        std::string ref = attr(c, "ref");
        if (ref.empty()) ref = attr(c, "base");
        t = resolve(ref);
        t.dataType = ref;
        applyFacets(c, t);
      } else if (baseTypeFromName(n, bt)) {
        t.base = bt;
        applyFacets(c, t);
        // Our documents flatten named types and keep the name here.
        XStr ns("urn:cwmpd:datamodel-extensions-1"), dn("dataType");
        std::string named = str(c->getAttributeNS(ns.p, dn.p));
        if (!named.empty()) t.dataType = named;
      } else if (n == "default") {
        // handled by the caller
      }
    }
    if (list) {
      t.list = true;
      if (listMax) t.listMaxLength = listMax;
    }
    return t;
  }

  ParsedParam readParam(const x::DOMElement* p, const std::string& objectPath) {
    ParsedParam pp;
    pp.name = attr(p, "name");
    std::string access = attr(p, "access");
    // writeOnceReadOnly (TR-181 Alias) is writable as far as the protocol is concerned.
    pp.access = access == "readWrite" || access == "writeOnceReadOnly" ? sdk::Access::ReadWrite
                : access == "writeOnly"                                ? sdk::Access::WriteOnly
                                                                       : sdk::Access::ReadOnly;
    pp.forcedInform = attr(p, "forcedInform") == "true";
    std::string an = attr(p, "activeNotify");
    pp.activeNotify = an == "canDeny"               ? ActiveNotify::CanDeny
                      : an == "forceEnabled"        ? ActiveNotify::ForceEnabled
                      : an == "forceDefaultEnabled" ? ActiveNotify::ForceDefaultEnabled
                                                    : ActiveNotify::Normal;
    if (pp.activeNotify == ActiveNotify::ForceEnabled ||
        pp.activeNotify == ActiveNotify::ForceDefaultEnabled)
      pp.defaultNotification = 2;
    bool found = false;
    for (auto* s : children(p)) {
      if (localName(s) != "syntax") continue;
      found = true;
      pp.type = readSyntax(s, pp.secret);
      for (auto* d : children(s))
        if (localName(d) == "default" && hasAttr(d, "value") &&
            (attr(d, "type") == "object" || attr(d, "type") == "factory" || !hasAttr(d, "type")))
          pp.defaultValue = attr(d, "value");
    }
    if (!found) throw std::runtime_error("parameter " + objectPath + pp.name + " has no syntax");
    // Write-only parameters are secrets by definition.
    if (pp.access == sdk::Access::WriteOnly) pp.secret = true;
    return pp;
  }

  ParsedObject readObject(const x::DOMElement* o, const std::string& prefix) {
    ParsedObject obj;
    obj.pattern = prefix + attr(o, "name");
    if (obj.pattern.empty() || obj.pattern.back() != '.')
      throw std::runtime_error("object name '" + obj.pattern + "' must end with '.'");
    std::string maxE = attr(o, "maxEntries");
    obj.multi =
        obj.pattern.size() > 4 && obj.pattern.compare(obj.pattern.size() - 4, 4, "{i}.") == 0;
    if (!maxE.empty() && maxE != "unbounded")
      obj.maxEntries = static_cast<std::uint32_t>(std::stoul(maxE));
    obj.writable = obj.multi && attr(o, "access") == "readWrite";
    obj.numEntriesParameter = attr(o, "numEntriesParameter");
    for (auto* p : children(o))
      if (localName(p) == "parameter") obj.params.push_back(readParam(p, obj.pattern));
    return obj;
  }
};

}  // namespace

std::vector<ParsedModel> parseDocument(std::string_view xml, const std::string& root) {
  initXerces();
  NoDoctypeParser parser;
  parser.setValidationScheme(x::XercesDOMParser::Val_Never);
  parser.setDoNamespaces(true);
  parser.setDoSchema(false);
  parser.setLoadExternalDTD(false);
  parser.setLoadSchema(false);
  parser.setDisableDefaultEntityResolution(true);
  parser.setCreateEntityReferenceNodes(false);
  x::SecurityManager security;
  security.setEntityExpansionLimit(16);
  parser.setSecurityManager(&security);
  ThrowingErrors errors;
  parser.setErrorHandler(&errors);
  x::MemBufInputSource src(reinterpret_cast<const XMLByte*>(xml.data()), xml.size(), "model.xml");
  try {
    parser.parse(src);
  } catch (const x::XMLException& e) {
    throw std::runtime_error(str(e.getMessage()));
  } catch (const x::DOMException& e) {
    throw std::runtime_error(str(e.getMessage()));
  }
  x::DOMDocument* doc = parser.getDocument();
  if (!doc || !doc->getDocumentElement()) throw std::runtime_error("empty document");
  try {
    return Loader(root).run(doc->getDocumentElement());
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("bad number in document: ") + e.what());
  } catch (const std::out_of_range& e) {
    throw std::runtime_error(std::string("number out of range in document: ") + e.what());
  }
}

}  // namespace cwmpd::core::model
