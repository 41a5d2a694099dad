import { forwardOnlyOption, hiddenStateSize, parameterCount, parameterSpecs, resolveConfig, type ParamSpec, type RecurrentConfig, type ResolvedConfig } from './recurrent-config.js';
import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { Program } from '../gpu/program.js';
import { Tensor } from '../gpu/tensor.js';
import { knownKeys, optionsOf, seedOf } from '../checks.js';
import { expectShape, liveTensor } from '../gpu/tensor-checks.js';
import { ParameterLayer } from './layer.js';
import { layerOffsets, RecurrentPlan, type LayerOffsets } from './recurrent-plan.js';
import { checkSchedule, stepKernelOf, stepVariantFor, type RecurrentSchedule } from './recurrent-schedule.js';
import { PRECISIONS, type Precision, type StepVariant } from '../gpu/kernel-variants.js';
import * as shaders from '../gpu/shader-sources.gen.js';

export type { RecurrentSchedule } from './recurrent-schedule.js';

/** Optional inputs of {@link Recurrent.forward}, as PyTorch's `rnn(input, h0)` plus packed lengths. */
export interface ForwardOptions {
  /** Initial hidden state (L·D, B, H), or (L·D, B, proj_size) for a projected LSTM; zeros when absent. */
  h0?: Tensor;
  /** Initial cell state (L·D, B, H), LSTM only; zeros when absent. */
  c0?: Tensor;
  /** Valid steps per batch row, each in 1..T, any order (pack_padded_sequence(enforce_sorted=False)). */
  lengths?: ArrayLike<number>;
}

export interface ForwardResult {
  /** (T, B, D·H), or (B, T, D·H) when batch_first; 0 at padded steps. proj_size replaces H here and in h_n. */
  output: Tensor;
  /** (L·D, B, H), index layer·D + direction; each row's state after its last valid step. */
  h_n: Tensor;
  /** (L·D, B, H), LSTM only. */
  c_n?: Tensor;
}

/** Upstream gradients for {@link Recurrent.backward}; absent ones are zeros. */
export interface BackwardOptions {
  grad_output?: Tensor;
  grad_h_n?: Tensor;
  grad_c_n?: Tensor;
}

export interface BackwardResult {
  /** dL/d(input), same shape as the input. */
  grad_input: Tensor;
  /** dL/dh0 (L·D, B, H), or (L·D, B, proj_size). */
  grad_h0: Tensor;
  /** dL/dc0 (L·D, B, H), LSTM only. */
  grad_c0?: Tensor;
  /** dL/d(parameter) for every state_dict name. */
  grads: Record<string, Tensor>;
}

export interface RecurrentOptions {
  /** Seed of the PyTorch-style initialisation U(−1/√H, 1/√H) (default 0). */
  seed?: number;
  /**
   * 'per-step': one dispatch per time step (all units of all rows in parallel); 'persistent': one
   * dispatch per layer for the forward sweep and one for the reverse (BPTT) sweep, a workgroup per 4
   * batch rows and direction looping over the steps (fewer dispatches, less parallelism; reset-before
   * GRU always runs per step; a projected LSTM only per step, and 'persistent' with proj_size > 0 is a
   * BAD_CONFIG error); 'auto' (default): the engine tuner's choice for this cell's step kernel
   * at (H, B, D) — which may also be one of the per-step variants 'coalesced' or 'split-k'
   * (createEngine's `kernels`) —, timed on this adapter (createEngine's `tuning`), and until it is
   * measured or with tuning 'off', persistent when the per-step grid (⌈H/64⌉·⌈B/4⌉·D workgroups) is at
   * most 2.
   */
  schedule?: RecurrentSchedule;
  /**
   * How the kernels read the weights (default 'f32'). 'f16-weights': once per forward one dispatch
   * writes an f16 copy of the parameters, and the input-projection GEMM and the step kernels (forward
   * and BPTT) read every weight and bias from it, accumulating in f32; the parameters,
   * state_dict, gradients and optimizer stay f32. Outputs then differ from f32 by about 1e-3 relative
   * (the weights' rounding; README "Precision"). Needs the adapter feature shader-f16
   * (engine.precisions), else BAD_CONFIG; runs the per-step and persistent schedules only (forcing
   * the step variant 'coalesced' or 'split-k' with it is BAD_CONFIG).
   *
   * @example
   * const lstm = new Recurrent(engine, { mode: 'LSTM', input_size: 64, hidden_size: 128 }, { precision: 'f16-weights' });
   */
  precision?: Precision;
}

/**
 * A stack of recurrent layers (RNN, GRU or LSTM; optionally bidirectional) with PyTorch's
 * nn.RNN/nn.GRU/nn.LSTM semantics, running on the GPU. Parameters live in one flat GPU buffer in
 * state_dict order; gradients in a second one with the same layout.
 *
 * Results of forward/backward are views of the layer's workspace for that (T, B): they stay valid until
 * the next forward/backward call — read() or clone() what you want to keep.
 *
 * @example
 * const engine = await createEngine();
 * const lstm = new Recurrent(engine, { mode: 'LSTM', input_size: 8, hidden_size: 16, bidirectional: true });
 * const x = engine.tensor(new Float32Array(5 * 2 * 8), [5, 2, 8]);   // (T, B, I)
 * const { output, h_n } = lstm.forward(x, { lengths: [5, 3] });
 * console.log(output.shape, await h_n.read());                       // [5, 2, 32]
 * const g = lstm.backward({ grad_output: engine.tensor(new Float32Array(5 * 2 * 32).fill(1), [5, 2, 32]) });
 * console.log(await g.grads.weight_hh_l0.read());
 */
export class Recurrent extends ParameterLayer {
  readonly config: ResolvedConfig;
  private readonly paramSpecs: readonly ParamSpec[];
  private readonly layers: readonly LayerOffsets[];
  /**
   * Training mode (PyTorch's `module.training`, default true): dropout between layers is applied only
   * in training mode. Set with train()/eval().
   */
  training = true;
  private seed: number;
  private readonly schedule: RecurrentSchedule;
  /** How the kernels read the weights (RecurrentOptions.precision). */
  readonly precision: Precision;
  private calls = 0;
  private plan: RecurrentPlan | undefined;
  private last: { T: number; B: number; x: Tensor; hasH0: boolean; hasC0: boolean } | undefined;

  /**
   * A recurrent layer stack on `engine`'s device, initialised like PyTorch from `opts.seed`. A bad
   * config or option throws BAD_CONFIG (a size beyond the device's limits DEVICE_LIMIT) before any
   * GPU work.
   *
   * @example
   * const lstm = new Recurrent(engine, { mode: 'LSTM', input_size: 32, hidden_size: 64, num_layers: 2 }, { seed: 1 });
   */
  constructor(engine: Engine, config: RecurrentConfig, opts: RecurrentOptions = {}) {
    engine.checkAlive();
    knownKeys('recurrent options', opts, ['seed', 'schedule', 'precision']);
    const precision = checkPrecision(engine, 'recurrent options', opts.precision);
    if (opts.schedule !== undefined && !['auto', 'per-step', 'persistent'].includes(opts.schedule)) {
      throw new WebRnnError('BAD_CONFIG', `recurrent options: schedule must be 'auto', 'per-step' or 'persistent', got ${JSON.stringify(opts.schedule)}`);
    }
    // The seed is also the dropout masks' u32 seed: checked here, not at the first forward.
    const seed = seedOf('recurrent options', opts.seed);
    const resolved = resolveConfig(config);
    checkSchedule(resolved, opts.schedule ?? 'auto');
    const forced = precision === 'f32' ? undefined : engine.tuner.forcedVariant(stepKernelOf(resolved));
    if (forced === 'coalesced' || forced === 'split-k') {
      throw new WebRnnError('BAD_CONFIG', `recurrent options: precision '${precision}' runs the per-step and persistent variants only, and the engine forces ${stepKernelOf(resolved)}=${forced}; force 'per-step' or 'persistent', or leave it to the tuner`);
    }
    // From the config alone, before any per-layer object is made: the flat parameter buffer is bound whole.
    engine.checkBufferSize(parameterCount(resolved) * 4, 'recurrent parameters (from input_size, hidden_size, num_layers, bidirectional)');
    const specs = parameterSpecs(resolved);
    super(engine, specs, resolved.mode);
    this.paramSpecs = specs;
    this.schedule = opts.schedule ?? 'auto';
    this.precision = precision;
    this.seed = seed;
    this.config = resolved;
    this.layers = layerOffsets(specs, this.store.specOffsets);
    this.store.initUniform(this.seed, 1 / Math.sqrt(this.config.hidden_size));
  }

  /** Names and shapes of the parameters in state_dict order, each with its layer, direction and kind. */
  override get specs(): readonly ParamSpec[] {
    return this.paramSpecs;
  }

  /** @internal where each layer's parameters sit in the flat buffers (what plans are built from) */
  get layout(): readonly LayerOffsets[] {
    return this.layers;
  }

  /**
   * Runs the layer stack over a batch of sequences. Validates every shape before any GPU work.
   * @param input (T, B, input_size), or (B, T, input_size) when batch_first
   */
  forward(input: Tensor, options?: ForwardOptions): ForwardResult {
    this.check();
    const opts = optionsOf('forward options', options, ['h0', 'c0', 'lengths']);
    const c = this.config;
    const L = c.num_layers;
    const D = c.bidirectional ? 2 : 1;
    const H = c.hidden_size;
    const R = hiddenStateSize(c);
    liveTensor(input, 'input', this.engine);
    if (input.shape.length !== 3) throw new WebRnnError('BAD_SHAPE', `input must be 3-D ${c.batch_first ? '(B, T, I)' : '(T, B, I)'}, got shape [${input.shape.join(', ')}]`);
    const [T, B] = c.batch_first ? [input.shape[1], input.shape[0]] : [input.shape[0], input.shape[1]];
    if (input.shape[2] !== c.input_size) throw new WebRnnError('BAD_SHAPE', `input's last dimension must be input_size = ${c.input_size}, got shape [${input.shape.join(', ')}]`);
    if (T < 1 || B < 1) throw new WebRnnError('BAD_SHAPE', `input needs at least one step and one batch row, got shape [${input.shape.join(', ')}]`);
    const stateShape = [L * D, B, R];
    const cellShape = [L * D, B, H];
    if (opts.h0 !== undefined) expectShape(opts.h0, 'h0', stateShape, this.engine);
    if (opts.c0 !== undefined) {
      if (c.mode !== 'LSTM') throw new WebRnnError('BAD_SHAPE', `c0 is for LSTM only; this layer is ${c.mode}`);
      expectShape(opts.c0, 'c0', cellShape, this.engine);
    }
    const lengths = checkLengths(opts.lengths, T, B);

    const plan = this.planFor(T, B);
    this.engine.writeBuffer(plan.ws.lengths, 0, lengths);
    if (plan.dropoutCall) {
      // A fresh mask per forward; the backward reuses it (the buffer is not rewritten until the next forward).
      this.engine.writeBuffer(plan.dropoutCall, 0, this.engine.kernel(shaders.dropout).packUniform('C', { seed: this.seed, call: ++this.calls, enabled: this.training ? 1 : 0 }));
    }
    // Per-call copies of the caller's tensors into the plan's buffers; the recorded programs stay fixed.
    const pre = new Program();
    pre.copy(input.buffer, input.byteOffset, c.batch_first ? plan.ws.xbf! : plan.ws.x0, 0, input.size * 4);
    for (let l = 0; l < L; l++) {
      for (let d = 0; d < D; d++) {
        for (const [given, ws, state, width] of [[opts.h0, plan.ws.hs[l], 'h', R], [opts.c0, plan.ws.cs[l], 'c', H]] as const) {
          if (!ws) continue;
          const bytes = B * width * 4;
          if (given) pre.copy(given.buffer, given.byteOffset + (l * D + d) * bytes, ws, plan.initialSlot(d, state), bytes);
          else pre.clear(ws, plan.initialSlot(d, state), bytes);
        }
      }
    }
    this.engine.run(pre, plan.forward, plan.forwardOut);
    this.last = { T, B, x: input, hasH0: opts.h0 !== undefined, hasC0: opts.c0 !== undefined };
    const out = c.batch_first ? plan.ws.outbf! : plan.ws.y[L - 1];
    return {
      output: new Tensor(this.engine, out, c.batch_first ? [B, T, D * R] : [T, B, D * R], 0, false),
      h_n: new Tensor(this.engine, plan.ws.hn, stateShape, 0, false),
      ...(plan.ws.cn ? { c_n: new Tensor(this.engine, plan.ws.cn, cellShape, 0, false) } : {}),
    };
  }

  /**
   * Backpropagation through time for the most recent forward: gradients of the input, initial states
   * and every parameter, given upstream gradients (zeros where absent). Gradients are overwritten,
   * not accumulated.
   */
  backward(upstream?: BackwardOptions): BackwardResult {
    this.check();
    const up = optionsOf('backward options', upstream, ['grad_output', 'grad_h_n', 'grad_c_n']);
    const forwardOnly = forwardOnlyOption(this.config);
    if (forwardOnly) throw new WebRnnError('BAD_CONFIG', `backward does not implement ${forwardOnly} (ONNX's options are forward only)`);
    const last = this.last;
    if (!last) throw new WebRnnError('BAD_STATE', 'backward needs a forward first');
    const plan = this.plan!;
    const c = this.config;
    const L = c.num_layers;
    const D = c.bidirectional ? 2 : 1;
    const H = c.hidden_size;
    const R = hiddenStateSize(c);
    const { T, B } = last;
    const outShape = c.batch_first ? [B, T, D * R] : [T, B, D * R];
    const stateShape = [L * D, B, R];
    const cellShape = [L * D, B, H];
    if (up.grad_output !== undefined) expectShape(up.grad_output, 'grad_output', outShape, this.engine);
    if (up.grad_h_n !== undefined) expectShape(up.grad_h_n, 'grad_h_n', stateShape, this.engine);
    if (up.grad_c_n !== undefined) {
      if (c.mode !== 'LSTM') throw new WebRnnError('BAD_SHAPE', `grad_c_n is for LSTM only; this layer is ${c.mode}`);
      expectShape(up.grad_c_n, 'grad_c_n', cellShape, this.engine);
    }
    const bw = plan.ensureBackward();
    // Per-call copies of the caller's tensors into the plan's buffers; the recorded programs stay fixed.
    const pre = new Program();
    const dyTop = c.batch_first ? bw.dybf! : bw.dy[L - 1];
    if (up.grad_output) pre.copy(up.grad_output.buffer, up.grad_output.byteOffset, dyTop, 0, up.grad_output.size * 4);
    else pre.clear(dyTop, 0, T * B * D * R * 4);
    for (let l = 0; l < L; l++) {
      for (const [given, carry, width] of [[up.grad_h_n, bw.carryH[l], R], [up.grad_c_n, bw.carryC[l], H]] as const) {
        if (!carry) continue;
        const bytes = D * B * width * 4;
        if (given) pre.copy(given.buffer, given.byteOffset + l * bytes, carry, 0, bytes);
        else pre.clear(carry, 0, bytes);
      }
    }
    this.engine.run(pre, plan.backward!, plan.backwardOut!);
    const inShape = last.x.shape;
    return {
      grad_input: new Tensor(this.engine, c.batch_first ? bw.dxbf! : bw.dx0!, inShape, 0, false),
      grad_h0: new Tensor(this.engine, bw.dh0!, stateShape, 0, false),
      ...(bw.dc0 ? { grad_c0: new Tensor(this.engine, bw.dc0, cellShape, 0, false) } : {}),
      grads: this.store.views('grads'),
    };
  }

  /**
   * Where the dropout masks stand: each forward draws a fresh mask from (seed, calls). Saved in
   * checkpoints so a resumed run draws the same masks as an uninterrupted one.
   */
  get dropoutState(): { seed: number; calls: number } {
    return { seed: this.seed, calls: this.calls };
  }

  set dropoutState(s: { seed: number; calls: number }) {
    const ok = (n: unknown) => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xffffffff;
    if (!s || !ok(s.seed) || !ok(s.calls)) throw new WebRnnError('BAD_VALUE', `dropoutState must be { seed, calls } with integers in [0, 2³²), got ${JSON.stringify(s)}`);
    this.seed = s.seed;
    this.calls = s.calls;
  }

  /** Training mode: dropout between layers is active (PyTorch's module.train()). */
  train(): this {
    this.training = true;
    return this;
  }

  /** Evaluation mode: no dropout (PyTorch's module.eval()). */
  eval(): this {
    this.training = false;
    return this;
  }

  /** Dispatches issued by one forward and one backward at the last (T, B) (undefined before a forward). */
  dispatchCounts(): { forward: number; backward: number | undefined } | undefined {
    if (!this.plan) return undefined;
    return { forward: this.plan.forward.dispatchCount, backward: this.plan.backward?.dispatchCount };
  }

  /**
   * @internal the variants the current plan runs (as its programs would be encoded now): the sweeps'
   * schedule, the GEMMs' variant ('mixed' when they differ) and, for split-k, how its partial sums are
   * added ('subgroup' or 'workgroup'); undefined before a forward.
   */
  kernelVariants(): { schedule: StepVariant; matmul: 'register-blocked' | 'tiled' | 'mixed'; reduction?: 'subgroup' | 'workgroup' } | undefined {
    const p = this.plan;
    if (!p) return undefined;
    const c = this.config;
    // an f16 twin (matmul_f16, matmul_tiled_f16: precision 'f16-weights') counts as its variant
    const gemms = new Set([p.forward, ...(p.backward ? [p.backward] : [])].flatMap((q) => q.kernelNames).map((k) => k.replace(/_f16$/, '')).filter((k) => k === 'matmul' || k === 'matmul_tiled'));
    return {
      schedule: p.variant,
      matmul: gemms.size > 1 ? 'mixed' : gemms.has('matmul_tiled') ? 'tiled' : 'register-blocked',
      ...(p.reduction ? { reduction: p.reduction } : {}),
    };
  }

  /** Frees the workspaces (recorded plans); the base class then frees parameters and gradients. */
  protected override releaseWorkspace(): void {
    this.plan?.dispose();
  }

  private planFor(T: number, B: number): RecurrentPlan {
    // the schedule given in the options, else the engine tuner's (src/layers/recurrent-schedule.ts)
    const variant = stepVariantFor(this.schedule, this.engine, this.config, this.layers, this.store, T, B, () => !this.isDisposed, this.precision);
    // A schedule measured since the plan was recorded replaces it once (the next forward).
    if (this.plan && this.plan.T === T && this.plan.B === B && this.plan.variant === variant) return this.plan;
    this.plan?.dispose();
    this.plan = undefined;
    // The last forward's workspace is gone: a backward now must fail as BAD_STATE, even if planning fails.
    this.last = undefined;
    const c = this.config;
    this.plan = new RecurrentPlan(this.engine, c, this.layers, this.store.params, this.store.grads, T, B, variant, this.precision);
    return this.plan;
  }
}

/**
 * A `precision` option checked: one of PRECISIONS (default 'f32'), and 'f16-weights' only on an engine
 * whose device has shader-f16 — a BAD_CONFIG before any GPU work otherwise.
 */
export function checkPrecision(engine: Engine, where: string, p: unknown): Precision {
  if (p === undefined) return 'f32';
  if (!PRECISIONS.includes(p as Precision)) throw new WebRnnError('BAD_CONFIG', `${where}: precision must be ${PRECISIONS.map((x) => `'${x}'`).join(' or ')}, got ${JSON.stringify(p)}`);
  if (p === 'f16-weights' && !engine.precisions.includes(p)) {
    throw new WebRnnError('BAD_CONFIG', `${where}: precision 'f16-weights' needs the WebGPU feature shader-f16, which this adapter (${engine.adapterName}) lacks (\`webrnn info\` lists its features); use precision 'f32'`);
  }
  return p as Precision;
}

function checkLengths(lengths: ArrayLike<number> | undefined, T: number, B: number): Uint32Array<ArrayBuffer> {
  const out = new Uint32Array(B);
  if (lengths === undefined) return out.fill(T);
  if (lengths === null || typeof lengths !== 'object') throw new WebRnnError('BAD_LENGTHS', `lengths must be an array of B = ${B} integers, got ${String(lengths)}`);
  if (lengths.length !== B) throw new WebRnnError('BAD_LENGTHS', `lengths must have one entry per batch row (B = ${B}), got ${lengths.length}`);
  for (let b = 0; b < B; b++) {
    const v = lengths[b];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > T) throw new WebRnnError('BAD_LENGTHS', `lengths[${b}] must be an integer in 1..T = 1..${T}, got ${lengths[b]}`);
    out[b] = v;
  }
  return out;
}
