// gather_rows: rows of a matrix picked by an index list — beam search reorders the recurrent state by
// each surviving beam's parent (h<t>[k] ← h<t>[parent[k]]), and broadcasts one initial state to K beams.
//
//   out[out_off + k·F + f] = src[src_off + min(idx[k], S − 1)·F + f]        k < K, f < F
//
// Indices come from the CPU or a previous kernel; the clamp keeps a bad one from reading out of bounds.
// Grid: linear over K·F invocations, 64 per workgroup, folded: i = (wid.y · num_workgroups.x + wid.x)·64 + lid.

struct Params {
  K: u32,        // rows out
  F: u32,        // row length
  S: u32,        // rows in src
  src_off: u32,
  out_off: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> idx: array<u32>;         // (K)
@group(0) @binding(2) var<storage, read> src: array<f32>;         // (S, F) at src_off
@group(0) @binding(3) var<storage, read_write> out: array<f32>;   // (K, F) at out_off

@compute @workgroup_size(64, 1, 1)
fn gather_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * 64u + gid.x;
  if (i >= P.K * P.F) { return; }
  let k = i / P.F;
  let f = i - k * P.F;
  out[P.out_off + i] = src[P.src_off + min(idx[k], P.S - 1u) * P.F + f];
}
