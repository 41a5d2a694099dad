// cross_entropy_target_weights: the per-row targets and weights of softmax_cross_entropy(_small) from
// class ids that are already on the GPU (a uint32 / int32 tensor), so the loss needs no CPU round trip.
//
//   t[n] = min(ids[n], C − 1)
//   k[n] = mask[n] if ids[n] ≠ ignore else 0          (ids and ignore compared as 32-bit patterns)
//   w[n] = k[n] · (mean ? (K > 0 ? 1 / K : 0) : 1),   K = Σ_m k[m]
//
// The ids were never checked on the CPU: an id ≥ C (a negative int32 id, read as u32 ≥ 2³¹, too) is
// clamped to C − 1 and counted, as embedding_gather_ids and one_hot_ids clamp theirs.
// Grid: (1, 1, 1): one workgroup of 256; invocation i walks rows n ≡ i (mod 256), K is summed in
// workgroup memory by a fixed tree (deterministic; exact, as a u32), then each invocation scales its rows.

struct Params {
  N: u32, C: u32,
  ignore: u32,  // ignore_index's 32-bit pattern (−100 → 0xffffff9c)
  mean: u32,    // 1: divide by the number of counted rows; 0: sum
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>;            // (N) class ids
@group(0) @binding(2) var<storage, read> mask: array<f32>;           // (N) 1 to count a row, 0 not to
@group(0) @binding(3) var<storage, read_write> targets: array<u32>;  // (N) t
@group(0) @binding(4) var<storage, read_write> weights: array<f32>;  // (N) w

var<workgroup> partial: array<u32, 256>;

@compute @workgroup_size(256, 1, 1)
fn cross_entropy_target_weights(@builtin(local_invocation_id) lid: vec3<u32>) {
  let i = lid.x;
  var k = 0u;
  for (var n = i; n < P.N; n += 256u) {
    let id = ids[n];
    let keep = id != P.ignore && mask[n] != 0.0;
    targets[n] = min(id, P.C - 1u);
    weights[n] = select(0.0, 1.0, keep);
    k += select(0u, 1u, keep);
  }
  partial[i] = k;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (i < s) { partial[i] += partial[i + s]; }
    workgroupBarrier();
  }
  if (P.mean == 0u) { return; }
  let count = partial[0];
  let scale = select(0.0, 1.0 / f32(count), count > 0u);
  for (var n = i; n < P.N; n += 256u) { weights[n] *= scale; }
}
