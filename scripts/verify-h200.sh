#!/usr/bin/env bash
# Verification of the NVIDIA target on an H200, in two halves:
#
#   scripts/verify-h200.sh prepare PREPARED [COMPILER_BUILD]   (here, with MLIR)
#   scripts/verify-h200.sh device PREPARED REPORT.md          (on the GPU machine)
#
# prepare: compiles every examples/*.mlir, examples/cascades/*.mlir and the
#   FuseMax attention cascades to a bundle (host, sm_80, sm_90),
#   records ptxas' resource report per kernel, dumps float64 reference
#   outputs at ragged sizes (B=1, Sq=157, Skv=283; Skv=Sq where a documents
#   mask needs it; only the expected outputs and data operands are kept: the
#   device regenerates q, k, v from the same seed), and builds the MLIR-free
#   attn-run and embed into PREPARED/bin, PREPARED/lib. COMPILER_BUILD is a
#   compiler build folder (default build).
# device: runs every check with attn-run --target cuda --check, up to
#   ATTN_VERIFY_JOBS (default 6) at once:
#   - "ref":    against the float64 reference outputs (ragged sizes);
#   - "host":   against the bundle's host binary at B=2, Sq=333, Skv=517
#               (examples without data operands);
#   - "static": examples with static sequence lengths (NATTEN 1-D/2-D/3-D,
#               Swin, whose float bias attn-run generates from the seed),
#               against the host binary at their own size;
#   runs compute-sanitizer memcheck on causal and on S2 at ragged sizes, the
#   embed example on the device (both left out with ATTN_VERIFY_SANITIZE=0),
#   and writes the markdown report.
# Exits 1 if anything fails.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-} prepared=${2:-}
[ -n "$mode" ] && [ -n "$prepared" ] || { echo "usage: $0 prepare|device PREPARED [...]" >&2; exit 2; }

ref_sizes="1 157 283"       # B Sq Skv of the float64 reference checks
host_sizes="2 333 517"      # B Sq Skv of the checks against the host binary
static_examples="natten_1d_dilated natten_2d natten_3d swin_blocked"

prepare() {
  local build=${1:-$here/build}
  local attn_opt=$build/bin/attn-opt attn_run=$build/bin/attn-run
  [ -x "$attn_opt" ] && [ -x "$attn_run" ] || { echo "no attn-opt/attn-run in $build" >&2; exit 2; }
  rm -rf "$prepared" && mkdir -p "$prepared"/{bundles,refs,logs}
  local cases=$prepared/cases.tsv failures=0
  # ATTN_VERIFY_TARGETS=host tries the flow without GPU code generation.
  local targets=${ATTN_VERIFY_TARGETS:-host,sm_80,sm_90} report=""
  [[ $targets == *sm_* ]] && report=" report-resources=true"
  : > "$cases"
  : > "$prepared/resources.txt"

  # The MLIR-free attn-run and embed, for the GPU machine.
  "$here/scripts/build-nomlir-attn-run.sh" "$prepared" || exit 1

  # Every example spec, the cascades written by hand (examples/cascades) and
  # FuseMax's attention cascades.
  for spec in "$here"/examples/*.mlir "$here"/examples/cascades/*.mlir \
              "$here"/examples/fusemax/{one,three}_pass.mlir; do
    local name; name=$(basename "$spec" .mlir)
    # ATTN_VERIFY_EXAMPLES="causal s2_attention" limits a trial run.
    if [ -n "${ATTN_VERIFY_EXAMPLES:-}" ] && [[ " $ATTN_VERIFY_EXAMPLES " != *" $name "* ]]; then continue; fi
    local bundle=$prepared/bundles/$name.atnb
    if ! "$attn_opt" "$spec" --attn-compile="targets=$targets output=$bundle$report" \
         -o /dev/null > "$prepared/logs/$name.compile.log" 2>&1; then
      printf '%s\tcompile\t-\t-\n' "$name" >> "$cases"
      echo "$name: compile FAILED ($(grep -m1 error "$prepared/logs/$name.compile.log"))"
      failures=$((failures + 1)); continue
    fi
    grep -E '^kernel .* sm_[0-9]+: registers=' "$prepared/logs/$name.compile.log" >> "$prepared/resources.txt"

    if [[ " $static_examples " == *" $name "* ]]; then
      printf '%s\tstatic\t--batch 1\t-\n' "$name" >> "$cases"; continue
    fi
    read -r b sq skv <<< "$ref_sizes"
    grep -q 'layout = ids' "$spec" && skv=$sq
    # A static batch (or length) wins over the sizes chosen here.
    local static_batch; static_batch=$(grep -oE 'tensor<[0-9]+x[0-9]+x' "$spec" | head -1 | sed -E 's/tensor<([0-9]+)x.*/\1/')
    [ -n "$static_batch" ] && b=$static_batch
    local sizes="--batch $b --seq-q $sq --seq-kv $skv"
    if grep -qE 'tensor<[0-9?]+x[0-9]+x[0-9]+x' "$spec"; then sizes="--batch $b"; fi
    local dir=$prepared/refs/$name
    # shellcheck disable=SC2086
    if ! "$attn_run" "$spec" --target ref $sizes --seed 1 --dump "$dir" > "$prepared/logs/$name.ref.log" 2>&1; then
      printf '%s\tref-dump\t-\t-\n' "$name" >> "$cases"
      echo "$name: reference dump FAILED"; failures=$((failures + 1)); continue
    fi
    rm -f "$dir/q.npy" "$dir/k.npy" "$dir/v.npy"
    # Data operands are carried as they are; one too large to carry (Swin's
    # 3136 x 3136 bias) leaves the example unchecked, and the report says so.
    local data_bytes; data_bytes=$(cat "$dir"/data*.npy 2>/dev/null | wc -c)
    if [ "$data_bytes" -gt $((16 << 20)) ]; then
      rm -rf "$dir"
      printf '%s\tskip\t-\tits data operands take %s MB, too many to carry\n' \
        "$name" $((data_bytes >> 20)) >> "$cases"
      continue
    fi
    # Expected outputs narrowed: f16 for bf16/f16 kernels, f32 for f32 ones.
    local narrow=f16
    grep -qE 'tensor<[0-9?x]+xf32>' <<< "$(grep -m1 -o '%q: tensor<[^>]*>' "$spec")" && narrow=f32
    python3 "$here/scripts/npy-narrow.py" "$dir/o.npy" "$narrow"
    [ -f "$dir/lse.npy" ] && python3 "$here/scripts/npy-narrow.py" "$dir/lse.npy" f32
    printf '%s\tref\t%s --seed 1 --inputs refs/%s\t%s\n' "$name" "$sizes" "$name" "$narrow" >> "$cases"
    if ! grep -q 'data(' "$spec" && ! grep -qE 'tensor<[0-9?]+x[0-9]+x[0-9]+x' "$spec"; then
      read -r b sq skv <<< "$host_sizes"
      [ -n "$static_batch" ] && b=$static_batch
      printf '%s\thost\t--batch %s --seq-q %s --seq-kv %s --seed 2\t-\n' "$name" "$b" "$sq" "$skv" >> "$cases"
    fi
  done
  echo "prepared $(grep -c . "$cases") cases in $prepared ($(du -sh "$prepared" | cut -f1)); $failures failures"
  [ "$failures" -eq 0 ]
}

# One row of the report for line LINE of cases.tsv (run in PREPARED).
check_case() {
  local line=$1 name=$2 kind=$3 args=$4 note=$5 row=rows/$1
  if [ "$kind" = skip ]; then
    echo "| $name | - | - | - | - | NOT CHECKED: $note |" > "$row"; return
  fi
  if [ "$kind" = compile ] || [ "$kind" = ref-dump ]; then
    echo "| $name | $kind | - | - | - | FAILED when preparing |" > "$row"; return
  fi
  local log=logs/$name.$kind.device.log status=0
  # shellcheck disable=SC2086
  timeout 300 ./bin/attn-run "bundles/$name.atnb" --target cuda --check $args > "$log" 2>&1 || status=$?
  local err binary sizes result
  err=$(grep -o 'max_rel_err=[^ ]*' "$log" | cut -d= -f2)
  binary=$(grep -o 'binary [^ ]* [a-z_]*' "$log" | cut -d' ' -f2-)
  sizes=$(grep -o '^kernel [^:]*: .*' "$log" | cut -d: -f2 | sed 's/^ //')
  if [ "$status" -eq 0 ]; then result=PASS; else
    result="FAIL: $(grep -m1 -E 'error:|problem:|FAIL' "$log" | cut -c1-160 | tr '|' '/')"; fi
  echo "| $name | $kind | ${sizes:--} | ${binary:--} | ${err:--} | $result |" > "$row"
  echo "$name $kind: $result ${err:-}"
}

device() {
  local report=${1:?device needs REPORT.md}
  cd "$prepared" || exit 2
  local run=./bin/attn-run
  {
    echo "# GPU verification of the NVIDIA target"
    echo
    echo "Run by \`scripts/verify-h200.sh device\` on $(date -u '+%Y-%m-%d %H:%M UTC')."
    echo
    echo '```'
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1
    echo '```'
    echo
    echo "## Correctness (attn-run --target cuda --check)"
    echo
    echo "Outputs are poisoned with NaN before each run. Relative error"
    echo "||out - ref|| / ||ref|| over O (and the finite LSE); tolerance 1e-2 for"
    echo "bf16/f16 inputs, 1e-5 for f32. \"ref\": float64 reference outputs"
    echo "(stored as f16 for bf16/f16 kernels, adding < 5e-4); \"host\", \"static\":"
    echo "the bundle's host binary on the same inputs."
    echo
    echo "| example | check | sizes | binary | max_rel_err | result |"
    echo "|---|---|---|---|---|---|"
  } > "$report"
  # Each case writes its row to rows/N (N its line in cases.tsv); up to
  # ATTN_VERIFY_JOBS cases (default 6) run at once on the one GPU.
  rm -rf rows && mkdir -p rows
  local jobs=${ATTN_VERIFY_JOBS:-6} line=0
  while IFS=$'\t' read -r name kind args note; do
    line=$((line + 1))
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
    check_case "$line" "$name" "$kind" "$args" "$note" &
  done < cases.tsv
  wait
  local row
  for row in $(ls rows | sort -n); do cat "rows/$row" >> "$report"; done
  local checks skipped failures
  checks=$(grep -vc '| NOT CHECKED: ' <(cat rows/*) || true)
  skipped=$(grep -c '| NOT CHECKED: ' <(cat rows/*) || true)
  failures=$(grep -vcE '\| PASS \|$|\| NOT CHECKED: ' <(cat rows/*) || true)

  # ATTN_VERIFY_SANITIZE=0 leaves out memcheck and the embed example.
  if [ "${ATTN_VERIFY_SANITIZE:-1}" != 0 ]; then
  {
    echo
    echo "## compute-sanitizer memcheck"
    echo
  } >> "$report"
  for case_args in "causal --batch 2 --seq-q 333 --seq-kv 517" "s2_attention --batch 1 --seq-q 157 --seq-kv 283"; do
    read -r name args <<< "$case_args"
    local log=logs/$name.memcheck.log status=0
    # shellcheck disable=SC2086
    timeout 300 compute-sanitizer --tool memcheck --error-exitcode 9 \
      "$run" "bundles/$name.atnb" --target cuda --check $args > "$log" 2>&1 || status=$?
    [ "$status" -eq 0 ] || failures=$((failures + 1))
    echo "- $name ($args): exit $status; $(grep -m1 'ERROR SUMMARY' "$log" || echo 'no summary')" >> "$report"
  done

  {
    echo
    echo "## embed example on the device"
    echo
    echo '```'
    ./bin/embed bundles/causal.atnb --batch 1 --seq 300 --cuda 2>&1 || failures=$((failures + 1))
    echo '```'
  } >> "$report"
  fi
  {
    echo
    echo "## Resources (ptxas, per kernel and chip)"
    echo
    echo '```'
    cat resources.txt
    echo '```'
    echo
    echo "$checks checks, $failures failures, $skipped examples not checked."
  } >> "$report"
  echo "$checks checks, $failures failures, $skipped not checked"
  [ "$failures" -eq 0 ]
}

case $mode in
  prepare) prepare "${3:-}" ;;
  device) device "${3:-}" ;;
  *) echo "unknown mode '$mode' (prepare or device)" >&2; exit 2 ;;
esac
