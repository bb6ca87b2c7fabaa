// AcsTransport on libcurl. Not thread-safe: one session is driven by one thread
// (the engine's loop); post() blocks for at most the endpoint's timeout.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "cwmpd/core/net/acs_transport.hpp"

namespace cwmpd::core::net {

// Initialises libcurl once for the process. curl_global_init is not thread-safe, so
// the daemon calls this from main() before starting threads; CurlAcsTransport's
// constructor calls it too (it is idempotent) for tests and tools. The daemon calls it
// before anything else initialises libcurl (Xerces-C does, for its network accessor):
// the first initialisation leaves out what cwmpd never uses (libssh2's OpenSSL set-up).
void initHttpClient();

struct CurlAcsTransportOptions {
  // A response body larger than this aborts the transfer (bounded input from outside).
  std::size_t maxResponseBytes = std::size_t{4} * 1024 * 1024;
  // TR-069 3.4.5 allows redirects; the spec does not bound them, we do.
  long maxRedirects = 5;
  std::string userAgent = "cwmpd";
  // POST bodies of at least this many bytes go gzip-compressed (Content-Encoding: gzip)
  // to an ACS that said it accepts gzip (RFC 7694: Accept-Encoding in one of its
  // answers); 0 = never compress.
  std::size_t gzipThreshold = 0;
};

class CurlAcsTransport final : public AcsTransport {
 public:
  explicit CurlAcsTransport(CurlAcsTransportOptions options = {});
  ~CurlAcsTransport() override;
  CurlAcsTransport(const CurlAcsTransport&) = delete;
  CurlAcsTransport& operator=(const CurlAcsTransport&) = delete;

  void beginSession(const AcsEndpoint& endpoint) override;
  HttpResult post(std::string_view body, std::string_view soapAction) override;
  void setTimeout(std::chrono::milliseconds timeout) override;
  void endSession() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cwmpd::core::net
