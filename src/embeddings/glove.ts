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
import { SegmentLayout, SegmentScratch } from './segments.js';
import { checkIds } from './skip-gram.js';
import * as shaders from '../gpu/shader-sources.gen.js';

/** Sizes and weighting of a {@link GloVe} model. */
export interface GloVeConfig {
  vocab_size: number;
  embedding_dim: number;
  /** x_max of the weighting f (default 100, the paper's). */
  x_max?: number;
  /** α of the weighting f (default 0.75). */
  alpha?: number;
}

/** N non-zero co-occurrence entries X_ij, e.g. a slice of {@link Cooccurrence}. */
export interface GloVeBatch {
  /** (N) word i */
  rows: ArrayLike<number>;
  /** (N) context word j */
  cols: ArrayLike<number>;
  /** (N) X_ij > 0 */
  counts: ArrayLike<number>;
}

const F32 = 4;

/**
 * GloVe on the GPU (Pennington et al., 2014), in the course's notation: weighted least squares on
 * the log co-occurrence counts,
 *
 *   loss = (1/N) Σ_n f(X_ij) (θ_iᵀ e_j + b_i + b'_j − log X_ij)²,   f(x) = min((x / x_max)^α, 1)
 *
 * over a batch of N non-zero entries (f(0) = 0, so zero counts never enter). Parameters (state_dict
 * order): `theta` (V, E), `embedding` (V, E), `b` (V), `b_prime` (V), initialised U(−0.5/E, 0.5/E)
 * as the reference implementation. θ and e play symmetric roles; the course (and the paper) use
 * e_final = (e + θ) / 2 — {@link vectors}' default. Gradients as in {@link SkipGram}: a residual
 * kernel (glove_residual) and deterministic per-id sums (weighted_segment_sum).
 *
 * @example
 * // sentences → word ids → co-occurrence counts X_ij → seeded batches of non-zero entries
 * const corpus = wordCorpus(['the cat sat on the mat', 'the dog sat on the log'], { min_count: 1 });
 * const X = cooccurrence(corpus.sentences, corpus.vocab.size, { window: 10 });
 * const glove = new GloVe(engine, { vocab_size: corpus.vocab.size, embedding_dim: 50 }, { seed: 1 });
 * const opt = new Adagrad(engine, glove.blocks(), { lr: 0.05 });
 * for (const batch of gloveBatches(X, { batch_size: 64, epochs: 100, seed: 1 })) {
 *   glove.lossAndGrad(batch);
 *   opt.step();
 * }
 * const vectors = await glove.vectors(); // (V, E): (e + θ) / 2
 *
 * @example
 * // or by hand: N = 3 non-zero co-occurrence counts X_ij: word i = rows, context word j = cols
 * const glove = new GloVe(engine, { vocab_size: 10, embedding_dim: 8 });
 * const batch = { rows: Int32Array.of(4, 4, 7), cols: Int32Array.of(7, 9, 4), counts: Float32Array.of(12, 3, 12) };
 * glove.lossAndGrad(batch);
 */
export class GloVe extends ParameterLayer {
  readonly config: Readonly<Required<GloVeConfig>>;
  private plan: GlovePlan | undefined;

  constructor(engine: Engine, config: GloVeConfig, opts: { seed?: number } = {}) {
    knownKeys('GloVe', config, ['vocab_size', 'embedding_dim', 'x_max', 'alpha']);
    knownKeys('GloVe options', opts, ['seed']);
    const V = intOption('GloVe', 'vocab_size', config.vocab_size);
    const E = intOption('GloVe', 'embedding_dim', config.embedding_dim);
    const x_max = config.x_max ?? 100;
    const alpha = config.alpha ?? 0.75;
    if (!(typeof x_max === 'number' && x_max > 0 && Number.isFinite(x_max))) throw new WebRnnError('BAD_CONFIG', `GloVe: x_max must be a positive number, got ${JSON.stringify(config.x_max)}`);
    if (!(typeof alpha === 'number' && alpha >= 0 && Number.isFinite(alpha))) throw new WebRnnError('BAD_CONFIG', `GloVe: alpha must be a non-negative number, got ${JSON.stringify(config.alpha)}`);
    super(engine, [
      { name: 'theta', shape: [V, E] },
      { name: 'embedding', shape: [V, E] },
      { name: 'b', shape: [V] },
      { name: 'b_prime', shape: [V] },
    ], 'GloVe');
    this.config = Object.freeze({ vocab_size: V, embedding_dim: E, x_max, alpha });
    this.store.initUniform(opts.seed ?? 0, 0.5 / E);
  }

  /** The word vectors (V, E) read back: (e + θ) / 2 (default), e or θ. */
  async vectors(which: 'mean' | 'embedding' | 'theta' = 'mean'): Promise<Float32Array> {
    const sd = await this.stateDict();
    if (which === 'embedding' || which === 'theta') return sd[which];
    return sd.embedding.map((v, i) => (v + sd.theta[i]) / 2);
  }

  /** Forward and backward of one batch: the mean loss (a view, valid until the next call) and every gradient. */
  lossAndGrad(batch: GloVeBatch): Tensor {
    this.check();
    const V = this.config.vocab_size;
    if (batch === null || typeof batch !== 'object') throw new WebRnnError('BAD_VALUE', 'GloVe batch must be { rows, cols, counts }');
    const N = batch.rows?.length;
    if (typeof N !== 'number' || N < 1) throw new WebRnnError('BAD_SHAPE', 'GloVe batch: rows must hold at least one id');
    if (batch.cols?.length !== N || batch.counts?.length !== N) throw new WebRnnError('BAD_SHAPE', `GloVe batch: rows, cols and counts must have the same length (${N}, ${batch.cols?.length}, ${batch.counts?.length})`);
    checkIds(batch.rows, V, 'rows');
    checkIds(batch.cols, V, 'cols');
    for (let n = 0; n < N; n++) {
      const x = batch.counts[n];
      if (!(typeof x === 'number' && x > 0 && Number.isFinite(x))) throw new WebRnnError('BAD_VALUE', `GloVe batch: counts[${n}] = ${x}; entries must have X_ij > 0`);
    }
    const plan = this.planFor(N);
    plan.upload(this.engine, batch);
    this.engine.run(plan.prog);
    return new Tensor(this.engine, plan.loss, [], 0, false);
  }

  protected override releaseWorkspace(): void {
    this.plan?.rec.dispose();
  }

  private planFor(N: number): GlovePlan {
    if (this.plan?.N === N) return this.plan;
    this.plan?.rec.dispose();
    this.plan = undefined;
    this.plan = new GlovePlan(this.engine, this.store, this.config, N);
    return this.plan;
  }

}

/** index (u32): rows (N) | cols (N) | grouping by row (source rows: cols) | grouping by col (source rows: rows). */
class GlovePlan {
  readonly rec: Recorder;
  readonly prog = new Program();
  readonly loss: GPUBuffer;
  private readonly index: GPUBuffer;
  private readonly x: GPUBuffer;
  private readonly host: Uint32Array<ArrayBuffer>;
  private readonly xs: Float32Array<ArrayBuffer>;
  private readonly byRow: SegmentLayout;
  private readonly byCol: SegmentLayout;
  private readonly scratch: SegmentScratch;

  constructor(
    engine: Engine,
    store: ParameterStore,
    cfg: Required<GloVeConfig>,
    readonly N: number,
  ) {
    const V = cfg.vocab_size;
    const E = cfg.embedding_dim;
    const U = Math.min(N, V);
    this.byRow = new SegmentLayout(2 * N, U, N);
    this.byCol = new SegmentLayout(2 * N + this.byRow.length, U, N);
    this.host = new Uint32Array(2 * N + this.byRow.length + this.byCol.length);
    this.xs = new Float32Array(N);
    this.scratch = new SegmentScratch(V, N);
    const rec = (this.rec = new Recorder(engine, 'GloVe'));
    try {
      this.index = rec.buffer(this.host.length * 4, 'index');
      this.x = rec.buffer(N * F32, 'counts');
      const coef = rec.buffer(N * F32, 'coef');
      const rowLoss = rec.buffer(N * F32, 'row_loss');
      this.loss = rec.buffer(F32, 'loss');
      const off = { theta: store.offset('theta'), emb: store.offset('embedding'), b: store.offset('b'), bp: store.offset('b_prime') };
      this.prog.clear(store.grads, 0, store.parameterCount * F32);
      const k = engine.kernel(shaders.glove_residual);
      const g = rec.bind(k, {
        N, E, theta_off: off.theta, emb_off: off.emb, b_off: off.b, b_prime_off: off.bp, rows_off: 0, cols_off: N,
        x_max: cfg.x_max, alpha: cfg.alpha, scale: 1 / N,
      }, { params: store.params, index: this.index, x: this.x, coef, row_loss: rowLoss }, 'residual');
      this.prog.dispatch(k, [g], foldedGrid(engine, Math.ceil(N / 64)));
      const bufs = { index: this.index, coef, src: store.params, out: store.grads };
      this.byRow.record(rec, this.prog, engine, { F: E, srcOff: off.emb, outOff: off.theta }, bufs, 'd theta');
      this.byCol.record(rec, this.prog, engine, { F: E, srcOff: off.theta, outOff: off.emb }, bufs, 'd embedding');
      this.byRow.record(rec, this.prog, engine, { F: 1, srcOff: 0, outOff: off.b, unit: true }, bufs, 'd b');
      this.byCol.record(rec, this.prog, engine, { F: 1, srcOff: 0, outOff: off.bp, unit: true }, bufs, 'd b_prime');
      recordSum(rec, this.prog, rowLoss, N, this.loss, 'loss');
    } catch (e) {
      rec.dispose();
      throw e;
    }
  }

  upload(engine: Engine, batch: GloVeBatch): void {
    const { N, host } = this;
    for (let n = 0; n < N; n++) {
      host[n] = batch.rows[n];
      host[N + n] = batch.cols[n];
      this.xs[n] = batch.counts[n];
    }
    this.byRow.fill(host, host.subarray(0, N), host.subarray(N, 2 * N), this.scratch);
    this.byCol.fill(host, host.subarray(N, 2 * N), host.subarray(0, N), this.scratch);
    engine.writeBuffer(this.index, 0, host);
    engine.writeBuffer(this.x, 0, this.xs);
  }
}
