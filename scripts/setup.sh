#!/usr/bin/env bash
# Installs the Debian 12 packages cwmpd needs (only the missing ones), then configures and
# builds the tree.
#
#   scripts/setup.sh [--deps-only] [--sanitize] [--build-dir DIR]
#
#   --deps-only   install packages, do not build
#   --sanitize    AddressSanitizer + UndefinedBehaviorSanitizer build (default dir build-asan/)
#   --build-dir   where to build (default build/, or build-asan/ with --sanitize)
#
# Environment: CWMPD_JOBS (parallel build jobs, default: number of CPUs).
set -euo pipefail
cd "$(dirname "$0")/.."

deps_only=0
sanitize=0
build_dir=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --deps-only) deps_only=1 ;;
    --sanitize) sanitize=1 ;;
    --build-dir) build_dir="$2"; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# The package list of ../shared/docs/SETUP-NOTES.md, with libcurl on GnuTLS (the TLS library
# libmicrohttpd and Xerces-C's libcurl load anyway: one TLS library mapped, not two; the core
# calls GnuTLS for HMAC-SHA1 and SHA-1), plus openssl and libssl-dev (TLS test material, and
# the tests' own HMAC-SHA1, computed by another library than the one under test),
# python3 (test ACS, model tools), python3-pyftpdlib (the FTP server of the transfer tests),
# dnsmasq-base (the DNS server of the NSLookup diagnostics tests),
# time (bench/run: whole-process figures), clang-format and clang-tidy (scripts/lint),
# nodejs + npm (the real GenieACS of the interop tests, ../shared/acs/genieacs), scdoc (the
# manual pages, man/), man-db + groff-base (tests/man renders them), busybox (its ash runs
# the OpenWrt init script's rendering, tests/openwrt) and util-linux (setpriv and unshare:
# the D-Bus policy test runs clients as other users), coturn (the STUN server of the
# Annex G tests, tests/session_it), libstrophe-dev (the XMPP connection requests of
# TR-069 Annex K), prosody + python3-slixmpp (their tests: the XMPP server and the ACS's
# XMPP client, tests/xmpp_it), python3-dbus + python3-gi (the Python example provider,
# tests/providers_it).
packages=(
  build-essential cmake pkg-config libsdbus-c++-dev libsdbus-c++-bin libsystemd-dev
  libxerces-c-dev libcurl4-gnutls-dev libgnutls28-dev zlib1g-dev libboost-dev libboost-filesystem-dev
  libmicrohttpd-dev libssl-dev libgtest-dev libgmock-dev libbenchmark-dev dbus-daemon dbus-bin
  systemd libxml2-utils clang libclang-rt-14-dev python3 python3-pyftpdlib dnsmasq-base curl openssl time
  nodejs clang-format clang-tidy scdoc man-db groff-base busybox util-linux coturn
  libstrophe-dev prosody python3-slixmpp
  python3-dbus python3-gi
)
# Debian's npm package conflicts with a nodejs that bundles npm (NodeSource builds):
# only when there is no npm at all.
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "installed" ]] || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "setup.sh: installing ${missing[*]}"
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "setup.sh: need root or sudo to install packages" >&2; exit 1; }
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
[[ $deps_only -eq 1 ]] && exit 0

if [[ $sanitize -eq 1 ]]; then
  build_dir=${build_dir:-build-asan}
  # -O1 keeps the sanitizer run fast enough while the stack traces stay readable.
  # -g1: line tables, which is all a sanitizer's stack trace shows (file:line per frame);
  # full -g costs this build ~20 % more compile CPU and twice the object size to link.
  # Warnings are not errors here: the sanitizers' instrumentation makes gcc 12 report
  # false -Wmaybe-uninitialized inside libstdc++ (std::regex, std::function). The Release
  # build is the -Werror gate; this one is for what happens at run time. No benchmarks:
  # no test runs them, and the Release build compiles them under -Werror.
  # The test programs' own sources at -O0 (CWMPD_TEST_COMPILE_OPTIONS; the product, its
  # plugins and the test helper libraries stay at -O1): the sanitizers check them just
  # the same, and at -O1 gcc spends most of a test file's compile optimizing the
  # instrumented gtest bodies. Compile CPU per file (session eight, load 12-16):
  # engine_test.cpp 22.5 s -> 11.8 s, protocol_test.cpp 15.4 s -> 8.7 s (scripts/test.sh).
  config=(-DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" "-DCMAKE_C_FLAGS_DEBUG=-O1 -g1"
          -DCWMPD_SANITIZE=ON -DCWMPD_WERROR=OFF -DCWMPD_BUILD_BENCH=OFF
          -DCWMPD_TEST_COMPILE_OPTIONS=-O0)
else
  build_dir=${build_dir:-build}
  # -O2, not CMake's -O3: gcc 12's -O3 inlining raises false -Wrestrict/-Warray-bounds
  # errors inside libstdc++ string code under -Werror.
  config=(-DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG"
          "-DCMAKE_C_FLAGS_RELEASE=-O2 -DNDEBUG" -DCWMPD_SANITIZE=OFF -DCWMPD_WERROR=ON
          -DCWMPD_TEST_COMPILE_OPTIONS=)
fi
jobs=${CWMPD_JOBS:-$(nproc)}

cmake -S . -B "$build_dir" "${config[@]}"
cmake --build "$build_dir" -j "$jobs"
