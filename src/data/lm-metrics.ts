/**
 * Language-model scores on the CPU from per-token log-probabilities ln p(y<t> | y<1>…y<t−1>)
 * (natural log, what log_softmax gives). With N counted tokens:
 *
 *   ln P(sentence)       = Σ_t ln p<t>                       (sequenceLogProb)
 *   perplexity           = exp(−(1/N) Σ_t ln p<t>)            (perplexity)
 *   bits per character   = −(1/C) Σ_t log₂ p<t>
 *                        = −(1/C) Σ_t ln p<t> / ln 2         (bitsPerCharacter; C = N for a char model)
 *
 * Sums are compensated (Neumaier) in float64, so millions of tokens lose no precision.
 * A mask (1 = count, 0 = skip) leaves out padded positions, e.g. {@link sequenceMask}(lengths, T).
 */
import { WebRnnError } from '../errors.js';
import { describe, intOption, optionsOf } from '../checks.js';

/** Options shared by the metrics. */
export interface LmMetricOptions {
  /** One 0/1 entry per log-probability: 0 leaves that position out (padding). Default: all count. */
  mask?: ArrayLike<number | boolean>;
}

/** Options of {@link bitsPerCharacter}. */
export interface BitsPerCharacterOptions extends LmMetricOptions {
  /**
   * Characters the scored text has, when tokens are not characters (a word model's bits per
   * character divides the total by the text's length). Default: the number of counted tokens.
   */
  characters?: number;
}

/** Log-probabilities above 0 by at most this much are taken as rounding of ln 1 (float32 log-softmax). */
const LOGP_SLACK = 1e-6;

/** Sum and count of the counted log-probabilities. */
function sumLogProbs(what: string, logp: ArrayLike<number>, opts: LmMetricOptions | undefined): { sum: number; n: number } {
  const o = optionsOf(what, opts, what === 'bitsPerCharacter' ? ['mask', 'characters'] : ['mask'], { voice: 'option' });
  if (logp === null || typeof logp !== 'object' || typeof logp.length !== 'number') {
    throw new WebRnnError('BAD_VALUE', `${what}: logp must be a Float32Array, Float64Array or array of log-probabilities, got ${describe(logp)}`);
  }
  const mask = o.mask;
  if (mask !== undefined) {
    if (mask === null || typeof mask !== 'object' || typeof mask.length !== 'number') {
      throw new WebRnnError('BAD_VALUE', `${what}: mask must be an array of 0/1 or booleans, got ${describe(mask)}`);
    }
    if (mask.length !== logp.length) {
      throw new WebRnnError('BAD_SHAPE', `${what}: mask has ${mask.length} entries, expected one per log-probability (${logp.length})`);
    }
  }
  let sum = 0;
  let comp = 0;
  let n = 0;
  for (let i = 0; i < logp.length; i++) {
    if (mask) {
      const m = mask[i];
      if (m === 0 || m === false) continue;
      if (m !== 1 && m !== true) throw new WebRnnError('BAD_VALUE', `${what}: mask[${i}] is ${describe(m)}; a mask holds 0/1 or true/false`);
    }
    const v = logp[i];
    if (typeof v !== 'number' || Number.isNaN(v) || v > LOGP_SLACK) {
      throw new WebRnnError('BAD_VALUE', `${what}: logp[${i}] is ${describe(v)}; log-probabilities are ≤ 0 (−Infinity for p = 0)`);
    }
    n++;
    if (v === -Infinity) {
      sum = -Infinity;
      continue;
    }
    if (sum === -Infinity) continue;
    const t = sum + v;
    comp += Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum;
    sum = t;
  }
  return { sum: sum === -Infinity ? sum : sum + comp, n };
}

function needTokens(what: string, n: number): void {
  if (n === 0) throw new WebRnnError('BAD_SHAPE', `${what}: needs at least one counted log-probability, got none`);
}

/**
 * ln P(sequence) = Σ ln p<t>: the log-probability a language model gives a whole sequence
 * (0 for an empty one, −Infinity if any token has p = 0).
 * @example sequenceLogProb([Math.log(0.5), Math.log(0.25)]) // ln(0.125) ≈ −2.0794
 */
export function sequenceLogProb(logp: ArrayLike<number>, opts?: LmMetricOptions): number {
  return sumLogProbs('sequenceLogProb', logp, opts).sum;
}

/**
 * Mean negative log-likelihood per counted token, −(1/N) Σ ln p<t>, in nats (the cross-entropy
 * loss with reduction 'mean').
 * @example meanNll([Math.log(0.5), Math.log(0.25)]) // 1.0397
 */
export function meanNll(logp: ArrayLike<number>, opts?: LmMetricOptions): number {
  const { sum, n } = sumLogProbs('meanNll', logp, opts);
  needTokens('meanNll', n);
  return -sum / n;
}

/**
 * Perplexity exp(−(1/N) Σ ln p<t>): the geometric-mean inverse probability per token; a uniform
 * model over V tokens scores exactly V.
 * @example perplexity([Math.log(0.5), Math.log(0.125)]) // 4
 */
export function perplexity(logp: ArrayLike<number>, opts?: LmMetricOptions): number {
  const { sum, n } = sumLogProbs('perplexity', logp, opts);
  needTokens('perplexity', n);
  return Math.exp(-sum / n);
}

/**
 * Bits per character −(1/C) Σ log₂ p<t>, C = `characters` or the number of counted tokens (a char
 * model). perplexity = 2^bpc for a char model.
 * @example bitsPerCharacter([Math.log(0.5), Math.log(0.125)]) // 2
 * @example
 * const wordLogp = Float64Array.of(-4.1, -0.9, -2.3); // ln p of each word of `text` under a word-level model
 * bitsPerCharacter(wordLogp, { characters: text.length }); // a word model, scored per character
 */
export function bitsPerCharacter(logp: ArrayLike<number>, opts?: BitsPerCharacterOptions): number {
  const { sum, n } = sumLogProbs('bitsPerCharacter', logp, opts);
  const C = opts?.characters === undefined ? n : intOption('bitsPerCharacter', 'characters', opts.characters, { voice: 'option' });
  needTokens('bitsPerCharacter', C);
  return -sum / C / Math.LN2;
}

/** Result of {@link targetLogProbs}. */
export interface TargetLogProbs {
  /** (N): ln softmax(logits row n)[target n]; 0 where the row is ignored. */
  logp: Float64Array;
  /** (N): 1 where the row counts, 0 where its target is ignore_index. */
  mask: Uint8Array;
}

/**
 * The log-probability of each row's target from raw logits (N, V), row-major, via a max-subtracted
 * log-softmax in float64 — the CPU link between a model's output and the metrics above. Rows whose
 * target is `ignore_index` (default −100, as {@link padBatch}'s padded targets) are masked out.
 * @example
 * const logits = engine.tensor(new Float32Array(4 * 2 * vocab.size), [4, 2, vocab.size]); // (T, B, V)
 * const targets = Int32Array.of(5, 6, 7, IGNORE_INDEX, 8, 9, 10, IGNORE_INDEX);            // (T, B)
 * const { logp, mask } = targetLogProbs(await logits.read(), targets, vocab.size);
 * perplexity(logp, { mask });
 */
export function targetLogProbs(logits: ArrayLike<number>, targets: ArrayLike<number>, V: number, opts?: { ignore_index?: number }): TargetLogProbs {
  const o = optionsOf('targetLogProbs', opts, ['ignore_index'], { voice: 'option' });
  intOption('targetLogProbs', 'V', V, { voice: 'option' });
  const ignore = o.ignore_index ?? -100;
  if (!Number.isInteger(ignore)) throw new WebRnnError('BAD_VALUE', `targetLogProbs: ignore_index must be an integer, got ${describe(ignore)}`);
  for (const [name, a] of [['logits', logits], ['targets', targets]] as const) {
    if (a === null || typeof a !== 'object' || typeof a.length !== 'number') {
      throw new WebRnnError('BAD_VALUE', `targetLogProbs: ${name} must be a typed array or array of numbers, got ${describe(a)}`);
    }
  }
  const N = targets.length;
  if (logits.length !== N * V) {
    throw new WebRnnError('BAD_SHAPE', `targetLogProbs: logits has ${logits.length} values, expected N·V = ${N}·${V} = ${N * V} (one row per target)`);
  }
  const logp = new Float64Array(N);
  const mask = new Uint8Array(N);
  for (let n = 0; n < N; n++) {
    const y = targets[n];
    if (y === ignore) continue;
    if (typeof y !== 'number' || !Number.isInteger(y) || y < 0 || y >= V) {
      throw new WebRnnError('BAD_VALUE', `targetLogProbs: targets[${n}] is ${describe(y)}, outside [0, ${V}) and not ignore_index (${ignore})`);
    }
    const row = n * V;
    let max = -Infinity;
    for (let v = 0; v < V; v++) {
      const x = logits[row + v]!;
      if (!Number.isFinite(x)) throw new WebRnnError('BAD_VALUE', `targetLogProbs: logits[${n}, ${v}] is ${x}; logits must be finite`);
      if (x > max) max = x;
    }
    let s = 0;
    for (let v = 0; v < V; v++) s += Math.exp(logits[row + v]! - max);
    logp[n] = logits[row + y]! - max - Math.log(s);
    mask[n] = 1;
  }
  return { logp, mask };
}
