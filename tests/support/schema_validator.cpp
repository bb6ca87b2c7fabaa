#include "schema_validator.hpp"

#include <xercesc/dom/DOM.hpp>
#include <xercesc/framework/LocalFileInputSource.hpp>
#include <xercesc/framework/MemBufInputSource.hpp>
#include <xercesc/framework/XMLGrammarPool.hpp>
#include <xercesc/parsers/XercesDOMParser.hpp>
#include <xercesc/sax/ErrorHandler.hpp>
#include <xercesc/sax/SAXParseException.hpp>
#include <xercesc/util/PlatformUtils.hpp>
#include <xercesc/util/XMLEntityResolver.hpp>
#include <xercesc/util/XMLString.hpp>
#include <xercesc/util/XMLUni.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>

namespace cwmpd::test {

namespace x = XERCES_CPP_NAMESPACE;
namespace fs = std::filesystem;

namespace {

std::string toUtf8(const XMLCh* s) {
  if (s == nullptr) return {};
  char* c = x::XMLString::transcode(s);  // names and messages here are ASCII
  std::string out(c);
  x::XMLString::release(&c);
  return out;
}

class XStr {
 public:
  explicit XStr(const std::string& s) : s_(x::XMLString::transcode(s.c_str())) {}
  ~XStr() { x::XMLString::release(&s_); }
  XStr(const XStr&) = delete;
  XStr& operator=(const XStr&) = delete;
  [[nodiscard]] const XMLCh* get() const { return s_; }

 private:
  XMLCh* s_;
};

// Maps schema addresses to the local folder; anything else is refused so that the
// validation never touches the network.
class LocalResolver : public x::XMLEntityResolver {
 public:
  explicit LocalResolver(std::string dir) : dir_(std::move(dir)) {}

  x::InputSource* resolveEntity(x::XMLResourceIdentifier* id) override {
    const std::string system = toUtf8(id->getSystemId());
    const std::string ns = toUtf8(id->getNameSpace());
    std::string file;
    if (system == "http://schemas.xmlsoap.org/soap/envelope/" ||
        (system.empty() && ns == "http://schemas.xmlsoap.org/soap/envelope/")) {
      file = "soap-envelope.xsd";
    } else if (system == "http://schemas.xmlsoap.org/soap/encoding/" ||
               (system.empty() && ns == "http://schemas.xmlsoap.org/soap/encoding/")) {
      file = "soap-encoding.xsd";
    } else {
      for (const char* prefix :
           {"http://www.broadband-forum.org/cwmp/", "https://www.broadband-forum.org/cwmp/"}) {
        if (system.rfind(prefix, 0) == 0) file = system.substr(std::string(prefix).size());
      }
      // The local files themselves (loadGrammar, relative includes): only inside the folder.
      std::string local = system.rfind("file://", 0) == 0 ? system.substr(7) : system;
      if (file.empty() && local.find("://") == std::string::npos) {
        const fs::path p = fs::path(local).is_absolute() ? fs::path(local) : fs::path(dir_) / local;
        std::error_code ec;
        if (fs::equivalent(p.parent_path(), dir_, ec)) file = p.filename().string();
      }
    }
    if (file.empty() || file.find('/') != std::string::npos) {
      throw std::runtime_error("schema validation tried to fetch " + system);
    }
    const XStr path((fs::path(dir_) / file).string());
    return new x::LocalFileInputSource(path.get());
  }

 private:
  std::string dir_;
};

class CollectErrors : public x::ErrorHandler {
 public:
  void warning(const x::SAXParseException&) override {}
  void error(const x::SAXParseException& e) override { add(e); }
  void fatalError(const x::SAXParseException& e) override { add(e); }
  void resetErrors() override { text.clear(); }
  std::string text;

 private:
  void add(const x::SAXParseException& e) {
    text += "line " + std::to_string(e.getLineNumber()) + " col " +
            std::to_string(e.getColumnNumber()) + ": " + toUtf8(e.getMessage()) + "\n";
  }
};

const char* schemaFor(std::string_view message) {
  if (message.find("urn:dslforum-org:cwmp-1-0") != std::string_view::npos) return "cwmp-1-0.xsd";
  if (message.find("urn:dslforum-org:cwmp-1-1") != std::string_view::npos) return "cwmp-1-1.xsd";
  return "cwmp-1-4.xsd";  // cwmp-1-2 namespace: 1-4 includes 1-3, which includes 1-2
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string withoutRedefines(std::string text) {
  for (std::size_t b; (b = text.find("<xs:redefine")) != std::string::npos;) {
    const std::size_t e = text.find("</xs:redefine>", b);
    if (e == std::string::npos) break;
    text.erase(b, e + std::string_view("</xs:redefine>").size() - b);
  }
  return text;
}

struct Initializer {
  Initializer() { x::XMLPlatformUtils::Initialize(); }
};

}  // namespace

std::string bbfDir() {
  const char* env = std::getenv("CWMPD_BBF_DIR");
  const fs::path dir =
      env != nullptr && *env != '\0' ? fs::path(env) : fs::path(CWMPD_DEFAULT_BBF_DIR);
  std::error_code ec;
  if (!fs::exists(dir / "cwmp-1-0.xsd", ec)) return {};
  return dir.string();
}

struct SchemaValidator::Impl {
  explicit Impl(std::string d) : dir(std::move(d)), resolver(dir) {}

  // One parser per schema file, with its grammars loaded once and cached.
  x::XercesDOMParser& parserFor(const char* schema) {
    auto it = parsers.find(schema);
    if (it != parsers.end()) return *it->second;
    auto parser = std::make_unique<x::XercesDOMParser>();
    parser->setErrorHandler(&errors);
    parser->setXMLEntityResolver(&resolver);
    parser->setDisableDefaultEntityResolution(true);
    parser->setDoNamespaces(true);
    parser->setDoSchema(true);
    parser->setValidationScheme(x::XercesDOMParser::Val_Always);
    parser->setValidationSchemaFullChecking(true);
    parser->setHandleMultipleImports(true);
    parser->setLoadExternalDTD(false);
    for (const char* file : {"soap-envelope.xsd", "soap-encoding.xsd", schema}) {
      errors.text.clear();
      const std::string path = (fs::path(dir) / file).string();
      const XStr xpath(path);
      x::Grammar* grammar = nullptr;
      if (std::string_view(file) == "cwmp-1-4.xsd") {
        // Xerces-C cannot redefine one document three times (cwmp-1-4.xsd does, to widen
        // three enumerations of cwmp-1-3.xsd). Load the official file without its
        // xs:redefine blocks: the new header elements and everything of 1-3 and 1-2 are
        // still checked, only the values 1-4 adds (fault 8006, notification 3-6) are not.
        const std::string text = withoutRedefines(readFile(path));
        x::MemBufInputSource source(reinterpret_cast<const XMLByte*>(text.data()), text.size(),
                                    xpath.get(), false);
        grammar = parser->loadGrammar(source, x::Grammar::SchemaGrammarType, true);
      } else {
        grammar = parser->loadGrammar(xpath.get(), x::Grammar::SchemaGrammarType, true);
      }
      if (grammar == nullptr || !errors.text.empty()) {
        throw std::runtime_error(std::string("cannot load schema ") + file + ": " + errors.text);
      }
    }
    parser->useCachedGrammarInParse(true);
    return *parsers.emplace(schema, std::move(parser)).first->second;
  }

  std::string dir;
  Initializer init;
  LocalResolver resolver;
  CollectErrors errors;
  std::map<std::string, std::unique_ptr<x::XercesDOMParser>> parsers;
  std::mutex mutex;
};

SchemaValidator::SchemaValidator(std::string dir) : impl_(std::make_unique<Impl>(std::move(dir))) {}
SchemaValidator::~SchemaValidator() = default;

SchemaCheck SchemaValidator::validate(std::string_view message, std::string_view expectedMethod) {
  std::lock_guard lock(impl_->mutex);
  SchemaCheck check;
  check.schemaFile = schemaFor(message);
  x::XercesDOMParser& parser = impl_->parserFor(check.schemaFile.c_str());
  impl_->errors.text.clear();
  x::MemBufInputSource source(reinterpret_cast<const XMLByte*>(message.data()), message.size(),
                              "message", false);
  try {
    parser.parse(source);
  } catch (const std::exception& e) {
    impl_->errors.text += std::string("exception: ") + e.what() + "\n";
  } catch (const x::XMLException& e) {
    impl_->errors.text += "exception: " + toUtf8(e.getMessage()) + "\n";
  } catch (const x::DOMException& e) {
    impl_->errors.text += "exception: " + toUtf8(e.getMessage()) + "\n";
  }
  check.errors = impl_->errors.text;

  // The Body's first element (the envelope schema does not check it).
  if (x::DOMDocument* doc = parser.getDocument(); doc != nullptr && doc->getDocumentElement()) {
    for (x::DOMElement* c = doc->getDocumentElement()->getFirstElementChild(); c != nullptr;
         c = c->getNextElementSibling()) {
      if (toUtf8(c->getLocalName()) != "Body") continue;
      if (x::DOMElement* m = c->getFirstElementChild()) {
        check.bodyNamespace = toUtf8(m->getNamespaceURI());
        check.bodyElement = toUtf8(m->getLocalName());
      }
      break;
    }
  }
  const bool isFault = expectedMethod == "Fault";
  const bool bodyOk = check.bodyElement == expectedMethod &&
                      (isFault ? check.bodyNamespace == "http://schemas.xmlsoap.org/soap/envelope/"
                               : check.bodyNamespace.rfind("urn:dslforum-org:cwmp-1-", 0) == 0);
  if (!bodyOk) {
    check.errors += "Body holds {" + check.bodyNamespace + "}" + check.bodyElement + ", expected " +
                    std::string(expectedMethod) + "\n";
  }
  check.valid = check.errors.empty();
  return check;
}

SchemaValidator& sharedValidator() {
  static SchemaValidator validator(bbfDir());
  return validator;
}

::testing::AssertionResult isValidCwmp(std::string_view message, std::string_view expectedMethod) {
  const SchemaCheck check = sharedValidator().validate(message, expectedMethod);
  if (check.valid) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "not valid against " << check.schemaFile << ":\n"
                                       << check.errors << "message:\n"
                                       << message.substr(0, 4000);
}

}  // namespace cwmpd::test
