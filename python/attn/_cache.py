"""The on-disk cache of compiled bundles.

Layout: DIR/<spec key>/<build key>.atnb and .json, where the spec key hashes
the spec text and the options, and the build key also the compiler version
(and, for host binaries built for host-cpu=native, this machine's CPU). The
.json, written last, records the bundle's SHA-256, which is checked before
any bundle is handed to the runtime. DIR is private (0700, owned by the
user), so no other user can plant a bundle (a bundle's host binary is code
that attn loads and runs).

Without a compiler (a machine with the runtime only) the build key cannot be
computed; the newest entry for the spec and options is used.
"""

import hashlib
import json
import os
import stat
import tempfile
import time
from pathlib import Path

from .errors import CacheError


def cache_dir():
    """$ATTN_CACHE_DIR, else $XDG_CACHE_HOME/attn, else ~/.cache/attn."""
    env = os.environ.get("ATTN_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "attn"


def _private(path):
    """Creates `path` (0700) if needed; refuses one owned by another user and
    makes one readable or writable by others private again."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise CacheError(f"attn cache {path} is not a directory")
    if info.st_uid != os.getuid():
        raise CacheError(f"attn cache {path} belongs to uid {info.st_uid}, not to this user "
                         f"({os.getuid()}); set ATTN_CACHE_DIR to a directory of your own")
    if info.st_mode & 0o077:
        os.chmod(path, 0o700)
    return path


def _hash(*parts):
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def spec_key(spec, options):
    return _hash("attn-spec-v1", spec, options)


def build_key(spec, options, compiler_version, host_cpu):
    return _hash("attn-build-v1", spec, options, compiler_version, host_cpu)


def _write_atomic(path, data):
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def store(spec, options, build, bundle, compiler_version):
    """Writes a bundle for (spec, options) under build key `build`."""
    folder = _private(_private(cache_dir()) / spec_key(spec, options))
    meta = {
        "sha256": hashlib.sha256(bundle).hexdigest(),
        "size": len(bundle),
        "options": options,
        "compiler": compiler_version,
        "created": time.time(),
        "spec": spec,
    }
    _write_atomic(folder / f"{build}.atnb", bundle)
    _write_atomic(folder / f"{build}.json", json.dumps(meta, indent=1).encode())


class Corrupt(Exception):
    """A cache entry whose bundle does not match its recorded hash."""


def _read(json_path):
    meta = json.loads(json_path.read_text())
    bundle = json_path.with_suffix(".atnb").read_bytes()
    if len(bundle) != meta["size"] or hashlib.sha256(bundle).hexdigest() != meta["sha256"]:
        raise Corrupt(f"{json_path.with_suffix('.atnb')} does not match the SHA-256 recorded "
                      f"in {json_path.name}")
    return bundle


def lookup(spec, options, build):
    """The bundle for the exact build key, or None. Raises Corrupt for an
    entry that fails its hash check."""
    root = cache_dir()
    folder = root / spec_key(spec, options)
    json_path = folder / f"{build}.json"
    if not json_path.is_file():
        return None
    _private(root)
    _private(folder)
    return _read(json_path)


def lookup_any(spec, options):
    """The newest bundle for (spec, options) whatever compiler built it, as
    (bundle, compiler version), or None."""
    root = cache_dir()
    folder = root / spec_key(spec, options)
    if not folder.is_dir():
        return None
    _private(root)
    _private(folder)
    entries = []
    for json_path in folder.glob("*.json"):
        try:
            entries.append((json.loads(json_path.read_text())["created"], json_path))
        except (OSError, ValueError, KeyError):
            continue
    if not entries:
        return None
    json_path = max(entries)[1]
    return _read(json_path), json.loads(json_path.read_text())["compiler"]
