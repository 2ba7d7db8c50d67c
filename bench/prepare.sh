#!/usr/bin/env bash
# Prepares the NVIDIA benchmark (run here, where the compiler is built):
#   bench/prepare.sh PREPARED [COMPILER_BUILD]
# compiles bench/specs/*.mlir to bundles (host + sm_90 + sm_90a: a compute
# capability 9.0 device runs the wgmma kernel), computes each
# case's useful density at S = 16384 with the compiler's sparsity report
# (kept pairs summed over heads / (H * S * S)), and builds the MLIR-free
# attn-run into PREPARED/bin. bench/run.py runs the rest on the GPU machine.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
prepared=${1:?usage: bench/prepare.sh PREPARED [COMPILER_BUILD]}
build=${2:-$here/build}
attn_opt=$build/bin/attn-opt
[ -x "$attn_opt" ] || { echo "no attn-opt in $build" >&2; exit 2; }
seq=16384
# BENCH_TARGETS=host tries the flow without GPU code generation;
# BENCH_OPTIONS adds attn-compile options ("sm90a-overlap=warpgroups").
targets=${BENCH_TARGETS:-host,sm_90,sm_90a} report="" options=${BENCH_OPTIONS:+ $BENCH_OPTIONS}
[[ $targets == *sm_* ]] && report=" report-resources=true"
rm -rf "$prepared" && mkdir -p "$prepared/bundles" "$prepared/logs"
"$here/scripts/build-nomlir-attn-run.sh" "$prepared"

# Bars (useful TFLOP/s, bf16, B=2, H=16, S=16384, D=128) from the issue; the
# cases of other shapes (issue 11's head dimensions and GQA) have none ("-").
declare -A bars=([dense]=300 [causal]=280 [sliding_window_1024]=250 [s2]=250 [causal_softcap50]=250)
# BENCH_CASES="dense_d64 dense_d256 causal_gqa" picks other cases of bench/specs.
cases=${BENCH_CASES:-dense causal sliding_window_1024 s2 causal_softcap50}
printf 'case\tdensity\tbar\tq_heads\tkv_heads\thead_dim\n' > "$prepared/cases.tsv"
for name in $cases; do
  spec=$here/bench/specs/$name.mlir
  [ -f "$spec" ] || { echo "no bench/specs/$name.mlir" >&2; exit 1; }
  # Hq, Hkv and D from the signature's q and k types (tensor<?xHx?xDxT>).
  read -r q_heads head_dim kv_heads < <(grep -m1 'func.func' "$spec" |
    sed -E 's/.*%q: tensor<[?0-9]+x([0-9]+)x[?0-9]+x([0-9]+)x[a-z0-9]+>, %k: tensor<[?0-9]+x([0-9]+)x.*/\1 \2 \3/')
  "$attn_opt" "$spec" --attn-compile="targets=$targets output=$prepared/bundles/$name.atnb$report$options" \
    -o /dev/null > "$prepared/logs/$name.compile.log" 2>&1 ||
    { echo "$name: compile failed:"; cat "$prepared/logs/$name.compile.log"; exit 1; }
  density=$("$attn_opt" "$spec" --attn-report-sparsity="seq-q=$seq seq-kv=$seq" -o /dev/null 2>&1 |
    awk -v s=$seq '/ head [0-9]+: / { for (i = 1; i < NF; ++i) if ($i == "kept") { kept += $(i + 1); heads++ } }
                   END { if (heads) printf "%.6f", kept / (heads * s * s) }')
  [ -n "$density" ] || { echo "$name: no density from the sparsity report" >&2; exit 1; }
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$density" "${bars[$name]:--}" "$q_heads" "$kv_heads" "$head_dim" >> "$prepared/cases.tsv"
done
cat "$prepared/cases.tsv"
