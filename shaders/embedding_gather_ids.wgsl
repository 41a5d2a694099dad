// embedding_gather_ids: embedding rows for token ids that are already on the GPU (sampled ids fed back
// by a generator, beam tokens), so no CPU round trip is needed between steps.
//
//   out[n, e] = W[min(ids[ids_off + t·N + n], V − 1), e]        n < N, e < E;  t = step.t
//
// The ids were never checked on the CPU: an id ≥ V is clamped to V − 1 (it never reads outside W).
// t picks a row of an (…, N) id buffer per dispatch through the dynamic-offset `step` uniform, so one
// recording serves every step of a generation.
// Grid: linear over N·E invocations, 64 per workgroup, folded: i = (wid.y · num_workgroups.x + wid.x)·64 + lid.

struct Params {
  N: u32, E: u32, V: u32,
  w_off: u32,    // W (V, E) in w
  ids_off: u32,  // element of ids for t = 0
}
struct Step { t: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>;        // (…, N) token ids
@group(0) @binding(2) var<storage, read> w: array<f32>;          // flat parameters: W (V, E) at w_off
@group(0) @binding(3) var<storage, read_write> out: array<f32>;  // (N, E)
@group(1) @binding(0) var<uniform> step: Step;

@compute @workgroup_size(64, 1, 1)
fn embedding_gather_ids(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * 64u + gid.x;
  if (i >= P.N * P.E) { return; }
  let n = i / P.E;
  let e = i - n * P.E;
  let id = min(ids[P.ids_off + step.t * P.N + n], P.V - 1u);
  out[i] = w[P.w_off + id * P.E + e];
}
