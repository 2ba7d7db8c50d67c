#!/usr/bin/env python3
"""attn next to its anchors, through the Python package, in one process.

    /usr/bin/python3 bench/compare.py precompile DIR [--spec X.mlir ...]   # here
    python3 bench/compare.py run DIR [--out OUT]                            # GPU machine
    /usr/bin/python3 bench/compare.py dry-run [--out OUT]                   # here, CPU

For every case (the anchors' cases of ../shared/bench/anchors.py at D = 128,
S = 16384, or all of them with --full, as
FlexAttention mask_mods traced by attn.from_mask_mod, plus any example spec
given to precompile): attn.attention, FlexAttention (torch.compile'd, with
the same mask_mod through create_block_mask) and, for dense and causal
cases, SDPA's flash and cuDNN backends. Outputs are compared before any
timing (a case whose outputs disagree is not timed). Times are medians of
triton.testing.do_bench (25 ms warm-up, 100 ms of runs). Useful TFLOP/s =
4 * B * H * S * S * D * density / time, the density being the fraction of
(h, q, k) the mask keeps (counted on the GPU). Also reports attn's compile
time per spec (measured by `precompile` with an empty cache) and
FlexAttention's create_block_mask time at 16k, 64k and 128k.

Writes OUT/compare.json, OUT/compare.md and OUT/compare.png (matplotlib) or
OUT/compare.svg. `dry-run` runs the same pipeline on the CPU at small sizes
(attn only, checked against a float64 NumPy reference) to test the script
without a GPU; its numbers are CPU numbers and say so.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "python"))
sys.path.insert(0, str(HERE))
os.environ.setdefault("ATTN_CUDA_TARGETS", "sm_90")  # the same specs here and there

import attn  # noqa: E402
import flex_mods as fm  # noqa: E402

AGREE = 2e-2  # relative difference between bf16 attn and FlexAttention outputs


def cases(dry=False, full=True):
    """(name, B, H, S, D, mask_mod, score_mod, sdpa) like anchors.py's main;
    without `full`, its D = 128, S = 16384 block only."""
    if dry:
        return [("causal", 1, 2, 300, 64, fm.causal, None, "causal"),
                ("sliding64", 1, 2, 300, 64, fm.sliding(64), None, None),
                ("docs4", 1, 2, 320, 64, fm.equal_documents(320, 4), None, None),
                ("s2_l4_v8_b16", 1, 2, 300, 64, fm.s2_heads(4, 8, block=16), None, None),
                ("causal_softcap50", 1, 2, 300, 64, fm.causal, fm.softcap(50.0), None)]
    out = [("s2_dkernel_l16_v8", 2, 16, 16384, 128, fm.s2_heads(16, 8), None, None),
           ("natten2d_128x128_k13", 2, 16, 16384, 128, fm.natten2d(128, 13), None, None),
           ("sliding4096_gemma2", 2, 16, 16384, 128, fm.sliding(4096), fm.softcap(50.0), None)]
    for d in (64, 128) if full else (128,):
        h = 2048 // d
        for s in (4096, 16384) if full else (16384,):
            b = max(1, 32768 // s)
            out += [("full", b, h, s, d, None, None, "full"),
                    ("causal", b, h, s, d, fm.causal, None, "causal"),
                    ("sliding1024", b, h, s, d, fm.sliding(1024), None, None),
                    ("docs8", b, h, s, d, fm.equal_documents(s, 8), None, None),
                    ("s2_l4_v8", b, h, s, d, fm.s2_heads(4, 8), None, None)]
            if d == 128:
                out.append(("causal_softcap50", b, h, s, d, fm.causal, fm.softcap(50.0), None))
    return out


def shapes(b, h, s, d, dtype="bf16"):
    return [(dtype, (b, h, s, d))] * 3


def progress(done, total, label):
    width = 30
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label:<40}")
    sys.stderr.flush()
    if done == total:
        sys.stderr.write("\n")


def precompile(folder, specs):
    """Compiles every case's spec for sm_90 into folder/cache, timing each
    compilation with an empty cache."""
    folder = Path(folder)
    if (folder / "cache").exists():
        sys.exit(f"{folder / 'cache'} exists; compile times are measured with an empty cache")
    os.environ["ATTN_CACHE_DIR"] = str(folder / "cache")
    if attn.compiler_version() is None:
        sys.exit("compare.py precompile needs libattn_compiler.so (ATTN_LIBRARY_DIR)")
    times, by_spec = {}, {}
    todo = cases()
    for n, (name, b, h, s, d, mask_mod, score_mod, _) in enumerate(todo):
        progress(n, len(todo) + len(specs), name)
        started = time.perf_counter()
        kernel = attn.prepare(*shapes(b, h, s, d), mask=mask_mod, score_mod=score_mod,
                              device="cuda")
        # Lengths share a spec (S is dynamic): its one compilation counts.
        elapsed = by_spec.setdefault(kernel.spec, time.perf_counter() - started)
        times[f"{name} S={s} D={d}"] = elapsed
    for n, path in enumerate(specs):
        progress(len(todo) + n, len(todo) + len(specs), Path(path).name)
        started = time.perf_counter()
        attn.compile(Path(path), targets="sm_90")
        times[f"spec {Path(path).stem}"] = time.perf_counter() - started
    progress(len(todo) + len(specs), len(todo) + len(specs), "done")
    (folder / "compile_times.json").write_text(json.dumps(
        {"compiler": attn.compiler_version(), "seconds": times,
         "specs": [str(Path(p).resolve()) for p in specs],
         "spec_texts": {Path(p).stem: Path(p).read_text() for p in specs}}, indent=1))
    print(f"precompiled {len(times)} specs into {folder / 'cache'}")


def density_of(mask_mod, b, h, s, torch, device):
    """Exact fraction of (b, h, q, k) the mask keeps, counted in query chunks."""
    if mask_mod is None:
        return 1.0
    kept = 0
    k = torch.arange(s, device=device)[None, :]
    for head in range(h):
        hh = torch.tensor(head, device=device)
        for start in range(0, s, 2048):
            q = torch.arange(start, min(s, start + 2048), device=device)[:, None]
            kept += int(mask_mod(torch.tensor(0, device=device), hh, q, k).sum())
    return kept / (h * s * s)


def run(folder, out, full):
    import torch
    import torch.nn.functional as F
    import triton.testing as tt
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.nn.attention.flex_attention import create_block_mask, flex_attention
    import torch._dynamo
    torch._dynamo.config.cache_size_limit = 4096
    torch._dynamo.config.accumulated_cache_size_limit = 4096

    folder = Path(folder)
    os.environ["ATTN_CACHE_DIR"] = str(folder / "cache")
    info = json.loads((folder / "compile_times.json").read_text())
    dev = "cuda"
    flex = torch.compile(flex_attention, dynamic=False)
    bench = lambda fn: tt.do_bench(fn, warmup=25, rep=100, return_mode="median")  # noqa: E731
    rows = []
    todo = cases(full=full) + [(f"spec {Path(p).stem}", None, None, None, None, None, None, None)
                      for p in info["specs"]]
    for n, (name, b, h, s, d, mask_mod, score_mod, sdpa) in enumerate(todo):
        progress(n, len(todo), f"{name} {s or ''}")
        row = {"case": name, "B": b, "H": h, "S": s, "D": d}
        try:
            if name.startswith("spec "):
                row.update(run_spec(info["spec_texts"][name[5:]], torch, bench))
            else:
                q, k, v = (torch.randn(b, h, s, d, device=dev, dtype=torch.bfloat16)
                           for _ in range(3))
                row["density"] = density_of(mask_mod, b, h, s, torch, dev)
                flops = 4.0 * b * h * s * s * d * row["density"]
                mask = attn.from_mask_mod(mask_mod) if mask_mod else None
                score = attn.from_score_mod(score_mod) if score_mod else None
                ours = lambda: attn.attention(q, k, v, mask=mask, score_mod=score)  # noqa: E731
                o = ours()
                per_head = getattr(mask_mod, "per_head", False)
                block_mask = create_block_mask(mask_mod, None, h if per_head else None, s, s,
                                               device=dev) if mask_mod else None
                theirs = lambda: flex(q, k, v, block_mask=block_mask,  # noqa: E731
                                      score_mod=score_mod)
                reference = theirs()
                row["difference"] = ((o.float() - reference.float()).norm()
                                     / reference.float().norm()).item()
                if not row["difference"] < AGREE:
                    row["error"] = f"outputs disagree ({row['difference']:.3g}); not timed"
                else:
                    for impl, fn in [("attn", ours), ("flex", theirs)] + sdpa_impls(
                            sdpa, q, k, v, F, sdpa_kernel, SDPBackend):
                        try:
                            ms = bench(fn)
                            row[impl] = {"ms": ms, "tflops": flops / ms / 1e9}
                        except Exception as error:  # one backend may not apply
                            row[impl] = {"error": str(error)[:200]}
                key = f"{name} S={s} D={d}"
                row["compile_s"] = info["seconds"].get(key)
        except Exception as error:
            row["error"] = f"{type(error).__name__}: {str(error)[:300]}"
        rows.append(row)
    progress(len(todo), len(todo), "done")

    cbm = {}
    mask_mod = fm.sliding(1024)
    create_block_mask(mask_mod, None, None, 16384, 16384, device=dev)  # warm-up
    for s in (16384, 65536, 131072):
        try:
            torch.cuda.synchronize()
            started = time.perf_counter()
            create_block_mask(mask_mod, None, None, s, s, device=dev)
            torch.cuda.synchronize()
            cbm[s] = time.perf_counter() - started
        except Exception as error:  # e.g. out of memory at 128k
            cbm[s] = f"{type(error).__name__}: {str(error)[:120]}"
    machine = f"{torch.cuda.get_device_name()}, PyTorch {torch.__version__}"
    write(out, rows, cbm, info, machine, "bf16, forward, useful TFLOP/s")


def sdpa_impls(sdpa, q, k, v, F, sdpa_kernel, SDPBackend):
    if sdpa is None:
        return []
    out = []
    for backend, label in ((SDPBackend.FLASH_ATTENTION, "sdpa_flash"),
                           (SDPBackend.CUDNN_ATTENTION, "sdpa_cudnn")):
        def fn(backend=backend):
            with sdpa_kernel(backend):
                return F.scaled_dot_product_attention(q, k, v, is_causal=sdpa == "causal")
        out.append((label, fn))
    return out


def run_spec(text, torch, bench):
    """An example spec at B=2, S=16384 with its own inputs (data operands
    are not generated here: specs with data operands are reported as such)."""
    kernel = attn.compile(text, targets="sm_90")
    if len(kernel.inputs) != 3:
        return {"error": "spec reads data operands; give them with attn.compile in a script"}
    dims = {a.name: a.dims for a in kernel.inputs}
    dtype = {"bf16": torch.bfloat16, "f16": torch.float16, "f32": torch.float32}[
        kernel.inputs[0].dtype]
    s = 16384
    sizes = {"B": 2, "Sq": s, "Skv": s}
    q, k, v = (torch.randn(*[extent if extent is not None else sizes[symbol]
                             for extent, symbol in dims[n]], device="cuda", dtype=dtype)
               for n in ("q", "k", "v"))
    ms = bench(lambda: kernel(q, k, v))
    flops = 4.0 * q.shape[0] * q.shape[1] * s * s * q.shape[3]
    return {"B": 2, "H": q.shape[1], "S": s, "D": q.shape[3], "density": None,
            "attn": {"ms": ms, "dense_equivalent_tflops": flops / ms / 1e9}}


def dry_run(out):
    """The pipeline on the CPU at small sizes: attn only, checked against a
    float64 NumPy reference, so that the script itself is tested here."""
    import numpy as np
    sys.path.insert(0, str(HERE.parent / "python" / "tests"))
    import reference
    rng = np.random.default_rng(5)
    rows = []
    todo = cases(dry=True)
    for n, (name, b, h, s, d, mask_mod, score_mod, _) in enumerate(todo):
        progress(n, len(todo), name)
        q, k, v = (rng.standard_normal((b, h, s, d), dtype=np.float32) for _ in range(3))
        started = time.perf_counter()
        kernel = attn.prepare(q, k, v, mask=mask_mod, score_mod=score_mod)
        compile_s = time.perf_counter() - started
        o = attn.attention(q, k, v, mask=mask_mod, score_mod=score_mod)
        bi, hi, ii, ji = reference.grid(b, h, s, s)
        keep = mask_mod(bi, hi, ii, ji) if mask_mod else None
        # NumPy arrays have no .tanh(): the one dry score mod is soft-capping.
        want, _ = reference.attention(q, k, v, keep, None, score_mod and (
            lambda x: 50.0 * np.tanh(x / 50.0)))
        density = float(np.broadcast_to(keep, (b, h, s, s)).mean()) if keep is not None else 1.0
        row = {"case": name, "B": b, "H": h, "S": s, "D": d, "density": density,
               "difference": reference.rel_err(o, want), "compile_s": compile_s,
               "kernel": kernel.name}
        if row["difference"] < 1e-5:
            times = []
            for _ in range(5):
                started = time.perf_counter()
                attn.attention(q, k, v, mask=mask_mod, score_mod=score_mod)
                times.append(time.perf_counter() - started)
            ms = sorted(times)[2] * 1e3
            row["attn"] = {"ms": ms, "tflops": 4.0 * b * h * s * s * d * density / ms / 1e9}
        else:
            row["error"] = f"outputs disagree ({row['difference']:.3g}); not timed"
        rows.append(row)
    progress(len(todo), len(todo), "done")
    write(out, rows, {}, {"compiler": attn.compiler_version()}, "host CPU (dry run)",
          "f32, forward, dry run on the CPU at small sizes: not a GPU measurement")
    return all("error" not in r for r in rows)


def write(out, rows, cbm, info, machine, what):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    date = time.strftime("%Y-%m-%d")
    (out / "compare.json").write_text(json.dumps(
        {"machine": machine, "date": date, "what": what, "compiler": info.get("compiler"),
         "rows": rows, "create_block_mask_s": cbm}, indent=1))
    impls = [i for i in ("attn", "flex", "sdpa_flash", "sdpa_cudnn")
             if any(isinstance(r.get(i), dict) for r in rows)]

    def cell(r, impl):
        x = r.get(impl)
        if not isinstance(x, dict):
            return "-"
        if "error" in x:
            return "error"
        if "tflops" in x:
            value = x["tflops"]
            return f"{value:.1f}" if value >= 10 else f"{value:.3g}"
        # An example spec's density is not counted here: label the rate.
        return f"{x['dense_equivalent_tflops']:.1f} dense-equivalent"

    lines = [f"# attn and its anchors ({machine}, {date})", "", what, "",
             "| case | B | H | S | D | density | " + " | ".join(impls)
             + " | attn / best other | attn compile (s) | notes |",
             "|---|---|---|---|---|---|" + "---|" * len(impls) + "---|---|---|"]
    for r in rows:
        best = max((r[i]["tflops"] for i in impls[1:] if isinstance(r.get(i), dict)
                    and "tflops" in r[i]), default=None)
        ours = r.get("attn", {}).get("tflops") if isinstance(r.get("attn"), dict) else None
        ratio = f"{ours / best:.2f}" if ours and best else "-"
        density = f"{r['density']:.4f}" if r.get("density") is not None else "-"
        compile_s = f"{r['compile_s']:.2f}" if r.get("compile_s") is not None else "-"
        lines.append(f"| {r['case']} | {r.get('B')} | {r.get('H')} | {r.get('S')} | {r.get('D')} "
                     f"| {density} | " + " | ".join(cell(r, i) for i in impls)
                     + f" | {ratio} | {compile_s} | {r.get('error', '')} |")
    if cbm:
        lines += ["", "FlexAttention create_block_mask (sliding window 1024, after a warm-up "
                  "call): " + ", ".join(f"S={s}: " + (f"{t * 1e3:.1f} ms" if isinstance(t, float) else t)
                              for s, t in cbm.items()),
                  "attn classifies tiles when it compiles the spec; its compile times are in "
                  "the table (once per spec, any length)."]
    (out / "compare.md").write_text("\n".join(lines) + "\n")
    chart(out, rows, impls, f"{machine}, {date}")
    print("\n".join(lines))


def chart(out, rows, impls, title):
    labels = [f"{r['case']} {r.get('S')}/{r.get('D')}" for r in rows]
    values = {i: [r[i].get("tflops", 0) if isinstance(r.get(i), dict) else 0 for r in rows]
              for i in impls}
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return svg_chart(out / "compare.svg", labels, values, title)
    fig, ax = plt.subplots(figsize=(max(8, len(rows) * 0.9), 5))
    width = 0.8 / max(len(impls), 1)
    for n, impl in enumerate(impls):
        ax.bar([x + n * width for x in range(len(rows))], values[impl], width, label=impl)
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(rows))], labels, rotation=60,
                  ha="right", fontsize=7)
    ax.set_ylabel("useful TFLOP/s")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "compare.png", dpi=120)


def svg_chart(path, labels, values, title):
    """A grouped bar chart without matplotlib."""
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]
    group = 18 * max(len(values), 1) + 12
    width, height, base = 60 + group * len(labels), 420, 300
    top = max([v for vs in values.values() for v in vs] + [1e-9])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="10">',
             f'<text x="10" y="16" font-size="13">{title}: useful TFLOP/s</text>']
    for n, label in enumerate(labels):
        x0 = 50 + n * group
        for m, (impl, vs) in enumerate(values.items()):
            h = 260 * vs[n] / top
            parts.append(f'<rect x="{x0 + 18 * m}" y="{base - h:.1f}" width="16" '
                         f'height="{h:.1f}" fill="{colors[m % 4]}"><title>{impl}: '
                         f'{vs[n]:.1f}</title></rect>')
        parts.append(f'<text transform="translate({x0 + 8},{base + 10}) rotate(60)">'
                     f'{label}</text>')
    for m, impl in enumerate(values):
        parts.append(f'<rect x="{60 + 90 * m}" y="26" width="10" height="10" '
                     f'fill="{colors[m % 4]}"/><text x="{74 + 90 * m}" y="35">{impl}</text>')
    parts.append("</svg>")
    path.write_text("\n".join(parts) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("precompile", "run", "dry-run"))
    parser.add_argument("dir", nargs="?", help="the precompile folder (precompile, run)")
    parser.add_argument("--spec", action="append", default=[], help="an example spec to add")
    parser.add_argument("--out", default=os.environ.get("OUT", "."))
    parser.add_argument("--full", action="store_true",
                        help="run: the anchors' whole sweep (D 64 and 128, S 4096 and 16384)")
    args = parser.parse_args()
    if args.mode != "dry-run" and not args.dir:
        parser.error(f"{args.mode} needs DIR")
    if args.mode == "precompile":
        precompile(args.dir, args.spec)
    elif args.mode == "run":
        run(args.dir, args.out, args.full)
    else:
        sys.exit(0 if dry_run(args.out) else 1)


if __name__ == "__main__":
    main()
