// chunk_sum: a workgroup's fixed-order tree sum — one level of the deterministic reductions of the
// losses (no atomics, so the same input gives the same bits every run). Included by reduce_sum, mse
// and bce_with_logits, whose entry points are @workgroup_size(WG, 1, 1). Needs nothing from the kernel.

const WG = 256u;
var<workgroup> red: array<f32, WG>;

// Every invocation lid < WG gives s; every one gets Σ s, added by a fixed binary tree.
fn workgroup_sum(lid: u32, s: f32) -> f32 {
  red[lid] = s;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (lid < k) { red[lid] += red[lid + k]; }
    workgroupBarrier();
  }
  return red[0];
}
