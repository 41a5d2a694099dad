// gru_reset_gate_bwd: the reset-gate part of a reset-before GRU's reverse step (the course's form,
// ONNX linear_before_reset = 0), dispatched right after gru_step_bwd at every step s ≥ 0.
//
//   drh[b, k]  = Σ_j W_hn[j, k] · dpre_n[b, j]          (rh = r ⊙ h<t-1> fed the candidate's product)
//   dpre_r     = drh ⊙ h<t-1> ⊙ r(1 − r)   → r blocks of dG_x and dG_h
//   carry_h   += drh ⊙ r                    (the direct path of h<t-1> through rh)
//
// It needs dpre_n of every unit, which gru_step_bwd wrote in the previous dispatch.
// Grid: x = ceil(H / 64) (unit k), y = ceil(B / 4), z = D.

struct Params {
  T: u32, B: u32, H: u32,
  w_off: u32,       // W_hh (3H, H) of direction 0 in w (W_hn is rows 2H..3H)
  dir_stride: u32,  // elements from a direction-0 parameter to its direction-1 twin
}
struct Step { s: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> lengths: array<u32>;       // (B)
//!include "shared/weight_type.wgsl"
//!include "shared/step_index.wgsl"
@group(0) @binding(2) var<storage, read> w: array<weight>;          // flat parameters (f16: the f16 copy)
@group(0) @binding(3) var<storage, read> act: array<f32>;           // (D, T, B, 4H) r, z, n, rh
@group(0) @binding(4) var<storage, read> hs: array<f32>;            // (D, T+1, B, H) hidden states
@group(0) @binding(5) var<storage, read_write> dgx: array<f32>;     // (D, T, B, 3H)
@group(0) @binding(6) var<storage, read_write> dgh: array<f32>;     // (D, T, B, 3H)
@group(0) @binding(7) var<storage, read_write> carry_h: array<f32>; // (D, B, H)
@group(1) @binding(0) var<uniform> step: Step;

const BT = 4u;

@compute @workgroup_size(64, 1, 1)
fn gru_reset_gate_bwd(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k = gid.x;
  let b0 = gid.y * BT;
  let d = gid.z;
  let H = P.H;
  let B = P.B;
  let T = P.T;
  if (k >= H || b0 >= B) { return; }
  let s = T - 1u - step.s;
  let t = step_time(s, d);
  let G = 3u * H;

  var rb: array<u32, 4>;
  for (var i = 0u; i < BT; i++) { rb[i] = step_row(t, min(b0 + i, B - 1u), d, G) + 2u * H; }
  let wc = P.w_off + d * P.dir_stride + 2u * H * H + k;
  var drh = vec4<f32>();
  for (var j = 0u; j < H; j++) {
    drh += f32(w[wc + j * H]) * vec4<f32>(dgx[rb[0] + j], dgx[rb[1] + j], dgx[rb[2] + j], dgx[rb[3] + j]);
  }
  for (var i = 0u; i < BT; i++) {
    let b = b0 + i;
    if (b >= B) { break; }
    if (t >= lengths[b]) { continue; }
    let r = act[step_row(t, b, d, 4u * H) + k];
    let hp = hs[state_prev(t, d, H) + b * H + k];
    let dpr = drh[i] * hp * r * (1.0 - r);
    let gi = step_row(t, b, d, G) + k;
    dgx[gi] = dpr;
    dgh[gi] = dpr;
    carry_h[(d * B + b) * H + k] += drh[i] * r;
  }
}
