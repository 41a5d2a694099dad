// lstm_projection_bwd: dL/dh<t> of a projected LSTM (PyTorch's proj_size R < H) at one reverse (BPTT)
// step, before lstm_step_bwd takes it through the projection and the cell.
//
// Dispatch i = 0..T handles processing step s = T-1-i (s = -1 finalises into dL/dh0):
//   dh<s>[b, r] = carry_h[d, b, r] + Σ_q dG<s+1>[b, q] · W_hh[q, r] + dy[t, b, d·R + r]
//   (W_hh (4H, R); dG<T> = 0; no dy at s = -1 or at masked steps)
//   s = -1 or t ≥ lengths[b] (the state was carried through): carry_h ← dh, dy[t] ← 0
//   otherwise: dy[t, b, d·R + r] ← dh (in place: what lstm_step_bwd reads), carry_h ← 0
// carry_h starts as dL/dh_n (copied in by the scheduler). dy is read and rewritten by the same
// invocation only, and nothing reads dL/d(output) afterwards. dW_hr = Σ_t dyᵀ·m is one matmul after
// the sweep.
// Grid: x = ceil(R / 64) (unit r), y = ceil(B / 4), z = D. Dispatch index i from a dynamic-offset uniform.

struct Params {
  T: u32, B: u32, H: u32, R: u32, D: u32,
  w_off: u32,       // W_hh (4H, R) of direction 0 in w
  dir_stride: u32,  // elements from a direction-0 parameter to its direction-1 twin
}
struct Step { s: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> lengths: array<u32>;       // (B)
//!include "shared/weight_type.wgsl"
//!include "shared/step_index.wgsl"
//!include "shared/step_output.wgsl"
@group(0) @binding(2) var<storage, read> w: array<weight>;          // flat parameters (f16: the f16 copy)
@group(0) @binding(3) var<storage, read> dg: array<f32>;            // (D, T, B, 4H) dL/d(gate pre-activations)
@group(0) @binding(4) var<storage, read_write> dy: array<f32>;      // (T, B, D·R) dL/d(output) in, dL/dh<t> out
@group(0) @binding(5) var<storage, read_write> carry_h: array<f32>; // (D, B, R)
@group(1) @binding(0) var<uniform> step: Step;

const BT = 4u;  // batch rows per invocation

@compute @workgroup_size(64, 1, 1)
fn lstm_projection_bwd(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  let b0 = gid.y * BT;
  let d = gid.z;
  let R = P.R;
  let B = P.B;
  let T = P.T;
  if (r >= R || b0 >= B) { return; }
  let s = i32(T) - 1 - i32(step.s);
  let G = 4u * P.H;

  // Σ_q dG<s+1>[b0 + i, q] · W_hh[q, r] for 4 batch rows (vec4 lanes).
  var rec = vec4<f32>();
  if (s + 1 < i32(T)) {
    let tn = step_time(u32(s + 1), d);
    var rb: array<u32, 4>;
    for (var i = 0u; i < BT; i++) { rb[i] = step_row(tn, min(b0 + i, B - 1u), d, G); }
    let wc = P.w_off + d * P.dir_stride + r;
    for (var q = 0u; q < G; q++) {
      rec += f32(w[wc + q * R]) * vec4<f32>(dg[rb[0] + q], dg[rb[1] + q], dg[rb[2] + q], dg[rb[3] + q]);
    }
  }
  for (var i = 0u; i < BT; i++) {
    let b = b0 + i;
    if (b >= B) { break; }
    let ci = (d * B + b) * R + r;
    let dh = carry_h[ci] + rec[i];
    if (s < 0) {
      carry_h[ci] = dh;
      continue;
    }
    let t = step_time(u32(s), d);
    let yo = out_index(t, b, d, R, r);
    if (t >= lengths[b]) {
      carry_h[ci] = dh;
      dy[yo] = 0.0;
    } else {
      dy[yo] = dh + dy[yo];
      carry_h[ci] = 0.0;
    }
  }
}
