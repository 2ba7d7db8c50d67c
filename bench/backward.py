#!/usr/bin/env python3
"""The backward benchmark of issue 15 (bf16, B=2, H=16, D=128, S=16384):

    python3 bench/backward.py prepare PREPARED [--build BUILD]   # here (MLIR)
    python3 bench/backward.py device PREPARED [--out OUT]        # GPU machine

prepare compiles bench/specs/{dense, causal, sliding_window_1024, s2,
causal_softcap50, documents}.mlir with grad=true for host,sm_90 (ptxas'
resource report in PREPARED/logs), records the useful density of the masks
without data operands from the compiler's sparsity report, and builds the
MLIR-free attn-run (scripts/build-nomlir-attn-run.sh; ATTN_NOMLIR_BUILD=DIR
reuses a build).

device, per case (--only picks cases; --no-flex leaves FlexAttention out):
  - attn-run --target cuda --gradients --check at B=1, Sq=Skv=1000 (ragged):
    dQ, dK, dV of the GPU against the bundle's host binary, bit-identical
    across two runs;
  - attn-run timings of the forward and of the backward at the benchmark
    size (median of 30 CUDA-event timings);
  - the anchors' backward in this process (bench/anchor_timing.py):
    FlexAttention with the equivalent mask_mod/score_mod
    (bench/flex_mods.py), and for dense/causal SDPA's cuDNN, FlashAttention-2
    and memory-efficient backends.
Documents: 8 documents of 2048 tokens per sequence, ids = position / 2048,
passed to attn-run as data0.npy. Useful TFLOP/s: forward 4 B H S^2 D
density / time, backward 2.5 times that (its five products against the
forward's two), the density exact for both sides (ours from the sparsity
report, or counted from the mask_mod for documents; the anchors' counted
from their mask_mod). Writes OUT/backward.md (the table and the bars) and
OUT/backward.log.
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
B, H, S, D = 2, 16, 16384, 128
DOCUMENTS = 8
CASES = ["dense", "causal", "sliding_window_1024", "s2", "causal_softcap50", "documents"]
# Issue 15's bars: dense and causal against FlashAttention-2's backward, the
# masked cases against 1.5 x FlexAttention's.
BARS = {"dense": ("sdpa_flash", 1.0), "causal": ("sdpa_flash", 1.0),
        "sliding_window_1024": ("flex", 1.5), "s2": ("flex", 1.5),
        "causal_softcap50": ("flex", 1.5), "documents": ("flex", 1.5)}
CHECK = ["--batch", "1", "--seq-q", "1000", "--seq-kv", "1000", "--seed", "3"]


def sparsity_density(attn_opt, spec):
    report = subprocess.run([attn_opt, spec, f"--attn-report-sparsity=seq-q={S} seq-kv={S}",
                             "-o", "/dev/null"], capture_output=True, text=True)
    kept = [int(m) for m in re.findall(r" head \d+: .*?\bkept (\d+)", report.stdout + report.stderr)]
    return sum(kept) / (len(kept) * S * S) if kept else None


def prepare(args):
    prepared = Path(args.prepared).resolve()
    (prepared / "bundles").mkdir(parents=True, exist_ok=True)
    (prepared / "logs").mkdir(exist_ok=True)
    attn_opt = str(Path(args.build) / "bin" / "attn-opt")
    cases = {}
    for name in CASES:
        spec = str(HERE / "specs" / f"{name}.mlir")
        log = prepared / "logs" / f"{name}.compile.log"
        with open(log, "w") as f:
            rc = subprocess.run([attn_opt, spec, "--attn-compile=targets=host,sm_90 grad=true "
                                 f"report-resources output={prepared / 'bundles' / name}.atnb",
                                 "-o", "/dev/null"], stdout=f, stderr=subprocess.STDOUT).returncode
        if rc != 0:
            sys.exit(f"{name}: compile failed, see {log}")
        cases[name] = None if name == "documents" else sparsity_density(attn_opt, spec)
        if name != "documents" and cases[name] is None:
            sys.exit(f"{name}: no density from the sparsity report")
    (prepared / "cases.json").write_text(json.dumps(cases, indent=1) + "\n")
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    (prepared / "commit.txt").write_text((commit or "unknown") + "\n")
    subprocess.run([str(ROOT / "scripts" / "build-nomlir-attn-run.sh"), str(prepared)], check=True)
    print(json.dumps(cases, indent=1))


def field(text, key):
    found = re.findall(r"\b" + key + r"=([0-9.eE+-]+)", text)
    return float(found[-1]) if found else None


def device(args):
    import numpy
    sys.path.insert(0, str(HERE))
    import anchor_timing
    import flex_mods

    prepared = Path(args.prepared).resolve()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cases = json.loads((prepared / "cases.json").read_text())
    run = str(prepared / "bin" / "attn-run")
    documents_dir = Path("/tmp/attn-backward-documents")
    documents_dir.mkdir(exist_ok=True)
    ids = (numpy.arange(S, dtype=numpy.int32) // (S // DOCUMENTS))[None, :].repeat(B, axis=0)
    numpy.save(documents_dir / "data0.npy", ids)
    mods = {"dense": dict(sdpa="full"),
            "causal": dict(mask_mod=flex_mods.causal, sdpa="causal"),
            "sliding_window_1024": dict(mask_mod=flex_mods.sliding(1024)),
            "s2": dict(mask_mod=flex_mods.s2_heads(16, 8)),
            "causal_softcap50": dict(mask_mod=flex_mods.causal, score_mod=flex_mods.softcap(50.0)),
            "documents": dict(mask_mod=flex_mods.equal_documents(S, DOCUMENTS))}
    gpu = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                         capture_output=True, text=True).stdout.strip()
    log = open(out / "backward.log", "w")

    def attn_run(name, extra):
        command = [run, str(prepared / "bundles" / f"{name}.atnb"), "--target", "cuda"] + extra
        proc = subprocess.run(command, capture_output=True, text=True, timeout=600)
        log.write(f"$ {' '.join(command)}\n{proc.stdout}{proc.stderr}\n")
        log.flush()
        return proc.returncode, proc.stdout + proc.stderr

    rows = {}
    for name in args.only or CASES:
        row = rows[name] = {}
        rc, text = attn_run(name, ["--gradients", "--check"] + CHECK)
        row["check"] = "PASS" if rc == 0 else "FAIL"
        row["errors"] = {g: (re.search(rf"^{g}: rel_err=([^\s]+)", text, re.M) or [None, "-"])[1]
                         for g in ("dq", "dk", "dv")}
        row["identical"] = (re.search(r"bit-identical: (\w+)", text) or [None, "-"])[1]
        mask = mods[name].get("mask_mod")
        anchor_density = anchor_timing.kept_fraction(mask, H if getattr(mask, "per_head", False) else 1, S) \
            if mask else 1.0
        density = cases[name] if cases[name] is not None else anchor_density
        row["density"], row["anchor_density"] = density, anchor_density
        timing = ["--batch", str(B), "--seq-q", str(S), "--seq-kv", str(S), "--runs", "30",
                  "--useful-density", f"{density:.8f}"]
        if name == "documents":
            timing += ["--inputs", str(documents_dir)]
        forward_flops = 4.0 * B * H * S * S * D
        _, text = attn_run(name, timing)
        row["forward_ms"] = field(text, "median_ms")
        _, text = attn_run(name, ["--gradients"] + timing)
        row["backward_ms"] = field(text, "median_ms")
        for key, factor in (("forward", 1.0), ("backward", 2.5)):
            ms = row[f"{key}_ms"]
            row[f"{key}_tflops"] = factor * forward_flops * density / (ms * 1e9) if ms else None
        timed = anchor_timing.time_anchors(B, H, H, S, D, backward=True, log=log,
                                           flex=not args.no_flex, **mods[name])
        row["anchors"] = {impl: 2.5 * forward_flops * anchor_density / (ms * 1e9)
                          for impl, ms in timed.items() if isinstance(ms, float)}
        row["anchor_errors"] = {k: v for k, v in timed.items() if not isinstance(v, float)}
        print(name, json.dumps(row), flush=True)
        (out / "backward.json").write_text(json.dumps(rows, indent=1) + "\n")
        write_table(out, rows, gpu, prepared)


def cell(value, digits=1):
    return "-" if value is None else f"{value:.{digits}f}"


def write_table(out, rows, gpu, prepared):
    commit = (prepared / "commit.txt").read_text().strip() if (prepared / "commit.txt").exists() else "unknown"
    impls = ["sdpa_flash", "sdpa_cudnn", "flex"]
    lines = [
        "# Backward benchmark (bench/backward.py)", "",
        f"{gpu}; {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; bundles of commit "
        f"{commit}. bf16, B={B}, H={H}, S={S}, D={D}. Useful TFLOP/s: forward 4*B*H*S^2*D*density / time, "
        "backward 2.5x that. Ours: attn-run, median of 30 CUDA-event timings; anchors: triton do_bench "
        "medians in the same process (backward: torch.autograd.grad with retain_graph). Check: "
        "attn-run --gradients --check at B=1, S=1000 against the host binary.", "",
        "| case | density (ours / anchor) | check | dq / dk / dv rel. err | bit-identical | "
        "forward TFLOP/s | backward ms | backward TFLOP/s | "
        + " | ".join(f"{i} backward" for i in impls) + " | bar | ratio | met |",
        "|---" * (11 + len(impls)) + "|"]
    for name, row in rows.items():
        anchors = row["anchors"]
        target, factor = BARS[name]
        reference = anchors.get(target)
        ratio = row["backward_tflops"] / reference if reference and row["backward_tflops"] else None
        met = "-" if ratio is None else ("yes" if ratio >= factor else "NO")
        errors = " / ".join(str(row["errors"][g]) for g in ("dq", "dk", "dv"))
        lines.append(
            f"| {name} | {row['density']:.4f} / {row['anchor_density']:.4f} | {row['check']} | {errors} | "
            f"{row['identical']} | {cell(row['forward_tflops'])} | {cell(row['backward_ms'], 3)} | "
            f"{cell(row['backward_tflops'])} | "
            + " | ".join(cell(anchors.get(i)) for i in impls)
            + f" | >= {factor}x {target} | {cell(ratio, 2)} | {met} |")
    errors = {n: r["anchor_errors"] for n, r in rows.items() if r["anchor_errors"]}
    if errors:
        lines += ["", "Anchors that failed: " + json.dumps(errors)]
    (out / "backward.md").write_text("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("prepare", "device"))
    parser.add_argument("prepared")
    parser.add_argument("--build", default=str(ROOT / "build"))
    parser.add_argument("--out", default=os.environ.get("OUT", "."))
    parser.add_argument("--only", nargs="+", choices=CASES, metavar="CASE",
                        help="device: these cases, in this order (default: all)")
    parser.add_argument("--no-flex", action="store_true",
                        help="device: SDPA anchors only (FlexAttention's compilations "
                             "are most of a run's time)")
    args = parser.parse_args()
    prepare(args) if args.mode == "prepare" else device(args)


if __name__ == "__main__":
    main()
