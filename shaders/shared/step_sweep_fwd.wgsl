// step_sweep_fwd: what the entry point of a forward step kernel does, one step per dispatch or the whole
// sequence in one. Included by shared/step_variants_fwd.wgsl (for lstm_step_fwd, gru_step_fwd and
// rnn_step_fwd, whose entry point `@compute @workgroup_size(STEP_WG, 1, 1) fn <kernel>(wg, lid)` calls
// step_fwd), which calls step_sweep_fwd(wg, lid).
// Also fn rows4, the clamped batch rows of a vec4 of rows (the variants' fn src_rows use it).
// Needs from the kernel: Params P with T, B and H, const BT (batch rows per invocation), the
// dynamic-offset uniform `step` with s, and fn step_unit(j, b0, d, s): processing step s of direction
// d for hidden unit j and batch rows b0 .. b0 + BT − 1 (returning at once when j ≥ H or b0 ≥ B).
//
// PERSISTENT = false: grid [ceil(H / STEP_WG), ceil(B / BT), D], step s from the uniform. true: grid
// [1, ceil(B / BT), D], every unit covered with stride STEP_WG; h<t> is what the next step reads.
//!include "shared/step_persistent.wgsl"

fn step_sweep_fwd(wg: vec3<u32>, lid: vec3<u32>) {
  if (!PERSISTENT) {
    step_unit(wg.x * STEP_WG + lid.x, wg.y * BT, wg.z, step.s);
    return;
  }
  for (var s = 0u; s < P.T; s++) {
    for (var j = lid.x; j < P.H; j += STEP_WG) { step_unit(j, wg.y * BT, wg.z, s); }
    storageBarrier();
  }
}

// Batch rows b0 .. b0 + 3, those past B clamped to B − 1 (their lanes are computed and discarded).
fn rows4(b0: u32) -> vec4<u32> { return min(vec4<u32>(b0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(P.B - 1u)); }
