// Thin C++ wrappers over the C API (runtime.h): owning handles, and failures
// as attn::Error exceptions carrying the status and attn_last_error().
#ifndef ATTN_RUNTIME_HPP
#define ATTN_RUNTIME_HPP

#include "attn/runtime.h"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace attn {

class Error : public std::runtime_error {
public:
  Error(attn_status status, const std::string &message)
      : std::runtime_error(std::string(attn_status_string(status)) + ": " + message),
        status_(status) {}
  attn_status status() const { return status_; }

private:
  attn_status status_;
};

inline void check(attn_status status) {
  if (status != ATTN_OK) throw Error(status, attn_last_error());
}

// An owned DLPack tensor from attn_alloc_outputs (or empty).
class Tensor {
public:
  Tensor() = default;
  explicit Tensor(DLManagedTensor *t) : t_(t) {}
  explicit operator bool() const { return t_ != nullptr; }
  const DLTensor *get() const { return t_ ? &t_->dl_tensor : nullptr; }
  const DLTensor *operator->() const { return get(); }
  // Hands ownership to the caller (e.g. to give the tensor to a framework).
  DLManagedTensor *release() { return t_.release(); }

private:
  struct Free {
    void operator()(DLManagedTensor *t) const { attn_tensor_free(t); }
  };
  std::unique_ptr<DLManagedTensor, Free> t_;
};

class Bundle {
public:
  static Bundle loadFile(const std::string &path) {
    attn_bundle *b = nullptr;
    check(attn_bundle_load_file(path.c_str(), &b));
    return Bundle(b);
  }
  static Bundle loadMemory(const void *data, size_t size) {
    attn_bundle *b = nullptr;
    check(attn_bundle_load_memory(data, size, &b));
    return Bundle(b);
  }

  attn_bundle *get() const { return b_.get(); }
  uint32_t formatVersion() const { return attn_bundle_format_version(get()); }
  std::string producer() const { return attn_bundle_producer(get()); }
  std::string specName() const { return attn_bundle_spec_name(get()); }
  int numKernels() const { return attn_bundle_num_kernels(get()); }
  int findKernel(const std::string &name) const {
    int index = -1;
    check(attn_bundle_find_kernel(get(), name.c_str(), &index));
    return index;
  }
  attn_kernel_info kernel(int index) const {
    attn_kernel_info info;
    check(attn_bundle_kernel_info(get(), index, &info));
    return info;
  }
  attn_arg_info arg(int kernel, int index) const {
    attn_arg_info info;
    check(attn_bundle_arg_info(get(), kernel, index, &info));
    return info;
  }
  attn_binary_info binary(int kernel, int index) const {
    attn_binary_info info;
    check(attn_bundle_binary_info(get(), kernel, index, &info));
    return info;
  }

  // `target` and `stream` as for attn_kernel_launch.
  void launch(const std::string &kernel, const std::vector<const DLTensor *> &args,
              const char *target = nullptr, void *stream = nullptr) {
    check(attn_kernel_launch(get(), kernel.c_str(), target, args.data(),
                             static_cast<int>(args.size()), stream));
  }
  int select(const std::string &kernel, const std::vector<const DLTensor *> &args,
             const char *target = nullptr) {
    int index = -1;
    check(attn_kernel_select(get(), kernel.c_str(), target, args.data(),
                             static_cast<int>(args.size()), &index));
    return index;
  }
  // One entry per argument: the new tensor for outputs, empty for inputs.
  std::vector<Tensor> allocOutputs(const std::string &kernel,
                                   const std::vector<const DLTensor *> &args) {
    std::vector<DLManagedTensor *> raw(args.size(), nullptr);
    std::vector<Tensor> out;
    out.reserve(raw.size()); // so that taking ownership below cannot throw
    check(attn_alloc_outputs(get(), kernel.c_str(), args.data(),
                             static_cast<int>(args.size()), raw.data()));
    for (DLManagedTensor *t : raw) out.emplace_back(t);
    return out;
  }

private:
  explicit Bundle(attn_bundle *b) : b_(b) {}
  struct Free {
    void operator()(attn_bundle *b) const { attn_bundle_free(b); }
  };
  std::unique_ptr<attn_bundle, Free> b_;
};

} // namespace attn

#endif // ATTN_RUNTIME_HPP
