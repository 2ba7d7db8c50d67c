"""DLPack in pure Python: reading tensors from any object with __dlpack__,
and exporting tensors the runtime allocated.

A consumer that leaves a capsule unused (its name still "dltensor") gives it
back to the producer: the capsule's destructor then calls the tensor's
deleter. So a launch keeps each capsule alive until the call returns and
never renames it.
"""

import ctypes
import sys
import threading

from ._lib import DLDataType, DLManagedTensor, DLManagedTensorVersioned, DLTensor, _DELETER

CPU, CUDA, CUDA_HOST, ROCM = 1, 2, 3, 10
DEVICE_NAMES = {CPU: "cpu", CUDA: "cuda", CUDA_HOST: "cuda_host", ROCM: "rocm"}

# attn dtype name <-> DLPack (code, bits); kDLBool (6) is DLPack >= 0.8's.
DTYPES = {
    "f16": (2, 16), "bf16": (4, 16), "f32": (2, 32), "f64": (2, 64),
    "i32": (0, 32), "i64": (0, 64), "u8": (1, 8), "i1": (6, 8),
}
_DTYPE_OF_CODE = {v: k for k, v in DTYPES.items()}
# Bundle dtype enum values (attn_dtype in runtime.h).
BUNDLE_DTYPES = ["f16", "bf16", "f32", "f64", "i32", "i64", "i1", "u8"]
ITEMSIZE = {"f16": 2, "bf16": 2, "f32": 4, "f64": 8, "i32": 4, "i64": 8, "u8": 1, "i1": 1}
_READ_ONLY = 1  # DLPACK_FLAG_BITMASK_READ_ONLY

_capsule_get_pointer = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.py_object, ctypes.c_char_p)(
    ("PyCapsule_GetPointer", ctypes.pythonapi))
_capsule_is_valid = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.py_object, ctypes.c_char_p)(
    ("PyCapsule_IsValid", ctypes.pythonapi))


def dtype_name(dt):
    """attn's name of a DLDataType, or a description of one it lacks."""
    if dt.lanes == 1 and (dt.code, dt.bits) in _DTYPE_OF_CODE:
        return _DTYPE_OF_CODE[(dt.code, dt.bits)]
    return f"(code {dt.code}, bits {dt.bits}, lanes {dt.lanes})"


class Ref:
    """One DLTensor handed to the runtime, and what keeps its memory alive."""

    __slots__ = ("tensor", "keep", "read_only", "owner")

    def __init__(self, tensor, keep, read_only=False, owner=None):
        self.tensor = tensor  # a DLTensor (ctypes structure)
        self.keep = keep      # capsule, arrays, ... (lifetime only)
        self.read_only = read_only
        self.owner = owner    # the Python object the tensor came from

    @property
    def shape(self):
        t = self.tensor
        return tuple(t.shape[i] for i in range(t.ndim))

    @property
    def strides(self):
        t = self.tensor
        if not t.strides:
            return None
        return tuple(t.strides[i] for i in range(t.ndim))

    @property
    def dtype(self):
        return dtype_name(self.tensor.dtype)

    @property
    def device(self):
        return (self.tensor.device.device_type, self.tensor.device.device_id)

    def view(self, shape, strides):
        """The same memory under another shape and strides (in elements)."""
        t = self.tensor
        shape_array = (ctypes.c_int64 * len(shape))(*shape)
        stride_array = (ctypes.c_int64 * len(strides))(*strides)
        view = DLTensor(t.data, t.device, len(shape), t.dtype,
                        ctypes.cast(shape_array, ctypes.POINTER(ctypes.c_int64)),
                        ctypes.cast(stride_array, ctypes.POINTER(ctypes.c_int64)),
                        t.byte_offset)
        return Ref(view, (self, shape_array, stride_array), self.read_only, self.owner)


def device_of(obj):
    """(DLPack device type, device id) of an object with __dlpack_device__."""
    if isinstance(obj, Ref):
        return obj.device
    get = getattr(obj, "__dlpack_device__", None)
    if get is None:
        raise TypeError(
            f"expected a tensor with __dlpack__ (PyTorch, NumPy, ...), got {type(obj).__name__}")
    device_type, device_id = get()
    return int(device_type), int(device_id)


def export(obj, stream=None):
    """A Ref to `obj`'s DLPack tensor. `stream` is the CUDA stream (as the
    DLPack protocol's integer) the tensor will be used on, None on the CPU."""
    if isinstance(obj, Ref):
        return obj
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(obj, numpy.ndarray) and obj.dtype == numpy.bool_:
        # NumPy < 2 exports no bool arrays; their bytes are 0/1 uint8.
        ref = export(obj.view(numpy.uint8), stream)
        ref.tensor.dtype = DLDataType(*DTYPES["i1"], 1)
        ref.owner = obj
        return ref
    if not hasattr(obj, "__dlpack__"):
        raise TypeError(
            f"expected a tensor with __dlpack__ (PyTorch, NumPy, ...), got {type(obj).__name__}")
    kwargs = {} if stream is None else {"stream": stream}
    try:
        capsule = obj.__dlpack__(max_version=(1, 0), **kwargs)
    except TypeError:
        # Producers older than DLPack 1.0 (NumPy < 2) take no max_version.
        capsule = obj.__dlpack__(**kwargs)
    if _capsule_is_valid(capsule, b"dltensor_versioned"):
        managed = DLManagedTensorVersioned.from_address(
            _capsule_get_pointer(capsule, b"dltensor_versioned"))
        if managed.version.major != 1:
            raise TypeError(f"{type(obj).__name__} exported DLPack {managed.version.major}."
                            f"{managed.version.minor}; attn reads DLPack 1.x and 0.x")
        return Ref(managed.dl_tensor, capsule, bool(managed.flags & _READ_ONLY), obj)
    if _capsule_is_valid(capsule, b"dltensor"):
        managed = DLManagedTensor.from_address(_capsule_get_pointer(capsule, b"dltensor"))
        return Ref(managed.dl_tensor, capsule, False, obj)
    raise TypeError(f"{type(obj).__name__}.__dlpack__ returned no DLPack capsule")


def scalar(value, dtype):
    """A rank-0 host tensor holding `value` (for scalar kernel arguments)."""
    ctype = {"f32": ctypes.c_float, "f64": ctypes.c_double, "i32": ctypes.c_int32,
             "i64": ctypes.c_int64, "u8": ctypes.c_uint8, "i1": ctypes.c_uint8}.get(dtype)
    if ctype is None:
        raise TypeError(f"scalar arguments of type {dtype} cannot be given as Python numbers")
    cell = ctype(value)
    code, bits = DTYPES[dtype]
    tensor = DLTensor(ctypes.cast(ctypes.pointer(cell), ctypes.c_void_p), (CPU, 0), 0,
                      DLDataType(code, bits, 1), None, None, 0)
    return Ref(tensor, cell)


# Tensors exported by RuntimeTensor.__dlpack__, alive until their consumer
# calls the deleter (address of the DLManagedTensor -> (struct, owner)).
_exported = {}
_exported_lock = threading.Lock()


@_DELETER
def _export_deleter(address):
    with _exported_lock:
        _exported.pop(address, None)


_capsule_new = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.c_void_p, ctypes.c_char_p,
                                 ctypes.c_void_p)(("PyCapsule_New", ctypes.pythonapi))
_capsule_name_raw = ctypes.PYFUNCTYPE(ctypes.c_char_p, ctypes.c_void_p)(
    ("PyCapsule_GetName", ctypes.pythonapi))
_capsule_pointer_raw = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p)(
    ("PyCapsule_GetPointer", ctypes.pythonapi))


@ctypes.PYFUNCTYPE(None, ctypes.c_void_p)
def _capsule_destructor(capsule):
    # A capsule nobody consumed still owns its tensor.
    if _capsule_name_raw(capsule) == b"dltensor":
        address = _capsule_pointer_raw(capsule, b"dltensor")
        DLManagedTensor.from_address(address).deleter(address)


def export_capsule(tensor, owner):
    """A "dltensor" capsule of a new DLManagedTensor describing `tensor` (a
    DLTensor) that keeps `owner` alive until the consumer deletes it."""
    managed = DLManagedTensor(tensor, None, _export_deleter)
    address = ctypes.addressof(managed)
    with _exported_lock:
        _exported[address] = (managed, owner)
    return _capsule_new(address, b"dltensor",
                        ctypes.cast(_capsule_destructor, ctypes.c_void_p))
