#!/usr/bin/env bash
# The Debian packages end to end (issue 19 item 1), on a Debian 12 machine where it may
# install packages (root, or a user with passwordless sudo: CI): builds cwmpd and cwmpd-dev
# from a clean export of HEAD with dpkg-buildpackage, runs lintian (errors fail), installs
# the .debs with dpkg -i, checks the installed files (config 0640 root:cwmpd, state dir
# 0700, user and group) and that `cwmpd --check-config` accepts the installed default
# configuration (as user cwmpd, the way the unit's ExecStartPre runs it), then removes and
# purges (config and state gone). A `cwmpd` user left by an earlier install is reused, as
# the postinst does on a real upgrade.
#
#   scripts/deb-test.sh [--dir DIR] [--build-only | --no-build]
#
# scripts/test.sh runs it as its [deb] stage (by default when CI=true, or --deb): the
# package build (--build-only) at low priority while the test suites leave CPU idle, the
# rest (--no-build: lintian, install, checks, purge, on the .debs that build left in DIR)
# after the suites, so that nothing is installed on the machine while tests run.
# --dir: where to export and build (default build-deb/). The directory is the same from run
# to run so that ccache, when the environment names it as the compiler launcher
# (CMAKE_CXX_COMPILER_LAUNCHER=ccache), finds its earlier compilations: the package build
# passes the directory to the compiler (-ffile-prefix-map). The build is the product only
# (debian/rules: no tests, benchmarks or fuzzers; DEB_BUILD_OPTIONS nocheck, no debug
# symbol packages), CWMPD_JOBS jobs (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work="build-deb"
build=1
check=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) work=$2; shift ;;
    --build-only) check=0 ;;
    --no-build) build=0 ;;
    *) echo "deb-test.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "deb-test.sh: needs root or sudo (dpkg -i)" >&2; exit 1; }
  sudo=(sudo -n)
fi

packages=(debhelper lintian fakeroot adduser dpkg-dev)
missing=()
for p in "${packages[@]}"; do
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" == installed ]] || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

version=$(dpkg-parsechangelog -S Version)
mkdir -p "$work"
work=$(cd "$work" && pwd)
src="$work/cwmpd-$version"
start=$SECONDS
if [[ $build -eq 1 ]]; then
  rm -rf "$src" "$work"/*.deb "$work"/*.ddeb "$work"/*.changes "$work"/*.buildinfo
  mkdir -p "$src"
  if git -C "$repo" rev-parse --verify -q HEAD > /dev/null; then
    git -C "$repo" archive HEAD | tar -x -C "$src"
  else  # a tree without its history: everything but the build directories
    tar -C "$repo" --exclude='./build*' --exclude=./out -cf - . | tar -x -C "$src"
  fi

  # ccache under dpkg-buildpackage: debhelper (compat 13) gives the build a HOME of its own,
  # so the cache is named explicitly, and the paths are made relative to the export.
  if [[ "${CMAKE_CXX_COMPILER_LAUNCHER:-}" == *ccache* ]] && command -v ccache >/dev/null; then
    export CCACHE_DIR="${CCACHE_DIR:-$(ccache -k cache_dir)}" CCACHE_BASEDIR="$src"
  fi

  echo "=== [deb] dpkg-buildpackage ($work)"
  if ! (cd "$src" && TIMEFORMAT='%R s elapsed, %U s user, %S s system CPU' &&
    time DEB_BUILD_OPTIONS="parallel=${CWMPD_JOBS:-2} nocheck noddebs" dpkg-buildpackage -b -us -uc) \
    > "$work/build.log" 2>&1; then
    tail -n 60 "$work/build.log"
    echo "=== [deb] PACKAGE BUILD FAILED (log: $work/build.log)"
    exit 1
  fi
  echo "=== [deb] built in $((SECONDS - start)) s ($(tail -n 1 "$work/build.log"))"
fi
[[ $check -eq 1 ]] || exit 0
if ! ls "$work"/cwmpd_"$version"_*.deb "$work"/cwmpd_*.changes > /dev/null 2>&1; then
  echo "=== [deb] NO PACKAGES in $work (run without --no-build first)"
  exit 1
fi

status=0
echo "=== [deb] lintian"
if ! lintian --fail-on error "$work"/cwmpd_*.changes; then
  echo "=== [deb] LINTIAN ERRORS"
  status=1
fi

# Whatever happens below, the machine is left without the packages.
cleanup() { "${sudo[@]}" dpkg -P cwmpd-dev cwmpd > /dev/null 2>&1 || true; }
trap cleanup EXIT

echo "=== [deb] install"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  dpkg -i "$work"/cwmpd_"$version"_*.deb "$work"/cwmpd-dev_"$version"_*.deb
check() {  # description command...
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; status=1; fi
}
check "user cwmpd" getent passwd cwmpd
check "group cwmpd" getent group cwmpd
check "config 0640 root:cwmpd" test "$(stat -c '%a %U:%G' /etc/cwmpd/cwmpd.conf)" = "640 root:cwmpd"
check "state dir 0700 cwmpd" test "$("${sudo[@]}" stat -c '%a %U' /var/lib/cwmpd)" = "700 cwmpd"
check "config is a conffile" \
  grep -q /etc/cwmpd/cwmpd.conf <(dpkg-query --showformat='${Conffiles}' --show cwmpd)
check "no benchmark or example plugin installed" \
  test -z "$(dpkg -L cwmpd | grep -E '/(synthetic|example)\.so$' || true)"
check "cwmpd --check-config on the installed config, as cwmpd" \
  "${sudo[@]}" setpriv --reuid=cwmpd --regid=cwmpd --init-groups \
  /usr/sbin/cwmpd --config /etc/cwmpd/cwmpd.conf --check-config
check "man cwmpd.conf" man -w cwmpd.conf
check "pkg-config cwmpd" pkg-config --cflags cwmpd

echo "=== [deb] remove and purge"
"${sudo[@]}" dpkg -r cwmpd-dev cwmpd
check "config kept after remove" test -f /etc/cwmpd/cwmpd.conf
"${sudo[@]}" dpkg -P cwmpd cwmpd-dev
check "config gone after purge" test ! -e /etc/cwmpd/cwmpd.conf
check "state gone after purge" test ! -e /var/lib/cwmpd
check "no file of the packages left" test ! -e /usr/sbin/cwmpd -a ! -e /usr/lib/cwmpd
[[ $status -eq 0 ]] && echo "=== [deb] passed in $((SECONDS - start)) s"
exit $status
