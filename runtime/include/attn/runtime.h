/* attn runtime: load a bundle, check DLPack tensors against a kernel's
 * signature, and launch the kernel on the host, a CUDA device or a ROCm
 * (AMD) device.
 *
 * Pure C API. No LLVM, no CUDA or ROCm link-time dependency: the CUDA driver
 * (libcuda.so.1) and the HIP runtime (libamdhip64.so, or $ATTN_HIP_LIBRARY)
 * are opened at run time, the first time a target of theirs is used.
 * docs/runtime.md is the full reference (bundle schema, calling conventions).
 *
 * Errors: every function that can fail returns an attn_status; on failure the
 * calling thread's attn_last_error() holds a message naming what was wrong
 * (the argument, the dimension, both values, the driver's own error string).
 * Nothing is launched when a check fails.
 *
 * Thread safety: a bundle may be used from several threads at once; loaded
 * modules are cached per bundle behind a lock. */
#ifndef ATTN_RUNTIME_H
#define ATTN_RUNTIME_H

#include <dlpack/dlpack.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define ATTN_API __attribute__((visibility("default")))
#else
#define ATTN_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The newest bundle format version this runtime reads; it reads every
 * version from 2 up to it. Version 3 added tensor maps (TMA); bundles without
 * them stay version 2, which older runtimes read too. */
#define ATTN_BUNDLE_FORMAT_VERSION 3

typedef enum attn_status {
  ATTN_OK = 0,
  ATTN_ERROR_INVALID_ARGUMENT = 1,  /* null pointer, index out of range, bad preference */
  ATTN_ERROR_IO = 2,                /* the bundle file cannot be opened or read */
  ATTN_ERROR_INVALID_BUNDLE = 3,    /* foreign, truncated, corrupted or ill-formed */
  ATTN_ERROR_UNSUPPORTED_VERSION = 4, /* a format version this runtime does not read */
  ATTN_ERROR_NOT_FOUND = 5,         /* no kernel of that name */
  ATTN_ERROR_NO_BINARY = 6,         /* no binary for the requested target / device */
  ATTN_ERROR_ARGUMENT_MISMATCH = 7, /* a tensor does not fit the signature */
  ATTN_ERROR_LAUNCH_CONFIG = 8,     /* grid/block/shared memory out of range */
  ATTN_ERROR_HOST_LOADER = 9,       /* the host shared object cannot be loaded */
  ATTN_ERROR_NO_CUDA_DRIVER = 10,   /* libcuda.so.1 cannot be opened */
  ATTN_ERROR_NO_CUDA_DEVICE = 11,   /* the driver finds no (such) device */
  ATTN_ERROR_CUDA = 12,             /* a CUDA driver call failed */
  ATTN_ERROR_UNSUPPORTED = 13,      /* e.g. outputs on a device type attn cannot allocate on */
  ATTN_ERROR_OUT_OF_MEMORY = 14,
  ATTN_ERROR_INTERNAL = 15,         /* a bug in the runtime; the message says where */
  ATTN_ERROR_NO_HIP_RUNTIME = 16,   /* libamdhip64.so cannot be opened */
  ATTN_ERROR_NO_HIP_DEVICE = 17,    /* the HIP runtime finds no (such) device */
  ATTN_ERROR_HIP = 18               /* a HIP runtime call failed */
} attn_status;

/* Mirrors of the bundle schema's enums (same values). */
typedef enum attn_dtype {
  ATTN_F16 = 0, ATTN_BF16 = 1, ATTN_F32 = 2, ATTN_F64 = 3,
  ATTN_I32 = 4, ATTN_I64 = 5, ATTN_I1 = 6, ATTN_U8 = 7
} attn_dtype;
typedef enum attn_role { ATTN_INPUT = 0, ATTN_OUTPUT = 1 } attn_role;
typedef enum attn_arg_kind { ATTN_TENSOR = 0, ATTN_SCALAR = 1 } attn_arg_kind;
typedef enum attn_binary_kind {
  ATTN_HOST_SHARED_OBJECT = 0, ATTN_CUBIN = 1, ATTN_PTX = 2, ATTN_HSACO = 3
} attn_binary_kind;
typedef enum attn_calling_conv {
  ATTN_HOST_C_IFACE = 0, ATTN_GPU_EXPANDED_MEMREF = 1, ATTN_GPU_BARE_PTR = 2
} attn_calling_conv;

typedef struct attn_bundle attn_bundle;

/* All strings and arrays below point into the bundle and stay valid until
 * attn_bundle_free. */
typedef struct attn_kernel_info {
  const char *name;
  int num_args;
  int num_binaries;
} attn_kernel_info;

typedef struct attn_dim {
  int64_t extent;     /* static extent, or -1 when symbolic */
  const char *symbol; /* size name ("B", "Sq"), or NULL when static */
} attn_dim;

typedef struct attn_arg_info {
  const char *name;
  attn_arg_kind kind;
  attn_role role;
  attn_dtype dtype;
  int rank;
  const attn_dim *dims;      /* rank entries */
  int innermost_contiguous;  /* the last dimension must have stride 1 */
  int contiguous;            /* the tensor must be compact row-major */
  uint32_t alignment;        /* required alignment of data + byte_offset */
} attn_arg_info;

typedef struct attn_binary_info {
  const char *target;        /* "host", "sm_90", "sm_90a", "gfx942", ... */
  attn_binary_kind kind;
  attn_calling_conv calling_conv;
  const char *entry;
  size_t size;               /* bytes of the binary */
  /* GPU only, else NULL: "grid=(ceil_div(Sq, 128), Hq, B) block=(128, 1, 1)
   * shared_mem_bytes=0" */
  const char *launch;
} attn_binary_info;

/* The message of the calling thread's last failure ("" if none). Valid until
 * the thread's next call into this library. */
ATTN_API const char *attn_last_error(void);
/* "ATTN_OK", "ATTN_ERROR_IO", ...; "unknown status" for other values. */
ATTN_API const char *attn_status_string(attn_status status);

/* Load and fully check a bundle (identifier, version, structure, checksum,
 * every rule of docs/runtime.md). load_memory copies `data`. */
ATTN_API attn_status attn_bundle_load_file(const char *path, attn_bundle **out);
ATTN_API attn_status attn_bundle_load_memory(const void *data, size_t size,
                                             attn_bundle **out);
/* Unloads cached modules. Tensors from attn_alloc_outputs outlive it. NULL is
 * a no-op. */
ATTN_API void attn_bundle_free(attn_bundle *bundle);

ATTN_API uint32_t attn_bundle_format_version(const attn_bundle *bundle);
ATTN_API const char *attn_bundle_producer(const attn_bundle *bundle);
ATTN_API const char *attn_bundle_spec_name(const attn_bundle *bundle);
ATTN_API int attn_bundle_num_kernels(const attn_bundle *bundle);
ATTN_API attn_status attn_bundle_find_kernel(const attn_bundle *bundle,
                                             const char *name, int *index);
ATTN_API attn_status attn_bundle_kernel_info(const attn_bundle *bundle, int kernel,
                                             attn_kernel_info *out);
ATTN_API attn_status attn_bundle_arg_info(const attn_bundle *bundle, int kernel,
                                          int arg, attn_arg_info *out);
ATTN_API attn_status attn_bundle_binary_info(const attn_bundle *bundle, int kernel,
                                             int binary, attn_binary_info *out);

/* Launch `kernel` on `args` (one per signature argument, in signature order;
 * scalars are rank-0 DLTensors in host memory whose value is passed).
 *
 * target_preference:
 *   NULL or ""  from the tensors' device: kDLCPU -> "host", kDLCUDA -> "cuda",
 *               kDLROCM -> "rocm"
 *   "host"      the host shared object
 *   "cuda"      the best binary for the tensors' CUDA device: an exact cubin
 *               (sm_XYa before sm_XY), then a cubin of the same major and a
 *               lower minor, then the newest PTX the device can compile
 *   "sm_XY[a]"  exactly that target's binary (cubin before PTX)
 *   "rocm"      the HSACO whose target is the tensors' ROCm device's
 *               architecture (gfx942 for a "gfx942:sramecc+:xnack-" device)
 *   "gfx..."    exactly that target's HSACO, which must be the device's
 * stream: a CUstream for CUDA targets, a hipStream_t for ROCm targets (NULL =
 * the default stream); must be NULL for the host target.
 *
 * Host launches run to completion before returning. CUDA and ROCm launches are
 * queued on `stream`; errors of the kernel itself surface at the next
 * synchronization. A GPU launch whose grid has a zero extent (an empty
 * problem) is skipped. */
ATTN_API attn_status attn_kernel_launch(attn_bundle *bundle, const char *kernel,
                                        const char *target_preference,
                                        const DLTensor *const *args, int nargs,
                                        void *stream);

/* The binary index (for attn_bundle_binary_info) that attn_kernel_launch
 * would run for these arguments, after the same checks; for CUDA and ROCm
 * this opens the driver or runtime and queries the device but loads nothing. */
ATTN_API attn_status attn_kernel_select(attn_bundle *bundle, const char *kernel,
                                        const char *target_preference,
                                        const DLTensor *const *args, int nargs,
                                        int *binary);

/* Allocate the output tensors of `kernel` with shapes taken from the inputs.
 * `args` is as for attn_kernel_launch, except that entries of output
 * arguments are ignored (may be NULL). For each output argument i, outputs[i]
 * receives a new compact row-major tensor on the inputs' device (host: an
 * aligned allocation; CUDA: cuMemAlloc in the context attn_kernel_launch would
 * use; ROCm: hipMalloc on the inputs' device); for each input, outputs[i] is
 * set to NULL. `outputs` has nargs
 * entries. Free each with attn_tensor_free (or its DLPack deleter). On failure
 * nothing is left allocated and every outputs[i] is NULL. */
ATTN_API attn_status attn_alloc_outputs(attn_bundle *bundle, const char *kernel,
                                        const DLTensor *const *args, int nargs,
                                        DLManagedTensor **outputs);
/* Calls t->deleter(t); NULL is a no-op. */
ATTN_API void attn_tensor_free(DLManagedTensor *t);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ATTN_RUNTIME_H */
