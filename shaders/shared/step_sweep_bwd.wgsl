// step_sweep_bwd: what the entry point of a reverse (BPTT) step kernel does, one dispatch index per
// dispatch or the whole reverse sweep in one. Included by shared/step_coalesced_bwd.wgsl (for
// lstm_step_bwd, gru_step_bwd and rnn_step_bwd, whose entry point `@compute @workgroup_size(STEP_WG, 1,
// 1) fn <kernel>(wg, lid)` calls step_bwd), which calls step_sweep_bwd(wg, lid) unless COALESCED.
// Also fn finish_units, the per-unit tail of a step given its recurrent terms (calls the kernel's fn
// unit(d, b, j, s, rec)).
// Needs from the kernel: Params P with T and H, consts BT (batch rows) and JT (hidden units per
// invocation), the dynamic-offset uniform `step` with s (the dispatch index), and fn step_units(j0, b0,
// d, n): dispatch index n (processing step T − 1 − n) of direction d for units j0 .. j0 + JT − 1 and
// batch rows b0 .. b0 + BT − 1 (returning at once when j0 ≥ H or b0 ≥ B).
//
// PERSISTENT = false: grid [ceil(H / (STEP_WG · JT)), ceil(B / BT), D], dispatch index from the uniform.
// true: grid [1, ceil(B / BT), D], indices 0..T, units covered JT per invocation with stride STEP_WG · JT;
// dG<s> is what step s − 1 reads.
//!include "shared/step_persistent.wgsl"

fn step_sweep_bwd(wg: vec3<u32>, lid: vec3<u32>) {
  if (!PERSISTENT) {
    step_units((wg.x * STEP_WG + lid.x) * JT, wg.y * BT, wg.z, step.s);
    return;
  }
  for (var n = 0u; n <= P.T; n++) {
    for (var j0 = lid.x * JT; j0 < P.H; j0 += STEP_WG * JT) { step_units(j0, wg.y * BT, wg.z, n); }
    storageBarrier();
  }
}

// The rest of step s for units j0 .. j0 + JT − 1 and rows b0 .. b0 + BT − 1, given the recurrent terms
// rec[i][k] (row i, unit k): the kernel's fn unit(d, b, j, s, rec) for each that exists.
fn finish_units(j0: u32, b0: u32, d: u32, s: i32, rec: array<vec4<f32>, 4>) {
  for (var i = 0u; i < BT; i++) {
    let b = b0 + i;
    if (b >= P.B) { break; }
    for (var k = 0u; k < JT; k++) {
      let j = j0 + k;
      if (j >= P.H) { break; }
      unit(d, b, j, s, rec[i][k]);
    }
  }
}
