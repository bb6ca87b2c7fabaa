#include "cwmpd/core/rpc_dispatcher.hpp"

#include <algorithm>
#include <exception>
#include <type_traits>

#include "cwmpd/core/log.hpp"
#include "cwmpd/core/soap/encoder.hpp"
#include "cwmpd/core/soap/fault_map.hpp"
#include "rpc/rpc_table.hpp"

namespace cwmpd::core {

using sdk::Fault;
using sdk::FaultCode;
using sdk::Source;

namespace {

// Bytes reserved per struct of a GetParameterValues/Names answer: the tags (about 100 and
// 80 bytes) plus a typical name and value, rounded up.
constexpr std::size_t kValueStructGuess = 192;
constexpr std::size_t kInfoStructGuess = 160;

std::optional<std::string> keyOf(const std::string& k) { return k; }

// TR-069 A.3.2.1: ParameterKey is at most 32 characters; CommandKey likewise.
void checkKey(const std::string& key, const char* what) {
  if (key.size() > 32)
    throw Fault(FaultCode::InvalidArguments, std::string(what) + " longer than 32 characters");
}

// xsi:type of a SetParameterValues value against the parameter's type (9006): only
// checked when the ACS states a type we can compare.
bool typeMatches(const std::string& xsiType, sdk::ParamType t) {
  if (xsiType.empty()) return true;
  std::string local =
      xsiType.substr(xsiType.find(':') == std::string::npos ? 0 : xsiType.find(':') + 1);
  std::string want = sdk::xsdTypeName(t);
  want = want.substr(want.find(':') + 1);
  if (local == want) return true;
  if (local == "base64" && t == sdk::ParamType::Base64) return true;
  // Lenient where ACSs commonly differ: integer widths and "anySimpleType"/"string".
  auto integral = [](const std::string& s) {
    return s == "int" || s == "unsignedInt" || s == "long" || s == "unsignedLong";
  };
  if (integral(local) && (t == sdk::ParamType::Int || t == sdk::ParamType::UnsignedInt ||
                          t == sdk::ParamType::Long || t == sdk::ParamType::UnsignedLong))
    return true;
  return local == "anySimpleType" || local == "string";
}

soap::Body methodNotSupported(std::string_view method) {
  return soap::makeFault(static_cast<int>(FaultCode::MethodNotSupported),
                         "Method not supported: " + std::string(method));
}

// ---- the methods the table answers on the data model (Handler::Model) ------------------

struct Context {
  DataModel& model;
  const RpcDispatcher& dispatcher;
};

soap::Body answer(Context& c, const soap::GetRPCMethods&) {
  return soap::GetRPCMethodsResponse{c.dispatcher.supportedMethods()};
}

// A name that is not a partial path gives one value (or a fault).
bool fullName(std::string_view n) { return !n.empty() && n.back() != '.'; }

// GetParameterValues of `names` (the request's strings, or a DataModel::NameList the
// decoder filled): `fullNames` of them are full names. Written as XML while the model is
// walked: the values never exist twice. The buffer is sized once from a count (a
// generous guess per struct: what is not written stays untouched address space); growing
// it by doubling would copy megabytes and fault in fresh pages each time.
template <class Names>
soap::Body valuesAnswer(DataModel& model, const Names& names, std::size_t size,
                        std::size_t fullNames) {
  soap::GetParameterValuesResponse out;
  // A list of full parameter names gives one value per name (or a fault): only partial
  // paths need the model to count, which would resolve every name a second time.
  const std::size_t count = fullNames == size ? size : model.countValues(names);
  out.encoded.reserve(count * kValueStructGuess);
  model.visitValues(names, [&](std::string_view name, sdk::ParamType type, std::string_view value) {
    soap::appendParameterValueStruct(out.encoded, name, sdk::xsdTypeName(type), value);
    ++out.encodedCount;
  });
  return out;
}

soap::Body answer(Context& c, const soap::GetParameterValues& r) {
  const auto& names = r.parameterNames;
  return valuesAnswer(
      c.model, names, names.size(),
      static_cast<std::size_t>(std::count_if(names.begin(), names.end(),
                                             [](const std::string& n) { return fullName(n); })));
}

// Takes the names of a GetParameterValues from the decoder into a name list of the
// model, which resolves each as it comes.
class ValuesSink final : public soap::NameSink {
 public:
  explicit ValuesSink(DataModel& model) : model_(model) {}
  bool begin(std::string_view method) override {
    if (method != "GetParameterValues") return false;
    list_ = model_.newNameList();
    return true;
  }
  void name(std::string_view n) override {
    list_->add(n);
    ++size_;
    if (fullName(n)) ++fullNames_;
  }
  [[nodiscard]] bool streamed() const { return list_ != nullptr; }
  [[nodiscard]] soap::Body answer() {
    return valuesAnswer(model_, static_cast<const DataModel::NameList&>(*list_), size_, fullNames_);
  }

 private:
  DataModel& model_;
  std::unique_ptr<DataModel::NameList> list_;
  std::size_t size_ = 0;
  std::size_t fullNames_ = 0;
};

soap::Body answer(Context& c, const soap::SetParameterValues& r) {
  checkKey(r.parameterKey, "ParameterKey");
  if (r.parameterList.empty()) throw Fault(FaultCode::InvalidArguments, "empty ParameterList");
  // 9006 for a stated type that contradicts the definition.
  std::vector<ParameterFault> typeFaults;
  std::vector<std::pair<std::string, std::string>> values;
  values.reserve(r.parameterList.size());
  std::vector<std::string> typed;
  for (const auto& p : r.parameterList) {
    values.emplace_back(p.name, p.value);
    if (!p.type.empty()) typed.push_back(p.name);
  }
  // The definitions' types, without reading the values; unknown names (nullopt) are
  // reported by setValues with 9005.
  if (!typed.empty()) {
    const auto types = c.model.parameterTypes(typed);
    std::size_t i = 0;
    for (const auto& p : r.parameterList) {
      if (p.type.empty()) continue;
      const auto& t = types[i++];
      if (t && !typeMatches(p.type, *t))
        typeFaults.push_back({p.name, static_cast<int>(FaultCode::InvalidParameterType),
                              "Invalid parameter type: " + p.type});
    }
  }
  if (!typeFaults.empty())
    throw SetFault(
        typeFaults.size() == 1 ? typeFaults[0].code : static_cast<int>(FaultCode::InvalidArguments),
        typeFaults[0].message, typeFaults);
  int status = c.model.setValues(values, Source::Acs, keyOf(r.parameterKey));
  return soap::SetParameterValuesResponse{status};
}

soap::Body answer(Context& c, const soap::GetParameterNames& r) {
  soap::GetParameterNamesResponse out;
  // One walk over the names: the buffer is sized from a count over the objects only
  // (countNames), not from a first walk over every parameter.
  if (!r.nextLevel) out.encoded.reserve(c.model.countNames(r.parameterPath) * kInfoStructGuess);
  c.model.visitNames(r.parameterPath, r.nextLevel, [&](std::string_view name, bool writable) {
    soap::appendParameterInfoStruct(out.encoded, name, writable);
    ++out.encodedCount;
  });
  return out;
}

soap::Body answer(Context& c, const soap::SetParameterAttributes& r) {
  std::vector<AttributeUpdate> ups;
  for (const auto& s : r.parameterList)
    ups.push_back({s.name, s.notificationChange, s.notification, s.accessListChange, s.accessList});
  c.model.setAttributes(ups);
  return soap::SetParameterAttributesResponse{};
}

soap::Body answer(Context& c, const soap::GetParameterAttributes& r) {
  soap::GetParameterAttributesResponse out;
  for (auto& a : c.model.getAttributes(r.parameterNames))
    out.parameterList.push_back({std::move(a.name), a.notification, std::move(a.accessList)});
  return out;
}

soap::Body answer(Context& c, const soap::AddObject& r) {
  checkKey(r.parameterKey, "ParameterKey");
  auto n = c.model.addObject(r.objectName, Source::Acs, keyOf(r.parameterKey));
  return soap::AddObjectResponse{n, 0};
}

soap::Body answer(Context& c, const soap::DeleteObject& r) {
  checkKey(r.parameterKey, "ParameterKey");
  c.model.deleteObject(r.objectName, Source::Acs, keyOf(r.parameterKey));
  return soap::DeleteObjectResponse{0};
}

// ---- what the dispatcher checks before an agent's handler runs (Handler::Agent) --------

template <class Request>
void check(const Request&) {}
void check(const soap::Reboot& r) { checkKey(r.commandKey, "CommandKey"); }
void check(const soap::ScheduleInform& r) {
  checkKey(r.commandKey, "CommandKey");
  // TR-069 A.4.1.2: DelaySeconds must be greater than zero.
  if (r.delaySeconds == 0)
    throw Fault(FaultCode::InvalidArguments, "DelaySeconds must be greater than 0");
}
void check(const soap::Download& r) { checkKey(r.commandKey, "CommandKey"); }
void check(const soap::Upload& r) { checkKey(r.commandKey, "CommandKey"); }
void check(const soap::ScheduleDownload& r) { checkKey(r.commandKey, "CommandKey"); }

}  // namespace

struct RpcDispatcher::Dispatch {
  // The answer of row I of the table when `request` is its request type.
  template <std::size_t I>
  static bool row(RpcDispatcher& d, const soap::Body& request, soap::Body& out) {
    constexpr const auto& method = std::get<I>(rpc::kCpeMethods);
    using Request = typename std::decay_t<decltype(method)>::RequestType;
    const Request* r = std::get_if<Request>(&request);
    if (r == nullptr) return false;
    if (static_cast<unsigned>(method.since) > d.cwmpMinor_) {
      // TR-069 A.4.1: a session runs in the negotiated version; a method it does not
      // define is not supported in it.
      out = methodNotSupported(method.name);
    } else if constexpr (method.handler == rpc::Handler::Model) {
      Context c{d.model_, d};
      out = answer(c, *r);
    } else {
      if (!d.provided(request.index())) {
        out = methodNotSupported(method.name);
      } else {
        check(*r);
        out = d.agent_[request.index()](request);
      }
    }
    return true;
  }

  template <std::size_t... I>
  static bool anyRow(RpcDispatcher& d, const soap::Body& request, soap::Body& out,
                     std::index_sequence<I...>) {
    return (row<I>(d, request, out) || ...);
  }
};

RpcDispatcher::RpcDispatcher(DataModel& model) : model_(model) {}

void RpcDispatcher::provideVendor(std::string name, VendorHandler handler) {
  vendor_[std::move(name)] = std::move(handler);
}

std::vector<std::string> RpcDispatcher::supportedMethods() const {
  std::vector<std::string> m;
  rpc::forEachRow(rpc::kCpeMethods, [&](const auto& method) {
    using Request = typename std::decay_t<decltype(method)>::RequestType;
    if (!method.listed || static_cast<unsigned>(method.since) > cwmpMinor_) return;
    if (method.handler == rpc::Handler::Agent &&
        !provided(indexOf<Request>(static_cast<soap::Body*>(nullptr))))
      return;
    m.emplace_back(method.name);
  });
  for (const auto& [name, fn] : vendor_) m.push_back(name);
  return m;
}

RpcDispatcher::Decoded RpcDispatcher::decodeAndAnswer(std::string_view payload,
                                                      const soap::DecodeLimits& limits) {
  ValuesSink sink(model_);
  Decoded out{soap::decode(payload, limits, &sink), std::nullopt};
  if (!sink.streamed() || !out.result.ok()) return out;
  const soap::Envelope& request = out.result.envelope();
  if (!std::holds_alternative<soap::GetParameterValues>(request.body) ||
      !request.header.unknownMustUnderstand.empty())
    return out;
  try {
    out.answer = sink.answer();
  } catch (...) {
    out.answer = soap::toSoapFault(std::current_exception());
  }
  return out;
}

soap::Body RpcDispatcher::handle(const soap::Body& request) {
  try {
    soap::Body out;
    constexpr auto kRows = std::tuple_size_v<std::decay_t<decltype(rpc::kCpeMethods)>>;
    if (Dispatch::anyRow(*this, request, out, std::make_index_sequence<kRows>{})) return out;
    if (const auto* v = std::get_if<soap::VendorMethod>(&request)) {
      auto it = vendor_.find(v->name);
      if (it == vendor_.end()) return methodNotSupported(v->name);
      return it->second(*v);
    }
    // A response or an ACS-side method where a request was expected.
    return soap::makeFault(static_cast<int>(FaultCode::MethodNotSupported),
                           "Not a CPE method: " + soap::methodName(request));
  } catch (...) {
    return soap::toSoapFault(std::current_exception());
  }
}

}  // namespace cwmpd::core
