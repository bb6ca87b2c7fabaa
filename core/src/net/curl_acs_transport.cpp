#include "cwmpd/core/net/curl_acs_transport.hpp"

#include <curl/curl.h>
#include <dlfcn.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <mutex>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>

#include "cwmpd/core/log.hpp"

namespace cwmpd::core::net {

namespace {

// Debian's libcurl links libssh2 (SCP, SFTP), and curl_global_init() calls libssh2_init(),
// which sets up OpenSSL's engines: ~1.5 MB of libcrypto made resident for protocols this
// process never speaks (the ACS transport: http and https; transfers: http, https, ftp).
// libssh2 counts its initialisations and sets its crypto up on the first one only, so a
// first one without crypto keeps libcrypto's pages untouched; OpenSSL 3 initialises itself
// on first use should anything ever need it. Only where libssh2 is already in the process.
void initSshWithoutCrypto() {
  void* ssh = ::dlopen("libssh2.so.1", RTLD_NOW | RTLD_NOLOAD);
  if (ssh == nullptr) return;
  using Init = int (*)(int);
  if (void* init = ::dlsym(ssh, "libssh2_init")) {
    constexpr int kNoCrypto = 0x0001;  // LIBSSH2_INIT_NO_CRYPTO
    reinterpret_cast<Init>(init)(kNoCrypto);
  }
  ::dlclose(ssh);
}

}  // namespace

void initHttpClient() {
  static std::once_flag once;
  std::call_once(once, [] {
    initSshWithoutCrypto();
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw std::runtime_error("libcurl initialisation failed");
    }
  });
}

namespace {

std::string trim(std::string_view s) {
  auto isSpace = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return std::string(s);
}

std::string lowerCase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Scheme, host and port of a URL (lower-case scheme and host, default port filled in):
// what decides whether a redirect leaves the ACS's origin. Empty scheme = unparsable.
struct Origin {
  std::string scheme, host, port;
  bool operator==(const Origin&) const = default;
};

Origin originOf(const std::string& url) {
  Origin o;
  CURLU* u = curl_url();
  if (u == nullptr) throw std::bad_alloc();
  if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    auto part = [u](CURLUPart what, unsigned int flags) {
      char* text = nullptr;
      std::string out;
      if (curl_url_get(u, what, &text, flags) == CURLUE_OK && text != nullptr) out = text;
      curl_free(text);
      return out;
    };
    o.scheme = lowerCase(part(CURLUPART_SCHEME, 0));
    o.host = lowerCase(part(CURLUPART_HOST, 0));
    o.port = part(CURLUPART_PORT, CURLU_DEFAULT_PORT);
  }
  curl_url_cleanup(u);
  return o;
}

// RFC 7694 section 3: the ACS accepts gzip request bodies when an answer of its carries
// Accept-Encoding with gzip (not at q=0). nullopt when the answer says nothing.
std::optional<bool> acceptsGzip(const HttpResult& r) {
  auto h = r.headers.find("accept-encoding");
  if (h == r.headers.end()) return std::nullopt;
  const std::string v = lowerCase(h->second);
  std::size_t from = 0;
  while (from <= v.size()) {
    std::size_t comma = v.find(',', from);
    if (comma == std::string::npos) comma = v.size();
    const std::string item = trim(std::string_view(v).substr(from, comma - from));
    from = comma + 1;
    const std::string coding = trim(item.substr(0, item.find(';')));
    if (coding != "gzip" && coding != "x-gzip" && coding != "*") continue;
    const auto q = item.find("q=");
    return q == std::string::npos || std::strtod(item.c_str() + q + 2, nullptr) > 0;
  }
  return false;
}

// The gzip form (RFC 1952) of `body`; empty when zlib fails (then it goes uncompressed).
std::string gzipped(std::string_view body) {
  z_stream z{};
  // 15 window bits + 16: a gzip wrapper rather than zlib's own.
  constexpr int kGzipWindow = 15 + 16;
  constexpr int kMemLevel = 8;
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindow, kMemLevel,
                   Z_DEFAULT_STRATEGY) != Z_OK)
    return {};
  std::string out(deflateBound(&z, static_cast<uLong>(body.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  z.avail_in = static_cast<uInt>(body.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string();
}

// Owns a curl_slist so every exit path frees it.
class HeaderList {
 public:
  HeaderList() = default;
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;
  ~HeaderList() { curl_slist_free_all(list_); }
  void add(const std::string& line) {
    curl_slist* next = curl_slist_append(list_, line.c_str());
    if (next == nullptr) throw std::bad_alloc();
    list_ = next;
  }
  [[nodiscard]] curl_slist* get() const { return list_; }

 private:
  curl_slist* list_ = nullptr;
};

}  // namespace

// How the credentials may be offered to the host the session talks to.
enum class AuthMode {
  // Basic or digest, whichever the ACS asks for: the configured ACS itself, or any
  // host reached over TLS.
  Any,
  // Digest only: a host the ACS redirected us to over plain HTTP. Digest proves the
  // password without revealing it; Basic would hand it to whoever is on the path.
  DigestOnly,
};

struct CurlAcsTransport::Impl {
  CurlAcsTransportOptions options;
  CURL* curl = nullptr;
  AcsEndpoint endpoint;  // of the open session
  Origin acsOrigin;      // of endpoint.url
  std::string url;       // where the session's POSTs go now (after redirects)
  bool hasCredentials = false;
  char errorBuffer[CURL_ERROR_SIZE] = {};
  // State of the transfer in progress, filled by the callbacks.
  HttpResult* current = nullptr;
  bool overLimit = false;
  bool outOfMemory = false;
  // The ACS accepts gzip request bodies (RFC 7694); remembered for its URL across
  // sessions, so a large Inform goes compressed too once the ACS said so.
  bool acsAcceptsGzip = false;
  std::string gzipAcsUrl;

  // The callbacks run inside libcurl (C): nothing may be thrown through it. Returning
  // anything but n aborts the transfer with CURLE_WRITE_ERROR.
  static size_t onBody(char* data, size_t size, size_t count, void* self) noexcept {
    auto* impl = static_cast<Impl*>(self);
    const size_t n = size * count;
    if (impl->current->body.size() + n > impl->options.maxResponseBytes) {
      impl->overLimit = true;
      return 0;
    }
    try {
      impl->current->body.append(data, n);
    } catch (const std::bad_alloc&) {
      impl->outOfMemory = true;
      return 0;
    }
    return n;
  }

  static size_t onHeader(char* data, size_t size, size_t count, void* self) noexcept {
    auto* impl = static_cast<Impl*>(self);
    const size_t n = size * count;
    std::string_view line(data, n);
    if (line.starts_with("HTTP/")) {
      // A new response starts (after a 401 or a redirect): only the last one counts, and
      // its buffer is reserved from its own Content-Length.
      impl->current->headers.clear();
      std::string().swap(impl->current->body);
      return n;
    }
    try {
      const auto colon = line.find(':');
      if (colon != std::string_view::npos) {
        std::string name = lowerCase(trim(line.substr(0, colon)));
        std::string value = trim(line.substr(colon + 1));
        if (name == "content-length") impl->reserveBody(value);
        impl->current->headers[std::move(name)] = std::move(value);
      }
    } catch (const std::bad_alloc&) {
      impl->outOfMemory = true;
      return 0;
    }
    return n;
  }

  // The body goes into one buffer of the announced size: appended chunk by chunk, a
  // megabyte request would be copied at each doubling and hold two buffers (up to three
  // times its size) at once. A length over the limit is refused by libcurl
  // (CURLOPT_MAXFILESIZE_LARGE) before any byte of the body, and nothing is reserved for
  // it; a gzip body is announced compressed, so its buffer still grows beyond this as it is
  // inflated. A length within the limit that the ACS does not send (a lie, a cut
  // connection) reserves address space only: a block this size is mapped on its own
  // (M_MMAP_THRESHOLD) and its pages become resident as the bytes arrive; the failed
  // transfer gives it back (post()).
  void reserveBody(const std::string& contentLength) const {
    char* end = nullptr;
    const unsigned long long length = std::strtoull(contentLength.c_str(), &end, 10);
    if (end == contentLength.c_str() || *end != '\0' || length > options.maxResponseBytes) return;
    current->body.reserve(static_cast<std::size_t>(length));
  }

  void setOrThrow(CURLcode rc, const char* what) const {
    if (rc != CURLE_OK) {
      throw std::runtime_error(std::string("libcurl option ") + what +
                               " rejected: " + curl_easy_strerror(rc));
    }
  }

  // Sets every option of the handle for POSTs to `target` (the endpoint's URL or where
  // the ACS redirected the session).
  void configure(const std::string& target, AuthMode auth) {
    const AcsEndpoint& ep = endpoint;
    auto set = [this](CURLoption opt, auto value, const char* what) {
      setOrThrow(curl_easy_setopt(curl, opt, value), what);
    };
    url = target;
    set(CURLOPT_URL, url.c_str(), "URL");
    set(CURLOPT_PROTOCOLS_STR, "http,https", "PROTOCOLS_STR");
    set(CURLOPT_NOSIGNAL, 1L, "NOSIGNAL");
    set(CURLOPT_ERRORBUFFER, errorBuffer, "ERRORBUFFER");
    set(CURLOPT_WRITEFUNCTION, &Impl::onBody, "WRITEFUNCTION");
    set(CURLOPT_WRITEDATA, static_cast<void*>(this), "WRITEDATA");
    set(CURLOPT_HEADERFUNCTION, &Impl::onHeader, "HEADERFUNCTION");
    set(CURLOPT_HEADERDATA, static_cast<void*>(this), "HEADERDATA");
    set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options.maxResponseBytes),
        "MAXFILESIZE_LARGE");
    set(CURLOPT_TCP_KEEPALIVE, 1L, "TCP_KEEPALIVE");
    // CWMP is specified over HTTP/1.1 (TR-069 3.4); libcurl would offer HTTP/2 over TLS.
    set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1), "HTTP_VERSION");
    set(CURLOPT_USERAGENT, options.userAgent.c_str(), "USERAGENT");
    // An empty string turns the cookie engine on without reading a file: cookies live
    // in this handle, i.e. for this session only (TR-069 3.4.2).
    set(CURLOPT_COOKIEFILE, "", "COOKIEFILE");
    // Redirects are followed by post() itself, one hop at a time: libcurl would either
    // drop the credentials at another host or (CURLOPT_UNRESTRICTED_AUTH) offer Basic
    // to any host, and would follow https to http.
    set(CURLOPT_FOLLOWLOCATION, 0L, "FOLLOWLOCATION");
    set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(ep.connectTimeout.count()),
        "CONNECTTIMEOUT_MS");
    set(CURLOPT_TIMEOUT_MS, static_cast<long>(ep.timeout.count()), "TIMEOUT_MS");
    // gzip answers are welcome and inflated by libcurl before onBody(), which bounds the
    // inflated size: a small bomb hits maxResponseBytes like a large plain body.
    set(CURLOPT_ACCEPT_ENCODING, "gzip", "ACCEPT_ENCODING");

    hasCredentials = !ep.username.empty();
    if (hasCredentials) {
      // Basic offered alongside digest makes libcurl send the body on the first try
      // and re-send it after the 401; digest alone would first send an empty POST,
      // which means "nothing more to send" in CWMP (3.7.2.4). CURLAUTH_ONLY does the
      // same for digest alone: the first try goes without credentials, with its body.
      const unsigned long mode = auth == AuthMode::Any ? (CURLAUTH_DIGEST | CURLAUTH_BASIC)
                                                       : (CURLAUTH_DIGEST | CURLAUTH_ONLY);
      set(CURLOPT_HTTPAUTH, static_cast<long>(mode), "HTTPAUTH");
      set(CURLOPT_USERNAME, ep.username.c_str(), "USERNAME");
      set(CURLOPT_PASSWORD, ep.password.c_str(), "PASSWORD");
    }

    set(CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2), "SSLVERSION");
    set(CURLOPT_SSL_VERIFYPEER, ep.verifyPeer ? 1L : 0L, "SSL_VERIFYPEER");
    set(CURLOPT_SSL_VERIFYHOST, ep.verifyHost ? 2L : 0L, "SSL_VERIFYHOST");
    if (!ep.caFile.empty()) set(CURLOPT_CAINFO, ep.caFile.c_str(), "CAINFO");
    if (!ep.clientCert.empty()) set(CURLOPT_SSLCERT, ep.clientCert.c_str(), "SSLCERT");
    if (!ep.clientKey.empty()) set(CURLOPT_SSLKEY, ep.clientKey.c_str(), "SSLKEY");
  }

  // Decides whether the session may follow the ACS to `target` and how credentials may
  // be offered there; an error text when it may not.
  std::string checkRedirect(const std::string& target, AuthMode& auth) const {
    const Origin from = originOf(url);
    const Origin to = originOf(target);
    if (to.scheme != "http" && to.scheme != "https")
      return "refusing the ACS's redirect to '" + target + "': not an http or https URL";
    // The session's messages carry the device's identity and parameters (passwords
    // among them in SetParameterValues): once on TLS, never continue in plaintext.
    if (from.scheme == "https" && to.scheme == "http")
      return "refusing the ACS's redirect from " + url + " to " + target +
             ": it would continue the session over plain HTTP";
    auth = to == acsOrigin || to.scheme == "https" ? AuthMode::Any : AuthMode::DigestOnly;
    return {};
  }
};

CurlAcsTransport::CurlAcsTransport(CurlAcsTransportOptions options)
    : impl_(std::make_unique<Impl>()) {
  initHttpClient();
  impl_->options = std::move(options);
}

CurlAcsTransport::~CurlAcsTransport() { endSession(); }

void CurlAcsTransport::beginSession(const AcsEndpoint& endpoint) {
  endSession();
  impl_->curl = curl_easy_init();
  if (impl_->curl == nullptr) throw std::runtime_error("curl_easy_init failed");
  try {
    impl_->endpoint = endpoint;
    impl_->acsOrigin = originOf(endpoint.url);
    if (impl_->gzipAcsUrl != endpoint.url) impl_->acsAcceptsGzip = false;
    impl_->configure(endpoint.url, AuthMode::Any);
  } catch (...) {
    endSession();
    throw;
  }
}

void CurlAcsTransport::setTimeout(std::chrono::milliseconds timeout) {
  impl_->endpoint.timeout = timeout;
  // configure() sets it again after a redirect, from the endpoint.
  if (impl_->curl != nullptr)
    curl_easy_setopt(impl_->curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
}

void CurlAcsTransport::endSession() {
  if (impl_->curl == nullptr) return;
  // The handle (and its cookie store) dies below anyway; wiping first makes the
  // intent explicit and survives a future change to handle reuse.
  curl_easy_setopt(impl_->curl, CURLOPT_COOKIELIST, "ALL");
  curl_easy_cleanup(impl_->curl);
  impl_->curl = nullptr;
}

HttpResult CurlAcsTransport::post(std::string_view body, std::string_view soapAction) {
  CURL* curl = impl_->curl;
  if (curl == nullptr) throw std::logic_error("CurlAcsTransport::post outside a session");

  // TR-069 3.4.1: a POST carrying a SOAP envelope has Content-Type text/xml; an empty
  // POST has neither Content-Type nor SOAPAction. "Content-Type:" with no value stops
  // libcurl from adding its form-urlencoded default; an empty Expect: avoids the
  // 100-continue round trip that some ACSs mishandle.
  // Compressed when the ACS accepts it and the body reaches the configured size.
  const std::string_view plain = body;
  std::string compressed;
  if (impl_->acsAcceptsGzip && impl_->options.gzipThreshold > 0 &&
      body.size() >= impl_->options.gzipThreshold) {
    compressed = gzipped(body);
    if (!compressed.empty()) body = compressed;
  }
  HeaderList headers;
  headers.add("Expect:");
  if (body.empty()) {
    headers.add("Content-Type:");
  } else {
    headers.add("Content-Type: text/xml; charset=\"utf-8\"");
    if (!compressed.empty()) headers.add("Content-Encoding: gzip");
    if (!soapAction.empty()) {
      const bool quoted = soapAction.front() == '"';
      headers.add("SOAPAction: " + std::string(quoted ? "" : "\"") + std::string(soapAction) +
                  (quoted ? "" : "\""));
    }
  }

  HttpResult result;
  // The callbacks write into `result` only while this call runs.
  struct Current {
    Impl& impl;
    ~Current() { impl.current = nullptr; }
  } current{*impl_};
  impl_->current = &result;

  // TR-069 3.4.5: the CPE follows the ACS's redirects, re-sending the POST with its body,
  // and keeps using the new URL for the rest of the session (the original URL again
  // from the next session on). libcurl does not follow them itself (see configure()).
  for (long hops = 0;; ++hops) {
    impl_->overLimit = false;
    impl_->outOfMemory = false;
    impl_->errorBuffer[0] = '\0';
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.empty() ? "" : body.data());

    const CURLcode rc = curl_easy_perform(curl);
    // The list and the body die at the end of this call: no dangling pointers behind.
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, nullptr);

    result.status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
    if (rc != CURLE_OK) {
      result.transportError = true;
      result.bodyTooLarge = impl_->overLimit || rc == CURLE_FILESIZE_EXCEEDED;
      if (result.bodyTooLarge) {
        result.error = "response body larger than " +
                       std::to_string(impl_->options.maxResponseBytes) + " bytes";
      } else if (impl_->outOfMemory) {
        result.error = "out of memory receiving the response";
      } else {
        result.error = impl_->errorBuffer[0] != '\0' ? impl_->errorBuffer : curl_easy_strerror(rc);
      }
      // The buffer too, not just the bytes: a Content-Length the ACS did not keep reserved
      // up to the body limit.
      std::string().swap(result.body);
      CWMPD_LOG(Debug, "http", "POST of " << body.size() << " bytes failed: " << result.error);
      return result;
    }

    const long s = result.status;
    const char* location = nullptr;
    if ((s == 301 || s == 302 || s == 303 || s == 307 || s == 308) &&
        curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location) == CURLE_OK &&
        location != nullptr) {
      const std::string target(location);
      AuthMode auth = AuthMode::Any;
      std::string refusal = impl_->checkRedirect(target, auth);
      if (refusal.empty() && hops >= impl_->options.maxRedirects)
        refusal = "more than " + std::to_string(impl_->options.maxRedirects) +
                  " redirects; the last one to " + target;
      if (!refusal.empty()) {
        CWMPD_LOG(Warning, "http", refusal);
        result.transportError = true;
        result.error = std::move(refusal);
        std::string().swap(result.body);
        return result;
      }
      CWMPD_LOG(Info, "http", "HTTP " << s << ": the ACS redirected the session to " << target);
      // A fresh handle state (cookies and open connections stay): nothing negotiated
      // with the previous host, such as a Basic authorisation, may reach the next one.
      curl_easy_reset(curl);
      impl_->configure(target, auth);
      continue;
    }
    break;
  }

  const char* local = nullptr;
  if (curl_easy_getinfo(curl, CURLINFO_LOCAL_IP, &local) == CURLE_OK && local != nullptr)
    result.localAddress = local;
  const char* contentType = nullptr;
  if (curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &contentType) == CURLE_OK &&
      contentType != nullptr) {
    result.contentType = contentType;
  }
  // libcurl answered the 401 with our credentials already; a 401 now means they were
  // refused (or we had none).
  result.authFailure = result.status == 401;
  if (auto gzip = acceptsGzip(result)) {
    impl_->acsAcceptsGzip = *gzip;
    impl_->gzipAcsUrl = impl_->endpoint.url;
  }
  if (!compressed.empty() && result.status == 415) {
    // RFC 7694 section 3: the ACS does not take gzip after all; the same POST again,
    // plain, and no more compression for this ACS.
    CWMPD_LOG(Info, "http", "the ACS refused a gzip body (HTTP 415); sending it uncompressed");
    impl_->acsAcceptsGzip = false;
    impl_->gzipAcsUrl = impl_->endpoint.url;
    return post(plain, soapAction);
  }
  CWMPD_LOG(Debug, "http",
            "POST of " << body.size() << " bytes: HTTP " << result.status << ", "
                       << result.body.size() << " bytes back");
  return result;
}

}  // namespace cwmpd::core::net
