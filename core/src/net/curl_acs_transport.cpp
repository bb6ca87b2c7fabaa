#include "cwmpd/core/net/curl_acs_transport.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <stdexcept>
#include <string>

#include "cwmpd/core/log.hpp"

namespace cwmpd::core::net {

void initHttpClient() {
  static std::once_flag once;
  std::call_once(once, [] {
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

struct CurlAcsTransport::Impl {
  CurlAcsTransportOptions options;
  CURL* curl = nullptr;
  bool hasCredentials = false;
  char errorBuffer[CURL_ERROR_SIZE] = {};
  // State of the transfer in progress, filled by the callbacks.
  HttpResult* current = nullptr;
  bool overLimit = false;

  static size_t onBody(char* data, size_t size, size_t count, void* self) {
    auto* impl = static_cast<Impl*>(self);
    const size_t n = size * count;
    if (impl->current->body.size() + n > impl->options.maxResponseBytes) {
      impl->overLimit = true;
      return 0;  // anything but n aborts the transfer with CURLE_WRITE_ERROR
    }
    impl->current->body.append(data, n);
    return n;
  }

  static size_t onHeader(char* data, size_t size, size_t count, void* self) {
    auto* impl = static_cast<Impl*>(self);
    const size_t n = size * count;
    std::string_view line(data, n);
    if (line.starts_with("HTTP/")) {
      // A new response starts (after a 401 or a redirect): only the last one counts.
      impl->current->headers.clear();
      impl->current->body.clear();
      return n;
    }
    const auto colon = line.find(':');
    if (colon != std::string_view::npos) {
      impl->current->headers[lowerCase(trim(line.substr(0, colon)))] = trim(line.substr(colon + 1));
    }
    return n;
  }

  void setOrThrow(CURLcode rc, const char* what) const {
    if (rc != CURLE_OK) {
      throw std::runtime_error(std::string("libcurl option ") + what +
                               " rejected: " + curl_easy_strerror(rc));
    }
  }

  void configure(const AcsEndpoint& ep) {
    auto set = [this](CURLoption opt, auto value, const char* what) {
      setOrThrow(curl_easy_setopt(curl, opt, value), what);
    };
    set(CURLOPT_URL, ep.url.c_str(), "URL");
    set(CURLOPT_PROTOCOLS_STR, "http,https", "PROTOCOLS_STR");
    set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https", "REDIR_PROTOCOLS_STR");
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
    // TR-069 3.4.5: follow redirects, re-sending the POST with its body.
    set(CURLOPT_FOLLOWLOCATION, 1L, "FOLLOWLOCATION");
    set(CURLOPT_MAXREDIRS, options.maxRedirects, "MAXREDIRS");
    set(CURLOPT_POSTREDIR, static_cast<long>(CURL_REDIR_POST_ALL), "POSTREDIR");
    set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(ep.connectTimeout.count()),
        "CONNECTTIMEOUT_MS");
    set(CURLOPT_TIMEOUT_MS, static_cast<long>(ep.timeout.count()), "TIMEOUT_MS");

    hasCredentials = !ep.username.empty();
    if (hasCredentials) {
      // Basic offered alongside digest makes libcurl send the body on the first try
      // and re-send it after the 401; digest alone would first send an empty POST,
      // which means "nothing more to send" in CWMP (3.7.2.4).
      set(CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_DIGEST | CURLAUTH_BASIC), "HTTPAUTH");
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
};

CurlAcsTransport::CurlAcsTransport(CurlAcsTransportOptions options)
    : impl_(std::make_unique<Impl>()) {
  initHttpClient();
  impl_->options = options;
}

CurlAcsTransport::~CurlAcsTransport() { endSession(); }

void CurlAcsTransport::beginSession(const AcsEndpoint& endpoint) {
  endSession();
  impl_->curl = curl_easy_init();
  if (impl_->curl == nullptr) throw std::runtime_error("curl_easy_init failed");
  try {
    impl_->configure(endpoint);
  } catch (...) {
    endSession();
    throw;
  }
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
  HeaderList headers;
  headers.add("Expect:");
  if (body.empty()) {
    headers.add("Content-Type:");
  } else {
    headers.add("Content-Type: text/xml; charset=\"utf-8\"");
    if (!soapAction.empty()) {
      const bool quoted = soapAction.front() == '"';
      headers.add("SOAPAction: " + std::string(quoted ? "" : "\"") + std::string(soapAction) +
                  (quoted ? "" : "\""));
    }
  }

  HttpResult result;
  impl_->current = &result;
  impl_->overLimit = false;
  impl_->errorBuffer[0] = '\0';
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.empty() ? "" : body.data());

  const CURLcode rc = curl_easy_perform(curl);
  impl_->current = nullptr;
  // The list dies at the end of this call: do not leave a dangling pointer behind.
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, nullptr);

  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  if (rc != CURLE_OK) {
    result.transportError = true;
    result.bodyTooLarge = impl_->overLimit || rc == CURLE_FILESIZE_EXCEEDED;
    if (result.bodyTooLarge) {
      result.error =
          "response body larger than " + std::to_string(impl_->options.maxResponseBytes) + " bytes";
    } else {
      result.error = impl_->errorBuffer[0] != '\0' ? impl_->errorBuffer : curl_easy_strerror(rc);
    }
    result.body.clear();
    CWMPD_LOG(Debug, "http", "POST of " << body.size() << " bytes failed: " << result.error);
    return result;
  }

  const char* contentType = nullptr;
  if (curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &contentType) == CURLE_OK &&
      contentType != nullptr) {
    result.contentType = contentType;
  }
  // libcurl answered the 401 with our credentials already; a 401 now means they were
  // refused (or we had none).
  result.authFailure = result.status == 401;
  CWMPD_LOG(Debug, "http",
            "POST of " << body.size() << " bytes: HTTP " << result.status << ", "
                       << result.body.size() << " bytes back");

  // TR-069 3.4.5: after a redirect the CPE keeps using the new URL for the rest of
  // the session; the original URL is used again from the next session on.
  long redirects = 0;
  const char* effective = nullptr;
  if (curl_easy_getinfo(curl, CURLINFO_REDIRECT_COUNT, &redirects) == CURLE_OK && redirects > 0 &&
      curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK &&
      effective != nullptr) {
    const std::string target(effective);
    curl_easy_setopt(curl, CURLOPT_URL, target.c_str());
  }
  return result;
}

}  // namespace cwmpd::core::net
