// rnn_step_bwd: one reverse (BPTT) step of a vanilla RNN layer for every batch row, hidden unit and direction.
//
// Dispatch i = 0..T handles processing step s = T-1-i (s = -1 finalises into dL/dh0):
//   dh<s> = carry_h + Σ_m W_hh[m, j] · dG<s+1>[b, m] + dy[t, b, d·H + j]      (dG<T> = 0, no dy at s = -1)
//   dG<s> = dh ⊙ act'(h<t>):  tanh' = 1 − h², relu' = [h > 0];   carry_h ← 0
//   Masked steps (t ≥ lengths[b]) pass dh through and write dG<s> = 0.
// carry_h starts as dL/dh_n. Weight gradients are matmuls afterwards (see lstm_step_bwd).
// Grid: x = ceil(H / 64), y = ceil(B / 4), z = D.

struct Params {
  T: u32, B: u32, H: u32, D: u32,
  w_off: u32,       // W_hh (H, H) of direction 0 in w
  dir_stride: u32,  // elements from a direction-0 parameter to its direction-1 twin
  relu: u32,        // 1: RNN_RELU, 0: RNN_TANH
}
struct Step { s: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> lengths: array<u32>;       // (B)
@group(0) @binding(2) var<storage, read> w: array<f32>;             // flat parameters
@group(0) @binding(3) var<storage, read> hs: array<f32>;            // (D, T+1, B, H) hidden states
@group(0) @binding(4) var<storage, read> dy: array<f32>;            // (T, B, D·H) dL/d(layer output)
@group(0) @binding(5) var<storage, read_write> dg: array<f32>;      // (D, T, B, H) dL/d(pre-activation)
@group(0) @binding(6) var<storage, read_write> carry_h: array<f32>; // (D, B, H)
@group(1) @binding(0) var<uniform> step: Step;

const BT = 4u;

@compute @workgroup_size(64, 1, 1)
fn rnn_step_bwd(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  let b0 = gid.y * BT;
  let d = gid.z;
  let H = P.H;
  let B = P.B;
  let T = P.T;
  if (j >= H || b0 >= B) { return; }
  let s = i32(T) - 1 - i32(step.s);

  var rec = vec4<f32>();
  if (s + 1 < i32(T)) {
    let tn = select(u32(i32(T) - 2 - s), u32(s + 1), d == 0u);
    var rb: array<u32, 4>;
    for (var i = 0u; i < BT; i++) { rb[i] = ((d * T + tn) * B + min(b0 + i, B - 1u)) * H; }
    let wc = P.w_off + d * P.dir_stride + j;
    for (var m = 0u; m < H; m++) {
      rec += w[wc + m * H] * vec4<f32>(dg[rb[0] + m], dg[rb[1] + m], dg[rb[2] + m], dg[rb[3] + m]);
    }
  }

  for (var i = 0u; i < BT; i++) {
    let b = b0 + i;
    if (b >= B) { break; }
    let ci = (d * B + b) * H + j;
    var dh = carry_h[ci] + rec[i];
    if (s < 0) { carry_h[ci] = dh; continue; }
    let t = select(T - 1u - u32(s), u32(s), d == 0u);
    let gi = ((d * T + t) * B + b) * H + j;
    if (t >= lengths[b]) {
      carry_h[ci] = dh;
      dg[gi] = 0.0;
      continue;
    }
    dh += dy[(t * B + b) * P.D * H + d * H + j];
    let h = hs[(d * (T + 1u) + select(t, t + 1u, d == 0u)) * B * H + b * H + j];
    dg[gi] = dh * select(1.0 - h * h, select(0.0, 1.0, h > 0.0), P.relu == 1u);
    carry_h[ci] = 0.0;
  }
}
