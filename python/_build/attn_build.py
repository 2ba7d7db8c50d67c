"""A PEP 517 build backend for attn's Python package, with no dependencies
(pip installs offline, and Debian's pip has no network to fetch setuptools).

The wheel holds attn/*.py and, in attn/_lib/, libattn_runtime.so and
libattn_compiler.so from $ATTN_LIBRARY_DIR, else from the repository's
build/lib (scripts/setup.sh builds there). A wheel with libraries is tagged
for this platform; without them it is pure Python and finds the libraries
through $ATTN_LIBRARY_DIR at run time.
"""

import base64
import hashlib
import os
import sys
import sysconfig
import zipfile
from pathlib import Path

NAME, VERSION = "attn", "0.1"
HERE = Path(__file__).resolve().parent.parent
LIBRARIES = ("libattn_runtime.so", "libattn_compiler.so")


def _library_dir():
    env = os.environ.get("ATTN_LIBRARY_DIR")
    return Path(env) if env else HERE.parent / "build" / "lib"


def _files():
    """(path inside the wheel, source path) for every installed file."""
    files = [(f"attn/{p.name}", p) for p in sorted((HERE / "attn").glob("*.py"))]
    libraries = _library_dir()
    for name in LIBRARIES:
        if (libraries / name).is_file():
            files.append((f"attn/_lib/{name}", libraries / name))
    if not any(f[0].startswith("attn/_lib/") for f in files):
        print(f"attn_build: no libraries in {libraries}; the package will need "
              "ATTN_LIBRARY_DIR at run time", file=sys.stderr)
    elif not any(f[0] == "attn/_lib/libattn_runtime.so" for f in files):
        raise RuntimeError(f"{libraries} has libattn_compiler.so but not libattn_runtime.so")
    return files


def _metadata():
    return (f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\n"
            "Summary: Compile attention specs and run them on PyTorch, NumPy and DLPack "
            "tensors\nRequires-Python: >=3.10\n")


def _tag(files):
    if any(f[0].startswith("attn/_lib/") for f in files):
        platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
        return f"py3-none-{platform}", False
    return "py3-none-any", True


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def _dist_info(tag, purelib):
    info = f"{NAME}-{VERSION}.dist-info"
    wheel = (f"Wheel-Version: 1.0\nGenerator: attn_build\n"
             f"Root-Is-Purelib: {'true' if purelib else 'false'}\nTag: {tag}\n")
    return info, {f"{info}/METADATA": _metadata().encode(), f"{info}/WHEEL": wheel.encode(),
                  f"{info}/top_level.txt": b"attn\n"}


def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    tag, purelib = _tag(_files())
    info, entries = _dist_info(tag, purelib)
    folder = Path(metadata_directory) / info
    folder.mkdir(parents=True, exist_ok=True)
    for path, data in entries.items():
        (Path(metadata_directory) / path).write_bytes(data)
    return info


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    files = _files()
    tag, purelib = _tag(files)
    info, entries = _dist_info(tag, purelib)
    filename = f"{NAME}-{VERSION}-{tag}.whl"
    record = []
    with zipfile.ZipFile(Path(wheel_directory) / filename, "w", zipfile.ZIP_DEFLATED) as wheel:
        for path, source in files:
            data = source.read_bytes()
            info_entry = zipfile.ZipInfo(path)
            info_entry.compress_type = zipfile.ZIP_DEFLATED
            info_entry.external_attr = (0o755 if path.endswith(".so") else 0o644) << 16
            wheel.writestr(info_entry, data)
            record.append(_record_line(path, data))
        for path, data in entries.items():
            wheel.writestr(path, data)
            record.append(_record_line(path, data))
        record.append(f"{info}/RECORD,,")
        wheel.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return filename
