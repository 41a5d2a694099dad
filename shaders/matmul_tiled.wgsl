// matmul_tiled: C = A · B (+ bias) (+ C), strided, batched over grid z — the same math, Params and
// bindings as matmul.wgsl, scheduled as GPU libraries do it (workgroup-memory tiles).
//
//   C[z][m, n] = Σ_k A[z][m, k] · B[z][k, n] + bias[z][n] + (accumulate ? C[z][m, n] : 0)
//   A[z][m, k] = a[a_off + z·a_zs + m·a_rs + k·a_cs]       (any strides: A, Aᵀ, row blocks of a bigger tensor)
//   B[z][k, n] = b[b_off + z·b_zs + k·b_rs + n·b_cs]
//   C[z][m, n] = c[c_off + z·c_zs + m·c_rs + n]
//   bias[z][n] = bias[bias_off + z·bias_zs + n]             (only when has_bias = 1)
//
// Grid: x = ceil(N / 64), y = ceil(M / 64), z = batch; 256 invocations (16 × 16) per workgroup, each
// computing a 4×4 block of the workgroup's 64×64 tile of C. K advances in tiles of 16: the workgroup
// stages A[64 × 16] and B[16 × 64] in workgroup memory, every invocation loading 4 of each, so that
// consecutive invocations read consecutive addresses along whichever axis of A (and of B) has unit
// stride (coalesced loads on real GPUs); past the edges of M, N, K the tiles hold 0. The inner loop reads
// vec4 rows of both tiles from workgroup memory: 8 loads feed 16 multiply-adds.
// Deterministic, and summed in the same k order as matmul.wgsl: every C element by one invocation.
// Variant of: matmul (register-blocked, no workgroup memory: what CPU adapters such as lavapipe prefer);
// the engine's tuner picks between them per adapter by timing both (src/gpu/tuner.ts).

//!include "shared/matmul_io.wgsl"

const TM = 64u;   // rows of C per workgroup
const TN = 64u;   // columns of C per workgroup
const TK = 16u;   // k per staged tile

var<workgroup> As: array<vec4<f32>, 256>;  // (TK, TM / 4): As[kk·16 + r][i] = A[m0 + 4r + i, k0 + kk]
var<workgroup> Bs: array<vec4<f32>, 256>;  // (TK, TN / 4): Bs[kk·16 + s][j] = B[k0 + kk, n0 + 4s + j]

@compute @workgroup_size(16, 16, 1)
fn matmul_tiled(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let z = wg.z;
  let m0 = wg.y * TM;
  let n0 = wg.x * TN;
  let l = lid.y * 16u + lid.x;
  let abase = P.a_off + z * P.a_zs;
  let bbase = P.b_off + z * P.b_zs;
  // Which tile axis consecutive invocations walk: A's k when its columns are contiguous, else its m;
  // B's n when its columns are contiguous, else its k. Uniform across the workgroup.
  let a_k_fast = P.a_cs == 1u;
  let b_n_fast = P.b_cs == 1u;
  var acc: array<vec4<f32>, 4>;  // acc[i][j] = C[m0 + 4·lid.y + i, n0 + 4·lid.x + j]
  for (var k0 = 0u; k0 < P.K; k0 += TK) {
    for (var r = 0u; r < 4u; r++) {
      let e = l + 256u * r;  // element of the 1024-value tile
      var mm = e / TK;
      var kk = e % TK;
      if (!a_k_fast) { mm = e % TM; kk = e / TM; }
      let m = m0 + mm;
      let k = k0 + kk;
      var v = 0.0;
      if (m < P.M && k < P.K) { v = a[abase + m * P.a_rs + k * P.a_cs]; }
      As[kk * 16u + mm / 4u][mm % 4u] = v;

      var nn = e % TN;
      var kb = e / TN;
      if (!b_n_fast) { nn = e / TK; kb = e % TK; }
      let n = n0 + nn;
      let kg = k0 + kb;
      var w = 0.0;
      if (n < P.N && kg < P.K) { w = f32(b[bbase + kg * P.b_rs + n * P.b_cs]); }
      Bs[kb * 16u + nn / 4u][nn % 4u] = w;
    }
    workgroupBarrier();
    let kn = min(TK, P.K - k0);  // the last tile adds only real k (no +0 terms: same sums as matmul)
    for (var kk = 0u; kk < kn; kk++) {
      let av = As[kk * 16u + lid.y];
      let bv = Bs[kk * 16u + lid.x];
      acc[0] += av[0] * bv;
      acc[1] += av[1] * bv;
      acc[2] += av[2] * bv;
      acc[3] += av[3] * bv;
    }
    workgroupBarrier();
  }
  store_block(z, m0 + lid.y * 4u, n0 + lid.x * 4u, acc);
}
