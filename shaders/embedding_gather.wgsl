// embedding_gather: looks up one embedding row per token (nn.Embedding forward).
//
//   out[n, e] = W[tokens[n], e]        n < N, e < E
//
// Token ids were checked on the CPU to lie in [0, V) before upload, so the row index is in bounds.
// Grid: linear over N·E invocations, 64 per workgroup, folded into (x, y) when the workgroup count
// passes the per-dimension limit: i = (gid.y · num_workgroups.x) · 64 + gid.x.

struct Params {
  N: u32, E: u32,
  w_off: u32,  // W (V, E) in w
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> index: array<u32>;      // tokens (N) at element 0 (then the CSR, see embedding_grad)
@group(0) @binding(2) var<storage, read> w: array<f32>;          // flat parameters: W (V, E) at w_off
@group(0) @binding(3) var<storage, read_write> out: array<f32>;  // (N, E)

@compute @workgroup_size(64, 1, 1)
fn embedding_gather(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * 64u + gid.x;
  if (i >= P.N * P.E) { return; }
  let n = i / P.E;
  let e = i - n * P.E;
  out[i] = w[P.w_off + index[n] * P.E + e];
}
