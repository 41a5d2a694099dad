// workgroup_reduce: the max or the sum of one f32 per invocation over the workgroup, a tree in
// workgroup memory (the same order every time, so results are deterministic). Declares the workgroup
// array `red`; needs the kernel's `const WG` (its workgroup size, a power of two). Call from uniform
// control flow with every invocation (they hit barriers); returns the same value in every invocation
// and leaves `red` free for the next call.
// Included by shared/chunk_sum.wgsl (the losses' sums: reduce_sum, mse, bce_with_logits), ctc_alpha,
// ctc_beta, log_softmax_rows, softmax_cross_entropy, additive_attention_fwd and additive_attention_bwd.
var<workgroup> red: array<f32, WG>;

fn workgroup_max(lid: u32, v: f32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h >>= 1u) {
    if (lid < h) { red[lid] = max(red[lid], red[lid + h]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

fn workgroup_sum(lid: u32, v: f32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h >>= 1u) {
    if (lid < h) { red[lid] += red[lid + h]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}
