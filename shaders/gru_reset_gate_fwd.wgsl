// gru_reset_gate_fwd: the reset gate of a reset-before GRU step (the course's form, ONNX
// linear_before_reset = 0), dispatched just before gru_step_fwd at every step.
//
//   r = σ(gx_r + b_hr + W_hr h<t-1>),   rh = r ⊙ h<t-1>
//
// The candidate n = tanh(gx_n + W_hn rh + b_hn) needs all of rh before any unit can use it, and
// workgroups cannot wait for each other inside a dispatch, so r is its own dispatch.
// ONNX variants (forward only): σ → act_f (fn activate, with α, β), pre-activation clamped to ±clip.
// Writes r to act block 0 and rh to act block 3 of step t (layout (D, T, B, 4H)).
// Step/slot conventions as in lstm_step_fwd. Grid: x = ceil(H / 64), y = ceil(B / 4), z = D.

struct Params {
  T: u32, B: u32, H: u32,
  w_off: u32,       // W_hh (3H, H) of direction 0 in w (W_hr is its first H rows)
  bhh_off: u32,     // b_hh (3H) of direction 0
  dir_stride: u32,  // elements from a direction-0 parameter to its direction-1 twin
  bias: u32,        // 1: add b_hr
  act_f: u32,       // activation id (fn activate) of r; 0 = σ
  alpha_f: f32, beta_f: f32,
  clip: f32,        // > 0: clamp the pre-activation to ±clip
}
struct Step { s: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> lengths: array<u32>;     // (B)
//!include "shared/weight_type.wgsl"
//!include "shared/step_index.wgsl"
@group(0) @binding(2) var<storage, read> w: array<weight>;        // flat parameters (f16: the f16 copy)
@group(0) @binding(3) var<storage, read> gx: array<f32>;          // (D, T, B, 3H) input projections
@group(0) @binding(4) var<storage, read> hs: array<f32>;          // (D, T+1, B, H) hidden states
@group(0) @binding(5) var<storage, read_write> act: array<f32>;   // (D, T, B, 4H) r, z, n, rh
@group(1) @binding(0) var<uniform> step: Step;

const BT = 4u;

// fn activate (ONNX's activations, by id) and fn clip_pre (ONNX's cell clip).
//!include "shared/onnx_activations.wgsl"

@compute @workgroup_size(64, 1, 1)
fn gru_reset_gate_fwd(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  let b0 = gid.y * BT;
  let d = gid.z;
  let H = P.H;
  let B = P.B;
  if (j >= H || b0 >= B) { return; }
  let s = step.s;
  let t = step_time(s, d);
  let hprev = state_prev(t, d, H);

  var rb: array<u32, 4>;
  for (var i = 0u; i < BT; i++) { rb[i] = hprev + min(b0 + i, B - 1u) * H; }
  let wr = P.w_off + d * P.dir_stride + j * H;
  var acc = vec4<f32>();
  for (var k = 0u; k < H; k++) {
    acc += f32(w[wr + k]) * vec4<f32>(hs[rb[0] + k], hs[rb[1] + k], hs[rb[2] + k], hs[rb[3] + k]);
  }
  let b_r = select(0.0, f32(w[P.bhh_off + d * P.dir_stride + j]), P.bias == 1u);
  for (var i = 0u; i < BT; i++) {
    let b = b0 + i;
    if (b >= B) { break; }
    if (t >= lengths[b]) { continue; }
    let r = activate(P.act_f, clip_pre(gx[step_row(t, b, d, 3u * H) + j] + b_r + acc[i], P.clip), P.alpha_f, P.beta_f);
    let ab = step_row(t, b, d, 4u * H);
    act[ab + j] = r;
    act[ab + 3u * H + j] = r * hs[hprev + b * H + j];
  }
}
