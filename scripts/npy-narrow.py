#!/usr/bin/env python3
"""Rewrites a little-endian float64 .npy file as float32 or float16.

    npy-narrow.py FILE.npy f32|f16

The float64 reference dumps (attn-run SPEC --target ref --dump DIR) are
large; verify-h200.sh narrows the expected outputs it carries to the GPU
machine. float16 keeps 11 significant bits (relative rounding error below
4.9e-4 per element), enough to check bf16/f16 kernels against a 1e-2
tolerance; f32 kernels keep float32. Standard library only (no NumPy here).
"""
import ast
import struct
import sys


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("f32", "f16"):
        sys.exit("usage: npy-narrow.py FILE.npy f32|f16")
    path, target = sys.argv[1], sys.argv[2]
    with open(path, "rb") as f:
        data = f.read()
    if data[:6] != b"\x93NUMPY":
        sys.exit(f"{path}: not a .npy file")
    major = data[6]
    if major == 1:
        (length,), start = struct.unpack("<H", data[8:10]), 10
    else:
        (length,), start = struct.unpack("<I", data[8:12]), 12
    header = ast.literal_eval(data[start:start + length].decode("latin1"))
    if header["descr"] != "<f8" or header["fortran_order"]:
        sys.exit(f"{path}: expected a C-order <f8 array, got {header}")
    count = 1
    for extent in header["shape"]:
        count *= extent
    values = struct.unpack(f"<{count}d", data[start + length:])
    code, descr = ("f", "<f4") if target == "f32" else ("e", "<f2")
    shape = header["shape"]
    tuple_text = "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
    text = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, tuple_text)
    # Pad so that the preamble, the header and its newline fill 64-byte lines.
    text += " " * ((-(10 + len(text) + 1)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin1"))
        f.write(struct.pack(f"<{count}{code}", *values))


if __name__ == "__main__":
    main()
