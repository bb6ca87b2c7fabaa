#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and fuzzes for SECONDS (default 60), shared
# between the targets: fuzz_soap_decoder (decode, re-encode), fuzz_soap_stream (the
# streaming decode of request lists against the ordinary one), fuzz_soap_scanner (the byte
# scanner against Xerces-C) and fuzz_annex_g (the STUN
# decoder and the UDP Connection Request reader, seeds in fuzz/seeds-annex-g). Seeds of
# the SOAP targets: the GenieACS corpus ($CWMPD_CORPUS_DIR/genieacs, default
# ../shared/corpus beside the repo) and fuzz/seeds. Exits non-zero on a crash; the
# reproducer is left in $BUILD/artifacts/.
#   fuzz/run.sh 60                 # CI
#   nice -n 19 fuzz/run.sh 3600    # a long run
#   fuzz/run.sh --build-only       # only build the targets (scripts/test.sh builds them
#                                  # in the background while the ASan suite runs)
set -euo pipefail

build_only=0
if [ "${1:-}" = --build-only ]; then
  build_only=1
  shift
fi
seconds="${1:-60}"
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
build="${CWMPD_FUZZ_BUILD_DIR:-$repo/build-fuzz}"
corpus_dir="${CWMPD_CORPUS_DIR:-$repo/../shared/corpus}/genieacs"

cmake -S "$here" -B "$build" -DCMAKE_CXX_COMPILER="${FUZZ_CXX:-clang++}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=(fuzz_soap_decoder fuzz_soap_stream fuzz_soap_scanner fuzz_annex_g)
cmake --build "$build" --target "${targets[@]}" -j"${FUZZ_JOBS:-2}" >/dev/null
[ "$build_only" -eq 1 ] && exit 0
each=$(( seconds / ${#targets[@]} ))
(( each > 0 )) || each=1

# libFuzzer writes new inputs into the first corpus folder: keep it in the build dir so
# the shared corpus and the repo stay untouched.
mkdir -p "$build/artifacts"
seeds=("$here/seeds")
if [ -d "$corpus_dir" ]; then
  seeds+=("$corpus_dir")
else
  echo "warning: GenieACS corpus not found at $corpus_dir; fuzzing from fuzz/seeds only" >&2
fi

for target in "${targets[@]}"; do
  work="$build/corpus-$target"
  mkdir -p "$work"
  echo "== $target for $each s"
  # The Annex G datagrams (STUN, UDP Connection Requests) have seeds of their own.
  if [ "$target" = fuzz_annex_g ]; then
    target_seeds=("$here/seeds-annex-g")
    options=(-max_len=2048)
  else
    target_seeds=("${seeds[@]}")
    options=(-max_len=65536 -dict="$here/cwmp.dict")
  fi
  "$build/$target" \
    -max_total_time="$each" -timeout=10 -rss_limit_mb=2048 "${options[@]}" \
    -artifact_prefix="$build/artifacts/$target-" -print_final_stats=1 \
    "$work" "${target_seeds[@]}"
done
