import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { Program } from '../gpu/program.js';
import { Recorder } from '../gpu/recorder.js';
import { Tensor } from '../gpu/tensor.js';
import { knownKeys } from '../checks.js';
import { expectShape, liveTensor } from '../gpu/tensor-checks.js';
import { reductionOf, reductionScale, type LossResult, type Reduction } from './loss.js';
import { checkMask, type LossMask } from './mask.js';
import { recordSum, reduceChunk, reduceGroups } from './reduction.js';
import * as shaders from '../gpu/shader-sources.gen.js';

export interface ElementwiseLossOptions {
  /** 'mean' (default) over counted elements, or 'sum'. */
  reduction?: Reduction;
  /**
   * 0/1 per row (the product of the input's leading axes; broadcast over the last axis) or per
   * element; entries with 0 are not counted. Rows: e.g. {@link sequenceMask} for padded time steps.
   */
  mask?: LossMask;
}

/** Targets of an elementwise loss: a GPU tensor of the input's shape, or values on the CPU (uploaded). */
export type ElementwiseTarget = Tensor | Float32Array | readonly number[];

const F32 = 4;
const MASK_NONE = 0;
const MASK_ELEMENT = 1;
const MASK_ROW = 2;

/** The kernels with the element-by-element loss bindings (x, y, mask, call, grad, partial). */
type ElementwiseKernel = typeof shaders.bce_with_logits | typeof shaders.mse;

/**
 * The shared machinery of losses computed element by element (shaders/bce_with_logits.wgsl,
 * shaders/mse.wgsl): one fused pass writes the gradient and per-workgroup partial sums, reduce_sum
 * finishes the sum in a fixed order. See {@link BCEWithLogitsLoss} and {@link MSELoss}.
 */
abstract class ElementwiseLoss {
  private readonly engine: Engine;
  private plan: ElementwisePlan | undefined;
  private disposed = false;

  protected constructor(
    engine: Engine,
    private readonly kernel: ElementwiseKernel,
    private readonly what: string,
  ) {
    this.engine = engine;
  }

  /**
   * @param input (…, F), any shape with at least one axis
   * @param target the input's shape (a Tensor), or input.size values on the CPU
   */
  forward(input: Tensor, target: ElementwiseTarget, opts: ElementwiseLossOptions = {}): LossResult {
    const what = this.what;
    if (this.disposed) throw new WebRnnError('DISPOSED', `this ${what} was disposed`);
    liveTensor(input, `${what} input`, this.engine);
    knownKeys(`${what} options`, opts, ['reduction', 'mask'], { code: 'BAD_VALUE' });
    const reduction = reductionOf(what, opts.reduction);
    const shape = input.shape;
    if (shape.length < 1) throw new WebRnnError('BAD_SHAPE', `${what} input must have at least one axis, got shape []`);
    const n = input.size;
    const F = shape[shape.length - 1];
    const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    let targetValues: Float32Array | undefined;
    if (target instanceof Tensor) expectShape(target, `${what} target`, shape, this.engine);
    else if (target instanceof Float32Array || Array.isArray(target)) {
      if (target.length !== n) throw new WebRnnError('BAD_SHAPE', `${what}: ${target.length} target values given, input [${shape.join(', ')}] has ${n}`);
      if (Array.isArray(target)) {
        for (let i = 0; i < n; i++) if (typeof target[i] !== 'number') throw new WebRnnError('BAD_VALUE', `${what}: target[${i}] is ${String(target[i])}, not a number`);
      }
      this.engine.assertFinite(target, `${what} target`);
      targetValues = target instanceof Float32Array ? target : Float32Array.from(target);
    } else throw new WebRnnError('BAD_VALUE', `${what}: target must be a Tensor, Float32Array or array of numbers`);
    const mask = opts.mask === undefined ? undefined : checkMask(what, opts.mask, rows, n);

    let count = n;
    if (mask) {
      count = 0;
      for (const v of mask.values) count += v;
      if (mask.kind === 'row') count *= F;
    }
    const call = new ArrayBuffer(8);
    new Float32Array(call, 0, 1)[0] = reductionScale(reduction, count);
    new Uint32Array(call, 4, 1)[0] = mask === undefined ? MASK_NONE : mask.kind === 'row' ? MASK_ROW : MASK_ELEMENT;

    const plan = this.planFor(n, F);
    this.engine.writeBuffer(plan.call, 0, call);
    if (mask) this.engine.writeBuffer(plan.mask, 0, mask.values);
    if (targetValues) this.engine.writeBuffer(plan.y, 0, targetValues.buffer, targetValues.byteOffset, targetValues.byteLength);
    const pre = new Program();
    pre.copy(input.buffer, input.byteOffset, plan.x, 0, n * F32);
    if (target instanceof Tensor) pre.copy(target.buffer, target.byteOffset, plan.y, 0, n * F32);
    this.engine.run(pre, plan.prog);
    return {
      loss: new Tensor(this.engine, plan.loss, [], 0, false),
      grad_input: new Tensor(this.engine, plan.grad, shape, 0, false),
    };
  }

  /** Frees the workspace. */
  dispose(): void {
    this.plan?.rec.dispose();
    this.plan = undefined;
    this.disposed = true;
  }

  private planFor(n: number, F: number): ElementwisePlan {
    if (this.plan?.n === n && this.plan.F === F) return this.plan;
    this.plan?.rec.dispose();
    this.plan = undefined;
    this.plan = new ElementwisePlan(this.engine, this.kernel, n, F);
    return this.plan;
  }
}

/** Workspaces x, y, mask, grad (n); call (scale, mask_mode); partials; loss (1); the recorded program. */
class ElementwisePlan {
  readonly rec: Recorder;
  readonly prog = new Program();
  readonly x: GPUBuffer;
  readonly y: GPUBuffer;
  readonly mask: GPUBuffer;
  readonly call: GPUBuffer;
  readonly grad: GPUBuffer;
  readonly loss: GPUBuffer;

  constructor(
    engine: Engine,
    kernel: ElementwiseKernel,
    readonly n: number,
    readonly F: number,
  ) {
    const rec = (this.rec = new Recorder(engine, kernel.name));
    // Anything built before a failure (e.g. a DEVICE_LIMIT error) is freed, not leaked.
    try {
      this.x = rec.buffer(n * F32, 'x');
      this.y = rec.buffer(n * F32, 'y');
      this.mask = rec.buffer(n * F32, 'mask');
      this.call = rec.buffer(8, 'call');
      this.grad = rec.buffer(n * F32, 'grad');
      this.loss = rec.buffer(F32, 'loss');
      const chunk = reduceChunk(n, engine.limits.maxComputeWorkgroupsPerDimension);
      const groups = reduceGroups(n, chunk);
      const partial = groups === 1 ? this.loss : rec.buffer(groups * F32, 'partials');
      const k = engine.kernel(kernel);
      const g = rec.bind(k, { n, F: Math.max(F, 1), chunk }, { x: this.x, y: this.y, mask: this.mask, call: this.call, grad: this.grad, partial }, kernel.name);
      this.prog.dispatch(k, [g], [groups, 1, 1]);
      if (groups > 1) recordSum(rec, this.prog, partial, groups, this.loss, 'loss');
    } catch (e) {
      rec.dispose();
      throw e;
    }
  }
}

/**
 * Sigmoid + binary cross-entropy on logits, PyTorch's `F.binary_cross_entropy_with_logits` (stable
 * form max(x, 0) − x·y + log(1 + e^(−|x|))), loss and dloss/dx = σ(x) − y (scaled) in one fused pass.
 * Targets are probabilities in [0, 1] (not checked: soft targets are allowed). Masked entries count
 * for nothing; 'mean' divides by the number of counted elements. Deterministic (fixed-order sums).
 *
 * @example
 * const bce = new BCEWithLogitsLoss(engine);
 * const logits = engine.tensor(Float32Array.of(0.3, -1.2, 2, 0.1), [2, 2]); // (B, labels) scores
 * const labels = Float32Array.of(1, 0, 1, 1);                               // multi-label targets in {0, 1}
 * const { loss, grad_input } = bce.forward(logits, engine.tensor(labels, logits.shape), { reduction: 'sum' });
 */
export class BCEWithLogitsLoss extends ElementwiseLoss {
  constructor(engine: Engine) {
    super(engine, shaders.bce_with_logits, 'BCEWithLogitsLoss');
  }
}

/**
 * Mean squared error, PyTorch's `F.mse_loss`: Σ w·(x − y)², dloss/dx = 2w(x − y), in one fused pass.
 * Masked entries count for nothing; 'mean' divides by the number of counted elements. Deterministic.
 *
 * @example
 * const mse = new MSELoss(engine);
 * const pred = engine.tensor(Float32Array.of(0.4, 1.1, 3, 0), [4]);
 * const { loss, grad_input } = mse.forward(pred, [0.5, 1, -2, 0], { mask: [1, 1, 0, 1] });
 */
export class MSELoss extends ElementwiseLoss {
  constructor(engine: Engine) {
    super(engine, shaders.mse, 'MSELoss');
  }
}
