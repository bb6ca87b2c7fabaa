#!/bin/sh
# systemd-analyze verify on the unit as CMake configures it, pointing at the build tree's
# daemon (verify checks that ExecStart= and ExecStartPre= are executables) and with the
# built manual pages on MANPATH (it checks that Documentation=man:... pages open).
#   verify_unit.sh UNIT MANPAGE...
set -eu
unit=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for page in "$@"; do
  section=${page##*.}
  mkdir -p "$tmp/man/man$section"
  ln -s "$page" "$tmp/man/man$section/"
done
cp "$unit" "$tmp/cwmpd.service"
# Any output is a finding: verify prints warnings and still exits 0 for some of them.
if ! out=$(MANPATH="$tmp/man" systemd-analyze verify "$tmp/cwmpd.service" 2>&1); then
  printf '%s\nsystemd-analyze verify failed\n' "$out"
  exit 1
fi
if [ -n "$out" ]; then
  printf '%s\nsystemd-analyze verify printed findings\n' "$out"
  exit 1
fi
grep -q '^Type=notify$' "$unit" || { echo "not Type=notify"; exit 1; }
echo "systemd-analyze verify: clean"
