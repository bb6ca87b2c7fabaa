// An example provider (issue 18): a separate process that serves Device.X_00005E_Provider.
// (example_provider.xml) over D-Bus with the cwmpd::provider client library. Values live in
// memory; the instance keys of Line come from --keys.
//
//   cwmpd-example-provider [--address ADDR] [--definitions FILE] [--object PATH]
//                          [--keys 7,9] [--max-level N] [--get-delay-ms N]
//                          [--apply-delay-ms N] [--instances-delay-ms N]
//
// SIGUSR1 advances Counter and signals ValuesChanged; SIGUSR2 unregisters (the process
// stays); SIGTERM/SIGINT stop it. It prints "registered" once cwmpd accepted it,
// "unregistered" after SIGUSR2 and, with a delay, "get NAME", "apply NAME" or
// "instances TABLE" as each
// delayed call starts (the integration tests wait for those lines).
#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "cwmpd/bus/connection.hpp"
#include "cwmpd/bus/provider.hpp"

namespace {

constexpr const char* kBase = "Device.X_00005E_Provider.";

struct Options {
  std::string address = "system";
  std::string definitions = "example_provider.xml";
  std::string object = "/org/cwmpd/example";
  std::vector<std::uint32_t> keys{1};
  std::uint32_t maxLevel = 100;
  int getDelayMs = 0;
  int applyDelayMs = 0;
  int instancesDelayMs = 0;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const std::string v = argv[i + 1];
    if (k == "--address")
      o.address = v;
    else if (k == "--definitions")
      o.definitions = v;
    else if (k == "--object")
      o.object = v;
    else if (k == "--max-level")
      o.maxLevel = static_cast<std::uint32_t>(std::stoul(v));
    else if (k == "--get-delay-ms")
      o.getDelayMs = std::stoi(v);
    else if (k == "--apply-delay-ms")
      o.applyDelayMs = std::stoi(v);
    else if (k == "--instances-delay-ms")
      o.instancesDelayMs = std::stoi(v);
    else if (k == "--keys") {
      o.keys.clear();
      std::stringstream s(v);
      for (std::string item; std::getline(s, item, ',');)
        if (!item.empty()) o.keys.push_back(static_cast<std::uint32_t>(std::stoul(item)));
    } else {
      throw std::invalid_argument("unknown option " + k);
    }
  }
  return o;
}

// The subtree's state: parameter name -> value, names with the provider's keys.
class Model {
 public:
  explicit Model(const Options& o) : maxLevel_(o.maxLevel) {
    values_[std::string(kBase) + "Greeting"] = "hello";
    values_[std::string(kBase) + "Level"] = "1";
    values_[std::string(kBase) + "Counter"] = "0";
    for (auto k : o.keys) addLine(k);
  }

  cwmpd::bus::Changes get(const std::vector<std::string>& names) {
    cwmpd::bus::Changes out;
    for (const auto& n : names) {
      if (n == std::string(kBase) + "LineNumberOfEntries") {
        out.emplace_back(n, std::to_string(lines_.size()));
        continue;
      }
      auto it = values_.find(n);
      if (it == values_.end()) throw cwmpd::bus::ProviderFault(9005, "no parameter " + n);
      out.emplace_back(n, it->second);
    }
    return out;
  }
  void validate(const cwmpd::bus::Changes& changes) const {
    for (const auto& [n, v] : changes) {
      if (!values_.count(n)) throw cwmpd::bus::ProviderFault(9005, "no parameter " + n);
      if (n == std::string(kBase) + "Level" && std::stoul(v) > maxLevel_)
        throw cwmpd::bus::ProviderFault(
            9007, "Level " + v + " is above this provider's limit " + std::to_string(maxLevel_));
    }
  }
  void apply(const cwmpd::bus::Changes& changes) {
    for (const auto& [n, v] : changes) values_[n] = v;
  }
  std::vector<std::uint32_t> instances() const { return lines_; }
  std::uint32_t add() {
    std::uint32_t k = lines_.empty() ? 1 : *std::max_element(lines_.begin(), lines_.end()) + 1;
    addLine(k);
    return k;
  }
  void remove(const std::string& instance) {
    // "Device.X_00005E_Provider.Line.7."
    const std::string prefix = std::string(kBase) + "Line.";
    if (instance.rfind(prefix, 0) != 0) throw cwmpd::bus::ProviderFault(9005, instance);
    const auto k = static_cast<std::uint32_t>(std::stoul(instance.substr(prefix.size())));
    auto it = std::find(lines_.begin(), lines_.end(), k);
    if (it == lines_.end()) throw cwmpd::bus::ProviderFault(9005, instance);
    lines_.erase(it);
    values_.erase(prefix + std::to_string(k) + ".Name");
  }
  std::string bump() {
    auto& c = values_[std::string(kBase) + "Counter"];
    c = std::to_string(std::stoul(c) + 1);
    return std::string(kBase) + "Counter";
  }

 private:
  void addLine(std::uint32_t k) {
    lines_.push_back(k);
    values_[std::string(kBase) + "Line." + std::to_string(k) + ".Name"] =
        "line" + std::to_string(k);
  }
  std::map<std::string, std::string> values_;
  std::vector<std::uint32_t> lines_;  // keys, in the order Instances lists them
  std::uint32_t maxLevel_;
};

}  // namespace

int main(int argc, char** argv) try {
  const Options o = parse(argc, argv);
  std::ifstream in(o.definitions);
  if (!in) throw std::runtime_error("cannot read " + o.definitions);
  const std::string definitions((std::istreambuf_iterator<char>(in)), {});

  sigset_t mask;
  sigemptyset(&mask);
  for (int s : {SIGTERM, SIGINT, SIGUSR1, SIGUSR2}) sigaddset(&mask, s);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  const int sfd = signalfd(-1, &mask, SFD_CLOEXEC);

  auto connection = cwmpd::bus::openBusConnection(o.address);
  Model model(o);
  cwmpd::bus::ProviderHandlers h;
  h.get = [&](const std::vector<std::string>& names) {
    if (o.getDelayMs > 0) {
      // Said first, so that a test knows the agent is waiting for this answer.
      std::cout << "get " << (names.empty() ? std::string() : names.front()) << std::endl;
      std::this_thread::sleep_for(std::chrono::milliseconds(o.getDelayMs));
    }
    return model.get(names);
  };
  h.validate = [&](const cwmpd::bus::Changes& c) { model.validate(c); };
  h.apply = [&](const cwmpd::bus::Changes& c) {
    if (o.applyDelayMs > 0) {
      std::cout << "apply " << (c.empty() ? std::string() : c.front().first) << std::endl;
      std::this_thread::sleep_for(std::chrono::milliseconds(o.applyDelayMs));
    }
    model.apply(c);
  };
  h.rollback = [&](const cwmpd::bus::Changes& c) { model.apply(c); };
  h.instances = [&](const std::string& table) {
    if (o.instancesDelayMs > 0) {
      std::cout << "instances " << table << std::endl;
      std::this_thread::sleep_for(std::chrono::milliseconds(o.instancesDelayMs));
    }
    return model.instances();
  };
  h.add = [&](const std::string&) { return model.add(); };
  h.remove = [&](const std::string& instance) { model.remove(instance); };
  cwmpd::bus::Provider provider(*connection, o.object, std::move(h));

  bool stop = false;
  int status = 0;
  provider.registerAsync(definitions, [&](const sdbus::Error* e) {
    if (e) {
      std::cerr << "register refused: " << e->getName() << ": " << e->getMessage() << std::endl;
      stop = true;
      status = 1;
      return;
    }
    std::cout << "registered" << std::endl;
  });

  // One thread: the bus and the signals on one poll.
  while (!stop) {
    while (!stop && connection->processPendingRequest()) {
    }
    if (stop) break;
    const auto poll = connection->getEventLoopPollData();
    const auto timeout = poll.getRelativeTimeout();
    pollfd fds[2] = {{poll.fd, poll.events, 0}, {sfd, POLLIN, 0}};
    ::poll(fds, 2,
           !timeout
               ? -1
               : static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(*timeout).count()));
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo info{};
      if (::read(sfd, &info, sizeof info) != sizeof info) continue;
      if (info.ssi_signo == SIGUSR1) {
        provider.valuesChanged({model.bump()});
      } else if (info.ssi_signo == SIGUSR2) {
        provider.unregister();
        std::cout << "unregistered" << std::endl;
      } else {
        stop = true;
      }
    }
  }
  return status;
} catch (const std::exception& e) {
  std::cerr << "cwmpd-example-provider: " << e.what() << std::endl;
  return 2;
}
