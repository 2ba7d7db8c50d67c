// The bundle model, writer and reader: round trips, the validity rules, every
// kind of damaged input, launch expressions and CUDA target choice.
#include "test_util.h"

#include <flatbuffers/flatbuffers.h>

#include <cstdio>
#include <functional>
#include <random>

using namespace attn::bundle;
using attn::test::sampleBundle;
using attn::test::serialize;
using attn::test::tmaBundle;

namespace {

// Field offsets in FlatBuffers vtables: 4 + 2 * field id (bundle.fbs order).
constexpr flatbuffers::voffset_t kVersionField = 4, kKernelsField = 10, kChecksumField = 12;
constexpr flatbuffers::voffset_t kKernelArgsField = 6, kArgDtypeField = 10, kArgDimsField = 12;
constexpr flatbuffers::voffset_t kDimExtentField = 4;

using flatbuffers::Offset;
using flatbuffers::Table;
using flatbuffers::Vector;

Table *root(std::vector<uint8_t> &bytes) {
  return flatbuffers::GetMutableRoot<Table>(bytes.data());
}

Table *firstArg(std::vector<uint8_t> &bytes) {
  auto *kernels = root(bytes)->GetPointer<Vector<Offset<Table>> *>(kKernelsField);
  auto *args = kernels->GetMutableObject(0)->GetPointer<Vector<Offset<Table>> *>(kKernelArgsField);
  return args->GetMutableObject(0);
}

// Recomputes the checksum the way docs/runtime.md specifies it, so a test can
// damage the content behind the checksum's back.
void reseal(std::vector<uint8_t> &bytes) {
  uint8_t *field = root(bytes)->GetAddressOf(kChecksumField);
  ASSERT_NE(field, nullptr);
  size_t at = static_cast<size_t>(field - bytes.data());
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < bytes.size(); ++i)
    h = (h ^ ((i >= at && i < at + 8) ? 0 : bytes[i])) * 1099511628211ull;
  flatbuffers::WriteScalar<uint64_t>(field, h);
}

ReadStatus readBytes(const std::vector<uint8_t> &bytes, std::string &error) {
  Bundle out;
  return read(bytes.data(), bytes.size(), out, error);
}

} // namespace

TEST(BundleRoundTrip, WriteThenReadGivesTheSameBundle) {
  Bundle b = sampleBundle();
  Kernel second = b.kernels[0];
  second.name = "attention_lse";
  second.binaries.pop_back();
  b.kernels.push_back(second);
  std::vector<uint8_t> bytes = serialize(b);
  Bundle back;
  std::string error;
  ASSERT_EQ(read(bytes.data(), bytes.size(), back, error), ReadStatus::Ok) << error;
  EXPECT_EQ(back, b);
  EXPECT_EQ(back.kernels[0].binaries[0].launch->grid[0].str(), "ceil_div(Sq, 128)");
  EXPECT_EQ(back.kernels[0].args[5].kind, ArgKind::Scalar);
  EXPECT_EQ(serialize(b), bytes) << "writing is deterministic";
}

TEST(BundleRoundTrip, LeastExtentsAndOrderSurvive) {
  Bundle b = sampleBundle();
  Kernel &k = b.kernels[0];
  k.args.push_back(Arg::tensor("blocks", Role::Input, DType::I32,
                               {Dim::sym("B"), Dim::sym("Hq"), Dim::sym("Nq"), Dim::fixed(4)}));
  k.args.back().minimums = {{2, Expr::ceilDiv("Sq", 16)}, {3, Expr::ceilDiv("Skv", 64)}};
  k.args.push_back(Arg::tensor("offsets", Role::Input, DType::I64, {Dim::sym("N")}));
  k.args.back().minimums = {{0, Expr::constant(2)}};
  k.args.back().nonDecreasing = true;
  std::vector<uint8_t> bytes = serialize(b);
  Bundle back;
  std::string error;
  ASSERT_EQ(read(bytes.data(), bytes.size(), back, error), ReadStatus::Ok) << error;
  EXPECT_EQ(back, b);
  EXPECT_EQ(back.kernels[0].args[6].minimums[1].atLeast.str(), "ceil_div(Skv, 64)");
  EXPECT_TRUE(back.kernels[0].args[7].nonDecreasing);
}

TEST(BundleRoundTrip, TensorMapsSurviveInVersion3) {
  Bundle b = tmaBundle();
  b.kernels[0].binaries[0].tensorMaps[1].swizzle = TensorMapSwizzle::Bytes64;
  b.kernels[0].binaries[0].tensorMaps[1].box = {32, 64, 2, 1};
  std::vector<uint8_t> bytes = serialize(b);
  Bundle back;
  std::string error;
  ASSERT_EQ(read(bytes.data(), bytes.size(), back, error), ReadStatus::Ok) << error;
  EXPECT_EQ(back, b);
  EXPECT_EQ(back.formatVersion, 3u);
  const std::vector<TensorMap> &maps = back.kernels[0].binaries[0].tensorMaps;
  ASSERT_EQ(maps.size(), 2u);
  EXPECT_EQ(maps[0].arg, 1u);
  EXPECT_EQ(maps[0].box, (std::vector<uint32_t>{64, 128, 1, 1}));
  EXPECT_EQ(maps[0].swizzle, TensorMapSwizzle::Bytes128);
  EXPECT_EQ(maps[1].box, (std::vector<uint32_t>{32, 64, 2, 1}));
  EXPECT_TRUE(back.kernels[0].binaries[1].tensorMaps.empty());

  Bundle other = b;
  other.kernels[0].binaries[0].tensorMaps[1].swizzle = TensorMapSwizzle::Bytes128;
  EXPECT_FALSE(other == b) << "operator== compares tensor maps";
}

TEST(BundleRoundTrip, Version2BundlesStayVersion2) {
  Bundle b = sampleBundle();
  EXPECT_EQ(b.formatVersion, kOldestFormatVersion) << "the default every runtime reads";
  EXPECT_EQ(leastFormatVersion(b), 2u);
  EXPECT_EQ(leastFormatVersion(tmaBundle()), 3u);
  std::vector<uint8_t> bytes = serialize(b);
  Bundle back;
  std::string error;
  ASSERT_EQ(read(bytes.data(), bytes.size(), back, error), ReadStatus::Ok) << error;
  EXPECT_EQ(back.formatVersion, 2u);
  // Without tensor maps a bundle may still say 3 (it then needs a newer runtime).
  b.formatVersion = 3;
  bytes = serialize(b);
  ASSERT_EQ(read(bytes.data(), bytes.size(), back, error), ReadStatus::Ok) << error;
  EXPECT_EQ(back, b);
}

TEST(BundleRoundTrip, ThroughAFile) {
  Bundle b = sampleBundle();
  std::string path = testing::TempDir() + "/roundtrip.atnb";
  std::string error;
  ASSERT_TRUE(writeFile(b, path, error)) << error;
  Bundle back;
  ASSERT_EQ(readFile(path, back, error), ReadStatus::Ok) << error;
  EXPECT_EQ(back, b);
  std::remove(path.c_str());
}

TEST(BundleRead, MissingFileIsAnIoError) {
  Bundle out;
  std::string error;
  EXPECT_EQ(readFile("/nonexistent/dir/x.atnb", out, error), ReadStatus::IoError);
  EXPECT_NE(error.find("cannot open bundle file '/nonexistent/dir/x.atnb'"), std::string::npos)
      << error;
}

TEST(BundleRead, WriteFileToAMissingDirectoryFails) {
  std::string error;
  EXPECT_FALSE(writeFile(sampleBundle(), "/nonexistent/dir/x.atnb", error));
  EXPECT_NE(error.find("cannot write bundle file"), std::string::npos) << error;
}

TEST(BundleRead, EveryTruncationIsRejected) {
  std::vector<uint8_t> bytes = serialize(sampleBundle());
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::string error;
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + n);
    EXPECT_EQ(readBytes(cut, error), ReadStatus::Invalid) << "truncated to " << n;
    EXPECT_FALSE(error.empty());
  }
}

TEST(BundleRead, EveryByteFlipIsRejected) {
  std::vector<uint8_t> bytes = serialize(sampleBundle());
  for (uint8_t mask : {0x01, 0x80, 0xff}) {
    for (size_t i = 0; i < bytes.size(); ++i) {
      std::vector<uint8_t> bad = bytes;
      bad[i] ^= mask;
      std::string error;
      EXPECT_NE(readBytes(bad, error), ReadStatus::Ok)
          << "byte " << i << " ^ " << int(mask) << " went unnoticed";
      EXPECT_FALSE(error.empty());
    }
  }
}

TEST(BundleRead, FlippedBinaryByteIsAChecksumMismatch) {
  Bundle b = sampleBundle();
  b.kernels[0].binaries[0].data = std::vector<uint8_t>(64, 0xab);
  std::vector<uint8_t> bytes = serialize(b);
  auto at = std::search_n(bytes.begin(), bytes.end(), 64, 0xab);
  ASSERT_NE(at, bytes.end());
  at[10] = 0xac;
  std::string error;
  EXPECT_EQ(readBytes(bytes, error), ReadStatus::Invalid);
  EXPECT_NE(error.find("checksum mismatch"), std::string::npos) << error;
}

TEST(BundleRead, TrailingBytesAreRejected) {
  std::vector<uint8_t> bytes = serialize(sampleBundle());
  bytes.push_back(0);
  std::string error;
  EXPECT_EQ(readBytes(bytes, error), ReadStatus::Invalid);
  EXPECT_NE(error.find("checksum mismatch"), std::string::npos) << error;
}

// Issue 16: 1,000 junk bytes appended behind a recomputed checksum were
// accepted, though the file must end where the buffer ends.
TEST(BundleRead, TrailingBytesBehindARecomputedChecksumAreRejected) {
  std::vector<uint8_t> bytes = serialize(sampleBundle());
  size_t size = bytes.size();
  bytes.resize(size + 1000, 0xA5);
  reseal(bytes);
  std::string error;
  EXPECT_EQ(readBytes(bytes, error), ReadStatus::Invalid);
  EXPECT_NE(error.find("bytes follow the end of its FlatBuffers buffer"), std::string::npos)
      << error;
  // Zero bytes too: beyond the builder's alignment padding nothing may follow.
  bytes.assign(bytes.begin(), bytes.begin() + static_cast<long>(size));
  bytes.resize(size + 64, 0);
  reseal(bytes);
  EXPECT_EQ(readBytes(bytes, error), ReadStatus::Invalid);
  EXPECT_NE(error.find("bytes follow the end"), std::string::npos) << error;
}

// Issue 16: a directory or /dev/zero given as a bundle threw from the
// stream reader (an uncaught std::ios_base::failure, or bad_alloc).
TEST(BundleRead, DirectoriesAndDevicesAreIoErrors) {
  Bundle out;
  std::string error;
  EXPECT_EQ(readFile("/tmp", out, error), ReadStatus::IoError);
  EXPECT_EQ(error, "cannot read bundle file '/tmp': it is a directory");
  EXPECT_EQ(readFile("/dev/zero", out, error), ReadStatus::IoError);
  EXPECT_EQ(error, "cannot read bundle file '/dev/zero': it is not a regular file");
}

TEST(BundleRead, ForeignFilesAreRejectedByIdentifier) {
  std::vector<uint8_t> elf = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  std::string error;
  EXPECT_EQ(readBytes(elf, error), ReadStatus::Invalid);
  EXPECT_EQ(error, "not an attn bundle: file identifier is '\\x02\\x01\\x01\\x00', expected 'ATNB'");

  std::vector<uint8_t> bytes = serialize(sampleBundle());
  std::copy_n("XYZW", 4, bytes.begin() + 4);
  EXPECT_EQ(readBytes(bytes, error), ReadStatus::Invalid);
  EXPECT_EQ(error, "not an attn bundle: file identifier is 'XYZW', expected 'ATNB'");

  std::vector<uint8_t> tiny = {'A', 'T'};
  EXPECT_EQ(readBytes(tiny, error), ReadStatus::Invalid);
  EXPECT_NE(error.find("2 bytes is too short"), std::string::npos) << error;
}

TEST(BundleRead, OtherFormatVersionsAreReportedAsSuch) {
  for (uint32_t version : {0u, 1u, 4u, 77u}) {
    std::vector<uint8_t> bytes = serialize(sampleBundle());
    uint8_t *field = root(bytes)->GetAddressOf(kVersionField);
    ASSERT_NE(field, nullptr);
    flatbuffers::WriteScalar<uint32_t>(field, version);
    std::string error;
    EXPECT_EQ(readBytes(bytes, error), ReadStatus::UnsupportedVersion);
    EXPECT_EQ(error, "unsupported bundle format version " + std::to_string(version) +
                         " (this runtime reads versions 2 to 3)");
  }
}

// An older runtime reading version 2 would drop the tensor maps and launch
// the kernel without them, so a file claiming 2 while it holds some is
// invalid, not merely old.
TEST(BundleRead, TensorMapsInAVersion2FileAreRejected) {
  std::vector<uint8_t> bytes = serialize(tmaBundle());
  flatbuffers::WriteScalar<uint32_t>(root(bytes)->GetAddressOf(kVersionField), 2);
  reseal(bytes);
  std::string error;
  EXPECT_EQ(readBytes(bytes, error), ReadStatus::Invalid);
  EXPECT_EQ(error, "invalid bundle: format version 2 cannot hold the tensor maps of kernel 0 "
                   "('attention') binary 0 ('sm_90a'): they need version 3");
}

TEST(BundleRead, SizesBeyondFlatBuffersAreRejectedUnread) {
  uint8_t small[16] = {};
  std::string error;
  Bundle out;
  // The size is checked before a byte is read, so a short buffer is safe here.
  EXPECT_EQ(read(small, size_t(3) << 30, out, error), ReadStatus::Invalid);
  EXPECT_EQ(error, "not an attn bundle: 3221225472 bytes is above the FlatBuffers limit of 2 GiB");
}

TEST(BundleRead, RandomBytesBehindAValidIdentifierAreRejected) {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 2000; ++trial) {
    std::vector<uint8_t> bytes(8 + rng() % 300);
    for (auto &b : bytes) b = static_cast<uint8_t>(rng());
    std::copy_n("ATNB", 4, bytes.begin() + 4);
    // Small root offsets land inside the buffer, so the verifier does real work.
    if (trial % 2) flatbuffers::WriteScalar<uint32_t>(bytes.data(), 8 + rng() % 64);
    std::string error;
    EXPECT_NE(readBytes(bytes, error), ReadStatus::Ok) << "trial " << trial;
  }
}

TEST(BundleRead, ResealedContentIsStillChecked) {
  std::vector<uint8_t> bytes = serialize(sampleBundle());
  {
    std::vector<uint8_t> same = bytes;
    reseal(same);
    EXPECT_EQ(same, bytes) << "the documented checksum is the one written";
  }
  std::vector<uint8_t> badDtype = bytes;
  uint8_t *dtype = firstArg(badDtype)->GetAddressOf(kArgDtypeField);
  ASSERT_NE(dtype, nullptr);
  *dtype = 200;
  reseal(badDtype);
  std::string error;
  EXPECT_EQ(readBytes(badDtype, error), ReadStatus::Invalid);
  EXPECT_EQ(error, "invalid bundle: kernel 0 ('attention'): argument 0 ('q'): dtype 200 is unknown");

  std::vector<uint8_t> badExtent = bytes;
  auto *dims = firstArg(badExtent)->GetPointer<Vector<Offset<Table>> *>(kArgDimsField);
  uint8_t *extent = dims->GetMutableObject(3)->GetAddressOf(kDimExtentField);
  ASSERT_NE(extent, nullptr);
  flatbuffers::WriteScalar<int64_t>(extent, -5);
  reseal(badExtent);
  EXPECT_EQ(readBytes(badExtent, error), ReadStatus::Invalid);
  EXPECT_EQ(error, "invalid bundle: kernel 0 ('attention'): argument 0 ('q'): dimension 3: "
                   "static extent -5 is negative");
}

// --- the validity rules ------------------------------------------------------

struct Rule {
  const char *name;
  std::function<void(Bundle &)> breakIt;
  const char *message;
};

class BundleRules : public testing::TestWithParam<Rule> {};

TEST_P(BundleRules, AreEnforcedByCheckAndWrite) {
  Bundle b = sampleBundle();
  ASSERT_EQ(check(b), "");
  GetParam().breakIt(b);
  EXPECT_EQ(check(b), GetParam().message);
  std::vector<uint8_t> bytes;
  std::string error;
  EXPECT_FALSE(write(b, bytes, error));
  EXPECT_EQ(error, std::string("cannot write bundle: ") + GetParam().message);
}

Kernel &k0(Bundle &b) { return b.kernels[0]; }
Binary &gpu(Bundle &b) { return b.kernels[0].binaries[0]; }

// A version-3 bundle whose binary `binary` loads k by TMA (tensor map 0).
TensorMap &withMap(Bundle &b, size_t binary = 0) {
  b.formatVersion = 3;
  std::vector<TensorMap> &maps = b.kernels[0].binaries[binary].tensorMaps;
  maps = {{1, {64, 128, 1, 1}, TensorMapSwizzle::Bytes128}};
  return maps[0];
}

// A version-3 bundle whose sm_90a binary loads a new input 'x' of `dims`.
TensorMap &withMapOf(Bundle &b, std::vector<Dim> dims) {
  k0(b).args.push_back(Arg::tensor("x", Role::Input, DType::F32, std::move(dims))
                           .withInnermostContiguous()
                           .withAlignment(16));
  TensorMap &m = withMap(b);
  m.arg = 6;
  m.box.assign(k0(b).args[6].dims.size(), 4);
  m.swizzle = TensorMapSwizzle::None;
  return m;
}

const Rule kRules[] = {
    {"Version", [](Bundle &b) { b.formatVersion = 4; }, "format version 4 is not between 2 and 3"},
    {"OldVersion", [](Bundle &b) { b.formatVersion = 1; },
     "format version 1 is not between 2 and 3"},
    {"TensorMapsNeedVersion3",
     [](Bundle &b) {
       withMap(b);
       b.formatVersion = 2;
     },
     "format version 2 cannot hold the tensor maps of kernel 0 ('attention') binary 0 "
     "('sm_90a'): they need version 3"},
    {"TensorMapOnHost", [](Bundle &b) { withMap(b, 2); },
     "kernel 0 ('attention'): binary 2 ('host'): tensor map 0: TMA needs a CUDA target of "
     "sm_90 or newer, not 'host'"},
    {"TensorMapOnSm80",
     [](Bundle &b) {
       withMap(b, 1);
       k0(b).binaries[1].conv = CallingConv::GpuExpandedMemref;
     },
     "kernel 0 ('attention'): binary 1 ('sm_80'): tensor map 0: TMA needs a CUDA target of "
     "sm_90 or newer, not 'sm_80'"},
    {"TensorMapOnAmd",
     [](Bundle &b) {
       withMap(b);
       gpu(b).target = "gfx942";
       gpu(b).kind = BinaryKind::Hsaco;
     },
     "kernel 0 ('attention'): binary 0 ('gfx942'): tensor map 0: TMA needs a CUDA target of "
     "sm_90 or newer, not 'gfx942'"},
    {"TensorMapWithBarePointers",
     [](Bundle &b) {
       withMap(b);
       gpu(b).conv = CallingConv::GpuBarePtr;
     },
     "kernel 0 ('attention'): binary 0 ('sm_90a'): tensor map 0: tensor maps need the calling "
     "convention gpu_expanded_memref, not gpu_bare_ptr"},
    {"TensorMapArgumentIndex", [](Bundle &b) { withMap(b).arg = 6; },
     "kernel 0 ('attention'): binary 0 ('sm_90a'): tensor map 0: argument index 6 is out of "
     "range (the kernel has 6 arguments)"},
    {"TensorMapOfAScalar", [](Bundle &b) { withMap(b).arg = 5; },
     "kernel 0 ('attention'): binary 0 ('sm_90a'): tensor map 0: argument 5 ('scale') is a "
     "scalar, not a tensor"},
    {"TensorMapOfRank0", [](Bundle &b) { withMapOf(b, {}); },
     "kernel 0 ('attention'): binary 0 ('sm_90a'): tensor map 0: argument 6 ('x') has rank 0; "
     "TMA loads tensors of rank 1 to 5"},
    {"TensorMapOfRank6", [](Bundle &b) { withMapOf(b, std::vector<Dim>(6, Dim::fixed(4))); },
     "kernel 0 ('attention'): binary 0 ('sm_90a'): tensor map 0: argument 6 ('x') has rank 6; "
     "TMA loads tensors of rank 1 to 5"},
    {"TensorMapOfAStridedTensor",
     [](Bundle &b) {
       withMap(b);
       k0(b).args[1].innermostContiguous = false;
     },
     "kernel 0 ('attention'): binary 0 ('sm_90a'): tensor map 0: argument 1 ('k') must be "
     "innermost_contiguous: TMA reads rows of stride 1"},
    {"TensorMapAlignment",
     [](Bundle &b) {
       withMap(b);
       k0(b).args[1].alignment = 8;
     },
     "kernel 0 ('attention'): binary 0 ('sm_90a'): tensor map 0: argument 1 ('k') has "
     "alignment 8; TMA needs 16"},
    {"TensorMapBoxRank", [](Bundle &b) { withMap(b).box.pop_back(); },
     "kernel 0 ('attention'): binary 0 ('sm_90a'): tensor map 0: box has 3 extents, but "
     "argument 1 ('k') has rank 4"},
    {"TensorMapEmptyBox", [](Bundle &b) { withMap(b).box[2] = 0; },
     "kernel 0 ('attention'): binary 0 ('sm_90a'): tensor map 0: box extent 2 is 0, outside "
     "[1, 256]"},
    {"TensorMapBoxAbove256", [](Bundle &b) { withMap(b).box[1] = 257; },
     "kernel 0 ('attention'): binary 0 ('sm_90a'): tensor map 0: box extent 1 is 257, outside "
     "[1, 256]"},
    {"TensorMapRowOf16Bytes",
     [](Bundle &b) {
       TensorMap &m = withMap(b);
       m.box[0] = 4;
       m.swizzle = TensorMapSwizzle::None;
     },
     "kernel 0 ('attention'): binary 0 ('sm_90a'): tensor map 0: box extent 0 is 4 elements of "
     "bf16 (8 bytes), not a multiple of 16 bytes"},
    {"TensorMapSwizzleValue",
     [](Bundle &b) { withMap(b).swizzle = static_cast<TensorMapSwizzle>(4); },
     "kernel 0 ('attention'): binary 0 ('sm_90a'): tensor map 0: swizzle 4 is unknown"},
    {"TensorMapRowWiderThan128B", [](Bundle &b) { withMap(b).box[0] = 128; },
     "kernel 0 ('attention'): binary 0 ('sm_90a'): tensor map 0: box extent 0 is 128 elements "
     "of bf16 (256 bytes), wider than the 128B swizzle span"},
    {"TensorMapRowWiderThan64B",
     [](Bundle &b) { withMap(b).swizzle = TensorMapSwizzle::Bytes64; },
     "kernel 0 ('attention'): binary 0 ('sm_90a'): tensor map 0: box extent 0 is 64 elements "
     "of bf16 (128 bytes), wider than the 64B swizzle span"},
    {"TensorMapRowWiderThan32B",
     [](Bundle &b) {
       TensorMap &m = withMap(b);
       m.box[0] = 24;
       m.swizzle = TensorMapSwizzle::Bytes32;
     },
     "kernel 0 ('attention'): binary 0 ('sm_90a'): tensor map 0: box extent 0 is 24 elements "
     "of bf16 (48 bytes), wider than the 32B swizzle span"},
    {"SecondTensorMap",
     [](Bundle &b) {
       withMap(b);
       gpu(b).tensorMaps.push_back({2, {64, 128, 1}, TensorMapSwizzle::Bytes128});
     },
     "kernel 0 ('attention'): binary 0 ('sm_90a'): tensor map 1: box has 3 extents, but "
     "argument 2 ('v') has rank 4"},
    {"Producer", [](Bundle &b) { b.producer.clear(); }, "producer is empty"},
    {"Spec", [](Bundle &b) { b.specName.clear(); }, "spec name is empty"},
    {"NoKernels", [](Bundle &b) { b.kernels.clear(); }, "bundle has no kernels"},
    {"KernelName", [](Bundle &b) { k0(b).name = "1st"; },
     "kernel 0 ('1st'): name is not an identifier"},
    {"DuplicateKernel", [](Bundle &b) { b.kernels.push_back(b.kernels[0]); },
     "kernel name 'attention' appears twice"},
    {"ArgName", [](Bundle &b) { k0(b).args[1].name = "k v"; },
     "kernel 0 ('attention'): argument 1 ('k v'): name 'k v' is not an identifier"},
    {"DuplicateArg", [](Bundle &b) { k0(b).args[1].name = "q"; },
     "kernel 0 ('attention'): argument name 'q' appears twice"},
    {"UnknownDtype", [](Bundle &b) { k0(b).args[0].dtype = static_cast<DType>(99); },
     "kernel 0 ('attention'): argument 0 ('q'): dtype 99 is unknown"},
    {"UnknownRole", [](Bundle &b) { k0(b).args[0].role = static_cast<Role>(5); },
     "kernel 0 ('attention'): argument 0 ('q'): role 5 is unknown"},
    {"Alignment", [](Bundle &b) { k0(b).args[0].alignment = 24; },
     "kernel 0 ('attention'): argument 0 ('q'): alignment 24 is not a power of two"},
    {"ZeroAlignment", [](Bundle &b) { k0(b).args[0].alignment = 0; },
     "kernel 0 ('attention'): argument 0 ('q'): alignment 0 is not a power of two"},
    {"ScalarOutput", [](Bundle &b) { k0(b).args[5].role = Role::Output; },
     "kernel 0 ('attention'): argument 5 ('scale'): a scalar must be an input"},
    {"ScalarRank", [](Bundle &b) { k0(b).args[5].dims = {Dim::fixed(1)}; },
     "kernel 0 ('attention'): argument 5 ('scale'): a scalar must have rank 0"},
    {"ScalarLayout", [](Bundle &b) { k0(b).args[5].alignment = 4; },
     "kernel 0 ('attention'): argument 5 ('scale'): a scalar cannot carry layout "
     "requirements (contiguity, alignment)"},
    {"NegativeExtent", [](Bundle &b) { k0(b).args[0].dims[3] = Dim::fixed(-2); },
     "kernel 0 ('attention'): argument 0 ('q'): dimension 3: static extent -2 is negative"},
    {"SymbolName", [](Bundle &b) { k0(b).args[0].dims[0] = Dim::sym("B+1"); },
     "kernel 0 ('attention'): argument 0 ('q'): dimension 0: size name 'B+1' is not an "
     "identifier"},
    {"OrderOfAnOutput", [](Bundle &b) { k0(b).args[3].nonDecreasing = true; },
     "kernel 0 ('attention'): argument 3 ('o'): an output cannot carry an order"},
    {"MinimumOfAScalar", [](Bundle &b) { k0(b).args[5].nonDecreasing = true; },
     "kernel 0 ('attention'): argument 5 ('scale'): a scalar cannot carry least extents or "
     "an order"},
    {"MinimumPastTheRank",
     [](Bundle &b) { k0(b).args[0].minimums = {{4, Expr::constant(1)}}; },
     "kernel 0 ('attention'): argument 0 ('q'): least extent of dimension 4, but the rank "
     "is 4"},
    {"MinimumOfAnUnknownSize",
     [](Bundle &b) { k0(b).args[0].minimums = {{2, Expr::ceilDiv("N", 16)}}; },
     "kernel 0 ('attention'): argument 0 ('q') least extent of dimension 2 factor 0: size "
     "'N' is not a symbolic dimension of any tensor argument"},
    {"NonDecreasingNeedsRank1Integers", [](Bundle &b) { k0(b).args[0].nonDecreasing = true; },
     "kernel 0 ('attention'): argument 0 ('q'): only a rank-1 i32 or i64 tensor can be "
     "non-decreasing"},
    {"SymbolAndExtent", [](Bundle &b) { k0(b).args[0].dims[0] = Dim{4, "B"}; },
     "kernel 0 ('attention'): argument 0 ('q'): dimension 0: has both a size name and a "
     "static extent"},
    {"NoBinaries", [](Bundle &b) { k0(b).binaries.clear(); },
     "kernel 0 ('attention'): has no binaries"},
    {"Target", [](Bundle &b) { gpu(b).target = "sm_9"; },
     "kernel 0 ('attention'): binary 0 ('sm_9'): target 'sm_9' is not 'host', "
     "'sm_<version>[a]' or 'gfx<id>'"},
    {"TargetFamilyName", [](Bundle &b) { gpu(b).target = "cuda"; },
     "kernel 0 ('attention'): binary 0 ('cuda'): target 'cuda' is not 'host', "
     "'sm_<version>[a]' or 'gfx<id>'"},
    {"KindForTarget", [](Bundle &b) { gpu(b).kind = BinaryKind::Hsaco; },
     "kernel 0 ('attention'): binary 0 ('sm_90a'): binary kind hsaco does not fit target "
     "'sm_90a'"},
    {"ConvForGpu", [](Bundle &b) { gpu(b).conv = CallingConv::HostCIface; },
     "kernel 0 ('attention'): binary 0 ('sm_90a'): calling convention host_c_iface does not "
     "fit target 'sm_90a'"},
    {"ConvForHost", [](Bundle &b) { k0(b).binaries[2].conv = CallingConv::GpuBarePtr; },
     "kernel 0 ('attention'): binary 2 ('host'): calling convention gpu_bare_ptr does not "
     "fit target 'host'"},
    {"Entry", [](Bundle &b) { gpu(b).entry = ""; },
     "kernel 0 ('attention'): binary 0 ('sm_90a'): entry '' is not a symbol name"},
    {"EmptyData", [](Bundle &b) { gpu(b).data.clear(); },
     "kernel 0 ('attention'): binary 0 ('sm_90a'): binary data is empty"},
    {"HostLaunch", [](Bundle &b) { k0(b).binaries[2].launch = LaunchConfig{}; },
     "kernel 0 ('attention'): binary 2 ('host'): a host binary has no launch configuration"},
    {"GpuWithoutLaunch", [](Bundle &b) { gpu(b).launch.reset(); },
     "kernel 0 ('attention'): binary 0 ('sm_90a'): a GPU binary needs a launch "
     "configuration"},
    {"UnknownSize", [](Bundle &b) { gpu(b).launch->grid[1] = Expr::size("H"); },
     "kernel 0 ('attention'): binary 0 ('sm_90a'): grid.y factor 0: size 'H' is not a "
     "symbolic dimension of any tensor argument"},
    {"Divisor", [](Bundle &b) { gpu(b).launch->grid[0] = Expr::ceilDiv("Sq", 0); },
     "kernel 0 ('attention'): binary 0 ('sm_90a'): grid.x factor 0: divisor 0 is not >= 1"},
    {"ZeroBlock", [](Bundle &b) { gpu(b).launch->block[2] = Expr::constant(0); },
     "kernel 0 ('attention'): binary 0 ('sm_90a'): block.z factor 0: constant 0 is not >= 1"},
    {"NegativeShared", [](Bundle &b) { gpu(b).launch->sharedMemBytes = Expr::constant(-1); },
     "kernel 0 ('attention'): binary 0 ('sm_90a'): shared_mem_bytes factor 0: constant -1 is "
     "negative"},
    {"SizeAndConstant",
     [](Bundle &b) { gpu(b).launch->grid[2] = Expr{{Factor{"B", 3, 1}}}; },
     "kernel 0 ('attention'): binary 0 ('sm_90a'): grid.z factor 0: has both a size and a "
     "constant (3)"},
    {"DuplicateBinary", [](Bundle &b) { k0(b).binaries.push_back(gpu(b)); },
     "kernel 0 ('attention'): two cubin binaries for target 'sm_90a'"},
    // Issue 16: a signature giving o fewer heads than q (its kernel writes
    // q's heads) made attn-run write past its buffer.
    {"OutputHeadsDisagree", [](Bundle &b) { k0(b).args[3].dims[1] = Dim::fixed(1); },
     "kernel 0 ('attention'): attention argument 'o' dimension 1 is 1 but 'q' dimension 1 "
     "is Hq (both are Hq)"},
    {"OutputFeaturesDisagree", [](Bundle &b) { k0(b).args[3].dims[3] = Dim::fixed(32); },
     "kernel 0 ('attention'): attention argument 'o' dimension 3 is 32 but 'v' dimension 3 "
     "is 64 (both are F)"},
    {"KeyLengthDisagrees", [](Bundle &b) { k0(b).args[2].dims[2] = Dim::sym("Sq"); },
     "kernel 0 ('attention'): attention argument 'v' dimension 2 is Sq but 'k' dimension 2 "
     "is Skv (both are Skv)"},
    {"LseRank", [](Bundle &b) { k0(b).args[4].dims.pop_back(); },
     "kernel 0 ('attention'): attention output 'lse' must be an output of rank 3 ([B, Hq, "
     "Sq])"},
    {"AttentionRank", [](Bundle &b) { k0(b).args[0].dims.pop_back(); },
     "kernel 0 ('attention'): attention argument 'q' has rank 3, expected 4 ([B, H, S, D])"},
};

INSTANTIATE_TEST_SUITE_P(All, BundleRules, testing::ValuesIn(kRules),
                         [](const testing::TestParamInfo<Rule> &info) {
                           return std::string(info.param.name);
                         });

TEST(BundleRules, TensorMapsWithinTheLimitsAreFine) {
  EXPECT_EQ(check(tmaBundle()), "");
  Bundle b = tmaBundle();
  // Any CUDA target of sm_90 or newer, cubin or PTX; compact tensors count as
  // innermost-contiguous; the box may be smaller than a swizzle span, and
  // swizzle-free rows may be as wide as 256 elements.
  gpu(b).target = "sm_100";
  gpu(b).kind = BinaryKind::Ptx;
  k0(b).args[1].innermostContiguous = false;
  k0(b).args[1].contiguous = true;
  k0(b).args[1].alignment = 256;
  gpu(b).tensorMaps[0] = {1, {8, 256, 2, 3}, TensorMapSwizzle::None};
  gpu(b).tensorMaps[1] = {2, {16, 1, 1, 1}, TensorMapSwizzle::Bytes32};
  gpu(b).tensorMaps.push_back({2, {256, 1, 1, 1}, TensorMapSwizzle::None});
  gpu(b).tensorMaps.push_back({1, {32, 16, 1, 1}, TensorMapSwizzle::Bytes64});
  EXPECT_EQ(check(b), "");
  gpu(b).target = "sm_90";
  EXPECT_EQ(check(b), "");
}

TEST(BundleRules, SwizzleNames) {
  EXPECT_STREQ(name(TensorMapSwizzle::None), "none");
  EXPECT_STREQ(name(TensorMapSwizzle::Bytes32), "32B");
  EXPECT_STREQ(name(TensorMapSwizzle::Bytes64), "64B");
  EXPECT_STREQ(name(TensorMapSwizzle::Bytes128), "128B");
}

TEST(BundleRules, AZeroSharedMemoryConstantAndUnusedSizesAreFine) {
  Bundle b = sampleBundle();
  gpu(b).launch->sharedMemBytes = Expr::constant(0);
  EXPECT_EQ(check(b), "");
}

// --- launch expressions ------------------------------------------------------

TEST(Expr, PrintsAndEvaluatesProductsOfCeilDivs) {
  Expr e = Expr::ceilDiv("Sq", 128) * Expr::size("Hq") * Expr::constant(2);
  EXPECT_EQ(e.str(), "ceil_div(Sq, 128) * Hq * 2");
  EXPECT_EQ(Expr{}.str(), "1");
  auto sizes = [](const std::string &n) -> int64_t { return n == "Sq" ? 1000 : 12; };
  EXPECT_EQ(e.evaluate(sizes), std::optional<int64_t>(8 * 12 * 2));
  EXPECT_EQ(Expr::ceilDiv("Sq", 128).evaluate([](const std::string &) { return 1024; }),
            std::optional<int64_t>(8));
  EXPECT_EQ(Expr::ceilDiv("Sq", 128).evaluate([](const std::string &) { return 1025; }),
            std::optional<int64_t>(9));
  EXPECT_EQ(Expr::ceilDiv("Sq", 128).evaluate([](const std::string &) { return 0; }),
            std::optional<int64_t>(0));
  EXPECT_EQ(Expr{}.evaluate(sizes), std::optional<int64_t>(1));
}

TEST(Expr, OverflowIsReported) {
  Expr e = Expr::size("N") * Expr::size("N");
  EXPECT_EQ(e.evaluate([](const std::string &) { return int64_t(1) << 32; }), std::nullopt);
  EXPECT_EQ(e.evaluate([](const std::string &) { return int64_t(1) << 31; }),
            std::optional<int64_t>(int64_t(1) << 62));
}

// --- targets -----------------------------------------------------------------

TEST(Targets, Families) {
  EXPECT_EQ(targetFamily("host"), TargetFamily::Host);
  EXPECT_EQ(targetFamily("sm_80"), TargetFamily::Cuda);
  EXPECT_EQ(targetFamily("sm_90a"), TargetFamily::Cuda);
  EXPECT_EQ(targetFamily("sm_100"), TargetFamily::Cuda);
  EXPECT_EQ(targetFamily("gfx90a"), TargetFamily::Amd);
  EXPECT_EQ(targetFamily("gfx942"), TargetFamily::Amd);
  for (const char *bad : {"", "Host", "sm_", "sm_8", "sm_08", "sm_1000", "sm_90b", "sm90",
                          "gfx", "gfx94z", "cuda"})
    EXPECT_EQ(targetFamily(bad), std::nullopt) << bad;
}

TEST(Targets, CudaVersions) {
  auto a = parseCudaTarget("sm_120a");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->major, 12);
  EXPECT_EQ(a->minor, 0);
  EXPECT_TRUE(a->archSpecific);
  a = parseCudaTarget("sm_86");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->major, 8);
  EXPECT_EQ(a->minor, 6);
  EXPECT_FALSE(a->archSpecific);
}

namespace {
Kernel withBinaries(std::vector<std::pair<const char *, BinaryKind>> list) {
  Kernel k;
  for (auto [target, kind] : list) {
    Binary b;
    b.target = target;
    b.kind = kind;
    k.binaries.push_back(b);
  }
  return k;
}
constexpr BinaryKind kCubin = BinaryKind::Cubin, kPtx = BinaryKind::Ptx;
} // namespace

TEST(Targets, CudaSelectionPrefersExactCubinsThenCompatibleCubinsThenNewestPtx) {
  Kernel all = withBinaries({{"sm_80", kCubin}, {"sm_90", kCubin}, {"sm_90a", kCubin},
                             {"sm_80", kPtx}, {"host", BinaryKind::HostSharedObject}});
  EXPECT_EQ(selectCudaBinary(all, 9, 0), 2);   // sm_90a cubin
  EXPECT_EQ(selectCudaBinary(all, 8, 0), 0);   // sm_80 cubin
  EXPECT_EQ(selectCudaBinary(all, 8, 9), 0);   // sm_80 cubin runs on 8.9
  EXPECT_EQ(selectCudaBinary(all, 10, 0), 3);  // only the PTX runs on 10.0
  EXPECT_EQ(selectCudaBinary(all, 7, 5), -1);  // nothing old enough

  Kernel ptxs = withBinaries({{"sm_80", kCubin}, {"sm_80", kPtx}, {"sm_90", kPtx}});
  EXPECT_EQ(selectCudaBinary(ptxs, 9, 0), 2);  // newest PTX not above 9.0
  EXPECT_EQ(selectCudaBinary(ptxs, 8, 6), 0);  // compatible cubin before PTX

  Kernel archSpecific = withBinaries({{"sm_90a", kCubin}, {"sm_90a", kPtx}, {"sm_80", kPtx}});
  EXPECT_EQ(selectCudaBinary(archSpecific, 9, 0), 0);
  EXPECT_EQ(selectCudaBinary(archSpecific, 10, 0), 2); // sm_90a runs on 9.0 alone
  Kernel archPtx = withBinaries({{"sm_90a", kPtx}, {"sm_80", kPtx}});
  EXPECT_EQ(selectCudaBinary(archPtx, 9, 0), 0);

  Kernel hostOnly = withBinaries({{"host", BinaryKind::HostSharedObject}});
  EXPECT_EQ(selectCudaBinary(hostOnly, 9, 0), -1);
}

TEST(Targets, CudaBinaryCompatibility) {
  auto bin = [](const char *target, BinaryKind kind) {
    Binary b;
    b.target = target;
    b.kind = kind;
    return b;
  };
  EXPECT_TRUE(cudaBinaryRuns(bin("sm_80", kCubin), 8, 6));
  EXPECT_FALSE(cudaBinaryRuns(bin("sm_86", kCubin), 8, 0));
  EXPECT_FALSE(cudaBinaryRuns(bin("sm_80", kCubin), 9, 0));
  EXPECT_TRUE(cudaBinaryRuns(bin("sm_80", kPtx), 9, 0));
  EXPECT_FALSE(cudaBinaryRuns(bin("sm_90", kPtx), 8, 9));
  EXPECT_FALSE(cudaBinaryRuns(bin("sm_90a", kPtx), 10, 0));
  EXPECT_FALSE(cudaBinaryRuns(bin("gfx942", BinaryKind::Hsaco), 9, 0));
}
