// matmul: C = A · B (+ bias) (+ C), strided, batched over grid z.
//
//   C[z][m, n] = Σ_k A[z][m, k] · B[z][k, n] + bias[z][n] + (accumulate ? C[z][m, n] : 0)
//   A[z][m, k] = a[a_off + z·a_zs + m·a_rs + k·a_cs]       (any strides: A, Aᵀ, row blocks of a bigger tensor)
//   B[z][k, n] = b[b_off + z·b_zs + k·b_rs + n·b_cs]
//   C[z][m, n] = c[c_off + z·c_zs + m·c_rs + n]
//   bias[z][n] = bias[bias_off + z·bias_zs + n]             (only when has_bias = 1)
//
// Uses in webrnn: the hoisted input projection X·W_ihᵀ + b_ih for all T·B rows of both directions,
// dX = dG·W_ih, dW_ih = dGᵀ·X and dW_hh = dGᵀ·H_prev over all steps at once.
// Grid: x = ceil(N / (8·4)), y = ceil(M / (8·4)), z = batch. Each invocation computes a 4×4 block of C
// in registers (register blocking: 8 loads feed 16 multiply-adds); no workgroup memory, which is what
// CPU adapters like lavapipe prefer (design.md, reference figures).
// Deterministic: every C element is summed by one invocation in k order.

//!include "shared/matmul_io.wgsl"

const TILE = 4u;

@compute @workgroup_size(8, 8, 1)
fn matmul(@builtin(global_invocation_id) gid: vec3<u32>) {
  let m0 = gid.y * TILE;
  let n0 = gid.x * TILE;
  if (m0 >= P.M || n0 >= P.N) { return; }
  let z = gid.z;
  // Rows/columns past the edge are clamped for loads (always in bounds) and skipped for stores.
  var ar: array<u32, 4>;
  var bc: array<u32, 4>;
  for (var i = 0u; i < TILE; i++) {
    ar[i] = P.a_off + z * P.a_zs + min(m0 + i, P.M - 1u) * P.a_rs;
    bc[i] = P.b_off + z * P.b_zs + min(n0 + i, P.N - 1u) * P.b_cs;
  }
  var acc: array<vec4<f32>, 4>;  // acc[i][j] = C[m0 + i, n0 + j]
  for (var k = 0u; k < P.K; k++) {
    let ak = k * P.a_cs;
    let bk = k * P.b_rs;
    let bv = vec4<f32>(f32(b[bc[0] + bk]), f32(b[bc[1] + bk]), f32(b[bc[2] + bk]), f32(b[bc[3] + bk]));
    acc[0] += a[ar[0] + ak] * bv;
    acc[1] += a[ar[1] + ak] * bv;
    acc[2] += a[ar[2] + ak] * bv;
    acc[3] += a[ar[3] + ak] * bv;
  }
  store_block(z, m0, n0, acc);
}
