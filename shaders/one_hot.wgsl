// one_hot: float one-hot rows of token ids (F.one_hot(tokens, V).float()).
//
//   out[n, v] = 1 if tokens[n] == v else 0        n < N, v < V
//
// Token ids were checked on the CPU to lie in [0, V).
// Grid: linear over N·V invocations, 64 per workgroup, folded into (x, y) as in embedding_gather.

struct Params { N: u32, V: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> tokens: array<u32>;     // (N)
@group(0) @binding(2) var<storage, read_write> out: array<f32>;  // (N, V)

@compute @workgroup_size(64, 1, 1)
fn one_hot(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * 64u + gid.x;
  if (i >= P.N * P.V) { return; }
  let n = i / P.V;
  out[i] = select(0.0, 1.0, tokens[n] == i - n * P.V);
}
