import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import type { Kernel } from '../gpu/kernel.js';
import { Program } from '../gpu/program.js';
import { Recorder } from '../gpu/recorder.js';
import { Tensor, type TokenDType } from '../gpu/tensor.js';
import { knownKeys, multiIndex } from '../checks.js';
import { liveTensor, tokenTensor } from '../gpu/tensor-checks.js';
import { foldedGrid } from '../layers/grid.js';
import type { TokenIds } from '../layers/tokens.js';
import { reductionOf, reductionScale, type LossResult, type Reduction } from './loss.js';
import { checkMask, type LossMask } from './mask.js';
import { recordSum } from './reduction.js';
import * as shaders from '../gpu/shader-sources.gen.js';

export interface CrossEntropyOptions {
  /** 'mean' (default) over counted rows, or 'sum'. */
  reduction?: Reduction;
  /** A target value that marks a row as not counted (default −100, as PyTorch). */
  ignore_index?: number;
  /** One 0/1 entry per row: rows with 0 are not counted (e.g. {@link sequenceMask} for padded steps). */
  mask?: LossMask;
}

/** Which kernel computes the rows; see {@link CrossEntropyLoss}. */
export type CrossEntropyVariant = 'auto' | 'row' | 'workgroup';

export interface CrossEntropyLossOptions {
  /**
   * 'row': one invocation per row (softmax_cross_entropy_small); 'workgroup': one workgroup of 64 per
   * row (softmax_cross_entropy); 'auto' (default): 'row' for C < 32 or on CPU adapters (llvmpipe /
   * lavapipe, SwiftShader), else 'workgroup'. Both give the same math; their rounding differs slightly.
   */
  variant?: CrossEntropyVariant;
}

const F32 = 4;
/** Rows narrower than this use one invocation per row on every adapter. */
const SMALL_C = 32;
/**
 * Software adapters, where workgroup barriers are expensive and rows are plentiful: the per-row
 * kernel measured 1.5× (C = 1000) to 15× (C = 8) faster on lavapipe at N = 3200 rows.
 */
const CPU_ADAPTER = /llvmpipe|lavapipe|swiftshader|softpipe/i;

/**
 * Softmax cross-entropy over the last axis of logits with integer class targets — PyTorch's
 * `F.cross_entropy(logits.reshape(-1, C), targets.reshape(-1), ignore_index, reduction)` — returning the
 * loss and dloss/dlogits from one fused pass (max-subtracted log-sum-exp; no overflow for large
 * logits). Rows whose target is ignore_index or whose mask is 0 contribute nothing; 'mean' divides by
 * the number of counted rows, as PyTorch's mean with ignore_index does. Targets on the CPU are checked
 * (each in [0, C) or ignore_index) before any GPU work; targets already on the GPU (a uint32 / int32
 * Tensor, e.g. a sampler's output) are not: an id ≥ C (a negative int32 id other than ignore_index
 * too) is clamped to C − 1 in the shader (cross_entropy_target_weights), as Embedding.forwardIds clamps
 * ids. The sum over rows is a fixed-order tree, so the loss and gradient are bit-identical on every run.
 *
 * Note the class axis is the last one ((T, B, C) from a time-distributed Dense), unlike PyTorch's
 * (N, C, d…) for K-dimensional inputs. Two kernels compute the rows (see {@link CrossEntropyLossOptions}).
 *
 * @example
 * const ce = new CrossEntropyLoss(engine);
 * const x = engine.tensor(new Float32Array(4 * 2 * 8), [4, 2, 8]);  // (T, B, I); lstm's input_size 8
 * const lengths = [4, 2];
 * const logits = head.forward(lstm.forward(x, { lengths }).output); // (T, B, V)
 * const targets = Int32Array.of(1, 2, 3, 4, 5, 0, 6, 0);            // (T, B): steps past a row's length are masked
 * const { loss, grad_input } = ce.forward(logits, targets, { mask: sequenceMask(lengths, 4) });
 * console.log((await loss.read())[0]);
 * head.backward(grad_input);
 * const onGpu = engine.tensor(targets, [4, 2]);                     // the same targets as an int32 Tensor
 * ce.forward(logits, onGpu, { mask: sequenceMask(lengths, 4) });     // the same loss, no CPU check
 */
export class CrossEntropyLoss {
  readonly variant: CrossEntropyVariant;
  private readonly engine: Engine;
  private plan: CrossEntropyPlan | undefined;
  private disposed = false;

  constructor(engine: Engine, opts: CrossEntropyLossOptions = {}) {
    knownKeys('CrossEntropyLoss options', opts, ['variant']);
    const v = opts.variant ?? 'auto';
    if (v !== 'auto' && v !== 'row' && v !== 'workgroup') {
      throw new WebRnnError('BAD_CONFIG', `CrossEntropyLoss: variant must be 'auto', 'row' or 'workgroup', got ${JSON.stringify(v)}`);
    }
    this.engine = engine;
    this.variant = v;
  }

  /**
   * @param logits (…, C), at least 1-D; C ≥ 1
   * @param targets one class id per row (the product of the leading axes), row-major: on the CPU, or a
   *   uint32 / int32 Tensor of that many ids (any shape)
   */
  forward(logits: Tensor, targets: TokenIds | Tensor<TokenDType>, opts: CrossEntropyOptions = {}): LossResult {
    if (this.disposed) throw new WebRnnError('DISPOSED', 'this CrossEntropyLoss was disposed');
    liveTensor(logits, 'CrossEntropyLoss logits', this.engine);
    knownKeys('CrossEntropyLoss options', opts, ['reduction', 'ignore_index', 'mask'], { code: 'BAD_VALUE' });
    const reduction = reductionOf('CrossEntropyLoss', opts.reduction);
    const ignore = opts.ignore_index ?? -100;
    if (!Number.isInteger(ignore)) throw new WebRnnError('BAD_VALUE', `CrossEntropyLoss: ignore_index must be an integer, got ${ignore}`);
    const shape = logits.shape;
    const C = shape[shape.length - 1];
    if (shape.length < 1 || !(C >= 1)) throw new WebRnnError('BAD_SHAPE', `CrossEntropyLoss logits must be (…, C) with C ≥ 1, got shape [${shape.join(', ')}]`);
    const rowShape = shape.slice(0, -1);
    const N = logits.size / C;
    if (targets instanceof Tensor) return this.forwardGpuTargets(logits, targets, opts, { reduction, ignore, N, C });
    if (!(targets instanceof Int32Array || targets instanceof Uint32Array || Array.isArray(targets))) {
      throw new WebRnnError('BAD_VALUE', 'CrossEntropyLoss: targets must be an Int32Array, Uint32Array or array of integers');
    }
    if (targets.length !== N) throw new WebRnnError('BAD_SHAPE', `CrossEntropyLoss: ${targets.length} targets given, logits [${shape.join(', ')}] have ${N} rows`);
    const mask = opts.mask === undefined ? undefined : checkMask('CrossEntropyLoss', opts.mask, N, N).values;

    const t = new Uint32Array(N);
    const w = new Float32Array(N);
    let count = 0;
    for (let n = 0; n < N; n++) {
      const v = targets[n];
      if (v === ignore) continue;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= C) {
        throw new WebRnnError('BAD_VALUE', `CrossEntropyLoss: target at row ${multiIndex(n, rowShape)} (index ${n}) is ${v}, outside [0, ${C}) and not ignore_index (${ignore})`);
      }
      if (mask && mask[n] === 0) continue;
      t[n] = v;
      w[n] = 1;
      count++;
    }
    const scale = reductionScale(reduction, count);
    for (let n = 0; n < N; n++) w[n] *= scale;

    const plan = this.planFor(N, C);
    this.engine.writeBuffer(plan.targets, 0, t);
    this.engine.writeBuffer(plan.weights, 0, w);
    return this.run(plan, logits);
  }

  /** forward() with the targets on the GPU: rows' targets and weights come from the ids in-shader. */
  private forwardGpuTargets(logits: Tensor, targets: Tensor<TokenDType>, opts: CrossEntropyOptions, checked: { reduction: Reduction; ignore: number; N: number; C: number }): LossResult {
    const { reduction, ignore, N, C } = checked;
    tokenTensor(targets, 'CrossEntropyLoss targets', this.engine);
    if (targets.size !== N) throw new WebRnnError('BAD_SHAPE', `CrossEntropyLoss: a targets tensor of shape [${targets.shape.join(', ')}] holds ${targets.size} ids, logits [${logits.shape.join(', ')}] have ${N} rows`);
    if (ignore < -(2 ** 31) || ignore >= 2 ** 32) throw new WebRnnError('BAD_VALUE', `CrossEntropyLoss: with targets on the GPU, ignore_index must fit 32 bits ([-2^31, 2^32)), got ${ignore}`);
    const mask = opts.mask === undefined ? undefined : checkMask('CrossEntropyLoss', opts.mask, N, N).values;
    const plan = this.planFor(N, C);
    const ids = plan.idsTargets(this.engine);
    this.engine.writeBuffer(ids.params, 0, ids.kernel.packParams({ N, C, ignore: ignore >>> 0, mean: reduction === 'mean' ? 1 : 0 }));
    this.engine.writeBuffer(ids.mask, 0, mask ? Float32Array.from(mask) : new Float32Array(N).fill(1));
    const pre = new Program();
    pre.copy(targets.buffer, targets.byteOffset, ids.ids, 0, N * 4);
    pre.append(ids.prog);
    return this.run(plan, logits, pre);
  }

  private run(plan: CrossEntropyPlan, logits: Tensor, pre = new Program()): LossResult {
    pre.copy(logits.buffer, logits.byteOffset, plan.logits, 0, logits.size * F32);
    this.engine.run(pre, plan.prog);
    return {
      loss: new Tensor(this.engine, plan.loss, [], 0, false),
      grad_input: new Tensor(this.engine, plan.grad, logits.shape, 0, false),
    };
  }

  /** Frees the workspace. */
  dispose(): void {
    this.plan?.rec.dispose();
    this.plan = undefined;
    this.disposed = true;
  }

  private planFor(N: number, C: number): CrossEntropyPlan {
    if (this.plan?.N === N && this.plan.C === C) return this.plan;
    this.plan?.rec.dispose();
    this.plan = undefined;
    const info = this.engine.adapterInfo;
    const cpu = CPU_ADAPTER.test([info.description, info.vendor, info.architecture, info.device].join(' '));
    const small = this.variant === 'row' || (this.variant === 'auto' && (C < SMALL_C || cpu));
    this.plan = new CrossEntropyPlan(this.engine, N, C, small);
    return this.plan;
  }
}

/** Workspaces (logits, grad (N, C); targets, weights, row_loss (N); loss (1)) and the recorded program. */
class CrossEntropyPlan {
  readonly rec: Recorder;
  readonly prog = new Program();
  readonly logits: GPUBuffer;
  readonly targets: GPUBuffer;
  readonly weights: GPUBuffer;
  readonly grad: GPUBuffer;
  readonly loss: GPUBuffer;
  private ids: ReturnType<CrossEntropyPlan['idsTargets']> | undefined;

  constructor(
    engine: Engine,
    readonly N: number,
    readonly C: number,
    small: boolean,
  ) {
    const rec = (this.rec = new Recorder(engine, 'CrossEntropyLoss'));
    // Anything built before a failure (e.g. a DEVICE_LIMIT error) is freed, not leaked.
    try {
      this.logits = rec.buffer(N * C * F32, 'logits');
      this.targets = rec.buffer(N * 4, 'targets');
      this.weights = rec.buffer(N * F32, 'weights');
      this.grad = rec.buffer(N * C * F32, 'grad');
      const rowLoss = rec.buffer(N * F32, 'row_loss');
      this.loss = rec.buffer(F32, 'loss');
      const k = engine.kernel(small ? shaders.softmax_cross_entropy_small : shaders.softmax_cross_entropy);
      const g = rec.bind(k, { N, C }, { logits: this.logits, targets: this.targets, weights: this.weights, grad: this.grad, row_loss: rowLoss }, 'rows');
      this.prog.dispatch(k, [g], foldedGrid(engine, small ? Math.ceil(N / 64) : N));
      recordSum(rec, this.prog, rowLoss, N, this.loss, 'loss');
    } catch (e) {
      rec.dispose();
      throw e;
    }
  }

  /** The workspaces and dispatch that turn GPU ids (N) and a mask (N) into targets and weights; built on first use. */
  idsTargets(engine: Engine): { ids: GPUBuffer; mask: GPUBuffer; params: GPUBuffer; kernel: Kernel; prog: Program } {
    if (this.ids) return this.ids;
    const { rec, N, C } = this;
    const kernel = engine.kernel(shaders.cross_entropy_target_weights);
    const ids = rec.buffer(N * 4, 'ids');
    const mask = rec.buffer(N * F32, 'mask');
    // Rewritten by each forward (ignore_index and the reduction are per call).
    const params = rec.uniform(kernel.packParams({ N, C, ignore: 0, mean: 1 }), 'target_weights:params');
    const g = kernel.bindGroup(0, { [kernel.params!.variable]: params, ids, mask, targets: this.targets, weights: this.weights }, 'CrossEntropyLoss:target_weights');
    const prog = new Program();
    prog.dispatch(kernel, [g], [1, 1, 1]);
    this.ids = { ids, mask, params, kernel, prog };
    return this.ids;
  }
}
