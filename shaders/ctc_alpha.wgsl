// ctc_alpha: the CTC forward variables in log space, and each row's loss (Graves et al., 2006).
//
//   l'_s = blank for even s, the target's label (s − 1)/2 for odd s; S_b = 2·L_b + 1 states
//   α_0(0) = lp_0(blank), α_0(1) = lp_0(l'_1), α_0(s ≥ 2) = −∞
//   α_t(s) = lp_t(l'_s) + lse(α_{t−1}(s), α_{t−1}(s − 1), [skip] α_{t−1}(s − 2))     1 ≤ t < T_b
//   skip: l'_s is a label and l'_s ≠ l'_{s−2} (a repeated label needs a blank between its copies)
//   losses[b] = −lse(α_{T_b−1}(S_b − 1), α_{T_b−1}(S_b − 2)),  row_loss[b] = weights[b] · losses[b]
//
// Stored rescaled (Rabiner's scaling in log space): alpha holds α̂_t(s) = α_t(s) − Σ_{u ≤ t} c_u with
// c_t = max_s of the step's unscaled values, so stored values stay near 0 instead of growing like
// t · log C, and float32 keeps their differences accurate over long inputs; the loss adds the c_t
// back. ctc_grad normalises each step on its own, so the scaling never needs undoing there.
//
// lse(a, b, …) = m + log Σ exp(x − m), m = max: never overflows; −∞ is the finite NEG (≤ −1e29
// counts as impossible), so no inf − inf arises. Rows the host found impossible (status ≠ 0: T_b <
// L_b + repeats) write losses = 0 (zero_infinity) or +∞ instead.
// Shapes: lp (T, B, C) log-probabilities; info (B, 4) u32 [T_b, L_b, first label's index in info,
// status] followed by the concatenated labels; alpha (T, B, S) with S = the plan's 2·L_max + 1 (rows
// t ≥ T_b and states s ≥ S_b are not written).
// Grid: one workgroup of 64 per batch row, folded (b = wid.y · num_workgroups.x + wid.x); the
// workgroup walks t in order with a storage barrier between steps (no cross-workgroup sync).

struct Params {
  T: u32, B: u32, C: u32,
  S: u32,       // states per (t, b) in alpha: 2·L_max + 1
  blank: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> lp: array<f32>;            // (T, B, C)
@group(0) @binding(2) var<storage, read> info: array<u32>;          // (B, 4) | labels
@group(0) @binding(3) var<storage, read> weights: array<f32>;       // (B) reduction weight per row
@group(0) @binding(4) var<storage, read_write> alpha: array<f32>;   // (T, B, S) log α
@group(0) @binding(5) var<storage, read_write> losses: array<f32>;  // (B) −log p(l | x)
@group(0) @binding(6) var<storage, read_write> row_loss: array<f32>; // (B) weights · losses

const WG = 64u;
//!include "shared/workgroup_reduce.wgsl"

//!include "shared/ctc_log_space.wgsl"
//!include "shared/ctc_labels.wgsl"

@compute @workgroup_size(64, 1, 1)
fn ctc_alpha(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let b = wid.y * nwg.x + wid.x;
  if (b >= P.B) { return; }  // the same for the whole workgroup
  let Tb = info[b * 4u];
  let Sb = 2u * info[b * 4u + 1u] + 1u;
  let status = info[b * 4u + 3u];
  let live = status == 0u;
  var scale = 0.0;  // Σ c_u so far (the same in every invocation)
  for (var t = 0u; t < P.T; t++) {
    let row = (t * P.B + b) * P.C;
    let cur = (t * P.B + b) * P.S;
    var m = NEG;
    if (t < Tb && live) {
      for (var s = lid; s < Sb; s += WG) {
        let ls = label(b, s);
        var a: f32;
        if (t == 0u) {
          a = select(NEG, 0.0, s < 2u);
        } else {
          let prev = ((t - 1u) * P.B + b) * P.S;
          a = alpha[prev + s];
          if (s >= 1u) { a = lse2(a, alpha[prev + s - 1u]); }
          if (s >= 2u && (s & 1u) == 1u && ls != label(b, s - 2u)) { a = lse2(a, alpha[prev + s - 2u]); }
        }
        let v = select(a + lp[row + ls], NEG, a <= IMPOSSIBLE);
        alpha[cur + s] = v;
        m = max(m, v);
      }
    }
    // c_t = max over the step's states: a tree over the workgroup
    let c = workgroup_max(lid, m);
    if (t < Tb && live) {
      for (var s = lid; s < Sb; s += WG) {
        let v = alpha[cur + s];
        alpha[cur + s] = select(v - c, NEG, v <= IMPOSSIBLE);
      }
      scale += c;
    }
    workgroupBarrier();
    storageBarrier();
  }
  if (lid != 0u) { return; }
  var nll: f32;
  if (status == 0u) {
    let last = ((Tb - 1u) * P.B + b) * P.S;
    var ll = alpha[last + Sb - 1u];
    if (Sb >= 2u) { ll = lse2(ll, alpha[last + Sb - 2u]); }
    nll = -(ll + scale);
  } else {
    nll = bitcast<f32>(select(0u, 0x7f800000u, status == 2u));  // 0 (zero_infinity) or +∞
  }
  losses[b] = nll;
  row_loss[b] = select(weights[b] * nll, nll, status != 0u);
}
