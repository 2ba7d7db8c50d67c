"""Finding and binding libattn_runtime.so and libattn_compiler.so (ctypes).

Search order for each library: the folder in $ATTN_LIBRARY_DIR, then the
copy installed inside this package (attn/_lib/, put there by
`pip install ./python` from a built tree). The compiler is optional: without
it, compiled bundles come from the disk cache only.
"""

import ctypes
import os
import threading
from pathlib import Path

from .errors import LibraryNotFound

_PACKAGE_LIB_DIR = Path(__file__).resolve().parent / "_lib"


class DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class DLTensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("device", DLDevice),
        ("ndim", ctypes.c_int32),
        ("dtype", DLDataType),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("strides", ctypes.POINTER(ctypes.c_int64)),
        ("byte_offset", ctypes.c_uint64),
    ]


_DELETER = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


class DLManagedTensor(ctypes.Structure):
    _fields_ = [("dl_tensor", DLTensor), ("manager_ctx", ctypes.c_void_p), ("deleter", _DELETER)]


class DLPackVersion(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint32), ("minor", ctypes.c_uint32)]


class DLManagedTensorVersioned(ctypes.Structure):
    _fields_ = [
        ("version", DLPackVersion),
        ("manager_ctx", ctypes.c_void_p),
        ("deleter", _DELETER),
        ("flags", ctypes.c_uint64),
        ("dl_tensor", DLTensor),
    ]


class KernelInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("num_args", ctypes.c_int), ("num_binaries", ctypes.c_int)]


class Dim(ctypes.Structure):
    _fields_ = [("extent", ctypes.c_int64), ("symbol", ctypes.c_char_p)]


class ArgInfo(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("kind", ctypes.c_int),
        ("role", ctypes.c_int),
        ("dtype", ctypes.c_int),
        ("rank", ctypes.c_int),
        ("dims", ctypes.POINTER(Dim)),
        ("innermost_contiguous", ctypes.c_int),
        ("contiguous", ctypes.c_int),
        ("alignment", ctypes.c_uint32),
    ]


class BinaryInfo(ctypes.Structure):
    _fields_ = [
        ("target", ctypes.c_char_p),
        ("kind", ctypes.c_int),
        ("calling_conv", ctypes.c_int),
        ("entry", ctypes.c_char_p),
        ("size", ctypes.c_size_t),
        ("launch", ctypes.c_char_p),
    ]


def _candidates(filename):
    env = os.environ.get("ATTN_LIBRARY_DIR")
    places = []
    if env:
        places.append(("$ATTN_LIBRARY_DIR", Path(env) / filename))
    places.append(("the attn package", _PACKAGE_LIB_DIR / filename))
    return places


def _open(filename):
    """The library as a ctypes.CDLL, or LibraryNotFound listing where it looked."""
    tried = []
    for where, path in _candidates(filename):
        if path.is_file():
            try:
                return ctypes.CDLL(str(path))
            except OSError as error:
                tried.append(f"{path} ({where}): {error}")
        else:
            tried.append(f"{path} ({where}): no such file")
    raise LibraryNotFound(
        f"{filename} not found; looked in: " + "; ".join(tried)
        + ". Build attn (scripts/setup.sh, or cmake -DATTN_BUILD_COMPILER=OFF for the runtime"
        " alone) and set ATTN_LIBRARY_DIR to its lib/ folder, or pip install ./python from the"
        " built tree"
    )


def _bind(lib, name, restype, *argtypes):
    fn = getattr(lib, name)
    fn.restype = restype
    fn.argtypes = list(argtypes)


_lock = threading.Lock()
_runtime = None
_compiler = None
_compiler_error = None


def runtime():
    """libattn_runtime.so with its C API declared."""
    global _runtime
    with _lock:
        if _runtime is None:
            lib = _open("libattn_runtime.so")
            P = ctypes.POINTER
            vp = ctypes.c_void_p
            _bind(lib, "attn_last_error", ctypes.c_char_p)
            _bind(lib, "attn_status_string", ctypes.c_char_p, ctypes.c_int)
            _bind(lib, "attn_bundle_load_memory", ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, P(vp))
            _bind(lib, "attn_bundle_free", None, vp)
            _bind(lib, "attn_bundle_producer", ctypes.c_char_p, vp)
            _bind(lib, "attn_bundle_spec_name", ctypes.c_char_p, vp)
            _bind(lib, "attn_bundle_num_kernels", ctypes.c_int, vp)
            _bind(lib, "attn_bundle_kernel_info", ctypes.c_int, vp, ctypes.c_int, P(KernelInfo))
            _bind(lib, "attn_bundle_arg_info", ctypes.c_int, vp, ctypes.c_int, ctypes.c_int, P(ArgInfo))
            _bind(lib, "attn_bundle_binary_info", ctypes.c_int, vp, ctypes.c_int, ctypes.c_int,
                  P(BinaryInfo))
            _bind(lib, "attn_kernel_launch", ctypes.c_int, vp, ctypes.c_char_p, ctypes.c_char_p,
                  P(P(DLTensor)), ctypes.c_int, vp)
            _bind(lib, "attn_kernel_select", ctypes.c_int, vp, ctypes.c_char_p, ctypes.c_char_p,
                  P(P(DLTensor)), ctypes.c_int, P(ctypes.c_int))
            _bind(lib, "attn_alloc_outputs", ctypes.c_int, vp, ctypes.c_char_p,
                  P(P(DLTensor)), ctypes.c_int, P(P(DLManagedTensor)))
            _bind(lib, "attn_tensor_free", None, P(DLManagedTensor))
            _runtime = lib
        return _runtime


def compiler():
    """libattn_compiler.so with its C API declared, or None when it is not
    found (then compiler_unavailable_reason() says why)."""
    global _compiler, _compiler_error
    with _lock:
        if _compiler is None and _compiler_error is None:
            try:
                lib = _open("libattn_compiler.so")
            except LibraryNotFound as error:
                _compiler_error = str(error)
                return None
            vp = ctypes.c_void_p
            _bind(lib, "attn_compiler_version", ctypes.c_char_p)
            _bind(lib, "attn_compiler_host_cpu", ctypes.c_char_p)
            _bind(lib, "attn_compile", ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t,
                  ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(vp))
            _bind(lib, "attn_compilation_bundle", vp, vp, ctypes.POINTER(ctypes.c_size_t))
            _bind(lib, "attn_compilation_diagnostics", ctypes.c_char_p, vp)
            _bind(lib, "attn_compilation_free", None, vp)
            _compiler = lib
        return _compiler


def compiler_unavailable_reason():
    compiler()
    return _compiler_error
