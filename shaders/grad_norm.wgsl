// grad_norm: the global gradient norm and clip coefficient from grad_sumsq's partial sums — pass 2.
//
//   s        = Σ_k partials[k].x  (all blocks' partials)        norm = sqrt(s)
//   ok       = no partial flagged and s finite
//   clip_coef = has_max_norm ? min(1, max_norm / (norm + 1e-6)) : 1     (torch.nn.utils.clip_grad_norm_, 1.13)
//   out[0..4]               = (norm, clip_coef, ok, 0)               read by the update kernels
//   out[4 + 2·slot + 0..2]  = (norm, ok)                             ring of recent steps, read back on request
//
// Shapes: partials (parts, 2); out (4 + 2·R) for a ring of R steps.
// Grid: 1 workgroup of 256. Invocation l sums partials l, l + 256, … in order, then a fixed tree adds the
// 256 sums: deterministic, no atomics. The norm is sqrt of one float32 sum of squares, so it differs from
// torch's norm-of-per-tensor-norms only by rounding (≈1e-7 relative).

struct Params {
  parts: u32,          // partials written by grad_sumsq this step (all blocks)
  max_norm: f32,       // > 0 when has_max_norm = 1
  has_max_norm: u32,
}
struct Ring { slot: u32 }  // written before each submission: where this step's (norm, ok) goes

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<uniform> R: Ring;
@group(0) @binding(2) var<storage, read> partials: array<vec2<f32>>;  // (parts)
@group(0) @binding(3) var<storage, read_write> out: array<f32>;       // (4 + 2·R)

//!include "shared/flagged_sum.wgsl"

@compute @workgroup_size(WG, 1, 1)
fn grad_norm(@builtin(local_invocation_id) lid: vec3<u32>) {
  var s = 0.0;
  var bad = 0u;
  for (var k = lid.x; k < P.parts; k += WG) {
    let p = partials[k];
    s += p.x;
    if (p.y != 0.0) { bad = 1u; }
  }
  flagged_sum(lid.x, s, bad);
  if (lid.x == 0u) {
    let norm = sqrt(sums[0]);
    let ok = bads[0] == 0u && !non_finite(sums[0]) && !non_finite(norm);
    var coef = 1.0;
    if (P.has_max_norm == 1u && ok) { coef = min(1.0, P.max_norm / (norm + 1e-6)); }
    let okf = select(0.0, 1.0, ok);
    out[0] = norm;
    out[1] = coef;
    out[2] = okf;
    out[3] = 0.0;
    out[4u + 2u * R.slot] = norm;
    out[5u + 2u * R.slot] = okf;
  }
}
