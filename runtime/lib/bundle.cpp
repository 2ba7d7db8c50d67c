// The bundle model's rules, its FlatBuffers encoding and decoding, and target
// compatibility. See docs/runtime.md for the format this implements.
#include "attn/bundle.h"

#include "bundle_generated.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <iterator>
#include <set>
#include <sstream>

namespace attn::bundle {
namespace {

// FNV-1a, 64 bit, over the whole file with the 8 checksum bytes read as zero.
// Any change of a single byte changes the result: each step is a bijection of
// the state.
constexpr uint64_t kFnvOffset = 14695981039346656037ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;

uint64_t checksum(const uint8_t *data, size_t size, size_t skipAt) {
  uint64_t h = kFnvOffset;
  for (size_t i = 0; i < size; ++i) {
    uint8_t byte = (i >= skipAt && i < skipAt + 8) ? 0 : data[i];
    h = (h ^ byte) * kFnvPrime;
  }
  return h;
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

bool isIdentifier(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_'))
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// Entry symbols come from MLIR symbol names, which may contain '.' and '$'.
bool isSymbolName(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' ||
           c == '$';
  });
}

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

const char *const kGridNames[3] = {"grid.x", "grid.y", "grid.z"};
const char *const kBlockNames[3] = {"block.x", "block.y", "block.z"};

std::string checkExpr(const Expr &e, const char *what, bool mayBeZero,
                      const std::set<std::string> &symbols) {
  for (size_t i = 0; i < e.factors.size(); ++i) {
    const Factor &f = e.factors[i];
    std::string where = std::string(what) + " factor " + std::to_string(i) + ": ";
    if (f.divisor < 1)
      return where + "divisor " + std::to_string(f.divisor) + " is not >= 1";
    if (!f.size.empty()) {
      if (!symbols.count(f.size))
        return where + "size " + quoted(f.size) +
               " is not a symbolic dimension of any tensor argument";
      if (f.constant != 1)
        return where + "has both a size and a constant (" +
               std::to_string(f.constant) + ")";
    } else if (f.constant < 0 || (f.constant == 0 && !mayBeZero)) {
      return where + "constant " + std::to_string(f.constant) +
             (mayBeZero ? " is negative" : " is not >= 1");
    }
  }
  return {};
}

std::string checkArg(const Arg &a) {
  if (!isIdentifier(a.name))
    return "name " + quoted(a.name) + " is not an identifier";
  if (static_cast<unsigned>(a.kind) > static_cast<unsigned>(ArgKind::Scalar))
    return "argument kind " + std::to_string(static_cast<unsigned>(a.kind)) + " is unknown";
  if (static_cast<unsigned>(a.role) > static_cast<unsigned>(Role::Output))
    return "role " + std::to_string(static_cast<unsigned>(a.role)) + " is unknown";
  if (static_cast<unsigned>(a.dtype) > static_cast<unsigned>(DType::U8))
    return "dtype " + std::to_string(static_cast<unsigned>(a.dtype)) + " is unknown";
  if (a.alignment == 0 || (a.alignment & (a.alignment - 1)) != 0)
    return "alignment " + std::to_string(a.alignment) + " is not a power of two";
  if (a.kind == ArgKind::Scalar) {
    if (a.role != Role::Input) return "a scalar must be an input";
    if (!a.dims.empty()) return "a scalar must have rank 0";
    if (a.innermostContiguous || a.contiguous || a.alignment != 1)
      return "a scalar cannot carry layout requirements (contiguity, alignment)";
    if (!a.minimums.empty() || a.nonDecreasing)
      return "a scalar cannot carry least extents or an order";
    return {};
  }
  if (a.role == Role::Output && a.nonDecreasing)
    return "an output cannot carry an order";
  for (const MinimumExtent &m : a.minimums)
    if (m.dim >= a.dims.size())
      return "least extent of dimension " + std::to_string(m.dim) + ", but the rank is " +
             std::to_string(a.dims.size());
  if (a.nonDecreasing &&
      (a.dims.size() != 1 || (a.dtype != DType::I32 && a.dtype != DType::I64)))
    return "only a rank-1 i32 or i64 tensor can be non-decreasing";
  for (size_t d = 0; d < a.dims.size(); ++d) {
    const Dim &dim = a.dims[d];
    std::string where = "dimension " + std::to_string(d) + ": ";
    if (dim.isStatic()) {
      if (dim.extent < 0)
        return where + "static extent " + std::to_string(dim.extent) + " is negative";
    } else {
      if (!isIdentifier(dim.symbol))
        return where + "size name " + quoted(dim.symbol) + " is not an identifier";
      if (dim.extent != -1)
        return where + "has both a size name and a static extent";
    }
  }
  return {};
}

// The limits cuTensorMapEncodeTiled sets on what the bundle fixes (those on
// the runtime tensor, its address, extents and strides, are the runtime's to
// check at launch). TMA moves 16-byte pieces: global addresses and strides,
// and the rows of a box, are multiples of kTmaGranule bytes.
constexpr size_t kMaxTensorMapRank = 5;
constexpr uint32_t kMaxTensorMapBox = 256;
constexpr uint32_t kTmaGranule = 16;

std::string checkTensorMap(const TensorMap &m, const std::vector<Arg> &args) {
  if (m.arg >= args.size())
    return "argument index " + std::to_string(m.arg) + " is out of range (the kernel has " +
           std::to_string(args.size()) + " arguments)";
  if (static_cast<unsigned>(m.swizzle) > static_cast<unsigned>(TensorMapSwizzle::Bytes128))
    return "swizzle " + std::to_string(static_cast<unsigned>(m.swizzle)) + " is unknown";
  const Arg &a = args[m.arg];
  std::string who = "argument " + std::to_string(m.arg) + " (" + quoted(a.name) + ")";
  if (a.kind != ArgKind::Tensor) return who + " is a scalar, not a tensor";
  if (a.dims.empty() || a.dims.size() > kMaxTensorMapRank)
    return who + " has rank " + std::to_string(a.dims.size()) +
           "; TMA loads tensors of rank 1 to " + std::to_string(kMaxTensorMapRank);
  if (!a.innermostContiguous && !a.contiguous)
    return who + " must be innermost_contiguous: TMA reads rows of stride 1";
  if (a.alignment < kTmaGranule)
    return who + " has alignment " + std::to_string(a.alignment) + "; TMA needs " +
           std::to_string(kTmaGranule);
  if (m.box.size() != a.dims.size())
    return "box has " + std::to_string(m.box.size()) + " extents, but " + who + " has rank " +
           std::to_string(a.dims.size());
  for (size_t d = 0; d < m.box.size(); ++d)
    if (m.box[d] < 1 || m.box[d] > kMaxTensorMapBox)
      return "box extent " + std::to_string(d) + " is " + std::to_string(m.box[d]) +
             ", outside [1, " + std::to_string(kMaxTensorMapBox) + "]";
  // A box's innermost extent is a row in shared memory, which a swizzle
  // permutes within its span.
  uint64_t rowBytes = uint64_t(m.box[0]) * byteSize(a.dtype);
  std::string row = "box extent 0 is " + std::to_string(m.box[0]) + " elements of " +
                    name(a.dtype) + " (" + std::to_string(rowBytes) + " bytes)";
  if (rowBytes % kTmaGranule != 0)
    return row + ", not a multiple of " + std::to_string(kTmaGranule) + " bytes";
  if (m.swizzle != TensorMapSwizzle::None) {
    uint64_t span = uint64_t(16) << static_cast<unsigned>(m.swizzle); // 32, 64 or 128
    if (rowBytes > span)
      return row + ", wider than the " + name(m.swizzle) + " swizzle span";
  }
  return {};
}

std::string checkBinary(const Binary &b, const std::vector<Arg> &args,
                        const std::set<std::string> &symbols) {
  auto family = targetFamily(b.target);
  if (!family)
    return "target " + quoted(b.target) +
           " is not 'host', 'sm_<version>[a]' or 'gfx<id>'";
  if (static_cast<unsigned>(b.kind) > static_cast<unsigned>(BinaryKind::Hsaco))
    return "binary kind " + std::to_string(static_cast<unsigned>(b.kind)) + " is unknown";
  bool kindFits = (*family == TargetFamily::Host && b.kind == BinaryKind::HostSharedObject) ||
                  (*family == TargetFamily::Cuda &&
                   (b.kind == BinaryKind::Cubin || b.kind == BinaryKind::Ptx)) ||
                  (*family == TargetFamily::Amd && b.kind == BinaryKind::Hsaco);
  if (!kindFits)
    return "binary kind " + std::string(name(b.kind)) + " does not fit target " +
           quoted(b.target);
  bool host = *family == TargetFamily::Host;
  if (static_cast<unsigned>(b.conv) > static_cast<unsigned>(CallingConv::GpuBarePtr))
    return "calling convention " + std::to_string(static_cast<unsigned>(b.conv)) +
           " is unknown";
  if (host != (b.conv == CallingConv::HostCIface))
    return "calling convention " + std::string(name(b.conv)) + " does not fit target " +
           quoted(b.target);
  if (!isSymbolName(b.entry))
    return "entry " + quoted(b.entry) + " is not a symbol name";
  if (b.data.empty()) return "binary data is empty";
  // TMA came with sm_90, and the runtime passes tensor maps after the
  // parameters of the expanded descriptors only: the host, HIP and bare
  // pointer launches would drop them.
  auto arch = parseCudaTarget(b.target);
  bool tmaTarget = arch && arch->major >= 9;
  for (size_t i = 0; i < b.tensorMaps.size(); ++i) {
    std::string where = "tensor map " + std::to_string(i) + ": ";
    if (!tmaTarget)
      return where + "TMA needs a CUDA target of sm_90 or newer, not " + quoted(b.target);
    if (b.conv != CallingConv::GpuExpandedMemref)
      return where + "tensor maps need the calling convention gpu_expanded_memref, not " +
             name(b.conv);
    if (std::string e = checkTensorMap(b.tensorMaps[i], args); !e.empty()) return where + e;
  }
  if (host) {
    if (b.launch) return "a host binary has no launch configuration";
    return {};
  }
  if (!b.launch) return "a GPU binary needs a launch configuration";
  for (int i = 0; i < 3; ++i) {
    std::string e = checkExpr(b.launch->grid[i], kGridNames[i], false, symbols);
    if (e.empty()) e = checkExpr(b.launch->block[i], kBlockNames[i], false, symbols);
    if (!e.empty()) return e;
  }
  return checkExpr(b.launch->sharedMemBytes, "shared_mem_bytes", true, symbols);
}

std::string describe(const Dim &d) {
  return d.isStatic() ? std::to_string(d.extent) : d.symbol;
}

// An attention kernel (tensors q, k, v, o) must declare shapes that agree
// with each other: its code writes o at q's [B, Hq, Sq] and v's F, so a
// signature that gives o fewer heads than q (a crafted or damaged bundle)
// would let it write past the caller's buffer. The runtime checks tensors
// against the signature; this checks the signature against itself. A
// backward kernel (attn-compile grad=true, named by its input 'do') reads
// q, k, v, o, lse and do and writes dq, dk and dv, each of its forward
// tensor's shape, and for each data operand 'data<N>' read as a bias its
// gradient 'ddata<N>' at the per-score shape [B, Hq, Sq, Skv].
std::string checkAttentionSignature(const Kernel &k) {
  auto find = [&](const char *name) -> const Arg * {
    for (const Arg &a : k.args)
      if (a.name == name && a.kind == ArgKind::Tensor) return &a;
    return nullptr;
  };
  const Arg *q = find("q"), *kk = find("k"), *v = find("v"), *o = find("o");
  if (!q || !kk || !v || !o) return {};
  const Arg *dout = find("do");
  bool gradient = dout != nullptr;
  const Arg *dq = find("dq"), *dk = find("dk"), *dv = find("dv");
  if (gradient && (!dq || !dk || !dv))
    return "attention backward kernel (it reads 'do') lacks one of the outputs "
           "dq, dk and dv";
  std::vector<const Arg *> fourD = {q, kk, v, o};
  if (gradient) fourD.insert(fourD.end(), {dout, dq, dk, dv});
  for (const Arg *a : fourD)
    if (a->dims.size() != 4)
      return "attention argument " + quoted(a->name) + " has rank " +
             std::to_string(a->dims.size()) + ", expected 4 ([B, H, S, D])";
  if (!gradient && (q->role != Role::Input || kk->role != Role::Input ||
                    v->role != Role::Input || o->role != Role::Output))
    return "attention arguments q, k, v must be inputs and o an output";
  if (gradient && (q->role != Role::Input || kk->role != Role::Input ||
                   v->role != Role::Input || o->role != Role::Input ||
                   dout->role != Role::Input || dq->role != Role::Output ||
                   dk->role != Role::Output || dv->role != Role::Output))
    return "attention backward arguments q, k, v, o, do must be inputs and dq, "
           "dk, dv outputs";
  struct Tie {
    const Arg *a;
    size_t da;
    const Arg *b;
    size_t db;
    const char *meaning;
  };
  std::vector<Tie> ties = {
      {o, 0, q, 0, "B"},   {o, 1, q, 1, "Hq"},  {o, 2, q, 2, "Sq"},
      {o, 3, v, 3, "F"},   {kk, 0, q, 0, "B"},  {v, 0, q, 0, "B"},
      {v, 1, kk, 1, "Hkv"}, {v, 2, kk, 2, "Skv"}, {kk, 3, q, 3, "E"}};
  const Arg *lse = find("lse");
  if (lse) {
    Role expected = gradient ? Role::Input : Role::Output;
    if (lse->dims.size() != 3 || lse->role != expected)
      return gradient ? "attention backward input 'lse' must be an input of rank 3 "
                        "([B, Hq, Sq])"
                      : "attention output 'lse' must be an output of rank 3 ([B, Hq, Sq])";
    for (size_t d = 0; d < 3; ++d) ties.push_back({lse, d, q, d, d == 0 ? "B" : d == 1 ? "Hq" : "Sq"});
  }
  std::vector<const Arg *> dataGradients;
  for (const Arg &a : k.args) {
    if (!gradient || a.role != Role::Output || &a == dq || &a == dk || &a == dv)
      continue;
    const Arg *of = a.name.size() > 1 && a.name[0] == 'd' ? find(a.name.c_str() + 1) : nullptr;
    bool isData = of && of != q && of != kk && of != v && of != o && of != lse &&
                  of != dout && of->role == Role::Input;
    if (!isData)
      return "attention backward kernel has an output " + quoted(a.name) +
             " besides 'dq', 'dk', 'dv' and gradients 'd<name>' of its data operands";
    if (a.dims.size() != 4)
      return "attention backward output " + quoted(a.name) + " has rank " +
             std::to_string(a.dims.size()) + ", expected 4 ([B, Hq, Sq, Skv])";
    dataGradients.push_back(&a);
  }
  for (const Arg *a : dataGradients) {
    ties.push_back({a, 0, q, 0, "B"});
    ties.push_back({a, 1, q, 1, "Hq"});
    ties.push_back({a, 2, q, 2, "Sq"});
    ties.push_back({a, 3, kk, 2, "Skv"});
  }
  if (gradient)
    for (size_t d = 0; d < 4; ++d) {
      const char *meaning[] = {"B", "H", "S", "D"};
      ties.push_back({dout, d, o, d, meaning[d]});
      ties.push_back({dq, d, q, d, meaning[d]});
      ties.push_back({dk, d, kk, d, meaning[d]});
      ties.push_back({dv, d, v, d, meaning[d]});
    }
  for (const Tie &t : ties) {
    const Dim &x = t.a->dims[t.da], &y = t.b->dims[t.db];
    if (!(x == y))
      return "attention argument " + quoted(t.a->name) + " dimension " +
             std::to_string(t.da) + " is " + describe(x) + " but " +
             quoted(t.b->name) + " dimension " + std::to_string(t.db) + " is " +
             describe(y) + " (both are " + t.meaning + ")";
  }
  const Dim &hq = q->dims[1], &hkv = kk->dims[1];
  if (hq.isStatic() && hkv.isStatic() &&
      (hkv.extent < 1 || hq.extent < 1 || hq.extent % hkv.extent != 0))
    return "attention query heads " + std::to_string(hq.extent) +
           " are not a positive multiple of the key/value heads " +
           std::to_string(hkv.extent);
  for (const Arg &a : k.args) {
    if (!gradient && a.role == Role::Output && &a != o && &a != lse)
      return "attention kernel has an output " + quoted(a.name) +
             " besides 'o' and 'lse'";
  }
  return {};
}

std::string checkKernel(const Kernel &k) {
  if (!isIdentifier(k.name)) return "name is not an identifier";
  std::set<std::string> argNames, symbols;
  for (size_t i = 0; i < k.args.size(); ++i) {
    const Arg &a = k.args[i];
    std::string e = checkArg(a);
    if (!e.empty())
      return "argument " + std::to_string(i) + " (" + quoted(a.name) + "): " + e;
    if (!argNames.insert(a.name).second)
      return "argument name " + quoted(a.name) + " appears twice";
    for (const Dim &d : a.dims)
      if (!d.isStatic()) symbols.insert(d.symbol);
  }
  for (size_t i = 0; i < k.args.size(); ++i)
    for (const MinimumExtent &m : k.args[i].minimums) {
      std::string what = "argument " + std::to_string(i) + " (" + quoted(k.args[i].name) +
                         ") least extent of dimension " + std::to_string(m.dim);
      if (std::string e = checkExpr(m.atLeast, what.c_str(), true, symbols); !e.empty())
        return e;
    }
  if (std::string e = checkAttentionSignature(k); !e.empty()) return e;
  if (k.binaries.empty()) return "has no binaries";
  std::set<std::pair<std::string, BinaryKind>> seen;
  for (size_t i = 0; i < k.binaries.size(); ++i) {
    const Binary &b = k.binaries[i];
    std::string e = checkBinary(b, k.args, symbols);
    if (!e.empty())
      return "binary " + std::to_string(i) + " (" + quoted(b.target) + "): " + e;
    if (!seen.insert({b.target, b.kind}).second)
      return "two " + std::string(name(b.kind)) + " binaries for target " +
             quoted(b.target);
  }
  return {};
}

// --- encoding ---------------------------------------------------------------

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

Offset<fb::Expr> encode(FlatBufferBuilder &fbb, const Expr &e) {
  std::vector<Offset<fb::Factor>> factors;
  for (const Factor &f : e.factors)
    factors.push_back(fb::CreateFactor(
        fbb, f.size.empty() ? 0 : fbb.CreateString(f.size), f.constant, f.divisor));
  return fb::CreateExpr(fbb, fbb.CreateVector(factors));
}

Offset<fb::Launch> encode(FlatBufferBuilder &fbb, const LaunchConfig &l) {
  return fb::CreateLaunch(fbb, encode(fbb, l.grid[0]), encode(fbb, l.grid[1]),
                          encode(fbb, l.grid[2]), encode(fbb, l.block[0]),
                          encode(fbb, l.block[1]), encode(fbb, l.block[2]),
                          encode(fbb, l.sharedMemBytes));
}

Offset<fb::Arg> encode(FlatBufferBuilder &fbb, const Arg &a) {
  std::vector<Offset<fb::Dim>> dims;
  for (const Dim &d : a.dims)
    dims.push_back(fb::CreateDim(fbb, d.extent,
                                 d.isStatic() ? 0 : fbb.CreateString(d.symbol)));
  std::vector<Offset<fb::Minimum>> minimums;
  for (const MinimumExtent &m : a.minimums)
    minimums.push_back(fb::CreateMinimum(fbb, m.dim, encode(fbb, m.atLeast)));
  auto name = fbb.CreateString(a.name);
  auto dimVector = fbb.CreateVector(dims);
  auto minimumVector = minimums.empty() ? 0 : fbb.CreateVector(minimums);
  return fb::CreateArg(fbb, name, static_cast<fb::ArgKind>(a.kind),
                       static_cast<fb::Role>(a.role), static_cast<fb::DType>(a.dtype),
                       dimVector, a.innermostContiguous, a.contiguous, a.alignment,
                       minimumVector, a.nonDecreasing);
}

Offset<fb::Binary> encode(FlatBufferBuilder &fbb, const Binary &b) {
  std::vector<Offset<fb::TensorMap>> maps;
  for (const TensorMap &m : b.tensorMaps)
    maps.push_back(fb::CreateTensorMap(fbb, m.arg, fbb.CreateVector(m.box),
                                       static_cast<uint8_t>(m.swizzle)));
  // Absent, not empty, without maps: version-2 bundles stay byte for byte
  // what they were.
  auto mapVector = maps.empty() ? 0 : fbb.CreateVector(maps);
  return fb::CreateBinary(fbb, fbb.CreateString(b.target),
                          static_cast<fb::BinaryKind>(b.kind),
                          static_cast<fb::CallingConv>(b.conv),
                          fbb.CreateString(b.entry), fbb.CreateVector(b.data),
                          b.launch ? encode(fbb, *b.launch) : 0, mapVector);
}

// --- decoding (after the Verifier: pointers are safe; values, enums included,
// are checked afterwards by check()) ------------------------------------------

std::string str(const flatbuffers::String *s) { return s ? s->str() : std::string(); }

Expr decode(const fb::Expr *e) {
  Expr out;
  if (e && e->factors())
    for (const fb::Factor *f : *e->factors())
      out.factors.push_back({str(f->size()), f->constant(), f->divisor()});
  return out;
}

Arg decode(const fb::Arg *a) {
  Arg out;
  out.name = str(a->name());
  out.kind = static_cast<ArgKind>(a->kind());
  out.role = static_cast<Role>(a->role());
  out.dtype = static_cast<DType>(a->dtype());
  if (a->dims())
    for (const fb::Dim *d : *a->dims()) out.dims.push_back({d->extent(), str(d->symbol())});
  out.innermostContiguous = a->innermost_contiguous();
  out.contiguous = a->contiguous();
  out.alignment = a->alignment();
  if (a->minimums())
    for (const fb::Minimum *m : *a->minimums())
      out.minimums.push_back({m->dim(), decode(m->at_least())});
  out.nonDecreasing = a->non_decreasing();
  return out;
}

Binary decode(const fb::Binary *b) {
  Binary out;
  out.target = str(b->target());
  out.kind = static_cast<BinaryKind>(b->kind());
  out.conv = static_cast<CallingConv>(b->calling_convention());
  out.entry = str(b->entry());
  if (b->data()) out.data.assign(b->data()->begin(), b->data()->end());
  if (const fb::Launch *l = b->launch()) {
    LaunchConfig lc;
    lc.grid = {decode(l->grid_x()), decode(l->grid_y()), decode(l->grid_z())};
    lc.block = {decode(l->block_x()), decode(l->block_y()), decode(l->block_z())};
    lc.sharedMemBytes = decode(l->shared_mem_bytes());
    out.launch = lc;
  }
  if (b->tensor_maps())
    for (const fb::TensorMap *m : *b->tensor_maps()) {
      TensorMap map;
      map.arg = m->arg();
      if (m->box()) map.box.assign(m->box()->begin(), m->box()->end());
      map.swizzle = static_cast<TensorMapSwizzle>(m->swizzle());
      out.tensorMaps.push_back(std::move(map));
    }
  return out;
}

} // namespace

const char *name(DType t) {
  switch (t) {
  case DType::F16: return "f16";
  case DType::BF16: return "bf16";
  case DType::F32: return "f32";
  case DType::F64: return "f64";
  case DType::I32: return "i32";
  case DType::I64: return "i64";
  case DType::I1: return "i1";
  case DType::U8: return "u8";
  }
  return "?";
}
const char *name(Role r) { return r == Role::Input ? "input" : "output"; }
const char *name(ArgKind k) { return k == ArgKind::Tensor ? "tensor" : "scalar"; }
const char *name(BinaryKind k) {
  switch (k) {
  case BinaryKind::HostSharedObject: return "host_shared_object";
  case BinaryKind::Cubin: return "cubin";
  case BinaryKind::Ptx: return "ptx";
  case BinaryKind::Hsaco: return "hsaco";
  }
  return "?";
}
const char *name(CallingConv c) {
  switch (c) {
  case CallingConv::HostCIface: return "host_c_iface";
  case CallingConv::GpuExpandedMemref: return "gpu_expanded_memref";
  case CallingConv::GpuBarePtr: return "gpu_bare_ptr";
  }
  return "?";
}
const char *name(TensorMapSwizzle s) {
  switch (s) {
  case TensorMapSwizzle::None: return "none";
  case TensorMapSwizzle::Bytes32: return "32B";
  case TensorMapSwizzle::Bytes64: return "64B";
  case TensorMapSwizzle::Bytes128: return "128B";
  }
  return "?";
}

size_t byteSize(DType t) {
  switch (t) {
  case DType::F16: case DType::BF16: return 2;
  case DType::F32: case DType::I32: return 4;
  case DType::F64: case DType::I64: return 8;
  case DType::I1: case DType::U8: return 1;
  }
  return 0;
}

Expr Expr::operator*(const Expr &other) const {
  Expr out = *this;
  out.factors.insert(out.factors.end(), other.factors.begin(), other.factors.end());
  return out;
}

std::optional<int64_t>
Expr::evaluate(const std::function<int64_t(const std::string &)> &sizeOf) const {
  int64_t value = 1;
  for (const Factor &f : factors) {
    int64_t n = f.size.empty() ? f.constant : sizeOf(f.size);
    int64_t term = n / f.divisor + (n % f.divisor != 0);
    if (__builtin_mul_overflow(value, term, &value)) return std::nullopt;
  }
  return value;
}

std::string Expr::str() const {
  if (factors.empty()) return "1";
  std::string out;
  for (const Factor &f : factors) {
    if (!out.empty()) out += " * ";
    std::string n = f.size.empty() ? std::to_string(f.constant) : f.size;
    out += f.divisor == 1 ? n : "ceil_div(" + n + ", " + std::to_string(f.divisor) + ")";
  }
  return out;
}

std::string str(const std::array<Expr, 3> &xyz) {
  return "(" + xyz[0].str() + ", " + xyz[1].str() + ", " + xyz[2].str() + ")";
}

bool operator==(const Dim &a, const Dim &b) {
  return a.extent == b.extent && a.symbol == b.symbol;
}
bool operator==(const MinimumExtent &a, const MinimumExtent &b) {
  return a.dim == b.dim && a.atLeast == b.atLeast;
}
bool operator==(const Arg &a, const Arg &b) {
  return a.name == b.name && a.kind == b.kind && a.role == b.role &&
         a.dtype == b.dtype && a.dims == b.dims &&
         a.innermostContiguous == b.innermostContiguous &&
         a.contiguous == b.contiguous && a.alignment == b.alignment &&
         a.minimums == b.minimums && a.nonDecreasing == b.nonDecreasing;
}
bool operator==(const Factor &a, const Factor &b) {
  return a.size == b.size && a.constant == b.constant && a.divisor == b.divisor;
}
bool operator==(const Expr &a, const Expr &b) { return a.factors == b.factors; }
bool operator==(const LaunchConfig &a, const LaunchConfig &b) {
  return a.grid == b.grid && a.block == b.block && a.sharedMemBytes == b.sharedMemBytes;
}
bool operator==(const TensorMap &a, const TensorMap &b) {
  return a.arg == b.arg && a.box == b.box && a.swizzle == b.swizzle;
}
bool operator==(const Binary &a, const Binary &b) {
  return a.target == b.target && a.kind == b.kind && a.conv == b.conv &&
         a.entry == b.entry && a.data == b.data && a.launch == b.launch &&
         a.tensorMaps == b.tensorMaps;
}
bool operator==(const Kernel &a, const Kernel &b) {
  return a.name == b.name && a.args == b.args && a.binaries == b.binaries;
}
bool operator==(const Bundle &a, const Bundle &b) {
  return a.formatVersion == b.formatVersion && a.producer == b.producer &&
         a.specName == b.specName && a.specSource == b.specSource &&
         a.kernels == b.kernels;
}

uint32_t leastFormatVersion(const Bundle &b) {
  for (const Kernel &k : b.kernels)
    for (const Binary &bin : k.binaries)
      if (!bin.tensorMaps.empty()) return 3;
  return 2;
}

std::string check(const Bundle &b) {
  if (b.formatVersion < kOldestFormatVersion || b.formatVersion > kFormatVersion)
    return "format version " + std::to_string(b.formatVersion) + " is not between " +
           std::to_string(kOldestFormatVersion) + " and " + std::to_string(kFormatVersion);
  // A runtime of an older version would ignore the fields it does not know
  // and launch the kernels without their tensor maps.
  if (b.formatVersion < leastFormatVersion(b))
    for (size_t i = 0; i < b.kernels.size(); ++i)
      for (size_t j = 0; j < b.kernels[i].binaries.size(); ++j)
        if (!b.kernels[i].binaries[j].tensorMaps.empty())
          return "format version " + std::to_string(b.formatVersion) +
                 " cannot hold the tensor maps of kernel " + std::to_string(i) + " (" +
                 quoted(b.kernels[i].name) + ") binary " + std::to_string(j) + " (" +
                 quoted(b.kernels[i].binaries[j].target) + "): they need version 3";
  if (b.producer.empty()) return "producer is empty";
  if (b.specName.empty()) return "spec name is empty";
  if (b.kernels.empty()) return "bundle has no kernels";
  // FlatBuffers buffers end at 2 GiB; half of it for binaries leaves ample
  // room for metadata, and attention kernels are megabytes.
  uint64_t binaryBytes = 0;
  for (const Kernel &k : b.kernels)
    for (const Binary &bin : k.binaries) binaryBytes += bin.data.size();
  if (binaryBytes > kMaxBinaryBytes)
    return "binaries total " + std::to_string(binaryBytes) + " bytes, above the " +
           std::to_string(kMaxBinaryBytes) + " a bundle may hold";
  std::set<std::string> names;
  for (size_t i = 0; i < b.kernels.size(); ++i) {
    const Kernel &k = b.kernels[i];
    std::string e = checkKernel(k);
    if (!e.empty()) return "kernel " + std::to_string(i) + " (" + quoted(k.name) + "): " + e;
    if (!names.insert(k.name).second) return "kernel name " + quoted(k.name) + " appears twice";
  }
  return {};
}

bool write(const Bundle &bundle, std::vector<uint8_t> &out, std::string &error) {
  error = check(bundle);
  if (!error.empty()) {
    error = "cannot write bundle: " + error;
    return false;
  }
  FlatBufferBuilder fbb;
  std::vector<Offset<fb::Kernel>> kernels;
  for (const Kernel &k : bundle.kernels) {
    std::vector<Offset<fb::Arg>> args;
    for (const Arg &a : k.args) args.push_back(encode(fbb, a));
    std::vector<Offset<fb::Binary>> binaries;
    for (const Binary &b : k.binaries) binaries.push_back(encode(fbb, b));
    kernels.push_back(fb::CreateKernel(fbb, fbb.CreateString(k.name),
                                       fbb.CreateVector(args), fbb.CreateVector(binaries)));
  }
  auto producer = fbb.CreateString(bundle.producer);
  auto spec = fbb.CreateString(bundle.specName);
  Offset<flatbuffers::String> source;
  if (!bundle.specSource.empty()) source = fbb.CreateString(bundle.specSource);
  auto kernelVec = fbb.CreateVector(kernels);
  fb::BundleBuilder root(fbb);
  root.add_format_version(bundle.formatVersion);
  root.add_producer(producer);
  root.add_spec_name(spec);
  if (!source.IsNull()) root.add_spec_source(source);
  root.add_kernels(kernelVec);
  // The checksum field must exist in the file to be patched below, even though
  // its placeholder equals the schema default.
  fbb.ForceDefaults(true);
  root.add_checksum(0);
  fbb.ForceDefaults(false);
  fb::FinishBundleBuffer(fbb, root.Finish());

  out.assign(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
  // The generated accessors hide the field's address; the untyped table view
  // of the same root exposes it.
  uint8_t *field = flatbuffers::GetMutableRoot<flatbuffers::Table>(out.data())
                       ->GetAddressOf(fb::Bundle::VT_CHECKSUM);
  flatbuffers::WriteScalar<uint64_t>(
      field, checksum(out.data(), out.size(), static_cast<size_t>(field - out.data())));
  return true;
}

bool writeFile(const Bundle &bundle, const std::string &path, std::string &error) {
  std::vector<uint8_t> bytes;
  if (!write(bundle, bytes, error)) return false;
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (f) f.write(reinterpret_cast<const char *>(bytes.data()),
                 static_cast<std::streamsize>(bytes.size()));
  if (!f) {
    error = "cannot write bundle file " + quoted(path) + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

ReadStatus read(const void *data, size_t size, Bundle &out, std::string &error) {
  const auto *buf = static_cast<const uint8_t *>(data);
  if (size >= FLATBUFFERS_MAX_BUFFER_SIZE) {
    error = "not an attn bundle: " + std::to_string(size) +
            " bytes is above the FlatBuffers limit of 2 GiB";
    return ReadStatus::Invalid;
  }
  if (!buf || size < 8) {
    error = "not an attn bundle: " + std::to_string(size) +
            " bytes is too short for a header (8 bytes)";
    return ReadStatus::Invalid;
  }
  if (!fb::BundleBufferHasIdentifier(buf)) {
    std::string id;
    for (int i = 4; i < 8; ++i) {
      char c = static_cast<char>(buf[i]);
      if (std::isprint(static_cast<unsigned char>(c))) {
        id += c;
      } else {
        char esc[8];
        std::snprintf(esc, sizeof esc, "\\x%02x", buf[i]);
        id += esc;
      }
    }
    error = "not an attn bundle: file identifier is '" + id + "', expected '" +
            fb::BundleIdentifier() + "'";
    return ReadStatus::Invalid;
  }
  // Read the version before verifying the rest, whose layout may be a newer
  // version's: only the root table and its version field are checked here.
  // The untyped view of the root table gives field-level verification.
  flatbuffers::Verifier headerCheck(buf, size);
  const flatbuffers::Table *table = nullptr;
  if (headerCheck.VerifyOffset(0) != 0) {
    table = flatbuffers::GetRoot<flatbuffers::Table>(buf);
    if (!table->VerifyTableStart(headerCheck) ||
        !table->VerifyField<uint32_t>(headerCheck, fb::Bundle::VT_FORMAT_VERSION, 4))
      table = nullptr;
  }
  if (!table) {
    error = "corrupted or truncated bundle: its root table is out of bounds";
    return ReadStatus::Invalid;
  }
  const fb::Bundle *root = fb::GetBundle(buf);
  if (root->format_version() < kOldestFormatVersion ||
      root->format_version() > kFormatVersion) {
    error = "unsupported bundle format version " + std::to_string(root->format_version()) +
            " (this runtime reads versions " + std::to_string(kOldestFormatVersion) + " to " +
            std::to_string(kFormatVersion) + ")";
    return ReadStatus::UnsupportedVersion;
  }
  flatbuffers::Verifier verifier(buf, size);
  if (!fb::VerifyBundleBuffer(verifier)) {
    error = "corrupted or truncated bundle: its FlatBuffers structure does not verify";
    return ReadStatus::Invalid;
  }
  // The file ends where the buffer ends: the verifier tracks the furthest
  // byte any object reaches (FLATBUFFERS_TRACK_VERIFIER_BUFFER_SIZE, set for
  // every user of attn_bundle); beyond it only the builder's alignment
  // padding (< 8 zero bytes) may follow.
  size_t used = verifier.GetComputedSize();
  if (used == 0 || used > size || size - used >= 8 ||
      std::any_of(buf + used, buf + size, [](uint8_t byte) { return byte != 0; })) {
    error = "corrupted bundle: " + std::to_string(size - std::min(used, size)) +
            " bytes follow the end of its FlatBuffers buffer (at byte " +
            std::to_string(used) + ")";
    return ReadStatus::Invalid;
  }
  const uint8_t *field = table->GetAddressOf(fb::Bundle::VT_CHECKSUM);
  if (!field) {
    error = "corrupted bundle: it has no checksum";
    return ReadStatus::Invalid;
  }
  uint64_t computed = checksum(buf, size, static_cast<size_t>(field - buf));
  if (computed != root->checksum()) {
    error = "corrupted bundle: checksum mismatch (stored " + hex(root->checksum()) +
            ", computed " + hex(computed) + ")";
    return ReadStatus::Invalid;
  }
  Bundle b;
  b.formatVersion = root->format_version();
  b.producer = str(root->producer());
  b.specName = str(root->spec_name());
  b.specSource = str(root->spec_source());
  if (root->kernels())
    for (const fb::Kernel *k : *root->kernels()) {
      Kernel kernel;
      kernel.name = str(k->name());
      if (k->args())
        for (const fb::Arg *a : *k->args()) kernel.args.push_back(decode(a));
      if (k->binaries())
        for (const fb::Binary *bin : *k->binaries()) kernel.binaries.push_back(decode(bin));
      b.kernels.push_back(std::move(kernel));
    }
  error = check(b);
  if (!error.empty()) {
    error = "invalid bundle: " + error;
    return ReadStatus::Invalid;
  }
  out = std::move(b);
  return ReadStatus::Ok;
}

ReadStatus readFile(const std::string &path, Bundle &out, std::string &error) {
  // POSIX calls, not streams: a directory, a FIFO or /dev/zero must get a
  // message (and a bounded read), and no exception may escape.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot open bundle file " + quoted(path) + ": " + std::strerror(errno);
    return ReadStatus::IoError;
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat info;
  if (::fstat(fd, &info) != 0) {
    error = "cannot read bundle file " + quoted(path) + ": " + std::strerror(errno);
    return ReadStatus::IoError;
  }
  if (!S_ISREG(info.st_mode)) {
    error = "cannot read bundle file " + quoted(path) + ": " +
            (S_ISDIR(info.st_mode) ? "it is a directory" : "it is not a regular file");
    return ReadStatus::IoError;
  }
  if (static_cast<uint64_t>(info.st_size) >= FLATBUFFERS_MAX_BUFFER_SIZE) {
    error = quoted(path) + ": not an attn bundle: " + std::to_string(info.st_size) +
            " bytes is above the FlatBuffers limit of 2 GiB";
    return ReadStatus::Invalid;
  }
  std::vector<uint8_t> bytes;
  try {
    bytes.resize(static_cast<size_t>(info.st_size));
  } catch (const std::bad_alloc &) {
    error = "cannot read bundle file " + quoted(path) + ": out of memory for " +
            std::to_string(info.st_size) + " bytes";
    return ReadStatus::IoError;
  }
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = "cannot read bundle file " + quoted(path) + ": " + std::strerror(errno);
      return ReadStatus::IoError;
    }
    if (n == 0) break; // shrank while reading: the checks below see the rest
    done += static_cast<size_t>(n);
  }
  bytes.resize(done);
  ReadStatus status = read(bytes.data(), bytes.size(), out, error);
  if (status != ReadStatus::Ok) error = quoted(path) + ": " + error;
  return status;
}

std::optional<TargetFamily> targetFamily(std::string_view t) {
  if (t == "host") return TargetFamily::Host;
  if (parseCudaTarget(t)) return TargetFamily::Cuda;
  if (t.size() > 3 && t.substr(0, 3) == "gfx" &&
      std::all_of(t.begin() + 3, t.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
      }))
    return TargetFamily::Amd;
  return std::nullopt;
}

std::optional<CudaArch> parseCudaTarget(std::string_view t) {
  if (t.substr(0, 3) != "sm_") return std::nullopt;
  std::string_view v = t.substr(3);
  CudaArch arch;
  if (!v.empty() && v.back() == 'a') {
    arch.archSpecific = true;
    v.remove_suffix(1);
  }
  // Two or three digits: sm_80, sm_90, sm_100, sm_120. The last is the minor.
  if (v.size() < 2 || v.size() > 3 || v[0] == '0' ||
      !std::all_of(v.begin(), v.end(),
                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    return std::nullopt;
  arch.major = std::stoi(std::string(v.substr(0, v.size() - 1)));
  arch.minor = v.back() - '0';
  return arch;
}

bool cudaBinaryRuns(const Binary &b, int major, int minor) {
  auto arch = parseCudaTarget(b.target);
  if (!arch) return false;
  if (arch->archSpecific) return arch->major == major && arch->minor == minor;
  if (b.kind == BinaryKind::Cubin) return arch->major == major && arch->minor <= minor;
  if (b.kind == BinaryKind::Ptx)
    return arch->major < major || (arch->major == major && arch->minor <= minor);
  return false;
}

int selectCudaBinary(const Kernel &kernel, int major, int minor) {
  // Lower rank is better; ties go to the higher version.
  int best = -1, bestRank = 0, bestVersion = 0;
  for (size_t i = 0; i < kernel.binaries.size(); ++i) {
    const Binary &b = kernel.binaries[i];
    if (!cudaBinaryRuns(b, major, minor)) continue;
    auto arch = parseCudaTarget(b.target);
    bool exact = arch->major == major && arch->minor == minor;
    int rank;
    if (b.kind == BinaryKind::Cubin)
      rank = exact ? (arch->archSpecific ? 0 : 1) : 2;
    else
      rank = arch->archSpecific ? 3 : 4;
    int version = arch->major * 10 + arch->minor;
    if (best < 0 || rank < bestRank || (rank == bestRank && version > bestVersion)) {
      best = static_cast<int>(i);
      bestRank = rank;
      bestVersion = version;
    }
  }
  return best;
}

} // namespace attn::bundle
