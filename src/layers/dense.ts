import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import type { BufferBinding } from '../gpu/kernel.js';
import { Program } from '../gpu/program.js';
import { Recorder } from '../gpu/recorder.js';
import { Tensor } from '../gpu/tensor.js';
import { flag, intOption, knownKeys, optionsOf, seedOf } from '../checks.js';
import { expectShape, liveTensor } from '../gpu/tensor-checks.js';
import { ParameterLayer } from './layer.js';
import type { ParameterStore } from './parameter-store.js';

/** Constructor arguments of a {@link Dense} layer: PyTorch nn.Linear's names and defaults. */
export interface DenseConfig {
  in_features: number;
  out_features: number;
  /** Learnable bias (default true). */
  bias?: boolean;
}

export interface DenseOptions {
  /** Seed of the PyTorch-style initialisation U(−1/√in, 1/√in) of weight and bias (default 0). */
  seed?: number;
}

export interface DenseBackwardOptions {
  /**
   * Add this call's parameter gradients into the gradient buffer instead of overwriting it (default
   * false): for a layer applied more than once per step (weight sharing), call backward once per use
   * with accumulate on all but the first. grad_input is always overwritten.
   */
  accumulate?: boolean;
}

/** Parameter gradients of a {@link Dense} layer, views of its gradient buffer. */
export interface DenseGrads {
  /** dL/dW (out_features, in_features). */
  weight: Tensor;
  /** dL/db (out_features); absent without bias. */
  bias?: Tensor;
}

export interface DenseBackwardResult {
  /** dL/dx, the shape of the last forward's input. */
  grad_input: Tensor;
  grads: DenseGrads;
}

const F32 = 4;
const KEYS = ['in_features', 'out_features', 'bias'];

/**
 * A fully connected layer with PyTorch nn.Linear semantics, applied to every row of a
 * (…, in_features) tensor — "time-distributed" over (T, B, ·) sequence outputs:
 * y = x·Wᵀ + b with W (out_features, in_features), b (out_features).
 *
 * Parameters live in a {@link ParameterStore} (state_dict names `weight`, `bias`); forward and backward
 * return views of the layer's workspace, valid until its next forward/backward — read() or clone()
 * what you keep. All shapes are checked before any GPU work.
 *
 * @example
 * const dense = new Dense(engine, { in_features: 32, out_features: 10 }, { seed: 1 });
 * const y = dense.forward(h);                       // h (T, B, 32) -> y (T, B, 10)
 * const { grad_input, grads } = dense.backward(dy); // dy (T, B, 10)
 * console.log(await grads.weight.read());
 * dense.dispose();
 */
export class Dense extends ParameterLayer {
  readonly in_features: number;
  readonly out_features: number;
  readonly bias: boolean;
  private plan: DensePlan | undefined;
  private last: { shape: readonly number[] } | undefined;

  constructor(engine: Engine, config: DenseConfig, opts: DenseOptions = {}) {
    knownKeys('Dense', config, KEYS);
    knownKeys('Dense options', opts, ['seed']);
    const seed = seedOf('Dense options', opts.seed);
    const inF = intOption('Dense', 'in_features', config.in_features);
    const outF = intOption('Dense', 'out_features', config.out_features);
    const bias = flag('Dense', 'bias', config.bias, true);
    // state_dict: weight (out, in), bias (out)
    super(engine, [{ name: 'weight', shape: [outF, inF] }, ...(bias ? [{ name: 'bias', shape: [outF] }] : [])], 'Dense');
    this.in_features = inF;
    this.out_features = outF;
    this.bias = bias;
    // nn.Linear: kaiming_uniform_(a=√5) on W is U(−1/√in, 1/√in); the bias uses the same bound.
    this.store.initUniform(seed, 1 / Math.sqrt(inF));
  }

  /**
   * y = x·Wᵀ + b for every row of x.
   * @param x (…, in_features), at least 1-D
   * @returns a view (…, out_features)
   */
  forward(x: Tensor): Tensor {
    this.check();
    liveTensor(x, 'Dense input', this.engine);
    const I = this.in_features;
    if (x.shape.length < 1 || x.shape[x.shape.length - 1] !== I) {
      throw new WebRnnError('BAD_SHAPE', `Dense input must be (…, in_features = ${I}), got shape [${x.shape.join(', ')}]`);
    }
    const rows = x.size / I;
    const plan = this.planFor(rows);
    const pre = new Program();
    pre.copy(x.buffer, x.byteOffset, plan.x, 0, x.size * F32);
    this.engine.run(pre, plan.forward);
    this.last = { shape: x.shape };
    return new Tensor(this.engine, plan.y, [...x.shape.slice(0, -1), this.out_features], 0, false);
  }

  /**
   * Gradients for the most recent forward, given dL/dy: dX = dY·W, dW = dYᵀ·X, db = Σ_rows dY.
   * @param grad_y (…, out_features), the shape forward returned
   */
  backward(grad_y: Tensor, opts?: DenseBackwardOptions): DenseBackwardResult {
    this.check();
    optionsOf('Dense backward options', opts, ['accumulate']);
    const accumulate = flag('Dense backward', 'accumulate', opts?.accumulate, false, { code: 'BAD_VALUE' });
    const last = this.last;
    if (!last) throw new WebRnnError('BAD_STATE', 'Dense backward needs a forward first');
    expectShape(grad_y, 'Dense grad_y', [...last.shape.slice(0, -1), this.out_features], this.engine);
    const plan = this.plan!;
    const prog = plan.backwardProgram(accumulate);
    const pre = new Program();
    pre.copy(grad_y.buffer, grad_y.byteOffset, plan.dy, 0, grad_y.size * F32);
    this.engine.run(pre, prog);
    const g = this.store.views('grads');
    return {
      grad_input: new Tensor(this.engine, plan.dx(), last.shape, 0, false),
      grads: { weight: g.weight, ...(this.bias ? { bias: g.bias } : {}) },
    };
  }

  protected override releaseWorkspace(): void {
    this.plan?.dispose();
  }

  private planFor(rows: number): DensePlan {
    if (this.plan?.rows === rows) return this.plan;
    this.plan?.dispose();
    this.plan = undefined;
    this.last = undefined;
    this.plan = new DensePlan(this.engine, this.store, this.in_features, this.out_features, this.bias, rows);
    return this.plan;
  }
}

/** Rows [r0, r0 + n) of a Dense workspace, bound as one window. */
interface RowChunk {
  r0: number;
  n: number;
}

/**
 * Splits `rows` into chunks whose (rows, width) windows each fit one storage binding and one matmul
 * grid: a single chunk when everything fits (whole buffers are bound, as if unsplit), else chunks of
 * a multiple of the offset alignment in rows, so every window starts on an aligned byte offset.
 *
 * @example denseChunks(engine, 3000, 16, 16) // one chunk, or [0, 1024), [1024, 2048), [2048, 3000) under a 64 KiB binding limit
 */
export function denseChunks(engine: Engine, rows: number, I: number, O: number): RowChunk[] {
  const lim = engine.limits;
  const rowBytes = Math.max(I, O) * F32;
  // matmul's grid y is ceil(M / 32) workgroups
  const gridRows = lim.maxComputeWorkgroupsPerDimension * 32;
  if (rows * rowBytes <= lim.maxStorageBufferBindingSize && rows <= gridRows) return [{ r0: 0, n: rows }];
  const align = Math.max(1, lim.minStorageBufferOffsetAlignment / F32);
  const per = Math.floor(Math.min(lim.maxStorageBufferBindingSize / rowBytes, gridRows) / align) * align;
  if (per < 1) {
    throw new WebRnnError('DEVICE_LIMIT', `Dense: ${align} rows of ${Math.max(I, O)} floats (${align * rowBytes} bytes) exceed one storage binding (maxStorageBufferBindingSize = ${lim.maxStorageBufferBindingSize}); use fewer features`);
  }
  const out: RowChunk[] = [];
  for (let r0 = 0; r0 < rows; r0 += per) out.push({ r0, n: Math.min(per, rows - r0) });
  return out;
}

/**
 * The GPU work of a Dense layer for one row count: workspaces x (rows, I), y (rows, O), dy (rows, O),
 * dx (rows, I), and the recorded programs (matmul and sum_rows from the Recorder), built once. When
 * the workspaces exceed one storage binding (or the rows one matmul grid), every GEMM runs over
 * chunks of rows bound as windows: y and dX chunk by chunk, dW and db accumulated over the chunks.
 */
class DensePlan {
  readonly forward = new Program();
  readonly x: GPUBuffer;
  readonly y: GPUBuffer;
  readonly dy: GPUBuffer;
  /** the row chunks every GEMM runs over (one when everything fits a binding) */
  readonly chunks: readonly RowChunk[];
  private dxBuf: GPUBuffer | undefined;
  private readonly backward: (Program | undefined)[] = [undefined, undefined];
  private readonly rec: Recorder;
  private readonly wOff: number;
  private readonly bOff: number;

  constructor(
    engine: Engine,
    private readonly store: ParameterStore,
    private readonly I: number,
    private readonly O: number,
    private readonly hasBias: boolean,
    readonly rows: number,
  ) {
    this.chunks = denseChunks(engine, rows, I, O);
    this.rec = new Recorder(engine, 'Dense');
    this.wOff = store.offset('weight');
    this.bOff = hasBias ? store.offset('bias') : 0;
    const windowed = this.chunks.length > 1;
    // Anything built before a failure (e.g. a DEVICE_LIMIT error) is freed, not leaked.
    try {
      this.x = this.rec.buffer(rows * I * F32, 'x', windowed);
      this.y = this.rec.buffer(rows * O * F32, 'y', windowed);
      this.dy = this.rec.buffer(rows * O * F32, 'dy', windowed);
      // y = X·Wᵀ + b: B[k, n] = W[n, k].
      for (const c of this.chunks) {
        this.rec.matmul(this.forward, this.label('y = x·Wᵀ + b', c), {
          M: c.n, N: O, K: I,
          a_rs: I, a_cs: 1,
          b_off: this.wOff, b_rs: 1, b_cs: I,
          c_rs: O, bias_off: this.bOff,
        }, this.rows_(this.x, c, I), store.params, this.rows_(this.y, c, O), 1, hasBias ? store.params : undefined);
      }
    } catch (e) {
      this.rec.dispose();
      throw e;
    }
  }

  dx(): GPUBuffer {
    this.dxBuf ??= this.rec.buffer(this.rows * this.I * F32, 'dx', this.chunks.length > 1);
    return this.dxBuf;
  }

  /** The backward program, overwriting (accumulate false) or adding into the parameter gradients. */
  backwardProgram(accumulate: boolean): Program {
    const k = accumulate ? 1 : 0;
    const have = this.backward[k];
    if (have) return have;
    const { I, O, rec, store } = this;
    const prog = new Program();
    this.chunks.forEach((c, i) => {
      // Later chunks add into the parameter gradients the first chunk wrote (or accumulated into).
      const acc = i > 0 ? 1 : k;
      const dy = this.rows_(this.dy, c, O);
      // dX = dY·W: B[k, n] = W[k, n].
      rec.matmul(prog, this.label('dx = dy·W', c), {
        M: c.n, N: I, K: O,
        a_rs: O, a_cs: 1,
        b_off: this.wOff, b_rs: I, b_cs: 1,
        c_rs: I,
      }, dy, store.params, this.rows_(this.dx(), c, I));
      // dW = dYᵀ·X: A[m, k] = dY[k, m].
      rec.matmul(prog, this.label('dW = dyᵀ·x', c), {
        M: O, N: I, K: c.n,
        a_rs: 1, a_cs: O,
        b_rs: I, b_cs: 1,
        c_off: this.wOff, c_rs: I, accumulate: acc,
      }, dy, this.rows_(this.x, c, I), store.grads);
      if (this.hasBias) rec.sumRows(prog, this.label('db = Σ dy', c), { M: c.n, N: O, a_rs: O, out_off: this.bOff, accumulate: acc }, dy, store.grads);
    });
    this.backward[k] = prog;
    return prog;
  }

  dispose(): void {
    this.rec.dispose();
  }

  /** Rows of chunk c of a (rows, width) workspace: the whole buffer when unsplit, else a window. */
  private rows_(buffer: GPUBuffer, c: RowChunk, width: number): BufferBinding {
    if (this.chunks.length === 1) return buffer;
    return { buffer, offset: c.r0 * width * F32, size: c.n * width * F32 };
  }

  private label(what: string, c: RowChunk): string {
    return this.chunks.length === 1 ? what : `${what} rows ${c.r0}..${c.r0 + c.n}`;
  }
}
