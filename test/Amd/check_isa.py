#!/usr/bin/env python3
"""Checks the AMDGPU assembly attn-compile writes (emit=rocdl-isa) for what
the kernels are built for, since no AMD GPU runs them here:

  * the matrix instructions (v_mfma / v_wmma) run in a loop (between a label
    and a later branch back to it): the key-tile loop. (A visit range of one
    key tile, such as attention sinks, is straight-line code: its products
    are counted as outside loops.)
  * nothing goes to scratch: no private segment, no spilled VGPRs, no
    scratch or buffer loads and stores. (SGPRs spilled into VGPR lanes,
    which need no memory, are reported.)
  * the registers and the LDS leave the occupancy the chip is built for.

Occupancy, per chip (docs/amd.md):
  gfx90a, gfx942  4 SIMDs and 64 KiB of LDS per CU; 512 registers per lane
                  per SIMD, VGPRs and AGPRs together (.amdhsa_next_free_vgpr
                  counts both), allocated in granules of 8; target 2 waves
                  per SIMD.
  gfx1100         4 SIMDs and 128 KiB of LDS per WGP; 1536 VGPRs per lane per
                  SIMD in wave32, granules of 8 (at most 256 per wave);
                  target 6 waves per SIMD.
At most 8 waves run on a CDNA SIMD, 16 on an RDNA3 one.
A workgroup of W waves may use the LDS of a unit divided by the workgroups
the target needs there: target waves per SIMD * SIMDs / W.

  check_isa.py FILE.s [CHIPS]
      checks every kernel of the file for its chip, and that each kernel was
      compiled for every chip of CHIPS (comma-separated; default all three);
      prints one line per kernel and "N kernels, F failures"; exits 1 on a
      failure or when there is no kernel.
"""
import re
import sys

CHIPS = {
    "gfx90a": dict(registers=512, granule=8, max_wave=512, simds=4,
                   lds_unit=64 * 1024, target=2, max_waves=8, matrix="v_mfma_"),
    "gfx942": dict(registers=512, granule=8, max_wave=512, simds=4,
                   lds_unit=64 * 1024, target=2, max_waves=8, matrix="v_mfma_"),
    "gfx1100": dict(registers=1536, granule=8, max_wave=256, simds=4,
                    lds_unit=128 * 1024, target=6, max_waves=16,
                    matrix="v_wmma_"),
}


def metadata(text, entry):
    """The amdhsa.kernels entry of `entry`: its `.key: value` lines."""
    fields = {}
    block = re.search(r"^amdhsa\.kernels:\n(.*?)^amdhsa\.target", text,
                      re.M | re.S)
    if not block:
        return fields
    for kernel in re.split(r"^  - ", block.group(1), flags=re.M):
        if re.search(r"^\s*\.name:\s+%s$" % re.escape(entry), kernel, re.M):
            for key, value in re.findall(r"^\s*\.([a-z_]+):\s+(\S+)$", kernel,
                                         re.M):
                fields.setdefault(key, value)
    return fields


def check(chip, name, text):
    limits = CHIPS[chip]
    problems = []
    entry = re.search(r"^\t\.globl\t(\S+)$", text, re.M).group(1)
    meta = metadata(text, entry)
    body = re.search(r"^%s:\n(.*?)^\.Lfunc_end" % re.escape(entry), text,
                     re.M | re.S)
    lines = body.group(1).splitlines() if body else []

    # Loops: [label line, line of a later branch back to it].
    labels = {}
    loops = []
    for number, line in enumerate(lines):
        label = re.match(r"^(\.LBB\w+):", line)
        if label:
            labels[label.group(1)] = number
        branch = re.match(r"^\s+s_(?:cbranch_\w+|branch)\s+(\.LBB\w+)", line)
        if branch and branch.group(1) in labels:
            loops.append((labels[branch.group(1)], number))
    matrix = [n for n, line in enumerate(lines)
              if line.strip().startswith(limits["matrix"])]
    in_loops = [n for n in matrix
                if any(first < n < last for first, last in loops)]
    if not matrix:
        problems.append("no %s instruction" % limits["matrix"])
    elif not in_loops:
        problems.append("no matrix instruction in a loop")

    scratch = int(meta.get("private_segment_fixed_size", -1))
    spills = int(meta.get("vgpr_spill_count", 0))
    sgpr_spills = int(meta.get("sgpr_spill_count", 0))
    if scratch != 0:
        problems.append("private segment of %d bytes" % scratch)
    if spills:
        problems.append("%d spilled VGPRs" % spills)
    if any(re.match(r"^\s+(scratch|buffer)_(load|store)", line) for line in lines):
        problems.append("scratch instructions")

    vgprs = int(re.search(r"\.amdhsa_next_free_vgpr (\d+)", text).group(1))
    granule = limits["granule"]
    allocated = (vgprs + granule - 1) // granule * granule
    waves = min(limits["max_waves"], limits["registers"] // max(allocated, granule))
    if vgprs > limits["max_wave"]:
        problems.append("%d registers, above the %d a wave may have"
                        % (vgprs, limits["max_wave"]))
    if waves < limits["target"]:
        problems.append("%d registers allow %d waves per SIMD, below the "
                        "target %d" % (vgprs, waves, limits["target"]))
    lds = int(meta.get("group_segment_fixed_size", -1))
    workgroup = int(meta.get("max_flat_workgroup_size", 0))
    wave_size = int(meta.get("wavefront_size", 64))
    wg_waves = max(1, workgroup // wave_size)
    needed = max(1, limits["target"] * limits["simds"] // wg_waves)
    budget = min(64 * 1024, limits["lds_unit"] // needed)
    if lds < 0 or lds > budget:
        problems.append("LDS %d bytes above the %d a %d-wave workgroup may "
                        "use" % (lds, budget, wg_waves))
    print("kernel %s %s: matrix=%d (in loops %d) registers=%d (agprs=%s) "
          "waves/simd=%d lds=%d/%d scratch=%d vgpr_spills=%d sgpr_spills=%d: %s"
          % (name, chip, len(matrix), len(in_loops), vgprs,
             meta.get("agpr_count", "0"), waves, lds, budget, scratch, spills,
             sgpr_spills,
             "PASS" if not problems else "FAIL (" + "; ".join(problems) + ")"))
    return not problems


def main():
    path, chips = sys.argv[1], set(CHIPS)
    if len(sys.argv) > 2:
        chips = set(sys.argv[2].split(","))
    text = open(path).read()
    # attn-compile puts "; attn: kernel NAME, entry ENTRY for CHIP" before
    # each kernel's assembly.
    parts = re.split(r"^; attn: kernel (\S+), entry \S+ for (\S+)\n", text,
                     flags=re.M)
    kernels = failures = 0
    seen = {}
    for index in range(1, len(parts), 3):
        name, chip, assembly = parts[index:index + 3]
        kernels += 1
        seen.setdefault(name, set()).add(chip)
        if chip not in CHIPS:
            print("kernel %s: unknown chip %s: FAIL" % (name, chip))
            failures += 1
            continue
        failures += not check(chip, name, assembly)
    for name, found in sorted(seen.items()):
        if found != chips:
            print("kernel %s: compiled for %s, expected %s: FAIL"
                  % (name, ",".join(sorted(found)), ",".join(sorted(chips))))
            failures += 1
    print("%d kernels, %d failures" % (kernels, failures))
    sys.exit(1 if failures or not kernels else 0)


if __name__ == "__main__":
    main()
