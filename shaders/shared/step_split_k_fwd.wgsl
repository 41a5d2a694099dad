// step_split_k_fwd: the split-K form of a forward step kernel, for grids too small to fill a GPU (small
// B·H), selected by the pipeline constant SPLIT_K = true. Included by shared/step_variants_fwd.wgsl
// (for lstm_step_fwd, gru_step_fwd and rnn_step_fwd), which calls step_split_k_fwd(wg, lid, K) when
// SPLIT_K (K: the width of h).
//
//   acc[q][i] = Σ_k W_hh[q·H + j, k] · src_n[b0 + i, k]      q < NG, i < BT, k < K,
//   n = 1 for gate block q = SRC1_GATE, else 0 (as shared/step_coalesced_fwd.wgsl)
//
// One step per dispatch, grid [H, ceil(B / BT), D]: a workgroup per (unit j = wg.x, batch rows
// b0 = wg.y·BT, direction d = wg.z). Its STEP_WG invocations split the K reduction: invocation l sums
// k = l, l + STEP_WG, … — so consecutive invocations read consecutive addresses of W_hh's natural row
// (G·H, K) and of h<t-1>, no transpose needed — and the STEP_WG partial sums of each gate are then
// added by shared/split_k_sum.wgsl: a fixed tree in workgroup memory, or on a device with `subgroups`
// subgroupAdd and then across subgroups in workgroup memory (its twin). Invocation 0 finishes the step.
// Needs from the kernel: Params P with H, w_off and dir_stride (W_hh (NG·H, K) of direction 0 and the
// offset to direction 1's in w), the binding `w`, consts BT (= 4), NG, NSRC, SRC1_GATE, the dynamic-offset
// uniform `step` with s, fn src_rows(n, b0, d, s, k) and fn step_gates(j, b0, d, s, acc), as
// shared/step_coalesced_fwd.wgsl describes them.
//!include "shared/step_persistent.wgsl"
//!include "shared/split_k_sum.wgsl"

override SPLIT_K: bool = false;

fn step_split_k_fwd(wg: vec3<u32>, lid: vec3<u32>, K: u32) {
  let H = P.H;
  let j = wg.x;
  let b0 = wg.y * BT;
  let d = wg.z;
  let s = step.s;
  let wd = P.w_off + d * P.dir_stride + j * K;
  var acc: array<vec4<f32>, 4>;
  for (var k = lid.x; k < K; k += STEP_WG) {
    let v0 = src_rows(0u, b0, d, s, k);
    var v1 = v0;
    if (NSRC > 1u) { v1 = src_rows(1u, b0, d, s, k); }
    for (var q = 0u; q < NG; q++) { acc[q] += f32(w[wd + q * H * K + k]) * select(v0, v1, q == SRC1_GATE); }
  }
  let sums = split_k_sum(acc, lid.x);
  if (lid.x == 0u) { step_gates(j, b0, d, s, sums); }
}
