// transpose_strided: swaps the middle two axes of Z stacked (Rows, C, F) blocks, read from a flat
// buffer at a_off with a_zs elements between consecutive blocks, into a packed (Z, C, Rows, F) tensor.
//
//   out[z, c, r, f] = a[a_off + z·a_zs + (r·C + c)·F + f]
//
// Its two callers:
// - batch_first inputs, outputs and their gradients (B, T, F) ↔ the engine's time-major (T, B, F)
//   (src/gpu/recorder.ts `transpose`): Z = 1, a_off = a_zs = 0;
// - W_hhᵀ (R, G·H) per layer and direction for the coalesced step kernels (shared/step_coalesced_fwd.wgsl),
//   from PyTorch's (G·H, R) layout in the parameters (src/layers/recurrent-plan.ts): F = 1, Z = D,
//   dispatched once at the start of each forward program, so once per weight update.
// Consecutive invocations write consecutive addresses (x = r·F + f is the fastest run of out).
// Grid: x = ceil(Rows·F / 64) (r, f), y = C (c), z = Z.

struct Params { Rows: u32, C: u32, F: u32, a_off: u32, a_zs: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;          // Z × (Rows, C, F) from a_off, a_zs apart
@group(0) @binding(2) var<storage, read_write> out: array<f32>;  // (Z, C, Rows, F)

@compute @workgroup_size(64, 1, 1)
fn transpose_strided(@builtin(global_invocation_id) gid: vec3<u32>) {
  let x = gid.x;  // r·F + f
  let c = gid.y;
  let z = gid.z;
  if (x >= P.Rows * P.F || c >= P.C) { return; }
  let r = x / P.F;
  let f = x - r * P.F;
  out[(z * P.C + c) * P.Rows * P.F + x] = a[P.a_off + z * P.a_zs + (r * P.C + c) * P.F + f];
}
