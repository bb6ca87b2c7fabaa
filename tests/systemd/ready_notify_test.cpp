// The daemon's readiness for systemd (Type=notify, issue 19 item 2): READY=1 goes to the
// datagram socket $NOTIFY_SOCKET names once org.cwmpd is owned on the bus and the first
// session is scheduled, not before. The test is the service manager: it makes the socket
// and reads what the real daemon sends.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "it_support.hpp"

namespace cwmpd::test {
namespace {

class ReadyNotify : public DaemonIt {
 protected:
  void SetUp() override {
    DaemonIt::SetUp();
    socketPath_ = dir_ + "/notify";
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd_, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    ASSERT_LT(socketPath_.size(), sizeof address.sun_path);
    std::memcpy(address.sun_path, socketPath_.c_str(), socketPath_.size() + 1);
    ASSERT_EQ(::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0)
        << std::strerror(errno);
    daemon_->setEnv("NOTIFY_SOCKET", socketPath_);
    busAddress_ = "unix:path=" + dir_ + "/bus";
    daemon_->set("bus", "address", busAddress_);
  }
  void TearDown() override {
    DaemonIt::TearDown();
    bus_.reset();
    if (fd_ >= 0) ::close(fd_);
  }

  // The next datagram, or nullopt when none came within `timeoutMs` (0: only one already
  // queued).
  std::optional<std::string> receive(int timeoutMs) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeoutMs) != 1) return std::nullopt;
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0) return std::nullopt;
    return std::string(buffer, static_cast<std::size_t>(n));
  }
  // The first datagram holding READY=1 within `timeoutMs`.
  std::optional<std::string> receiveReady(int timeoutMs) {
    for (;;) {
      auto message = receive(timeoutMs);
      if (!message || message->find("READY=1") != std::string::npos) return message;
    }
  }

  bool nameOwned() {
    const std::string cmd = "busctl --address='" + busAddress_ +
                            "' call org.freedesktop.DBus /org/freedesktop/DBus "
                            "org.freedesktop.DBus NameHasOwner s org.cwmpd 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) return false;
    char line[256] = {};
    std::string out;
    while (std::fgets(line, sizeof line, p) != nullptr) out += line;
    ::pclose(p);
    return out == "b true\n";
  }

  std::string socketPath_;
  std::string busAddress_;
  int fd_ = -1;
  std::unique_ptr<PrivateDbus> bus_;
};

TEST_F(ReadyNotify, ReadyOnceTheNameIsOwnedAndTheFirstSessionScheduled) {
  bus_ = std::make_unique<PrivateDbus>(dir_);
  daemon_->start();
  const auto ready = receiveReady(30000);
  ASSERT_TRUE(ready) << "no READY=1 on $NOTIFY_SOCKET";
  EXPECT_TRUE(nameOwned()) << "READY=1 came before org.cwmpd was owned";
  // The first session was scheduled before: its Inform reaches the ACS.
  EXPECT_TRUE(waitSessions(1));
}

TEST_F(ReadyNotify, NotReadyWhileTheBusIsAwayThenReadyWhenTheNameIsTaken) {
  daemon_->start();
  // Everything else is up (the line comes after the readiness check, see main.cpp) ...
  ASSERT_TRUE(daemon_->waitForLog("ready:", std::chrono::seconds(30)));
  ASSERT_TRUE(daemon_->waitForLog("cannot publish org.cwmpd", std::chrono::seconds(5)));
  // ... but without the name the service manager must not hear READY=1.
  EXPECT_FALSE(receiveReady(0)) << "READY=1 sent without org.cwmpd on the bus";
  // The bus comes up: the daemon's retry takes the name, then tells.
  bus_ = std::make_unique<PrivateDbus>(dir_);
  const auto ready = receiveReady(40000);
  ASSERT_TRUE(ready) << "no READY=1 after the bus came up";
  EXPECT_TRUE(nameOwned());
}

TEST_F(ReadyNotify, StoppingIsAnnounced) {
  bus_ = std::make_unique<PrivateDbus>(dir_);
  daemon_->start();
  ASSERT_TRUE(receiveReady(30000));
  EXPECT_EQ(daemon_->stop(), 0);
  const auto stopping = receive(5000);
  ASSERT_TRUE(stopping);
  EXPECT_NE(stopping->find("STOPPING=1"), std::string::npos) << *stopping;
}

}  // namespace
}  // namespace cwmpd::test
