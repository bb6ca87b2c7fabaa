#include "cwmpd/core/event_queue.hpp"

#include <algorithm>
#include <cstdio>

namespace cwmpd::core {
namespace {

constexpr const char* kPrefix = "q:";

bool isMultiple(const std::string& code) {
  // TR-069 Table 7: "M <method>" events are multiple except M Reboot; vendor events are
  // multiple too (each carries its own meaning).
  if (code == "M Reboot") return false;
  return code.rfind("M ", 0) == 0 || code.rfind("X ", 0) == 0;
}

}  // namespace

bool isValidEventCode(const std::string& code) {
  static const char* const kNumbered[] = {"0 BOOTSTRAP",
                                          "1 BOOT",
                                          "2 PERIODIC",
                                          "3 SCHEDULED",
                                          "4 VALUE CHANGE",
                                          "5 KICKED",
                                          "6 CONNECTION REQUEST",
                                          "7 TRANSFER COMPLETE",
                                          "8 DIAGNOSTICS COMPLETE",
                                          "9 REQUEST DOWNLOAD",
                                          "10 AUTONOMOUS TRANSFER COMPLETE",
                                          "11 DU STATE CHANGE COMPLETE",
                                          "12 AUTONOMOUS DU STATE CHANGE COMPLETE",
                                          "13 WAKEUP",
                                          "14 HEARTBEAT"};
  for (const char* c : kNumbered)
    if (code == c) return true;
  static const char* const kMethods[] = {"M Reboot",   "M ScheduleInform",
                                         "M Download", "M ScheduleDownload",
                                         "M Upload",   "M ChangeDUState"};
  for (const char* c : kMethods)
    if (code == c) return true;
  if (code.rfind("M X_", 0) == 0 && code.size() > 4 && code.size() <= 64) return true;
  // "X <OUI> <event>": OUI is 6 hex digits or an organisation name like CT-COM.
  if (code.rfind("X ", 0) == 0 && code.size() <= 64) {
    auto sp = code.find(' ', 2);
    if (sp == std::string::npos || sp == 2 || sp + 1 >= code.size()) return false;
    for (char c : code)
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e)
        return false;
    return true;
  }
  return false;
}

EventQueue::EventQueue(Store& store) : store_(store) {
  store_.forEach(kPrefix, [&](const std::string&, const std::string& v) {
    auto tab = v.find('\t');
    events_.push_back(
        {v.substr(0, tab), tab == std::string::npos ? std::string() : v.substr(tab + 1)});
  });
}

void EventQueue::save() {
  store_.erasePrefix(kPrefix);
  char key[32];
  for (std::size_t i = 0; i < events_.size(); ++i) {
    std::snprintf(key, sizeof key, "q:%06zu", i);
    store_.set(key, events_[i].code + "\t" + events_[i].commandKey);
  }
  // A full disk must not lose the event nor stop the agent: the queue in memory is what
  // the next Inform sends, and the next commit writes it (the store logs the failure once).
  store_.tryCommit();
}

void EventQueue::add(const std::string& code, const std::string& commandKey) {
  if (code == "0 BOOTSTRAP") {
    events_.erase(std::remove_if(events_.begin(), events_.end(),
                                 [](const QueuedEvent& e) { return e.code != "1 BOOT"; }),
                  events_.end());
  }
  if (!isMultiple(code)) {
    for (auto& e : events_) {
      if (e.code == code) {
        e.commandKey = commandKey;  // "M Reboot": the latest command key wins
        save();
        return;
      }
    }
  }
  // BOOTSTRAP leads the Inform: ACSs read the first event to decide whether they are
  // meeting the device anew, and a "1 BOOT" queued earlier must not hide it.
  if (code == "0 BOOTSTRAP")
    events_.insert(events_.begin(), {code, commandKey});
  else
    events_.push_back({code, commandKey});
  save();
}

std::vector<QueuedEvent> EventQueue::pending() const { return events_; }

bool EventQueue::contains(const std::string& code) const {
  return std::any_of(events_.begin(), events_.end(),
                     [&](const QueuedEvent& e) { return e.code == code; });
}

void EventQueue::delivered(const std::vector<QueuedEvent>& sent) {
  for (const auto& s : sent) {
    // TR-069 3.7.1.5: "7 TRANSFER COMPLETE" and "M Download/Upload" stay until the
    // TransferComplete itself is acknowledged; the transfer manager removes them.
    if (s.code == "7 TRANSFER COMPLETE" || s.code == "10 AUTONOMOUS TRANSFER COMPLETE") continue;
    auto it = std::find(events_.begin(), events_.end(), s);
    if (it != events_.end()) events_.erase(it);
  }
  save();
}

void EventQueue::sessionFailed() {
  auto before = events_.size();
  events_.erase(
      std::remove_if(events_.begin(), events_.end(),
                     [](const QueuedEvent& e) { return e.code == "6 CONNECTION REQUEST"; }),
      events_.end());
  if (events_.size() != before) save();
}

void EventQueue::booted() {
  events_.erase(std::remove_if(events_.begin(), events_.end(),
                               [](const QueuedEvent& e) {
                                 // "8 DIAGNOSTICS COMPLETE": the results it announces are not
                                 // retained across a reboot (DiagnosticsState reads None again).
                                 return e.code == "1 BOOT" || e.code == "2 PERIODIC" ||
                                        e.code == "5 KICKED" || e.code == "6 CONNECTION REQUEST" ||
                                        e.code == "8 DIAGNOSTICS COMPLETE" ||
                                        e.code == "14 HEARTBEAT";
                               }),
                events_.end());
  save();
}

void EventQueue::remove(const std::string& code) {
  auto before = events_.size();
  events_.erase(std::remove_if(events_.begin(), events_.end(),
                               [&](const QueuedEvent& e) { return e.code == code; }),
                events_.end());
  if (events_.size() != before) save();
}

void EventQueue::clear() {
  events_.clear();
  save();
}

}  // namespace cwmpd::core
