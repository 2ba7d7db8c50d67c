#!/usr/bin/env bash
# Verification of the NVIDIA backward kernels (attn-compile grad=true,
# docs/backward.md) on a GPU, in two halves:
#
#   scripts/verify-backward-gpu.sh prepare PREPARED [BUILD]   (here, with MLIR)
#   scripts/verify-backward-gpu.sh device PREPARED REPORT.md  (on the GPU machine)
#
# prepare:
#   - every f16/bf16 example compiled with grad=true for host,sm_90
#     (PREPARED/bundles, ptxas' resource reports in PREPARED/resources.txt);
#     the examples the backward refuses (head dimensions other than 64 and
#     128, f32) are listed with their diagnostic in PREPARED/refused.txt; an
#     f32 example reading a bias (#attn.bias) also gets a bf16 copy
#     <name>_bf16 (PREPARED/specs), so that the bias gradient is checked;
#   - two ragged sizes per compiled example (q, k, v from a seed, as
#     --target ref makes them); the data operands only the spec knows how to
#     make (document ids, block lists) dumped by the compiler-built attn-run
#     (`--target ref --dump`) into PREPARED/inputs;
#   - the benchmark specs dense and causal (bf16, H=16, D=128) compiled with
#     grad=true, and their useful densities at S=16384;
#   - the MLIR-free attn-run in PREPARED/bin (scripts/build-nomlir-attn-run.sh;
#     ATTN_NOMLIR_BUILD=DIR reuses an ATTN_BUILD_COMPILER=OFF build).
# device:
#   - per case and size (ATTN_VERIFY_JOBS at a time, default 6):
#     attn-run --target cuda --gradients --check (the
#     forward on the GPU, its backward on the GPU's O and LSE with a seeded dO,
#     dQ/dK/dV and the bias gradients (ddata<N>) against the bundle's host
#     binary on the same inputs, outputs
#     NaN-poisoned, two backward runs compared bit for bit);
#   - compute-sanitizer memcheck, racecheck and synccheck of causal;
#   - the backward of dense and causal timed at bf16 B=2 H=16 D=128 S=16384
#     (median of 30 CUDA-event timings; useful TFLOP/s count 2.5 x the
#     forward's FLOPs), next to their forward (ATTN_BACKWARD_TIMINGS=0 skips
#     them: bench/backward.py times them with the anchors), and 10 backward
#     runs at B=1 S=2048 compared bit for bit (and against the host binary).
# REPORT.md gets a table of every row. Exits 1 if anything fails.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-} prepared=${2:-}
[ -n "$mode" ] && [ -n "$prepared" ] || { echo "usage: $0 prepare PREPARED [BUILD] | device PREPARED REPORT.md" >&2; exit 2; }
seq=16384
bench_cases="dense causal"
# B Sq Skv of the checks: ragged, not multiples of the 64 x 64 tiles.
check_sizes="2:77:131 1:200:200"

prepare() {
  local build=${1:-$here/build}
  local attn_opt=$build/bin/attn-opt attn_run=$build/bin/attn-run
  [ -x "$attn_opt" ] && [ -x "$attn_run" ] || { echo "no attn-opt/attn-run in $build" >&2; exit 2; }
  rm -rf "$prepared" && mkdir -p "$prepared"/{bundles,inputs,logs,bench}
  prepared=$(cd "$prepared" && pwd)
  # The compiler's commit, for the report (the GPU machine's copy of the
  # repository may carry other git metadata).
  git -C "$here" rev-parse --short HEAD > "$prepared/commit.txt" 2>/dev/null || echo unknown > "$prepared/commit.txt"
  local failures=0 cases=$prepared/cases.tsv
  : > "$cases"; : > "$prepared/refused.txt"; : > "$prepared/resources.txt"
  mkdir -p "$prepared/specs"
  for example in "$here"/examples/*.mlir "$here"/examples/cascades/*.mlir; do
    local source; source=$(basename "$example" .mlir)
    # ATTN_VERIFY_EXAMPLES="causal gqa" limits a trial run.
    if [ -n "${ATTN_VERIFY_EXAMPLES:-}" ] && [[ " $ATTN_VERIFY_EXAMPLES " != *" $source "* ]]; then continue; fi
    local specs=$example
    # The NVIDIA backward takes f16/bf16 inputs: a bf16 copy of an f32
    # example with a bias checks the bias gradient on the GPU.
    if grep -q '#attn.bias' "$example" && grep -q 'xf32>' "$example"; then
      sed 's/xf32>/xbf16>/g' "$example" > "$prepared/specs/${source}_bf16.mlir"
      specs="$specs $prepared/specs/${source}_bf16.mlir"
    fi
    for spec in $specs; do
      local name; name=$(basename "$spec" .mlir)
      local log=$prepared/logs/$name.compile.log
      if ! "$attn_opt" "$spec" --attn-compile="targets=host,sm_90 grad=true report-resources output=$prepared/bundles/$name.atnb" \
           -o /dev/null > "$log" 2>&1; then
        # A refusal of the backward, or of a bf16 copy made here (an NVIDIA
        # limit of the forward too, e.g. its head dimensions).
        if grep -q 'grad=true' "$log" || [ "$spec" != "$example" ]; then
          printf '%s: %s\n' "$name" "$(grep -m1 -o 'error: .*' "$log")" >> "$prepared/refused.txt"
        else
          echo "$name: compile FAILED ($(grep -m1 error "$log"))"; failures=$((failures + 1))
        fi
        continue
      fi
      grep -E '^kernel .* sm_90: registers=' "$log" >> "$prepared/resources.txt"
      local index=0 static=0
      # Static sequence lengths (N-dimensional neighborhoods) leave B only: one
      # check at B=1 (its host reference is the slowest of all).
      grep -qE 'tensor<[0-9?]+x[0-9]+x[0-9]+x' "$spec" && static=1
      for size in $check_sizes; do
        local b sq skv; IFS=: read -r b sq skv <<< "$size"
        grep -q 'layout = ids' "$spec" && skv=$sq
        local sizes="--batch $b --seq-q $sq --seq-kv $skv"
        if [ "$static" = 1 ]; then
          [ "$index" -eq 0 ] || break
          sizes="--batch 1"
        fi
        # q, k and v are regenerated from the seed on the GPU machine, exactly
        # as --target ref makes them; data operands (document ids, block
        # lists) only the spec knows how to make are dumped here.
        local arguments; arguments=$(grep -m1 'func.func' "$spec" | sed 's/->.*//' | grep -o '%[A-Za-z_0-9]*:' | wc -l)
        if [ "$arguments" -le 3 ]; then
          printf '%s\t%s --seed %s\n' "$name" "$sizes" $((index + 1)) >> "$cases"
          index=$((index + 1)); continue
        fi
        local dir=$prepared/inputs/$name-$index
        # shellcheck disable=SC2086
        if ! "$attn_run" "$spec" --target ref $sizes --seed $((index + 1)) --dump "$dir" \
             > "$prepared/logs/$name-$index.dump.log" 2>&1; then
          echo "$name: input dump FAILED (see logs/$name-$index.dump.log)"; failures=$((failures + 1)); continue
        fi
        rm -f "$dir/q.npy" "$dir/k.npy" "$dir/v.npy" "$dir/o.npy" "$dir/lse.npy"
        printf '%s\t%s --seed %s --inputs inputs/%s-%s\n' "$name" "$sizes" $((index + 1)) "$name" "$index" >> "$cases"
        index=$((index + 1))
      done
    done
  done

  printf 'case\tdensity\n' > "$prepared/bench/cases.tsv"
  for name in $bench_cases; do
    local spec=$here/bench/specs/$name.mlir
    if ! "$attn_opt" "$spec" --attn-compile="targets=host,sm_90 grad=true report-resources output=$prepared/bench/$name.atnb" \
         -o /dev/null > "$prepared/logs/bench-$name.compile.log" 2>&1; then
      echo "bench $name: compile FAILED"; cat "$prepared/logs/bench-$name.compile.log"; failures=$((failures + 1))
    fi
    local density
    density=$("$attn_opt" "$spec" --attn-report-sparsity="seq-q=$seq seq-kv=$seq" -o /dev/null 2>&1 |
      awk -v s=$seq '/ head [0-9]+: / { for (i = 1; i < NF; ++i) if ($i == "kept") { kept += $(i + 1); heads++ } }
                     END { if (heads) printf "%.6f", kept / (heads * s * s) }')
    [ -n "$density" ] || { echo "bench $name: no density from the sparsity report"; failures=$((failures + 1)); }
    printf '%s\t%s\n' "$name" "$density" >> "$prepared/bench/cases.tsv"
  done

  "$here/scripts/build-nomlir-attn-run.sh" "$prepared" || failures=$((failures + 1))
  echo "refused by the NVIDIA backward:"; cat "$prepared/refused.txt"
  echo "prepared $(grep -c . "$cases") checks of $(cut -f1 "$cases" | sort -u | grep -c .) examples in $prepared ($(du -sh "$prepared" | cut -f1)); $failures failures"
  [ "$failures" -eq 0 ]
}

device() {
  local report=${1:?device needs REPORT.md}
  touch "$report" && report=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
  cd "$prepared" || exit 2
  local run=$prepared/bin/attn-run log=$prepared/device.log failures=0
  [ -x "$run" ] || { echo "no MLIR-free attn-run in $prepared/bin" >&2; exit 2; }
  : > "$log"
  {
    echo "# NVIDIA backward kernels (scripts/verify-backward-gpu.sh)"
    echo
    echo "$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1); $(date -u '+%Y-%m-%d %H:%M') UTC;"
    echo "bundles compiled at commit $(cat commit.txt 2>/dev/null || echo unknown)."
    echo
    echo "## Gradients against the bundle's host binary"
    echo
    echo "attn-run --target cuda --gradients --check: dQ, dK, dV and bias gradient (ddata<N>,"
    echo "'/'-separated where there are several) relative errors (bf16/f16 tolerance 1e-2), two"
    echo "backward runs bit for bit."
    echo
    echo "| case | arguments | binary | o | dq | dk | dv | dbias | bit-identical | result |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
  } > "$report"
  # The checks run ATTN_VERIFY_JOBS (default 6) at a time, each into its own
  # file and under ATTN_VERIFY_CHECK_TIMEOUT seconds (default 200), the
  # static-size cases (the longest) first; the table keeps the order of
  # cases.tsv.
  local jobs=${ATTN_VERIFY_JOBS:-6} limit=${ATTN_VERIFY_CHECK_TIMEOUT:-200} results=$prepared/results
  rm -rf "$results" && mkdir -p "$results"
  while IFS=$'\t' read -r _ index name arguments; do
    (
      local rc=0
      # shellcheck disable=SC2086
      out=$(timeout "$limit" "$run" "bundles/$name.atnb" --target cuda --gradients --check $arguments 2>&1) || rc=$?
      case $rc in
        0) echo PASS ;;
        124) echo "TIMEOUT (${limit} s)" ;;
        *) echo FAIL ;;
      esac > "$results/$index.result"
      printf '%s' "$out" > "$results/$index.out"
    ) &
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
  done < <(awk -F'\t' '{ print ($2 ~ /--seq-q/ ? 1 : 0) "\t" NR - 1 "\t" $0 }' cases.tsv | sort -s -n -k1,1)
  wait
  local index=0
  while IFS=$'\t' read -r name arguments; do
    local out result
    out=$(cat "$results/$index.out" 2>/dev/null) result=$(cat "$results/$index.result" 2>/dev/null || echo FAIL)
    index=$((index + 1))
    printf '== %s %s\n%s\n' "$name" "$arguments" "$out" >> "$log"
    [ "$result" = PASS ] || failures=$((failures + 1))
    local binary o dq dk dv dbias same
    binary=$(grep -m1 -o 'binary [^ ]* [a-z]*' <<< "$out" | cut -d' ' -f2-)
    o=$(grep -m1 -o '^o: rel_err=[^ ]*' <<< "$out" | cut -d= -f2)
    dq=$(grep -m1 -o '^dq: rel_err=[^ ]*' <<< "$out" | cut -d= -f2)
    dk=$(grep -m1 -o '^dk: rel_err=[^ ]*' <<< "$out" | cut -d= -f2)
    dv=$(grep -m1 -o '^dv: rel_err=[^ ]*' <<< "$out" | cut -d= -f2)
    dbias=$(grep -o '^ddata[0-9]*: rel_err=[^ ]*' <<< "$out" | cut -d= -f2 | paste -sd/ -)
    same=$(grep -m1 -o 'bit-identical: [a-z]*' <<< "$out" | cut -d' ' -f2)
    echo "| $name | ${arguments%% --inputs*} | ${binary:--} | ${o:--} | ${dq:--} | ${dk:--} | ${dv:--} | ${dbias:--} | ${same:--} | $result |" >> "$report"
  done < cases.tsv
  {
    echo
    echo "Refused at compile time (not run):"
    echo
    sed 's/^/- /' refused.txt
    echo
    echo "## compute-sanitizer (causal, B=2 Sq=77 Skv=131)"
    echo
  } >> "$report"
  local sanitizer; sanitizer=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
  for tool in memcheck racecheck synccheck; do
    local result=FAIL out
    out=$("$sanitizer" --tool "$tool" --error-exitcode 9 "$run" bundles/causal.atnb --target cuda --gradients --check \
          --batch 2 --seq-q 77 --seq-kv 131 --seed 1 2>&1) && result=PASS
    printf '== %s\n%s\n' "$tool" "$out" >> "$log"
    [ "$result" = PASS ] || failures=$((failures + 1))
    echo "- $tool: $result ($(grep -m1 -o 'ERROR SUMMARY: [0-9]* error[s]*\|RACECHECK SUMMARY: [^$]*' <<< "$out" || echo 'no summary'))" >> "$report"
  done

  {
    echo
    echo "## Timings: bf16, B=2, H=16, D=128, S=16384"
    echo
    echo "Median of 30 CUDA-event timings after 5 warm-up runs (inputs rotated through more"
    echo "than twice the L2); backward useful FLOPs counted as 2.5 x the forward's. The"
    echo "determinism column: attn-run --gradients --check --runs 10 at B=1, H=16, S=2048"
    echo "(10 backward runs compared bit for bit, the first against the host binary)."
    echo
    echo "| case | forward ms | forward TFLOP/s | backward ms | backward TFLOP/s | 10 runs bit-identical |"
    echo "|---|---|---|---|---|---|"
  } >> "$report"
  tail -n +2 bench/cases.tsv | while IFS=$'\t' read -r name density; do
    local forward="" backward=""
    # ATTN_BACKWARD_TIMINGS=0 leaves the timings to bench/backward.py (which
    # times the anchors in the same process) and keeps the 10-run check.
    if [ "${ATTN_BACKWARD_TIMINGS:-1}" != 0 ]; then
      forward=$("$run" "bench/$name.atnb" --target cuda --batch 2 --seq-q $seq --seq-kv $seq --runs 30 --useful-density "$density" 2>&1)
      backward=$("$run" "bench/$name.atnb" --target cuda --gradients --batch 2 --seq-q $seq --seq-kv $seq --runs 30 --useful-density "$density" 2>&1)
      printf '== %s forward\n%s\n== %s backward\n%s\n' "$name" "$forward" "$name" "$backward" >> "$log"
    fi
    local repeated same=FAIL
    repeated=$("$run" "bench/$name.atnb" --target cuda --gradients --check --runs 10 --batch 1 --seq-q 2048 --seq-kv 2048 2>&1) && same=PASS
    printf '== %s 10 backward runs\n%s\n' "$name" "$repeated" >> "$log"
    local fms fr bms br
    fms=$(grep -o 'median_ms=[0-9.]*' <<< "$forward" | cut -d= -f2)
    fr=$(grep -o 'tflops=[0-9.]*' <<< "$forward" | cut -d= -f2)
    bms=$(grep -o 'median_ms=[0-9.]*' <<< "$backward" | tail -1 | cut -d= -f2)
    br=$(grep -o 'tflops=[0-9.]*' <<< "$backward" | tail -1 | cut -d= -f2)
    echo "| $name | ${fms:--} | ${fr:--} | ${bms:--} | ${br:--} | $(grep -o 'bit-identical: [a-z]*' <<< "$repeated" | cut -d' ' -f2) ($same) |" >> "$report"
    [ -n "$bms" ] || [ "${ATTN_BACKWARD_TIMINGS:-1}" = 0 ] || echo "bench $name: backward timing FAILED" >> "$log"
    [ "$same" = PASS ] || echo "bench $name: 10-run check FAILED" >> "$log"
  done
  grep -qE 'backward timing FAILED|10-run check FAILED' "$log" && failures=$((failures + 1))
  echo "$failures failures (details: $report, $log)"
  [ "$failures" -eq 0 ]
}

case $mode in
  prepare) prepare "${3:-}" ;;
  device) device "${3:-}" ;;
  *) echo "usage: $0 prepare PREPARED [BUILD] | device PREPARED REPORT.md" >&2; exit 2 ;;
esac
