// adam_step: one torch.optim.Adam or AdamW step (1.13, single-tensor path) on one flat parameter
// block, with gradient clipping folded in.
//
//   g   = has_clip_value ? clamp(grads[i], ±clip_value) : grads[i]       (clip_grad_value_)
//   g   = g · norm[1]                                                    (clip_grad_norm_ coefficient; 1 without)
//   Adam  (decoupled = 0): g = weight_decay ≠ 0 ? g + weight_decay · p : g
//   AdamW (decoupled = 1): p = p · decay                                 (decay = 1 − lr · weight_decay)
//   m   = β1 · m + (1 − β1) · g
//   v   = β2 · v + (1 − β2) · g²
//   amsgrad: vmax = max(vmax, v), v̂ = vmax; else v̂ = v
//   p   = p − step_size · m / (sqrt(v̂) / bias_correction2_sqrt + eps)
//
// step_size = lr / (1 − β1ᵗ), bias_correction2_sqrt = sqrt(1 − β2ᵗ) and decay are computed in float64
// on the host each step. Nothing is written when norm[2] = 0 (global gradient norm not finite).
// Shapes: params, grads, m, v, vmax (n) — one block, flat; vmax is a 16-byte placeholder without
// amsgrad. norm (4 + 2·R) from grad_norm.wgsl. Grid: x = groups (capped; grid-stride loop), 256 each.

struct Params {
  n: u32,
  beta1: f32,
  one_minus_beta1: f32,  // rounded from float64 on the host, as torch passes alpha = 1 − β1
  beta2: f32,
  one_minus_beta2: f32,
  eps: f32,
  weight_decay: f32,
  decoupled: u32,
  amsgrad: u32,
  clip_value: f32,
  has_clip_value: u32,
}
struct StepScalars {
  step_size: f32,
  bias_correction2_sqrt: f32,
  decay: f32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<uniform> S: StepScalars;
@group(0) @binding(2) var<storage, read> norm: array<f32>;            // (4 + 2·R): [norm, clip_coef, ok, 0, ring…]
@group(0) @binding(3) var<storage, read> grads: array<f32>;           // (n)
@group(0) @binding(4) var<storage, read_write> params: array<f32>;    // (n)
@group(0) @binding(5) var<storage, read_write> m: array<f32>;         // (n) exp_avg
@group(0) @binding(6) var<storage, read_write> v: array<f32>;         // (n) exp_avg_sq
@group(0) @binding(7) var<storage, read_write> vmax: array<f32>;      // (n) max_exp_avg_sq, or placeholder

//!include "shared/clipped_grad.wgsl"

@compute @workgroup_size(256, 1, 1)
fn adam_step(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  if (step_skipped()) { return; }
  let stride = nwg.x * 256u;
  for (var i = gid.x; i < P.n; i += stride) {
    var g = clipped_grad(i);
    var p = params[i];
    if (P.decoupled == 1u) {
      p = p * S.decay;
    } else if (P.weight_decay != 0.0) {
      g = g + P.weight_decay * p;
    }
    let mi = P.beta1 * m[i] + P.one_minus_beta1 * g;
    let vi = P.beta2 * v[i] + P.one_minus_beta2 * g * g;
    m[i] = mi;
    v[i] = vi;
    var vh = vi;
    if (P.amsgrad == 1u) {
      vh = max(vmax[i], vi);
      vmax[i] = vh;
    }
    let denom = sqrt(vh) / S.bias_correction2_sqrt + P.eps;
    params[i] = p - S.step_size * (mi / denom);
  }
}
