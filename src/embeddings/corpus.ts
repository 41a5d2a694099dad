/**
 * The CPU side of training word vectors: a word corpus as id sequences, seeded skip-gram pairs with
 * negatives drawn from the unigram^0.75 distribution, and GloVe's co-occurrence counts.
 */
import { describe, intOption, optionsOf } from '../checks.js';
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
 * const corpus = wordCorpus(['the cat sat on the mat', 'the dog sat'], { min_count: 1 });
 * const s = new UnigramSampler(corpus.counts);
 * s.sample(new Rng(1)); // an id, frequent words more often, rare ones more than their share
 */
export class UnigramSampler {
  /** P(id) ∝ count^power, summing to 1 */
  readonly probabilities: Float64Array;
  private readonly prob: Float64Array;
  private readonly alias: Int32Array;

  /**
   * @param counts occurrences of each id (≥ 0, finite, not all 0), e.g. {@link WordCorpus.counts}
   * @param power the exponent (finite, ≥ 0; 0.75 is word2vec's)
   */
  constructor(counts: ArrayLike<number>, power = 0.75) {
    if (counts === null || typeof counts !== 'object' || !Number.isInteger(counts.length) || counts.length < 1) {
      throw new WebRnnError('BAD_VALUE', `UnigramSampler: counts must be a non-empty array of numbers (one per id), got ${describe(counts)}`);
    }
    if (typeof power !== 'number' || !Number.isFinite(power) || power < 0) throw new WebRnnError('BAD_VALUE', `UnigramSampler: power must be a finite number ≥ 0, got ${describe(power)}`);
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

  /** One id in [0, counts.length), drawn with `rng` (one uniform draw). */
  sample(rng: Rng): number {
    if (!(rng instanceof Rng)) throw new WebRnnError('BAD_VALUE', `UnigramSampler.sample: rng must be an Rng (new Rng(seed)), got ${describe(rng)}`);
    const n = this.prob.length;
    const u = rng.next() * n;
    const i = Math.min(n - 1, Math.floor(u));
    return u - i < this.prob[i] ? i : this.alias[i];
  }
}

/** Options of {@link skipGramBatches}. */
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
  /** Seed of the sentence order, the windows, the subsampling and the negatives (default 0). */
  seed?: number;
}

/** A skip-gram batch and where it is in the run. */
export interface SkipGramPairBatch extends SkipGramBatch {
  /** (N) context word ids */
  context: Int32Array;
  /** (N, K + 1) per pair the true target, then K negatives */
  targets: Int32Array;
  /** 0-based epoch of this batch */
  epoch: number;
  /** Fraction of the whole run (all epochs) done after this batch, in [0, 1]. */
  progress: number;
}

/**
 * Skip-gram training batches: sentences in a seeded random order per epoch; frequent words
 * subsampled; for every kept word (the context c) each word within its random window as a target t;
 * K negatives per pair from `sampler`, redrawn while they equal the true target.
 *
 * Everything is checked when it is called (WebRnnError('BAD_VALUE')), before the first batch is asked for.
 *
 * @example
 * const corpus = wordCorpus(['the cat sat on the mat', 'the dog sat on the log'], { min_count: 1 });
 * const sg = new SkipGram(engine, { vocab_size: corpus.vocab.size, embedding_dim: 16, negatives: 3 }, { seed: 1 });
 * const opt = new Adam(engine, sg.blocks(), { lr: 1e-2 });
 * for (const b of skipGramBatches(corpus, new UnigramSampler(corpus.counts), { window: 2, negatives: 3, batch_size: 8, epochs: 5, seed: 1 })) {
 *   sg.lossAndGrad(b);
 *   opt.step();
 * }
 */
export function skipGramBatches(corpus: Pick<WordCorpus, 'sentences' | 'counts'>, sampler: UnigramSampler, opts: SkipGramPairOptions = {}): Generator<SkipGramPairBatch> {
  const what = 'skipGramBatches';
  if (corpus === null || typeof corpus !== 'object') throw new WebRnnError('BAD_VALUE', `${what}: corpus must be { sentences, counts } (e.g. from wordCorpus), got ${describe(corpus)}`);
  const V = corpus.counts?.length;
  if (!Number.isInteger(V) || V < 1) throw new WebRnnError('BAD_VALUE', `${what}: corpus.counts must be a non-empty array of counts, one per id`);
  for (let i = 0; i < V; i++) if (!(corpus.counts[i] >= 0) || !Number.isFinite(corpus.counts[i])) throw new WebRnnError('BAD_VALUE', `${what}: corpus.counts[${i}] = ${corpus.counts[i]}, must be finite and ≥ 0`);
  checkIdSequences(what, 'corpus.sentences', corpus.sentences, V);
  if (!(sampler instanceof UnigramSampler)) throw new WebRnnError('BAD_VALUE', `${what}: sampler must be a UnigramSampler (new UnigramSampler(corpus.counts)), got ${describe(sampler)}`);
  if (sampler.probabilities.length !== V) throw new WebRnnError('BAD_VALUE', `${what}: the sampler draws from ${sampler.probabilities.length} ids, the corpus has ${V}; build it from corpus.counts`);
  optionsOf(what, opts, ['window', 'negatives', 'batch_size', 'epochs', 'subsample', 'seed'], { voice: 'option' });
  const window = opts.window ?? 5;
  const K = opts.negatives ?? 5;
  const N = opts.batch_size ?? 4096;
  const epochs = opts.epochs ?? 1;
  const t = opts.subsample ?? 1e-3;
  for (const [k, v, ok] of [['window', window, window >= 1], ['negatives', K, K >= 0], ['batch_size', N, N >= 1], ['epochs', epochs, epochs >= 1]] as const) {
    if (!Number.isInteger(v) || !ok) throw new WebRnnError('BAD_VALUE', `${what}: ${k} must be a ${k === 'negatives' ? 'non-negative' : 'positive'} integer, got ${JSON.stringify(v)}`);
  }
  if (typeof t !== 'number' || !(t >= 0) || !Number.isFinite(t)) throw new WebRnnError('BAD_VALUE', `${what}: subsample must be a finite number ≥ 0, got ${describe(t)}`);
  const seed = intOption(what, 'seed', opts.seed, { default: 0, min: 0, max: 2 ** 32 - 1, voice: 'option' });
  return pairBatches(corpus, sampler, window, K, N, epochs, t, seed);
}

function* pairBatches(corpus: Pick<WordCorpus, 'sentences' | 'counts'>, sampler: UnigramSampler, window: number, K: number, N: number, epochs: number, t: number, seed: number): Generator<SkipGramPairBatch> {
  const rng = new Rng(seed);
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

/** Options of {@link cooccurrence}. */
export interface CooccurrenceOptions {
  /** Largest distance between two counted words (default 10). */
  window?: number;
  /** 'harmonic' (default): a pair at distance d adds 1/d, as GloVe's reference code; 'none' adds 1. */
  weighting?: 'harmonic' | 'none';
}

/** Options of {@link gloveBatches}. */
export interface GloveBatchOptions {
  /** Entries per batch (default 8192); the last batch of each epoch may be smaller. */
  batch_size?: number;
  /** Passes over the entries (default 1). */
  epochs?: number;
  /** Seed of the per-epoch shuffles (default 0). */
  seed?: number;
}

/** Keys i·V + j must stay exact integers in a double. */
const MAX_COOC_V = 2 ** 26;

/** Non-zero co-occurrence counts X_ij as three parallel arrays (sorted by i, then j). */
export interface Cooccurrence {
  /** (nnz) word i */
  rows: Uint32Array;
  /** (nnz) context word j */
  cols: Uint32Array;
  /** (nnz) X_ij > 0 */
  counts: Float64Array;
}

/**
 * GloVe's co-occurrence matrix: for every pair of words at distance d ≤ window within a sentence,
 * X_ij and X_ji grow by 1/d (the reference implementation's weighting; `weighting: 'none'` adds 1).
 *
 * @example
 * const corpus = wordCorpus(['the cat sat on the mat', 'the dog sat on the log'], { min_count: 1 });
 * const X = cooccurrence(corpus.sentences, corpus.vocab.size, { window: 10 });
 */
export function cooccurrence(sentences: readonly ArrayLike<number>[], V: number, opts: CooccurrenceOptions = {}): Cooccurrence {
  if (typeof V !== 'number' || !Number.isInteger(V) || V < 1 || V > MAX_COOC_V) throw new WebRnnError('BAD_VALUE', `cooccurrence: V must be an integer in 1..${MAX_COOC_V} (the vocabulary size), got ${describe(V)}`);
  checkIdSequences('cooccurrence', 'sentences', sentences, V);
  optionsOf('cooccurrence', opts, ['window', 'weighting'], { voice: 'option' });
  const window = opts.window ?? 10;
  if (typeof window !== 'number' || !Number.isInteger(window) || window < 1) throw new WebRnnError('BAD_VALUE', `cooccurrence: window must be a positive integer, got ${describe(window)}`);
  const weighting = opts.weighting ?? 'harmonic';
  if (weighting !== 'harmonic' && weighting !== 'none') throw new WebRnnError('BAD_VALUE', `cooccurrence: weighting must be 'harmonic' or 'none', got ${describe(weighting)}`);
  const harmonic = weighting === 'harmonic';
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
 * Everything is checked when it is called (WebRnnError('BAD_VALUE')), before the first batch is asked for.
 *
 * @example
 * const corpus = wordCorpus(['the cat sat on the mat', 'the dog sat on the log'], { min_count: 1 });
 * const X = cooccurrence(corpus.sentences, corpus.vocab.size, { window: 5 });
 * const glove = new GloVe(engine, { vocab_size: corpus.vocab.size, embedding_dim: 16 }, { seed: 1 });
 * const opt = new Adagrad(engine, glove.blocks(), { lr: 0.05 });
 * for (const b of gloveBatches(X, { batch_size: 16, epochs: 20, seed: 1 })) {
 *   glove.lossAndGrad(b);
 *   opt.step();
 * }
 */
export function gloveBatches(X: Cooccurrence, opts: GloveBatchOptions = {}): Generator<GloVeBatch & { epoch: number; progress: number }> {
  const what = 'gloveBatches';
  if (X === null || typeof X !== 'object' || !(X.rows instanceof Uint32Array) || !(X.cols instanceof Uint32Array) || !(X.counts instanceof Float64Array)) {
    throw new WebRnnError('BAD_VALUE', `${what}: X must be a Cooccurrence { rows: Uint32Array, cols: Uint32Array, counts: Float64Array } (from cooccurrence), got ${describe(X)}`);
  }
  const nnz = X.rows.length;
  if (X.cols.length !== nnz || X.counts.length !== nnz) throw new WebRnnError('BAD_VALUE', `${what}: X.rows, X.cols and X.counts must have the same length, got ${nnz}, ${X.cols.length}, ${X.counts.length}`);
  const bad = X.counts.findIndex((c) => !(c > 0) || !Number.isFinite(c));
  if (bad >= 0) throw new WebRnnError('BAD_VALUE', `${what}: X.counts[${bad}] = ${X.counts[bad]}; co-occurrence counts must be finite and > 0 (GloVe takes their log)`);
  optionsOf(what, opts, ['batch_size', 'epochs', 'seed'], { voice: 'option' });
  const N = opts.batch_size ?? 8192;
  const epochs = opts.epochs ?? 1;
  for (const [k, v] of [['batch_size', N], ['epochs', epochs]] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new WebRnnError('BAD_VALUE', `${what}: ${k} must be a positive integer, got ${describe(v)}`);
  }
  return entryBatches(X, N, epochs, intOption(what, 'seed', opts.seed, { default: 0, min: 0, max: 2 ** 32 - 1, voice: 'option' }));
}

function* entryBatches(X: Cooccurrence, N: number, epochs: number, seed: number): Generator<GloVeBatch & { epoch: number; progress: number }> {
  const rng = new Rng(seed);
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

/** Checks sentences of token ids: an array of arrays (or typed arrays) of integers in [0, V). */
function checkIdSequences(what: string, name: string, sentences: unknown, V: number): asserts sentences is readonly ArrayLike<number>[] {
  if (!Array.isArray(sentences)) throw new WebRnnError('BAD_VALUE', `${what}: ${name} must be an array of id sequences (Int32Array or number[]), got ${describe(sentences)}`);
  sentences.forEach((s: unknown, k) => {
    if (s === null || typeof s !== 'object' || !Number.isInteger((s as ArrayLike<number>).length)) throw new WebRnnError('BAD_VALUE', `${what}: ${name}[${k}] must be an array of ids, got ${describe(s)}`);
    const ids = s as ArrayLike<number>;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= V) throw new WebRnnError('BAD_VALUE', `${what}: ${name}[${k}][${i}] is ${describe(id)}, not an id in [0, ${V})`);
    }
  });
}
