#!/usr/bin/env bash
# The rows of issue 15, before and after, in one command: for each daemon given, bench_e2e
# at 20,000 and 100,000 synthetic parameters prints
#   - GetParameterNames(Device., false) and GetParameterValues(Device.) (first table),
#   - GetParameterValues of every parameter name listed in the request, SetParameterValues
#     of the 10,000 (50,000) writable synthetic parameters with commit, and the peak RSS,
#     RSS and anonymous RSS of that session (second table, "What ACSs ask"); "names pk" is
#     the peak of its names part alone (GetParameterNames and the first GetParameterValues
#     of the names, before any set): issue 15's "peak RSS of the 20,000-name session".
#
#   bench/run_issue15.sh [--build-dir DIR] [--before DIR] [--runs N] [--repeat N] [--sizes A,B]
#
# --before DIR: a build tree of the "before" commit (DIR/bin/cwmpd, DIR/lib/plugins) run
#   first with the same flags. A daemon from before the issue-14 redesign (3ac080f) has 229
#   parameters fewer: give it --before-sizes 20230,100230 so both return ~20,903 / 100,903.
# Defaults: --build-dir build, --runs 3, --repeat 5, --sizes 20000,100000. Run it on a quiet
# machine (load below 1): every figure is wall-clock.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build
before=""
runs=3
repeat=5
sizes=20000,100000
before_sizes=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build_dir=$2; shift ;;
    --before) before=$2; shift ;;
    --before-sizes) before_sizes=$2; shift ;;
    --runs) runs=$2; shift ;;
    --repeat) repeat=$2; shift ;;
    --sizes) sizes=$2; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "run_issue15.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

bench="$build_dir/bench/e2e/bench_e2e"
[[ -x "$bench" ]] || { echo "run_issue15.sh: $bench not built" >&2; exit 1; }
echo "# issue 15 rows, $(date -u +%Y-%m-%dT%H:%M:%SZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
run() {  # label, cwmpd, plugins, sizes
  echo
  echo "## $1"
  "$bench" --sizes "$4" --runs "$runs" --repeat "$repeat" --idle 0 --cwmpd "$2" --plugins "$3"
}
if [[ -n "$before" ]]; then
  run "before ($before)" "$before/bin/cwmpd" "$before/lib/plugins" "${before_sizes:-$sizes}"
fi
run "after ($(git rev-parse --short HEAD 2>/dev/null || echo "$build_dir"))" \
  "$build_dir/bin/cwmpd" "$build_dir/lib/plugins" "$sizes"
