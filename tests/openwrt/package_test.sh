#!/bin/sh
# openwrt/cwmpd/Makefile expanded with a stand-in package.mk (no OpenWrt tree here):
#   package_test.sh SOURCE_DIR PLUGIN...
# Each default plugin is installed by exactly one package (cwmpd itself for those every
# box needs, cwmpd-plugin-NAME for the others; not the benchmarks' synthetic one nor the
# dpkg execution environment), and
# every file of the source tree a package installs exists.
set -e
src=$1
shift
stub=$(dirname "$0")/stub
out=$(make -s -f "$src/openwrt/cwmpd/Makefile" TOPDIR="$stub" INCLUDE_DIR="$stub" BUILD_DIR=/B)
failures=0
for plugin in "$@"; do
	# The benchmark load generator is for no box; the dpkg execution environment is for
	# Debian-based boxes (OpenWrt has opkg: plugins/swm_dpkg/README.md).
	[ "$plugin" = synthetic ] && continue
	[ "$plugin" = swm_dpkg ] && continue
	n=$(printf '%s\n' "$out" | grep -c "/usr/lib/cwmpd/plugins/$plugin.so " || true)
	[ "$n" = 1 ] || { echo "FAIL: plugin $plugin installed by $n packages"; failures=$((failures + 1)); }
	case "$plugin" in
	management | deviceinfo | xmpp) ;;
	*)
		printf '%s\n' "$out" | grep -qx "PACKAGE cwmpd-plugin-$plugin" ||
			{ echo "FAIL: no package cwmpd-plugin-$plugin"; failures=$((failures + 1)); }
		;;
	esac
done
for file in $(printf '%s\n' "$out" | grep -o '/B/src/[^ ]*' | sed 's|^/B/src/||'); do
	[ -f "$src/$file" ] || { echo "FAIL: installs $file, not in the source tree"; failures=$((failures + 1)); }
done
printf '%s\n' "$out" | grep '^PACKAGE'
[ "$failures" = 0 ] && echo PASS
