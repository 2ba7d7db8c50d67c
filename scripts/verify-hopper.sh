#!/usr/bin/env bash
# Verification of the sm_90a (wgmma) kernels on a compute capability 9.0 GPU
# (H100/H200), in two halves:
#
#   scripts/verify-hopper.sh prepare PREPARED [COMPILER_BUILD]   (here, with MLIR)
#   scripts/verify-hopper.sh device PREPARED OUT                 (on the GPU machine)
#
# prepare:
#   - every f16/bf16 example through scripts/verify-h200.sh prepare with
#     targets host,sm_90a (PREPARED/checks: bundles, float64 references at
#     ragged sizes, the MLIR-free attn-run); f32 examples stay on the
#     sm_80/sm_90 kernel and are listed as such;
#   - the benchmark specs (bench/specs) compiled twice, host,sm_90 (mma.sync)
#     and host,sm_90a (wgmma), with ptxas' resource reports and each case's
#     useful density at S = 16384 (as bench/prepare.sh computes it).
# device:
#   - refuses to run on anything but compute capability 9.0 (sm_90a runs
#     nowhere else, and the runtime would pick another binary);
#   - scripts/verify-h200.sh device on PREPARED/checks (attn-run --target
#     cuda --check of every case, NaN-poisoned outputs, memcheck of causal
#     and S2), then fails unless every checked row ran the sm_90a binary;
#   - (ATTN_VERIFY_HOPPER_CHECKS=0 leaves the two steps above out)
#   - per benchmark case: both bundles checked against their host binary at
#     B=1, Sq=1000, Skv=1333, then timed at B=2, H=16, S=16384 (median of 30
#     CUDA-event timings), useful TFLOP/s of sm_90 and sm_90a side by side in
#     OUT/timing.md.
# Exits 1 if anything fails.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-} prepared=${2:-}
[ -n "$mode" ] && [ -n "$prepared" ] || { echo "usage: $0 prepare PREPARED [BUILD] | device PREPARED OUT" >&2; exit 2; }
seq=16384
bench_cases="dense causal sliding_window_1024 s2 causal_softcap50"

prepare() {
  local build=${1:-$here/build}
  local attn_opt=$build/bin/attn-opt
  [ -x "$attn_opt" ] || { echo "no attn-opt in $build" >&2; exit 2; }
  rm -rf "$prepared" && mkdir -p "$prepared"/{bench,logs}
  local examples="" f32="" failures=0
  for spec in "$here"/examples/*.mlir "$here"/examples/cascades/*.mlir \
              "$here"/examples/fusemax/{one,three}_pass.mlir; do
    local name; name=$(basename "$spec" .mlir)
    # ATTN_VERIFY_EXAMPLES="causal s2_attention" limits a trial run.
    if [ -n "${ATTN_VERIFY_EXAMPLES:-}" ] && [[ " $ATTN_VERIFY_EXAMPLES " != *" $name "* ]]; then continue; fi
    if grep -qE 'tensor<[0-9?x]+xf32>' <<< "$(grep -m1 -o '%q: tensor<[^>]*>' "$spec")"; then
      f32="$f32 $name"; continue
    fi
    examples="$examples $name"
  done
  echo "$f32" > "$prepared/f32-examples.txt"
  echo "sm_90a examples:$examples"
  echo "f32 examples (sm_80/sm_90 kernel only):$f32"
  ATTN_VERIFY_TARGETS=host,sm_90a ATTN_VERIFY_EXAMPLES="$examples" \
    "$here/scripts/verify-h200.sh" prepare "$prepared/checks" "$build" || failures=$((failures + 1))
  grep -h -E '^kernel .* sm_90a: registers=' "$prepared"/checks/logs/*.compile.log \
    > "$prepared/checks/resources.txt" 2>/dev/null

  # Benchmark bundles: mma.sync (sm_90) and wgmma (sm_90a), and densities.
  printf 'case\tdensity\n' > "$prepared/bench/cases.tsv"
  # ATTN_VERIFY_BENCH="causal" limits the benchmark cases of a trial run.
  for name in ${ATTN_VERIFY_BENCH:-$bench_cases}; do
    local spec=$here/bench/specs/$name.mlir
    for chip in sm_90 sm_90a; do
      if ! "$attn_opt" "$spec" --attn-compile="targets=host,$chip output=$prepared/bench/$name-$chip.atnb report-resources=true" \
           -o /dev/null > "$prepared/logs/$name-$chip.compile.log" 2>&1; then
        echo "$name ($chip): compile FAILED"; cat "$prepared/logs/$name-$chip.compile.log"
        failures=$((failures + 1))
      fi
    done
    local density
    density=$("$attn_opt" "$spec" --attn-report-sparsity="seq-q=$seq seq-kv=$seq" -o /dev/null 2>&1 |
      awk -v s=$seq '/ head [0-9]+: / { for (i = 1; i < NF; ++i) if ($i == "kept") { kept += $(i + 1); heads++ } }
                     END { if (heads) printf "%.6f", kept / (heads * s * s) }')
    [ -n "$density" ] || { echo "$name: no density from the sparsity report"; failures=$((failures + 1)); }
    printf '%s\t%s\n' "$name" "$density" >> "$prepared/bench/cases.tsv"
  done
  cat "$prepared/bench/cases.tsv"
  grep -h 'registers=' "$prepared"/logs/*-sm_90*.compile.log
  echo "prepared in $prepared; $failures failures"
  [ "$failures" -eq 0 ]
}

device() {
  local out=${1:?device needs OUT}
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
  local capability
  capability=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' ')
  if [ "$capability" != "9.0" ]; then
    echo "this GPU has compute capability '${capability:-unknown}'; sm_90a runs on 9.0 only" >&2
    exit 2
  fi
  local failures=0
  # ATTN_VERIFY_HOPPER_CHECKS=0 leaves the checks out (a run that timed them
  # apart from the checks, which may share the GPU with other work).
  if [ "${ATTN_VERIFY_HOPPER_CHECKS:-1}" != 0 ]; then
    "$here/scripts/verify-h200.sh" device "$prepared/checks" "$out/checks.md" || failures=$((failures + 1))
    # Every checked case must have run the wgmma kernel, not a fallback.
    local others
    others=$(grep -E '^\| [^|]+ \| (ref|host|static) \|' "$out/checks.md" | grep -v '| sm_90a cubin |' || true)
    if [ -n "$others" ]; then
      echo "cases that did not run the sm_90a cubin:"; echo "$others"
      failures=$((failures + 1))
    fi
  fi

  local run=$prepared/checks/bin/attn-run log=$out/timing.log
  : > "$log"
  {
    echo "# sm_90a (wgmma) vs sm_90 (mma.sync)"
    echo
    echo "$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader); $(date -u '+%Y-%m-%d %H:%M') UTC;"
    echo "bf16 forward, B=2, H=16, S=16384, D=128; useful TFLOP/s, median of 30 CUDA-event"
    echo "timings; each bundle checked against its host binary at B=1, Sq=1000, Skv=1333"
    echo "first (scripts/verify-hopper.sh)."
    echo
    echo "| case | sm_90 check | sm_90 TFLOP/s | sm_90a check | sm_90a TFLOP/s | sm_90a / sm_90 |"
    echo "|---|---|---|---|---|---|"
  } > "$out/timing.md"
  tail -n +2 "$prepared/bench/cases.tsv" | while IFS=$'\t' read -r name density; do
    local row="| $name"
    local -A rate=()
    for chip in sm_90 sm_90a; do
      local bundle=$prepared/bench/$name-$chip.atnb check=FAIL timing
      if "$run" "$bundle" --target cuda --check --batch 1 --seq-q 1000 --seq-kv 1333 >> "$log" 2>&1; then
        check=PASS
      fi
      timing=$("$run" "$bundle" --target cuda --batch 2 --seq-q $seq --seq-kv $seq \
        --runs 30 --useful-density "$density" 2>&1) || true
      echo "$name $chip: $timing" >> "$log"
      rate[$chip]=$(grep -o 'tflops=[0-9.]*' <<< "$timing" | cut -d= -f2)
      row="$row | $check | ${rate[$chip]:--}"
      [ "$check" = PASS ] || echo "$name $chip: check FAILED" >> "$log"
    done
    local ratio=-
    [ -n "${rate[sm_90]:-}" ] && [ -n "${rate[sm_90a]:-}" ] &&
      ratio=$(awk -v a="${rate[sm_90a]}" -v b="${rate[sm_90]}" 'BEGIN { printf "%.3f", a / b }')
    echo "$row | $ratio |" | tee -a "$out/timing.md"
  done
  grep -q 'check FAILED' "$log" && failures=$((failures + 1))
  echo "$failures failures (details: $out/checks.md, $out/timing.md, $out/timing.log)"
  [ "$failures" -eq 0 ]
}

case $mode in
  prepare) prepare "${3:-}" ;;
  device) device "${3:-}" ;;
  *) echo "usage: $0 prepare PREPARED [BUILD] | device PREPARED OUT" >&2; exit 2 ;;
esac
