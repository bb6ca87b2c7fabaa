#include "cwmpd/core/soap/messages.hpp"

#include "soap/method_names.hpp"

namespace cwmpd::core::soap {

const char* namespaceUrn(CwmpNamespace ns) noexcept {
  switch (ns) {
    case CwmpNamespace::V1_0: return "urn:dslforum-org:cwmp-1-0";
    case CwmpNamespace::V1_1: return "urn:dslforum-org:cwmp-1-1";
    case CwmpNamespace::V1_2: return "urn:dslforum-org:cwmp-1-2";
    case CwmpNamespace::V1_3: return "urn:dslforum-org:cwmp-1-3";
    case CwmpNamespace::V1_4: return "urn:dslforum-org:cwmp-1-4";
  }
  return "urn:dslforum-org:cwmp-1-0";
}

std::optional<CwmpNamespace> namespaceFromUrn(std::string_view urn) noexcept {
  constexpr std::string_view kPrefix = "urn:dslforum-org:cwmp-1-";
  if (urn.size() != kPrefix.size() + 1 || urn.substr(0, kPrefix.size()) != kPrefix) {
    return std::nullopt;
  }
  switch (urn.back()) {
    case '0': return CwmpNamespace::V1_0;
    case '1': return CwmpNamespace::V1_1;
    case '2': return CwmpNamespace::V1_2;
    case '3': return CwmpNamespace::V1_3;
    case '4': return CwmpNamespace::V1_4;
    default: return std::nullopt;
  }
}

std::string methodName(const Body& body) {
  return std::visit(
      [](const auto& m) -> std::string {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, VendorMethod> || std::is_same_v<T, VendorMethodResponse>) {
          return m.name;
        } else if constexpr (std::is_same_v<T, Fault>) {
          return "Fault";
        } else if constexpr (std::is_same_v<T, Empty>) {
          return {};
        } else {
          return std::string(detail::methodName<T>());
        }
      },
      body);
}

}  // namespace cwmpd::core::soap
