// glove_residual: GloVe (Pennington et al., 2014; the course's notation), the weighted least-squares
// residual of each co-occurrence entry and its coefficient in the gradient.
//
//   d_n        = θ_i · e_j + b_i + b'_j − log X_ij          (i = rows[n], j = cols[n], X_ij = x[n] > 0)
//   f(X)       = (X / x_max)^α if X < x_max, else 1
//   row_loss[n] = scale · f(X_ij) · d_n²
//   coef[n]     = scale · 2 f(X_ij) d_n                       (= ∂ loss / ∂(θ_i · e_j) = ∂/∂b_i = ∂/∂b'_j)
//
// ∂loss/∂θ_i = Σ_{n: i_n = i} coef_n e_{j_n}, ∂loss/∂e_j = Σ_{n: j_n = j} coef_n θ_{i_n}, and the bias
// gradients are the coefficient sums per id (weighted_segment_sum). scale = 1/N for the mean.
// Shapes: params holds theta (V, E), embedding (V, E), b (V), b_prime (V) at the given element
// offsets; index holds rows (N) at rows_off and cols (N) at cols_off; x (N) co-occurrence values.
// Grid: one invocation per entry, 64 per workgroup, folded: n = gid.y · num_workgroups.x · 64 + gid.x.

struct Params {
  N: u32,
  E: u32,
  theta_off: u32,
  emb_off: u32,
  b_off: u32,
  b_prime_off: u32,
  rows_off: u32,
  cols_off: u32,
  x_max: f32,
  alpha: f32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> params: array<f32>;         // theta | embedding | b | b_prime
@group(0) @binding(2) var<storage, read> index: array<u32>;          // rows (N) | cols (N) | …
@group(0) @binding(3) var<storage, read> x: array<f32>;              // (N) X_ij
@group(0) @binding(4) var<storage, read_write> coef: array<f32>;     // (N)
@group(0) @binding(5) var<storage, read_write> row_loss: array<f32>; // (N)

@compute @workgroup_size(64, 1, 1)
fn glove_residual(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = gid.y * nwg.x * 64u + gid.x;
  if (n >= P.N) { return; }
  let i = index[P.rows_off + n];
  let j = index[P.cols_off + n];
  let th = P.theta_off + i * P.E;
  let e = P.emb_off + j * P.E;
  var s = 0.0;
  for (var k = 0u; k < P.E; k++) { s += params[th + k] * params[e + k]; }
  let X = x[n];
  let d = s + params[P.b_off + i] + params[P.b_prime_off + j] - log(X);
  let f = select(1.0, pow(X / P.x_max, P.alpha), X < P.x_max);
  row_loss[n] = P.scale * f * d * d;
  coef[n] = P.scale * 2.0 * f * d;
}
