#!/usr/bin/env bash
# The small build for flash (issue 19 item 6, CMake option CWMPD_SMALL): builds the product
# alone with it as a box's image has it (no tests, benchmarks or test hooks; the linux HAL
# backend alone, CWMPD_HAL_BACKENDS=linux, as the OpenWrt package builds it: the simulated
# box is for tests and demonstrations) and checks
#   - `cmake --install` strips what it installs, and installs neither the benchmarks'
#     synthetic plugin nor the example;
#   - the stripped daemon with the plugins every box installs (those of the OpenWrt package
#     cwmpd: deviceinfo, management, xmpp) is under 1.5 MB = 1,500,000 bytes; prints each file's
#     size, and against issue 19's target that total, the total with every plugin and the
#     total of every OpenWrt package (base and each cwmpd-plugin-*), BENCHMARKS.md says which
#     are met;
#   - every plugin still exports its entry points (CWMPD_ENTRY_POINTs under hidden
#     visibility and --gc-sections): the installed daemon lists the same configuration keys
#     from its installed plugins as the Release build from the same plugins;
#   - its daemon loads every plugin (synthetic included) and answers an ACS: the Release
#     build's bench_e2e drives it (first Inform, GetParameterNames and GetParameterValues of
#     the whole tree at 2,000 synthetic parameters) and must see as many parameters as
#     from the Release daemon, both on the linux backend (`bench_e2e --hal linux`: the
#     host's network interfaces, the Wi-Fi, voice and ONU status from the sim's files).
#
#   scripts/small-test.sh [--build-dir DIR] [--release-dir DIR] [--no-build]
#
# DIR defaults: build-small/ and build/ (the Release build of scripts/setup.sh, built if
# missing). CWMPD_JOBS: build jobs (default 2). scripts/test.sh --small runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

small_dir="build-small"
release_dir=build
build=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) small_dir=$2; shift ;;
    --release-dir) release_dir=$2; shift ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "small-test.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
limit=1500000

if [[ ! -x "$release_dir/bench/e2e/bench_e2e" ]]; then
  scripts/setup.sh --build-dir "$release_dir"
fi
if [[ $build -eq 1 ]]; then
  start=$SECONDS
  cmake -S . -B "$small_dir" -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-DNDEBUG" \
    "-DCMAKE_C_FLAGS_RELEASE=-DNDEBUG" -DCWMPD_SMALL=ON -DCWMPD_WERROR=ON -DCWMPD_HAL_BACKENDS=linux \
    -DCWMPD_BUILD_TESTS=OFF -DCWMPD_BUILD_BENCH=OFF -DCWMPD_TEST_HOOKS=OFF -DCWMPD_FUZZ=OFF \
    > "$small_dir.configure.log" 2>&1 || { cat "$small_dir.configure.log"; exit 1; }
  cmake --build "$small_dir" -j "${CWMPD_JOBS:-2}"
  echo "small-test.sh: built in $((SECONDS - start)) s"
fi

prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$small_dir" --prefix "$prefix" > "$prefix/install.log"
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

plugins="$prefix/lib/cwmpd/plugins"
for plugin in synthetic example; do
  [[ ! -e "$plugins/$plugin.so" ]] || fail "$plugin.so installed"
done
total=0
printf '%-28s %10s\n' "installed, stripped" bytes
for f in "$prefix/bin/cwmpd" "$plugins"/*.so "$prefix/bin/cwmpctl"; do  # cwmpctl: not counted
  [[ -f "$f" ]] || { fail "$f not installed"; continue; }
  readelf -S "$f" | grep -q '\.symtab' && fail "$f is not stripped"
  size=$(stat -c %s "$f")
  printf '%-28s %10d\n' "${f#"$prefix"/}" "$size"
  [[ "$f" == */cwmpctl ]] || total=$((total + size))
done
# The plugins every box installs: those of the OpenWrt package cwmpd (the others are one
# package per hardware plugin).
base_plugins=$(sed -n '/^define Package\/cwmpd\/install/,/^endef/p' openwrt/cwmpd/Makefile |
  grep -o 'plugins/[a-z0-9_]*\.so' | sed 's|plugins/||; s|\.so||' | sort -u | tr '\n' ' ')
base=$(stat -c %s "$prefix/bin/cwmpd")
for plugin in $base_plugins; do
  [[ -f "$plugins/$plugin.so" ]] || { fail "no $plugin.so (OpenWrt package cwmpd)"; continue; }
  base=$((base + $(stat -c %s "$plugins/$plugin.so")))
done
# Every OpenWrt package together: the base and each cwmpd-plugin-NAME (a box with all the
# hardware; swm_dpkg is Debian's).
openwrt_plugins=$(grep -o 'call CwmpdPlugin,[a-z0-9_]*' openwrt/cwmpd/Makefile | sed 's/.*,//' | sort -u | tr '\n' ' ')
openwrt=$base
for plugin in $openwrt_plugins; do
  [[ -f "$plugins/$plugin.so" ]] || { fail "no $plugin.so (OpenWrt package cwmpd-plugin-$plugin)"; continue; }
  openwrt=$((openwrt + $(stat -c %s "$plugins/$plugin.so")))
done
verdict() { if [[ $1 -lt $limit ]]; then echo met; else echo missed; fi; }
printf '%-34s %10d (issue 19 target < %d: %s)\n' "daemon + every installed plugin" "$total" "$limit" "$(verdict "$total")"
printf '%-34s %10d (%s: %s)\n' "daemon + the base plugins" "$base" "$base_plugins" "$(verdict "$base")"
printf '%-34s %10d (+ %s: %s)\n' "daemon + every OpenWrt package's" "$openwrt" "$openwrt_plugins" "$(verdict "$openwrt")"
# The guard: the daemon with the plugins every box installs. BENCHMARKS.md says where the
# rest goes.
[[ $base -lt $limit ]] || fail "daemon + base plugins $base bytes, not under $limit"

# The same keys as the Release daemon from the Release plugins: every plugin's entry points
# resolved.
conf="$prefix/plugins.conf"
printf '[plugins]\ndir = %s\n' "$plugins" > "$conf"
"$prefix/bin/cwmpd" --config "$conf" --list-config-keys > "$prefix/small.keys" ||
  fail "the small daemon does not list its configuration keys"
printf '[plugins]\ndir = %s\n' "$(cd "$release_dir/lib/plugins" && pwd)" > "$prefix/release.conf"
"$release_dir/bin/cwmpd" --config "$prefix/release.conf" --list-config-keys |
  grep -v ' plugin synthetic$' > "$prefix/release.keys"
grep -q ' plugin ' "$prefix/small.keys" || fail "no configuration key from any plugin"
diff -u "$prefix/release.keys" "$prefix/small.keys" || fail "the small build's keys differ"

# The daemon loads every plugin and answers the ACS.
answer() {  # build-dir (absolute: the daemon runs in a scratch directory) -> the number of parameters GetParameterValues returned
  "$release_dir/bench/e2e/bench_e2e" --sizes 2000 --runs 1 --repeat 1 --idle 0 --no-lists --hal linux \
    --cwmpd "$1/bin/cwmpd" --plugins "$1/lib/plugins" | awk '$1 == "2000" && $3 == "|" { print $2 }' || true
}
small_params=$(answer "$(cd "$small_dir" && pwd)")
release_params=$(answer "$(cd "$release_dir" && pwd)")
echo "GetParameterValues(Device.): ${small_params:-no answer} parameters from the small daemon, ${release_params:-no answer} from the Release one"
[[ -n "$small_params" && "$small_params" == "$release_params" ]] ||
  fail "the small daemon did not answer as the Release one"

[[ $failures -eq 0 ]] && echo "small-test.sh: PASS"
exit $((failures > 0))
