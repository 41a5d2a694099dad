// sgd_step: one torch.optim.SGD step (1.13, single-tensor path) on one flat parameter block, with
// gradient clipping folded in.
//
//   g   = has_clip_value ? clamp(grads[i], ±clip_value) : grads[i]       (clip_grad_value_)
//   g   = g · norm[1]                                                    (clip_grad_norm_ coefficient; 1 without)
//   d   = weight_decay ≠ 0 ? g + weight_decay · p : g
//   has_momentum:  buf = first ? d : momentum · buf + (1 − dampening) · d
//                  d   = nesterov ? d + momentum · buf : buf
//   p   = p − lr · d
//
// Nothing is written (p and buf keep their bits) when norm[2] = 0: the global gradient norm was not
// finite, so the last good weights stay. grads are read, never written.
// Shapes: params, grads, buf (n) — one block, flat; buf is a 16-byte placeholder without momentum.
// norm (4 + 2·R) from grad_norm.wgsl. Grid: x = groups (capped by the host; grid-stride loop), 256 each.

struct Params {
  n: u32,
  weight_decay: f32,
  momentum: f32,
  one_minus_dampening: f32,  // 1 − dampening, rounded from float64 on the host
  has_momentum: u32,
  nesterov: u32,
  clip_value: f32,
  has_clip_value: u32,
}
struct StepScalars {
  lr: f32,
  first: u32,  // 1 on the optimizer's first step: the momentum buffer starts as d
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<uniform> S: StepScalars;
@group(0) @binding(2) var<storage, read> norm: array<f32>;            // (4 + 2·R): [norm, clip_coef, ok, 0, ring…]
@group(0) @binding(3) var<storage, read> grads: array<f32>;           // (n)
@group(0) @binding(4) var<storage, read_write> params: array<f32>;    // (n)
@group(0) @binding(5) var<storage, read_write> buf: array<f32>;       // (n) momentum_buffer, or placeholder

//!include "shared/clipped_grad.wgsl"

@compute @workgroup_size(256, 1, 1)
fn sgd_step(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  if (step_skipped()) { return; }
  let stride = nwg.x * 256u;
  for (var i = gid.x; i < P.n; i += stride) {
    let g = clipped_grad(i);
    let p = params[i];
    var d = g;
    if (P.weight_decay != 0.0) { d = g + P.weight_decay * p; }
    if (P.has_momentum == 1u) {
      var b = d;
      if (S.first == 0u) { b = P.momentum * buf[i] + P.one_minus_dampening * d; }
      buf[i] = b;
      if (P.nesterov == 1u) { d = d + P.momentum * b; } else { d = b; }
    }
    params[i] = p - S.lr * d;
  }
}
