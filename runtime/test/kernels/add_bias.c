/* Host test kernel in the host_c_iface convention (docs/runtime.md):
 *   args[0] -> descriptor of q (f32, rank 4), args[1] -> descriptor of o,
 *   args[2] -> float scale, args[3] -> int64_t shift;
 *   o = q * scale + shift, element by element, addressing both through their
 *   descriptors' offsets, sizes and strides. */
#include <stdint.h>

typedef struct {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[4];
  int64_t strides[4];
} MemRef4;

static int64_t at(const MemRef4 *m, int64_t i, int64_t j, int64_t k, int64_t l) {
  return m->offset + i * m->strides[0] + j * m->strides[1] + k * m->strides[2] +
         l * m->strides[3];
}

void add_bias(void **args) {
  const MemRef4 *q = (const MemRef4 *)args[0];
  const MemRef4 *o = (const MemRef4 *)args[1];
  float scale = *(const float *)args[2];
  int64_t shift = *(const int64_t *)args[3];
  for (int64_t i = 0; i < o->sizes[0]; ++i)
    for (int64_t j = 0; j < o->sizes[1]; ++j)
      for (int64_t k = 0; k < o->sizes[2]; ++k)
        for (int64_t l = 0; l < o->sizes[3]; ++l)
          o->aligned[at(o, i, j, k, l)] = q->aligned[at(q, i, j, k, l)] * scale + (float)shift;
}

/* Variants for the loader tests (runtime/test/CMakeLists.txt). */
#ifdef ATTN_TEST_FEATURES
const char attn_host_cpu_features[] = ATTN_TEST_FEATURES;
#endif
#ifdef ATTN_TEST_CRASH_ON_LOAD
#include <stdlib.h>
__attribute__((constructor)) static void crash_on_load(void) { abort(); }
#endif
