#!/usr/bin/env bash
# The Debian packages end to end (issue 19 item 1), on a Debian 12 machine where it may
# install packages (root): builds cwmpd and cwmpd-dev from a clean export of HEAD with
# dpkg-buildpackage, runs lintian (errors fail), installs the .debs with dpkg -i, checks
# the installed files (config 0640 root:cwmpd, state dir 0700, user and group) and that
# `cwmpd --check-config` accepts the installed default configuration (as user cwmpd, the
# way the unit's ExecStartPre runs it), then removes and purges (state gone).
#
#   scripts/deb-test.sh [--keep DIR]
#
# Not part of scripts/test.sh: it compiles the product once more (see the issue 19 note
# for the time it takes) and changes the machine (a package, a system user).
set -euo pipefail
cd "$(dirname "$0")/.."
keep=""
[[ "${1:-}" == "--keep" ]] && keep=$2
[[ $(id -u) -eq 0 ]] || { echo "deb-test.sh: needs root (dpkg -i)" >&2; exit 1; }

packages=(debhelper lintian fakeroot adduser)
missing=()
for p in "${packages[@]}"; do
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" == installed ]] || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

work=${keep:-$(mktemp -d)}
[[ -n "$keep" ]] || trap 'rm -rf "$work"' EXIT
version=$(dpkg-parsechangelog -S Version)
src="$work/cwmpd-$version"
rm -rf "$src" && mkdir -p "$src"
git archive HEAD | tar -x -C "$src"

echo "=== dpkg-buildpackage"
start=$SECONDS
(cd "$src" && DEB_BUILD_OPTIONS="parallel=${CWMPD_JOBS:-2} nocheck" dpkg-buildpackage -b -us -uc) \
  > "$work/build.log" 2>&1 || { tail -n 60 "$work/build.log"; echo "=== BUILD FAILED"; exit 1; }
echo "=== built in $((SECONDS - start)) s"

status=0
echo "=== lintian"
if ! lintian --fail-on error "$work"/cwmpd_*.changes; then
  echo "=== LINTIAN ERRORS"
  status=1
fi

echo "=== install"
dpkg -i "$work"/cwmpd_"$version"_*.deb "$work"/cwmpd-dev_"$version"_*.deb
check() {  # description command...
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; status=1; fi
}
check "user cwmpd" getent passwd cwmpd
check "config 0640 root:cwmpd" test "$(stat -c '%a %U:%G' /etc/cwmpd/cwmpd.conf)" = "640 root:cwmpd"
check "state dir 0700 cwmpd" test "$(stat -c '%a %U' /var/lib/cwmpd)" = "700 cwmpd"
check "config is a conffile" dpkg-query --showformat='${Conffiles}' --show cwmpd
check "cwmpd --check-config on the installed config, as cwmpd" \
  setpriv --reuid=cwmpd --regid=cwmpd --init-groups /usr/sbin/cwmpd --config /etc/cwmpd/cwmpd.conf --check-config
check "man cwmpd.conf" man -w cwmpd.conf
check "pkg-config cwmpd" pkg-config --cflags cwmpd

echo "=== remove and purge"
dpkg -r cwmpd-dev cwmpd
check "config kept after remove" test -f /etc/cwmpd/cwmpd.conf
dpkg -P cwmpd cwmpd-dev
check "config gone after purge" test ! -e /etc/cwmpd/cwmpd.conf
check "state gone after purge" test ! -e /var/lib/cwmpd
exit $status
