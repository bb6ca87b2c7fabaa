#include "dpkg.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <utility>

#include "process.hpp"

namespace cwmpd::swm_dpkg {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

std::string field(const std::map<std::string, std::string>& control, const std::string& name) {
  const auto it = control.find(name);
  return it == control.end() ? std::string{} : it->second;
}

// The last lines dpkg wrote: what a person needs to see why it failed, kept short enough
// for a log line and a FaultString.
std::string tail(const std::string& text) {
  constexpr std::size_t kMax = 400;
  std::string_view t = trim(text);
  if (t.size() > kMax) t = t.substr(t.size() - kMax);
  std::string out(t);
  std::replace(out.begin(), out.end(), '\n', ' ');
  return out;
}

// dpkg says why it failed only in words (its exit status is 1 or 2 for everything); with
// LC_ALL=C these are stable. The order matters: a full disk also fails the unpack, a
// dependency failure also ends in "errors were encountered".
DpkgErrc classify(const std::string& err) {
  if (contains(err, "No space left on device")) return DpkgErrc::NoSpace;
  if (contains(err, "locked by another process") || contains(err, "lock was locked")) {
    return DpkgErrc::Busy;
  }
  if (contains(err, "does not match system")) return DpkgErrc::ArchitectureMismatch;
  if (contains(err, "dependency problems") || contains(err, "pre-dependency problem")) {
    return DpkgErrc::DependencyFailure;
  }
  if (contains(err, "conflicting packages") || contains(err, "trying to overwrite") ||
      contains(err, "breaks")) {
    return DpkgErrc::Conflict;
  }
  if (contains(err, "script subprocess") || contains(err, "post-installation script") ||
      contains(err, "pre-installation script") || contains(err, "removal script")) {
    return DpkgErrc::ScriptFailed;
  }
  if (contains(err, "not a Debian format archive") || contains(err, "unexpected end of file") ||
      contains(err, "corrupted") || contains(err, "dpkg-deb --control subprocess") ||
      contains(err, "dpkg-deb --fsys-tarfile subprocess") || contains(err, "bad magic")) {
    return DpkgErrc::CorruptedArchive;
  }
  return DpkgErrc::Internal;
}

void mkdirs(const std::string& path) {
  std::string partial;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    partial = path.substr(0, pos);
    if (partial.empty()) continue;
    if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
      throw DpkgError(DpkgErrc::Internal, "cannot create " + partial + ": " + std::strerror(errno));
    }
  }
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

PackageInfo fromControl(const std::map<std::string, std::string>& c) {
  PackageInfo p;
  p.name = field(c, "package");
  p.version = field(c, "version");
  p.architecture = field(c, "architecture");
  const std::string description = field(c, "description");
  p.summary = description.substr(0, description.find('\n'));
  p.maintainer = field(c, "maintainer");
  p.vendor = field(c, "origin");
  p.status = field(c, "status");
  p.provides = field(c, "provides");
  p.depends = field(c, "pre-depends");
  const std::string depends = field(c, "depends");
  if (!p.depends.empty() && !depends.empty()) p.depends += ", ";
  p.depends += depends;
  const std::string size = field(c, "installed-size");
  if (!size.empty() && std::all_of(size.begin(), size.end(),
                                   [](unsigned char ch) { return std::isdigit(ch) != 0; })) {
    p.installedSizeKiB = std::stoull(size);
  }
  return p;
}

// The paragraph dpkg-query writes per package; the same shape as a control file, so one
// parser reads both.
constexpr const char* kQueryFormat =
    "Package: ${Package}\\nVersion: ${Version}\\nArchitecture: ${Architecture}\\n"
    "Status: ${Status}\\nInstalled-Size: ${Installed-Size}\\nMaintainer: ${Maintainer}\\n"
    "Origin: ${Origin}\\nDescription: ${binary:Summary}\\nProvides: ${Provides}\\n"
    "Pre-Depends: ${Pre-Depends}\\nDepends: ${Depends}\\n\\n";

std::vector<std::map<std::string, std::string>> paragraphs(const std::string& text) {
  std::vector<std::map<std::string, std::string>> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find("\n\n", start);
    if (end == std::string::npos) end = text.size();
    auto p = parseControl(std::string_view(text).substr(start, end - start));
    if (!p.empty()) out.push_back(std::move(p));
    start = end + 2;
  }
  return out;
}

}  // namespace

std::string_view toString(DpkgErrc code) {
  switch (code) {
    case DpkgErrc::CorruptedArchive: return "corrupted archive";
    case DpkgErrc::ArchitectureMismatch: return "architecture mismatch";
    case DpkgErrc::DependencyFailure: return "dependency failure";
    case DpkgErrc::Conflict: return "conflict";
    case DpkgErrc::RequiredByOther: return "required by another package";
    case DpkgErrc::AlreadyInstalled: return "already installed";
    case DpkgErrc::UnknownPackage: return "unknown package";
    case DpkgErrc::PackageMismatch: return "package mismatch";
    case DpkgErrc::SameVersion: return "same version";
    case DpkgErrc::Downgrade: return "downgrade";
    case DpkgErrc::ScriptFailed: return "maintainer script failed";
    case DpkgErrc::NoSpace: return "no space";
    case DpkgErrc::Busy: return "dpkg busy";
    case DpkgErrc::Timeout: return "timeout";
    case DpkgErrc::Internal: return "internal error";
  }
  return "internal error";
}

std::map<std::string, std::string> parseControl(std::string_view text) {
  std::map<std::string, std::string> out;
  std::string current;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.empty()) continue;
    if (line.front() == ' ' || line.front() == '\t') {
      if (!current.empty()) out[current].append("\n").append(trim(line));
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      current.clear();
      continue;
    }
    current = lower(trim(line.substr(0, colon)));
    if (out.count(current) != 0) {  // a repeated field: the first one counts
      current.clear();
      continue;
    }
    out[current] = std::string(trim(line.substr(colon + 1)));
  }
  return out;
}

std::vector<std::vector<Relation>> parseRelations(std::string_view text) {
  std::vector<std::vector<Relation>> groups;
  while (!text.empty()) {
    const auto comma = text.find(',');
    std::string_view group = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    std::vector<Relation> alternatives;
    while (!group.empty()) {
      const auto bar = group.find('|');
      std::string_view alt = trim(group.substr(0, bar));
      group = bar == std::string_view::npos ? std::string_view{} : group.substr(bar + 1);
      Relation r;
      const auto paren = alt.find('(');
      r.name = std::string(trim(alt.substr(0, paren)));
      r.name = r.name.substr(0, r.name.find(':'));  // "python3:any": any architecture
      if (paren != std::string_view::npos) {
        std::string_view inner = alt.substr(paren + 1);
        inner = trim(inner.substr(0, inner.find(')')));
        std::size_t opLen = 0;
        while (opLen < inner.size() && std::strchr("<=>", inner[opLen]) != nullptr) ++opLen;
        r.op = std::string(inner.substr(0, opLen));
        // "<" and ">" are the obsolete spellings of "<=" and ">=" (deb-control(5)).
        if (r.op == "<") r.op = "<=";
        if (r.op == ">") r.op = ">=";
        r.version = std::string(trim(inner.substr(opLen)));
      }
      if (!r.name.empty()) alternatives.push_back(std::move(r));
    }
    if (!alternatives.empty()) groups.push_back(std::move(alternatives));
  }
  return groups;
}

Dpkg::Dpkg(Options options) : options_(std::move(options)) {
  while (options_.root.size() > 1 && options_.root.back() == '/') options_.root.pop_back();
  if (options_.root.empty()) options_.root = "/";
}

std::string Dpkg::adminDir() const {
  return options_.root == "/" ? std::string("/var/lib/dpkg") : options_.root + "/var/lib/dpkg";
}

std::vector<std::string> Dpkg::environment() const {
  // A clean environment: LC_ALL=C because dpkg's failures are told apart by their words,
  // no HOME so no ~/.dpkg.cfg of whoever runs the daemon changes the behaviour, and a PATH
  // that has ldconfig and start-stop-daemon (dpkg refuses to run as root without them).
  return {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C",
          "DEBIAN_FRONTEND=noninteractive"};
}

std::vector<std::string> Dpkg::dpkgCommand(std::vector<std::string> action) const {
  std::vector<std::string> argv{options_.dpkg};
  if (options_.root != "/") {
    // --root sets both the install directory and the admin directory under it, so
    // nothing of the machine's own package set is read or written.
    argv.push_back("--root=" + options_.root);
    // dpkg logs to /var/log/dpkg.log of the host otherwise.
    argv.push_back("--log=" + options_.root + "/var/log/dpkg.log");
    if (::geteuid() != 0) {
      // dpkg refuses any change without root privileges; in a root of our own files the
      // daemon's user owns everything it writes, so it may.
      argv.emplace_back("--force-not-root");
      // Maintainer scripts run chrooted into the root, and chroot(2) needs privileges:
      // without them they run in place, with DPKG_ROOT telling them where the root is.
      argv.emplace_back("--force-script-chrootless");
    }
  }
  for (auto& a : action) argv.push_back(std::move(a));
  return argv;
}

void Dpkg::prepareRoot() const {
  if (options_.root == "/") return;
  const std::string admin = adminDir();
  for (const char* dir : {"/info", "/updates", "/triggers"}) mkdirs(admin + dir);
  mkdirs(options_.root + "/var/log");
  for (const char* file : {"/status", "/available"}) {
    const std::string path = admin + file;
    if (exists(path)) continue;
    std::ofstream create(path, std::ios::app);
    if (!create) throw DpkgError(DpkgErrc::Internal, "cannot create " + path);
  }
}

void Dpkg::runDpkg(const std::vector<std::string>& action, const std::string& what) const {
  const ProcessLimits limits{options_.timeout};
  ProcessResult r = runProcess(dpkgCommand(action), environment(), limits);
  // A dpkg killed half-way (power cut, our timeout) leaves its journal behind and refuses
  // every later change until it is finished: finish it, then try once more.
  if (r.started && r.exitCode != 0 && contains(r.err, "dpkg was interrupted")) {
    (void)runProcess(dpkgCommand({"--configure", "--pending"}), environment(), limits);
    r = runProcess(dpkgCommand(action), environment(), limits);
  }
  if (!r.started) throw DpkgError(DpkgErrc::Internal, what + ": cannot run dpkg: " + r.err);
  if (r.timedOut) {
    throw DpkgError(DpkgErrc::Timeout, what + ": dpkg did not finish within " +
                                           std::to_string(options_.timeout.count()) + " ms");
  }
  if (r.exitCode != 0) {
    throw DpkgError(classify(r.err), what + ": " + tail(r.err));
  }
}

PackageInfo Dpkg::inspect(const std::string& debPath) const {
  const ProcessLimits limits{options_.timeout};
  // --contents reads the whole data member: a truncated or damaged archive fails here,
  // before dpkg has touched the database, not half-way through the unpack.
  const ProcessResult contents =
      runProcess({options_.dpkgDeb, "--contents", debPath}, environment(), limits);
  const ProcessResult fields =
      contents.exitCode == 0
          ? runProcess({options_.dpkgDeb, "--field", debPath}, environment(), limits)
          : contents;
  if (!fields.started) throw DpkgError(DpkgErrc::Internal, "cannot run dpkg-deb: " + fields.err);
  if (fields.timedOut) throw DpkgError(DpkgErrc::Timeout, "dpkg-deb did not finish in time");
  if (fields.exitCode != 0) {
    throw DpkgError(DpkgErrc::CorruptedArchive, "not a usable package: " + tail(fields.err));
  }
  auto c = parseControl(fields.out);
  if (field(c, "package").empty() || field(c, "version").empty()) {
    throw DpkgError(DpkgErrc::CorruptedArchive, "the package has no name or no version");
  }
  return fromControl(c);
}

std::vector<PackageInfo> Dpkg::list() const {
  const ProcessLimits limits{options_.timeout};
  const ProcessResult r = runProcess(
      {options_.dpkgQuery, "--admindir=" + adminDir(), "--show", "--showformat", kQueryFormat},
      environment(), limits);
  if (!r.started) throw DpkgError(DpkgErrc::Internal, "cannot run dpkg-query: " + r.err);
  if (r.timedOut) throw DpkgError(DpkgErrc::Timeout, "dpkg-query did not finish in time");
  // An empty database is status 1 with "no packages found" on older dpkg: not a failure.
  if (r.exitCode != 0 && !contains(r.err, "no packages found")) {
    throw DpkgError(DpkgErrc::Internal, "dpkg-query: " + tail(r.err));
  }
  std::vector<PackageInfo> out;
  for (const auto& p : paragraphs(r.out)) {
    PackageInfo info = fromControl(p);
    // dpkg remembers packages it once saw ("unknown ok not-installed"): not installed.
    if (info.name.empty() || contains(info.status, "not-installed")) continue;
    out.push_back(std::move(info));
  }
  return out;
}

std::optional<PackageInfo> Dpkg::find(const std::string& name) const {
  for (auto& p : list()) {
    if (p.name == name) return std::move(p);
  }
  return std::nullopt;
}

int Dpkg::compareVersions(const std::string& a, const std::string& b) const {
  const ProcessLimits limits{options_.timeout};
  const auto test = [&](const char* op) {
    const ProcessResult r =
        runProcess({options_.dpkg, "--compare-versions", a, op, b}, environment(), limits);
    if (!r.started || r.timedOut || (r.exitCode != 0 && r.exitCode != 1)) {
      throw DpkgError(DpkgErrc::Internal, "dpkg --compare-versions: " + tail(r.err));
    }
    return r.exitCode == 0;
  };
  if (test("lt")) return -1;
  return test("eq") ? 0 : 1;
}

std::string Dpkg::unmetDependency(const std::string& relations,
                                  const std::vector<PackageInfo>& packages,
                                  const std::string& without) const {
  std::map<std::string, std::string> versions;       // installed name -> version
  std::multimap<std::string, std::string> provided;  // virtual name -> version or ""
  for (const auto& p : packages) {
    if (!p.installed() || p.name == without) continue;
    versions[p.name] = p.version;
    for (const auto& group : parseRelations(p.provides)) {
      for (const auto& v : group) provided.emplace(v.name, v.op == "=" ? v.version : "");
    }
  }
  const auto satisfied = [&](const Relation& want) {
    std::vector<std::string> candidates;
    if (const auto it = versions.find(want.name); it != versions.end()) {
      candidates.push_back(it->second);
    }
    const auto [from, to] = provided.equal_range(want.name);
    for (auto it = from; it != to; ++it) {
      // An unversioned Provides satisfies only an unversioned dependency.
      if (want.op.empty() || !it->second.empty()) candidates.push_back(it->second);
    }
    if (want.op.empty()) return !candidates.empty();
    static const std::map<std::string, const char*> kOps{
        {"<<", "lt"}, {"<=", "le"}, {"=", "eq"}, {">=", "ge"}, {">>", "gt"}};
    const auto op = kOps.find(want.op);
    if (op == kOps.end()) return false;
    return std::any_of(candidates.begin(), candidates.end(), [&](const std::string& have) {
      const ProcessResult cmp =
          runProcess({options_.dpkg, "--compare-versions", have, op->second, want.version},
                     environment(), ProcessLimits{options_.timeout});
      return cmp.exitCode == 0;
    });
  };
  for (const auto& group : parseRelations(relations)) {
    if (std::any_of(group.begin(), group.end(), satisfied)) continue;
    std::string wanted;
    for (const auto& alt : group) {
      if (!wanted.empty()) wanted += " | ";
      wanted += alt.name + (alt.op.empty() ? "" : " (" + alt.op + " " + alt.version + ")");
    }
    return wanted;
  }
  return {};
}

void Dpkg::checkDependencies(const PackageInfo& archive) const {
  // dpkg itself unpacks a package whose dependencies are missing and leaves it
  // unconfigured: over an installed version that is a broken package. Checking first
  // keeps the old version whole and gives a clear reason.
  if (archive.depends.empty()) return;
  const std::string unmet = unmetDependency(archive.depends, list(), {});
  if (!unmet.empty()) {
    throw DpkgError(DpkgErrc::DependencyFailure,
                    archive.name + " depends on " + unmet + ", which is not installed");
  }
}

void Dpkg::purgeQuietly(const std::string& name) const {
  try {
    runDpkg({"--purge", name}, "purge " + name);
  } catch (const DpkgError&) {
    // The failure being reported is the install's; a purge that cannot finish leaves
    // dpkg's record, which list() shows as a package not installed.
  }
}

PackageInfo Dpkg::install(const std::string& debPath) {
  const PackageInfo archive = inspect(debPath);
  const std::string& name = archive.name;
  if (const auto existing = find(name); existing && existing->installed()) {
    throw DpkgError(DpkgErrc::AlreadyInstalled,
                    name + " " + existing->version + " is already installed");
  }
  checkDependencies(archive);
  try {
    runDpkg({"--force-confdef", "--force-confold", "--install", debPath}, "install " + name);
  } catch (const DpkgError&) {
    // TR-069 Annex H: a DU that fails to install leaves nothing behind.
    purgeQuietly(name);
    throw;
  }
  auto installed = find(name);
  if (!installed || !installed->installed()) {
    purgeQuietly(name);
    throw DpkgError(DpkgErrc::Internal, "dpkg installed " + name + " but does not list it");
  }
  return *installed;
}

PackageInfo Dpkg::update(const std::string& name, const std::string& debPath) {
  const auto old = find(name);
  if (!old || !old->installed())
    throw DpkgError(DpkgErrc::UnknownPackage, name + " is not installed");
  const PackageInfo next = inspect(debPath);
  if (next.name != name) {
    throw DpkgError(DpkgErrc::PackageMismatch, "the archive holds " + next.name + ", not " + name);
  }
  const int order = compareVersions(next.version, old->version);
  if (order == 0)
    throw DpkgError(DpkgErrc::SameVersion, name + " " + old->version + " is already installed");
  if (order < 0) {
    throw DpkgError(DpkgErrc::Downgrade,
                    name + ": " + next.version + " is lower than the installed " + old->version);
  }
  checkDependencies(next);
  runDpkg({"--force-confdef", "--force-confold", "--install", debPath}, "update " + name);
  auto updated = find(name);
  if (!updated || !updated->installed()) {
    throw DpkgError(DpkgErrc::Internal,
                    "dpkg updated " + name + " but does not list it as installed");
  }
  return *updated;
}

void Dpkg::remove(const std::string& name) {
  const auto packages = list();
  const auto existing = std::find_if(packages.begin(), packages.end(),
                                     [&](const PackageInfo& p) { return p.name == name; });
  if (existing == packages.end())
    throw DpkgError(DpkgErrc::UnknownPackage, name + " is not installed");
  // dpkg refuses to remove a package another one needs, but marks it for purging first:
  // the next dpkg run by anyone would take it away. Refusing here leaves it as it was.
  for (const auto& p : packages) {
    if (p.name == name || !p.installed() || p.depends.empty()) continue;
    const std::string unmet = unmetDependency(p.depends, packages, name);
    if (!unmet.empty() && unmetDependency(p.depends, packages, {}).empty()) {
      std::string why = p.name;
      why.append(" depends on ").append(unmet).append(", which ").append(name).append(" provides");
      throw DpkgError(DpkgErrc::RequiredByOther, why);
    }
  }
  runDpkg({"--purge", name}, "remove " + name);
}

}  // namespace cwmpd::swm_dpkg
