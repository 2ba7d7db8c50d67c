// A DLPack tensor's strides in elements, shared by the launch checks and the
// tensor-map encoding.
#ifndef ATTN_RUNTIME_STRIDES_H
#define ATTN_RUNTIME_STRIDES_H

#include <dlpack/dlpack.h>

#include <cstdint>
#include <limits>
#include <vector>

namespace attn::rt {

// Strides in elements; DLPack's NULL strides mean compact row-major. A
// compact stride past 64 bits saturates rather than wraps, so that checks
// of the stride refuse it.
inline std::vector<int64_t> stridesOf(const DLTensor &t) {
  if (t.strides) return std::vector<int64_t>(t.strides, t.strides + t.ndim);
  std::vector<int64_t> strides(static_cast<size_t>(t.ndim));
  int64_t step = 1;
  for (int d = t.ndim - 1; d >= 0; --d) {
    strides[d] = step;
    if (__builtin_mul_overflow(step, t.shape[d], &step)) step = std::numeric_limits<int64_t>::max();
  }
  return strides;
}

} // namespace attn::rt

#endif // ATTN_RUNTIME_STRIDES_H
