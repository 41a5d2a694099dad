// log_softmax_rows: log-probabilities of every row of logits, plus a per-row offset (beam search adds
// each beam's accumulated log-probability, so the row holds the scores of all its one-token extensions).
//
//   out[r, i] = x[r, i] − m_r − log Σ_j exp(x[r, j] − m_r) + add[r]      m_r = max_j x[r, j]
//   (max-subtracted: no overflow for large logits); has_add = 0: add[r] taken as 0.
//   A row whose logits are all −∞ gives −∞ everywhere.
//
// The 64 invocations of a workgroup stride over the row; max and sum are fixed-order trees, so results
// are deterministic. Grid: one workgroup per row, folded: r = wid.y · num_workgroups.x + wid.x.

struct Params {
  R: u32, V: u32,
  x_off: u32,     // element of x[0, 0]
  has_add: u32,   // 1: add add[r]
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;           // (R, V) logits
@group(0) @binding(2) var<storage, read> add: array<f32>;         // (R) per-row offsets
@group(0) @binding(3) var<storage, read_write> out: array<f32>;   // (R, V)

const WG = 64u;
//!include "shared/workgroup_reduce.wgsl"

@compute @workgroup_size(64, 1, 1)
fn log_softmax_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                    @builtin(local_invocation_index) lid: u32) {
  let r = wid.y * nwg.x + wid.x;
  if (r >= P.R) { return; }  // the same for the whole workgroup
  let V = P.V;
  let base = P.x_off + r * V;

  var m = -3.402823e38;
  for (var i = lid; i < V; i += WG) { m = max(m, x[base + i]); }
  m = workgroup_max(lid, m);

  var sum = 0.0;
  for (var i = lid; i < V; i += WG) { sum += exp(x[base + i] - m); }
  let total = workgroup_sum(lid, sum);
  let lse = m + log(total);
  let a = select(0.0, add[r], P.has_add != 0u);
  // total = 0 only when every logit is −∞: keep x (−∞) rather than −∞ − (−∞) = NaN
  for (var i = lid; i < V; i += WG) { out[r * V + i] = select(x[base + i] - lse, x[base + i], total == 0.0) + a; }
}
