/* attn compiler C API: compile spec text into bundle bytes, in process.
 *
 * libattn_compiler.so parses an attention spec (docs/spec-language.md) and
 * runs the attn-compile pass on it, exactly as
 *   attn-opt SPEC --attn-compile="OPTIONS output=FILE"
 * does, but hands the bundle back in memory (a bundle of docs/runtime.md, to
 * load with attn_bundle_load_memory) together with the diagnostics as text.
 * It exports these functions and nothing else.
 *
 * Thread safety: compilations may run on several threads at once; each has
 * its own MLIR context. */
#ifndef ATTN_COMPILER_H
#define ATTN_COMPILER_H

#include <stddef.h>

#if defined(__GNUC__)
#define ATTN_COMPILER_API __attribute__((visibility("default")))
#else
#define ATTN_COMPILER_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum attn_compile_status {
  ATTN_COMPILE_OK = 0,
  /* A NULL pointer, or an option the C API does not take (output=, emit=,
   * report-resources: the C API returns the bundle itself). */
  ATTN_COMPILE_INVALID_ARGUMENT = 1,
  /* The spec does not parse or verify, an option is unknown or out of
   * range, or code generation failed: the diagnostics say why. */
  ATTN_COMPILE_FAILED = 2,
  /* The compiler could not use its private temporary directory. */
  ATTN_COMPILE_IO_ERROR = 3
} attn_compile_status;

/* One compilation's outcome: the bundle (on success) and the diagnostics. */
typedef struct attn_compilation attn_compilation;

/* "attn-compiler <version> (build <hex>)": the build part is the linker's
 * build id of this library, so any change to the compiler changes the
 * string. Caches key compiled bundles on it. */
ATTN_COMPILER_API const char *attn_compiler_version(void);

/* What host-cpu=native (the attn-compile default is the portable x86-64;
 * the Python package asks for native) compiles host binaries for on this
 * machine: "<LLVM CPU name> <enabled features, sorted, comma-separated>".
 * Host binaries built for one machine may not run on another, so caches of
 * bundles with a host binary key on it too. */
ATTN_COMPILER_API const char *attn_compiler_host_cpu(void);

/* Compiles `spec` (`spec_size` bytes of MLIR text, no NUL needed) with
 * `options`, the attn-compile pass options as attn-opt takes them
 * ("targets=host,sm_90 gpu-warps=8"; targets= is required). `name` names the
 * buffer in diagnostics ("name:3:7: error: ...") and becomes the bundle's
 * spec name unless the module has a name; NULL means "spec".
 *
 * On return *out holds a compilation whenever the status is not
 * ATTN_COMPILE_INVALID_ARGUMENT because of a NULL `out`: its diagnostics
 * explain any failure, and on ATTN_COMPILE_OK it holds the bundle. Free it
 * with attn_compilation_free. */
ATTN_COMPILER_API attn_compile_status attn_compile(const char *spec,
                                                   size_t spec_size,
                                                   const char *options,
                                                   const char *name,
                                                   attn_compilation **out);

/* The bundle's bytes and size; NULL and 0 unless the compilation succeeded.
 * Valid until attn_compilation_free. */
ATTN_COMPILER_API const void *attn_compilation_bundle(const attn_compilation *c,
                                                      size_t *size);

/* Errors, warnings and remarks, one per line with their source location and
 * the source line ("" when there were none). Valid until
 * attn_compilation_free. */
ATTN_COMPILER_API const char *
attn_compilation_diagnostics(const attn_compilation *c);

/* NULL is a no-op. */
ATTN_COMPILER_API void attn_compilation_free(attn_compilation *c);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ATTN_COMPILER_H */
