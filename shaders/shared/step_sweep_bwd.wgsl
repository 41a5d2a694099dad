// step_sweep_bwd: what the entry point of a reverse (BPTT) step kernel does, one dispatch index per
// dispatch or the whole reverse sweep in one. Included by shared/step_coalesced_bwd.wgsl (for
// lstm_step_bwd, gru_step_bwd and rnn_step_bwd, whose entry point `@compute @workgroup_size(STEP_WG, 1,
// 1) fn <kernel>(wg, lid)` calls step_bwd), which calls step_sweep_bwd(wg, lid) unless COALESCED.
// Also fn finish_units, the per-unit tail of a step given its recurrent terms (calls the kernel's fn
// unit(d, b, j, s, rec)).
// Also fn step_units(j0, b0, d, n), the per-step form's work: dispatch index n (processing step
// T − 1 − n) of direction d for units j0 .. j0 + 3 and batch rows b0 .. b0 + 3,
//   rec[i][k] = Σ_m src[b0 + i, m] · W[m, j0 + k]      (m < M from rec_term; none when M = 0)
// then finish_units; and fn rec_src(b0, d, s, m), src at m for rows b0 .. b0 + 3 (rows past B clamped),
// which the COALESCED and SPLIT_K forms stage.
// Needs from the kernel: Params P with T, B and H, consts BT = JT = 4, the binding `w`, the
// dynamic-offset uniform `step` with s (the dispatch index), fn rec_term(d, s) -> vec2<u32> (M, 0 when
// the step has no recurrent term, and the offset of W's row 0 in w; W rows are H wide), fn rec_row(b, d,
// s) (the offset of batch row b's src row), fn rec_source(i) (the element i of src's buffer) and fn
// unit(d, b, j, s, rec).
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

fn step_units(j0: u32, b0: u32, d: u32, n: u32) {
  let H = P.H;
  let B = P.B;
  if (j0 >= H || b0 >= B) { return; }
  let s = i32(P.T) - 1 - i32(n);
  let term = rec_term(d, s);
  var rec: array<vec4<f32>, 4>;
  if (term.x > 0u) {
    var rb: array<u32, 4>;
    for (var i = 0u; i < BT; i++) { rb[i] = rec_row(min(b0 + i, B - 1u), d, s); }
    let jc = vec4<u32>(j0, min(j0 + 1u, H - 1u), min(j0 + 2u, H - 1u), min(j0 + 3u, H - 1u));
    for (var m = 0u; m < term.x; m++) {
      let wm = term.y + m * H;
      let wv = vec4<f32>(f32(w[wm + jc.x]), f32(w[wm + jc.y]), f32(w[wm + jc.z]), f32(w[wm + jc.w]));
      rec[0] += rec_source(rb[0] + m) * wv;
      rec[1] += rec_source(rb[1] + m) * wv;
      rec[2] += rec_source(rb[2] + m) * wv;
      rec[3] += rec_source(rb[3] + m) * wv;
    }
  }
  finish_units(j0, b0, d, s, rec);
}

fn rec_src(b0: u32, d: u32, s: i32, m: u32) -> vec4<f32> {
  let last = P.B - 1u;
  return vec4<f32>(rec_source(rec_row(min(b0, last), d, s) + m), rec_source(rec_row(min(b0 + 1u, last), d, s) + m),
                   rec_source(rec_row(min(b0 + 2u, last), d, s) + m), rec_source(rec_row(min(b0 + 3u, last), d, s) + m));
}
