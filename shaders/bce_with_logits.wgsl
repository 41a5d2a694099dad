// bce_with_logits: F.binary_cross_entropy_with_logits, elementwise loss and gradient in one pass, plus
// the first level of the sum.
//
//   l_i    = max(x_i, 0) − x_i·y_i + log(1 + exp(−|x_i|))     (PyTorch's stable form; no overflow)
//   grad_i = w_i · (σ(x_i) − y_i)
//   partial[g] = Σ_{i in chunk g} w_i · l_i
//
// w_i = call.scale (1 for sum, 1 / counted elements for mean) times the mask: none (mask_mode 0), per
// element mask[i] (1) or per row mask[i / F] (2). Masked elements get loss and gradient exactly 0,
// whatever x and y hold. log(1 + z) for tiny z is z·(1 − z/2) (WGSL has no log1p).
// Invocation j of workgroup g handles elements g·chunk + j, + 256, … in order; a fixed tree in
// workgroup memory sums the 256 partials: deterministic. reduce_sum finishes the sum.
// Grid: x = max(1, ceil(n / chunk)) workgroups of 256.

struct Params { n: u32, F: u32, chunk: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;              // (n) logits
@group(0) @binding(2) var<storage, read> y: array<f32>;              // (n) targets (probabilities)
@group(0) @binding(3) var<storage, read> mask: array<f32>;           // (n) or (n / F) of 0/1, see mask_mode
@group(0) @binding(4) var<storage, read> call: Call;
@group(0) @binding(5) var<storage, read_write> grad: array<f32>;     // (n) dL/dx
@group(0) @binding(6) var<storage, read_write> partial: array<f32>;  // (ceil(n / chunk))

//!include "shared/chunk_sum.wgsl"
//!include "shared/loss_weight.wgsl"

fn log1p_small(z: f32) -> f32 {
  if (z < 1e-4) { return z * (1.0 - 0.5 * z); }
  return log(1.0 + z);
}

@compute @workgroup_size(WG, 1, 1)
fn bce_with_logits(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let start = wid.x * P.chunk;
  let end = min(start + P.chunk, P.n);
  var s = 0.0;
  for (var i = start + lid; i < end; i += WG) {
    let w = loss_weight(i);
    if (w == 0.0) {
      grad[i] = 0.0;
      continue;
    }
    let xv = x[i];
    let yv = y[i];
    let e = exp(-abs(xv));
    let sig = select(e / (1.0 + e), 1.0 / (1.0 + e), xv >= 0.0);  // σ(x) without overflow
    s += w * (max(xv, 0.0) - xv * yv + log1p_small(e));
    grad[i] = w * (sig - yv);
  }
  let total = workgroup_sum(lid, s);
  if (lid == 0u) { partial[wid.x] = total; }
}
