// step_coalesced_bwd: the entry point's body of a reverse (BPTT) step kernel, fn step_bwd(wg, lid): with
// the pipeline constant COALESCED = true the coalesced form below, with SPLIT_K = true the split-K form
// (shared/step_split_k_bwd.wgsl), else shared/step_sweep_bwd.wgsl (per step, or the whole sweep with
// PERSISTENT). Included by lstm_step_bwd, gru_step_bwd and rnn_step_bwd.
//
//   rec[i][k] = Σ_m src[b0 + i, m] · W[m, j0 + k]      i < BT rows, k < JT units, m < M
//
// (src: dG<s+1> with W = W_hh, or dL/dh<s> with W = W_hr for a projected LSTM; W rows are H wide.)
// Grid as per step: [ceil(H / (STEP_WG · JT)), ceil(B / BT), D], units j0 = (wg.x·STEP_WG + lid.x)·JT.
// Memory access, per step: units map to invocations, so for each m invocations l, l+1, … read W's
// natural row at consecutive addresses (JT floats each; W needs no transpose in this direction), and
// the workgroup's BT rows of src — the same for every invocation — are staged in workgroup memory once
// per step, STEP_WG values of m at a time (workgroupBarrier between tiles), not read from storage by
// each invocation. Sums in the per-step form's m order. No cross-workgroup synchronisation.
// Needs from the kernel: Params P with T and H, consts BT = JT = 4, the binding `w`, the dynamic-offset
// uniform `step`, fn rec_term(d, s) -> vec2<u32> (M, 0 when the step has no recurrent term, and the
// offset of W's row 0 in w), and what shared/step_sweep_bwd.wgsl needs (it defines fn rec_src(b0, d, s,
// m) -> vec4<f32>, src at m for rows b0 .. b0 + 3, rows past B clamped, and fn finish_units).
//!include "shared/step_sweep_bwd.wgsl"
//!include "shared/step_split_k_bwd.wgsl"

override COALESCED: bool = false;

var<workgroup> src_tile: array<vec4<f32>, STEP_WG>;

fn step_bwd(wg: vec3<u32>, lid: vec3<u32>) {
  if (SPLIT_K) {
    step_split_k_bwd(wg, lid);
    return;
  }
  if (!COALESCED) {
    step_sweep_bwd(wg, lid);
    return;
  }
  let H = P.H;
  let j0 = (wg.x * STEP_WG + lid.x) * JT;
  let b0 = wg.y * BT;
  let d = wg.z;
  let s = i32(P.T) - 1 - i32(step.s);
  let term = rec_term(d, s);
  let M = term.x;
  let wc = term.y;
  let jc = min(vec4<u32>(j0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(H - 1u));
  var rec: array<vec4<f32>, 4>;
  for (var m0 = 0u; m0 < M; m0 += STEP_WG) {
    let m = m0 + lid.x;
    var v = vec4<f32>();
    if (m < M) { v = rec_src(b0, d, s, m); }
    src_tile[lid.x] = v;
    workgroupBarrier();
    if (j0 < H) {
      let mn = min(STEP_WG, M - m0);
      for (var mm = 0u; mm < mn; mm++) {
        let wm = wc + (m0 + mm) * H;
        let wv = vec4<f32>(f32(w[wm + jc.x]), f32(w[wm + jc.y]), f32(w[wm + jc.z]), f32(w[wm + jc.w]));
        let g = src_tile[mm];
        rec[0] += g.x * wv;
        rec[1] += g.y * wv;
        rec[2] += g.z * wv;
        rec[3] += g.w * wv;
      }
    }
    workgroupBarrier();
  }
  if (j0 < H && b0 < P.B) { finish_units(j0, b0, d, s, rec); }
}
