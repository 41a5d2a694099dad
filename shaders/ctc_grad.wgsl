// ctc_grad: d loss / d logits of CTC, from the log α and log β of ctc_alpha / ctc_beta.
//
//   occ_t(c)      = lse_{s < S_b: l'_s = c} (α_t(s) + β_t(s))        (log Σ α β over the states of class c)
//   Z_t           = lse_{s < S_b} (α_t(s) + β_t(s) − lp_t(l'_s))      (= log p(l | x) at every t)
//   grad[t, b, c] = weights[b] · (exp(lp_t(c)) − exp(occ_t(c) − lp_t(c) − Z_t))        t < T_b
//                 = 0                                                                   t ≥ T_b
//
// i.e. softmax minus the posterior of class c at step t (α β counts y_t(l'_s) twice, hence − lp).
// α and β are stored rescaled per step (see ctc_alpha), so log p is not at hand here: Z_t, computed
// from the same stored α_t, β_t, removes their offsets, cancels their common float32 rounding, and
// makes each step's posteriors sum to 1.
// The row's grad entries hold occ while they are accumulated (states in order: deterministic).
// Rows the host found impossible (status ≠ 0): 0 with zero_infinity (status 1), NaN (status 2), as torch.
// Shapes: lp, grad (T, B, C); info (B, 4) u32 [T_b, L_b, first label's index, status] | labels;
// alpha, beta (T, B, S); weights (B).
// Grid: one invocation per (t, b) row, 64 per workgroup, folded: r = gid.y · num_workgroups.x · 64 + gid.x.

struct Params {
  T: u32, B: u32, C: u32,
  S: u32,
  blank: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> lp: array<f32>;            // (T, B, C)
@group(0) @binding(2) var<storage, read> info: array<u32>;          // (B, 4) | labels
@group(0) @binding(3) var<storage, read> alpha: array<f32>;         // (T, B, S)
@group(0) @binding(4) var<storage, read> beta: array<f32>;          // (T, B, S)
@group(0) @binding(5) var<storage, read> weights: array<f32>;       // (B)
@group(0) @binding(6) var<storage, read_write> grad: array<f32>;    // (T, B, C)

//!include "shared/ctc_log_space.wgsl"
//!include "shared/ctc_labels.wgsl"

@compute @workgroup_size(64, 1, 1)
fn ctc_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = gid.y * nwg.x * 64u + gid.x;
  if (r >= P.T * P.B) { return; }
  let t = r / P.B;
  let b = r - t * P.B;
  let base = r * P.C;
  let Tb = info[b * 4u];
  let status = info[b * 4u + 3u];
  if (t >= Tb || status != 0u) {
    let fill = bitcast<f32>(select(0u, 0x7fc00000u, status == 2u && t < Tb));  // 0, or NaN as torch
    for (var c = 0u; c < P.C; c++) { grad[base + c] = fill; }
    return;
  }
  let Sb = 2u * info[b * 4u + 1u] + 1u;
  for (var c = 0u; c < P.C; c++) { grad[base + c] = NEG; }
  let ab = r * P.S;
  var Z = NEG;
  for (var s = 0u; s < Sb; s++) {
    let c = label(b, s);
    let a = alpha[ab + s] + beta[ab + s];
    grad[base + c] = lse2(grad[base + c], a);
    Z = lse2(Z, a - lp[base + c]);
  }
  let w = weights[b];
  for (var c = 0u; c < P.C; c++) {
    let l = lp[base + c];
    grad[base + c] = w * (exp(l) - exp(grad[base + c] - l - Z));
  }
}
