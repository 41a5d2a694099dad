// ctc_beta: the CTC backward variables in log space (Graves et al., 2006), the mirror of ctc_alpha.
//
//   β_{T_b−1}(S_b − 1) = lp(blank), β_{T_b−1}(S_b − 2) = lp(l'_{S_b−2}), other states −∞
//   β_t(s) = lp_t(l'_s) + lse(β_{t+1}(s), β_{t+1}(s + 1), [skip] β_{t+1}(s + 2))     0 ≤ t < T_b − 1
//   skip: l'_s is a label and l'_s ≠ l'_{s+2}
//
// β includes the emission at t, so α_t(s) · β_t(s) / y_t(l'_s) is the probability of all alignments
// through state s at step t (used by ctc_grad). Stored rescaled as ctc_alpha's α: each step minus the
// running sum of its maxima (ctc_grad normalises per step, so the offsets cancel). −∞ is the finite NEG, as in ctc_alpha; rows the host
// found impossible (status ≠ 0) are skipped.
// Shapes: lp (T, B, C); info (B, 4) u32 [T_b, L_b, first label's index, status] | labels;
// beta (T, B, S), S = 2·L_max + 1 (rows t ≥ T_b and states s ≥ S_b are not written).
// Grid: one workgroup of 64 per batch row, folded; the workgroup walks t from T − 1 down to 0 with a
// storage barrier between steps.

struct Params {
  T: u32, B: u32, C: u32,
  S: u32,       // states per (t, b) in beta: 2·L_max + 1
  blank: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> lp: array<f32>;            // (T, B, C)
@group(0) @binding(2) var<storage, read> info: array<u32>;          // (B, 4) | labels
@group(0) @binding(3) var<storage, read_write> beta: array<f32>;    // (T, B, S) log β

const WG = 64u;
//!include "shared/workgroup_reduce.wgsl"

//!include "shared/ctc_log_space.wgsl"
//!include "shared/ctc_labels.wgsl"

@compute @workgroup_size(64, 1, 1)
fn ctc_beta(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let b = wid.y * nwg.x + wid.x;
  if (b >= P.B) { return; }  // the same for the whole workgroup
  let Tb = info[b * 4u];
  let Sb = 2u * info[b * 4u + 1u] + 1u;
  let status = info[b * 4u + 3u];
  let live = status == 0u;
  for (var k = 0u; k < P.T; k++) {
    let t = P.T - 1u - k;
    let row = (t * P.B + b) * P.C;
    let cur = (t * P.B + b) * P.S;
    var m = NEG;
    if (t < Tb && live) {
      for (var s = lid; s < Sb; s += WG) {
        let ls = label(b, s);
        var a: f32;
        if (t == Tb - 1u) {
          a = select(NEG, 0.0, s + 2u >= Sb);
        } else {
          let next = ((t + 1u) * P.B + b) * P.S;
          a = beta[next + s];
          if (s + 1u < Sb) { a = lse2(a, beta[next + s + 1u]); }
          if (s + 2u < Sb && (s & 1u) == 1u && ls != label(b, s + 2u)) { a = lse2(a, beta[next + s + 2u]); }
        }
        let v = select(a + lp[row + ls], NEG, a <= IMPOSSIBLE);
        beta[cur + s] = v;
        m = max(m, v);
      }
    }
    let c = workgroup_max(lid, m);
    if (t < Tb && live) {
      for (var s = lid; s < Sb; s += WG) {
        let v = beta[cur + s];
        beta[cur + s] = select(v - c, NEG, v <= IMPOSSIBLE);
      }
    }
    workgroupBarrier();
    storageBarrier();
  }
}
