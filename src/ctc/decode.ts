/**
 * Decoding CTC outputs into label sequences: greedy (best path) and prefix beam search. Both read
 * per-step scores on the CPU — logits or log-probabilities (T, B, C), time-major, as a CtcLoss
 * consumes them (read a GPU tensor back with `await logits.read()`).
 */
import { WebRnnError } from '../errors.js';

/** Options shared by the decoders. */
export interface CtcDecodeOptions {
  /** The blank class id (default 0). */
  blank?: number;
  /** Valid steps per row, each 1..T (default T). */
  input_lengths?: ArrayLike<number>;
}

/**
 * The course's rule for reading a CTC path: collapse repeated labels not separated by a blank, then
 * drop the blanks.
 *
 * @example ctcCollapse([0, 1, 1, 0, 1, 2, 2, 0], 0) // [1, 1, 2]
 */
export function ctcCollapse(path: ArrayLike<number>, blank = 0): number[] {
  const out: number[] = [];
  let prev = -1;
  for (let t = 0; t < path.length; t++) {
    const c = path[t];
    if (c !== prev && c !== blank) out.push(c);
    prev = c;
  }
  return out;
}

/**
 * Greedy (best-path) decoding: the most likely class at each step, collapsed with {@link ctcCollapse}.
 * Works on logits or log-probabilities alike (the argmax is the same).
 *
 * @param scores (T, B, C) time-major
 * @returns B label sequences
 * @example
 * const logits = engine.tensor(new Float32Array(6 * 2 * 5), [6, 2, 5]); // (T, B, C) scores, class 0 the blank
 * const labels = ctcGreedyDecode(await logits.read(), logits.shape, { input_lengths: [6, 4] }); // number[][]: one label list per row
 */
export function ctcGreedyDecode(scores: ArrayLike<number>, shape: readonly [number, number, number] | readonly number[], opts: CtcDecodeOptions = {}): number[][] {
  const { B, C, blank, lengths } = checkDecode('ctcGreedyDecode', scores, shape, opts);
  const out: number[][] = [];
  for (let b = 0; b < B; b++) {
    const path: number[] = [];
    for (let t = 0; t < lengths[b]; t++) {
      const o = (t * B + b) * C;
      let best = 0;
      for (let c = 1; c < C; c++) if (scores[o + c] > scores[o + best]) best = c;
      path.push(best);
    }
    out.push(ctcCollapse(path, blank));
  }
  return out;
}

/** One result of a prefix beam search. */
export interface CtcHypothesis {
  labels: number[];
  /** log p(labels | x): the sum over every path that collapses to them (within the kept beams). */
  log_prob: number;
}

export interface CtcBeamOptions extends CtcDecodeOptions {
  /** Prefixes kept after each step (default 8). */
  beam_width?: number;
  /** Whether `scores` are logits (default) or already log-probabilities. */
  input?: 'logits' | 'log_probs';
}

const logAdd = (a: number, b: number): number => {
  const m = Math.max(a, b);
  return m === -Infinity ? -Infinity : m + Math.log(Math.exp(a - m) + Math.exp(b - m));
};

/**
 * Prefix beam search (Hannun et al., 2014, without a language model): keeps the `beam_width` most
 * probable label prefixes, each with the probability of the paths ending in a blank (p_b) and in its
 * last label (p_nb), so that paths collapsing to the same prefix are summed rather than compared —
 * unlike greedy decoding, which follows the single best path. Extending a prefix by its own last
 * label only counts paths with a blank in between; repeating it without a blank stays on the prefix.
 * Ties are broken by the order prefixes were made (deterministic). In float64 on the CPU.
 *
 * @param scores (T, B, C) time-major
 * @returns per row, up to beam_width hypotheses, most probable first
 * @example
 * const logits = engine.tensor(new Float32Array(6 * 1 * 5), [6, 1, 5]); // (T, 1, C) scores of one utterance
 * const [[best]] = ctcPrefixBeamSearch(await logits.read(), logits.shape, { beam_width: 16 });
 * console.log(best.labels, Math.exp(best.log_prob));
 */
export function ctcPrefixBeamSearch(scores: ArrayLike<number>, shape: readonly number[], opts: CtcBeamOptions = {}): CtcHypothesis[][] {
  const { B, C, blank, lengths } = checkDecode('ctcPrefixBeamSearch', scores, shape, opts, ['beam_width', 'input']);
  const K = opts.beam_width ?? 8;
  if (!Number.isInteger(K) || K < 1) throw new WebRnnError('BAD_VALUE', `ctcPrefixBeamSearch: beam_width must be a positive integer, got ${JSON.stringify(opts.beam_width)}`);
  const input = opts.input ?? 'logits';
  if (input !== 'logits' && input !== 'log_probs') throw new WebRnnError('BAD_VALUE', `ctcPrefixBeamSearch: input must be 'logits' or 'log_probs', got ${JSON.stringify(input)}`);
  const results: CtcHypothesis[][] = [];
  const lp = new Float64Array(C);
  for (let b = 0; b < B; b++) {
    type Beam = { labels: number[]; pb: number; pnb: number };
    let beams = new Map<string, Beam>([['', { labels: [], pb: 0, pnb: -Infinity }]]);
    for (let t = 0; t < lengths[b]; t++) {
      const o = (t * B + b) * C;
      let m = -Infinity;
      for (let c = 0; c < C; c++) m = Math.max(m, scores[o + c]);
      let s = 0;
      for (let c = 0; c < C; c++) s += Math.exp(scores[o + c] - m);
      const lse = input === 'logits' ? m + Math.log(s) : 0;
      for (let c = 0; c < C; c++) lp[c] = scores[o + c] - lse;
      const next = new Map<string, Beam>();
      const at = (labels: number[], key: string): Beam => {
        let x = next.get(key);
        if (!x) next.set(key, (x = { labels, pb: -Infinity, pnb: -Infinity }));
        return x;
      };
      for (const [key, beam] of beams) {
        const total = logAdd(beam.pb, beam.pnb);
        const last = beam.labels.length > 0 ? beam.labels[beam.labels.length - 1] : -1;
        const stay = at(beam.labels, key);
        stay.pb = logAdd(stay.pb, total + lp[blank]);
        for (let c = 0; c < C; c++) {
          if (c === blank) continue;
          const labels = [...beam.labels, c];
          const ext = at(labels, key === '' ? `${c}` : `${key},${c}`);
          if (c === last) {
            ext.pnb = logAdd(ext.pnb, beam.pb + lp[c]);
            stay.pnb = logAdd(stay.pnb, beam.pnb + lp[c]);
          } else {
            ext.pnb = logAdd(ext.pnb, total + lp[c]);
          }
        }
      }
      const ranked = [...next.entries()].map(([k, v], i) => ({ k, v, i, p: logAdd(v.pb, v.pnb) }));
      ranked.sort((x, y) => y.p - x.p || x.i - y.i);
      beams = new Map(ranked.slice(0, K).map((r) => [r.k, r.v]));
    }
    const hyps = [...beams.values()].map((v) => ({ labels: v.labels, log_prob: logAdd(v.pb, v.pnb) }));
    results.push(hyps.filter((h) => h.log_prob > -Infinity));
  }
  return results;
}

function checkDecode(
  what: string,
  scores: ArrayLike<number>,
  shape: readonly number[],
  opts: CtcDecodeOptions,
  extra: string[] = [],
): { T: number; B: number; C: number; blank: number; lengths: number[] } {
  if (opts === null || typeof opts !== 'object') throw new WebRnnError('BAD_VALUE', `${what}: options must be an object`);
  for (const k of Object.keys(opts)) {
    if (!['blank', 'input_lengths', ...extra].includes(k)) throw new WebRnnError('BAD_VALUE', `${what}: unknown option "${k}"`);
  }
  if (!Array.isArray(shape) || shape.length !== 3 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new WebRnnError('BAD_SHAPE', `${what}: shape must be [T, B, C] of positive integers, got ${JSON.stringify(shape)}`);
  }
  const [T, B, C] = shape;
  if (!scores || scores.length !== T * B * C) throw new WebRnnError('BAD_SHAPE', `${what}: ${scores?.length} scores given, shape [${T}, ${B}, ${C}] needs ${T * B * C}`);
  const blank = opts.blank ?? 0;
  if (!Number.isInteger(blank) || blank < 0 || blank >= C) throw new WebRnnError('BAD_VALUE', `${what}: blank must be a class id in [0, ${C}), got ${JSON.stringify(opts.blank)}`);
  const lengths: number[] = [];
  if (opts.input_lengths !== undefined && opts.input_lengths.length !== B) throw new WebRnnError('BAD_LENGTHS', `${what}: input_lengths must have B = ${B} entries`);
  for (let b = 0; b < B; b++) {
    const L = opts.input_lengths ? opts.input_lengths[b] : T;
    if (!Number.isInteger(L) || L < 1 || L > T) throw new WebRnnError('BAD_LENGTHS', `${what}: input_lengths[${b}] = ${L}, must be an integer in 1..T = 1..${T}`);
    lengths.push(L);
  }
  return { T, B, C, blank, lengths };
}
