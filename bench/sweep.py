#!/usr/bin/env python3
"""Every example system on the GPU next to FlexAttention, in one process.

    python3 bench/sweep.py prepare PREPARED [--build BUILD] [--seq 16384]   # here
    python3 bench/sweep.py device PREPARED [--out OUT]                      # GPU machine
    python3 bench/sweep.py selftest                                         # here, no GPU

prepare (needs the MLIR build): for every examples/*.mlir, compiles the spec
for host,sm_90,sm_90a (--targets; f32 specs without sm_90a, so on a Hopper
GPU the runtime runs the wgmma kernel of f16/bf16 specs and the mma.sync
kernel of f32 ones; report-resources=true, the ptxas resources go to the log) and
a dense twin (same types, no mask or score mod) into PREPARED/bundles, draws
its block map at the sweep's size with the compiler's sparsity report
(attn-opt --attn-report-sparsity svg=..., data operands from seed 7) into
PREPARED/maps, builds the MLIR-free attn-run into PREPARED/bin
(scripts/build-nomlir-attn-run.sh) and writes PREPARED/systems.json: per
system its sizes (dynamic S -> --seq, dynamic B -> 2), types, mask, score
mods and scale as parsed from the spec.

device (needs only PyTorch with FlexAttention and PREPARED's MLIR-free
bin/attn-run and lib/libattn_runtime.so):
per system, attn-run --check at a ragged size (the CUDA binary against the
bundle's host binary), then in this process: inputs and data operands
(8 documents per sequence, prefixes in [S/4, 3S/4), MoBA-style routes,
SpargeAttn-style block masks of density 1/4, random biases), the same rule
written as a FlexAttention mask_mod/score_mod (translated from the spec's
attributes by this file), outputs compared before any timing, then
triton.testing.do_bench medians of ours, ours dense, and FlexAttention.
Useful TFLOP/s = 4 * B * Hq * Sq * Skv * D * density / time, the density
counted exactly from the mask_mod on the GPU. Writes OUT/sweep.md (the
table: useful TFLOP/s of both, ours / FlexAttention, ours per useful FLOP /
our dense rate, the block map beside each row), OUT/sweep.json and
OUT/maps/ (with matplotlib, FlexAttention's own block map of batch row 0,
head 0 as a PNG beside ours). FlexAttention's create_block_mask (compiled) time per
call (its second call) is reported for
every data mask (attn computes visit ranges inside the kernel, O(tiles)),
and for documents (ids) at 16k, 64k and 128k next to our kernel's time.

Neighborhood masks (NATTEN, Swin) run on patch tiles (docs/sparsity.md,
"Patch tiles in the kernels"): prepare records the kernels' patch tiling at
the GPU's tile sizes (the sparsity report's "kernel tiles:" line), and the
table's notes give it with ours / our dense / its tile-density, our rate
against the best the patch shape allows. Measure them alone with
`prepare PREPARED --only natten_2d natten_3d swin_blocked natten_1d_dilated`.

selftest: parses every example, writes a table from made-up timings, and
checks each translated mask_mod (NumPy) against the compiler's sparsity
report at small sizes for the masks without data operands. Needs attn-opt.
"""

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BATCH = 2
AGREE = {"bf16": 2e-2, "f16": 2e-2, "f32": 1e-3}
CHECK_ARGS = ["--batch", "1", "--seq-q", "1000", "--seq-kv", "1000"]

# ---------------------------------------------------------------------------
# Specs: the attention op's types and attributes
# ---------------------------------------------------------------------------

TENSOR = re.compile(r"tensor<([^>]*)>")


def parse_tensor(text):
    """'?x16x?x128xbf16' -> ([None, 16, None, 128], 'bf16')."""
    *dims, dtype = text.split("x")
    return [None if d == "?" else int(d) for d in dims], dtype


class Attr:
    """#attn.NAME<...>: positional values and key = value pairs."""

    def __init__(self, name, positional=None, params=None):
        self.name, self.positional, self.params = name, positional or [], params or {}

    def get(self, key, default=None):
        return self.params.get(key, default)

    def __repr__(self):
        return f"Attr({self.name}, {self.positional}, {self.params})"


def tokenize(text):
    return re.findall(r"#attn\.[a-z_0-9]+|-?\d+\.\d*(?:e-?\d+)?|-?\d+|[A-Za-z_]\w*|[<>\[\],=:]", text)


def parse_value(tokens, pos):
    token = tokens[pos]
    if token.startswith("#attn."):
        name, pos = token[6:], pos + 1
        positional, params = [], {}
        if pos < len(tokens) and tokens[pos] == "<":
            pos += 1
            while tokens[pos] != ">":
                if tokens[pos] == ",":
                    pos += 1
                    continue
                if pos + 1 < len(tokens) and tokens[pos + 1] == "=" and re.match(r"[A-Za-z_]", tokens[pos]):
                    key = tokens[pos]
                    value, pos = parse_value(tokens, pos + 2)
                    params[key] = value
                else:
                    value, pos = parse_value(tokens, pos)
                    positional.append(value)
            pos += 1
        return Attr(name, positional, params), pos
    if token == "[":
        items, pos = [], pos + 1
        while tokens[pos] != "]":
            if tokens[pos] == ",":
                pos += 1
                continue
            value, pos = parse_value(tokens, pos)
            items.append(value)
        return items, pos + 1
    if token in ("true", "false"):
        return token == "true", pos + 1
    if re.fullmatch(r"-?\d+", token):
        return int(token), pos + 1
    if re.fullmatch(r"-?\d+\.\d*(?:e-?\d+)?", token):
        return float(token), pos + 1
    return token, pos + 1


def parse_attr(text):
    value, _ = parse_value(tokenize(text), 0)
    return value


def attribute_text(line, key):
    """The text of `key = #attn...` or `key = [...]` in an attribute dict."""
    m = re.search(r"\b" + key + r"\s*=\s*", line)
    if not m:
        return None
    start, depth, i = m.end(), 0, m.end()
    while i < len(line):
        c = line[i]
        if c in "<[":
            depth += 1
        elif c in ">]":
            depth -= 1
            if depth == 0 and (c == "]" or (i + 1 < len(line) and line[i + 1] in ",}")):
                return line[start:i + 1]
        elif c in ",}" and depth == 0:
            return line[start:i]
        i += 1
    return None


def parse_spec(path, seq):
    """The one attention op of an example spec, or None (cascades)."""
    text = Path(path).read_text()
    body = "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("//"))
    m = re.search(r"attn\.attention\s+%\w+,\s*%\w+,\s*%\w+(.*?)\n", body)
    if not m:
        return None
    line = m.group(1)
    system = {"name": Path(path).stem, "spec": str(Path(path).resolve()),
              "region": bool(re.search(r"->[^\n]*\b(mask|score)\s*\{", m.group(0)))}
    types = TENSOR.findall(line.split("}")[-1] if "}" in line else line)
    data_types = []
    dm = re.search(r"data\(([^)]*)\)", line)
    if dm:
        data_types = TENSOR.findall(dm.group(1))
        types = TENSOR.findall(line[dm.end():].split("}")[-1])
    (qd, dtype), (kd, _), (vd, _) = (parse_tensor(t) for t in types[:3])
    system["dtype"] = dtype
    # A dense [B, H, S, S] data operand (a bias) at 16k would take gigabytes;
    # document ids [B, S] and block lists are small.
    if any(d is None for d in qd[2:3]) and any(
            len(dims) == 4 and dims[2] is None and dims[3] is None
            for dims, _ in map(parse_tensor, data_types)):
        seq = min(seq, 4096)
    system["static_seq"] = qd[2] is not None
    system["B"] = qd[0] or BATCH
    system["Hq"], system["Hkv"] = qd[1], kd[1]
    system["Sq"] = qd[2] or seq
    system["Skv"] = kd[2] or seq
    system["E"], system["F"] = qd[3], vd[3]
    system["lse"] = len(types) > 4
    system["types"] = types
    system["data"] = [{"dims": d, "dtype": t} for d, t in map(parse_tensor, data_types)]
    mask_text = attribute_text(line, "mask")
    score_text = attribute_text(line, "score_mod")
    scale = re.search(r"\bscale\s*=\s*([-0-9.e]+)", line)
    system["mask"] = mask_text
    system["score_mod"] = score_text
    system["scale"] = float(scale.group(1)) if scale else 1.0 / math.sqrt(system["E"])
    return system


def dense_spec(system):
    """A spec with the system's types and no mask or score mod."""
    q, k, v = system["types"][:3]
    out = system["types"][3]
    return (f"func.func @dense(%q: tensor<{q}>, %k: tensor<{k}>, %v: tensor<{v}>) -> tensor<{out}> {{\n"
            f"  %o = attn.attention %q, %k, %v : tensor<{q}>, tensor<{k}>, tensor<{v}> -> tensor<{out}>\n"
            f"  return %o : tensor<{out}>\n}}\n")


# ---------------------------------------------------------------------------
# Rules as FlexAttention mask_mods / score_mods (torch) or NumPy functions
# ---------------------------------------------------------------------------

class Ops:
    """where/min/max/tanh/exp2 of torch or NumPy, for one rule written once."""

    def __init__(self, xp):
        self.xp = xp

    def where(self, c, a, b):
        return self.xp.where(c, a, b)

    def min(self, a, b):
        return self.where(a < b, a, b)

    def max(self, a, b):
        return self.where(a > b, a, b)

    def tanh(self, x):
        return self.xp.tanh(x)


def neighborhood_1d(o, xq, xk, n, k, s, d, causal):
    phase_q = xq % d
    same = phase_q == xk % d
    uq, uk = xq // d, xk // d
    last = n // d + o.where(phase_q < n % d, 1, 0) - 1
    stride_start = (uq // s) * s
    if causal:
        lead = o.min(stride_start + (s - 1), last)
        inside = (uk <= uq) & (lead - uk < k)
    else:
        left, right = k // 2, k // 2 + k % 2 - 1
        lead = o.min(stride_start + s // 2, last)
        centre = o.min(o.max(lead, left), last - right)
        behind, ahead = centre - uk, uk - centre
        inside = ((behind >= 0) & (behind <= left)) | ((ahead >= 0) & (ahead <= right))
    return same & inside


def mask_rule(attr, system, data, o):
    """mask_mod(b, h, i, j) of a parsed mask attribute; `data[n]` is data
    operand n (documents offsets as per-token ids, see make_data)."""
    name, p = attr.name, attr.params
    hq, hkv = system["Hq"], system["Hkv"]
    if name == "causal":
        return lambda b, h, i, j: j <= i
    if name == "window":
        left, right = p["left"], p.get("right", 0)
        return lambda b, h, i, j: (i - j < left) & (j - i <= right)
    if name == "sinks":
        count = p["count"]
        return lambda b, h, i, j: j < count
    if name == "prefix_lm":
        prefix = data[p.get("operand", 0)]
        return lambda b, h, i, j: (j <= i) | (j < prefix[b])
    if name == "documents":
        ids = data[p.get("operand", 0)]
        causal = p.get("causal", True)
        if p.get("layout", "ids") == "offsets":
            same = lambda b, h, i, j: ids[i] == ids[j]  # noqa: E731
        else:
            same = lambda b, h, i, j: ids[b, i] == ids[b, j]  # noqa: E731
        return (lambda b, h, i, j: same(b, h, i, j) & (j <= i)) if causal else same
    if name == "s2":
        block, local = p.get("block", 64), p.get("local", 16)
        stride, offset = p.get("stride", 8), p.get("offset", 0)
        dense_heads, homo = p.get("dense_heads", 0), p.get("homo_head", False)
        sigma = max(1, stride // hq)

        def s2(b, h, i, j):
            kv_head = 0 * h if homo else h // (hq // hkv)
            dense = kv_head >= hkv - dense_heads
            bi, bj = i // block, j // block
            phase = ((bj % stride) + (kv_head * sigma) % stride) % stride + offset % stride
            return (j <= i) & (dense | (bi - bj < local) | (phase % stride == 0))
        return s2
    if name == "shifted_groups":
        group = p["group"]

        def shifted(b, h, i, j):
            shift = o.where(h < hq // 2, 0, group // 2)
            return (j <= i) & ((i + shift) // group == (j + shift) // group)
        return shifted
    if name == "star_anchor":
        block = p["block"]
        return lambda b, h, i, j: (((j // block) == (i // block)) & (j <= i)) | (j // block == 0)
    if name == "neighborhood":
        grid, kernel = p["grid"], p["kernel"]
        rank = len(grid)
        dilation = p.get("dilation", [1] * rank)
        stride = p.get("stride", [1] * rank)
        causal = p.get("causal", [False] * rank)

        def neighborhood(b, h, i, j):
            keep, rest_q, rest_k = None, i, j
            for dim in reversed(range(rank)):
                xq, xk = rest_q % grid[dim], rest_k % grid[dim]
                rest_q, rest_k = rest_q // grid[dim], rest_k // grid[dim]
                one = neighborhood_1d(o, xq, xk, grid[dim], kernel[dim], stride[dim],
                                      dilation[dim], causal[dim])
                keep = one if keep is None else keep & one
            return keep
        return neighborhood
    if name == "block_list":
        lists = data[p.get("operand", 0)]
        bq, bkv = p.get("block_q", 128), p.get("block_kv", 128)
        slots = lists.shape[3]

        def block_list(b, h, i, j):
            qb, kb = i // bq, j // bkv
            keep = lists[b, h, qb, 0] == kb
            for slot in range(1, slots):
                keep = keep | (lists[b, h, qb, slot] == kb)
            return keep
        return block_list
    if name == "block_mask":
        blocks = data[p.get("operand", 0)]
        bq, bkv = p.get("block_q", 128), p.get("block_kv", 64)
        return lambda b, h, i, j: blocks[b, h, i // bq, j // bkv] != 0
    if name in ("and", "or"):
        rules = [mask_rule(a, system, data, o) for a in attr.positional[0]]

        def combined(b, h, i, j):
            keep = rules[0](b, h, i, j)
            for rule in rules[1:]:
                keep = (keep & rule(b, h, i, j)) if name == "and" else (keep | rule(b, h, i, j))
            return keep
        return combined
    raise ValueError(f"no FlexAttention equivalent written for #attn.{name}")


def score_rule(attrs, system, data, o):
    """score_mod(score, b, h, i, j) of the parsed score mods, or None."""
    if attrs is None:
        return None
    attrs = attrs if isinstance(attrs, list) else [attrs]
    hq = system["Hq"]
    mods = []
    for attr in attrs:
        if attr.name == "softcap":
            cap = float(attr.positional[0])
            mods.append(lambda s, b, h, i, j, cap=cap: cap * o.tanh(s / cap))
        elif attr.name == "alibi":
            max_bias = float(attr.get("max_bias", 8.0))
            mods.append(lambda s, b, h, i, j, m=max_bias:
                        s - 2.0 ** (-m * (h + 1) / hq) * (i - j))
        elif attr.name == "bias":
            bias = data[attr.get("operand", 0)]
            bb, bh = bias.shape[0] == 1, bias.shape[1] == 1
            mods.append(lambda s, b, h, i, j, bias=bias, bb=bb, bh=bh:
                        s + bias[0 if bb else b, 0 if bh else h, i, j])
        else:
            raise ValueError(f"no FlexAttention equivalent written for #attn.{attr.name}")

    def score_mod(score, b, h, i, j):
        for mod in mods:
            score = mod(score, b, h, i, j)
        return score
    return score_mod


def data_kinds(attr, found=None):
    """{operand: (kind attribute)} of the masks and score mods reading data."""
    found = {} if found is None else found
    if isinstance(attr, list):
        for a in attr:
            data_kinds(a, found)
        return found
    if not isinstance(attr, Attr):
        return found
    if attr.name in ("prefix_lm", "documents", "block_list", "block_mask", "bias"):
        found[attr.get("operand", 0)] = attr
    for value in list(attr.positional) + list(attr.params.values()):
        data_kinds(value, found)
    return found


def make_data(system, xp, rng):
    """Data operands for the system (xp: torch on the GPU, or NumPy); returns
    (kernel operands, rule operands): documents offsets become per-token ids
    for the rule."""
    kinds = data_kinds([parse_attr(system["mask"]) if system["mask"] else None,
                        parse_attr(system["score_mod"]) if system["score_mod"] else None])
    b, s_q, s_kv, hq = system["B"], system["Sq"], system["Skv"], system["Hq"]
    operands, rules = [], []
    for index, operand in enumerate(system["data"]):
        attr = kinds.get(index)
        dtype = operand["dtype"]
        if attr is None:
            raise ValueError(f"data operand #{index} is read only by a custom region")
        if attr.name == "documents" and attr.get("layout", "ids") == "offsets":
            cuts = sorted(rng.sample(range(1, s_kv), 7))
            offsets = [0] + cuts + [s_kv]
            ids = [0] * s_kv
            for d in range(len(offsets) - 1):
                for x in range(offsets[d], offsets[d + 1]):
                    ids[x] = d
            operands.append(array(xp, offsets, dtype))
            rules.append(array(xp, ids, "i64"))
            continue
        if attr.name == "documents":
            rows = []
            for _ in range(b):
                cuts = set(rng.sample(range(1, s_q), 7))
                doc, row = 0, []
                for x in range(s_q):
                    doc += x in cuts
                    row.append(doc)
                rows.append(row)
            value = array(xp, rows, dtype)
        elif attr.name == "prefix_lm":
            value = array(xp, [rng.randrange(s_kv // 4, 3 * s_kv // 4) for _ in range(b)], dtype)
        elif attr.name == "block_list":
            bq, bkv = attr.get("block_q", 128), attr.get("block_kv", 128)
            slots = operand["dims"][3]
            qblocks = -(-s_q // bq)
            lists = []
            for _ in range(b):
                per_head = []
                for _ in range(hq):
                    per_block = []
                    for qb in range(qblocks):
                        own = min(qb * bq // bkv, -(-s_kv // bkv) - 1)
                        earlier = rng.sample(range(own), min(own, slots - 1))
                        per_block.append((earlier + [own] + [-1] * slots)[:slots])
                    per_head.append(per_block)
                lists.append(per_head)
            value = array(xp, lists, dtype)
        elif attr.name == "block_mask":
            bq, bkv = attr.get("block_q", 128), attr.get("block_kv", 64)
            shape = (b, hq, -(-s_q // bq), -(-s_kv // bkv))
            value = random_blocks(xp, shape, dtype, rng)
        else:  # bias
            shape = [d if d is not None else {0: b, 2: s_q, 3: s_kv}[n]
                     for n, d in enumerate(operand["dims"])]
            value = random_normal(xp, shape, dtype, rng)
        operands.append(value)
        rules.append(value)
    return operands, rules


def array(xp, values, dtype):
    name = {"i8": "uint8", "i32": "int32", "i64": "int64", "f32": "float32"}[dtype]
    if xp.__name__ == "torch":
        return xp.tensor(values, dtype=getattr(xp, name), device="cuda")
    return xp.array(values, dtype=name)


def random_blocks(xp, shape, dtype, rng):
    if xp.__name__ == "torch":
        generator = xp.Generator(device="cuda").manual_seed(rng.randrange(2 ** 31))
        keep = xp.rand(shape, device="cuda", generator=generator) < 0.25
        return keep.to(xp.uint8 if dtype == "i8" else xp.int32)
    import numpy as np
    return (np.random.default_rng(rng.randrange(2 ** 31)).random(shape) < 0.25).astype(
        {"i8": "uint8", "i32": "int32", "i64": "int64"}[dtype])


def random_normal(xp, shape, dtype, rng):
    if xp.__name__ == "torch":
        generator = xp.Generator(device="cuda").manual_seed(rng.randrange(2 ** 31))
        return xp.randn(shape, device="cuda", generator=generator, dtype=xp.float32)
    import numpy as np
    return np.random.default_rng(rng.randrange(2 ** 31)).standard_normal(shape).astype("float32")


# ---------------------------------------------------------------------------
# prepare (here)
# ---------------------------------------------------------------------------

def run_tool(command, log):
    proc = subprocess.run(command, capture_output=True, text=True)
    log.write(f"$ {' '.join(map(str, command))}\n{proc.stdout}{proc.stderr}\n")
    return proc


def report(attn_opt, spec, system, svg, log):
    """Kept pairs summed over heads of batch row 0, from the sparsity report."""
    options = f"seq-q={system['Sq']} seq-kv={system['Skv']} seed=7"
    if svg:
        options += f" svg={svg}"
    proc = run_tool([attn_opt, spec, f"--attn-report-sparsity={options}", "-o", "/dev/null"], log)
    kept = [int(m.group(1)) for m in re.finditer(r"head \d+(?: [a-z-]+| patch [0-9x]+)?: .*?kept (\d+)",
                                                  proc.stdout + proc.stderr)]
    return proc.returncode, kept


def gpu_tiles(system):
    """The NVIDIA kernel's tiles for a masked spec, as nvidia::chooseTiling
    picks them (codegen/nvidia/NvidiaScheduleTarget.cpp): 64 query rows; 64
    keys, 32 for f32 or a head dimension above 128, 16 for f32 above 128."""
    head_dim = max(system["E"], system["F"])
    if system["dtype"] == "f32":
        return 64, 16 if head_dim > 128 else 32
    return 64, 32 if head_dim > 128 else 64


def kernel_tiles(attn_opt, spec, system, log):
    """The kernels' patch tiling of a neighborhood at the GPU's tiles (the
    report's "kernel tiles:" line; docs/sparsity.md, "Patch tiles in the
    kernels"): its text and tile-density, or None for other masks."""
    if "neighborhood" not in (system.get("mask") or ""):
        return None
    block_q, block_kv = gpu_tiles(system)
    options = (f"seq-q={system['Sq']} seq-kv={system['Skv']} block-q={block_q} "
               f"block-kv={block_kv} heads=0")
    proc = run_tool([attn_opt, spec, f"--attn-report-sparsity={options}", "-o", "/dev/null"], log)
    m = re.search(r"kernel tiles: (.*)", proc.stdout)
    if not m:
        return None
    density = re.search(r"tile-density ([0-9.]+)", m.group(1))
    return {"tiles": f"{block_q}x{block_kv}", "text": m.group(1).strip(),
            "tile_density": float(density.group(1)) if density else None}


def prepare(prepared, build, seq, targets, only):
    prepared = Path(prepared)
    attn_opt = Path(build) / "bin" / "attn-opt"
    if not attn_opt.exists():
        sys.exit(f"no attn-opt in {build}")
    if prepared.exists():
        shutil.rmtree(prepared)
    for sub in ("bundles", "maps", "logs"):
        (prepared / sub).mkdir(parents=True)
    # bin/attn-run and lib/libattn_runtime.so, without MLIR.
    subprocess.run([str(ROOT / "scripts" / "build-nomlir-attn-run.sh"), str(prepared)], check=True)
    systems = []
    for spec in sorted((ROOT / "examples").glob("*.mlir")):
        system = parse_spec(spec, seq)
        if system is None or (only and system["name"] not in only):
            continue
        name = system["name"]
        # The sm_90a (wgmma) kernel takes f16/bf16 only; f32 specs run the
        # sm_90 (mma.sync) kernel on a Hopper GPU.
        spec_targets = targets
        if system["dtype"] == "f32":
            spec_targets = ",".join(t for t in targets.split(",") if t != "sm_90a")
        with open(prepared / "logs" / f"{name}.log", "w") as log:
            for label, source in (("", spec), ("dense", None)):
                if source is None:
                    source = prepared / "bundles" / f"{name}.dense.mlir"
                    source.write_text(dense_spec(system))
                bundle = prepared / "bundles" / f"{name}{'.' + label if label else ''}.atnb"
                resources = " report-resources=true" if "sm_" in spec_targets else ""
                proc = run_tool([attn_opt, source, f"--attn-compile=targets={spec_targets} "
                                 f"output={bundle}{resources}", "-o", "/dev/null"], log)
                if proc.returncode != 0:
                    system["error" if not label else "dense_error"] = "compile failed (see logs)"
                resources = re.findall(r"registers=\d+ shared=\d+ spill_stores=\d+", proc.stdout + proc.stderr)
                system["resources" if not label else "dense_resources"] = resources[-1] if resources else None
            rc, _ = report(attn_opt, spec, system, prepared / "maps" / name, log)
            system["kernel_tiles"] = kernel_tiles(attn_opt, spec, system, log)
            maps = sorted(p.name for p in (prepared / "maps").glob(f"{name}-*.svg"))
            system["maps"] = maps
            if system["data"] and not system.get("static_seq"):
                # The check's data operands (valid ones only the compiler's
                # reference knows); the expected outputs are left out, so the
                # device checks against the bundle's host binary.
                inputs = prepared / "check-inputs" / name
                proc = run_tool([Path(build) / "bin" / "attn-run", spec, "--target", "ref",
                                 "--seed", "1", "--dump", inputs] + CHECK_ARGS, log)
                if proc.returncode != 0:
                    system["error"] = "reference dump for the check failed (see logs)"
                for produced in ("q", "k", "v", "o", "lse"):
                    (inputs / f"{produced}.npy").unlink(missing_ok=True)
        systems.append(system)
        print(f"{name}: {system.get('error', 'ok')} {system.get('resources') or ''}", flush=True)
    (prepared / "systems.json").write_text(json.dumps(systems, indent=1))
    print(f"prepared {len(systems)} systems in {prepared}")


# ---------------------------------------------------------------------------
# device (GPU machine)
# ---------------------------------------------------------------------------

def check_arguments(system):
    """attn-run's sizes for the check: static lengths stay as the spec has
    them; data operands come from the folder prepare dumped (q, k, v are
    regenerated from the same seed)."""
    if system.get("static_seq"):
        return ["--batch", "1", "--seed", "1"]
    if system["data"]:
        return CHECK_ARGS + ["--seed", "1", "--inputs", str(Path("check-inputs") / system["name"])]
    return CHECK_ARGS


def attn_run_check(prepared, system):
    name = system["name"]
    command = [str(Path(prepared) / "bin" / "attn-run"), str(Path(prepared) / "bundles" / f"{name}.atnb"),
               "--target", "cuda", "--check"] + check_arguments(system)
    proc = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=prepared)
    return ("PASS" if proc.returncode == 0 else "FAIL"), proc.stdout + proc.stderr


def exact_density(mask_mod, system, torch):
    """Kept (b, h, i, j) / all, evaluated in query chunks on the GPU."""
    if mask_mod is None:
        return 1.0
    b, hq, s_q, s_kv = system["B"], system["Hq"], system["Sq"], system["Skv"]
    k = torch.arange(s_kv, device="cuda")[None, :]
    kept = 0
    chunk = max(1, (1 << 26) // s_kv)
    for bb in range(b):
        for h in range(hq):
            hb, bt = torch.tensor(h, device="cuda"), torch.tensor(bb, device="cuda")
            for start in range(0, s_q, chunk):
                q = torch.arange(start, min(s_q, start + chunk), device="cuda")[:, None]
                kept += int(mask_mod(bt, hb, q, k).sum())
    return kept / (b * hq * s_q * s_kv)


def draw_block_map(blocks, path, title):
    """A 0/1 block map (query blocks down, key blocks across) as a PNG, with
    matplotlib if it is installed; returns the file name or None."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.imshow(blocks, cmap="Greys", interpolation="nearest", vmin=0, vmax=1)
    ax.set_title(title, fontsize=8)
    ax.set_xlabel("key block")
    ax.set_ylabel("query block")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path).name


def device(prepared, out):
    import random
    import torch
    import triton.testing as tt
    from torch.nn.attention.flex_attention import create_block_mask as eager_block_mask
    from torch.nn.attention.flex_attention import flex_attention
    import torch._dynamo
    torch._dynamo.config.cache_size_limit = 4096
    torch._dynamo.config.accumulated_cache_size_limit = 4096
    prepared, out = Path(prepared), Path(out)
    if (prepared / "lib").exists():
        os.environ.setdefault("ATTN_LIBRARY_DIR", str(prepared / "lib"))
    sys.path.insert(0, str(ROOT / "python"))
    import attn
    systems = json.loads((prepared / "systems.json").read_text())
    (out / "maps").mkdir(parents=True, exist_ok=True)
    flex = torch.compile(flex_attention, dynamic=False)
    # Compiled, as FlexAttention recommends for long sequences: the eager
    # create_block_mask materializes the whole [B, H, Sq, Skv] mask (128 GiB
    # for B=2, H=32 at 16k).
    create_block_mask = torch.compile(eager_block_mask)
    bench = lambda fn: tt.do_bench(fn, warmup=25, rep=100, return_mode="median")  # noqa: E731
    o = Ops(torch)
    dtypes = {"bf16": torch.bfloat16, "f16": torch.float16, "f32": torch.float32}
    rows = []
    machine = f"{torch.cuda.get_device_name()}, PyTorch {torch.__version__}"
    for system in systems:
        name = system["name"]
        row = {k: system[k] for k in ("name", "B", "Hq", "Hkv", "Sq", "Skv", "E", "dtype", "mask",
                                      "score_mod", "resources", "maps")}
        row["kernel_tiles"] = system.get("kernel_tiles")
        rows.append(row)
        for m in system.get("maps", []):
            shutil.copy(prepared / "maps" / m, out / "maps" / m)
        if "error" in system:
            row["error"] = system["error"]
            continue
        row["check"], log = attn_run_check(prepared, system)
        (out / f"{name}.check.log").write_text(log)
        try:
            rng = random.Random(7)
            operands, rule_data = make_data(system, torch, rng)
            mask_attr = parse_attr(system["mask"]) if system["mask"] else None
            score_attr = parse_attr(system["score_mod"]) if system["score_mod"] else None
            if system["region"]:
                raise ValueError("custom region: no FlexAttention equivalent written")
            mask_mod = mask_rule(mask_attr, system, rule_data, o) if mask_attr else None
            score_mod = score_rule(score_attr, system, rule_data, o)
            dt = dtypes[system["dtype"]]
            b, hq, hkv, e, f = system["B"], system["Hq"], system["Hkv"], system["E"], system["F"]
            q = torch.randn(b, hq, system["Sq"], e, device="cuda", dtype=dt)
            k = torch.randn(b, hkv, system["Skv"], e, device="cuda", dtype=dt)
            v = torch.randn(b, hkv, system["Skv"], f, device="cuda", dtype=dt)
            ours_kernel = attn.load(prepared / "bundles" / f"{name}.atnb").kernel()
            dense_kernel = attn.load(prepared / "bundles" / f"{name}.dense.atnb").kernel()
            first = lambda x: x[0] if isinstance(x, tuple) else x  # noqa: E731
            ours = lambda: ours_kernel(q, k, v, *operands)  # noqa: E731
            dense = lambda: dense_kernel(q, k, v)  # noqa: E731
            row["density"] = exact_density(mask_mod, system, torch)
            got = first(ours()).float()
            theirs = None
            try:
                block_mask = None
                if mask_mod is not None:
                    # The second call: what a model pays per step.
                    for _ in range(2):
                        torch.cuda.synchronize()
                        started = time.perf_counter()
                        block_mask = create_block_mask(mask_mod, b, hq, system["Sq"], system["Skv"],
                                                       device="cuda")
                        torch.cuda.synchronize()
                    row["create_block_mask_ms"] = (time.perf_counter() - started) * 1e3
                if block_mask is not None:
                    # FlexAttention's blocks of batch row 0, head 0 (visited
                    # ones dark), beside the compiler's map.
                    picture = draw_block_map(
                        block_mask.to_dense()[0, 0].cpu().numpy() > 0,
                        out / "maps" / f"{name}-flex.png",
                        f"{name}: FlexAttention blocks (b 0, h 0)")
                    if picture:
                        row["maps"] = list(row.get("maps") or []) + [picture]
                theirs = lambda: flex(q, k, v, score_mod=score_mod,  # noqa: E731
                                      block_mask=block_mask, scale=system["scale"],
                                      enable_gqa=hq != hkv)
                want = theirs().float()
                row["difference"] = ((got - want).norm() / want.norm()).item()
            except Exception as error:  # ours is still timed (checked by attn-run)
                row["flex"] = {"error": f"{type(error).__name__}: {str(error)[:200]}"}
            if "difference" in row and not row["difference"] < AGREE[system["dtype"]]:
                row["error"] = f"outputs disagree ({row['difference']:.3g}); not timed"
                continue
            useful = 4.0 * b * hq * system["Sq"] * system["Skv"] * e * row["density"]
            everything = 4.0 * b * hq * system["Sq"] * system["Skv"] * e
            timed = [("attn", ours, useful), ("dense", dense, everything)]
            if theirs is not None:
                timed.append(("flex", theirs, useful))
            for impl, fn, flops in timed:
                try:
                    ms = bench(fn)
                    row[impl] = {"ms": ms, "tflops": flops / ms / 1e9}
                except Exception as error:  # one implementation may not apply
                    row[impl] = {"error": str(error)[:200]}
        except Exception as error:
            row["error"] = f"{type(error).__name__}: {str(error)[:300]}"
        print(name, {k: row.get(k) for k in ("check", "attn", "flex", "dense", "error")}, flush=True)
        write(out, rows, machine)  # a run stopped early keeps the rows it has
    lines = write(out, rows, machine)
    scaling = preparation_scaling(prepared, systems, attn, torch, create_block_mask, bench)
    (out / "sweep.md").write_text("\n".join(lines + [""] + scaling) + "\n")
    print("\n".join(scaling))


def preparation_scaling(prepared, systems, attn, torch, create_block_mask, bench):
    """Documents (ids, 8 per 16k tokens) at 16k, 64k and 128k: our kernel's
    time (its visit ranges are computed inside it) next to FlexAttention's
    create_block_mask per call (its second call)."""
    import random
    lines = ["| documents (ids), B 2 | ours ms (mask preparation inside) | "
             "create_block_mask ms | create_block_mask / ours |", "|---|---|---|---|"]
    system = next((s for s in systems if s["name"] == "documents"), None)
    if system is None or "error" in system:
        return lines + ["| - | no documents system | - | - |"]
    kernel = attn.load(Path(prepared) / "bundles" / "documents.atnb").kernel()
    for seq in (16384, 65536, 131072):
        try:
            sized = dict(system, Sq=seq, Skv=seq)
            rng = random.Random(7)
            ids = torch.stack([torch.bucketize(torch.arange(seq, device="cuda"), torch.tensor(
                sorted(rng.sample(range(1, seq), seq // 2048 - 1)), device="cuda"), right=True)
                for _ in range(sized["B"])]).to(torch.int32)
            dt = {"bf16": torch.bfloat16, "f16": torch.float16, "f32": torch.float32}[system["dtype"]]
            q = torch.randn(sized["B"], system["Hq"], seq, system["E"], device="cuda", dtype=dt)
            k = torch.randn(sized["B"], system["Hkv"], seq, system["E"], device="cuda", dtype=dt)
            v = torch.randn(sized["B"], system["Hkv"], seq, system["F"], device="cuda", dtype=dt)
            ours = bench(lambda: kernel(q, k, v, ids))
            mask_mod = lambda b, h, i, j: (ids[b, i] == ids[b, j]) & (j <= i)  # noqa: E731
            for _ in range(2):
                torch.cuda.synchronize()
                started = time.perf_counter()
                create_block_mask(mask_mod, sized["B"], None, seq, seq, device="cuda")
                torch.cuda.synchronize()
            theirs = (time.perf_counter() - started) * 1e3
            lines.append(f"| S = {seq} | {ours:.2f} | {theirs:.2f} | {theirs / ours:.3f} |")
        except Exception as error:
            lines.append(f"| S = {seq} | {type(error).__name__}: {str(error)[:100]} | - | - |")
    return lines


# ---------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------

def tflops_of(row, impl):
    x = row.get(impl)
    return x.get("tflops") if isinstance(x, dict) else None


def write(out, rows, machine):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    date = time.strftime("%Y-%m-%d")
    (out / "sweep.json").write_text(json.dumps({"machine": machine, "date": date, "rows": rows},
                                               indent=1))
    lines = [f"# Every example system next to FlexAttention ({machine}, {date})", "",
             "Forward, the spec's own types; dynamic sizes at B = 2 and S = the sweep's length. "
             "Useful TFLOP/s = 4 B Hq Sq Skv E density / time (density counted exactly from the "
             "mask); medians of triton.testing.do_bench in one process (bench/sweep.py). "
             "ours / dense: our useful rate over our dense kernel's rate at the same shape. "
             "Block maps: the compiler's tile classes (full / partial / skipped).", "",
             "| system | B Hq/Hkv S E type | density | check | ours TFLOP/s | FlexAttention TFLOP/s "
             "| ours / Flex | ours / our dense | create_block_mask ms | block map | notes |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ours, theirs, dense = tflops_of(r, "attn"), tflops_of(r, "flex"), tflops_of(r, "dense")
        fmt = lambda x: f"{x:.1f}" if x is not None else "-"  # noqa: E731
        ratio = f"{ours / theirs:.2f}" if ours and theirs else "-"
        versus_dense = f"{ours / dense:.2f}" if ours and dense else "-"
        density = f"{r['density']:.4f}" if r.get("density") is not None else "-"
        cbm = f"{r['create_block_mask_ms']:.1f}" if r.get("create_block_mask_ms") is not None else "-"
        maps = " ".join(f"[{m}](maps/{m})" for m in r.get("maps") or []) or "-"
        notes = r.get("error", "")
        tiles = r.get("kernel_tiles")
        if tiles:
            # Neighborhoods: the bound on ours / our dense is the kernels'
            # tile-density (kept pairs / pairs of the visited tiles).
            notes += f" kernel tiles {tiles['tiles']}: {tiles['text']}"
            if ours and dense and tiles.get("tile_density"):
                notes += f"; ours / dense / tile-density {ours / dense / tiles['tile_density']:.2f}"
        for impl in ("attn", "flex", "dense"):
            if isinstance(r.get(impl), dict) and "error" in r[impl]:
                notes += f" {impl}: {r[impl]['error'][:80]}"
        lines.append(f"| {r['name']} | {r['B']} {r['Hq']}/{r['Hkv']} {r['Sq']} {r['E']} {r['dtype']} "
                     f"| {density} | {r.get('check', '-')} | {fmt(ours)} | {fmt(theirs)} | {ratio} "
                     f"| {versus_dense} | {cbm} | {maps} | {notes.strip()} |")
    (out / "sweep.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return lines


# ---------------------------------------------------------------------------
# selftest (here)
# ---------------------------------------------------------------------------

def selftest(build):
    """Parses every example, checks each data-free translated mask against
    the compiler's sparsity report at S = 300 (kept pairs of batch row 0 per
    head), and writes a table from made-up timings."""
    import tempfile
    import numpy as np
    attn_opt = Path(build) / "bin" / "attn-opt"
    o = Ops(np)
    failures, checked = [], 0
    rows = []
    with tempfile.TemporaryDirectory() as tmp, open(os.devnull, "w") as log:
        for spec in sorted((ROOT / "examples").glob("*.mlir")):
            system = parse_spec(spec, 300)
            if system is None:
                continue
            system["B"] = 1
            rows.append({**{k: system[k] for k in ("name", "B", "Hq", "Hkv", "Sq", "Skv", "E", "dtype")},
                         "density": 0.5, "check": "PASS", "attn": {"tflops": 300.0},
                         "flex": {"tflops": 200.0}, "dense": {"tflops": 400.0},
                         "maps": [f"{system['name']}-{system['name']}-op0.svg"],
                         "kernel_tiles": kernel_tiles(attn_opt, system["spec"], system, log)})
            mask = parse_attr(system["mask"]) if system["mask"] else None
            if system["region"] or system["data"] or mask is None or \
                    system["Sq"] * system["Skv"] > 1 << 24:
                continue
            # The rule counted in NumPy against the report's kept pairs.
            rule = mask_rule(mask, system, [], o)
            i = np.arange(system["Sq"])[:, None]
            j = np.arange(system["Skv"])[None, :]
            want = [int(np.broadcast_to(rule(0, h, i, j), (system["Sq"], system["Skv"])).sum())
                    for h in range(system["Hq"])]
            rc, kept = report(attn_opt, spec, system, None, log)
            # Grid masks print two lines per head (row-major, patch): same counts.
            if kept and len(kept) == 2 * len(want):
                kept = kept[::2]
            checked += 1
            if rc != 0 or kept != want:
                failures.append(f"{system['name']}: report {kept[:4]}..., NumPy {want[:4]}...")
        lines = write(Path(tmp), rows, "selftest")
        if len(lines) != 6 + len(rows) or "| 1.50 | 0.75 |" not in lines[6]:
            failures.append("the table's ratios are wrong")
    # Data operands and rules for every data system (NumPy).
    for spec in sorted((ROOT / "examples").glob("*.mlir")):
        system = parse_spec(spec, 300)
        if system is None or not system["data"] or system["region"]:
            continue
        import random
        system["B"] = 1
        operands, rule_data = make_data(system, np, random.Random(7))
        for operand, want in zip(operands, system["data"]):
            shape = [d if d is not None else None for d in want["dims"]]
            if len(operand.shape) != len(shape) or any(
                    s is not None and s != got for s, got in zip(shape, operand.shape)):
                failures.append(f"{system['name']}: data shape {operand.shape} for {want['dims']}")
        mask = parse_attr(system["mask"]) if system["mask"] else None
        if mask is not None:
            rule = mask_rule(mask, system, rule_data, o)
            kept = rule(0, 0, np.arange(system["Sq"])[:, None], np.arange(system["Skv"])[None, :])
            if not 0 < int(np.sum(kept)) < system["Sq"] * system["Skv"]:
                failures.append(f"{system['name']}: the generated data keeps {int(np.sum(kept))}")
    print(f"selftest: {checked} masks checked against the sparsity report")
    for failure in failures:
        print("FAIL", failure)
    return not failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("prepare", "device", "selftest"))
    parser.add_argument("prepared", nargs="?")
    parser.add_argument("--build", default=str(ROOT / "build"))
    parser.add_argument("--seq", type=int, default=16384)
    parser.add_argument("--targets", default="host,sm_90,sm_90a",
                        help="prepare: attn-compile targets (host alone tries the flow here; "
                             "f32 specs leave sm_90a out)")
    parser.add_argument("--only", nargs="*",
                        help="prepare: these examples only (names, or comma-separated lists)")
    parser.add_argument("--out", default=os.environ.get("OUT", "."))
    args = parser.parse_args()
    if args.mode != "selftest" and not args.prepared:
        parser.error(f"{args.mode} needs PREPARED")
    if args.mode == "prepare":
        only = [name for names in args.only for name in names.split(",") if name] \
            if args.only else args.only
        prepare(args.prepared, args.build, args.seq, args.targets, only)
    elif args.mode == "device":
        device(args.prepared, args.out)
    else:
        sys.exit(0 if selftest(args.build) else 1)


if __name__ == "__main__":
    main()
