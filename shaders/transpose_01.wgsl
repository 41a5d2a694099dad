// transpose_01: swaps the first two axes of a 3-D tensor, (P0, P1, F) -> (P1, P0, F).
//
//   out[j, i, f] = a[i, j, f]
//
// Converts batch_first (B, T, F) inputs, outputs and their gradients to the engine's time-major
// (T, B, F) layout and back. Grid: x = ceil(F / 64), y = P1, z = P0.

struct Params { P0: u32, P1: u32, F: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;          // (P0, P1, F)
@group(0) @binding(2) var<storage, read_write> out: array<f32>;  // (P1, P0, F)

@compute @workgroup_size(64, 1, 1)
fn transpose_01(@builtin(global_invocation_id) gid: vec3<u32>) {
  let f = gid.x;
  let j = gid.y;
  let i = gid.z;
  if (f >= P.F || j >= P.P1 || i >= P.P0) { return; }
  out[(j * P.P0 + i) * P.F + f] = a[(i * P.P1 + j) * P.F + f];
}
