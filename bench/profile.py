#!/usr/bin/env python3
"""Nsight Compute summary of the benchmark kernels (issue 11: achieved tensor
pipe utilisation and stalls per case), on the GPU machine:

    python3 bench/profile.py PREPARED [--baseline OTHER] [--cases dense causal]
                             [--out OUT]
    python3 bench/profile.py selftest          # here: the parser, no GPU

PREPARED (and OTHER, an earlier compiler's or another option's folder) is a
bench/prepare.sh folder. Per case of its cases.tsv, one ncu run of
`attn-run BUNDLE --target cuda` at the benchmark's size (B=2, S=16384, the
case's heads and head dimension), profiling one launch after the warm-ups,
with the sections SpeedOfLight, ComputeWorkloadAnalysis, WarpStateStats,
Occupancy and SchedulerStats and the tensor pipe's active cycles, written as
ncu's raw page (one column per metric). ncu replays the kernel at its own
clocks, so its duration is not the benchmark's time.

Writes OUT/profile.md: per case (and folder) the duration, the tensor pipe's
share of elapsed cycles, SM and memory throughput, issue slots busy, warps
per scheduler, warp cycles per issued instruction, and the largest stall
reasons (share of the cycles warps spend between issued instructions); and
OUT/profile-raw.tar.gz with every raw CSV and ncu log.
"""
import argparse
import csv
import datetime
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

B, S = 2, 16384
SECTIONS = ["SpeedOfLight", "ComputeWorkloadAnalysis", "WarpStateStats", "Occupancy",
            "SchedulerStats"]
TENSOR_PIPE = "sm__pipe_tensor_cycles_active.avg.pct_of_peak_sustained_elapsed"
# Table columns: (heading, metric names tried in order).
COLUMNS = [
    ("duration (ms)", ["gpu__time_duration.sum"]),
    ("tensor pipe active (% of elapsed)", [TENSOR_PIPE]),
    ("SM throughput (%)", ["sm__throughput.avg.pct_of_peak_sustained_elapsed"]),
    ("memory throughput (%)",
     ["gpu__compute_memory_throughput.avg.pct_of_peak_sustained_elapsed"]),
    ("issue slots busy (%)", ["sm__inst_issued.avg.pct_of_peak_sustained_active",
                              "smsp__issue_active.avg.pct_of_peak_sustained_active"]),
    ("warps per scheduler", ["smsp__warps_active.avg.per_cycle_active"]),
    ("cycles per issued instruction", ["smsp__average_warp_latency_per_inst_issued.ratio",
                                       "smsp__average_warps_issue_stalled_per_issue_active.ratio"]),
]
# Stall reasons: WarpStateStats' breakdown of the cycles between issued
# instructions, under either name ncu gives it (the first one present).
STALL_PATTERNS = [re.compile(r"^smsp__average_warps_issue_stalled_([a-z_]+)_per_issue_active\.ratio$"),
                  re.compile(r"^smsp__average_warp_latency_issue_stalled_([a-z_]+)\.ratio$")]
STALLS_SHOWN = 4


def parse_raw(text):
    """ncu's `--csv --page raw`: a header of metric names, a row of units,
    then one row per profiled kernel. Returns (units, rows) with rows as
    dicts of metric -> string, or raises ValueError."""
    lines = [line for line in text.splitlines() if line.startswith('"')]
    table = list(csv.reader(io.StringIO("\n".join(lines))))
    if len(table) < 3 or "Kernel Name" not in table[0]:
        raise ValueError("no raw page in ncu's output")
    header, units = table[0], table[1]
    rows = [dict(zip(header, row)) for row in table[2:] if len(row) == len(header)]
    return dict(zip(header, units)), rows


def number(text):
    try:
        return float(text.replace(",", ""))
    except (AttributeError, ValueError):
        return None


def summarize(units, row):
    """The table's cells and the largest stall reasons of one kernel."""
    cells = []
    for _heading, names in COLUMNS:
        value = next((number(row[n]) for n in names if number(row.get(n)) is not None), None)
        name = next((n for n in names if n in row), None)
        if value is not None and name == "gpu__time_duration.sum":
            unit = units.get(name, "")
            value *= {"ns": 1e-6, "us": 1e-3, "usecond": 1e-3, "nsecond": 1e-6,
                      "ms": 1.0, "msecond": 1.0, "s": 1e3, "second": 1e3}.get(unit, 1.0)
        cells.append("-" if value is None else f"{value:.3g}" if value < 100 else f"{value:.0f}")
    stalls = {}
    for pattern in STALL_PATTERNS:
        for name, text in row.items():
            m = pattern.match(name)
            if m and number(text) is not None:
                stalls[m.group(1)] = number(text)
        if stalls:
            break
    total = sum(stalls.values())
    top = sorted(stalls.items(), key=lambda item: -item[1])[:STALLS_SHOWN]
    described = ", ".join(f"{reason} {100 * value / total:.0f}%" for reason, value in top) \
        if total > 0 else "-"
    return cells, described


def profile(ncu, folder, name, raw_dir, label):
    """One ncu run (attn-run takes the heads and head dimension from the
    bundle); returns (cells, stalls) or an error string."""
    command = [ncu] + [arg for s in SECTIONS for arg in ("--section", s)] + [
        "--metrics", TENSOR_PIPE, "--launch-skip", "3", "--launch-count", "1",
        "--csv", "--page", "raw",
        str(Path(folder) / "bin" / "attn-run"), str(Path(folder) / "bundles" / f"{name}.atnb"),
        "--target", "cuda", "--batch", str(B), "--seq-q", str(S), "--seq-kv", str(S),
        "--runs", "2"]
    stem = f"{name}-{label}"
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        (raw_dir / f"{stem}.log").write_text(" ".join(command) + "\ntimed out after 600 s\n")
        return "ncu ran past 600 s"
    (raw_dir / f"{stem}.csv").write_text(proc.stdout)
    (raw_dir / f"{stem}.log").write_text(" ".join(command) + "\n" + proc.stderr)
    if proc.returncode != 0:
        return f"ncu exit {proc.returncode} (see {stem}.log)"
    try:
        units, rows = parse_raw(proc.stdout)
    except ValueError as error:
        return f"{error} (see {stem}.csv)"
    if not rows:
        return f"no kernel profiled (see {stem}.csv)"
    return summarize(units, rows[-1])


def device(args):
    ncu = shutil.which("ncu") or "/usr/local/cuda/bin/ncu"
    if not Path(ncu).exists():
        sys.exit("no ncu: install Nsight Compute or put it on PATH")
    folders = [("ours", args.prepared)] + ([("baseline", args.baseline)] if args.baseline else [])
    with open(Path(args.prepared) / "cases.tsv") as f:
        cases = [(line.rstrip("\n").split("\t") + ["16", "16", "128"])[:6] for line in f][1:]
    if args.cases:
        unknown = set(args.cases) - {c[0] for c in cases}
        if unknown:
            sys.exit(f"cases not in {args.prepared}/cases.tsv: {' '.join(sorted(unknown))}")
        cases = [c for c in cases if c[0] in args.cases]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    gpu = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                         capture_output=True, text=True).stdout.strip()
    headings = [heading for heading, _ in COLUMNS]
    lines = ["# Nsight Compute summary of the benchmark kernels", "",
             f"{gpu}; {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; "
             f"`python3 bench/profile.py` (ncu {' '.join('--section ' + s for s in SECTIONS)} "
             f"--metrics {TENSOR_PIPE}); bf16 forward, B={B}, S={S}, one launch per case at "
             "ncu's clocks. Stalls: the largest reasons, as shares of the cycles warps wait "
             "between issued instructions.", "",
             "| case | folder | " + " | ".join(headings) + " | largest stalls |",
             "|---" * (len(headings) + 3) + "|"]
    with tempfile.TemporaryDirectory() as scratch:
        raw_dir = Path(scratch) / "profile-raw"
        raw_dir.mkdir()
        for name, *_ in cases:
            for label, folder in folders:
                result = profile(ncu, folder, name, raw_dir, label)
                if isinstance(result, str):
                    row = [name, label] + ["-"] * len(headings) + [result]
                else:
                    cells, stalls = result
                    row = [name, label] + cells + [stalls]
                lines.append("| " + " | ".join(row) + " |")
                print(lines[-1], flush=True)
        with tarfile.open(out / "profile-raw.tar.gz", "w:gz") as tar:
            tar.add(raw_dir, arcname="profile-raw")
    (out / "profile.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {out / 'profile.md'} and {out / 'profile-raw.tar.gz'}")


def selftest():
    """The parser and the table on a raw page shaped like ncu's."""
    header = ["ID", "Process ID", "Kernel Name", "gpu__time_duration.sum", TENSOR_PIPE,
              "sm__throughput.avg.pct_of_peak_sustained_elapsed",
              "smsp__average_warps_issue_stalled_barrier_per_issue_active.ratio",
              "smsp__average_warps_issue_stalled_wait_per_issue_active.ratio",
              "smsp__average_warps_issue_stalled_long_scoreboard_per_issue_active.ratio",
              "smsp__average_warp_latency_issue_stalled_barrier.ratio"]
    units = ["", "", "", "usecond", "%", "%", "", "", "", ""]
    values = ["0", "123", "dense_sm_90a", "13,290.5", "61.5", "70.25", "3", "1", "0", "9"]
    text = "==PROF== Connected to process 123\n" + "\n".join(
        ",".join(f'"{cell}"' for cell in row) for row in (header, units, values)) + "\n"
    parsed_units, rows = parse_raw(text)
    cells, stalls = summarize(parsed_units, rows[0])
    expected_cells = ["13.3", "61.5", "70.2", "-", "-", "-", "-"]
    failures = []
    if cells != expected_cells:
        failures.append(f"cells {cells} != {expected_cells}")
    if stalls != "barrier 75%, wait 25%, long_scoreboard 0%":
        failures.append(f"stalls '{stalls}'")
    try:
        parse_raw("==PROF== error\n")
        failures.append("a page without a header parsed")
    except ValueError:
        pass
    for failure in failures:
        print("selftest FAILED:", failure)
    print("selftest", "FAILED" if failures else "passed")
    return not failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prepared", help="a bench/prepare.sh folder, or 'selftest'")
    parser.add_argument("--baseline", help="another bench/prepare.sh folder, profiled after each case")
    parser.add_argument("--cases", nargs="+", help="cases of cases.tsv (default: all)")
    parser.add_argument("--out", default=os.environ.get("OUT", "."))
    args = parser.parse_args()
    if args.prepared == "selftest":
        sys.exit(0 if selftest() else 1)
    device(args)


if __name__ == "__main__":
    main()
