#!/bin/sh
# `cmake --install` of the daemon component into a scratch prefix (issue 19 items 1, 5 and
# 6): the configuration, which holds passwords, is not world-readable (0640), the manual
# pages are installed where man(1) finds them, and the plugin directory holds the product's
# plugins but not the benchmarks' synthetic one nor the example.
#   install_test.sh BUILD_DIR
set -e
build=$1
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" --component daemon > "$prefix.log" 2>&1 ||
	{ cat "$prefix.log"; rm -f "$prefix.log"; exit 1; }
rm -f "$prefix.log"
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}
conf="$prefix/etc/cwmpd/cwmpd.conf"
[ -f "$conf" ] || fail "no $conf"
mode=$(stat -c %a "$conf")
[ "$mode" = 640 ] || fail "cwmpd.conf installed with mode $mode, not 640"
for page in man8/cwmpd.8 man1/cwmpctl.1 man5/cwmpd.conf.5; do
	[ -s "$prefix/share/man/$page" ] || fail "no manual page share/man/$page"
done
plugins="$prefix/lib/cwmpd/plugins"
[ -s "$plugins/management.so" ] || fail "no management.so in lib/cwmpd/plugins"
for plugin in synthetic example; do
	[ ! -e "$plugins/$plugin.so" ] || fail "$plugin.so installed: it is for no box"
done
[ -s "$prefix/share/bash-completion/completions/cwmpctl" ] || fail "no bash completion of cwmpctl"
MANPATH="$prefix/share/man" man -w cwmpd.conf > /dev/null 2>&1 || fail "man -w cwmpd.conf finds nothing"
[ "$failures" = 0 ] && echo PASS
