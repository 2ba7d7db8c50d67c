// A data operand read only by a region, with a dynamic size.
func.func @region_dynamic_data(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %keep: tensor<?xi32>) -> tensor<1x2x4x8xf32> {
  %o = attn.attention %q, %k, %v data(%keep : tensor<?xi32>) : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %x = tensor.extract %keep[%j] : tensor<?xi32>
    %zero = arith.constant 0 : i32
    %c = arith.cmpi ne, %x, %zero : i32
    attn.yield %c : i1
  }
  return %o : tensor<1x2x4x8xf32>
}
