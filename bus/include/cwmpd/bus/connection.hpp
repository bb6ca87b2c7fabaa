// Opening a bus connection from the address syntax of the config ([bus] address) and of
// cwmpctl. Header only: the service and its clients share it.
#pragma once

#include <sdbus-c++/IConnection.h>

#include <memory>
#include <string>

namespace cwmpd::bus {

// "system", "session" or a D-Bus address ("unix:path=/run/x"). Throws sdbus::Error when the
// bus cannot be reached. ("none" is the caller's business: it means no connection.)
[[nodiscard]] inline std::unique_ptr<sdbus::IConnection> openBusConnection(
    const std::string& address) {
  if (address == "system") return sdbus::createSystemBusConnection();
  if (address == "session") return sdbus::createSessionBusConnection();
  return sdbus::createSessionBusConnectionWithAddress(address);
}

}  // namespace cwmpd::bus
