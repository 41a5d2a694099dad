// matmul_io: the Params, bindings and C epilogue of the GEMM variants — one contract, so the Recorder
// can record either with the same uniform and bind group. Included by matmul (register-blocked) and
// matmul_tiled (workgroup-memory tiles). Needs nothing from the kernel. Addressing (see their headers):
//   A[z][m, k] = a[a_off + z·a_zs + m·a_rs + k·a_cs], B[z][k, n] = b[b_off + z·b_zs + k·b_rs + n·b_cs],
//   C[z][m, n] = c[c_off + z·c_zs + m·c_rs + n],      bias[z][n] = bias[bias_off + z·bias_zs + n]

struct Params {
  M: u32, N: u32, K: u32,
  a_off: u32, a_rs: u32, a_cs: u32, a_zs: u32,
  b_off: u32, b_rs: u32, b_cs: u32, b_zs: u32,
  c_off: u32, c_rs: u32, c_zs: u32,
  bias_off: u32, bias_zs: u32,
  has_bias: u32, accumulate: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;        // A operand, see header
//!include "shared/weight_type.wgsl"
@group(0) @binding(2) var<storage, read> b: array<weight>;     // B operand, see header (f16 twins: W_ih's f16 copy, as bias)
@group(0) @binding(3) var<storage, read> bias: array<weight>;  // (N) per z, read when has_bias = 1
@group(0) @binding(4) var<storage, read_write> c: array<f32>;  // (M, N) per z, row stride c_rs

// Stores the 4×4 block acc (acc[i][j] = Σ_k A[m0 + i, k]·B[k, n0 + j]) of batch z: + bias, + C when
// accumulating; rows and columns past M and N are skipped.
fn store_block(z: u32, m0: u32, n0: u32, acc: array<vec4<f32>, 4>) {
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + i;
    if (m >= P.M) { break; }
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + j;
      if (n >= P.N) { break; }
      var v = acc[i][j];
      if (P.has_bias == 1u) { v += f32(bias[P.bias_off + z * P.bias_zs + n]); }
      let ci = P.c_off + z * P.c_zs + m * P.c_rs + n;
      if (P.accumulate == 1u) { v += c[ci]; }
      c[ci] = v;
    }
  }
}
