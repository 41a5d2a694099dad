// step_sweep_bwd: what the entry point of a reverse (BPTT) step kernel does, one dispatch index per
// dispatch or the whole reverse sweep in one. Included by lstm_step_bwd, gru_step_bwd and
// rnn_step_bwd, whose entry point `@compute @workgroup_size(STEP_WG, 1, 1) fn <kernel>(wg, lid)` calls
// step_sweep_bwd(wg, lid).
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
