//===- Problem.cpp - Signature, sizes, inputs, staging ----------------------===//
//
// What one call of the kernel is: where q, k, v, o and lse sit in its
// signature, the sizes bound from the request or --inputs files, the input
// values (files or seeded), and host copies in the kernel's element types.
//
//===----------------------------------------------------------------------===//
#include "Runner.h"

#include "attn/Support/SeededRandom.h"
#include <algorithm>
#include <sys/stat.h>
#include <unistd.h>

using namespace attn::run;
namespace bundle = attn::bundle;

namespace attn::run {

DLDataType dlTypeOf(bundle::DType dtype) {
  switch (dtype) {
  case bundle::DType::F16:
    return {kDLFloat, 16, 1};
  case bundle::DType::BF16:
    return {kDLBfloat, 16, 1};
  case bundle::DType::F32:
    return {kDLFloat, 32, 1};
  case bundle::DType::F64:
    return {kDLFloat, 64, 1};
  case bundle::DType::I32:
    return {kDLInt, 32, 1};
  case bundle::DType::I64:
    return {kDLInt, 64, 1};
  case bundle::DType::I1:
  case bundle::DType::U8:
    return {kDLUInt, 8, 1};
  }
  return {kDLFloat, 32, 1};
}

bool isFloat(bundle::DType dtype) {
  return dtype == bundle::DType::F16 || dtype == bundle::DType::BF16 ||
         dtype == bundle::DType::F32 || dtype == bundle::DType::F64;
}

/// `value` rounded to the nearest value of `dtype`; integer types keep it.
double representable(double value, bundle::DType dtype) {
  switch (dtype) {
  case bundle::DType::F16:
    return widenHalf(roundToHalf(value, kF16), kF16);
  case bundle::DType::BF16:
    return widenHalf(roundToHalf(value, kBF16), kBF16);
  case bundle::DType::F32:
    return static_cast<float>(value);
  default:
    return value;
  }
}

bool isKeySummary(const bundle::Arg &arg) {
  const std::string &name = arg.name;
  const std::string suffix = "_summary";
  if (name.rfind("data", 0) != 0 || name.size() <= 4 + suffix.size() ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return false;
  std::string number = name.substr(4, name.size() - 4 - suffix.size());
  return number.find_first_not_of("0123456789") == std::string::npos;
}

bool findKeySummaryPreparation(const bundle::Bundle &model,
                               const bundle::Kernel &kernel, int summary,
                               KeySummaryPreparation &preparation) {
  const bundle::Arg &arg = kernel.args[summary];
  std::string ids = arg.name.substr(0, arg.name.rfind('_'));
  preparation.kernel = kernel.name;
  preparation.summary = summary;
  for (const bundle::Kernel &other : model.kernels)
    if (other.name == kernel.name + "_prep")
      preparation.preparation = &other;
  for (size_t index = 0; index < kernel.args.size(); ++index)
    if (kernel.args[index].name == ids)
      preparation.ids = static_cast<int>(index);
  if (preparation.preparation && preparation.ids >= 0 && !arg.minimums.empty())
    return true;
  printError("kernel '" + kernel.name + "' reads '" + arg.name +
             "' but the bundle has no preparation kernel '" + kernel.name +
             "_prep' writing it from '" + ids + "'");
  return false;
}

bool analyzeSignature(const bundle::Kernel &kernel, Signature &signature) {
  for (size_t index = 0; index < kernel.args.size(); ++index) {
    const bundle::Arg &arg = kernel.args[index];
    int position = static_cast<int>(index);
    const std::string &name = arg.name;
    bool known = true;
    if (name == "q")
      signature.query = position;
    else if (name == "k")
      signature.key = position;
    else if (name == "v")
      signature.value = position;
    else if (name == "o")
      signature.output = position;
    else if (name == "lse")
      signature.lse = position;
    else if (name.rfind("data", 0) == 0 && name.size() > 4 &&
             name.find_first_not_of("0123456789", 4) == std::string::npos)
      signature.data.push_back(position);
    else if (isKeySummary(arg) && arg.role == bundle::Role::Input)
      signature.keySummary = position;
    else
      known = false;
    if (!known || arg.kind != bundle::ArgKind::Tensor) {
      printError("kernel '" + kernel.name + "' takes argument '" + name +
                 "', which attn-run cannot bind (it binds the tensors q, k, "
                 "v, data<N>, o and lse)");
      return false;
    }
    bool isOutput = name == "o" || name == "lse";
    if ((arg.role == bundle::Role::Output) != isOutput) {
      printError("argument '" + name + "' of kernel '" + kernel.name +
                 "' has an unexpected role");
      return false;
    }
  }
  if (signature.query < 0 || signature.key < 0 || signature.value < 0 ||
      signature.output < 0) {
    printError("kernel '" + kernel.name +
               "' lacks one of the arguments q, k, v and o");
    return false;
  }
  auto rankIs = [&](int position, size_t rank) {
    if (kernel.args[position].dims.size() == rank)
      return true;
    printError("argument '" + kernel.args[position].name + "' of kernel '" +
               kernel.name + "' has rank " +
               std::to_string(kernel.args[position].dims.size()) +
               ", expected " + std::to_string(rank));
    return false;
  };
  return rankIs(signature.query, 4) && rankIs(signature.key, 4) &&
         rankIs(signature.value, 4) && rankIs(signature.output, 4) &&
         (signature.lse < 0 || rankIs(signature.lse, 3));
}

std::string describeDims(const std::vector<bundle::Dim> &dims) {
  std::string text = "[";
  for (size_t dim = 0; dim < dims.size(); ++dim)
    text += (dim ? ", " : "") + (dims[dim].isStatic()
                                     ? std::to_string(dims[dim].extent)
                                     : dims[dim].symbol);
  return text + "]";
}

/// Binds B, Sq and Skv from the request where the signature leaves them
/// symbolic, and checks requests against static extents.
bool bindRequestedSizes(const bundle::Kernel &kernel,
                        const Signature &signature, const RunRequest &request,
                        SymbolValues &symbols) {
  struct Binding {
    const char *flag;
    std::optional<int64_t> requested;
    std::vector<std::pair<int, int>> dims; // (argument, dimension)
  };
  std::optional<int64_t> seqKV = request.seqKV;
  // Where each symbol got its value, for messages: a file, or a flag.
  std::map<std::string, std::string> origin;
  for (const auto &[symbol, value] : symbols)
    origin[symbol] = "the --inputs files";
  Binding bindings[] = {
      {"batch", request.batch,
       {{signature.query, 0}, {signature.key, 0}, {signature.value, 0}}},
      {"seq-q", request.seqQ, {{signature.query, 2}}},
      {"seq-kv", seqKV, {{signature.key, 2}, {signature.value, 2}}},
  };
  for (Binding &binding : bindings) {
    std::string flag = binding.flag;
    std::optional<int64_t> staticExtent;
    std::string symbol;
    for (auto [argument, dim] : binding.dims) {
      const bundle::Dim &d = kernel.args[argument].dims[dim];
      if (d.isStatic())
        staticExtent = d.extent;
      else
        symbol = d.symbol;
    }
    std::optional<int64_t> requested = binding.requested;
    if (requested && (*requested < 1 || *requested > kMaxRequestedSize)) {
      printError("--" + flag + " must be in [1, " +
                 std::to_string(kMaxRequestedSize) + "], got " +
                 std::to_string(*requested));
      return false;
    }
    if (staticExtent) {
      if (requested && *requested != *staticExtent) {
        printError("--" + flag + " " + std::to_string(*requested) +
                   " contradicts the kernel's static size " +
                   std::to_string(*staticExtent));
        return false;
      }
      continue;
    }
    if (!requested && symbols.count(symbol))
      continue; // bound by an --inputs file
    if (!requested && flag == "seq-kv" && symbols.count("Sq"))
      requested = symbols["Sq"]; // Skv defaults to Sq.
    if (!requested) {
      printError("kernel '" + kernel.name + "' leaves this size dynamic (" +
                 symbol + "): pass --" + flag);
      return false;
    }
    auto [it, inserted] = symbols.emplace(symbol, *requested);
    if (!inserted && it->second != *requested) {
      printError("--" + flag + " " + std::to_string(*requested) +
                 " contradicts " + symbol + " = " +
                 std::to_string(it->second) + " from " + origin[symbol] +
                 (origin[symbol][0] == '-'
                      ? " (kernel '" + kernel.name + "' uses one size " +
                            symbol + " for both)"
                      : ""));
      return false;
    }
    if (inserted)
      origin[symbol] = "--" + flag + (binding.requested ? "" : " (its default, Sq)");
  }
  return true;
}

/// The shape of argument `position` with symbols resolved; false (after a
/// diagnostic) when one is unbound.
bool resolveShape(const bundle::Kernel &kernel, int position,
                  const SymbolValues &symbols, std::vector<int64_t> &shape,
                  const char *hint) {
  const bundle::Arg &arg = kernel.args[position];
  shape.clear();
  for (const bundle::Dim &dim : arg.dims) {
    if (dim.isStatic()) {
      shape.push_back(dim.extent);
      continue;
    }
    auto it = symbols.find(dim.symbol);
    if (it == symbols.end()) {
      printError("argument '" + arg.name + "' of kernel '" + kernel.name +
                 "' has shape " + describeDims(arg.dims) +
                 " and nothing binds its size '" + dim.symbol + "'" + hint);
      return false;
    }
    shape.push_back(it->second);
  }
  return true;
}

bool fileExists(const std::string &path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0;
}

/// Loads `<name>.npy` of every input argument from the directory (q, k and
/// v may be absent: they are generated), binding the symbols its shape
/// carries.
bool loadInputs(const bundle::Kernel &kernel, const RunRequest &request,
                Problem &problem, SymbolValues &symbols) {
  problem.arguments.resize(kernel.args.size());
  for (size_t index = 0; index < kernel.args.size(); ++index) {
    const bundle::Arg &arg = kernel.args[index];
    if (arg.role != bundle::Role::Input || isKeySummary(arg))
      continue;
    std::string path = request.inputsDirectory + "/" + arg.name + ".npy";
    bool generated = arg.name == "q" || arg.name == "k" || arg.name == "v";
    if (generated && !fileExists(path))
      continue; // generated from --seed, as --target ref would
    NpyArray file;
    std::string error =
        readNpy(path, kMaxFileElements, "attn-run's limit", file);
    if (!error.empty()) {
      printError(error);
      return false;
    }
    if (isIntegerDType(file.dtype) == isFloat(arg.dtype)) {
      printError(path + ": dtype " + npyDescriptor(file.dtype) +
                 " does not suit argument '" + arg.name + "' of type " +
                 bundle::name(arg.dtype));
      return false;
    }
    if (file.shape.size() != arg.dims.size()) {
      printError(path + ": shape " + formatShape(file.shape) + " has rank " +
                 std::to_string(file.shape.size()) + " but argument '" +
                 arg.name + "' is " + describeDims(arg.dims));
      return false;
    }
    for (size_t dim = 0; dim < arg.dims.size(); ++dim) {
      const bundle::Dim &d = arg.dims[dim];
      int64_t extent = file.shape[dim];
      if (d.isStatic() ? extent != d.extent
                       : !symbols.emplace(d.symbol, extent).second &&
                             symbols[d.symbol] != extent) {
        printError(path + ": shape " + formatShape(file.shape) +
                   " does not fit argument '" + arg.name + "' " +
                   describeDims(arg.dims) + ": dimension " +
                   std::to_string(dim) + " is " + std::to_string(extent) +
                   " but must be " +
                   (d.isStatic() ? std::to_string(d.extent)
                                 : d.symbol + " = " +
                                       std::to_string(symbols[d.symbol])));
        return false;
      }
    }
    // The kernel and any reference must see the same values: those of the
    // argument's element type.
    for (double &value : file.values)
      value = representable(value, arg.dtype);
    problem.arguments[index].shape = file.shape;
    problem.arguments[index].values = std::move(file.values);
  }
  return true;
}

/// Normal(0, 1) values for q, k, v and float data operands not read from
/// files, rounded to the argument's type. For checks (`exact`): q, k and v
/// are the very values `attn-run SPEC --target ref --seed S` generates
/// (streams 0, 1, 2). For timing, where only the distribution matters, each
/// 2^20-element chunk draws from its own stream, so that all cores generate.
void generateInputs(const bundle::Kernel &kernel, const Signature &signature,
                    uint64_t seed, bool exact, Problem &problem) {
  std::vector<int> streams = {signature.query, signature.key, signature.value};
  for (int position : signature.data)
    if (isFloat(kernel.args[position].dtype))
      streams.push_back(position);
  for (uint64_t stream = 0; stream < streams.size(); ++stream) {
    int position = streams[stream];
    Array &array = problem.arguments[position];
    int64_t count = elementCount(array.shape);
    if (!array.values.empty() || count == 0)
      continue;
    array.values.resize(count);
    bundle::DType dtype = kernel.args[position].dtype;
    auto generate = [&](SeededRandom &random, int64_t begin, int64_t end) {
      for (int64_t index = begin; index < end; ++index)
        array.values[index] = representable(random.normal(), dtype);
    };
    if (exact) {
      SeededRandom random(streamSeed(seed, stream));
      generate(random, 0, count);
      continue;
    }
    parallelFor(count, [&](int64_t begin, int64_t end) {
      SeededRandom random(streamSeed(seed, ((stream + 1) << 40) + begin));
      generate(random, begin, end);
    });
  }
}

/// Host copies of every argument in the kernel's types: inputs filled,
/// outputs poisoned.
bool stageOnHost(const bundle::Kernel &kernel, const Problem &problem,
                 std::vector<HostBuffer> &buffers) {
  buffers.clear();
  buffers.reserve(kernel.args.size());
  for (size_t index = 0; index < kernel.args.size(); ++index) {
    const bundle::Arg &arg = kernel.args[index];
    buffers.emplace_back(arg.dtype, problem.arguments[index].shape);
    if (!buffers.back().allocated()) {
      printError("out of memory allocating argument '" + arg.name + "'");
      return false;
    }
    if (arg.role == bundle::Role::Input && !isKeySummary(arg))
      buffers.back().fill(problem.arguments[index].values);
    else
      buffers.back().poison();
  }
  return true;
}

bool checkProblemSize(const bundle::Kernel &kernel, const Problem &problem) {
  // Each element lives as a double (the values) and in the kernel's type
  // (the staged buffer); a reference or a second binary adds about as much.
  uint64_t bytes = 0;
  for (size_t index = 0; index < kernel.args.size(); ++index) {
    const bundle::Arg &arg = kernel.args[index];
    const std::vector<int64_t> &shape = problem.arguments[index].shape;
    std::optional<int64_t> count = checkedElementCount(shape);
    uint64_t argBytes = 0;
    if (!count || __builtin_mul_overflow(static_cast<uint64_t>(*count),
                                         8 + bundle::byteSize(arg.dtype), &argBytes) ||
        __builtin_add_overflow(bytes, argBytes, &bytes)) {
      printError("argument '" + arg.name + "' of shape " + formatShape(shape) +
                 " has more elements than 64 bits count");
      return false;
    }
  }
  long pages = ::sysconf(_SC_PHYS_PAGES), pageSize = ::sysconf(_SC_PAGE_SIZE);
  uint64_t memory = pages > 0 && pageSize > 0
                        ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(pageSize)
                        : uint64_t(1) << 34;
  if (bytes > memory / 4 * 3) {
    printError("the arguments need " + std::to_string(bytes >> 20) +
               " MiB of host memory, more than 3/4 of this machine's " +
               std::to_string(memory >> 20) + " MiB; choose smaller sizes");
    return false;
  }
  return true;
}

} // namespace attn::run
