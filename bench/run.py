#!/usr/bin/env python3
"""The NVIDIA benchmark, on the GPU machine (after bench/prepare.sh here):

    python3 bench/run.py PREPARED --anchors DIR_OR_FILE [--out DIR] [--no-anchors]
                         [--baseline PREPARED_BASELINE]

For each case of PREPARED/cases.tsv (bf16, B=2, S=16384, forward; H=16 and
D=128 unless the case's columns say otherwise): a quick check of the CUDA kernel against the bundle's host binary
at a ragged size, then attn-run's timing (CUDA events, median of 30 runs
after warm-up, inputs rotated past twice the L2) with the compiler's useful
density. With --baseline, the same cases of another bench/prepare.sh folder
(an earlier compiler's bundles) are timed right after each of ours, so that
a change is measured against what it replaces in one run. Then the same five
cases of ../shared/bench/anchors.py (its case() only: FlexAttention and the
SDPA backends), in the same process; the cases anchors.py has no shape for
(head dimensions 64 and 256, GQA) through bench/anchor_timing.py, which
times the same libraries. Prints one table and writes it as
markdown to OUT (default $OUT or .) as bench.md.
"""
import argparse
import datetime
import importlib.util
import os
import re
import subprocess
import sys

B, H, S, D = 2, 16, 16384, 128
CHECK_ARGS = ["--batch", "1", "--seq-q", "1000", "--seq-kv", "1333"]


def attn_run(prepared, name, extra):
    cmd = [os.path.join(prepared, "bin", "attn-run"),
           os.path.join(prepared, "bundles", name + ".atnb"), "--target", "cuda"] + extra
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    return proc.returncode, proc.stdout + proc.stderr


def field(text, key):
    m = re.search(r"\b" + key + r"=([^\s]+)", text)
    return m.group(1) if m else None


def time_case(prepared, name, density, log, label):
    rc, out = attn_run(prepared, name, ["--check"] + CHECK_ARGS)
    log.write(f"## {name} {label} check\n{out}\n")
    check = "PASS" if rc == 0 else "FAIL"
    rc, out = attn_run(prepared, name, ["--batch", str(B), "--seq-q", str(S), "--seq-kv", str(S),
                                        "--runs", "30", "--useful-density", density])
    log.write(f"## {name} {label} timing\n{out}\n")
    ms, tflops = field(out, "median_ms"), field(out, "tflops")
    if rc != 0 or ms is None or tflops is None:
        err = next((l for l in out.splitlines() if "error" in l), out.strip()[-200:])
        return dict(check=check, error=err)
    return dict(check=check, ms=float(ms), tflops=float(tflops))


def run_ours(prepared, cases, log, baseline=None):
    results, base = {}, {}
    for name, density, *_ in cases:
        results[name] = time_case(prepared, name, density, log, "ours")
        print(name, results[name], flush=True)
        if baseline:
            base[name] = time_case(baseline, name, density, log, "baseline")
            print(name, "baseline", base[name], flush=True)
    return results, base


# The cases anchors.py's case() cannot shape, timed by bench/anchor_timing.py;
# with --no-flex also dense and causal (the SDPA backends alone, without
# anchors.py's FlexAttention compilations).
OTHER_SHAPES = {"dense_d64": dict(sdpa="full"), "dense_d256": dict(sdpa="full"),
                "causal_gqa": dict(sdpa="causal", causal=True)}
SDPA_ONLY = dict(OTHER_SHAPES, dense=dict(sdpa="full"), causal=dict(sdpa="causal", causal=True))


def run_other_anchors(cases, log, flex=True):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import anchor_timing
    import flex_mods
    plans = OTHER_SHAPES if flex else SDPA_ONLY
    results = {}
    for name, _density, _bar, q_heads, kv_heads, head_dim in cases:
        if name not in plans:
            continue
        plan = dict(plans[name])
        mask_mod = flex_mods.causal if plan.pop("causal", False) else None
        q_heads, kv_heads, head_dim = int(q_heads), int(kv_heads), int(head_dim)
        density = anchor_timing.kept_fraction(mask_mod, 1, S) if mask_mod else 1.0
        timed = anchor_timing.time_anchors(B, q_heads, kv_heads, S, head_dim, mask_mod=mask_mod,
                                           flex=flex, log=log, **plan)
        flops = 4.0 * B * q_heads * S * S * head_dim * density
        results[name] = dict(density=round(density, 4),
                             impls={impl: round(flops / (ms * 1e9), 1)
                                    for impl, ms in timed.items() if isinstance(ms, float)})
    return results


def run_anchors(path, log):
    if os.path.isdir(path):
        path = os.path.join(path, "anchors.py")
    spec = importlib.util.spec_from_file_location("anchors", path)
    anchors = importlib.util.module_from_spec(spec)
    # torch.compile re-imports the module of a score_mod by name.
    sys.modules["anchors"] = anchors
    spec.loader.exec_module(anchors)
    plan = {
        "dense": dict(name="full", sdpa="full"),
        "causal": dict(name="causal", mask_mod=anchors.causal, sdpa="causal"),
        "sliding_window_1024": dict(name="sliding1024", mask_mod=anchors.sliding(1024)),
        "s2": dict(name="s2_dkernel_l16_v8", mask_mod=anchors.s2(16, 8)),
        "causal_softcap50": dict(name="causal_softcap50", mask_mod=anchors.causal,
                                 score_mod=anchors.softcap(50.0)),
    }
    results = {}
    for ours, kwargs in plan.items():
        kwargs = dict(kwargs)
        name = kwargs.pop("name")
        before = len(anchors.rows)
        try:
            anchors.case(name, B, H, S, D, **kwargs)
        except Exception as e:  # an anchor failing must not hide the others
            log.write(f"anchor {name} failed: {e}\n")
        rows = anchors.rows[before:]
        results[ours] = dict(density=rows[0]["density"] if rows else None,
                             impls={r["impl"]: r["tflops"] for r in rows})
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("prepared")
    parser.add_argument("--anchors", help="anchors.py or its folder")
    parser.add_argument("--no-anchors", action="store_true")
    parser.add_argument("--no-flex", action="store_true",
                        help="time the SDPA backends alone (dense, causal and the other "
                             "shapes), not FlexAttention")
    parser.add_argument("--out", default=os.environ.get("OUT", "."))
    parser.add_argument("--baseline", help="a bench/prepare.sh folder of another compiler to time alongside")
    args = parser.parse_args()
    if not args.no_anchors and not args.anchors:
        parser.error("--anchors PATH is required (or --no-anchors)")
    with open(os.path.join(args.prepared, "cases.tsv")) as f:
        # case, density, bar[, q_heads, kv_heads, head_dim] (older folders: 16, 16, 128)
        cases = [(line.rstrip("\n").split("\t") + ["16", "16", "128"])[:6] for line in f][1:]
    os.makedirs(args.out, exist_ok=True)
    try:
        gpu = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True).stdout.strip()
    except FileNotFoundError:
        gpu = "no nvidia-smi"
    with open(os.path.join(args.out, "bench.log"), "w") as log:
        ours, base = run_ours(args.prepared, cases, log, args.baseline)
        anchors = {}
        if not args.no_anchors:
            if not args.no_flex and any(c[0] not in OTHER_SHAPES for c in cases):
                anchors.update(run_anchors(args.anchors, log))
            anchors.update(run_other_anchors(cases, log, flex=not args.no_flex))

    impls = ["flex", "sdpa_cudnn", "sdpa_flash", "sdpa_mem_eff"]
    lines = ["# attn NVIDIA benchmark", "",
             f"{gpu}; {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; bf16 forward, "
             f"B={B}, S={S}, H={H} and D={D} unless the case says otherwise (H, D in the case column). "
             "TFLOP/s on useful work, 4*B*H*D*kept pairs / time; "
             "ours: median of 30 CUDA-event timings after 5 warm-ups, inputs rotated past 2x L2; "
             "anchors: triton do_bench median, same process. Density: ours from the compiler's "
             "sparsity report (exact), anchors' from anchors.py's sampled count of its own mask.", "",
             "| case | density (ours / anchor) | check | ms | TFLOP/s | bar | bar met | "
             + ("baseline TFLOP/s | ours / baseline | " if args.baseline else "")
             + " | ".join(impls) + " | ours / best anchor |",
             "|---" * (8 + (2 if args.baseline else 0) + len(impls)) + "|"]
    for name, density, bar, q_heads, kv_heads, head_dim in cases:
        o = ours[name]
        if (q_heads, kv_heads, head_dim) != ("16", "16", "128"):
            shape = f"Hq={q_heads}" + (f", Hkv={kv_heads}" if kv_heads != q_heads else "") + f", D={head_dim}"
        else:
            shape = ""
        a = anchors.get(name, dict(density=None, impls={}))
        cells = [str(a["impls"].get(i, "-")) for i in impls]
        best = max(a["impls"].values(), default=None)
        versus = ""
        if args.baseline:
            b = base.get(name, {})
            if "tflops" in b and "tflops" in o:
                versus = f"{b['tflops']:.1f} ({b['check']}) | {o['tflops'] / b['tflops']:.3f} | "
            else:
                versus = f"{b.get('error', '-')} | - | "
        if "error" in o:
            lines.append(f"| {name}{' (' + shape + ')' if shape else ''} | {density} / {a['density'] or '-'} | {o['check']} | - | - | {bar} | no: {o['error']} | "
                         + versus + " | ".join(cells) + " | - |")
            continue
        met = "-" if bar == "-" else ("yes" if o["tflops"] >= float(bar) else "NO")
        ratio = f"{o['tflops'] / best:.2f}" if best else "-"
        lines.append(f"| {name}{' (' + shape + ')' if shape else ''} | {density} / {a['density'] or '-'} | {o['check']} | {o['ms']:.3f} | {o['tflops']:.1f} | "
                     f"{bar} | {met} | " + versus + " | ".join(cells) + f" | {ratio} |")
    table = "\n".join(lines) + "\n"
    print(table)
    with open(os.path.join(args.out, "bench.md"), "w") as f:
        f.write(table)


if __name__ == "__main__":
    sys.exit(main())
