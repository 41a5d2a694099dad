// lstm_projection_fwd: the projection of a projected LSTM (PyTorch's proj_size R < H) at one time step,
// after lstm_step_fwd has written m<t> = o ⊙ tanh(c<t>) for every unit:
//
//   h<t>[b, r] = Σ_j W_hr[r, j] · m<t>[b, j]          W_hr (R, H) of direction d, no bias
//
// h<t> goes to its state slot (what the next step's recurrent product reads) and to the layer output.
// Rows with t ≥ lengths[b] keep h<t-1> and output 0, as lstm_step_fwd does for c.
// Step s runs t = s forward and t = T-1-s in reverse (direction = grid z); state slots as
// lstm_step_fwd: h<t-1> at slot t (forward) or t+1 (reverse), h<t> at t+1 or t.
// Grid: x = ceil(R / 64) (unit r), y = ceil(B / 4) (4 batch rows per invocation share each weight
// load), z = D. The step index s comes from a dynamic-offset uniform, set per dispatch.

struct Params {
  T: u32, B: u32, H: u32, R: u32, D: u32,
  w_off: u32,       // W_hr (R, H) of direction 0 in w
  dir_stride: u32,  // elements from a direction-0 parameter to its direction-1 twin
}
struct Step { s: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> lengths: array<u32>;   // (B)
//!include "shared/weight_type.wgsl"
//!include "shared/step_index.wgsl"
//!include "shared/step_output.wgsl"
@group(0) @binding(2) var<storage, read> w: array<weight>;      // flat parameters of the layer stack (f16: the f16 copy)
@group(0) @binding(3) var<storage, read> m: array<f32>;         // (T, B, D·H) o ⊙ tanh(c) by step
@group(0) @binding(4) var<storage, read_write> hs: array<f32>;  // (D, T+1, B, R) hidden states
@group(0) @binding(5) var<storage, read_write> y: array<f32>;   // (T, B, D·R) layer output
@group(1) @binding(0) var<uniform> step: Step;

const BT = 4u;  // batch rows per invocation

@compute @workgroup_size(64, 1, 1)
fn lstm_projection_fwd(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  let b0 = gid.y * BT;
  let d = gid.z;
  let H = P.H;
  let R = P.R;
  let B = P.B;
  if (r >= R || b0 >= B) { return; }
  let s = step.s;
  let t = step_time(s, d);
  let hprev = state_prev(t, d, R);
  let hout = state_out(t, d, R);

  // vec4 lanes are batch rows.
  var mb: array<u32, 4>;
  for (var i = 0u; i < BT; i++) { mb[i] = out_index(t, min(b0 + i, B - 1u), d, H, 0u); }
  let wr = P.w_off + d * P.dir_stride + r * H;
  var acc = vec4<f32>();
  for (var j = 0u; j < H; j++) {
    acc += f32(w[wr + j]) * vec4<f32>(m[mb[0] + j], m[mb[1] + j], m[mb[2] + j], m[mb[3] + j]);
  }
  for (var i = 0u; i < BT; i++) {
    let b = b0 + i;
    if (b >= B) { break; }
    let ho = hout + b * R + r;
    let yo = out_index(t, b, d, R, r);
    if (t >= lengths[b]) {
      hs[ho] = hs[hprev + b * R + r];
      y[yo] = 0.0;
    } else {
      hs[ho] = acc[i];
      y[yo] = acc[i];
    }
  }
}
