// step_coalesced_fwd: the coalesced form of a forward step kernel, selected by the pipeline constant
// COALESCED = true. Included by shared/step_variants_fwd.wgsl (for lstm_step_fwd, gru_step_fwd and
// rnn_step_fwd), which calls step_coalesced_fwd(wg, lid, K) when COALESCED (K: the width of h).
//
//   acc[q][i] = Σ_k W_hh[q·H + j, k] · src_n[b0 + i, k]      q < NG, i < BT, k < K,
//   n = 1 for gate block q = SRC1_GATE, else 0
//
// One step per dispatch on the per-step grid [ceil(H / STEP_WG), ceil(B / BT), D] (unit j = wg.x·STEP_WG
// + lid.x, batch rows b0 = wg.y·BT, direction d = wg.z). Memory access, per step:
// - W_hh is read from wt = W_hhᵀ (D, K, NG·H), written by transpose_strided at the start of the forward
//   program (once per weight update): for each k, invocations j, j+1, … read consecutive addresses
//   wt[(d·K + k)·NG·H + q·H + j] (the natural layout puts them K floats apart).
// - The workgroup's BT rows of each source (h<t-1>, and for reset-before GRU r ⊙ h<t-1>) are staged in
//   workgroup memory once per step, KT = STEP_WG values of k at a time (one vec4 per invocation and
//   source, then workgroupBarrier); every invocation then reads them from there, not from storage.
// No cross-workgroup synchronisation. The products are summed in the natural layout's k order.
// Needs from the kernel: Params P with H and B, const BT (= 4: vec4 lanes are batch rows), const NG (gate
// blocks in W_hh), const NSRC (staged sources, 1 or 2) and SRC1_GATE (the gate block that multiplies
// source 1; NG or more: none), the binding `wt`, the dynamic-offset uniform `step` with s,
// fn src_rows(n, b0, d, s, k) -> vec4<f32> (source n < NSRC at column k for rows b0 .. b0 + 3, rows past
// B clamped to B − 1 with rows4 of shared/step_sweep_fwd.wgsl), and fn step_gates(j, b0, d, s, acc) (the rest of the step for unit
// j < H, given the recurrent products acc[q]).
//!include "shared/step_persistent.wgsl"

override COALESCED: bool = false;
const KT = STEP_WG;  // values of k staged per tile

var<workgroup> src_tile: array<array<vec4<f32>, KT>, NSRC>;

fn step_coalesced_fwd(wg: vec3<u32>, lid: vec3<u32>, K: u32) {
  let H = P.H;
  let j = wg.x * STEP_WG + lid.x;
  let b0 = wg.y * BT;
  let d = wg.z;
  let s = step.s;
  let GH = NG * H;
  let wd = d * K * GH + j;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < K; k0 += KT) {
    let k = k0 + lid.x;
    for (var n = 0u; n < NSRC; n++) {
      var v = vec4<f32>();
      if (k < K) { v = src_rows(n, b0, d, s, k); }
      src_tile[n][lid.x] = v;
    }
    workgroupBarrier();
    if (j < H) {
      let kn = min(KT, K - k0);
      for (var kk = 0u; kk < kn; kk++) {
        let row = wd + (k0 + kk) * GH;
        for (var q = 0u; q < NG; q++) { acc[q] += wt[row + q * H] * src_tile[select(0u, 1u, q == SRC1_GATE)][kk]; }
      }
    }
    workgroupBarrier();
  }
  if (j < H) { step_gates(j, b0, d, s, acc); }
}
