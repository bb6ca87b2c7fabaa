// Debian packages in one package root, driven through dpkg, dpkg-deb and dpkg-query: the
// mechanics of the "package" execution environment (TR-069 Annex H, TR-181
// Device.SoftwareModules.). One Deployment Unit is one package; see README.md for the
// mapping of DU and EU parameters and for OpenWrt's opkg.
//
// Every call blocks until dpkg is done (bounded by Options::timeout): the EE runs it off
// the daemon's main loop. Calls on one Dpkg object must not overlap; dpkg's own lock in the
// admin directory also refuses a second dpkg (another frontend, a person) with Busy.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cwmpd::swm_dpkg {

// Why an operation failed, in the EE's terms (README.md maps each to a CWMP fault).
enum class DpkgErrc : std::uint8_t {
  CorruptedArchive,      // not a .deb, truncated, unreadable control or data member
  ArchitectureMismatch,  // built for an architecture this root does not run
  DependencyFailure,     // a Depends/Pre-Depends entry is not installed (in the right version)
  Conflict,              // Conflicts/Breaks, or a file another package owns
  RequiredByOther,       // removal of a package another installed one depends on
  AlreadyInstalled,      // Install of a package the root already has
  UnknownPackage,        // Update or removal of a package the root does not have
  PackageMismatch,       // Update with an archive of another package
  SameVersion,           // Update to the version that is installed
  Downgrade,             // Update to a lower version
  ScriptFailed,          // a maintainer script failed
  NoSpace,               // the root's file system is full
  Busy,                  // another dpkg holds the database lock
  Timeout,               // dpkg did not finish in time (and was killed)
  Internal,              // dpkg missing, an unexpected answer: the EE's own trouble
};

[[nodiscard]] std::string_view toString(DpkgErrc code);

class DpkgError : public std::runtime_error {
 public:
  DpkgError(DpkgErrc code, const std::string& message) : std::runtime_error(message), code_(code) {}
  [[nodiscard]] DpkgErrc code() const noexcept { return code_; }

 private:
  DpkgErrc code_;
};

// What dpkg knows of one package (installed) or one archive (not yet).
struct PackageInfo {
  std::string name;                    // Package
  std::string version;                 // Version
  std::string architecture;            // Architecture ("all", "amd64"...)
  std::string summary;                 // the first line of Description
  std::string maintainer;              // Maintainer
  std::string vendor;                  // Origin when the package has one, else ""
  std::string status;                  // dpkg's Status ("install ok installed"); "" for an archive
  std::string provides;                // Provides, as written (the dependency checks read it)
  std::string depends;                 // Pre-Depends and Depends, joined by ", "
  std::uint64_t installedSizeKiB = 0;  // Installed-Size
  // "<want> ok installed": every other state (unpacked, half-configured...) is a package
  // dpkg has not finished with. The first word is the selection (install, hold...).
  [[nodiscard]] bool installed() const {
    constexpr std::string_view kDone = " ok installed";
    return status.size() > kDone.size() &&
           std::string_view(status).substr(status.size() - kDone.size()) == kDone;
  }
};

// A control paragraph ("Field: value", continuation lines starting with a blank) as
// field -> value; continuation lines joined with '\n'. Field names are case-insensitive
// in Debian: the keys are lower-cased ("package", "pre-depends").
[[nodiscard]] std::map<std::string, std::string> parseControl(std::string_view text);

// Depends/Pre-Depends syntax: "a (>= 1.0) | b, c:any". One group per comma, each a list
// of alternatives; any alternative satisfies the group.
struct Relation {
  std::string name;
  std::string op;  // "", "<<", "<=", "=", ">=", ">>"
  std::string version;
};
[[nodiscard]] std::vector<std::vector<Relation>> parseRelations(std::string_view field);

class Dpkg {
 public:
  struct Options {
    // The package root. "/" is the system's own package set; any other directory is a
    // separate root with its own database in <root>/var/lib/dpkg (tests, a container).
    std::string root = "/";
    std::chrono::milliseconds timeout{std::chrono::minutes(5)};
    // The programs; a bare name is looked up in the PATH given to dpkg.
    std::string dpkg = "dpkg";
    std::string dpkgDeb = "dpkg-deb";
    std::string dpkgQuery = "dpkg-query";
  };

  explicit Dpkg(Options options);

  // Creates the database skeleton dpkg needs in a root other than "/" (status file,
  // info/, updates/, triggers/, var/log): a new directory becomes an empty package root.
  // Leaves an existing database alone. Throws DpkgError(Internal) when it cannot.
  void prepareRoot() const;

  // Reads an archive's control fields without installing anything. Throws
  // DpkgError(CorruptedArchive) for a file that is not a readable .deb.
  [[nodiscard]] PackageInfo inspect(const std::string& debPath) const;

  // Installs an archive as a new package. A failure leaves no trace of it in the root:
  // whatever dpkg had unpacked is purged again. Returns the installed package.
  PackageInfo install(const std::string& debPath);
  // Replaces installed package `name` by the archive's version, which must be higher
  // (TR-069 Annex H: a downgrade or the same version are refused; nothing is touched).
  // Dependencies are checked first, so a refused update leaves the old version working.
  PackageInfo update(const std::string& name, const std::string& debPath);
  // Removes package `name` with its configuration files (purge: Uninstall leaves nothing).
  void remove(const std::string& name);

  // Every package dpkg has a record of, in any state but "not-installed".
  [[nodiscard]] std::vector<PackageInfo> list() const;
  // One package, if dpkg has a record of it.
  [[nodiscard]] std::optional<PackageInfo> find(const std::string& name) const;

  // dpkg's own version ordering: <0, 0, >0 as a is lower, equal, higher than b.
  [[nodiscard]] int compareVersions(const std::string& a, const std::string& b) const;

 private:
  [[nodiscard]] std::vector<std::string> environment() const;
  [[nodiscard]] std::vector<std::string> dpkgCommand(std::vector<std::string> action) const;
  [[nodiscard]] std::string adminDir() const;
  // The first group of `relations` the installed `packages` (`without` left out) do not
  // satisfy, as written; "" when they satisfy all.
  [[nodiscard]] std::string unmetDependency(const std::string& relations,
                                            const std::vector<PackageInfo>& packages,
                                            const std::string& without) const;
  void checkDependencies(const PackageInfo& archive) const;
  void runDpkg(const std::vector<std::string>& action, const std::string& what) const;
  void purgeQuietly(const std::string& name) const;

  Options options_;
};

}  // namespace cwmpd::swm_dpkg
