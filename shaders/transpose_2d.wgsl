// transpose_2d: transposes Z matrices of shape (Rows, C), read from a flat buffer at a_off with a_zs
// elements between consecutive matrices, into a packed (Z, C, Rows) tensor.
//
//   out[z, c, r] = a[a_off + z·a_zs + r·C + c]
//
// Lays out W_hhᵀ (R, G·H) per layer and direction for the coalesced step kernels
// (shared/step_coalesced_fwd.wgsl): dispatched once at the start of each forward program, so once per
// weight update; the parameters keep PyTorch's (G·H, R) layout. Consecutive invocations write
// consecutive addresses (r is the fastest axis of out).
// Grid: x = ceil(Rows / 64) (r), y = C (c), z = Z.

struct Params { Rows: u32, C: u32, a_off: u32, a_zs: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;          // Z × (Rows, C) from a_off, a_zs apart
@group(0) @binding(2) var<storage, read_write> out: array<f32>;  // (Z, C, Rows)

@compute @workgroup_size(64, 1, 1)
fn transpose_2d(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  let c = gid.y;
  let z = gid.z;
  if (r >= P.Rows || c >= P.C) { return; }
  out[(z * P.C + c) * P.Rows + r] = a[P.a_off + z * P.a_zs + r * P.C + c];
}
