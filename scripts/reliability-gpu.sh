#!/usr/bin/env bash
# Issue 16 on the GPU, in two halves (the pattern of scripts/verify-h200.sh):
#
#   scripts/reliability-gpu.sh prepare PREPARED [COMPILER_BUILD] [CASES]   (here)
#   scripts/reliability-gpu.sh device PREPARED REPORT.md                   (GPU machine)
#
# prepare: (1) the differential hunt's cases (scripts/difftest.py prepare:
#   CASES random specs, default 60, seed $ATTN_DIFFTEST_SEED or 1, compiled
#   for host and sm_90, float64 reference outputs dumped at their ragged
#   sizes); (2) every examples/*.mlir compiled for host and sm_90 with
#   reference outputs at ragged sizes (B=1, Sq=67, Skv=93; Skv=Sq for document
#   ids; static-size examples at their own size, checked against the host
#   binary); (3) the MLIR-free attn-run in PREPARED/bin; (4) invalid data
#   operands (test/Reliability/kernel-data-validation.mlir for host and
#   sm_90: a too-small block mask, decreasing offsets). Carry PREPARED
#   (a few MiB).
# device: attn-run --target cuda --check on every hunt case; then every
#   example under compute-sanitizer memcheck and racecheck (each run bounded
#   by 120 s; ATTN_RELIABILITY_JOBS examples at once, default 4); then the invalid data: the runtime refuses the block mask on
#   the GPU too, and the kernel given decreasing offsets in device memory
#   (which the runtime cannot read) runs clean under memcheck (it writes NaN).
#   Writes REPORT.md; exits 1 on any failure or sanitizer error.
#   Expected time on an H100/H200: about 3 to 5 minutes.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-} prepared=${2:-}
[ -n "$mode" ] && [ -n "$prepared" ] || { echo "usage: $0 prepare|device PREPARED [...]" >&2; exit 2; }

prepare() {
  local build=${1:-$here/build} cases=${2:-60}
  local attn_opt=$build/bin/attn-opt attn_run=$build/bin/attn-run
  [ -x "$attn_opt" ] && [ -x "$attn_run" ] || { echo "no attn-opt/attn-run in $build" >&2; exit 2; }
  rm -rf "$prepared" && mkdir -p "$prepared"/examples
  python3 "$here/scripts/difftest.py" prepare --build "$build" --cases "$cases" \
    --out "$prepared/diff" || exit 1
  # One MLIR-free attn-run for both halves.
  mv "$prepared/diff/bin" "$prepared/bin" && mv "$prepared/diff/lib" "$prepared/lib"
  local list=$prepared/examples/cases.tsv failures=0
  : > "$list"
  for spec in "$here"/examples/*.mlir; do
    local name; name=$(basename "$spec" .mlir)
    local dir=$prepared/examples/$name
    mkdir -p "$dir"
    if ! "$attn_opt" "$spec" --attn-compile="targets=host,sm_90 output=$dir/k.atnb" -o /dev/null \
         > "$dir/prepare.log" 2>&1; then
      echo "$name: compile failed"; printf '%s\tcompile-failed\t\n' "$name" >> "$list"
      failures=$((failures + 1)); continue
    fi
    local b=1 sq=67 skv=93
    grep -q 'layout = ids' "$spec" && skv=$sq
    local static_batch; static_batch=$(grep -oE 'tensor<[0-9]+x[0-9]+x' "$spec" | head -1 | sed -E 's/tensor<([0-9]+)x.*/\1/')
    [ -n "$static_batch" ] && b=$static_batch
    local sizes="--batch $b --seq-q $sq --seq-kv $skv"
    if grep -qE 'tensor<[0-9?]+x[0-9]+x[0-9]+x' "$spec"; then
      # Static sequence lengths: the host binary is the reference.
      printf '%s\thost\t--batch %s --seed 3\n' "$name" "$b" >> "$list"; continue
    fi
    # shellcheck disable=SC2086
    if ! "$attn_run" "$spec" --target ref $sizes --seed 3 --dump "$dir" >> "$dir/prepare.log" 2>&1; then
      echo "$name: reference failed"; printf '%s\tref-failed\t\n' "$name" >> "$list"
      failures=$((failures + 1)); continue
    fi
    # q, k, v are regenerated on the device from the same seed; expected
    # outputs are narrowed (f16 for bf16/f16 kernels, f32 for f32 ones), as
    # verify-h200.sh does, to keep PREPARED small enough to carry.
    rm -f "$dir/q.npy" "$dir/k.npy" "$dir/v.npy"
    local narrow=f16
    grep -qE 'tensor<[0-9?x]+xf32>' <<< "$(grep -m1 -o '%q: tensor<[^>]*>' "$spec")" && narrow=f32
    python3 "$here/scripts/npy-narrow.py" "$dir/o.npy" "$narrow"
    [ -f "$dir/lse.npy" ] && python3 "$here/scripts/npy-narrow.py" "$dir/lse.npy" f32
    local data_bytes; data_bytes=$(cat "$dir"/data*.npy 2>/dev/null | wc -c)
    if [ "$data_bytes" -gt $((4 << 20)) ]; then
      rm -f "$dir"/*.npy
      printf '%s\thost\t--batch %s --seed 3\n' "$name" "$b" >> "$list"; continue
    fi
    # q, k, v are regenerated, so the sizes must be given again.
    printf '%s\tref\t%s --seed 3 --inputs examples/%s\n' "$name" "$sizes" "$name" >> "$list"
  done
  local invalid=$prepared/invalid-data
  mkdir -p "$invalid/mask" "$invalid/offsets"
  "$attn_opt" "$here/test/Reliability/kernel-data-validation.mlir" \
    --attn-compile="targets=host,sm_90 output=$invalid/k.atnb" -o /dev/null || failures=$((failures + 1))
  python3 "$here/test/Reliability/Inputs/write-npy.py" "$invalid/mask/data0.npy" --i4 --shape 1,2,0,0
  python3 "$here/test/Reliability/Inputs/write-npy.py" "$invalid/offsets/data0.npy" 100 50 0
  echo "prepared $(grep -c . "$prepared/diff/cases.tsv") hunt cases and $(grep -c . "$list") examples in $prepared ($(du -sh "$prepared" | cut -f1)); $failures failures"
  [ "$failures" -eq 0 ]
}

# memcheck and racecheck of one example: its report row goes to ROW.
sanitize_example() {
  local row=$1 name=$2 kind=$3 args=$4
  if [ "$kind" != ref ] && [ "$kind" != host ]; then
    echo "| $name | - | $kind | $kind |" > "$row"; return
  fi
  local results="" tool
  for tool in memcheck racecheck; do
    local log=examples/$name/$tool.log status=0
    # shellcheck disable=SC2086
    timeout 120 compute-sanitizer --tool "$tool" --error-exitcode 9 \
      ./bin/attn-run "examples/$name/k.atnb" --target cuda --check $args > "$log" 2>&1 || status=$?
    local summary; summary=$(grep -m1 -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$log" | sed 's/=========//')
    if [ "$status" -eq 0 ]; then results+=" | ok: ${summary:-no summary}"
    else results+=" | FAIL (exit $status): ${summary:-$(grep -m1 -E 'error|FAIL' "$log" | cut -c1-120 | tr '|' '/')}"; fi
  done
  local sizes; sizes=$(grep -m1 -o '^kernel [^:]*: .*' "examples/$name/memcheck.log" | cut -d: -f2 | sed 's/^ //')
  echo "| $name | ${sizes:--}$results |" > "$row"
  echo "$name:$results"
}

device() {
  local report=${1:?device needs REPORT.md}
  cd "$prepared" || exit 2
  local run=./bin/attn-run failures=0
  local start=$SECONDS
  python3 "$here/scripts/difftest.py" device --prepared "$prepared/diff" --report diff-report.md \
    > diff.log 2>&1 || failures=$((failures + 1))
  # difftest.py looks for PREPARED/diff/bin; it was moved up one level.
  {
    echo "# Reliability checks on the GPU (issue 16)"
    echo
    echo "Run by \`scripts/reliability-gpu.sh device\` on $(date -u '+%Y-%m-%d %H:%M UTC')."
    echo
    echo '```'
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1
    echo '```'
    echo
    echo "## Differential hunt on the CUDA target"
    echo
    tail -n +3 diff-report.md 2>/dev/null || echo "(no report: see diff.log)"
    echo
    echo "## compute-sanitizer over every example"
    echo
    echo "| example | sizes | memcheck | racecheck |"
    echo "|---|---|---|---|"
  } > "$report"
  # Up to ATTN_RELIABILITY_JOBS examples (default 4) at once; rows come
  # back in cases.tsv's order.
  rm -rf examples/rows && mkdir -p examples/rows
  local jobs=${ATTN_RELIABILITY_JOBS:-4} line=0
  while IFS=$'\t' read -r name kind args; do
    line=$((line + 1))
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
    sanitize_example "examples/rows/$line" "$name" "$kind" "$args" &
  done < examples/cases.tsv
  wait
  local row
  for row in $(ls examples/rows | sort -n); do cat "examples/rows/$row" >> "$report"; done
  failures=$((failures + $(grep -c 'FAIL\|compile-failed\|ref-failed' <(cat examples/rows/*) || true)))
  {
    echo
    echo "## Invalid data operands on the GPU"
    echo
  } >> "$report"
  local refused
  refused=$("$run" invalid-data/k.atnb --target cuda --function block_mask --inputs invalid-data/mask \
    --batch 1 --seq-q 40 --runs 20 2>&1)
  if grep -q "dimension 2 is 0, but the kernel reads at least" <<< "$refused"; then
    echo "- block mask with no blocks: refused by the runtime: \`$(grep -m1 error <<< "$refused")\`" >> "$report"
  else
    echo "- block mask with no blocks: NOT refused: \`$(head -c 300 <<< "$refused")\`" >> "$report"
    failures=$((failures + 1))
  fi
  local status=0
  timeout 120 compute-sanitizer --tool memcheck --error-exitcode 9 "$run" invalid-data/k.atnb \
    --target cuda --function offsets --inputs invalid-data/offsets --batch 1 --seq-q 40 --runs 20 \
    > invalid-data/offsets.log 2>&1 || status=$?
  echo "- decreasing offsets in device memory: exit $status, $(grep -m1 'ERROR SUMMARY' invalid-data/offsets.log | sed 's/=========//')" >> "$report"
  [ "$status" -eq 0 ] || failures=$((failures + 1))
  echo >> "$report"
  echo "$failures failures; $((SECONDS - start)) s." >> "$report"
  echo "$failures failures in $((SECONDS - start)) s (report: $report)"
  [ "$failures" -eq 0 ]
}

case $mode in
  prepare) prepare "${3:-}" "${4:-}" ;;
  device) device "${3:-}" ;;
  *) echo "unknown mode '$mode' (prepare or device)" >&2; exit 2 ;;
esac
