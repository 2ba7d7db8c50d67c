// Thin C++ wrappers over the C API (runtime.h): owning handles, and failures
// as attn::Error exceptions carrying the status and attn_last_error().
#ifndef ATTN_RUNTIME_HPP
#define ATTN_RUNTIME_HPP

#include "attn/runtime.h"

#include <cstring>
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

// dQ, dK and dV from Bundle::backward (runtime-allocated, on the inputs'
// device), and the gradient of each data operand the spec reads as a bias
// (#attn.bias), in the backward kernel's argument order (outputs named
// 'ddata<N>' for the operand 'data<N>'), at the full shape [B, Hq, Sq, Skv]:
// sum it over the dimensions the operand broadcasts.
struct Gradients {
  Tensor dq, dk, dv;
  std::vector<Tensor> dbias;
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

  // `target` and `stream` as for attn_kernel_launch. A kernel that reads a
  // key summary (attn-compile mask-prep=kernel: its input 'data<N>_summary'
  // is written by the bundle's kernel '<kernel>_prep' from the ids
  // 'data<N>') may be given its arguments without the summary: the call then
  // runs the preparation first, into a summary the runtime allocates.
  void launch(const std::string &kernel, const std::vector<const DLTensor *> &args,
              const char *target = nullptr, void *stream = nullptr) {
    // A call with every argument goes straight to the runtime.
    int index = -1, position = -1;
    if (attn_bundle_find_kernel(get(), kernel.c_str(), &index) != ATTN_OK ||
        args.size() + 1 != static_cast<size_t>(this->kernel(index).num_args) ||
        (position = keySummaryArg(kernel)) < 0) {
      check(attn_kernel_launch(get(), kernel.c_str(), target, args.data(),
                               static_cast<int>(args.size()), stream));
      return;
    }
    Tensor summary = prepareKeySummary(kernel, args, target, stream);
    std::vector<const DLTensor *> full = args;
    full.insert(full.begin() + position, summary.get());
    check(attn_kernel_launch(get(), kernel.c_str(), target, full.data(),
                             static_cast<int>(full.size()), stream));
  }
  // The position of `kernel`'s key summary input among its arguments, or -1
  // when it reads none (or the bundle has no preparation kernel for it).
  int keySummaryArg(const std::string &kernel) const {
    int index = findKernel(kernel), preparation = -1;
    if (attn_bundle_find_kernel(get(), preparationKernelName(kernel).c_str(), &preparation) !=
        ATTN_OK)
      return -1;
    attn_kernel_info info = this->kernel(index);
    for (int a = 0; a < info.num_args; ++a) {
      attn_arg_info argInfo = arg(index, a);
      std::string name = argInfo.name;
      if (argInfo.role == ATTN_INPUT && name.size() > 12 && name.compare(0, 4, "data") == 0 &&
          name.compare(name.size() - 8, 8, "_summary") == 0)
        return a;
    }
    return -1;
  }
  static std::string preparationKernelName(const std::string &kernel) {
    return kernel + "_prep";
  }
  // Runs '<kernel>_prep' on the ids among `args` (`kernel`'s arguments
  // without the summary, in its order; only those before the summary are
  // read) and returns the summary it wrote, allocated by the runtime on the
  // ids' device.
  Tensor prepareKeySummary(const std::string &kernel, const std::vector<const DLTensor *> &args,
                           const char *target = nullptr, void *stream = nullptr) {
    int position = keySummaryArg(kernel);
    if (position < 0)
      throw Error(ATTN_ERROR_NOT_FOUND, "kernel '" + kernel +
                                            "' reads no key summary (attn-compile "
                                            "mask-prep=kernel makes kernels that do)");
    int index = findKernel(kernel);
    std::string summaryName = arg(index, position).name;
    std::string idsName = summaryName.substr(0, summaryName.size() - 8);
    const DLTensor *ids = nullptr;
    for (int a = 0; a < position && a < static_cast<int>(args.size()); ++a)
      if (idsName == arg(index, a).name) ids = args[static_cast<size_t>(a)];
    if (!ids)
      throw Error(ATTN_ERROR_INVALID_ARGUMENT, "kernel '" + kernel + "' needs the ids '" +
                                                   idsName + "' to prepare '" + summaryName +
                                                   "'");
    std::string preparation = preparationKernelName(kernel);
    std::vector<const DLTensor *> prepArgs = {ids, nullptr};
    std::vector<Tensor> made = allocOutputs(preparation, prepArgs);
    prepArgs[1] = made[1].get();
    check(attn_kernel_launch(get(), preparation.c_str(), target, prepArgs.data(),
                             static_cast<int>(prepArgs.size()), stream));
    return std::move(made[1]);
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

  // Backward (bundles compiled with grad=true hold, next to each forward
  // kernel `f`, the kernel `f_grad`, docs/backward.md). `forwardArgs` are the
  // forward launch's arguments in its order -- inputs, and its outputs o and
  // lse as the forward wrote them -- and dO is the gradient of o; the call
  // writes dQ, dK, dV and the bias gradients. The runtime checks every tensor
  // as for a launch.
  bool hasBackward(const std::string &forward) const {
    int index = -1;
    return attn_bundle_find_kernel(get(), backwardKernelName(forward).c_str(), &index) ==
           ATTN_OK;
  }
  static std::string backwardKernelName(const std::string &forward) { return forward + "_grad"; }

  Gradients backward(const std::string &forward, const std::vector<const DLTensor *> &forwardArgs,
                     const DLTensor *dO, const char *target = nullptr, void *stream = nullptr) {
    std::string name = backwardKernelName(forward);
    std::vector<const DLTensor *> args = backwardArgs(forward, forwardArgs, dO, {});
    std::vector<Tensor> made;
    try {
      made = allocOutputs(name, args);
    } catch (const Error &e) {
      throw Error(e.status(), "backward kernel '" + name + "': " + attn_last_error());
    }
    Gradients grads;
    int kernel = findKernel(name);
    for (size_t a = 0; a < made.size(); ++a) {
      if (!made[a]) continue;
      const char *argName = arg(kernel, static_cast<int>(a)).name;
      args[a] = made[a].get();
      if (std::strcmp(argName, "dq") == 0)
        grads.dq = std::move(made[a]);
      else if (std::strcmp(argName, "dk") == 0)
        grads.dk = std::move(made[a]);
      else if (std::strcmp(argName, "dv") == 0)
        grads.dv = std::move(made[a]);
      else
        grads.dbias.push_back(std::move(made[a]));
    }
    launchChecked(name, args, target, stream);
    return grads;
  }
  // The same into the caller's dq, dk and dv (and, for a spec with bias
  // operands, one [B, Hq, Sq, Skv] tensor per bias gradient, in the order of
  // Gradients::dbias).
  void launchBackward(const std::string &forward, const std::vector<const DLTensor *> &forwardArgs,
                      const DLTensor *dO, const DLTensor *dq, const DLTensor *dk,
                      const DLTensor *dv, const char *target = nullptr, void *stream = nullptr) {
    launchBackward(forward, forwardArgs, dO, dq, dk, dv, std::vector<const DLTensor *>(), target,
                   stream);
  }
  void launchBackward(const std::string &forward, const std::vector<const DLTensor *> &forwardArgs,
                      const DLTensor *dO, const DLTensor *dq, const DLTensor *dk,
                      const DLTensor *dv, const std::vector<const DLTensor *> &dbias,
                      const char *target = nullptr, void *stream = nullptr) {
    std::vector<const DLTensor *> grads = {dq, dk, dv};
    grads.insert(grads.end(), dbias.begin(), dbias.end());
    launchChecked(backwardKernelName(forward), backwardArgs(forward, forwardArgs, dO, grads),
                  target, stream);
  }

private:
  explicit Bundle(attn_bundle *b) : b_(b) {}

  // The backward kernel's arguments: each named as a forward argument is that
  // one, then 'do', then 'dq', 'dk', 'dv' and the bias gradients (`grads` in
  // that order; empty: all allocated).
  std::vector<const DLTensor *> backwardArgs(const std::string &forward,
                                             const std::vector<const DLTensor *> &forwardArgs,
                                             const DLTensor *dO,
                                             std::vector<const DLTensor *> grads) {
    int forwardKernel = findKernel(forward);
    std::string name = backwardKernelName(forward);
    int backwardKernel = -1;
    if (attn_bundle_find_kernel(get(), name.c_str(), &backwardKernel) != ATTN_OK)
      throw Error(ATTN_ERROR_NOT_FOUND,
                  "kernel '" + forward + "' has no backward kernel ('" + name +
                      "') in this bundle: compile the spec with grad=true (attn-opt "
                      "--attn-compile=\"... grad=true\", attn.compile(..., grad=True))");
    attn_kernel_info forwardInfo = kernel(forwardKernel);
    // The key summary may be left out, as for launch: the backward does not
    // read it.
    int summary = keySummaryArg(forward);
    bool withoutSummary =
        summary >= 0 && forwardArgs.size() + 1 == static_cast<size_t>(forwardInfo.num_args);
    if (forwardArgs.size() != static_cast<size_t>(forwardInfo.num_args) && !withoutSummary)
      throw Error(ATTN_ERROR_INVALID_ARGUMENT,
                  "the backward of kernel '" + forward + "' takes the forward's " +
                      std::to_string(forwardInfo.num_args) +
                      " arguments (its inputs, and its outputs as the forward wrote them), got " +
                      std::to_string(forwardArgs.size()));
    if (!dO)
      throw Error(ATTN_ERROR_INVALID_ARGUMENT, "the backward of kernel '" + forward +
                                                   "' needs dO (the gradient of o), got NULL");
    attn_kernel_info info = kernel(backwardKernel);
    std::vector<const DLTensor *> args(static_cast<size_t>(info.num_args), nullptr);
    size_t biasGradients = 0;
    for (int a = 0; a < info.num_args; ++a) {
      attn_arg_info argInfo = arg(backwardKernel, a);
      std::string argName = argInfo.name;
      if (argName == "do") {
        args[a] = dO;
      } else if (argName == "dq" || argName == "dk" || argName == "dv") {
        if (!grads.empty()) args[a] = grads[argName == "dq" ? 0 : argName == "dk" ? 1 : 2];
      } else if (argInfo.role == ATTN_OUTPUT) {
        size_t slot = 3 + biasGradients++;
        if (!grads.empty() && slot >= grads.size())
          throw Error(ATTN_ERROR_INVALID_ARGUMENT,
                      "backward kernel '" + name + "' also writes the bias gradient '" +
                          argName + "' ([B, Hq, Sq, Skv]): pass one tensor per bias gradient");
        if (!grads.empty()) args[a] = grads[slot];
      } else {
        int match = -1;
        for (int f = 0; f < forwardInfo.num_args && match < 0; ++f)
          if (argName == arg(forwardKernel, f).name && !(withoutSummary && f == summary))
            match = withoutSummary && f > summary ? f - 1 : f;
        if (match < 0)
          throw Error(ATTN_ERROR_INVALID_BUNDLE, "backward kernel '" + name + "' argument " +
                                                     std::to_string(a) + " ('" + argName +
                                                     "') is no argument of kernel '" + forward +
                                                     "'");
        args[a] = forwardArgs[match];
      }
    }
    if (!grads.empty() && grads.size() != 3 + biasGradients)
      throw Error(ATTN_ERROR_INVALID_ARGUMENT,
                  "backward kernel '" + name + "' writes " + std::to_string(biasGradients) +
                      " bias gradient(s), got " + std::to_string(grads.size() - 3));
    return args;
  }
  // launch, with the kernel's name in the message (the runtime's names the
  // argument only).
  void launchChecked(const std::string &name, const std::vector<const DLTensor *> &args,
                     const char *target, void *stream) {
    attn_status status = attn_kernel_launch(get(), name.c_str(), target, args.data(),
                                            static_cast<int>(args.size()), stream);
    if (status != ATTN_OK)
      throw Error(status, "backward kernel '" + name + "': " + attn_last_error());
  }
  struct Free {
    void operator()(attn_bundle *b) const { attn_bundle_free(b); }
  };
  std::unique_ptr<attn_bundle, Free> b_;
};

} // namespace attn

#endif // ATTN_RUNTIME_HPP
