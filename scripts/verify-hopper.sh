#!/usr/bin/env bash
# Verification of the sm_90a (wgmma) kernels on a compute capability 9.0 GPU
# (H100/H200), in two halves:
#
#   scripts/verify-hopper.sh prepare PREPARED [COMPILER_BUILD]   (here, with MLIR)
#   scripts/verify-hopper.sh device PREPARED OUT                 (on the GPU machine)
#
# Variants of the sm_90a kernel (ATTN_VERIFY_HOPPER_VARIANTS, default
# "default barrier overlap turns"): default compiles with no option (tiles
# per mask, sm90a-sync=auto, sm90a-copy=auto: TMA loads on mbarriers except
# for neighborhoods), cpasync with sm90a-copy=cp.async (every thread's
# cp.async copies; sm90a-sync=auto then takes CTA barriers for one
# warpgroup), barrier with sm90a-sync=barrier (cp.async
# groups and CTA barriers), mbarrier with sm90a-sync=mbarrier
# sm90a-copy=cp.async (cp.async copies on per-stage full and empty
# mbarriers, docs/nvidia.md);
# overlap with sm90a-sync=mbarrier sm90a-overlap=softmax (the next key
# tile's Q K^T and the previous tile's P V in flight across the softmax; its
# own 128 x 64 tiles); turns with sm90a-overlap=warpgroups (the two
# warpgroups take turns on the tensor cores; 128-row tiles); tma with
# sm90a-copy=tma (K/V tiles by bulk tensor copies; neighborhood examples,
# whose patch tiles TMA does not load, keep cp.async); producer with
# sm90a-producer=warp on TMA (documents as ids without the producer); group
# with sm90a-producer=warpgroup (examples on one warpgroup's tiles, and
# neighborhoods, without it).
#
# prepare:
#   - every f16/bf16 example through scripts/verify-h200.sh prepare with
#     targets host,sm_90a (PREPARED/checks: bundles, float64 references at
#     ragged sizes, the MLIR-free attn-run); f32 examples stay on the
#     sm_80/sm_90 kernel and are listed as such; PREPARED/checks-<variant>
#     is the same with every bundle compiled with the variant's options;
#   - the benchmark specs (bench/specs) compiled as host,sm_90 (mma.sync),
#     host,sm_90a per variant, and, with the mbarrier variant, for cases
#     whose default tiles are 64 x 64 on 128 x 128 tiles (8 warps), for cases
#     whose mbarrier ring has 3 stages on 2 (the ablation of the stage of
#     slack), and with the overlap variant on 128 x 128 tiles (which spill)
#     and on 64 x 64 tiles of one warpgroup, and the mbarrier kernel on the
#     overlap's 128 x 64 tiles; ptxas' resource reports
#     and each case's useful density at S = 16384 (as bench/prepare.sh
#     computes it);
#   - ATTN_VERIFY_HOPPER_TILINGS adds ablation builds of every benchmark
#     case, entries "label=options" separated by ';' (for example
#     "ov-s4=sm90a-sync=mbarrier sm90a-overlap=softmax gpu-stages=4"), each
#     timed as sm_90a-<label>; an entry that does not compile for a case
#     (its tiles do not fit the head dimension) is left out of that case.
# device:
#   - refuses to run on anything but compute capability 9.0 (sm_90a runs
#     nowhere else, and the runtime would pick another binary);
#   - per variant, scripts/verify-h200.sh device on its checks folder
#     (attn-run --target cuda --check of every case, NaN-poisoned outputs,
#     memcheck of causal and S2), then fails unless every checked row ran
#     the sm_90a binary; compute-sanitizer racecheck of causal, S2,
#     documents and sinks_window (several visit ranges) per variant;
#   - (ATTN_VERIFY_HOPPER_CHECKS=0 leaves the two steps above out)
#   - per benchmark bundle: checked against its host binary at B=1, Sq=1000,
#     Skv=1333, then timed at B=2, S=16384 (median of 30 CUDA-event
#     timings), useful TFLOP/s per case and variant in OUT/timing.md
#     (ATTN_VERIFY_HOPPER_TIMINGS=0 leaves them out; ATTN_VERIFY_HOPPER_LABELS,
#     an extended regular expression, times only the builds whose
#     "case/label" matches, such as "^dense/sm_90a-ovs4$"; sm_90 always).
# Exits 1 if anything fails.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-} prepared=${2:-}
[ -n "$mode" ] && [ -n "$prepared" ] || { echo "usage: $0 prepare PREPARED [BUILD] | device PREPARED OUT" >&2; exit 2; }
seq=16384
bench_cases="dense causal sliding_window_1024 s2 causal_softcap50 dense_d64 dense_d256 causal_gqa"
variants=${ATTN_VERIFY_HOPPER_VARIANTS:-default barrier overlap turns}
racecheck_examples="causal s2_attention documents sinks_window"

# attn-compile options of an sm_90a variant.
variant_options() {
  case $1 in
    default) echo "" ;;
    cpasync) echo " sm90a-copy=cp.async" ;;
    barrier) echo " sm90a-sync=barrier" ;;
    mbarrier) echo " sm90a-sync=mbarrier sm90a-copy=cp.async" ;;
    overlap) echo " sm90a-sync=mbarrier sm90a-overlap=softmax" ;;
    turns) echo " sm90a-overlap=warpgroups" ;;
    tma) echo " sm90a-copy=tma" ;;
    producer) echo " sm90a-copy=tma sm90a-producer=warp" ;;
    group) echo " sm90a-producer=warpgroup" ;;
    *) echo "unknown sm_90a variant '$1' (default, cpasync, barrier, mbarrier, overlap, turns, tma, producer, group)" >&2; return 1 ;;
  esac
}

# The options of variant $1 for the example spec $2: TMA loads rows of
# contiguous keys, so neighborhood masks (patch tiles) keep cp.async; the
# producer warp cannot scan documents given as ids, which keep TMA alone;
# the producer warpgroup needs two computing warpgroups, which tilings of
# one warpgroup (and neighborhoods' cp.async) lack: they compile without it.
example_options() {
  case $1 in
    tma|producer) if grep -q '#attn.neighborhood' "$2"; then echo ""; return; fi ;;
    group) if ! "$attn_opt" "$2" --attn-compile="targets=sm_90a$(variant_options group) emit=gpu" \
                 -o /dev/null > /dev/null 2>&1; then echo ""; return; fi ;;
  esac
  if [ "$1" = producer ] && grep -q 'layout = ids' "$2"; then variant_options tma; return; fi
  variant_options "$1"
}

# The checks folder of a variant.
checks_dir() { if [ "$1" = default ]; then echo checks; else echo "checks-$1"; fi; }

prepare() {
  local build=${1:-$here/build}
  local attn_opt=$build/bin/attn-opt
  [ -x "$attn_opt" ] || { echo "no attn-opt in $build" >&2; exit 2; }
  for variant in $variants; do variant_options "$variant" > /dev/null || exit 2; done
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
  echo "$variants" > "$prepared/variants.txt"
  echo "sm_90a examples:$examples"
  echo "f32 examples (sm_80/sm_90 kernel only):$f32"
  ATTN_VERIFY_TARGETS=host,sm_90a ATTN_VERIFY_EXAMPLES="$examples" \
    "$here/scripts/verify-h200.sh" prepare "$prepared/checks" "$build" || failures=$((failures + 1))
  grep -h -E '^kernel .* sm_90a: registers=' "$prepared"/checks/logs/*.compile.log \
    > "$prepared/checks/resources.txt" 2>/dev/null
  # Other variants: the same cases and references, bundles compiled with the
  # variant's options.
  for variant in $variants; do
    [ "$variant" = default ] && continue
    local dir; dir=$prepared/$(checks_dir "$variant")
    local options
    mkdir -p "$dir"/{bundles,logs}
    cp -a "$prepared"/checks/{bin,lib,refs,cases.tsv} "$dir"/ 2>/dev/null
    : > "$dir/resources.txt"
    for name in $examples; do
      grep -q "^$name	compile	" "$prepared/checks/cases.tsv" && continue
      local spec
      spec=$(ls "$here"/examples/"$name".mlir "$here"/examples/cascades/"$name".mlir \
             "$here"/examples/fusemax/"$name".mlir 2>/dev/null | head -1)
      options=$(example_options "$variant" "$spec")
      if ! "$attn_opt" "$spec" --attn-compile="targets=host,sm_90a output=$dir/bundles/$name.atnb report-resources=true$options" \
           -o /dev/null > "$dir/logs/$name.compile.log" 2>&1; then
        echo "$name ($variant): compile FAILED ($(grep -m1 error "$dir/logs/$name.compile.log"))"
        failures=$((failures + 1)); continue
      fi
      grep -E '^kernel .* sm_90a: registers=' "$dir/logs/$name.compile.log" >> "$dir/resources.txt"
    done
  done

  # Benchmark bundles: mma.sync (sm_90), each sm_90a variant, and the
  # mbarrier variant on 128 x 128 tiles where the default tiles are smaller.
  printf 'case\tdensity\n' > "$prepared/bench/cases.tsv"
  : > "$prepared/bench/bundles.tsv"
  # ATTN_VERIFY_BENCH="causal" limits the benchmark cases of a trial run.
  for name in ${ATTN_VERIFY_BENCH:-$bench_cases}; do
    local spec=$here/bench/specs/$name.mlir
    local -a builds=("sm_90	sm_90	")
    for variant in $variants; do
      builds+=("sm_90a-$variant	sm_90a	$(variant_options "$variant")")
    done
    # 128 x 128 tiles where they are not the default (the PTX differs).
    local wide=" sm90a-sync=mbarrier gpu-block-q=128 gpu-block-kv=128 gpu-warps=8"
    if [[ " $variants " == *" mbarrier "* ]] &&
       ! cmp -s <("$attn_opt" "$spec" --attn-compile="targets=sm_90a emit=ptx sm90a-sync=mbarrier" -o /dev/null 2>&1) \
                <("$attn_opt" "$spec" --attn-compile="targets=sm_90a emit=ptx$wide" -o /dev/null 2>&1); then
      builds+=("sm_90a-mbarrier-128x128	sm_90a	$wide")
    fi
    # The ablation of the stage of slack: 2 stages where the default has 3.
    local two=" sm90a-sync=mbarrier gpu-stages=2"
    if [[ " $variants " == *" mbarrier "* ]] &&
       ! cmp -s <("$attn_opt" "$spec" --attn-compile="targets=sm_90a emit=ptx sm90a-sync=mbarrier" -o /dev/null 2>&1) \
                <("$attn_opt" "$spec" --attn-compile="targets=sm_90a emit=ptx$two" -o /dev/null 2>&1); then
      builds+=("sm_90a-mbarrier-2stages	sm_90a	$two")
    fi
    # The overlap's tile ablations: 128 keys per tile (a second score tile
    # of 64 registers: spills) and 64 x 64 on one warpgroup, where they are
    # not its default; and the mbarrier kernel on the overlap's 128 x 64
    # tiles (what the overlap buys on the same tiles).
    if [[ " $variants " == *" overlap "* ]]; then
      local overlap; overlap=$(variant_options overlap)
      local narrow=" sm90a-sync=mbarrier gpu-block-q=128 gpu-block-kv=64 gpu-warps=8"
      # (The overlap keeps 64 x 32 tiles at head dimension 256.)
      if ! grep -q 'x256x' "$spec" &&
         ! cmp -s <("$attn_opt" "$spec" --attn-compile="targets=sm_90a emit=ptx sm90a-sync=mbarrier" -o /dev/null 2>&1) \
                  <("$attn_opt" "$spec" --attn-compile="targets=sm_90a emit=ptx$narrow" -o /dev/null 2>&1); then
        builds+=("sm_90a-mbarrier-128x64	sm_90a	$narrow")
      fi
      local tiles
      for tiles in "128x128	gpu-block-q=128 gpu-block-kv=128 gpu-warps=8" \
                   "64x64	gpu-block-q=64 gpu-block-kv=64 gpu-warps=4"; do
        local size=${tiles%%	*} tile_options=" ${tiles#*	}"
        if ! cmp -s <("$attn_opt" "$spec" --attn-compile="targets=sm_90a emit=ptx$overlap" -o /dev/null 2>&1) \
                    <("$attn_opt" "$spec" --attn-compile="targets=sm_90a emit=ptx$overlap$tile_options" -o /dev/null 2>&1); then
          builds+=("sm_90a-overlap-$size	sm_90a	$overlap$tile_options")
        fi
      done
    fi
    # Ablation builds (ATTN_VERIFY_HOPPER_TILINGS).
    local tilings=${ATTN_VERIFY_HOPPER_TILINGS:-} extra
    while [ -n "$tilings" ]; do
      extra=${tilings%%;*}
      [[ $tilings == *";"* ]] && tilings=${tilings#*;} || tilings=""
      [ -n "${extra// }" ] || continue
      [[ $extra == *=* ]] || { echo "ATTN_VERIFY_HOPPER_TILINGS: '$extra' is not label=options" >&2; exit 2; }
      builds+=("sm_90a-${extra%%=*}	sm_90a	 ${extra#*=}")
    done
    for entry in "${builds[@]}"; do
      local label chip options
      IFS=$'\t' read -r label chip options <<< "$entry"
      if ! "$attn_opt" "$spec" --attn-compile="targets=host,$chip output=$prepared/bench/$name-$label.atnb report-resources=true$options" \
           -o /dev/null > "$prepared/logs/$name-$label.compile.log" 2>&1; then
        # The extra tilings are tried where they fit (not at D = 256), the
        # producer warpgroup where the tiles are two warpgroups.
        if [[ $label == sm_90a-mbarrier-* || $label == sm_90a-overlap-* || $label == sm_90a-group ]] ||
           [[ ";${ATTN_VERIFY_HOPPER_TILINGS:-}" == *";${label#sm_90a-}="* ]]; then
          echo "$name ($label): not built: $(grep -m1 error "$prepared/logs/$name-$label.compile.log")"
          rm -f "$prepared/logs/$name-$label.compile.log"; continue
        fi
        echo "$name ($label): compile FAILED"; cat "$prepared/logs/$name-$label.compile.log"
        failures=$((failures + 1)); continue
      fi
      printf '%s\t%s\t%s\n' "$name" "$label" "${options# }" >> "$prepared/bench/bundles.tsv"
    done
    local density
    density=$("$attn_opt" "$spec" --attn-report-sparsity="seq-q=$seq seq-kv=$seq" -o /dev/null 2>&1 |
      awk -v s=$seq '/ head [0-9]+: / { for (i = 1; i < NF; ++i) if ($i == "kept") { kept += $(i + 1); heads++ } }
                     END { if (heads) printf "%.6f", kept / (heads * s * s) }')
    [ -n "$density" ] || { echo "$name: no density from the sparsity report"; failures=$((failures + 1)); }
    printf '%s\t%s\n' "$name" "$density" >> "$prepared/bench/cases.tsv"
  done
  cat "$prepared/bench/cases.tsv"
  for log in "$prepared"/logs/*.compile.log; do
    echo "$(basename "$log" .compile.log): $(grep -h -o 'sm_90a\?: registers=.*' "$log" | tr '\n' ' ')"
  done
  for variant in $variants; do
    echo "== checks, $variant:"; cat "$prepared/$(checks_dir "$variant")/resources.txt"
  done
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
  local failures=0 prepared_variants
  prepared_variants=$(cat "$prepared/variants.txt" 2>/dev/null || echo default)
  # ATTN_VERIFY_HOPPER_CHECKS=0 leaves the checks out (a run that timed them
  # apart from the checks, which may share the GPU with other work).
  if [ "${ATTN_VERIFY_HOPPER_CHECKS:-1}" != 0 ]; then
    local sanitizer; sanitizer=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
    for variant in $prepared_variants; do
      local dir; dir=$prepared/$(checks_dir "$variant")
      local report=$out/checks-$variant.md
      "$here/scripts/verify-h200.sh" device "$dir" "$report" || failures=$((failures + 1))
      # Every checked case must have run the wgmma kernel, not a fallback.
      local others
      others=$(grep -E '^\| [^|]+ \| (ref|host|static) \|' "$report" | grep -v '| sm_90a cubin |' || true)
      if [ -n "$others" ]; then
        echo "$variant: cases that did not run the sm_90a cubin:"; echo "$others"
        failures=$((failures + 1))
      fi
      {
        echo
        echo "## compute-sanitizer racecheck ($variant)"
        echo
      } >> "$report"
      for name in $racecheck_examples; do
        # The example's first case: its float64 reference inputs (data
        # masks) or the host binary's sizes.
        local kind args
        IFS=$'\t' read -r _ kind args _ < <(grep -m1 "^$name	\(ref\|host\)	" "$dir/cases.tsv")
        [ -n "${kind:-}" ] || { echo "- $name: no case to run" >> "$report"; continue; }
        local log=$dir/logs/$name.racecheck.log status=0
        # shellcheck disable=SC2086
        (cd "$dir" && timeout 300 "$sanitizer" --tool racecheck --error-exitcode 9 \
          ./bin/attn-run "bundles/$name.atnb" --target cuda --check $args) > "$log" 2>&1 || status=$?
        [ "$status" -eq 0 ] || failures=$((failures + 1))
        echo "- $name ($args): exit $status; $(grep -m1 'RACECHECK SUMMARY' "$log" || echo 'no summary')" >> "$report"
        echo "racecheck $variant $name: exit $status"
      done
    done
  fi

  [ "${ATTN_VERIFY_HOPPER_TIMINGS:-1}" != 0 ] || { echo "$failures failures (timings left out)"; [ "$failures" -eq 0 ]; return; }
  local run=$prepared/checks/bin/attn-run log=$out/timing.log
  : > "$log"
  {
    echo "# sm_90a (wgmma) variants vs sm_90 (mma.sync)"
    echo
    echo "$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader); $(date -u '+%Y-%m-%d %H:%M') UTC;"
    echo "bf16 forward, B=2, S=16384, the heads and head dimension of each bench/specs case"
    echo "(H=16, D=128 but dense_d64: H=32, D=64; dense_d256: H=8, D=256; causal_gqa: 32/8"
    echo "heads, D=128); useful TFLOP/s, median of 30 CUDA-event"
    echo "timings; each bundle checked against its host binary at B=1, Sq=1000, Skv=1333"
    echo "first (scripts/verify-hopper.sh)."
    echo
    echo "| case | kernel | attn-compile options | check | TFLOP/s | / sm_90 |"
    echo "|---|---|---|---|---|---|"
  } > "$out/timing.md"
  tail -n +2 "$prepared/bench/cases.tsv" | while IFS=$'\t' read -r name density; do
    local base=""
    while IFS=$'\t' read -r _ label options; do
      if [ "$label" != sm_90 ] && [ -n "${ATTN_VERIFY_HOPPER_LABELS:-}" ] &&
         ! [[ $name/$label =~ $ATTN_VERIFY_HOPPER_LABELS ]]; then
        continue
      fi
      local bundle=$prepared/bench/$name-$label.atnb check=FAIL timing rate
      if "$run" "$bundle" --target cuda --check --batch 1 --seq-q 1000 --seq-kv 1333 >> "$log" 2>&1; then
        check=PASS
      fi
      timing=$("$run" "$bundle" --target cuda --batch 2 --seq-q $seq --seq-kv $seq \
        --runs 30 --useful-density "$density" 2>&1) || true
      echo "$name $label: $timing" >> "$log"
      rate=$(grep -o 'tflops=[0-9.]*' <<< "$timing" | cut -d= -f2)
      [ "$label" = sm_90 ] && base=$rate
      local ratio=-
      [ -n "$base" ] && [ -n "$rate" ] &&
        ratio=$(awk -v a="$rate" -v b="$base" 'BEGIN { printf "%.3f", a / b }')
      [ "$check" = PASS ] || echo "$name $label: check FAILED" >> "$log"
      echo "| $name | $label | ${options:--} | $check | ${rate:--} | $ratio |" | tee -a "$out/timing.md"
    done < <(grep "^$name	" "$prepared/bench/bundles.tsv")
  done
  grep -q 'check FAILED' "$log" && failures=$((failures + 1))
  echo "$failures failures (details: $out/checks-*.md, $out/timing.md, $out/timing.log)"
  [ "$failures" -eq 0 ]
}

case $mode in
  prepare) prepare "${3:-}" ;;
  device) device "${3:-}" ;;
  *) echo "usage: $0 prepare PREPARED [BUILD] | device PREPARED OUT" >&2; exit 2 ;;
esac
