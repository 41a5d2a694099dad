import { hiddenStateSize, parameterSpecs, resolveConfig, type RecurrentConfig } from '../layers/recurrent-config.js';
import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import type { Precision } from '../gpu/kernel-variants.js';
import type { Tensor } from '../gpu/tensor.js';
import { flag, intOption, knownKeys, optionsOf, seedOf } from '../checks.js';
import { expectShape } from '../gpu/tensor-checks.js';
import { Dense, type DenseConfig } from '../layers/dense.js';
import { Embedding, type EmbeddingConfig } from '../layers/embedding.js';
import type { NamedShape, ParameterBlock } from '../layers/parameter-store.js';
import { Recurrent } from '../layers/recurrent.js';
import { RowGather } from '../layers/row-gather.js';
import { CrossEntropyLoss } from '../losses/cross-entropy.js';
import { BCEWithLogitsLoss, MSELoss } from '../losses/elementwise.js';
import { sequenceMask } from '../losses/mask.js';

/** The loss a {@link SequenceModel} trains with (PyTorch's functional names). */
export type SequenceLoss = 'cross_entropy' | 'bce_with_logits' | 'mse';

/**
 * Where the head predicts: `all_steps` — many-to-many with Tx = Ty (a prediction per valid step);
 * `last_step` — many-to-one (from each row's last valid step of the output sequence).
 */
export type SequenceTarget = 'all_steps' | 'last_step';

/**
 * embedding (optional) → recurrent stack → linear head → loss: the `model.json` of `webrnn fit`.
 * Parameter names are PyTorch's for a module with children `embedding`, `rnn`, `linear`.
 */
export interface SequenceModelConfig {
  embedding: EmbeddingConfig | null;
  rnn: RecurrentConfig;
  linear: DenseConfig;
  loss: SequenceLoss;
  target: SequenceTarget;
}

/**
 * One batch, batch-first as a PyTorch DataLoader gives it. Exactly one of `tokens` (with an
 * embedding) or `input` (without).
 */
export interface SequenceBatch {
  B: number;
  T: number;
  /** (B, T) token ids, when the model has an embedding */
  tokens?: Int32Array;
  /** (B, T, input_size) features, when it has none */
  input?: Float32Array;
  /** (B,) valid steps per row, each in 1..T; absent = all T */
  lengths?: ArrayLike<number>;
  /**
   * cross_entropy: class ids, (B, T) for all_steps or (B,) for last_step;
   * bce_with_logits / mse: floats, (B, T, O) or (B, O)
   */
  targets: Int32Array | Float32Array;
}

/** Options of {@link SequenceModel.lossAndGrad} and {@link SequenceModel.predict}. */
export interface SequenceStepOptions {
  /**
   * Hidden (and cell) state carried across calls — truncated backpropagation through time: the batch
   * starts from the state's values instead of zeros, and the state is updated to the batch's final
   * states afterwards (gradients do not flow into earlier batches). Make one with
   * {@link SequenceModel.createState}; keep separate states for training and evaluation.
   */
  state?: RecurrentState;
}

/**
 * The recurrent stack's h (and c) for B rows, on the GPU, carried from one batch to the next.
 * `reset()` zeroes it (e.g. at a document boundary).
 */
export class RecurrentState {
  private disposed = false;

  /** @internal */
  constructor(
    readonly B: number,
    /** (L·D, B, H) */ readonly h: Tensor,
    /** (L·D, B, H), LSTM only */ readonly c: Tensor | undefined,
    private readonly engine: Engine,
  ) {}

  /** Back to zeros. */
  reset(): void {
    if (this.isDisposed) throw new WebRnnError('DISPOSED', 'this recurrent state was disposed');
    this.engine.checkAlive();
    for (const t of [this.h, this.c]) if (t) this.engine.clear(t.buffer, t.byteOffset, t.size * 4);
  }

  /** True after dispose() (or when its memory went with its engine). */
  get isDisposed(): boolean {
    return this.disposed || this.h.isDisposed || (this.c?.isDisposed ?? false);
  }

  dispose(): void {
    this.disposed = true;
    this.h.dispose();
    this.c?.dispose();
  }
}

/** Targets equal to this are not counted (CrossEntropyLoss's default ignore_index, as PyTorch). */
const IGNORE_INDEX = -100;
const LOSSES: readonly SequenceLoss[] = ['cross_entropy', 'bce_with_logits', 'mse'];
const TARGETS: readonly SequenceTarget[] = ['all_steps', 'last_step'];

/**
 * A complete trainable sequence model on the GPU: the course's many-to-many (Tx = Ty) and
 * many-to-one architectures. {@link lossAndGrad} runs the forward, the loss and the whole backward
 * without reading anything back; an optimizer then updates {@link blocks}.
 *
 * Internally everything is time-major: batch-first tokens, inputs and targets are transposed on the
 * CPU while they are being uploaded anyway, so the recurrent layer never needs its batch_first path.
 *
 * @example
 * const model = new SequenceModel(engine, {
 *   embedding: { num_embeddings: 50, embedding_dim: 16 },
 *   rnn: { mode: 'LSTM', input_size: 16, hidden_size: 32 },
 *   linear: { in_features: 32, out_features: 50 },
 *   loss: 'cross_entropy', target: 'all_steps',
 * }, { seed: 1 });
 * const opt = new Adam(engine, model.blocks(), { lr: 1e-2 });
 * const tokens = Int32Array.of(1, 2, 3, 4, 5, 6, 7, 0);  // (B=2, T=4) ids, batch-first
 * const targets = Int32Array.of(2, 3, 4, 5, 6, 7, 8, 0); // the next token of each
 * for (let i = 1; i <= 100; i++) {
 *   const loss = model.lossAndGrad({ B: 2, T: 4, tokens, targets, lengths: [4, 3] });
 *   await opt.stepChecked(i);
 *   if (i % 10 === 0) console.log((await loss.read())[0]);
 * }
 */
export class SequenceModel {
  readonly config: SequenceModelConfig;
  readonly embedding: Embedding | undefined;
  readonly rnn: Recurrent;
  readonly linear: Dense;
  private readonly criterion: CrossEntropyLoss | BCEWithLogitsLoss | MSELoss;
  private readonly gather: RowGather;
  private readonly engine: Engine;
  /** the upload buffer of float inputs, reused while the shape stays */
  private input: Tensor | undefined;
  private disposed = false;

  /**
   * @param opts `seed` of the layers' initialisation; `precision` of the recurrent layer's weights
   * (RecurrentOptions.precision: 'f32', the default, or 'f16-weights' where the adapter has shader-f16).
   */
  constructor(engine: Engine, config: SequenceModelConfig, opts: { seed?: number; precision?: Precision } = {}) {
    sequenceModelSpecs(config);
    knownKeys('SequenceModel options', opts, ['seed', 'precision']);
    // the layers get seed, seed + 1 and seed + 2
    const seed = seedOf('SequenceModel options', opts.seed, 3);
    this.config = config;
    this.engine = engine;
    const made: { dispose(): void }[] = [];
    try {
      if (config.embedding) made.push((this.embedding = new Embedding(engine, config.embedding, { seed })));
      made.push((this.rnn = new Recurrent(engine, { ...config.rnn, batch_first: false }, { seed: seed + 1, ...(opts.precision ? { precision: opts.precision } : {}) })));
      made.push((this.linear = new Dense(engine, config.linear, { seed: seed + 2 })));
      made.push((this.criterion = config.loss === 'cross_entropy' ? new CrossEntropyLoss(engine) : config.loss === 'mse' ? new MSELoss(engine) : new BCEWithLogitsLoss(engine)));
      made.push((this.gather = new RowGather(engine)));
    } catch (e) {
      for (const m of made) m.dispose();
      throw e;
    }
  }

  /** The parameter blocks an optimizer updates, in state_dict order: embedding, rnn, linear. */
  blocks(): ParameterBlock[] {
    return [...(this.embedding ? [this.embedding.store] : []), this.rnn.store, this.linear.store];
  }

  /** Parameter names with their module prefix (embedding.weight, rnn.weight_ih_l0, linear.bias …). */
  parameterNames(): string[] {
    return this.parts().flatMap(([prefix, layer]) => layer.store.specs.map((s) => `${prefix}.${s.name}`));
  }

  /**
   * Loads a PyTorch state_dict of the whole model (prefixed names); every parameter, exact sizes. All
   * of it is checked before anything is loaded: a bad entry leaves every layer as it was.
   */
  loadStateDict(sd: Record<string, Float32Array | Float64Array | readonly number[]>): void {
    this.check();
    if (sd === null || typeof sd !== 'object') throw new WebRnnError('BAD_VALUE', `a state_dict must be an object of parameter arrays by name, got ${String(sd)}`);
    const known = new Set(this.parameterNames());
    const unknown = Object.keys(sd).filter((k) => !known.has(k));
    if (unknown.length) throw new WebRnnError('BAD_SHAPE', `unknown parameter name(s) ${unknown.join(', ')}; this model has ${[...known].join(', ')}`);
    const parts = this.parts().map(([prefix, layer]) => {
      const part: Record<string, Float32Array | Float64Array | readonly number[]> = {};
      for (const s of layer.store.specs) {
        const name = `${prefix}.${s.name}`;
        if (!Object.hasOwn(sd, name)) throw new WebRnnError('BAD_SHAPE', `missing parameter ${name} (shape [${s.shape.join(', ')}])`);
        part[s.name] = sd[name];
      }
      try {
        layer.store.validate(part, prefix);
      } catch (e) {
        if (e instanceof WebRnnError) throw new WebRnnError(e.code, `${prefix}: ${e.message}`);
        throw e;
      }
      return [layer, part] as const;
    });
    for (const [layer, part] of parts) layer.loadStateDict(part);
  }

  /** The whole model's parameters by prefixed PyTorch name, read back to the CPU. */
  async stateDict(): Promise<Record<string, Float32Array>> {
    this.check();
    const out: Record<string, Float32Array> = {};
    for (const [prefix, layer] of this.parts()) {
      for (const [k, v] of Object.entries(await layer.stateDict())) out[`${prefix}.${k}`] = v;
    }
    return out;
  }

  /** Dropout (between recurrent layers) on — PyTorch's model.train(). */
  train(): this {
    this.rnn.train();
    return this;
  }

  /** Dropout off — PyTorch's model.eval(). */
  eval(): this {
    this.rnn.eval();
    return this;
  }

  /**
   * Forward, loss and backward of one batch: afterwards every block's gradient buffer holds dLoss/dθ.
   * Returns the loss (a 1-element view, valid until the next call); nothing is read back.
   */
  lossAndGrad(batch: SequenceBatch, opts?: SequenceStepOptions): Tensor {
    return this.run(batch, opts, true);
  }

  /**
   * The loss of a batch without the backward (evaluation: validation loss, perplexity). A 1-element
   * view, valid until the next call.
   */
  loss(batch: SequenceBatch, opts?: SequenceStepOptions): Tensor {
    return this.run(batch, opts, false);
  }

  private run(batch: SequenceBatch, options: SequenceStepOptions | undefined, backward: boolean): Tensor {
    this.check();
    const opts = optionsOf('SequenceModel step options', options, ['state']);
    const { B, T } = this.checkBatch(batch, true, opts.state);
    const c = this.config;
    const lengths = batch.lengths ? Array.from(batch.lengths) : undefined;
    const out = this.forwardSequence(batch, lengths, opts.state);
    const O = c.linear.out_features;
    let gradOutput: Tensor;
    if (c.target === 'all_steps') {
      const logits = this.linear.forward(out); // (T, B, O)
      const mask = lengths ? sequenceMask(lengths, T) : undefined;
      const r = this.lossOn(logits, timeMajor(batch.targets, B, T, c.loss === 'cross_entropy' ? 1 : O), mask);
      if (!backward) return r.loss;
      gradOutput = this.linear.backward(r.grad_input).grad_input;
      return this.finish(gradOutput, r.loss, batch);
    }
    const rows = Array.from({ length: B }, (_, b) => ((lengths?.[b] ?? T) - 1) * B + b);
    const last = this.gather.forward(out, rows); // (B, D·H)
    const logits = this.linear.forward(last); // (B, O)
    const r = this.lossOn(logits, batch.targets, undefined);
    if (!backward) return r.loss;
    const dLast = this.linear.backward(r.grad_input).grad_input;
    const dOut = this.gather.backward(dLast); // (T·B, D·H)
    return this.finish(dOut, r.loss, batch);
  }

  /**
   * The head's logits for a batch (no loss, no backward; targets may be omitted): time-major
   * (T, B, O) for all_steps — entry (t, b) is row b's prediction at step t — or (B, O) for last_step.
   * A view, valid until the next call.
   */
  predict(batch: Omit<SequenceBatch, 'targets'> & { targets?: SequenceBatch['targets'] }, options?: SequenceStepOptions): Tensor {
    this.check();
    const opts = optionsOf('SequenceModel step options', options, ['state']);
    const { B, T } = this.checkBatch(batch, false, opts.state);
    const lengths = batch.lengths ? Array.from(batch.lengths) : undefined;
    const out = this.forwardSequence(batch as SequenceBatch, lengths, opts.state);
    if (this.config.target === 'all_steps') return this.linear.forward(out);
    return this.linear.forward(this.gather.forward(out, Array.from({ length: B }, (_, b) => ((lengths?.[b] ?? T) - 1) * B + b)));
  }

  /** Frees every layer. */
  dispose(): void {
    if (this.disposed) return;
    for (const x of [this.embedding, this.rnn, this.linear, this.criterion, this.gather, this.input]) x?.dispose();
    this.disposed = true;
  }

  private finish(gradOutput: Tensor, loss: Tensor, batch: SequenceBatch): Tensor {
    // The recurrent layer's grad_output is (T, B, D·H); a gathered gradient comes back as (T·B, D·H)
    // rows of the same memory, which rnn.backward reads through its own shape check.
    const g = this.rnn.backward({ grad_output: gradOutput.view([batch.T, batch.B, gradOutput.shape[gradOutput.shape.length - 1]]) });
    if (this.embedding) this.embedding.backward(g.grad_input);
    return loss;
  }

  private lossOn(logits: Tensor, targets: Int32Array | Float32Array, mask: Uint8Array | undefined) {
    if (this.criterion instanceof CrossEntropyLoss) return this.criterion.forward(logits, targets as Int32Array, mask ? { mask } : {});
    return this.criterion.forward(logits, targets as Float32Array, mask ? { mask } : {});
  }

  /**
   * A zero state for batches of B rows, for {@link SequenceStepOptions.state}.
   *
   * @example
   * const st = model.createState(2);
   * const windows = [0, 1, 2].map(() => ({ B: 2, T: 4, tokens: new Int32Array(8), targets: new Int32Array(8) }));
   * for (const w of windows) model.lossAndGrad(w, { state: st }); // each window continues the last
   */
  createState(B: number): RecurrentState {
    this.check();
    if (!Number.isInteger(B) || B < 1) throw new WebRnnError('BAD_SHAPE', `createState: B must be a positive integer, got ${B}`);
    const r = this.rnn.config;
    const LD = r.num_layers * (r.bidirectional ? 2 : 1);
    return new RecurrentState(B, this.engine.empty([LD, B, hiddenStateSize(r)]), r.mode === 'LSTM' ? this.engine.empty([LD, B, r.hidden_size]) : undefined, this.engine);
  }

  private forwardSequence(batch: SequenceBatch, lengths: number[] | undefined, state?: RecurrentState): Tensor {
    const { B, T } = batch;
    let x: Tensor;
    if (this.embedding) {
      x = this.embedding.forward(timeMajor(batch.tokens!, B, T, 1), [T, B]);
    } else {
      const I = this.rnn.config.input_size;
      const data = timeMajor(batch.input!, B, T, I);
      if (this.input?.size !== data.length) {
        this.input?.dispose();
        this.input = this.engine.empty([T, B, I]);
      }
      this.engine.writeBuffer(this.input.buffer, 0, data);
      x = this.input.view([T, B, I]);
    }
    if (state && state.B !== B) throw new WebRnnError('BAD_SHAPE', `the state was made for B = ${state.B} rows, the batch has ${B}`);
    const r = this.rnn.forward(x, { ...(lengths ? { lengths } : {}), ...(state ? { h0: state.h, ...(state.c ? { c0: state.c } : {}) } : {}) });
    if (state) {
      // Carry the final states; the copies run after this forward on the queue, before anything later.
      this.engine.copy(r.h_n.buffer, r.h_n.byteOffset, state.h.buffer, state.h.byteOffset, state.h.size * 4);
      if (state.c && r.c_n) this.engine.copy(r.c_n.buffer, r.c_n.byteOffset, state.c.buffer, state.c.byteOffset, state.c.size * 4);
    }
    return r.output;
  }

  private checkBatch(batch: Omit<SequenceBatch, 'targets'> & { targets?: SequenceBatch['targets'] }, needTargets = true, state?: RecurrentState): { B: number; T: number } {
    if (batch === null || typeof batch !== 'object') throw new WebRnnError('BAD_VALUE', `batch must be an object { B, T, tokens | input, targets, lengths? }, got ${String(batch)}`);
    knownKeys('batch', batch, ['B', 'T', 'tokens', 'input', 'lengths', 'targets'], { code: 'BAD_VALUE' });
    const { B, T } = batch;
    if (!Number.isInteger(B) || B < 1 || !Number.isInteger(T) || T < 1) throw new WebRnnError('BAD_SHAPE', `batch: B and T must be positive integers, got B=${B}, T=${T}`);
    const c = this.config;
    if (this.embedding) {
      if (!(batch.tokens instanceof Int32Array) || batch.tokens.length !== B * T) throw new WebRnnError('BAD_SHAPE', `batch: tokens must be an Int32Array of B·T = ${B * T} ids (B, T)`);
      if (batch.input !== undefined) throw new WebRnnError('BAD_SHAPE', 'batch: this model has an embedding: give tokens, not input');
      const V = this.embedding.num_embeddings;
      const bad = batch.tokens.findIndex((v) => v < 0 || v >= V);
      if (bad >= 0) throw new WebRnnError('BAD_VALUE', `batch: tokens[${bad}] (row ${Math.floor(bad / T)}, step ${bad % T}) is ${batch.tokens[bad]}, outside [0, ${V})`);
    } else {
      const I = this.rnn.config.input_size;
      if (!(batch.input instanceof Float32Array) || batch.input.length !== B * T * I) throw new WebRnnError('BAD_SHAPE', `batch: input must be a Float32Array of B·T·I = ${B * T * I} values (B, T, I)`);
      if (batch.tokens !== undefined) throw new WebRnnError('BAD_SHAPE', 'batch: this model has no embedding: give input, not tokens');
      this.engine.assertFinite(batch.input, 'batch: input');
    }
    if (batch.lengths !== undefined) {
      const l = batch.lengths;
      if (l === null || typeof l !== 'object') throw new WebRnnError('BAD_LENGTHS', `batch: lengths must be an array of B = ${B} integers, got ${String(l)}`);
      if (l.length !== B) throw new WebRnnError('BAD_LENGTHS', `batch: lengths must have B = ${B} entries, got ${l.length}`);
      for (let b = 0; b < B; b++) if (!Number.isInteger(l[b]) || l[b] < 1 || l[b] > T) throw new WebRnnError('BAD_LENGTHS', `batch: lengths[${b}] = ${l[b]}, must be an integer in 1..T = 1..${T}`);
    }
    if (state !== undefined) {
      if (!(state instanceof RecurrentState)) throw new WebRnnError('BAD_VALUE', 'state must be a RecurrentState from model.createState(B)');
      if (state.isDisposed) throw new WebRnnError('DISPOSED', 'the state was disposed');
      if (state.B !== B) throw new WebRnnError('BAD_SHAPE', `the state was made for B = ${state.B} rows, the batch has ${B}`);
      const r = this.rnn.config;
      const LD = r.num_layers * (r.bidirectional ? 2 : 1);
      expectShape(state.h, 'state.h', [LD, B, hiddenStateSize(r)], this.engine);
      if (r.mode === 'LSTM') {
        if (!state.c) throw new WebRnnError('BAD_VALUE', 'the state has no cell state: it was made by a model whose cell is not an LSTM');
        expectShape(state.c, 'state.c', [LD, B, r.hidden_size], this.engine);
      }
    }
    if (!needTargets && batch.targets === undefined) return { B, T };
    const O = c.linear.out_features;
    const rows = c.target === 'all_steps' ? B * T : B;
    const want = c.loss === 'cross_entropy' ? rows : rows * O;
    const kind = c.loss === 'cross_entropy' ? Int32Array : Float32Array;
    if (!(batch.targets instanceof kind) || batch.targets.length !== want) {
      const shape = c.target === 'all_steps' ? (c.loss === 'cross_entropy' ? '(B, T)' : '(B, T, O)') : c.loss === 'cross_entropy' ? '(B,)' : '(B, O)';
      throw new WebRnnError('BAD_SHAPE', `batch: targets must be a ${kind.name} of ${want} values ${shape} for loss ${c.loss} with target ${c.target}`);
    }
    // Checked here, not by the loss, so that a bad target fails before the forward runs on the GPU.
    if (c.loss === 'cross_entropy') {
      const bad = (batch.targets as Int32Array).findIndex((v) => v !== IGNORE_INDEX && (v < 0 || v >= O));
      if (bad >= 0) throw new WebRnnError('BAD_VALUE', `batch: targets[${bad}] is ${batch.targets[bad]}, outside [0, ${O}) and not the ignore index ${IGNORE_INDEX}`);
    } else this.engine.assertFinite(batch.targets, 'batch: targets');
    return { B, T };
  }

  private parts(): [string, { store: { specs: readonly { name: string; shape: readonly number[] }[]; validate(sd: Record<string, Float32Array | Float64Array | readonly number[]>, what: string): void }; loadStateDict(sd: Record<string, Float32Array | Float64Array | readonly number[]>): void; stateDict(): Promise<Record<string, Float32Array>> }][] {
    return [...(this.embedding ? [['embedding', this.embedding] as const] : []), ['rnn', this.rnn] as const, ['linear', this.linear] as const].map(([p, l]) => [p, l]);
  }

  private check(): void {
    if (this.disposed) throw new WebRnnError('DISPOSED', 'this model was disposed');
  }
}

/**
 * Checks a model config without touching the GPU and returns its parameters' prefixed PyTorch names
 * and shapes in state_dict order. Throws WebRnnError('BAD_CONFIG') naming the bad field.
 *
 * @example
 * sequenceModelSpecs({ embedding: null, rnn: { mode: 'GRU', input_size: 3, hidden_size: 4 },
 *   linear: { in_features: 4, out_features: 2 }, loss: 'mse', target: 'last_step' })
 * // [{ name: 'rnn.weight_ih_l0', shape: [12, 3] }, …, { name: 'linear.bias', shape: [2] }]
 */
export function sequenceModelSpecs(config: SequenceModelConfig): NamedShape[] {
  knownKeys('model', config, ['embedding', 'rnn', 'linear', 'loss', 'target']);
  if (!LOSSES.includes(config.loss)) throw new WebRnnError('BAD_CONFIG', `model: loss must be one of ${LOSSES.join(', ')}, got ${JSON.stringify(config.loss)}`);
  if (!TARGETS.includes(config.target)) throw new WebRnnError('BAD_CONFIG', `model: target must be one of ${TARGETS.join(', ')}, got ${JSON.stringify(config.target)}`);
  if (config.rnn === null || typeof config.rnn !== 'object') throw new WebRnnError('BAD_CONFIG', 'model: rnn must be an object with the recurrent layer\'s arguments');
  const rnn = resolveConfig(config.rnn);
  const D = rnn.bidirectional ? 2 : 1;
  const specs: NamedShape[] = [];
  const e = config.embedding;
  if (e !== null) {
    knownKeys('model.embedding', e, ['num_embeddings', 'embedding_dim', 'padding_idx']);
    const V = intOption('model.embedding', 'num_embeddings', e.num_embeddings);
    const E = intOption('model.embedding', 'embedding_dim', e.embedding_dim);
    if (E !== rnn.input_size) throw new WebRnnError('BAD_CONFIG', `model: embedding.embedding_dim (${E}) must equal rnn.input_size (${rnn.input_size})`);
    specs.push({ name: 'embedding.weight', shape: [V, E] });
  }
  for (const s of parameterSpecs(rnn)) specs.push({ name: `rnn.${s.name}`, shape: s.shape });
  const l = config.linear;
  knownKeys('model.linear', l, ['in_features', 'out_features', 'bias']);
  const F = intOption('model.linear', 'in_features', l.in_features);
  const O = intOption('model.linear', 'out_features', l.out_features);
  const W = D * hiddenStateSize(rnn);
  if (F !== W) throw new WebRnnError('BAD_CONFIG', `model: linear.in_features must be the RNN's output width ${rnn.proj_size ? 'D·proj_size' : 'D·H'} = ${W}, got ${F}`);
  specs.push({ name: 'linear.weight', shape: [O, F] });
  if (flag('model.linear', 'bias', l.bias, true)) specs.push({ name: 'linear.bias', shape: [O] });
  return specs;
}

/** (B, T, F) batch-first values → (T, B, F) time-major, same typed-array kind. */
function timeMajor<A extends Int32Array | Float32Array>(a: A, B: number, T: number, F: number): A & { buffer: ArrayBuffer } {
  const out = new (a.constructor as { new (n: number): A & { buffer: ArrayBuffer } })(a.length);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out.set(a.subarray((b * T + t) * F, (b * T + t + 1) * F), (t * B + b) * F);
  return out;
}
