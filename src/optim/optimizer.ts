import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { Program } from '../gpu/program.js';
import { Recorder } from '../gpu/recorder.js';
import type { ParameterBlock } from '../layers/parameter-store.js';
import { checkBlocks, checkBlocksLive, GradNorm, type NormHandle } from './grad-norm.js';
import { checkClip, checkLr, type ClipOptions } from './options.js';
import { StepUniform } from './step-uniform.js';
import type * as shaders from '../gpu/shader-sources.gen.js';

/** What {@link Optimizer.step} returns: the step's number and its global gradient norm on request. */
export type OptimizerStep = NormHandle;

/**
 * Everything an optimizer holds, read back for a checkpoint. `slots` are torch's state names
 * (momentum_buffer; exp_avg, exp_avg_sq, max_exp_avg_sq; sum), one Float32Array per parameter block in
 * the optimizer's block order. Restoring it with {@link Optimizer.loadState} resumes bit-exactly.
 */
export interface OptimizerState {
  kind: 'SGD' | 'Adam' | 'AdamW' | 'Adagrad';
  /** steps taken (torch's `step`) */
  step: number;
  lr: number;
  /** the resolved options the state was made under (lr excluded); loadState requires the same */
  options: Record<string, number | boolean | number[] | undefined>;
  slots: Record<string, Float32Array[]>;
}

/** What a subclass hands the base class (the optimizers of this package; not part of the public API). */
export interface UpdateKernel {
  /** the update kernel's descriptor */
  kernel: typeof shaders.sgd_step | typeof shaders.adam_step | typeof shaders.adagrad_step;
  /** Params of block i (everything but `n`) */
  params: Record<string, number>;
  /** slot names whose buffers the kernel binds under the same names; placeholders when not `used` */
  slots: { name: string; binding: string; used: boolean; /** every entry's starting value (default 0) */ init?: number }[];
}

const UPDATE_GROUP = 256;

/**
 * The parts every optimizer shares: the global gradient norm (for clipping and NaN/Inf safety), the
 * per-block update dispatches, the per-step uniform, the state buffers, checkpoints and disposal.
 * One {@link step} = one submission: grad_sumsq per block, grad_norm, then one update dispatch per
 * block; the update kernel leaves weights and state untouched when the norm is not finite.
 * Use {@link SGD}, {@link Adam}, {@link AdamW} or {@link Adagrad}.
 *
 * @example
 * const opt: Optimizer = new AdamW(engine, lstm.blocks(), { lr: 1e-3, clip_norm: 1 });
 * const sched = new CosineAnnealingLR(1e-3, { T_max: 1000 });
 * for (let i = 1; i <= 1000; i++) {
 *   applySchedule(opt, sched);
 *   // … forward, backward into each block's grads …
 *   await opt.stepChecked(i); // throws BAD_VALUE on a NaN/Inf gradient, weights left at step i − 1
 * }
 * const checkpoint = await opt.state();
 * opt.dispose();
 */
export abstract class Optimizer {
  /** `[norm, clip_coef, ok, 0, ring…]` of the latest step, see {@link GradNorm}. */
  readonly norm: GPUBuffer;
  protected readonly rec: Recorder;
  protected readonly stepUniform: StepUniform;
  private readonly gradNorm: GradNorm;
  private readonly program = new Program();
  private readonly slotBuffers = new Map<string, GPUBuffer[]>();
  private readonly stateOptions: OptimizerState['options'];
  private _lr: number;
  private t = 0;
  private disposed = false;

  protected constructor(
    readonly engine: Engine,
    readonly blocks: readonly ParameterBlock[],
    readonly kind: OptimizerState['kind'],
    lr: number,
    clip: ClipOptions,
    options: OptimizerState['options'],
    update: UpdateKernel,
    grid: { reduce?: number; update?: number } = {},
  ) {
    checkBlocks(blocks, kind);
    this._lr = checkLr(lr);
    this.stateOptions = options;
    this.rec = new Recorder(engine, kind);
    let gn: GradNorm | undefined;
    try {
      // only the clipping keys: the resolved options hold the update rule's too
      gn = new GradNorm(engine, blocks, checkClip(clip), grid.reduce);
      this.gradNorm = gn;
      this.norm = gn.norm;
      const k = engine.kernel(update.kernel);
      this.stepUniform = new StepUniform(this.rec, update.kernel, 'S');
      const placeholder = this.rec.buffer(16, 'unused state');
      for (const s of update.slots) {
        if (!s.used) continue;
        const bufs = blocks.map((b, i) => this.rec.buffer(b.parameterCount * 4, `${s.name}[${i}]`));
        if (s.init) bufs.forEach((buf, i) => engine.writeBuffer(buf, 0, new Float32Array(blocks[i].parameterCount).fill(s.init!)));
        this.slotBuffers.set(s.name, bufs);
      }
      gn.record(this.program);
      const cap = Math.max(1, Math.min(grid.update ?? Infinity, engine.limits.maxComputeWorkgroupsPerDimension));
      blocks.forEach((b, i) => {
        const bufs: Record<string, GPUBuffer> = { S: this.stepUniform.buffer, norm: this.norm, grads: b.grads, params: b.params };
        for (const s of update.slots) bufs[s.binding] = this.slotBuffers.get(s.name)?.[i] ?? placeholder;
        const group = this.rec.bind(k, { n: b.parameterCount, ...update.params }, bufs, `block ${i}`);
        this.program.dispatch(k, [group], [Math.min(Math.ceil(b.parameterCount / UPDATE_GROUP), cap), 1, 1]);
      });
    } catch (e) {
      gn?.dispose();
      this.rec.dispose();
      throw e;
    }
  }

  /** The learning rate the next step uses; set it before a step (an LR schedule does). */
  get lr(): number {
    return this._lr;
  }

  set lr(v: number) {
    this._lr = checkLr(v);
  }

  /** Steps taken so far (torch's state `step`): the bias corrections of the next step use stepCount + 1. */
  get stepCount(): number {
    return this.t;
  }

  /** @internal the per-step uniform of step `t` (1-based) with learning rate `lr`. */
  protected abstract stepScalars(t: number, lr: number): Record<string, number>;

  /**
   * Records and submits one optimizer step over every block: the global gradient norm, clipping, and
   * one update dispatch per block, in one submission with no readback. When some gradient is NaN or
   * ±Inf the GPU skips the update (weights and state keep their bits) — the returned handle's
   * readNorm() tells; stepCount still advances (use {@link stepChecked} to stop and roll it back).
   *
   * @example
   * lstm.backward({ grad_output: dy });                // dy: dLoss/doutput (T, B, H)
   * const s = opt.step();
   * if (s.step % 100 === 0) console.log('grad norm', await s.readNorm());
   */
  step(): OptimizerStep {
    this.check();
    this.checkBlocksLive();
    const t = this.t + 1;
    this.stepUniform.write(this.stepScalars(t, this._lr));
    const serial = this.gradNorm.next();
    this.engine.run(this.program);
    this.t = t;
    return this.gradNorm.handle(serial, t);
  }

  /**
   * {@link step}, then reads the norm back. A non-finite gradient throws WebRnnError('BAD_VALUE',
   * 'non-finite gradient at step N; weights left at step N−1'), with stepCount rolled back, so a
   * trainer can stop (or lower lr and go on) from the last good weights. Returns the norm.
   *
   * @param step the number to name in the error (default: this optimizer's step number)
   * @example
   * for (let i = 1; i <= 100; i++) {
   *   lstm.forward(x);
   *   lstm.backward({ grad_output: dy });
   *   await opt.stepChecked(i);                        // throws BAD_VALUE on a NaN/Inf gradient
   * }
   */
  async stepChecked(step?: number): Promise<number> {
    if (step !== undefined && (typeof step !== 'number' || !Number.isSafeInteger(step))) throw new WebRnnError('BAD_VALUE', `stepChecked: step must be an integer, got ${String(step)}`);
    const before = this.t;
    const h = this.step();
    const norm = await h.readNorm();
    if (!Number.isFinite(norm)) {
      if (this.t === h.step) this.t = before;
      const n = step ?? h.step;
      throw new WebRnnError('BAD_VALUE', `non-finite gradient at step ${n}; weights left at step ${n - 1}`);
    }
    return norm;
  }

  /**
   * Reads back everything needed to resume: step count, lr, options and every state buffer.
   *
   * @example
   * const opt = new Adam(engine, lstm.blocks(), { lr: 1e-3 });
   * const st = await opt.state();        // save with the weights
   * const opt2 = new Adam(engine, lstm.blocks(), { lr: 1e-3 });
   * opt2.loadState(st);                  // continues bit-exactly
   */
  async state(): Promise<OptimizerState> {
    this.check();
    const slots: Record<string, Float32Array[]> = {};
    for (const [name, bufs] of this.slotBuffers) {
      slots[name] = [];
      for (let i = 0; i < bufs.length; i++) slots[name].push(await this.engine.readBuffer(bufs[i], 0, this.blocks[i].parameterCount));
    }
    return { kind: this.kind, step: this.t, lr: this._lr, options: structuredClone(this.stateOptions), slots };
  }

  /**
   * Restores a state from {@link state} (same kind, options, block count and sizes; otherwise
   * WebRnnError('BAD_STATE') and nothing changes). Writes are queued before any later step.
   */
  loadState(s: OptimizerState): void {
    const lr = this.validateState(s);
    for (const name of this.slotBuffers.keys()) {
      s.slots[name].forEach((a, i) => {
        if (a.length > 0) this.engine.writeBuffer(this.slotBuffers.get(name)![i], 0, a.buffer, a.byteOffset, a.byteLength);
      });
    }
    this.t = s.step;
    this._lr = lr;
  }

  /**
   * Throws what {@link loadState} would throw for `s` (BAD_STATE, DISPOSED), changing nothing;
   * returns the state's learning rate. Lets a caller check everything before restoring anything.
   */
  validateState(s: OptimizerState): number {
    this.check();
    const fail = (m: string) => new WebRnnError('BAD_STATE', `cannot load optimizer state: ${m}`);
    if (!s || typeof s !== 'object') throw fail('not a state object');
    if (s.kind !== this.kind) throw fail(`it is ${String(s.kind)} state, this optimizer is ${this.kind}`);
    if (!Number.isInteger(s.step) || s.step < 0) throw fail(`step must be an integer ≥ 0, got ${String(s.step)}`);
    const want = canonical(this.stateOptions);
    if (!s.options || typeof s.options !== 'object' || canonical(s.options) !== want) throw fail(`options ${JSON.stringify(s.options)} differ from this optimizer's ${want}`);
    const names = [...this.slotBuffers.keys()].sort();
    const given = Object.keys(s.slots ?? {}).sort();
    if (JSON.stringify(names) !== JSON.stringify(given)) throw fail(`slots [${given.join(', ')}] given, [${names.join(', ')}] expected`);
    for (const name of names) {
      const arrs = s.slots[name];
      if (!Array.isArray(arrs) || arrs.length !== this.blocks.length) throw fail(`${name} has ${arrs?.length} blocks, this optimizer has ${this.blocks.length}`);
      arrs.forEach((a, i) => {
        const n = this.blocks[i].parameterCount;
        if (!(a instanceof Float32Array) || a.length !== n) throw fail(`${name}[${i}] must be a Float32Array of ${n} values, got ${a?.length}`);
      });
    }
    return checkLr(s.lr);
  }

  /** Frees the optimizer's GPU buffers (state, norm, uniforms); the parameter blocks stay. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.gradNorm.dispose();
    this.rec.dispose();
  }

  private check(): void {
    if (this.disposed) throw new WebRnnError('DISPOSED', `this ${this.kind} optimizer was disposed`);
  }

  private checkBlocksLive(): void {
    checkBlocksLive(this.engine, this.blocks, this.kind);
  }
}

const canonical = (o: object) => JSON.stringify(o, Object.keys(o).sort());

