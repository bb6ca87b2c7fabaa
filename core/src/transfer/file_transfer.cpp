#include "transfer/file_transfer.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string_view>

#include "cwmpd/core/log.hpp"
#include "cwmpd/core/net/curl_acs_transport.hpp"
#include "cwmpd/sdk/fault.hpp"

namespace cwmpd::core::transfer {
namespace {

constexpr const char* kLog = "transfer";

using CurlPtr = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// State shared with libcurl's callbacks during one perform.
struct Context {
  int fd = -1;
  std::uint64_t bytes = 0;
  std::uint64_t maxBytes = 0;
  bool tooLarge = false;
  bool writeFailed = false;
  const std::atomic<bool>* abort = nullptr;
};

size_t onWrite(char* data, size_t size, size_t count, void* user) {
  auto* c = static_cast<Context*>(user);
  const size_t n = size * count;
  if (c->maxBytes && c->bytes + n > c->maxBytes) {
    c->tooLarge = true;
    return 0;
  }
  size_t off = 0;
  while (off < n) {
    ssize_t w = ::write(c->fd, data + off, n - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      c->writeFailed = true;  // the bounded directory is full
      return 0;
    }
    off += static_cast<size_t>(w);
  }
  c->bytes += n;
  return n;
}

// A new HTTP response starts (after a 401 answered with credentials, or a redirect):
// only the last response's body is the file.
size_t onHeader(char* data, size_t size, size_t count, void* user) {
  auto* c = static_cast<Context*>(user);
  const size_t n = size * count;
  if (std::string_view(data, n).starts_with("HTTP/") && c->fd >= 0 && c->bytes > 0) {
    if (::ftruncate(c->fd, 0) != 0 || ::lseek(c->fd, 0, SEEK_SET) != 0) c->writeFailed = true;
    c->bytes = 0;
  }
  return n;
}

size_t onRead(char* buffer, size_t size, size_t count, void* user) {
  auto* c = static_cast<Context*>(user);
  for (;;) {
    ssize_t r = ::read(c->fd, buffer, size * count);
    if (r >= 0) {
      c->bytes += static_cast<std::uint64_t>(r);
      return static_cast<size_t>(r);
    }
    if (errno != EINTR) return CURL_READFUNC_ABORT;
  }
}

// libcurl rewinds the body when it has to send it again (digest after the 401).
int onSeek(void* user, curl_off_t offset, int origin) {
  auto* c = static_cast<Context*>(user);
  if (::lseek(c->fd, static_cast<off_t>(offset), origin) < 0) return CURL_SEEKFUNC_FAIL;
  c->bytes = static_cast<std::uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

int onProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* c = static_cast<Context*>(user);
  return c->abort && c->abort->load() ? 1 : 0;
}

void common(CURL* curl, const FileTransferRequest& r, Context& ctx, char* errorBuffer) {
  curl_easy_setopt(curl, CURLOPT_URL, r.url.c_str());
  // TR-069 A.3.2.8: HTTP, HTTPS and FTP; redirects only between HTTP(S).
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https,ftp");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errorBuffer);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "cwmpd");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, static_cast<long>(r.connectTimeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(r.timeout.count()));
  // A stalled server: less than 1 byte/s for a minute ends the transfer.
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &onProgress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &ctx);
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  if (!r.username.empty() || !r.password.empty()) {
    // TR-069 3.4.3: file servers may ask for basic or digest; the server's challenge picks.
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_DIGEST | CURLAUTH_BASIC));
    curl_easy_setopt(curl, CURLOPT_USERNAME, r.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, r.password.c_str());
  }
  // Same TLS rules as the ACS connection: verification on unless configured off.
  curl_easy_setopt(curl, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, r.verifyPeer ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, r.verifyPeer ? 2L : 0L);
  if (!r.caFile.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, r.caFile.c_str());
  if (!r.clientCert.empty()) curl_easy_setopt(curl, CURLOPT_SSLCERT, r.clientCert.c_str());
  if (!r.clientKey.empty()) curl_easy_setopt(curl, CURLOPT_SSLKEY, r.clientKey.c_str());
}

FileTransferResult fail(sdk::FaultCode code, const std::string& detail) {
  FileTransferResult r;
  r.faultCode = static_cast<std::uint32_t>(code);
  r.faultString = std::string(sdk::faultString(static_cast<int>(code))) + ": " + detail;
  return r;
}

// Maps a libcurl outcome to the fault codes TransferComplete allows (9001, 9002,
// 9010-9020 but 9013, which the RPC itself answers).
FileTransferResult classify(CURLcode rc, long status, const Context& ctx, const char* errorBuffer,
                            bool download) {
  const std::string why = errorBuffer[0] ? errorBuffer : curl_easy_strerror(rc);
  const auto generic = download ? sdk::FaultCode::DownloadFailure : sdk::FaultCode::UploadFailure;
  if (ctx.tooLarge || rc == CURLE_FILESIZE_EXCEEDED)
    return fail(sdk::FaultCode::DownloadFailure,
                "file larger than the " + std::to_string(ctx.maxBytes) + " bytes available");
  if (ctx.writeFailed) return fail(sdk::FaultCode::DownloadFailure, "no space left for the file");
  switch (rc) {
    case CURLE_OK: break;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_FTP_CANT_GET_HOST:
    case CURLE_FTP_WEIRD_SERVER_REPLY:
      return fail(download ? sdk::FaultCode::DownloadFailureContactServer : generic, why);
    case CURLE_LOGIN_DENIED: return fail(sdk::FaultCode::FileTransferAuthFailure, why);
    case CURLE_REMOTE_FILE_NOT_FOUND:
    case CURLE_REMOTE_ACCESS_DENIED:
    case CURLE_FTP_COULDNT_RETR_FILE:
      return fail(download ? sdk::FaultCode::DownloadFailureAccessFile : generic, why);
    case CURLE_PARTIAL_FILE:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
      return fail(download ? sdk::FaultCode::DownloadFailureComplete : generic, why);
    default: return fail(generic, why);
  }
  if (status == 401 || status == 407)
    return fail(sdk::FaultCode::FileTransferAuthFailure, "HTTP " + std::to_string(status));
  if (status >= 400 || (status != 0 && status < 200))
    return fail(download ? sdk::FaultCode::DownloadFailureAccessFile : generic,
                "HTTP " + std::to_string(status));
  return {};
}

}  // namespace

FileTransferResult fetchToFile(const FileTransferRequest& r, const std::string& path) {
  net::initHttpClient();
  Fd out;
  out.fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out.fd < 0) return fail(sdk::FaultCode::InternalError, "cannot create the temporary file");
  CurlPtr curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return fail(sdk::FaultCode::InternalError, "libcurl unavailable");
  Context ctx;
  ctx.fd = out.fd;
  ctx.maxBytes = r.maxBytes;
  ctx.abort = r.abort;
  char errorBuffer[CURL_ERROR_SIZE] = {};
  common(curl.get(), r, ctx, errorBuffer);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &onWrite);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &ctx);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, &onHeader);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &ctx);
  // Refused before the body arrives when the server announces the size (HTTP
  // Content-Length, FTP SIZE); the write callback enforces it for the rest.
  if (r.maxBytes)
    curl_easy_setopt(curl.get(), CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(r.maxBytes));
  const CURLcode rc = curl_easy_perform(curl.get());
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (rc == CURLE_ABORTED_BY_CALLBACK && r.abort && r.abort->load()) {
    FileTransferResult a = fail(sdk::FaultCode::DownloadFailureComplete, "interrupted");
    a.aborted = true;
    return a;
  }
  // FTP answers 226 / 250 etc.: only HTTP statuses are judged here.
  const bool http =
      r.url.size() >= 4 && (r.url.compare(0, 4, "http") == 0 || r.url.compare(0, 4, "HTTP") == 0);
  FileTransferResult res = classify(rc, http ? status : 0, ctx, errorBuffer, true);
  res.bytes = ctx.bytes;
  if (res.faultCode == 0 && ::fsync(out.fd) != 0)
    return fail(sdk::FaultCode::DownloadFailure, "cannot write the file");
  // TR-069 A.3.2.8 FileSize: what arrived must be what the ACS announced.
  if (res.faultCode == 0 && r.expectedSize != 0 && ctx.bytes != r.expectedSize) {
    const std::string detail = "received " + std::to_string(ctx.bytes) + " bytes, FileSize was " +
                               std::to_string(r.expectedSize);
    res = fail(ctx.bytes < r.expectedSize ? sdk::FaultCode::DownloadFailureComplete
                                          : sdk::FaultCode::DownloadFailure,
               detail);
    res.bytes = ctx.bytes;
  }
  CWMPD_LOG(
      Debug, kLog,
      "GET: " << ctx.bytes << " bytes, HTTP/FTP status " << status << ", fault " << res.faultCode);
  return res;
}

FileTransferResult sendFile(const FileTransferRequest& r, const std::string& path) {
  net::initHttpClient();
  Fd in;
  in.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (in.fd < 0 || ::fstat(in.fd, &st) != 0)
    return fail(sdk::FaultCode::InternalError, "cannot read the file to upload");
  CurlPtr curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return fail(sdk::FaultCode::InternalError, "libcurl unavailable");
  Context ctx;
  ctx.fd = in.fd;
  ctx.abort = r.abort;
  char errorBuffer[CURL_ERROR_SIZE] = {};
  common(curl.get(), r, ctx, errorBuffer);
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_READFUNCTION, &onRead);
  curl_easy_setopt(c, CURLOPT_READDATA, &ctx);
  curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, &onSeek);
  curl_easy_setopt(c, CURLOPT_SEEKDATA, &ctx);
  // Answers are small and not kept.
  curl_easy_setopt(
      c, CURLOPT_WRITEFUNCTION, +[](char*, size_t s, size_t n, void*) { return s * n; });
  struct curl_slist* headers = curl_slist_append(nullptr, "Expect:");
  const bool http =
      r.url.size() >= 4 && (r.url.compare(0, 4, "http") == 0 || r.url.compare(0, 4, "HTTP") == 0);
  if (http && r.usePost) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(st.st_size));
    headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
  } else {
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);  // HTTP PUT, FTP STOR
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(st.st_size));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  const CURLcode rc = curl_easy_perform(c);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(headers);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (rc == CURLE_ABORTED_BY_CALLBACK && r.abort && r.abort->load()) {
    FileTransferResult a = fail(sdk::FaultCode::UploadFailure, "interrupted");
    a.aborted = true;
    return a;
  }
  FileTransferResult res = classify(rc, http ? status : 0, ctx, errorBuffer, false);
  res.bytes = static_cast<std::uint64_t>(st.st_size);
  CWMPD_LOG(Debug, kLog,
            "upload: " << st.st_size << " bytes, status " << status << ", fault " << res.faultCode);
  return res;
}

}  // namespace cwmpd::core::transfer
