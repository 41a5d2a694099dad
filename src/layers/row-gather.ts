import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { Program } from '../gpu/program.js';
import { Recorder } from '../gpu/recorder.js';
import { Tensor } from '../gpu/tensor.js';
import { expectShape, liveTensor } from '../gpu/tensor-checks.js';
import { foldedGrid } from './grid.js';
import { groupByToken } from './tokens.js';
import * as shaders from '../gpu/shader-sources.gen.js';

const F32 = 4;

/**
 * Picks rows of an (R, F) tensor by index and sends gradients back to those rows — the many-to-one
 * head's "output at each row's last valid step". The table lookup is nn.Embedding's (the
 * embedding_gather and embedding_grad kernels, with the tensor as the table), so the backward is the
 * same deterministic grouped sum: rows picked more than once get the sum of their gradients, rows not
 * picked get 0.
 *
 * @example
 * const { output } = lstm.forward(x, { lengths: [5, 3] });   // (T=5, B=2, H): T·B rows
 * const pick = new RowGather(engine);
 * const last = pick.forward(output, [4 * 2 + 0, 2 * 2 + 1]);  // row t·B + b of each row's last step -> (B, H)
 * const dOutput = pick.backward(engine.tensor(new Float32Array(last.size).fill(1), last.shape)); // (T·B, H)
 */
export class RowGather {
  private plan: RowGatherPlan | undefined;
  private last: { R: number; F: number; N: number } | undefined;
  private disposed = false;

  constructor(private readonly engine: Engine) {}

  /**
   * @param table a tensor whose leading axes flatten to R rows of its last axis F
   * @param rows N row indices, each in [0, R)
   * @returns a view (N, F), valid until the next forward
   */
  forward(table: Tensor, rows: ArrayLike<number>): Tensor {
    this.check();
    liveTensor(table, 'RowGather table', this.engine);
    if (table.shape.length < 1) throw new WebRnnError('BAD_SHAPE', 'RowGather table must have at least one axis, got shape []');
    const F = table.shape[table.shape.length - 1];
    const R = F > 0 ? table.size / F : 0;
    if (rows === null || typeof rows !== 'object' || !Number.isSafeInteger(rows.length)) throw new WebRnnError('BAD_VALUE', 'RowGather: rows must be an array of row indices');
    const N = rows.length;
    const ids = new Uint32Array(N);
    for (let i = 0; i < N; i++) {
      const r = rows[i];
      if (!Number.isInteger(r) || r < 0 || r >= R) throw new WebRnnError('BAD_VALUE', `RowGather: rows[${i}] = ${r}, must be an integer in [0, ${R})`);
      ids[i] = r;
    }
    if (!this.plan || this.plan.R !== R || this.plan.F !== F || this.plan.N !== N) {
      this.plan?.dispose();
      this.plan = undefined;
      this.plan = new RowGatherPlan(this.engine, R, F, N);
    }
    const plan = this.plan;
    const g = groupByToken(ids);
    const Umax = Math.min(N, R);
    const index = new Uint32Array(2 * N + 2 * Umax + 1).fill(0xffffffff);
    index.set(ids, 0);
    index.set(g.positions, N);
    index.set(g.offsets, 2 * N);
    index.set(g.ids, 2 * N + Umax + 1);
    this.engine.writeBuffer(plan.index, 0, index);
    const pre = new Program();
    pre.copy(table.buffer, table.byteOffset, plan.table, 0, table.size * F32);
    this.engine.run(pre, plan.forward);
    this.last = { R, F, N };
    return new Tensor(this.engine, plan.out, [N, F], 0, false);
  }

  /** dL/d(table) (R, F) from dL/d(picked rows) (N, F), for the most recent forward; a view. */
  backward(grad: Tensor): Tensor {
    this.check();
    const last = this.last;
    if (!last) throw new WebRnnError('BAD_STATE', 'RowGather backward needs a forward first');
    expectShape(grad, 'RowGather grad', [last.N, last.F], this.engine);
    const plan = this.plan!;
    const pre = new Program();
    pre.copy(grad.buffer, grad.byteOffset, plan.dout, 0, grad.size * F32);
    this.engine.run(pre, plan.backward);
    return new Tensor(this.engine, plan.dtable, [last.R, last.F], 0, false);
  }

  dispose(): void {
    this.plan?.dispose();
    this.disposed = true;
  }

  private check(): void {
    if (this.disposed) throw new WebRnnError('DISPOSED', 'this RowGather was disposed');
  }
}

/** Buffers and programs for one (R, F, N); `index` holds rows (N) | positions (N) | offsets (U+1) | ids (U). */
class RowGatherPlan {
  readonly forward = new Program();
  readonly backward = new Program();
  readonly index: GPUBuffer;
  readonly table: GPUBuffer;
  readonly out: GPUBuffer;
  readonly dout: GPUBuffer;
  readonly dtable: GPUBuffer;
  private readonly rec: Recorder;

  constructor(
    engine: Engine,
    readonly R: number,
    readonly F: number,
    readonly N: number,
  ) {
    this.rec = new Recorder(engine, 'RowGather');
    try {
      const Umax = Math.min(N, R);
      this.index = this.rec.buffer((2 * N + 2 * Umax + 1) * 4, 'index');
      this.table = this.rec.buffer(R * F * F32, 'table');
      this.out = this.rec.buffer(N * F * F32, 'out');
      this.dout = this.rec.buffer(N * F * F32, 'dout');
      this.dtable = this.rec.buffer(R * F * F32, 'dtable');
      const kg = engine.kernel(shaders.embedding_gather);
      this.forward.dispatch(kg, [this.rec.bind(kg, { N, E: F, w_off: 0 }, { index: this.index, w: this.table, out: this.out }, 'gather')], foldedGrid(engine, Math.ceil((N * F) / 64)));
      const kb = engine.kernel(shaders.embedding_grad);
      this.backward.clear(this.dtable, 0, R * F * F32);
      const gb = this.rec.bind(kb, { E: F, U_max: Umax, pos_off: N, offs_off: 2 * N, ids_off: 2 * N + Umax + 1, w_off: 0, accumulate: 0 }, { index: this.index, dy: this.dout, grads: this.dtable }, 'scatter');
      this.backward.dispatch(kb, [gb], foldedGrid(engine, Math.ceil((Umax * F) / 64)));
    } catch (e) {
      this.rec.dispose();
      throw e;
    }
  }

  dispose(): void {
    this.rec.dispose();
  }
}
