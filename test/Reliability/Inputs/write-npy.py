"""Writes a little-endian integer .npy file.

  write-npy.py PATH V0 V1 ...                 int64, shape (n,)
  write-npy.py PATH --shape 1,2,0,0 --i4 ...  int32 of that shape
"""
import struct
import sys

args = sys.argv[1:]
path = args.pop(0)
descr, fmt, shape = "<i8", "q", None
while args and args[0].startswith("--"):
    flag = args.pop(0)
    if flag == "--i4":
        descr, fmt = "<i4", "i"
    elif flag == "--shape":
        shape = tuple(int(x) for x in args.pop(0).split(",") if x != "")
values = [int(v) for v in args]
if shape is None:
    shape = (len(values),)
shape_text = ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "")
header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (descr, shape_text)
header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
with open(path, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    f.write(struct.pack("<%d%s" % (len(values), fmt), *values))
