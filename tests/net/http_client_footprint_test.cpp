// Issue 15 item 3: what initialising libcurl makes resident. Debian's libcurl links libssh2,
// whose initialisation sets up OpenSSL's engines (~1.5 MB of libcrypto's pages) although
// cwmpd never speaks SSH; the first initialisation of the process leaves that out. Its own
// executable: a process in which nothing has initialised libcurl yet.
#include <gtest/gtest.h>

#include <cstddef>
#include <fstream>
#include <sstream>
#include <string>

#include "cwmpd/core/net/curl_acs_transport.hpp"

namespace {

// Resident kB of this process's mappings of files whose name contains `library`.
std::size_t residentKb(const std::string& library) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inLibrary = false;
  std::size_t kb = 0;
  while (std::getline(smaps, line)) {
    std::istringstream fields(line);
    std::string first;
    fields >> first;
    if (first == "Rss:") {
      std::size_t n = 0;
      fields >> n;
      if (inLibrary) kb += n;
    } else if (first.find('-') != std::string::npos && first.back() != ':') {
      inLibrary = line.find(library) != std::string::npos;  // a mapping's header line
    }
  }
  return kb;
}

TEST(HttpClientFootprint, InitialisingLibcurlLeavesOpenSslUntouched) {
  const std::size_t before = residentKb("libcrypto.so");
  cwmpd::core::net::initHttpClient();
  const std::size_t after = residentKb("libcrypto.so");
  // OpenSSL's initialisation makes about 1.5 MB of it resident (libcurl on OpenSSL more);
  // without it a few pages at most.
  EXPECT_LT(after, before + 256) << "libcrypto resident: " << before << " kB, then " << after
                                 << " kB";
}

}  // namespace
