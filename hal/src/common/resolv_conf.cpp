#include "common/resolv_conf.hpp"

#include <arpa/inet.h>

#include <algorithm>

#include "common/files.hpp"
#include "cwmpd/hal/error.hpp"

namespace cwmpd::hal::detail {

bool isIpv4(const std::string& text) {
  in_addr a{};
  return ::inet_pton(AF_INET, text.c_str(), &a) == 1;
}

bool isIpv6(const std::string& text) {
  in6_addr a{};
  return ::inet_pton(AF_INET6, text.c_str(), &a) == 1;
}

std::vector<std::string> readNameservers(const fs::path& path) {
  std::vector<std::string> out;
  for (auto line : splitList(tryReadFile(path).value_or(""), '\n')) {
    std::replace(line.begin(), line.end(), '\t', ' ');
    const auto words = splitList(line, ' ');
    if (words.size() >= 2 && words[0] == "nameserver") out.push_back(words[1]);
  }
  return out;
}

void writeNameservers(const fs::path& path, const std::vector<std::string>& servers) {
  for (const auto& s : servers) {
    if (!isIpv4(s) && !isIpv6(s)) throw HalError("not an IP address: '" + s + "'");
  }
  std::string out;
  bool written = false;
  const std::string old = tryReadFile(path).value_or("");
  std::string_view rest(old);
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    const std::string line(rest.substr(0, nl));
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    std::string spaced = line;
    std::replace(spaced.begin(), spaced.end(), '\t', ' ');
    const auto words = splitList(spaced, ' ');
    if (!words.empty() && words[0] == "nameserver") {
      if (!written) {  // the new list takes the place of the first old entry
        for (const auto& s : servers) out += "nameserver " + s + "\n";
        written = true;
      }
      continue;
    }
    out += line + "\n";
  }
  if (!written) {
    for (const auto& s : servers) out += "nameserver " + s + "\n";
  }
  writeFileAtomic(path, out);
}

}  // namespace cwmpd::hal::detail
