// grad_sumsq: per-workgroup partial sums of squared gradients — pass 1 of the global gradient norm.
//
//   g'[i]      = has_clip_value ? clamp(g[i], −clip_value, clip_value) : g[i]   (torch clip_grad_value_)
//   partial[w] = ( Σ_{i of workgroup w} g'[i]²,  bad_w )                          written at part_off + w
//   bad_w      = 1 if some g[i] of workgroup w (before clamping) is ±Inf or NaN, or its sum overflowed
//
// Shapes: grads (n) is one parameter block's flat gradient; partials (parts, 2) holds every block's
// partial sums back to back, this block's from part_off on. grad_norm.wgsl folds them into the norm.
// Grid: x = groups (the host caps it; a grid-stride loop covers any n), workgroup 256. Invocation
// j = w·256 + l sums elements j, j + groups·256, … in index order; the 256 sums of a workgroup are
// added in a fixed tree. Deterministic — same bits every run — with no atomics.

struct Params {
  n: u32,              // elements in this block
  part_off: u32,       // first partial of this block
  clip_value: f32,     // > 0 when has_clip_value = 1
  has_clip_value: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> grads: array<f32>;                // (n)
@group(0) @binding(2) var<storage, read_write> partials: array<vec2<f32>>; // (parts): (Σ g'², bad)

//!include "shared/flagged_sum.wgsl"
//!include "shared/clamp_grad.wgsl"

@compute @workgroup_size(WG, 1, 1)
fn grad_sumsq(
  @builtin(global_invocation_id) gid: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let stride = nwg.x * WG;
  var s = 0.0;
  var bad = 0u;
  for (var i = gid.x; i < P.n; i += stride) {
    let raw = grads[i];
    if (non_finite(raw)) { bad = 1u; }
    let g = clamp_grad(raw);
    s += g * g;
  }
  flagged_sum(lid.x, s, bad);
  if (lid.x == 0u) {
    let total = sums[0];
    let flag = select(0.0, 1.0, bads[0] != 0u || non_finite(total));
    partials[P.part_off + wid.x] = vec2<f32>(total, flag);
  }
}
