// step_split_k_bwd: the split-K form of a reverse (BPTT) step kernel, for grids too small to fill a GPU
// (small B·H), selected by the pipeline constant SPLIT_K = true. Included by
// shared/step_coalesced_bwd.wgsl (for lstm_step_bwd, gru_step_bwd and rnn_step_bwd), whose fn step_bwd
// calls step_split_k_bwd(wg, lid) when SPLIT_K: the reverse sweep of the `split-k` step variant.
//
//   rec[i][k] = Σ_m src[b0 + i, m] · W[m, j0 + k]      i < BT rows, k < JT units, m < M
//
// (src: dG<s+1> with W = W_hh, M = G·H gate rows — 2H for a reset-before GRU, whose candidate rows
// gru_reset_gate_bwd adds —; or for a projected LSTM dL/dh<s> with W = W_hr, M = R; W rows are H
// wide.) One dispatch index per dispatch, grid [ceil(H / JT), ceil(B / BT), D]: a workgroup per (units
// j0 = wg.x·JT .., rows b0 = wg.y·BT .., direction wg.z) whose STEP_WG invocations split the reduction
// over m: invocation l sums m = l, l + STEP_WG, … (each reading JT consecutive floats of W's row m),
// then shared/split_k_sum.wgsl adds the STEP_WG partial sums (a fixed tree in workgroup memory, or
// subgroupAdd on a device with `subgroups`). The BT·JT (row, unit) pairs are then finished in parallel,
// invocation l < BT·JT taking row l / JT, unit l % JT (fn unit touches only its own (row, unit)).
// Needs from the kernel: Params P with T, B and H, consts BT = JT = 4, the binding `w`, the
// dynamic-offset uniform `step`, fn rec_term(d, s) and fn unit(d, b, j, s, rec) (as
// shared/step_sweep_bwd.wgsl describes them; fn rec_src comes from there).
//!include "shared/step_persistent.wgsl"
//!include "shared/split_k_sum.wgsl"

override SPLIT_K: bool = false;

fn step_split_k_bwd(wg: vec3<u32>, lid: vec3<u32>) {
  let H = P.H;
  let j0 = wg.x * JT;
  let b0 = wg.y * BT;
  let d = wg.z;
  let s = i32(P.T) - 1 - i32(step.s);
  let term = rec_term(d, s);
  let jc = min(vec4<u32>(j0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(H - 1u));
  var acc: array<vec4<f32>, 4>;
  for (var m = lid.x; m < term.x; m += STEP_WG) {
    let wm = term.y + m * H;
    let wv = vec4<f32>(f32(w[wm + jc.x]), f32(w[wm + jc.y]), f32(w[wm + jc.z]), f32(w[wm + jc.w]));
    let g = rec_src(b0, d, s, m);
    acc[0] += g.x * wv;
    acc[1] += g.y * wv;
    acc[2] += g.z * wv;
    acc[3] += g.w * wv;
  }
  let rec = split_k_sum(acc, lid.x);
  let i = lid.x / JT;
  let j = j0 + lid.x % JT;
  if (i < BT && b0 + i < P.B && j < H) { unit(d, b0 + i, j, s, rec[i][lid.x % JT]); }
}
