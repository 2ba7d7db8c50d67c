"""Compiling specs (through libattn_compiler.so and the disk cache), loading
bundles and calling their kernels on DLPack tensors (libattn_runtime.so)."""

import ctypes
import logging
import os
import sys
import threading
from pathlib import Path

from . import _cache, _dlpack, _lib
from .errors import CacheError, CompileError, CompilerUnavailable, KernelError

log = logging.getLogger("attn")

_ROLES = ("input", "output")
_KINDS = ("tensor", "scalar")
_BINARY_KINDS = ("host_shared_object", "cubin", "ptx", "hsaco")


def _check(status):
    if status:
        lib = _lib.runtime()
        raise KernelError(lib.attn_status_string(status).decode(),
                          lib.attn_last_error().decode(errors="replace"))


class Arg:
    """One argument of a kernel's signature."""

    __slots__ = ("name", "kind", "role", "dtype", "dims", "alignment")

    def __init__(self, info):
        self.name = info.name.decode()
        self.kind = _KINDS[info.kind]
        self.role = _ROLES[info.role]
        self.dtype = _dlpack.BUNDLE_DTYPES[info.dtype]
        # (static extent or None, size name or None) per dimension
        self.dims = tuple(
            (None, info.dims[i].symbol.decode()) if info.dims[i].symbol
            else (info.dims[i].extent, None) for i in range(info.rank))
        self.alignment = info.alignment

    def __repr__(self):
        dims = ", ".join(symbol or str(extent) for extent, symbol in self.dims)
        return f"{self.name}: {self.role} {self.kind} {self.dtype} [{dims}]"


class Bundle:
    """A loaded bundle (checked by the runtime: format, checksum, rules)."""

    def __init__(self, data, spec=None, diagnostics=""):
        lib = _lib.runtime()
        handle = ctypes.c_void_p()
        _check(lib.attn_bundle_load_memory(data, len(data), ctypes.byref(handle)))
        self._handle = handle
        self._lib = lib
        self.spec = spec
        self.diagnostics = diagnostics
        self.producer = lib.attn_bundle_producer(handle).decode()
        self.spec_name = lib.attn_bundle_spec_name(handle).decode()
        self.kernels = {}
        for index in range(lib.attn_bundle_num_kernels(handle)):
            kernel = Kernel(self, index)
            self.kernels[kernel.name] = kernel

    def kernel(self, name=None):
        """The kernel called `name`; without a name, the only kernel (not
        counting backward kernels, `<name>_grad`, and preparation kernels,
        `<name>_prep`)."""
        if name is None:
            forward = [k for n, k in self.kernels.items()
                       if not any(n.endswith(suffix) and n[:-len(suffix)] in self.kernels
                                  for suffix in ("_grad", "_prep"))]
            if len(forward) != 1:
                raise ValueError(f"the bundle holds kernels {sorted(self.kernels)}; "
                                 "name one with function=")
            return forward[0]
        if name not in self.kernels:
            raise ValueError(f"no kernel '{name}' in the bundle (it holds {sorted(self.kernels)})")
        return self.kernels[name]

    def __del__(self):
        handle = getattr(self, "_handle", None)
        if handle:
            self._lib.attn_bundle_free(handle)


def _torch_if_tensor(obj):
    torch = sys.modules.get("torch")
    return torch if torch is not None and isinstance(obj, torch.Tensor) else None


def _stream_handle(stream):
    """A CUstream as an integer from an int, a torch.cuda.Stream (or any
    object with .cuda_stream) or a __cuda_stream__ protocol object."""
    if stream is None or isinstance(stream, int):
        return stream or 0
    if hasattr(stream, "cuda_stream"):
        return int(stream.cuda_stream)
    if hasattr(stream, "__cuda_stream__"):
        return int(stream.__cuda_stream__()[1])
    raise TypeError(f"stream must be a CUstream integer or a CUDA stream object, got "
                    f"{type(stream).__name__}")


def _stream_for(obj, dl_stream):
    """The DLPack stream to export `obj` for: only CUDA tensors take one (a
    host tensor among CUDA ones is then refused by the runtime's checks)."""
    if dl_stream is None or isinstance(obj, _dlpack.Ref):
        return None
    return dl_stream if _dlpack.device_of(obj)[0] == _dlpack.CUDA else None


# Keys per entry of a key summary (kKeySummaryChunk, attn/Dialect/MaskVisits.h).
KEY_SUMMARY_CHUNK = 64


class Kernel:
    """One kernel of a bundle. Call it with its inputs in signature order
    (q, k, v, then data operands); outputs are allocated unless `out` gives
    them. Returns the output, or a tuple (o, lse) for two outputs.

    Bundles compiled with grad=True hold, next to each forward kernel, its
    backward kernel (`<name>_grad`): `backward()` runs it, and PyTorch tensors
    that require grad are differentiated through it by autograd.

    Bundles compiled with mask_prep="kernel" hold, next to a kernel reading
    documents as ids, its preparation kernel (`<name>_prep`) writing the key
    summary input `data<N>_summary`: a call without that input runs the
    preparation first (the summary allocated like the ids)."""

    def __init__(self, bundle, index):
        lib = _lib.runtime()
        info = _lib.KernelInfo()
        _check(lib.attn_bundle_kernel_info(bundle._handle, index, ctypes.byref(info)))
        self.bundle = bundle
        self.name = info.name.decode()
        self._name = info.name
        self.args = []
        for a in range(info.num_args):
            arg_info = _lib.ArgInfo()
            _check(lib.attn_bundle_arg_info(bundle._handle, index, a, ctypes.byref(arg_info)))
            self.args.append(Arg(arg_info))
        self.binaries = []
        for b in range(info.num_binaries):
            binary = _lib.BinaryInfo()
            _check(lib.attn_bundle_binary_info(bundle._handle, index, b, ctypes.byref(binary)))
            self.binaries.append((binary.target.decode(), _BINARY_KINDS[binary.kind]))
        self.inputs = [a for a in self.args if a.role == "input"]
        self.outputs = [a for a in self.args if a.role == "output"]

    @property
    def targets(self):
        return sorted({target for target, _ in self.binaries})

    @property
    def spec(self):
        return self.bundle.spec

    def __repr__(self):
        return f"<attn.Kernel {self.name}({', '.join(map(repr, self.args))}) on {self.targets}>"

    def _prepared(self, inputs, stream, target):
        """`inputs` with the key summary its preparation kernel writes from
        the ids, when the kernel reads one and the call leaves it out."""
        summary = next((i for i, a in enumerate(self.inputs)
                        if a.name.startswith("data") and a.name.endswith("_summary")), None)
        preparation = self.bundle.kernels.get(self.name + "_prep")
        if summary is None or preparation is None or len(inputs) != len(self.inputs) - 1:
            return inputs
        ids_name = self.inputs[summary].name[:-len("_summary")]
        ids = next(x for x, a in zip(inputs, self.inputs) if a.name == ids_name)
        batch, seq = ids.shape
        shape = (batch, -(-seq // KEY_SUMMARY_CHUNK), 2)
        torch = _torch_if_tensor(ids)
        if torch is not None:
            prepared = torch.empty(shape, dtype=ids.dtype, device=ids.device)
        else:
            import numpy
            prepared = numpy.empty(shape, dtype=numpy.asarray(ids).dtype)
        preparation._launch([ids], prepared, stream, target)
        return list(inputs[:summary]) + [prepared] + list(inputs[summary:])

    def __call__(self, *inputs, out=None, stream=None, target=None):
        inputs = self._prepared(inputs, stream, target)
        torch = _torch_if_tensor(inputs[0]) if inputs else None
        if torch is not None and torch.is_grad_enabled() and any(
                isinstance(x, torch.Tensor) and x.requires_grad for x in inputs):
            if out is not None:
                raise ValueError(f"kernel '{self.name}': out= cannot be used with inputs that "
                                 "require grad (autograd records the outputs it allocates)")
            from ._torch import differentiable_call
            return differentiable_call(self, inputs, stream, target)
        return self._launch(inputs, out, stream, target)

    @property
    def grad_kernel(self):
        """The backward kernel `<name>_grad` of this kernel (bundles compiled
        with grad=True), or None."""
        return self.bundle.kernels.get(self.name + "_grad")

    def backward(self, inputs, outputs, do, out=None, stream=None, target=None):
        """Every output of the backward kernel, in its order: (dq, dk, dv),
        then for each data operand `data<N>` the spec adds as a bias its
        gradient `ddata<N>` at [B, Hq, Sq, Skv] (grad_kernel.outputs names
        them). `inputs` are the forward call's inputs (q, k, v, data
        operands), `outputs` what it returned (o, lse) and `do` the gradient
        of o (row-major). `out` takes the gradients to write into; else they
        are allocated as outputs are."""
        grad = self.grad_kernel
        if grad is None:
            raise KernelError("ATTN_ERROR_NOT_FOUND",
                              f"kernel '{self.name}' has no backward kernel ('{self.name}_grad') "
                              "in its bundle: compile the spec with grad=True (attn.compile(..., "
                              "grad=True); attn-compile grad=true)")
        outputs = list(outputs) if isinstance(outputs, (tuple, list)) else [outputs]
        for given, args, what in ((inputs, self.inputs, "inputs"),
                                  (outputs, self.outputs, "outputs")):
            if len(given) != len(args):
                names = ", ".join(a.name for a in args)
                raise TypeError(f"the backward of kernel '{self.name}' takes the forward's "
                                f"{len(args)} {what} ({names}), got {len(given)}")
        by_name = {a.name: x for a, x in zip(self.inputs + self.outputs, list(inputs) + outputs)}
        by_name["do"] = do
        # The backward's inputs are the forward's arguments by name, then do.
        return grad._launch([by_name[a.name] for a in grad.inputs], out, stream, target)

    def _launch(self, inputs, out, stream, target):
        if len(inputs) != len(self.inputs):
            names = ", ".join(a.name for a in self.inputs)
            raise TypeError(f"kernel '{self.name}' takes {len(self.inputs)} inputs ({names}), "
                            f"got {len(inputs)}")
        tensors = [x for x, a in zip(inputs, self.inputs) if a.kind == "tensor"]
        device_type, device_id = _dlpack.device_of(tensors[0]) if tensors else (_dlpack.CPU, 0)
        cuda = device_type == _dlpack.CUDA
        handle = 0
        if cuda:
            torch = _torch_if_tensor(tensors[0])
            if stream is None and torch is not None:
                handle = torch.cuda.current_stream(device_id).cuda_stream
            else:
                handle = _stream_handle(stream)
        elif stream is not None:
            raise ValueError("stream= is for CUDA tensors; these are on "
                             f"{_dlpack.DEVICE_NAMES.get(device_type, device_type)}")
        # DLPack names the legacy default stream 1 (0 is ambiguous).
        dl_stream = (handle or 1) if cuda else None

        refs = []
        for x, a in zip(inputs, self.inputs):
            if a.kind == "scalar" and isinstance(x, (int, float, bool)):
                refs.append(_dlpack.scalar(x, a.dtype))
            else:
                refs.append(_dlpack.export(x, _stream_for(x, dl_stream)))
        outputs = self._outputs(inputs, refs, out, dl_stream)
        by_role = {"input": iter(refs), "output": iter(outputs[1])}
        ordered = [next(by_role[a.role]) for a in self.args]

        array = (ctypes.POINTER(_lib.DLTensor) * len(ordered))(
            *[ctypes.pointer(r.tensor) for r in ordered])
        _check(_lib.runtime().attn_kernel_launch(
            self.bundle._handle, self._name, target.encode() if target else None,
            array, len(ordered), ctypes.c_void_p(handle) if cuda else None))
        results = outputs[0]
        return results[0] if len(results) == 1 else tuple(results)

    def _outputs(self, inputs, refs, out, dl_stream):
        """(objects returned to the caller, their Refs) for every output."""
        if out is not None:
            given = list(out) if isinstance(out, (tuple, list)) else [out]
            if len(given) != len(self.outputs):
                names = ", ".join(a.name for a in self.outputs)
                raise TypeError(f"kernel '{self.name}' has {len(self.outputs)} outputs ({names}), "
                                f"out= gives {len(given)}")
            out_refs = [_dlpack.export(x, _stream_for(x, dl_stream)) for x in given]
            for r, a in zip(out_refs, self.outputs):
                if r.read_only:
                    raise ValueError(f"output '{a.name}' is read-only")
            return given, out_refs
        sizes = {}
        for r, a in zip(refs, self.inputs):
            if a.kind == "tensor":
                for (extent, symbol), size in zip(a.dims, r.shape):
                    if symbol:
                        sizes.setdefault(symbol, size)
        shapes = []
        for a in self.outputs:
            shape = []
            for d, (extent, symbol) in enumerate(a.dims):
                if symbol and symbol not in sizes:
                    raise ValueError(f"output '{a.name}' dimension {d} is {symbol}, which no input "
                                     "sets; pass the outputs with out=")
                shape.append(sizes[symbol] if symbol else extent)
            shapes.append(shape)
        like = inputs[0]
        torch = _torch_if_tensor(like)
        if torch is not None:
            from ._torch import TORCH_DTYPES
            made = [torch.empty(s, dtype=TORCH_DTYPES[a.dtype], device=like.device)
                    for s, a in zip(shapes, self.outputs)]
            return made, [_dlpack.export(x, dl_stream) for x in made]
        numpy = sys.modules.get("numpy")
        if numpy is not None and isinstance(like, numpy.ndarray) and all(
                a.dtype in _NUMPY_DTYPES for a in self.outputs):
            made = [numpy.empty(s, dtype=_NUMPY_DTYPES[a.dtype]) for s, a in zip(shapes, self.outputs)]
            return made, [_dlpack.export(x) for x in made]
        return self._runtime_outputs(refs)

    def _runtime_outputs(self, refs):
        lib = _lib.runtime()
        it = iter(refs)
        args = [ctypes.pointer(next(it).tensor) if a.role == "input" else None for a in self.args]
        array = (ctypes.POINTER(_lib.DLTensor) * len(args))(*args)
        made = (ctypes.POINTER(_lib.DLManagedTensor) * len(args))()
        _check(lib.attn_alloc_outputs(self.bundle._handle, self._name, array, len(args), made))
        tensors = [RuntimeTensor(made[i]) for i, a in enumerate(self.args) if a.role == "output"]
        return tensors, [_dlpack.Ref(t._managed.contents.dl_tensor, t) for t in tensors]


_NUMPY_DTYPES = {"f16": "float16", "f32": "float32", "f64": "float64", "i32": "int32",
                 "i64": "int64", "u8": "uint8", "i1": "bool"}


class RuntimeTensor:
    """A tensor the runtime allocated (host memory, or cuMemAlloc on a GPU),
    for outputs no framework can hold (bf16 on the CPU without PyTorch, or
    inputs from a framework attn does not know). It has __dlpack__; .numpy()
    gives a host copy, bf16 widened to float32."""

    def __init__(self, managed):
        self._managed = managed
        t = managed.contents.dl_tensor
        self.shape = tuple(t.shape[i] for i in range(t.ndim))
        self.dtype = _dlpack.dtype_name(t.dtype)
        self.device = (t.device.device_type, t.device.device_id)

    def __dlpack_device__(self):
        return self.device

    def __dlpack__(self, stream=None, max_version=None, dl_device=None, copy=None):
        if copy:
            raise BufferError("attn.RuntimeTensor exports without copying only")
        return _dlpack.export_capsule(self._managed.contents.dl_tensor, self)

    def numpy(self):
        import numpy as np
        if self.device[0] != _dlpack.CPU:
            raise ValueError("numpy() needs a host tensor; this one is on "
                             f"{_dlpack.DEVICE_NAMES.get(self.device[0])}:{self.device[1]}")
        t = self._managed.contents.dl_tensor
        count = 1
        for extent in self.shape:
            count *= extent
        raw_dtype = "uint16" if self.dtype == "bf16" else _NUMPY_DTYPES[self.dtype]
        address = (t.data or 0) + t.byte_offset
        buffer = (ctypes.c_uint8 * (count * _dlpack.ITEMSIZE[self.dtype])).from_address(address) \
            if count else bytearray()
        array = np.frombuffer(buffer, dtype=raw_dtype).reshape(self.shape).copy()
        if self.dtype == "bf16":
            return (array.astype(np.uint32) << 16).view(np.float32)
        return array

    def __array__(self, dtype=None, copy=None):
        array = self.numpy()
        return array if dtype is None else array.astype(dtype)

    def __repr__(self):
        return f"<attn.RuntimeTensor {self.dtype} {list(self.shape)} on " \
               f"{_dlpack.DEVICE_NAMES.get(self.device[0])}:{self.device[1]}>"

    def __del__(self):
        managed = getattr(self, "_managed", None)
        if managed:
            _lib.runtime().attn_tensor_free(managed)


class BFloat16Array:
    """bfloat16 values for NumPy users (NumPy has no bfloat16): the bits in a
    uint16 array, exported through DLPack as bf16. Kernels given these return
    RuntimeTensor outputs; .numpy() widens to float32."""

    def __init__(self, bits):
        import numpy as np
        bits = np.asarray(bits)
        if bits.dtype != np.uint16:
            raise TypeError(f"BFloat16Array holds uint16 bits, got {bits.dtype}; use "
                            "attn.bfloat16(values) to round floats")
        self.bits = bits
        self.shape = bits.shape

    def __dlpack_device__(self):
        return (_dlpack.CPU, 0)

    def __dlpack__(self, stream=None, max_version=None, dl_device=None, copy=None):
        ref = _dlpack.export(self.bits)
        t = ref.tensor
        tensor = _lib.DLTensor(t.data, t.device, t.ndim, _lib.DLDataType(4, 16, 1), t.shape,
                               t.strides, t.byte_offset)
        return _dlpack.export_capsule(tensor, ref)

    def numpy(self):
        import numpy as np
        return (self.bits.astype(np.uint32) << 16).view(np.float32)

    def __repr__(self):
        return f"<attn.BFloat16Array {list(self.shape)}>"


def bfloat16(values):
    """A BFloat16Array of float values rounded to the nearest bfloat16 (ties
    to even)."""
    import numpy as np
    wide = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    rounded = wide + np.uint32(0x7FFF) + ((wide >> np.uint32(16)) & np.uint32(1))
    bits = (rounded >> np.uint32(16)).astype(np.uint16)
    nan = np.isnan(np.asarray(values, dtype=np.float32))
    bits[nan] = 0x7FC0
    return BFloat16Array(bits)


# --- compiling -------------------------------------------------------------

_loaded = {}
_loaded_lock = threading.Lock()


def host_cpu_option():
    """The host-cpu= every host compilation uses: $ATTN_HOST_CPU (an LLVM CPU
    name such as x86-64-v3, for bundles that must run on other machines),
    else native."""
    return os.environ.get("ATTN_HOST_CPU", "native")


def options_string(targets, options):
    if isinstance(targets, str):
        targets = [t.strip() for t in targets.split(",") if t.strip()]
    targets = list(targets)
    if not targets:
        raise ValueError("targets must name at least one target (host, sm_80, sm_90)")
    parts = {"targets": ",".join(targets)}
    for key, value in options.items():
        key = key.replace("_", "-")
        if key in ("targets", "output", "emit", "report-resources"):
            raise ValueError(f"option {key} cannot be given here"
                             + (" (use targets=)" if key == "targets" else
                                ": attn.compile returns the bundle itself"))
        if isinstance(value, bool):
            value = "true" if value else "false"
        text = str(value)
        if not text or any(c.isspace() or c in "{}\"'" for c in text):
            raise ValueError(f"option {key}={text!r}: values are single words")
        parts[key] = text
    if "host" in targets and "host-cpu" not in parts:
        parts["host-cpu"] = host_cpu_option()
    return " ".join(f"{k}={parts[k]}" for k in sorted(parts))


def _compile_bytes(spec, options, name):
    """(bundle bytes, diagnostics) from the cache or the compiler."""
    compiler = _lib.compiler()
    if compiler is None:
        try:
            found = _cache.lookup_any(spec, options)
        except _cache.Corrupt as error:
            raise CacheError(f"{error}, and there is no compiler to build the bundle again "
                             f"({_lib.compiler_unavailable_reason()})") from None
        if found is None:
            raise CompilerUnavailable(
                "this spec is not in the attn cache "
                f"({_cache.cache_dir()}) and there is no compiler to build it: "
                + _lib.compiler_unavailable_reason()
                + ". Compile it on a machine with the compiler and copy the cache "
                "(ATTN_CACHE_DIR) here", spec=spec)
        return found[0], ""
    version = compiler.attn_compiler_version().decode()
    parsed = dict(part.split("=", 1) for part in options.split())
    # Host binaries for host-cpu=native run on CPUs like this one only.
    native = "host" in parsed["targets"].split(",") and parsed.get("host-cpu") == "native"
    build = _cache.build_key(spec, options, version,
                             compiler.attn_compiler_host_cpu().decode() if native else "")
    try:
        cached = _cache.lookup(spec, options, build)
    except _cache.Corrupt as error:
        log.warning("attn cache: %s; compiling again", error)
        cached = None
    if cached is not None:
        return cached, ""
    result = ctypes.c_void_p()
    data = spec.encode()
    status = compiler.attn_compile(data, len(data), options.encode(), name.encode(),
                                   ctypes.byref(result))
    try:
        diagnostics = compiler.attn_compilation_diagnostics(result).decode(errors="replace")
        if status != 0:
            first = next((line for line in diagnostics.splitlines() if "error" in line),
                         diagnostics.strip().splitlines()[0] if diagnostics.strip() else "")
            raise CompileError(f"attn could not compile the spec: {first}\n{diagnostics}",
                               diagnostics, spec)
        size = ctypes.c_size_t()
        pointer = compiler.attn_compilation_bundle(result, ctypes.byref(size))
        bundle = ctypes.string_at(pointer, size.value)
    finally:
        compiler.attn_compilation_free(result)
    if diagnostics:
        log.info("attn compiler: %s", diagnostics.strip())
    _cache.store(spec, options, build, bundle, version)
    return bundle, diagnostics


def load_bundle(spec, options, name="spec"):
    """The Bundle for (spec, options): loaded once per process, compiled once
    per compiler (disk cache)."""
    _lib.runtime()  # without the runtime nothing can run: say so first
    key = (spec, options)
    with _loaded_lock:
        bundle = _loaded.get(key)
    if bundle is None:
        data, diagnostics = _compile_bytes(spec, options, name)
        bundle = Bundle(data, spec, diagnostics)
        with _loaded_lock:
            bundle = _loaded.setdefault(key, bundle)
    return bundle


def compile(spec, targets="host", function=None, name=None, **options):
    """Compiles a spec (MLIR text, or a path to a .mlir file) for `targets`
    ("host", "sm_90", "host,sm_80,sm_90" or a list) with attn-compile's other
    options as keywords (gpu_warps=8, block_q=64, ...), and returns its
    kernel (the one named `function` when the spec has several).

    Bundles are cached on disk, keyed by spec, options and compiler version."""
    if isinstance(spec, os.PathLike):
        path = Path(spec)
        spec = path.read_text()
        name = name or path.stem
    if not isinstance(spec, str):
        raise TypeError(f"spec must be MLIR text (str) or a path, got {type(spec).__name__}")
    bundle = load_bundle(spec, options_string(targets, options), name or "spec")
    return bundle.kernel(function)


def load(path_or_bytes):
    """A Bundle from a .atnb file (path) or its bytes."""
    data = path_or_bytes if isinstance(path_or_bytes, (bytes, bytearray)) \
        else Path(path_or_bytes).read_bytes()
    return Bundle(bytes(data))


def compiler_version():
    """The compiler library's version string, or None without one."""
    compiler = _lib.compiler()
    return compiler.attn_compiler_version().decode() if compiler else None
