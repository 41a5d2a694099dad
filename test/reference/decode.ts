/**
 * Float64 references of decoding (src/decode): log-softmax, greedy choice, the temperature / top-k /
 * top-p filtered distribution a sampler draws from, and beam search over any step function — plus a
 * step function for an embedding (or one-hot) → recurrent stack → dense head model built from the
 * other references, so GPU decoding can be checked against a float64 run of the same model.
 */
import { resolveConfig, type RecurrentConfig } from '../../src/layers/recurrent-config.js';
import { refDenseForward } from './dense.js';
import { fmix } from './random.js';
import { refRecurrentForward } from './recurrent.js';

/**
 * log softmax of every row (R, V): x − m − log Σ exp(x − m), max-subtracted.
 *
 * @example
 * refLogSoftmax(Float64Array.of(0, 0), 2); // [−log 2, −log 2]
 */
export function refLogSoftmax(logits: ArrayLike<number>, V: number): Float64Array {
  const out = new Float64Array(logits.length);
  for (let r = 0; r * V < logits.length; r++) {
    let m = -Infinity;
    for (let i = 0; i < V; i++) m = Math.max(m, logits[r * V + i]);
    let s = 0;
    for (let i = 0; i < V; i++) s += Math.exp(logits[r * V + i] - m);
    const lse = m + Math.log(s);
    for (let i = 0; i < V; i++) out[r * V + i] = m === -Infinity ? -Infinity : logits[r * V + i] - lse;
  }
  return out;
}

/**
 * The argmax of every row (R, V), lowest id on ties; NaN counts as −∞.
 *
 * @example
 * refGreedy([1, 3, 3, 0], 4); // [1]
 */
export function refGreedy(logits: ArrayLike<number>, V: number): number[] {
  const out: number[] = [];
  for (let r = 0; r * V < logits.length; r++) {
    let best = 0;
    let bv = -Infinity;
    for (let i = 0; i < V; i++) {
      const v = logits[r * V + i];
      if (v > bv) [best, bv] = [i, v];
    }
    out.push(best);
  }
  return out;
}

export interface RefFilterOptions {
  /** default 1 */
  temperature?: number;
  /** 0 / absent: off */
  top_k?: number;
  /** 1 / absent: off */
  top_p?: number;
}

/**
 * One row of logits as a sampler sees it: divided by the temperature, then top-k (keep values ≥ the
 * k-th largest), then top-p (keep values ≥ τ, τ the value at which the sorted cumulative probability
 * of the top-k survivors first reaches top_p) — removed entries are −∞. Ties at either cut are all
 * kept. Hugging Face's Temperature → TopK → TopP warpers, with that tie rule.
 *
 * @example
 * refFilterLogits([3, 2, 1, 0], { top_k: 2 }); // [3, 2, −∞, −∞]
 */
export function refFilterLogits(row: ArrayLike<number>, opts: RefFilterOptions = {}): Float64Array {
  const T = opts.temperature ?? 1;
  const z = Float64Array.from(row, (x) => (Number.isNaN(x) ? -Infinity : x / T));
  const V = z.length;
  const k = opts.top_k ?? 0;
  if (k > 0 && k < V) {
    const kth = [...z].sort((a, b) => b - a)[k - 1];
    for (let i = 0; i < V; i++) if (z[i] < kth) z[i] = -Infinity;
  }
  const p = opts.top_p ?? 1;
  if (p < 1) {
    const probs = softmaxRow(z);
    const order = [...z.keys()].sort((a, b) => z[b] - z[a] || a - b);
    let cum = 0;
    let tau = z[order[0]];
    for (const i of order) {
      cum += probs[i];
      tau = z[i];
      if (cum >= p) break;
    }
    for (let i = 0; i < V; i++) if (z[i] < tau) z[i] = -Infinity;
  }
  return z;
}

/**
 * The distribution a sampler draws from for one row: softmax of {@link refFilterLogits}.
 *
 * @example
 * refSamplingProbs([0, 0, -Infinity]); // [0.5, 0.5, 0]
 */
export function refSamplingProbs(row: ArrayLike<number>, opts: RefFilterOptions = {}): Float64Array {
  return softmaxRow(refFilterLogits(row, opts));
}

function softmaxRow(z: Float64Array): Float64Array {
  let m = -Infinity;
  for (const v of z) m = Math.max(m, v);
  const e = z.map((v) => (v === -Infinity ? 0 : Math.exp(v - m)));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** One step of a model: feed `token` in `state`, get the next-token logits and the new state. */
export type RefStepFn<S> = (state: S, token: number) => { logits: Float64Array; state: S };

export interface RefBeamOptions {
  beam_width: number;
  /** All but the last are fed first; the last is the beams' first input. */
  prime: readonly number[];
  max_length: number;
  eos?: number;
  /** default 0.7 */
  alpha?: number;
}

export interface RefHypothesis {
  tokens: number[];
  log_prob: number;
  score: number;
  finished: boolean;
}

/**
 * Beam search in float64, the rules of src/decode/beam.ts: every live beam's V extensions scored by
 * accumulated log-prob; the best 2K of all K·V (ties: lower beam, then lower token) are taken in order;
 * an EOS among the first K finishes a hypothesis with score log_prob / Ty^α; the first K non-EOS become
 * the next beams. Stops when K hypotheses are finished, no beam is left, or at max_length (live beams
 * then join unfinished). Returns the best K by score.
 *
 * @example
 * const best = refBeamSearch(step, state0, { beam_width: 3, prime: [SOS], max_length: 10, eos: EOS });
 */
export function refBeamSearch<S>(step: RefStepFn<S>, init: S, opts: RefBeamOptions): RefHypothesis[] {
  const K = opts.beam_width;
  const alpha = opts.alpha ?? 0.7;
  let state = init;
  for (let s = 0; s + 1 < opts.prime.length; s++) state = step(state, opts.prime[s]).state;
  let live: { tokens: number[]; logp: number; state: S; input: number }[] = [{ tokens: [], logp: 0, state, input: opts.prime[opts.prime.length - 1] }];
  const finished: RefHypothesis[] = [];
  for (let len = 1; len <= opts.max_length; len++) {
    const cands: { score: number; beam: number; token: number; state: S }[] = [];
    live.forEach((b, beam) => {
      const r = step(b.state, b.input);
      const lp = refLogSoftmax(r.logits, r.logits.length);
      lp.forEach((v, token) => cands.push({ score: b.logp + v, beam, token, state: r.state }));
    });
    cands.sort((a, b) => b.score - a.score || a.beam - b.beam || a.token - b.token);
    const next: typeof live = [];
    for (let j = 0; j < 2 * K && j < cands.length && next.length < K; j++) {
      const c = cands[j];
      if (!(c.score > -Infinity)) break;
      const tokens = [...live[c.beam].tokens, c.token];
      if (c.token === opts.eos) {
        if (j < K) finished.push({ tokens, log_prob: c.score, score: c.score / Math.pow(len, alpha), finished: true });
        continue;
      }
      next.push({ tokens, logp: c.score, state: c.state, input: c.token });
    }
    if (finished.length >= K || next.length === 0) break;
    if (len === opts.max_length) {
      for (const b of next) finished.push({ tokens: b.tokens, log_prob: b.logp, score: b.logp / Math.pow(len, alpha), finished: false });
      break;
    }
    live = next;
  }
  return finished.sort((a, b) => b.score - a.score).slice(0, K);
}

/**
 * Greedy generation: feed prime, then `steps` times take the argmax and feed it back.
 *
 * @example
 * refGreedyGenerate(step, state0, [SOS], 20); // 20 ids
 */
export function refGreedyGenerate<S>(step: RefStepFn<S>, init: S, prime: readonly number[], steps: number): number[] {
  let state = init;
  let token = prime[0];
  const out: number[] = [];
  for (let s = 0; s < prime.length - 1 + steps; s++) {
    const r = step(state, token);
    state = r.state;
    if (s < prime.length - 1) token = prime[s + 1];
    else out.push((token = refGreedy(r.logits, r.logits.length)[0]));
  }
  return out;
}

/** State of {@link refDecoderStep}: (L, 1, H) hidden and, for LSTM, cell states. */
export interface RefDecoderState {
  h: Float64Array;
  c?: Float64Array;
}

/** Float64 weights of a decoder model (the GPU DecoderModel's pieces). */
export interface RefDecoderWeights {
  /** Recurrent config (unidirectional) and parameters by state_dict name. */
  config: RecurrentConfig;
  params: Record<string, Float64Array>;
  /** Embedding W (Vin, input_size); absent: one-hot input of width input_size. */
  embedding?: Float64Array;
  /** Head W (V, H) and b (V). */
  head_weight: Float64Array;
  head_bias?: Float64Array;
}

/**
 * The step function of an embedding (or one-hot) → recurrent stack → dense head model, batch 1, from
 * the float64 references, plus its zero state.
 *
 * @example
 * const { step, zero } = refDecoderStep(weights);
 * const { logits, state } = step(zero, SOS);
 */
export function refDecoderStep(w: RefDecoderWeights): { step: RefStepFn<RefDecoderState>; zero: RefDecoderState } {
  const c = resolveConfig(w.config);
  const I = c.input_size;
  const H = c.hidden_size;
  const V = w.head_weight.length / H;
  const lstm = c.mode === 'LSTM';
  const step: RefStepFn<RefDecoderState> = (state, token) => {
    const x = w.embedding ? w.embedding.slice(token * I, (token + 1) * I) : Float64Array.from({ length: I }, (_, i) => (i === token ? 1 : 0));
    const f = refRecurrentForward(w.config, w.params, { input: x, T: 1, B: 1, h0: state.h, ...(lstm ? { c0: state.c } : {}) });
    const logits = refDenseForward(f.output, w.head_weight, w.head_bias, H, V);
    return { logits, state: lstm ? { h: f.h_n, c: f.c_n } : { h: f.h_n } };
  };
  const zero: RefDecoderState = lstm ? { h: new Float64Array(c.num_layers * H), c: new Float64Array(c.num_layers * H) } : { h: new Float64Array(c.num_layers * H) };
  return { step, zero };
}

/**
 * The uniform number sample_logits draws for (seed, draw, row): u = (hash >> 8) / 2²⁴ ∈ [0, 1), the
 * same integer arithmetic as the shader, so a CPU can predict every GPU draw.
 *
 * @example
 * refSampleUniform(42, 0, 3); // same value on every host
 */
export function refSampleUniform(seed: number, draw: number, row: number): number {
  const h = fmix((fmix((fmix((seed ^ 0x9e3779b9) >>> 0) ^ Math.imul(draw, 0x632be5ab)) >>> 0) ^ row) >>> 0);
  return (h >>> 8) / 16777216;
}

/**
 * Inverse-CDF draw in id order: the first i whose cumulative probability exceeds u (the last id with
 * non-zero probability if rounding leaves u past the total).
 *
 * @example
 * refDraw([0.2, 0.5, 0.3], 0.65); // 1
 */
export function refDraw(probs: ArrayLike<number>, u: number): number {
  let cum = 0;
  let last = 0;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] <= 0) continue;
    cum += probs[i];
    last = i;
    if (cum > u) return i;
  }
  return last;
}
