// Issue 16: a custom region reading a data operand past its end. The
// float64 reference reports the read (so --check fails with the reason);
// compiled kernels never touch memory outside the operand: such a read
// yields 0 (docs/spec-language.md). Before, the host kernel read past the
// buffer.
//
// The generated code guards every region read by the operand's extents.
// RUN: attn-opt %s --attn-compile="targets=host emit=host-loops block-q=16 block-kv=8" | FileCheck %s --check-prefix=IR
// IR-LABEL: func.func @__attn_host_region_reads_past_end(
// IR-SAME: %[[DATA:[a-z0-9]+]]: memref<?xi32
// IR: %[[EXTENT:.*]] = memref.dim %[[DATA]], %{{.*}} : memref<?xi32
// IR-NEXT: %[[INSIDE:.*]] = arith.cmpi ult, %{{.*}}, %[[EXTENT]] : index
// IR-NEXT: %[[READ:.*]] = scf.if %[[INSIDE]] -> (i32) {
// IR-NEXT: %[[ELEMENT:.*]] = memref.load %[[DATA]][%{{.*}}] : memref<?xi32
// IR-NEXT: scf.yield %[[ELEMENT]] : i32
// IR-NEXT: } else {
// IR-NEXT: %[[ZERO:.*]] = arith.constant 0 : i32
// IR-NEXT: scf.yield %[[ZERO]] : i32
//
// Inputs: q, k, v and the outputs of #attn.sinks<count = 4> from the
// reference, and 4 ones as the data operand.
// RUN: rm -rf %t && mkdir -p %t
// RUN: attn-run %s --target ref --function sinks --batch 1 --seq-q 37 --seed 7 --dump %t
// RUN: python3 %S/Inputs/write-npy.py %t/data0.npy --i4 1 1 1 1
//
// The reference refuses the read, naming the element and the shape.
// RUN: not attn-run %s --target ref --function region_reads_past_end --inputs %t 2>&1 | FileCheck %s --check-prefix=REF
// REF: error: 'tensor.extract' op reads element [4] of data operand #0, outside its bound shape [4]
//
// The kernel, given 4 ones, keeps keys 0..3 (reads past the end give 0):
// the answer of #attn.sinks<count = 4> on the same inputs.
// RUN: attn-opt %s --attn-compile="targets=host output=%t.atnb" -o /dev/null
// RUN: attn-run-nomlir %t.atnb --target host --function region_reads_past_end --inputs %t --check | FileCheck %s --check-prefix=KERNEL
// KERNEL: PASS

func.func @region_reads_past_end(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %d: tensor<?xi32>) -> tensor<?x2x?x16xf32> {
  %o = attn.attention %q, %k, %v data(%d : tensor<?xi32>) : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %x = tensor.extract %d[%j] : tensor<?xi32>
    %c0 = arith.constant 0 : i32
    %keep = arith.cmpi ne, %x, %c0 : i32
    attn.yield %keep : i1
  }
  return %o : tensor<?x2x?x16xf32>
}

func.func @sinks(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32> {
  %o = attn.attention %q, %k, %v {mask = #attn.sinks<count = 4>} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
  return %o : tensor<?x2x?x16xf32>
}
