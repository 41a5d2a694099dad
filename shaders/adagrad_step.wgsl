// adagrad_step: one torch.optim.Adagrad step (1.13, single-tensor path) on one flat parameter block,
// with gradient clipping folded in.
//
//   g   = has_clip_value ? clamp(grads[i], ±clip_value) : grads[i]       (clip_grad_value_)
//   g   = g · norm[1]                                                    (clip_grad_norm_ coefficient; 1 without)
//   d   = weight_decay ≠ 0 ? g + weight_decay · p : g                    (torch adds it inside step(), after clipping)
//   sum = sum + d²
//   p   = p − clr · d / (√sum + eps)          clr = lr / (1 + (t − 1) · lr_decay), float64 on the host per step
//
// An entry whose d is 0 (its clipped gradient, and with weight decay p too, is 0) is not written: its value and its sum keep their bits, so
// sparse gradients (embedding rows a batch did not touch) leave those rows alone — unlike Adam, whose
// moments keep moving them. torch does the same arithmetic without skipping (sum + 0, p − clr·0/std
// give the same bits) except with eps = 0 and sum = 0, where its 0/0 makes a NaN that this leaves out.
// Nothing is written when norm[2] = 0 (global gradient norm not finite).
// Shapes: params, grads, sum (n) — one block, flat. norm (4 + 2·R) from grad_norm.wgsl.
// Grid: x = groups (capped by the host; grid-stride loop), 256 each.

struct Params {
  n: u32,
  eps: f32,
  weight_decay: f32,
  clip_value: f32,
  has_clip_value: u32,
}
struct StepScalars {
  clr: f32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<uniform> S: StepScalars;
@group(0) @binding(2) var<storage, read> norm: array<f32>;            // (4 + 2·R): [norm, clip_coef, ok, 0, ring…]
@group(0) @binding(3) var<storage, read> grads: array<f32>;           // (n)
@group(0) @binding(4) var<storage, read_write> params: array<f32>;    // (n)
@group(0) @binding(5) var<storage, read_write> sum: array<f32>;       // (n) sum (torch's state_sum)

//!include "shared/clipped_grad.wgsl"

@compute @workgroup_size(256, 1, 1)
fn adagrad_step(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  if (step_skipped()) { return; }
  let stride = nwg.x * 256u;
  for (var i = gid.x; i < P.n; i += stride) {
    let p = params[i];
    var d = clipped_grad(i);
    if (P.weight_decay != 0.0) { d = d + P.weight_decay * p; }
    if (d == 0.0) { continue; }
    let s = sum[i] + d * d;
    sum[i] = s;
    params[i] = p - S.clr * d / (sqrt(s) + P.eps);
  }
}
