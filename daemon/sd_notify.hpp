// The service manager's readiness protocol (systemd's sd_notify(3)), written here rather
// than linked from libsystemd so that the daemon needs no systemd library where there is
// no systemd (OpenWrt: procd). The protocol: one datagram per message on the AF_UNIX
// socket named by $NOTIFY_SOCKET (a leading '@' means the abstract namespace), the message
// being newline-separated VAR=value assignments such as "READY=1".
#pragma once

#include <string>

namespace cwmpd::daemon {

// Sends `state` to the service manager. False when $NOTIFY_SOCKET is not set (not started
// by a service manager that asked for it) or the datagram could not be sent.
bool notifyServiceManager(const std::string& state);

}  // namespace cwmpd::daemon
