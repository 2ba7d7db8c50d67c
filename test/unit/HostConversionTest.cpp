//===- HostConversionTest.cpp - Half conversions inside host objects ------===//
//
// Host objects carry their own f32 <-> f16 and f32 -> bf16 conversion
// helpers (compiler-rt's names, defined by HostCompiler.cpp), because the
// runtime loads them without compiler-rt. A shared object built here for
// the portable x86-64 CPU, which has no conversion instructions, converts
// through those helpers; its answers are compared with LLVM's APFloat over
// every bit pattern at a stride plus the rounding edges.
//
//===----------------------------------------------------------------------===//
#include "attn/Host/HostCompiler.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <cstring>
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <vector>

using namespace mlir;

namespace {

constexpr const char *kConversions = R"mlir(
llvm.func @to_half(%x: f32) -> i16 {
  %h = llvm.fptrunc %x : f32 to f16
  %b = llvm.bitcast %h : f16 to i16
  llvm.return %b : i16
}
llvm.func @to_bfloat(%x: f32) -> i16 {
  %h = llvm.fptrunc %x : f32 to bf16
  %b = llvm.bitcast %h : bf16 to i16
  llvm.return %b : i16
}
llvm.func @from_half(%x: i16) -> f32 {
  %h = llvm.bitcast %x : i16 to f16
  %f = llvm.fpext %h : f16 to f32
  llvm.return %f : f32
}
)mlir";

using Narrow = uint16_t (*)(float);
using Widen = float (*)(uint16_t);

/// The conversions, compiled into a host object and loaded.
class HostConversions : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    if (!llvm::Triple(llvm::sys::getProcessTriple()).isX86())
      return;
    MLIRContext context;
    context.loadDialect<LLVM::LLVMDialect>();
    OwningOpRef<ModuleOp> module =
        parseSourceString<ModuleOp>(kConversions, &context);
    ASSERT_TRUE(module);
    attn::host::HostCodegenOptions options; // portable x86-64: no F16C
    FailureOr<std::vector<uint8_t>> object =
        attn::host::buildSharedObject(*module, options);
    ASSERT_TRUE(succeeded(object));
    llvm::SmallString<128> path;
    ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("attn-conversions", "so", path));
    {
      std::error_code error;
      llvm::raw_fd_ostream stream(path, error);
      ASSERT_FALSE(error);
      stream.write(reinterpret_cast<const char *>(object->data()), object->size());
    }
    handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    llvm::sys::fs::remove(path);
    ASSERT_NE(handle, nullptr) << dlerror();
    toHalf = reinterpret_cast<Narrow>(dlsym(handle, "to_half"));
    toBFloat = reinterpret_cast<Narrow>(dlsym(handle, "to_bfloat"));
    fromHalf = reinterpret_cast<Widen>(dlsym(handle, "from_half"));
    // The helpers stay private to the object.
    EXPECT_EQ(dlsym(handle, "__truncsfhf2"), nullptr);
  }
  static void TearDownTestSuite() {
    if (handle)
      dlclose(handle);
  }
  void SetUp() override {
    if (!handle)
      GTEST_SKIP() << "the portable host CPU without conversion instructions "
                      "is x86-64";
    ASSERT_TRUE(toHalf && toBFloat && fromHalf);
  }

  static void *handle;
  static Narrow toHalf, toBFloat;
  static Widen fromHalf;
};
void *HostConversions::handle = nullptr;
Narrow HostConversions::toHalf = nullptr;
Narrow HostConversions::toBFloat = nullptr;
Widen HostConversions::fromHalf = nullptr;

float fromBits(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

uint16_t reference(uint32_t bits, const llvm::fltSemantics &semantics) {
  llvm::APFloat value(fromBits(bits));
  bool lost = false;
  value.convert(semantics, llvm::APFloat::rmNearestTiesToEven, &lost);
  return static_cast<uint16_t>(value.bitcastToAPInt().getZExtValue());
}

/// Bit patterns to try: a stride through all of them, and every pattern
/// within a few units of the halfway points of the 16-bit grid (where
/// rounding decides) and of the f16 range's edges.
std::vector<uint32_t> patterns() {
  std::vector<uint32_t> bits;
  for (uint64_t value = 0; value <= 0xffffffffu; value += 4099)
    bits.push_back(static_cast<uint32_t>(value));
  for (uint32_t sign : {0u, 0x80000000u})
    for (uint32_t exponent = 0; exponent < 256; ++exponent)
      for (uint32_t high : {0u, 1u, 0x3ffu, 0x7fu})
        for (uint32_t low : {0u, 1u, 0xfffu, 0x1000u, 0x1001u, 0x7fffu,
                             0x8000u, 0x8001u, 0xffffu})
          bits.push_back(sign | exponent << 23 | high << 13 | low);
  for (uint32_t edge : {0x477fefffu, 0x477ff000u, 0x477ff001u, 0x38800000u,
                        0x387fffffu, 0x33000000u, 0x33000001u, 0x32ffffffu,
                        0x7f800000u, 0x7f800001u, 0x7fc00000u, 0x7fffffffu})
    bits.push_back(edge);
  return bits;
}

bool isNaNHalf(uint16_t bits) { return (bits & 0x7fff) > 0x7c00; }
bool isNaNBFloat(uint16_t bits) { return (bits & 0x7fff) > 0x7f80; }

TEST_F(HostConversions, FloatToHalfRoundsToNearestEven) {
  for (uint32_t bits : patterns()) {
    uint16_t expected = reference(bits, llvm::APFloat::IEEEhalf());
    uint16_t actual = toHalf(fromBits(bits));
    if (isNaNHalf(expected)) {
      ASSERT_TRUE(isNaNHalf(actual)) << std::hex << bits;
      continue;
    }
    ASSERT_EQ(actual, expected) << "f32 bits 0x" << std::hex << bits;
  }
}

TEST_F(HostConversions, FloatToBFloatRoundsToNearestEven) {
  for (uint32_t bits : patterns()) {
    uint16_t expected = reference(bits, llvm::APFloat::BFloat());
    uint16_t actual = toBFloat(fromBits(bits));
    if (isNaNBFloat(expected)) {
      ASSERT_TRUE(isNaNBFloat(actual)) << std::hex << bits;
      continue;
    }
    ASSERT_EQ(actual, expected) << "f32 bits 0x" << std::hex << bits;
  }
}

TEST_F(HostConversions, HalfToFloatIsExact) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    llvm::APFloat value(llvm::APFloat::IEEEhalf(), llvm::APInt(16, bits));
    bool lost = false;
    value.convert(llvm::APFloat::IEEEsingle(),
                  llvm::APFloat::rmNearestTiesToEven, &lost);
    float actual = fromHalf(static_cast<uint16_t>(bits));
    if (value.isNaN()) {
      ASSERT_TRUE(actual != actual) << std::hex << bits;
      continue;
    }
    uint32_t actualBits;
    std::memcpy(&actualBits, &actual, sizeof(actual));
    ASSERT_EQ(actualBits, value.bitcastToAPInt().getZExtValue())
        << "f16 bits 0x" << std::hex << bits;
  }
}

} // namespace
