import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { Program } from '../gpu/program.js';
import { Recorder } from '../gpu/recorder.js';
import { Tensor } from '../gpu/tensor.js';
import { intOption, knownKeys } from '../checks.js';
import { foldedGrid } from '../layers/grid.js';
import { ParameterLayer } from '../layers/layer.js';
import type { ParameterStore } from '../layers/parameter-store.js';
import { recordSum } from '../losses/reduction.js';
import { Rng } from '../random.js';
import { SegmentLayout, SegmentScratch } from './segments.js';
import * as shaders from '../gpu/shader-sources.gen.js';

/** Sizes of a {@link SkipGram} model. */
export interface SkipGramConfig {
  /** V: rows of both tables. */
  vocab_size: number;
  /** E: the word vectors' width. */
  embedding_dim: number;
  /** K: negative targets per (context, target) pair. */
  negatives: number;
}

/**
 * One batch of N (context, target) pairs with K negatives each — what {@link skipGramBatches}
 * yields. Ids are rows of the tables, in [0, V).
 */
export interface SkipGramBatch {
  /** (N) the context word c of each pair (its row of `embedding` is e_c). */
  context: ArrayLike<number>;
  /** (N, K + 1) per pair: the true target first, then the K negatives. */
  targets: ArrayLike<number>;
}

const F32 = 4;

/**
 * Skip-gram with negative sampling on the GPU, in the course's notation: for a context word c and a
 * target t seen within its window, a logistic regression P(y = 1 | c, t) = σ(θ_tᵀ e_c), trained on
 * the true target (y = 1) and K negative targets drawn from the unigram^0.75 distribution (y = 0):
 *
 *   loss = (1/N) Σ_i [ −log σ(θ_{t_i}ᵀ e_{c_i}) − Σ_k log σ(−θ_{n_ik}ᵀ e_{c_i}) ]
 *
 * Parameters (one {@link ParameterStore}, state_dict order): `embedding` (V, E), the word vectors
 * e, initialised U(−0.5/E, 0.5/E) as word2vec; `theta` (V, E), the target parameters θ, initialised
 * 0. {@link lossAndGrad} writes the gradient of every row (zero for rows the batch does not touch)
 * with two fixed-order, atomic-free per-id sums (weighted_segment_sum over CSR groups built on the
 * CPU), so any optimizer over {@link blocks} trains it and every run gives the same bits.
 *
 * @example
 * // sentences → word ids → seeded (context, target) pairs with K = 2 negatives each
 * const corpus = wordCorpus(['the cat sat on the mat', 'the dog sat on the log'], { min_count: 1 });
 * const sg = new SkipGram(engine, { vocab_size: corpus.vocab.size, embedding_dim: 64, negatives: 2 }, { seed: 1 });
 * const opt = new Adagrad(engine, sg.blocks(), { lr: 0.05 });
 * const sampler = new UnigramSampler(corpus.counts);
 * for (const batch of skipGramBatches(corpus, sampler, { window: 2, negatives: 2, batch_size: 16, epochs: 50, seed: 1 })) {
 *   sg.lossAndGrad(batch);
 *   opt.step();
 * }
 * const vectors = await sg.vectors(); // (V, E) e
 *
 * @example
 * // or by hand: N = 2 (context, target) pairs; per pair the true target, then K = 2 negatives
 * const sg = new SkipGram(engine, { vocab_size: 40, embedding_dim: 8, negatives: 2 });
 * const batch = { context: Int32Array.of(4, 7), targets: Int32Array.of(5, 11, 30, 8, 2, 19) };
 * sg.lossAndGrad(batch);
 */
export class SkipGram extends ParameterLayer {
  readonly config: Readonly<SkipGramConfig>;
  private plan: SkipGramPlan | undefined;

  constructor(engine: Engine, config: SkipGramConfig, opts: { seed?: number } = {}) {
    knownKeys('SkipGram', config, ['vocab_size', 'embedding_dim', 'negatives']);
    knownKeys('SkipGram options', opts, ['seed']);
    const V = intOption('SkipGram', 'vocab_size', config.vocab_size);
    const E = intOption('SkipGram', 'embedding_dim', config.embedding_dim);
    const K = config.negatives;
    if (!Number.isInteger(K) || K < 0) throw new WebRnnError('BAD_CONFIG', `SkipGram: negatives must be a non-negative integer, got ${JSON.stringify(K)}`);
    super(engine, [{ name: 'embedding', shape: [V, E] }, { name: 'theta', shape: [V, E] }], 'SkipGram');
    this.config = Object.freeze({ vocab_size: V, embedding_dim: E, negatives: K });
    const rng = new Rng(opts.seed ?? 0);
    const e = new Float32Array(V * E);
    for (let i = 0; i < e.length; i++) e[i] = rng.uniform(-0.5 / E, 0.5 / E);
    this.store.load({ embedding: e, theta: new Float32Array(V * E) }, 'SkipGram');
  }

  /**
   * The word vectors (V, E) read back: e (default, what word2vec keeps), θ, or their mean.
   */
  async vectors(which: 'embedding' | 'theta' | 'mean' = 'embedding'): Promise<Float32Array> {
    const sd = await this.stateDict();
    if (which === 'embedding' || which === 'theta') return sd[which];
    return sd.embedding.map((v, i) => (v + sd.theta[i]) / 2);
  }

  /**
   * Forward and backward of one batch: the mean loss over its pairs (a 1-element view, valid until the
   * next call; nothing is read back) and the gradient of both tables in the store's gradient buffer.
   */
  lossAndGrad(batch: SkipGramBatch): Tensor {
    this.check();
    const { V, K1 } = { V: this.config.vocab_size, K1: this.config.negatives + 1 };
    if (batch === null || typeof batch !== 'object') throw new WebRnnError('BAD_VALUE', 'SkipGram batch must be { context, targets }');
    const ctx = batch.context;
    const tgt = batch.targets;
    const N = ctx?.length;
    if (typeof N !== 'number' || N < 1) throw new WebRnnError('BAD_SHAPE', 'SkipGram batch: context must hold at least one id');
    if (tgt?.length !== N * K1) throw new WebRnnError('BAD_SHAPE', `SkipGram batch: targets must hold N·(K + 1) = ${N * K1} ids (true target, then ${K1 - 1} negatives per pair), got ${tgt?.length}`);
    checkIds(ctx, V, 'context');
    checkIds(tgt, V, 'targets');
    const plan = this.planFor(N);
    plan.upload(this.engine, ctx, tgt);
    this.engine.run(plan.prog);
    return new Tensor(this.engine, plan.loss, [], 0, false);
  }

  protected override releaseWorkspace(): void {
    this.plan?.rec.dispose();
  }

  private planFor(N: number): SkipGramPlan {
    if (this.plan?.N === N) return this.plan;
    this.plan?.rec.dispose();
    this.plan = undefined;
    this.plan = new SkipGramPlan(this.engine, this.store, this.config, N);
    return this.plan;
  }

}

/** Checks that every id is an integer in [0, V). */
export function checkIds(ids: ArrayLike<number>, V: number, what: string): void {
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i];
    if (!Number.isInteger(v) || v < 0 || v >= V) throw new WebRnnError('BAD_VALUE', `${what}[${i}] = ${v}, must be an id in [0, ${V})`);
  }
}

/**
 * The GPU work for batches of N pairs. `index` (u32): context (N) | targets (N·K1) | grouping by
 * context id (rows: the targets, for d embedding) | grouping by target id (rows: the contexts, for
 * d theta). coef (N·K1), row_loss (N), loss (1).
 */
class SkipGramPlan {
  readonly rec: Recorder;
  readonly prog = new Program();
  readonly loss: GPUBuffer;
  private readonly index: GPUBuffer;
  private readonly host: Uint32Array<ArrayBuffer>;
  private readonly byContext: SegmentLayout;
  private readonly byTarget: SegmentLayout;
  private readonly scratch: SegmentScratch;
  private readonly ctxOfEntry: Uint32Array;
  private readonly K1: number;

  constructor(
    engine: Engine,
    store: ParameterStore,
    cfg: SkipGramConfig,
    readonly N: number,
  ) {
    const V = cfg.vocab_size;
    const E = cfg.embedding_dim;
    const K1 = (this.K1 = cfg.negatives + 1);
    const M = N * K1;
    this.byContext = new SegmentLayout(N + M, Math.min(N, V), M);
    this.byTarget = new SegmentLayout(N + M + this.byContext.length, Math.min(M, V), M);
    this.host = new Uint32Array(N + M + this.byContext.length + this.byTarget.length);
    this.scratch = new SegmentScratch(V, M);
    this.ctxOfEntry = new Uint32Array(M);
    const rec = (this.rec = new Recorder(engine, 'SkipGram'));
    try {
      this.index = rec.buffer(this.host.length * 4, 'index');
      const coef = rec.buffer(M * F32, 'coef');
      const rowLoss = rec.buffer(N * F32, 'row_loss');
      this.loss = rec.buffer(F32, 'loss');
      const embOff = store.offset('embedding');
      const thetaOff = store.offset('theta');
      this.prog.clear(store.grads, 0, store.parameterCount * F32);
      const k = engine.kernel(shaders.sgns_scores);
      const g = rec.bind(k, { N, K1, E, emb_off: embOff, theta_off: thetaOff, ctx_off: 0, tgt_off: N, scale: 1 / N }, { params: store.params, index: this.index, coef, row_loss: rowLoss }, 'scores');
      this.prog.dispatch(k, [g], foldedGrid(engine, Math.ceil(N / 64)));
      const bufs = { index: this.index, coef, src: store.params, out: store.grads };
      this.byContext.record(rec, this.prog, engine, { F: E, srcOff: thetaOff, outOff: embOff }, bufs, 'd embedding');
      this.byTarget.record(rec, this.prog, engine, { F: E, srcOff: embOff, outOff: thetaOff }, bufs, 'd theta');
      recordSum(rec, this.prog, rowLoss, N, this.loss, 'loss');
    } catch (e) {
      rec.dispose();
      throw e;
    }
  }

  upload(engine: Engine, ctx: ArrayLike<number>, tgt: ArrayLike<number>): void {
    const { N, K1, host } = this;
    for (let i = 0; i < N; i++) host[i] = ctx[i];
    for (let p = 0; p < N * K1; p++) host[N + p] = tgt[p];
    for (let i = 0; i < N; i++) this.ctxOfEntry.fill(ctx[i], i * K1, (i + 1) * K1);
    // d e_c: entries grouped by their pair's context, each adding coef · θ_target
    this.byContext.fill(host, this.ctxOfEntry, host.subarray(N, N + N * K1), this.scratch);
    // d θ_t: entries grouped by target, each adding coef · e_context
    this.byTarget.fill(host, host.subarray(N, N + N * K1), this.ctxOfEntry, this.scratch);
    engine.writeBuffer(this.index, 0, host);
  }
}
