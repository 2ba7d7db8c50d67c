// Partial tiles of a mask whose rows keep one interval of keys (here a
// sliding window): the row's bounds are computed before the key-tile loop
// and moved by the tile's first column once per row and tile; each element
// is then two 32-bit compares of its column offset, an immediate, against
// them (the next element of the row: the same registers, the next offsets).
// RUN: attn-opt %s --attn-compile="targets=sm_90 emit=ptx" -o /dev/null | FileCheck %s
// CHECK: add.s32 %r[[LO:[0-9]+]], %r[[COLUMN:[0-9]+]], %r{{[0-9]+}};
// CHECK-NEXT: add.s32 %r[[HI:[0-9]+]], %r[[COLUMN]], %r{{[0-9]+}};
// CHECK-NEXT: setp.lt.s32 %p{{[0-9]+}}, %r[[LO]], 1;
// CHECK-NEXT: setp.gt.s32 %p{{[0-9]+}}, %r[[HI]], -1;
// CHECK-NEXT: selp.f32
// CHECK-NEXT: selp.f32
// CHECK-NEXT: setp.lt.s32 %p{{[0-9]+}}, %r[[LO]], 2;
// CHECK-NEXT: setp.gt.s32 %p{{[0-9]+}}, %r[[HI]], 0;
func.func @window(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>) -> tensor<?x16x?x128xbf16> {
  %o = attn.attention %q, %k, %v {mask = #attn.window<left = 1024>} : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16> -> tensor<?x16x?x128xbf16>
  return %o : tensor<?x16x?x128xbf16>
}
