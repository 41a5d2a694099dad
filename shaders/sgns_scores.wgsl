// sgns_scores: skip-gram with negative sampling (Mikolov et al., 2013; the course's notation), the
// loss of each (context, target) pair and the coefficient of every score in the gradient.
//
//   s_ij = θ_{t_ij} · e_{c_i}          j = 0: the true target (y = 1); j = 1..K: negatives (y = 0)
//   row_loss[i]  = scale · Σ_j −log σ((2y_ij − 1) s_ij)     (= softplus(−s) for y = 1, softplus(s) for y = 0)
//   coef[i, j]   = scale · (σ(s_ij) − y_ij)                 (= ∂ loss / ∂ s_ij)
//
// so that ∂loss/∂e_c = Σ_{i: c_i = c} Σ_j coef_ij θ_{t_ij} and ∂loss/∂θ_t = Σ_{(i, j): t_ij = t} coef_ij e_{c_i}
// (summed per id by weighted_segment_sum, deterministically). scale = 1/N for the mean over pairs.
// softplus and σ in their overflow-free forms.
// Shapes: params holds embedding (V, E) at emb_off and theta (V, E) at theta_off (elements);
// index holds context ids (N) at ctx_off and target ids (N, K + 1) at tgt_off (true target first).
// Grid: one invocation per pair, 64 per workgroup, folded: i = gid.y · num_workgroups.x · 64 + gid.x.

struct Params {
  N: u32,
  K1: u32,         // K + 1 targets per pair
  E: u32,
  emb_off: u32,
  theta_off: u32,
  ctx_off: u32,
  tgt_off: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> params: array<f32>;         // embedding (V, E) | theta (V, E)
@group(0) @binding(2) var<storage, read> index: array<u32>;          // context (N) | targets (N, K + 1) | …
@group(0) @binding(3) var<storage, read_write> coef: array<f32>;     // (N, K + 1)
@group(0) @binding(4) var<storage, read_write> row_loss: array<f32>; // (N)

fn softplus(x: f32) -> f32 { return max(x, 0.0) + log(1.0 + exp(-abs(x))); }
fn sigmoid(x: f32) -> f32 {
  let z = exp(-abs(x));
  return select(z / (1.0 + z), 1.0 / (1.0 + z), x >= 0.0);
}

@compute @workgroup_size(64, 1, 1)
fn sgns_scores(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * 64u + gid.x;
  if (i >= P.N) { return; }
  let e = P.emb_off + index[P.ctx_off + i] * P.E;
  var loss = 0.0;
  for (var j = 0u; j < P.K1; j++) {
    let th = P.theta_off + index[P.tgt_off + i * P.K1 + j] * P.E;
    var s = 0.0;
    for (var k = 0u; k < P.E; k++) { s += params[th + k] * params[e + k]; }
    let y = select(0.0, 1.0, j == 0u);
    loss += softplus(select(s, -s, j == 0u));
    coef[i * P.K1 + j] = P.scale * (sigmoid(s) - y);
  }
  row_loss[i] = P.scale * loss;
}
