// reduce_sum: sums of consecutive chunks of a vector — one level of a deterministic reduction tree.
//
//   out[g] = Σ_{i ∈ [g·chunk, min((g+1)·chunk, n))} a[i]        g < ceil(n / chunk)
//
// Invocation j of workgroup g adds a[g·chunk + j], a[g·chunk + j + 256], … in order; the 256 partial
// sums are then combined by a fixed binary tree in workgroup memory. No atomics, so the same n gives
// the same bits every run. Losses chain passes until one value is left (src/losses/reduction.ts).
// Grid: x = max(1, ceil(n / chunk)) workgroups of 256; an empty range writes 0.

struct Params { n: u32, chunk: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;          // (n)
@group(0) @binding(2) var<storage, read_write> out: array<f32>;  // (ceil(n / chunk))

//!include "shared/chunk_sum.wgsl"

@compute @workgroup_size(WG, 1, 1)
fn reduce_sum(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let start = wid.x * P.chunk;
  let end = min(start + P.chunk, P.n);
  var s = 0.0;
  for (var i = start + lid; i < end; i += WG) { s += a[i]; }
  let total = workgroup_sum(lid, s);
  if (lid == 0u) { out[wid.x] = total; }
}
