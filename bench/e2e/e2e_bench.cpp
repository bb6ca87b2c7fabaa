// End-to-end benchmark: the real cwmpd (all plugins, simulated box, private D-Bus) with
// the synthetic plugin scaling the model, against a minimal ACS in this process on
// 127.0.0.1. The ACS is a blocking single-connection HTTP/1.1 loop so that its own cost
// in the timings is a few system calls: every RPC time is "last byte of the request
// written by the ACS" to "last byte of the CPE's response read by the ACS".
//
// Per model size and run: start the daemon, time to the first Inform; then in the same
// session `repeat` times GetParameterNames(Device., false) and GetParameterValues(Device.);
// then peak RSS, RSS after the session, CPU time of the process, and finally (last run
// only) idle CPU and wake-ups over `idle` seconds with periodic Inform off.
//
// The second table (issue 15: what ACSs really ask) starts the daemon again per run; in
// that session the ACS walks the tree with GetParameterNames(Device., false), as GenieACS
// does, then `repeat` times asks GetParameterValues of every parameter name listed in the
// request, and SetParameterValues of half the parameters at most (the synthetic rows'
// writable parameters: 10,000 at 20,000), each with its commit; then the peak RSS of
// that session and the RSS after it, and for each kind of request the highest rise of the
// peak RSS above the RSS just before it (the request's own memory). "names peak" is the
// peak RSS of the names part alone: the GetParameterNames and the first GetParameterValues
// of the names, i.e. the session until its first SetParameterValues (issue 15's "peak RSS
// of the 20,000-name session"; the sets keep the values they write, which legitimately
// raises the RSS of the rest of the session). --no-lists skips that table.
//
// --provider N (issue 18) adds a third table: in one session the ACS asks N times
// GetParameterValues of one parameter served by the example provider (a separate process
// on the same private bus: ACS -> cwmpd -> provider -> cwmpd -> ACS) and N times one
// served by the core, median and p99 of each.
//
//   bench_e2e [--sizes 2000,20000,100000] [--runs 3] [--repeat 5] [--idle 60]
//             [--cwmpd PATH] [--plugins DIR] [--source DIR] [--wrap "CMD ARGS"]
//             [--no-lists] [--no-tree] [--provider N] [--hal sim|linux]
//
// --hal linux runs the daemon on the linux HAL backend instead of the simulated box (for a
// build without the sim backend, CMake option CWMPD_HAL_BACKENDS, as a box's image is): the
// network interfaces of the host (/sys/class/net, /proc), the Wi-Fi, voice and ONU status
// read from the sim's files. Nothing is written to the host: no action command is
// configured, and the sets of the name-list table are the synthetic plugin's.
//
// --wrap runs the daemon under another program ("/usr/bin/time -v", "heaptrack -o F",
// "valgrind --tool=massif"); the /proc figures are then read from the cwmpd process
// below it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "private_bus.hpp"
#include "process.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using cwmpd::testing::Child;
using cwmpd::testing::PrivateBus;
using cwmpd::testing::TempDir;

double msSince(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::size_t countOf(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size()))
    ++n;
  return n;
}

// ---------------------------------------------------------------------------------------
// The ACS side: one listening socket, one connection at a time (libcurl keeps it alive).

struct Request {
  std::string head;
  std::string body;
  Clock::time_point firstByte;  // its first bytes were received
  Clock::time_point complete;   // its last byte was received
};

class MiniAcs {
 public:
  MiniAcs() {
    listen_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_ < 0) throw std::runtime_error("socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_, 4) != 0)
      throw std::runtime_error("cannot listen on 127.0.0.1");
    socklen_t len = sizeof addr;
    ::getsockname(listen_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~MiniAcs() {
    closeConnection();
    ::close(listen_);
  }
  MiniAcs(const MiniAcs&) = delete;
  MiniAcs& operator=(const MiniAcs&) = delete;

  int port() const { return port_; }

  // The next complete HTTP request, accepting a new connection when the last one closed.
  // Its `complete` time is taken as soon as its last byte is in the buffer, before the
  // body is copied out.
  Request next(std::chrono::seconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      if (conn_ < 0) {
        waitReadable(listen_, deadline);
        conn_ = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
        if (conn_ < 0) throw std::runtime_error("accept failed");
        used_ = 0;
        head_ = {};
      }
      if (auto r = parse()) return *r;
      waitReadable(conn_, deadline);
      // Straight into the buffer's free room, as much as the kernel has: no bounce buffer,
      // and a 3 MB answer takes a few dozen calls.
      if (buffer_.size() - used_ < kMinRoom)
        buffer_.resize(std::max(2 * buffer_.size(), used_ + kMinRoom));
      const ssize_t n = ::recv(conn_, buffer_.data() + used_, buffer_.size() - used_, 0);
      if (n <= 0) {
        if (used_ != 0) throw std::runtime_error("CPE closed the connection mid-request");
        closeConnection();
        continue;
      }
      if (used_ == 0) first_ = Clock::now();
      used_ += static_cast<std::size_t>(n);
    }
  }

  // A SOAP envelope (200) or, with an empty body, 204 No Content.
  void respond(const std::string& body) {
    std::string out = body.empty()
                          ? "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"
                          : "HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=\"utf-8\"\r\n"
                            "Content-Length: " +
                                std::to_string(body.size()) + "\r\n\r\n" + body;
    std::size_t sent = 0;
    while (sent < out.size()) {
      const ssize_t n = ::send(conn_, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send to the CPE failed");
      sent += static_cast<std::size_t>(n);
    }
  }

 private:
  static void waitReadable(int fd, Clock::time_point deadline) {
    pollfd p{fd, POLLIN, 0};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0)
      throw std::runtime_error("timed out waiting for the CPE");
  }

  // What parse() learnt of the request being received, kept between receives: each byte
  // is looked at once (the head, each chunk size line), whatever the number of receives.
  // Re-reading the whole buffer on every receive, as this did before, cost the ACS time
  // quadratic in the answer's size inside the measured interval.
  struct Head {
    std::size_t scanned = 0;  // where the search for the end of the head goes on
    std::size_t bodyAt = 0;   // 0 until the head is complete
    bool chunked = false;
    std::size_t length = 0;   // Content-Length
    std::size_t chunkAt = 0;  // chunked: the next chunk's size line
    std::string body;         // chunked: the chunks so far
  };

  // A request whose headers and Content-Length body (or chunked body) are all buffered.
  std::optional<Request> parse() {
    const std::string_view buf(buffer_.data(), used_);
    Head& h = head_;
    if (h.bodyAt == 0) {
      const auto end = buf.find("\r\n\r\n", h.scanned);
      if (end == std::string_view::npos) {
        h.scanned = used_ < 3 ? 0 : used_ - 3;
        return std::nullopt;
      }
      h.bodyAt = end + 4;
      std::string lower(buf.substr(0, end));
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      h.chunked = lower.find("transfer-encoding: chunked") != std::string::npos;
      if (const auto cl = lower.find("content-length:"); cl != std::string::npos && !h.chunked)
        h.length = std::stoul(lower.substr(cl + 15));
      h.chunkAt = h.bodyAt;
      // One allocation of the announced size (kept for the next requests).
      if (!h.chunked && buffer_.size() < h.bodyAt + h.length) {
        buffer_.resize(h.bodyAt + h.length + kMinRoom);
        return std::nullopt;  // buf is stale
      }
    }
    std::size_t consumed = 0;
    if (h.chunked) {
      for (;;) {
        const auto eol = buf.find("\r\n", h.chunkAt);
        if (eol == std::string_view::npos) return std::nullopt;
        const std::size_t size =
            std::stoul(std::string(buf.substr(h.chunkAt, eol - h.chunkAt)), nullptr, 16);
        if (used_ < eol + 2 + size + 2) return std::nullopt;
        h.body.append(buf.substr(eol + 2, size));
        h.chunkAt = eol + 2 + size + 2;
        if (size == 0) break;
      }
      consumed = h.chunkAt;
    } else {
      if (used_ < h.bodyAt + h.length) return std::nullopt;
      consumed = h.bodyAt + h.length;
    }
    Request r;
    r.complete = Clock::now();
    r.firstByte = first_;
    r.head.assign(buf.substr(0, h.bodyAt - 4));
    r.body = h.chunked ? std::move(h.body) : std::string(buf.substr(h.bodyAt, h.length));
    // What follows belongs to the next request (none with libcurl, which waits for the
    // answer before it sends again).
    std::memmove(buffer_.data(), buffer_.data() + consumed, used_ - consumed);
    used_ -= consumed;
    head_ = {};
    return r;
  }

  void closeConnection() {
    if (conn_ >= 0) ::close(conn_);
    conn_ = -1;
  }

  int listen_ = -1;
  int conn_ = -1;
  int port_ = 0;
  static constexpr std::size_t kMinRoom = std::size_t{256} * 1024;
  std::vector<char> buffer_;  // bytes [0, used_) received, not yet handed out
  std::size_t used_ = 0;
  Clock::time_point first_;
  Head head_;
};

std::string envelope(const std::string& ns, int id, const std::string& body) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "
         "xmlns:soapenc=\"http://schemas.xmlsoap.org/soap/encoding/\" "
         "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "
         "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:cwmp=\"" +
         ns + "\"><soapenv:Header><cwmp:ID soapenv:mustUnderstand=\"1\">" + std::to_string(id) +
         "</cwmp:ID></soapenv:Header><soapenv:Body>" + body + "</soapenv:Body></soapenv:Envelope>";
}

// ---------------------------------------------------------------------------------------
// The daemon's figures from /proc.

pid_t parentOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  const auto close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(line.substr(close + 2));
  std::string state;
  pid_t parent = 0;
  fields >> state >> parent;
  return parent;
}

// Valgrind runs its client in its own process, named after the tool ("callgrind-amd64").
bool isValgrindTool(const std::string& comm) {
  return comm.find("-amd64") != std::string::npos || comm.find("-arm64") != std::string::npos ||
         comm.find("-x86") != std::string::npos;
}

// The process named cwmpd at or below `top` (itself when the daemon is not wrapped, or
// wrapped by valgrind).
pid_t findDaemon(pid_t top) {
  for (int attempt = 0; attempt < 500; ++attempt) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
      const std::string name = entry.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      const pid_t pid = std::stoi(name);
      std::ifstream comm(entry.path() / "comm");
      std::string c;
      std::getline(comm, c);
      if (c != "cwmpd" && !(pid == top && isValgrindTool(c))) continue;
      for (pid_t p = pid; p > 1; p = parentOf(p))
        if (p == top) return pid;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("no cwmpd process below the wrapper");
}

std::map<std::string, long> procStatus(pid_t pid) {
  std::map<std::string, long> out;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    out[line.substr(0, colon)] = std::atol(line.c_str() + colon + 1);  // kB for memory lines
  }
  return out;
}

// How far one request takes the resident set above where it was: start() resets the
// process's peak (VmHWM, "echo 5 > /proc/PID/clear_refs", Linux 4.0) and notes VmRSS; rise()
// is the peak since then minus that RSS, in MB. Without the reset (an older kernel, another
// user's process) the rise is unknown (negative). peak() is the process's peak over the
// resets since the first start(): the session's, not the start-up's (the daemon gives back
// what only its start-up used before its first session, and its start-up may have been
// higher than the session).
class PeakProbe {
 public:
  explicit PeakProbe(pid_t pid) : pid_(pid) {}
  void start() {
    if (started_) peak_ = std::max(peak_, procStatus(pid_)["VmHWM"]);
    started_ = true;
    std::ofstream clear("/proc/" + std::to_string(pid_) + "/clear_refs");
    clear << "5" << std::flush;
    reset_ = static_cast<bool>(clear);
    before_ = procStatus(pid_)["VmRSS"];
  }
  [[nodiscard]] double rise() const {
    if (!reset_) return -1;
    return static_cast<double>(procStatus(pid_)["VmHWM"] - before_) / 1024;
  }
  // VmRSS at the last start(), MB.
  [[nodiscard]] double before() const { return static_cast<double>(before_) / 1024; }
  [[nodiscard]] double peak() const {
    return static_cast<double>(std::max(peak_, procStatus(pid_)["VmHWM"])) / 1024;
  }

 private:
  pid_t pid_;
  long peak_ = 0;
  long before_ = 0;
  bool reset_ = false;
  bool started_ = false;
};

// The fields of /proc/PID/stat, numbered as proc(5) does (fields[1] is the pid; "" for a
// field that is not there). Split after the command's closing parenthesis: the command may
// hold spaces.
std::vector<std::string> statFields(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  std::vector<std::string> fields(3);
  const auto close = line.rfind(')');
  if (close == std::string::npos) return fields;
  std::istringstream rest(line.substr(close + 1));
  for (std::string f; rest >> f;) fields.push_back(f);
  return fields;
}

unsigned long long numberAt(const std::vector<std::string>& fields, std::size_t n) {
  return n < fields.size() ? std::strtoull(fields[n].c_str(), nullptr, 10) : 0;
}

// User + system CPU of the whole process (all threads), in seconds (fields 14 and 15).
double cpuSeconds(pid_t pid) {
  const auto fields = statFields(pid);
  return static_cast<double>(numberAt(fields, 14) + numberAt(fields, 15)) /
         static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// Voluntary plus involuntary context switches of every thread: each is a wake-up.
long long wakeUps(pid_t pid) {
  long long total = 0;
  std::error_code ec;
  for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream in(task.path() / "status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0 ||
          line.rfind("nonvoluntary_ctxt_switches:", 0) == 0)
        total += std::atoll(line.c_str() + line.find(':') + 1);
    }
  }
  return total;
}

// Time the daemon's threads spent on a CPU, in ms (the first field of each thread's
// /proc schedstat, nanoseconds; Linux 2.6.23). Against a request's wall time it tells the
// daemon's own work from waiting (the ACS, the socket, another process on the CPU); unlike
// the wall time it hardly changes with the machine's load.
double onCpuMs(pid_t pid) {
  double ns = 0;
  std::error_code ec;
  for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream in(task.path() / "schedstat");
    double run = 0;
    if (in >> run) ns += run;
  }
  return ns / 1e6;
}

// Minor page faults of the whole process (field 10 of /proc/PID/stat): a fresh megabyte
// buffer costs one per 4 KiB page.
long minorFaults(pid_t pid) { return static_cast<long>(numberAt(statFields(pid), 10)); }

// What the daemon did during one request, besides its wall time: its on-CPU time (onCpuMs),
// the time from the request's last byte to the answer's first (the daemon's work before it
// sends anything), and the minor page faults it took.
struct Work {
  std::vector<double> cpu, firstByte, faults;
};

class WorkProbe {
 public:
  explicit WorkProbe(pid_t pid) : pid_(pid), cpu_(onCpuMs(pid)), faults_(minorFaults(pid)) {}
  void record(Work& w, Clock::time_point sent, const Request& answer) const {
    w.cpu.push_back(onCpuMs(pid_) - cpu_);
    w.firstByte.push_back(msSince(sent, answer.firstByte));
    w.faults.push_back(static_cast<double>(minorFaults(pid_) - faults_));
  }

 private:
  pid_t pid_;
  double cpu_;
  long faults_;
};

void append(Work& to, const Work& from) {
  to.cpu.insert(to.cpu.end(), from.cpu.begin(), from.cpu.end());
  to.firstByte.insert(to.firstByte.end(), from.firstByte.begin(), from.firstByte.end());
  to.faults.insert(to.faults.end(), from.faults.begin(), from.faults.end());
}

// ---------------------------------------------------------------------------------------

struct Options {
  std::vector<unsigned long> sizes{2000, 20000, 100000};
  int runs = 3;
  int repeat = 5;
  int idleSeconds = 60;
  std::string cwmpd = CWMPD_PATH;
  std::string plugins = CWMPD_PLUGIN_DIR;
  std::string source = CWMPD_SOURCE_DIR_PATH;
  std::vector<std::string> wrap;
  std::string hal = "sim";  // the HAL backend: sim or linux (--hal)
  bool tree = true;         // the whole-tree table
  bool lists = true;        // the name-list table
  int providerGets = 0;     // the provider table (issue 18)
  // --smaps DIR: copies of the daemon's /proc/PID/smaps at the moments of the names
  // session (before.N, gpn.N, gpv1.N, after.N for run N), for bench/smaps_table.py.
  std::string smapsDir;
};

struct RunFigures {
  double startToInform = 0;
  std::vector<double> gpn, gpv;
  std::vector<double> gpvList, spv;  // the name-list session
  // What the daemon did over each of those requests (WorkProbe).
  Work gpnWork, gpvWork, gpvListWork, spvWork;
  // Peak RSS of each request above the RSS just before it (MB): GetParameterNames, the
  // names-list GetParameterValues, the SetParameterValues.
  std::vector<double> gpnRise, gpvListRise, spvRise;
  std::size_t listNames = 0, setNames = 0, listBytes = 0, listRequestBytes = 0, setBytes = 0;
  std::size_t names = 0, values = 0, gpvBytes = 0;
  double peakRss = 0, steadyRss = 0, anonRss = 0, cpu = 0;  // MB, MB, MB, s
  double rssBefore = 0;  // MB, after the Inform, before the ACS's first request
  // MB, the peak RSS of the GetParameterNames and the first GetParameterValues of the
  // names: the session until its first SetParameterValues.
  double namesPeakRss = 0;
  std::optional<double> idleCpuPercent;
  std::optional<double> idleWakeUpsPerMinute;
};

// The <Name> of every ParameterInfoStruct of a GetParameterNamesResponse, with its
// Writable flag.
std::vector<std::pair<std::string, bool>> namesOf(const std::string& body) {
  std::vector<std::pair<std::string, bool>> out;
  std::size_t at = 0;
  while ((at = body.find("<Name>", at)) != std::string::npos) {
    const std::size_t end = body.find("</Name>", at);
    const std::size_t w = body.find("<Writable>", end);
    out.emplace_back(body.substr(at + 6, end - at - 6),
                     body.compare(w + 10, 1, "1") == 0 || body.compare(w + 10, 4, "true") == 0);
    at = end;
  }
  return out;
}

// A valid new value for a writable synthetic parameter, different in each repetition.
std::optional<std::pair<std::string, std::string>> syntheticValue(const std::string& name,
                                                                  int rep) {
  if (name.rfind("Device.X_CWMPD_Synthetic.Item.", 0) != 0) return std::nullopt;
  const std::string leaf = name.substr(name.rfind('.') + 1);
  const std::string r = std::to_string(rep);
  if (leaf == "Name") return std::pair<std::string, std::string>{"xsd:string", "name-" + r};
  if (leaf == "Offset") return std::pair<std::string, std::string>{"xsd:int", "-" + r};
  if (leaf == "Enable")
    return std::pair<std::string, std::string>{"xsd:boolean", rep % 2 ? "true" : "false"};
  if (leaf == "Timestamp")
    return std::pair<std::string, std::string>{
        "xsd:dateTime", "2026-01-0" + std::to_string(rep % 9 + 1) + "T00:00:00Z"};
  if (leaf == "Address")
    return std::pair<std::string, std::string>{"xsd:string",
                                               "10.0." + std::to_string(rep % 250) + ".1"};
  return std::nullopt;
}

std::string escaped(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else
      out += c;
  }
  return out;
}

// The [hal] section of the daemon's configuration (--hal): the simulated box from the copy
// of config/sim in the daemon's directory, or the linux backend reading its Wi-Fi, voice and
// ONU status from the same files.
std::string halSection(const Options& o) {
  if (o.hal == "linux")
    return "[hal]\nbackend = linux\nwifi_status_dir = sim/wifi\nvoice_status_dir = sim/voice\n"
           "pon_status_dir = sim/pon\n";
  return "[hal]\nbackend = sim\nsim_dir = sim\n";
}

// --smaps: the daemon's mappings at one moment, as DIR/LABEL.SIZE.PID, and its stat line
// (minor faults so far: field 10) as DIR/LABEL.SIZE.PID.stat.
void saveSmaps(const Options& o, pid_t pid, unsigned long size, const char* label) {
  if (o.smapsDir.empty()) return;
  fs::create_directories(o.smapsDir);
  const std::string proc = "/proc/" + std::to_string(pid);
  const fs::path name = fs::path(o.smapsDir) / (std::string(label) + "." + std::to_string(size) +
                                                "." + std::to_string(pid));
  std::ifstream smaps(proc + "/smaps");
  std::ofstream(name) << smaps.rdbuf();
  std::ifstream stat(proc + "/stat");
  std::ofstream(name.string() + ".stat") << stat.rdbuf();
}

RunFigures runOnce(const Options& o, unsigned long size, bool measureIdle, bool lists) {
  TempDir dir;
  PrivateBus bus(dir.path());
  MiniAcs acs;
  fs::copy(fs::path(o.source) / "config" / "sim", dir.path() / "sim", fs::copy_options::recursive);
  const fs::path config = dir.path() / "cwmpd.conf";
  // ~1,500 parameters come from the real plugins: the synthetic rows make up the rest.
  std::ofstream(config) << "[acs]\nurl = http://127.0.0.1:" << acs.port() << "/acs\n"
                        << "periodic_inform_enable = false\n"
                        << "[cpe]\nroot = Device\nconnection_request_enable = false\n"
                        << "[bus]\naddress = " << bus.address() << "\n"
                        << halSection(o) << "[store]\ndir = store\n"
                        << "[plugins]\ndir = " << o.plugins << "\n"
                        << "[synthetic]\ninstances = " << size / 10
                        << "\n"
                        // A listed request of 100,000 names is 5.5 MB.
                        << "[session]\nmax_body_bytes = " << (16 << 20) << "\n"
                        << "[log]\nlevel = warning\n";

  RunFigures f;
  const auto t0 = Clock::now();
  std::vector<std::string> argv = o.wrap;
  for (const auto& a : {o.cwmpd, std::string("--config"), config.string()}) argv.push_back(a);
  Child daemon(argv, dir.path(), "cwmpd");
  Request inform = acs.next(std::chrono::seconds(120));
  const pid_t pid = o.wrap.empty() ? daemon.pid() : findDaemon(daemon.pid());
  f.startToInform = msSince(t0, inform.complete);
  if (inform.body.find("Inform>") == std::string::npos &&
      inform.body.find(":Inform") == std::string::npos)
    throw std::runtime_error("first request is not an Inform: " + inform.body.substr(0, 300));
  std::string ns = "urn:dslforum-org:cwmp-1-0";
  if (const auto at = inform.body.find("urn:dslforum-org:cwmp-1-"); at != std::string::npos)
    ns = inform.body.substr(at, 25);

  int id = 1;
  acs.respond(envelope(
      ns, id++, "<cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes></cwmp:InformResponse>"));
  (void)acs.next(std::chrono::seconds(30));  // the empty POST: the ACS may talk now

  const std::string gpn =
      "<cwmp:GetParameterNames><ParameterPath>Device.</ParameterPath>"
      "<NextLevel>false</NextLevel></cwmp:GetParameterNames>";
  const std::string gpv =
      "<cwmp:GetParameterValues><ParameterNames soapenc:arrayType=\"xsd:string[1]\">"
      "<string>Device.</string></ParameterNames></cwmp:GetParameterValues>";
  // Between requests, more than the HAL's read cache lifetime ([hal] read_cache_ms, 100 ms
  // by default) passes, so that every request reads the hardware (the sim files) afresh.
  const auto pause = [] { std::this_thread::sleep_for(std::chrono::milliseconds(250)); };
  PeakProbe probe(pid);
  if (!lists) probe.start();  // the whole-tree session's peak, from here
  if (lists) {
    saveSmaps(o, pid, size, "before");
    probe.start();
    f.rssBefore = probe.before();
    acs.respond(envelope(ns, id++, gpn));
    Request names = acs.next(std::chrono::seconds(120));
    f.gpnRise.push_back(probe.rise());
    saveSmaps(o, pid, size, "gpn");
    std::string list, set;
    std::vector<std::string> writable;
    std::size_t count = 0;
    for (const auto& [name, w] : namesOf(names.body)) {
      // At most 100,000: the decoder's array limit (DecodeLimits::maxArrayItems).
      if (name.empty() || name.back() == '.' || count == 100000) continue;
      list += "<string>" + escaped(name) + "</string>";
      ++count;
      if (w && syntheticValue(name, 0)) writable.push_back(name);
    }
    f.listNames = count;
    const std::string gpvList =
        "<cwmp:GetParameterValues><ParameterNames soapenc:arrayType=\"xsd:string[" +
        std::to_string(count) + "]\">" + list + "</ParameterNames></cwmp:GetParameterValues>";
    f.listRequestBytes = gpvList.size();
    list.clear();
    list.shrink_to_fit();
    for (int i = 0; i < o.repeat; ++i) {
      pause();
      probe.start();
      WorkProbe work(pid);
      acs.respond(envelope(ns, id++, gpvList));
      auto sent = Clock::now();
      Request values = acs.next(std::chrono::seconds(120));
      f.gpvList.push_back(msSince(sent, values.complete));
      work.record(f.gpvListWork, sent, values);
      f.gpvListRise.push_back(probe.rise());
      if (i == 0) {
        f.namesPeakRss = probe.peak();
        saveSmaps(o, pid, size, "gpv1");
      }
      if (values.body.find("GetParameterValuesResponse") == std::string::npos)
        throw std::runtime_error("no GetParameterValuesResponse: " + values.body.substr(0, 600));
      f.values = countOf(values.body, "<ParameterValueStruct>");
      f.listBytes = values.body.size();

      pause();
      std::string params;
      for (const auto& name : writable) {
        const auto v = *syntheticValue(name, i + 1);
        params += "<ParameterValueStruct><Name>" + name + "</Name><Value xsi:type=\"" + v.first +
                  "\">" + v.second + "</Value></ParameterValueStruct>";
      }
      const std::string spv =
          "<cwmp:SetParameterValues><ParameterList soapenc:arrayType=\"cwmp:ParameterValueStruct[" +
          std::to_string(writable.size()) + "]\">" + params +
          "</ParameterList><ParameterKey>bench-" + std::to_string(i) +
          "</ParameterKey></cwmp:SetParameterValues>";
      f.setBytes = spv.size();
      probe.start();
      work = WorkProbe(pid);
      acs.respond(envelope(ns, id++, spv));
      sent = Clock::now();
      Request setAnswer = acs.next(std::chrono::seconds(120));
      f.spv.push_back(msSince(sent, setAnswer.complete));
      work.record(f.spvWork, sent, setAnswer);
      f.spvRise.push_back(probe.rise());
      if (setAnswer.body.find("SetParameterValuesResponse") == std::string::npos)
        throw std::runtime_error("no SetParameterValuesResponse: " + setAnswer.body.substr(0, 600));
      f.setNames = writable.size();
    }
  }
  for (int i = 0; i < o.repeat && !lists; ++i) {
    pause();
    WorkProbe work(pid);
    acs.respond(envelope(ns, id++, gpn));
    auto sent = Clock::now();
    Request names = acs.next(std::chrono::seconds(120));
    f.gpn.push_back(msSince(sent, names.complete));
    work.record(f.gpnWork, sent, names);
    if (names.body.find("GetParameterNamesResponse") == std::string::npos)
      throw std::runtime_error("no GetParameterNamesResponse: " + names.body.substr(0, 600));
    f.names = countOf(names.body, "<ParameterInfoStruct>");

    pause();
    work = WorkProbe(pid);
    acs.respond(envelope(ns, id++, gpv));
    sent = Clock::now();
    Request values = acs.next(std::chrono::seconds(120));
    f.gpv.push_back(msSince(sent, values.complete));
    work.record(f.gpvWork, sent, values);
    if (values.body.find("GetParameterValuesResponse") == std::string::npos)
      throw std::runtime_error("no GetParameterValuesResponse: " + values.body.substr(0, 600));
    f.values = countOf(values.body, "<ParameterValueStruct>");
    f.gpvBytes = values.body.size();
  }
  acs.respond("");  // 204: the session ends

  std::this_thread::sleep_for(std::chrono::seconds(2));  // let the session wind down
  saveSmaps(o, pid, size, lists ? "after" : "after-tree");
  auto status = procStatus(pid);
  f.peakRss = probe.peak();
  f.steadyRss = static_cast<double>(status["VmRSS"]) / 1024;
  f.anonRss = static_cast<double>(status["RssAnon"]) / 1024;
  f.cpu = cpuSeconds(pid);

  if (measureIdle && o.idleSeconds > 0) {
    const double c0 = cpuSeconds(pid);
    const long long w0 = wakeUps(pid);
    std::this_thread::sleep_for(std::chrono::seconds(o.idleSeconds));
    f.idleCpuPercent = (cpuSeconds(pid) - c0) * 100.0 / o.idleSeconds;
    f.idleWakeUpsPerMinute = static_cast<double>(wakeUps(pid) - w0) * 60.0 / o.idleSeconds;
  }
  // Wrapped, the signal goes to cwmpd itself (time or heaptrack would die of it and leave
  // the daemon running); the wrapper then exits with it.
  if (!o.wrap.empty()) ::kill(pid, SIGTERM);
  const auto end = o.wrap.empty() ? daemon.terminate(std::chrono::seconds(120))
                                  : daemon.wait(std::chrono::seconds(120));
  if (end.exitCode != 0) throw std::runtime_error("cwmpd did not exit cleanly: " + end.err);
  if (!o.wrap.empty()) std::cerr << end.err;  // what the wrapper reports (time -v, heaptrack)
  return f;
}

#ifdef CWMPD_EXAMPLE_PROVIDER_PATH
double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

// Issue 18: one session in which the ACS asks `gets` times for a parameter the example
// provider serves and as often for one the core serves, alternately; the times in ms.
std::pair<std::vector<double>, std::vector<double>> runProvider(const Options& o, int gets) {
  TempDir dir;
  PrivateBus bus(dir.path());
  MiniAcs acs;
  fs::copy(fs::path(o.source) / "config" / "sim", dir.path() / "sim", fs::copy_options::recursive);
  const fs::path config = dir.path() / "cwmpd.conf";
  std::ofstream(config) << "[acs]\nurl = http://127.0.0.1:" << acs.port() << "/acs\n"
                        << "periodic_inform_enable = false\n"
                        << "[cpe]\nroot = Device\nconnection_request_enable = false\n"
                        << "[bus]\naddress = " << bus.address() << "\n"
                        << halSection(o) << "[store]\ndir = store\n[plugins]\ndir = " << o.plugins
                        << "\n"
                        << "[synthetic]\ninstances = 0\n[log]\nlevel = warning\n";
  Child daemon({o.cwmpd, "--config", config.string()}, dir.path(), "cwmpd");
  Request inform = acs.next(std::chrono::seconds(120));
  std::string ns = "urn:dslforum-org:cwmp-1-0";
  if (const auto at = inform.body.find("urn:dslforum-org:cwmp-1-"); at != std::string::npos)
    ns = inform.body.substr(at, 25);
  // The provider registers while the Inform waits for its answer.
  Child provider({CWMPD_EXAMPLE_PROVIDER_PATH, "--address", bus.address(), "--definitions",
                  CWMPD_EXAMPLE_PROVIDER_XML},
                 dir.path(), "provider");
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (provider.currentOut().find("registered") == std::string::npos) {
    if (Clock::now() > deadline)
      throw std::runtime_error("the provider did not register: " + provider.currentErr());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  int id = 1;
  acs.respond(envelope(
      ns, id++, "<cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes></cwmp:InformResponse>"));
  (void)acs.next(std::chrono::seconds(30));
  auto gpv = [&](const std::string& name, const std::string& expect) {
    acs.respond(envelope(ns, id++,
                         "<cwmp:GetParameterValues><ParameterNames soapenc:arrayType=\"xsd:string["
                         "1]\"><string>" +
                             name + "</string></ParameterNames></cwmp:GetParameterValues>"));
    const auto sent = Clock::now();
    Request answer = acs.next(std::chrono::seconds(30));
    if (answer.body.find(expect) == std::string::npos)
      throw std::runtime_error("unexpected answer: " + answer.body.substr(0, 600));
    return msSince(sent, answer.complete);
  };
  std::pair<std::vector<double>, std::vector<double>> out;
  for (int i = 0; i < gets; ++i) {
    out.first.push_back(gpv("Device.X_00005E_Provider.Greeting", ">hello</Value>"));
    out.second.push_back(gpv("Device.DeviceInfo.Manufacturer", "GetParameterValuesResponse"));
  }
  acs.respond("");
  (void)daemon.terminate(std::chrono::seconds(30));
  return out;
}
#endif

std::vector<unsigned long> parseSizes(const std::string& list) {
  std::vector<unsigned long> out;
  std::istringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::stoul(item));
  return out;
}

std::string machine() {
  std::string cpu = "unknown CPU";
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  }
  utsname u{};
  ::uname(&u);
  return cpu + ", " + std::to_string(std::thread::hardware_concurrency()) + " CPUs, Linux " +
         u.release;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--sizes")
      o.sizes = parseSizes(value());
    else if (a == "--runs")
      o.runs = std::stoi(value());
    else if (a == "--repeat")
      o.repeat = std::stoi(value());
    else if (a == "--idle")
      o.idleSeconds = std::stoi(value());
    // Absolute: the daemon runs in its own state directory, where a relative path means
    // nothing (it failed to start and the bench waited for it until its timeout).
    else if (a == "--cwmpd")
      o.cwmpd = fs::absolute(value()).string();
    else if (a == "--plugins")
      o.plugins = fs::absolute(value()).string();
    else if (a == "--source")
      o.source = fs::absolute(value()).string();
    else if (a == "--no-lists")
      o.lists = false;
    else if (a == "--no-tree")
      o.tree = false;
    else if (a == "--smaps")
      o.smapsDir = fs::absolute(value()).string();
    else if (a == "--provider")
      o.providerGets = std::stoi(value());
    else if (a == "--hal") {
      o.hal = value();
      if (o.hal != "sim" && o.hal != "linux") throw std::invalid_argument("--hal: sim or linux");
    } else if (a == "--wrap") {
      std::istringstream words(value());
      for (std::string w; words >> w;) o.wrap.push_back(w);
    } else {
      std::cerr
          << "usage: bench_e2e [--sizes 2000,20000,100000] [--runs 3] [--repeat 5] [--idle 60]\n"
             "                 [--cwmpd PATH] [--plugins DIR] [--source DIR] [--wrap \"CMD ARGS\"]\n"
             "                 [--no-lists] [--no-tree] [--provider N] [--hal sim|linux]\n"
             "                 [--smaps DIR]\n";
      return 2;
    }
  }
  if (o.runs < 1 || o.repeat < 1) {
    std::cerr << "--runs and --repeat must be at least 1\n";
    return 2;
  }

  // One line per kind of request under its table's row, medians.
  const auto printWork = [](const char* what, const Work& w) {
    std::printf(
        "%19s %-13s daemon on-CPU %7.2f ms, answer's first byte after %7.2f ms, %6.0f "
        "minor faults\n",
        "", what, median(w.cpu), median(w.firstByte), median(w.faults));
  };
  std::printf("cwmpd end-to-end benchmark: %s\n", machine().c_str());
  std::printf(
      "medians over %d daemon start(s) x %d GetParameterNames+GetParameterValues of Device.; "
      "idle over %d s (last run)\n\n",
      o.runs, o.repeat, o.idleSeconds);
  std::printf("%9s %9s | %10s %9s %9s %8s | %9s %9s %8s %7s | %8s %9s\n", "synthetic", "params",
              "start->Inf", "GPN", "GPV", "GPV", "peak RSS", "RSS after", "anon", "CPU", "idle CPU",
              "wake-ups");
  std::printf("%9s %9s | %10s %9s %9s %8s | %9s %9s %8s %7s | %8s %9s\n", "", "(GPV)", "ms", "ms",
              "ms", "MB", "MB", "MB", "MB", "s", "%", "per min");
  int failures = 0;
  for (const auto size : o.tree ? o.sizes : std::vector<unsigned long>{}) {
    std::vector<double> start, gpn, gpv, peak, steady, anon, cpu;
    Work gpnWork, gpvWork;
    RunFigures last;
    try {
      for (int r = 0; r < o.runs; ++r) {
        last = runOnce(o, size, r == o.runs - 1, false);
        start.push_back(last.startToInform);
        gpn.insert(gpn.end(), last.gpn.begin(), last.gpn.end());
        gpv.insert(gpv.end(), last.gpv.begin(), last.gpv.end());
        append(gpnWork, last.gpnWork);
        append(gpvWork, last.gpvWork);
        peak.push_back(last.peakRss);
        steady.push_back(last.steadyRss);
        anon.push_back(last.anonRss);
        cpu.push_back(last.cpu);
      }
    } catch (const std::exception& e) {
      std::printf("%9lu: FAILED: %s\n", size, e.what());
      ++failures;
      continue;
    }
    const std::string idle =
        last.idleCpuPercent ? std::to_string(*last.idleCpuPercent).substr(0, 6) : std::string("-");
    const std::string wakes = last.idleWakeUpsPerMinute
                                  ? std::to_string(*last.idleWakeUpsPerMinute).substr(0, 6)
                                  : std::string("-");
    std::printf("%9lu %9zu | %10.1f %9.2f %9.2f %8.2f | %9.2f %9.2f %8.2f %7.2f | %8s %9s\n", size,
                last.values, median(start), median(gpn), median(gpv),
                static_cast<double>(last.gpvBytes) / (1 << 20), median(peak), median(steady),
                median(anon), median(cpu), idle.c_str(), wakes.c_str());
    printWork("GPN", gpnWork);
    printWork("GPV", gpvWork);
    std::fflush(stdout);
  }
  if (o.lists) {
    std::printf(
        "\nWhat ACSs ask (one GetParameterNames of Device., then %d x GetParameterValues of every "
        "parameter name listed, and SetParameterValues of the synthetic writable parameters with commit); "
        "medians over %d start(s); names peak: the peak RSS of the GetParameterNames and the first "
        "GetParameterValues of the names (the session until its first SetParameterValues); peak RSS: "
        "the whole session's; +peak: the highest peak RSS of one such request above the RSS just "
        "before it (GPV 1st: the first GetParameterValues of the names, which follows the "
        "GetParameterNames; GPV: any of them, the later ones follow a SetParameterValues)\n\n",
        o.repeat, o.runs);
    std::printf("%9s %9s | %12s %8s %8s | %9s %9s %8s | %9s %9s %9s %9s %8s | %8s %8s %8s %8s\n",
                "synthetic", "names", "GPV of names", "request", "answer", "SPV", "SPV", "request",
                "RSS befor", "names pk", "peak RSS", "RSS after", "anon", "GPN", "GPV 1st", "GPV",
                "SPV");
    std::printf("%9s %9s | %12s %8s %8s | %9s %9s %8s | %9s %9s %9s %9s %8s | %8s %8s %8s %8s\n",
                "", "listed", "ms", "MB", "MB", "params", "ms", "MB", "MB", "MB", "MB", "MB", "MB",
                "+peak MB", "+peak MB", "+peak MB", "+peak MB");
    for (const auto size : o.sizes) {
      std::vector<double> gpvList, spv, before, namesPeak, peak, steady, anon, gpnRise, gpvRise,
          firstGpvRise, spvRise;
      Work gpvListWork, spvWork;
      RunFigures last;
      try {
        for (int r = 0; r < o.runs; ++r) {
          last = runOnce(o, size, false, true);
          gpvList.insert(gpvList.end(), last.gpvList.begin(), last.gpvList.end());
          spv.insert(spv.end(), last.spv.begin(), last.spv.end());
          append(gpvListWork, last.gpvListWork);
          append(spvWork, last.spvWork);
          gpnRise.insert(gpnRise.end(), last.gpnRise.begin(), last.gpnRise.end());
          gpvRise.insert(gpvRise.end(), last.gpvListRise.begin(), last.gpvListRise.end());
          if (!last.gpvListRise.empty()) firstGpvRise.push_back(last.gpvListRise.front());
          spvRise.insert(spvRise.end(), last.spvRise.begin(), last.spvRise.end());
          before.push_back(last.rssBefore);
          namesPeak.push_back(last.namesPeakRss);
          peak.push_back(last.peakRss);
          steady.push_back(last.steadyRss);
          anon.push_back(last.anonRss);
        }
      } catch (const std::exception& e) {
        std::printf("%9lu: FAILED: %s\n", size, e.what());
        ++failures;
        continue;
      }
      const auto mb = [](std::size_t bytes) { return static_cast<double>(bytes) / (1 << 20); };
      const auto highest = [](const std::vector<double>& v) {
        return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end());
      };
      std::printf(
          "%9lu %9zu | %12.2f %8.2f %8.2f | %9zu %9.2f %8.2f | %9.2f %9.2f %9.2f %9.2f %8.2f | "
          "%8.2f %8.2f %8.2f %8.2f\n",
          size, last.listNames, median(gpvList), mb(last.listRequestBytes), mb(last.listBytes),
          last.setNames, median(spv), mb(last.setBytes), median(before), median(namesPeak),
          median(peak), median(steady), median(anon), highest(gpnRise), highest(firstGpvRise),
          highest(gpvRise), highest(spvRise));
      printWork("GPV of names", gpvListWork);
      printWork("SPV", spvWork);
      std::fflush(stdout);
    }
  }
  if (o.providerGets > 0) {
#ifdef CWMPD_EXAMPLE_PROVIDER_PATH
    std::printf(
        "\nA parameter served by a provider (issue 18): %d x GetParameterValues of one "
        "parameter in one session, ACS -> cwmpd -> provider -> cwmpd -> ACS, against one "
        "the core serves\n\n",
        o.providerGets);
    std::printf("%-36s %9s %9s\n", "parameter", "p50 ms", "p99 ms");
    try {
      const auto [provider, core] = runProvider(o, o.providerGets);
      std::printf("%-36s %9.3f %9.3f\n", "Device.X_00005E_Provider.Greeting", median(provider),
                  percentile(provider, 0.99));
      std::printf("%-36s %9.3f %9.3f\n", "Device.DeviceInfo.Manufacturer", median(core),
                  percentile(core, 0.99));
    } catch (const std::exception& e) {
      std::printf("provider: FAILED: %s\n", e.what());
      ++failures;
    }
#else
    std::printf("\n--provider: built without the example provider\n");
    ++failures;
#endif
  }
  return failures == 0 ? 0 : 1;
}
