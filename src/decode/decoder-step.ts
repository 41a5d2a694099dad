import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { Program } from '../gpu/program.js';
import { Recorder } from '../gpu/recorder.js';
import type { Tensor } from '../gpu/tensor.js';
import { expectShape } from '../gpu/tensor-checks.js';
import type { Dense } from '../layers/dense.js';
import type { Embedding } from '../layers/embedding.js';
import { foldedGrid } from '../layers/grid.js';
import type { Recurrent } from '../layers/recurrent.js';
import { RecurrentPlan } from '../layers/recurrent-plan.js';
import { SequenceModel } from '../model/sequence-model.js';
import * as shaders from '../gpu/shader-sources.gen.js';

/**
 * The pieces of a recurrent language model or decoder, applied one token at a time:
 * token → embedding row (or one-hot) → recurrent stack → dense head → logits over the vocabulary.
 * Every decoder ({@link Generator}, {@link BeamSearch}, {@link beamSearch}) also takes a
 * {@link SequenceModel} as it is: its `embedding`, `rnn` and `linear` are these pieces.
 */
export interface DecoderModel {
  /** Token ids → input rows (embedding_dim = the recurrent input_size). Absent: one-hot rows of input_size. */
  embedding?: Embedding;
  /** Unidirectional RNN / GRU / LSTM stack (any depth; dropout is off: generation is evaluation). */
  recurrent: Recurrent;
  /** hidden_size → V logits; V ≤ the input vocabulary, so every generated id is a valid next input. */
  head: Dense;
}

/** Sizes of a checked {@link DecoderModel}. */
export interface DecoderDims {
  /** Input vocabulary: embedding rows, or the one-hot width (input_size). */
  Vin: number;
  /** Output vocabulary (head.out_features). */
  V: number;
  I: number;
  H: number;
  L: number;
  lstm: boolean;
}

const F32 = 4;

/** The pieces of a SequenceModel (embedding, rnn, linear) under the decoders' names; other models as given. */
export function decoderParts(model: DecoderModel | SequenceModel): DecoderModel {
  if (!(model instanceof SequenceModel)) return model;
  return { ...(model.embedding ? { embedding: model.embedding } : {}), recurrent: model.rnn, head: model.linear };
}

/** Checks that the pieces fit together (BAD_CONFIG naming the mismatch) and that none is disposed. */
export function checkDecoderModel(model: DecoderModel, what: string): DecoderDims {
  if (model === null || typeof model !== 'object' || !model.recurrent || !model.head) {
    throw new WebRnnError('BAD_CONFIG', `${what}: the model must be a SequenceModel or { recurrent, head } with an optional embedding`);
  }
  const c = model.recurrent.config;
  // parameters() throws DISPOSED for a disposed layer: a plan over freed buffers would fail on the GPU.
  model.recurrent.parameters();
  model.head.parameters();
  model.embedding?.parameters();
  if (c.bidirectional) throw new WebRnnError('BAD_CONFIG', `${what}: a bidirectional layer cannot generate (its reverse direction needs the future)`);
  if (c.proj_size > 0) throw new WebRnnError('BAD_CONFIG', `${what}: decoding does not run a projected LSTM (proj_size ${c.proj_size}) yet; train and evaluate it with forward/backward`);
  const H = c.hidden_size;
  if (model.head.in_features !== H) {
    throw new WebRnnError('BAD_CONFIG', `${what}: head.in_features (${model.head.in_features}) must equal the recurrent hidden_size (${H})`);
  }
  const e = model.embedding;
  if (e && e.embedding_dim !== c.input_size) {
    throw new WebRnnError('BAD_CONFIG', `${what}: embedding_dim (${e.embedding_dim}) must equal the recurrent input_size (${c.input_size})`);
  }
  const Vin = e ? e.num_embeddings : c.input_size;
  const V = model.head.out_features;
  if (V > Vin) {
    throw new WebRnnError('BAD_CONFIG', `${what}: head.out_features (${V}) exceeds the input vocabulary (${Vin}${e ? ' embedding rows' : ', one-hot input_size'}): generated ids could not be fed back`);
  }
  return { Vin, V, I: c.input_size, H, L: c.num_layers, lstm: c.mode === 'LSTM' };
}

/** The input dispatch bound to one ids buffer: gathers (or one-hots) row step.t of it. */
export interface InputBinding {
  record(prog: Program, slot: number): void;
}

/**
 * One decoding step for B rows, recorded once and replayed: the input rows for B token ids already on
 * the GPU, the recurrent stack over T = 1 (its own RecurrentPlan over the layer's parameter buffer, so
 * the layer's forward() workspaces are untouched), and the head's logits (B, V).
 *
 * The carried state lives in `h` / `c` (L, B, H) — the plan's h_n / c_n. A step reads it into the
 * plan's initial slots (`stateIn`: copies, or beam search's reorder), runs, and writes it back
 * (`stateOut`), so steps chain on the GPU with no CPU involvement.
 */
export class DecoderStep {
  readonly dims: DecoderDims;
  readonly rec: Recorder;
  readonly plan: RecurrentPlan;
  /** (B, V) logits of the latest step. */
  readonly logits: GPUBuffer;
  /** (L, B, H) carried hidden state. */
  readonly h: GPUBuffer;
  /** (L, B, H) carried cell state (LSTM). */
  readonly c: GPUBuffer | undefined;
  /** h/c → the plan's initial-state slots. */
  readonly stateIn = new Program();
  /** The recurrent stack over the step's input, then the head. */
  readonly forward = new Program();
  /** The plan's final states → h/c. */
  readonly stateOut: Program;
  private readonly input: GPUBuffer;
  private readonly model: DecoderModel;

  constructor(
    private readonly engine: Engine,
    source: DecoderModel | SequenceModel,
    readonly B: number,
    what: string,
  ) {
    const model = (this.model = decoderParts(source));
    const d = (this.dims = checkDecoderModel(model, what));
    const cfg = model.recurrent.config;
    this.rec = new Recorder(engine, what);
    try {
      const r = model.recurrent;
      this.plan = new RecurrentPlan(engine, cfg, r.layout, r.store.params, r.store.grads, 1, B);
      engine.writeBuffer(this.plan.ws.lengths, 0, new Uint32Array(B).fill(1));
      this.h = this.plan.ws.hn;
      this.c = this.plan.ws.cn;
      this.input = cfg.batch_first ? this.plan.ws.xbf! : this.plan.ws.x0;
      const output = cfg.batch_first ? this.plan.ws.outbf! : this.plan.ws.y[d.L - 1];
      this.logits = this.rec.buffer(B * d.V * F32, 'logits');
      const BH = B * d.H * F32;
      for (let l = 0; l < d.L; l++) {
        this.stateIn.copy(this.h, l * BH, this.plan.ws.hs[l], this.plan.initialSlot(0), BH);
        if (this.c) this.stateIn.copy(this.c, l * BH, this.plan.ws.cs[l], this.plan.initialSlot(0, 'c'), BH);
      }
      this.forward.append(this.plan.forward);
      const head = model.head;
      const wOff = head.store.offset('weight');
      this.rec.matmul(this.forward, 'logits = h·Wᵀ + b', {
        M: B, N: d.V, K: d.H,
        a_rs: d.H, a_cs: 1,
        b_off: wOff, b_rs: 1, b_cs: d.H,
        c_rs: d.V, bias_off: head.bias ? head.store.offset('bias') : 0,
      }, output, head.store.params, this.logits, 1, head.bias ? head.store.params : undefined);
      this.stateOut = this.plan.forwardOut;
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /** The input dispatch reading ids[t·B + n] (t = step.t of the slot it is recorded with). */
  bindInput(ids: GPUBuffer, steps: GPUBuffer): InputBinding {
    const { B, dims } = this;
    const e = this.model.embedding;
    const k = this.engine.kernel(e ? shaders.embedding_gather_ids : shaders.one_hot_ids);
    const g0 = e
      ? this.rec.bind(k, { N: B, E: dims.I, V: dims.Vin, w_off: e.store.offset('weight'), ids_off: 0 }, { ids, w: e.store.params, out: this.input }, 'input')
      : this.rec.bind(k, { N: B, V: dims.I, ids_off: 0 }, { ids, out: this.input }, 'input');
    const g1 = k.bindGroup(1, { step: steps }, 'input:steps');
    const grid = foldedGrid(this.engine, Math.ceil((B * dims.I) / 64));
    return { record: (prog, slot) => prog.dispatch(k, [g0, g1], grid, slot) };
  }

  /**
   * Sets the carried state: h0 / c0 (L, B, H) when given, zeros when absent. Ordered on the queue
   * before anything submitted later.
   */
  setState(h0: Tensor | undefined, c0: Tensor | undefined, what: string): void {
    const { L, H, lstm } = this.dims;
    const shape = [L, this.B, H];
    if (h0 !== undefined) expectShape(h0, `${what} h0`, shape);
    if (c0 !== undefined) {
      if (!lstm) throw new WebRnnError('BAD_SHAPE', `${what}: c0 is for LSTM only; this model is ${this.model.recurrent.config.mode}`);
      expectShape(c0, `${what} c0`, shape);
    }
    const n = L * this.B * H * F32;
    const p = new Program();
    for (const [given, buf] of [[h0, this.h], [c0, this.c]] as const) {
      if (!buf) continue;
      if (given) p.copy(given.buffer, given.byteOffset, buf, 0, n);
      else p.clear(buf, 0, n);
    }
    this.engine.run(p);
  }

  /** Throws DISPOSED when a layer of the model was disposed (its buffers are gone). */
  checkAlive(): void {
    this.model.recurrent.parameters();
    this.model.head.parameters();
    this.model.embedding?.parameters();
  }

  dispose(): void {
    this.plan?.dispose();
    this.rec.dispose();
  }
}
