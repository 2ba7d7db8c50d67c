// Issue 16: the float64 reference and the compiled kernels agree on what a
// spec means at the edges, or the reference says why it cannot.
// RUN: attn-opt %s --attn-compile="targets=host output=%t.atnb" -o /dev/null

// scale = 1e38 gave NaN in O that the reference did not report; now the
// reference refuses the score, so --check fails with the reason.
// RUN: not attn-run %t.atnb --target host --function huge_scale --batch 1 --seq-q 37 --check 2>&1 | FileCheck %s --check-prefix=SCALE
// SCALE: error: reference: the score at (b, h, i, j) = {{.*}}, beyond +-2^127 where kernels computing scores in f32 overflow (lower the scale or the inputs)
// SCALE-NOT: PASS

// A score region multiplying by 3e38 overflows f32 in the kernel and now in
// the reference too.
// RUN: not attn-run %t.atnb --target host --function region_overflow --batch 1 --seq-q 37 --check 2>&1 | FileCheck %s --check-prefix=REGION
// REGION: error: reference: the modified score at (b, h, i, j) = {{.*}}, beyond +-2^127
// REGION-NOT: PASS

// A region rounding through bf16: the reference treated it as the identity
// (rel err 1e-3); it rounds now, and the kernel agrees to f32 precision.
// RUN: attn-run %t.atnb --target host --function bf16_round_trip --batch 1 --seq-q 37 --check --tolerance 1e-5 | FileCheck %s --check-prefix=ROUND
// ROUND: PASS

// tensor.dim in a region: refused by the reference before; now checked.
// RUN: attn-run %t.atnb --target host --function region_dim --batch 1 --seq-q 37 --check --allow-arbitrary-region-data | FileCheck %s --check-prefix=DIM
// DIM: PASS

// Decreasing document offsets [100, 50, 0]: rel err 0.34 with no complaint;
// the reference refuses them, naming the entry.
// RUN: rm -rf %t.offsets && attn-run %s --target ref --function offsets --batch 1 --seq-q 37 --dump %t.offsets > /dev/null
// RUN: python3 %S/Inputs/write-npy.py %t.offsets/data0.npy 100 50 0
// RUN: rm %t.offsets/o.npy %t.offsets/lse.npy
// RUN: not attn-run %t.atnb --target host --function offsets --inputs %t.offsets --check 2>&1 | FileCheck %s --check-prefix=OFFSETS
// OFFSETS: error: reference: '#attn.documents' offsets (data operand #0) must not decrease, but entry 1 is 50 after 100

func.func @huge_scale(%q: tensor<?x2x?x16xbf16>, %k: tensor<?x2x?x16xbf16>, %v: tensor<?x2x?x16xbf16>) -> tensor<?x2x?x16xbf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal, scale = 1.0e38 : f32} : tensor<?x2x?x16xbf16>, tensor<?x2x?x16xbf16>, tensor<?x2x?x16xbf16> -> tensor<?x2x?x16xbf16>
  return %o : tensor<?x2x?x16xbf16>
}

func.func @region_overflow(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32> score {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %big = arith.constant 3.0e38 : f32
    %t = arith.mulf %s, %big : f32
    %a = math.absf %t : f32
    attn.yield %a : f32
  }
  return %o : tensor<?x2x?x16xf32>
}

func.func @bf16_round_trip(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.causal} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32> score {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %n = arith.truncf %s : f32 to bf16
    %w = arith.extf %n : bf16 to f32
    attn.yield %w : f32
  }
  return %o : tensor<?x2x?x16xf32>
}

func.func @region_dim(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %t: tensor<11xf32>) -> tensor<?x2x?x16xf32> {
  %o = attn.attention %q, %k, %v data(%t : tensor<11xf32>) : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %c0 = arith.constant 0 : index
    %n = tensor.dim %t, %c0 : tensor<11xf32>
    %keep = arith.cmpi slt, %j, %n : index
    attn.yield %keep : i1
  }
  return %o : tensor<?x2x?x16xf32>
}

func.func @offsets(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %starts: tensor<?xi64>) -> tensor<?x2x?x16xf32> {
  %o = attn.attention %q, %k, %v data(%starts : tensor<?xi64>) {mask = #attn.documents<operand = 0, layout = offsets, causal = false>} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
  return %o : tensor<?x2x?x16xf32>
}
