"""Writes document ids [B, S] as a little-endian int32 .npy file.

  document-ids.py PATH B S PATTERN

PATTERN: `sorted` (runs of increasing ids), `reused` (runs whose ids repeat
out of order: a document in several pieces), `interleaved` (ids cycling
every few tokens, negative ones included), `single` (one id).
"""
import struct
import sys

path, batch, seq, pattern = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
values = []
for b in range(batch):
    for x in range(seq):
        if pattern == "sorted":
            values.append(x * 5 // seq + b)
        elif pattern == "reused":
            values.append([7, 3, 7, -2, 3, 9][(x * 6 // seq + b) % 6])
        elif pattern == "interleaved":
            values.append((x // (2 + b)) % 3 - 1)
        elif pattern == "single":
            values.append(4)
        else:
            sys.exit("unknown pattern " + pattern)
header = "{'descr': '<i4', 'fortran_order': False, 'shape': (%d, %d), }" % (batch, seq)
header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
with open(path, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    f.write(struct.pack("<%di" % len(values), *values))
