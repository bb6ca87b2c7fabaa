#!/usr/bin/env bash
# THE test command (README, CI): installs what is missing, builds, runs the whole suite.
#
#   scripts/test.sh [--sanitize | --all] [--deb] [--small] [ctest arguments...]
#
#   (default)     Release build in build/, whole suite
#   --sanitize    only the ASan+UBSan build in build-asan/, whole suite under the sanitizers
#   --all         both, one after the other (the default when CI=true)
#   --fuzz SECS   fuzz the SOAP decoder for SECS seconds after the suites (fuzz/run.sh;
#                 default 60, 0 = no fuzzing)
#   --lint        also clang-tidy (scripts/lint tidy) on the Release build; any finding
#                 fails the run (the default when CI=true). The clang-format check always
#                 runs (scripts/lint format).
#   --deb         also the Debian packages (scripts/deb-test.sh in build-deb/): build them
#                 with dpkg-buildpackage, lintian, dpkg -i, cwmpd --check-config on the
#                 installed config, remove and purge (the default when CI=true). Needs root
#                 or passwordless sudo; it installs and purges the packages cwmpd, cwmpd-dev.
#   --small       also the small build for flash (scripts/small-test.sh in build-small/:
#                 CWMPD_SMALL=ON, its stripped sizes against the target, its daemon loads its
#                 plugins and answers). Not in CI: an LTO build of its own.
#   --build-dir DIR / --asan-build-dir DIR   other build directories (default build/, build-asan/)
#
# Anything else is passed to ctest (e.g. -R Engine). Environment: CWMPD_JOBS (build jobs),
# CWMPD_TEST_JOBS (ctest -j, default 2), CWMPD_TEST_TIMEOUT (seconds per test without
# its own TIMEOUT, default 600), CWMPD_OVERLAP=0 (no compile beside the suites, below).
set -euo pipefail
cd "$(dirname "$0")/.."

release=1
sanitize=0
fuzz_seconds=60
lint=0
deb=0
small=0
[[ "${CI:-}" == "true" ]] && { sanitize=1; lint=1; deb=1; }
release_dir=build
asan_dir=build-asan
ctest_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --sanitize) release=0; sanitize=1 ;;
    --all) release=1; sanitize=1 ;;
    --fuzz) fuzz_seconds=$2; shift ;;
    --lint) lint=1 ;;
    --deb) deb=1 ;;
    --small) small=1 ;;
    --build-dir) release_dir=$2; shift ;;
    --asan-build-dir) asan_dir=$2; shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) ctest_args+=("$1") ;;
  esac
  shift
done

scripts/setup.sh --deps-only

# Every suite runs to the end; the script fails if any of them failed.
status=0

# Style first (seconds): the tree must be exactly what clang-format makes of it
# (.clang-format; `scripts/lint format --fix` rewrites the files it lists).
echo "=== [format] clang-format check"
if scripts/lint format; then
  echo "=== [format] clean"
else
  echo "=== [format] FILES DIFFER FROM .clang-format"
  status=1
fi
build_tree() {  # build_dir label setup-args...
  local dir=$1 label=$2
  shift 2
  local start=$SECONDS
  echo "=== [$label] configure and build ($dir)"
  if ! scripts/setup.sh --build-dir "$dir" "$@"; then
    echo "=== [$label] BUILD FAILED"
    return 1
  fi
  echo "=== [$label] built in $((SECONDS - start)) s"
}
test_tree() {  # build_dir label
  local dir=$1 label=$2 t0=$SECONDS
  echo "=== [$label] running the tests"
  if ctest --test-dir "$dir" --output-on-failure --no-tests=error \
      -j "${CWMPD_TEST_JOBS:-2}" --timeout "${CWMPD_TEST_TIMEOUT:-600}" "${ctest_args[@]}"; then
    echo "=== [$label] tests passed in $((SECONDS - t0)) s"
  else
    echo "=== [$label] TESTS FAILED (after $((SECONDS - t0)) s)"
    status=1
  fi
}

# The suites leave much of the CPU idle (their integration tests wait on timers, sessions
# and daemons), so compile work runs beside them at the lowest priority (nice 19: a test
# that wants the CPU gets it, the background takes what is left): the ASan+UBSan build
# beside the Release suite; clang-tidy, the Debian package build and the fuzz build, one
# after the other, beside the ASan suite. Nothing that installs or runs the product
# overlaps a suite: the packages' lintian, install and purge, and the fuzzing, come after.
# A background step's output goes to its log in build-ci-logs/, printed (with its CPU
# time) when it is waited for. CWMPD_OVERLAP=0: every step in the foreground, in turn.
overlap=${CWMPD_OVERLAP:-1}
# A background step ignores SIGINT (bash does that to what it starts with & in a script):
# an interrupted or killed run takes its background steps down with it.
bg_pids=()
kill_tree() {  # pid: the process and everything below it
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do kill_tree "$child"; done
  kill "$1" 2>/dev/null || true
}
trap 'for p in "${bg_pids[@]}"; do kill_tree "$p"; done; exit 130' INT TERM
bg_nice=0
[[ $overlap -eq 1 ]] && bg_nice=19
logs=build-ci-logs
mkdir -p "$logs"
step() {  # name command...: runs it at $bg_nice; output, CPU time and exit code in $logs/
  local name=$1 rc=0
  shift
  rm -f "$logs/$name".*
  /usr/bin/time -o "$logs/$name.time" -f '%e s elapsed, %U s user, %S s system CPU' \
    nice -n "$bg_nice" "$@" > "$logs/$name.log" 2>&1 || rc=$?
  echo "$rc" > "$logs/$name.rc"
}
finished() {  # name: prints its log and CPU time, returns its exit code
  local name=$1
  cat "$logs/$name.log" 2>/dev/null || true
  echo "=== [$name] $(tail -n 1 "$logs/$name.time" 2>/dev/null || echo 'did not run')"
  return "$(cat "$logs/$name.rc" 2>/dev/null || echo 1)"
}

# Leaks, heap errors and undefined behaviour fail the test that hit them (ASan suite).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=1:strict_init_order=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# Leaks inside system libraries only (see the file).
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan.supp:print_suppressions=0}"

# The largest stage: 1042 s to build in the CI run of session six (2569 s in all, of a
# 2700 s budget). Trimmed in session seven (CPU times, /usr/bin/time; wall times on the
# shared 2-core VM at a load of 13-20 say nothing): -g1 instead of -g (compile CPU per
# file -17 % for session_engine.cpp, -28 % for annex_g_test.cpp; objects a third to
# half the size) and no benchmarks (never run by a test; the Release build compiles
# them under -Werror), scripts/setup.sh. Linking is no cost worth a faster linker: a test
# binary links in 0.3 s of CPU with ld.bfd. The same session: the [deb] compile without
# -g when there are no debug packages (-32 % per file, debian/rules) and the fuzz build
# compiles the codec once for both SOAP targets (171.6 s -> 106.5 s CPU, fuzz/).
# Session eight: the 95 test programs' own files at -O0 here (scripts/setup.sh,
# CWMPD_TEST_COMPILE_OPTIONS; product and plugins stay at -O1): compile CPU per file
# engine_test.cpp 22.5 -> 11.8 s, protocol_test.cpp 15.4 -> 8.7 s, curl_acs_transport_test
# 14.6 -> 7.3 s, store_test.cpp 8.3 -> 4.6 s, round_trip_test.cpp 29.5 -> 27.9 s (its
# cost is the message variant's instantiation): 90.2 -> 60.3 s for the five (-33 %).
# Estimated for the 96 test files: ~500 s of CPU, ~4 min of a cold 2-core build.
# (Looked at and not done: a gtest/std precompiled header saved nothing measurable on
# tests/soap, 77.4 s vs 78.5 s for its 9 files: the time is in the product headers'
# templates and code generation; a unity build of the tests clashes on the files'
# anonymous-namespace helpers.)
asan_built=0
asan_build() {
  echo "=== [asan+ubsan] configure and build ($asan_dir)"
  step asan-build scripts/setup.sh --build-dir "$asan_dir" --sanitize
}
asan_finished() {
  if finished asan-build; then
    asan_built=1
  else
    echo "=== [asan+ubsan] BUILD FAILED"
    status=1
  fi
}
if [[ $release -eq 1 ]]; then
  release_built=0
  if build_tree "$release_dir" release; then release_built=1; else status=1; fi
  if [[ $sanitize -eq 1 && $overlap -eq 1 ]]; then
    asan_build &
    asan_pid=$!
    bg_pids+=("$asan_pid")
  fi
  if [[ $release_built -eq 1 ]]; then test_tree "$release_dir" release; fi
  if [[ $small -eq 1 ]]; then
    echo "=== [small] CWMPD_SMALL build"
    t0=$SECONDS
    if scripts/small-test.sh --release-dir "$release_dir"; then
      echo "=== [small] passed in $((SECONDS - t0)) s"
    else
      echo "=== [small] FAILED (after $((SECONDS - t0)) s)"
      status=1
    fi
  fi
  if [[ $sanitize -eq 1 ]]; then
    if [[ $overlap -eq 1 ]]; then wait "$asan_pid" || true; else (bg_nice=0; asan_build); fi
    asan_finished
  fi
elif [[ $sanitize -eq 1 ]]; then
  (bg_nice=0; asan_build)
  asan_finished
fi

# What runs beside the ASan suite, one step after the other.
side() {
  if [[ $release -eq 1 && $lint -eq 1 ]]; then
    # clang-tidy over the product's sources (.clang-tidy; not tests, benchmarks or
    # generated code), with the Release build's compile_commands.json, CWMPD_JOBS runs at
    # a time: 124 files, 407 s on 2 quiet cores in session eleven's CI run.
    echo "=== [lint] clang-tidy"
    step lint scripts/lint tidy --build-dir "$release_dir"
  fi
  if [[ $deb -eq 1 ]]; then
    # The product compiled once more with Debian's flags (no tests, no -g: debian/rules):
    # 298 s user + 20 s system CPU in session eleven's CI run.
    echo "=== [deb] Debian packages: dpkg-buildpackage"
    step deb-build scripts/deb-test.sh --build-only
  fi
  if [[ $fuzz_seconds -gt 0 ]]; then
    echo "=== [fuzz] build (clang, build-fuzz/)"
    step fuzz-build fuzz/run.sh --build-only
  fi
}
side_pid=""
if [[ $overlap -eq 1 && $asan_built -eq 1 ]]; then
  side &
  side_pid=$!
  bg_pids+=("$side_pid")
fi
if [[ $asan_built -eq 1 ]]; then test_tree "$asan_dir" "asan+ubsan"; fi
if [[ -n "$side_pid" ]]; then
  wait "$side_pid" || true
else
  bg_nice=0
  side
fi

if [[ $release -eq 1 && $lint -eq 1 ]]; then
  if finished lint; then
    echo "=== [lint] clang-tidy clean"
  else
    echo "=== [lint] CLANG-TIDY FINDINGS"
    status=1
  fi
fi
if [[ $deb -eq 1 ]]; then
  # Lintian, install, the installed files' checks, remove and purge: ~15 s.
  if finished deb-build && scripts/deb-test.sh --no-build; then
    echo "=== [deb] passed"
  else
    echo "=== [deb] FAILED"
    status=1
  fi
fi
if [[ $fuzz_seconds -gt 0 ]] && ! finished fuzz-build; then
  echo "=== [fuzz] BUILD FAILED"
  status=1
elif [[ $fuzz_seconds -gt 0 ]]; then
  # A bounded libFuzzer run of the decoder (clang, its own build in build-fuzz/); a crash
  # fails the run and leaves the reproducer in build-fuzz/artifacts/.
  echo "=== [fuzz] SOAP decoder (plain and streaming) for $fuzz_seconds s"
  if mkdir -p build-fuzz && fuzz/run.sh "$fuzz_seconds" > build-fuzz/run.log 2>&1; then
    echo "=== [fuzz] passed: $(grep -E "stat::number_of_executed_units" build-fuzz/run.log || true)"
  else
    tail -n 60 build-fuzz/run.log
    echo "=== [fuzz] FAILED (log: build-fuzz/run.log)"
    status=1
  fi
fi
exit $status
