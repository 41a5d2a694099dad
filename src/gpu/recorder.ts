import type { Engine } from './engine.js';
import { STEP_STRIDE, type BufferBinding, type Kernel } from './kernel.js';
import type { Program } from './program.js';

const ceil = (a: number, b: number) => Math.ceil(a / b);

/** Parameters of the matmul kernel (shaders/matmul.wgsl); offsets, strides and flags default to 0. */
export type MatmulParams = { M: number; N: number; K: number } & Partial<
  Record<'a_off' | 'a_rs' | 'a_cs' | 'a_zs' | 'b_off' | 'b_rs' | 'b_cs' | 'b_zs' | 'c_off' | 'c_rs' | 'c_zs' | 'bias_off' | 'bias_zs' | 'accumulate', number>
>;

/** Parameters of the sum_rows kernel (shaders/sum_rows.wgsl); offsets, strides and flags default to 0. */
export type SumRowsParams = { M: number; N: number; a_rs: number } & Partial<Record<'a_off' | 'a_zs' | 'out_off' | 'out_zs' | 'accumulate', number>>;

/**
 * Builds the GPU objects a layer's recorded programs need — workspace buffers, Params uniforms
 * (written once), bind groups — and owns them, so one dispose() frees them all. The shared kernels
 * (matmul, sum_rows, transpose_01) are recorded through here so no layer repeats their set-up.
 */
export class Recorder {
  private readonly owned: GPUBuffer[] = [];

  constructor(
    readonly engine: Engine,
    private readonly prefix: string,
  ) {}

  /**
   * A zeroed storage buffer owned by this recorder; `windowed` ones may exceed one binding (the
   * caller binds windows of them, see Kernel.bindGroup).
   */
  buffer(bytes: number, label: string, windowed = false): GPUBuffer {
    const b = this.engine.createBuffer(bytes, `${this.prefix}:${label}`, undefined, { windowed });
    this.owned.push(b);
    return b;
  }

  /** A uniform buffer written once with `data`, owned by this recorder. */
  uniform(data: ArrayBufferView<ArrayBuffer> | ArrayBuffer, label: string): GPUBuffer {
    const bytes = data instanceof ArrayBuffer ? data : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
    const u = this.engine.uniform(bytes, `${this.prefix}:${label}`);
    this.owned.push(u);
    return u;
  }

  /**
   * The step-index uniform of per-step dispatches: slot i (at byte i·STEP_STRIDE) holds i, for i in
   * 0..count−1. Written in chunks, so a long sequence never needs one host array of count·STEP_STRIDE
   * bytes.
   */
  steps(count: number, label: string): GPUBuffer {
    const u = this.engine.createBuffer(count * STEP_STRIDE, `${this.prefix}:${label}`, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    this.owned.push(u);
    const CHUNK = 4096;
    const data = new Uint32Array((Math.min(count, CHUNK) * STEP_STRIDE) / 4);
    for (let first = 0; first < count; first += CHUNK) {
      const n = Math.min(CHUNK, count - first);
      for (let i = 0; i < n; i++) data[(i * STEP_STRIDE) / 4] = first + i;
      this.engine.device.queue.writeBuffer(u, first * STEP_STRIDE, data, 0, (n * STEP_STRIDE) / 4);
    }
    return u;
  }

  /** Group 0 of a kernel: its Params uniform (packed from `params`) plus the named storage buffers. */
  bind(k: Kernel, params: Record<string, number>, buffers: Record<string, BufferBinding>, label: string): GPUBindGroup {
    const u = this.uniform(k.packParams(params), `${k.name}:${label}:params`);
    return k.bindGroup(0, { [k.params!.variable]: u, ...buffers }, `${this.prefix}:${label}`);
  }

  /** C = A·B (+ bias) (+ C) over `z` batches; see shaders/matmul.wgsl for the strided addressing. */
  matmul(prog: Program, label: string, p: MatmulParams, a: BufferBinding, b: BufferBinding, c: BufferBinding, z = 1, bias?: BufferBinding): void {
    const k = this.engine.kernel('matmul');
    const full: Record<string, number> = {
      a_off: 0, a_rs: 0, a_cs: 0, a_zs: 0, b_off: 0, b_rs: 0, b_cs: 0, b_zs: 0,
      c_off: 0, c_rs: 0, c_zs: 0, bias_off: 0, bias_zs: 0, accumulate: 0,
      ...p, has_bias: bias ? 1 : 0,
    };
    prog.dispatch(k, [this.bind(k, full, { a, b, bias: bias ?? b, c }, label)], [ceil(p.N, 32), ceil(p.M, 32), z]);
  }

  /** out (+)= column sums of A over `z` batches; see shaders/sum_rows.wgsl. */
  sumRows(prog: Program, label: string, p: SumRowsParams, a: BufferBinding, out: BufferBinding, z = 1): void {
    const k = this.engine.kernel('sum_rows');
    const full = { a_off: 0, a_zs: 0, out_off: 0, out_zs: 0, accumulate: 0, ...p };
    prog.dispatch(k, [this.bind(k, full, { a, out }, label)], [ceil(p.N, 64), z, 1]);
  }

  /** (P0, P1, F) → (P1, P0, F). */
  transpose(prog: Program, label: string, P0: number, P1: number, F: number, a: GPUBuffer, out: GPUBuffer): void {
    const k = this.engine.kernel('transpose_01');
    prog.dispatch(k, [this.bind(k, { P0, P1, F }, { a, out }, label)], [ceil(F, 64), P1, P0]);
  }

  dispose(): void {
    for (const b of this.owned) this.engine.releaseBuffer(b);
    this.owned.length = 0;
  }
}
