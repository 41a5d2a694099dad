/**
 * Pretrained word vectors in an {@link Embedding} layer, frozen or fine-tuned.
 */
import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { Embedding } from '../layers/embedding.js';
import type { ParameterBlock } from '../layers/parameter-store.js';
import { Rng } from '../random.js';
import type { WordVectors } from './word-vectors.js';

export interface PretrainedOptions {
  /** Rows of tokens without a vector: 'random' (default) N(0, σ²) with σ the vectors' std, or 'zero'. */
  oov?: 'random' | 'zero';
  /** Look up a token's lowercase form when the token itself has no vector (default true). */
  lowercase_fallback?: boolean;
  /** A row left at zero (an Embedding's padding_idx, e.g. a Vocab's pad id 0). */
  padding_idx?: number;
  /** Seed of the 'random' rows (default 0). */
  seed?: number;
}

/** The weight matrix for a vocabulary and what was found for it. */
export interface PretrainedWeights {
  /** (V, E), row i for token i */
  weight: Float32Array;
  /** Number of tokens that got a pretrained vector. */
  found: number;
  /** Tokens without one (special tokens included), in id order. */
  missing: string[];
}

/**
 * The (V, E) weight matrix of an embedding for `tokens` (e.g. `vocab.tokens`): each token's pretrained
 * vector, or an OOV row.
 *
 * @example
 * const { weight, found } = pretrainedWeights(wv, vocab.tokens, { padding_idx: vocab.pad_id });
 */
export function pretrainedWeights(vectors: WordVectors, tokens: readonly string[], opts: PretrainedOptions = {}): PretrainedWeights {
  for (const k of Object.keys(opts)) {
    if (!['oov', 'lowercase_fallback', 'padding_idx', 'seed'].includes(k)) throw new WebRnnError('BAD_VALUE', `pretrainedWeights: unknown option "${k}"`);
  }
  const oov = opts.oov ?? 'random';
  if (oov !== 'random' && oov !== 'zero') throw new WebRnnError('BAD_VALUE', `pretrainedWeights: oov must be 'random' or 'zero', got ${JSON.stringify(oov)}`);
  const E = vectors.dim;
  const V = tokens.length;
  const pad = opts.padding_idx;
  if (pad !== undefined && (!Number.isInteger(pad) || pad < 0 || pad >= V)) throw new WebRnnError('BAD_VALUE', `pretrainedWeights: padding_idx must be an id in [0, ${V}), got ${pad}`);
  let sum = 0, sq = 0;
  for (const x of vectors.data) {
    sum += x;
    sq += x * x;
  }
  const n = vectors.data.length;
  const std = Math.sqrt(Math.max(0, sq / n - (sum / n) ** 2));
  const rng = new Rng(opts.seed ?? 0);
  const weight = new Float32Array(V * E);
  const missing: string[] = [];
  let found = 0;
  tokens.forEach((t, i) => {
    if (i === pad) return;
    let w = vectors.has(t) ? t : undefined;
    if (w === undefined && (opts.lowercase_fallback ?? true) && vectors.has(t.toLowerCase())) w = t.toLowerCase();
    if (w !== undefined) {
      weight.set(vectors.vector(w), i * E);
      found++;
      return;
    }
    missing.push(t);
    if (oov === 'random') for (let d = 0; d < E; d++) weight[i * E + d] = rng.normal(0, std);
  });
  return { weight, found, missing };
}

/** An Embedding holding pretrained vectors, and whether it is frozen. */
export interface PretrainedEmbedding extends PretrainedWeights {
  embedding: Embedding;
  /** true: leave it out of the optimizer ({@link trainableBlocks}); false: fine-tune it. */
  frozen: boolean;
}

/**
 * A new Embedding (V = tokens.length, E = vectors.dim) initialised from pretrained vectors.
 * Freezing is an optimizer matter: a frozen embedding's block is left out of the blocks an optimizer
 * updates ({@link trainableBlocks}), so its weights never change while gradients still flow through
 * it to nothing else (an embedding is a first layer).
 *
 * @example
 * const pre = pretrainedEmbedding(engine, wv, vocab.tokens, { padding_idx: vocab.pad_id, freeze: true });
 * const opt = new Adam(engine, trainableBlocks([...pre.embedding.blocks(), ...lstm.blocks(), ...head.blocks()], [pre]), { lr: 1e-3 });
 */
export function pretrainedEmbedding(engine: Engine, vectors: WordVectors, tokens: readonly string[], opts: PretrainedOptions & { freeze?: boolean } = {}): PretrainedEmbedding {
  const { freeze, ...rest } = opts;
  const w = pretrainedWeights(vectors, tokens, rest);
  const embedding = new Embedding(engine, { num_embeddings: tokens.length, embedding_dim: vectors.dim, ...(rest.padding_idx !== undefined ? { padding_idx: rest.padding_idx } : {}) });
  embedding.loadStateDict({ weight: w.weight });
  return { ...w, embedding, frozen: freeze ?? true };
}

/**
 * `blocks` without the frozen ones: pass what an optimizer should update.
 *
 * @param frozen layers (or {@link PretrainedEmbedding}s with frozen = true) whose parameters stay fixed
 * @example new Adam(engine, trainableBlocks(model.blocks(), [model.embedding!]), { lr: 1e-3 })
 */
export function trainableBlocks(blocks: readonly ParameterBlock[], frozen: readonly ({ store: ParameterBlock } | PretrainedEmbedding | ParameterBlock)[]): ParameterBlock[] {
  const skip = new Set<ParameterBlock>();
  for (const f of frozen) {
    if ('embedding' in f && 'frozen' in f) {
      if (f.frozen) skip.add(f.embedding.store);
    } else if ('store' in f) skip.add(f.store);
    else skip.add(f);
  }
  return blocks.filter((b) => !skip.has(b));
}
