// Custom regions: a "dilated causal" mask (keep j <= i and (i - j) mod 2 == 0) and a score region subtracting 0.0625 * (i - j); 16 heads, head dim 128, bf16.
func.func @custom_region(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x16x?x128xbf16>, %v: tensor<?x16x?x128xbf16>) -> tensor<?x16x?x128xbf16> {
  %o = attn.attention %q, %k, %v : tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16> -> tensor<?x16x?x128xbf16> mask {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %c0 = arith.constant 0 : index
    %c2 = arith.constant 2 : index
    %past = arith.cmpi ule, %j, %i : index
    // Wraps when j > i, but %past already rejects those keys.
    %distance = arith.subi %i, %j : index
    %parity = arith.remui %distance, %c2 : index
    %even = arith.cmpi eq, %parity, %c0 : index
    %keep = arith.andi %past, %even : i1
    attn.yield %keep : i1
  } score {
  ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
    %slope = arith.constant 6.250000e-02 : f32
    %distance = arith.subi %i, %j : index
    %distance_i64 = arith.index_cast %distance : index to i64
    %distance_f32 = arith.sitofp %distance_i64 : i64 to f32
    %penalty = arith.mulf %distance_f32, %slope : f32
    %modified = arith.subf %s, %penalty : f32
    attn.yield %modified : f32
  }
  return %o : tensor<?x16x?x128xbf16>
}
