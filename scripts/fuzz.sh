#!/usr/bin/env bash
# libFuzzer runs of the three fuzz targets (fuzz/), built by scripts/sanitize.sh.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [BUILD]   (defaults: 60, build-san)
#
# Seeds: every spec of examples/ and test/ (test files split at `// -----`),
# bundles compiled from a few examples, and the launch fuzzer's own defaults.
# Corpora and findings go to BUILD/fuzz/<target>/: corpus/ grows across runs
# (a long run: scripts/fuzz.sh 1800), crash-*, leak-*, timeout-* files are
# findings (rerun one with BUILD/bin/attn-fuzz-<target> FILE). Each target
# runs -jobs=1 with a 10 s per-input timeout and 2 GiB of memory; the summary
# line per target gives executions and findings. ATTN_FUZZ_SEED fixes
# libFuzzer's seed (CI uses 1, so a finding reproduces; 0 is random). Exit 1
# on any finding.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
build=${2:-$here/build-san}
out=$build/fuzz
# allow_user_poisoning=0: LLVM's headers poison BumpPtrAllocator memory when
# compiled with ASan, but the Debian LLVM libraries that share that memory
# are not instrumented; their manual poisoning would give false reports.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1:abort_on_error=0:allow_user_poisoning=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

for target in spec bundle launch; do
  [ -x "$build/bin/attn-fuzz-$target" ] || { echo "no $build/bin/attn-fuzz-$target: run scripts/sanitize.sh build first" >&2; exit 2; }
done

seed_specs() {
  local dir=$1
  mkdir -p "$dir"
  local n=0
  for f in "$here"/examples/*.mlir "$here"/examples/*/*.mlir $(find "$here/test" -name '*.mlir'); do
    # Split files at // ----- like mlir-opt --split-input-file.
    awk -v base="$dir/seed-$n" 'BEGIN{part=0; file=base "-0.mlir"} /^\/\/ -----/ {part++; file=base "-" part ".mlir"; next} {print > file}' "$f"
    n=$((n + 1))
  done
}

seed_bundles() {
  local dir=$1
  mkdir -p "$dir"
  [ -x "$here/build/bin/attn-opt" ] || return 0
  for ex in causal tiny sinks_window documents_offsets; do
    local spec=$here/examples/$ex.mlir
    [ -f "$spec" ] || spec=$here/examples/embed/$ex.mlir
    [ -f "$spec" ] || continue
    "$here/build/bin/attn-opt" "$spec" --attn-compile="targets=host output=$dir/$ex.atnb" -o /dev/null >/dev/null 2>&1 || true
  done
}

findings=0
summary=""
for target in spec bundle launch; do
  dir=$out/$target
  mkdir -p "$dir/corpus" "$dir/seeds" "$dir/findings"
  case $target in
    spec) [ -n "$(ls -A "$dir/seeds")" ] || seed_specs "$dir/seeds"; max_len=16384 ;;
    bundle) [ -n "$(ls -A "$dir/seeds")" ] || seed_bundles "$dir/seeds"; max_len=262144 ;;
    launch) max_len=512 ;;
  esac
  log=$dir/run-$(date +%Y%m%d-%H%M%S).log
  "$build/bin/attn-fuzz-$target" "$dir/corpus" "$dir/seeds" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=$max_len \
    -artifact_prefix="$dir/findings/" -print_final_stats=1 -seed="${ATTN_FUZZ_SEED:-0}" > "$log" 2>&1
  status=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  found=$(find "$dir/findings" -type f -newer "$dir/corpus" 2>/dev/null | wc -l)
  [ "$status" -eq 0 ] || found=$((found > 0 ? found : 1))
  findings=$((findings + found))
  line="fuzz $target: ${seconds} s, ${execs:-?} executions, corpus $(ls "$dir/corpus" | wc -l), findings $found (exit $status, log $log)"
  echo "$line"
  summary+="$line"$'\n'
  if [ "$status" -ne 0 ]; then grep -m3 -E 'ERROR|SUMMARY|runtime error' "$log"; fi
  touch "$dir/corpus"
done
printf '%s' "$summary" > "$out/last-summary.txt"
[ "$findings" -eq 0 ]
