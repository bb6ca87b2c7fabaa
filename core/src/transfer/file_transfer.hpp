// One file transfer over libcurl (HTTP, HTTPS, FTP), streamed to or from a file, with
// the outcome mapped onto the TransferComplete fault codes of TR-069 A.3.3.2. Blocking:
// runs on the transfer manager's worker thread; `abort` stops it within a second.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace cwmpd::core::transfer {

struct FileTransferRequest {
  std::string url;
  std::string username;
  std::string password;
  std::string caFile, clientCert, clientKey;
  bool verifyPeer = true;
  std::chrono::seconds connectTimeout{30};
  std::chrono::seconds timeout{3600};
  std::uint64_t maxBytes = 0;      // download: more than this is refused (9010)
  std::uint32_t expectedSize = 0;  // download: the ACS's FileSize (0 = not given)
  bool usePost = false;            // upload over HTTP(S): POST instead of PUT
  const std::atomic<bool>* abort = nullptr;
};

// The file-server settings every download and upload shares (TLS, timeouts) from the
// options that hold them under the same names: TransferOptions, SoftwareModulesOptions.
template <typename Options>
void applyServerSettings(FileTransferRequest& request, const Options& options) {
  request.caFile = options.caFile;
  request.clientCert = options.clientCert;
  request.clientKey = options.clientKey;
  request.verifyPeer = options.verifyPeer;
  request.connectTimeout = options.connectTimeout;
  request.timeout = options.timeout;
}

struct FileTransferResult {
  std::uint32_t faultCode = 0;  // 0 = success
  std::string faultString;
  std::uint64_t bytes = 0;
  bool aborted = false;  // stopped by `abort` (daemon shutting down)
};

// Downloads `request.url` into `path` (created or truncated, mode 0600).
FileTransferResult fetchToFile(const FileTransferRequest& request, const std::string& path);
// Uploads the file at `path` to `request.url` (HTTP PUT/POST or FTP STOR).
FileTransferResult sendFile(const FileTransferRequest& request, const std::string& path);

}  // namespace cwmpd::core::transfer
