// Network diagnostics the ACS can order (TR-069 "8 DIAGNOSTICS COMPLETE" tests): ICMP echo
// for IPPing / IPPingDiagnostics, UDP traceroute for TraceRoute / TraceRouteDiagnostics,
// DNS queries for NSLookupDiagnostics, HTTP transfers for the TR-143 DownloadDiagnostics /
// UploadDiagnostics.
//
// Unlike the rest of the HAL, these calls are BLOCKING and THREAD-SAFE: a test runs for
// seconds, so a plugin calls them from a thread of its own, never from the main loop.
// Each call holds its own sockets and touches no state shared with other HAL calls. A
// call watches `cancel` and returns (Canceled) within about 50 ms of it turning true.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace cwmpd::hal {

enum class IpVersion : std::uint8_t { Any, IPv4, IPv6 };

// How a test ended, in the words of the models' DiagnosticsState.
enum class DiagnosticsOutcome : std::uint8_t {
  Complete,
  CannotResolveHostName,
  NoRouteToHost,        // TR-181 only; TR-098 shows Error_Other
  Internal,             // a resource of the box failed (no socket, no such interface address)
  MaxHopCountExceeded,  // traceroute: the destination was not reached within MaxHopCount
  Other,
  Canceled,  // `cancel` turned true; the results are incomplete
};

struct PingRequest {
  std::string host;  // name or literal address
  IpVersion version = IpVersion::Any;
  std::string interfaceName;  // "" = the routing table decides; else bind to its address
  std::uint32_t repetitions = 1;
  std::uint32_t timeoutMs = 1000;    // per echo request
  std::uint32_t dataBlockSize = 64;  // bytes of ICMP payload
  std::uint32_t dscp = 0;            // 0..63
  // From one request to the next, as ping(8) does (a timed-out request is followed at once
  // when its timeout was longer).
  std::uint32_t intervalMs = 1000;
};

struct PingResult {
  DiagnosticsOutcome outcome = DiagnosticsOutcome::Other;
  std::string detail;         // why, when not Complete (for the log)
  std::string addressUsed;    // the source address the requests left from
  std::string targetAddress;  // the address `host` resolved to
  std::uint32_t successCount = 0;
  std::uint32_t failureCount = 0;
  // Round-trip times of the successful echoes, microseconds (0 when none succeeded).
  std::uint64_t minimumUs = 0;
  std::uint64_t averageUs = 0;
  std::uint64_t maximumUs = 0;
};

struct TraceRouteRequest {
  std::string host;
  IpVersion version = IpVersion::Any;
  std::string interfaceName;         // "" = the routing table decides
  std::uint32_t tries = 3;           // probes per hop, 1..3
  std::uint32_t timeoutMs = 5000;    // per probe
  std::uint32_t dataBlockSize = 38;  // bytes of UDP payload
  std::uint32_t dscp = 0;
  std::uint32_t maxHops = 30;  // 1..64
};

struct RouteHop {
  std::string host;                  // the hop's name when reverse DNS has one, else its address
  std::string address;               // "" when no probe of this hop was answered
  std::uint32_t errorCode = 0;       // ICMP code of an unreachable that ended the trace, else 0
  std::vector<std::uint32_t> rttMs;  // one per answered probe
};

struct TraceRouteResult {
  DiagnosticsOutcome outcome = DiagnosticsOutcome::Other;
  std::string detail;
  std::string addressUsed;
  std::uint32_t responseTimeMs = 0;  // mean round trip to the destination (0: not reached)
  std::vector<RouteHop> hops;
};

struct NsLookupRequest {
  std::string hostName;
  std::string dnsServer;  // address or name of the server to ask
  std::uint16_t port = 53;
  std::string interfaceName;       // "" = the routing table decides
  std::uint32_t timeoutMs = 5000;  // per query
  std::uint32_t repetitions = 1;
};

// One repetition: an A and an AAAA query.
struct NsLookupAnswer {
  enum class Status : std::uint8_t {
    Success,
    DnsServerNotAvailable,
    HostNameNotResolved,
    Timeout,
    Other
  };
  Status status = Status::Other;
  bool authoritative = false;
  std::string hostNameReturned;  // the canonical name (the last CNAME target, else the name asked)
  std::vector<std::string> addresses;
  std::string dnsServerIp;
  std::uint32_t responseTimeMs = 0;
};

struct NsLookupResult {
  enum class Outcome : std::uint8_t { Complete, DnsServerNotResolved, Internal, Other, Canceled };
  Outcome outcome = Outcome::Other;
  std::string detail;
  std::vector<NsLookupAnswer> answers;  // one per repetition
};

// TR-143 throughput test (DownloadDiagnostics / UploadDiagnostics) over HTTP or FTP.
struct TransferRequest {
  // http://host[:port]/path or ftp://[user[:password]@]host[:port]/path (anonymous without
  // user information); other schemes end in Other.
  std::string url;
  IpVersion version = IpVersion::Any;
  std::string interfaceName;  // "" = the routing table decides; else bind to its address
  std::uint32_t dscp = 0;
  std::uint32_t ethernetPriority = 0;  // 0..7, the socket's priority (VLAN PCP by egress map)
  std::uint32_t connections = 1;       // in parallel, each transferring the whole file
  std::uint64_t uploadLength = 0;      // upload: bytes of the test file (each connection)
  // Time-based test (TR-143 4.3): 0 = the whole file; else the transfer stops this long
  // after the first connection's BOMTime (an upload then sends chunked).
  std::uint32_t durationS = 0;
  // IncrementalResult: intervals of this length from BOMTime + offsetS until the end of a
  // time-based test (0 = none).
  std::uint32_t intervalS = 0;
  std::uint32_t offsetS = 0;
  // A connection that does not open, or a server silent for this long, ends the test.
  std::uint32_t idleTimeoutMs = 30000;
};

using WallTime = std::chrono::system_clock::time_point;  // {} = not reached

// One connection's measurements (TR-143 / the models' PerConnectionResult): the times are
// taken on the box's clock with microsecond precision.
struct TransferTimes {
  WallTime tcpOpenRequest;   // the SYN was sent (connect()); FTP: of the data connection
  WallTime tcpOpenResponse;  // the connection opened
  WallTime rom;              // the request (GET / PUT, FTP: RETR / STOR) was sent
  WallTime bom;              // download: first byte received; upload: first body byte sent
  WallTime eom;  // download: last byte received; upload: the response (FTP: the 226) came
  // Download: bytes received between BOM and EOM, headers included; upload: bytes sent
  // (request headers and body). FTP: the data connection's bytes (the file).
  std::uint64_t testBytes = 0;
  // The interface's counters between BOM and EOM (0 without an interface).
  std::uint64_t totalBytesReceived = 0;
  std::uint64_t totalBytesSent = 0;
};

struct TransferIncrement {
  WallTime start;
  WallTime end;
  std::uint64_t testBytes = 0;  // across all connections
  std::uint64_t totalBytesReceived = 0;
  std::uint64_t totalBytesSent = 0;
};

struct TransferResult {
  enum class Outcome : std::uint8_t {
    Complete,
    CannotResolveHostName,
    NoRouteToHost,
    InitConnectionFailed,  // the TCP connection did not open (refused, timed out)
    NoResponse,            // the server sent nothing back to the request
    TransferFailed,        // a non-2xx answer, a connection closed early, a malformed reply
    IncorrectSize,         // download: fewer or more bytes than the Content-Length said
    Timeout,               // the server stalled in the middle of the transfer
    Internal,              // a resource of the box failed (no socket, no interface address)
    Other,                 // the URL is not one this engine speaks
    Canceled,
    // FTP (the models' Error_... of the same names)
    PasswordRequestFailed,  // USER was refused
    LoginFailed,            // PASS was refused
    NoTransferMode,         // TYPE I was refused
    NoPasv,                 // neither EPSV nor PASV gave a data port
    RequestRefused,         // RETR / STOR was refused (upload: Error_NoSTOR)
  };
  Outcome outcome = Outcome::Other;
  std::string detail;
  std::string addressUsed;
  TransferTimes total;  // ROM/BOM: earliest, EOM: latest, TCPOpen*: latest, bytes: summed
  std::vector<TransferTimes> connections;
  std::vector<TransferIncrement> increments;
  // Between the latest BOMTime and the earliest EOMTime of the connections.
  std::uint64_t testBytesUnderFullLoading = 0;
  std::uint64_t totalBytesReceivedUnderFullLoading = 0;
  std::uint64_t totalBytesSentUnderFullLoading = 0;
  std::uint64_t periodOfFullLoadingUs = 0;
};

// The UDP echo server of UDPEchoConfig (RFC 862, UDP Echo Plus of TR-143 A.1).
struct UdpEchoServerConfig {
  std::string interfaceName;  // "" = every interface (IPv4 and IPv6); else its IPv4 address
  std::string sourceAddress;  // "" = any; else only this source is answered
  std::uint16_t port = 0;
  bool echoPlus = true;  // fill in the UDP Echo Plus fields of packets of 20 bytes and more
};

// What the server saw since it started; read from any thread.
struct UdpEchoServerStats {
  std::atomic<std::uint32_t> packetsReceived{0};
  std::atomic<std::uint32_t> packetsResponded{0};
  std::atomic<std::uint32_t> bytesReceived{0};   // payload and UDP header
  std::atomic<std::uint32_t> bytesResponded{0};  // payload and UDP header
  std::atomic<std::int64_t> firstReceivedUs{0};  // microseconds since the epoch, 0 = none
  std::atomic<std::int64_t> lastReceivedUs{0};
};

// UDPEchoDiagnostics: UDP Echo Plus packets to a server, one every interTransmissionMs.
struct UdpEchoRequest {
  std::string host;
  std::uint16_t port = 0;
  IpVersion version = IpVersion::Any;
  std::string interfaceName;
  std::uint32_t repetitions = 1;
  std::uint32_t timeoutMs = 5000;  // per packet
  std::uint32_t dataBlockSize = 24;
  std::uint32_t dscp = 0;
  std::uint32_t interTransmissionMs = 1000;
};

struct UdpEchoPacket {
  bool success = false;
  WallTime sent;
  WallTime received;
  // The UDP Echo Plus fields of the answer (TR-143 A.1), 0 when the server left them.
  std::uint32_t genSn = 0;
  std::uint32_t respSn = 0;
  std::uint32_t respRcvTimeStamp = 0;
  std::uint32_t respReplyTimeStamp = 0;
  std::uint32_t respReplyFailureCount = 0;
};

struct UdpEchoResult {
  DiagnosticsOutcome outcome = DiagnosticsOutcome::Other;
  std::string detail;
  std::string addressUsed;
  std::uint32_t successCount = 0;
  std::uint32_t failureCount = 0;
  std::uint64_t minimumUs = 0;
  std::uint64_t averageUs = 0;
  std::uint64_t maximumUs = 0;
  std::vector<UdpEchoPacket> packets;
};

class Diagnostics {
 public:
  virtual ~Diagnostics() = default;
  // ICMP echo: datagram ICMP sockets where net.ipv4.ping_group_range lets this process's
  // group use them, raw sockets otherwise (needs CAP_NET_RAW).
  virtual PingResult ping(const PingRequest& request, const std::atomic<bool>& cancel) = 0;
  // UDP probes (ports 33434 and up) with growing TTL / hop limit, the ICMP answers read
  // from the socket's error queue (IP_RECVERR): needs no privilege.
  virtual TraceRouteResult traceRoute(const TraceRouteRequest& request,
                                      const std::atomic<bool>& cancel) = 0;
  // DNS queries (A, then AAAA) over UDP straight to `dnsServer`, bypassing the box's
  // resolver and its caches.
  virtual NsLookupResult nsLookup(const NsLookupRequest& request,
                                  const std::atomic<bool>& cancel) = 0;
  // TR-143 download and upload on `connections` parallel connections: HTTP GET / PUT of
  // `uploadLength` bytes (chunked for a time-based test), or FTP RETR / STOR in binary
  // passive mode (EPSV, else PASV) on a control connection each; the received data is
  // counted and dropped, never stored.
  virtual TransferResult download(const TransferRequest& request,
                                  const std::atomic<bool>& cancel) = 0;
  virtual TransferResult upload(const TransferRequest& request,
                                const std::atomic<bool>& cancel) = 0;
  // Serves UDP echo until `cancel`, counting in `stats`. Returns "" once cancelled, else
  // why it could not serve (the port is taken, the interface has no address).
  virtual std::string udpEchoServe(const UdpEchoServerConfig& config, UdpEchoServerStats& stats,
                                   const std::atomic<bool>& cancel) = 0;
  virtual UdpEchoResult udpEcho(const UdpEchoRequest& request, const std::atomic<bool>& cancel) = 0;
};

}  // namespace cwmpd::hal
