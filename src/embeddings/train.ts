import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { knownKeys } from '../checks.js';
import type { ParameterBlock } from '../layers/parameter-store.js';
import { Adagrad } from '../optim/adagrad.js';
import { Adam } from '../optim/adam.js';
import type { Optimizer } from '../optim/optimizer.js';
import { SGD } from '../optim/sgd.js';
import { cooccurrence, gloveBatches, skipGramBatches, UnigramSampler, type WordCorpus } from './corpus.js';
import { GloVe } from './glove.js';
import { SkipGram } from './skip-gram.js';
import { WordVectors } from './word-vectors.js';

/** What a training run reports, every `report_every` steps. */
export interface WordVectorProgress {
  step: number;
  epoch: number;
  /** Fraction of the run done, in [0, 1]. */
  progress: number;
  /** The loss of the latest batch. */
  loss: number;
}

export interface WordVectorTrainingOptions {
  /** 'skip-gram' (with negative sampling, default) or 'glove'. */
  method?: 'skip-gram' | 'glove';
  /** E (default 64). */
  embedding_dim?: number;
  /** Context window (default 5 for skip-gram, 10 for GloVe). */
  window?: number;
  /** Skip-gram negatives per pair (default 5). */
  negatives?: number;
  /** Skip-gram subsampling threshold (default 1e-3). */
  subsample?: number;
  /** GloVe weighting (defaults 100 and 0.75). */
  x_max?: number;
  alpha?: number;
  epochs?: number;
  /** Pairs (skip-gram, default 4096) or co-occurrence entries (GloVe, default 8192) per step. */
  batch_size?: number;
  /**
   * 'adagrad' (default: sparse-correct — rows a batch does not touch stay put — and GloVe's own),
   * 'adam' (dense: its moments keep moving every row), or 'sgd'.
   */
  optimizer?: 'adagrad' | 'adam' | 'sgd';
  /** Learning rate (default: adagrad 0.05, adam 0.003, sgd 50 — per mean-reduced batch). */
  lr?: number;
  /** Stop after this many steps (default: the epochs' worth). */
  max_steps?: number;
  seed?: number;
  /** Steps between progress reports (default 50). */
  report_every?: number;
  /** Called with progress; may return a promise (awaited). */
  onProgress?: (p: WordVectorProgress) => void | Promise<void>;
}

export interface WordVectorTrainingResult {
  vectors: WordVectors;
  steps: number;
  /** The reported losses, in order. */
  losses: number[];
}

const KEYS = ['optimizer', 'method', 'embedding_dim', 'window', 'negatives', 'subsample', 'x_max', 'alpha', 'epochs', 'batch_size', 'lr', 'max_steps', 'seed', 'report_every', 'onProgress'];

/**
 * Trains word vectors on the GPU from a {@link WordCorpus} (AdaGrad by default): skip-gram with negative
 * sampling (the vectors are e) or GloVe (the vectors are (e + θ)/2). Returns the vocabulary's words
 * (special tokens left out) with their vectors.
 *
 * @example
 * const corpus = wordCorpus(text.split('\n'), { min_count: 5 }); // one sentence per line
 * const { vectors } = await trainWordVectors(engine, corpus, { epochs: 2, onProgress: (p) => console.log(p) });
 * vectors.nearest('money', 5);
 */
export async function trainWordVectors(engine: Engine, corpus: WordCorpus, opts: WordVectorTrainingOptions = {}): Promise<WordVectorTrainingResult> {
  knownKeys('trainWordVectors options', opts, KEYS, { code: 'BAD_VALUE' });
  const method = opts.method ?? 'skip-gram';
  if (method !== 'skip-gram' && method !== 'glove') throw new WebRnnError('BAD_VALUE', `trainWordVectors: method must be 'skip-gram' or 'glove', got ${JSON.stringify(method)}`);
  const V = corpus.vocab.size;
  const E = opts.embedding_dim ?? 64;
  const seed = opts.seed ?? 1;
  const every = opts.report_every ?? 50;
  const maxSteps = opts.max_steps ?? Infinity;
  const optimizer = opts.optimizer ?? 'adagrad';
  if (!['adagrad', 'adam', 'sgd'].includes(optimizer)) throw new WebRnnError('BAD_VALUE', `trainWordVectors: optimizer must be 'adagrad', 'adam' or 'sgd', got ${JSON.stringify(optimizer)}`);
  const lr = opts.lr ?? { adagrad: 0.05, adam: 0.003, sgd: 50 }[optimizer];
  const makeOptimizer = (blocks: ParameterBlock[]): Optimizer =>
    optimizer === 'adagrad' ? new Adagrad(engine, blocks, { lr }) : optimizer === 'adam' ? new Adam(engine, blocks, { lr }) : new SGD(engine, blocks, { lr });
  const losses: number[] = [];
  let step = 0;
  // One readback per report (not per step), so the GPU runs ahead between reports.
  const report = async (loss: { read(): Promise<Float32Array> }, at: { epoch: number; progress: number }) => {
    const l = (await loss.read())[0];
    losses.push(l);
    await opts.onProgress?.({ step, epoch: at.epoch, progress: at.progress, loss: l });
  };

  /** Trains `model` on `batches` (a lazy generator; at most max_steps of it) and returns its vectors of kind `which`. */
  const fit = async <B>(
    model: { lossAndGrad(b: B): { read(): Promise<Float32Array> }; blocks(): ParameterBlock[]; vectors(which: 'embedding' | 'mean'): Promise<Float32Array>; dispose(): void },
    batches: Iterable<B & { epoch: number; progress: number }>,
    which: 'embedding' | 'mean',
  ): Promise<WordVectorTrainingResult> => {
    const opt = makeOptimizer(model.blocks());
    try {
      for (const b of batches) {
        if (step >= maxSteps) break;
        const loss = model.lossAndGrad(b);
        opt.step();
        step++;
        if (step % every === 0) await report(loss, b);
      }
      const vectors = WordVectors.fromTable(corpus.vocab.tokens, await model.vectors(which), E);
      return { vectors, steps: step, losses };
    } finally {
      opt.dispose();
      model.dispose();
    }
  };

  if (method === 'skip-gram') {
    const K = opts.negatives ?? 5;
    const sampler = new UnigramSampler(corpus.counts);
    const model = new SkipGram(engine, { vocab_size: V, embedding_dim: E, negatives: K }, { seed });
    return fit(model, skipGramBatches(corpus, sampler, { window: opts.window ?? 5, negatives: K, batch_size: opts.batch_size ?? 4096, epochs: opts.epochs ?? 1, subsample: opts.subsample ?? 1e-3, seed }), 'embedding');
  }
  const X = cooccurrence(corpus.sentences, V, { window: opts.window ?? 10 });
  const model = new GloVe(engine, { vocab_size: V, embedding_dim: E, x_max: opts.x_max ?? 100, alpha: opts.alpha ?? 0.75 }, { seed });
  return fit(model, gloveBatches(X, { batch_size: opts.batch_size ?? 8192, epochs: opts.epochs ?? 1, seed }), 'mean');
}
