/**
 * Float64 references of the word-vector losses of src/embeddings/, same layouts: the mean loss over a
 * batch and its gradient with respect to every table (untouched rows 0).
 */

const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * Skip-gram with negative sampling: loss = (1/N) Σ_i [softplus(−θ_{t_i0}·e_{c_i}) + Σ_{k≥1} softplus(θ_{t_ik}·e_{c_i})].
 * @param embedding (V, E) e
 * @param theta (V, E) θ
 * @param context (N)
 * @param targets (N, K + 1), true target first
 */
export function refSkipGramLoss(embedding: Float64Array, theta: Float64Array, E: number, context: ArrayLike<number>, targets: ArrayLike<number>): { loss: number; grad_embedding: Float64Array; grad_theta: Float64Array } {
  const N = context.length;
  const K1 = targets.length / N;
  const ge = new Float64Array(embedding.length);
  const gt = new Float64Array(theta.length);
  let loss = 0;
  for (let i = 0; i < N; i++) {
    const c = context[i];
    for (let j = 0; j < K1; j++) {
      const t = targets[i * K1 + j];
      let s = 0;
      for (let k = 0; k < E; k++) s += theta[t * E + k] * embedding[c * E + k];
      const y = j === 0 ? 1 : 0;
      loss += softplus(y ? -s : s) / N;
      const g = (sigmoid(s) - y) / N;
      for (let k = 0; k < E; k++) {
        ge[c * E + k] += g * theta[t * E + k];
        gt[t * E + k] += g * embedding[c * E + k];
      }
    }
  }
  return { loss, grad_embedding: ge, grad_theta: gt };
}

/**
 * GloVe: loss = (1/N) Σ_n f(X_n) (θ_{i_n}·e_{j_n} + b_{i_n} + b'_{j_n} − log X_n)², f(x) = min((x/x_max)^α, 1).
 */
export function refGloveLoss(
  p: { theta: Float64Array; embedding: Float64Array; b: Float64Array; b_prime: Float64Array },
  E: number,
  rows: ArrayLike<number>,
  cols: ArrayLike<number>,
  counts: ArrayLike<number>,
  x_max = 100,
  alpha = 0.75,
): { loss: number; grads: { theta: Float64Array; embedding: Float64Array; b: Float64Array; b_prime: Float64Array } } {
  const N = rows.length;
  const g = { theta: new Float64Array(p.theta.length), embedding: new Float64Array(p.embedding.length), b: new Float64Array(p.b.length), b_prime: new Float64Array(p.b_prime.length) };
  let loss = 0;
  for (let n = 0; n < N; n++) {
    const i = rows[n];
    const j = cols[n];
    const x = counts[n];
    let s = 0;
    for (let k = 0; k < E; k++) s += p.theta[i * E + k] * p.embedding[j * E + k];
    const d = s + p.b[i] + p.b_prime[j] - Math.log(x);
    const f = x < x_max ? Math.pow(x / x_max, alpha) : 1;
    loss += (f * d * d) / N;
    const c = (2 * f * d) / N;
    for (let k = 0; k < E; k++) {
      g.theta[i * E + k] += c * p.embedding[j * E + k];
      g.embedding[j * E + k] += c * p.theta[i * E + k];
    }
    g.b[i] += c;
    g.b_prime[j] += c;
  }
  return { loss, grads: g };
}
