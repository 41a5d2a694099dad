// one_hot_ids: one-hot rows for token ids that are already on the GPU (a generator's input when the
// model has no embedding: x<t> is a V-vector with a single 1, as in the course's character models;
// OneHot.forward of a uint32 / int32 tensor).
//
//   out[n, v] = 1 if min(ids[ids_off + t·N + n], V − 1) == v else 0        n < N, v < V;  t = step.t
//
// The ids were never checked on the CPU: an id ≥ V is clamped to V − 1.
// Grid: linear over N·V invocations, 64 per workgroup, folded as in embedding_gather_ids.

struct Params {
  N: u32, V: u32,
  ids_off: u32,  // element of ids for t = 0
}
struct Step { t: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>;        // (…, N) token ids
@group(0) @binding(2) var<storage, read_write> out: array<f32>;  // (N, V)
@group(1) @binding(0) var<uniform> step: Step;

@compute @workgroup_size(64, 1, 1)
fn one_hot_ids(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * 64u + gid.x;
  if (i >= P.N * P.V) { return; }
  let n = i / P.V;
  let id = min(ids[P.ids_off + step.t * P.N + n], P.V - 1u);
  out[i] = select(0.0, 1.0, id == i - n * P.V);
}
