/**
 * The course's debiasing of word embeddings (Bolukbasi et al., 2016): identify a bias direction g,
 * neutralize words that should be neutral (remove their component along g), and equalize pairs that
 * should differ only along g (make them equidistant from every neutralized word). All in float64.
 */
import { WebRnnError } from '../errors.js';
import type { WordVectors } from './word-vectors.js';

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/**
 * The bias direction from definitional pairs, e.g. [['woman', 'man'], ['girl', 'boy'], ['she', 'he']]:
 * 'mean' (default) averages e_a − e_b over the pairs (the course's g = e_woman − e_man, averaged);
 * 'pca' takes the first principal component of the pairs' vectors around each pair's mean
 * (Bolukbasi et al.), signed to agree with the mean difference.
 *
 * @example const g = biasDirection(wv, [['woman', 'man'], ['mother', 'father']]);
 */
export function biasDirection(vectors: WordVectors, pairs: readonly (readonly [string, string])[], method: 'mean' | 'pca' = 'mean'): Float64Array {
  if (!Array.isArray(pairs) || pairs.length === 0) throw new WebRnnError('BAD_VALUE', 'biasDirection: give at least one pair of words');
  const D = vectors.dim;
  const mean = new Float64Array(D);
  for (const [a, b] of pairs) {
    const ea = vectors.vector(a), eb = vectors.vector(b);
    for (let d = 0; d < D; d++) mean[d] += (ea[d] - eb[d]) / pairs.length;
  }
  if (method === 'mean') return mean;
  if (method !== 'pca') throw new WebRnnError('BAD_VALUE', `biasDirection: method must be 'mean' or 'pca', got ${JSON.stringify(method)}`);
  // rows: e_a − μ and e_b − μ of each pair; power iteration on their scatter matrix
  const rows: Float64Array[] = [];
  for (const [a, b] of pairs) {
    const ea = vectors.vector(a), eb = vectors.vector(b);
    const r = new Float64Array(D);
    for (let d = 0; d < D; d++) r[d] = (ea[d] - eb[d]) / 2;
    rows.push(r, r.map((x) => -x));
  }
  let v = Float64Array.from(mean);
  if (dot(v, v) === 0) v.fill(1);
  for (let it = 0; it < 500; it++) {
    const w = new Float64Array(D);
    for (const r of rows) {
      const s = dot(r, v);
      for (let d = 0; d < D; d++) w[d] += s * r[d];
    }
    const n = Math.sqrt(dot(w, w));
    if (n === 0) break;
    for (let d = 0; d < D; d++) w[d] /= n;
    const change = Math.abs(Math.abs(dot(w, v) / Math.sqrt(dot(v, v))) - 1);
    v = w;
    if (change < 1e-15) break;
  }
  if (dot(v, mean) < 0) v = v.map((x) => -x);
  return v;
}

/**
 * e_bias_component = (e·g / ‖g‖²) g; returns e − e_bias_component, which is orthogonal to g.
 * @example
 * const g = biasDirection(wv, [['woman', 'man']]);
 * neutralize(wv.vector('receptionist'), g);
 */
export function neutralize(e: ArrayLike<number>, g: ArrayLike<number>): Float64Array {
  checkDims(e, g, 'neutralize');
  const gg = dot(g, g);
  if (gg === 0) throw new WebRnnError('BAD_VALUE', 'neutralize: the bias direction is the zero vector');
  const k = dot(e, g) / gg;
  return Float64Array.from(e, (x, i) => x - k * g[i]);
}

/**
 * The course's equalization of a pair (w1, w2) along g (for unit-length embeddings):
 *
 *   μ = (e_w1 + e_w2)/2,  μ_B = (μ·g/‖g‖²) g,  μ_⊥ = μ − μ_B
 *   e_wiB = (e_wi·g/‖g‖²) g
 *   e_wiB_corrected = √|1 − ‖μ_⊥‖²| · (e_wiB − μ_B) / ‖(e_wi − μ_⊥) − μ_B‖
 *   e_wi' = e_wiB_corrected + μ_⊥
 *
 * Afterwards the two differ only along g, by opposite amounts, and share the component μ_⊥
 * orthogonal to g, so any neutralized word is equally similar to both.
 *
 * @example
 * const g = biasDirection(wv, [['woman', 'man']]);
 * const [grandmother, grandfather] = equalize(wv.vector('grandmother'), wv.vector('grandfather'), g);
 */
export function equalize(e1: ArrayLike<number>, e2: ArrayLike<number>, g: ArrayLike<number>): [Float64Array, Float64Array] {
  checkDims(e1, g, 'equalize');
  checkDims(e2, g, 'equalize');
  const gg = dot(g, g);
  if (gg === 0) throw new WebRnnError('BAD_VALUE', 'equalize: the bias direction is the zero vector');
  const D = g.length;
  const mu = Float64Array.from({ length: D }, (_, i) => (e1[i] + e2[i]) / 2);
  const muB = Float64Array.from(g, (x) => (dot(mu, g) / gg) * x);
  const muOrth = mu.map((x, i) => x - muB[i]);
  const scale = Math.sqrt(Math.abs(1 - dot(muOrth, muOrth)));
  const fix = (e: ArrayLike<number>) => {
    const eB = Float64Array.from(g, (x) => (dot(e, g) / gg) * x);
    const diff = Float64Array.from({ length: D }, (_, i) => e[i] - muOrth[i] - muB[i]);
    const n = Math.sqrt(dot(diff, diff));
    return Float64Array.from({ length: D }, (_, i) => (n === 0 ? 0 : (scale * (eB[i] - muB[i])) / n) + muOrth[i]);
  };
  return [fix(e1), fix(e2)];
}

/**
 * Neutralizes `neutral` words and equalizes `pairs` of a vector table (normalised to unit length
 * first, as the course's formulas assume); returns a new table.
 *
 * @example
 * const g = biasDirection(wv, [['woman', 'man']]);
 * const fair = debias(wv, g, { neutral: ['receptionist', 'engineer'], pairs: [['actress', 'actor']] });
 */
export function debias(vectors: WordVectors, g: ArrayLike<number>, opts: { neutral?: readonly string[]; pairs?: readonly (readonly [string, string])[] }): WordVectors {
  const unit = vectors.normalized();
  const out = new Map<string, Float64Array>();
  for (const w of opts.neutral ?? []) out.set(w, neutralize(unit.vector(w), g));
  for (const [a, b] of opts.pairs ?? []) {
    const [ea, eb] = equalize(unit.vector(a), unit.vector(b), g);
    out.set(a, ea);
    out.set(b, eb);
  }
  return unit.withVectors(out);
}

function checkDims(e: ArrayLike<number>, g: ArrayLike<number>, what: string): void {
  if (e.length !== g.length) throw new WebRnnError('BAD_SHAPE', `${what}: a vector of ${e.length} values and a direction of ${g.length}`);
}
