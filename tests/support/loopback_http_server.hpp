// A loopback HTTP/1.1 server for the TR-143 throughput tests (DownloadDiagnostics,
// UploadDiagnostics): threads of the test process, 127.0.0.1 on an ephemeral port.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace cwmpd::testing {

// The exact head the server answers a GET with: TestBytesReceived counts it too.
inline std::string downloadHead(std::uint64_t length) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(length) +
         "\r\nContent-Type: application/octet-stream\r\n\r\n";
}

// A loopback HTTP/1.1 server:
//   GET /bytes/N    N bytes of body       GET /stream   a body that never ends
//   GET /silent     reads, never answers  GET /missing  404
//   GET /late/N     N bytes, 2 s late
//   GET /paced/N    N bytes at `pace` bytes a second, the head `pausePaced` late
//   PUT /paced      reads the body (Content-Length) at `pace` bytes a second
//   PUT /...        reads the body (Content-Length or chunked), records what came, 200
// A paced transfer is recorded in paced(): what the server itself saw of it.
class HttpServer {
 public:
  struct Upload {
    std::uint64_t requestBytes = 0;  // head and body as received
    std::uint64_t bodyBytes = 0;
  };
  // A paced transfer: bytes sent (head and body) or body bytes received, and the server's
  // wall-clock times (seconds since the epoch) of the first and the last of them.
  struct Paced {
    std::uint64_t bytes = 0;
    double first = 0;
    double last = 0;
  };

  HttpServer() {
    listen_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int one = 1;
    ::setsockopt(listen_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_, 16))
      throw std::runtime_error("test server: bind/listen");
    socklen_t len = sizeof a;
    ::getsockname(listen_, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { acceptLoop(); });
  }
  ~HttpServer() {
    stop_ = true;
    ::shutdown(listen_, SHUT_RDWR);
    acceptor_.join();
    {
      std::lock_guard lock(mutex_);
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : workers_) t.join();
    for (int fd : fds_) ::close(fd);
    ::close(listen_);
  }
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }
  std::vector<Upload> uploads() {
    std::lock_guard lock(mutex_);
    return uploads_;
  }

  std::vector<Paced> paced() {
    std::lock_guard lock(mutex_);
    return paced_;
  }

  std::uint16_t port = 0;
  double pace = 50e6;  // bytes a second; set before the request
  // Paced downloads that have sent 1 MiB of their body (so the client is past its BOMTime).
  std::atomic<int> pacedUnderway{0};
  std::chrono::milliseconds pausePaced{300};

 private:
  static double wallNow() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  // Counts `n` bytes moved, then sleeps until the pace allows the next ones.
  void paceStep(Paced& p, std::size_t n) const {
    const double now = wallNow();
    if (p.bytes == 0) p.first = now;
    p.bytes += n;
    p.last = now;
    const double due = p.first + (static_cast<double>(p.bytes) / pace);
    if (due > now) std::this_thread::sleep_for(std::chrono::duration<double>(due - now));
  }

  void record(const Paced& p) {
    std::lock_guard lock(mutex_);
    paced_.push_back(p);
  }

  // Small kernel buffers: what the server moved is close to what the client moved.
  static void smallBuffers(int fd) {
    const int size = 64 * 1024;
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }

  void acceptLoop() {
    while (!stop_) {
      const int fd = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      std::lock_guard lock(mutex_);
      fds_.push_back(fd);
      workers_.emplace_back([this, fd] { serve(fd); });
    }
  }

  static bool sendAll(int fd, const char* p, std::size_t n) {
    while (n > 0) {
      const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
      if (w <= 0) return false;
      p += w;
      n -= static_cast<std::size_t>(w);
    }
    return true;
  }

  void serve(int fd) {
    std::string in;
    std::vector<char> buf(1 << 20, 'd');
    std::vector<char> rx(1 << 16);
    while (!stop_) {
      auto headEnd = in.find("\r\n\r\n");
      while (headEnd == std::string::npos) {
        const ssize_t r = ::recv(fd, rx.data(), rx.size(), 0);
        if (r <= 0) return;
        in.append(rx.data(), static_cast<std::size_t>(r));
        headEnd = in.find("\r\n\r\n");
      }
      const std::string head = in.substr(0, headEnd + 4);
      in.erase(0, headEnd + 4);
      const std::string path =
          head.substr(head.find(' ') + 1, head.find(' ', 4) - head.find(' ') - 1);
      if (head.rfind("PUT ", 0) == 0) {
        Upload u;
        u.requestBytes = head.size();
        if (head.find("Transfer-Encoding: chunked") != std::string::npos) {
          // Chunked: sizes, data, the last chunk and an empty trailer.
          u.requestBytes += in.size();  // what came with the head
          while (true) {
            auto eol = in.find("\r\n");
            while (eol == std::string::npos) {
              const ssize_t r = ::recv(fd, rx.data(), rx.size(), 0);
              if (r <= 0) return;
              u.requestBytes += static_cast<std::uint64_t>(r);
              in.append(rx.data(), static_cast<std::size_t>(r));
              eol = in.find("\r\n");
            }
            const std::uint64_t size = std::stoull(in.substr(0, eol), nullptr, 16);
            const std::uint64_t need = eol + 2 + size + 2;
            while (in.size() < need) {
              const ssize_t r = ::recv(fd, rx.data(), rx.size(), 0);
              if (r <= 0) return;
              u.requestBytes += static_cast<std::uint64_t>(r);
              in.append(rx.data(), static_cast<std::size_t>(r));
            }
            in.erase(0, need);
            u.bodyBytes += size;
            if (size == 0) break;
          }
        } else if (path == "/paced") {
          smallBuffers(fd);
          const auto cl = head.find("Content-Length: ");
          const std::uint64_t length =
              cl == std::string::npos ? 0 : std::stoull(head.substr(cl + 16));
          Paced p;
          std::uint64_t got = std::min<std::uint64_t>(in.size(), length);
          if (got > 0) paceStep(p, got);
          in.erase(0, got);
          while (got < length) {
            const auto want = static_cast<std::size_t>(
                std::min<std::uint64_t>(length - got, std::uint64_t{64} * 1024));
            const ssize_t r = ::recv(fd, rx.data(), want, 0);
            if (r <= 0) return;
            got += static_cast<std::uint64_t>(r);
            paceStep(p, static_cast<std::size_t>(r));
          }
          record(p);
          u.bodyBytes = got;
          u.requestBytes += got;
        } else {
          const auto cl = head.find("Content-Length: ");
          const std::uint64_t length =
              cl == std::string::npos ? 0 : std::stoull(head.substr(cl + 16));
          std::uint64_t got = std::min<std::uint64_t>(in.size(), length);
          in.erase(0, got);
          while (got < length) {
            const ssize_t r = ::recv(fd, rx.data(), rx.size(), 0);
            if (r <= 0) return;
            got += static_cast<std::uint64_t>(r);
          }
          u.bodyBytes = got;
          u.requestBytes += got;
        }
        {
          std::lock_guard lock(mutex_);
          uploads_.push_back(u);
        }
        const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        if (!sendAll(fd, ok.data(), ok.size())) return;
        continue;
      }
      if (path == "/silent") {
        while (::recv(fd, rx.data(), rx.size(), 0) > 0) {
        }
        return;
      }
      if (path == "/missing") {
        const std::string nf = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
        if (!sendAll(fd, nf.data(), nf.size())) return;
        continue;
      }
      const bool endless = path == "/stream";
      std::uint64_t length = endless ? 1'000'000'000'000ULL : 0;
      if (path.rfind("/bytes/", 0) == 0) length = std::stoull(path.substr(7));
      if (path.rfind("/late/", 0) == 0) {
        std::this_thread::sleep_for(std::chrono::seconds(2));
        length = std::stoull(path.substr(6));
      }
      if (path.rfind("/paced/", 0) == 0) {
        smallBuffers(fd);
        length = std::stoull(path.substr(7));
        std::this_thread::sleep_for(pausePaced);
        const std::string h = downloadHead(length);
        Paced p;
        if (!sendAll(fd, h.data(), h.size())) return;
        paceStep(p, h.size());
        for (std::uint64_t left = length; left > 0 && !stop_;) {
          const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left, 64 * 1024));
          if (!sendAll(fd, buf.data(), n)) return;
          paceStep(p, n);
          if (length - left < (std::uint64_t{1} << 20) &&
              length - left + n >= (std::uint64_t{1} << 20))
            ++pacedUnderway;
          left -= n;
        }
        record(p);
        continue;
      }
      const std::string h = downloadHead(length);
      if (!sendAll(fd, h.data(), h.size())) return;
      for (std::uint64_t left = length; left > 0 && !stop_;) {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left, buf.size()));
        if (!sendAll(fd, buf.data(), n)) return;
        left -= n;
      }
    }
  }

  int listen_ = -1;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<int> fds_;
  std::vector<std::thread> workers_;
  std::vector<Upload> uploads_;
  std::vector<Paced> paced_;
};

}  // namespace cwmpd::testing
