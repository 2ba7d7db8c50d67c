#!/usr/bin/env python3
"""Differential hunt: random attention specs, compiled, checked against the
float64 reference.

  scripts/difftest.py host --build build --cases 20 --seed 1 [--out DIR]
  scripts/difftest.py prepare --build build --cases 40 --seed 1 --out PREP
  scripts/difftest.py device --prepared PREP [--report R.md]   (GPU machine)

Each case is one spec drawn from a seeded generator: mask trees (and/or
nesting of every mask kind, with data operands where a kind needs them),
score mods (softcap, ALiBi, bias, arrays of them), custom mask and score
regions (some reading a data operand), GQA/MQA ratios, head dimensions,
element types, an optional LSE result, an optional scale, host tile
overrides, and ragged sizes with Sq != Skv. `host` compiles each for the
host target and runs `attn-run --target host --check` (the float64
reference on the same inputs); `prepare` compiles for host and sm_90 and
dumps reference outputs, `device` runs `attn-run --target cuda --check`
against them on the GPU machine (MLIR-free attn-run). Case seeds are
printed; `--only SEED` reruns one. A failing case keeps its spec, command
and log in OUT/failures/. Exit 1 when any case fails.
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import time

DTYPES = ["bf16", "f16", "f32"]


class Spec:
    """One generated spec: its text and how to run it."""

    def __init__(self, seed, gpu=False):
        self.seed = seed
        self.gpu = gpu  # head dimensions the NVIDIA target supports
        self.r = random.Random(seed)
        self.data = []        # data operand types, in order
        self.region_data = False
        self.static_seq = None  # Sq = Skv fixed (grids, ids)
        self.same_seq = False
        self.notes = []

    # -- masks ---------------------------------------------------------
    def data_operand(self, type_text):
        self.data.append(type_text)
        return len(self.data) - 1

    def leaf_mask(self, depth):
        r = self.r
        kinds = ["causal", "window", "sinks", "s2", "shifted_groups", "star",
                 "prefix_lm", "documents_offsets", "block_list", "block_mask"]
        if self.static_seq is None and not self.same_seq:
            kinds += ["neighborhood", "documents_ids"]
        kind = r.choice(kinds)
        if kind == "causal":
            return "#attn.causal"
        if kind == "window":
            left = r.choice([1, 2, 5, 17, 40, 1 << 30])
            right = r.choice([0, 0, 3, 11, 1 << 30])
            return f"#attn.window<left = {left}, right = {right}>"
        if kind == "sinks":
            return f"#attn.sinks<count = {r.choice([1, 3, 8, 100])}>"
        if kind == "s2":
            block = r.choice([1, 4, 8, 16, 24, 64, 1024])
            parts = [f"block = {block}", f"local = {r.choice([0, 1, 2, 4])}",
                     f"stride = {r.choice([1, 2, 3, 8])}"]
            if r.random() < 0.5:
                parts.append(f"offset = {r.choice([0, 1, 5, 1 << 30])}")
            if r.random() < 0.3:
                parts.append(f"dense_heads = {r.choice([0, 1])}")
            if r.random() < 0.3:
                parts.append("homo_head = true")
            return "#attn.s2<" + ", ".join(parts) + ">"
        if kind == "shifted_groups":
            return f"#attn.shifted_groups<group = {r.choice([2, 4, 10, 32])}>"
        if kind == "star":
            return f"#attn.star_anchor<block = {r.choice([1, 5, 16, 50])}>"
        if kind == "prefix_lm":
            n = self.data_operand("tensor<?xi32>" if self.batch == "?" else f"tensor<{self.batch}xi32>")
            return f"#attn.prefix_lm<operand = {n}>"
        if kind == "documents_offsets":
            n = self.data_operand("tensor<?xi64>")
            causal = r.choice(["true", "false"])
            return f"#attn.documents<operand = {n}, layout = offsets, causal = {causal}>"
        if kind == "documents_ids":
            self.same_seq = True
            n = self.data_operand(f"tensor<{self.batch}x?xi32>")
            causal = r.choice(["true", "false"])
            return f"#attn.documents<operand = {n}, layout = ids, causal = {causal}>"
        if kind == "block_list":
            bq, bkv = r.choice([4, 16, 32]), r.choice([8, 16, 40])
            n = self.data_operand(f"tensor<{self.batch}x{self.hq}x?x{r.choice([1, 2, 3])}xi32>")
            return f"#attn.block_list<operand = {n}, block_q = {bq}, block_kv = {bkv}>"
        if kind == "block_mask":
            bq, bkv = r.choice([4, 16, 32]), r.choice([8, 16, 40])
            n = self.data_operand(f"tensor<{self.batch}x{self.hq}x?x?xi8>")
            return f"#attn.block_mask<operand = {n}, block_q = {bq}, block_kv = {bkv}>"
        # neighborhood: static sequence = grid volume
        grid = r.choice([[37], [6, 7], [3, 4, 5]])
        kernel = [r.randint(1, g) for g in grid]
        dilation = [r.randint(1, max(1, g // k)) for g, k in zip(grid, kernel)]
        stride = [r.randint(1, k) for k in kernel]
        causal = [r.choice(["true", "false"]) for _ in grid]
        volume = 1
        for g in grid:
            volume *= g
        self.static_seq = volume
        lst = lambda xs: "[" + ", ".join(str(x) for x in xs) + "]"
        return (f"#attn.neighborhood<grid = {lst(grid)}, kernel = {lst(kernel)}, "
                f"dilation = {lst(dilation)}, stride = {lst(stride)}, causal = {lst(causal)}>")

    def mask(self, depth=0):
        r = self.r
        if depth < 3 and r.random() < 0.35:
            combinator = r.choice(["and", "or"])
            count = r.randint(2, 3)
            return f"#attn.{combinator}<[" + ", ".join(self.mask(depth + 1) for _ in range(count)) + "]>"
        return self.leaf_mask(depth)

    def score_mods(self):
        r = self.r
        mods = []
        for _ in range(r.choice([1, 1, 2])):
            kind = r.choice(["softcap", "alibi", "bias"])
            if kind == "softcap":
                mods.append(f"#attn.softcap<{r.choice(['5.0', '30.0', '50.0'])}>")
            elif kind == "alibi":
                mods.append(r.choice(["#attn.alibi", "#attn.alibi<max_bias = 4.0>"]))
            else:
                b = "1" if r.random() < 0.3 else self.batch
                h = "1" if r.random() < 0.3 else str(self.hq)
                n = self.data_operand(f"tensor<{b}x{h}x?x?x{self.dtype}>")
                mods.append(f"#attn.bias<operand = {n}>")
        return mods[0] if len(mods) == 1 else "[" + ", ".join(mods) + "]"

    def mask_region(self):
        r = self.r
        kind = r.choice(["mod", "band", "head"])
        if kind == "mod":
            m = r.choice([2, 3, 5])
            return [f"%cm = arith.constant {m} : index",
                    "%c0 = arith.constant 0 : index",
                    "%d = arith.addi %i, %j : index",
                    "%rm = arith.remui %d, %cm : index",
                    "%keep = arith.cmpi ne, %rm, %c0 : index"]
        if kind == "band":
            c = r.choice([0, 3, 9])
            return [f"%cb = arith.constant {c} : index",
                    "%ib = arith.addi %i, %cb : index",
                    "%keep = arith.cmpi sle, %j, %ib : index"]
        return ["%c2 = arith.constant 2 : index",
                "%hh = arith.remui %h, %c2 : index",
                "%c1 = arith.constant 1 : index",
                "%odd = arith.cmpi eq, %hh, %c1 : index",
                "%near = arith.cmpi sge, %j, %i : index",
                "%keep = arith.ori %odd, %near : i1"]

    def score_region(self):
        r = self.r
        kind = r.choice(["scale", "distance", "data"])
        if kind == "scale":
            return ["%cs = arith.constant 0.75 : f32", "%t = arith.mulf %s, %cs : f32"]
        if kind == "distance":
            return ["%dd = arith.subi %i, %j : index",
                    "%di = arith.index_cast %dd : index to i64",
                    "%df = arith.sitofp %di : i64 to f32",
                    "%cw = arith.constant 0.01 : f32",
                    "%pen = arith.mulf %df, %cw : f32",
                    "%t = arith.subf %s, %pen : f32"]
        # A static float table read at a clamped index: any value is valid.
        n = self.data_operand("tensor<7xf32>")
        self.region_data = True
        return ["%c6 = arith.constant 6 : index",
                "%jx = arith.minsi %j, %c6 : index",
                f"%x = tensor.extract %data{n}[%jx] : tensor<7xf32>",
                "%t = arith.addf %s, %x : f32"]

    # -- the whole spec ------------------------------------------------
    def generate(self):
        r = self.r
        self.dtype = r.choice(DTYPES)
        self.hkv = r.choice([1, 2, 3])
        self.hq = self.hkv * r.choice([1, 2, 4])
        if self.gpu:
            self.e = r.choice([64, 128] + ([32] if self.dtype == "f32" else []))
            self.f = self.e
        else:
            self.e = r.choice([8, 16, 24, 32, 64])
            self.f = self.e if r.random() < 0.7 else r.choice([8, 16, 40])
        self.batch = "?" if r.random() < 0.7 else str(r.choice([1, 2]))
        attrs = []
        if r.random() < 0.85:
            attrs.append("mask = " + self.mask())
        if r.random() < 0.45:
            attrs.append("score_mod = " + self.score_mods())
        if r.random() < 0.3:
            attrs.append(f"scale = {r.choice(['0.125', '0.3', '1.0'])} : f32")
        mask_region = self.mask_region() if r.random() < 0.2 else None
        score_region = self.score_region() if r.random() < 0.2 else None
        lse = r.random() < 0.4
        seq_q = seq_kv = "?"
        if self.static_seq is not None:
            seq_q = seq_kv = str(self.static_seq)
        d = self.dtype
        qt = f"tensor<{self.batch}x{self.hq}x{seq_q}x{self.e}x{d}>"
        kt = f"tensor<{self.batch}x{self.hkv}x{seq_kv}x{self.e}x{d}>"
        vt = f"tensor<{self.batch}x{self.hkv}x{seq_kv}x{self.f}x{d}>"
        ot = f"tensor<{self.batch}x{self.hq}x{seq_q}x{self.f}x{d}>"
        lt = f"tensor<{self.batch}x{self.hq}x{seq_q}xf32>"
        args = [f"%q: {qt}", f"%k: {kt}", f"%v: {vt}"] + [
            f"%data{n}: {t}" for n, t in enumerate(self.data)]
        results = [ot] + ([lt] if lse else [])
        lines = [f"// difftest case {self.seed}",
                 f"func.func @case(" + ", ".join(args) + ") -> (" + ", ".join(results) + ") {"]
        data = ""
        if self.data:
            data = " data(" + ", ".join(f"%data{n}" for n in range(len(self.data))) + " : " + \
                ", ".join(self.data) + ")"
        outs = "%o, %lse" if lse else "%o"
        op = (f"  {outs} = attn.attention %q, %k, %v{data} {{" + ", ".join(attrs) + "} : "
              f"{qt}, {kt}, {vt} -> " + ", ".join(results))
        if mask_region:
            op += " mask {\n  ^bb0(%b: index, %h: index, %i: index, %j: index):\n" + \
                "".join(f"    {l}\n" for l in mask_region) + "    attn.yield %keep : i1\n  }"
        if score_region:
            op += " score {\n  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):\n" + \
                "".join(f"    {l}\n" for l in score_region) + "    attn.yield %t : f32\n  }"
        lines.append(op)
        lines.append(f"  return {outs} : " + ", ".join(results))
        lines.append("}")
        self.text = "\n".join(lines) + "\n"

        # Sizes: ragged, Sq != Skv unless the spec ties them.
        b = int(self.batch) if self.batch != "?" else r.choice([1, 2])
        if self.static_seq is not None:
            self.sizes = ["--batch", str(b)]
        else:
            sq = r.randint(1, 70)
            skv = sq if self.same_seq else r.randint(1, 90)
            self.sizes = ["--batch", str(b), "--seq-q", str(sq), "--seq-kv", str(skv)]
        # Host tile overrides (block-kv a multiple of 8).
        self.compile_options = ""
        if r.random() < 0.6:
            self.compile_options = f" block-q={r.choice([1, 3, 8, 16, 64])} block-kv={r.choice([8, 16, 24, 64])}"
        return self


def run(cmd, log, timeout=300):
    start = time.time()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
        out, code = p.stdout.decode(errors="replace"), p.returncode
    except subprocess.TimeoutExpired:
        out, code = f"timed out after {timeout} s\n", 124
    except OSError as error:
        out, code = f"cannot run {cmd[0]}: {error}\n", 127
    with open(log, "a") as f:
        f.write("$ " + " ".join(cmd) + f"\n{out}(exit {code}, {time.time() - start:.1f} s)\n")
    return code, out


def case_seeds(args):
    if args.only is not None:
        return [args.only]
    return [args.seed * 100003 + n for n in range(args.cases)]


def host(args):
    out = args.out or os.path.join(args.build, "difftest")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.join(out, "failures"))
    attn_opt = os.path.join(args.build, "bin", "attn-opt")
    attn_run = os.path.join(args.build, "bin", "attn-run")
    failures, compile_s, run_s = [], 0.0, 0.0
    for seed in case_seeds(args):
        spec = Spec(seed).generate()
        base = os.path.join(out, f"case-{seed}")
        with open(base + ".mlir", "w") as f:
            f.write(spec.text)
        log = base + ".log"
        t = time.time()
        code, text = run([attn_opt, base + ".mlir",
                          f"--attn-compile=targets=host output={base}.atnb{spec.compile_options}",
                          "-o", "/dev/null"], log)
        compile_s += time.time() - t
        verdict = None
        if code != 0:
            verdict = "compile failed: " + first_error(text)
        else:
            cmd = [attn_run, base + ".atnb", "--target", "host", "--check",
                   "--seed", str(seed % 1000)] + spec.sizes
            if spec.region_data:
                cmd.append("--allow-arbitrary-region-data")
            t = time.time()
            code, text = run(cmd, log)
            run_s += time.time() - t
            if code != 0 or "PASS" not in text:
                verdict = "check failed: " + first_error(text)
        status = "PASS" if verdict is None else "FAIL " + verdict
        print(f"case {seed}: {status}", flush=True)
        if verdict is not None:
            failures.append(seed)
            for ext in (".mlir", ".log"):
                shutil.copy(base + ext, os.path.join(out, "failures"))
        else:
            for ext in (".atnb",):
                if os.path.exists(base + ext):
                    os.remove(base + ext)
    n = len(case_seeds(args))
    print(f"difftest host: {n} cases, {n - len(failures)} passed, {len(failures)} failed "
          f"(compile {compile_s:.0f} s, run {run_s:.0f} s)")
    if failures:
        print("failing seeds: " + " ".join(str(s) for s in failures) +
              f"; rerun one with --only SEED (specs in {out}/failures)")
    return 1 if failures else 0


def first_error(text):
    for line in text.splitlines():
        if "error" in line or "FAIL" in line or "problem:" in line:
            return line.strip()[:200]
    return text.strip().splitlines()[-1][:200] if text.strip() else "(no output)"


def prepare(args):
    """Bundles for host + sm_90 and float64 reference dumps, for `device`."""
    out = args.out
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.join(out, "cases"))
    attn_opt = os.path.join(args.build, "bin", "attn-opt")
    attn_run = os.path.join(args.build, "bin", "attn-run")
    listed = 0
    with open(os.path.join(out, "cases.tsv"), "w") as cases:
        for seed in case_seeds(args):
            spec = Spec(seed, gpu=True).generate()
            base = os.path.join(out, "cases", f"case-{seed}")
            os.makedirs(base)
            with open(base + "/spec.mlir", "w") as f:
                f.write(spec.text)
            log = base + "/prepare.log"
            code, text = run([attn_opt, base + "/spec.mlir",
                              f"--attn-compile=targets=host,sm_90 output={base}/k.atnb{spec.compile_options}",
                              "-o", "/dev/null"], log)
            if code != 0 and "not supported by the NVIDIA target" in text:
                # Outside what the GPU kernels implement: not a finding.
                print(f"case {seed}: unsupported on the GPU: {first_error(text)}")
                cases.write(f"{seed}\tunsupported\t\n")
                continue
            if code != 0:
                print(f"case {seed}: compile failed: {first_error(text)}")
                cases.write(f"{seed}\tcompile-failed\t\n")
                continue
            code, text = run([attn_run, base + "/spec.mlir", "--target", "ref", "--seed",
                              str(seed % 1000), "--dump", base] + spec.sizes, log)
            if code != 0:
                print(f"case {seed}: reference failed: {first_error(text)}")
                cases.write(f"{seed}\tref-failed\t\n")
                continue
            # q, k, v are regenerated on the device from the seed; the
            # expected outputs stay float64 (small sizes).
            for name in ("q.npy", "k.npy", "v.npy"):
                os.remove(os.path.join(base, name))
            cases.write(f"{seed}\tok\t--seed {seed % 1000} {' '.join(spec.sizes)}\n")
            listed += 1
    subprocess.run([os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                 "build-nomlir-attn-run.sh"), out], check=True)
    print(f"prepared {listed} cases in {out}")
    return 0


def device(args):
    prep = args.prepared
    run_bin = args.attn_run or os.path.join(prep, "bin", "attn-run")
    if not os.path.exists(run_bin):  # reliability-gpu.sh keeps it one level up
        run_bin = os.path.join(prep, "..", "bin", "attn-run")
    results, failures = [], 0
    with open(os.path.join(prep, "cases.tsv")) as cases:
        rows = [line.rstrip("\n").split("\t") for line in cases if line.strip()]
    for seed, state, run_args in rows:
        base = os.path.join(prep, "cases", f"case-{seed}")
        if state == "unsupported":
            results.append((seed, "unsupported on the GPU (not run)", "-"))
            continue
        if state != "ok":
            results.append((seed, state, "-"))
            failures += 1
            continue
        log = base + "/device.log"
        cmd = [run_bin, base + "/k.atnb", "--target", "cuda", "--check", "--inputs", base] + \
            run_args.split()
        code, text = run(cmd, log)
        err = next((l.split("=")[1] for l in text.splitlines() if l.startswith("max_rel_err=")), "-")
        verdict = "PASS" if code == 0 else "FAIL: " + first_error(text)
        if code != 0:
            failures += 1
        results.append((seed, verdict, err))
        print(f"case {seed}: {verdict} {err}", flush=True)
    if args.report:
        with open(args.report, "w") as f:
            f.write("# Differential hunt on the CUDA target\n\n| case | result | max_rel_err |\n|---|---|---|\n")
            for seed, verdict, err in results:
                f.write(f"| {seed} | {verdict} | {err} |\n")
            f.write(f"\n{len(results)} cases, {failures} failures.\n")
    print(f"difftest device: {len(results)} cases, {failures} failures")
    return 1 if failures else 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["host", "prepare", "device", "print"])
    p.add_argument("--build", default="build")
    p.add_argument("--cases", type=int, default=20)
    p.add_argument("--seed", type=int, default=int(os.environ.get("ATTN_DIFFTEST_SEED", "1")))
    p.add_argument("--only", type=int)
    p.add_argument("--out")
    p.add_argument("--prepared")
    p.add_argument("--report")
    p.add_argument("--attn-run", help="device: the (MLIR-free) attn-run to use")
    args = p.parse_args()
    if args.mode == "print":
        for seed in case_seeds(args):
            spec = Spec(seed).generate()
            print(spec.text + "// sizes: " + " ".join(spec.sizes) + spec.compile_options + "\n")
        return 0
    if args.mode == "prepare" and not args.out:
        p.error("prepare needs --out")
    if args.mode == "device" and not args.prepared:
        p.error("device needs --prepared")
    return {"host": host, "prepare": prepare, "device": device}[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())
