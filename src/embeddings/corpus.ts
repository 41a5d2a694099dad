/**
 * The CPU side of training word vectors: a word corpus as id sequences, seeded skip-gram pairs with
 * negatives drawn from the unigram^0.75 distribution, and GloVe's co-occurrence counts.
 */
import { Vocab } from '../data/vocab.js';
import { WebRnnError } from '../errors.js';
import { Rng } from '../random.js';
import type { GloVeBatch } from './glove.js';
import type { SkipGramBatch } from './skip-gram.js';

/** Sentences as ids of a word vocabulary. */
export interface WordCorpus {
  vocab: Vocab;
  /** One id sequence per sentence; special tokens and tokens without a letter or digit are left out. */
  sentences: Int32Array[];
  /** Occurrences of each id in `sentences` (what the samplers use). */
  counts: Float64Array;
}

const WORDLIKE = /[\p{L}\p{N}]/u;

/**
 * Builds a lowercased word vocabulary (tokens seen at least min_count times) from sentences of text
 * and encodes them, dropping punctuation and out-of-vocabulary words (so windows span real words).
 *
 * @example
 * const corpus = wordCorpus(readBrown().flatMap((d) => d.sentences.map((s) => s.words.join(' '))), { min_count: 5 });
 */
export function wordCorpus(sentences: Iterable<string>, opts: { min_count?: number; max_size?: number } = {}): WordCorpus {
  const texts = [...sentences];
  const vocab = Vocab.fromText(texts, { level: 'word', lowercase: true, min_count: opts.min_count ?? 5, ...(opts.max_size ? { max_size: opts.max_size } : {}) });
  const keep = new Uint8Array(vocab.size);
  for (let i = vocab.num_special; i < vocab.size; i++) keep[i] = WORDLIKE.test(vocab.tokens[i]) ? 1 : 0;
  const counts = new Float64Array(vocab.size);
  const out: Int32Array[] = [];
  for (const t of texts) {
    const ids = vocab.encode(t).filter((id) => keep[id] === 1);
    if (ids.length === 0) continue;
    for (const id of ids) counts[id]++;
    out.push(ids);
  }
  return { vocab, sentences: out, counts };
}

/**
 * Draws ids with probability ∝ count^power (word2vec's noise distribution for power 0.75), by
 * Walker's alias method: O(1) per draw, seeded by the caller's Rng.
 *
 * @example
 * const s = new UnigramSampler(corpus.counts);
 * s.sample(rng); // an id, frequent words more often, rare ones more than their share
 */
export class UnigramSampler {
  readonly probabilities: Float64Array;
  private readonly prob: Float64Array;
  private readonly alias: Int32Array;

  constructor(counts: ArrayLike<number>, power = 0.75) {
    const n = counts.length;
    const p = new Float64Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const c = counts[i];
      if (!(c >= 0) || !Number.isFinite(c)) throw new WebRnnError('BAD_VALUE', `UnigramSampler: counts[${i}] = ${c}, must be finite and ≥ 0`);
      p[i] = c > 0 ? Math.pow(c, power) : 0;
      total += p[i];
    }
    if (!(total > 0)) throw new WebRnnError('BAD_VALUE', 'UnigramSampler: every count is 0');
    for (let i = 0; i < n; i++) p[i] /= total;
    this.probabilities = p;
    this.prob = new Float64Array(n);
    this.alias = new Int32Array(n);
    const scaled = p.map((x) => x * n);
    const small: number[] = [];
    const large: number[] = [];
    scaled.forEach((x, i) => (x < 1 ? small : large).push(i));
    while (small.length && large.length) {
      const s = small.pop()!, l = large.pop()!;
      this.prob[s] = scaled[s];
      this.alias[s] = l;
      scaled[l] = scaled[l] + scaled[s] - 1;
      (scaled[l] < 1 ? small : large).push(l);
    }
    for (const i of [...small, ...large]) {
      this.prob[i] = 1;
      this.alias[i] = i;
    }
  }

  sample(rng: Rng): number {
    const n = this.prob.length;
    const u = rng.next() * n;
    const i = Math.min(n - 1, Math.floor(u));
    return u - i < this.prob[i] ? i : this.alias[i];
  }
}

export interface SkipGramPairOptions {
  /** Largest distance between a context word and its target (default 5); each position draws its own window 1..window, as word2vec. */
  window?: number;
  /** Negatives per pair (default 5). */
  negatives?: number;
  /** Pairs per batch (default 4096); the last batch of the last epoch may be smaller. */
  batch_size?: number;
  /** Passes over the corpus (default 1). */
  epochs?: number;
  /** word2vec's subsampling threshold t: a word of frequency f is kept with probability (√(f/t) + 1)·t/f (default 1e-3; 0 keeps all). */
  subsample?: number;
  seed?: number;
}

/** A skip-gram batch and where it is in the run. */
export interface SkipGramPairBatch extends SkipGramBatch {
  context: Int32Array;
  targets: Int32Array;
  epoch: number;
  /** Fraction of the whole run (all epochs) done after this batch, in [0, 1]. */
  progress: number;
}

/**
 * Skip-gram training batches: sentences in a seeded random order per epoch; frequent words
 * subsampled; for every kept word (the context c) each word within its random window as a target t;
 * K negatives per pair from `sampler`, redrawn while they equal the true target.
 *
 * @example
 * for (const b of skipGramBatches(corpus, new UnigramSampler(corpus.counts), { window: 5, seed: 1 })) sg.lossAndGrad(b);
 */
export function* skipGramBatches(corpus: Pick<WordCorpus, 'sentences' | 'counts'>, sampler: UnigramSampler, opts: SkipGramPairOptions = {}): Generator<SkipGramPairBatch> {
  const window = opts.window ?? 5;
  const K = opts.negatives ?? 5;
  const N = opts.batch_size ?? 4096;
  const epochs = opts.epochs ?? 1;
  const t = opts.subsample ?? 1e-3;
  for (const [k, v, ok] of [['window', window, window >= 1], ['negatives', K, K >= 0], ['batch_size', N, N >= 1], ['epochs', epochs, epochs >= 1]] as const) {
    if (!Number.isInteger(v) || !ok) throw new WebRnnError('BAD_VALUE', `skipGramBatches: ${k} must be a ${k === 'negatives' ? 'non-negative' : 'positive'} integer, got ${JSON.stringify(v)}`);
  }
  if (!(t >= 0)) throw new WebRnnError('BAD_VALUE', `skipGramBatches: subsample must be ≥ 0, got ${t}`);
  const rng = new Rng(opts.seed ?? 0);
  const total = corpus.counts.reduce((a, b) => a + b, 0);
  const keepProb = Float64Array.from(corpus.counts, (c) => (t === 0 || c === 0 ? 1 : Math.min(1, (Math.sqrt(c / (t * total)) + 1) * ((t * total) / c))));
  const K1 = K + 1;
  let context = new Int32Array(N);
  let targets = new Int32Array(N * K1);
  let n = 0;
  const S = corpus.sentences.length;
  const kept: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = rng.permutation(S);
    for (let si = 0; si < S; si++) {
      const sent = corpus.sentences[order[si]];
      kept.length = 0;
      for (const id of sent) if (keepProb[id] >= 1 || rng.next() < keepProb[id]) kept.push(id);
      for (let i = 0; i < kept.length; i++) {
        const b = rng.int(1, window);
        for (let j = Math.max(0, i - b); j <= Math.min(kept.length - 1, i + b); j++) {
          if (j === i) continue;
          context[n] = kept[i];
          const tgt = kept[j];
          targets[n * K1] = tgt;
          for (let k = 1; k < K1; k++) {
            let neg = sampler.sample(rng);
            for (let tries = 0; neg === tgt && tries < 10; tries++) neg = sampler.sample(rng);
            targets[n * K1 + k] = neg;
          }
          if (++n === N) {
            yield { context, targets, epoch, progress: (epoch + (si + 1) / S) / epochs };
            context = new Int32Array(N);
            targets = new Int32Array(N * K1);
            n = 0;
          }
        }
      }
    }
  }
  if (n > 0) yield { context: context.slice(0, n), targets: targets.slice(0, n * K1), epoch: epochs - 1, progress: 1 };
}

/** Non-zero co-occurrence counts X_ij as three parallel arrays (sorted by i, then j). */
export interface Cooccurrence {
  rows: Uint32Array;
  cols: Uint32Array;
  counts: Float64Array;
}

/**
 * GloVe's co-occurrence matrix: for every pair of words at distance d ≤ window within a sentence,
 * X_ij and X_ji grow by 1/d (the reference implementation's weighting; `weighting: 'none'` adds 1).
 *
 * @example const X = cooccurrence(corpus.sentences, corpus.vocab.size, { window: 10 });
 */
export function cooccurrence(sentences: readonly ArrayLike<number>[], V: number, opts: { window?: number; weighting?: 'harmonic' | 'none' } = {}): Cooccurrence {
  const window = opts.window ?? 10;
  if (!Number.isInteger(window) || window < 1) throw new WebRnnError('BAD_VALUE', `cooccurrence: window must be a positive integer, got ${window}`);
  const harmonic = (opts.weighting ?? 'harmonic') === 'harmonic';
  const m = new Map<number, number>();
  for (const s of sentences) {
    for (let i = 0; i < s.length; i++) {
      for (let d = 1; d <= window && i + d < s.length; d++) {
        const a = s[i], b = s[i + d];
        const w = harmonic ? 1 / d : 1;
        const k1 = a * V + b, k2 = b * V + a;
        m.set(k1, (m.get(k1) ?? 0) + w);
        m.set(k2, (m.get(k2) ?? 0) + w);
      }
    }
  }
  const keys = [...m.keys()].sort((x, y) => x - y);
  const rows = new Uint32Array(keys.length), cols = new Uint32Array(keys.length), counts = new Float64Array(keys.length);
  keys.forEach((k, n) => {
    rows[n] = Math.floor(k / V);
    cols[n] = k - rows[n] * V;
    counts[n] = m.get(k)!;
  });
  return { rows, cols, counts };
}

/**
 * GloVe training batches: the non-zero entries in a seeded random order per epoch, batch_size at a time.
 *
 * @example for (const b of gloveBatches(X, { batch_size: 8192, epochs: 5, seed: 1 })) glove.lossAndGrad(b);
 */
export function* gloveBatches(X: Cooccurrence, opts: { batch_size?: number; epochs?: number; seed?: number } = {}): Generator<GloVeBatch & { epoch: number; progress: number }> {
  const N = opts.batch_size ?? 8192;
  const epochs = opts.epochs ?? 1;
  if (!Number.isInteger(N) || N < 1) throw new WebRnnError('BAD_VALUE', `gloveBatches: batch_size must be a positive integer, got ${N}`);
  const rng = new Rng(opts.seed ?? 0);
  const nnz = X.rows.length;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = rng.permutation(nnz);
    for (let s = 0; s < nnz; s += N) {
      const n = Math.min(N, nnz - s);
      const rows = new Uint32Array(n), cols = new Uint32Array(n), counts = new Float32Array(n);
      for (let k = 0; k < n; k++) {
        const e = order[s + k];
        rows[k] = X.rows[e];
        cols[k] = X.cols[e];
        counts[k] = X.counts[e];
      }
      yield { rows, cols, counts, epoch, progress: (epoch + (s + n) / nnz) / epochs };
    }
  }
}
