// lstm_peephole_grad: gradients of the LSTM peephole weights, reduced over all steps and batch rows.
//
//   dp_i[j] = Σ_{t,b} dpre_i[t, b, j] · c<t-1>[b, j]
//   dp_f[j] = Σ_{t,b} dpre_f[t, b, j] · c<t-1>[b, j]
//   dp_o[j] = Σ_{t,b} dpre_o[t, b, j] · c<t>[b, j]
//
// Masked steps have dpre = 0 and add nothing. One invocation per (unit, direction), summing in a
// fixed order: deterministic. Grid: x = ceil(H / 64), y = D.

struct Params {
  T: u32, B: u32, H: u32,
  out_off: u32,     // dp (3H: p_i, p_f, p_o) of direction 0 in the gradient buffer
  dir_stride: u32,  // elements from a direction-0 parameter to its direction-1 twin
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> dg: array<f32>;          // (D, T, B, 4H) gate pre-activation grads
@group(0) @binding(2) var<storage, read> cs: array<f32>;          // (D, T+1, B, H) cell states
@group(0) @binding(3) var<storage, read_write> grads: array<f32>; // flat parameter gradients

//!include "shared/step_index.wgsl"

@compute @workgroup_size(64, 1, 1)
fn lstm_peephole_grad(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  let d = gid.y;
  let H = P.H;
  let B = P.B;
  let T = P.T;
  if (j >= H) { return; }
  var si = 0.0;
  var sf = 0.0;
  var so = 0.0;
  for (var t = 0u; t < T; t++) {
    let cprev = state_prev(t, d, H) + j;
    let cout = state_out(t, d, H) + j;
    for (var b = 0u; b < B; b++) {
      let g = step_row(t, b, d, 4u * H) + j;
      si += dg[g] * cs[cprev + b * H];
      sf += dg[g + H] * cs[cprev + b * H];
      so += dg[g + 3u * H] * cs[cout + b * H];
    }
  }
  let o = P.out_off + d * P.dir_stride;
  grads[o + j] = si;
  grads[o + H + j] = sf;
  grads[o + 2u * H + j] = so;
}
