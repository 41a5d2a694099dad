// split_k_sum: the workgroup-wide sum of the split-K step variants' partial sums, by a fixed tree in
// workgroup memory. Included by shared/step_split_k_fwd.wgsl and shared/step_split_k_bwd.wgsl (for the
// *_step_fwd and *_step_bwd kernels).
//
//   split_k_sum(acc, l)[q] = Σ_{l' < STEP_WG} acc_{l'}[q]      q < 4 (vec4 lanes summed lane-wise)
//
// Every invocation l (= local_invocation_id.x) of the workgroup calls it once, in uniform control flow,
// with its own partial sums acc; every one gets the totals back. The tree halves its stride each level
// with a workgroupBarrier between levels: a fixed order, so the same inputs give the same bits.
// Its twin shared/split_k_sum.subgroups.wgsl (same function, with subgroupAdd) replaces this file in
// the code a kernel compiles on a device with the `subgroups` feature (scripts/gen-shaders.mjs); the
// engine picks the code (src/gpu/engine.ts `kernel`). Needs from the kernel: const STEP_WG (a power of 2).

var<workgroup> partial: array<array<vec4<f32>, STEP_WG>, 4>;

fn split_k_sum(acc: array<vec4<f32>, 4>, l: u32) -> array<vec4<f32>, 4> {
  for (var q = 0u; q < 4u; q++) { partial[q][l] = acc[q]; }
  workgroupBarrier();
  for (var m = STEP_WG / 2u; m > 0u; m >>= 1u) {
    if (l < m) {
      for (var q = 0u; q < 4u; q++) { partial[q][l] += partial[q][l + m]; }
    }
    workgroupBarrier();
  }
  return array<vec4<f32>, 4>(partial[0][0], partial[1][0], partial[2][0], partial[3][0]);
}
