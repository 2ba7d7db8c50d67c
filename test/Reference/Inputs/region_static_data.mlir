// A data operand read only by a region: keys whose entry is nonzero.
func.func @region_static_data(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x6x8xf32>, %v: tensor<1x2x6x8xf32>, %keep: tensor<6xi32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4xf32>) {
  %o, %lse = attn.attention %q, %k, %v data(%keep : tensor<6xi32>) : tensor<1x2x4x8xf32>, tensor<1x2x6x8xf32>, tensor<1x2x6x8xf32> -> tensor<1x2x4x8xf32>, tensor<1x2x4xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %x = tensor.extract %keep[%j] : tensor<6xi32>
    %zero = arith.constant 0 : i32
    %c = arith.cmpi ne, %x, %zero : i32
    attn.yield %c : i1
  }
  return %o, %lse : tensor<1x2x4x8xf32>, tensor<1x2x4xf32>
}
