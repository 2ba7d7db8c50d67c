"""Exits 1 when file A is more than RATIO times larger than file B."""
import os
import sys

a, b, ratio = sys.argv[1], sys.argv[2], float(sys.argv[3])
size_a, size_b = os.path.getsize(a), os.path.getsize(b)
if size_a > ratio * size_b:
    print(f"{a}: {size_a} bytes, more than {ratio} x {size_b}")
    sys.exit(1)
